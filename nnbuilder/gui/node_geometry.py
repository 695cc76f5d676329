"""How big a node is drawn, without Qt: shared by the scene items that paint
nodes and by the document's auto-layout that stacks them.

Sizes are in scene units: a header of ``HEADER`` and one ``NEURON_STEP`` per
neuron circle, or a compact bar for a layer too wide to show its neurons.
"""
from __future__ import annotations

from nnbuilder.core.graph import Graph

NODE_WIDTH = 170.0
HEADER = 46.0
NEURON_STEP = 22.0
MAX_NEURONS = 16


def neuron_count(graph: Graph, node_id: str) -> int | None:
    """How many neuron circles a node shows (None: no neuron column)."""
    node = graph.nodes[node_id]
    if node.type == "input":
        n = len(node.params["features"])
    elif node.type in ("dense", "output"):
        n = node.params["units"]
    else:
        return None
    return n if n <= MAX_NEURONS else None


def node_size(graph: Graph, node_id: str) -> tuple[float, float]:
    """(width, height) of a node as drawn."""
    node = graph.nodes[node_id]
    n = neuron_count(graph, node_id)
    if n is not None:
        return NODE_WIDTH, HEADER + n * NEURON_STEP + 8
    if node.type in ("input", "dense", "output"):
        return NODE_WIDTH, HEADER + 30  # the compact bar of a wide layer
    return NODE_WIDTH, HEADER
