"""The diagram: a projection of the document's graph.

The scene listens to the graph's events and adds, removes and refreshes items;
user gestures (dragging a connection, moving nodes) become document edits,
which go through the undo stack.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsScene

from nnbuilder.core.model.graph import Edge

from .document import Document
from .edges import EdgeItem
from .items import NodeItem, PortItem
from .sample_values import SampleValues, place


class NetworkScene(QGraphicsScene):
    """Mirrors ``document.graph``; ``statusMessage`` explains refused gestures."""

    statusMessage = Signal(str)
    weightEditRequested = Signal(str, int, int)  # layer id, row, column of W (name: graph.label)
    weightClicked = Signal(str, int, int)  # layer id, row, column of W: a single click on a weight line

    def __init__(self, parent=None):
        super().__init__(parent)
        self._preview: QGraphicsPixmapItem | None = None
        self.document: Document | None = None
        self.node_items: dict[str, NodeItem] = {}
        self.sample_items: dict[str, SampleValues] = {}  # one sample's values, per node
        self.edge_items: dict[tuple[str, str], EdgeItem] = {}
        self._link: QGraphicsPathItem | None = None
        self._link_port: PortItem | None = None
        self._handlers = []
        self.data_columns = 2  # raw columns of the data: Input nodes offer x3, x4, ... beyond 2
        self.column_names: list[str] | None = None  # their names, as the chips and nodes show features

    def set_data_columns(self, names: list[str]) -> None:
        """The data's columns by name: what the Input node offers and how it names them."""
        names = list(names)
        if names == self.column_names:
            return
        self.data_columns, self.column_names = len(names) or 2, names
        for item in self.node_items.values():
            item.sync_from_model()  # the chips, the Input node's neuron labels and summary

    # ------------------------------------------------------------- document
    def set_document(self, document: Document) -> None:
        self._detach()
        self.clear()
        self._preview = None
        self.node_items.clear()
        self.edge_items.clear()
        self.sample_items.clear()
        self.document = document
        g = document.graph
        self._handlers = [
            (g.node_added, self._on_node_added), (g.node_removed, self._on_node_removed),
            (g.node_changed, self._on_node_changed), (g.node_moved, self._on_node_moved),
            (g.edge_added, self._on_edge_added), (g.edge_removed, self._on_edge_removed),
        ]
        for event, handler in self._handlers:
            event.connect(handler)
        for node in g.nodes.values():
            self._on_node_added(node)
        for edge in g.edges:
            self._on_edge_added(edge)

    def _detach(self) -> None:
        for event, handler in self._handlers:
            event.disconnect(handler)
        self._handlers = []

    def _refresh_texts(self) -> None:
        # Widths and parameter counts flow downstream: refresh every node.
        for item in self.node_items.values():
            item.sync_from_model()

    def _on_node_added(self, node) -> None:
        item = NodeItem(self.document.graph, node.id)
        self.node_items[node.id] = item
        self.addItem(item)
        if item.feature_chips is not None:  # it offers the data's columns, known only now
            item.feature_chips.refresh()

    def _on_node_removed(self, node) -> None:
        item = self.node_items.pop(node.id)
        self.sample_items.pop(node.id, None)  # a child of the node item: removed with it
        self.removeItem(item)

    def _on_node_changed(self, node, keys) -> None:
        self._refresh_texts()

    def _on_node_moved(self, node) -> None:
        self.node_items[node.id].sync_from_model()

    def _on_edge_added(self, edge: Edge) -> None:
        item = EdgeItem(self.node_items[edge.source], self.node_items[edge.target])
        self.edge_items[(edge.source, edge.target)] = item
        self.addItem(item)
        self._refresh_texts()

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self.edge_items.pop((edge.source, edge.target))
        item.detach()
        self.removeItem(item)
        self._refresh_texts()

    # ------------------------------------------------------------ training
    def show_live(self, weights: dict, maps: dict | None, resolution: int) -> None:
        """Colour weight lines and fill neuron maps (None: leave them) from a snapshot."""
        for (src, dst), edge in self.edge_items.items():
            wb = weights.get(dst)
            edge.set_weights(None if wb is None else wb[0])
        if maps is not None:
            for nid, item in self.node_items.items():
                item.set_maps(maps.get(nid), resolution)

    def show_sample(self, values: dict | None, kind: str = "a",
                    highlight: tuple[str, int] | None = None) -> None:
        """One sample's numbers beside the neurons: ``values[node_id]`` (a or
        delta, as ``kind`` says); None hides them. ``highlight``: (node id, unit)."""
        for nid, node in self.node_items.items():
            v = None if values is None else values.get(nid)
            unit = highlight[1] if highlight is not None and highlight[0] == nid else None
            item = place(node, self.sample_items.get(nid), v, kind, unit)
            if item is not None:
                self.sample_items[nid] = item

    def mark_weight(self, node_id: str | None, row: int | None = None, col: int | None = None) -> None:
        """Highlight W[row, col] of ``node_id`` on its weight lines (None: no mark)."""
        for (src, dst), edge in self.edge_items.items():
            edge.mark_weight(row if dst == node_id else None, col)

    def clear_live(self) -> None:
        self.show_live({}, {}, 0)

    def show_preview(self, node_item, index: int, image, scene_pos: QPointF) -> None:
        """A large view of one neuron's map next to the cursor."""
        if self._preview is None:
            self._preview = QGraphicsPixmapItem()
            self._preview.setZValue(20)
            self.addItem(self._preview)
        pix = QPixmap.fromImage(image.scaled(160, 160))
        self._preview.setPixmap(pix)
        # Above and left of the cursor: the node's tool tip opens below and right of it.
        self._preview.setPos(scene_pos - QPointF(16 + pix.width(), 16 + pix.height()))
        self._preview.setToolTip(node_item.unit_name(index))
        self._preview.setVisible(True)

    @property
    def neuron_preview(self) -> QGraphicsPixmapItem | None:
        """The large neuron map shown beside the cursor (its tool tip names
        the neuron, e.g. ``Dense 1[1]``, ``Input[0] (age)``); None until a neuron was hovered."""
        return self._preview

    def hide_preview(self) -> None:
        if self._preview is not None:
            self._preview.setVisible(False)

    def refresh_problems(self, problems) -> None:
        by_node: dict[str, list] = {}
        for p in problems:
            if p.node_id:
                by_node.setdefault(p.node_id, []).append(p)
        for nid, item in self.node_items.items():
            item.set_problems(by_node.get(nid, []))

    # ------------------------------------------------------------ selection
    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [Edge(*i.key) for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def delete_selection(self) -> None:
        if self.document:
            self.document.remove(self.selected_node_ids(), self.selected_edges())

    # -------------------------------------------------------------- gestures
    def _port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item
        return None

    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item.node_item
            if isinstance(item, NodeItem):
                return item
        return None

    def mousePressEvent(self, event):
        port = self._port_at(event.scenePos()) if event.button() == Qt.MouseButton.LeftButton else None
        if port is not None:
            self._link_port = port
            self._link = QGraphicsPathItem()
            pen = QPen(QGuiApplication.palette().color(QPalette.ColorRole.Highlight), 2,
                       Qt.PenStyle.DashLine)
            self._link.setPen(pen)
            self._link.setZValue(5)
            self.addItem(self._link)
            self._update_link(event.scenePos())
            event.accept()
            return
        super().mousePressEvent(event)

    def _update_link(self, pos: QPointF) -> None:
        a = self._link_port.scene_center()
        path = QPainterPath(a)
        dx = max(30.0, abs(pos.x() - a.x()) / 2) * (1 if self._link_port.kind == "out" else -1)
        path.cubicTo(a + QPointF(dx, 0), pos - QPointF(dx, 0), pos)
        self._link.setPath(path)

    def mouseMoveEvent(self, event):
        if self._link is not None:
            self._update_link(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self._link is not None:
            port, pos = self._link_port, event.scenePos()
            port.hovered = False  # the drag took the hover-leave event
            port.update()
            self.removeItem(self._link)
            self._link, self._link_port = None, None
            target = self._node_at(pos)
            if target is not None and target is not port.node_item:
                if port.kind == "out":
                    src, dst = port.node_item.node_id, target.node_id
                else:
                    src, dst = target.node_id, port.node_item.node_id
                reason = self.document.connect(src, dst)
                names = " → ".join(map(self.document.graph.label, (src, dst)))
                if reason:
                    self.statusMessage.emit(f"Cannot connect {names}: {reason}")
                else:
                    self.statusMessage.emit(f"Connected {names}")
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def commit_moves(self) -> None:
        """Hand positions the user dragged items to to the model, as one undo step."""
        if not self.document:
            return
        moves = {}
        for nid, item in self.node_items.items():
            old = self.document.graph.nodes[nid].position
            new = (round(item.pos().x()), round(item.pos().y()))
            if (item.pos().x(), item.pos().y()) != old:
                moves[nid] = (old, new)
        if moves:
            self.document.move(moves, "Move" if len(moves) == 1 else f"Move {len(moves)} nodes")

    def drawBackground(self, painter, rect):
        pal = QGuiApplication.palette()
        bg = pal.color(QPalette.ColorRole.Window)
        painter.fillRect(rect, bg.darker(104) if bg.lightness() > 128 else bg.lighter(115))
        dot = QColor(pal.color(QPalette.ColorRole.Text))
        dot.setAlpha(35)
        painter.setPen(QPen(dot, 1.5))
        step = 40
        left, top = int(rect.left()) - int(rect.left()) % step, int(rect.top()) - int(rect.top()) % step
        points = [QPointF(x, y) for x in range(left, int(rect.right()) + 1, step)
                  for y in range(top, int(rect.bottom()) + 1, step)]
        painter.drawPoints(points)  # one call: the view caches the background too
