"""The Output dock: the output view with its options under it (test data,
discretize, the slice's two features and the values the others are held at)
and, for painted data, the class picker."""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from nnbuilder.core.data.datasets import DATASET_CONSTRAINTS

from ..widgets.colours import CLASS_COLORS
from ..widgets.plots import BoundaryPlot

MAX_PAINT_CLASSES = DATASET_CONSTRAINTS["classes"].high  # as many as a model file may hold
MIN_PLOT_HEIGHT = 120  # the output view is never squeezed into a strip by its neighbours


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


class Caption(QLabel):
    """A list of items ("petal_length 4.35") after a lead ("others at
    median:"), wrapped within the label's width on at most ``max_lines``
    lines; items that do not fit end in "… and N more", the whole list in
    the tooltip. Never wider than the room it is given."""

    def __init__(self, max_lines: int = 2, parent=None):
        super().__init__(parent)
        self.max_lines = max_lines
        self.lead, self.items = "", []
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        # Its width is the dock's (never the text's); its height follows the lines.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(0)

    def set_items(self, lead: str, items: list[str]) -> None:
        self.lead, self.items = lead, list(items)
        self.setVisible(bool(items))
        self._fit()

    def full_text(self) -> str:
        return f"{self.lead} {', '.join(self.items)}" if self.items else ""

    def _lines(self, text: str, width: int) -> int:
        fm = QFontMetrics(self.font())
        flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
        height = fm.boundingRect(QRect(0, 0, width, 1 << 20), flags, text).height()
        return max(1, round(height / fm.lineSpacing()))

    def _fit(self) -> None:
        """The most items that fit in ``max_lines`` at the width now."""
        full = self.full_text()
        width = max(self.contentsRect().width(), 40)
        if not self.items or self._lines(full, width) <= self.max_lines:
            self._show(full, "", width)
            return
        lo, hi = 0, len(self.items) - 1  # the most items shown, with "… and N more"

        def text(n):
            shown = ", ".join(self.items[:n])
            return f"{self.lead} {shown}{',' if n else ''} … and {len(self.items) - n:,} more"
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._lines(text(mid), width) <= self.max_lines:
                lo = mid
            else:
                hi = mid - 1
        self._show(text(lo), full, width)

    def _show(self, text: str, tip: str, width: int) -> None:
        """``text`` on as many lines as it takes (a layout never squeezes them)."""
        self.setText(text)
        self.setToolTip(tip)
        m = self.contentsMargins()
        self.setFixedHeight(self._lines(text, width) * QFontMetrics(self.font()).lineSpacing()
                            + m.top() + m.bottom() + 2)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())


class ViewOptions(QWidget):
    """What the output view shows: the test data, a discretized output, and for
    data of 3+ columns the two it spans (the others held at their median).
    ``changed`` on every change the person makes."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._quiet = False
        self.show_test = QCheckBox("show test data")
        self.show_test.setObjectName("showTestCheck")
        self.show_test.setChecked(True)
        self.discretize = QCheckBox("discretize output")
        self.discretize.setObjectName("discretizeCheck")
        self.slice_x = QComboBox()
        self.slice_x.setObjectName("sliceXCombo")
        self.slice_x.setToolTip("Feature along the output view's x axis")
        self.slice_y = QComboBox()
        self.slice_y.setObjectName("sliceYCombo")
        self.slice_y.setToolTip("Feature along the output view's y axis")
        self.slice_label = QLabel("x, y:")
        self.slice_label.setToolTip("The two features the output view spans; the others are "
                                    "held at their median")
        self.caption = Caption()  # the values the other columns are held at
        self.caption.setObjectName("sliceCaption")
        self.caption.setVisible(False)
        for box in (self.slice_x, self.slice_y):
            box.currentIndexChanged.connect(lambda _: self._quiet or self.changed.emit())
        self.show_test.toggled.connect(lambda _: self.changed.emit())
        self.discretize.toggled.connect(lambda _: self.changed.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        options = QHBoxLayout()
        options.setContentsMargins(6, 0, 6, 2)
        options.addWidget(self.show_test)
        options.addWidget(self.discretize)
        # Many inputs: the picked row's outputs (ticked: the panel shows them instead of this view)
        self.row_outputs = QCheckBox("row outputs")
        self.row_outputs.setObjectName("rowOutputsCheck")
        self.row_outputs.setToolTip("Many inputs: the picked row's outputs instead of this slice through "
                                    "two of them (the others held at their median)")
        self.row_outputs.setChecked(True)
        self.row_outputs.setVisible(False)
        options.addWidget(self.row_outputs)
        options.addStretch(1)
        layout.addLayout(options)
        slice_row = QHBoxLayout()  # for data with 3+ columns: which two the view spans
        slice_row.setContentsMargins(6, 0, 6, 2)
        slice_row.addWidget(self.slice_label)
        slice_row.addWidget(self.slice_x, 1)
        slice_row.addWidget(self.slice_y, 1)
        layout.addLayout(slice_row)
        caption_row = QHBoxLayout()
        caption_row.setContentsMargins(6, 0, 6, 2)
        caption_row.addWidget(self.caption, 1)
        layout.addLayout(caption_row)

    def set_columns(self, names: list[str], axes: tuple[int, int] = (0, 1)) -> None:
        """Offer the columns for the output view's axes (shown for 3+ columns),
        ``axes`` chosen."""
        self._quiet = True
        try:
            for box, default in zip((self.slice_x, self.slice_y), axes):
                box.clear()
                box.addItems(names)
                box.setCurrentIndex(min(default, len(names) - 1))
                box.setVisible(len(names) > 2)
        finally:
            self._quiet = False
        self.slice_label.setVisible(len(names) > 2)

    def show_held(self, held: list[tuple[str, float]]) -> None:
        """Say the values the columns off the view's axes are held at
        (``[(column name, value)]``; none: nothing to say)."""
        self.caption.set_items("others at median:", [f"{name} {v:.3g}" for name, v in held])

    def slice_axes(self) -> tuple[int, int]:
        i, j = max(self.slice_x.currentIndex(), 0), max(self.slice_y.currentIndex(), 0)
        if i == j:  # two different columns: the next one
            j = (i + 1) % max(self.slice_y.count(), 2)
        return i, j


class OutputPanel(QWidget):
    """``plot`` over its view options and the painting row."""

    def __init__(self, plot: BoundaryPlot, parent=None):
        super().__init__(parent)
        self.setObjectName("outputPanel")
        self.plot = plot
        self.options = ViewOptions()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        plot.setMinimumHeight(MIN_PLOT_HEIGHT)
        layout.addWidget(plot, 1)
        layout.addWidget(self.options)
        self.paint_row = PaintRow()
        layout.addWidget(self.paint_row)
        self.instead: QWidget | None = None  # shown instead of the slice for many inputs
        self.wide = False
        self.row_outputs = self.options.row_outputs
        self.row_outputs.toggled.connect(lambda _: self._show_instead())

    def set_instead(self, view: QWidget) -> None:
        """``view`` is what the panel shows instead of the plot and its options
        for many inputs (the picked row's outputs; :meth:`set_wide`)."""
        self.instead = view
        view.setVisible(False)
        self.layout().addWidget(view, 1)

    def set_wide(self, wide: bool) -> None:
        """Many inputs: the view set with :meth:`set_instead` unless the person
        asks for the slice (``row_outputs`` unticked)."""
        self.wide = wide
        self.row_outputs.setVisible(wide and self.instead is not None)
        self._show_instead()

    def _show_instead(self) -> None:
        on = self.wide and self.instead is not None and self.row_outputs.isChecked()
        # What goes is hidden before what comes shows: both at once asked for a taller window.
        going, coming = ([self.plot, self.options], [self.instead]) if on else ([self.instead], [self.plot, self.options])
        for widget in going + coming:
            if widget is not None:
                widget.setVisible(widget in coming)

    def show_paint_controls(self, dataset: dict) -> None:
        self.paint_row.show_for(dataset)
        self.plot.set_painting("points" in dataset)
