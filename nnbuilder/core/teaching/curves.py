"""The lecture's functions drawn: an activation f and its derivative f' over a
range of pre-activations a, a loss against the error (regression) or the
margin (classification), and where one sample sits on them.

Every value is the tables' own (:data:`~nnbuilder.core.functions.activations.ACTIVATIONS`,
:data:`~nnbuilder.core.functions.losses.LOSSES`, ``predict_classes``): nothing
here writes a formula again, so a new activation or loss is drawn as soon as
its table has it::

    from nnbuilder.core.teaching.curves import activation_curve, activation_points, loss_plot, span

    lo, hi = span(a)                                  # -5..5, widened to hold the sample's a
    x, f, df = activation_curve("leaky_relu", 0.1, lo, hi, width=4)
    a_on, f_on, df_on = activation_points("tanh", 0.0, a)   # the sample's units on that curve
    plot = loss_plot("hinge", "linear", z_out, a_out, target)   # a LossPlot

``a`` is a layer's pre-activations for one sample (the engine's ``z``); a
softmax unit's curve holds the other units of the row at the sample's values
(at 0 without a sample), so only that unit's point lies on it.

Losses are drawn against the argument their table names (``Loss.axis``, one
of :data:`LOSS_AXES`): ``error`` y_hat - y (l2, l1, huber); ``margin`` t s
with t = 2y - 1 and s the score the class is read from (the output for
hinge, the logit a under the loss's fused sigmoid for bce), beside the
zero-one loss 1[misclassified]; ``probability`` y_hat of the true class
(cross-entropy: -ln y_hat). Each plot draws every loss on the same argument,
the chosen one first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import NNBuilderError
from ..functions.activations import ACTIVATIONS
from ..functions.losses import LOSSES, predict_classes

__all__ = ["LossAxis", "LOSS_AXES", "LossPlot", "ZERO_ONE", "span", "activation_curve",
           "activation_points", "loss_plot"]

POINTS = 401  # samples of a curve (odd: x = 0 is one of them on a symmetric range)
FAR = 1e6  # a sample's value beyond this (a diverged network) does not stretch the range
ZERO_ONE = "zero_one"  # the curve name of the zero-one loss


def span(values=(), lo: float = -5.0, hi: float = 5.0, pad: float = 0.1) -> tuple[float, float]:
    """``lo..hi`` widened (by ``pad`` of the width) to hold every finite value
    of ``values`` within :data:`FAR`."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v) & (np.abs(v) <= FAR)]
    if len(v) and (v.min() < lo or v.max() > hi):
        lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
        margin = pad * (hi - lo)
        lo, hi = (lo - margin if v.min() <= lo else lo), (hi + margin if v.max() >= hi else hi)
    return lo, hi


# -------------------------------------------------------------- activations
def _activation(name: str):
    act = ACTIVATIONS.get(name)
    if act is None:
        raise NNBuilderError(f"no activation is called '{name}'")
    return act


def _value_and_slope(act, alpha, Z: np.ndarray, unit: int) -> tuple[np.ndarray, np.ndarray]:
    """f and df/da of column ``unit`` of each row of ``Z``, by the table's
    forward and backward (its vector-Jacobian product with the unit's one-hot)."""
    with np.errstate(over="ignore", invalid="ignore"):
        A = act.forward(Z, alpha, np.empty_like(Z))
        G = np.zeros_like(Z)
        G[:, unit] = 1.0
        D = act.backward(Z, A, G, alpha, np.empty_like(Z))
    return A[:, unit].copy(), D[:, unit].copy()


def _own(alpha, unit: int):
    """The parameter of unit ``unit``: one per unit (learned slopes) or one for all."""
    return float(np.asarray(alpha).ravel()[unit]) if np.ndim(alpha) else alpha


def activation_curve(name: str, alpha, lo: float = -5.0, hi: float = 5.0, width: int = 1,
                     row=None, unit: int = 0, n: int = POINTS):
    """``(x, f(x), f'(x))``: unit ``unit`` of a layer of ``width`` units as its
    pre-activation runs over ``lo..hi`` (``n`` points); the other units hold
    ``row`` (the sample's pre-activations; zeros when None), which only
    softmax reads. ``alpha``: one number, or one per unit (then the unit's)."""
    act = _activation(name)
    base = np.zeros(width) if row is None else np.asarray(row, dtype=np.float64).ravel()
    x = np.linspace(lo, hi, n)
    Z = np.tile(base, (n, 1))
    Z[:, unit] = x
    f, df = _value_and_slope(act, _own(alpha, unit), Z, unit)
    return x, f, df


def activation_points(name: str, alpha, row, unit: int = 0):
    """``(a, f(a), f'(a))`` of the sample's units that lie on
    :func:`activation_curve`'s curve: every unit of an element-wise
    activation with one ``alpha`` for all, else only ``unit`` (softmax's
    curve, or slopes learned per unit, are that unit's)."""
    act = _activation(name)
    row = np.asarray(row, dtype=np.float64).ravel()
    units = range(len(row)) if act.elementwise and not np.ndim(alpha) else [unit]
    f = np.empty(len(units))
    df = np.empty(len(units))
    for i, k in enumerate(units):
        fk, dk = _value_and_slope(act, _own(alpha, k), row[None, :].copy(), k)
        f[i], df[i] = fk[0], dk[0]
    return row[list(units)].copy(), f, df


# ------------------------------------------------------------------- losses
@dataclass(frozen=True)
class LossAxis:
    """What losses are drawn against.

    ``inputs(x, fused)`` gives the ``(z, a, y)`` of one-output samples whose
    argument is ``x`` (``fused``: the loss's fused activation, applied to the
    score, or None); ``of_sample(z, a, y, fused)`` the argument of each output
    of one sample (``z``, ``a``, ``y`` of shape ``(n_outputs,)``)."""

    name: str
    label: str  # the x axis's title
    note: str  # what the argument is, in a sentence
    lo: float
    hi: float
    zero_one: bool  # the zero-one loss is a function of this argument too
    widens: bool  # the range grows to hold the sample (not a probability's 0..1)
    inputs: Callable
    of_sample: Callable


def _error_inputs(x, fused):
    return None, x[:, None], np.zeros((len(x), 1))


def _error_of(z, a, y, fused):
    return a - y


def _margin_inputs(x, fused):
    s = x[:, None].copy()
    if fused is None:
        return None, s, np.ones_like(s)
    return s, fused.forward(s, 0.0, np.empty_like(s)), np.ones_like(s)


def _margin_of(z, a, y, fused):
    return (2.0 * y - 1.0) * (a if fused is None else z)


def _probability_inputs(x, fused):
    return None, x[:, None].copy(), np.ones((len(x), 1))


def _probability_of(z, a, y, fused):
    return np.array([float(np.dot(y, a))])  # the true class's y_hat (y one-hot)


LOSS_AXES: dict[str, LossAxis] = {
    ax.name: ax
    for ax in (
        LossAxis("error", "error y_hat - y", "the error y_hat - y of each output", -3.0, 3.0, False, True,
                 _error_inputs, _error_of),
        LossAxis("margin", "margin t s",
                 "the margin t s (t = 2y - 1 = -1 or +1; s = y_hat, or the sigmoid's a for bce; "
                 "right when t s > 0)",
                 -3.0, 3.0, True, True,
                 _margin_inputs, _margin_of),
        LossAxis("probability", "y_hat of the true class", "y_hat, the probability given to the true class",
                 0.005, 1.0, False, False, _probability_inputs, _probability_of),
    )
}


@dataclass(frozen=True)
class LossPlot:
    """The losses on one argument, and one sample's place on them.

    ``curves``: ``{name: L(x)}``, the chosen loss first, then the others on
    the same argument, then :data:`ZERO_ONE` where it applies. ``points_x``:
    the sample's argument per output (empty without a sample); ``points``:
    ``{name: L at points_x}`` for the chosen loss and zero-one."""

    loss: str
    axis: LossAxis
    x: np.ndarray
    curves: dict
    points_x: np.ndarray
    points: dict


def _fused(loss, output_activation: str | None):
    """The activation the engine fuses with ``loss`` when the output has it."""
    if loss.fused is not None and (output_activation is None or output_activation == loss.fused):
        return ACTIVATIONS[loss.fused]
    return None


def _loss_values(loss, axis: LossAxis, x: np.ndarray, fused) -> np.ndarray:
    z, a, y = axis.inputs(np.asarray(x, dtype=np.float64), fused)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.array([loss.value(None if z is None else z[i:i + 1], a[i:i + 1], y[i:i + 1])
                         for i in range(len(a))])


def _zero_one_values(loss, axis: LossAxis, x: np.ndarray, fused) -> np.ndarray:
    """1 where the class read from ``a`` (the table's ``predict_classes``,
    as ``zero_one_loss`` reads it) is not the label, else 0."""
    _, a, y = axis.inputs(np.asarray(x, dtype=np.float64), fused)
    return (predict_classes(a, loss.threshold) != y[:, 0].astype(np.int64)).astype(np.float64)


def loss_plot(name: str, output_activation: str | None = None, z=None, a=None, y=None,
              n: int = POINTS) -> LossPlot:
    """Loss ``name`` (and its companions) over its argument's range, widened
    to hold the sample; the sample is the Output node's pre-activations
    ``z``, outputs ``a`` and encoded target ``y`` (each ``(n_outputs,)``; None:
    no sample). ``output_activation`` decides whether the loss's fused
    activation applies (None: the curves assume it does)."""
    loss = LOSSES.get(name)
    if loss is None:
        raise NNBuilderError(f"no loss is called '{name}'")
    axis = LOSS_AXES[loss.axis]
    fused = _fused(loss, output_activation)
    px = np.zeros(0)
    if a is not None and y is not None:
        zz = None if z is None else np.asarray(z, dtype=np.float64).ravel()
        with np.errstate(over="ignore", invalid="ignore"):
            px = np.asarray(axis.of_sample(zz, np.asarray(a, dtype=np.float64).ravel(),
                                           np.asarray(y, dtype=np.float64).ravel(), fused), dtype=np.float64)
    lo, hi = span(px, axis.lo, axis.hi) if axis.widens else (axis.lo, axis.hi)
    x = np.linspace(lo, hi, n)
    curves = {name: _loss_values(loss, axis, x, fused)}
    for other in LOSSES.values():
        if other.axis == axis.name and other.name != name:
            curves[other.name] = _loss_values(other, axis, x, _fused(other, None))
    points = {name: _loss_values(loss, axis, px, fused)}
    if axis.zero_one:
        curves[ZERO_ONE] = _zero_one_values(loss, axis, x, fused)
        points[ZERO_ONE] = _zero_one_values(loss, axis, px, fused)
    return LossPlot(name, axis, x, curves, px, points)
