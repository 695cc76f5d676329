"""The toolbars' icons: line drawings in the theme's own ink.

The style's icons are pictures (a white page, a grey bin) made for a light
window; turned over for a dark one they became dark squares with light
outlines. These are outlines and solid marks drawn at paint time in the
palette's button text colour (its disabled colour for a disabled action), so
they read on either theme and follow a theme change with no new icons.
:data:`ICONS` holds one drawing per name, in a 24 x 24 box.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPainterPath, QPalette, QPen, QPixmap,
                           QPolygonF)

__all__ = ["ICONS", "icon"]


def _page(p: QPainter) -> None:
    path = QPainterPath(QPointF(5, 2.5))
    for x, y in ((14, 2.5), (19, 7.5), (19, 21.5), (5, 21.5)):
        path.lineTo(x, y)
    path.closeSubpath()
    p.drawPath(path)
    p.drawPolyline(QPolygonF([QPointF(14, 2.5), QPointF(14, 7.5), QPointF(19, 7.5)]))
    p.drawLine(QPointF(9, 14.5), QPointF(15, 14.5))  # a "+": a new page
    p.drawLine(QPointF(12, 11.5), QPointF(12, 17.5))


def _folder(p: QPainter) -> None:
    path = QPainterPath(QPointF(2.5, 19.5))
    for x, y in ((2.5, 4.5), (9, 4.5), (11, 7), (19.5, 7), (19.5, 10)):
        path.lineTo(x, y)
    p.drawPath(path)
    p.drawPolygon(QPolygonF([QPointF(2.5, 19.5), QPointF(6, 10), QPointF(22, 10), QPointF(18.5, 19.5)]))


def _disk(p: QPainter) -> None:
    path = QPainterPath(QPointF(3.5, 3.5))
    for x, y in ((17, 3.5), (20.5, 7), (20.5, 20.5), (3.5, 20.5)):
        path.lineTo(x, y)
    path.closeSubpath()
    p.drawPath(path)
    p.drawRect(QRectF(7.5, 3.5, 8, 5.5))  # the shutter
    p.drawRect(QRectF(7, 13, 10, 7.5))  # the label


def _arrow(back: bool) -> Callable[[QPainter], None]:
    def draw(p: QPainter) -> None:
        if not back:
            p.translate(24, 0)
            p.scale(-1, 1)
        path = QPainterPath(QPointF(5, 10))
        path.lineTo(15, 10)
        path.cubicTo(QPointF(22, 10), QPointF(22, 20), QPointF(15, 20))
        path.lineTo(10, 20)
        p.drawPath(path)
        p.drawPolyline(QPolygonF([QPointF(9.5, 5.5), QPointF(5, 10), QPointF(9.5, 14.5)]))
    return draw


def _bin(p: QPainter) -> None:
    p.drawLine(QPointF(3.5, 6), QPointF(20.5, 6))
    p.drawPolyline(QPolygonF([QPointF(9, 6), QPointF(9.5, 3), QPointF(14.5, 3), QPointF(15, 6)]))
    p.drawPolygon(QPolygonF([QPointF(5.5, 6), QPointF(7, 21), QPointF(17, 21), QPointF(18.5, 6)]))
    for x in (10, 14):
        p.drawLine(QPointF(x, 10), QPointF(x, 17))


def _solid(p: QPainter) -> None:
    """Marks that are areas: the brush in the ink, no outline."""
    p.setBrush(p.pen().color())
    p.setPen(Qt.PenStyle.NoPen)


def _play(p: QPainter) -> None:
    _solid(p)
    p.drawPolygon(QPolygonF([QPointF(6, 3.5), QPointF(20, 12), QPointF(6, 20.5)]))


def _pause(p: QPainter) -> None:
    _solid(p)
    p.drawRect(QRectF(5.5, 4, 4.5, 16))
    p.drawRect(QRectF(14, 4, 4.5, 16))


def _step(p: QPainter) -> None:
    _solid(p)
    p.drawPolygon(QPolygonF([QPointF(4, 4), QPointF(15, 12), QPointF(4, 20)]))
    p.drawRect(QRectF(16, 4, 4, 16))


def _reset(p: QPainter) -> None:
    path = QPainterPath()
    path.arcMoveTo(QRectF(4, 4, 16, 16), 60)
    path.arcTo(QRectF(4, 4, 16, 16), 60, 280)
    p.drawPath(path)
    p.drawPolyline(QPolygonF([QPointF(13, 2.5), QPointF(16.5, 5), QPointF(13.5, 8.5)]))


#: One drawing per name, in a 24 x 24 box, with the pen set to the ink.
ICONS: dict[str, Callable[[QPainter], None]] = {
    "new": _page, "open": _folder, "save": _disk, "undo": _arrow(True), "redo": _arrow(False),
    "delete": _bin, "play": _play, "pause": _pause, "step": _step, "reset": _reset,
}


def ink(mode: QIcon.Mode) -> QColor:
    """The colour an icon is drawn in: the palette's button text (disabled: its disabled one)."""
    group = QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled else QPalette.ColorGroup.Active
    return QGuiApplication.palette().color(group, QPalette.ColorRole.ButtonText)


class InkIconEngine(QIconEngine):
    """Draws one of :data:`ICONS` at any size, in the palette of the moment it is drawn."""

    def __init__(self, name: str):
        super().__init__()
        self._name = name

    def paint(self, painter: QPainter, rect: QRect, mode, state) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(rect.width(), rect.height())
        painter.translate(rect.x() + (rect.width() - side) / 2, rect.y() + (rect.height() - side) / 2)
        painter.scale(side / 24, side / 24)
        pen = QPen(ink(mode), 1.8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        ICONS[self._name](painter)
        painter.restore()

    def scaledPixmap(self, size: QSize, mode, state, scale: float) -> QPixmap:
        pix = QPixmap(size * scale)
        pix.setDevicePixelRatio(scale)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        self.paint(painter, QRect(0, 0, size.width(), size.height()), mode, state)
        painter.end()
        return pix

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def actualSize(self, size: QSize, mode, state) -> QSize:
        return size

    def clone(self) -> QIconEngine:
        return InkIconEngine(self._name)


def icon(name: str) -> QIcon:
    """The icon ``name`` of :data:`ICONS`."""
    return QIcon(InkIconEngine(name))
