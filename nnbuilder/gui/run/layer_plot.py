"""The Weights and gradients panel: each layer's gradient norm over time (log
scale) and a histogram of its weights, so vanishing and exploding gradients
and dead units show.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnbuilder.core.engine.trainer import History

from ..widgets.colours import CLASS_COLORS
from ..widgets.plots import BasePlot, HeadLegend


class LayerPlot(QWidget):
    """Gradient norm per layer over time (log scale) and a weight histogram,
    so vanishing and exploding gradients and dead units show."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("layerPlot")
        self.norms = BasePlot("gradientPlot", "Gradient norm")
        self.norms.plotItem.setLogMode(y=True)
        self.norms.plotItem.setLabel("bottom", "step")
        HeadLegend(self.norms.plotItem)
        self.hist = BasePlot("histogramPlot", "Weights")
        self.layer = QComboBox()
        self.layer.setObjectName("histogramLayerCombo")
        self.layer.setAccessibleName("Histogram layer")
        self.layer.setToolTip("Layer whose weights the histogram shows")
        self.bars = None
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.history: History | None = None
        # The step looked at on the timeline (the histogram is of its weights then).
        self.moment_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#AE3EC9", width=1.5, style=Qt.PenStyle.DashLine))
        self.moment_line.setVisible(False)
        self.norms.plotItem.addItem(self.moment_line, ignoreBounds=True)
        self.moment_stats: dict | None = None
        self._chosen = None  # the histogram's layer, kept over a new run of the same network
        # Side by side: the bottom docks are wide and short (stacked, the
        # gradient plot was 25 px tall with its ticks on top of each other).
        top = QHBoxLayout()
        top.addWidget(QLabel("Histogram of"))
        top.addWidget(self.layer, 1)
        right = QVBoxLayout()
        right.addLayout(top)
        right.addWidget(self.hist, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.norms, 3)
        layout.addLayout(right, 2)

    def reset(self, layer_ids: list[str], label=str) -> None:
        """Curves and histogram choices for ``layer_ids``, shown as ``label(id)``."""
        for c in self.curves.values():
            self.norms.plotItem.removeItem(c)
        legend = self.norms.plotItem.legend
        if legend is not None:
            legend.clear()
        self.curves = {}
        self.history = History(capacity=4000, columns=("step",) + tuple(layer_ids))
        for i, nid in enumerate(layer_ids):
            self.curves[nid] = self.norms.plotItem.plot(
                [], [], pen=pg.mkPen(CLASS_COLORS[i % len(CLASS_COLORS)], width=1.5), name=label(nid))
        current = self.layer.currentData() or self._chosen
        self.layer.blockSignals(True)
        self.layer.clear()
        for nid in layer_ids:
            self.layer.addItem(label(nid), nid)
        if current in layer_ids:
            self.layer.setCurrentIndex(layer_ids.index(current))
        self.layer.blockSignals(False)

    def apply_theme(self) -> None:
        for plot in (self.norms, self.hist):
            plot.apply_theme()

    def show_moment(self, step: int | None, stats: dict | None = None) -> None:
        """The timeline looks at ``step``: a line there, and the histogram of
        its weights (``stats`` as :func:`~nnbuilder.core.run.snapshot.layer_stats`
        gives them); None: now again (the next snapshot's histogram)."""
        self.moment_line.setVisible(step is not None)
        if step is not None:
            self.moment_line.setPos(step)
        self.moment_stats = stats if step is not None else None
        if self.moment_stats is not None:
            self._show_histogram(self.moment_stats)

    def clear(self) -> None:
        """A new run (or network): no gradient history, no histogram, no layer
        of the old network named, the axes ranging afresh (an imported network
        kept the old one's)."""
        self.show_moment(None)
        self._chosen = self.layer.currentData() or self._chosen  # the same layers again: the same choice
        self.reset([])
        self.history = None
        if self.bars is not None:
            self.hist.plotItem.removeItem(self.bars)
            self.bars = None
        for plot in (self.norms, self.hist):
            plot.plotItem.enableAutoRange()

    def show_weights(self, stats: dict, label=str) -> None:
        """The histogram of weights no run has yet (``stats`` as
        :func:`~nnbuilder.core.run.snapshot.layer_stats` gives them): an
        opened or imported trained network's, its layers to choose from."""
        if set(stats) != set(self.curves):
            self.reset(list(stats), label)
        self._show_histogram(stats)

    def update_from(self, snap, label=str) -> None:
        """Add ``snap``'s gradient norms; layers named by ``label(id)``."""
        if self.history is None or set(snap.stats) != set(self.curves):
            self.reset(list(snap.stats), label)
        if snap.step > 0:  # before the first step there is no gradient to show
            row = {"step": snap.step, **{nid: max(s["g_norm"], 1e-12) for nid, s in snap.stats.items()}}
            self.history.append(**row)
        steps = self.history.column("step")
        for nid, curve in self.curves.items():
            curve.setData(steps, self.history.column(nid))
        self._show_histogram(self.moment_stats if self.moment_stats is not None else snap.stats)

    def _show_histogram(self, stats: dict) -> None:
        s = stats.get(self.layer.currentData())
        if s is not None:
            centers = (s["edges"][:-1] + s["edges"][1:]) / 2
            width = s["edges"][1] - s["edges"][0]
            if self.bars is None:
                self.bars = pg.BarGraphItem(x=centers, height=s["hist"], width=width, brush="#0877BD")
                self.hist.plotItem.addItem(self.bars)
            else:
                self.bars.setOpts(x=centers, height=s["hist"], width=width)
