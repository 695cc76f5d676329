"""The main window: it builds the widgets and the rooms, wires their signals,
and holds the menus, the docks and the file operations.

The rooms (see the README's development section):
- :class:`~.data_controller.DataController`: the document's data, loaded;
- :class:`~.run_controller.RunController`: the training run and its worker;
- :class:`~.live_view.LiveView`: draws the run on a 30 Hz timer;
- :class:`~.learn.LearnController`: one sample, one weight's chain rule, Step through;
- :class:`~.surface_link.SurfaceLink`: feeds the loss-surface view;
- :class:`~.timeline_view.TimelineView` and :class:`~.lesson_controller.LessonController`: looking
  back over the run, and the lessons.
Each takes its collaborators in its constructor; none holds this window.
Menus and toolbars are in :mod:`.menus`, file operations in :mod:`.files`
(exports in :mod:`.exports`, the autosave side file in :mod:`.autosave`).
About 430 lines, a little over the usual 400: building the widgets and docks, wiring
the rooms and the dialogs (which tests answer) stay together; the layout of
the docks is in :mod:`.window_layout`.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QScrollArea,
)
from threadpoolctl import threadpool_limits

from nnbuilder.core.errors import ModelFileError
from nnbuilder.core.modelfile import load_model
from nnbuilder.core.resources import resource_root

from . import autosave as side_file
from .curves import CurvesPanel, LayerPlot
from .data_controller import DataController
from .document import DEFAULT_EXAMPLE, Document
from .files import MODEL_FILTER, WindowFiles, settings
from .importer import DATA_FILTER, ImportDialog, TableLoader
from .inspector import Inspector
from .learn import LearnController
from .learn_panel import LearnPanel
from .lesson_controller import LessonController
from .lesson_panel import LessonPanel
from .live_view import Counters, LiveView
from .menus import WindowMenus
from .output_panel import OutputPanel
from .palette import LayerPalette
from .panels import NetworkPanel, ProblemsList
from .pins import RunPins
from .plots import BoundaryPlot
from .run_controller import RunController
from .scene import NetworkScene
from .surface_link import SurfaceLink
from .surface_view import SurfaceView
from .theme import THEMES, apply_theme
from .timeline_view import TimelineView
from .training_panel import TrainingPanel
from .view import NetworkView
from .wheel_guard import install_wheel_guard
from .window_layout import LAYOUT_VERSION, WindowLayout

MIN_SETTINGS_WIDTH = 200  # the Training panel's column, at the least
SHIFT_OR_CTRL = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier


def held(modifiers) -> bool:
    """True while one of ``modifiers`` is held (e.g. Shift+click on Step)."""
    return bool(QApplication.keyboardModifiers() & modifiers)


class MainWindow(WindowMenus, WindowFiles, WindowLayout, QMainWindow):
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
        self.params_label = QLabel()
        self.params_label.setObjectName("statusParams")
        self.problems_label = QLabel()  # "✗ 1 error, ⚠ 2 warnings": a click shows the list
        self.problems_label.setObjectName("statusProblems")
        self.problems_label.linkActivated.connect(lambda _: self.docks["problemsDock"].raise_())
        self.statusBar().addPermanentWidget(self.problems_label)
        self.statusBar().addPermanentWidget(self.params_label)
        self._make_docks()
        self.make_actions()
        self.make_menus_and_toolbars()
        self._toolbar_break = False

        # Rooms: data -> run -> live view; each gets what it needs, not the window.
        self.data = DataController(self.training_panel, self.output_panel.options, self)
        self.run = RunController(self.data, self.training_panel,
                                 lambda *a: self._ask_weight(*a), self)
        counters = Counters(self.epoch_label, self.rate_label, self.elapsed_label, self.loss_label,
                            self.play_button)
        self.live = LiveView(self.run, self.data, self.output_panel.options, self.boundary, self.curves,
                             self.layer_plot, self.scene, counters, self)
        self.pins = RunPins(self.run, self.curves, self.live.frameDrawn, self)
        self.learn = LearnController(self.run, self.data, self.learn_panel, self.scene, self.boundary, self)
        self.surface = SurfaceLink(self.run, self.data, self.surface_view, self)
        self.timeline = TimelineView(self.live, self.curves.timeline, self)
        self.loader: TableLoader | None = None  # a CSV file being read
        self.import_dialog: ImportDialog | None = None
        self.import_progress: QProgressDialog | None = None
        self._wire()
        install_wheel_guard(self)  # only a focused combo or spin box takes the wheel

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(side_file.AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.lessons = LessonController(self.run, self.data, self.training_panel, self.learn, self.lesson_panel,
                                        lambda *a: self.open_lesson_network(*a), self)

        self._restore_settings()
        self.theme = settings().value("theme", "system")
        if self.theme not in THEMES:
            self.theme = "system"
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda *_: self.theme == "system" and self.set_theme("system"))

        if path is not None:
            self.set_document(Document())
            if not self.open_file(str(path), ask_to_save=False):
                self.load_example()
        else:
            self.load_example()
        if offer_restore:
            QTimer.singleShot(0, self.offer_restore)

    # ---------------------------------------------------------------- set-up
    def _make_docks(self) -> None:
        self.docks: dict[str, QDockWidget] = {}
        L, R, B = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                   Qt.DockWidgetArea.BottomDockWidgetArea)
        training_scroll = QScrollArea()  # the settings scroll when the window is short
        training_scroll.setWidget(self.training_panel)
        training_scroll.setWidgetResizable(True)
        training_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        for name, title, widget, area in [
                ("layersDock", "Layers", self.palette_list, L),
                ("trainingDock", "Training", training_scroll, L),
                ("outputDock", "Output", self.output_panel, R),
                ("inspectorDock", "Inspector", self.inspector, R),
                ("learnDock", "Learn", self.learn_panel, R),
                ("surfaceDock", "Loss surface", self.surface_view, R),
                ("lessonDock", "Lessons", self.lesson_panel, R),
                ("curvesDock", "Loss and accuracy", self.curves, B),
                ("problemsDock", "Problems", self.problems, B),
                ("networkDock", "Network", self.network_panel, B),
                ("gradientsDock", "Weights and gradients", self.layer_plot, B)]:
            dock = QDockWidget(title, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        # The left column runs the full height (the Training settings keep their
        # room in a short window); the plots run under the diagram and the output view.
        self.setCorner(Qt.Corner.BottomLeftCorner, L)
        self.setCorner(Qt.Corner.BottomRightCorner, B)
        self.tabifyDockWidget(self.docks["inspectorDock"], self.docks["learnDock"])
        self.tabifyDockWidget(self.docks["learnDock"], self.docks["surfaceDock"])
        self.docks["inspectorDock"].raise_()
        self.tabifyDockWidget(self.docks["problemsDock"], self.docks["networkDock"])
        self.tabifyDockWidget(self.docks["networkDock"], self.docks["gradientsDock"])
        self.docks["networkDock"].raise_()
        # Lessons: a column of their own, right of the others, shown by Help > Lessons.
        self.addDockWidget(R, self.docks["lessonDock"], Qt.Orientation.Horizontal)
        self.docks["lessonDock"].hide()
        # The settings never collapse to a sliver (a saved layout once left them 60 px wide).
        training_scroll.setMinimumWidth(MIN_SETTINGS_WIDTH)
        self._initial_state = self.saveState(LAYOUT_VERSION)  # what View > Panels > Reset layout returns to

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
        self.scene.selectionChanged.connect(self._selection_changed)
        self.palette_list.addRequested.connect(self._add_at_center)
        self.problems.nodeRequested.connect(self.select_node)
        self.view.fileDropped.connect(self.open_dropped)
        self.play_button.clicked.connect(run.toggle_play)
        self.step_button.clicked.connect(lambda: run.step(held(Qt.KeyboardModifier.ShiftModifier)))
        self.reset_button.clicked.connect(lambda: run.reset(held(SHIFT_OR_CTRL)))
        self.space = QShortcut(QKeySequence(Qt.Key.Key_Space), self, run.toggle_play)
        panel.configChanged.connect(run.config_changed)
        panel.speedChanged.connect(run.set_speed)
        panel.datasetChanged.connect(data.panel_changed)
        panel.importRequested.connect(lambda: self.import_data())
        panel.normalizeChanged.connect(data.set_normalize)
        self.scene.weightEditRequested.connect(run.edit_weight)
        self.boundary.pointClicked.connect(
            lambda x, y, remove, nxt: data.paint(x, y, remove, paint.current_class() + int(nxt)))
        paint.clearRequested.connect(data.clear_points)
        paint.classesChanged.connect(data.set_paint_classes)
        self.live.frameDrawn.connect(self.learn.snapshot_drawn)
        self.live.frameDrawn.connect(self.surface.snapshot_drawn)
        run.trainingChanged.connect(self.surface.config_changed)  # an edit, an undo or a redo
        self.learn.weightChosen.connect(self.surface.show_weight)
        self.timeline.lookingBack.connect(self.learn.set_looking_back)
        learn_dock = self.docks["learnDock"]
        for clicked in (self.scene.weightClicked, self.boundary.sampleClicked):
            clicked.connect(lambda *_: learn_dock.raise_())

    def _show_ready(self, reason: str | None) -> None:
        """Train, Step and Reset work when the network and data fit together."""
        self.play_button.setEnabled(reason is None or self.run.running)
        self.step_button.setEnabled(reason is None)
        self.reset_button.setEnabled(reason is None)
        self.play_button.setToolTip(f"Cannot train: {reason}" if reason else "Train (Space): start or pause")
        self.network_panel.set_ready(reason)

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
        document.graphChanged.connect(self.validate)
        document.undo_stack.cleanChanged.connect(self._update_title)
        self.validate()
        QTimer.singleShot(0, self.view.fit)

    def load_example(self) -> None:
        """The built-in example: a 2-4-4-1 network for the circle dataset, untitled."""
        try:
            doc = Document(load_model(DEFAULT_EXAMPLE))
        except ModelFileError as e:  # a broken installation: still open a window
            self.show_status(str(e))
            doc = Document()
        doc.example_name = DEFAULT_EXAMPLE.stem
        doc.auto_layout(undoable=False)
        self.set_document(doc)

    def document_name(self) -> str:
        """What the title bar and the save prompt call the document."""
        doc = self.document
        if doc.path is None and doc.example_name:
            return f"Example: {doc.example_name}"
        return doc.title

    def _update_title(self, *_) -> None:
        self.setWindowTitle(f"{self.document_name()}[*] — nnbuilder")
        self.setWindowModified(self.document.modified)

    def validate(self) -> list:
        problems = self.document.graph.validate()
        self.scene.refresh_problems(problems)
        self.problems.set_problems(problems)
        self.network_panel.update_from(self.document, problems)
        # Problems cannot be missed: counted on their tab and in the status bar.
        self.docks["problemsDock"].setWindowTitle(self.problems.title())
        self.problems_label.setText(self.problems.badge())
        self.problems_label.setToolTip(self.problems.badge_tooltip())
        self.params_label.setText(f"{self.document.graph.total_params():,} parameters")
        self._update_title()
        return problems

    # ------------------------------------------------------------- editing
    def _selection_changed(self) -> None:
        ids = self.scene.selected_node_ids()
        self.inspector.show_node(ids[0] if len(ids) == 1 else None)

    def select_node(self, node_id: str) -> None:
        item = self.scene.node_items.get(node_id)
        if item is None:
            return
        self.scene.clearSelection()
        item.setSelected(True)
        self.view.centerOn(item)

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
        if not text:  # (Qt's timer of an empty message with a timeout never stops: 1 ms kept a core busy)
            self.statusBar().clearMessage()
            return
        self.statusBar().showMessage(text, ms)

    # ----------------------------------------------------------- theme/misc
    def set_theme(self, mode: str) -> None:
        self.theme = mode
        apply_theme(mode)
        for t, a in self.theme_actions.items():
            a.setChecked(t == mode)
        self.view.resetCachedContent()  # the cached background (the dotted grid) too
        for item in self.scene.items():  # cached items repaint only when told to
            item.update()
        for view in (self.curves, self.boundary, self.layer_plot):
            view.apply_theme()

    def changeEvent(self, event):
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.scene.update()
        super().changeEvent(event)

    def dragEnterEvent(self, event):
        if NetworkView.model_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        files = NetworkView.model_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.open_dropped(files[0])

    def closeEvent(self, event):
        if not self.maybe_save():
            event.ignore()
            return
        self.run.shutdown()
        if self.loader is not None:
            self.loader.cancel()
        self._save_settings()
        self.autosave_timer.stop()
        side_file.clear_autosave()
        event.accept()

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
        B = QMessageBox.StandardButton
        r = QMessageBox.question(self, "Unsaved changes",
                                 f"Save the changes to “{self.document_name()}” before closing it?",
                                 B.Save | B.Discard | B.Cancel, B.Save)
        return {B.Save: "save", B.Discard: "discard"}.get(r, "cancel")

    def _ask_open_path(self) -> str:
        return QFileDialog.getOpenFileName(self, "Open network", self._last_dir(), MODEL_FILTER)[0]

    def _ask_data_path(self) -> str:
        return QFileDialog.getOpenFileName(self, "Import data", self._last_dir(), DATA_FILTER)[0]

    def _ask_save_path(self, caption: str, suggested: str, file_filter: str) -> str:
        return QFileDialog.getSaveFileName(self, caption, str(Path(self._last_dir()) / suggested),
                                           file_filter)[0]

    def _ask_weight(self, node_id: str, row: int, col: int, current: float) -> float | None:
        name = self.document.graph.label(node_id)
        value, ok = QInputDialog.getDouble(self, "Set a weight", f"{name}: W[{row + 1}, {col + 1}] =",
                                           current, -1e6, 1e6, 6)
        return value if ok else None

    def _ask_restore(self, source: str) -> bool:
        B = QMessageBox.StandardButton
        what = f"“{Path(source).name}”" if source else "an untitled network"
        return QMessageBox.question(
            self, "Restore unsaved work?",
            f"nnbuilder did not close normally last time. Restore the autosaved copy of {what}?",
            B.Yes | B.No, B.Yes) == B.Yes
