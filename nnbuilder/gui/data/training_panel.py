"""The Training panel: data, hyperparameters and stop rules; each change is
emitted at once as a signal (the controllers decide what it means, and make
it a document edit). It shows the document's values (:meth:`TrainingPanel.show_training`,
:meth:`TrainingPanel.show_dataset`): after an undo too, without emitting them again.

Its number fields refuse a value the core refuses, with the core's reason
(:mod:`nnbuilder.gui.widgets.fields`), and take their ranges from the same declarations: the
training settings' (``TRAIN_CONSTRAINTS``) and the data's
(``DATASET_CONSTRAINTS``).
"""
from __future__ import annotations

import os
from contextlib import contextmanager

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QPushButton, QSizePolicy, QSpinBox, QWidget)

from nnbuilder.core.constraints import Constraint
from nnbuilder.core.data.datasets import DATASET_CONSTRAINTS, DATASETS
from nnbuilder.core.model.nodetypes import NODE_SPECS
from nnbuilder.core.engine.optimizers import OPTIMIZERS
from nnbuilder.core.engine.config import TRAIN_CONSTRAINTS, TrainConfig

from ..widgets.fields import CheckedDoubleSpinBox, CheckedSpinBox, pass_undo_to_window
from .gallery import PAINTED, DatasetGallery

SPEEDS = [("max", None), ("1000 steps/s", 1000.0), ("100 steps/s", 100.0), ("10 steps/s", 10.0),
          ("1 step/s", 1.0)]
# 100 steps/s: the example's boundary forms over several seconds, for a person
# to watch; max is one click away.
DEFAULT_SPEED = 2
IMPORT, CSV = "import", "csv"  # data-combo entries: "Import CSV…" and the imported file


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


def _field(cls, constraint: Constraint, label: str, name: str, tip: str, decimals=None, step=None,
           zero_text: str = "", ranged: bool = True):
    """A number field that refuses (with the reason) what a core constraint
    refuses, within the constraint's range unless not ``ranged``."""
    w = cls(constraint.refusal, label, zero_text)
    w.setObjectName(name)
    w.setToolTip(tip)
    if decimals is not None:
        w.setDecimals(decimals)
    if step is not None:
        w.setSingleStep(step)
    if ranged:
        w.limit_to(constraint)
    return w


class TrainingPanel(QWidget):
    """Data, hyperparameters and stop rules; each change is emitted at once."""

    configChanged = Signal(dict)
    datasetChanged = Signal(dict)
    speedChanged = Signal(object)
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
        self.gallery.show_current(self.dataset.currentText())  # (the first one is current without a change)
        # Not ranged: it also shows the row count of data that is not generated
        # (show_samples), which may lie beyond what a generator takes.
        self.samples = _field(CheckedSpinBox, DATASET_CONSTRAINTS["samples"], "Samples", "samplesSpin",
                              "Number of samples to generate", ranged=False)
        self.seed = _spin(QSpinBox, "seedSpin", 0, 2 ** 31 - 1, "Seed of the data generator: the same "
                          "seed gives the same points")
        pass_undo_to_window(self.seed)
        self.seed.setAccessibleName("Data seed")
        self.regenerate = QPushButton()
        self.regenerate.setObjectName("regenerateButton")
        self.regenerate.setIcon(self.style().standardIcon(self.style().StandardPixmap.SP_BrowserReload))
        self.regenerate.setToolTip("Regenerate: new points from a new seed")
        self.regenerate.setAccessibleName("Regenerate")
        self.regenerate.clicked.connect(self._regenerate)
        self.noise = _field(CheckedDoubleSpinBox, DATASET_CONSTRAINTS["noise"], "Noise", "noiseSpin",
                            "Noise, 0 to 1", 2, 0.05)
        self.split = _field(CheckedDoubleSpinBox, DATASET_CONSTRAINTS["split"], "Train fraction", "splitSpin",
                            "Fraction of the samples used for training (1: all, no test set)", 2, 0.05)
        self.normalize = QComboBox()
        self.normalize.setObjectName("normalizeCombo")
        self.normalize.addItems(NODE_SPECS["input"].params["normalize"].constraint.widget()["choices"])
        self.normalize.setItemData(0, "Feed the features as they are", Qt.ItemDataRole.ToolTipRole)
        self.normalize.setItemData(1, "Feed (x - mean) / std of each feature, with the mean and std of "
                                   "the training rows (saved with the weights)", Qt.ItemDataRole.ToolTipRole)
        self.normalize.setToolTip("Input normalization (a setting of the Input node)")
        self.normalize.currentTextChanged.connect(lambda t: self._quiet or self.normalizeChanged.emit(t))
        self.lr = _field(CheckedDoubleSpinBox, TRAIN_CONSTRAINTS["lr"], "Learning rate", "learningRateSpin",
                         "Learning rate η: each step moves the weights by -η times the gradient", 5)
        self.lr.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.batch = _field(CheckedSpinBox, TRAIN_CONSTRAINTS["batch_size"], "Batch size", "batchSizeSpin",
                            "Samples per gradient step")
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("optimizerCombo")
        for name in TRAIN_CONSTRAINTS["optimizer"].widget()["choices"]:
            self.optimizer.addItem(name)
            self.optimizer.setItemData(self.optimizer.count() - 1, OPTIMIZERS[name].summary,
                                       Qt.ItemDataRole.ToolTipRole)
        self.momentum = _field(CheckedDoubleSpinBox, TRAIN_CONSTRAINTS["momentum"], "Momentum", "momentumSpin",
                               "SGD momentum (0: none)", 2, 0.1)
        self.reg = QComboBox()
        self.reg.setObjectName("regularizationCombo")
        self.reg.addItems(["none", "L1", "L2"])
        self.reg.setToolTip("Penalty on the weights: L1 = rate·Σ|w|, L2 = rate/2·Σw²")
        self.reg_rate = _field(CheckedDoubleSpinBox, TRAIN_CONSTRAINTS["l2"], "Regularization rate",
                               "regularizationRateSpin", "Regularization rate", 5)
        self.reg_rate.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.max_epochs = _field(CheckedSpinBox, TRAIN_CONSTRAINTS["max_epochs"], "Max epochs", "maxEpochsSpin",
                                 "Stop after this many epochs (0: never)", zero_text="no limit")
        self.loss_target = _field(CheckedDoubleSpinBox, TRAIN_CONSTRAINTS["loss_target"], "Loss target",
                                  "lossTargetSpin", "Stop when the training loss reaches this (0: never)", 5,
                                  zero_text="none")
        self.speed = QComboBox()
        self.speed.setObjectName("speedCombo")
        self.speed.addItems([s for s, _ in SPEEDS])
        self.speed.setToolTip("Limit the training speed to watch it learn step by step "
                              "(max: as fast as the machine goes)")
        self.default_speed = DEFAULT_SPEED  # the speed each document starts at (no setting of the file)
        self.speed.setCurrentIndex(DEFAULT_SPEED)
        form = QFormLayout(self)
        form.setVerticalSpacing(4)
        form.setContentsMargins(6, 4, 6, 4)
        # A label over its field where the column is too narrow for both side by side (presenting at
        # 1280x720@200% the fields were cut, "circle", "seed_", under a horizontal scroll bar)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        seed_row = QWidget()
        seed_row.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # no taller than its spin box
        seed_lay = QHBoxLayout(seed_row)
        seed_lay.setContentsMargins(0, 0, 0, 0)
        seed_lay.addWidget(self.seed, 1)
        seed_lay.addWidget(self.regenerate)
        form.addRow(self.gallery)
        for label, w in [("Data", self.dataset), ("Samples", self.samples), ("Noise", self.noise),
                         ("Data seed", seed_row), ("Train fraction", self.split), ("Normalize", self.normalize),
                         ("Learning rate", self.lr), ("Batch size", self.batch),
                         ("Optimizer", self.optimizer), ("Momentum", self.momentum),
                         ("Regularization", self.reg), ("Rate", self.reg_rate),
                         ("Max epochs", self.max_epochs), ("Loss target", self.loss_target)]:
            form.addRow(label, w)
        self.form = form
        # Shown elsewhere: the speed beside the Train button.

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

    @contextmanager
    def _quietly(self):
        """Set widgets to shown values without emitting them as an edit."""
        was, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = was

    def checked_fields(self) -> list:
        """The number fields that refuse a bad value with the reason."""
        return [self.samples, self.noise, self.split, self.lr, self.batch, self.momentum,
                self.reg_rate, self.max_epochs, self.loss_target]

    def show_training(self, cfg: TrainConfig, kept: bool = True) -> None:
        """Show the document's training settings (a new document, an edit, an
        undo or a redo) without emitting them as an edit. ``kept``: a momentum
        or penalty rate the settings do not use now (not sgd, no penalty)
        stays in its field for when it is chosen again."""
        with self._quietly():
            for w in (self.lr, self.batch, self.momentum, self.reg_rate, self.max_epochs, self.loss_target):
                w.clear_refusal()  # the document's values: an old refusal no longer applies
            self.lr.setValue(cfg.lr)
            self.batch.setValue(cfg.batch_size)
            self.optimizer.setCurrentText(cfg.optimizer)
            if cfg.momentum or cfg.optimizer == "sgd" or not kept:
                self.momentum.setValue(cfg.momentum)
            reg = "L1" if cfg.l1 else "L2" if cfg.l2 else "none"
            self.reg.setCurrentText(reg)
            if cfg.l1 or cfg.l2 or not kept:
                self.reg_rate.setValue(cfg.l1 or cfg.l2 or 0.0)
            self.max_epochs.setValue(cfg.max_epochs or 0)
            self.loss_target.setValue(cfg.loss_target or 0.0)
            self._enable_for_optimizer()

    def show_dataset(self, dataset: dict) -> None:
        """Show the document's data settings without emitting them as an edit."""
        with self._quietly():
            for w in (self.samples, self.noise, self.split):
                w.clear_refusal()
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
            self.samples.setValue(dataset.get("samples") or (info.samples if info else 4))
            generated = info is not None and not info.fixed
            for w in (self.samples, self.seed, self.regenerate):
                w.setEnabled(generated)
            self.noise.setEnabled("name" in dataset and not DATASETS[dataset["name"]].fixed)
            self._shown_data = self.dataset.currentIndex()

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
        with self._quietly():
            self.samples.setValue(n)

    def set_normalize(self, value: str) -> None:
        with self._quietly():
            self.normalize.setCurrentText(value)

    def speed_limit(self) -> float | None:
        """The chosen training speed in steps/s (None: as fast as possible)."""
        return SPEEDS[self.speed.currentIndex()][1]

    def config(self) -> dict:
        rate, reg = self.reg_rate.value(), self.reg.currentText()
        return {"lr": self.lr.value(), "batch_size": self.batch.value(),
                "optimizer": self.optimizer.currentText(),
                "momentum": self.momentum.value() if self.optimizer.currentText() == "sgd" else 0.0,
                "l1": rate if reg == "L1" else 0.0, "l2": rate if reg == "L2" else 0.0,
                "max_epochs": self.max_epochs.value() or None,
                "loss_target": self.loss_target.value() or None}

    def _enable_for_optimizer(self) -> None:
        """Only the settings the chosen optimizer uses can be edited (the
        perceptron rule takes one sample at a time and has no penalty)."""
        name = self.optimizer.currentText()
        opt = OPTIMIZERS.get(name)
        self.momentum.setEnabled(name == "sgd")
        own = opt is not None and opt.batch_size is not None
        self.batch.setEnabled(not own)
        self.batch.setToolTip(f"{name} takes {opt.batch_size} sample per step" if own else
                              "Samples per gradient step")
        for w in (self.reg, self.reg_rate):
            w.setEnabled(opt is None or not opt.from_errors)

    def _config_edited(self, *_):
        self._enable_for_optimizer()
        if not self._quiet:
            self.configChanged.emit(self.config())

    def _dataset_edited(self, *_):
        if self._quiet:
            return
        name, kind = self.dataset.currentText(), self.dataset.currentData(Qt.ItemDataRole.UserRole)
        if kind == IMPORT:
            with self._quietly():  # the import may be cancelled: show the data in use until it is done
                self.dataset.setCurrentIndex(self._shown_data)
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
            with self._quietly():
                self.samples.setValue(info.samples)
                if info.fixed:
                    self.split.setValue(info.split)
        for w in (self.noise, self.samples, self.seed, self.regenerate):
            w.setEnabled(not info.fixed)
        self.datasetChanged.emit({"name": name, "samples": None if info.fixed else self.samples.value(),
                                  "noise": 0.0 if info.fixed else self.noise.value(),
                                  "split": self.split.value(), "seed": self.seed.value()})

    def _regenerate(self) -> None:
        self.seed.setValue(int.from_bytes(os.urandom(4), "little") % 2 ** 31)

