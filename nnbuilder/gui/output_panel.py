"""The Output dock: the output view with its options under it (test data,
discretize, the slice's two features) and, for painted data, the class picker."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from nnbuilder.core.datasets import DATASET_CONSTRAINTS

from .colours import CLASS_COLORS
from .plots import BoundaryPlot
from .training_panel import TrainingPanel

MAX_PAINT_CLASSES = DATASET_CONSTRAINTS["classes"].high  # as many as a model file may hold


class PaintRow(QWidget):
    """Class picker, number of classes and Clear, for painted data."""

    classesChanged = Signal(int)
    clearRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("paintRow")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 2)
        lay.addWidget(QLabel("Paint:"))
        self.group = QButtonGroup(self)
        self.buttons: list[QToolButton] = []
        for k in range(MAX_PAINT_CLASSES):
            pix = QPixmap(14, 14)
            pix.fill(QColor(CLASS_COLORS[k]))
            b = QToolButton()
            b.setObjectName(f"paintClass{k}")
            b.setIcon(QIcon(pix))
            b.setCheckable(True)
            b.setToolTip(f"Class {k}: click the output view to add a point of it "
                         "(Shift: the next class; Ctrl or right-click: remove the nearest)")
            self.group.addButton(b, k)
            self.buttons.append(b)
            lay.addWidget(b)
        self.buttons[0].setChecked(True)
        self.classes = QSpinBox()
        self.classes.setObjectName("paintClassesSpin")
        self.classes.setRange(2, MAX_PAINT_CLASSES)
        self.classes.setToolTip("Number of classes")
        self.classes.valueChanged.connect(self.classesChanged)
        lay.addWidget(self.classes)
        clear = QPushButton("Clear")
        clear.setObjectName("clearPointsButton")
        clear.setToolTip("Remove every painted point")
        clear.clicked.connect(self.clearRequested)
        lay.addWidget(clear)
        lay.addStretch(1)
        self.setVisible(False)

    def current_class(self) -> int:
        return max(self.group.checkedId(), 0)

    def show_for(self, dataset: dict) -> None:
        """Visible for painted data, with as many class buttons as it has classes."""
        painted = "points" in dataset
        self.setVisible(painted)
        if not painted:
            return
        k = dataset.get("classes", 2)
        self.classes.blockSignals(True)
        self.classes.setValue(k)
        self.classes.blockSignals(False)
        for i, b in enumerate(self.buttons):
            b.setVisible(i < k)
        if self.current_class() >= k:
            self.buttons[0].setChecked(True)


class OutputPanel(QWidget):
    """``plot`` over its option rows; the options themselves belong to ``panel``."""

    def __init__(self, plot: BoundaryPlot, panel: TrainingPanel, parent=None):
        super().__init__(parent)
        self.setObjectName("outputPanel")
        self.plot = plot
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(plot, 1)
        options = QHBoxLayout()
        options.setContentsMargins(6, 0, 6, 2)
        options.addWidget(panel.show_test)
        options.addWidget(panel.discretize)
        options.addStretch(1)
        layout.addLayout(options)
        slice_row = QHBoxLayout()  # for data with 3+ columns: which two the view spans
        slice_row.setContentsMargins(6, 0, 6, 2)
        slice_row.addWidget(panel.slice_label)
        slice_row.addWidget(panel.slice_x, 1)
        slice_row.addWidget(panel.slice_y, 1)
        layout.addLayout(slice_row)
        self.paint_row = PaintRow()
        layout.addWidget(self.paint_row)

    def show_paint_controls(self, dataset: dict) -> None:
        self.paint_row.show_for(dataset)
        self.plot.set_painting("points" in dataset)
