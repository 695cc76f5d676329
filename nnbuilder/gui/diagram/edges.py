"""Scene items: an edge between two nodes, drawn neuron to neuron when both
show neurons, with one line per weight while training (blue positive, orange
negative, wider for larger |w|). Hover one to read w; double-click it, paused,
to type a new value. From the keyboard, a selected edge's current weight
line (:attr:`EdgeItem.cursor`) is outlined. Edges hold graph ids and never
change the model.
"""
from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPainterPath, QPainterPathStroker, QPalette, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from .items import NEURON_R, PORT_R, NodeItem

WEIGHT_POSITIVE = QColor(8, 119, 189, 200)
WEIGHT_NEGATIVE = QColor(245, 147, 34, 200)
MARK_COLOR = QColor("#E03131")  # what the Learn panel is about (as the ring on the output view)


class _WeightLines(QGraphicsPathItem):
    """The weight lines of one sign and width (painted by Qt, no Python)."""


class EdgeItem(QGraphicsPathItem):
    """A connection between two nodes; neuron to neuron when both show neurons."""

    def __init__(self, source: NodeItem, target: NodeItem):
        super().__init__()
        self.source, self.target = source, target
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.setAcceptHoverEvents(True)
        self.neuron_lines: list[tuple[QPointF, QPointF]] = []
        self.weights = None  # (n_src, n_dst) while training: W of the target layer
        self._hit = QPainterPath()
        self._weight_items: list[QGraphicsPathItem] = []  # painted by Qt, not Python
        self._mark: QGraphicsPathItem | None = None  # the weight the Learn panel is about
        self._marked: tuple[int, int] | None = None  # its (row, col), kept over redraws
        self.cursor: int | None = None  # the weight line the keyboard is on (an index of neuron_lines)
        self._cursor_item: QGraphicsPathItem | None = None
        source.edges.append(self)
        target.edges.append(self)
        self.setToolTip(self._plain_tooltip())
        self.update_path()

    def names(self) -> tuple[str, str]:
        """The names of the two ends, as the user reads them."""
        graph = self.source.graph
        return graph.label(self.source.node_id), graph.label(self.target.node_id)

    def _plain_tooltip(self) -> str:
        src, dst = map(escape, self.names())
        return (f"{src} → {dst}<br>Select and press Delete to remove; "
                "Up/Down choose a weight line, Enter types its value")

    @property
    def key(self) -> tuple[str, str]:
        return self.source.node_id, self.target.node_id

    def detach(self) -> None:
        for n in (self.source, self.target):
            if self in n.edges:
                n.edges.remove(self)

    def update_path(self) -> None:
        a = self.source.out_port.scene_center() if self.source.out_port else self.source.scenePos()
        b = self.target.in_port.scene_center() if self.target.in_port else self.target.scenePos()
        src_n, dst_n = self.source.neuron_centers(), self.target.neuron_centers()
        self.neuron_lines = []
        path = QPainterPath(a)
        if src_n and dst_n:
            for p in src_n:
                for q in dst_n:
                    self.neuron_lines.append((p + QPointF(NEURON_R, 0), q - QPointF(NEURON_R, 0)))
        dx = max(40.0, abs(b.x() - a.x()) / 2)
        path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
        # The hit area: the curve and every weight line, stroked in one go
        # (QPainterPath.united() on hundreds of lines takes seconds).
        outline = QPainterPath(path)
        for p, q in self.neuron_lines:
            outline.moveTo(p)
            outline.lineTo(q)
        stroker = QPainterPathStroker()
        stroker.setWidth(8)
        hit = stroker.createStroke(outline)
        hit.setFillRule(Qt.FillRule.WindingFill)
        self.prepareGeometryChange()
        self._hit = hit
        self._bounds = outline.boundingRect().adjusted(-6, -6, 6, 6)
        self.setPath(path)
        self.setToolTip(self._plain_tooltip())  # the ends may have been renamed
        self.set_cursor(self.cursor)
        if self.weights is not None:
            if self.weights.size == len(self.neuron_lines):
                self._draw_weight_lines()
            else:
                self.set_weights(None)

    def shape(self) -> QPainterPath:
        return self._hit

    def set_weights(self, W) -> None:
        """Colour each weight line by the sign of w and width by |w| (None: plain)."""
        if W is not None and (not self.neuron_lines or W.size != len(self.neuron_lines)):
            W = None
        changed = (W is None) != (self.weights is None)
        self.weights = W
        if W is None:
            for item in self._weight_items:
                item.setVisible(False)
        else:
            self._draw_weight_lines()
        if changed:
            self.update()
        if self._marked is not None or self._mark is not None:
            self.mark_weight(*(self._marked or (None, None)))

    WIDTH_LEVELS = 6

    def _levels(self) -> tuple[np.ndarray, np.ndarray]:
        """(weights, width level of each) in the order of :attr:`neuron_lines`."""
        flat = self.weights.ravel()
        scale = max(float(np.abs(flat).max()), 1e-12)
        return flat, np.minimum((np.abs(flat) / scale * self.WIDTH_LEVELS).astype(int),
                                self.WIDTH_LEVELS - 1)

    def _draw_weight_lines(self) -> None:
        """One child path per (sign, width level): a dozen C++-painted items."""
        flat, levels = self._levels()
        groups: dict[tuple[bool, int], QPainterPath] = {}
        for (p, q), w, level in zip(self.neuron_lines, flat, levels):
            path = groups.setdefault((bool(w >= 0), int(level)), QPainterPath())
            path.moveTo(p)
            path.lineTo(q)
        while len(self._weight_items) < 2 * self.WIDTH_LEVELS:
            item = _WeightLines(self)
            item.setAcceptHoverEvents(False)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self._weight_items.append(item)
        for k, item in enumerate(self._weight_items):
            key = (k < self.WIDTH_LEVELS, k % self.WIDTH_LEVELS)
            path = groups.get(key)
            if path is None:
                item.setVisible(False)
                continue
            pen = QPen(WEIGHT_POSITIVE if key[0] else WEIGHT_NEGATIVE, self.level_width(key[1]))
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)  # round caps cost a third more per frame
            item.setPen(pen)
            item.setPath(path)
            item.setVisible(True)

    @classmethod
    def level_width(cls, level: int) -> float:
        return 0.6 + 2.6 * (level + 0.5) / cls.WIDTH_LEVELS

    def weight_pens(self) -> list[QPen]:
        """The pen each weight line is drawn with: blue for w >= 0, orange below,
        wider for larger |w| (in WIDTH_LEVELS steps)."""
        flat, levels = self._levels()
        return [QPen(WEIGHT_POSITIVE if w >= 0 else WEIGHT_NEGATIVE, self.level_width(int(l)))
                for w, l in zip(flat, levels)]

    def mark_weight(self, row: int | None, col: int | None = None) -> None:
        """Draw weight line (row, col) over the others in the highlight colour
        (None: no mark). Only where the lines are W of the target, row by row."""
        self._marked = None if row is None else (row, col)
        k = None if row is None or self.weights is None else row * self.weights.shape[1] + col
        if k is None or not 0 <= k < len(self.neuron_lines):
            if self._mark is not None:
                self._mark.setVisible(False)
            return
        if self._mark is None:
            self._mark = QGraphicsPathItem(self)
            self._mark.setZValue(2)
            self._mark.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        p, q = self.neuron_lines[k]
        path = QPainterPath(p)
        path.lineTo(q)
        pen = QPen(MARK_COLOR, 3.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self._mark.setPen(pen)
        self._mark.setPath(path)
        self._mark.setVisible(True)

    def set_cursor(self, k: int | None) -> None:
        """Outline weight line ``k`` (row-major over W: ``k = row * n_dst + col``),
        the one the keyboard is on; None, or no such line: none."""
        if k is not None and not 0 <= k < len(self.neuron_lines):
            k = None
        self.cursor = k
        if k is None:
            if self._cursor_item is not None:
                self._cursor_item.setVisible(False)
            return
        if self._cursor_item is None:
            self._cursor_item = QGraphicsPathItem(self)
            self._cursor_item.setZValue(1)
            self._cursor_item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        p, q = self.neuron_lines[k]
        path = QPainterPath(p)
        path.lineTo(q)
        # Solid and wide, under the Learn panel's mark of it (z 2), over the selection's glow.
        pen = QPen(QGuiApplication.palette().color(QPalette.ColorRole.Highlight), 5.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self._cursor_item.setPen(pen)
        self._cursor_item.setPath(path)
        self._cursor_item.setVisible(True)

    def cursor_weight(self) -> tuple[int, int] | None:
        """(row, col) of W at the keyboard's weight line, or None."""
        if self.cursor is None:
            return None
        return divmod(self.cursor, max(1, len(self.target.neuron_centers())))

    def weight_at(self, pos: QPointF) -> tuple[int, int, float] | None:
        """(row, col, w) of the weight line nearest to ``pos`` (scene coordinates)."""
        if self.weights is None:
            return None
        best, best_d = None, 8.0
        n_dst = self.weights.shape[1]
        for k, (p, q) in enumerate(self.neuron_lines):
            d = _segment_distance(pos, p, q)
            if d < best_d:
                best, best_d = k, d
        if best is None:
            return None
        i, j = divmod(best, n_dst)
        return i, j, float(self.weights[i, j])

    def hoverMoveEvent(self, event):
        hit = self.weight_at(event.scenePos())
        if hit:
            i, j, w = hit
            src, dst = escape(self.source.unit_name(i)), escape(self.target.unit_name(j))
            self.setToolTip(f"{escape(self.names()[1])} W[{i + 1}, {j + 1}]: {src} → {dst}<br>"
                            f"<b>w = {w:.5g}</b><br><i>Click: its chain rule (Learn panel); "
                            "double-click: type a new value (while paused)</i>")
        else:
            self.setToolTip(self._plain_tooltip())
        super().hoverMoveEvent(event)

    def mousePressEvent(self, event):
        hit = self.weight_at(event.scenePos())
        scene = self.scene()
        if hit and event.button() == Qt.MouseButton.LeftButton and hasattr(scene, "weightClicked"):
            scene.weightClicked.emit(self.target.node_id, hit[0], hit[1])
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event):
        hit = self.weight_at(event.scenePos())
        scene = self.scene()
        if hit and hasattr(scene, "weightEditRequested"):
            scene.weightEditRequested.emit(self.target.node_id, hit[0], hit[1])
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def focus_rect(self) -> QRectF:
        """Where the view's focus ring goes (scene coordinates): around the
        lines in the gap between the two layers, clear of their ports."""
        box = self._bounds.adjusted(2, 2, -2, -2)
        a = self.source.mapRectToScene(self.source.shape().boundingRect()).right() + PORT_R + 2
        b = self.target.mapRectToScene(self.target.shape().boundingRect()).left() - PORT_R - 2
        if b - a > 4 * PORT_R:  # side by side, left to right: the gap only
            box.setLeft(max(box.left(), a))
            box.setRight(min(box.right(), b))
        return box

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged and not value:
            self.set_cursor(None)  # the keyboard's weight line belongs to the selected edge
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option, widget=None):
        pal = QGuiApplication.palette()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        color = QColor(pal.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Text))
        if self.neuron_lines and self.weights is not None and not selected:
            return  # the weight lines are child items
        if self.neuron_lines:
            # One line per weight, as TF Playground draws a dense connection;
            # selected under coloured weight lines (child items): a glow around them.
            glow = selected and self.weights is not None
            color.setAlpha(110 if glow else 200 if selected else 80)
            painter.setPen(QPen(color, 6.0 if glow else 1.6 if selected else 1.0))
            for p, q in self.neuron_lines:
                painter.drawLine(p, q)
            return
        color.setAlpha(255 if selected else 200)
        painter.setPen(QPen(color, 3 if selected else 1.8))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    ax, ay, bx, by, px, py = a.x(), a.y(), b.x(), b.y(), p.x(), p.y()
    dx, dy = bx - ax, by - ay
    L = dx * dx + dy * dy
    t = 0.0 if L == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / L))
    cx, cy = ax + t * dx, ay + t * dy
    return ((px - cx) ** 2 + (py - cy) ** 2) ** 0.5
