"""A trained model as an ONNX graph that needs nothing else.

The graph takes ``x`` (float32, ``(N, k)``: the k raw data columns the
Input node reads, in the order of the model's ``columns``) and returns ``y``
(float32, ``(N, units)``: what ``nnbuilder predict`` prints as outputs).
The input features (``x1^2``, ``sin(x1)``...), the standardization, every
node and every activation are ops in the graph, built from three tables
keyed by the model file's names: :data:`FEATURE_OPS`, :data:`ACTIVATION_OPS`
and :data:`NODE_OPS`. A dense layer is ``Gemm(h, W, b)`` (``y = h W + b``, as
the engine computes it); Dropout is an ``Identity`` (inference).

The ``onnx`` package is imported here and nowhere else in the core.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import NNBuilderError
from ..functions.features import columns_needed
from ..engine.network import Network

__all__ = ["OPSET", "FEATURE_OPS", "ACTIVATION_OPS", "NODE_OPS", "to_onnx", "trained_network"]

#: The ONNX operator set the graph is written for (Softmax over one axis,
#: LeakyRelu, Elu... are all in opset 17's default domain).
OPSET = 17


@dataclass
class _Builder:
    """Collects ONNX nodes and constants; names are unique and readable."""

    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    _count: int = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def op(self, op_type: str, inputs: list[str], hint: str, **attrs) -> str:
        from onnx import helper

        out = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def const(self, value, hint: str, dtype=np.float32) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name


# ----------------------------------------------------------------- features
def _column(b: _Builder, x: str, k: int) -> str:
    """Raw column ``k`` (0-based) of ``x`` as ``(N, 1)``."""
    return b.op("Gather", [x, b.const([k], f"col{k + 1}", np.int64)], f"x{k + 1}", axis=1)


#: How each named feature is computed from ``x`` (see core/functions/features.py);
#: raw columns x3, x4... are Gathers too (:func:`_feature`).
FEATURE_OPS: dict[str, Callable[[_Builder, str], str]] = {
    "x1": lambda b, x: _column(b, x, 0),
    "x2": lambda b, x: _column(b, x, 1),
    "x1^2": lambda b, x: b.op("Mul", [_column(b, x, 0)] * 2, "x1_sq"),
    "x2^2": lambda b, x: b.op("Mul", [_column(b, x, 1)] * 2, "x2_sq"),
    "x1*x2": lambda b, x: b.op("Mul", [_column(b, x, 0), _column(b, x, 1)], "x1_x2"),
    "sin(x1)": lambda b, x: b.op("Sin", [_column(b, x, 0)], "sin_x1"),
    "sin(x2)": lambda b, x: b.op("Sin", [_column(b, x, 1)], "sin_x2"),
}


def _feature(b: _Builder, x: str, name: str) -> str:
    make = FEATURE_OPS.get(name)
    return make(b, x) if make is not None else _column(b, x, int(name[1:]) - 1)


# -------------------------------------------------------------- activations
def _step(b, h, alpha):
    return b.op("Cast", [b.op("Greater", [h, b.const(0.0, "zero")], "positive")], "step", to=1)


#: ``ACTIVATION_OPS[name](builder, h, alpha)`` appends the activation of ``h``.
ACTIVATION_OPS: dict[str, Callable[[_Builder, str, float], str]] = {
    "step": _step,  # 1.0 where h > 0: a comparison cast to float
    "linear": lambda b, h, a: h,
    "sigmoid": lambda b, h, a: b.op("Sigmoid", [h], "sigmoid"),
    "tanh": lambda b, h, a: b.op("Tanh", [h], "tanh"),
    "relu": lambda b, h, a: b.op("Relu", [h], "relu"),
    "leaky_relu": lambda b, h, a: b.op("LeakyRelu", [h], "leaky_relu", alpha=float(a)),
    "elu": lambda b, h, a: b.op("Elu", [h], "elu", alpha=float(a)),
    "softplus": lambda b, h, a: b.op("Softplus", [h], "softplus"),
    "swish": lambda b, h, a: b.op("Mul", [h, b.op("Sigmoid", [h], "sigmoid")], "swish"),
    "sine": lambda b, h, a: b.op("Sin", [h], "sine"),
    "softmax": lambda b, h, a: b.op("Softmax", [h], "softmax", axis=1),
}


# -------------------------------------------------------------------- nodes
@dataclass
class _Ctx:
    """What a node's builder reads: the network, the node, its inputs' tensor names."""

    b: _Builder
    net: Network
    nid: str
    ins: list[str]

    @property
    def params(self) -> dict:
        return self.net.nodes[self.nid].params

    def activate(self, h: str) -> str:
        node = self.net.nodes[self.nid]
        return ACTIVATION_OPS[node.params["activation"]](self.b, h, node.alpha)


def _input(c: _Ctx) -> str:
    b, net = c.b, c.net
    cols = [_feature(b, "x", f) for f in net.features]
    h = cols[0] if len(cols) == 1 else b.op("Concat", cols, "features", axis=1)
    if net.standardize:
        h = b.op("Sub", [h, b.const(net.input_mean, "mean")], "centered")
        h = b.op("Div", [h, b.const(net.input_std, "std")], "standardized")
    return h


def _dense(c: _Ctx) -> str:
    W, bias = c.net.params[c.nid]
    ins = [c.ins[0], c.b.const(W, f"{c.nid}_W")]
    if bias is not None:
        ins.append(c.b.const(bias, f"{c.nid}_b"))
    return c.activate(c.b.op("Gemm", ins, f"{c.nid}_z"))


def _add(c: _Ctx) -> str:
    h = c.ins[0]
    for other in c.ins[1:]:
        h = c.b.op("Add", [h, other], f"{c.nid}_sum")
    return h


#: ``NODE_OPS[type](ctx)`` appends a node's ops and returns its output tensor.
NODE_OPS: dict[str, Callable[[_Ctx], str]] = {
    "input": _input,
    "dense": _dense,
    "output": _dense,
    "activation": lambda c: c.activate(c.ins[0]),
    "dropout": lambda c: c.b.op("Identity", c.ins, f"{c.nid}_dropout"),  # inference: y = x
    "add": _add,
    "concat": lambda c: c.b.op("Concat", c.ins, f"{c.nid}_concat", axis=1),
}


# --------------------------------------------------------------------- model
def trained_network(doc, what: str = "export") -> Network:
    """The network of a model document with its trained weights; NNBuilderError
    when the network is not valid or has no trained weights."""
    errors = doc.graph.errors()
    if errors:
        raise NNBuilderError(f"cannot {what}: the network is not valid: " + "; ".join(map(str, errors)))
    if doc.weights is None:
        raise NNBuilderError(f"cannot {what}: the model has no trained weights; train it first "
                             "(an untrained network would compute nothing useful)")
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    return net


def to_onnx(doc, name: str = "nnbuilder"):
    """The ``onnx.ModelProto`` of a trained model document (checked by
    ``onnx.checker``); NNBuilderError if it is untrained or not valid."""
    import onnx
    from onnx import TensorProto, helper

    net = trained_network(doc)
    b = _Builder()
    out: dict[str, str] = {}
    for nid in net.order:
        out[nid] = NODE_OPS[net.nodes[nid].type](_Ctx(b, net, nid, [out[s] for s in net.inputs[nid]]))
    b.nodes.append(helper.make_node("Identity", [out[net.output_id]], ["y"], name="y"))
    k = columns_needed(net.features)
    columns = (doc.columns or [f"x{i + 1}" for i in range(k)])[:k]
    graph = helper.make_graph(
        b.nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", net.n_outputs])],
        b.initializers,
        doc_string=f"x: the raw columns {', '.join(columns)}; y: the Output node's "
                   f"{net.nodes[net.output_id].params['activation']} outputs")
    model = helper.make_model(graph, producer_name="nnbuilder",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    # ir_version 8 is what opset 17 came with: older runtimes load it too.
    model.ir_version = 8
    # JSON lists: a column or class name may hold a comma
    meta = {"columns": json.dumps(columns), "loss": net.loss.name}
    if doc.labels:
        meta["labels"] = json.dumps(list(doc.labels))
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model, full_check=True)
    return model

