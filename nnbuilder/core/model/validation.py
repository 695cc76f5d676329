"""What keeps a graph from training: the rules :meth:`Graph.validate` applies,
each problem naming its node by the name the user reads.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..functions.activations import ACTIVATIONS
from .nodetypes import INPUT, MAX_UNITS, MERGE, NO_INPUT, NODE_SPECS, OUTPUT, SINGLE

__all__ = ["Problem", "validate", "MAX_PARAMS"]

MAX_PARAMS = 2_000_000  # 16 MB of float64 weights, plus as much for gradients


@dataclass(frozen=True)
class Problem:
    """Something wrong with the graph. ``severity`` is "error" or "warning"."""

    code: str
    message: str
    node_id: str | None = None
    severity: str = "error"
    node_name: str | None = None  # the node's name, as the user reads it

    @property
    def text(self) -> str:
        """The message, after the name of its node: ``"Dense 1: has no input connected"``."""
        where = self.node_name or self.node_id
        return f"{where}: {self.message}" if where else self.message

    def __str__(self) -> str:
        return f"{self.severity}: {self.text}"


def validate(graph) -> list[Problem]:
    """Everything that keeps ``graph`` from training, each naming its node."""
    problems: list[Problem] = []
    def add(code, msg, nid=None, sev="error"):
        problems.append(Problem(code, msg, nid, sev, graph.label(nid) if nid else None))
    inputs, outputs = graph.nodes_of_type(INPUT), graph.nodes_of_type(OUTPUT)
    if not inputs:
        add("no_input", "the network has no Input node")
    for extra in inputs[1:]:
        add("several_inputs", "the network has more than one Input node", extra.id)
    if not outputs:
        add("no_output", "the network has no Output node")
    for extra in outputs[1:]:
        add("several_outputs", "the network has more than one Output node", extra.id)

    order, cyclic = graph.topological_order()
    for nid in sorted(cyclic):
        add("cycle", "is part of a cycle", nid)

    for nid, node in graph.nodes.items():
        spec = NODE_SPECS[node.type]
        n_in = len(graph.inputs_of(nid))
        if spec.inputs == SINGLE and n_in == 0:
            add("unconnected", "has no input connected", nid)
        elif spec.inputs == MERGE and n_in < 2:
            add("unconnected", f"{spec.title} needs at least two inputs (has {n_in})", nid)
        elif spec.feeds and not graph.outputs_of(nid):
            add("unconnected", "its output goes nowhere", nid)
        elif spec.inputs != NO_INPUT and inputs and not (graph.ancestors(nid) & {i.id for i in inputs}):
            add("unconnected", "is not reached from the Input node", nid)
        act = node.params.get("activation")
        if act and ACTIVATIONS[act].output_only and node.type != OUTPUT:
            add("output_only", f"{act} is for the Output node only", nid)
        if act and ACTIVATIONS[act].zero_gradient:
            what = ("gradient descent cannot train it or the layers before it; the perceptron "
                    "rule (optimizer perceptron) trains a step Output fed by the Input"
                    if node.type == OUTPUT else "gradient descent cannot train the layers before it")
            add("zero_gradient", f"the {act} activation has zero gradient everywhere: {what}", nid,
                "warning")

    widths = graph.widths()
    if not cyclic:
        for nid, node in graph.nodes.items():
            spec = NODE_SPECS[node.type]
            if spec.width_conflict is not None:
                known = [w for w in (widths.get(s) for s in graph.inputs_of(nid)) if w is not None]
                why = spec.width_conflict(known) if known else None
                if why:
                    add("dim_mismatch", f"{spec.title} {why}, got "
                        + " and ".join(str(w) for w in known), nid)

    for nid, node in graph.nodes.items():
        check = NODE_SPECS[node.type].problems
        for problem in (check(node.params) if check else ()):
            code, message, *severity = problem  # (code, message[, severity])
            add(code, message, nid, *severity)

    total = graph.total_params()
    if total > MAX_PARAMS:
        add("too_large", f"{total:,} parameters is more than the {MAX_PARAMS:,} allowed")
    for nid in order:
        w = widths.get(nid)
        if w is not None and w > MAX_UNITS * 4:
            add("too_large", f"width {w} is more than {MAX_UNITS * 4}", nid)
    return problems
