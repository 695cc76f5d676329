"""The layer palette: drag an entry onto the diagram (or double-click it)."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from nnbuilder.core.activations import ACTIVATIONS
from nnbuilder.core.graph import LAYER_FORMULAS, NODE_TYPES

from .items import TYPE_COLORS, TYPE_TITLES

LAYER_MIME = "application/x-nnbuilder-layer"
GLYPHS = {"input": "x", "dense": "W", "activation": "g", "dropout": "p", "add": "+",
          "concat": "[ ]", "output": "ŷ"}
DESCRIPTIONS = {
    "input": "The features fed to the network (x1, x2, x1², sin(x1), ...).",
    "dense": "A fully connected layer: every input feeds every unit.",
    "activation": "A non-linearity applied element-wise.",
    "dropout": "Randomly silences units while training (regularisation).",
    "add": "Sums inputs of equal width: a skip connection.",
    "concat": "Joins inputs side by side.",
    "output": "The last layer, followed by the loss.",
}


def layer_icon(node_type: str, size: int = 32) -> QIcon:
    pix = QPixmap(size * 2, size * 2)
    pix.setDevicePixelRatio(2)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(TYPE_COLORS[node_type]))
    p.drawRoundedRect(QRectF(2, 2, size - 4, size - 4), 7, 7)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * (0.42 if len(GLYPHS[node_type]) > 1 else 0.55)))
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, GLYPHS[node_type])
    p.end()
    return QIcon(pix)


def layer_tooltip(node_type: str) -> str:
    lines = [f"<b>{TYPE_TITLES[node_type]}</b>", DESCRIPTIONS[node_type],
             f"<code>{LAYER_FORMULAS[node_type]}</code>"]
    if node_type in ("activation", "dense", "output"):
        lines.append("g is one of:")
        lines += [f"<code>{a.name}: {a.formula}</code>" for a in ACTIVATIONS.values()]
    lines.append("<i>Drag onto the diagram, or double-click to add.</i>")
    return "<br>".join(lines)


class LayerPalette(QListWidget):
    """Layer types with icons; ``addRequested(type)`` on double-click or Enter."""

    addRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.setAccessibleName("Layer palette")
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setIconSize(QSize(30, 30))
        # A grid of icons with names under them: the palette stays short.
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setGridSize(QSize(56, 56))
        font = self.font()
        font.setPointSizeF(max(7.5, font.pointSizeF() - 1))
        self.setFont(font)
        self.setMinimumHeight(2 * 56 + 8)
        self.setWordWrap(True)
        self.setUniformItemSizes(True)
        for t in NODE_TYPES:
            title = {"concat": "Concat", "activation": "Activation"}.get(t, TYPE_TITLES[t])
            item = QListWidgetItem(layer_icon(t), title)
            item.setData(Qt.ItemDataRole.UserRole, t)
            item.setToolTip(layer_tooltip(t))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{TYPE_TITLES[t]} layer")
            self.addItem(item)
        # Not itemActivated: on some styles a double-click also activates, adding twice.
        self.itemDoubleClicked.connect(self._request)

    def _request(self, item) -> None:
        self.addRequested.emit(item.data(Qt.ItemDataRole.UserRole))

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem():
            self._request(self.currentItem())
            return
        super().keyPressEvent(event)

    def mimeTypes(self):
        return [LAYER_MIME]

    def mimeData(self, items):
        mime = QMimeData()
        if items:
            mime.setData(LAYER_MIME, items[0].data(Qt.ItemDataRole.UserRole).encode())
        return mime
