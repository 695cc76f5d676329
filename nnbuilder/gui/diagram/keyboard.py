"""The diagram from the keyboard: the selection moves over layers and
connections, a connection's weight lines are chosen one by one, Enter opens
what edits the selection, C makes a connection and Shift with the arrows
moves layers.

:data:`DIAGRAM_KEYS` lists the keys (Help > Keyboard shortcuts and the README
show it). :class:`DiagramKeys` turns a key into a move of the scene's
selection or an edit through the document (undoable, as a drag would be);
the view hands it the keys it gets while it has the focus.
"""
from __future__ import annotations

from PySide6.QtCore import Qt

from nnbuilder.core.model.nodetypes import NODE_SPECS

from .commands import weight_name
from .edges import EdgeItem
from .items import NodeItem, node_badge

#: (keys, what they do in the diagram), in the order Help lists them.
DIAGRAM_KEYS = (
    ("Tab, Shift+Tab", "next / previous layer or connection, left to right (past the last: the next panel)"),
    ("Home, End", "the first / last layer"),
    ("Right, Left", "along the connections: a layer's outgoing (incoming) connection, "
                    "a connection's target (source)"),
    ("Up, Down", "the layer above / below; on a connection, the previous / next weight line"),
    ("Shift+arrows", "move the selected layers (a run of moves is one undo step)"),
    ("Enter", "edit the selection: a layer's settings (the inspector), a weight line's value"),
    ("C", "connect the selected layer: Tab or the arrows choose the target, Enter connects, Esc cancels"),
    ("Esc", "clear the selection (in the inspector: back to the diagram)"),
    ("Ctrl+Tab", "leave the diagram for the next panel"),
)


class DiagramKeys:
    """Keyboard moves over a :class:`~.scene.NetworkScene`. ``current`` is the
    item the keyboard is on (a selected node or edge); while a connection is
    being made, ``link`` is (source node, candidate targets, index)."""

    def __init__(self, scene):
        self.scene = scene
        self.current = None
        self.link: tuple[NodeItem, list[NodeItem], int] | None = None

    def forget(self) -> None:
        """Another document: its items are gone (the scene's link with them)."""
        self.current, self.link = None, None

    # ------------------------------------------------------------ the order
    def order(self) -> list:
        """Every node left to right (top to bottom in a column), each followed
        by the connections leaving it, top to bottom: the Tab order."""
        nodes = sorted(self.scene.node_items.values(), key=lambda n: (n.pos().x(), n.pos().y()))
        out = []
        for node in nodes:
            out.append(node)
            out += sorted((e for e in node.edges if e.source is node), key=lambda e: e.target.pos().y())
        return out

    def current_item(self):
        """The item the keyboard is on: the one it chose if still selected,
        else the first selected one in Tab order (None: nothing selected)."""
        selected = self.scene.selectedItems()
        if self.current in selected:
            return self.current
        order = self.order()
        chosen = [i for i in order if i in selected]
        self.current = chosen[0] if chosen else None
        return self.current

    def select(self, item) -> None:
        """Select ``item`` alone and say what it is."""
        if item is not self.current and isinstance(self.current, EdgeItem):
            self.current.set_cursor(None)
        self.scene.clearSelection()
        item.setSelected(True)
        self.current = item
        self.scene.statusMessage.emit(self.describe(item))

    def describe(self, item) -> str:
        """What the item is and what the keys do with it (the status bar and
        the diagram's accessible description read it)."""
        graph = self.scene.document.graph
        if isinstance(item, NodeItem):
            badge = node_badge(graph, item.node_id)
            kind = NODE_SPECS[item.node_type].title + (f", {badge}" if badge else "")
            return f"{graph.label(item.node_id)} ({kind}): Enter edits it, C connects it to another layer"
        src, dst = item.names()
        rc = item.cursor_weight()
        if rc is None:
            more = ("Up/Down choose a weight line, Enter types its value" if item.neuron_lines
                    else "Delete removes it")
            return f"Connection {src} → {dst}: {more}"
        (i, j), w = rc, item.weights
        value = f", w = {w[i, j]:.5g}" if w is not None else ""
        # Named as the pointer's tool tip and the value dialog name it, counted from 1
        # (it read "Dense 1[0] → Output[1]" while the dialog asked for "W[1, 2]").
        return (f"Weight {dst} {weight_name(i, j)}: {item.source.unit_name(i)} → "
                f"{item.target.unit_name(j)}{value}; Enter types a new value")

    # ------------------------------------------------------------- the keys
    def tab(self, forward: bool) -> bool:
        """Tab (Shift+Tab): the next (previous) item; False past the end (the
        focus leaves the diagram). While connecting: the next target."""
        if self.linking():
            self._choose_target(1 if forward else -1)
            return True
        order = self.order()
        cur = self.current_item()
        if cur is None:
            target = order[0 if forward else -1] if order else None
        else:
            k = order.index(cur) + (1 if forward else -1)
            target = order[k] if 0 <= k < len(order) else None
        if target is None:
            return False
        self.select(target)
        return True

    def enter_focus(self, forward: bool) -> None:
        """The diagram got the focus by Tab (Shift+Tab): with nothing selected,
        the first (last) item is."""
        if self.current_item() is None and self.order():
            self.select(self.order()[0 if forward else -1])

    def key(self, key: int, modifiers) -> bool:
        """Handle a key pressed in the diagram; True if it was one of ours."""
        K = Qt.Key
        if modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return False
        if self.linking():
            return self._link_key(key)
        cur = self.current_item()
        if key in (K.Key_Home, K.Key_End):
            order = [i for i in self.order() if isinstance(i, NodeItem)]
            if order:
                self.select(order[0 if key == K.Key_Home else -1])
            return True
        if key == K.Key_Escape:
            if cur is None:
                return False
            self.scene.clearSelection()
            self.current = None
            return True
        if cur is None:
            if key in (K.Key_Right, K.Key_Left, K.Key_Up, K.Key_Down):
                return self.tab(key in (K.Key_Right, K.Key_Down)) or True
            return False
        if key in (K.Key_Return, K.Key_Enter):
            self.activate(cur)
            return True
        if key == K.Key_C:
            self.start_link()
            return True
        arrows = {K.Key_Right: (1, 0), K.Key_Left: (-1, 0), K.Key_Up: (0, -1), K.Key_Down: (0, 1)}
        if key in arrows and modifiers & Qt.KeyboardModifier.ShiftModifier:
            self._nudge(*arrows[key])
            return True
        if key in (K.Key_Right, K.Key_Left):
            self._along(cur, key == K.Key_Right)
            return True
        if key in (K.Key_Up, K.Key_Down):
            step = -1 if key == K.Key_Up else 1
            if isinstance(cur, EdgeItem):
                self._weight_step(cur, step)
            else:
                self._vertical(cur, step)
            return True
        return False

    def _along(self, cur, forward: bool) -> None:
        if isinstance(cur, EdgeItem):
            self.select(cur.target if forward else cur.source)
            return
        edges = [e for e in cur.edges if (e.source if forward else e.target) is cur]
        edges.sort(key=lambda e: (e.target if forward else e.source).pos().y())
        if edges:
            self.select(edges[0])
        else:
            self.scene.statusMessage.emit(f"{self.scene.document.graph.label(cur.node_id)} has no "
                                          f"{'outgoing' if forward else 'incoming'} connection")

    NUDGE = 20  # scene units per Shift+arrow (half the background grid)

    def _nudge(self, dx: int, dy: int) -> None:
        """Move the selected nodes, through the document (an undoable step
        that merges with the moves by key just before it)."""
        doc = self.scene.document
        ids = self.scene.selected_node_ids()
        if not ids:
            self.scene.statusMessage.emit("Select a layer to move it")
            return
        moves = {}
        for nid in ids:
            x, y = doc.graph.nodes[nid].position
            moves[nid] = ((x, y), (x + dx * self.NUDGE, y + dy * self.NUDGE))
        doc.move(moves, "Move" if len(ids) == 1 else f"Move {len(ids)} nodes", mergeable=True)

    def _vertical(self, cur: NodeItem, step: int) -> None:
        """The nearest node above (step -1) or below (+1), the ones in the same column first."""
        c = cur.sceneBoundingRect().center()
        best, best_score = None, None
        for node in self.scene.node_items.values():
            d = node.sceneBoundingRect().center() - c
            if node is cur or d.y() * step <= 0:
                continue
            score = abs(d.y()) + 2 * abs(d.x())
            if best_score is None or score < best_score:
                best, best_score = node, score
        if best is not None:
            self.select(best)

    def _weight_step(self, edge: EdgeItem, step: int) -> None:
        n = len(edge.neuron_lines)
        if not n:
            self.scene.statusMessage.emit(self.describe(edge))
            return
        k = (0 if step > 0 else n - 1) if edge.cursor is None else (edge.cursor + step) % n
        edge.set_cursor(k)
        self.scene.statusMessage.emit(self.describe(edge))
        if edge.weights is not None:  # what a click on the line does: the Learn panel explains it
            self.scene.weightClicked.emit(edge.target.node_id, *edge.cursor_weight())

    def activate(self, cur) -> None:
        """Enter: a node's settings; an edge's weight line (its first if none is chosen)."""
        if isinstance(cur, NodeItem):
            self.scene.editRequested.emit(cur.node_id)
            return
        if not NODE_SPECS[cur.target.node_type].weighted:
            src, dst = cur.names()
            self.scene.statusMessage.emit(f"{src} → {dst} has no weights: "
                                          f"{NODE_SPECS[cur.target.node_type].title} has none")
            return
        if cur.cursor is None and cur.neuron_lines:
            cur.set_cursor(0)
        row, col = cur.cursor_weight() or (0, 0)
        self.scene.weightEditRequested.emit(cur.target.node_id, row, col)

    # -------------------------------------------------------- connecting
    def linking(self) -> bool:
        if self.link is not None and not self.scene.linking:  # a click ended it
            self._unmark_target()
            self.link = None
        return self.link is not None

    def start_link(self) -> None:
        """C: connect from the selected node; the first target is the first
        node after it (in Tab order) that takes the connection."""
        cur = self.current_item()
        graph = self.scene.document.graph
        if not isinstance(cur, NodeItem):
            self.scene.statusMessage.emit("Select a layer to connect from")
            return
        if cur.out_port is None:
            self.scene.statusMessage.emit(f"{graph.label(cur.node_id)} has no output to connect from")
            return
        order = [i for i in self.order() if isinstance(i, NodeItem)]
        k = order.index(cur)
        candidates = [n for n in order[k + 1:] + order[:k] if n.in_port is not None]
        if not candidates:
            self.scene.statusMessage.emit("There is no other layer to connect to")
            return
        start = next((i for i, n in enumerate(candidates)
                      if graph.connection_refusal(cur.node_id, n.node_id) is None), 0)
        self.scene.begin_link(cur.out_port)
        self.link = (cur, candidates, start)
        self._choose_target(0)

    def _choose_target(self, step: int) -> None:
        self._unmark_target()
        source, candidates, k = self.link
        k = (k + step) % len(candidates)
        self.link = (source, candidates, k)
        target = candidates[k]
        target.in_port.hovered = True
        target.in_port.update()
        self.scene.draw_link(target.in_port.scene_center())
        graph = self.scene.document.graph
        names = f"{graph.label(source.node_id)} → {graph.label(target.node_id)}"
        reason = graph.connection_refusal(source.node_id, target.node_id)
        self.scene.statusMessage.emit(
            f"Connect {names}? Enter connects, Tab or the arrows choose another layer, Esc cancels"
            if reason is None else f"{names} cannot be connected: {reason} (Tab: another layer, Esc cancels)")

    def link_target(self):
        """The layer proposed as the keyboard connection's target (None: no
        connection is being made): the view keeps it in sight."""
        if self.link is None:
            return None
        _, candidates, k = self.link
        return candidates[k]

    def _unmark_target(self) -> None:
        if self.link is not None:
            source, candidates, k = self.link
            port = candidates[k].in_port
            if port.scene() is not None:
                port.hovered = False
                port.update()

    def _link_key(self, key: int) -> bool:
        K = Qt.Key
        if key in (K.Key_Right, K.Key_Down):
            self._choose_target(1)
        elif key in (K.Key_Left, K.Key_Up):
            self._choose_target(-1)
        elif key in (K.Key_Return, K.Key_Enter):
            source, candidates, k = self.link
            self.cancel_link()
            if self.scene.connect_nodes(source.node_id, candidates[k].node_id):
                self.current = None  # the new connection's item: select the target it reaches
                self.scene.clearSelection()
                candidates[k].setSelected(True)
                self.current = candidates[k]
        elif key == K.Key_Escape:
            self.cancel_link()
            self.scene.statusMessage.emit("No connection made")
        return True  # every other key waits until the connection is made or cancelled

    def cancel_link(self) -> None:
        self._unmark_target()
        self.link = None
        self.scene.end_link()
