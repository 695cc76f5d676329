"""The diagram: a projection of the document's graph.

The scene listens to the graph's events and adds, removes and refreshes items;
user gestures (dragging a connection, moving nodes) become document edits,
which go through the undo stack. Keys move the selection and make
connections through ``keys`` (:class:`~.keyboard.DiagramKeys`).
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsScene

from nnbuilder.core.model.graph import Edge

from .document import Document
from .edges import EdgeItem
from .items import NodeItem, PortItem
from .keyboard import DiagramKeys
from .sample_values import SampleValues, place


class NetworkScene(QGraphicsScene):
    """Mirrors ``document.graph``; ``statusMessage`` explains refused gestures."""

    statusMessage = Signal(str)
    weightEditRequested = Signal(str, int, int)  # layer id, row, column of W (row -1: the bias b[col])
    weightClicked = Signal(str, int, int)  # layer id, row, column of W: a single click on a weight line
    editRequested = Signal(str)  # node id: Enter on a selected layer opens its settings (the inspector)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._preview: QGraphicsPixmapItem | None = None
        self.document: Document | None = None
        self.node_items: dict[str, NodeItem] = {}
        self.sample_items: dict[str, SampleValues] = {}  # one sample's values, per node
        self.edge_items: dict[tuple[str, str], EdgeItem] = {}
        self._link: QGraphicsPathItem | None = None
        self._link_port: PortItem | None = None
        self._link_dragged = False  # drawn by a mouse drag (not by the keyboard)
        self._handlers = []
        self.keys = DiagramKeys(self)  # the selection moved by the keyboard (the view hands it keys)
        self.data_columns = 2  # raw columns of the data: Input nodes offer x3, x4, ... beyond 2
        self.counts_hidden = False  # quiz mode (a view setting of the window)
        self._biases: dict = {}  # {node id: b} of the weights shown
        self._slopes: dict = {}  # {node id: alpha} of the prelu layers shown
        self._sample = None  # (row, {node id: (a or None, f(a))}) of the picked sample
        self.column_names: list[str] | None = None  # their names, as the chips and nodes show features

    def set_counts_hidden(self, hidden: bool) -> None:
        """Quiz mode: no parameter count on the nodes or in their tool tips."""
        self.counts_hidden = hidden
        for item in self.node_items.values():
            item.set_problems(item.problems)  # its tool tip again, and a repaint

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
        self._link, self._link_port = None, None
        self.keys.forget()
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
    def show_live(self, weights: dict, maps: dict | None, resolution: int,
                  slopes: dict | None = None) -> None:
        """Colour weight lines and fill neuron maps (None: leave them) from a
        snapshot; its biases (and prelu ``slopes``) are what a hovered neuron shows."""
        self._biases = {nid: wb[1] for nid, wb in weights.items() if wb[1] is not None}
        self._slopes = dict(slopes or {})
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

    def set_sample_numbers(self, row: int | None, numbers: dict | None) -> None:
        """The picked sample's pre-activations and outputs ``{node id: (a or
        None, f(a))}`` (row 1-based), for a hovered neuron; None: no sample."""
        self._sample = None if numbers is None else (row, numbers)

    def neuron_text(self, node_id: str, unit: int) -> str:
        """A hovered neuron's tool tip: its bias, and a = W x + b and f(a) of the picked sample."""
        label = self.document.graph.label(node_id) if self.document is not None else node_id
        lines = [f"<b>{escape(label)}</b>, unit {unit + 1}"]
        b = self._biases.get(node_id)
        if b is not None and unit < len(b):
            lines.append(f"bias b[{unit + 1}] = <b>{b[unit]:.5g}</b>")
        alpha = self._slopes.get(node_id)
        if alpha is not None and unit < len(alpha):
            lines.append(f"learned prelu slope α[{unit + 1}] = <b>{alpha[unit]:.5g}</b>")
        if self._sample is not None and node_id in self._sample[1]:
            row, (pre, out) = self._sample[0], self._sample[1][node_id]
            if unit < len(out):
                parts = ([] if pre is None else [f"a = W x + b = {pre[unit]:.5g}"]) + \
                        [f"{'f(a)' if pre is not None else 'output'} = {out[unit]:.5g}"]
                lines.append(f"row {row}: " + ", ".join(parts))
        if b is not None:
            lines.append("<i>Double-click: type a new bias (while paused)</i>")
        return "<br>".join(lines)

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
        the neuron, counted from 1, e.g. ``Dense 1[1]``, ``Input[1] (age)``); None until a neuron was hovered."""
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
        self.end_link()  # one the keyboard was drawing: a click leaves it
        port = self._port_at(event.scenePos()) if event.button() == Qt.MouseButton.LeftButton else None
        if port is not None:
            self.begin_link(port, dragged=True)
            self.draw_link(event.scenePos())
            event.accept()
            return
        super().mousePressEvent(event)

    def begin_link(self, port: PortItem, dragged: bool = False) -> None:
        """Draw a connection being made from ``port``: by a mouse drag
        (``dragged``: it follows the pointer) or from the keyboard."""
        self.end_link()
        self._link_port, self._link_dragged = port, dragged
        self._link = QGraphicsPathItem()
        pen = QPen(QGuiApplication.palette().color(QPalette.ColorRole.Highlight), 2,
                   Qt.PenStyle.DashLine)
        self._link.setPen(pen)
        self._link.setZValue(5)
        self.addItem(self._link)

    def draw_link(self, pos: QPointF) -> None:
        a = self._link_port.scene_center()
        path = QPainterPath(a)
        dx = max(30.0, abs(pos.x() - a.x()) / 2) * (1 if self._link_port.kind == "out" else -1)
        path.cubicTo(a + QPointF(dx, 0), pos - QPointF(dx, 0), pos)
        self._link.setPath(path)

    def end_link(self) -> PortItem | None:
        """Take the connection being drawn away; the port it started from (None: none was)."""
        port = self._link_port
        if self._link is not None:
            self.removeItem(self._link)
        self._link, self._link_port = None, None
        return port

    @property
    def linking(self) -> bool:
        return self._link is not None

    def connect_nodes(self, src: str, dst: str) -> bool:
        """Connect ``src`` to ``dst`` (an undoable step) and say so in the status
        bar, or why not; True if connected."""
        reason = self.document.connect(src, dst)
        names = " → ".join(map(self.document.graph.label, (src, dst)))
        self.statusMessage.emit(f"Cannot connect {names}: {reason}" if reason else f"Connected {names}")
        return reason is None

    def mouseMoveEvent(self, event):
        if self._link is not None and self._link_dragged:
            self.draw_link(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self._link is not None and self._link_dragged:
            pos = event.scenePos()
            port = self.end_link()
            port.hovered = False  # the drag took the hover-leave event
            port.update()
            target = self._node_at(pos)
            if target is not None and target is not port.node_item:
                if port.kind == "out":
                    self.connect_nodes(port.node_item.node_id, target.node_id)
                else:
                    self.connect_nodes(target.node_id, port.node_item.node_id)
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
