"""A network as an ONNX graph that needs nothing else.

The graph takes ``x`` (float32, ``(N, k)``: the k raw data columns the
Input node reads, in the order of the model's ``columns``) and returns ``y``
(float32, ``(N, units)``: what ``nnbuilder predict`` prints as outputs, in
the data's units: an Output node that standardizes its targets is followed
by a ``Mul`` by their std and an ``Add`` of their mean); a
classifier also returns ``label`` (``(N,)``: the class name, a string, when
the model has class names, else the class index, int64), the way
scikit-learn's converters write it (ArgMax, ArrayFeatureExtractor). The
raw columns the features read are picked by one ``Gather``; the derived
features (``x1^2``, ``sin(x1)``...), the standardization, every node and
every activation are ops in the graph, built from three tables keyed by
the model file's names: :data:`FEATURE_OPS`, :data:`ACTIVATION_OPS` and
:data:`NODE_OPS`. A dense layer is ``Gemm(h, W, b)`` (``y = h W + b``, as
the engine computes it); Dropout is an ``Identity`` (inference). An
untrained model is written with its initial weights (see
:func:`~.exports.exported_network`).

The ``onnx`` package is imported here and nowhere else in the core.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..functions.features import columns_needed
from ..engine.network import Network
from .exports import exported_network, model_task

__all__ = ["OPSET", "ML_OPSET", "FEATURE_OPS", "ACTIVATION_OPS", "NODE_OPS", "to_onnx"]

#: The ONNX operator set the graph is written for (Softmax over one axis,
#: LeakyRelu, Elu... are all in opset 17's default domain).
OPSET = 17
#: The ai.onnx.ml operator set of a classifier's ``label`` (ArrayFeatureExtractor).
ML_OPSET = 3


@dataclass
class _Builder:
    """Collects ONNX nodes and constants; names are unique and readable."""

    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    _count: int = 0
    columns: dict = field(default_factory=dict)  # raw column index -> its (N, 1) tensor

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def op(self, op_type: str, inputs: list[str], hint: str, domain: str = "", **attrs) -> str:
        from onnx import helper

        out = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def const(self, value, hint: str, dtype=np.float32) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name


# ----------------------------------------------------------------- features
def _column(b: _Builder, x: str, k: int) -> str:
    """Raw column ``k`` (0-based) of ``x`` as ``(N, 1)``, for a derived
    feature (made once however many features read it)."""
    if k not in b.columns:
        b.columns[k] = b.op("Gather", [x, b.const([k], f"col{k + 1}", np.int64)], f"x{k + 1}", axis=1)
    return b.columns[k]


#: How each derived feature is computed from ``x`` (see core/functions/features.py);
#: raw columns (x1, x2 among them) are picked together by one Gather (:func:`_input`).
FEATURE_OPS: dict[str, Callable[[_Builder, str], str]] = {
    "x1^2": lambda b, x: b.op("Mul", [_column(b, x, 0)] * 2, "x1_sq"),
    "x2^2": lambda b, x: b.op("Mul", [_column(b, x, 1)] * 2, "x2_sq"),
    "x1*x2": lambda b, x: b.op("Mul", [_column(b, x, 0), _column(b, x, 1)], "x1_x2"),
    "sin(x1)": lambda b, x: b.op("Sin", [_column(b, x, 0)], "sin_x1"),
    "sin(x2)": lambda b, x: b.op("Sin", [_column(b, x, 1)], "sin_x2"),
}


def _raw(name: str) -> int | None:
    """The 0-based column a raw feature (x1, x7...) is, None for a derived one."""
    return None if name in FEATURE_OPS else int(name[1:]) - 1


# -------------------------------------------------------------- activations
def _step(b, h, alpha):
    return b.op("Cast", [b.op("Greater", [h, b.const(0.0, "zero")], "positive")], "step", to=1)


#: ``ACTIVATION_OPS[name](builder, h, alpha)`` appends the activation of ``h``
#: (prelu's alpha: the layer's learned slopes, one per unit).
ACTIVATION_OPS: dict[str, Callable[[_Builder, str, float], str]] = {
    "step": _step,  # 1.0 where h > 0: a comparison cast to float
    "linear": lambda b, h, a: h,
    "sigmoid": lambda b, h, a: b.op("Sigmoid", [h], "sigmoid"),
    "tanh": lambda b, h, a: b.op("Tanh", [h], "tanh"),
    "relu": lambda b, h, a: b.op("Relu", [h], "relu"),
    "leaky_relu": lambda b, h, a: b.op("LeakyRelu", [h], "leaky_relu", alpha=float(a)),
    "prelu": lambda b, h, a: b.op("PRelu", [h, b.const(a, "slope")], "prelu"),  # a: (units,)
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
        alpha = self.net.slopes.get(self.nid, node.alpha)
        return ACTIVATION_OPS[node.params["activation"]](self.b, h, alpha)


def _input(c: _Ctx) -> str:
    """The features in order: each run of raw columns one Gather (a table's
    784 pixels: one Gather, no Concat), each derived feature its ops."""
    b, net = c.b, c.net
    parts: list[str] = []
    run: list[int] = []
    for f in net.features + [None]:
        k = None if f is None else _raw(f)
        if k is not None:
            run.append(k)
            continue
        if run:
            parts.append(b.op("Gather", ["x", b.const(run, "columns", np.int64)], "columns", axis=1))
            run = []
        if f is not None:
            parts.append(FEATURE_OPS[f](b, "x"))
    h = parts[0] if len(parts) == 1 else b.op("Concat", parts, "features", axis=1)
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
def _label(b: _Builder, net: Network, y: str, labels: list[str] | None) -> tuple[str, int]:
    """A classifier's ``label`` output of its outputs ``y``: (the op that
    writes it, its ONNX element type): the class index (largest output;
    one output: above the loss's threshold), as its name when there are names."""
    from onnx import TensorProto

    if net.n_outputs == 1:
        above = b.op("Greater", [y, b.const([net.loss.threshold], "threshold")], "above")
        index = b.op("Cast", [above], "class_index", to=TensorProto.INT64)
    else:
        index = b.op("ArgMax", [y], "class_index", axis=1, keepdims=1)
    flat = b.const([-1], "flat", np.int64)
    if not labels:
        return b.op("Reshape", [index, flat], "label"), TensorProto.INT64
    names = b.const(np.array(labels, dtype=object), "class_names", dtype=object)
    name = b.op("ArrayFeatureExtractor", [names, index], "class_name", domain="ai.onnx.ml")
    return b.op("Reshape", [name, flat], "label"), TensorProto.STRING


def to_onnx(doc, name: str = "nnbuilder"):
    """The ``onnx.ModelProto`` of a model document (checked by
    ``onnx.checker``); NNBuilderError if its network is not valid."""
    import onnx
    from onnx import TensorProto, helper

    net, trained = exported_network(doc)
    b = _Builder()
    out: dict[str, str] = {}
    for nid in net.order:
        out[nid] = NODE_OPS[net.nodes[nid].type](_Ctx(b, net, nid, [out[s] for s in net.inputs[nid]]))
    y = out[net.output_id]
    if net.standardize_target:  # trained on (y - mean) / std: answer in the data's units
        y = b.op("Mul", [y, b.const(net.target_std, "target_std")], "target_scaled")
        y = b.op("Add", [y, b.const(net.target_mean, "target_mean")], "target")
    b.nodes.append(helper.make_node("Identity", [y], ["y"], name="y"))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", net.n_outputs])]
    labels = list(doc.labels) if doc.labels else None
    classify = model_task(doc, net) == "classification"
    if classify:
        label, kind = _label(b, net, "y", labels)
        b.nodes.append(helper.make_node("Identity", [label], ["label"], name="label"))
        outputs.append(helper.make_tensor_value_info("label", kind, ["N"]))
    k = columns_needed(net.features)
    columns = (doc.columns or [f"x{i + 1}" for i in range(k)])[:k]
    weights = "trained weights" if trained else \
        f"untrained: the initial weights nnbuilder train starts from (seed {doc.seed})"
    graph = helper.make_graph(
        b.nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", k])],
        outputs, b.initializers,
        doc_string=f"x: the raw columns {', '.join(columns)}; y: the Output node's "
                   f"{net.nodes[net.output_id].params['activation']} outputs"
                   f"{'; label: the predicted class' if classify else ''}; {weights}")
    opsets = [helper.make_opsetid("", OPSET)] + ([helper.make_opsetid("ai.onnx.ml", ML_OPSET)] if classify else [])
    model = helper.make_model(graph, producer_name="nnbuilder", opset_imports=opsets)
    # ir_version 8 is what opset 17 came with: older runtimes load it too.
    model.ir_version = 8
    # JSON lists: a column or class name may hold a comma
    meta = {"columns": json.dumps(columns), "loss": net.loss.name, "trained": json.dumps(trained),
            "seed": str(doc.seed)}
    if labels:
        meta["labels"] = json.dumps(labels)
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model, full_check=True)
    return model
