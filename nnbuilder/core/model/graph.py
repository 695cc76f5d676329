"""The network as a graph: the single source of truth the GUI and CLI edit.

Nodes have stable string ids (saved in files; never ``id()``), a name the
user reads and may edit ("Dense 1"; unique in the graph, ids never reach the
user), a type, a parameter dict and a layout position. Edges connect a source node's output to
a target node's input; for Concatenate the order of its incoming edges is the
order of the concatenation. Every change goes through a method that validates,
stores, then emits an :class:`~nnbuilder.core.model.events.Event`, so a view can
mirror the model without ever writing to it behind the model's back.

The graph may be *incomplete* while someone edits it (unconnected nodes,
cycles); :meth:`Graph.validate` lists what is wrong, each problem naming its
node by its name (the rules are in :mod:`.validation`). Only a graph without errors can be compiled into a
:class:`~nnbuilder.core.engine.network.Network`.

What each node type is (parameters, inputs, widths, weights) comes from
:mod:`nnbuilder.core.model.nodetypes`.
"""
from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from ..functions.activations import ACTIVATIONS, DEFAULT_ALPHA
from ..errors import GraphError
from .events import Event
from .nodetypes import (INPUT, MAX_UNITS, MERGE, NO_INPUT, NODE_SPECS, NORMALIZE, OUTPUT, SINGLE,
                        check_param)
from .nodetypes import node_type as spec_of
from .validation import MAX_PARAMS, Problem, validate

__all__ = [
    "Node", "Edge", "Problem", "Graph", "GraphDictError", "NODE_TYPES", "PARAM_DEFAULTS",
    "MAX_UNITS", "MAX_NODES", "MAX_PARAMS", "MAX_NAME", "LAYER_FORMULAS", "NORMALIZE",
    "check_param",
]

MAX_NODES = 200
MAX_NAME = 40  # characters of a node's name

# Views of the node-type registry (nnbuilder.core.model.nodetypes), kept for the
# modules that read them; the graph itself asks the registry.
#: Parameters each node type has, with their defaults (model-file names).
PARAM_DEFAULTS: dict[str, dict[str, Any]] = {n: t.defaults() for n, t in NODE_SPECS.items()}
NODE_TYPES = tuple(NODE_SPECS)
#: Types that own a weight matrix and (optionally) a bias.
WEIGHTED_TYPES = tuple(n for n, t in NODE_SPECS.items() if t.weighted)
SINGLE_INPUT_TYPES = tuple(n for n, t in NODE_SPECS.items() if t.inputs == SINGLE)
MERGE_TYPES = tuple(n for n, t in NODE_SPECS.items() if t.inputs == MERGE)
LAYER_FORMULAS = {n: t.formula for n, t in NODE_SPECS.items()}


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'AEIOU' else 'a'} {word}"


def name_refusal(name: Any, others: Iterable[str]) -> str | None:
    """Why ``name`` cannot name a node beside nodes named ``others``, or None.

    A name is one line of text, 1 to MAX_NAME characters once stripped of
    surrounding spaces, that no other node has (ignoring case)."""
    if not isinstance(name, str):
        return "a name must be text"
    name = name.strip()
    if not name:
        return "a name cannot be empty"
    if len(name) > MAX_NAME:
        return f"a name has at most {MAX_NAME} characters (this one has {len(name)})"
    if not name.isprintable():
        return "a name is one line of text, without tabs or control characters"
    for other in others:
        if other.casefold() == name.casefold():
            return f"another node is called '{other}'"
    return None


def new_node_id(node_type: str) -> str:
    return f"{node_type}-{uuid.uuid4().hex[:8]}"


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any]
    position: tuple[float, float] = (0.0, 0.0)
    name: str = ""  # what the user reads: "Dense 1" (the id stays internal)

    @property
    def alpha(self) -> float:
        """The activation parameter in force (leaky ReLU slope, ELU scale,
        the slope a prelu layer's units start from before they learn their own)."""
        a = self.params.get("alpha")
        return DEFAULT_ALPHA.get(self.params.get("activation"), 0.0) if a is None else float(a)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str


@dataclass(frozen=True)
class RemovedNode:
    """What :meth:`Graph.remove_node` took out: the node, its place, its edges."""

    node: "Node"
    index: int
    edges: list  # [(index in Graph.edges, Edge)]


class GraphDictError(GraphError):
    """A bad node, parameter or edge in a graph read from a dict: ``path`` is
    its JSON path (``$.graph.nodes[2].params.units``), ``reason`` what is wrong."""

    def __init__(self, reason: str, path: str):
        self.reason, self.path = reason, path
        super().__init__(f"{path}: {reason}")


class Graph:
    """Nodes and edges of a network, with change events.

    Events (each an :class:`Event`): ``node_added(node)``,
    ``node_removed(node)``, ``node_changed(node, keys)``, ``node_moved(node)``,
    ``edge_added(edge)``, ``edge_removed(edge)``.
    """

    def __init__(self):
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.node_added = Event("node_added")
        self.node_removed = Event("node_removed")
        self.node_changed = Event("node_changed")
        self.node_moved = Event("node_moved")
        self.edge_added = Event("edge_added")
        self.edge_removed = Event("edge_removed")

    # ------------------------------------------------------------------ edits
    def add_node(self, node_type: str, params: dict | None = None,
                 position: Iterable[float] = (0.0, 0.0), node_id: str | None = None,
                 name: str | None = None) -> Node:
        """Add a node; without a ``name`` it gets the first free one of its
        type (:meth:`default_name`)."""
        spec = spec_of(node_type)
        if len(self.nodes) >= MAX_NODES:
            raise GraphError(f"a network has at most {MAX_NODES} nodes")
        node_id = node_id or new_node_id(node_type)
        if node_id in self.nodes:
            raise GraphError(f"a node with id '{node_id}' exists already")
        if name is None:
            name = self.default_name(node_type)
        else:
            reason = self.name_refusal(name)
            if reason:
                raise GraphError(reason)
            name = name.strip()
        merged = spec.defaults()
        for k, v in (params or {}).items():
            merged[k] = spec.check(k, v)
        x, y = position
        node = Node(node_id, node_type, merged, (float(x), float(y)), name)
        self.nodes[node_id] = node
        self.node_added.emit(node)
        return node

    def remove_node(self, node_id: str) -> "RemovedNode":
        """Remove a node and its edges; the record restores both exactly (undo)."""
        node = self.node(node_id)
        index = list(self.nodes).index(node_id)
        removed = [(i, e) for i, e in enumerate(self.edges) if node_id in (e.source, e.target)]
        for _, e in reversed(removed):
            self._remove_edge(e)
        del self.nodes[node_id]
        self.node_removed.emit(node)
        return RemovedNode(node, index, removed)

    def restore_node(self, removed: "RemovedNode") -> None:
        """Put back a node removed by :meth:`remove_node`, where it was."""
        node = removed.node
        if node.id in self.nodes:
            raise GraphError(f"a node with id '{node.id}' exists already")
        items = list(self.nodes.items())
        items.insert(removed.index, (node.id, node))
        self.nodes = dict(items)
        self.node_added.emit(node)
        for i, e in removed.edges:
            self._add_edge(e, i)

    def set_params(self, node_id: str, **changes) -> dict[str, Any]:
        """Change parameters; return the old values of those keys (for undo)."""
        node = self.node(node_id)
        spec = NODE_SPECS[node.type]
        checked = {k: spec.check(k, v) for k, v in changes.items()}
        old = {k: copy.deepcopy(node.params[k]) for k in checked}
        node.params.update(checked)
        self.node_changed.emit(node, tuple(checked))
        return old

    def rename_node(self, node_id: str, name: str) -> str:
        """Give a node a new name; return the old one (for undo). Raises
        :class:`GraphError` with :meth:`name_refusal`'s reason."""
        node = self.node(node_id)
        reason = self.name_refusal(name, node_id)
        if reason:
            raise GraphError(reason)
        old, node.name = node.name, name.strip()
        self.node_changed.emit(node, ("name",))
        return old

    def move_node(self, node_id: str, position: Iterable[float]) -> None:
        node = self.node(node_id)
        x, y = position
        node.position = (float(x), float(y))
        self.node_moved.emit(node)

    def connect(self, source: str, target: str, index: int | None = None) -> Edge:
        """Connect ``source``'s output to ``target``'s input, or raise
        :class:`GraphError` saying why the connection is refused."""
        reason = self.connection_refusal(source, target)
        if reason:
            raise GraphError(reason)
        return self._add_edge(Edge(source, target), index)

    def disconnect(self, source: str, target: str) -> int:
        """Remove the edge; return its index in the edge list (for undo)."""
        edge = Edge(source, target)
        if edge not in self.edges:
            raise GraphError(f"'{self.label(source)}' is not connected to '{self.label(target)}'")
        index = self.edges.index(edge)
        self._remove_edge(edge)
        return index

    def connection_refusal(self, source: str, target: str) -> str | None:
        """Why ``source -> target`` cannot be added, or None if it can."""
        if source not in self.nodes or target not in self.nodes:
            return "both ends must be nodes of this network"
        src, dst = self.nodes[source], self.nodes[target]
        if source == target:
            return "a node cannot feed itself"
        if Edge(source, target) in self.edges:
            return "these nodes are connected already"
        src_type, dst_type = NODE_SPECS[src.type], NODE_SPECS[dst.type]
        if dst_type.inputs == NO_INPUT:
            return f"{_a(dst_type.title)} node has no inputs"
        if not src_type.feeds:
            return f"{_a(src_type.title)} node feeds only the loss"
        if dst_type.inputs == SINGLE and self.inputs_of(target):
            return f"'{dst.name}' takes one input and has one already"
        if source in self.descendants(target):
            return f"connecting '{src.name}' to '{dst.name}' would make a cycle"
        if dst_type.width_conflict is not None:
            widths = self.widths()
            w_new = widths.get(source)
            others = sorted({widths.get(s) for s in self.inputs_of(target)} - {None})
            why = dst_type.width_conflict(others + [w_new]) if w_new is not None and others else None
            if why:
                return (f"'{dst.name}' {why}: its inputs have width "
                        f"{' and '.join(map(str, others))}; '{src.name}' has width {w_new}")
        return None

    def insert_edge(self, edge: Edge, index: int | None = None) -> Edge:
        """Put back an edge at its old place in the edge list (undo), unchecked."""
        return self._add_edge(edge, index)

    def _add_edge(self, edge: Edge, index: int | None = None) -> Edge:
        if edge.source not in self.nodes or edge.target not in self.nodes:
            raise GraphError(f"edge {edge.source} -> {edge.target} names a missing node")
        if edge in self.edges:
            raise GraphError(f"edge {edge.source} -> {edge.target} is listed twice")
        if index is None:
            self.edges.append(edge)
        else:
            self.edges.insert(index, edge)
        self.edge_added.emit(edge)
        return edge

    def _remove_edge(self, edge: Edge) -> None:
        self.edges.remove(edge)
        self.edge_removed.emit(edge)

    # ---------------------------------------------------------------- queries
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id '{node_id}'") from None

    def label(self, node_id: str) -> str:
        """The name a user reads for ``node_id`` (the id itself if there is no such node)."""
        node = self.nodes.get(node_id)
        return node.name if node is not None and node.name else node_id

    def names(self) -> list[str]:
        return [n.name for n in self.nodes.values()]

    def default_name(self, node_type: str, taken: Iterable[str] | None = None) -> str:
        """The first free name for a new node of ``node_type``: "Dense 1",
        "Dense 2", ...; the network's two ends are plain "Input" and "Output"
        (a second one "Input 2"). ``taken``: the names in use (default: this
        graph's)."""
        title = NODE_SPECS[node_type].title
        used = {n.casefold() for n in (self.names() if taken is None else taken)}
        role = node_type in (INPUT, OUTPUT)
        if role and title.casefold() not in used:
            return title
        k = 2 if role else 1
        while f"{title} {k}".casefold() in used:
            k += 1
        return f"{title} {k}"

    def name_refusal(self, name: Any, node_id: str | None = None) -> str | None:
        """Why ``name`` cannot be the name of ``node_id`` (or of a new node), or None."""
        return name_refusal(name, [n.name for n in self.nodes.values() if n.id != node_id])

    def inputs_of(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id]

    def outputs_of(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == node_id]

    def descendants(self, node_id: str) -> set[str]:
        seen, stack = set(), [node_id]
        while stack:
            for t in self.outputs_of(stack.pop()):
                if t not in seen:
                    seen.add(t)
                    stack.append(t)
        return seen

    def ancestors(self, node_id: str) -> set[str]:
        seen, stack = set(), [node_id]
        while stack:
            for s in self.inputs_of(stack.pop()):
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return seen

    def nodes_of_type(self, node_type: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == node_type]

    def topological_order(self) -> tuple[list[str], set[str]]:
        """Kahn's algorithm: (order of the acyclic part, ids left in cycles)."""
        indeg = {n: 0 for n in self.nodes}
        for e in self.edges:
            indeg[e.target] += 1
        ready = [n for n in self.nodes if indeg[n] == 0]
        order = []
        while ready:
            n = ready.pop(0)
            order.append(n)
            for t in self.outputs_of(n):
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
        return order, {n for n, d in indeg.items() if d > 0}

    def widths(self) -> dict[str, int]:
        """Output width of every node whose width can be inferred."""
        order, _ = self.topological_order()
        widths: dict[str, int] = {}
        for nid in order:
            node = self.nodes[nid]
            spec = NODE_SPECS[node.type]
            if spec.own_width is not None:
                widths[nid] = spec.own_width(node.params)
                continue
            ins = [widths.get(s) for s in self.inputs_of(nid)]
            if ins and None not in ins:
                w = spec.width(ins)
                if w is not None:
                    widths[nid] = w
        return widths

    def param_count(self, node_id: str) -> tuple[int, str]:
        """Learnable parameters of one node and the arithmetic (× the times sign), e.g. ``(16, "3×4 + 4 = 16")``:
        weights, biases, then a prelu layer's slopes (``"2×4 + 4 + 4 = 16"``)."""
        node = self.node(node_id)
        if not NODE_SPECS[node.type].weighted:
            return 0, "0"
        ins = self.inputs_of(node_id)
        fan_in = self.widths().get(ins[0]) if len(ins) == 1 else None
        units = node.params["units"]
        extra = [units] * (bool(node.params["bias"]) + ACTIVATIONS[node.params["activation"]].learned)
        tail = "".join(f" + {k}" for k in extra)
        if fan_in is None:  # not connected yet: the count is not known
            return 0, f"?×{units}{tail} = ?"
        n = fan_in * units + sum(extra)
        return n, f"{fan_in}×{units}{tail} = {n}"

    def total_params(self) -> int:
        return sum(self.param_count(n)[0] for n in self.nodes)

    def param_arithmetic(self) -> str:
        """Total with its arithmetic, as the lecture writes it: ``(3×4 + 4) + (4×2 + 2) = 26``."""
        order, _ = self.topological_order()
        parts = [self.param_count(n)[1].split(" = ")[0] for n in order
                 if NODE_SPECS[self.nodes[n].type].weighted]
        if not parts:
            return "0"
        total = "?" if any(p.startswith("?") for p in parts) else str(self.total_params())
        return " + ".join(f"({p})" if "+" in p and len(parts) > 1 else p for p in parts) + f" = {total}"

    # ------------------------------------------------------------- validation
    def validate(self) -> list[Problem]:
        """Everything that keeps this graph from training, each naming its node
        (the rules are in :mod:`.validation`)."""
        return validate(self)

    def errors(self) -> list[Problem]:
        return [p for p in self.validate() if p.severity == "error"]

    # --------------------------------------------------------------- building
    @classmethod
    def chain(cls, widths: list[int], activation: str = "tanh", output_activation: str = "sigmoid",
              loss: str = "bce", bias: bool = True, features: list[str] | None = None,
              initializer: str = "glorot_uniform") -> "Graph":
        """Input -> Dense... -> Output, laid out left to right.

        ``widths`` is inputs, hidden widths..., outputs, e.g. ``[2, 4, 4, 1]``.
        """
        if len(widths) < 2:
            raise GraphError("a network needs at least an input and an output width")
        features = features or [f"x{i + 1}" for i in range(widths[0])]
        if len(features) != widths[0]:
            raise GraphError(f"{len(features)} features given but the input width is {widths[0]}")
        g = cls()
        prev = g.add_node("input", {"features": features}, (0, 0), node_id="input").id
        for i, units in enumerate(widths[1:-1], start=1):
            prev_id = prev
            prev = g.add_node("dense", {"units": units, "activation": activation, "bias": bias,
                                        "initializer": initializer},
                              (220 * i, 0), node_id=f"dense{i}").id
            g.connect(prev_id, prev)
        out = g.add_node("output", {"units": widths[-1], "activation": output_activation,
                                    "loss": loss, "bias": bias, "initializer": initializer},
                         (220 * (len(widths) - 1), 0), node_id="output")
        g.connect(prev, out.id)
        return g

    def to_dict(self) -> dict:
        return {
            "nodes": [{"id": n.id, "name": n.name, "type": n.type, "params": copy.deepcopy(n.params),
                       "position": list(n.position)} for n in self.nodes.values()],
            "edges": [{"source": e.source, "target": e.target} for e in self.edges],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Graph":
        """Build from the ``graph`` section of a model file (already schema-checked).

        Raises :class:`GraphDictError` with the JSON path of a bad node,
        parameter, name or edge. Nodes without a ``name`` (files from before
        names) get the first free name of their type, in the order the data
        flows (then file order), so a file always reads back the same names.
        """
        g = cls()
        given: dict[str, str] = {}  # node id -> its name in the file
        for i, nd in enumerate(data["nodes"]):
            where = f"$.graph.nodes[{i}]"
            if "name" in nd:
                reason = name_refusal(nd["name"], given.values())
                if reason:
                    raise GraphDictError(reason, f"{where}.name")
                given[nd["id"]] = nd["name"].strip()
            try:
                spec = spec_of(nd["type"])
            except GraphError as e:
                raise GraphDictError(str(e), f"{where}.type") from None
            params = {}
            for key, value in nd.get("params", {}).items():
                try:
                    params[key] = spec.check(key, value)
                except GraphError as e:
                    raise GraphDictError(str(e), f"{where}.params.{key}") from None
            try:
                g.add_node(nd["type"], params, nd.get("position", (0.0, 0.0)), nd["id"])
            except GraphError as e:
                raise GraphDictError(str(e), f"{where}.id") from None
        for i, ed in enumerate(data["edges"]):
            try:
                g._add_edge(Edge(ed["source"], ed["target"]))
            except GraphError as e:
                raise GraphDictError(str(e), f"$.graph.edges[{i}]") from None
        g._derive_names(given)
        return g

    def _derive_names(self, given: dict[str, str]) -> None:
        """Names from ``given`` (id -> name); the others the first free name of
        their type, in topological order (then the cycles' nodes in file order)."""
        order, cyclic = self.topological_order()
        for node in self.nodes.values():
            node.name = given.get(node.id, "")
        taken = list(given.values())
        for nid in order + [n for n in self.nodes if n in cyclic]:
            node = self.nodes[nid]
            if not node.name:
                node.name = self.default_name(node.type, taken)
                taken.append(node.name)
