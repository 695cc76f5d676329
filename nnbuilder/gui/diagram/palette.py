"""The layer palette: drag an entry onto the diagram (or double-click it)."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from nnbuilder.core.functions.activations import ACTIVATIONS
from nnbuilder.core.model.nodetypes import NODE_SPECS

from .items import TYPE_COLORS

LAYER_MIME = "application/x-nnbuilder-layer"
#: Each node type's icon glyph (keyed by the registry's names; GUI only).
GLYPHS = {"input": "x", "dense": "W", "activation": "g", "dropout": "p", "add": "+",
          "concat": "[ ]", "output": "ŷ"}


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
    spec = NODE_SPECS[node_type]
    lines = [f"<b>{spec.title}</b>", spec.description, f"<code>{spec.formula}</code>"]
    if "activation" in spec.params:
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
        # Last: setViewMode and setMovement(Static) switch dragging off again
        # (Static means "items do not move", and QListView takes it to mean no
        # drag at all), so dragging is enabled after the layout is set up.
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        for t, spec in NODE_SPECS.items():
            item = QListWidgetItem(layer_icon(t), spec.short_title)
            item.setData(Qt.ItemDataRole.UserRole, t)
            item.setToolTip(layer_tooltip(t))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{spec.title} layer")
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

    def startDrag(self, supported_actions) -> None:
        """A copy of the entry, never a move: QListView's icon mode would
        remove the item from the palette after a drop accepted as a move."""
        item = self.currentItem()
        if item is None:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.setPixmap(item.icon().pixmap(self.iconSize()))
        drag.setHotSpot(QPoint(self.iconSize().width() // 2, self.iconSize().height() // 2))
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)

    def mimeTypes(self):
        return [LAYER_MIME]

    def mimeData(self, items):
        mime = QMimeData()
        if items:
            mime.setData(LAYER_MIME, items[0].data(Qt.ItemDataRole.UserRole).encode())
        return mime
