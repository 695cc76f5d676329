"""pyqtgraph views of a training run: loss and metric curves, the decision
boundary (or fitted curve), per-layer gradient norms and weight histograms.

Every view draws from arrays of a snapshot the worker never writes again, or
from the GUI's own bounded :class:`~nnbuilder.core.trainer.History`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QGuiApplication, QPalette
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget)

from nnbuilder.core.trainer import History

# No antialiasing: pyqtgraph paints from Python, holding the GIL, and smooth
# lines cost several times more to rasterize in software.
pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

# TF Playground's diverging map: orange (negative / class 0) - light - blue.
ORANGE = np.array([245, 147, 34], dtype=np.float64)
BLUE = np.array([8, 119, 189], dtype=np.float64)
MID_LIGHT = np.array([232, 234, 235], dtype=np.float64)
MID_DARK = np.array([70, 72, 76], dtype=np.float64)
CLASS_COLORS = ["#F59322", "#0877BD", "#2CA02C", "#D62728", "#9467BD", "#8C564B",
                "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"]
TRAIN_PEN, TEST_PEN = "#1f77b4", "#ff7f0e"


def dark() -> bool:
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


_LUTS: dict = {}


def _lut(is_dark: bool, alpha: int) -> np.ndarray:
    """256 RGBA colours from orange (index 0) through light/dark grey to blue (255)."""
    key = (is_dark, alpha)
    if key not in _LUTS:
        t = np.linspace(-1.0, 1.0, 256)[:, None]
        mid = MID_DARK if is_dark else MID_LIGHT
        rgb = np.where(t < 0, mid + (ORANGE - mid) * -t, mid + (BLUE - mid) * t)
        lut = np.empty((256, 4), dtype=np.uint8)
        lut[:, :3] = np.round(rgb)
        lut[:, 3] = alpha
        _LUTS[key] = lut
    return _LUTS[key]


def diverging_rgba(t: np.ndarray, alpha: int = 255) -> np.ndarray:
    """RGBA uint8 for values ``t`` in [-1, 1] (clipped; NaN is the middle):
    orange, light, blue. A 256-colour table lookup, fast enough per frame."""
    idx = np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0)
    idx = np.clip(idx, -1.0, 1.0)
    idx += 1.0
    idx *= 127.5
    return _lut(dark(), alpha)[idx.astype(np.uint8)]


def style_plot(plot: pg.PlotItem, grid: bool = True) -> None:
    pal = QGuiApplication.palette()
    fg = pal.color(QPalette.ColorRole.Text)
    for name in ("left", "bottom"):
        ax = plot.getAxis(name)
        ax.setPen(fg)
        ax.setTextPen(fg)
    # An axis with a grid covers the whole plot, so pyqtgraph repaints it
    # (from Python) on every change inside: plots redrawn at 30 Hz go without.
    plot.showGrid(x=grid, y=grid, alpha=0.2)


class _Plot(pg.PlotWidget):
    show_grid = False  # a grid makes each axis repaint the whole plot (tens of ms per update)

    def __init__(self, object_name: str, title: str, parent=None):
        super().__init__(parent=parent)
        self.setObjectName(object_name)
        self.setAccessibleName(title)
        self.setMinimumSize(160, 90)
        self.plotItem.setTitle(title, size="9pt")
        self.apply_theme()

    def apply_theme(self) -> None:
        pal = QGuiApplication.palette()
        self.setBackground(pal.color(QPalette.ColorRole.Base))
        style_plot(self.plotItem, self.show_grid)
        title = self.plotItem.titleLabel
        if title.text:
            title.setText(title.text, color=pal.color(QPalette.ColorRole.Text).name(), size="9pt")


class CurvePlot(_Plot):
    """Train and test curves per epoch with a hover read-out.

    Fed from a bounded History, so a long run stays fast and small."""

    def __init__(self, object_name: str, title: str, ylabel: str, parent=None):
        super().__init__(object_name, title, parent)
        self.ylabel = ylabel
        p = self.plotItem
        p.setLabel("bottom", "epoch")
        p.addLegend(offset=(-10, 10))
        p.setDownsampling(auto=True, mode="peak")
        p.setClipToView(True)
        p.disableAutoRange()
        self._log = False
        # 1-pixel lines: wider ones take a slow software path (2.5x the frame).
        self.train = p.plot([], [], pen=pg.mkPen(TRAIN_PEN, width=1), name="train")
        self.test = p.plot([], [], pen=pg.mkPen(TEST_PEN, width=1), name="test")
        self.marks: list = []
        self.readout = pg.TextItem(anchor=(0, 0))
        self.readout.setZValue(10)
        p.addItem(self.readout, ignoreBounds=True)
        self.cross = pg.InfiniteLine(angle=90, pen=pg.mkPen((150, 150, 150), style=Qt.PenStyle.DashLine))
        self.cross.setVisible(False)
        p.addItem(self.cross, ignoreBounds=True)
        self._x = self._a = self._b = np.zeros(0)
        self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._hover)

    def set_data(self, x, train, test, exact: bool = False) -> None:
        """``exact`` fits the x range to the data (when training stopped)."""
        self._x, self._a, self._b = x, train, test
        self.train.setData(x, train)
        finite = np.isfinite(test)
        self.test.setData(x[finite], test[finite])
        self._fit_range(exact)

    def _fit_range(self, exact: bool = False) -> None:
        """Ranges that change in steps (x doubles, y moves when the data leaves
        it), not on every update: a new range makes pyqtgraph rebuild and
        repaint the axes from Python, which is most of an update's cost."""
        x, vals = self._x, np.concatenate([self._a, self._b])
        vals = vals[np.isfinite(vals)]
        log = self.plotItem.ctrl.logYCheck.isChecked()
        if log:
            vals = np.log10(vals[vals > 0])
        if len(x) == 0 or len(vals) == 0:
            return
        x_hi = max(8.0, 2.0 ** np.ceil(np.log2(max(x[-1], 1.0) * 1.05)))
        if exact:
            x_hi = max(1.0, float(x[-1]) * 1.02)
        lo, hi = float(vals.min()), float(vals.max())
        pad = max(hi - lo, 1e-9) * 0.08
        want = (lo - pad, hi + pad)
        (cx0, cx1), (cy0, cy1) = self.plotItem.vb.viewRange()
        span = cy1 - cy0
        y_ok = cy0 <= want[0] and want[1] <= cy1 and (want[1] - want[0]) > 0.5 * span
        if cx1 != x_hi or cx0 != 0 or not y_ok or self._log != log:
            self._log = log
            self.plotItem.setRange(xRange=(0, x_hi), yRange=want, padding=0)

    def mark(self, epoch: float, text: str) -> None:
        """A red line where something happened (e.g. divergence)."""
        line = pg.InfiniteLine(pos=epoch, angle=90, pen=pg.mkPen("#E03131", width=2),
                               label=text, labelOpts={"color": "#E03131", "position": 0.9})
        self.plotItem.addItem(line, ignoreBounds=True)
        self.marks.append(line)

    def clear_marks(self) -> None:
        for m in self.marks:
            self.plotItem.removeItem(m)
        self.marks = []

    def _hover(self, event) -> None:
        pos = event[0]
        vb = self.plotItem.vb
        if not self.plotItem.sceneBoundingRect().contains(pos) or len(self._x) == 0:
            self.readout.setText("")
            self.cross.setVisible(False)
            return
        x = vb.mapSceneToView(pos).x()
        if self.plotItem.ctrl.logXCheck.isChecked():
            x = 10 ** x
        i = int(np.clip(np.searchsorted(self._x, x), 0, len(self._x) - 1))
        self.show_readout(i)

    def show_readout(self, i: int) -> str:
        text = f"epoch {self._x[i]:.0f}\ntrain {self.ylabel} {self._a[i]:.6g}"
        if np.isfinite(self._b[i]):
            text += f"\ntest {self.ylabel} {self._b[i]:.6g}"
        self.readout.setText(text, color=QGuiApplication.palette().color(QPalette.ColorRole.Text))
        vr = self.plotItem.vb.viewRange()
        self.readout.setPos(vr[0][0], vr[1][1])
        self.cross.setPos(self._x[i] if not self.plotItem.ctrl.logXCheck.isChecked() else np.log10(max(self._x[i], 1e-12)))
        self.cross.setVisible(True)
        return text


class BoundaryPlot(_Plot):
    """The network's output over the input plane (2-D) or line (1-D), with the data.

    ``pointClicked(x, y, remove, next_class)`` reports clicks in the plane
    while :attr:`painting` is on (Shift: next class; Ctrl or right button: remove).
    """

    pointClicked = Signal(float, float, bool, bool)

    def __init__(self, parent=None):
        super().__init__("boundaryPlot", "Output", parent)
        p = self.plotItem
        p.setTitle(None)  # the dock says what it is; keep the room for the plot
        p.setAspectLocked(False)
        p.layout.setContentsMargins(0, 0, 10, 0)  # room for the last x tick label
        self.image = pg.ImageItem()
        p.addItem(self.image)
        self.contour = pg.IsocurveItem(level=0.5, pen=pg.mkPen("#222222", width=1.5))
        self.contour.setParentItem(self.image)
        # Training points dark-edged, test points light-edged: both stand out on
        # a region of their own class's colour.
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#222222", width=1))
        self.test_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("white", width=1.5))
        self.curve = p.plot([], [], pen=pg.mkPen("#0877BD", width=2.5))
        p.addItem(self.train_points)
        p.addItem(self.test_points)
        self.note = pg.TextItem(anchor=(0.5, 0.5))
        p.addItem(self.note, ignoreBounds=True)
        self.show_test = True
        self.discretize = False
        self.grid = None
        self.last_rgba = None
        self._frame = 0
        self.painting = False
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_painting(self, on: bool) -> None:
        self.painting = on
        self.plotItem.vb.setMenuEnabled(not on)  # the right button removes points instead
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def _clicked(self, event) -> None:
        if not self.painting or self.grid is None or self.grid.ys is None:
            return
        vb = self.plotItem.vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        mods = event.modifiers()
        remove = event.button() == Qt.MouseButton.RightButton or bool(mods & Qt.KeyboardModifier.ControlModifier)
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            event.accept()
            self.pointClicked.emit(p.x(), p.y(), remove, bool(mods & Qt.KeyboardModifier.ShiftModifier))

    # data ----------------------------------------------------------------
    def set_data(self, grid, X_train, y_train, X_test, y_test, task: str, n_classes: int,
                 names: list[str] | None = None) -> None:
        """Raw points and targets (labels or values); with more than two columns
        the points are projected on the grid's two axes (``names``: the columns)."""
        self.grid, self.task, self.n_classes = grid, task, n_classes
        self.image.clear()
        self.curve.setData([], [])
        self.contour.setData(None)
        self.note.setText("")
        if grid is None:
            self.train_points.clear()
            self.test_points.clear()
            self.note.setText("The output view needs 1-D or 2-D data")
            return
        names = names or [f"x{c + 1}" for c in range(X_train.shape[1])]
        if grid.ys is not None:
            axes = list(grid.axes)
            X_train, X_test = X_train[:, axes], X_test[:, axes]
        self._points(self.train_points, X_train, y_train)
        self._points(self.test_points, X_test, y_test)
        self.test_points.setVisible(self.show_test)
        self.plotItem.setTitle(None)
        if grid.ys is not None:
            self.plotItem.setAspectLocked(not grid.fixed)  # a plane is not stretched; a slice may be
            self.plotItem.setRange(xRange=grid.x_range, yRange=grid.y_range, padding=0)
            self.plotItem.setLabel("bottom", names[grid.axes[0]])
            self.plotItem.setLabel("left", names[grid.axes[1]])
            if grid.fixed:
                held = ", ".join(f"{names[c][:10]} {v:.3g}" for c, v in grid.fixed)
                self.plotItem.setTitle(f"others at median: {held}", size="8pt")
        else:
            self.plotItem.setAspectLocked(False)
            self.plotItem.enableAutoRange()
            self.plotItem.setLabel("bottom", "x")
            self.plotItem.setLabel("left", "y")

    def _points(self, item, X, y) -> None:
        if X is None or len(X) == 0:
            item.clear()
            return
        if X.shape[1] == 1:  # 1-D regression: (x, y) points
            item.setData(X[:, 0], np.ravel(y), brush=pg.mkBrush("#F59322"))
            return
        if self.task == "classification":
            brushes = [pg.mkBrush(CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in np.ravel(y)]
        else:
            v = np.ravel(y)
            lim = max(float(np.abs(v).max()), 1e-9)
            rgba = diverging_rgba(v / lim)
            brushes = [pg.mkBrush(*c) for c in rgba]
        item.setData(X[:, 0], X[:, 1], brush=brushes)

    def set_show_test(self, show: bool) -> None:
        self.show_test = show
        self.test_points.setVisible(show)

    # output ----------------------------------------------------------------
    def set_output(self, outputs: np.ndarray | None, threshold: float, value_range) -> None:
        """``outputs`` ``(n_grid, k)`` over the grid; ``value_range`` (lo, hi) maps
        one-output values to colours, centred on ``threshold``."""
        g = self.grid
        if outputs is None or g is None:
            return
        if g.ys is None:
            self.curve.setData(g.xs, outputs[:, 0])
            return
        res = g.resolution
        k = outputs.shape[1]
        if k == 1:
            v = outputs[:, 0].reshape(res, res)
            lo, hi = value_range
            if self.discretize:
                t = np.where(v > threshold, 1.0, -1.0)
            else:
                span = max(hi - threshold, threshold - lo, 1e-12)
                t = (v - threshold) / span
            rgba = diverging_rgba(0.8 * t, 255)  # lighter than the points on top
            self._frame += 1
            if self.task != "classification":
                self.contour.setData(None)
            elif self._frame % 2 or self.contour.data is None:
                # pyqtgraph's isocurve is pure Python: trace it on every other
                # grid point (the line is still smooth) and every other frame.
                self.contour.setLevel(threshold)
                self.contour.setData(v[::2, ::2])
                self.contour.resetTransform()
                self.contour.setTransform(pg.QtGui.QTransform.fromScale(2.0, 2.0))
        else:  # several classes: the winner's colour, brighter when confident
            cls = outputs.argmax(axis=1)
            conf = outputs.max(axis=1)
            conf = 1.0 if self.discretize else np.clip((conf - 1.0 / k) / (1 - 1.0 / k), 0, 1)
            base = np.array([QColor(CLASS_COLORS[c % len(CLASS_COLORS)]).getRgb()[:3] for c in range(k)],
                            dtype=np.float64)[cls]
            mid = MID_DARK if dark() else MID_LIGHT
            rgb = mid + (base - mid) * (0.25 + 0.75 * np.asarray(conf)[..., None] if not self.discretize else 1.0)
            rgba = np.empty((res * res, 4), dtype=np.uint8)
            rgba[:, :3] = np.clip(rgb, 0, 255)
            rgba[:, 3] = 235
            rgba = rgba.reshape(res, res, 4)
            self.contour.setData(None)
        self.last_rgba = rgba
        self.image.setImage(rgba, autoLevels=False)
        x0, x1 = g.x_range
        y0, y1 = g.y_range
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))


class LayerPlot(QWidget):
    """Gradient norm per layer over time (log scale) and a weight histogram,
    so vanishing and exploding gradients and dead units show."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("layerPlot")
        self.norms = _Plot("gradientPlot", "Gradient norm per layer")
        self.norms.plotItem.setLogMode(y=True)
        self.norms.plotItem.setLabel("bottom", "step")
        self.norms.plotItem.addLegend(offset=(-10, 10))
        self.hist = _Plot("histogramPlot", "Weights")
        self.layer = QComboBox()
        self.layer.setObjectName("histogramLayerCombo")
        self.layer.setToolTip("Layer whose weights the histogram shows")
        self.bars = None
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.history: History | None = None
        top = QHBoxLayout()
        top.addWidget(QLabel("Histogram of"))
        top.addWidget(self.layer, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.norms, 3)
        layout.addLayout(top)
        layout.addWidget(self.hist, 2)

    def reset(self, layer_ids: list[str]) -> None:
        for c in self.curves.values():
            self.norms.plotItem.removeItem(c)
        legend = self.norms.plotItem.legend
        if legend is not None:
            legend.clear()
        self.curves = {}
        self.history = History(capacity=4000, columns=("step",) + tuple(layer_ids))
        for i, nid in enumerate(layer_ids):
            self.curves[nid] = self.norms.plotItem.plot(
                [], [], pen=pg.mkPen(CLASS_COLORS[i % len(CLASS_COLORS)], width=1.5), name=nid)
        current = self.layer.currentText()
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(layer_ids)
        if current in layer_ids:
            self.layer.setCurrentText(current)
        self.layer.blockSignals(False)

    def update_from(self, snap) -> None:
        if self.history is None or set(snap.stats) != set(self.curves):
            self.reset(list(snap.stats))
        if snap.step > 0:  # before the first step there is no gradient to show
            row = {"step": snap.step, **{nid: max(s["g_norm"], 1e-12) for nid, s in snap.stats.items()}}
            self.history.append(**row)
        steps = self.history.column("step")
        for nid, curve in self.curves.items():
            curve.setData(steps, self.history.column(nid))
        s = snap.stats.get(self.layer.currentText())
        if s is not None:
            centers = (s["edges"][:-1] + s["edges"][1:]) / 2
            width = s["edges"][1] - s["edges"][0]
            if self.bars is None:
                self.bars = pg.BarGraphItem(x=centers, height=s["hist"], width=width, brush="#0877BD")
                self.hist.plotItem.addItem(self.bars)
            else:
                self.bars.setOpts(x=centers, height=s["hist"], width=width)


class ConfusionPlot(_Plot):
    """Counts of true class (rows, top to bottom) against predicted (columns)."""

    def __init__(self, parent=None):
        super().__init__("confusionPlot", "Confusion (test)", parent)
        p = self.plotItem
        p.setMouseEnabled(False, False)
        p.hideButtons()
        p.setLabel("bottom", "predicted")
        p.setLabel("left", "true")
        self.image = pg.ImageItem()
        p.addItem(self.image)
        self.texts: list[pg.TextItem] = []
        self.counts = None
        self.class_names: list[str] = []
        self.setMinimumWidth(190)
        self.plotItem.vb.sigResized.connect(lambda *_: self._label_columns())

    def _label_columns(self) -> None:
        """Predicted-class names under the columns, elided to the column width."""
        k = len(self.class_names)
        if not k:
            return
        room = max(12, int(self.plotItem.vb.width() / k) - 6)
        fm = QFontMetrics(self.font())
        self.plotItem.getAxis("bottom").setTicks([[
            (i + 0.5, fm.elidedText(n, Qt.TextElideMode.ElideRight, room))
            for i, n in enumerate(self.class_names)]])

    def set_counts(self, counts: np.ndarray, names: list[str]) -> None:
        k = counts.shape[0]
        self.counts = counts
        rows = counts.sum(axis=1, keepdims=True)
        share = counts / np.maximum(rows, 1)
        # Row 0 (the first true class) at the top, like a table.
        rgba = diverging_rgba(share[::-1])
        self.image.setImage(rgba, autoLevels=False)
        self.image.setRect(QRectF(0, 0, k, k))
        if len(self.texts) != k * k:
            for t in self.texts:
                self.plotItem.removeItem(t)
            self.texts = []
            for _ in range(k * k):
                t = pg.TextItem(anchor=(0.5, 0.5))
                self.plotItem.addItem(t)
                self.texts.append(t)
            self.plotItem.setRange(xRange=(0, k), yRange=(0, k), padding=0)
        if list(names[:k]) != self.class_names:  # the class names label the axes
            self.class_names = list(names[:k])
            self._label_columns()
            self.plotItem.getAxis("left").setTicks([[(k - 1 - i + 0.5, n[:10]) for i, n in enumerate(names[:k])]])
        for i in range(k):
            for j in range(k):
                t = self.texts[i * k + j]
                t.setText(str(int(counts[i, j])), color="#111111" if share[i, j] < 0.6 else "#ffffff")
                t.setPos(j + 0.5, k - 1 - i + 0.5)


class CurvesPanel(QWidget):
    """Loss and metric side by side, with the log-scale toggle."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss = CurvePlot("lossPlot", "Loss", "loss")
        self.metric = CurvePlot("metricPlot", "Accuracy", "accuracy")
        self.confusion = ConfusionPlot()
        self.confusion.setVisible(False)  # shown for classification once there are counts
        self.log = QCheckBox("log scale")
        self.log.setObjectName("logScaleCheck")
        self.log.setToolTip("Show the loss on a logarithmic scale")
        self.log.toggled.connect(self._set_log)
        self.readout = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.log)
        bar.addStretch(1)
        plots = QHBoxLayout()
        plots.addWidget(self.loss, 3)
        plots.addWidget(self.metric, 3)
        plots.addWidget(self.confusion, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addLayout(plots, 1)

    def _set_log(self, on: bool) -> None:
        self.loss.plotItem.setLogMode(y=on)
        self.loss._fit_range()
