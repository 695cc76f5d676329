"""The parts of the loss-surface view: the plot, a loss curve over one weight
(with the tangent at the current value, the current point and the training
path as points on the curve) or a contour map over two (with the path as a
line), what its caption says, and the picker of a weight. The plot draws a
:class:`~nnbuilder.core.teaching.surface.Curve` or :class:`~nnbuilder.core.teaching.surface.Grid`;
:mod:`.surface_view` decides what and when.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from nnbuilder.core.teaching.surface import WeightRef

from ..widgets.colours import dark
from ..widgets.plots import BasePlot

CONTOUR_LEVELS = 9
SMOOTH = 4  # the contour map's image has this many pixels per grid step (bilinear)
TANGENT_SHARE = 0.2  # the tangent reaches this share of the curve's range to each side
PATH_TIP = ("Each point: w after a training step; its height is the loss at that w with the other "
            "weights as they are now (what a one-weight slice can show)")


def _colors() -> dict:
    is_dark = dark()
    return {"curve": "#5aa9e6" if is_dark else "#0877BD", "tangent": "#F59322", "now": "#E03131",
            "path": (230, 230, 230) if is_dark else (60, 60, 60), "objective": "#9aa0a6"}


def smooth(t: np.ndarray, k: int) -> np.ndarray:
    """``t`` ``(m, n)`` bilinearly resampled to ``((m-1)k+1, (n-1)k+1)``: the
    grid's values at every k-th pixel, straight lines between."""
    if min(t.shape) < 2:
        return t

    def axis(n):
        x = np.linspace(0, n - 1, (n - 1) * k + 1)
        i = np.minimum(x.astype(int), n - 2)
        return i, x - i
    (i, fi), (j, fj) = axis(t.shape[0]), axis(t.shape[1])
    top = t[i][:, j] * (1 - fj) + t[i][:, j + 1] * fj
    bottom = t[i + 1][:, j] * (1 - fj) + t[i + 1][:, j + 1] * fj
    return top * (1 - fi[:, None]) + bottom * fi[:, None]


def loss_shades(loss: np.ndarray) -> np.ndarray:
    """Loss values mapped to [0, 1] for colours and contour levels: the log of
    the height above the lowest point, so the valley floor keeps its detail
    (non-finite values count as the highest)."""
    finite = np.isfinite(loss)
    lo = float(loss[finite].min()) if finite.any() else 0.0
    hi = float(loss[finite].max()) if finite.any() else 1.0
    t = np.log10(np.where(finite, loss, hi) - lo + 1e-3 * (hi - lo) + 1e-12)
    return (t - t.min()) / max(float(np.ptp(t)), 1e-12)


class WeightPicker(QWidget):
    """Layer, row (input unit, or b for the bias) and column (unit) of one weight."""

    changed = Signal()

    def __init__(self, title: str, name: str, parent=None):
        super().__init__(parent)
        self.node, self.row, self.col = QComboBox(), QComboBox(), QComboBox()
        for combo, part, tip in ((self.node, "Layer", "The layer the weight belongs to"),
                                 (self.row, "Row", ("Row of W: the input unit the weight comes from "
                                                    "(b: the unit's bias)")),
                                 (self.col, "Col", "Column of W: the unit of this layer")):
            combo.setObjectName(f"{name}{part}Combo")
            combo.setToolTip(tip)
            combo.setAccessibleName(f"{part} of {title.rstrip(':')}")  # e.g. "Row of w₂"
            # Narrow: the view must fit a side dock (a long layer name is elided, its list is wide).
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6 if combo is self.node else 2)
            combo.setIconSize(QSize(0, 0))  # no icons: the room kept for one clipped the picker in a 280 px column
        self.layout_info: dict = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.title = QLabel(title)
        layout.addWidget(self.title)
        layout.addWidget(self.node, 1)
        layout.addWidget(QLabel("row"))
        layout.addWidget(self.row)
        layout.addWidget(QLabel("col"))
        layout.addWidget(self.col)
        layout.addStretch(1)
        self.node.currentIndexChanged.connect(self._node_changed)
        self.row.currentIndexChanged.connect(lambda _: self.changed.emit())
        self.col.currentIndexChanged.connect(lambda _: self.changed.emit())

    def set_layers(self, layers: dict, label) -> None:
        """``layers``: ``{node_id: (fan_in, units, has_bias)}``, shown as ``label(id)``."""
        self.layout_info = layers
        self.node.blockSignals(True)
        self.node.clear()
        self.node.addItem("layer…", None)
        for nid in layers:
            self.node.addItem(label(nid), nid)
        self.node.blockSignals(False)
        self._node_changed()

    def _node_changed(self, *_) -> None:
        nid = self.node.currentData()
        fan_in, units, bias = self.layout_info.get(nid, (0, 0, False))
        for combo, items in ((self.row, [str(r + 1) for r in range(fan_in)] + (["b"] if bias else [])),
                             (self.col, [str(c + 1) for c in range(units)])):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.blockSignals(False)
        self.changed.emit()

    def ref(self) -> WeightRef | None:
        nid = self.node.currentData()
        if nid is None or self.row.currentIndex() < 0 or self.col.currentIndex() < 0:
            return None
        row = self.row.currentText()
        return WeightRef(nid, None if row == "b" else int(row) - 1, self.col.currentIndex())

    def set_ref(self, ref: WeightRef) -> bool:
        """Show ``ref``; False (and no change) if the layers have no such weight."""
        fan_in, units, bias = self.layout_info.get(ref.node, (0, 0, False))
        if not 0 <= ref.col < units or (ref.is_bias and not bias) or \
                (not ref.is_bias and not 0 <= ref.row < fan_in):
            return False
        for combo in (self.node, self.row, self.col):
            combo.blockSignals(True)
        self.node.setCurrentIndex(self.node.findData(ref.node))
        self._node_changed()
        self.row.setCurrentIndex(fan_in if ref.is_bias else ref.row)
        self.col.setCurrentIndex(ref.col)
        for combo in (self.node, self.row, self.col):
            combo.blockSignals(False)
        self.changed.emit()
        return True


class SurfacePlot(BasePlot):
    """Draws one :class:`Curve` or :class:`Grid` with the training path."""

    def __init__(self, parent=None):
        super().__init__("surfacePlot", "Loss surface", parent)
        p = self.plotItem
        p.setTitle(None)  # the caption under it says what it shows
        p.layout.setContentsMargins(0, 8, 10, 0)  # room for the top and the last tick labels
        for side in ("left", "bottom"):  # "loss (x0.001)" over ticks of 460 reads wrong: plain numbers
            p.getAxis(side).enableAutoSIPrefix(False)
        self.dims = 1
        self.curve = p.plot([], [], connect="finite")
        self.objective = p.plot([], [], connect="finite")
        self.tangent = pg.PlotDataItem([], [])
        p.addItem(self.tangent, ignoreBounds=True)  # a steep tangent must not stretch the view
        self.path_line = p.plot([], [])
        self.path_points = pg.ScatterPlotItem(size=7, hoverable=True, tip=self._path_tip)
        p.addItem(self.path_points)
        self.now = pg.ScatterPlotItem(size=11, hoverable=True, tip=self._now_tip)
        # Where plain SGD over the whole batch goes next: a hollow point, a dotted hop to it.
        self.next_hop = p.plot([], [])
        self.next_point = pg.ScatterPlotItem(size=11, hoverable=True, tip=self._next_tip)
        p.addItem(self.next_point)
        p.addItem(self.now)
        self.image = pg.ImageItem()
        p.addItem(self.image)
        self.contours: list[pg.IsocurveItem] = []
        for z, item in enumerate((self.image, self.curve, self.objective, self.tangent, self.path_line,
                                  self.path_points, self.next_hop, self.next_point, self.now)):
            item.setZValue(z - 1 if item is not self.image else -10)
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        if not hasattr(self, "curve"):
            return  # BasePlot's constructor: the items come next
        c = _colors()
        self.curve.setPen(pg.mkPen(c["curve"], width=2))
        self.objective.setPen(pg.mkPen(c["objective"], width=1.5, style=Qt.PenStyle.DashLine))
        self.tangent.setPen(pg.mkPen(c["tangent"], width=2, style=Qt.PenStyle.DashLine))
        self.now.setPen(pg.mkPen(c["now"], width=1.5))
        self.now.setBrush(pg.mkBrush(c["now"]))
        self.next_hop.setPen(pg.mkPen(c["now"], width=1, style=Qt.PenStyle.DotLine))
        self.next_point.setPen(pg.mkPen(c["now"], width=1.5))
        self.next_point.setBrush(pg.mkBrush(None))

    def _one(self, one: bool) -> None:
        self.dims = 1 if one else 2
        for item in (self.curve, self.objective, self.tangent, self.next_hop, self.next_point):
            item.setVisible(one)
        self.image.setVisible(not one)
        for c in self.contours:
            c.setVisible(not one)
        self.setToolTip(PATH_TIP if one else "")

    @staticmethod
    def _fading(rgb, n: int) -> list:
        """One brush per path point, older steps fainter."""
        return [pg.mkBrush(*rgb, int(60 + 195 * (i + 1) / n)) for i in range(n)]

    def show_curve(self, c, name: str, path: np.ndarray, steps: list, step, objective: bool,
                   nxt: tuple | None = None) -> int:
        """Curve ``c`` over the weight called ``name``; ``path`` ``(k,)`` its
        values after the ``steps``; ``objective``: draw loss + penalty too;
        ``nxt``: (w, loss) where the next step goes. Returns how many of the
        steps are on the chart."""
        self._one(True)
        colors = _colors()
        p = self.plotItem
        p.setLabel("bottom", f"w = {name}")
        p.setLabel("left", "loss")
        self.curve.setData(c.values, np.where(np.isfinite(c.loss), c.loss, np.nan))
        self.objective.setData(c.values, c.objective if objective else np.zeros(0))
        self.objective.setVisible(objective)
        half = TANGENT_SHARE * (c.values[-1] - c.values[0])
        xs = np.array([c.current - half, c.current + half])
        self.tangent.setData(xs, c.current_loss + c.slope * (xs - c.current))
        # The steps within the curve's range (a run far off the chart shows its
        # last steps only); each at the curve's exact value there.
        on = (path >= c.values[0]) & (path <= c.values[-1])
        ys = np.full(len(path), np.nan)
        ys[on] = c.loss_of(path[on])
        on &= np.isfinite(ys)
        fading = self._fading(colors["path"], len(path))
        self.path_line.setData(path[on], ys[on], pen=pg.mkPen((*colors["path"], 110), width=1))
        self.path_points.setData(path[on], ys[on], data=[s for s, keep in zip(steps, on) if keep], size=7,
                                 brush=[b for b, keep in zip(fading, on) if keep],
                                 pen=pg.mkPen(colors["path"], width=0.5))
        self.now.setData([c.current], [c.current_loss], data=[step])
        hop = nxt is not None and bool(np.isfinite(nxt).all())
        self.next_hop.setData([c.current, nxt[0]] if hop else [], [c.current_loss, nxt[1]] if hop else [])
        self.next_point.setData([nxt[0]] if hop else [], [nxt[1]] if hop else [])
        p.enableAutoRange()
        return int(on.sum())

    def show_map(self, g, names: tuple[str, str], paths: tuple, steps: list, step) -> int:
        """Grid ``g`` over the weights called ``names``; ``paths`` their values
        after the ``steps``. Returns how many of the steps are on the map."""
        self._one(False)
        p = self.plotItem
        p.setLabel("bottom", names[0])
        p.setLabel("left", names[1])
        va, vb = g.a_values, g.b_values
        t = loss_shades(g.loss)
        da = (va[-1] - va[0]) / max(1, len(va) - 1)
        db = (vb[-1] - vb[0]) / max(1, len(vb) - 1)
        fine = smooth(t, SMOOTH)  # pixel centres on the grid's values, and SMOOTH-1 between
        lut = pg.colormap.get("viridis").getLookupTable(0.0, 1.0, 256)
        self.image.setImage(fine, lut=lut, levels=(0.0, 1.0), autoLevels=False)
        fa, fb = da / SMOOTH, db / SMOOTH
        self.image.setRect(QRectF(va[0] - fa / 2, vb[0] - fb / 2, fa * fine.shape[1], fb * fine.shape[0]))
        for c in self.contours:
            p.removeItem(c)
        self.contours = []
        for level in np.linspace(0.0, 1.0, CONTOUR_LEVELS + 2)[1:-1]:
            ink = (255, 255, 255, 130) if level < 0.55 else (0, 0, 0, 90)  # light on the dark valley
            iso = pg.IsocurveItem(data=t, level=level, pen=pg.mkPen(ink, width=1))
            # Isocurve points are grid indices: index (i, j) goes to (va[i], vb[j]).
            iso.setTransform(QTransform.fromTranslate(va[0], vb[0]).scale(da, db))
            iso.setZValue(-5)
            p.addItem(iso)
            self.contours.append(iso)
        pa, pb = paths
        on = (pa >= va[0]) & (pa <= va[-1]) & (pb >= vb[0]) & (pb <= vb[-1])  # the steps on the map
        fading = self._fading((255, 255, 255), len(pa))
        self.path_line.setData(pa[on], pb[on], pen=pg.mkPen("#ffffff", width=1.5))
        self.path_points.setData(pa[on], pb[on], data=[s for s, keep in zip(steps, on) if keep], size=5,
                                 brush=[b for b, keep in zip(fading, on) if keep],
                                 pen=pg.mkPen("#222222", width=0.8))
        self.now.setData([g.current[0]], [g.current[1]], data=[step])
        p.setRange(xRange=(va[0], va[-1]), yRange=(vb[0], vb[-1]), padding=0)
        return int(on.sum())

    def _path_tip(self, x, y, data) -> str:
        where = f"w = {x:.6g}, loss {y:.6g} (the other weights as now)" if self.dims == 1 else \
            f"({x:.6g}, {y:.6g})"
        return f"after step {data}: {where}"

    def _next_tip(self, x, y, data) -> str:
        return f"the next step (plain SGD over the whole batch): w = {x:.6g}, loss {y:.6g}"

    def _now_tip(self, x, y, data) -> str:
        where = f"w = {x:.6g}, loss {y:.6g}" if self.dims == 1 else f"({x:.6g}, {y:.6g})"
        return f"now (step {data}): {where}"


# ------------------------------------------------------------------ captions
def next_step_shown(config) -> bool:
    """Plain SGD (no momentum): the next step is -lr · the slope, which the view can show."""
    return getattr(config, "optimizer", None) == "sgd" and not getattr(config, "momentum", 0.0) \
        and getattr(config, "lr", None) is not None


def _drawn_at(step, lags: bool) -> tuple[str, str]:
    """(the caption's first words, a sentence for its tool tip) of a view drawn
    at ``step``; ``lags``: training went on meanwhile (the toolbar's step is newer)."""
    at = step if step is not None else "-"
    if not lags:
        return f"Step {at}", ""
    return (f"Drawn at step {at}", f"\nDrawn at step {at} while training goes on: it is redrawn every so "
            "often, so the toolbar's step is newer; paused, it catches up.")


def curve_caption(c, name: str, step, shown: int, kept: int, config, rows: int,
                  regularized: bool, lags: bool = False) -> tuple[str, str]:
    """(three short lines of numbers under the curve, the full reading for
    its tool tip) for curve ``c`` at ``step``, ``shown`` of ``kept`` steps on
    the chart, with the run's ``config`` on ``rows`` training rows (``lags``:
    see :func:`_drawn_at`)."""
    at = step if step is not None else "-"
    head, late = _drawn_at(step, lags)
    off = kept - shown
    plain_sgd = next_step_shown(config)
    nxt_w = c.current - config.lr * c.objective_slope if plain_sgd else None
    whole = getattr(config, "batch_size", 0) >= rows  # then it is the next step
    nxt = "" if nxt_w is None else \
        f" · next w = {nxt_w:.5g}" if whole else f" · whole-batch step to {nxt_w:.5g}"
    text = (f"{head} · w = {c.current:.5g} · loss {c.current_loss:.4g}\n"
            f"tangent slope dL/dw = {c.slope:.4g}{nxt}\nothers held as now · points: last "
            f"{shown} steps" + (f" ({off} off the chart)" if off else "")
            + (" · dashed: + L1/L2" if regularized else ""))
    tip = (f"The loss over {name} with every other weight held where it is (step {at}).\n"
           f"Now w = {c.current:.6g}, loss {c.current_loss:.6g}.\n"
           f"The dashed orange line is the tangent at w = {c.current:.6g}: its slope "
           f"{c.slope:.6g} is the gradient dL/dw.\n"
           + (f"Plain SGD over the whole batch (lr {config.lr:g}) steps against the slope, to "
              f"w = {c.current:.6g} - {config.lr:g} × {c.objective_slope:.6g} = {nxt_w:.6g} (the hollow point).\n"
              if plain_sgd else "")
           + f"Points: w after each of the last {shown} steps drawn; the height of each is the "
           "loss at that w with the other weights as they are now (what a one-weight slice can show)."
           + ("\nDashed grey: loss + the L1/L2 penalty, what the steps descend (slope "
              f"{c.objective_slope:.6g}); the trainer's recorded loss is the solid curve."
              if regularized else "") + late)
    return text, tip


def map_caption(g, names: tuple[str, str], step, shown: int, kept: int, lags: bool = False) -> tuple[str, str]:
    """(short lines, tool tip) for grid ``g`` over the weights called ``names``."""
    at = step if step is not None else "-"
    head, late = _drawn_at(step, lags)
    off = kept - shown
    text = (f"{head} · loss {g.current_loss:.4g}\ngradient ({g.gradient[0]:.4g}, "
            f"{g.gradient[1]:.4g}) · darker is lower\nothers held as now · white: last {shown} "
            "steps" + (f" ({off} off the map)" if off else ""))
    tip = (f"The loss over {names[0]} (across) and {names[1]} (up) with every other weight held "
           f"where it is (step {at}). Darker is lower; the lines join points of equal loss.\n"
           f"Now: loss {g.current_loss:.6g}, gradient ({g.gradient[0]:.6g}, {g.gradient[1]:.6g}) "
           f"(the red point); the white line: the last {shown} steps drawn." + late)
    return text, tip
