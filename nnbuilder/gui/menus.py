"""The main window's actions, menus and toolbars, as a mixin of
:class:`~.mainwindow.MainWindow` (kept apart only so that neither file
passes ~400 lines). It creates the ``act_*`` actions and the training
buttons and counters; the slots are the window's own methods.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QStyle, QToolButton

from nnbuilder.core.examples import shipped_examples

from .theme import THEMES


class WindowMenus:
    """Mixed into MainWindow (a QMainWindow); see the module docstring."""

    def _action(self, name, text, slot, shortcut=None, tip=None, icon=None) -> QAction:
        a = QAction(text, self)
        a.setObjectName(name)
        if shortcut is not None:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def make_actions(self) -> None:
        S, K = QStyle.StandardPixmap, QKeySequence.StandardKey
        self.act_new = self._action("actionNew", "&New", self.new_document, K.New, "Start an empty network", S.SP_FileIcon)
        self.act_open = self._action("actionOpen", "&Open…", lambda: self.open_file(), K.Open, "Open a model file", S.SP_DialogOpenButton)
        self.act_import = self._action("actionImportData", "&Import data…", lambda: self.import_data(),
                                       "Ctrl+I", "Import a CSV table as the training data")
        self.act_save = self._action("actionSave", "&Save", self.save, K.Save, "Save the network", S.SP_DialogSaveButton)
        self.act_save_as = self._action("actionSaveAs", "Save &As…", self.save_as, K.SaveAs, "Save under a new name")
        self.act_save_with_data = self._action(
            "actionSaveWithData", "Save with &data…", lambda: self.save_with_data(),
            tip="Save under a new name with the imported data's rows inside, so the file "
                "needs no CSV file beside it")
        self.act_export_weights = self._action("actionExportWeights", "Export trained &weights (JSON)…",
                                               self.export_weights, tip="Write the network with its trained weights")
        self.act_export_png = self._action("actionExportPng", "Export diagram as &PNG…", self.export_png)
        self.act_export_svg = self._action("actionExportSvg", "Export diagram as S&VG…", self.export_svg)
        self.act_export_onnx = self._action("actionExportOnnx", "&ONNX…", lambda: self.export_network("onnx"),
                                            tip="Write the trained network as an ONNX graph")
        self.act_export_torch = self._action("actionExportTorch", "Py&Torch script…",
                                             lambda: self.export_network("torch"),
                                             tip="Write the trained network as one PyTorch file that "
                                                 "can train on (torchrun)")
        self.act_import_onnx = self._action("actionImportOnnx", "&ONNX model…", lambda: self.import_onnx(),
                                            tip="Open an ONNX model of layers and activations as a network")
        self.act_quit = self._action("actionQuit", "&Quit", self.close, K.Quit)
        self.act_undo = self.undo_group.createUndoAction(self, "&Undo")
        self.act_undo.setObjectName("actionUndo")
        self.act_undo.setShortcuts([QKeySequence(K.Undo)])
        self.act_undo.setIcon(self.style().standardIcon(S.SP_ArrowBack))
        self.act_redo = self.undo_group.createRedoAction(self, "&Redo")
        self.act_redo.setObjectName("actionRedo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_redo.setIcon(self.style().standardIcon(S.SP_ArrowForward))
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_delete = self._action("actionDelete", "&Delete", self.scene.delete_selection,
                                       [QKeySequence(K.Delete), QKeySequence(Qt.Key.Key_Backspace)],
                                       "Delete the selected layers and connections", S.SP_TrashIcon)
        self.act_select_all = self._action("actionSelectAll", "Select &All", self.select_all, K.SelectAll)
        self.act_zoom_in = self._action("actionZoomIn", "Zoom &In", lambda: self.view.zoom_by(1.25),
                                        [QKeySequence("Ctrl+="), QKeySequence("Ctrl++")], "Zoom in (Ctrl+wheel)")
        self.act_zoom_out = self._action("actionZoomOut", "Zoom &Out", lambda: self.view.zoom_by(0.8),
                                         [QKeySequence("Ctrl+-")], "Zoom out (Ctrl+wheel)")
        self.act_zoom_reset = self._action("actionZoomReset", "&Actual Size", self.view.reset_zoom, "Ctrl+0")
        self.act_fit = self._action("actionFit", "&Fit", self.view.fit, "Ctrl+Shift+F",
                                    "Fit the whole network in the view")
        self.act_layout = self._action("actionAutoLayout", "Auto-&layout", self.auto_layout, "Ctrl+L",
                                       "Arrange layers left to right")
        self.play_button = self._tool_button("playButton", "Train", S.SP_MediaPlay,
                                             "Train (Space): start or pause")
        self.step_button = self._tool_button("stepButton", "Step", S.SP_MediaSkipForward,
                                             "One step (one batch); with Shift held, one epoch")
        self.reset_button = self._tool_button("resetButton", "Reset", S.SP_BrowserReload,
                                              "New weights from the same seed; with Shift or Ctrl "
                                              "held, from a new seed")
        self.epoch_label = QLabel("Epoch 0")
        self.epoch_label.setObjectName("epochLabel")
        self.rate_label = QLabel("0 steps/s")
        self.rate_label.setObjectName("stepsPerSecLabel")
        self.elapsed_label = QLabel("00:00:00")
        self.elapsed_label.setObjectName("elapsedLabel")
        self.elapsed_label.setToolTip("Time spent training")
        self.loss_label = QLabel("")
        self.loss_label.setObjectName("lossLabel")
        self.act_export_loss_csv = self._action("actionExportLossCsv", "Export loss history as &CSV…",
                                                self.export_loss_csv)
        self.act_export_plots = self._action("actionExportPlots", "Export &plots (PNG and SVG)…",
                                             self.export_plots)

    def _tool_button(self, name, text, icon, tip) -> QToolButton:
        b = QToolButton()
        b.setObjectName(name)
        b.setAccessibleName(text)
        b.setText(text)
        b.setToolTip(tip)
        b.setIcon(self.style().standardIcon(icon))
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return b

    def make_menus_and_toolbars(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_new, self.act_open])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.examples_menu = m.addMenu("E&xamples")
        self.examples_menu.setObjectName("examplesMenu")
        for ex in shipped_examples():  # each with what it shows, on one line
            a = self.examples_menu.addAction(f"{ex.name}  —  {ex.description}".rstrip(" —"),
                                             lambda *_, ex=ex: self.open_example(ex))
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
        sub.addActions([self.act_export_onnx, self.act_export_torch])
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_delete, self.act_select_all])
        m = mb.addMenu("&View")
        m.addActions([self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset, self.act_fit])
        m.addSeparator()
        m.addAction(self.act_layout)
        m.addSeparator()
        theme_menu = m.addMenu("&Theme")
        self.theme_actions = {}
        for t in THEMES:
            a = theme_menu.addAction(t.capitalize(), lambda t=t: self.set_theme(t))
            a.setCheckable(True)
            self.theme_actions[t] = a
        docks = m.addMenu("&Panels")
        docks.addAction(self._action("actionResetLayout", "&Reset layout", self.reset_layout,
                                     tip="Put every panel back where it was at the first start"))
        docks.addSeparator()
        for dock in self.docks.values():
            docks.addAction(dock.toggleViewAction())
        m = mb.addMenu("&Help")
        m.addAction(self._action("actionLessons", "&Lessons", self.show_lessons, "F1",
                                 "Guided lessons: the perceptron, XOR, activations, losses, gradient "
                                 "descent, parameters, the chain rule"))
        m.addAction("&About nnbuilder", self._about)

        tb = self.addToolBar("File")
        tb.setObjectName("fileToolBar")
        tb.addActions([self.act_new, self.act_open, self.act_save])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo, self.act_delete])
        tb.addSeparator()
        tb.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_layout])
        tb = self.training_toolbar = self.addToolBar("Training")
        tb.setObjectName("trainingToolBar")
        for b in (self.play_button, self.step_button, self.reset_button):
            tb.addWidget(b)
        tb.addWidget(self.training_panel.speed)
        tb.addSeparator()
        for label in (self.epoch_label, self.rate_label, self.elapsed_label, self.loss_label):
            label.setContentsMargins(8, 0, 8, 0)
            tb.addWidget(label)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        names = [Path(p).name for p in files]
        for p, name in zip(files, names):
            if names.count(name) > 1:  # the same name from two folders: say which
                name = f"{name} — {Path(p).parent.name or Path(p).parent}"
            a = self.recent_menu.addAction(name, lambda p=p: self.open_file(p))
            a.setToolTip(p)
            a.setEnabled(Path(p).exists())
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
