"""pyqtgraph views of a training run: the plot style, and the output view
(the decision boundary or fitted curve over the data). The colours are in
:mod:`.colours`; the curves, confusion matrix and gradient plots in
:mod:`nnbuilder.gui.run.curves`.

Every view draws from arrays of a snapshot the worker never writes again, or
from the GUI's own bounded :class:`~nnbuilder.core.engine.trainer.History`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from .scale import scaled_pt, ui_scale
from .colours import CLASS_COLORS, REGRESSION_LEVELS, diverging_rgba, output_rgba

# No antialiasing: pyqtgraph paints from Python, holding the GIL, and smooth
# lines cost several times more to rasterize in software.
pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

CONTOUR_EVERY = 4  # output updates per contour trace while training runs


TITLE_PT = 9.0  # a plot's title, in points at 100%


def title_size() -> str:
    """A plot title's size at the UI scale, as pyqtgraph takes it ("9pt")."""
    return f"{scaled_pt(TITLE_PT):g}pt"


def style_plot(plot: pg.PlotItem, grid: bool = True) -> None:
    """The theme's colours and the UI scale's font on ``plot``'s axes (every
    plot's, so presentation mode reaches them all)."""
    pal = QGuiApplication.palette()
    fg = pal.color(QPalette.ColorRole.Text)
    font = QFont(QApplication.font())  # the UI scale's (see .scale)
    for name in ("left", "bottom"):
        ax = plot.getAxis(name)
        ax.setPen(fg)
        ax.setTextPen(fg)
        ax.setTickFont(font)
        # (the label keeps its text and shows only if it has one, as before)
        ax.setLabel(ax.labelText, ax.labelUnits, ax.labelUnitPrefix,
                    **{**ax.labelStyle, "font-size": f"{font.pointSizeF():g}pt"})
    legend = plot.legend
    if legend is not None:  # its size as made (9 pt, 8 pt), half as much larger as the rest: it sits on the curves
        base = vars(legend).setdefault("base_text_pt", float(str(legend.opts["labelTextSize"]).rstrip("pt")))
        legend.setLabelTextSize(f"{base * (1 + ui_scale()) / 2:g}pt")
        for _sample, label in legend.items:
            label.setText(label.text)  # (setLabelTextSize leaves the drawn text as it was)
        getattr(legend, "fit", legend.updateSize)()  # a HeadLegend lays its title row out again
    # An axis with a grid covers the whole plot, so pyqtgraph repaints it
    # (from Python) on every change inside: plots redrawn at 30 Hz go without.
    plot.showGrid(x=grid, y=grid, alpha=0.2)


class ReadableAxis(pg.AxisItem):
    """An axis whose tick labels never run into each other: pyqtgraph spaces
    its ticks by the axis' length alone, and a 50 px tall plot at 200% drew
    six overlapping labels (a log axis its 0.1, 0.09, 0.08 on each other).
    The first level's ticks are spaced further apart until their labels fit
    (at least one stays); a further level shows only if all of its labels fit too."""

    GAP = 0.35  # the room kept free between two labels: times a line's height (a vertical axis) ...
    GAP_CHARS = 1.5  # ... or the width of this many digits (a horizontal one)

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal, maxVal, size)
        lo, hi = sorted((minVal, maxVal))
        if hi <= lo or size <= 0 or not levels:
            return levels
        fm = QFontMetricsF(self.style["tickFont"] or QApplication.font())
        vertical = self.orientation in ("left", "right")
        per_unit = size / (hi - lo)

        def spots(spacing, values) -> list[tuple[float, float]]:
            """(centre, half extent) along the axis, in px, of each label."""
            strings = self.tickStrings(values, self.autoSIPrefixScale * self.scale, spacing)
            return [((v - lo) * per_unit, (fm.height() if vertical else fm.horizontalAdvance(t)) / 2)
                    for v, t in zip(values, strings)]

        gap = fm.height() * self.GAP if vertical else fm.horizontalAdvance("0") * self.GAP_CHARS

        def fits(labels) -> bool:
            labels = sorted(labels)
            return all(b[0] - a[0] >= a[1] + b[1] + gap for a, b in zip(labels, labels[1:]))

        spacing, values = levels[0]
        values = list(values)
        while len(values) > 1 and not fits(spots(spacing, values)):
            if spacing is None or spacing <= 0:  # (a log axis' irregular ticks) every other one
                values = values[::2]
                continue
            spacing = nice_above(spacing * 1.01)
            steps = np.arange(np.ceil(lo / spacing - 1e-9), np.floor(hi / spacing + 1e-9) + 1).astype(int)
            values = [float(k * spacing) for k in steps] or [values[0]]  # (k * spacing: never a "-0")
        kept, labels = [(spacing, values)], spots(spacing, values)
        for spacing, values in levels[1:]:
            more = labels + spots(spacing, list(values))
            if not fits(more):
                break
            kept.append((spacing, values))
            labels = more
        return kept


def nice_above(x: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``x`` (> 0)."""
    power = 10.0 ** np.floor(np.log10(x))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * power >= x * (1 - 1e-9):
            return m * power
    return 10.0 * power


class HeadLegend(pg.LegendItem):
    """A legend beside the curves, never over them (inside the data area it
    covered half of a 110 px tall loss plot with pinned runs): in the title
    row right of the title if its entries fit there side by side; else in a
    column right of the data area (the plot's width pays, not its height:
    rows of entries beside the title left a loss plot 31 px of curves); else,
    a plot too narrow for that column, in rows under the title (beside it,
    they covered it). Added entries
    land here, as with ``addLegend``."""

    COLUMN_SHARE = 0.45  # the most of the plot's width a legend column may take

    def __init__(self, plot_item: pg.PlotItem, label_size: str = "8pt"):
        super().__init__(offset=None, labelTextSize=label_size, horSpacing=10, verSpacing=-9,
                         labelTextColor=QGuiApplication.palette().color(QPalette.ColorRole.Text))
        self.layout.setContentsMargins(0, 0, 0, 0)  # (pyqtgraph's 9 px each side made a row 39 px tall)
        self._plot = plot_item
        self._margins = plot_item.layout.getContentsMargins()  # the plot's own, without a legend column
        self.placement = "row"  # "row": beside the title, "column": right of the data, "rows": in the title row
        self.setParentItem(plot_item)
        plot_item.legend = self  # plot(name=...) adds its entry here
        plot_item.geometryChanged.connect(self.fit)

    def addItem(self, item, name):
        super().addItem(item, name)
        self.fit()

    def removeItem(self, item):
        super().removeItem(item)
        self.fit()

    def clear(self):
        super().clear()
        self.fit()

    def set_ink(self, colour) -> None:
        """The labels in the theme's text colour, drawn again (pyqtgraph's
        setLabelTextColor only applies to the next text); a label with its
        own colour (a pinned run's) keeps it."""
        old = pg.mkColor(self.opts["labelTextColor"] or pg.getConfigOption("foreground")).name()
        self.setLabelTextColor(colour)
        for _, label in self.items:
            own = label.opts.get("color")
            if own is None or pg.mkColor(own).name() in (old, pg.mkColor(colour).name()):
                label.setText(label.text, color=colour)
        self.fit()

    def updateSize(self):
        """Its entries' own size (pyqtgraph's sums the sizes the layout last
        gave them: a legend once three rows tall stayed as tall in one)."""
        self.layout.invalidate()
        hint = self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        self.setGeometry(0, 0, hint.width(), hint.height())

    def _columns(self, cols: int) -> float:
        self.setColumnCount(cols)
        self.updateSize()
        return self.width()

    def fit(self) -> None:
        """The legend where it fits (see the class), the title row as tall as its text."""
        p, n = self._plot, len(self.items)
        title = p.titleLabel
        shown = title.isVisible() and bool(title.text)
        if shown and title.opts.get("justify") != "left":  # the title at the left, the legend at the right
            title.setText(title.text, justify="left")
        title_width = title.item.boundingRect().width() if shown else 0.0
        title_height = title.item.boundingRect().height() if shown else 0.0
        left = p.getAxis("left").width() if p.getAxis("left").isVisible() else 0.0
        l, t, r, b = self._margins
        self.setVisible(n > 0)
        room = p.width() - left - title_width - 16 - r
        if n == 0 or self._columns(n) <= room:
            self.placement = "row"
        elif self._columns(1) + 8 <= self.COLUMN_SHARE * p.width():
            self.placement = "column"
        else:  # rows under the title, as many entries to a row as the width holds
            self.placement = "rows"
            cols = n - 1
            while cols > 1 and self._columns(cols) > p.width() - left - r - 8:
                cols -= 1
            self._columns(max(cols, 1))
        column, under = self.placement == "column", self.placement == "rows"
        p.layout.setContentsMargins(l, t, r + (self.width() + 8 if column else 0), b)
        legend_row = 0 if column or n == 0 else self.height() + 2
        row = int(np.ceil(title_height + legend_row if under else max(title_height, legend_row)))
        if shown:
            title.setMaximumHeight(max(int(np.ceil(title_height)), 1))
        p.layout.setRowFixedHeight(0, row)
        top = title_height + 2 if under else (row + 2 if column else 2)
        self.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-4, top))


class BasePlot(pg.PlotWidget):
    show_grid = False  # a grid makes each axis repaint the whole plot (tens of ms per update)

    def __init__(self, object_name: str, title: str, parent=None):
        super().__init__(parent=parent, axisItems={side: ReadableAxis(side) for side in ("left", "bottom")})
        self.setObjectName(object_name)
        self.setAccessibleName(title)
        self.setMinimumSize(110, 90)  # small: the plots side by side must not push the side panels
        self.plotItem.setTitle(title, size=title_size())
        self.apply_theme()

    def apply_theme(self) -> None:
        pal = QGuiApplication.palette()
        self.setBackground(pal.color(QPalette.ColorRole.Base))
        style_plot(self.plotItem, self.show_grid)
        title = self.plotItem.titleLabel
        if title.text:
            title.setText(title.text, color=pal.color(QPalette.ColorRole.Text).name(), size=title_size())
        if isinstance(self.plotItem.legend, HeadLegend):
            self.plotItem.legend.set_ink(pal.color(QPalette.ColorRole.Text))
        elif title.isVisible() and title.text:  # the title row as tall as the title at this scale (pyqtgraph's: 30 px)
            height = int(np.ceil(title.item.boundingRect().height()))
            title.setMaximumHeight(height)
            self.plotItem.layout.setRowFixedHeight(0, height)


class BoundaryPlot(BasePlot):
    """The network's output over the input plane (2-D) or line (1-D), with the data.

    ``pointClicked(x, y, remove, next_class)`` reports clicks in the plane
    while :attr:`painting` is on (Shift: next class; Ctrl or right button: remove).
    Otherwise a click on a data point reports its row as ``sampleClicked(row)``
    (0-based, in the dataset's order); :meth:`mark_sample` rings one.
    """

    pointClicked = Signal(float, float, bool, bool)
    sampleClicked = Signal(int)

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
        self.sample_mark = pg.ScatterPlotItem(size=17, brush=None, pen=pg.mkPen("#E03131", width=2.5))
        self.sample_mark.setZValue(20)
        p.addItem(self.sample_mark)
        # SGD's batch: the rows a step drew (or is about to draw), ringed in violet
        # (violet: amber vanished on the orange class region, the teacher found)
        self.batch_mark = pg.ScatterPlotItem(size=13, brush=None, pen=pg.mkPen("#7048E8", width=2.5))
        self.batch_mark.setZValue(19)
        p.addItem(self.batch_mark)
        for points in (self.train_points, self.test_points):
            points.sigClicked.connect(self._sample_clicked)
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

    def _sample_clicked(self, _item, points, event=None) -> None:
        if self.painting or not len(points):
            return
        row = points[0].data()
        if row is not None:
            self.sampleClicked.emit(int(row))

    def mark_sample(self, x_raw: np.ndarray | None, y=None) -> None:
        """Ring the sample with raw inputs ``x_raw`` (its target ``y`` is the
        height on a 1-D plot); None removes the ring."""
        g = self.grid
        if x_raw is not None:
            x_raw = np.ravel(x_raw)
        if x_raw is None or g is None or len(x_raw) != g.raw.shape[1]:  # none, or of other data than shown
            self.sample_mark.clear()
            return
        if g.ys is not None:
            px, py = x_raw[g.axes[0]], x_raw[g.axes[1]]
        else:
            px, py = x_raw[0], float(np.ravel(y)[0]) if y is not None else 0.0
        self.sample_mark.setData([float(px)], [float(py)])

    def mark_batch(self, X_raw: np.ndarray | None, y=None) -> None:
        """Ring the rows of a training batch (raw inputs ``(k, columns)``, their
        targets ``y`` the heights on a 1-D plot) in violet; None removes them."""
        g = self.grid
        if X_raw is None or g is None or np.ndim(X_raw) != 2 or np.shape(X_raw)[1] != g.raw.shape[1]:
            self.batch_mark.clear()
            return
        X_raw = np.asarray(X_raw, dtype=float)
        if g.ys is not None:
            px, py = X_raw[:, g.axes[0]], X_raw[:, g.axes[1]]
        else:
            px = X_raw[:, 0]
            py = np.zeros(len(X_raw)) if y is None else np.asarray(y, dtype=float).reshape(len(X_raw), -1)[:, 0]
        self.batch_mark.setData(px, py)

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
                 names: list[str] | None = None, rows=(None, None)) -> None:
        """Raw points and targets (labels or values); with more than two columns
        the points are projected on the grid's two axes (``names``: the columns).
        ``rows``: each set's row numbers in the dataset (what a click reports)."""
        self.grid, self.task, self.n_classes = grid, task, n_classes
        self.sample_mark.clear()
        self.batch_mark.clear()
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
        self._points(self.train_points, X_train, y_train, rows[0])
        self._points(self.test_points, X_test, y_test, rows[1])
        self.test_points.setVisible(self.show_test)
        self.plotItem.setTitle(None)
        if grid.ys is not None:
            self.plotItem.setAspectLocked(not grid.fixed)  # a plane is not stretched; a slice may be
            self.plotItem.setRange(xRange=grid.x_range, yRange=grid.y_range, padding=0)
            self.plotItem.setLabel("bottom", names[grid.axes[0]])
            self.plotItem.setLabel("left", names[grid.axes[1]])
        else:
            self.plotItem.setAspectLocked(False)
            self.plotItem.enableAutoRange()
            self.plotItem.setLabel("bottom", "x")
            self.plotItem.setLabel("left", "y")

    def _points(self, item, X, y, rows=None) -> None:
        if X is None or len(X) == 0:
            item.clear()
            return
        data = None if rows is None else np.asarray(rows)
        if X.shape[1] == 1:  # 1-D regression: (x, y) points
            item.setData(X[:, 0], np.ravel(y), brush=pg.mkBrush("#F59322"), data=data)
            return
        # One brush object per colour: pyqtgraph renders a symbol for each
        # distinct brush it is given (a new brush per point cost ~0.1 ms each).
        if self.task == "classification":
            palette = [pg.mkBrush(c) for c in CLASS_COLORS]
            index = np.ravel(y).astype(int) % len(CLASS_COLORS)
        else:
            v = np.ravel(y)
            levels = np.linspace(-1.0, 1.0, REGRESSION_LEVELS)
            palette = [pg.mkBrush(*c) for c in diverging_rgba(levels)]
            index = np.rint((v / max(float(np.abs(v).max()), 1e-9) + 1) / 2 * (REGRESSION_LEVELS - 1)).astype(int)
        item.setData(X[:, 0], X[:, 1], brush=[palette[i] for i in index], data=data)

    def set_show_test(self, show: bool) -> None:
        self.show_test = show
        self.test_points.setVisible(show)

    # output ----------------------------------------------------------------
    def clear_output(self) -> None:
        """No network output (a new run): the data alone."""
        self.image.clear()
        self.contour.setData(None)
        self.curve.setData([], [])
        self.last_rgba = None

    def set_output(self, outputs: np.ndarray | None, threshold: float, value_range,
                   exact: bool = True) -> None:
        """``outputs`` ``(n_grid, k)`` over the grid; ``value_range`` (lo, hi) maps
        one-output values to colours, centred on ``threshold``. While training
        runs (``exact`` False) the contour is traced on every CONTOUR_EVERY-th call."""
        g = self.grid
        if outputs is None or g is None:
            return
        if g.ys is None:
            self.curve.setData(g.xs, outputs[:, 0])
            return
        res = g.resolution
        rgba = output_rgba(outputs, res, threshold, value_range, self.discretize)
        if outputs.shape[1] == 1:
            v = outputs[:, 0].reshape(res, res)
            self._frame += 1
            if self.task != "classification":
                self.contour.setData(None)
            elif exact or self._frame % CONTOUR_EVERY == 0 or self.contour.data is None:
                # pyqtgraph's isocurve is pure Python (~18 ms on a spiral's
                # boundary): trace it on every other grid point (the line is
                # still smooth) and, while training runs, on every few frames.
                self.contour.setLevel(threshold)
                self.contour.setData(v[::2, ::2])
                self.contour.resetTransform()
                self.contour.setTransform(pg.QtGui.QTransform.fromScale(2.0, 2.0))
        else:  # several classes: the winner's colour, brighter when confident
            self.contour.setData(None)
        self.last_rgba = rgba
        self.image.setImage(rgba, autoLevels=False)
        x0, x1 = g.x_range
        y0, y1 = g.y_range
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
