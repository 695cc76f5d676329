"""How big a node is drawn, without Qt: shared by the scene items that paint
nodes and by the document's auto-layout that stacks them.

Sizes are in scene units: a header of ``HEADER`` and one ``NEURON_STEP`` per
neuron circle, or a compact bar for a layer too wide to show its neurons.
"""
from __future__ import annotations

from nnbuilder.core.model.graph import Graph
from nnbuilder.core.model.nodetypes import NODE_SPECS

NODE_WIDTH = 170.0
HEADER = 46.0
NEURON_STEP = 22.0
MAX_NEURONS = 16


def neuron_count(graph: Graph, node_id: str) -> int | None:
    """How many neuron circles a node shows (None: no neuron column)."""
    n = layer_width(graph, node_id)
    return n if n is not None and n <= MAX_NEURONS else None


def layer_width(graph: Graph, node_id: str) -> int | None:
    """The units of a node that has its own (Input, Dense, Output), else None."""
    node = graph.nodes[node_id]
    width = NODE_SPECS[node.type].own_width
    return None if width is None else width(node.params)


def node_size(graph: Graph, node_id: str) -> tuple[float, float]:
    """(width, height) of a node as drawn."""
    n = neuron_count(graph, node_id)
    if n is not None:
        return NODE_WIDTH, HEADER + n * NEURON_STEP + 8
    if layer_width(graph, node_id) is not None:
        return NODE_WIDTH, HEADER + 30  # the compact bar of a wide layer
    return NODE_WIDTH, HEADER
