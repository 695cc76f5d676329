"""The selected layer's numbers: its weights W and biases b in a small table.

Rows are the layer's inputs (W[i, ·], counted from 1 as the model file's
``W`` is read) and a row ``b`` (and, for a prelu layer, a last row ``α``: each
unit's learned slope, shown, not typed); columns are its units. While training is
paused a W or b cell can be typed in: ``weightTyped(node id, row, col, value)`` (0-based;
``row`` -1 the bias) goes to the run, which makes it an undoable document
step. The numbers come from ``source()`` (the run's newest weights and
whether it is running), read when the layer or the weights change.
"""
from __future__ import annotations

import math
import time
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from .sample_values import value_text as _text
from ..widgets.fields import pass_undo_to_window

MAX_CELLS = 400  # a larger W is not listed (its biases still are)
RUNNING_REFRESH_S = 0.25  # while training the table follows at most 4 times a second


class WeightsTable(QWidget):
    """W and b of one layer; editable while paused."""

    weightTyped = Signal(str, int, int, float)
    statusMessage = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("weightsTable")
        self.source: Callable[[], tuple[dict, bool]] | None = None
        self.node_id: str | None = None
        self._filling = False
        self._shown_at = 0.0
        self.caption = QLabel()
        self.caption.setObjectName("weightsCaption")
        self.caption.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setObjectName("weightsGrid")
        self.table.setAccessibleName("Weights and biases of the selected layer")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setTabKeyNavigation(False)  # Tab leaves the grid (arrows move in it): it trapped the keyboard
        self.table.itemChanged.connect(self._typed)
        pass_undo_to_window(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.table)
        self.setVisible(False)

    def set_source(self, source: Callable[[], tuple[dict, bool]]) -> None:
        """``source()`` -> ({node id: {"W", "b"[, "alpha"]}}, running): the weights to show."""
        self.source = source

    def show_node(self, node_id: str | None) -> None:
        """The layer to list (None: nothing; a layer without weights: nothing)."""
        self.node_id = node_id
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Read the weights again (while training, at most every RUNNING_REFRESH_S)."""
        if self.source is None or self.node_id is None:
            self.setVisible(False)
            return
        weights, running = self.source()
        wb = weights.get(self.node_id)
        if wb is None or wb.get("W") is None:
            self.caption.setText("<b>Weights W and biases b</b>: none yet. Train or Step once "
                                 "(or open a trained model) to see and type them.")
            self.table.setVisible(False)
            self.setVisible(True)
            return
        now = time.monotonic()
        if running and not force and now - self._shown_at < RUNNING_REFRESH_S:
            return
        self._shown_at = now
        self._fill(wb["W"], wb.get("b"), running, wb.get("alpha"))
        self.table.setVisible(True)
        self.setVisible(True)

    def _fill(self, W, b, running: bool, alpha=None) -> None:
        n_in, units = len(W), len(W[0]) if len(W) else 0
        listed = n_in * units <= MAX_CELLS
        rows = (list(range(n_in)) if listed else []) + ([-1] if b is not None else []) + \
            ([-2] if alpha is not None else [])  # -2: the prelu slopes
        what = "Weights W and biases b" if b is not None else "Weights W (no bias)"
        if alpha is not None:
            what += " and learned prelu slopes α"
        size = f"W is {n_in} × {units}"
        if not listed:
            size += f" ({n_in * units:,} weights, too many to list; hover the weight lines)"
        edit = "Pause training to type in a value." if running else \
            "Double-click or type in a cell to set a value (undoable)."
        self.caption.setText(f"<b>{what}</b>: {size}. {edit}")
        self._filling = True
        try:
            t = self.table
            t.setRowCount(len(rows))
            t.setColumnCount(units)
            t.setHorizontalHeaderLabels([f"unit {j + 1}" for j in range(units)])
            t.setVerticalHeaderLabels([{-1: "b", -2: "α"}.get(r, f"W[{r + 1}, ·]") for r in rows])
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if not running:
                flags |= Qt.ItemFlag.ItemIsEditable
            for i, r in enumerate(rows):
                for j in range(units):
                    v = float(alpha[j] if r == -2 else b[j] if r < 0 else W[r][j])
                    item = t.item(i, j)
                    if item is None:
                        item = QTableWidgetItem()
                        t.setItem(i, j, item)
                    item.setText(_text(v))
                    item.setData(Qt.ItemDataRole.UserRole, (r, j, v))
                    item.setFlags(flags & ~Qt.ItemFlag.ItemIsEditable if r == -2 else flags)
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    item.setToolTip(f"α[{j + 1}] = {v:.10g}: unit {j + 1}'s learned prelu slope"
                                    if r == -2 else
                                    f"{'b' if r < 0 else 'W'}[{(str(r + 1) + ', ') if r >= 0 else ''}"
                                    f"{j + 1}] = {v:.10g}")
        finally:
            self._filling = False

    def _typed(self, item: QTableWidgetItem) -> None:
        if self._filling or self.node_id is None:
            return
        r, j, old = item.data(Qt.ItemDataRole.UserRole)
        try:
            value = float(item.text().replace("−", "-"))
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            self.statusMessage.emit(f"'{item.text()}' is not a number: "
                                    f"{'b' if r < 0 else 'W'} keeps {_text(old)}")
            self._filling = True
            item.setText(_text(old))
            self._filling = False
            return
        if value != old:
            self.weightTyped.emit(self.node_id, r, j, value)
