"""The loss and metric curves of a run over time, pinned runs on them, and
the panel that holds them with the confusion matrix (confusion.py) and the
timeline.

Each draws from arrays of a snapshot the worker never writes again, or from
the GUI's own bounded :class:`~nnbuilder.core.engine.trainer.History`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from nnbuilder.core.engine.trainer import EXPLODE_EPOCHS

from ..widgets.colours import TEST_PEN, TRAIN_PEN
from ..widgets.plots import BasePlot, HeadLegend
from ..widgets.scale import ui_scale
from .confusion import ConfusionPlot
from .timeline_bar import TimelineBar

FIRST_RANGE = ((0, 8), (0, 1))  # epochs, values: a plot's range before a run has a row
MIN_SPAN = 0.05  # smallest y span of a curve plot (times the values' size beyond 1)
# Pinned runs: faded, in colours apart from the live run's blue and orange.
PIN_COLORS = ["#2CA02C", "#9467BD", "#D62728", "#8C564B", "#E377C2", "#17BECF"]
PIN_ALPHA = 150
PIN_LEGEND_CHARS = 16  # a pin's legend entry at most: a longer difference reads "pin 2", whole on the pointer
MIN_CURVE_WIDTH = 200  # the loss and metric plots' least width beside a confusion matrix given room



def nearest(xs: np.ndarray, x: float) -> int:
    """The index of the value of the sorted ``xs`` nearest to ``x`` (the
    pointer's epoch: searchsorted alone took the one after it)."""
    i = int(np.clip(np.searchsorted(xs, x), 1, max(len(xs) - 1, 1))) if len(xs) > 1 else 0
    return i - 1 if len(xs) > 1 and abs(x - xs[i - 1]) <= abs(xs[i] - x) else i


#: The x range's share left of a lone first point (a run at step 0), so its dot shows whole.
LONE_MARGIN = 0.04


def lone(item, on: bool) -> None:
    """A dot on the curve ``item`` while it is one point (a line of one point
    draws nothing: a new run's step-0 row was invisible), none otherwise."""
    symbol = "o" if on else None
    if item.opts["symbol"] != symbol:
        colour = pg.mkPen(item.opts["pen"]).color()
        item.setSymbol(symbol)
        item.setSymbolPen(colour)
        item.setSymbolBrush(colour)
        item.setSymbolSize(7)


class Pin:
    """A run's train-loss curve kept for comparison, with the run's settings
    (:func:`nnbuilder.core.teaching.compare.run_settings`); its label is its legend entry."""

    def __init__(self, x: np.ndarray, y: np.ndarray, settings: dict, color: str):
        self.x, self.y, self.settings, self.color = x, y, settings, color
        faded = pg.mkColor(color)
        faded.setAlpha(PIN_ALPHA)
        self.curve = pg.PlotDataItem(x, y, pen=pg.mkPen(faded, width=1))
        self.label = ""


LABEL_PLACES = (0.9, 0.65, 0.4, 0.15)  # a mark's label: its height on the line, the first free one
PEAK_IN_VIEW = 100.0  # a divergence's quoted peak sets the linear y range when at most this times the curve's top


class CurvePlot(BasePlot):
    """Train and test curves per epoch with a hover read-out.

    The read-out shows the epoch nearest the pointer while the pointer is
    over the plot, also as the curve grows under a pointer that stays still;
    it goes when the pointer leaves and when a new run starts; it is drawn
    in the theme's text colour on its base colour. The legend lists "test"
    only while there is a test curve. Fed from a bounded History, so a long
    run stays fast and small."""

    def __init__(self, object_name: str, title: str, ylabel: str, parent=None):
        super().__init__(object_name, title, parent)
        self.ylabel = ylabel
        p = self.plotItem
        p.setLabel("bottom", "epoch")
        HeadLegend(p)  # beside the title, not over the curves
        p.setDownsampling(auto=True, mode="peak")
        p.setClipToView(True)
        p.disableAutoRange()
        self._log = False
        # 1-pixel lines: wider ones take a slow software path (2.5x the frame).
        # "finite": the line breaks where a divergence restored the weights.
        self.train = p.plot([], [], pen=pg.mkPen(TRAIN_PEN, width=1), name="train", connect="finite")
        self.test = p.plot([], [], pen=pg.mkPen(TEST_PEN, width=1), name="test", connect="finite")
        self.marks: list = []  # the red lines (InfiniteLine) where something happened
        self._marked: list = []  # (epoch, item): the points drawn with them
        self.breaks: set[float] = set()  # epochs after which the weights were restored: no line on
        self.pins: list[Pin] = []  # runs kept to compare with (the loss plot's)
        self.readout = pg.TextItem(anchor=(0, 0))
        self.readout.setZValue(10)
        self.readout.setVisible(False)
        p.addItem(self.readout, ignoreBounds=True)
        self._style_readout()
        self._inside = False  # the pointer is over the plot (a late hover event must not bring it back)
        self._hovered: int | None = None  # the row the read-out shows
        self._pointer = None  # the pointer's scene position while over the plot (the read-out follows it)
        self.cross = pg.InfiniteLine(angle=90, pen=pg.mkPen((150, 150, 150), style=Qt.PenStyle.DashLine))
        self.cross.setVisible(False)
        p.addItem(self.cross, ignoreBounds=True)
        self._x = self._a = self._b = np.zeros(0)
        self._exact = False  # the x range fits the data (a run at rest), not the next power of 2
        p.vb.sigRangeChanged.connect(lambda *_: self.marks and self._place_labels())
        p.vb.sigResized.connect(lambda *_: self.marks and self._place_labels())
        self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._hover)

    def set_data(self, x, train, test, exact: bool = False) -> None:
        """``exact`` fits the x range to the data (when training stopped); kept
        for the ranges fitted again later (log scale on or off, a mark, a pin)."""
        self._x, self._a, self._b = x, train, test
        self._exact = exact
        finite = np.isfinite(test)
        xt, yt = x[finite], test[finite]
        if self.breaks and len(x):
            x, train = self._broken(x, train)
            xt, yt = self._broken(xt, yt)
        self.train.setData(x, train)
        self.test.setData(xt, yt)
        for item, n in ((self.train, len(x)), (self.test, len(xt))):
            lone(item, n == 1)
        if len(x):  # no test set (a train fraction of 1): no "test" in the legend
            self._legend_test(bool(finite.any()))
        self._fit_range(exact)
        if self._hovered is not None:  # the epoch nearest the pointer now (the curve grew, the range moved)
            self._readout_at(self._pointer)

    def _legend_test(self, on: bool) -> None:
        """The legend's "test" entry, after "train" and before the pinned runs."""
        legend = self.plotItem.legend
        if on == any(sample.item is self.test for sample, _ in legend.items):
            return
        if not on:
            legend.removeItem(self.test)
            return
        for pin in self.pins:
            legend.removeItem(pin.curve)
        legend.addItem(self.test, "test")
        for pin in self.pins:
            legend.addItem(pin.curve, pin.label)
            self._label_pin(pin, pin.label)

    def _fit_range(self, exact: bool | None = None) -> None:
        """Ranges that change in steps (x doubles, y moves when the data leaves
        it), not on every update: a new range makes pyqtgraph rebuild and
        repaint the axes from Python, which is most of an update's cost.
        ``exact`` (None: as the data was last set) fits x to the data."""
        exact = self._exact if exact is None else exact
        x, vals = self._x, np.concatenate([*self._readable(self._a, self._b), *(p.y for p in self.pins)])
        vals = vals[np.isfinite(vals)]
        log = self.plotItem.ctrl.logYCheck.isChecked()
        quoted = np.array([v for _, v in self.marked_points() if np.isfinite(v) and (not log or v > 0)])
        if len(quoted) and len(vals):
            # The points a divergence's message quotes (the peak, the restored
            # weights) are in view, unless a peak dwarfs the curve (8e29): log
            # scale shows any; a linear one those up to PEAK_IN_VIEW times the curve.
            top = float(np.abs(vals).max())
            keep = quoted if log else quoted[np.abs(quoted) <= PEAK_IN_VIEW * max(top, 1e-12)]
            vals = np.concatenate([vals, keep])
        if self.pins:  # the whole of each pinned run in view, from the new run's first epoch
            x = np.concatenate([x, [max(float(p.x[-1]) for p in self.pins)]])
        if log:
            vals = np.log10(vals[vals > 0])
        if len(x) == 0 or len(vals) == 0:  # no curve, no pin: the first range (not the last one's)
            if self.plotItem.vb.viewRange() != [list(r) for r in FIRST_RANGE]:
                self.plotItem.setRange(xRange=FIRST_RANGE[0], yRange=FIRST_RANGE[1], padding=0)
            return
        x_last = float(x.max())
        x_hi = max(8.0, 2.0 ** np.ceil(np.log2(max(x_last, 1.0) * 1.05)))
        if exact:
            x_hi = max(1.0, x_last * 1.02)
            x_hi = max(x_hi, self._room_for_label(x_hi))
        lo, hi = float(vals.min()), float(vals.max())
        # A flat curve (accuracy stuck at 0.75) still gets a readable span: a
        # span of 1e-9 made ticks like 0.75000000005.
        least = MIN_SPAN * max(1.0, abs(hi))
        if hi - lo < least:
            mid = (lo + hi) / 2
            lo, hi = mid - least / 2, mid + least / 2
        pad = (hi - lo) * 0.08
        want = (lo - pad, hi + pad)
        (cx0, cx1), (cy0, cy1) = self.plotItem.vb.viewRange()
        span = cy1 - cy0
        y_ok = cy0 <= want[0] and want[1] <= cy1 and (want[1] - want[0]) > 0.5 * span
        x_lo = -LONE_MARGIN * x_hi if len(self._x) == 1 else 0  # a lone point's dot whole, off the edge
        if cx1 != x_hi or cx0 != x_lo or not y_ok or self._log != log:
            self._log = log
            self.plotItem.setRange(xRange=(x_lo, x_hi), yRange=want, padding=0)

    def _room_for_label(self, x_hi: float) -> float:
        """The x range's end that leaves the newest mark's label room right of
        its line, off the curve (a run that diverged at its last epoch put it
        on the climb); ``x_hi`` when it needs none or cannot have it."""
        if not self.marks:
            return x_hi
        line = max(self.marks, key=lambda m: m.value())
        width = self.plotItem.vb.sceneBoundingRect().width()
        share = (line.label.boundingRect().width() + 8) / max(width, 1.0)
        if share >= 0.6 or line.value() <= 0:
            return x_hi
        return max(x_hi, line.value() / (1.0 - share))

    def _readable(self, *curves: np.ndarray) -> list[np.ndarray]:
        """``curves`` without the epochs that diverged (the exploded ones up to
        each break, at most EXPLODE_EPOCHS of them), so the y range is the
        readable curve's, not a peak of 8e29's (its dot and line say where
        it went); all of them when nothing else is left."""
        if not self.breaks or not len(self._x):
            return list(curves)
        out = np.zeros(len(self._x), dtype=bool)
        for b in self.breaks:
            out |= (self._x > b - EXPLODE_EPOCHS) & (self._x <= b)
        return list(curves) if out.all() else [c[~out] for c in curves]

    def _broken(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``x``, ``y`` with a gap (NaN) after each epoch of :attr:`breaks`."""
        after = np.flatnonzero(np.isin(x[:-1], list(self.breaks))) + 1
        return np.insert(x, after, x[after - 1]), np.insert(y.astype(float), after, np.nan)

    def mark(self, epoch: float, text: str) -> None:
        """A red line where something happened (e.g. divergence)."""
        line = pg.InfiniteLine(pos=epoch, angle=90, pen=pg.mkPen("#E03131", width=2),
                               label=text, labelOpts={"color": "#E03131", "position": LABEL_PLACES[0]})
        line.setToolTip(text)
        self.plotItem.addItem(line, ignoreBounds=True)
        self.marks.append(line)
        self._place_labels()

    def _place_labels(self) -> None:
        """The marks' labels where they overlap none before them (newest
        first, each at the highest of LABEL_PLACES that is free, right of its
        line or else left, whole inside the plot), and no point or line of the
        curves or the marks' dots where such a place is free too; a label with
        no free place is hidden (its line's tool tip says it). Again whenever
        the view's range or size changes."""
        vb = self.plotItem.vb
        box = vb.sceneBoundingRect()
        points = self._scene_points()
        placed = []  # (left, right, top, bottom) in scene pixels
        for line in sorted(self.marks, key=lambda m: -m.value()):
            label = line.label
            size = label.boundingRect()
            x = vb.mapViewToScene(QPointF(line.value(), 0)).x()
            free = []
            for where in LABEL_PLACES:
                y = box.bottom() - where * box.height()
                for anchor, left in (((0, 0.5), x), ((1, 0.5), x - size.width())):
                    r = (left, left + size.width(), y - size.height() / 2, y + size.height() / 2)
                    if r[0] < box.left() or r[1] > box.right():
                        continue  # (cut at the plot's edge: "lr 0.08) · ◇ restored")
                    if any(r[0] < o[1] and o[0] < r[1] and r[2] < o[3] and o[2] < r[3] for o in placed):
                        continue
                    on_curve = bool(len(points)) and bool(((points[:, 0] > r[0]) & (points[:, 0] < r[1])
                                                           & (points[:, 1] > r[2]) & (points[:, 1] < r[3])).any())
                    free.append((on_curve, len(free), where, anchor, r))
            if free:
                _, _, where, anchor, r = min(free)  # the first place off the curves, if any
                placed.append(r)
                label.anchors = [anchor, anchor]
                label.setPosition(where)
                label.setAnchor(anchor)
                label.setVisible(True)
            else:
                label.setVisible(False)

    def _scene_points(self) -> np.ndarray:
        """The curves' points and the marks' points in scene pixels ``(n, 2)``
        (the curves' lines between them sampled too), for placing labels off them."""
        vb = self.plotItem.vb
        xs, ys = [], []
        for item in (self.train, self.test):
            x, y = item.getData()  # (as drawn: log10 on a log scale)
            if x is None or not len(x):
                continue
            x, y = np.asarray(x, float), np.asarray(y, float)
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.sum() > 1:  # the segments between points too (a steep climb crosses a label)
                t = np.linspace(0.0, 1.0, 9)[:-1]
                x0, y0 = x[:-1], y[:-1]
                seg = np.isfinite(x0) & np.isfinite(y0) & np.isfinite(x[1:]) & np.isfinite(y[1:])
                xs.append((x0[seg, None] + (x[1:] - x0)[seg, None] * t).ravel())
                ys.append((y0[seg, None] + (y[1:] - y0)[seg, None] * t).ravel())
            xs.append(x[ok])
            ys.append(y[ok])
        for _, item in self._marked:
            x, y = item.getData()
            xs.append(np.asarray(x, float))
            ys.append(np.asarray(y, float))
        if not xs:
            return np.zeros((0, 2))
        x, y = np.concatenate(xs), np.concatenate(ys)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return np.zeros((0, 2))
        tr = vb.childGroup.sceneTransform()  # view coordinates to scene pixels, all points at once
        a = np.array([[tr.m11(), tr.m12()], [tr.m21(), tr.m22()]])
        return np.column_stack([x[ok], y[ok]]) @ a + np.array([tr.m31(), tr.m32()])

    def mark_divergence(self, epoch: float, text: str, peak: float, restored: float) -> None:
        """A divergence at ``epoch``: the red line, a red dot at the loss it
        rose to (``peak``, NaN: not finite), and the weights restored as what
        they are: a hollow green diamond at their loss (``restored``), not an
        epoch of the curve, which breaks there; the legend names the diamond
        ("restored"), so the line's label is short enough to stand off the curve."""
        self.mark(epoch, text)
        for value, spot in ((peak, dict(symbol="o", size=8, brush=pg.mkBrush("#E03131"), pen=None)),
                            (restored, dict(symbol="d", size=11, brush=None, pen=pg.mkPen("#2B9348", width=2)))):
            if np.isfinite(value):
                item = pg.ScatterPlotItem([float(epoch)], [float(value)], **spot)
                item.setZValue(6)
                self.plotItem.addItem(item)  # (it takes the plot's log mode)
                self._marked.append((float(epoch), item))
        self._legend_restored()
        self.add_break(epoch)

    def _legend_restored(self) -> None:
        """One "restored" entry in the legend while a restore's diamond is drawn."""
        legend = self.plotItem.legend
        diamonds = [item for _, item in self._marked if item.opts["symbol"] == "d"]
        listed = [sample.item for sample, _ in legend.items if sample.item in diamonds]
        if diamonds and not listed:
            legend.addItem(diamonds[0], "restored")
        for sample, label in list(legend.items):
            if label.text == "restored" and sample.item not in diamonds:
                legend.removeItem(sample.item)

    def add_break(self, epoch: float) -> None:
        """The curves break after ``epoch`` (the weights were restored there)."""
        self.breaks.add(float(epoch))
        self.set_data(self._x, self._a, self._b, self._exact)

    def marked_points(self) -> list[tuple[float, float]]:
        """(epoch, value) of each point drawn with the marks (peaks, restored weights)."""
        return [(e, float(item.data["y"][0])) for e, item in self._marked]

    def drop_marks_after(self, at: float) -> None:
        """Forget the marks after epoch ``at`` (the run was rewound to there)."""
        for line in [m for m in self.marks if m.value() > at]:
            self.plotItem.removeItem(line)
            self.marks.remove(line)
        for e, item in [m for m in self._marked if m[0] > at]:
            self.plotItem.removeItem(item)
            self._marked.remove((e, item))
        self.breaks = {b for b in self.breaks if b <= at}
        self._legend_restored()

    def add_pin(self, x: np.ndarray, y: np.ndarray, settings: dict, label: str) -> Pin:
        """Keep a run's curve ``y`` over epochs ``x`` as a faded line labelled ``label``."""
        pin = Pin(np.asarray(x, dtype=float).copy(), np.asarray(y, dtype=float).copy(), settings,
                  PIN_COLORS[len(self.pins) % len(PIN_COLORS)])
        self.plotItem.addItem(pin.curve)  # (it takes the plot's log mode)
        self.plotItem.legend.addItem(pin.curve, label)  # the legend lays the labels out
        self.pins.append(pin)
        self._label_pin(pin, label)
        self._fit_range()
        return pin

    def _label_pin(self, pin: Pin, label: str) -> None:
        """``label`` in the legend if short, else "pin N" there (a long difference
        pushed the train and test entries out); the whole of it on the pointer."""
        pin.label = label
        name = f"pin {self.pins.index(pin) + 1}"
        entry = self.plotItem.legend.getLabel(pin.curve)
        # In the legend's own ink, as train and test (the line beside it has the pin's colour):
        # the green pin's text was 3:1 on white, and switched colour with the theme.
        entry.setText(label if len(label) <= PIN_LEGEND_CHARS else name)
        tip = f"{name}: {label}"
        entry.setToolTip(tip)
        for sample, text in self.plotItem.legend.items:
            if text is entry:
                sample.setToolTip(tip)
        self.plotItem.legend.fit()

    def set_pin_labels(self, labels: list[str]) -> None:
        """New labels, one per pin (the settings they are compared with changed)."""
        for pin, label in zip(self.pins, labels):
            if label != pin.label:
                self._label_pin(pin, label)

    def clear_pins(self) -> None:
        for pin in self.pins:
            self.plotItem.legend.removeItem(pin.curve)
            self.plotItem.removeItem(pin.curve)
        self.pins = []
        self._fit_range()

    def clear_marks(self) -> None:
        for m in self.marks:
            self.plotItem.removeItem(m)
        for _, item in self._marked:
            self.plotItem.removeItem(item)
        self.marks, self._marked, self.breaks = [], [], set()
        self._legend_restored()

    def start_over(self) -> None:
        """No run: no curves, no marks, the first range (not the last run's),
        or the pinned runs' range: pins stay (see :meth:`clear_pins`).
        (Not ``clear``: PlotWidget forwards that name to PlotItem.clear, which
        removes every item.)"""
        self.clear_marks()
        self.hide_readout()
        empty = np.zeros(0)
        self.set_data(empty, empty, empty)

    def apply_theme(self) -> None:
        super().apply_theme()
        if hasattr(self, "readout"):  # (the base class calls this before the read-out exists)
            self._style_readout()

    def _style_readout(self) -> None:
        """The read-out in the theme's text colour on its base colour (readable over the curves)."""
        pal = QGuiApplication.palette()
        base = QColor(pal.color(QPalette.ColorRole.Base))
        base.setAlpha(230)
        self.readout.setColor(pal.color(QPalette.ColorRole.Text))
        self.readout.fill = pg.mkBrush(base)
        self.readout.border = pg.mkPen(pal.color(QPalette.ColorRole.Mid))
        self.readout.update()

    def mouseMoveEvent(self, ev) -> None:
        self._inside = True
        super().mouseMoveEvent(ev)

    def leaveEvent(self, ev) -> None:
        self._inside = False
        self.hide_readout()
        super().leaveEvent(ev)

    def hide_readout(self) -> None:
        self._hovered = self._pointer = None
        self.readout.setText("")
        self.readout.setVisible(False)
        self.cross.setVisible(False)

    def _hover(self, event) -> None:
        self._readout_at(event[0])

    def _readout_at(self, pos) -> None:
        """The read-out of the epoch nearest the pointer at scene position
        ``pos`` (None, outside the plot, or no rows: no read-out)."""
        if pos is None or not self._inside or not self.plotItem.sceneBoundingRect().contains(pos) \
                or len(self._x) == 0:
            self.hide_readout()
            return
        x = self.plotItem.vb.mapSceneToView(pos).x()
        if self.plotItem.ctrl.logXCheck.isChecked():
            x = 10 ** x
        self.show_readout(nearest(self._x, x))
        self._pointer = QPointF(pos)

    def show_readout(self, i: int) -> str:
        """Show row ``i``'s epoch and values in the corner, and a line at its epoch."""
        self._hovered = i
        text = f"epoch {self._x[i]:.0f}\ntrain {self.ylabel} {self._a[i]:.6g}"
        if np.isfinite(self._b[i]):
            text += f"\ntest {self.ylabel} {self._b[i]:.6g}"
        self.readout.setText(text, color=QGuiApplication.palette().color(QPalette.ColorRole.Text))
        self.readout.setVisible(True)
        vr = self.plotItem.vb.viewRange()
        self.readout.setPos(vr[0][0], vr[1][1])
        self.cross.setPos(self._x[i] if not self.plotItem.ctrl.logXCheck.isChecked() else np.log10(max(self._x[i], 1e-12)))
        self.cross.setVisible(True)
        return text


class CurvesPanel(QWidget):
    """Loss and metric side by side, with the log-scale toggle."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss = CurvePlot("lossPlot", "Loss", "loss")
        self.metric_plot = CurvePlot("metricPlot", "Accuracy", "accuracy")
        self.confusion = ConfusionPlot()
        # A matrix whose counts need more room than the panel has scrolls
        # (its minimum size made a 1024x700 window grow past the screen).
        self.confusion_area = QScrollArea()
        self.confusion_area.setObjectName("confusionArea")
        self.confusion_area.setAccessibleName("Confusion matrix")
        self.confusion_area.setWidget(self.confusion)
        self.confusion_area.setWidgetResizable(True)
        self.confusion_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.confusion_area.setMinimumSize(140, 90)
        self.confusion.area = self.confusion_area
        self.confusion.wantsRoom.connect(self._room_for_confusion)
        self.confusion.setVisible(False)  # shown for classification once there are counts
        self.log = QCheckBox("log scale")
        self.log.setObjectName("logScaleCheck")
        self.log.setToolTip("Show the loss on a logarithmic scale")
        self.log.toggled.connect(self._set_log)
        self.readout = QLabel()
        # Compare runs: keep this run's loss curve, then reset, change, train.
        self.pin = QPushButton("Pin this run")
        self.pin.setObjectName("pinRunButton")
        self.pin.setToolTip("Keep this run's loss curve on the plot, faded and labelled with what "
                            "differs from the settings now: Reset, change a setting, train, compare")
        self.pin.setEnabled(False)
        self.clear_pins = QPushButton("Clear pins")
        self.clear_pins.setObjectName("clearPinsButton")
        self.clear_pins.setToolTip("Remove every pinned run from the loss plot")
        self.clear_pins.setEnabled(False)
        self.clear_pins.clicked.connect(self._clear_pins)
        bar = QHBoxLayout()
        bar.addWidget(self.log)
        bar.addStretch(1)
        bar.addWidget(self.pin)
        bar.addWidget(self.clear_pins)
        plots = QHBoxLayout()
        plots.addWidget(self.loss, 3)
        plots.addWidget(self.metric_plot, 3)
        plots.addWidget(self.confusion_area, 2)
        # The run so far, while paused: a moment's weights, "Continue from here".
        self.timeline = TimelineBar((self.loss, self.metric_plot))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)  # (the plots' height is what a short window lacks)
        layout.addLayout(bar)
        layout.addLayout(plots, 1)
        layout.addWidget(self.timeline)

    def _room_for_confusion(self) -> None:
        """The confusion matrix as wide as it wants (its names whole, its text
        readable: Iris's scores went behind a scroll bar at 1024x700), as far
        as the loss and metric plots keep MIN_CURVE_WIDTH each; beyond, it scrolls."""
        spare = self.width() - 2 * MIN_CURVE_WIDTH * ui_scale() - 12  # (presenting, the curves' least grows)
        wanted = max(self.confusion.wanted_width(), self.confusion.minimumWidth())  # (the least its text needs)
        self.confusion_area.setMinimumWidth(int(max(140, min(wanted, spare))))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._room_for_confusion()

    def mark_divergence(self, epoch: float, text: str, peak: float, restored: float) -> None:
        """A divergence: marked on the loss plot (:meth:`CurvePlot.mark_divergence`);
        the metric plot has the red line too, and its curve breaks there
        (the weights were restored)."""
        self.loss.mark_divergence(epoch, text, peak, restored)
        self.metric_plot.mark(epoch, text)  # (accuracy or R²: the same red line)
        self.metric_plot.add_break(epoch)

    def set_scores_hidden(self, hidden: bool) -> None:
        """Quiz mode: the accuracy plot and the confusion matrix hidden until revealed."""
        self.metric_plot.setVisible(not hidden)
        self.confusion.withhold(hidden)

    def _set_log(self, on: bool) -> None:
        self.loss.plotItem.setLogMode(y=on)
        self.loss._fit_range()

    def _clear_pins(self) -> None:
        self.loss.clear_pins()
        self.clear_pins.setEnabled(False)

    def apply_theme(self) -> None:
        for plot in (self.loss, self.metric_plot, self.confusion):
            plot.apply_theme()
