"""The node types: one entry per type a model file can name, and nothing
about a type anywhere else.

:data:`NODE_SPECS` maps the model file's type name (``"dense"``) to a
:class:`NodeType`: its display name, its parameters with defaults and
checks, how many inputs it takes, its width rule, whether it owns weights,
the op the engine runs for it (:mod:`nnbuilder.core.functions.ops`) and its summary
text. The graph, the engine, the scene items, the inspector, the palette and
the CLI read these entries instead of branching on type names; see
docs/adding-a-node-type.md. A parameter's constraint (:mod:`nnbuilder.core.constraints`)
is its one limit: the graph's check and message, the inspector's field range
or choices and the model schema's ``$defs.params`` entry
(:func:`params_by_name`) all come from it.

Two type names are also roles: the graph has exactly one ``"input"`` node
(the features, standardized or not) and one ``"output"`` node (its loss).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

from ..functions import ops
from ..functions.activations import ACTIVATIONS
from ..constraints import BadValue, Boolean, Constraint, Interval, Options, merged
from ..errors import GraphError
from ..functions.features import FEATURE_NAMES, abbreviated, feature_labels, is_feature_name
from ..functions.initializers import INITIALIZERS
from ..functions.losses import LOSSES

__all__ = ["NodeType", "Param", "BadValue", "FeatureList", "UNITS", "NODE_SPECS", "node_type",
           "check_param", "params_by_name", "named_params", "INPUT", "OUTPUT", "NO_INPUT", "SINGLE", "MERGE",
           "MAX_UNITS", "NORMALIZE", "NORMALIZE_FORMULAS", "NORMALIZE_TIPS",
           "OUTPUT_PAIRINGS", "LOSS_UNITS", "ACTIVATION_UNITS", "pairing_problem", "param_refusal"]

MAX_UNITS = 1024
#: Normalization: on the Input node "standardize" feeds (x - mean) / std, with
#: the mean and std of each feature over the training rows; on the Output node
#: (regression data) it trains on targets (y - mean) / std and answers
#: y_hat * std + mean, in the data's units.
NORMALIZE = ("none", "standardize")
#: What each normalization does, by the type that has it: as a node's formula
#: line says it ("" says nothing), and as the inspector's choice explains it.
NORMALIZE_FORMULAS = {
    "input": {"none": "fed as they are (not standardized)",
              "standardize": "standardized: (x - mean) / std of the training rows"},
    "output": {"none": "",
               "standardize": "trained on standardized targets (y - mean) / std of the training rows, "
                              "answers y_hat × std + mean (regression)"}}
NORMALIZE_TIPS = {
    "input": {"none": "Feed the features as they are",
              "standardize": "Feed (x - mean) / std of each feature, with the mean and std of the "
                             "training rows (saved with the weights)"},
    "output": {"none": "Train on the targets as they are",
               "standardize": "Regression: train on (y - mean) / std of the training rows' targets "
                              "and answer y_hat × std + mean, in the data's units (saved with the "
                              "weights); classification data ignores it"}}
#: What the model schema says of it.
NORMALIZE_DESCRIPTION = ("Input nodes: standardize feeds (x - mean) / std to the network, with mean "
                         "and std of each feature over the training rows, stored under the Input "
                         "node's id in weights. Output nodes (regression data): standardize trains "
                         "on targets (y - mean) / std and predicts y_hat * std + mean, with mean and "
                         "std of each target over the training rows, stored beside the Output node's "
                         "W and b in weights; classification data ignores it.")
#: The type names that are also the network's two ends.
INPUT, OUTPUT = "input", "output"
#: How many inputs a node takes.
NO_INPUT, SINGLE, MERGE = "none", "single", "merge"


# -------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Param:
    """A parameter: its default, its :class:`~nnbuilder.core.constraints.Constraint`
    (the check, the inspector field's range and the model schema's entry) and,
    optionally, what the schema says about it."""

    default: Any
    constraint: Constraint
    description: str = ""

    def check(self, value: Any) -> Any:
        """``value`` normalised (e.g. ``3.0`` -> ``3``), or raise BadValue."""
        return self.constraint.check(value)


@dataclass(frozen=True, kw_only=True)
class FeatureList(Constraint):
    """The Input node's features: a non-empty list of distinct feature names."""

    def _check(self, value):
        if not isinstance(value, (list, tuple)) or not value:
            raise BadValue("must be a non-empty list of feature names", value)
        value = list(value)
        for f in value:
            if not isinstance(f, str) or not is_feature_name(f):
                raise BadValue(f"unknown feature {f!r}; use {', '.join(FEATURE_NAMES)} or x3, x4, ... "
                               "for further raw columns", value)
        if len(set(value)) != len(value):
            raise BadValue("lists a feature twice", value)
        if len(value) > MAX_UNITS:
            raise BadValue(f"at most {MAX_UNITS} features", value)
        return value

    def _schema(self) -> dict:
        return {"type": "array", "minItems": 1, "maxItems": MAX_UNITS,
                "items": {"type": "string", "maxLength": 16}}


UNITS = Interval(kind=int, low=1, high=MAX_UNITS)
_ACTIVATION = Options(ACTIVATIONS, "activation")
_BOUNDED = Interval(kind=float, low=-1e6, high=1e6)
_ALPHA = Param(None, Interval(kind=float, low=-1e6, high=1e6, none_ok=True))


def _weighted_params(units: int, activation: str) -> dict[str, Param]:
    return {"units": Param(units, UNITS), "activation": Param(activation, _ACTIVATION),
            "alpha": _ALPHA,
            "initializer": Param("glorot_uniform", Options(INITIALIZERS, "initializer")),
            "init_value": Param(0.0, _BOUNDED),
            "bias": Param(True, Boolean())}


# ------------------------------------------------------------------ entries
@dataclass(frozen=True)
class NodeType:
    """Everything nnbuilder knows about one node type."""

    name: str  # the model file's type name
    title: str  # display name, e.g. "Concatenate"
    short_title: str  # the palette's label under the icon
    formula: str  # what it computes, for tooltips and the inspector
    description: str  # one sentence for the palette
    params: dict[str, Param]  # in the inspector's order, with defaults and checks
    inputs: str  # NO_INPUT, SINGLE or MERGE (two or more, in edge order)
    op: Callable[[ops.OpSlots], Any]  # builds the engine's op for one batch size
    summary: Callable[[dict, int | None], str]  # short text from (params, width), as the diagram shows it
    #: The width a node has from its own parameters whatever its inputs
    #: (units, features): such a node shows one neuron per unit.
    own_width: Callable[[dict], int] | None = None
    #: Otherwise its width from its inputs' widths (all known, at least one);
    #: None when they cannot combine.
    width: Callable[[list[int]], int | None] | None = None
    #: Why inputs of these widths cannot combine (phrase after the title), or None.
    width_conflict: Callable[[list[int]], str | None] | None = None
    weighted: bool = False  # owns W (fan_in, units) and, with params["bias"], b (units,)
    feeds: bool = True  # its output can feed other nodes (the Output node feeds only the loss)
    #: Node-local problems from its parameters alone: [(code, message)] or
    #: [(code, message, severity)] ("error" unless it says "warning").
    problems: Callable[[dict], list[tuple]] | None = None

    def formula_of(self, params: dict) -> str:
        """The formula of a node of this type with ``params``: what it does
        with them (an Input says whether it standardizes)."""
        said = NORMALIZE_FORMULAS[self.name][params["normalize"]] if "normalize" in params else ""
        return f"{self.formula}, {said}" if said else self.formula

    def defaults(self) -> dict[str, Any]:
        return {k: copy.deepcopy(p.default) for k, p in self.params.items()}

    def check(self, key: str, value: Any) -> Any:
        """Validate one parameter value; return it normalised or raise GraphError."""
        param = self.params.get(key)
        if param is None:
            raise GraphError(f"{self.name} has no parameter '{key}'")
        try:
            return param.check(value)
        except BadValue as e:
            raise GraphError(f"{self.name}.{key}: {e.why} (got {e.value!r})") from None


#: What each loss needs of the Output's units: (ok(units), why).
LOSS_UNITS: dict[str, tuple[Callable[[int], bool], str]] = {
    "bce": (lambda u: u == 1, "binary cross-entropy needs 1 output unit (has {units}); "
            "use cross_entropy with softmax for several classes"),
    "hinge": (lambda u: u == 1, "hinge loss needs 1 output unit (has {units}): one score whose "
              "sign is the class"),
    "cross_entropy": (lambda u: u >= 2, "softmax cross-entropy needs at least 2 output units "
                      "(has {units}); use bce for one output"),
}

#: The Output activations a loss cannot learn with, keyed by the model file's
#: names: OUTPUT_PAIRINGS[loss][activation] is (severity, why); "*" is every
#: activation the loss does not list. A loss not in the table (l2, l1, huber)
#: fits every output: they compare y_hat with y wherever y_hat lies. A step
#: output is not listed: its zero gradient is a warning of its own.
OUTPUT_PAIRINGS: dict[str, dict[str, tuple[str, str] | None]] = {
    "bce": {
        "sigmoid": None,
        "*": ("error", "bce needs a sigmoid output (has {act}): it takes ln(y_hat) and "
              "ln(1 - y_hat), so y_hat must be a probability in (0, 1)"),
    },
    "cross_entropy": {
        "softmax": None,
        "*": ("error", "cross_entropy needs a softmax output (has {act}): it raises the true "
              "class's ln(y_hat), which lowers the others only when the outputs are "
              "probabilities that sum to 1"),
    },
    "hinge": {  # L = max(0, 1 - t*y_hat), t = -1/+1: it wants a raw score whose sign is the class
        "sigmoid": ("error", "hinge needs a raw score in R with targets t = -1/+1 and the class "
                    "as its sign; sigmoid outputs lie in (0, 1), so y_hat > 0 always predicts "
                    "class 1 and the margin t*y_hat >= 1 can never be met: use linear (or bce "
                    "for a sigmoid output)"),
        "softplus": ("error", "hinge needs a raw score in R with targets t = -1/+1 and the class "
                     "as its sign; softplus outputs are always above 0, so y_hat > 0 always "
                     "predicts class 1: use linear"),
        "tanh": ("warning", "hinge wants |y_hat| >= 1 (the margin t*y_hat >= 1), but tanh stays "
                 "inside (-1, 1): the loss keeps pushing outputs toward +-1, tanh saturates, and "
                 "a point saturated on the wrong side gets almost no gradient and can stay "
                 "wrong; use linear"),
        "elu": ("warning", "hinge wants y_hat <= -1 for class 0, but elu stays above -a (-1 by "
                "default): the loss keeps pushing class-0 outputs down, where elu flattens and "
                "its gradient vanishes, so a point stuck there stays wrong; use linear"),
        "relu": ("warning", "hinge wants y_hat <= -1 for class 0, but relu never goes below 0: "
                 "each class-0 point keeps a loss of 1, and pushing it down can leave the "
                 "output at 0 for every input (a dead unit, stuck on class 0); use linear"),
        "swish": ("warning", "hinge wants y_hat <= -1 for class 0, but swish never goes below "
                  "-0.28, where its gradient is 0: the margin of class 0 is never met and the "
                  "loss never reaches 0; use linear"),
    },
}

#: What an Output activation needs of the units: (ok(units), why).
ACTIVATION_UNITS: dict[str, tuple[Callable[[int], bool], str]] = {
    "softmax": (lambda u: u >= 2, "softmax over one unit is always 1; use sigmoid"),
}


def pairing_problem(loss: str, activation: str) -> tuple[str, str] | None:
    """(severity, why) when ``loss`` cannot learn through an Output ``activation``."""
    rules = OUTPUT_PAIRINGS.get(loss, {})
    rule = rules[activation] if activation in rules else rules.get("*")
    return None if rule is None else (rule[0], rule[1].format(act=activation))


def _loss_problems(p: dict) -> list[tuple[str, str, str]]:
    """The pairing of the Output node's loss, activation and units:
    [(code, message, severity)] from the three tables above."""
    loss, act, units = p["loss"], p["activation"], p["units"]
    out = []
    for table, key in ((LOSS_UNITS, loss), (ACTIVATION_UNITS, act)):
        if key in table and not table[key][0](units):
            out.append(("loss_mismatch", table[key][1].format(units=units), "error"))
    pairing = pairing_problem(loss, act)
    if pairing is not None:
        out.append(("loss_mismatch", pairing[1], pairing[0]))
    return out


def _activation_problems(p: dict) -> list[tuple[str, str]]:
    """An Activation node has no parameters, so it cannot learn prelu's slopes."""
    if ACTIVATIONS[p["activation"]].learned:
        return [("learned_activation", f"{p['activation']} learns one slope per unit, a parameter "
                 "of the layer: choose it as the activation of a Dense or Output layer (an "
                 "Activation node has no parameters)")]
    return []


def _first(ins: list[int]) -> int:
    return ins[0]


def _equal(ins: list[int]) -> int | None:
    return ins[0] if len(set(ins)) == 1 else None


def _width_text(p: dict, width: int | None) -> str:
    return f"width {width}" if width is not None else "width ?"


def named_params(params: dict, columns=None) -> dict:
    """``params`` as a person reads them: the features of an Input node by the
    data's column names (:func:`~nnbuilder.core.functions.features.feature_label`)."""
    if "features" not in params or not columns:
        return params
    return {**params, "features": feature_labels(params["features"], columns)}


def _input_summary(p: dict, width: int | None) -> str:
    feats = abbreviated(p["features"])
    return f"standardized · {feats}" if p.get("normalize") == "standardize" else feats


def _output_summary(p: dict, width: int | None) -> str:
    text = f"{p['activation']} · {p['loss']}"
    return f"{text} · standardized y" if p.get("normalize") == "standardize" else text


_ENTRIES = (
    NodeType(
        "input", "Input", "Input",
        "x = (x1, x2, ...): the features fed to the network",
        "The features fed to the network (x1, x2, x1², sin(x1), ...).",
        {"features": Param(["x1", "x2"], FeatureList()),
         "normalize": Param("none", Options(NORMALIZE), NORMALIZE_DESCRIPTION)},
        NO_INPUT, ops.input_op, _input_summary, own_width=lambda p: len(p["features"])),
    NodeType(
        "dense", "Dense", "Dense", "f(a), a = W x + b",
        "A fully connected layer: every input feeds every unit.",
        _weighted_params(4, "tanh"), SINGLE, ops.dense_op,
        lambda p, w: p["activation"], own_width=lambda p: p["units"], weighted=True),
    NodeType(
        "activation", "Activation", "Activation", "f(x), element-wise",
        "A non-linearity applied element-wise.",
        {"activation": Param("relu", _ACTIVATION), "alpha": _ALPHA}, SINGLE, ops.activation_op,
        lambda p, w: p["activation"], width=_first, problems=_activation_problems),
    NodeType(
        "dropout", "Dropout", "Dropout",
        "y = m * x / (1 - p), m ~ Bernoulli(1 - p) while training; y = x otherwise",
        "Randomly silences units while training (regularisation).",
        {"rate": Param(0.5, Interval(kind=float, low=0, high=1, closed="left"))},
        SINGLE, ops.dropout_op, lambda p, w: f"rate {p['rate']:g}", width=_first),
    NodeType(
        "add", "Add", "Add", "y = x_1 + x_2 + ...",
        "Sums inputs of equal width: a skip connection.",
        {}, MERGE, ops.add_op, _width_text, width=_equal,
        width_conflict=lambda ins: "needs inputs of equal width" if len(set(ins)) > 1 else None),
    NodeType(
        "concat", "Concatenate", "Concat", "y = [x_1, x_2, ...]", "Joins inputs side by side.",
        {}, MERGE, ops.concat_op, _width_text, width=sum),
    NodeType(
        "output", "Output", "Output", "y_hat = f(a), a = W x + b, then the loss L(y_hat, y)",
        "The last layer, followed by the loss.",
        {**_weighted_params(1, "sigmoid"), "loss": Param("bce", Options(LOSSES, "loss")),
         "normalize": Param("none", Options(NORMALIZE), NORMALIZE_DESCRIPTION)},
        SINGLE, ops.output_op, _output_summary,
        own_width=lambda p: p["units"], weighted=True, feeds=False, problems=_loss_problems),
)

#: Every node type by its model-file name, in the palette's order.
NODE_SPECS: dict[str, NodeType] = {t.name: t for t in _ENTRIES}


def node_type(name: str) -> NodeType:
    """The entry for ``name``, or GraphError naming the known types."""
    try:
        return NODE_SPECS[name]
    except (KeyError, TypeError):
        raise GraphError(f"unknown node type {name!r}; choose from {', '.join(NODE_SPECS)}") from None


def param_refusal(type_name: str, key: str, value: Any) -> str | None:
    """Why ``value`` is refused for parameter ``key`` of a ``type_name`` node, or None."""
    return node_type(type_name).params[key].constraint.refusal(value)


def params_by_name() -> dict[str, Param]:
    """Every parameter of every node type, by name. The model file has one
    ``params`` entry per name, so a name several types use (``units``) must
    have one constraint there: ValueError otherwise."""
    return merged((t.params for t in NODE_SPECS.values()), "node parameter",
                  same=lambda p: p.constraint)


def check_param(type_name: str, key: str, value: Any) -> Any:
    """Validate one parameter of a node of type ``type_name``; return it
    normalised or raise GraphError."""
    return node_type(type_name).check(key, value)
