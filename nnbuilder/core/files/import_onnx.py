"""An ONNX graph read back as an nnbuilder model document.

What it reads: ``Gemm``, or ``MatMul`` with constant weights (plus an
``Add`` of a constant bias), ``Add`` and ``Concat`` of layers, the
activations of :data:`ONNX_ACTIVATIONS` (an activation right after a layer
whose output nothing else reads becomes that layer's activation, otherwise
an Activation node), ``PRelu`` with constant slopes right after such a layer
(a prelu layer: the slopes are its parameters), ``Identity`` and ``Dropout`` (inference: nothing), and
the input prelude :mod:`nnbuilder.core.files.export_onnx` writes (``Gather`` of
columns, ``Mul``/``Sin`` of them, ``Concat``, ``Sub`` mean, ``Div`` std), so
an exported model comes back with its features and standardization. That
is, for example, what ``torch.onnx.export`` writes for an ``nn.Sequential``
of ``Linear`` layers and activations. It also reads what skl2onnx writes for
scikit-learn's MLPClassifier and MLPRegressor, with a StandardScaler before
them or without: the ``Cast`` of the input, a ``Scaler`` (or ``Sub`` and
``Div``) as the Input node's standardization, a ``Mul`` by constants and an
``Add`` of constants after the last layer as its targets' standardization
(what the export writes for an Output node that standardizes), a binary classifier's
``Concat(1 - p, p)`` as its one sigmoid unit, the regressor's final
``Reshape``; which output is the network's and the class names are
:mod:`.onnx_outputs`' concern. Anything else is refused, naming the op and
the ONNX node; so is a malformed file, always as :class:`OnnxImportError`.

Each op is read by a handler in :data:`ONNX_OPS`, keyed by the ONNX op type.
The last layer becomes the Output node; its loss comes from the file's
metadata (written by the export) or from the output activation
(:data:`LOSS_OF_OUTPUT`), l2 where that does not fit.

One short handler per ONNX op; they share the reader's state (the tensors
read so far and what they are).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import NNBuilderError
from ..functions.features import columns_needed, is_feature_name
from ..model.graph import Graph
from .modelfile import ModelDocument, model_from_dict, model_to_dict
from ..model.nodetypes import LOSS_UNITS, pairing_problem
from .onnx_outputs import FLOAT_TYPES, OnnxImportError, choose_output

__all__ = ["ONNX_OPS", "ONNX_ACTIVATIONS", "LOSS_OF_OUTPUT", "OnnxImportError", "from_onnx", "load_onnx"]

#: ONNX op -> (nnbuilder activation, the attribute holding its alpha, its default).
ONNX_ACTIVATIONS: dict[str, tuple[str, str | None, float | None]] = {
    "Relu": ("relu", None, None),
    "Sigmoid": ("sigmoid", None, None),
    "Tanh": ("tanh", None, None),
    "LeakyRelu": ("leaky_relu", "alpha", 0.01),
    "Elu": ("elu", "alpha", 1.0),
    "Softplus": ("softplus", None, None),
    "Softmax": ("softmax", None, None),
    "Sin": ("sine", None, None),
}

#: The loss an imported network gets from its output activation (l2 otherwise).
LOSS_OF_OUTPUT = {"sigmoid": "bce", "softmax": "cross_entropy"}

#: Products of two input columns that are features of their own.
_PRODUCTS = {("x1", "x1"): "x1^2", ("x2", "x2"): "x2^2", ("x1", "x2"): "x1*x2", ("x2", "x1"): "x1*x2"}


#: What a malformed graph makes NumPy or onnx raise while a node is read: it
#: becomes an OnnxImportError naming the node.
_MALFORMED = (ValueError, TypeError, IndexError, KeyError, AttributeError, ArithmeticError,
              UnicodeError, RecursionError)

#: The most input columns an imported graph may declare.
MAX_COLUMNS = 1_000_000


@dataclass
class Feat:
    """Input columns before any layer: feature names, maybe standardized."""

    names: list[str]
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    @property
    def plain(self) -> bool:
        """Not standardized (yet)."""
        return self.mean is None and self.std is None


@dataclass
class Out:
    """The output of layer ``nid``; ``raw`` when it is that layer's Gemm/MatMul
    output before any activation."""

    nid: str
    raw: bool = False


@dataclass
class Cmp:
    """``h > 0`` of a layer's output: a step activation once cast to float."""

    src: str  # the tensor compared


@dataclass
class Compl:
    """``1 - p`` of a layer's output ``src``: a binary classifier's first class."""

    src: str


@dataclass
class Scaled:
    """``h * std + mean`` of layer ``nid``'s output ``h`` (constants): an Output
    node that standardizes its targets, answering in the data's units."""

    nid: str
    std: np.ndarray
    mean: np.ndarray | None = None


@dataclass
class _Reader:
    consts: dict[str, np.ndarray]
    uses: dict[str, int]  # how many ONNX nodes read each tensor
    readers: dict[str, list]  # the ONNX nodes that read each tensor
    values: dict = field(default_factory=dict)  # tensor -> Feat | Out | Cmp
    nodes: dict = field(default_factory=dict)  # nid -> {"type", "params", "inputs", "W", "b"[, "alpha"]}
    sigmoid_of: dict = field(default_factory=dict)  # sigmoid(h)'s tensor -> h, for a swish
    input_id: str | None = None
    input_feat: Feat | None = None  # what the Input node computes

    def new(self, type_: str, params: dict, inputs: list[str], **extra) -> str:
        nid = f"{type_}{sum(1 for n in self.nodes.values() if n['type'] == type_) + 1}"
        self.nodes[nid] = {"type": type_, "params": params, "inputs": inputs, **extra}
        return nid

    def layer_input(self, tensor: str, node) -> str:
        """The nnbuilder node a layer reads ``tensor`` from (the Input node for columns)."""
        v = self.values.get(tensor)
        if isinstance(v, Out):
            return v.nid
        if isinstance(v, Feat):
            if self.input_id is not None:
                if v is self.input_feat:  # the Input node's output, read once more
                    return self.input_id
                raise _refuse(node, "a second, different set of input columns; nnbuilder has one "
                              "Input node")
            self.input_feat = v
            std = v.std if v.std is not None or v.plain else np.ones(len(v.names))  # a Sub alone
            params = {"features": v.names, "normalize": "none" if v.plain else "standardize"}
            self.input_id = self.new("input", params, [], mean=v.mean, std=std)
            return self.input_id
        raise _refuse(node, f"its input {tensor!r} is not a layer's output or the input columns")


def _refuse(node, why: str) -> OnnxImportError:
    name = node.name or (node.output[0] if node.output else "")
    return OnnxImportError(f"ONNX node {name!r} ({node.op_type}): {why}")


#: The Python types an attribute's value may have, by the type of its default.
_ATTR_KINDS = {float: (float, int), int: (int,), list: (list, tuple)}


def _attr(node, name: str, default=None):
    """The value of attribute ``name``, of the kind of ``default`` when one is
    given (a number, a list); OnnxImportError when it is of another kind."""
    from onnx import helper

    for a in node.attribute:
        if a.name == name:
            value = helper.get_attribute_value(a)
            kinds = _ATTR_KINDS.get(type(default))
            if kinds and (not isinstance(value, kinds) or isinstance(value, bool)):
                raise _refuse(node, f"the attribute {name!r} must be a {type(default).__name__}, "
                              f"not {type(value).__name__}")
            return value
    return default


def _need(node, n: int) -> None:
    """OnnxImportError unless ``node`` reads at least ``n`` tensors."""
    if len(node.input) < n:
        raise _refuse(node, f"reads {len(node.input)} tensors; the op needs {n}")


def _width(r: "_Reader", v) -> int | None:
    """How many columns the value ``v`` has, where it is known."""
    if isinstance(v, Feat):
        return len(v.names)
    node = r.nodes.get(v.nid) if isinstance(v, Out) else None
    return None if node is None else node["params"].get("units")


def _const(r: _Reader, node, tensor: str) -> np.ndarray:
    if tensor not in r.consts:
        raise _refuse(node, f"{tensor!r} must be a constant (weights, bias, indices)")
    return r.consts[tensor]


# ------------------------------------------------------------------ handlers
def _layer(r: _Reader, node, W: np.ndarray, b: np.ndarray | None) -> None:
    if W.ndim != 2 or 0 in W.shape:
        raise _refuse(node, f"weights of shape {W.shape}; a layer's weights are a matrix")
    if b is not None and b.size not in (1, W.shape[1]):
        raise _refuse(node, f"a bias of {b.size} numbers for {W.shape[1]} units")
    width = _width(r, r.values.get(node.input[0]))
    if width is not None and width != W.shape[0]:
        raise _refuse(node, f"weights for {W.shape[0]} inputs, but its input has {width} columns")
    src = r.layer_input(node.input[0], node)
    params = {"units": int(W.shape[1]), "activation": "linear", "bias": b is not None}
    nid = r.new("dense", params, [src], W=W.astype(np.float64),
                b=None if b is None else np.broadcast_to(b, (W.shape[1],)).astype(np.float64))
    r.values[node.output[0]] = Out(nid, raw=True)


def _gemm(r, node):
    _need(node, 2)
    if _attr(node, "transA", 0):
        raise _refuse(node, "transA = 1 is not a layer")
    W = _const(r, node, node.input[1]) * _attr(node, "alpha", 1.0)
    if _attr(node, "transB", 0):
        W = W.T
    b = None
    if len(node.input) > 2 and node.input[2]:
        b = _const(r, node, node.input[2]).reshape(-1) * _attr(node, "beta", 1.0)
    _layer(r, node, W, b)


def _matmul(r, node):
    _need(node, 2)
    _layer(r, node, _const(r, node, node.input[1]), None)


def _add(r, node):
    _need(node, 2)
    a, b = node.input
    if b in r.consts or a in r.consts:  # a bias after MatMul
        h, bias = (a, r.consts[b]) if b in r.consts else (b, r.consts[a])
        v = r.values.get(h)
        if isinstance(v, Scaled) and v.mean is None and r.uses[h] == 1 and bias.size in (1, v.std.size):
            r.values[node.output[0]] = Scaled(v.nid, v.std, np.broadcast_to(
                bias.reshape(-1), v.std.shape).astype(np.float64))  # ... + mean
            return
        layer = r.nodes.get(v.nid) if isinstance(v, Out) else None
        if layer is None or not v.raw or layer["b"] is not None or r.uses[h] != 1 or \
                bias.size not in (1, layer["params"]["units"]):
            raise _refuse(node, "adds a constant that is not the bias of a MatMul right before it")
        layer["b"] = np.broadcast_to(bias.reshape(-1), (layer["params"]["units"],)).astype(np.float64)
        layer["params"]["bias"] = True
        r.values[node.output[0]] = Out(v.nid, raw=True)
        return
    if isinstance(r.values.get(a), Feat) and isinstance(r.values.get(b), Feat):
        raise _refuse(node, "adds input columns; only layers can be added")
    ins = [r.layer_input(t, node) for t in node.input]
    r.values[node.output[0]] = Out(r.new("add", {}, ins))


def _concat(r, node):
    axis = _attr(node, "axis")
    if axis not in (1, -1):
        raise _refuse(node, f"joins along axis {axis}; nnbuilder joins columns (axis 1)")
    vals = [r.values.get(t) for t in node.input]
    if len(vals) == 2 and isinstance(vals[0], Compl) and vals[0].src == node.input[1]:
        layer = r.nodes.get(vals[1].nid) if isinstance(vals[1], Out) else None
        if layer is None or vals[1].raw or layer["params"]["activation"] != "sigmoid" or \
                layer["params"]["units"] != 1:
            raise _refuse(node, "joins 1 - p and p of something other than one sigmoid unit")
        r.values[node.output[0]] = vals[1]  # (1 - p, p): the probabilities of a binary classifier
        return
    if all(isinstance(v, Feat) and v.plain for v in vals):
        r.values[node.output[0]] = Feat([n for v in vals for n in v.names])
        return
    ins = [r.layer_input(t, node) for t in node.input]
    r.values[node.output[0]] = Out(r.new("concat", {}, ins))


def _gather(r, node):
    _need(node, 2)
    v = r.values.get(node.input[0])
    if not isinstance(v, Feat) or not v.plain or _attr(node, "axis", 0) != 1:
        raise _refuse(node, "only picking input columns (axis 1) is supported")
    idx = _const(r, node, node.input[1]).reshape(-1)
    if not np.all((idx == np.round(idx)) & (idx >= -len(v.names)) & (idx < len(v.names))):
        raise _refuse(node, f"picks columns outside the {len(v.names)} input columns")
    r.values[node.output[0]] = Feat([v.names[int(i)] for i in idx])


def _passthrough(r, node):
    if node.input[0] in r.consts:
        r.consts[node.output[0]] = r.consts[node.input[0]]
    elif node.input[0] in r.values:
        r.values[node.output[0]] = r.values[node.input[0]]
    else:
        raise _refuse(node, f"unknown input {node.input[0]!r}")


def _set_stats(r: _Reader, node, v, mean, std) -> None:
    """The input columns ``v``, standardized with ``mean`` and ``std`` (one each, or one per column)."""
    n = len(v.names)
    mean, std = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (mean, std))
    if mean.size not in (1, n) or std.size not in (1, n):
        raise _refuse(node, f"a mean of {mean.size} and a scale of {std.size} numbers for {n} input "
                      "columns (one, or one per column)")
    if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
        raise _refuse(node, "standardizes with a mean or a scale that is not a finite number above 0")
    r.values[node.output[0]] = Feat(v.names, np.broadcast_to(mean, (n,)).copy(),
                                    np.broadcast_to(std, (n,)).copy())


def _standardize(part: str):
    """``Sub`` of the mean, then ``Div`` by the std (``Div`` alone: the mean is 0)."""
    def handle(r, node):
        _need(node, 2)
        v = r.values.get(node.input[0])
        c = r.consts.get(node.input[1])
        if not isinstance(v, Feat) or c is None or v.std is not None or \
                (part == "mean" and v.mean is not None):
            raise _refuse(node, "only (x - mean) / std of the input columns is supported")
        if part == "mean":
            _set_stats(r, node, v, c, 1.0)
            r.values[node.output[0]].std = None  # the Div comes next
        else:
            _set_stats(r, node, v, 0.0 if v.mean is None else v.mean, c)
    return handle


_mean, _std = _standardize("mean"), _standardize("std")


def _sub(r, node):
    """``1 - p`` of a layer's output (a binary classifier's first class), or the mean."""
    _need(node, 2)
    one = r.consts.get(node.input[0])
    if one is not None and one.size == 1 and one.reshape(-1)[0] == 1 and \
            isinstance(r.values.get(node.input[1]), Out):
        r.values[node.output[0]] = Compl(node.input[1])
        return
    _mean(r, node)


def _scaler(r, node):
    """ai.onnx.ml Scaler, ``(x - offset) * scale``: a StandardScaler's standardization."""
    v = r.values.get(node.input[0])
    if not isinstance(v, Feat) or not v.plain:
        raise _refuse(node, "only a Scaler of the input columns is supported")
    offset, scale = np.asarray(_attr(node, "offset", [0.0])), np.asarray(_attr(node, "scale", [1.0]))
    if not np.issubdtype(offset.dtype, np.number) or not np.issubdtype(scale.dtype, np.number):
        raise _refuse(node, "offset and scale must be numbers")
    with np.errstate(divide="ignore"):
        _set_stats(r, node, v, offset, 1.0 / scale.astype(np.float64))


def _reshape(r, node):
    """To (rows, width) of what it reshapes only: what skl2onnx writes after a regressor."""
    _need(node, 2)
    v = r.values.get(node.input[0])
    shape = _const(r, node, node.input[1]).reshape(-1)
    width = _width(r, v)
    if v is None or shape.size != 2 or shape[0] not in (-1, 0) or \
            shape[1] not in (-1, width if width is not None else -1):
        raise _refuse(node, f"reshapes {width or 'its'} columns to {shape.astype(int).tolist()}; "
                      "only (rows, columns as they are) keeps each row's outputs together")
    r.values[node.output[0]] = v


def _activation(r: _Reader, node, src: str, act: str, alpha: float | None, ignore_uses: int = 0):
    """``act`` of tensor ``src``: the layer's own activation when nothing else reads its raw output."""
    v = r.values.get(src)
    if isinstance(v, Feat):
        raise _refuse(node, "an activation of the input columns before any layer")
    layer = r.nodes.get(v.nid) if isinstance(v, Out) else None
    if layer is None:
        raise _refuse(node, f"its input {src!r} is not a layer's output")
    params = {"activation": act, "alpha": alpha}
    if v.raw and r.uses[src] - ignore_uses == 1 and layer["params"]["activation"] == "linear":
        layer["params"].update(params)
        r.values[node.output[0]] = Out(v.nid)
    else:
        r.values[node.output[0]] = Out(r.new("activation", params, [v.nid]))


def _named_activation(r, node):
    act, key, default = ONNX_ACTIVATIONS[node.op_type]
    if node.op_type == "Softmax" and _attr(node, "axis", -1) not in (1, -1):
        raise _refuse(node, "softmax over an axis other than the units")
    v = r.values.get(node.input[0])
    if node.op_type == "Sin" and isinstance(v, Feat):
        if len(v.names) != 1 or not v.plain or f"sin({v.names[0]})" not in ("sin(x1)", "sin(x2)"):
            raise _refuse(node, "sin of input columns other than x1 or x2")
        r.values[node.output[0]] = Feat([f"sin({v.names[0]})"])
        return
    alpha = None if key is None else float(_attr(node, key, default))
    _activation(r, node, node.input[0], act, alpha)


def _prelu(r, node):
    """PRelu(h, slope) of a layer's output that nothing else reads: the layer
    becomes a prelu layer with those slopes (one, or one per unit)."""
    _need(node, 2)
    src = node.input[0]
    v = r.values.get(src)
    layer = r.nodes.get(v.nid) if isinstance(v, Out) else None
    if layer is None or not v.raw or r.uses[src] != 1 or layer["params"]["activation"] != "linear":
        raise _refuse(node, "a PRelu is read only right after a layer (Gemm, or MatMul + Add) "
                      "whose output nothing else reads: its slopes are that layer's parameters")
    units = layer["params"]["units"]
    slope = _const(r, node, node.input[1]).reshape(-1)
    if slope.size not in (1, units):
        raise _refuse(node, f"{slope.size} slopes for {units} units (one, or one per unit)")
    if not np.isfinite(slope).all():
        raise _refuse(node, "a slope that is not a finite number")
    layer["params"]["activation"] = "prelu"
    layer["alpha"] = np.broadcast_to(slope, (units,)).astype(np.float64)
    r.values[node.output[0]] = Out(v.nid)


def _mul(r, node):
    _need(node, 2)
    a, b = (r.values.get(t) for t in node.input)
    if isinstance(a, Feat) and isinstance(b, Feat) and len(a.names) == len(b.names) == 1 \
            and (a.names[0], b.names[0]) in _PRODUCTS:
        r.values[node.output[0]] = Feat([_PRODUCTS[(a.names[0], b.names[0])]])
        return
    for h, s in ((node.input[0], node.input[1]), (node.input[1], node.input[0])):
        if r.sigmoid_of.get(s) == h:  # h * sigmoid(h): swish
            _activation(r, node, h, "swish", None, ignore_uses=1)
            return
    for h, s in ((node.input[0], node.input[1]), (node.input[1], node.input[0])):
        v, layer = r.values.get(h), None
        if isinstance(v, Out) and s in r.consts:
            layer = r.nodes.get(v.nid)
        if layer is not None and layer["type"] == "dense" and r.uses[h] == 1 and \
                r.consts[s].size in (1, layer["params"]["units"]):  # a layer's output times std
            std = np.broadcast_to(r.consts[s].reshape(-1), (layer["params"]["units"],))
            r.values[node.output[0]] = Scaled(v.nid, std.astype(np.float64))
            return
    raise _refuse(node, "only x * sigmoid(x) (swish), products of x1, x2 and the last layer's "
                  "outputs times constants (its targets' std) are supported")


def _sigmoid(r, node):
    """Sigmoid, unless it is the sigmoid(h) of a swish h * sigmoid(h) (read by its Mul)."""
    src, out = node.input[0], node.output[0]
    readers = r.readers.get(out, [])
    if len(readers) == 1 and readers[0].op_type == "Mul" and src in readers[0].input:
        r.sigmoid_of[out] = src
        return
    _named_activation(r, node)


def _transpose(r, node):
    """Of a constant only (weights stored the other way round)."""
    c = _const(r, node, node.input[0])
    r.consts[node.output[0]] = np.transpose(c, _attr(node, "perm") or None)


def _greater(r, node):
    _need(node, 2)
    if r.consts.get(node.input[1]) is None or np.any(r.consts[node.input[1]] != 0):
        raise _refuse(node, "only h > 0 (a step activation) is supported")
    r.values[node.output[0]] = Cmp(node.input[0])


def _cast(r, node):
    """To a floating-point type: of ``h > 0`` a step activation, of anything else nothing."""
    if _attr(node, "to", 1) not in FLOAT_TYPES:
        raise _refuse(node, "only a cast to floating-point numbers is supported")
    v = r.values.get(node.input[0])
    if not isinstance(v, Cmp):
        _passthrough(r, node)
        return
    _activation(r, node, v.src, "step", None)


#: ``ONNX_OPS[op_type](reader, node)`` reads one ONNX node.
ONNX_OPS: dict[str, Callable] = {
    "Gemm": _gemm, "MatMul": _matmul, "Add": _add, "Concat": _concat,
    "Identity": _passthrough, "Dropout": _passthrough, "Gather": _gather,
    "Sub": _sub, "Div": _std, "Mul": _mul, "Scaler": _scaler, "Reshape": _reshape,
    "Greater": _greater, "Cast": _cast, "Transpose": _transpose, "PRelu": _prelu,
    **{op: _named_activation for op in ONNX_ACTIVATIONS}, "Sigmoid": _sigmoid,
}


# -------------------------------------------------------------------- model
def _loss_for(act: str, units: int, given: str | None) -> str:
    for loss in (given, LOSS_OF_OUTPUT.get(act), "l2"):
        if loss is None:
            continue
        units_ok = LOSS_UNITS[loss][0](units) if loss in LOSS_UNITS else True
        pairing = pairing_problem(loss, act)
        if units_ok and (pairing is None or pairing[0] != "error"):
            return loss
    return "l2"


def from_onnx(model) -> ModelDocument:
    """The model document of an ``onnx.ModelProto`` (with its weights);
    OnnxImportError naming the first op nnbuilder cannot represent, or what
    is malformed."""
    try:
        return _read(model)
    except OnnxImportError:
        raise
    except NNBuilderError as e:  # the graph or the model file refused what was read
        raise OnnxImportError(f"the network read does not fit together: {e}") from None
    except _MALFORMED as e:
        raise OnnxImportError(f"the graph cannot be read ({type(e).__name__}: {_line(e)})") from None


def _constants(g) -> dict[str, np.ndarray]:
    """The numeric initializers and Constant nodes, as float64 (text ones are left out)."""
    from onnx import numpy_helper

    tensors = [(t.name, t) for t in g.initializer]
    tensors += [(n.output[0], _attr(n, "value")) for n in g.node if n.op_type == "Constant" and n.output]
    consts = {}
    for name, t in tensors:
        try:
            a = numpy_helper.to_array(t)
        except _MALFORMED as e:
            raise OnnxImportError(f"the constant {name!r} cannot be read "
                                  f"({type(e).__name__}: {_line(e)})") from None
        if np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_:
            consts[name] = a.astype(np.float64)
    return consts


def _read(model) -> ModelDocument:
    g = model.graph
    consts = _constants(g)
    inputs = [i for i in g.input if i.name not in consts and
              not any(t.name == i.name for t in g.initializer)]
    if len(inputs) != 1:
        raise OnnxImportError(f"the graph has {len(inputs)} inputs; nnbuilder networks have one")
    chosen = choose_output(g)
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 2 or not 0 < dims[1].dim_value <= MAX_COLUMNS:
        raise OnnxImportError(f"the input {inputs[0].name!r} must be a table (N, columns) with a "
                              f"fixed number of columns (at most {MAX_COLUMNS:,})")
    uses: dict[str, int] = {}
    readers: dict[str, list] = {}
    for node in chosen.nodes:
        for t in node.input:
            uses[t] = uses.get(t, 0) + 1
            readers.setdefault(t, []).append(node)
    r = _Reader(consts, uses, readers)
    r.values[inputs[0].name] = Feat([f"x{j + 1}" for j in range(dims[1].dim_value)])
    for node in chosen.nodes:
        if node.op_type == "Constant":
            continue
        handler = ONNX_OPS.get(node.op_type)
        if handler is None:
            raise _refuse(node, f"the op {node.op_type} is not supported; nnbuilder reads "
                          f"{', '.join(sorted(set(ONNX_OPS) - {'Greater', 'Cast'}))}")
        if not node.input or not node.output:
            raise _refuse(node, "reads or writes nothing")
        try:
            handler(r, node)
        except _MALFORMED as e:
            raise _refuse(node, f"cannot be read ({type(e).__name__}: {_line(e)})") from None
    meta = {p.key: p.value for p in model.metadata_props}
    doc = _document(r, chosen.tensor, meta, chosen.labels)
    try:  # what the model file would read back: weights that fit, finite numbers
        return model_from_dict(model_to_dict(doc))
    except NNBuilderError as e:
        raise OnnxImportError(f"the network read cannot be a model: {e}") from None


def _document(r: _Reader, y: str, meta: dict, labels: list[str] | None) -> ModelDocument:
    v = r.values.get(y)
    scaled = v if isinstance(v, Scaled) else None
    if scaled is not None:  # the Output node standardizes its targets
        v = Out(scaled.nid)
        n = r.nodes[scaled.nid]
        n["params"]["normalize"] = "standardize"
        n["target_mean"] = np.zeros_like(scaled.std) if scaled.mean is None else scaled.mean
        n["target_std"] = scaled.std
    last = r.nodes.get(v.nid) if isinstance(v, Out) else None
    if last is None or last["type"] != "dense" or v.raw and last["params"]["activation"] != "linear":
        raise OnnxImportError(f"the output {y!r} must come from a layer (Gemm or MatMul), with an "
                              "activation or without")
    if any(v.nid in n["inputs"] for n in r.nodes.values()):
        raise OnnxImportError(f"the output {y!r}'s layer also feeds other layers; nnbuilder's "
                              "Output node is the last one")
    p = last["params"]
    last["type"] = "output"
    p["loss"] = _loss_for(p["activation"], p["units"], meta.get("loss"))
    graph = Graph()
    weights: dict = {}
    for nid, n in r.nodes.items():
        params = {k: v for k, v in n["params"].items() if v is not None}
        graph.add_node(n["type"], params, node_id=nid)
        for src in n["inputs"]:
            graph.connect(src, nid)
        if n.get("W") is not None:
            weights[nid] = {"W": n["W"], "b": n["b"]}
            if n.get("alpha") is not None:
                weights[nid]["alpha"] = n["alpha"]
            if n.get("target_std") is not None:
                weights[nid].update(mean=n["target_mean"], std=n["target_std"])
        if n.get("std") is not None:
            weights[nid] = {"mean": n["mean"], "std": n["std"]}
    _layout(graph)
    errors = graph.errors()
    if errors:
        raise OnnxImportError("the imported network is not valid: " + "; ".join(map(str, errors)))
    features = graph.nodes[r.input_id].params["features"] if r.input_id else []
    if not all(is_feature_name(f) for f in features):
        raise OnnxImportError(f"unknown input features {features}")
    columns, labels = _names(meta, "columns"), _names(meta, "labels") or labels
    if columns is not None and (len(set(columns)) != len(columns) or
                                len(columns) < columns_needed(features)):
        columns = None
    if labels is not None and len(labels) != max(p["units"], 2):
        labels = None
    return ModelDocument(graph, weights, labels=labels, columns=columns)


def _names(meta: dict, key: str) -> list[str] | None:
    """A list of names the export stored as JSON in the metadata, or None."""
    try:
        names = json.loads(meta[key])
    except (KeyError, ValueError):
        return None
    ok = isinstance(names, list) and names and all(isinstance(n, str) and n for n in names)
    return names if ok else None


def _layout(graph: Graph) -> None:
    """Left to right by depth, stacked within a column, as the diagram shows them."""
    order, _ = graph.topological_order()
    depth: dict[str, int] = {}
    rows: dict[int, int] = {}
    for nid in order:
        d = max((depth[s] + 1 for s in graph.inputs_of(nid)), default=0)
        depth[nid] = d
        graph.move_node(nid, (220.0 * d, 140.0 * rows.get(d, 0)))
        rows[d] = rows.get(d, 0) + 1


def load_onnx(path: str) -> ModelDocument:
    """Read an ONNX file; OnnxImportError (one line, naming the file) for
    anything it cannot use."""
    import onnx

    try:
        model = onnx.load(path)
    except OSError as e:
        raise OnnxImportError(f"{path}: cannot read: {e.strerror or e}") from None
    except Exception as e:  # a protobuf DecodeError, or anything onnx raises on bad bytes
        raise OnnxImportError(f"{path}: not an ONNX model ({type(e).__name__}: {_line(e)})") from None
    if not model.graph.node and not model.graph.input:  # an empty file decodes as an empty model
        raise OnnxImportError(f"{path}: not an ONNX model (it holds no graph)")
    try:
        return from_onnx(model)
    except OnnxImportError as e:
        raise OnnxImportError(f"{path}: {_line(e)}") from None


def _line(e: Exception) -> str:
    """The message of ``e`` on one line."""
    return " ".join(str(e).split()) or type(e).__name__
