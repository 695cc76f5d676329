"""Which output of an ONNX graph is the network's, the nodes that compute it,
and the class names a classifier's graph holds.

A scikit-learn classifier converted by skl2onnx has two outputs: the label
(``ArgMax`` of the probabilities looked up in the class list by
``ArrayFeatureExtractor``) and the probabilities, a tensor or, with zipmap,
a sequence of maps (``ZipMap`` of that tensor). The network's output is the
probabilities tensor; an output computed through ``ArgMax`` or holding no
floating-point numbers is a label and is left out. The class names come from
``ZipMap``'s class labels or from the class list the label looks up. Only the
nodes the chosen output is computed from are read.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import NNBuilderError

__all__ = ["OnnxImportError", "Chosen", "choose_output"]

#: ONNX element types of floating-point tensors (TensorProto FLOAT, FLOAT16, DOUBLE, BFLOAT16).
FLOAT_TYPES = {1, 10, 11, 16}

#: The ZipMap attributes holding the class labels.
_ZIPMAP_LABELS = ("classlabels_strings", "classlabels_int64s")


class OnnxImportError(NNBuilderError):
    """The ONNX graph holds something nnbuilder cannot represent."""


@dataclass
class Chosen:
    """The tensor the network outputs, the ONNX nodes computing it (in graph
    order) and the class names the graph holds (None when it holds none)."""

    tensor: str
    nodes: list
    labels: list[str] | None


def choose_output(graph) -> Chosen:
    """The network's output of ``graph`` (an ``onnx.GraphProto``); OnnxImportError
    when there is none or more than one."""
    producer = {t: n for n in graph.node for t in n.output}
    candidates: list[str] = []
    labels = None
    for out in graph.output:
        node = producer.get(out.name)
        if node is not None and node.op_type == "ZipMap":
            if not node.input:
                raise OnnxImportError(f"the ZipMap node {node.name!r} reads nothing")
            candidates.append(node.input[0])
            labels = _zipmap_labels(node)
            continue
        kind = out.type.WhichOneof("value")
        elem = out.type.tensor_type.elem_type if kind == "tensor_type" else None
        if kind not in (None, "tensor_type") or elem not in FLOAT_TYPES | {0, None} or \
                _computed_through(out.name, "ArgMax", producer):
            continue  # a label, not the network's numbers
        candidates.append(out.name)
    candidates = list(dict.fromkeys(candidates))
    if len(candidates) != 1:
        names = ", ".join(repr(o.name) for o in graph.output) or "none"
        raise OnnxImportError(f"the graph has {len(candidates)} outputs of numbers (outputs: {names}); "
                              "nnbuilder networks have one")
    tensor = candidates[0]
    if labels is None:
        labels = _looked_up_labels(graph, tensor, producer)
    return Chosen(tensor, _nodes_for(graph, tensor), labels)


def _computed_through(tensor: str, op: str, producer: dict) -> bool:
    seen, todo = set(), [tensor]
    while todo:
        node = producer.get(todo.pop())
        if node is None or id(node) in seen:
            continue
        if node.op_type == op:
            return True
        seen.add(id(node))
        todo.extend(node.input)
    return False


def _nodes_for(graph, tensor: str) -> list:
    """The nodes ``tensor`` is computed from, in graph order."""
    needed, keep = {tensor}, []
    for node in reversed(graph.node):
        if any(t in needed for t in node.output):
            keep.append(node)
            needed.update(node.input)
    return keep[::-1]


def _text(v) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _zipmap_labels(node) -> list[str] | None:
    from onnx import helper

    for a in node.attribute:
        if a.name in _ZIPMAP_LABELS:
            values = helper.get_attribute_value(a)
            if isinstance(values, (list, tuple)):
                return [_text(v) for v in values] or None
    return None


def _looked_up_labels(graph, tensor: str, producer: dict) -> list[str] | None:
    """The constant class list an ``ArrayFeatureExtractor`` reads at ``ArgMax(tensor)``."""
    argmax = {t for n in graph.node if n.op_type == "ArgMax" and n.input and n.input[0] == tensor
              for t in n.output}
    for n in graph.node:
        if n.op_type == "ArrayFeatureExtractor" and len(n.input) == 2 and n.input[1] in argmax:
            return _constant_texts(graph, n.input[0], producer)
    return None


def _constant_texts(graph, name: str, producer: dict) -> list[str] | None:
    from onnx import helper, numpy_helper

    tensor = next((t for t in graph.initializer if t.name == name), None)
    node = producer.get(name)
    if tensor is None and node is not None and node.op_type == "Constant":
        tensor = next((helper.get_attribute_value(a) for a in node.attribute if a.name == "value"), None)
    if tensor is None:
        return None
    values = numpy_helper.to_array(tensor).reshape(-1).tolist()
    return [_text(v) for v in values] or None
