"""The network as a graph: the single source of truth the GUI and CLI edit.

Nodes have stable string ids (saved in files; never ``id()``), a type, a
parameter dict and a layout position. Edges connect a source node's output to
a target node's input; for Concatenate the order of its incoming edges is the
order of the concatenation. Every change goes through a method that validates,
stores, then emits an :class:`~nnbuilder.core.events.Event`, so a view can
mirror the model without ever writing to it behind the model's back.

The graph may be *incomplete* while someone edits it (unconnected nodes,
cycles); :meth:`Graph.validate` lists what is wrong, each problem naming its
node. Only a graph without errors can be compiled into a
:class:`~nnbuilder.core.network.Network`.
"""
from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

from .activations import ACTIVATIONS
from .errors import GraphError
from .events import Event
from .features import FEATURE_NAMES, is_feature_name
from .initializers import INITIALIZERS
from .losses import LOSSES

__all__ = [
    "Node", "Edge", "Problem", "Graph", "NODE_TYPES", "PARAM_DEFAULTS",
    "MAX_UNITS", "MAX_NODES", "MAX_PARAMS", "LAYER_FORMULAS", "NORMALIZE",
]

MAX_UNITS = 1024
MAX_NODES = 200
MAX_PARAMS = 2_000_000  # 16 MB of float64 weights, plus as much for gradients

#: Parameters each node type has, with their defaults. The keys are the names
#: used in model files.
PARAM_DEFAULTS: dict[str, dict[str, Any]] = {
    "input": {"features": ["x1", "x2"], "normalize": "none"},
    "dense": {"units": 4, "activation": "tanh", "alpha": None,
              "initializer": "glorot_uniform", "init_value": 0.0, "bias": True},
    "activation": {"activation": "relu", "alpha": None},
    "dropout": {"rate": 0.5},
    "add": {},
    "concat": {},
    "output": {"units": 1, "activation": "sigmoid", "alpha": None,
               "initializer": "glorot_uniform", "init_value": 0.0, "bias": True,
               "loss": "bce"},
}
NODE_TYPES = tuple(PARAM_DEFAULTS)
#: Input normalization: "standardize" feeds (x - mean) / std, with the mean and
#: std of each feature over the training rows.
NORMALIZE = ("none", "standardize")
#: Types that own a weight matrix and (optionally) a bias.
WEIGHTED_TYPES = ("dense", "output")
SINGLE_INPUT_TYPES = ("dense", "activation", "dropout", "output")
MERGE_TYPES = ("add", "concat")

LAYER_FORMULAS = {
    "input": "x = (x1, x2, ...): the features fed to the network (standardized: (x - mean) / std)",
    "dense": "y = g(Wx + b)",
    "activation": "y = g(x), element-wise",
    "dropout": "y = m * x / (1 - p), m ~ Bernoulli(1 - p) while training; y = x otherwise",
    "add": "y = x_1 + x_2 + ...",
    "concat": "y = [x_1, x_2, ...]",
    "output": "y_hat = g(Wx + b), then the loss L(y_hat, y)",
}


def new_node_id(node_type: str) -> str:
    return f"{node_type}-{uuid.uuid4().hex[:8]}"


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any]
    position: tuple[float, float] = (0.0, 0.0)

    @property
    def alpha(self) -> float:
        """The activation parameter in force (leaky ReLU slope, ELU scale)."""
        from .activations import DEFAULT_ALPHA

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


@dataclass(frozen=True)
class Problem:
    """Something wrong with the graph. ``severity`` is "error" or "warning"."""

    code: str
    message: str
    node_id: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"node '{self.node_id}': " if self.node_id else ""
        return f"{self.severity}: {where}{self.message}"


def check_param(node_type: str, key: str, value: Any) -> Any:
    """Validate one parameter value; return it normalised or raise GraphError."""
    defaults = PARAM_DEFAULTS[node_type]
    if key not in defaults:
        raise GraphError(f"{node_type} has no parameter '{key}'")
    bad = lambda why: GraphError(f"{node_type}.{key}: {why} (got {value!r})")  # noqa: E731
    if key == "units":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("must be a whole number")
        if not 1 <= value <= MAX_UNITS:
            raise bad(f"must be between 1 and {MAX_UNITS}")
    elif key == "activation":
        if value not in ACTIVATIONS:
            raise bad(f"unknown activation; choose from {', '.join(ACTIVATIONS)}")
    elif key == "initializer":
        if value not in INITIALIZERS:
            raise bad(f"unknown initializer; choose from {', '.join(INITIALIZERS)}")
    elif key == "loss":
        if value not in LOSSES:
            raise bad(f"unknown loss; choose from {', '.join(LOSSES)}")
    elif key == "bias":
        if not isinstance(value, bool):
            raise bad("must be true or false")
    elif key in ("alpha", "init_value", "rate"):
        if value is None and key == "alpha":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("must be a number")
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise bad("must be finite")
        if key == "rate" and not 0.0 <= value < 1.0:
            raise bad("must be at least 0 and below 1")
        if key in ("alpha", "init_value") and abs(value) > 1e6:
            raise bad("must be between -1e6 and 1e6")
    elif key == "normalize":
        if value not in NORMALIZE:
            raise bad(f"choose from {', '.join(NORMALIZE)}")
    elif key == "features":
        if not isinstance(value, (list, tuple)) or not value:
            raise bad("must be a non-empty list of feature names")
        value = list(value)
        for f in value:
            if not isinstance(f, str) or not is_feature_name(f):
                raise bad(f"unknown feature {f!r}; use {', '.join(FEATURE_NAMES)} or x3, x4, ... "
                          "for further raw columns")
        if len(set(value)) != len(value):
            raise bad("lists a feature twice")
        if len(value) > MAX_UNITS:
            raise bad(f"at most {MAX_UNITS} features")
    return value


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
                 position: Iterable[float] = (0.0, 0.0), node_id: str | None = None) -> Node:
        if node_type not in PARAM_DEFAULTS:
            raise GraphError(f"unknown node type {node_type!r}; choose from {', '.join(NODE_TYPES)}")
        if len(self.nodes) >= MAX_NODES:
            raise GraphError(f"a network has at most {MAX_NODES} nodes")
        node_id = node_id or new_node_id(node_type)
        if node_id in self.nodes:
            raise GraphError(f"a node with id '{node_id}' exists already")
        merged = copy.deepcopy(PARAM_DEFAULTS[node_type])
        for k, v in (params or {}).items():
            merged[k] = check_param(node_type, k, v)
        x, y = position
        node = Node(node_id, node_type, merged, (float(x), float(y)))
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
        checked = {k: check_param(node.type, k, v) for k, v in changes.items()}
        old = {k: copy.deepcopy(node.params[k]) for k in checked}
        node.params.update(checked)
        self.node_changed.emit(node, tuple(checked))
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
            raise GraphError(f"'{source}' is not connected to '{target}'")
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
        if dst.type == "input":
            return "an Input node has no inputs"
        if src.type == "output":
            return "an Output node feeds only the loss"
        if dst.type in SINGLE_INPUT_TYPES and self.inputs_of(target):
            return f"{dst.type.capitalize()} '{target}' takes one input and has one already"
        if source in self.descendants(target):
            return f"connecting '{source}' to '{target}' would make a cycle"
        if dst.type == "add":
            widths = self.widths()
            w_new = widths.get(source)
            others = {widths.get(s) for s in self.inputs_of(target)} - {None}
            if w_new is not None and others and w_new not in others:
                return (f"Add '{target}' sums inputs of width {others.pop()}; "
                        f"'{source}' has width {w_new}")
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
            ins = [widths.get(s) for s in self.inputs_of(nid)]
            if node.type == "input":
                widths[nid] = len(node.params["features"])
            elif node.type in WEIGHTED_TYPES:
                widths[nid] = node.params["units"]
            elif not ins or None in ins:
                continue
            elif node.type == "concat":
                widths[nid] = sum(ins)
            elif node.type == "add":
                if len(set(ins)) == 1:
                    widths[nid] = ins[0]
            else:  # activation, dropout
                widths[nid] = ins[0]
        return widths

    def param_count(self, node_id: str) -> tuple[int, str]:
        """Learnable parameters of one node and the arithmetic, e.g. ``(16, "3x4 + 4 = 16")``."""
        node = self.node(node_id)
        if node.type not in WEIGHTED_TYPES:
            return 0, "0"
        ins = self.inputs_of(node_id)
        fan_in = self.widths().get(ins[0]) if len(ins) == 1 else None
        units = node.params["units"]
        bias = f" + {units}" if node.params["bias"] else ""
        if fan_in is None:  # not connected yet: the count is not known
            return 0, f"?x{units}{bias} = ?"
        n = fan_in * units + (units if node.params["bias"] else 0)
        return n, f"{fan_in}x{units}{bias} = {n}"

    def total_params(self) -> int:
        return sum(self.param_count(n)[0] for n in self.nodes)

    def param_arithmetic(self) -> str:
        """Total with its arithmetic, as the lecture writes it: ``(3x4 + 4) + (4x2 + 2) = 26``."""
        order, _ = self.topological_order()
        parts = [self.param_count(n)[1].split(" = ")[0] for n in order
                 if self.nodes[n].type in WEIGHTED_TYPES]
        if not parts:
            return "0"
        total = "?" if any(p.startswith("?") for p in parts) else str(self.total_params())
        return " + ".join(f"({p})" if "+" in p and len(parts) > 1 else p for p in parts) + f" = {total}"

    # ------------------------------------------------------------- validation
    def validate(self) -> list[Problem]:
        """Everything that keeps this graph from training, each naming its node."""
        problems: list[Problem] = []
        add = lambda code, msg, nid=None, sev="error": problems.append(Problem(code, msg, nid, sev))  # noqa: E731
        inputs, outputs = self.nodes_of_type("input"), self.nodes_of_type("output")
        if not inputs:
            add("no_input", "the network has no Input node")
        for extra in inputs[1:]:
            add("several_inputs", "the network has more than one Input node", extra.id)
        if not outputs:
            add("no_output", "the network has no Output node")
        for extra in outputs[1:]:
            add("several_outputs", "the network has more than one Output node", extra.id)

        order, cyclic = self.topological_order()
        for nid in sorted(cyclic):
            add("cycle", "is part of a cycle", nid)

        for nid, node in self.nodes.items():
            n_in = len(self.inputs_of(nid))
            if node.type in SINGLE_INPUT_TYPES and n_in == 0:
                add("unconnected", "has no input connected", nid)
            elif node.type in MERGE_TYPES and n_in < 2:
                add("unconnected", f"{'Add' if node.type == 'add' else 'Concatenate'} "
                    f"needs at least two inputs (has {n_in})", nid)
            elif node.type != "output" and not self.outputs_of(nid):
                add("unconnected", "its output goes nowhere", nid)
            elif node.type != "input" and inputs and not (self.ancestors(nid) & {i.id for i in inputs}):
                add("unconnected", "is not reached from the Input node", nid)
            act = node.params.get("activation")
            if act and ACTIVATIONS[act].output_only and node.type != "output":
                add("output_only", f"{act} is for the Output node only", nid)
            if act and ACTIVATIONS[act].zero_gradient:
                add("zero_gradient", f"the {act} activation has zero gradient everywhere: "
                    "gradient descent cannot train the layers before it", nid, "warning")

        widths = self.widths()
        if not cyclic:
            for nid, node in self.nodes.items():
                if node.type == "add":
                    ws = [widths.get(s) for s in self.inputs_of(nid)]
                    known = [w for w in ws if w is not None]
                    if len(set(known)) > 1:
                        add("dim_mismatch", "Add needs inputs of equal width, got "
                            + " and ".join(str(w) for w in known), nid)

        for out in outputs[:1]:
            self._check_loss(out, add)

        total = self.total_params()
        if total > MAX_PARAMS:
            add("too_large", f"{total:,} parameters is more than the {MAX_PARAMS:,} allowed")
        for nid in order:
            w = widths.get(nid)
            if w is not None and w > MAX_UNITS * 4:
                add("too_large", f"width {w} is more than {MAX_UNITS * 4}", nid)
        return problems

    @staticmethod
    def _check_loss(out: Node, add) -> None:
        loss, act, units = out.params["loss"], out.params["activation"], out.params["units"]
        if loss == "cross_entropy":
            if units < 2:
                add("loss_mismatch", "softmax cross-entropy needs at least 2 output units "
                    f"(has {units}); use bce for one output", out.id)
            if act != "softmax":
                add("loss_mismatch", f"cross_entropy needs a softmax output (has {act})", out.id)
        elif loss == "bce":
            if units != 1:
                add("loss_mismatch", f"binary cross-entropy needs 1 output unit (has {units}); "
                    "use cross_entropy with softmax for several classes", out.id)
            if act != "sigmoid":
                add("loss_mismatch", f"bce needs a sigmoid output, probabilities in (0, 1) "
                    f"(has {act})", out.id)
        elif loss == "hinge" and units != 1:
            add("loss_mismatch", f"hinge loss needs 1 output unit (has {units})", out.id)
        if act == "softmax" and units < 2:
            add("loss_mismatch", "softmax over one unit is always 1; use sigmoid", out.id)

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

    def copy(self) -> "Graph":
        return Graph.from_dict(self.to_dict())

    def to_dict(self) -> dict:
        return {
            "nodes": [{"id": n.id, "type": n.type, "params": copy.deepcopy(n.params),
                       "position": list(n.position)} for n in self.nodes.values()],
            "edges": [{"source": e.source, "target": e.target} for e in self.edges],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Graph":
        """Build from the ``graph`` section of a model file (already schema-checked).

        Raises GraphError naming the JSON path of a bad node or edge.
        """
        g = cls()
        for i, nd in enumerate(data["nodes"]):
            try:
                g.add_node(nd["type"], nd.get("params", {}), nd.get("position", (0, 0)), nd["id"])
            except GraphError as e:
                raise GraphError(f"$.graph.nodes[{i}]: {e}") from None
        for i, ed in enumerate(data["edges"]):
            try:
                g._add_edge(Edge(ed["source"], ed["target"]))
            except GraphError as e:
                raise GraphError(f"$.graph.edges[{i}]: {e}") from None
        return g
