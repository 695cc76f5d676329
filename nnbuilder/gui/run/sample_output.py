"""The output view for many inputs: a 2-D slice through two of 784 pixels
(the others at their median) shows nothing a person can read, so for data
wider than the feature chips show one by one (:attr:`FeatureChips.MAX_CHIPS`)
the Output dock shows the picked row's outputs instead: its class
probabilities (or values), the true class marked, and says why. The numbers
are Learn's explanation of that row (one owner: :class:`LearnController`)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout,
                               QWidget)

from ..diagram.items import FeatureChips
from ..widgets.colours import CLASS_COLORS
from ..widgets.plots import BasePlot, title_size

TRUE_PEN = "#2B9348"  # the true class's bar outline, as the restored weights' diamond


def is_wide(dataset) -> bool:
    """More columns than the feature chips show one by one: a slice through
    two of them means little."""
    return dataset is not None and dataset.X.shape[1] > FeatureChips.MAX_CHIPS


class SampleOutputView(QWidget):
    """Why the view changed, a row box, and the row's outputs as bars."""

    rowChosen = Signal(int)  # 0-based dataset row
    sliceRequested = Signal()  # the person asks for the slice after all

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sampleOutputView")
        self.why = QLabel()
        self.why.setObjectName("sampleOutputWhy")
        self.row = QSpinBox()
        self.row.setObjectName("sampleOutputRow")
        self.row.setAccessibleName("Row shown")
        self.row.setToolTip("The data row whose outputs the view shows (as Learn's row box and a click "
                            "on a Mistakes image pick it)")
        self.row.setRange(0, 0)
        self.row.setSpecialValueText("none")
        self.row.valueChanged.connect(lambda v: self._quiet or self.rowChosen.emit(v - 1 if v else -1))
        self._quiet = False
        self.summary = QLabel()
        self.summary.setObjectName("sampleOutputSummary")
        # One line each, the dock's width, never the text's (a wrapped line made the window taller);
        # the whole of it in the tool tip.
        for label in (self.why, self.summary):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(0)
        self.plot = BasePlot("sampleOutputPlot", "Outputs of the row")
        self.plot.plotItem.setMouseEnabled(False, False)
        self.plot.plotItem.hideButtons()
        self.bars: pg.BarGraphItem | None = None
        self.values: np.ndarray | None = None  # the bars' heights
        self.true_class: int | None = None
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Row:"))
        top.addWidget(self.row)
        top.addWidget(self.summary, 1)
        self.slice = QPushButton("Slice")
        self.slice.setObjectName("sampleOutputSlice")
        self.slice.setToolTip("Show a slice through two of the inputs instead (the others held at their median)")
        self.slice.clicked.connect(self.sliceRequested)
        top.addWidget(self.slice)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.why)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)

    def set_data(self, n_columns: int, n_rows: int) -> None:
        self.why.setText(f"{n_columns:,} inputs: a slice through two of them shows little; one row's outputs instead")
        self.why.setToolTip(f"{n_columns:,} inputs: a 2-D slice through two of them, the others held at their "
                            "median, shows little of what the network learned (for pixels, nothing), so this "
                            "view shows the outputs of the picked row. Slice shows the slice anyway.")
        self._quiet = True
        self.row.setRange(0, n_rows)
        self._quiet = False

    def show_row(self, row: int | None, outputs, target, task: str, class_names: list[str],
                 hint: str = "") -> None:
        """Row ``row`` (0-based; None: none picked) with the network's
        ``outputs`` and its encoded ``target`` (None: nothing to show, ``hint`` says why)."""
        self._quiet = True
        self.row.setValue(0 if row is None else row + 1)
        self._quiet = False
        if self.bars is not None:
            self.plot.plotItem.removeItem(self.bars)
            self.bars = None
        self.values, self.true_class = None, None
        if row is None or outputs is None:
            self.summary.setText(hint or "Pick a row (here, in Learn, or a Mistakes image) to see its outputs.")
            self.summary.setToolTip(self.summary.text())
            return
        a, t = np.asarray(outputs, dtype=float), np.asarray(target, dtype=float)
        if task == "classification":
            if len(a) == 1:  # one sigmoid output: P(class 1)
                a, true = np.array([1.0 - a[0], a[0]]), int(t[0] > 0.5)
            else:
                true = int(np.argmax(t))
            names = class_names if len(class_names) == len(a) else [str(i) for i in range(len(a))]
            guess = int(np.argmax(a))
            self.true_class = true
            self.summary.setText(f"true {names[true]}, predicted {names[guess]} "
                                 f"({a[guess]:.0%}){'' if guess == true else ' ✗'}")
            self.plot.plotItem.setTitle("Class probabilities of the row", size=title_size())
            pens = [pg.mkPen(TRUE_PEN, width=3) if i == true else pg.mkPen(None) for i in range(len(a))]
            brushes = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(a))]
            ticks = [(i, n) for i, n in enumerate(names)]
        else:
            self.summary.setText("outputs " + ", ".join(f"{v:.4g}" for v in a) +
                                 "; targets " + ", ".join(f"{v:.4g}" for v in t))
            self.plot.plotItem.setTitle("Outputs of the row", size=title_size())
            pens, brushes = [pg.mkPen(None)] * len(a), ["#0877BD"] * len(a)
            ticks = [(i, f"output {i + 1}") for i in range(len(a))]
        self.summary.setToolTip(self.summary.text())
        self.values = a
        self.bars = pg.BarGraphItem(x=np.arange(len(a)), height=a, width=0.7, brushes=brushes, pens=pens)
        self.plot.plotItem.addItem(self.bars)
        self.plot.plotItem.getAxis("bottom").setTicks([ticks])
        lo, hi = (0.0, 1.0) if task == "classification" else (min(0.0, a.min()), max(0.0, a.max()) or 1.0)
        self.plot.plotItem.setRange(xRange=(-0.5, len(a) - 0.5), yRange=(lo, hi))


class SampleOutputLink(QObject):
    """Shows the Output dock's :class:`SampleOutputView` instead of the slice
    for wide data, fed from Learn's explanation of the picked row; a row
    picked in the view is Learn's row."""

    def __init__(self, learn, data, panel, parent=None):
        super().__init__(parent)
        self.learn, self.data, self.panel = learn, data, panel
        self.view = SampleOutputView()
        panel.set_instead(self.view)
        data.dataChanged.connect(self._data_changed)
        learn.explained.connect(self.show)
        self.view.rowChosen.connect(lambda r: learn.select_row(None if r < 0 else r))
        self.view.sliceRequested.connect(lambda: panel.row_outputs.setChecked(False))

    def _data_changed(self) -> None:
        ds = self.data.dataset
        wide = is_wide(ds)
        self.panel.set_wide(wide)
        if wide:
            self.view.set_data(ds.X.shape[1], len(ds))
            self.show()

    def show(self) -> None:
        ds = self.data.dataset
        if not is_wide(ds):
            return
        ex, row = self.learn.explanation, self.learn.row
        if ex is None:
            hint = "" if row is None else ("Pause training to see the row's outputs: they are of one moment."
                                           if self.learn.run.running else
                                           "No outputs yet: Train or Step once.")
            self.view.show_row(row, None, None, ds.task, ds.class_names, hint)
            return
        out = self.learn.run.document.graph.nodes_of_type("output")[0].id
        # in the data's units where the Output node standardizes its targets
        self.view.show_row(row, ex.get("prediction", ex["nodes"][out]["a"]), ex.get("data_target", ex["target"]),
                           ds.task, ds.class_names)
