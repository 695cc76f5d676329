"""Losses with their gradients, and the metrics shown beside them.

Convention (used everywhere: engine, files, docs): the loss of a batch is the
*mean over samples* of the *sum over outputs* of the per-element loss. ``l2``
carries the lecture's 1/2, ``L = 1/2 (y - y_hat)^2``, so its gradient is
``(y_hat - y) / n``.

Shapes: ``z`` and ``a`` are the output node's pre-activation and activation,
``(n_samples, n_outputs)``; ``y`` is the target in the same shape (class
labels already encoded: 0/1 columns for one output, one-hot for several).

``value(z, a, y)`` returns the loss (a float). ``grad(z, a, y, out)`` writes
dL/da into ``out``. A loss with a ``fused`` activation also has
``grad_logits(z, a, y, out)``, which writes dL/dz directly; the engine uses it
when the output activation is that one (sigmoid+bce, softmax+cross_entropy),
which is both faster and numerically stable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

__all__ = ["Loss", "LOSSES", "accuracy", "zero_one_loss", "r2_score", "predict_classes",
           "confusion_matrix"]

_EPS = 1e-12


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable
    grad: Callable
    formula: str
    task: str  # "classification" or "any"
    fused: Optional[str] = None
    grad_logits: Optional[Callable] = None
    threshold: float = 0.5  # decision threshold for one-output classification
    #: dL/dy_hat of one sample and one output, as a formula and as a template
    #: for its numbers ({a}: y_hat, {y}: the target, {t}: 2y - 1), for the
    #: chain rule that ``nnbuilder explain`` writes out
    grad_formula: str = ""
    grad_numbers: str = ""
    #: the same for dL/dz when the loss is fused with its activation
    logits_formula: str = "(y_hat - y)"
    logits_numbers: str = "({a} - {y})"
    #: what the loss is drawn against (:data:`nnbuilder.core.teaching.curves.LOSS_AXES`):
    #: "error" y_hat - y, "margin" t x the score (t = 2y - 1), "probability" of the true class
    axis: str = "error"
    #: the Output activation the loss is meant for (``nnbuilder new``'s default):
    #: a probability for bce and cross_entropy, the raw score for the others
    output: str = "linear"


def _l2(z, a, y):
    r = a - y
    return 0.5 * float(np.einsum("ij,ij->", r, r)) / len(a)


def _l2_grad(z, a, y, out):
    np.subtract(a, y, out=out)
    out *= 1.0 / len(a)
    return out


def _l1(z, a, y):
    return float(np.abs(a - y).sum()) / len(a)


def _l1_grad(z, a, y, out):
    np.subtract(a, y, out=out)
    np.sign(out, out=out)
    out *= 1.0 / len(a)
    return out


def _huber(z, a, y):
    r = np.abs(a - y)
    return float(np.where(r <= 1.0, 0.5 * r * r, r - 0.5).sum()) / len(a)


def _huber_grad(z, a, y, out):
    np.subtract(a, y, out=out)
    np.clip(out, -1.0, 1.0, out=out)
    out *= 1.0 / len(a)
    return out


def _hinge(z, a, y):
    t = 2.0 * y - 1.0  # labels {0, 1} -> {-1, +1}
    return float(np.maximum(0.0, 1.0 - t * a).sum()) / len(a)


def _hinge_grad(z, a, y, out):
    t = 2.0 * y - 1.0
    np.multiply(t, a, out=out)
    active = out < 1.0
    np.multiply(t, -1.0 / len(a), out=out)
    out *= active
    return out


def _bce(z, a, y):
    if z is not None:
        # From the logits: max(z,0) - y z + log(1 + e^-|z|); never log(0).
        v = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    else:
        p = np.clip(a, _EPS, 1.0 - _EPS)
        v = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return float(v.sum()) / len(a)


def _bce_grad(z, a, y, out):
    p = np.clip(a, _EPS, 1.0 - _EPS)
    np.subtract(p, y, out=out)
    out /= p * (1.0 - p)
    out *= 1.0 / len(a)
    return out


def _logits_grad(z, a, y, out):
    # sigmoid + bce and softmax + cross-entropy share dL/dz = (a - y) / n.
    np.subtract(a, y, out=out)
    out *= 1.0 / len(a)
    return out


def _cross_entropy(z, a, y):
    if z is not None:
        m = z.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
        v = lse - np.einsum("ij,ij->i", y, z)
    else:
        v = -np.einsum("ij,ij->i", y, np.log(np.clip(a, _EPS, 1.0)))
    return float(v.sum()) / len(a)


def _cross_entropy_grad(z, a, y, out):
    np.divide(y, np.clip(a, _EPS, 1.0), out=out)
    out *= -1.0 / len(a)
    return out


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in (
        Loss("l2", _l2, _l2_grad, "L = 1/2 (y - y_hat)^2", "any",
             grad_formula="(y_hat - y)", grad_numbers="({a} - {y})"),
        Loss("l1", _l1, _l1_grad, "L = |y - y_hat|", "any",
             grad_formula="sign(y_hat - y)", grad_numbers="sign({a} - {y})"),
        Loss("huber", _huber, _huber_grad,
             "L = 1/2 r^2 if |r| <= 1 else |r| - 1/2, r = y_hat - y", "any",
             grad_formula="clip(y_hat - y, -1, 1)", grad_numbers="clip({a} - {y}, -1, 1)"),
        Loss("hinge", _hinge, _hinge_grad, "L = max(0, 1 - t y_hat), t = 2y - 1 in {-1, +1}",
             "classification", threshold=0.0, axis="margin",
             grad_formula="-t [t y_hat < 1]", grad_numbers="-{t} [{t} · {a} < 1]"),
        Loss("bce", _bce, _bce_grad, "L = -(y ln y_hat + (1 - y) ln(1 - y_hat))",
             "classification", fused="sigmoid", grad_logits=_logits_grad, axis="margin", output="sigmoid",
             grad_formula="(y_hat - y) / (y_hat (1 - y_hat))",
             grad_numbers="({a} - {y}) / ({a} · (1 - {a}))"),
        Loss("cross_entropy", _cross_entropy, _cross_entropy_grad,
             "L = -sum_k y_k ln softmax(z)_k", "classification", fused="softmax",
             grad_logits=_logits_grad, axis="probability", output="softmax", grad_formula="-y / y_hat", grad_numbers="-{y} / {a}"),
    )
}


def predict_classes(a: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Class index per row of network outputs ``a`` (n_samples, n_outputs)."""
    if a.shape[1] == 1:
        return (a[:, 0] > threshold).astype(np.int64)
    return np.argmax(a, axis=1)


def confusion_matrix(a: np.ndarray, labels: np.ndarray, n_classes: int,
                     threshold: float = 0.5) -> np.ndarray:
    """Counts ``(n_classes, n_classes)``: row = true class, column = predicted."""
    pred = predict_classes(a, threshold)
    k = max(n_classes, 2)
    return np.bincount(labels * k + pred, minlength=k * k).reshape(k, k)


def accuracy(a: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of rows whose predicted class equals ``labels`` (n_samples,)."""
    if len(labels) == 0:
        return float("nan")
    return float(np.mean(predict_classes(a, threshold) == labels))


def zero_one_loss(a: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> float:
    """The lecture's zero-one loss: the fraction misclassified, 1 - accuracy."""
    return 1.0 - accuracy(a, labels, threshold)


def r2_score(a: np.ndarray, y: np.ndarray) -> float:
    """Coefficient of determination over all outputs: 1 - SS_res / SS_tot."""
    y = y.reshape(a.shape)
    ss_res = float(((y - a) ** 2).sum())
    ss_tot = float(((y - y.mean(axis=0)) ** 2).sum())
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot
