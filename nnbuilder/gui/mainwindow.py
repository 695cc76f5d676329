"""The main window: palette, diagram, inspector, problems; menus and files."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from PySide6.QtCore import QEvent, QRectF, QSettings, QSize, QStandardPaths, Qt, QTimer
from PySide6.QtGui import (QAction, QGuiApplication, QImage, QKeySequence, QPainter, QShortcut,
                           QUndoGroup)
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QHBoxLayout, QInputDialog, QLabel,
                               QMainWindow, QMessageBox, QProgressDialog, QStyle, QToolButton,
                               QVBoxLayout, QWidget)

from nnbuilder.core.errors import ModelFileError, NNBuilderError
from nnbuilder.core.modelfile import load_model, save_model

from .document import DEFAULT_EXAMPLE, Document
from .importer import DATA_FILTER, DATA_SUFFIXES, ImportDialog, TableLoader
from .inspector import Inspector
from .palette import LayerPalette
from .panels import NetworkPanel, ProblemsList
from .plots import BoundaryPlot, CurvesPanel, LayerPlot
from .scene import NetworkScene
from .theme import THEMES, apply_theme
from .training import TrainingController, TrainingPanel
from .view import NetworkView

MODEL_FILTER = "nnbuilder models (*.json);;All files (*)"
MAX_RECENT = 10
AUTOSAVE_MS = 60_000


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "nnbuilder", "nnbuilder")


def write_svg(path: str, size: QSize, draw, title: str = "") -> bool:
    """Paint ``draw(device)`` into an SVG file of ``size``; True if it was written."""
    from PySide6.QtSvg import QSvgGenerator

    gen = QSvgGenerator()
    gen.setFileName(path)
    gen.setSize(size)
    gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
    gen.setTitle(title)
    draw(gen)
    return Path(path).exists()


def _paint_widget(widget, device) -> None:
    painter = QPainter(device)
    widget.render(painter)
    painter.end()


def state_dir() -> Path:
    """Where autosaves live (``NNBUILDER_STATE_DIR`` overrides, e.g. in tests)."""
    d = os.environ.get("NNBUILDER_STATE_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or str(Path.home() / ".nnbuilder")
    path = Path(d)
    path.mkdir(parents=True, exist_ok=True)
    return path


class MainWindow(QMainWindow):
    """The nnbuilder window. ``MainWindow()`` shows the built-in example,
    ``MainWindow(path)`` opens a model file."""

    def __init__(self, path: str | os.PathLike | None = None, offer_restore: bool = True):
        super().__init__()
        self.setObjectName("MainWindow")
        self.setAccessibleName("nnbuilder")
        self.setAcceptDrops(True)
        self.document: Document | None = None
        self.undo_group = QUndoGroup(self)

        self.scene = NetworkScene(self)
        self.view = NetworkView(self.scene, self)
        self.setCentralWidget(self.view)
        self.palette_list = LayerPalette()
        self.inspector = Inspector()
        self.network_panel = NetworkPanel()
        self.problems = ProblemsList()
        self.training_panel = TrainingPanel()
        self.boundary = BoundaryPlot()
        self.curves = CurvesPanel()
        self.layer_plot = LayerPlot()
        self._docks = {}
        L, R, B = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                   Qt.DockWidgetArea.BottomDockWidgetArea)
        self._add_dock("layersDock", "Layers", self.palette_list, L)
        from PySide6.QtWidgets import QScrollArea

        training_scroll = QScrollArea()  # the settings scroll when the window is short
        training_scroll.setWidget(self.training_panel)
        training_scroll.setWidgetResizable(True)
        training_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self._add_dock("trainingDock", "Training", training_scroll, L)
        output = QWidget()
        out_layout = QVBoxLayout(output)
        out_layout.setContentsMargins(0, 0, 0, 0)
        out_layout.setSpacing(2)
        out_layout.addWidget(self.boundary, 1)
        options = QHBoxLayout()
        options.setContentsMargins(6, 0, 6, 2)
        options.addWidget(self.training_panel.show_test)
        options.addWidget(self.training_panel.discretize)
        options.addStretch(1)
        out_layout.addLayout(options)
        slice_row = QHBoxLayout()  # for data with 3+ columns: which two the view spans
        slice_row.setContentsMargins(6, 0, 6, 2)
        self.slice_label = QLabel("x, y:")
        self.slice_label.setToolTip("The two features the output view spans; the others are "
                                    "held at their median")
        slice_row.addWidget(self.slice_label)
        slice_row.addWidget(self.training_panel.slice_x, 1)
        slice_row.addWidget(self.training_panel.slice_y, 1)
        out_layout.addLayout(slice_row)
        out_layout.addWidget(self._make_paint_row())
        self._add_dock("outputDock", "Output", output, R)
        right = QWidget()
        lay = QVBoxLayout(right)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.inspector, 1)
        self._add_dock("inspectorDock", "Inspector", right, R)
        self._add_dock("curvesDock", "Loss and accuracy", self.curves, B)
        self._add_dock("problemsDock", "Problems", self.problems, B)
        self._add_dock("networkDock", "Network", self.network_panel, B)
        self._add_dock("gradientsDock", "Weights and gradients", self.layer_plot, B)
        self.tabifyDockWidget(self._docks["problemsDock"], self._docks["networkDock"])
        self.tabifyDockWidget(self._docks["networkDock"], self._docks["gradientsDock"])
        self._docks["networkDock"].raise_()

        self.params_label = QLabel()
        self.params_label.setObjectName("statusParams")
        self.statusBar().addPermanentWidget(self.params_label)

        self._make_actions()
        self._make_menus_and_toolbars()

        self.scene.statusMessage.connect(self.show_status)
        self.inspector.statusMessage.connect(self.show_status)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.palette_list.addRequested.connect(self._add_at_center)
        self.problems.nodeRequested.connect(self.select_node)
        self.view.fileDropped.connect(self.open_dropped)

        self.training = TrainingController(self)
        self.loader: TableLoader | None = None  # a CSV file being read
        self.import_dialog: ImportDialog | None = None
        self.import_progress: QProgressDialog | None = None
        self.play_button.clicked.connect(self.training.toggle_play)
        self.step_button.clicked.connect(self.training.step)
        self.reset_button.clicked.connect(lambda: self.training.reset())
        self.training_panel.configChanged.connect(self.training.config_changed)
        self.training_panel.datasetChanged.connect(self.training.dataset_changed)
        self.training_panel.speedChanged.connect(self.training.set_speed)
        self.training_panel.importRequested.connect(lambda: self.import_data())
        self.training_panel.normalizeChanged.connect(self.training.set_normalize)
        self.training_panel.viewChanged.connect(self._view_options_changed)
        self.scene.weightEditRequested.connect(self.training.edit_weight)
        self.boundary.pointClicked.connect(self.training.paint)
        self._paint_clear.clicked.connect(self.training.clear_points)
        self.paint_classes.valueChanged.connect(self.training.set_paint_classes)
        self.space = QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.training.toggle_play)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

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
    def _add_dock(self, name, title, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self._docks[name] = dock
        return dock

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

    def _make_actions(self) -> None:
        S, K = QStyle.StandardPixmap, QKeySequence.StandardKey
        self.act_new = self._action("actionNew", "&New", self.new_document, K.New, "Start an empty network", S.SP_FileIcon)
        self.act_open = self._action("actionOpen", "&Open…", lambda: self.open_file(), K.Open, "Open a model file", S.SP_DialogOpenButton)
        self.act_import = self._action("actionImportData", "&Import data…", lambda: self.import_data(),
                                       "Ctrl+I", "Import a CSV table as the training data")
        self.act_save = self._action("actionSave", "&Save", self.save, K.Save, "Save the network", S.SP_DialogSaveButton)
        self.act_save_as = self._action("actionSaveAs", "Save &As…", self.save_as, K.SaveAs, "Save under a new name")
        self.act_export_weights = self._action("actionExportWeights", "Export trained &weights (JSON)…",
                                               self.export_weights, tip="Write the network with its trained weights")
        self.act_export_png = self._action("actionExportPng", "Export diagram as &PNG…", self.export_png)
        self.act_export_svg = self._action("actionExportSvg", "Export diagram as S&VG…", self.export_svg)
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

    def _make_paint_row(self) -> QWidget:
        """Class picker, number of classes and Clear, for painted data."""
        from PySide6.QtGui import QColor, QIcon, QPixmap
        from PySide6.QtWidgets import QButtonGroup, QPushButton, QSpinBox

        from .plots import CLASS_COLORS

        row = QWidget()
        row.setObjectName("paintRow")
        lay = QHBoxLayout(row)
        lay.setContentsMargins(6, 0, 6, 2)
        lay.addWidget(QLabel("Paint:"))
        self.paint_group = QButtonGroup(row)
        self.paint_buttons = []
        for k in range(6):
            pix = QPixmap(14, 14)
            pix.fill(QColor(CLASS_COLORS[k]))
            b = QToolButton()
            b.setObjectName(f"paintClass{k}")
            b.setIcon(QIcon(pix))
            b.setCheckable(True)
            b.setToolTip(f"Class {k}: click the output view to add a point of it "
                         "(Shift: the next class; Ctrl or right-click: remove the nearest)")
            self.paint_group.addButton(b, k)
            self.paint_buttons.append(b)
            lay.addWidget(b)
        self.paint_buttons[0].setChecked(True)
        self.paint_classes = QSpinBox()
        self.paint_classes.setObjectName("paintClassesSpin")
        self.paint_classes.setRange(2, 6)
        self.paint_classes.setToolTip("Number of classes")
        lay.addWidget(self.paint_classes)
        clear = QPushButton("Clear")
        clear.setObjectName("clearPointsButton")
        clear.setToolTip("Remove every painted point")
        lay.addWidget(clear)
        lay.addStretch(1)
        self.paint_row = row
        self._paint_clear = clear
        row.setVisible(False)
        return row

    def paint_class(self) -> int:
        return max(self.paint_group.checkedId(), 0)

    def show_paint_controls(self, dataset: dict) -> None:
        painted = "points" in dataset
        self.paint_row.setVisible(painted)
        self.boundary.set_painting(painted)
        if painted:
            k = dataset.get("classes", 2)
            self.paint_classes.blockSignals(True)
            self.paint_classes.setValue(k)
            self.paint_classes.blockSignals(False)
            for i, b in enumerate(self.paint_buttons):
                b.setVisible(i < k)
            if self.paint_class() >= k:
                self.paint_buttons[0].setChecked(True)

    def _tool_button(self, name, text, icon, tip) -> QToolButton:
        b = QToolButton()
        b.setObjectName(name)
        b.setAccessibleName(text)
        b.setText(text)
        b.setToolTip(tip)
        b.setIcon(self.style().standardIcon(icon))
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return b

    def _make_menus_and_toolbars(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_new, self.act_open])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        m.addAction(self.act_import)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addActions([self.act_export_weights, self.act_export_png, self.act_export_svg,
                      self.act_export_plots, self.act_export_loss_csv])
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
        for dock in self._docks.values():
            docks.addAction(dock.toggleViewAction())
        m = mb.addMenu("&Help")
        m.addAction("&About nnbuilder", self._about)

        tb = self.addToolBar("File")
        tb.setObjectName("fileToolBar")
        tb.addActions([self.act_new, self.act_open, self.act_save])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo, self.act_delete])
        tb.addSeparator()
        tb.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_layout])
        tb = self.addToolBar("Training")
        tb.setObjectName("trainingToolBar")
        for b in (self.play_button, self.step_button, self.reset_button):
            tb.addWidget(b)
        tb.addWidget(self.training_panel.speed)
        tb.addSeparator()
        for label in (self.epoch_label, self.rate_label, self.elapsed_label, self.loss_label):
            label.setContentsMargins(8, 0, 8, 0)
            tb.addWidget(label)

    def _restore_settings(self) -> None:
        s = settings()
        geometry = s.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        state = s.value("windowState")
        if state is not None:
            self.restoreState(state)
        self._first_layout = state is None

    def _default_layout(self) -> None:
        """First start: room for the diagram, slim panels around it (needs the final size)."""
        d = self._docks
        self.resizeDocks([d["curvesDock"]], [240], Qt.Orientation.Vertical)
        self.resizeDocks([d["curvesDock"], d["problemsDock"]], [900, 540], Qt.Orientation.Horizontal)
        self.resizeDocks([d["outputDock"], d["inspectorDock"]], [360, 230], Qt.Orientation.Vertical)
        self.resizeDocks([d["layersDock"], d["trainingDock"]], [140, 420], Qt.Orientation.Vertical)
        self.resizeDocks([d["layersDock"], d["outputDock"]], [262, 380], Qt.Orientation.Horizontal)

    def _save_settings(self) -> None:
        s = settings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("windowState", self.saveState())
        s.setValue("theme", self.theme)

    # -------------------------------------------------------------- document
    def set_document(self, document: Document) -> None:
        old = self.document
        if old is not None:
            self.training.shutdown()
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
        document.graphChanged.connect(self.validate)
        document.undo_stack.cleanChanged.connect(self._update_title)
        self.training.set_document(document)
        self.validate()
        self._update_title()
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

    def _update_title(self, *_) -> None:
        doc = self.document
        name = doc.title
        if doc.path is None and doc.example_name:
            name = f"Example: {doc.example_name}"
        self.setWindowTitle(f"{name}[*] — nnbuilder")
        self.setWindowModified(doc.modified)

    def validate(self) -> list:
        problems = self.document.graph.validate()
        self.scene.refresh_problems(problems)
        self.problems.set_problems(problems)
        self.network_panel.update_from(self.document, problems)
        errors = [p for p in problems if p.severity == "error"]
        total = self.document.graph.total_params()
        self.params_label.setText(f"{total:,} parameters" + (f" · {len(errors)} errors" if errors else ""))
        self.training.graph_changed()
        self.training.refresh_ready()
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
        c = self.view.mapToScene(self.view.viewport().rect().center())
        nid = self.document.add_node(node_type, (round(c.x()) - 75, round(c.y()) - 23))
        self.select_node(nid)

    def auto_layout(self) -> None:
        self.document.auto_layout()
        QTimer.singleShot(0, self.view.fit)

    def show_status(self, text: str, ms: int = 8000) -> None:
        self.statusBar().showMessage(text, ms)

    # ---------------------------------------------------- dialogs (overridable)
    def _error(self, title: str, text: str) -> None:
        QMessageBox.critical(self, title, text)

    def _ask_unsaved(self) -> str:
        """'save', 'discard' or 'cancel'."""
        B = QMessageBox.StandardButton
        r = QMessageBox.question(self, "Unsaved changes",
                                 f"Save the changes to {self.document.title} before closing it?",
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
        value, ok = QInputDialog.getDouble(self, "Set a weight", f"{node_id}: W[{row}, {col}] =",
                                           current, -1e6, 1e6, 6)
        return value if ok else None

    def _ask_restore(self, source: str) -> bool:
        B = QMessageBox.StandardButton
        what = f"“{Path(source).name}”" if source else "an untitled network"
        return QMessageBox.question(
            self, "Restore unsaved work?",
            f"nnbuilder did not close normally last time. Restore the autosaved copy of {what}?",
            B.Yes | B.No, B.Yes) == B.Yes

    def _last_dir(self) -> str:
        if self.document is not None and self.document.path:
            return str(Path(self.document.path).parent)
        return str(settings().value("lastDir", str(Path.home())))

    def _about(self) -> None:
        QMessageBox.about(self, "About nnbuilder",
                          "nnbuilder: build a neural network by drawing it, train it, export it.")

    # ----------------------------------------------------------------- files
    def maybe_save(self) -> bool:
        """True when the current document may be replaced or closed."""
        if self.document is None or not self.document.modified:
            return True
        answer = self._ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_document(self) -> None:
        if self.maybe_save():
            self.set_document(Document())
            self.clear_autosave()

    def open_file(self, path: str | None = None, ask_to_save: bool = True) -> bool:
        if ask_to_save and not self.maybe_save():
            return False
        path = path or self._ask_open_path()
        if not path:
            return False
        try:
            doc = Document.open(path)
        except ModelFileError as e:
            self._error("Cannot open file", f"{e}\n\nThe current network was left as it was.")
            self.show_status(f"Could not open {Path(path).name}")
            return False
        self.set_document(doc)
        self.clear_autosave()
        self._remember(path)
        self.show_status(f"Opened {path}")
        return True

    def open_dropped(self, path: str) -> None:
        """A file dropped on the window: a data table is imported, a model opened."""
        if path.lower().endswith(DATA_SUFFIXES):
            self.import_data(path)
        else:
            self.open_file(path)

    # ------------------------------------------------------------ import
    def import_data(self, path: str | None = None) -> bool:
        """Read a CSV file in the background (progress, Cancel), then show the
        import dialog; False if nothing was started."""
        path = path or self._ask_data_path()
        if not path:
            return False
        if self.loader is not None and self.loader.isRunning():
            self.show_status("Still reading the previous file")
            return False
        self.loader = loader = TableLoader(path, self)
        progress = QProgressDialog(f"Reading {Path(path).name}…", "Cancel", 0, 100, self)
        progress.setObjectName("importProgress")
        progress.setWindowTitle("Import data")
        # Not modal: a modal progress dialog runs nested event loops from setValue().
        progress.setMinimumDuration(400)  # small files never flash a dialog
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setValue(0)
        self.import_progress = progress
        loader.progressed.connect(progress.setValue)
        progress.canceled.connect(loader.cancel)

        def done():
            progress.reset()
            progress.hide()
            progress.deleteLater()
            self.import_progress = None
        loader.loaded.connect(lambda table: (done(), self._show_import_dialog(table)))
        loader.failed.connect(lambda msg: (done(), self._error("Cannot import data",
                                                               f"{msg}\n\nThe current data was left as it was."),
                                           self.show_status(f"Could not import {Path(path).name}")))
        loader.cancelled.connect(lambda: (done(), self.show_status(f"Import of {Path(path).name} cancelled")))
        loader.finished.connect(lambda: (setattr(self, "loader", None), loader.deleteLater()))
        loader.start()
        self.show_status(f"Reading {Path(path).name}…", 0)
        return True

    def _show_import_dialog(self, table) -> None:
        self.show_status(f"Read {len(table):,} rows of {Path(table.path).name}")
        dialog = self.import_dialog = ImportDialog(table, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted():
            self.training.import_dataset(dialog.spec(), dialog.dataset, dialog.fit_network.isChecked(),
                                         dialog.standardize.isChecked())
        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda _: setattr(self, "import_dialog", None))
        dialog.open()  # window-modal, without blocking the event loop

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path = self._ask_save_path("Save network as", self.document.title if self.document.path
                                   else "network.json", MODEL_FILTER)
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str) -> bool:
        if not path.lower().endswith(".json"):
            path += ".json"
        try:
            self.document.save(path)
        except (ModelFileError, OSError) as e:
            self._error("Cannot save", str(e))
            return False
        self.clear_autosave()
        self._remember(path)
        self._update_title()
        self.show_status(f"Saved {path}")
        return True

    def export_weights(self) -> bool:
        if self.document.fitting_weights() is None:
            self._error("No trained weights",
                        "This network has no trained weights that fit its current layers. "
                        "Train it first (for now: nnbuilder train MODEL.json --dataset NAME -o OUT.json).")
            return False
        path = self._ask_save_path("Export trained weights", "trained.json", MODEL_FILTER)
        if not path:
            return False
        try:
            save_model(path, self.document.to_model())
        except ModelFileError as e:
            self._error("Cannot export", str(e))
            return False
        self.show_status(f"Exported weights to {path}")
        return True

    def _render_rect(self) -> QRectF:
        return self.scene.itemsBoundingRect().adjusted(-30, -30, 30, 30)

    def export_png(self, path: str | None = None) -> bool:
        path = path or self._ask_save_path("Export diagram", "network.png", "PNG images (*.png)")
        if not path:
            return False
        rect = self._render_rect()
        image = QImage((rect.size() * 2).toSize(), QImage.Format.Format_ARGB32)
        image.fill(self.view.palette().window().color())
        self._render(image, rect)
        if not image.save(path):
            self._error("Cannot export", f"Could not write {path}")
            return False
        self.show_status(f"Exported {path}")
        return True

    def export_svg(self, path: str | None = None) -> bool:
        path = path or self._ask_save_path("Export diagram", "network.svg", "SVG images (*.svg)")
        if not path:
            return False
        rect = self._render_rect()
        if not write_svg(path, rect.size().toSize(), lambda device: self._render(device, rect),
                         self.document.title):
            self._error("Cannot export", f"Could not write {path}")
            return False
        self.show_status(f"Exported {path}")
        return True

    def _render(self, device, rect: QRectF) -> None:
        from PySide6.QtWidgets import QGraphicsItem

        selected = self.scene.selectedItems()
        self.scene.clearSelection()
        # Cached items would be drawn as pixmaps (or, into SVG, not at all):
        # paint them afresh as vectors for the export.
        cached = [(i, i.cacheMode()) for i in self.scene.items()
                  if i.cacheMode() != QGraphicsItem.CacheMode.NoCache]
        for item, _ in cached:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        painter = QPainter(device)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.scene.render(painter, QRectF(0, 0, device.width(), device.height()), rect)
        painter.end()
        for item, mode in cached:
            item.setCacheMode(mode)
        for item in selected:
            item.setSelected(True)

    def export_plots(self, folder: str | None = None) -> list[str]:
        """Loss, metric and output plots as PNG and SVG into a folder."""
        import pyqtgraph.exporters as ex

        folder = folder or QFileDialog.getExistingDirectory(self, "Export plots to", self._last_dir())
        if not folder:
            return []
        written = []
        for name, widget in (("loss", self.curves.loss), ("metric", self.curves.metric),
                             ("output", self.boundary)):
            png, svg = str(Path(folder) / f"{name}.png"), str(Path(folder) / f"{name}.svg")
            ex.ImageExporter(widget.plotItem).export(png)
            # pyqtgraph's SVGExporter fails on Qt 6.9+ path data (pyqtgraph issue
            # 3485); Qt's own SVG generator paints the same view as vectors.
            write_svg(svg, widget.size(), lambda device, w=widget: _paint_widget(w, device), name)
            written += [png, svg]
        self.show_status(f"Exported {len(written)} files to {folder}")
        return written

    def export_loss_csv(self, path: str | None = None) -> bool:
        path = path or self._ask_save_path("Export loss history", "loss.csv", "CSV files (*.csv)")
        if not path:
            return False
        h = self.training.curves
        cols = h.columns
        rows = [",".join(cols)]
        data = [h.column(c) for c in cols]
        for i in range(len(h)):
            rows.append(",".join("" if not np.isfinite(v[i]) else repr(float(v[i])) for v in data))
        try:
            from nnbuilder.core.modelfile import atomic_write_text

            atomic_write_text(path, "\n".join(rows) + "\n")
        except OSError as e:
            self._error("Cannot export", str(e))
            return False
        self.show_status(f"Exported {len(h)} rows to {path}")
        return True

    def _view_options_changed(self) -> None:
        axes = self.training_panel.slice_axes()
        if self.boundary.grid is not None and self.boundary.grid.fixed and axes != self.boundary.grid.axes:
            self.training.slice_changed()
        self.boundary.discretize = self.training_panel.discretize.isChecked()
        self.boundary.set_show_test(self.training_panel.show_test.isChecked())
        snap = self.training.snapshot
        if snap is not None:
            threshold, value_range = self.training._output_scale()
            self.boundary.set_output(snap.outputs, threshold, value_range)

    def _remember(self, path: str) -> None:
        s = settings()
        path = str(Path(path).resolve())
        recent = [p for p in (s.value("recentFiles") or []) if p != path]
        s.setValue("recentFiles", [path] + recent[:MAX_RECENT - 1])
        s.setValue("lastDir", str(Path(path).parent))

    def recent_files(self) -> list[str]:
        value = settings().value("recentFiles") or []
        return [value] if isinstance(value, str) else list(value)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for p in files:
            a = self.recent_menu.addAction(Path(p).name, lambda p=p: self.open_file(p))
            a.setToolTip(p)
            a.setEnabled(Path(p).exists())
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    # ------------------------------------------------------------- autosave
    @staticmethod
    def autosave_paths() -> tuple[Path, Path]:
        d = state_dir()
        return d / "autosave.json", d / "autosave-source.txt"

    def autosave(self) -> bool:
        """Write a modified document to the side file; True if written."""
        if self.document is None or not self.document.modified:
            return False
        data, source = self.autosave_paths()
        try:
            save_model(data, self.document.to_model())
            source.write_text(self.document.path or "", encoding="utf-8")
        except (NNBuilderError, OSError) as e:
            self.show_status(f"Autosave failed: {e}")
            return False
        return True

    def clear_autosave(self) -> None:
        for p in self.autosave_paths():
            p.unlink(missing_ok=True)

    def offer_restore(self) -> bool:
        """After a crash the autosave is still there: offer to restore it."""
        data, source = self.autosave_paths()
        if not data.exists():
            return False
        origin = source.read_text(encoding="utf-8").strip() if source.exists() else ""
        if not self._ask_restore(origin):
            self.clear_autosave()
            return False
        try:
            doc = Document(load_model(data), origin or None)
        except ModelFileError as e:
            self._error("Cannot restore", str(e))
            self.clear_autosave()
            return False
        doc.mark_modified()
        self.set_document(doc)
        self.show_status("Restored the autosaved network; save it to keep it")
        return True

    # ----------------------------------------------------------- theme/misc
    def set_theme(self, mode: str) -> None:
        self.theme = mode
        apply_theme(mode)
        for t, a in self.theme_actions.items():
            a.setChecked(t == mode)
        self.scene.update()
        for plot in (self.curves.loss, self.curves.metric, self.boundary, self.layer_plot.norms,
                     self.layer_plot.hist):
            plot.apply_theme()

    def changeEvent(self, event):
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.scene.update()
        super().changeEvent(event)

    def dragEnterEvent(self, event):
        if NetworkView._model_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        files = NetworkView._model_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.open_dropped(files[0])

    def closeEvent(self, event):
        if not self.maybe_save():
            event.ignore()
            return
        self.training.shutdown()
        if self.loader is not None:
            self.loader.cancel()
        self._save_settings()
        self.autosave_timer.stop()
        self.clear_autosave()
        event.accept()

    def showEvent(self, event):
        super().showEvent(event)
        if not getattr(self, "_shown_once", False):
            self._shown_once = True
            if self._first_layout:
                self._default_layout()
            QTimer.singleShot(0, self.view.fit)

    def sizeHint(self) -> QSize:
        return QSize(1280, 800)
