"""The Functions view: a layer's activation f and its slope f' over a range of
pre-activations a, the loss against its argument (the error or the margin),
and the picked sample marked on both; a slider for the activation's
parameter α (leaky ReLU slope, ELU scale).

The view knows no controller (:mod:`.functions_link` feeds it): it draws what
it is given and reports the slider: ``alphaPreviewed(value)`` while it is
dragged (the curve follows at once), ``alphaChanged(value)`` when it is let go
or moved by a key (the value to keep).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QSlider, QSpinBox, QVBoxLayout,
                               QWidget)

from nnbuilder.core.teaching.curves import ZERO_ONE

from ..diagram.sample_values import value_text
from ..widgets.colours import CLASS_COLORS
from ..widgets.follows_theme import FollowsTheme
from ..widgets.plots import BasePlot, HeadLegend
from ..widgets.scale import ui_scale

SLIDER_STEP = 0.01  # the slider's resolution of alpha
BLUE_PEN, ORANGE_PEN = CLASS_COLORS[1], CLASS_COLORS[0]  # f (and the chosen loss), f'
MARK_PEN = "#E03131"  # the picked sample, as the output view rings it
ZERO_ONE_PEN = "#2CA02C"
OTHER_PENS = ["#9467BD", "#8C564B", "#7F7F7F", "#17BECF"]  # the other losses on the same argument
MIN_CONTRAST = 3.2  # a curve against the plot's background (WCAG 2 ratio; 3:1 at the least), either theme
CURVE_PX = 2.0  # a curve's width at 100%, times the UI scale (presentation mode widens it)


def _luminance(c: QColor) -> float:
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.redF(), c.greenF(), c.blueF())]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def legible(colour, background: QColor) -> QColor:
    """``colour``, darker on a light background or lighter on a dark one, until
    it contrasts MIN_CONTRAST with it (a grey dashed "hinge" vanished on a dark
    plot, the orange f′ was faint on white)."""
    c, ground = QColor(pg.mkColor(colour)), _luminance(background)
    step = -0.02 if ground > 0.18 else 0.02  # (0.18: as far in contrast from black as from white)
    h, sat, light, _ = c.getHslF()
    while True:
        lum = _luminance(c)
        if max(lum, ground) + 0.05 >= MIN_CONTRAST * (min(lum, ground) + 0.05) or not 0 < light < 1:
            return c
        light = min(max(light + step, 0.0), 1.0)
        c = QColor.fromHslF(max(h, 0.0), sat, light)


def slider_range(value: float, default: float) -> tuple[float, float]:
    """0 .. max(1, 3 x the default), widened to hold ``value``."""
    return min(0.0, value), max(1.0, 3.0 * default, value)


def _drawable(x, y):
    """The points with both coordinates finite (a diverged network gives inf and nan)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


class FunctionPlot(BasePlot):
    """One small plot, its legend in a row above the curves (never over them),
    and a read-out of every curve at the x under the pointer (the nearest
    drawn point), written in the plot beside the pointer (a tool tip was
    replaced by the widget's own after a moment)."""

    def __init__(self, object_name: str, title: str, xlabel: str, parent=None):
        super().__init__(object_name, title, parent)
        self.xname = "a"  # how the read-out names x
        p = self.plotItem
        p.setTitle(None)  # the caption above says what it is: the room goes to the curve
        p.setLabel("bottom", xlabel)
        p.setMenuEnabled(False)
        p.vb.setMouseEnabled(x=False, y=False)  # a fixed picture: the wheel scrolls the panel
        p.hideButtons()
        self.legend = HeadLegend(p)
        self.readout = ""  # what the pointer reads (written beside it)
        self.readout_item = pg.TextItem(anchor=(0, 1))
        self.readout_item.setZValue(20)
        self.readout_item.setVisible(False)
        p.addItem(self.readout_item, ignoreBounds=True)
        self.scene().sigMouseMoved.connect(self._hover)
        self.apply_theme()

    def readout_text(self, x: float) -> str:
        """Each curve's value at the drawn x nearest ``x``: "a = 1.2: f(a) = 0.83, f′(a) = 0.31"."""
        parts, at = [], None
        for item in self.plotItem.listDataItems():
            xs, ys = item.getData()
            if xs is None or not len(xs) or not item.name():
                continue
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            at = xs[i] if at is None else at
            parts.append(f"{item.name()} = {value_text(float(ys[i]))}")
        return "" if at is None else f"{self.xname} = {value_text(float(at))}: " + ", ".join(parts)

    def _hover(self, pos) -> None:
        vb = self.plotItem.vb
        box = vb.sceneBoundingRect()
        inside = box.contains(pos)
        at = vb.mapSceneToView(pos)
        self.readout = self.readout_text(at.x()) if inside else ""
        item = self.readout_item
        item.setVisible(bool(self.readout))
        if self.readout:
            item.setText(self.readout.replace(": ", "\n").replace(", ", "\n"))
            # beside the pointer, on the side with room (left of it in the plot's right half)
            right = pos.x() > box.center().x()
            low = pos.y() < box.center().y()
            item.setAnchor((1 if right else 0, 0 if low else 1))
            item.setPos(at)

    def leaveEvent(self, ev) -> None:
        super().leaveEvent(ev)
        self.readout = ""
        self.readout_item.setVisible(False)

    def apply_theme(self) -> None:
        super().apply_theme()
        if hasattr(self, "readout_item"):  # (the base class calls this before the read-out exists)
            pal = QGuiApplication.palette()
            self.readout_item.setColor(pal.color(QPalette.ColorRole.Text))
            base = pal.color(QPalette.ColorRole.Base)
            base.setAlpha(225)
            self.readout_item.fill = pg.mkBrush(base)
            self.readout_item.border = pg.mkPen(pal.color(QPalette.ColorRole.Mid))
            self.readout_item.update()

    def axis_lines(self) -> None:
        """Thin lines through x = 0 and y = 0 (kept when the curves change)."""
        for angle in (0, 90):
            line = pg.InfiniteLine(angle=angle, pen=pg.mkPen((128, 128, 128, 110), width=1))
            self.plotItem.addItem(line, ignoreBounds=True)


class FunctionsView(FollowsTheme, QWidget):
    """See the module docstring."""

    alphaChanged = Signal(float)
    alphaPreviewed = Signal(float)
    unitChosen = Signal(int)  # 0-based: whose curve a softmax layer draws

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("functionsView")
        self.setAccessibleName("Functions: activation and loss")
        self._updating = False

        self.activation_caption = QLabel()
        self.activation_caption.setObjectName("activationCaption")
        self.activation_caption.setWordWrap(True)
        self.activation_caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.loss_caption = QLabel()
        self.loss_caption.setObjectName("lossCaption")
        self.loss_caption.setWordWrap(True)
        self.loss_caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel()
        self.note.setObjectName("functionsNote")
        self.note.setWordWrap(True)

        self.alpha_label = QLabel("Slope α")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("functionsAlphaSlider")
        self.slider.setAccessibleName("Activation parameter α")
        self.slider.setToolTip("Drag to change the layer's α (the leaky ReLU slope, the ELU scale): "
                               "the curve follows; the layer takes the value where you let go (undoable)")
        self.slider.setTracking(False)  # valueChanged when let go; sliderMoved on the way
        self.slider.valueChanged.connect(self._slid)
        self.slider.sliderMoved.connect(self._moved)
        self.alpha_value = QLabel()
        self.alpha_value.setObjectName("functionsAlphaValue")
        self.alpha_value.setMinimumWidth(self.alpha_value.fontMetrics().horizontalAdvance("-0.000 "))
        self.alpha_label.setBuddy(self.slider)
        self.unit = QSpinBox()
        self.unit.setObjectName("functionsUnitSpin")
        self.unit.setAccessibleName("Unit drawn")
        self.unit.setPrefix("unit ")
        self.unit.setToolTip("The unit whose curve is drawn: softmax mixes the units of a row (the "
                             "others are held at the sample's a); learned slopes differ per unit")
        self.unit.valueChanged.connect(lambda v: self._updating or self.unitChosen.emit(v - 1))
        self.unit.hide()

        self.activation_plot = FunctionPlot("activationPlot", "Activation f(a) and its slope f′(a)",
                                            "a = W x + b")
        self.activation_plot.axis_lines()
        p = self.activation_plot.plotItem
        self.f_curve = self._curve(p, [], [], "f(a)", (BLUE_PEN, 1.0, False))
        self.df_curve = self._curve(p, [], [], "f′(a)", (ORANGE_PEN, 1.0, True))
        self.f_points = pg.ScatterPlotItem(size=10, pen=pg.mkPen(MARK_PEN, width=2), brush=pg.mkBrush(BLUE_PEN))
        self.df_points = pg.ScatterPlotItem(size=10, pen=pg.mkPen(MARK_PEN, width=2),
                                            brush=pg.mkBrush(ORANGE_PEN))
        for points in (self.f_points, self.df_points):
            points.setZValue(10)
            p.addItem(points)

        self.loss_plot = FunctionPlot("lossFunctionPlot", "Loss", "")
        self.loss_plot.axis_lines()
        self.loss_curves: dict[str, pg.PlotDataItem] = {}
        self.loss_points = pg.ScatterPlotItem(size=10, pen=pg.mkPen(MARK_PEN, width=2), brush=pg.mkBrush(BLUE_PEN))
        self.zero_one_points = pg.ScatterPlotItem(size=10, pen=pg.mkPen(MARK_PEN, width=2),
                                                  brush=pg.mkBrush(ZERO_ONE_PEN))
        for points in (self.loss_points, self.zero_one_points):
            points.setZValue(10)
            self.loss_plot.plotItem.addItem(points)

        slider_row = QHBoxLayout()
        slider_row.setContentsMargins(0, 0, 0, 0)
        slider_row.addWidget(self.alpha_label)
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.alpha_value)
        self.slider_row = QWidget()
        self.slider_row.setLayout(slider_row)

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        left, right = QVBoxLayout(), QVBoxLayout()
        caption_row = QHBoxLayout()
        caption_row.setContentsMargins(0, 0, 0, 0)
        caption_row.addWidget(self.activation_caption, 1)
        caption_row.addWidget(self.unit, 0, Qt.AlignmentFlag.AlignTop)
        # the slider beside the caption: a short window keeps the plot's height
        caption_row.addWidget(self.slider_row, 0, Qt.AlignmentFlag.AlignTop)
        self.slider_row.setFixedWidth(self.fontMetrics().horizontalAdvance("Initial slope α") + 150)
        left.addLayout(caption_row)
        for column, widgets in ((left, (self.activation_plot,)),
                                (right, (self.loss_caption, self.loss_plot))):
            column.setSpacing(2)
            for w in widgets:
                column.addWidget(w, 1 if isinstance(w, BasePlot) else 0)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 2)  # the loss's caption (its formula, the sample's margin) the longer:
        grid.setColumnStretch(1, 3)  # in half the width it ran to 4 lines at 200% and left its plot 87 px
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(grid, 1)
        layout.addWidget(self.note)
        self.slider_row.hide()
        self.apply_theme()

    # ------------------------------------------------------------ activation
    def show_activation(self, caption: str, curve=None, points=None, tip: str = "") -> None:
        """``curve`` ``(x, f, df)`` (None: nothing to draw), ``points`` ``(a, f, df)``
        of the sample; ``tip`` the formulas (the caption's and the plot's tool tip)."""
        self.activation_caption.setText(caption)
        self.activation_caption.setToolTip(tip)  # (not the plot's: it hid the read-out)
        x, f, df = curve if curve is not None else ([], [], [])
        self.f_curve.setData(x, f)
        self.df_curve.setData(x, df)
        a, fa, dfa = points if points is not None else ([], [], [])
        self.f_points.setData(*_drawable(a, fa))
        self.df_points.setData(*_drawable(a, dfa))
        if curve is not None:
            self._fit(self.activation_plot, x, (f, df))

    def show_unit(self, unit: int | None, units: int = 1) -> None:
        """The unit picker at ``unit`` of ``units`` (0-based; None: hidden, one
        curve serves every unit)."""
        self.unit.setVisible(unit is not None)
        if unit is None:
            return
        self._updating = True
        try:
            self.unit.setRange(1, max(1, units))
            self.unit.setValue(unit + 1)
        finally:
            self._updating = False

    def show_alpha(self, label: str | None, value: float = 0.0, default: float = 0.0) -> None:
        """The slider for the layer's α, called ``label`` (None: the activation has none)."""
        self.slider_row.setVisible(label is not None)
        if label is None:
            return
        self.alpha_label.setText(label)
        lo, hi = slider_range(value, default)
        self._updating = True
        try:
            self.slider.setRange(round(lo / SLIDER_STEP), round(hi / SLIDER_STEP))
            self.slider.setValue(round(value / SLIDER_STEP))
        finally:
            self._updating = False
        self.alpha_value.setText(value_text(value))

    def _slid(self, position: int) -> None:
        if not self._updating:
            self.alphaChanged.emit(round(position * SLIDER_STEP, 6))

    def _moved(self, position: int) -> None:
        value = round(position * SLIDER_STEP, 6)
        self.alpha_value.setText(value_text(value))
        self.alphaPreviewed.emit(value)

    # ------------------------------------------------------------------ loss
    def show_loss(self, caption: str, plot=None, labels: dict | None = None, tip: str = "") -> None:
        """``plot`` a :class:`~nnbuilder.core.teaching.curves.LossPlot` (None:
        nothing to draw); ``labels`` the legend's name of each curve; ``tip``
        what its argument is (the caption's and the plot's tool tip)."""
        self.loss_caption.setText(caption)
        self.loss_caption.setToolTip(tip)  # (not the plot's: it hid the read-out)
        p = self.loss_plot.plotItem
        if plot is not None and list(plot.curves) == list(self.loss_curves):  # the same losses: new values
            for name, y in plot.curves.items():
                self.loss_curves[name].setData(plot.x, y)
        else:
            for item in self.loss_curves.values():
                p.removeItem(item)
                self.loss_plot.legend.removeItem(item)
            self.loss_curves = {}
        if plot is None:
            self.loss_points.setData([], [])
            self.zero_one_points.setData([], [])
            return
        labels = labels or {}
        others = iter(OTHER_PENS)
        for i, (name, y) in enumerate(plot.curves.items()):
            if name in self.loss_curves:
                continue
            if i == 0:
                look = (BLUE_PEN, 1.25, False)
            elif name == ZERO_ONE:
                look = (ZERO_ONE_PEN, 1.0, False)
            else:
                look = (next(others, "#7F7F7F"), 1.0, True)
            item = self._curve(p, plot.x, y, labels.get(name, name), look)
            item.setZValue(5 if i == 0 else 1)
            self.loss_curves[name] = item
        p.setLabel("bottom", plot.axis.label)
        self.loss_plot.xname = plot.axis.name
        self.loss_points.setData(*_drawable(plot.points_x, plot.points[plot.loss]))
        zero_one = plot.points.get(ZERO_ONE)
        self.zero_one_points.setData(*_drawable(plot.points_x if zero_one is not None else [],
                                                zero_one if zero_one is not None else []))
        self._fit(self.loss_plot, plot.x, [y for y in plot.curves.values()][:1] +
                  ([plot.curves[ZERO_ONE]] if ZERO_ONE in plot.curves else []))

    def show_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    # ----------------------------------------------------------------- look
    @staticmethod
    def _fit(plot: BasePlot, x, ys) -> None:
        """The whole x range; y over the drawn curves (finite values), a little padded."""
        vals = np.concatenate([np.asarray(y, dtype=np.float64) for y in ys])
        vals = vals[np.isfinite(vals)]
        lo, hi = (float(vals.min()), float(vals.max())) if len(vals) else (0.0, 1.0)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        pad = 0.06 * (hi - lo)
        plot.plotItem.setRange(xRange=(float(x[0]), float(x[-1])), yRange=(lo - pad, hi + pad), padding=0)

    @staticmethod
    def _pen(hue, weight: float = 1.0, dashed: bool = False):
        """A curve's pen: ``hue`` made legible on the theme's plot background,
        CURVE_PX times ``weight`` wide at the UI scale."""
        background = QGuiApplication.palette().color(QPalette.ColorRole.Base)
        return pg.mkPen(legible(hue, background), width=CURVE_PX * weight * ui_scale(),
                        style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)

    def _curve(self, p: pg.PlotItem, x, y, name: str, look: tuple) -> pg.PlotDataItem:
        """A curve named ``name`` in the legend, drawn with ``look`` (hue, weight,
        dashed: see _pen), which it keeps for a theme switch or a new scale."""
        item = p.plot(x, y, pen=self._pen(*look), name=name, antialias=True)
        item.look = look
        return item

    def apply_theme(self) -> None:
        for plot in (self.activation_plot, self.loss_plot):
            plot.apply_theme()
            for item in plot.plotItem.listDataItems():
                look = getattr(item, "look", None)
                if look is not None:
                    item.setPen(self._pen(*look))
        c = QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        ink = f"rgba({c.red()}, {c.green()}, {c.blue()}, {c.alpha()})"
        self.note.setStyleSheet(f"color: {ink};")

    def theme_changed(self) -> None:
        self.apply_theme()  # a theme switch repaints the view without anyone having to tell it

