"""Live training in the window: the settings panel and the controller that
runs a :class:`~nnbuilder.core.live.LiveProcess` and draws its snapshots.

The worker never touches a widget; the controller never touches the worker's
arrays (it only ever sees pickled copies). It sends commands and, on a ~30 Hz
timer, draws the newest snapshot (older ones are dropped). The worker runs in
its own process: as a thread it shared the GIL with the GUI's painting and
both slowed to a crawl (see benchmarks/bench_gui.py and the LiveProcess docs).
"""
from __future__ import annotations

import json
import os
import time
from collections import deque

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QListWidget, QListWidgetItem, QPushButton,
                               QSpinBox, QWidget)

from nnbuilder.core.datasets import CSV_OPTIONS, DATASETS, Dataset, dataset_from_spec, make_dataset
from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.graph import NORMALIZE
from nnbuilder.core.live import LiveProcess, RunSpec
from nnbuilder.core.losses import LOSSES
from nnbuilder.core.network import Network
from nnbuilder.core.optimizers import OPTIMIZERS
from nnbuilder.core.probe import input_grid
from nnbuilder.core.trainer import History, TrainConfig, TrainData, fitting_changes

FRAME_MS = 33  # ~30 Hz: the output map and the diagram
CURVE_EVERY = 8  # loss, then metric, on every 8th frame: they move slowly, their axes cost
STATS_EVERY = 6  # gradient norms and histograms at ~5 Hz, and only when shown
BOUNDARY_RES = 100
NEURON_RES = 32
SPEEDS = [("max", None), ("1000 steps/s", 1000.0), ("100 steps/s", 100.0), ("10 steps/s", 10.0),
          ("1 step/s", 1.0)]
DEFAULT_DATASET = {"name": "circle", "samples": 500, "noise": 0.0, "split": 0.5, "seed": 0}
PAINTED = "painted"  # the dataset entry for points painted on the output view
IMPORT, CSV = "import", "csv"  # data-combo entries: "Import CSV…" and the imported file


def flush_paint() -> None:
    """Run pending scene updates and repaints now instead of in a later loop turn."""
    app = QApplication.instance()
    for _ in range(2):  # scene updates are queued calls that post the repaint
        app.sendPostedEvents(None, 0)


def structure_key(graph) -> str:
    """Everything about a graph that changes the computation (not positions)."""
    return json.dumps({"n": [(n.id, n.type, n.params) for n in graph.nodes.values()],
                       "e": [(e.source, e.target) for e in graph.edges]}, sort_keys=True)


def _spin(cls, name, lo, hi, tip, decimals=None, step=None):
    w = cls()
    w.setObjectName(name)
    w.setRange(lo, hi)
    w.setToolTip(tip)
    if decimals is not None:
        w.setDecimals(decimals)
    if step is not None:
        w.setSingleStep(step)
    w.setKeyboardTracking(False)  # apply a typed value on Enter, not per keystroke
    return w


def dataset_thumbnail(name: str, size: int = 44) -> QImage:
    """A small picture of a built-in dataset (default settings, seed 0)."""
    from .plots import CLASS_COLORS, diverging_rgba

    img = np.full((size, size, 4), 245, dtype=np.uint8)
    if name == PAINTED:
        pts = [(-3, 2, 0), (-2, 3, 0), (2, 2, 1), (3, 3, 1), (0, -3, 2), (1, -2, 2)]
        X, y, task = np.array([p[:2] for p in pts], float), np.array([p[2] for p in pts]), "classification"
    else:
        ds = make_dataset(name, seed=0)
        X, y, task = ds.X, ds.y, ds.task
        if X.shape[1] > 2:  # Iris: the two petal measurements
            X = X[:, 2:4]
        if X.shape[1] == 1:  # 1-D regression: x against y
            X, y, task = np.c_[X[:, 0], np.ravel(y)], None, "curve"
    lo, hi = X.min(axis=0), X.max(axis=0)
    P = ((X - lo) / np.maximum(hi - lo, 1e-9) * (size - 7) + 3).astype(int)
    if task == "classification":
        colors = np.array([QColor(CLASS_COLORS[int(c) % 10]).getRgb() for c in y], dtype=np.uint8)
    elif task == "curve":
        colors = np.tile(np.array([8, 119, 189, 255], dtype=np.uint8), (len(P), 1))
    else:
        v = np.ravel(y)
        colors = diverging_rgba(v / max(float(np.abs(v).max()), 1e-9))
    dot = 2 if len(P) > 50 else 4
    for (px, py), c in zip(P, colors):
        img[size - 1 - py - dot // 2:size - 1 - py + (dot + 1) // 2, px - dot // 2:px + (dot + 1) // 2] = c
    img = np.ascontiguousarray(img)
    return QImage(img.data, size, size, 4 * size, QImage.Format.Format_RGBA8888).copy()


class DatasetGallery(QListWidget):
    """The built-in datasets as thumbnails; picking one emits ``picked(name)``."""

    picked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("datasetGallery")
        self.setAccessibleName("Datasets")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(44, 44))
        self.setGridSize(QSize(56, 62))
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setFixedHeight(2 * 62 + 8)
        font = self.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        self.setFont(font)
        for name in list(DATASETS) + [PAINTED]:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(dataset_thumbnail(name))), name)
            item.setToolTip(DATASETS[name].description if name in DATASETS else
                            "your own points, painted on the output view")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.addItem(item)
        self.itemClicked.connect(lambda it: self.picked.emit(it.data(Qt.ItemDataRole.UserRole)))

    def show_current(self, name: str) -> None:
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.blockSignals(True)
                self.setCurrentRow(i)
                self.blockSignals(False)
                return


class TrainingPanel(QWidget):
    """Data, hyperparameters and stop rules; each change is emitted at once."""

    configChanged = Signal(dict)
    datasetChanged = Signal(dict)
    speedChanged = Signal(object)
    viewChanged = Signal()
    importRequested = Signal()
    normalizeChanged = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.setAccessibleName("Training settings")
        self._quiet = False
        self.dataset = QComboBox()
        self.dataset.setObjectName("datasetCombo")
        for name, info in DATASETS.items():
            self.dataset.addItem(name)
            self.dataset.setItemData(self.dataset.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
        self.dataset.addItem(PAINTED)
        self.dataset.setItemData(self.dataset.count() - 1, "Your own points: click on the output view "
                                 "to add one, Shift-click for the next class, Ctrl- or right-click "
                                 "to remove the nearest", Qt.ItemDataRole.ToolTipRole)
        self.dataset.addItem("Import CSV…")
        self.dataset.setItemData(self.dataset.count() - 1, IMPORT, Qt.ItemDataRole.UserRole)
        self.dataset.setItemData(self.dataset.count() - 1, "Use a table of your own (File > Import "
                                 "data, Ctrl+I, or drop a .csv file on the window)", Qt.ItemDataRole.ToolTipRole)
        self.gallery = DatasetGallery()
        self.gallery.picked.connect(self.dataset.setCurrentText)
        self.dataset.currentTextChanged.connect(self.gallery.show_current)
        self.samples = _spin(QSpinBox, "samplesSpin", 4, 100_000, "Number of samples to generate")
        self.seed = _spin(QSpinBox, "seedSpin", 0, 2 ** 31 - 1, "Seed of the data generator: the same "
                          "seed gives the same points")
        self.regenerate = QPushButton()
        self.regenerate.setObjectName("regenerateButton")
        self.regenerate.setIcon(self.style().standardIcon(self.style().StandardPixmap.SP_BrowserReload))
        self.regenerate.setToolTip("Regenerate: new points from a new seed")
        self.regenerate.setAccessibleName("Regenerate")
        self.regenerate.clicked.connect(self._regenerate)
        self.noise = _spin(QDoubleSpinBox, "noiseSpin", 0.0, 1.0, "Noise, 0 to 1", 2, 0.05)
        self.split = _spin(QDoubleSpinBox, "splitSpin", 0.05, 1.0,
                           "Fraction of the samples used for training (1: all, no test set)", 2, 0.05)
        self.normalize = QComboBox()
        self.normalize.setObjectName("normalizeCombo")
        self.normalize.addItems(list(NORMALIZE))
        self.normalize.setItemData(0, "Feed the features as they are", Qt.ItemDataRole.ToolTipRole)
        self.normalize.setItemData(1, "Feed (x - mean) / std of each feature, with the mean and std of "
                                   "the training rows (saved with the weights)", Qt.ItemDataRole.ToolTipRole)
        self.normalize.setToolTip("Input normalization (a setting of the Input node)")
        self.normalize.currentTextChanged.connect(lambda t: self._quiet or self.normalizeChanged.emit(t))
        self.lr = _spin(QDoubleSpinBox, "learningRateSpin", 0.00001, 10.0, "Learning rate", 5)
        self.lr.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.batch = _spin(QSpinBox, "batchSizeSpin", 1, 100_000, "Samples per gradient step")
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("optimizerCombo")
        self.optimizer.addItems(list(OPTIMIZERS))
        self.momentum = _spin(QDoubleSpinBox, "momentumSpin", 0.0, 0.99, "SGD momentum (0: none)", 2, 0.1)
        self.reg = QComboBox()
        self.reg.setObjectName("regularizationCombo")
        self.reg.addItems(["none", "L1", "L2"])
        self.reg.setToolTip("Penalty on the weights: L1 = rate·Σ|w|, L2 = rate/2·Σw²")
        self.reg_rate = _spin(QDoubleSpinBox, "regularizationRateSpin", 0.0, 10.0, "Regularization rate", 5)
        self.reg_rate.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.max_epochs = _spin(QSpinBox, "maxEpochsSpin", 0, 10_000_000, "Stop after this many epochs (0: never)")
        self.max_epochs.setSpecialValueText("no limit")
        self.loss_target = _spin(QDoubleSpinBox, "lossTargetSpin", 0.0, 1e6,
                                 "Stop when the training loss reaches this (0: never)", 5)
        self.loss_target.setSpecialValueText("none")
        self.speed = QComboBox()
        self.speed.setObjectName("speedCombo")
        self.speed.addItems([s for s, _ in SPEEDS])
        self.speed.setToolTip("Limit the training speed to watch it learn step by step")
        self.show_test = QCheckBox("show test data")
        self.show_test.setObjectName("showTestCheck")
        self.show_test.setChecked(True)
        self.discretize = QCheckBox("discretize output")
        self.discretize.setObjectName("discretizeCheck")
        # For data with more than two columns: the two the output view spans.
        self.slice_x = QComboBox()
        self.slice_x.setObjectName("sliceXCombo")
        self.slice_x.setToolTip("Feature along the output view's x axis")
        self.slice_y = QComboBox()
        self.slice_y.setObjectName("sliceYCombo")
        self.slice_y.setToolTip("Feature along the output view's y axis")
        for box in (self.slice_x, self.slice_y):
            box.currentIndexChanged.connect(lambda _: self._quiet or self.viewChanged.emit())

        form = QFormLayout(self)
        form.setVerticalSpacing(4)
        form.setContentsMargins(6, 4, 6, 4)
        seed_row = QWidget()
        seed_lay = QHBoxLayout(seed_row)
        seed_lay.setContentsMargins(0, 0, 0, 0)
        seed_lay.addWidget(self.seed, 1)
        seed_lay.addWidget(self.regenerate)
        form.addRow(self.gallery)
        for label, w in [("Data", self.dataset), ("Samples", self.samples), ("Noise", self.noise),
                         ("Seed", seed_row), ("Train fraction", self.split), ("Normalize", self.normalize),
                         ("Learning rate", self.lr), ("Batch size", self.batch),
                         ("Optimizer", self.optimizer), ("Momentum", self.momentum),
                         ("Regularization", self.reg), ("Rate", self.reg_rate),
                         ("Max epochs", self.max_epochs), ("Loss target", self.loss_target)]:
            form.addRow(label, w)
        self.form = form
        # Shown elsewhere: the speed beside the Train button, the view options under the plot.

        for w in (self.lr, self.batch, self.momentum, self.reg_rate, self.max_epochs, self.loss_target):
            w.valueChanged.connect(self._config_edited)
        for w in (self.optimizer, self.reg):
            w.currentIndexChanged.connect(self._config_edited)
        self.dataset.currentIndexChanged.connect(self._dataset_edited)
        self._shown_data = 0
        self.noise.valueChanged.connect(self._dataset_edited)
        self.samples.valueChanged.connect(self._dataset_edited)
        self.seed.valueChanged.connect(self._dataset_edited)
        self.split.valueChanged.connect(self._dataset_edited)
        self.speed.currentIndexChanged.connect(lambda i: self.speedChanged.emit(SPEEDS[i][1]))
        self.show_test.toggled.connect(lambda _: self.viewChanged.emit())
        self.discretize.toggled.connect(lambda _: self.viewChanged.emit())

    def set_columns(self, names: list[str]) -> None:
        """Offer the columns for the output view's axes (shown for 3+ columns)."""
        self._quiet = True
        try:
            for box, default in ((self.slice_x, 0), (self.slice_y, 1)):
                box.clear()
                box.addItems(names)
                box.setCurrentIndex(min(default, len(names) - 1))
                box.setVisible(len(names) > 2)
        finally:
            self._quiet = False
        label = getattr(self.window(), "slice_label", None)  # the main window's caption
        if label is not None:
            label.setVisible(len(names) > 2)

    def slice_axes(self) -> tuple[int, int]:
        i, j = max(self.slice_x.currentIndex(), 0), max(self.slice_y.currentIndex(), 0)
        if i == j:  # two different columns: the next one
            j = (i + 1) % max(self.slice_y.count(), 2)
        return i, j

    def set_values(self, cfg: TrainConfig, dataset: dict) -> None:
        self._quiet = True
        try:
            self.lr.setValue(cfg.lr)
            self.batch.setValue(cfg.batch_size)
            self.optimizer.setCurrentText(cfg.optimizer)
            self.momentum.setValue(cfg.momentum)
            reg = "L1" if cfg.l1 else "L2" if cfg.l2 else "none"
            self.reg.setCurrentText(reg)
            self.reg_rate.setValue(cfg.l1 or cfg.l2 or 0.0)
            self.max_epochs.setValue(cfg.max_epochs or 0)
            self.loss_target.setValue(cfg.loss_target or 0.0)
            self._set_csv_item(dataset.get("csv"))
            if "name" in dataset:
                self.dataset.setCurrentText(dataset["name"])
            elif "points" in dataset:
                self.dataset.setCurrentText(PAINTED)
            else:
                self.dataset.setCurrentIndex(self.dataset.findData(CSV, Qt.ItemDataRole.UserRole))
            self.noise.setValue(dataset.get("noise") or 0.0)
            self.split.setValue(dataset.get("split", 0.5))
            self.seed.setValue(dataset.get("seed", 0))
            info = DATASETS.get(dataset.get("name"))
            self.samples.setMinimum(4)
            self.samples.setValue(dataset.get("samples") or (info.samples if info else 4))
            generated = info is not None and not info.fixed
            for w in (self.samples, self.seed, self.regenerate):
                w.setEnabled(generated)
            self.momentum.setEnabled(cfg.optimizer == "sgd")
            self.noise.setEnabled("name" in dataset and not DATASETS[dataset["name"]].fixed)
            self._shown_data = self.dataset.currentIndex()
        finally:
            self._quiet = False

    def _set_csv_item(self, path: str | None) -> None:
        """The imported file as an entry of the data list (before "Import CSV…")."""
        i = self.dataset.findData(CSV, Qt.ItemDataRole.UserRole)
        if path is None:
            if i >= 0:
                self.dataset.removeItem(i)
            return
        if i < 0:
            i = self.dataset.count() - 1
            self.dataset.insertItem(i, "")
            self.dataset.setItemData(i, CSV, Qt.ItemDataRole.UserRole)
        self.dataset.setItemText(i, os.path.basename(path))
        self.dataset.setItemData(i, path, Qt.ItemDataRole.ToolTipRole)

    def show_samples(self, n: int) -> None:
        """The row count of data that is not generated (the spin box is read-only then)."""
        self._quiet = True
        self.samples.setMinimum(0)
        self.samples.setValue(min(n, self.samples.maximum()))
        self._quiet = False

    def set_normalize(self, value: str) -> None:
        self._quiet = True
        self.normalize.setCurrentText(value)
        self._quiet = False

    def config(self) -> dict:
        rate, reg = self.reg_rate.value(), self.reg.currentText()
        return {"lr": self.lr.value(), "batch_size": self.batch.value(),
                "optimizer": self.optimizer.currentText(),
                "momentum": self.momentum.value() if self.optimizer.currentText() == "sgd" else 0.0,
                "l1": rate if reg == "L1" else 0.0, "l2": rate if reg == "L2" else 0.0,
                "max_epochs": self.max_epochs.value() or None,
                "loss_target": self.loss_target.value() or None}

    def _config_edited(self, *_):
        self.momentum.setEnabled(self.optimizer.currentText() == "sgd")
        if not self._quiet:
            self.configChanged.emit(self.config())

    def _dataset_edited(self, *_):
        if self._quiet:
            return
        name, kind = self.dataset.currentText(), self.dataset.currentData(Qt.ItemDataRole.UserRole)
        if kind == IMPORT:
            self._quiet = True  # the import may be cancelled: show the data in use until it is done
            self.dataset.setCurrentIndex(self._shown_data)
            self._quiet = False
            self.importRequested.emit()
            return
        self._shown_data = self.dataset.currentIndex()
        if kind == CSV:
            for w in (self.noise, self.samples, self.seed, self.regenerate):
                w.setEnabled(False)
            self.datasetChanged.emit({"csv": None, "split": self.split.value()})
            return
        if name == PAINTED:
            self.noise.setEnabled(False)
            self.datasetChanged.emit({"name": PAINTED, "split": self.split.value()})
            return
        info = DATASETS[name]
        if self.sender() is self.dataset:
            # A new dataset starts from its own sample count (and a fixed table
            # from its own train fraction: all 4 rows of a truth table).
            self._quiet = True
            self.samples.setValue(info.samples)
            if info.fixed:
                self.split.setValue(info.split)
            self._quiet = False
        for w in (self.noise, self.samples, self.seed, self.regenerate):
            w.setEnabled(not info.fixed)
        self.datasetChanged.emit({"name": name, "samples": None if info.fixed else self.samples.value(),
                                  "noise": 0.0 if info.fixed else self.noise.value(),
                                  "split": self.split.value(), "seed": self.seed.value()})

    def _regenerate(self) -> None:
        self.seed.setValue(int.from_bytes(os.urandom(4), "little") % 2 ** 31)


class TrainingController(QObject):
    """Runs the document's network live and draws what the worker publishes."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.live: LiveProcess | None = None
        self.document = None
        self.curves = History()
        self.generation = -1
        self.snapshot = None
        self._reported = set()
        self._key = None
        self.dataset: Dataset | None = None
        self.data_error: str | None = None
        self._csv_cache: dict[str, Dataset] = {}  # loaded CSV data by _csv_key
        self.input_stats = None  # (mean, std) of the current data, if the Input standardizes
        self.frame_times: deque = deque(maxlen=4000)
        self.frames_drawn = 0
        self.draw_ms: deque = deque(maxlen=4000)  # time each drawn frame took
        self._frame = 0
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.speed = None

    # ------------------------------------------------------------- document
    def set_document(self, document) -> None:
        self.shutdown()
        self.document = document
        self._key = structure_key(document.graph)
        cfg = document.training or TrainConfig()
        if document.dataset is None or not any(k in document.dataset for k in ("name", "csv", "points")):
            document.dataset = dict(DEFAULT_DATASET)
        document.datasetChanged.connect(self._dataset_applied)
        self.window.training_panel.set_values(cfg, document.dataset)
        self._load_dataset()
        self.curves.clear()
        self.window.curves.loss.clear_marks()
        self.window.curves.loss.set_data(np.zeros(0), np.zeros(0), np.zeros(0))
        self.window.curves.metric.set_data(np.zeros(0), np.zeros(0), np.zeros(0))
        self.refresh_ready()
        self._show_static()

    @staticmethod
    def _csv_key(d: dict) -> str | None:
        """What a CSV dataset depends on: its options and the file's size and time."""
        try:
            st = os.stat(d["csv"])
        except OSError:
            return None
        return json.dumps([{k: d.get(k) for k in ("csv", *CSV_OPTIONS)}, st.st_size, st.st_mtime_ns])

    def _load_dataset(self) -> None:
        d = self.document.dataset
        self.data_error = None
        key = self._csv_key(d) if "csv" in d else None
        try:
            if key is not None and key in self._csv_cache:  # imported, or an undo/redo
                self.dataset = self._csv_cache[key]
            else:
                self.dataset = dataset_from_spec(d)
                if key is not None:
                    self._remember_csv(key, self.dataset)
        except NNBuilderError as e:
            self.dataset, self.data_error = None, str(e)
        self.window.training_panel.set_columns(self.dataset.column_names if self.dataset else [])
        self.window.scene.set_data_columns(self.dataset.X.shape[1] if self.dataset is not None else 2)
        if self.dataset is not None and "name" not in d:  # painted or imported: show its size
            self.window.training_panel.show_samples(len(self.dataset))

    def _remember_csv(self, key: str, dataset: Dataset) -> None:
        self._csv_cache[key] = dataset
        while len(self._csv_cache) > 4:
            self._csv_cache.pop(next(iter(self._csv_cache)))

    def import_dataset(self, spec: dict, dataset: Dataset, fit: bool, standardize: bool) -> None:
        """Use imported CSV data: one undo step that sets the data and, with
        ``fit``, adapts the Input and Output nodes to it."""
        old = self.document.dataset or {}
        spec = {**spec, "split": old.get("split", 0.5), "seed": old.get("seed", 0)}  # the panel's fraction stays
        key = self._csv_key(spec)
        if key is not None:
            self._remember_csv(key, dataset)
        changes = fitting_changes(self.document.graph, dataset, standardize) if fit else {}
        doc, name = self.document, os.path.basename(spec["csv"])
        doc.undo_stack.beginMacro(f"Import {name}")
        try:
            doc.set_dataset(spec, f"Data: {name}")
            for nid, ch in changes.items():
                doc.set_params(nid, mergeable=False, **ch)
        finally:
            doc.undo_stack.endMacro()
        summary = (f"{len(dataset):,} rows, {dataset.X.shape[1]} features, "
                   + (f"{dataset.n_classes} classes" if dataset.task == "classification" else "regression"))
        fitted = "; network fitted: " + ", ".join(
            f"{nid} {', '.join(f'{k} = {v}' for k, v in ch.items())}" for nid, ch in changes.items()) \
            if changes else ""
        self.window.show_status(f"Imported {name}: {summary}{fitted}", 10000)

    def _split(self) -> tuple[float, int]:
        d = self.document.dataset
        return d.get("split", 0.5), d.get("seed", 0)

    def build_network_and_data(self):
        """(network, data) for the document now, or raise NNBuilderError saying why not."""
        if self.data_error:
            raise NNBuilderError(self.data_error)
        errors = self.document.graph.errors()
        if errors:
            raise NNBuilderError("; ".join(map(str, errors[:3])))
        net = Network(self.document.graph)
        split, seed = self._split()
        data = TrainData.from_dataset(self.dataset, net, split, seed)
        self.input_stats = data.input_stats
        return net, data

    def refresh_ready(self) -> str | None:
        """Enable Train when the network and data fit together; else say why."""
        try:
            self.build_network_and_data()
            reason = None
        except NNBuilderError as e:
            reason = str(e)
        if reason is None and self.document.weights and self.snapshot is None:
            self.document.weights = self.current_weights()  # the inputs' statistics follow the data
        b = self.window.play_button
        running = self.snapshot is not None and self.snapshot.running
        b.setEnabled(reason is None or running)
        self.window.step_button.setEnabled(reason is None)
        self.window.reset_button.setEnabled(reason is None)
        b.setToolTip(f"Cannot train: {reason}" if reason else "Train (Space): start or pause")
        return reason

    def _grids(self):
        X = self.dataset.X if self.dataset is not None else None
        if X is None:
            return None, None
        if "points" in (self.document.dataset or {}):
            # Painted data lives on TF Playground's plane, whatever was painted so far.
            X = np.vstack([X.reshape(-1, 2), [[-6.0, -6.0], [6.0, 6.0]]])
        axes = self.window.training_panel.slice_axes() if X.shape[1] > 2 else (0, 1)
        grid = input_grid(X, BOUNDARY_RES if X.shape[1] >= 2 else 200, axes=axes)
        neuron = input_grid(X, NEURON_RES, axes=axes) if X.shape[1] >= 2 else None
        return grid, neuron

    def slice_changed(self) -> None:
        """Another pair of features for the output view: new grids, same run."""
        self._show_static()
        if self.live is not None:
            self.live.set_grids(*self._grids())
            self.live.request_snapshot()

    def _show_static(self) -> None:
        """The data in the output view, before any training."""
        bp = self.window.boundary
        self.window.show_paint_controls(self.document.dataset or {})
        if self.dataset is None:
            bp.set_data(None, None, None, None, None, "classification", 0)
            return
        grid, _ = self._grids()
        split, seed = self._split()
        from nnbuilder.core.datasets import split_indices

        tr, te = split_indices(len(self.dataset), split, np.random.default_rng(seed))
        ds = self.dataset
        bp.set_data(grid, ds.X[tr], ds.y[tr], ds.X[te], ds.y[te], ds.task, ds.n_classes,
                    ds.column_names)
        bp.set_show_test(self.window.training_panel.show_test.isChecked())

    # -------------------------------------------------------------- controls
    def _start(self, keep_weights: bool = True, seed: int | None = None) -> bool:
        """Create the run (or restart it) from the document; False if it cannot."""
        try:
            net, data = self.build_network_and_data()
        except NNBuilderError as e:
            self.window.show_status(f"Cannot train: {e}")
            return False
        cfg = TrainConfig(**{**(self.document.training or TrainConfig()).to_dict(),
                             **self.window.training_panel.config()})
        self.document.training = cfg
        seed = self.document.seed if seed is None else seed
        weights = self.document.fitting_weights() if keep_weights else None
        grid, neuron = self._grids()
        spec = RunSpec(self.document.graph.to_dict(), data, cfg, seed, weights, grid, neuron)
        self._key = structure_key(self.document.graph)
        if self.live is None or not self.live.alive:
            if self.live is not None:
                self.live.close()
            self.live = LiveProcess(spec)
            self.live.set_speed(self.speed)
        else:
            self.live.reset(spec)
        return True

    def toggle_play(self) -> None:
        if self.snapshot is not None and self.snapshot.running:
            self.live.pause()
            return
        if self.live is None and not self._start():
            return
        self.live.play()
        self.window.play_button.setText("Pause")

    def step(self) -> None:
        epoch = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        if self.live is None and not self._start():
            return
        if epoch:
            self.live.step_epoch()
        else:
            self.live.step(1)

    def reset(self, new_seed: bool | None = None) -> None:
        """Re-initialise with the same seed; with Shift/Ctrl held, a new seed."""
        if new_seed is None:
            mods = QApplication.keyboardModifiers()
            new_seed = bool(mods & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier))
        if new_seed:
            self.document.seed = int.from_bytes(os.urandom(4), "little") % 2 ** 31
        self.document.weights = None
        if self._start(keep_weights=False):
            self.window.show_status(f"Reset: new weights from seed {self.document.seed}")

    def set_speed(self, speed) -> None:
        self.speed = speed
        if self.live is not None:
            self.live.set_speed(speed)

    def config_changed(self, changes: dict) -> None:
        cfg = TrainConfig(**{**(self.document.training or TrainConfig()).to_dict(), **changes})
        try:
            cfg.check()
        except NNBuilderError as e:
            self.window.show_status(str(e))
            return
        self.document.training = cfg
        if self.live is not None:
            self.live.update_config(**changes)

    def dataset_changed(self, dataset: dict) -> None:
        """The panel picked other data: an undoable change of the document."""
        old = self.document.dataset or {}
        if "csv" in dataset:  # the imported file stays; only the split changed
            if "csv" not in old:
                return
            new = {**old, "split": dataset.get("split", old.get("split", 0.5))}
        elif dataset.get("name") == PAINTED:
            new = {"points": old.get("points", []), "classes": old.get("classes", 2),
                   "split": dataset.get("split", 0.5), "seed": old.get("seed", 0)}
        else:
            new = {**{k: v for k, v in old.items() if k not in ("csv", "points", "classes", *CSV_OPTIONS)},
                   **dataset}
            new.setdefault("seed", old.get("seed", 0))
        self.document.set_dataset(new, f"Data: {dataset.get('name') or os.path.basename(old.get('csv', ''))}")

    def _dataset_applied(self) -> None:
        """The document's data changed (an edit, an undo or a redo): follow it.
        Training carries on with its weights if the inputs still fit."""
        d = self.document.dataset
        self.window.training_panel.set_values(self.document.training or TrainConfig(), d)
        self._load_dataset()
        self._show_static()
        if self.refresh_ready() is None and self.live is not None:
            self._rebuild(keep_running=True)
        self.window.show_status("Data: " + (d.get("name") or ("painted" if "points" in d else d.get("csv", ""))))

    # --------------------------------------------------------------- paint
    def paint(self, x: float, y: float, remove: bool, next_class: bool) -> None:
        """Add a point of the chosen class (the next one with Shift) or remove
        the nearest: one undoable step each."""
        d = self.document.dataset
        if "points" not in d:
            return
        points = [list(p) for p in d["points"]]
        if remove:
            if not points:
                return
            P = np.array(points)[:, :2]
            scale = np.ptp(P, axis=0) + 1e-9 if len(points) > 1 else np.ones(2)
            nearest = int(np.argmin((((P - [x, y]) / scale) ** 2).sum(axis=1)))
            del points[nearest]
            text = "Remove point"
        else:
            k = d.get("classes", 2)
            cls = self.window.paint_class()
            if next_class:
                cls = (cls + 1) % k
            points.append([round(float(x), 4), round(float(y), 4), int(cls)])
            text = "Paint point"
        self.document.set_dataset({**d, "points": points}, text)

    def clear_points(self) -> None:
        d = self.document.dataset
        if d.get("points"):
            self.document.set_dataset({**d, "points": []}, "Clear points")

    def set_paint_classes(self, k: int) -> None:
        d = self.document.dataset
        if "points" in d and d.get("classes", 2) != k:
            points = [p for p in d["points"] if p[2] < k]
            self.document.set_dataset({**d, "classes": k, "points": points}, f"{k} classes")

    def set_normalize(self, value: str) -> None:
        """Input normalization from the data panel: a parameter of the Input node(s)."""
        inputs = self.document.graph.nodes_of_type("input")
        if not inputs:
            self.window.show_status("Add an Input node first")
            self.window.training_panel.set_normalize("none")
            return
        doc = self.document
        doc.undo_stack.beginMacro(f"Normalize inputs: {value}")
        try:
            for node in inputs:
                doc.set_params(node.id, mergeable=False, normalize=value)
        finally:
            doc.undo_stack.endMacro()

    def graph_changed(self) -> None:
        inputs = self.document.graph.nodes_of_type("input")
        self.window.training_panel.set_normalize(inputs[0].params.get("normalize", "none") if inputs
                                                 else "none")
        key = structure_key(self.document.graph)
        if key == self._key:
            return  # only positions moved
        old, self._key = self._key, key
        reason = self.refresh_ready()
        if self.live is None:
            return
        if reason:
            self.live.pause()
            self.window.show_status(f"Training paused: {reason}")
            return
        if self._only_loss_changed(old, key):
            loss = self.document.graph.nodes_of_type("output")[0].params["loss"]
            self.live.set_loss(loss)
            self.window.show_status(f"Loss is now {loss}")
            return
        self._rebuild(keep_running=False)

    @staticmethod
    def _only_loss_changed(old: str, new: str) -> bool:
        a, b = json.loads(old), json.loads(new)
        if a["e"] != b["e"] or len(a["n"]) != len(b["n"]):
            return False
        for (ia, ta, pa), (ib, tb, pb) in zip(a["n"], b["n"]):
            if (ia, ta) != (ib, tb) or {k: v for k, v in pa.items() if k != "loss"} != \
                    {k: v for k, v in pb.items() if k != "loss"}:
                return False
        return True

    def _rebuild(self, keep_running: bool) -> None:
        """A structural edit: pause, rebuild, keep the weights of unchanged layers."""
        try:
            net, data = self.build_network_and_data()
        except NNBuilderError as e:
            self.window.show_status(f"Cannot train: {e}")
            return
        grid, neuron = self._grids()
        # keep=None: the worker keeps its own current weights (newer than our snapshot).
        spec = RunSpec(self.document.graph.to_dict(), data, self.document.training or TrainConfig(),
                       self.document.seed, None, grid, neuron)
        self.live.replace(spec, resume=keep_running)

    def current_weights(self) -> dict:
        """The newest weights, with the input statistics of the current data
        when the Input node standardizes."""
        snap = self.snapshot
        if snap is None:
            weights = {k: v for k, v in (self.document.weights or {}).items() if "W" in v}
        else:
            weights = {nid: {"W": W, "b": b} for nid, (W, b) in snap.weights.items()}
        if weights and self.input_stats is not None:
            for node in self.document.graph.nodes_of_type("input"):
                if node.params.get("normalize") == "standardize":
                    weights[node.id] = {"mean": self.input_stats[0], "std": self.input_stats[1]}
        return weights

    def edit_weight(self, node_id: str, row: int, col: int) -> None:
        snap = self.snapshot
        if snap is not None and snap.running:
            self.window.show_status("Pause training to type in a weight")
            return
        weights = self.current_weights()
        if node_id not in weights:
            self.window.show_status("Train or step once to give the network weights first")
            return
        value = self.window._ask_weight(node_id, row, col, float(weights[node_id]["W"][row, col]))
        if value is None:
            return
        if self.live is None:
            self._start()
        self.live.set_weight(node_id, row, col, value)
        self.window.show_status(f"{node_id}: w[{row}, {col}] = {value:g}")

    def shutdown(self) -> None:
        """Stop the worker thread (and wait for it)."""
        if self.live is not None:
            self.live.close()
            self.live = None
        self.snapshot = None
        self.generation = -1

    # ------------------------------------------------------------------ draw
    def tick(self) -> None:
        now = time.perf_counter()
        self.frame_times.append(now)
        live = self.live
        if live is None:
            return
        snap = live.latest()
        if snap is not None:
            t0 = time.perf_counter()
            self._frame += 1
            # Frames take turns, the output plot and curves on even frames, the
            # diagram on odd ones, so no frame costs more than ~a third of the
            # 33 ms; painting happens here, inside the measured frame.
            plots = self._frame % 2 == 0 or not snap.running
            self.draw(snap, plots=plots, diagram=not plots or not snap.running)
            flush_paint()
            self.draw_ms.append((time.perf_counter() - t0) * 1000)
            self.frames_drawn += 1
        # The next one is ready by the next tick, with what that frame draws.
        nxt = self._frame + 1
        plots_next = nxt % 2 == 0
        stats = plots_next and nxt % STATS_EVERY == 0 and self.window.layer_plot.isVisible()
        parts = ({"outputs", "stats"} if stats else {"outputs"}) if plots_next else {"maps"}
        if plots_next and nxt % (CURVE_EVERY // 2) == 0:
            parts = parts | {"confusion"}  # drawn with the curves
        live.request_snapshot(parts)

    def draw(self, snap, plots: bool = True, diagram: bool = True) -> None:
        w = self.window
        if snap.generation != self.generation:
            self.generation = snap.generation
            self.curves.clear()
            w.curves.loss.clear_marks()
            w.layer_plot.history = None
        self.snapshot = snap
        for row in snap.rows:
            self.curves.append(**row)
        final = not snap.running
        if plots:
            # The two curve plots take turns too (each costs ~10 ms with its axes).
            if final or self._frame % CURVE_EVERY == 0:
                self.draw_curves(snap, loss=True, metric=final)
            elif self._frame % CURVE_EVERY == CURVE_EVERY // 2:  # (both on even frames)
                self.draw_curves(snap, loss=False, metric=True)
            threshold, value_range = self._output_scale()
            w.boundary.set_output(snap.outputs, threshold, value_range)
            if (final or self._frame % STATS_EVERY == 0) and w.layer_plot.isVisible():
                w.layer_plot.update_from(snap)
        if diagram:  # (a snapshot made for a plots frame has no maps: keep the last ones)
            w.scene.show_live(snap.weights, snap.neuron_maps if snap.neuron_maps or final else None,
                              NEURON_RES)
        last = snap.last
        w.epoch_label.setText(f"Epoch {snap.epoch:,}")
        w.rate_label.setText(f"{snap.steps_per_sec:,.0f} steps/s")
        w.elapsed_label.setText(time.strftime("%H:%M:%S", time.gmtime(snap.elapsed)))
        test = "" if not np.isfinite(last["test_loss"]) else f" · test {last['test_loss']:.4g}"
        w.loss_label.setText(f"loss {last['train_loss']:.4g}{test}")
        w.play_button.setText("Pause" if snap.running else "Train")
        w.play_button.setIcon(w.style().standardIcon(
            w.style().StandardPixmap.SP_MediaPause if snap.running else w.style().StandardPixmap.SP_MediaPlay))
        if snap.running:
            w.play_button.setEnabled(True)
        for msg in snap.events:
            w.show_status(msg)
        if snap.divergence and ("div", snap.generation, snap.divergence["step"]) not in self._reported:
            d = snap.divergence
            self._reported.add(("div", snap.generation, d["step"]))
            w.curves.loss.mark(d["epoch"], f"diverged (lr {d['lr']:g})")
            w.show_status(f"Training diverged at step {d['step']:,} with learning rate {d['lr']:g}: "
                          "restored the last finite weights and paused. Try a smaller learning rate.", 0)
        if snap.stop_reason in ("max_epochs", "loss_target") and not snap.running and \
                ("stop", snap.generation, snap.step) not in self._reported:
            self._reported.add(("stop", snap.generation, snap.step))
            w.show_status("Stopped: " + ("reached the maximum epochs" if snap.stop_reason == "max_epochs"
                                         else "reached the loss target"))
        if snap.error and ("err", snap.serial) not in self._reported:
            self._reported.add(("err", snap.serial))
            w.show_status("Training stopped by an error (details in the dialog)", 0)
            w._error("Training stopped", snap.error)
        doc = self.document
        if doc is not None and snap.step > 0:
            doc.weights = self.current_weights()
            doc.labels = None if self.dataset is None else self.dataset.labels
            doc.metrics = {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                           for k, v in last.items()}
            if not doc.modified and snap.rows:
                doc.mark_modified()
                w._update_title()

    def draw_curves(self, snap, loss: bool = True, metric: bool = True) -> None:
        w, c = self.window, self.curves
        name = "accuracy" if snap.metric_name == "accuracy" else "R²"
        if w.curves.metric.ylabel != name:
            w.curves.metric.plotItem.setTitle(name.capitalize(), size="9pt")
            w.curves.metric.ylabel = name
        epochs = c.column("epoch")
        exact = not snap.running
        if loss:
            w.curves.loss.set_data(epochs, c.column("train_loss"), c.column("test_loss"), exact)
        if metric:
            w.curves.metric.set_data(epochs, c.column("train_metric"), c.column("test_metric"), exact)
        if snap.confusion is not None and self.dataset is not None:
            w.curves.confusion.setVisible(True)
            w.curves.confusion.set_counts(snap.confusion, self.dataset.class_names)
        elif snap.metric_name != "accuracy":
            w.curves.confusion.setVisible(False)

    def _output_scale(self) -> tuple[float, tuple[float, float]]:
        outs = self.document.graph.nodes_of_type("output")
        if not outs or self.dataset is None:
            return 0.5, (0.0, 1.0)
        p = outs[0].params
        if self.dataset.task == "regression":
            y = np.asarray(self.dataset.y, dtype=float)
            lo, hi = float(y.min()), float(y.max())
            return (lo + hi) / 2, (lo, hi)
        threshold = LOSSES[p["loss"]].threshold
        if p["activation"] in ("sigmoid", "softmax", "step"):
            return threshold, (0.0, 1.0)
        return threshold, (threshold - 1.0, threshold + 1.0)
