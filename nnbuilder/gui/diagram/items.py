"""Scene items: a node with its neurons, ports and feature chips (the edges
between nodes, with their weight lines, are in :mod:`.edges`).

Items hold graph ids and paint; they never change the model, and what they
show names nodes by their names (``Graph.label``), never by their ids.
Positions a user drags are handed to the document as one move command on
release. What a node shows (name, width, summary, ports, weights) comes from
the graph and the node-type registry, its size from :mod:`node_geometry`.

The node item paints its header, neurons, thumbnails and problems and
handles hover and drags; ports and feature chips are small classes that
live with it.
"""
from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (QColor, QFont, QFontMetricsF, QGuiApplication, QImage, QPainter,
                           QPainterPath, QPalette, QPen, QPixmap)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsPixmapItem

from nnbuilder.core.functions.features import FEATURE_NAMES, abbreviated, feature_labels, offered_features
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.model.nodetypes import NO_INPUT, NODE_SPECS, named_params

from .node_geometry import HEADER, NEURON_STEP, neuron_count, node_size
from ..widgets.colours import diverging_rgba

NEURON_R = 7.0
PORT_R = 6.0

#: Each node type's colour (keyed by the registry's names; GUI only).
TYPE_COLORS = {
    "input": "#4C8FD6", "dense": "#E8892C", "activation": "#4E9F4A", "dropout": "#8C6D5A",
    "add": "#A2679A", "concat": "#3F9C96", "output": "#D64B4D",
}


def is_dark() -> bool:
    pal = QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def node_texts(graph: Graph, node_id: str, columns=None, counts: bool = True) -> tuple[str, str]:
    """(title, subtitle) shown on a node: its name and its summary, e.g.
    ("Dense 1", "tanh · 20 params"); features named by the data's ``columns``;
    without ``counts`` (quiz mode) no count."""
    node = graph.nodes[node_id]
    spec = NODE_SPECS[node.type]
    title = graph.label(node_id)
    subtitle = spec.summary(named_params(node.params, columns), graph.widths().get(node_id))
    if spec.weighted and counts:
        count, _ = graph.param_count(node_id)
        subtitle += f" · {count} params" if count != 1 else " · 1 param"
    return title, subtitle


def node_badge(graph: Graph, node_id: str) -> str:
    """The width in a node's header, right of its name: "4 units", "2 features" ("" if none)."""
    node = graph.nodes[node_id]
    spec = NODE_SPECS[node.type]
    if spec.own_width is None:
        return ""
    n = spec.own_width(node.params)
    return f"{n} {'unit' if spec.weighted else 'feature'}{'s' * (n != 1)}"


class PortItem(QGraphicsItem):
    """An input (left) or output (right) port of a node; drag from one to connect."""

    def __init__(self, node_item: "NodeItem", kind: str):
        super().__init__(node_item)
        self.node_item, self.kind = node_item, kind
        self.hovered = False
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to another node to connect (or select the layer and press C)"
                        if kind == "out" else "Drop a connection here")
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        r = PORT_R + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addEllipse(self.boundingRect())
        return p

    def paint(self, painter: QPainter, option, widget=None):
        pal = QGuiApplication.palette()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(TYPE_COLORS[self.node_item.node_type])
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Text), 1.2))
        painter.setBrush(color if self.hovered else pal.color(QPalette.ColorRole.Base))
        r = PORT_R + (1.5 if self.hovered else 0)
        painter.drawEllipse(QPointF(0, 0), r, r)

    def hoverEnterEvent(self, event):
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event):
        self.hovered = False
        self.update()

    def scene_center(self) -> QPointF:
        return self.mapToScene(QPointF(0, 0))


class NodeItem(QGraphicsObject):
    """The picture of one graph node, identified by ``node_id``."""

    def __init__(self, graph: Graph, node_id: str):
        super().__init__()
        self.graph, self.node_id = graph, node_id
        self.node_type = graph.nodes[node_id].type
        spec = NODE_SPECS[self.node_type]
        self.edges: list = []  # EdgeItems (edges.py) ending or starting here
        self.problems: list = []
        self._tip_neuron: int | None = None  # the neuron whose numbers the tool tip shows
        self.maps: list[QImage] = []  # one activation map per neuron, while training
        self._map_source = None  # (maps, resolution) they were drawn from
        self._map_zoom = 1.0  # the view's zoom they were drawn at
        # Live maps are child pixmap items that Qt paints without Python (and
        # without the GIL); the body below them is cached between frames.
        self._map_items: list[QGraphicsPixmapItem] = []
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.in_port = PortItem(self, "in") if spec.inputs != NO_INPUT else None
        self.out_port = PortItem(self, "out") if spec.feeds else None
        # The node that owns the features gets TF Playground's feature toggles.
        self.feature_chips = FeatureChips(self) if "features" in spec.params else None
        self.sync_from_model()

    # ------------------------------------------------------------- geometry
    @property
    def size(self) -> tuple[float, float]:
        return self._size

    def boundingRect(self) -> QRectF:
        w, h = self._size
        return QRectF(-7, -7, w + 14, h + 14)  # room for the view's focus ring

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        w, h = self._size
        p.addRoundedRect(QRectF(0, 0, w, h), 8, 8)
        return p

    def focus_rect(self) -> QRectF:
        """Where the view's focus ring goes (scene coordinates): 5 units
        around the outline, inside the bounding rect (repainted with it)."""
        return self.mapRectToScene(self.shape().boundingRect().adjusted(-5, -5, 5, 5))

    def neuron_centers(self) -> list[QPointF]:
        """Scene positions of the neuron circles (empty when none are shown)."""
        n = neuron_count(self.graph, self.node_id)
        if n is None:
            return []
        x = self._size[0] / 2
        return [self.mapToScene(QPointF(x, HEADER + NEURON_STEP / 2 + i * NEURON_STEP))
                for i in range(n)]

    def sync_from_model(self) -> None:
        """Re-read the node's settings and position from the graph."""
        self.prepareGeometryChange()
        self._size = node_size(self.graph, self.node_id)
        w, h = self._size
        if self.in_port:
            self.in_port.setPos(0, h / 2)
        if self.out_port:
            self.out_port.setPos(w, h / 2)
        x, y = self.graph.nodes[self.node_id].position
        if (self.pos().x(), self.pos().y()) != (x, y):
            self.setPos(x, y)
        if self.feature_chips is not None:
            self.feature_chips.refresh()
        self._update_tooltip()
        self.update()
        if self.feature_chips is not None:
            self.feature_chips.update()
        for e in self.edges:
            e.update_path()

    def set_maps(self, maps, resolution: int) -> None:
        """Per-neuron activation over the input plane, ``(units, res*res)``."""
        if maps is None or len(maps) != len(self.neuron_centers()):
            if self.maps:
                self.maps = []
                for item in self._map_items:
                    item.setVisible(False)
            return
        self._map_source = (maps, resolution)  # drawn again at a new zoom
        t = maps
        if self.feature_chips is not None:  # raw features can be large: scale each to [-1, 1]
            t = maps / np.maximum(np.abs(maps).max(axis=1, keepdims=True), 1e-12)
        # All neurons of the layer in one lookup; row 0 of the grid is the
        # lowest x2, so flip rows to put +x2 up, as on the output plot.
        rgba = diverging_rgba(t).reshape(len(maps), resolution, resolution, 4)[:, ::-1]
        rgba = np.ascontiguousarray(rgba)
        self._map_pixels = rgba  # the QImages borrow this memory (for the hover preview)
        self.maps = [QImage(rgba[i].data, resolution, resolution, 4 * resolution,
                            QImage.Format.Format_RGBA8888) for i in range(len(maps))]
        # One picture for the whole column, at the view's pixel size: each map
        # resampled (nearest) to its thumbnail and stacked at its neuron's
        # place. The item ignores the view's zoom, so Qt blits it 1:1 (a
        # scaled pixmap under antialiasing is a slow path), and a single item
        # is far cheaper to update every frame than one per neuron.
        views = self.scene().views() if self.scene() is not None else []
        zoom = views[0].transform().m11() if views else 1.0
        self._map_zoom = zoom
        side = max(2, int(round((NEURON_STEP - 2) * zoom)))
        step = NEURON_STEP * zoom
        pick = np.minimum(np.arange(side) * resolution // side, resolution - 1)
        thumbs = rgba[:, pick][:, :, pick]  # (units, side, side, 4)
        height = int(round(len(maps) * step))
        column = np.zeros((height, side, 4), dtype=np.uint8)
        for i in range(len(maps)):
            top = int(round(i * step + (step - side) / 2))
            column[top:top + side] = thumbs[i][:max(0, min(side, height - top))]
        column = np.ascontiguousarray(column)
        image = QImage(column.data, side, height, 4 * side, QImage.Format.Format_RGBA8888)
        if not self._map_items:
            item = _MapColumn(self)
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            item.setAcceptHoverEvents(False)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self._map_items.append(item)
        item = self._map_items[0]
        item.setPixmap(QPixmap.fromImage(image))
        item.setOffset(-side / 2, 0)
        item.setPos(self._size[0] / 2, HEADER)
        item.setVisible(True)

    def neuron_at(self, local: QPointF) -> int | None:
        n = neuron_count(self.graph, self.node_id)
        if n is None:
            return None
        x = self._size[0] / 2
        for i in range(n):
            c = QPointF(x, HEADER + NEURON_STEP / 2 + i * NEURON_STEP)
            if abs(local.x() - c.x()) <= NEURON_R + 2 and abs(local.y() - c.y()) <= NEURON_STEP / 2:
                return i
        return None

    def hoverMoveEvent(self, event):
        i = self.neuron_at(event.pos())
        scene = self.scene()
        if scene is not None and hasattr(scene, "show_preview"):
            if i is not None and i < len(self.maps):
                scene.show_preview(self, i, self.maps[i], event.scenePos())
            else:
                scene.hide_preview()
        if i != self._tip_neuron:  # a neuron's numbers, or the node's own tip again
            self._tip_neuron = i
            if i is not None and hasattr(scene, "neuron_text"):
                self.setToolTip(scene.neuron_text(self.node_id, i))
            else:
                self._update_tooltip()
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event):
        scene = self.scene()
        if scene is not None and hasattr(scene, "hide_preview"):
            scene.hide_preview()
        if self._tip_neuron is not None:
            self._tip_neuron = None
            self._update_tooltip()
        super().hoverLeaveEvent(event)

    def mouseDoubleClickEvent(self, event):
        """Double-click a neuron of a layer with weights: type its bias."""
        i = self.neuron_at(event.pos())
        scene = self.scene()
        if i is not None and NODE_SPECS[self.node_type].weighted and hasattr(scene, "weightEditRequested"):
            scene.weightEditRequested.emit(self.node_id, -1, i)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def unit_name(self, i: int) -> str:
        """How a person reads unit ``i`` (0-based), counted from 1: "Dense 1[3]",
        and for the node of the features its column too: "Input[1] (age)"."""
        text = f"{self.graph.label(self.node_id)}[{i + 1}]"
        feats = self.graph.nodes[self.node_id].params.get("features")
        if feats and i < len(feats):
            text += f" ({feature_labels([feats[i]], column_names(self))[0]})"
        return text

    def set_problems(self, problems: list) -> None:
        self.problems = problems
        self._update_tooltip()
        self.update()

    def _update_tooltip(self) -> None:
        spec = NODE_SPECS[self.node_type]
        _, arithmetic = self.graph.param_count(self.node_id)
        lines = [f"<b>{escape(self.graph.label(self.node_id))}</b> <i>{spec.title}</i>",
                 spec.formula_of(self.graph.nodes[self.node_id].params)]
        if spec.weighted and not getattr(self.scene(), "counts_hidden", False):  # quiz mode: the class counts
            lines.append(f"parameters: {arithmetic}")
        lines += [f"<span style='color:{'#d33' if p.severity == 'error' else '#c80'}'>"
                  f"{p.severity}: {p.message}</span>" for p in self.problems]
        self.setToolTip("<br>".join(lines))

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for e in self.edges:
                e.update_path()
        return super().itemChange(change, value)

    def thumbnail_column(self):
        """The picture of the neuron thumbnails (None before any), in view pixels."""
        return self._map_items[0] if self._map_items and self._map_items[0].isVisible() else None

    def _follow_zoom(self) -> None:
        """The thumbnails are drawn at the view's pixel size: after a zoom, again."""
        if self.maps and self._map_source is not None and self.node_id in self.graph.nodes:  # not deleted since
            self.set_maps(*self._map_source)

    # ---------------------------------------------------------------- paint
    def paint(self, painter: QPainter, option, widget=None):
        # A zoom repaints the node: the neuron thumbnails (which ignore the
        # view's transform) are redrawn at the new size once the paint is over.
        zoom = painter.worldTransform().m11() / max(painter.device().devicePixelRatioF(), 1e-9) \
            if painter.device() is not None else 1.0
        if self.maps and abs(zoom - self._map_zoom) > 1e-3 * self._map_zoom:
            self._map_zoom = zoom
            QTimer.singleShot(0, self, self._follow_zoom)  # dropped if the node is deleted first
        pal = QGuiApplication.palette()
        dark = is_dark()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self._size
        accent = QColor(TYPE_COLORS[self.node_type])
        body = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        rect = QRectF(0, 0, w, h)

        errors = [p for p in self.problems if p.severity == "error"]
        if self.isSelected():
            border = QPen(pal.color(QPalette.ColorRole.Highlight), 3)
        elif errors:
            border = QPen(QColor("#E03131"), 2.5)
        elif self.problems:
            border = QPen(QColor("#E8A317"), 2.5)
        else:
            border = QPen(pal.color(QPalette.ColorRole.Mid), 1.2)
        painter.setPen(border)
        painter.setBrush(body)
        painter.drawRoundedRect(rect, 8, 8)

        # Coloured header band.
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, w, HEADER), 8, 8)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, w, HEADER))
        tint = QColor(accent)
        tint.setAlpha(90 if dark else 55)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawPath(header.intersected(clip))
        painter.setBrush(accent)
        painter.drawRect(QRectF(0, HEADER - 3, w, 3))

        title, subtitle = node_texts(self.graph, self.node_id, column_names(self),
                                     not getattr(self.scene(), "counts_hidden", False))
        badge = node_badge(self.graph, self.node_id)
        muted = QColor(text)
        muted.setAlpha(190)
        font = QFont(painter.font())
        font.setPointSizeF(8)
        painter.setFont(font)
        badge_w = QFontMetricsF(font).horizontalAdvance(badge) + 6 if badge else 0.0
        painter.setPen(muted)
        painter.drawText(QRectF(10, 4, w - 20, 20), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, badge)
        font.setPointSizeF(9.5)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(text)
        name = QFontMetricsF(font).elidedText(title, Qt.TextElideMode.ElideRight, w - 20 - badge_w)
        painter.drawText(QRectF(10, 4, w - 20 - badge_w, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        font.setBold(False)
        font.setPointSizeF(8)
        painter.setFont(font)
        sub = QFontMetricsF(font).elidedText(subtitle, Qt.TextElideMode.ElideRight, w - 20)
        painter.setPen(muted)
        painter.drawText(QRectF(10, 22, w - 20, 18), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, sub)

        n = neuron_count(self.graph, self.node_id)
        node = self.graph.nodes[self.node_id]
        if n is not None:
            painter.setPen(QPen(text, 1))
            fill = QColor(accent)
            fill.setAlpha(140)
            painter.setBrush(fill)
            labels = node.params.get("features")
            labels = labels and feature_labels(labels, column_names(self))
            for i in range(n):
                c = QPointF(w / 2, HEADER + NEURON_STEP / 2 + i * NEURON_STEP)
                # While training a child item shows the neuron's map on top.
                painter.drawEllipse(c, NEURON_R, NEURON_R)
                if labels:
                    painter.setPen(muted)
                    box = QRectF(6, c.y() - 9, w / 2 - NEURON_R - 10, 18)
                    painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                     QFontMetricsF(font).elidedText(labels[i], Qt.TextElideMode.ElideRight,
                                                                   box.width()))
                    painter.setPen(QPen(text, 1))
        elif NODE_SPECS[node.type].own_width is not None:  # too many neurons to draw
            bar = QRectF(14, HEADER + 6, w - 28, 18)
            fill = QColor(accent)
            fill.setAlpha(120)
            painter.setPen(QPen(text, 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(bar, 4, 4)
            painter.setPen(text)
            painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, node_badge(self.graph, self.node_id))


def column_names(item: QGraphicsItem) -> list[str]:
    """The names of the data's columns, as the item's scene knows them ([]: x1, x2, ...)."""
    return list(getattr(item.scene(), "column_names", []) or [])


class FeatureChips(QGraphicsItem):
    """TF Playground's feature toggles, left of an Input node: click a feature
    to feed it to the network or not (an undoable edit through the document).
    Each chip is named by the data's column; derived features (x1^2, sin(x1))
    are offered for 2-D data only. More than ``MAX_CHIPS`` features are one
    labelled block ("784 inputs", first … last) whose tool tip names them."""

    WIDTH, HEIGHT, GAP = 58.0, 17.0, 4.0
    MAX_CHIPS = 16
    BLOCK_LINES = 4  # the block's height, in chips

    def __init__(self, node_item: "NodeItem"):
        super().__init__(node_item)
        self.node_item = node_item
        self.names = self._names()
        self.setPos(-self.WIDTH - 12, 2)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self._tooltip()

    def _names(self) -> tuple[str, ...]:
        """The features offered for the data's columns (or the node's widest
        raw column), then any other feature the node uses."""
        cols = getattr(self.scene(), "data_columns", 2)
        used = [int(f[1:]) for f in self.active() if f not in FEATURE_NAMES]
        offered = offered_features(max([cols, *used]))
        return offered + tuple(f for f in self.active() if f not in offered)

    @property
    def collapsed(self) -> bool:
        """The features are one block: too many for a chip each."""
        return len(self.names) > self.MAX_CHIPS

    def labels(self) -> list[str]:
        """What each chip reads: its feature by the data's column names."""
        return feature_labels(self.names, column_names(self))

    def refresh(self) -> None:
        names = self._names()
        if names != self.names:
            self.prepareGeometryChange()
            self.names = names
        self._tooltip()
        self.update()

    def _tooltip(self, index: int | None = None) -> None:
        if self.collapsed:
            on = feature_labels(self.active(), column_names(self))
            self.setToolTip(f"{len(on):,} inputs fed to the network: {escape(abbreviated(on, head=6, tail=3))}"
                            "<br><i>Choose the columns when importing the data</i>")
        elif index is not None:
            self.setToolTip(f"<b>{escape(self.labels()[index])}</b> ({escape(self.names[index])})<br>"
                            "Click to add it to the network or take it out")
        else:
            self.setToolTip("Input features: click one to add it to the network or take it out")

    def hoverMoveEvent(self, event):
        if not self.collapsed:
            self._tooltip(self.chip_at(event.pos()))
        super().hoverMoveEvent(event)

    def boundingRect(self) -> QRectF:
        n = self.BLOCK_LINES if self.collapsed else len(self.names)
        return QRectF(0, 0, self.WIDTH, n * (self.HEIGHT + self.GAP) - self.GAP)

    def chip_rect(self, i: int) -> QRectF:
        return QRectF(0, i * (self.HEIGHT + self.GAP), self.WIDTH, self.HEIGHT)

    def chip_at(self, pos: QPointF) -> int | None:
        """The chip under ``pos`` (item coordinates); None off the chips or when collapsed."""
        if self.collapsed:
            return None
        return next((i for i in range(len(self.names)) if self.chip_rect(i).contains(pos)), None)

    def block_text(self) -> str:
        """The collapsed block's lines: "784", "inputs", the first column, "…", the last."""
        on = feature_labels(self.active(), column_names(self))
        return "\n".join([f"{len(on):,}", "inputs", on[0], "…", on[-1]] if len(on) > 1 else ["1 input", *on])

    def active(self) -> list[str]:
        return self.node_item.graph.nodes[self.node_item.node_id].params["features"]

    def paint(self, painter: QPainter, option, widget=None):
        pal = QGuiApplication.palette()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = QColor(TYPE_COLORS[self.node_item.node_type])
        font = QFont(painter.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        if self.collapsed:
            r = self.boundingRect()
            painter.setPen(QPen(accent, 1.2))
            painter.setBrush(accent)
            painter.drawRoundedRect(r, 4, 4)
            painter.setPen(QColor("white"))
            lines = [metrics.elidedText(t, Qt.TextElideMode.ElideMiddle, self.WIDTH - 6)
                     for t in self.block_text().split("\n")]
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, "\n".join(lines))
            return
        on = set(self.active())
        for i, (name, label) in enumerate(zip(self.names, self.labels())):
            r = self.chip_rect(i)
            painter.setPen(QPen(accent, 1.2))
            painter.setBrush(accent if name in on else pal.color(QPalette.ColorRole.Base))
            painter.drawRoundedRect(r, 4, 4)
            painter.setPen(QColor("white") if name in on else pal.color(QPalette.ColorRole.Text))
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter,
                             metrics.elidedText(label, Qt.TextElideMode.ElideRight, self.WIDTH - 6))

    def mousePressEvent(self, event):
        i = self.chip_at(event.pos())
        if i is None:
            event.ignore()
            return
        name = self.names[i]
        feats = list(self.active())
        feats = [f for f in feats if f != name] if name in feats else \
            [f for f in self.names if f in feats or f == name] + \
            [f for f in feats if f not in self.names]
        scene = self.scene()
        if not feats:
            scene.statusMessage.emit("The Input node needs at least one feature")
        else:
            scene.document.set_params(self.node_item.node_id, mergeable=False, features=feats)
        event.accept()


class _MapColumn(QGraphicsPixmapItem):
    """A node's stacked neuron maps (painted by Qt, no Python per frame)."""
