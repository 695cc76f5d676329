"""The confusion matrix beside the curves: counts of true against predicted
class, each row's precision, recall and F1, its text sized to the cells.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget

from ..widgets.colours import diverging_rgba
from ..widgets.plots import BasePlot
from ..widgets.scale import scaled_pt

SCORE_COLUMNS = ("P", "R", "F1")  # precision, recall, F1 per class, right of the counts
SCORE_GAP = 0.3  # the space between the counts and the scores, in cells
CELL_PT = (9.0, 6.0)  # the cells' text: its largest and smallest size in points
CELL_PAD = 4  # pixels a cell keeps free around its text
#: Many classes (MNIST's 10): the cells' text stays at least MANY_CLASSES_PT
#: (6 pt made a 10x10 matrix's counts barely readable); the matrix asks for
#: that room and its scroll area scrolls.
MANY_CLASSES, MANY_CLASSES_PT = 6, 8.0
NAME_GAP = 6  # pixels between two class names under the columns


class ConfusionPlot(BasePlot):
    """Counts of true class (rows, top to bottom) against predicted (columns),
    and beside each row the class's precision, recall and F1. The text's size
    follows the cells' (down to CELL_PT's smallest, below which the plot asks
    for more room): a count is never cut."""

    wantsRoom = Signal()  # the width it would like (wanted_width) changed

    def __init__(self, parent=None):
        self.wanted, self.withheld = True, False  # shown when the run has counts; quiz mode withholds it
        self._wanted = 0
        self._laying_out = self._again = False
        super().__init__("confusionPlot", "Confusion (test)", parent)
        p = self.plotItem
        p.setMouseEnabled(False, False)
        p.hideButtons()
        p.setLabel("bottom", "predicted")
        p.setLabel("left", "true")
        p.getAxis("bottom").setStyle(hideOverlappingLabels=60)  # the first name may reach under the row names
        self.image = pg.ImageItem()
        p.addItem(self.image)
        self.texts: list[pg.TextItem] = []  # k x k counts, then k x 3 scores, row by row
        self.counts = None
        self.scores = None  # (k, 3): precision, recall, F1
        self.class_names: list[str] = []
        self.cell_font = self.font()
        self.area: QWidget | None = None  # the scroll area it sits in, shown and hidden with it
        self.setMinimumWidth(140)
        # The title over the whole plot, not only the cells' column right of
        # the row names: there it was cut to "Confusion (tes".
        p.layout.removeItem(p.titleLabel)
        p.layout.addItem(p.titleLabel, 0, 0, 1, 3)
        self.plotItem.vb.sigResized.connect(lambda *_: self._layout())

    def setVisible(self, visible: bool) -> None:
        """Shown and hidden with the scroll area it sits in (an empty area took
        the room); quiz mode withholds it until revealed."""
        self.wanted = visible
        shown = visible and not self.withheld
        if self.area is not None:
            self.area.setVisible(shown)
        super().setVisible(shown)

    def withhold(self, on: bool) -> None:
        """Quiz mode: hidden, whatever the run shows, until revealed."""
        self.withheld = on
        self.setVisible(self.wanted)

    @property
    def columns(self) -> float:
        """The plot's width in cells: the counts, then the scores after a gap."""
        k = len(self.class_names)
        return k + (SCORE_GAP + len(SCORE_COLUMNS) if self.scores is not None else 0)

    def _layout(self) -> None:
        """Lay the matrix out for the ViewBox's size; again if that changed
        meanwhile (new fonts resize the axes, and so the ViewBox, inside:
        a call nested in another was undone by the outer one's older sizes)."""
        if self._laying_out:
            self._again = True
            return
        self._laying_out = True
        try:
            for _ in range(4):
                self._again = False
                self._layout_once()
                if not self._again:
                    break
        finally:
            self._laying_out = False

    def _layout_once(self) -> None:
        """The class names under their columns whole (every other one a line
        lower where they are wider than a cell: "versicolor" was cut to "v…"),
        the cells' text sized to fit them."""
        k = len(self.class_names)
        if not k:
            return
        vb = self.plotItem.vb
        cell_w, cell_h = vb.width() / self.columns, vb.height() / k
        self._size_text(cell_w, cell_h)
        fm = QFontMetrics(self.cell_font)
        widest = max(fm.horizontalAdvance(n) for n in self.class_names) + NAME_GAP
        staggered = widest > cell_w and k > 1
        room = max(12, int(cell_w * (2 if staggered else 1)) - NAME_GAP)  # (too narrow even so: elided)
        ticks = [(i + 0.5, ("\n" if staggered and i % 2 else "") + fm.elidedText(n, Qt.TextElideMode.ElideRight, room))
                 for i, n in enumerate(self.class_names)]
        if self.scores is not None:
            ticks += [(k + SCORE_GAP + m + 0.5, name) for m, name in enumerate(SCORE_COLUMNS)]
        self.plotItem.getAxis("bottom").setTicks([ticks])
        left = self.plotItem.getAxis("left")
        room = max(24, int(self.width() * 0.3))  # the row names take less than a third of the plot
        left.setTicks([[(k - 1 - i + 0.5, fm.elidedText(n, Qt.TextElideMode.ElideRight, room))
                        for i, n in enumerate(self.class_names)]])
        wanted = self.wanted_width()
        if wanted != self._wanted:
            self._wanted = wanted
            self.wantsRoom.emit()

    def wanted_width(self) -> int:
        """The width at which the names are whole and the cells' text is no
        smaller than halfway down CELL_PT (0: no counts)."""
        k = len(self.class_names)
        texts = [t.toPlainText() for t in self.texts]
        if not k or not texts:
            return 0
        font = QFont(self.font())
        font.setPointSizeF(scaled_pt(sum(CELL_PT) / 2))
        fm = QFontMetrics(font)
        cell = max(fm.horizontalAdvance(t) for t in texts) + CELL_PAD
        widest = max(fm.horizontalAdvance(n) for n in self.class_names) + NAME_GAP
        cell = max(cell, widest / 2 if k > 1 else widest)  # (names every other one a line lower)
        names = min(widest, max(24, int(self.width() * 0.3)))
        label = fm.height() + 8  # the axis' "true"
        return int(np.ceil(names + label + cell * self.columns + 16))

    def _size_text(self, cell_w: float, cell_h: float) -> None:
        """The largest font (within CELL_PT) whose widest text fits a cell, and
        whose class names fit two (see _layout); if even the smallest text
        does not fit, the plot's minimum size grows to fit it."""
        texts = [t.toPlainText() for t in self.texts]
        if not texts:
            return
        names = (2 if len(self.class_names) > 1 else 1) * cell_w
        font = QFont(self.font())
        many = len(self.class_names) >= MANY_CLASSES
        hi, lo = scaled_pt(CELL_PT[0]), scaled_pt(MANY_CLASSES_PT if many else CELL_PT[1])
        size = hi
        while True:
            font.setPointSizeF(size)
            fm = QFontMetrics(font)
            wide = max(fm.horizontalAdvance(t) for t in texts) + CELL_PAD
            tall = fm.height()
            named = max(fm.horizontalAdvance(n) for n in self.class_names) + NAME_GAP <= names
            if (wide <= cell_w and tall <= cell_h and named) or size <= lo:
                break
            size = max(lo, size - 0.5)
        if wide > cell_w or tall > cell_h:  # room for the smallest text: the cells must grow
            vb = self.plotItem.vb
            extra_w, extra_h = self.width() - vb.width(), self.height() - vb.height()
            self.setMinimumSize(int(extra_w + wide * self.columns) + 1,
                                int(extra_h + tall * len(self.class_names)) + 1)
            self.wantsRoom.emit()
        axes = [self.plotItem.getAxis(side) for side in ("bottom", "left")]
        if font != self.cell_font or any(t.textItem.font() != font for t in self.texts) or \
                any(axis.style["tickFont"] != font for axis in axes):  # (a theme's restyle gives them the UI font)
            self.cell_font = QFont(font)
            for t in self.texts:
                t.setFont(font)
            for axis in axes:  # the class names as large as the counts, no larger
                axis.setTickFont(font)

    def clear_counts(self) -> None:
        """No counts (a new run): an empty matrix until the first ones come."""
        self.counts = None
        self.scores = None
        self.image.clear()
        for t in self.texts:
            t.setText("")
        self.class_names = []
        self.setMinimumSize(140, 90)  # the room a larger matrix asked for is given back
        for side in ("bottom", "left"):
            self.plotItem.getAxis(side).setTicks([[]])

    def _title(self, on: str) -> None:
        """"Confusion (test)", or "(train)" when every row trains."""
        title = f"Confusion ({on})"
        if self.plotItem.titleLabel.text != title:
            self.plotItem.setTitle(title, size="9pt")
            self.apply_theme()

    def cell_text(self, i: int, j: int) -> pg.TextItem:
        """The text item of row ``i`` (true class), column ``j`` (a predicted
        class, then k, k + 1, k + 2: precision, recall, F1)."""
        k = len(self.class_names)
        return self.texts[i * k + j] if j < k else self.texts[k * k + i * len(SCORE_COLUMNS) + j - k]

    def set_counts(self, counts: np.ndarray, names: list[str], scores=None, on: str = "test") -> None:
        """``counts`` ``(k, k)``; ``scores`` ``(precision, recall, f1)``, each
        ``(k,)``, shown beside the rows (None: the counts alone); counted on the ``on`` rows
        ("test", or "train" without a test set)."""
        self._title(on)
        self._on = on
        k = counts.shape[0]
        self.counts = counts
        ink = QGuiApplication.palette().color(QPalette.ColorRole.Text).name()  # on the light/dark middle
        rows = counts.sum(axis=1, keepdims=True)
        share = counts / np.maximum(rows, 1)
        # Row 0 (the first true class) at the top, like a table.
        rgba = diverging_rgba(share[::-1])
        self.image.setImage(rgba, autoLevels=False)
        self.image.setRect(QRectF(0, 0, k, k))
        had_scores = self.scores is not None
        self.scores = None if scores is None else np.column_stack([np.asarray(s, dtype=float) for s in scores])
        n_texts = k * k + (k * len(SCORE_COLUMNS) if self.scores is not None else 0)
        reshaped = len(self.texts) != n_texts or had_scores != (self.scores is not None)
        if len(self.texts) != n_texts:
            for t in self.texts:
                self.plotItem.removeItem(t)
            self.texts = []
            for _ in range(n_texts):
                t = pg.TextItem(anchor=(0.5, 0.5))
                t.setFont(self.cell_font)
                self.plotItem.addItem(t)
                self.texts.append(t)
        self.class_names = list(names[:k])
        if reshaped:
            self.plotItem.setRange(xRange=(0, self.columns), yRange=(0, k), padding=0)
        for i in range(k):
            for j in range(k):
                t = self.texts[i * k + j]
                t.setText(str(int(counts[i, j])), color=ink if share[i, j] < 0.6 else "#ffffff")
                t.setPos(j + 0.5, k - 1 - i + 0.5)
            if self.scores is not None:
                for m in range(len(SCORE_COLUMNS)):
                    t = self.cell_text(i, k + m)
                    t.setText(f"{self.scores[i, m]:.2f}", color=ink)
                    t.setPos(k + SCORE_GAP + m + 0.5, k - 1 - i + 0.5)
        self._layout()

    def apply_theme(self) -> None:
        """The axes, and the cells' ink and colours, in the theme's (a theme
        switch while paused left black scores on dark grey)."""
        super().apply_theme()
        for side in ("bottom", "left"):  # no line along the cells nor ticks into them: they crossed
            axis = self.plotItem.getAxis(side)  # the first column's counts ("-110") and a short plot's last row
            unseen = QColor(axis.textPen().color())
            unseen.setAlpha(0)
            axis.setPen(unseen)  # (the names and the axis' label keep the text's colour)
            axis.setStyle(tickLength=0)
        if getattr(self, "counts", None) is not None:
            scores = None if self.scores is None else tuple(self.scores.T)
            self.set_counts(self.counts, self.class_names, scores, getattr(self, "_on", "test"))
