"""The window's actions, menus and toolbars: :class:`WindowMenus` builds the
``act_*`` actions, the File, Edit, View, Run and Help menus, the two toolbars
with the training buttons and counters, each action connected to the room
that does the work.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoGroup
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QToolButton, QWidget

from nnbuilder.core.files.examples import shipped_examples

from .files import FileRoom
from .import_flows import ImportFlows
from ..diagram.scene import NetworkScene
from ..widgets.scale import SCALES
from ..widgets.icons import icon
from ..widgets.theme import THEMES
from ..diagram.view import NetworkView


class WindowMenus:
    """Builds them into ``window``; the actions, buttons and counters are this
    object's attributes (the window takes them under the same names). The
    window's own commands come as callables."""

    def __init__(self, window: QMainWindow, files: FileRoom, imports: ImportFlows, undo_group: QUndoGroup,
                 scene: NetworkScene, view: NetworkView, docks: dict[str, QDockWidget], speed: QWidget, *,
                 select_all: Callable, auto_layout: Callable, set_theme: Callable[[str], None],
                 reset_layout: Callable, show_lessons: Callable, about: Callable,
                 show_shortcuts: Callable, set_quiz: Callable[[bool], None],
                 export_animation: Callable, presentation: Callable, hide_panels: Callable,
                 presentation_scale: Callable[[float], None]):
        K = QKeySequence.StandardKey

        def action(name, text, slot, shortcut=None, tip=None, icon_name=None) -> QAction:
            a = QAction(text, window)
            a.setObjectName(name)
            if shortcut is not None:
                a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
            if tip:
                a.setStatusTip(tip)
                a.setToolTip(tip)
            if icon_name is not None:
                a.setIcon(icon(icon_name))
            a.triggered.connect(slot)
            window.addAction(a)
            return a

        def tool_button(name, text, icon_name, tip) -> QToolButton:
            b = QToolButton()
            b.setObjectName(name)
            b.setAccessibleName(text)
            b.setText(text)
            b.setToolTip(tip)
            b.setIcon(icon(icon_name))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            return b

        def label(name, text) -> QLabel:
            lab = QLabel(text)
            lab.setObjectName(name)
            return lab

        # ------------------------------------------------------------ actions
        self.act_new = action("actionNew", "&New", files.new_document, K.New, "Start an empty network", "new")
        self.act_open = action("actionOpen", "&Open…", lambda: files.open_file(), K.Open, "Open a model file",
                               "open")
        self.act_import = action("actionImportData", "&Import data…", lambda: imports.import_data(),
                                 "Ctrl+I", "Import a CSV table as the training data")
        self.act_save = action("actionSave", "&Save", files.save, K.Save, "Save the network", "save")
        self.act_save_as = action("actionSaveAs", "Save &As…", files.save_as, K.SaveAs, "Save under a new name")
        self.act_save_with_data = action(
            "actionSaveWithData", "Save with &data…", lambda: files.save_with_data(),
            tip="Save under a new name with the imported data's rows inside, so the file "
                "needs no CSV file beside it")
        self.act_export_weights = action("actionExportWeights", "Export trained &weights (JSON)…",
                                         files.export_weights, tip="Write the network with its trained weights")
        self.act_export_png = action("actionExportPng", "Export diagram as &PNG…", lambda: files.export_png())
        self.act_export_svg = action("actionExportSvg", "Export diagram as S&VG…", lambda: files.export_svg())
        self.act_export_onnx = action("actionExportOnnx", "&ONNX…", lambda: files.export_network("onnx"),
                                      tip="Write the trained network as an ONNX graph")
        self.act_export_torch = action("actionExportTorch", "Py&Torch script…",
                                       lambda: files.export_network("torch"),
                                       tip="Write the trained network as one PyTorch file that "
                                           "can train on (torchrun)")
        self.act_export_animation = action(
            "actionExportAnimation", "&Animation…", lambda: export_animation(),
            tip="Write the output view over the run (from the timeline's moments) as an animated GIF "
                "or a PNG sequence, for slides")
        self.act_import_onnx = action("actionImportOnnx", "&ONNX model…", lambda: imports.import_onnx(),
                                      tip="Open an ONNX model of layers and activations as a network")
        self.act_export_loss_csv = action("actionExportLossCsv", "Export loss history as &CSV…",
                                          lambda: files.export_loss_csv())
        self.act_export_plots = action("actionExportPlots", "Export &plots (PNG and SVG)…",
                                       lambda: files.export_plots())
        self.act_quit = action("actionQuit", "&Quit", window.close, K.Quit)
        self.act_undo = undo_group.createUndoAction(window, "&Undo")
        self.act_undo.setObjectName("actionUndo")
        self.act_undo.setShortcuts([QKeySequence(K.Undo)])
        self.act_undo.setIcon(icon("undo"))
        self.act_redo = undo_group.createRedoAction(window, "&Redo")
        self.act_redo.setObjectName("actionRedo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_redo.setIcon(icon("redo"))
        window.addAction(self.act_undo)
        window.addAction(self.act_redo)
        self.act_delete = action("actionDelete", "&Delete", scene.delete_selection,
                                 [QKeySequence(K.Delete), QKeySequence(Qt.Key.Key_Backspace)],
                                 "Delete the selected layers and connections", "delete")
        self.act_select_all = action("actionSelectAll", "Select &All", select_all, K.SelectAll)
        self.act_connect = action("actionConnect", "&Connect…", view.start_connection, "C",
                                  "Connect the selected layer (C in the diagram): Tab or the arrows "
                                  "choose the target, Enter connects, Esc cancels")
        # A plain letter: only while the diagram has the focus (a text box keeps its C).
        self.act_connect.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        view.addAction(self.act_connect)
        self.act_zoom_in = action("actionZoomIn", "Zoom &In", lambda: view.zoom_by(1.25),
                                  [QKeySequence("Ctrl+="), QKeySequence("Ctrl++")], "Zoom in (Ctrl+wheel)")
        self.act_zoom_out = action("actionZoomOut", "Zoom &Out", lambda: view.zoom_by(0.8),
                                   [QKeySequence("Ctrl+-")], "Zoom out (Ctrl+wheel)")
        self.act_zoom_reset = action("actionZoomReset", "&Actual Size", view.reset_zoom, "Ctrl+0")
        self.act_fit = action("actionFit", "&Fit", view.fit, "Ctrl+Shift+F", "Fit the whole network in the view")
        self.act_layout = action("actionAutoLayout", "Auto-&layout", auto_layout, "Ctrl+L",
                                 "Arrange layers left to right")
        self.act_reset_layout = action("actionResetLayout", "&Reset layout", reset_layout,
                                       tip="Put every panel back where it was at the first start")
        self.act_presentation = action("actionPresentation", "&Presentation", lambda *_: presentation(), "F11",
                                       "Full screen, every font at the presentation scale, larger counters")
        self.act_presentation.setCheckable(True)
        self.act_hide_panels = action("actionHidePanels", "&Hide panels", lambda *_: hide_panels(),
                                      [QKeySequence("F10"), QKeySequence("Ctrl+Shift+H")],
                                      "Hide every panel but the Output view; again: bring them back")
        self.act_hide_panels.setCheckable(True)
        self.act_lessons = action("actionLessons", "&Lessons", show_lessons, "F1",
                                  "Guided lessons: the perceptron, XOR, activations, losses, gradient "
                                  "descent, parameters, the chain rule")

        # ------------------------------------------------ training buttons, counters
        self.play_button = tool_button("playButton", "Train", "play", "Train (Space): start or pause")
        self.step_button = tool_button("stepButton", "Step", "step",
                                       "One step (one batch); with Shift held, one epoch")
        self.reset_button = tool_button("resetButton", "Reset", "reset",
                                        "New weights from the same seed; with Shift or Ctrl "
                                        "held, from a new seed")
        self.epoch_label = label("epochLabel", "Epoch 0")
        self.rate_label = label("stepsPerSecLabel", "0 steps/s")
        self.elapsed_label = label("elapsedLabel", "00:00:00")
        self.elapsed_label.setToolTip("Time spent training")
        self.loss_label = label("lossLabel", "")

        # -------------------------------------------------------------- menus
        mb = window.menuBar()
        m = mb.addMenu("&File")
        m.setObjectName("fileMenu")
        m.addActions([self.act_new, self.act_open])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(lambda: fill_recent_menu(self.recent_menu, files))
        self.examples_menu = m.addMenu("E&xamples")
        self.examples_menu.setObjectName("examplesMenu")
        for ex in shipped_examples():  # each with what it shows, on one line
            a = self.examples_menu.addAction(f"{ex.name}  —  {ex.description}".rstrip(" —"),
                                             lambda *_, ex=ex: files.open_example(ex))
            a.setObjectName(f"example_{ex.name}")
            a.setStatusTip(f"Open the example {ex.path.name} (untitled: Save asks where)")
        m.addAction(self.act_import)
        sub = m.addMenu("I&mport")
        sub.setObjectName("importMenu")
        sub.addAction(self.act_import_onnx)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as, self.act_save_with_data])
        m.addSeparator()
        m.addActions([self.act_export_weights, self.act_export_png, self.act_export_svg,
                      self.act_export_plots, self.act_export_loss_csv])
        sub = m.addMenu("&Export")
        sub.setObjectName("exportMenu")
        sub.addActions([self.act_export_onnx, self.act_export_torch, self.act_export_animation])
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.setObjectName("editMenu")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_delete, self.act_select_all, self.act_connect])
        m = mb.addMenu("&View")
        m.setObjectName("viewMenu")
        m.addActions([self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset, self.act_fit])
        m.addSeparator()
        m.addAction(self.act_layout)
        m.addSeparator()
        # A view setting, not an edit: the teacher asks the class first, then reveals.
        self.act_quiz = action("actionQuiz", "&Quiz mode", set_quiz, "Ctrl+Shift+Q",
                               "Hide the parameter counts and the accuracy until you reveal them "
                               "(choose Quiz mode again)")
        self.act_quiz.setCheckable(True)
        # Its state in words: on its buttons (the Lessons panel's) and, while on, in the status bar.
        self.quiz_label = label("statusQuiz", "Quiz mode: counts and accuracy hidden")
        self.act_quiz.toggled.connect(self._show_quiz)
        self._show_quiz(False)
        m.addAction(self.act_quiz)
        m.addSeparator()
        theme_menu = m.addMenu("&Theme")
        theme_menu.setObjectName("themeMenu")
        self.theme_actions = {}
        themes = QActionGroup(window)  # a choice of one: drawn as radio items
        for t in THEMES:
            a = theme_menu.addAction(t.capitalize(), lambda t=t: set_theme(t))
            a.setCheckable(True)
            themes.addAction(a)
            self.theme_actions[t] = a
        m.addSeparator()
        m.addActions([self.act_presentation, self.act_hide_panels])
        scale_menu = m.addMenu("Presentation &scale")
        scale_menu.setObjectName("presentationScaleMenu")
        self.scale_actions = {}
        group = QActionGroup(window)
        for scale in SCALES:
            a = scale_menu.addAction(f"{scale:.0%}", lambda scale=scale: presentation_scale(scale))
            a.setCheckable(True)
            group.addAction(a)
            self.scale_actions[scale] = a
        panels = m.addMenu("&Panels")
        panels.setObjectName("panelsMenu")
        panels.addAction(self.act_reset_layout)
        panels.addSeparator()
        for dock in docks.values():
            panels.addAction(dock.toggleViewAction())
        # The training toolbar's commands, for the keyboard too (the window connects them to the run).
        m = mb.addMenu("&Run")
        m.setObjectName("runMenu")
        self.act_train = action("actionTrain", "&Train or pause\tSpace", lambda: None,
                                tip="Start training, or pause it (Space, where the focus is not a button)")
        self.act_step = action("actionStep", "&Step", lambda: None, "Ctrl+.", "One step (one batch)")
        self.act_step_epoch = action("actionStepEpoch", "Step an &epoch", lambda: None, "Ctrl+Shift+.",
                                     "Steps to the end of the epoch")
        self.act_reset = action("actionReset", "&Reset", lambda: None, "Ctrl+R",
                                "New weights from the same seed")
        self.act_reset_seed = action("actionResetSeed", "Reset with a &new seed", lambda: None, "Ctrl+Shift+R",
                                     "New weights from a new seed")
        m.addActions([self.act_train, self.act_step, self.act_step_epoch])
        m.addSeparator()
        m.addActions([self.act_reset, self.act_reset_seed])
        m.addSeparator()
        speed_menu = m.addMenu("S&peed")
        speed_menu.setObjectName("speedMenu")
        speeds = QActionGroup(window)
        self.speed_actions = []
        for i in range(speed.count()):
            a = speed_menu.addAction(speed.itemText(i), lambda i=i: speed.setCurrentIndex(i))
            a.setCheckable(True)
            speeds.addAction(a)
            self.speed_actions.append(a)
        speed.currentIndexChanged.connect(lambda i: 0 <= i < len(self.speed_actions)
                                          and self.speed_actions[i].setChecked(True))
        if 0 <= speed.currentIndex() < len(self.speed_actions):
            self.speed_actions[speed.currentIndex()].setChecked(True)
        m = mb.addMenu("&Help")
        m.setObjectName("helpMenu")
        m.addAction(self.act_lessons)
        self.act_shortcuts = action("actionShortcuts", "&Keyboard shortcuts", show_shortcuts,
                                    tip="Every key of the window and of the diagram")
        m.addAction(self.act_shortcuts)
        m.addAction("&About nnbuilder", about)

        # ----------------------------------------------------------- toolbars
        tb = self.file_toolbar = window.addToolBar("File")
        tb.setObjectName("fileToolBar")
        tb.addActions([self.act_new, self.act_open, self.act_save])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo, self.act_delete])
        tb.addSeparator()
        tb.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_layout])
        tb = self.training_toolbar = window.addToolBar("Training")
        tb.setObjectName("trainingToolBar")
        for b in (self.play_button, self.step_button, self.reset_button):
            tb.addWidget(b)
        tb.addWidget(speed)
        tb.addSeparator()
        for lab in (self.epoch_label, self.rate_label, self.elapsed_label, self.loss_label):
            lab.setContentsMargins(8, 0, 8, 0)
            tb.addWidget(lab)


    def _show_quiz(self, on: bool) -> None:
        self.act_quiz.setIconText("Quiz mode: on" if on else "Quiz mode: off")
        self.act_quiz.setToolTip("Quiz mode is on: the parameter counts and the accuracy are hidden. "
                                 "Press to reveal them" if on else
                                 "Hide the parameter counts and the accuracy until you reveal them")
        self.quiz_label.setVisible(on)


def fill_recent_menu(menu: QMenu, files: FileRoom) -> None:
    """File > Open Recent, read afresh each time it opens."""
    menu.clear()
    recent = files.recent_files()
    for p, name in zip(recent, recent_labels(recent)):
        a = menu.addAction(name, lambda p=p: files.open_file(p))
        a.setToolTip(p)
        a.setEnabled(Path(p).exists())
    if not recent:
        menu.addAction("(none)").setEnabled(False)


def recent_labels(paths: list[str]) -> list[str]:
    """A label per path, its file name; files of the same name get as many of
    their folders as tell them apart ("xor.json — a/examples" and
    "xor.json — b/examples", not "xor.json — examples" twice)."""
    parts = [Path(p).parent.parts for p in paths]
    labels = []
    for p, mine in zip(paths, parts):
        name = Path(p).name
        others = [q for path, q in zip(paths, parts) if Path(path).name == name and q != mine]
        if not others:
            labels.append(name)
            continue
        depth = 1
        while depth < len(mine) and any(q[-depth:] == mine[-depth:] for q in others):
            depth += 1
        labels.append(f"{name} — {Path(*mine[-depth:])}")
    return labels
