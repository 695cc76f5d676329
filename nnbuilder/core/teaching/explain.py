"""One sample through the network: the forward pass, its loss, the chain rule.

What ``nnbuilder explain`` prints and the window's chain-rule panel shows,
computed by the engine itself (:class:`~nnbuilder.core.engine.network.Plan` on a
detached copy of the network, so a live network's buffers are untouched)::

    from nnbuilder.core.teaching.explain import explain_sample, sample_of, batch_gradient, step_preview
    from nnbuilder.core.teaching.weightref import WeightRef, parse_weight

    x_raw, target = sample_of(dataset, net, 0)        # row 0 of a Dataset, target encoded
    ex = explain_sample(net, x_raw, target, weight=WeightRef("output", 0, 0), row=1)
    ex.loss                      # this sample's loss: n = 1, no regularization
    ex.nodes["dense1"].a         # (width,) output f(a); .z the pre-activation a
                                 # (None unless dense/output); .delta dL/da
                                 # (dense, output) or dL/df (every other node)
    ex.gradient["output"]        # (dW (fan_in, units), db (units,) or None)
    ex.weight.factors            # (Factor(name, value), ...): their product is
    ex.weight.gradient           #   this weight's gradient
    ex.weight.text               # "dL/dw = dL/df · df/da · da/dw = ... = -0.531"
    ex.weight.note               # sigmoid + bce: "dL/df · df/da = (y_hat - y) = ...", else ""
    ex.to_dict()                 # the JSON of `nnbuilder explain --json`

    ref = parse_weight("Dense 1:2:3", net)            # 1-based, as in the file's W;
    ref = parse_weight("Output:b:1", net)             # a bias (ref.row is None)
    ref = parse_weight("Dense 1:alpha:2", net)        # a prelu layer's learned slope
    ex.slope_gradient["dense1"]  # (units,) dL/dalpha of a prelu layer
    step_preview(net, X_batch, Y_batch, ref, lr=0.03, l2=cfg.l2)   # StepPreview:
    #   value, gradient (the batch objective's, regularized as the trainer
    #   does), next_value = value - lr · gradient (plain SGD's step);
    #   X_batch (n, n_features) prepared as in TrainData, Y_batch encoded.
    #   With X_batch = net.prepare(x_raw[None]), Y_batch = target[None]: the
    #   step on this sample alone.

Conventions. Indices in :class:`~.weightref.WeightRef` are 0-based (``row``
the input unit, ``col`` the unit; ``row`` None for a bias);
:func:`~.weightref.parse_weight` and the JSON use 1-based ones, as the
model file's ``W`` is read. Dropout is the identity (inference mode), so the
numbers are deterministic. The loss is the engine's
(:mod:`nnbuilder.core.functions.losses`): ``l2`` is ``1/2 (y_hat - y)^2``, so
for the lecture's ``y = w x`` the gradient reads ``(w x - y) · x``.

Letters. The engine's names (``z``, ``a``, ``delta``, kept in the JSON)
are the lecture's a (pre-activation, ``a = W x + b``), f(a) (the output) and
dL/da; the text uses the lecture's, and ``·`` (:data:`TIMES`) as its times
sign (x is the input). An Output weight's chain rule is
``dL/df · df/da · da/dw``, also where the engine fuses the loss with a
sigmoid (bce: the note says the first two combine to ``y_hat - y``);
``dL/da · da/dw`` where they do not split (softmax). A hidden
weight's is written out path by path: the sum over the units of the layers
after it of ``dL/df_o · df_o/da_o · da_o/df_k · df_k/da_k · da_k/df_j ·
df_j/da_j · da_j/dw`` (``da_o/df_k`` is the weight ``w_ko``), when those
layers form a plain chain and there are at most ``_TERMS_SHOWN`` paths;
otherwise ``dL/df_j`` is one factor, the gradient arriving at f_j.
A prelu unit's learned slope alpha_j has ``dL/dalpha_j = dL/df_j x
df_j/dalpha_j`` with ``df_j/dalpha_j = min(0, a_j)``, ``dL/df_j`` written out
as for a weight.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import NNBuilderError
from ..engine.network import Network, Plan
from ..model.nodetypes import NODE_SPECS
from .weightref import WeightRef

__all__ = ["Explanation", "NodeValues", "WeightExplanation", "Factor", "StepPreview",
           "explain_sample", "sample_of", "batch_gradient", "sample_gradients", "step_preview"]

_TERMS_SHOWN = 8  # a sum over more consumer units is given as its value only


@dataclass(frozen=True)
class Factor:
    name: str
    value: float


@dataclass(frozen=True)
class WeightExplanation:
    ref: WeightRef
    value: float
    gradient: float  # dL/dw of this sample, as the engine computes it
    factors: tuple[Factor, ...]  # their product is ``gradient``
    text: str  # the product written out with the numbers, one line
    note: str = ""  # what two factors combine to, where the engine fuses them (sigmoid + bce)


@dataclass(frozen=True)
class NodeValues:
    id: str
    name: str
    type: str
    z: np.ndarray | None  # (width,) pre-activation of a dense/output node, else None
    a: np.ndarray  # (width,) the node's output
    delta: np.ndarray  # (width,) dL/dz for dense/output nodes, dL/da for the others


@dataclass(frozen=True)
class Explanation:
    row: int | None  # 1-based, as the caller numbered the sample (None: not given)
    x: np.ndarray  # (n_columns,) the raw inputs
    target: np.ndarray  # (n_outputs,) the encoded target (standardized when the Output node standardizes)
    loss: float  # in the data's units, as every loss read-out
    nodes: dict[str, NodeValues]  # in topological order
    gradient: dict[str, tuple[np.ndarray, np.ndarray | None]]  # {id: (dW, db or None)}
    weight: WeightExplanation | None
    slope_gradient: dict[str, np.ndarray] = field(default_factory=dict)  # {id: dalpha} of prelu layers
    #: When the Output node standardizes its targets (regression): the
    #: prediction and the target in the data's units (y_hat * std + mean), and
    #: the loss on the standardized values, whose gradient ``gradient`` is.
    prediction: np.ndarray | None = None
    data_target: np.ndarray | None = None
    standardized_loss: float | None = None

    def to_dict(self) -> dict:
        """The JSON object of ``nnbuilder explain --json`` (the keys are a contract)."""
        d = {"row": self.row, "x": self.x.tolist(), "target": self.target.tolist(),
             "loss": float(self.loss),
             "nodes": {nid: {"name": v.name, "z": None if v.z is None else v.z.tolist(),
                             "a": v.a.tolist(), "delta": v.delta.tolist()}
                       for nid, v in self.nodes.items()},
             "gradient": {nid: {"W": dW.tolist(), "b": None if db is None else db.tolist()}
                          for nid, (dW, db) in self.gradient.items()}}
        for nid, da in self.slope_gradient.items():  # a prelu layer's: one more key
            d["gradient"][nid]["alpha"] = da.tolist()
        if self.prediction is not None:  # standardized targets: three more keys
            d.update(prediction=self.prediction.tolist(), data_target=self.data_target.tolist(),
                     standardized_loss=float(self.standardized_loss))
        if self.weight is not None:
            w = self.weight
            d["weight"] = {"node": w.ref.node, "row": w.ref.kind if w.ref.row is None else w.ref.row + 1,
                           "col": w.ref.col + 1, "value": w.value, "gradient": w.gradient,
                           "factors": [{"name": f.name, "value": f.value} for f in w.factors],
                           "text": w.text}
            if w.note:  # one more key, only where there is something to say
                d["weight"]["note"] = w.note
        return d


def _value_of(net: Network, ref: WeightRef) -> float:
    if ref.slope:
        return float(net.slopes[ref.node][ref.col])
    W, b = net.params[ref.node]
    return float(b[ref.col] if ref.is_bias else W[ref.row, ref.col])


def _gradient_of(net: Network, ref: WeightRef) -> float:
    """``ref``'s entry of ``net``'s last computed gradient."""
    if ref.slope:
        return float(net.slope_grads[ref.node][ref.col])
    dW, db = net.grads[ref.node]
    return float(db[ref.col] if ref.is_bias else dW[ref.row, ref.col])


# ------------------------------------------------------------------ samples
def sample_of(ds, net: Network, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(raw inputs ``(n_columns,)``, encoded target ``(n_outputs,)``) of row
    ``index`` (0-based) of the Dataset ``ds`` for ``net``'s Output node (a
    regression target standardized as for training when the Output node
    standardizes, with ``net``'s statistics)."""
    from ..engine.traindata import encode_targets

    one = ds.subset(np.array([index]))
    Y, _ = encode_targets(one, net)
    if ds.task == "regression":
        Y = net.from_data_units(Y.astype(np.float64))
    return one.X[0].copy(), Y[0].copy()


def _run(network: Network, X: np.ndarray, Y: np.ndarray, input_grad: bool):
    """A detached float64 copy, its plan after forward (inference) + backward, the loss."""
    net = network.detached(np.float64)
    plan = Plan(net, len(X), input_grad=input_grad)
    plan.x[...] = X
    plan.y[...] = Y
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        plan.forward(False)
        loss = plan.loss_value()
        plan.backward()
    return net, plan, loss


def explain_sample(network: Network, x_raw, target, weight: WeightRef | None = None,
                   row: int | None = None) -> Explanation:
    """Everything about one sample with ``network``'s current weights.

    ``x_raw`` ``(n_columns,)``: the raw data columns (the Input node's
    features and standardization are applied here); ``target``
    ``(n_outputs,)``: encoded as for training (see :func:`sample_of`).
    ``row`` is only recorded. ``network`` itself is not changed.
    """
    x_raw = np.asarray(x_raw, dtype=np.float64).ravel()
    target = np.asarray(target, dtype=np.float64).ravel()
    if target.shape != (network.n_outputs,):
        raise NNBuilderError(f"the target has {target.size} values; the Output node has "
                             f"{network.n_outputs} units")
    net, plan, loss = _run(network, network.prepare(x_raw[None, :]), target[None, :], True)
    nodes = {}
    for nid in net.order:
        node = net.nodes[nid]
        op = plan.ops[nid]
        weighted = NODE_SPECS[node.type].weighted
        nodes[nid] = NodeValues(nid, node.name, node.type,
                                op.z[0].copy() if weighted else None, plan.out[nid][0].copy(),
                                (op.dz if weighted else plan.g[nid])[0].copy())
    gradient = {nid: (dW.copy(), None if db is None else db.copy())
                for nid, (dW, db) in net.grads.items()}
    why = None if weight is None else _explain_weight(net, plan, nodes, weight)
    slopes = {nid: da.copy() for nid, da in net.slope_grads.items()}
    scaled = {}
    if net.standardize_target:
        z = plan.z_out if plan.fused else None
        scaled = {"prediction": net.to_data_units(plan.a_out)[0].copy(),
                  "data_target": net.to_data_units(target[None, :])[0],
                  "standardized_loss": float(net.loss.value(z, plan.a_out, plan.y))}
    return Explanation(row, x_raw, target, float(loss), nodes, gradient, why, slopes, **scaled)


# --------------------------------------------------------------- chain rule
def _num(v: float) -> str:
    s = f"{float(v):.6g}"
    return f"({s})" if s.startswith("-") else s


def _act_derivative(net: Network, plan: Plan, nid: str, col: int) -> float:
    """df/da of unit ``col`` of weighted node ``nid`` (an elementwise activation)."""
    op = plan.ops[nid]
    out = np.empty_like(op.z)
    op.act.backward(op.z, op.a, np.ones_like(op.z), op.alpha, out)
    return float(out[0, col])


def _upstream(net: Network, plan: Plan, nodes, nid: str, col: int) -> tuple[Factor, str]:
    """dL/df_j of unit ``col`` of ``nid`` as a factor, and its numbers: the
    terms w_jm · dL/da_m when a single weighted node reads it (then the factor
    is that sum), else its value (it came through other nodes too)."""
    value = float(plan.g[nid][0, col])
    readers = [m for m in net.order if nid in net.inputs[m]]
    if len(readers) == 1 and readers[0] in net.params:
        W, _ = net.params[readers[0]]
        delta = nodes[readers[0]].delta
        numbers = _num(value)
        if W.shape[1] <= _TERMS_SHOWN:
            numbers = " + ".join(f"{_num(W[col, m])}{TIMES}{_num(delta[m])}" for m in range(W.shape[1]))
            numbers = f"({numbers})" if W.shape[1] > 1 else numbers
        return Factor("dL/df_j = sum_m w_jm dL/da_m", value), numbers
    return Factor("dL/df_j", value), _num(value)


TIMES = " · "  # the times sign of every formula shown (x is the input)


def _output_factors(net: Network, plan: Plan, nodes, o: int, sub: str = ""):
    """The local derivatives of the loss at unit ``o`` of the Output as
    (symbols, formulas, numbers, values): the lecture's dL/df and df/da, also
    where the engine fuses the loss with the activation (sigmoid + bce: their
    product is y_hat - y); dL/da alone where they do not split into one
    factor per unit (softmax: every f depends on every a) or their numbers
    would not multiply back to it (a saturated sigmoid). ``sub``: "_o" for a
    path through a hidden unit."""
    out_op, loss = plan.ops[net.output_id], plan.loss
    a, y = float(out_op.a[0, o]), float(plan.y[0, o])
    nums = dict(a=_num(a), y=_num(y), t=_num(2 * y - 1))
    delta = float(nodes[net.output_id].delta[o])
    if out_op.act.elementwise:
        if plan.fused:
            g = np.empty_like(out_op.a)
            with np.errstate(all="ignore"):
                loss.grad(out_op.z, out_op.a, plan.y, g)
            dl_df = float(g[0, o])
        else:
            dl_df = float(plan.g_out[0, o])
        gp = _act_derivative(net, plan, net.output_id, o)
        if not plan.fused or (np.isfinite(dl_df) and abs(dl_df * gp - delta) <= 1e-9 * max(1.0, abs(delta))):
            return ([f"dL/df{sub}", f"df{sub}/da{sub}"],
                    [loss.grad_formula, f"{out_op.act.name}'(a{sub})"],
                    [loss.grad_numbers.format(**nums), _num(gp)], [dl_df, gp])
    if plan.fused:
        return [f"dL/da{sub}"], [loss.logits_formula], [loss.logits_numbers.format(**nums)], [delta]
    return [f"dL/da{sub}"], [f"dL/da{sub}"], [_num(delta)], [delta]


def _combined(net: Network, plan: Plan, o: int, split: bool, sub: str = "") -> str:
    """Where the engine fuses the loss with the Output's activation and the
    lecture's two factors are shown: what their product comes to."""
    if not (plan.fused and split):
        return ""
    op = plan.ops[net.output_id]
    a, y = float(op.a[0, o]), float(plan.y[0, o])
    return (f"dL/df{sub}{TIMES}df{sub}/da{sub} = {plan.loss.logits_formula} = ({_num(a)} - {_num(y)}) = "
            f"{_num(a - y).strip('()')}: {op.act.name}'s slope cancels the denominator of {plan.loss.name}'s dL/df")


_LETTERS = "klmnpqrs"  # the units of the layers after j (the Output's is o)


def _chain_after(net: Network, plan: Plan, nid: str) -> list[str] | None:
    """The weighted nodes from ``nid``'s only reader to the Output, when each
    reads only the one before it and every activation on the way is
    elementwise (the Output's may be softmax); None otherwise."""
    chain, at = [], nid
    while at != net.output_id:
        readers = [m for m in net.order if at in net.inputs[m]]
        if len(readers) != 1 or readers[0] not in net.params or net.inputs[readers[0]] != [at]:
            return None
        at = readers[0]
        if at != net.output_id and not plan.ops[at].act.elementwise:
            return None
        chain.append(at)
    return chain


def _paths(net: Network, plan: Plan, nodes, nid: str, col: int):
    """Every path from unit ``col`` of ``nid`` to the loss, as (symbols,
    formulas, numbers) of its local derivatives from the loss back to
    da/df_j; None when the paths are not a plain chain of layers or more
    than :data:`_TERMS_SHOWN` of them."""
    chain = _chain_after(net, plan, nid)
    if not chain or len(chain) > len(_LETTERS) + 1:
        return None
    widths = [net.layout[m][2] for m in chain]
    if int(np.prod(widths)) > _TERMS_SHOWN:
        return None
    letters = [*_LETTERS[:len(chain) - 1], "o"]
    paths = []
    for units in np.ndindex(*widths):
        syms, forms, vals, _ = _output_factors(net, plan, nodes, units[-1], "_o")
        # from the Output back towards j: da_u/df_v = w_vu, then df_v/da_v
        for k in range(len(chain) - 1, -1, -1):
            u, lu = units[k], letters[k]
            v, lv = (units[k - 1], letters[k - 1]) if k > 0 else (col, "j")
            W, _ = net.params[chain[k]]
            syms.append(f"da_{lu}/df_{lv}")
            forms.append(f"w_{lv}{lu}")
            vals.append(_num(W[v, u]))
            if k > 0:
                syms.append(f"df_{lv}/da_{lv}")
                forms.append(f"{plan.ops[chain[k - 1]].act.name}'(a_{lv})")
                vals.append(_num(_act_derivative(net, plan, chain[k - 1], v)))
        paths.append((syms, forms, vals))
    return paths, letters


def _explain_weight(net: Network, plan: Plan, nodes, ref: WeightRef) -> WeightExplanation:
    """The lecture's chain rule for one weight: dL/dw as the product of the
    local derivatives dL/df · df/da · da/dw, summed over the paths to the
    loss, with every number."""
    if ref.node not in net.layout:
        raise NNBuilderError(f"node {ref.node!r} has no weights")
    if ref.slope:
        return _explain_slope(net, plan, nodes, ref)
    _, fan_in, units, b_off = net.layout[ref.node]
    if not (0 <= ref.col < units and (b_off is not None if ref.is_bias else 0 <= ref.row < fan_in)):
        raise NNBuilderError(f"{ref} is not a weight of {net.nodes[ref.node].name!r} "
                             f"(W {fan_in}x{units}, {'a' if b_off is not None else 'no'} bias)")
    c = ref.col
    src = net.inputs[ref.node][0]
    a_i = 1.0 if ref.is_bias else float(nodes[src].a[ref.row])
    x_sym = "x_i" if net.nodes[src].type == "input" else "f_i"
    wname = "b" if ref.is_bias else "w"
    op = plan.ops[ref.node]
    act, delta = op.act, float(nodes[ref.node].delta[c])
    note = ""
    if ref.node == net.output_id:
        last = Factor("da/db" if ref.is_bias else f"da/dw = {x_sym}", a_i)
        last_sym = "1" if ref.is_bias else x_sym
        syms, forms, vals, values = _output_factors(net, plan, nodes, c)
        if len(syms) == 1 and not plan.fused:  # softmax without its fused loss: dL/da_c mixes every unit's dL/df
            syms, forms = ["dL/da = sum_k dL/df_k df_k/da"], ["sum_k dL/df_k df_k/da"]
        factors = (*(Factor(n, v) for n, v in zip(syms, values)), last)
        sym = TIMES.join([*forms, last_sym])
        numbers = TIMES.join([*vals, _num(a_i)])
        head = TIMES.join(f.name.split(" = ")[0] for f in factors)
        note = _combined(net, plan, c, len(syms) == 2)
    elif act.elementwise:
        last = Factor("da_j/db" if ref.is_bias else f"da_j/dw = {x_sym}", a_i)
        last_sym = "1" if ref.is_bias else x_sym
        tail = f"df_j/da_j{TIMES}da_j/d{wname}"
        gp = _act_derivative(net, plan, ref.node, c)
        up, up_numbers = _upstream(net, plan, nodes, ref.node, c)
        factors = (Factor("dL/df_j", up.value), Factor("df_j/da_j", gp), last)
        found = _paths(net, plan, nodes, ref.node, c)
        if found is not None:
            paths, letters = found
            over = "" if len(paths) == 1 else f"sum over ({', '.join(letters)}) of "
            head = f"{over}{TIMES.join(paths[0][0])}{TIMES}{tail}"
            sym = f"{over}{TIMES.join(paths[0][1])}{TIMES}{act.name}'(a_j){TIMES}{last_sym}"
            tail_numbers = f"{_num(gp)}{TIMES}{_num(a_i)}"
            numbers = " + ".join(f"{TIMES.join(vals)}{TIMES}{tail_numbers}" for _, _, vals in paths)
            outs = net.layout[net.output_id][2]
            if outs == 1:  # one Output unit: what its two factors combine to, as for an Output weight
                note = _combined(net, plan, 0, paths[0][0][:2] == ["dL/df_o", "df_o/da_o"], "_o")
        else:
            head = f"dL/df_j{TIMES}{tail}"
            sym = f"{'(sum_m w_jm dL/da_m)' if up.name != 'dL/df_j' else 'dL/df_j'}{TIMES}" \
                  f"{act.name}'(a_j){TIMES}{last_sym}"
            numbers = f"{up_numbers}{TIMES}{_num(gp)}{TIMES}{_num(a_i)}"
    else:
        last = Factor("da_j/db" if ref.is_bias else f"da_j/dw = {x_sym}", a_i)
        factors = (Factor("dL/da_j", delta), last)
        head = f"dL/da_j{TIMES}da_j/d{wname}"
        sym = f"dL/da_j{TIMES}{'1' if ref.is_bias else x_sym}"
        numbers = f"{_num(delta)}{TIMES}{_num(a_i)}"
    grad = _gradient_of(net, ref)
    text = f"dL/d{wname} = {head} = {sym} = {numbers} = {_num(grad).strip('()')}"
    return WeightExplanation(ref, _value_of(net, ref), grad, factors, text, note)


def _explain_slope(net: Network, plan: Plan, nodes, ref: WeightRef) -> WeightExplanation:
    """dL/dalpha of a prelu unit: dL/df · df/dalpha, df/dalpha = min(0, a)."""
    units = net.layout[ref.node][2]
    if ref.node not in net.slopes or not 0 <= ref.col < units:
        raise NNBuilderError(f"{ref} is not a learned slope of {net.nodes[ref.node].name!r}")
    c = ref.col
    dfd = min(float(nodes[ref.node].z[c]), 0.0)
    if ref.node == net.output_id:
        op = plan.ops[ref.node]
        a, y = float(op.a[0, c]), float(plan.y[0, c])
        nums = dict(a=_num(a), y=_num(y), t=_num(2 * y - 1))
        factors = (Factor("dL/df", float(plan.g_out[0, c])), Factor("df/dalpha = min(0, a)", dfd))
        head = f"dL/df{TIMES}df/dalpha"
        sym = f"{plan.loss.grad_formula}{TIMES}min(0, a)"
        numbers = f"{plan.loss.grad_numbers.format(**nums)}{TIMES}{_num(dfd)}"
    else:
        up, up_numbers = _upstream(net, plan, nodes, ref.node, c)
        factors = (Factor("dL/df_j", up.value), Factor("df_j/dalpha_j = min(0, a_j)", dfd))
        found = _paths(net, plan, nodes, ref.node, c)
        if found is not None:
            paths, letters = found
            over = "" if len(paths) == 1 else f"sum over ({', '.join(letters)}) of "
            head = f"{over}{TIMES.join(paths[0][0])}{TIMES}df_j/dalpha_j"
            sym = f"{over}{TIMES.join(paths[0][1])}{TIMES}min(0, a_j)"
            numbers = " + ".join(f"{TIMES.join(vals)}{TIMES}{_num(dfd)}" for _, _, vals in paths)
        else:
            head = f"dL/df_j{TIMES}df_j/dalpha_j"
            sym = f"{'(sum_m w_jm dL/da_m)' if up.name != 'dL/df_j' else 'dL/df_j'}{TIMES}min(0, a_j)"
            numbers = f"{up_numbers}{TIMES}{_num(dfd)}"
    grad = _gradient_of(net, ref)
    text = f"dL/dalpha = {head} = {sym} = {numbers} = {_num(grad).strip('()')}"
    return WeightExplanation(ref, _value_of(net, ref), grad, factors, text)


# -------------------------------------------------------------- the next step
@dataclass(frozen=True)
class StepPreview:
    value: float  # the weight now
    gradient: float  # of the batch objective (data loss + regularization)
    lr: float
    next_value: float  # value - lr · gradient: what plain SGD's next step makes it
    loss: float  # the batch's data loss (mean over its rows)


def batch_gradient(network: Network, X, Y, l1: float = 0.0, l2: float = 0.0):
    """(data loss, ``{id: (dW, db or None)}``) of the batch ``X`` ``(n,
    n_features)`` (prepared, as TrainData holds it), ``Y`` ``(n, n_outputs)``
    (encoded): the gradient of the mean loss plus the regularization the
    trainer adds to weights (never biases): ``l2 · W + l1 · sign(W)``.
    Dropout is off, so the result is deterministic."""
    net, loss = _batch(network, X, Y, l1, l2)
    return loss, {nid: (dW.copy(), None if db is None else db.copy())
                  for nid, (dW, db) in net.grads.items()}


def _batch(network: Network, X, Y, l1: float, l2: float) -> tuple[Network, float]:
    """A detached copy holding the batch objective's gradient (see
    :func:`batch_gradient`), and the data loss."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(len(X), -1)
    if len(X) == 0:
        raise NNBuilderError("the batch is empty")
    net, _, loss = _run(network, X, Y, False)
    nw = net.n_weights  # the weights only: biases and prelu slopes are not regularized
    if l2:
        net.grad[:nw] += l2 * net.theta[:nw]
    if l1:
        net.grad[:nw] += l1 * np.sign(net.theta[:nw])
    return net, float(loss)


def sample_gradients(network: Network, X, Y, ref: WeightRef) -> np.ndarray:
    """``(n,)``: dL/dw of the weight ``ref`` for each row of the batch (``X``
    prepared, ``Y`` encoded, as :func:`batch_gradient` takes them), each the
    loss of that one sample. Their mean, plus the penalty, is the batch's
    gradient: what one step of SGD on these rows follows."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(len(X), -1)
    out = np.empty(len(X))
    for i in range(len(X)):
        _, grads = batch_gradient(network, X[i:i + 1], Y[i:i + 1])
        dW, db = grads[ref.node]
        out[i] = db[ref.col] if ref.is_bias else dW[ref.row, ref.col]
    return out


def step_preview(network: Network, X, Y, ref: WeightRef, lr: float, l1: float = 0.0,
                 l2: float = 0.0) -> StepPreview:
    """The weight ``ref`` now and after one plain gradient-descent step on the
    batch (``X``, ``Y``) with learning rate ``lr``; see :func:`batch_gradient`."""
    net, loss = _batch(network, X, Y, l1, l2)
    g = _gradient_of(net, ref)
    value = _value_of(network, ref)
    return StepPreview(value, g, float(lr), value - float(lr) * g, loss)
