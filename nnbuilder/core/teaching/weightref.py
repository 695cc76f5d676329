"""Which weight: a reference to one weight ``W[row, col]``, bias ``b[col]``
or learned slope ``alpha[col]`` (a prelu layer's) of a network, parsed from
what a person types (``"Dense 1:2:3"``, ``"Output:b:1"``, ``"Dense 1:alpha:2"``;
1-based, as the model file's ``W`` is read) and labelled back. The chain rule (:mod:`.explain`), the loss surface (:mod:`.surface`),
the CLI and the window's Learn panel all name a weight this way.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import NNBuilderError
from ..engine.network import Network
from ..functions.features import feature_label

__all__ = ["WeightRef", "parse_weight", "weight_label"]


@dataclass(frozen=True)
class WeightRef:
    """One weight ``W[row, col]`` of node ``node`` (an id), or its bias
    ``b[col]`` when ``row`` is None, or with ``slope`` its unit's learned
    slope ``alpha[col]`` (prelu; ``row`` None); indices 0-based."""

    node: str
    row: int | None
    col: int
    slope: bool = False

    @property
    def is_bias(self) -> bool:
        return self.row is None and not self.slope

    @property
    def kind(self) -> str:
        """``"W"``, ``"b"`` or ``"alpha"``: the model file's name of its array."""
        return "alpha" if self.slope else "b" if self.row is None else "W"



def _weighted_names(net: Network) -> str:
    return ", ".join(net.nodes[n].name for n in net.layout)


def _find_node(net: Network, key: str) -> str:
    if key in net.nodes:
        return key
    for nid, node in net.nodes.items():
        if node.name.casefold() == key.strip().casefold():
            return nid
    raise NNBuilderError(f"no node {key!r}; the nodes with weights are {_weighted_names(net)}")


def _index(text: str, what: str, top: int, where: str) -> int:
    try:
        i = int(text)
    except ValueError:
        raise NNBuilderError(f"{what} {text!r} is not a whole number; {where} has {what}s "
                             f"1 to {top}") from None
    if not 1 <= i <= top:
        raise NNBuilderError(f"{what} {i} is out of range: {where} has {what}s 1 to {top}")
    return i - 1


def parse_weight(spec: str, net: Network) -> WeightRef:
    """``"NODE:R:C"`` (``W[R, C]``, 1-based: R the input unit, C the unit),
    ``"NODE:b:C"`` (the bias of unit C) or ``"NODE:alpha:C"`` (the learned
    slope of unit C of a prelu layer); NODE is a node's id or name.
    NNBuilderError with one line naming the valid range otherwise."""
    parts = spec.rsplit(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise NNBuilderError(f"{spec!r}: give NODE:ROW:COL (1-based, as in the model file's W, "
                             "e.g. Output:1:1), NODE:b:COL for a bias or NODE:alpha:COL for a "
                             "prelu layer's slope")
    nid = _find_node(net, parts[0])
    name = net.nodes[nid].name
    if nid not in net.layout:
        raise NNBuilderError(f"node {name!r} has no weights; the nodes with weights are "
                             f"{_weighted_names(net)}")
    _, fan_in, units, b_off = net.layout[nid]
    col = _index(parts[2], "column", units, f"{name}'s W ({fan_in}x{units})")
    if parts[1].strip().lower() == "alpha":
        if nid not in net.slopes:
            raise NNBuilderError(f"node {name!r} learns no slopes (its activation is "
                                 f"{net.nodes[nid].params['activation']}; prelu learns one per unit)")
        return WeightRef(nid, None, col, slope=True)
    if parts[1].strip().lower() == "b":
        if b_off is None:
            raise NNBuilderError(f"node {name!r} has no bias; give a weight NODE:ROW:COL with "
                                 f"rows 1 to {fan_in}")
        return WeightRef(nid, None, col)
    row = _index(parts[1], "row", fan_in, f"{name}'s W ({fan_in}x{units})")
    return WeightRef(nid, row, col)


def weight_label(net: Network, ref: WeightRef, columns=None) -> str:
    """``"Dense 1: W[2,3]"``, ``"Output: b[1]"`` or ``"Dense 1: alpha[2]"``
    (1-based); a weight from the Input node names its feature by the data's
    ``columns``: ``"Dense 1: W[2,3] (from sepal_width)"``."""
    name = net.nodes[ref.node].name
    if ref.row is None:
        return f"{name}: {ref.kind}[{ref.col + 1}]"
    text = f"{name}: W[{ref.row + 1},{ref.col + 1}]"
    if net.inputs[ref.node] == [net.input_id]:
        text += f" (from {feature_label(net.features[ref.row], columns)})"
    return text
