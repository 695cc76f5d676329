"""Scene items: one sample's numbers on the diagram, a small label beside each
neuron (its output f(a), or on the backward view its dL/da), coloured by
sign and size as the weights are (blue positive, orange negative).

A node too wide to show its neurons, or one without its own units (Add,
Concatenate, Activation, Dropout), gets one line under its header with the
first values. Labels are children of their node item: they move with it and
go when it goes. Hovering a neuron's label tells what hovering the neuron
does (the scene's ``neuron_text``: its bias, a and f(a) of the sample).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QGraphicsItem

from .items import NEURON_R, NodeItem
from .node_geometry import HEADER
from ..widgets.colours import diverging_rgba

LABEL_W, LABEL_H = 58.0, 15.0
SUMMARY_VALUES = 3  # values written out on a node without neuron circles


def value_text(v: float) -> str:
    """A number in at most ~7 characters: 0.7316, -1.2e-05, 1234."""
    if not np.isfinite(v):
        return str(v)
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e4):
        return f"{v:.2g}"
    return f"{v:.4g}" if a >= 1 else f"{v:.4f}".rstrip("0").rstrip(".") if v else "0"


class SampleValues(QGraphicsItem):
    """The values of one node for the selected sample (a child of its node)."""

    def __init__(self, node: NodeItem):
        super().__init__(node)
        self.node = node
        self.values = np.zeros(0)
        self.kind = "a"
        self.highlight: int | None = None  # a unit the chain-rule panel is about
        self.setZValue(5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(True)  # each label's tool tip is its neuron's
        self._tip_label: int | None = None
        self.font = QFont()
        self.font.setPointSizeF(7.5)

    def set_values(self, values: np.ndarray, kind: str, highlight: int | None = None) -> None:
        self.prepareGeometryChange()
        self.values = np.asarray(values, dtype=np.float64).ravel()
        self.kind, self.highlight = kind, highlight
        self._tip_label = None
        self.setToolTip(self._tooltip())
        self.update()

    def shape(self) -> QPainterPath:
        """The labels (or the one summary line), not the neurons beside them:
        a neuron under the pointer keeps its own tool tip."""
        path = QPainterPath()
        for rect in self._label_rects() or [self._summary_rect()]:
            path.addRect(rect)
        return path

    def _summary_rect(self) -> QRectF:
        return QRectF(4, HEADER + 2, self.node.size[0] - 8, LABEL_H)

    def label_at(self, pos: QPointF) -> int | None:
        """The unit whose label is at ``pos`` (item coordinates), or None."""
        return next((i for i, r in enumerate(self._label_rects()) if r.contains(pos)), None)

    def hoverMoveEvent(self, event):
        i = self.label_at(event.pos())
        if i != self._tip_label:
            self._tip_label = i
            scene = self.scene()
            self.setToolTip(scene.neuron_text(self.node.node_id, i)
                            if i is not None and hasattr(scene, "neuron_text") else self._tooltip())
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event):
        if self._tip_label is not None:
            self._tip_label = None
            self.setToolTip(self._tooltip())
        super().hoverLeaveEvent(event)

    def _tooltip(self) -> str:
        name = "f(a), the output," if self.kind == "a" else "∂L/∂a"
        vals = ", ".join(value_text(v) for v in self.values[:16])
        more = f" … ({len(self.values)} in all)" if len(self.values) > 16 else ""
        return f"{name} for the selected sample: {vals}{more}"

    def _label_rects(self) -> list[QRectF]:
        centers = self.node.neuron_centers()
        if centers and len(centers) == len(self.values):
            x = self.node.size[0] / 2 + NEURON_R + 3
            return [QRectF(x, self.node.mapFromScene(c).y() - LABEL_H / 2, LABEL_W, LABEL_H)
                    for c in centers]
        return []

    def boundingRect(self) -> QRectF:
        w, h = self.node.size
        return QRectF(0, 0, w + 4, max(h, HEADER + LABEL_H + 6))

    def paint(self, painter: QPainter, option, widget=None):
        if not len(self.values):
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self.font)
        pal = QGuiApplication.palette()
        text = pal.color(QPalette.ColorRole.Text)
        scale = max(float(np.abs(self.values[np.isfinite(self.values)]).max(initial=0.0)), 1e-12)
        rects = self._label_rects()
        if not rects:  # one line: the first few values
            shown = ", ".join(value_text(v) for v in self.values[:SUMMARY_VALUES])
            more = " …" if len(self.values) > SUMMARY_VALUES else ""
            symbol = "f" if self.kind == "a" else "∂L/∂a"
            line = f"{symbol} = [{shown}{more}]"
            w = self.node.size[0] - 8
            fm = QFontMetricsF(self.font)
            line = fm.elidedText(line, Qt.TextElideMode.ElideRight, w - 6)
            rect = self._summary_rect()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Base))
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(text)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, line)
            return
        colours = diverging_rgba(self.values / scale * 0.9)
        for i, (rect, v, rgba) in enumerate(zip(rects, self.values, colours)):
            fill = QColor(int(rgba[0]), int(rgba[1]), int(rgba[2]))
            painter.setPen(QPen(QColor("#E03131"), 2) if i == self.highlight
                           else QPen(pal.color(QPalette.ColorRole.Mid), 0.8))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(QColor("white") if fill.lightness() < 150 else QColor("#111111"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, value_text(float(v)))


def place(node: NodeItem, item: SampleValues | None, values, kind: str,
          highlight: int | None = None) -> SampleValues | None:
    """Show ``values`` on ``node`` (None: hide), making the label item once."""
    if values is None:
        if item is not None:
            item.setVisible(False)
        return item
    if item is None:
        item = SampleValues(node)
    item.set_values(values, kind, highlight)
    item.setVisible(True)
    return item

