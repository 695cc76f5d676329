"""The main window: it builds the widgets and the rooms, wires their signals,
and shows every modal dialog (the ``_ask_*`` methods, which tests answer).

The rooms (see the README's development section), each given its
collaborators in its constructor; none holds this window:
- :class:`~nnbuilder.gui.data.data_controller.DataController`: the document's data, loaded;
- :class:`~nnbuilder.gui.run.run_controller.RunController`: the training run and its worker;
- :class:`~nnbuilder.gui.run.live_view.LiveView`: draws the run on a 30 Hz timer;
- :class:`~nnbuilder.gui.learn.learn.LearnController`: one sample, one weight's chain rule, Step through;
- :class:`~nnbuilder.gui.learn.surface_link.SurfaceLink`: feeds the loss-surface view;
- :class:`~nnbuilder.gui.learn.functions_link.FunctionsLink`: the selected layer's activation and
  the loss drawn, the picked sample on them (the Functions view);
- :class:`~nnbuilder.gui.run.timeline_view.TimelineView` and :class:`~nnbuilder.gui.learn.lesson_controller.LessonController`: looking
  back over the run, and the lessons;
- :class:`~.files.FileRoom`: new, open, save, exports, autosave;
- :class:`~.import_flows.ImportFlows`: a CSV table or an ONNX model brought in.
The menus and toolbars are built by :class:`~.menus.WindowMenus`, the docks by
:class:`~.window_layout.WindowLayout`.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut, QUndoGroup
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
)
from threadpoolctl import threadpool_limits

from nnbuilder.core.resources import resource_root

from ..run.curves import CurvesPanel
from ..run.layer_plot import LayerPlot
from ..widgets.follows_theme import FollowsTheme
from ..data.data_controller import DataController, spec_title
from ..diagram.commands import weight_name
from ..diagram.document import Document
from .animation import AnimationExport
from .files import MODEL_FILTER, ONNX_FILTER, Dialogs, FileRoom, settings
from .import_flows import ImportFlows
from ..data.importer import DATA_FILTER
from ..diagram.inspector import Inspector
from ..learn.functions_link import FunctionsLink
from ..learn.functions_view import FunctionsView
from ..learn.learn import LearnController
from ..learn.learn_panel import LearnPanel
from ..learn.lesson_controller import LessonController
from ..learn.lesson_panel import LessonPanel
from ..run.inspection import InspectionViews, MistakesView, WeightImagesView
from ..run.live_view import Counters, LiveView
from ..run.sample_output import SampleOutputLink
from .menus import WindowMenus
from .presentation import Presentation
from ..data.output_panel import OutputPanel
from ..diagram.palette import LayerPalette
from ..diagram.panels import NetworkPanel, ProblemsList
from ..run.pins import RunPins
from ..widgets.plots import BoundaryPlot
from ..widgets.status import StatusMessage
from ..run.run_controller import RunController
from ..diagram.scene import NetworkScene
from ..learn.surface_link import SurfaceLink
from ..learn.surface_view import SurfaceView
from ..widgets.theme import THEMES, apply_theme
from ..run.timeline_view import TimelineView
from ..data.training_panel import TrainingPanel
from ..diagram.view import NetworkView
from .shortcuts import ShortcutsDialog, action_rows
from .wheel_guard import install_wheel_guard
from ..widgets.mnemonics import ask, file_dialog_mnemonics
from .window_layout import WindowLayout

SHIFT_OR_CTRL = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier


def held(modifiers) -> bool:
    """True while one of ``modifiers`` is held (e.g. Shift+click on Step)."""
    return bool(QApplication.keyboardModifiers() & modifiers)


class MainWindow(FollowsTheme, QMainWindow):
    """The nnbuilder window. ``MainWindow()`` shows the built-in example,
    ``MainWindow(path)`` opens a model file."""

    def __init__(self, path: str | os.PathLike | None = None, offer_restore: bool = True):
        super().__init__()
        # The window draws on one core, the worker trains on the other: BLAS
        # threads here (evaluating the output view) took the worker's core.
        threadpool_limits(1)
        self.setObjectName("MainWindow")
        self.setAccessibleName("nnbuilder")
        self.setAcceptDrops(True)
        self.document: Document | None = None
        self.undo_group = QUndoGroup(self)
        self._status_fresh = False  # the status bar's message was shown in this turn of the event loop
        self.undo_group.indexChanged.connect(lambda _: self._edited())
        self.shortcuts_dialog: ShortcutsDialog | None = None

        # Widgets.
        self.scene = NetworkScene(self)
        self.view = NetworkView(self.scene, self)
        self.setCentralWidget(self.view)
        self.palette_list = LayerPalette()
        self.inspector = Inspector()
        self.network_panel = NetworkPanel()
        self.problems = ProblemsList()
        self.training_panel = TrainingPanel()
        self.boundary = BoundaryPlot()
        self.output_panel = OutputPanel(self.boundary)
        self.curves = CurvesPanel()
        self.layer_plot = LayerPlot()
        self.learn_panel = LearnPanel()
        self.lesson_panel = LessonPanel()
        self.surface_view = SurfaceView()
        self.functions_view = FunctionsView()
        self.weight_images = WeightImagesView()
        self.mistakes = MistakesView()
        self.params_label = QLabel()
        self.params_label.setObjectName("statusParams")
        self.problems_label = QLabel()  # "✗ 1 error, ⚠ 2 warnings": a click shows the list
        self.problems_label.setObjectName("statusProblems")
        self.problems_label.linkActivated.connect(lambda _: self.docks["problemsDock"].raise_())
        # a long message cut short with "…", whole in the tool tip (the bar cut "... Try a sma")
        self.status_message = StatusMessage(self.statusBar())
        self.statusBar().addPermanentWidget(self.problems_label)
        self.statusBar().addPermanentWidget(self.params_label)
        self.dock_layout = WindowLayout(self, self.view, {
            "layersDock": self.palette_list, "trainingDock": self.training_panel,
            "outputDock": self.output_panel, "inspectorDock": self.inspector, "learnDock": self.learn_panel,
            "surfaceDock": self.surface_view, "lessonDock": self.lesson_panel, "curvesDock": self.curves,
            "problemsDock": self.problems, "networkDock": self.network_panel, "gradientsDock": self.layer_plot,
            "weightImagesDock": self.weight_images, "mistakesDock": self.mistakes,
            "functionsDock": self.functions_view})
        self.docks = self.dock_layout.docks

        # Rooms: data -> run -> live view; each gets what it needs, not the window.
        # The dialogs are looked up when asked, so a test's answer on the class holds.
        dialogs = Dialogs(error=lambda *a: self._error(*a), ask_unsaved=lambda: self._ask_unsaved(),
                          ask_open_path=lambda: self._ask_open_path(),
                          ask_save_path=lambda *a: self._ask_save_path(*a),
                          ask_folder=lambda *a: self._ask_folder(*a), ask_restore=lambda *a: self._ask_restore(*a),
                          ask_data_path=lambda: self._ask_data_path(), ask_onnx_path=lambda: self._ask_onnx_path())
        self.data = DataController(self.training_panel, self.output_panel.options, self)
        self.run = RunController(self.data, self.training_panel,
                                 lambda *a: self._ask_weight(*a), self)
        self.files = FileRoom(lambda: self.document, self.set_document, self.run, self.scene, self.view,
                              {"loss": self.curves.loss, "metric": self.curves.metric_plot, "output": self.boundary},
                              dialogs, self.show_status, self)
        self.imports = ImportFlows(self.files, self.data, self.run, dialogs, self.show_status, self)
        menus = WindowMenus(self, self.files, self.imports, self.undo_group, self.scene, self.view, self.docks,
                            self.training_panel.speed, select_all=self.select_all, auto_layout=self.auto_layout,
                            set_theme=self.set_theme, reset_layout=self.reset_layout,
                            show_lessons=self.show_lessons, about=self._about,
                            show_shortcuts=self.show_shortcuts, set_quiz=self.set_quiz,
                            export_animation=lambda: self.animation.export(),
                            presentation=lambda: self.presentation.toggle(),
                            hide_panels=lambda: self.presentation.toggle_panels(),
                            presentation_scale=lambda s: self.presentation.set_scale(s))
        vars(self).update(vars(menus))  # w.act_open, w.play_button, w.epoch_label...: the window's, by name
        self.statusBar().addPermanentWidget(self.quiz_label)
        counters = Counters(self.epoch_label, self.rate_label, self.elapsed_label, self.loss_label,
                            self.play_button)
        self.presentation = Presentation(self, self.docks, self.view,
                                         [self.epoch_label, self.elapsed_label, self.loss_label],
                                         self.rate_label, self.training_panel.speed, self.file_toolbar, self.restyle_views,
                                         [self.curves.timeline], self)
        self.presentation.changed.connect(self.act_presentation.setChecked)
        self.presentation.changed.connect(self.dock_layout.hold)
        self.presentation.changed.connect(lambda on: self.learn_panel.set_controls_shown(not on))
        self.presentation.panelsHidden.connect(self.act_hide_panels.setChecked)
        self.scale_actions[self.presentation.scale].setChecked(True)
        self.live = LiveView(self.run, self.data, self.output_panel.options, self.boundary, self.curves,
                             self.layer_plot, self.scene, counters, self)
        self.pins = RunPins(self.run, self.curves, self.live.frameDrawn, self)
        self.inspection = InspectionViews(self.run, self.data, self.live.frameDrawn, self.live.weightsShown,
                                          self.weight_images, self.mistakes, self.dock_layout.offer,
                                          lambda name: not self.docks[name].visibleRegion().isEmpty(), self)
        self.learn = LearnController(self.run, self.data, self.learn_panel, self.scene, self.boundary, self)
        self.sample_output = SampleOutputLink(self.learn, self.data, self.output_panel, self)  # many inputs
        self.surface = SurfaceLink(self.run, self.data, self.surface_view, self)
        self.functions = FunctionsLink(self.learn, self.functions_view, self.run.current_weights, self)
        self.timeline = TimelineView(self.live, self.curves.timeline, self)
        self.animation = AnimationExport(self.run, self.live, self.timeline, self.data, self.output_panel.options,
                                         self.scene, lambda *a: self._ask_save_path(*a),
                                         lambda *a: self._error(*a), self.show_status, parent=self,
                                         learn=self.learn)
        self._wire()
        install_wheel_guard(self)  # only a focused combo or spin box takes the wheel
        self._clicks_leave_the_keyboard()
        self.lessons = LessonController(self.run, self.data, self.training_panel, self.learn, self.lesson_panel,
                                        self.files.open_lesson_network, self)

        self.dock_layout.restore()
        self.lesson_panel.quiz_button.setDefaultAction(self.act_quiz)
        self.set_quiz(settings().value("quiz", False, type=bool))
        self.theme = settings().value("theme", "system")
        if self.theme not in THEMES:
            self.theme = "system"
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda *_: self.theme == "system" and self.set_theme("system"))

        if path is not None:
            self.set_document(Document())
            if not self.files.open_file(str(path), ask_to_save=False):
                self.files.load_example()
        else:
            self.files.load_example()
        if offer_restore:
            QTimer.singleShot(0, self.files.offer_restore)

    # ---------------------------------------------------------------- set-up
    def _wire(self) -> None:
        """Signals between the widgets and the rooms (the only place they meet)."""
        data, run, panel, paint = self.data, self.run, self.training_panel, self.output_panel.paint_row
        for room in (self.scene, self.inspector):
            room.statusMessage.connect(self.show_status)
        for room in (data, run):
            room.status.connect(self.show_status)
        run.error.connect(lambda title, text: self._error(title, text))
        run.readyChanged.connect(self._show_ready)
        run.documentModified.connect(self._update_title)
        data.dataChanged.connect(lambda: self.output_panel.show_paint_controls(data.spec))
        data.dataChanged.connect(lambda: self.inspector.set_columns(
            data.dataset.column_names if data.dataset is not None else []))
        self.files.saved.connect(self._update_title)
        data.dataChanged.connect(self._update_title)  # the title names the data
        self.files.dataFileDropped.connect(self.imports.import_data)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.palette_list.addRequested.connect(self._add_at_center)
        self.problems.nodeRequested.connect(self.select_node)
        self.view.fileDropped.connect(self.files.open_dropped)
        self.play_button.clicked.connect(run.toggle_play)
        self.step_button.clicked.connect(lambda: run.step(held(Qt.KeyboardModifier.ShiftModifier)))
        self.reset_button.clicked.connect(lambda: run.reset(held(SHIFT_OR_CTRL)))
        self.act_train.triggered.connect(run.toggle_play)
        self.act_step.triggered.connect(lambda: run.step(False))
        self.act_step_epoch.triggered.connect(lambda: run.step(True))
        self.act_reset.triggered.connect(lambda: run.reset(False))
        self.act_reset_seed.triggered.connect(lambda: run.reset(True))
        self.space = QShortcut(QKeySequence(Qt.Key.Key_Space), self, self._space)
        panel.configChanged.connect(run.config_changed)
        panel.speedChanged.connect(run.set_speed)
        panel.datasetChanged.connect(data.panel_changed)
        panel.importRequested.connect(lambda: self.imports.import_data())
        panel.normalizeChanged.connect(data.set_normalize)
        self.scene.weightEditRequested.connect(run.edit_weight)
        table = self.inspector.weights_table
        table.set_source(lambda: (run.current_weights(), run.running))
        table.weightTyped.connect(run.type_weight)
        self.live.frameDrawn.connect(lambda _snap: table.refresh())
        self.scene.editRequested.connect(self.edit_node)
        self.inspector.doneEditing.connect(lambda: self.view.setFocus(Qt.FocusReason.OtherFocusReason))
        self.boundary.pointClicked.connect(
            lambda x, y, remove, nxt: data.paint(x, y, remove, paint.current_class() + int(nxt)))
        paint.clearRequested.connect(data.clear_points)
        paint.classesChanged.connect(data.set_paint_classes)
        self.live.frameDrawn.connect(self.learn.snapshot_drawn)
        self.live.frameDrawn.connect(self.surface.snapshot_drawn)
        self.live.momentShown.connect(self.surface.moment_shown)  # looking back: the moment's weights
        run.trainingChanged.connect(self.surface.config_changed)  # an edit, an undo or a redo
        self.learn.weightChosen.connect(self.surface.show_weight)
        self.timeline.lookingBack.connect(self.learn.set_looking_back)
        self.timeline.lookingBack.connect(self.surface.looking_back)
        for name in ("weightImagesDock", "mistakesDock"):
            self.docks[name].visibilityChanged.connect(
                lambda shown, name=name: shown and self.inspection.dock_shown(name))
        self.mistakes.rowClicked.connect(self.learn.select_row)  # the row, one sample through the network
        learn_dock = self.docks["learnDock"]
        for clicked in (self.scene.weightClicked, self.boundary.sampleClicked):
            clicked.connect(lambda *_: learn_dock.raise_())

    def _clicks_leave_the_keyboard(self) -> None:
        """A click on a button or check box presses it and leaves the keyboard
        where it was (Tab still reaches it): Space presses the focused button
        (see :meth:`_space`), so a button clicked once kept Space for itself. A
        teacher clicked a lesson's Next, then pressed Space to train: the focus
        had passed to "Lessons", and Space left the lesson."""
        for button in self.findChildren(QAbstractButton):
            if button.focusPolicy() & Qt.FocusPolicy.ClickFocus:
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def _space(self) -> None:
        """Space trains or pauses; on a button or check box the keyboard is on
        (Tab: a click leaves the keyboard where it was) it presses it. A combo
        box chosen with the pointer keeps the keyboard, and Space there opened
        its list again where a user wanted to pause: it trains or pauses (the
        list opens with Alt+Down, or a click)."""
        focus = QApplication.focusWidget()
        if isinstance(focus, QAbstractButton) and focus.window() is self:
            focus.click()
        else:
            self.run.toggle_play()

    def _show_ready(self, reason: str | None) -> None:
        """Train, Step and Reset work when the network and data fit together."""
        self.play_button.setEnabled(reason is None or self.run.running)
        self.act_train.setEnabled(reason is None or self.run.running)
        for control in (self.step_button, self.reset_button, self.act_step, self.act_step_epoch, self.act_reset,
                        self.act_reset_seed):
            control.setEnabled(reason is None)
        self.play_button.setToolTip(f"Cannot train: {reason}" if reason else "Train (Space): start or pause")
        self.network_panel.set_ready(reason)
        self.problems.set_ready(reason)
        self._show_problems()

    # -------------------------------------------------------------- document
    def set_document(self, document: Document) -> None:
        """Edit ``document`` from now on: every room starts over with it."""
        old = self.document
        if old is not None:
            self.run.shutdown()
            old.graphChanged.disconnect(self.validate)
            old.undo_stack.cleanChanged.disconnect(self._update_title)
            self.undo_group.removeStack(old.undo_stack)
            old.deleteLater()
        document.setParent(self)
        self.document = document
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        self.scene.set_document(document)
        self.inspector.set_document(document)
        self.learn.forget()  # no sample or weight of the old network
        self.lessons.document_replaced()
        self.run.set_document(document)  # every room has the document before its data loads
        self.data.set_document(document)
        self.functions.set_document(document)  # (it reads the run's weights)
        document.graphChanged.connect(self.validate)
        document.undo_stack.cleanChanged.connect(self._update_title)
        self.validate()
        QTimer.singleShot(0, self.view.fit)

    def document_name(self) -> str:
        """What the title bar and the save prompt call the document."""
        doc = self.document
        if doc.path is None and doc.example_name:
            return f"Example: {doc.example_name}"
        return doc.title

    def _update_title(self, *_) -> None:
        """The file (or Untitled, or the example) and the data it trains on."""
        data = spec_title(self.document.dataset) if self.document.dataset else ""
        self.setWindowTitle(f"{self.document_name()}{f' · data: {data}' if data else ''}[*] — nnbuilder")
        self.setWindowModified(self.document.modified)

    def validate(self) -> list:
        problems = self.document.graph.validate()
        self.scene.refresh_problems(problems)
        self.problems.set_problems(problems)
        self.network_panel.update_from(self.document, problems)
        self._show_problems()
        n = self.document.graph.total_params()
        self.params_label.setText(f"{n:,} parameter{'s' if n != 1 else ''}")
        self._update_title()
        return problems

    def _show_problems(self) -> None:
        """Problems cannot be missed: counted on their tab and in the status bar,
        with the Network panel's verdict (the same problems and reason)."""
        self.docks["problemsDock"].setWindowTitle(self.problems.title())
        self.problems_label.setText(self.problems.badge())
        self.problems_label.setToolTip(self.problems.badge_tooltip())

    # ------------------------------------------------------------- editing
    def _selection_changed(self) -> None:
        ids = self.scene.selected_node_ids()
        self.inspector.show_node(ids[0] if len(ids) == 1 else None)
        if len(ids) == 1:
            self.dock_layout.layer_selected()
        self.functions.show_selection(ids)

    def select_node(self, node_id: str) -> None:
        item = self.scene.node_items.get(node_id)
        if item is None:
            return
        self.scene.clearSelection()
        item.setSelected(True)
        self.view.centerOn(item)

    def edit_node(self, node_id: str) -> None:
        """Enter on a layer in the diagram: its settings in the inspector, the first field focused."""
        self.select_node(node_id)
        self.docks["inspectorDock"].show()
        self.docks["inspectorDock"].raise_()
        self.inspector.edit()

    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts (not modal: it can stay open beside the
        window), with the keyboard (Esc closes it)."""
        if self.shortcuts_dialog is None:
            space = ("Space", "Train, pause")  # a shortcut, not an action
            self.shortcuts_dialog = ShortcutsDialog(action_rows(self.actions(), [space]), self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()
        self.shortcuts_dialog.activateWindow()

    def select_all(self) -> None:
        for item in self.scene.node_items.values():
            item.setSelected(True)

    def _add_at_center(self, node_type: str) -> None:
        """Double-click (or Enter) on a palette entry: the new layer goes in free
        space right of the selected node (the rightmost of several; none
        selected: the last one added), connected from it if the graph allows,
        as one undo step; the refusal, if any, in the status bar. In an empty
        diagram it goes to the centre of the view."""
        graph = self.document.graph
        selected = [n for n in self.scene.selected_node_ids() if n in graph.nodes]
        anchor = (max(selected, key=lambda n: graph.nodes[n].position[0]) if selected
                  else next(reversed(graph.nodes), None))
        if anchor is None:
            c = self.view.mapToScene(self.view.viewport().rect().center())
            nid = self.document.add_node(node_type, (round(c.x()) - 75, round(c.y()) - 23))
        else:
            nid, reason = self.document.add_node_after(node_type, anchor)
            if reason:
                self.show_status(f"Not connected: {reason}")
        self.select_node(nid)

    def auto_layout(self) -> None:
        self.document.auto_layout()
        QTimer.singleShot(0, self.view.fit)

    def show_status(self, text: str, ms: int = 8000) -> None:
        """``text`` in the status bar for ``ms`` milliseconds (0: until the next
        message, or until an edit: :meth:`_edited`)."""
        if not text:  # (Qt's timer of an empty message with a timeout never stops: 1 ms kept a core busy)
            self.statusBar().clearMessage()
            return
        self.statusBar().showMessage(text, ms)
        self._status_fresh = True  # said by what is being done now (an edit's own message)
        QTimer.singleShot(0, self._status_aged)

    def _status_aged(self) -> None:
        self._status_fresh = False

    def _edited(self) -> None:
        """An edit, its undo or redo, or another document: a message shown before
        it described the state before it (a lesson step's note, a deleted
        connection's "Cannot train") and goes; the edit's own message stays."""
        if not self._status_fresh:
            self.statusBar().clearMessage()

    # ----------------------------------------------------------- theme/misc
    def set_quiz(self, on: bool) -> None:
        """View > Quiz mode: the parameter counts (status bar, Network panel,
        Inspector, the nodes and their tool tips) and the accuracy (its plot,
        the confusion matrix) hidden until the teacher reveals them. A view
        setting, remembered for the next start; the document is not edited."""
        self.quiz = bool(on)
        self.act_quiz.setChecked(self.quiz)
        self.params_label.setVisible(not self.quiz)
        self.network_panel.set_counts_hidden(self.quiz)
        self.inspector.set_counts_hidden(self.quiz)
        self.scene.set_counts_hidden(self.quiz)
        self.curves.set_scores_hidden(self.quiz)
        self.lessons.set_quiz(self.quiz)  # the lesson's answers too
        settings().setValue("quiz", self.quiz)

    def set_theme(self, mode: str) -> None:
        self.theme = mode
        apply_theme(mode)
        for t, a in self.theme_actions.items():
            a.setChecked(t == mode)
        self.restyle_views()

    def restyle_views(self) -> None:
        """The diagram and the plots drawn again in the theme's colours and the UI scale's fonts."""
        self.view.resetCachedContent()  # the cached background (the dotted grid) too
        for item in self.scene.items():  # cached items repaint only when told to
            item.update()
        for view in (self.curves, self.boundary, self.layer_plot, self.surface_view):
            view.apply_theme()
        self.validate()  # the problem counts again, in the new theme's colours

    def theme_changed(self) -> None:
        self.scene.update()

    def dragEnterEvent(self, event):
        if NetworkView.model_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        files = NetworkView.model_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.files.open_dropped(files[0])

    def closeEvent(self, event):
        if not self.files.maybe_save():
            event.ignore()
            return
        self.run.shutdown()
        self.imports.cancel()
        self.presentation.leave()
        self.dock_layout.save()
        settings().setValue("theme", self.theme)
        self.files.close()
        event.accept()

    # ---------------------------------------------------------------- layout
    def show_lessons(self) -> None:
        """Help > Lessons: the panel, with the list read again unless a lesson is on."""
        if self.lessons.lesson is None:
            self.lessons.load_list()
        self.dock_layout.show_lesson_dock()

    def reset_layout(self) -> None:
        """View > Panels > Reset layout: the Lessons panel stays only while a lesson is on."""
        self.dock_layout.reset(self.lessons.lesson is not None)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.dock_layout.resized(self.training_toolbar)

    def showEvent(self, event):
        super().showEvent(event)
        self.dock_layout.shown()

    def sizeHint(self) -> QSize:
        return QSize(1280, 800)

    # ---------------------------------------------------- dialogs (tests answer them)
    def _last_dir(self) -> str:
        """The open file's folder, unless it is one of the app's own (an example:
        never a place to save into); else the last folder used, or home."""
        if self.document is not None and self.document.path:
            folder = Path(self.document.path).resolve().parent
            if resource_root().resolve() not in (folder, *folder.parents):
                return str(folder)
        return str(settings().value("lastDir", str(Path.home())))

    def _about(self) -> None:
        QMessageBox.about(self, "About nnbuilder",
                          "nnbuilder: build a neural network by drawing it, train it, export it.")

    def _error(self, title: str, text: str) -> None:
        QMessageBox.critical(self, title, text)

    def _ask_unsaved(self) -> str:
        """'save', 'discard' or 'cancel'."""
        R = QMessageBox.ButtonRole
        return ask(self, "Unsaved changes", f"Save the changes to “{self.document_name()}” before closing it?",
                   [("save", "&Save", R.AcceptRole), ("discard", "&Don't save", R.DestructiveRole),
                    ("cancel", "&Cancel", R.RejectRole)], default="save", escape="cancel")

    def _ask_open_path(self) -> str:
        with file_dialog_mnemonics():
            return QFileDialog.getOpenFileName(self, "Open network", self._last_dir(), MODEL_FILTER)[0]

    def _ask_data_path(self) -> str:
        with file_dialog_mnemonics():
            return QFileDialog.getOpenFileName(self, "Import data", self._last_dir(), DATA_FILTER)[0]

    def _ask_onnx_path(self) -> str:
        with file_dialog_mnemonics():
            return QFileDialog.getOpenFileName(self, "Import ONNX model", self._last_dir(), ONNX_FILTER)[0]

    def _ask_save_path(self, caption: str, suggested: str, file_filter: str) -> str:
        with file_dialog_mnemonics():
            return QFileDialog.getSaveFileName(self, caption, str(Path(self._last_dir()) / suggested),
                                               file_filter)[0]

    def _ask_folder(self, caption: str) -> str:
        with file_dialog_mnemonics():
            return QFileDialog.getExistingDirectory(self, caption, self._last_dir())

    def _ask_weight(self, node_id: str, row: int, col: int, current: float) -> float | None:
        name = self.document.graph.label(node_id)
        value, ok = QInputDialog.getDouble(self, "Set a bias" if row < 0 else "Set a weight",
                                           f"{name}: {weight_name(row, col)} =", current, -1e6, 1e6, 6)
        return value if ok else None

    def _ask_restore(self, source: str) -> bool:
        B = QMessageBox.StandardButton
        what = f"“{Path(source).name}”" if source else "an untitled network"
        return QMessageBox.question(
            self, "Restore unsaved work?",
            f"nnbuilder did not close normally last time. Restore the autosaved copy of {what}?",
            B.Yes | B.No, B.Yes) == B.Yes
