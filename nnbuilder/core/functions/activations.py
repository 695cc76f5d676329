"""Activation functions and their derivatives, keyed by the names used in files.

Every activation is applied element-wise to a batch ``z`` of shape
``(n_samples, n_units)`` except ``softmax``, which normalises each row.

``forward(z, alpha, out)`` writes ``g(z)`` into ``out``.
``backward(z, a, grad, alpha, out)`` writes ``grad * g'(z)`` (the
vector-Jacobian product, so softmax fits the same signature) into ``out``;
``a`` is ``g(z)`` from the forward pass so that sigmoid and tanh can use their
output, as in the lecture (``sigma' = sigma (1 - sigma)``). ``out`` must not
alias ``grad``. ``alpha`` is the slope of leaky ReLU and the scale of ELU and
is ignored by the others. PReLU's ``alpha`` is its learned slopes, one per
unit (an array of shape ``(n_units,)``, a view into the network's parameters,
or one number where a curve is drawn); ``slope_grad(z, grad, out)`` writes
``dL/dalpha`` summed over the batch, ``(n_units,)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Activation", "ACTIVATIONS", "DEFAULT_ALPHA"]


@dataclass(frozen=True)
class Activation:
    name: str
    forward: Callable
    backward: Callable
    formula: str
    derivative_formula: str
    output_only: bool = False  # softmax: only on an Output node
    zero_gradient: bool = False  # step: gradient descent cannot train through it
    #: g'(z) is one number per unit (every activation but softmax, whose
    #: derivative mixes the units of a row)
    elementwise: bool = True
    #: alpha is a trained parameter, one per unit (prelu): the layer owns
    #: the slopes and ``slope_grad`` gives their gradient
    learned: bool = False
    slope_grad: Callable | None = None


def _step(z, alpha, out):
    np.greater(z, 0.0, out=out, casting="unsafe")
    return out


def _step_back(z, a, grad, alpha, out):
    out.fill(0.0)
    return out


def _linear(z, alpha, out):
    np.copyto(out, z)
    return out


def _linear_back(z, a, grad, alpha, out):
    np.copyto(out, grad)
    return out


def _sigmoid(z, alpha, out):
    # 1/(1+e^-z) == (1 + tanh(z/2)) / 2, which never overflows.
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _sigmoid_back(z, a, grad, alpha, out):
    np.subtract(1.0, a, out=out)
    out *= a
    out *= grad
    return out


def _tanh(z, alpha, out):
    return np.tanh(z, out=out)


def _tanh_back(z, a, grad, alpha, out):
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    out *= grad
    return out


def _relu(z, alpha, out):
    return np.maximum(z, 0.0, out=out)


def _relu_back(z, a, grad, alpha, out):
    # g'(0) is taken as 0 (the subgradient most libraries use).
    np.greater(z, 0.0, out=out, casting="unsafe")
    out *= grad
    return out


def _leaky_relu(z, alpha, out):
    np.multiply(z, alpha, out=out)
    # max(z, a z) is the leaky ReLU for 0 <= a <= 1; where() covers any slope.
    if 0.0 <= alpha <= 1.0:
        np.maximum(z, out, out=out)
    else:
        np.copyto(out, z, where=z >= 0)
    return out


def _leaky_relu_back(z, a, grad, alpha, out):
    np.copyto(out, grad)
    out[z < 0] *= alpha
    return out


def _prelu(z, alpha, out):
    # f(a) = max(0, a) + alpha min(0, a), as torch.nn.PReLU: alpha per unit.
    np.minimum(z, 0.0, out=out)
    out *= alpha
    out += np.maximum(z, 0.0)
    return out


def _prelu_back(z, a, grad, alpha, out):
    # f'(a) = 1 if a > 0 else alpha (alpha at 0, as PyTorch)
    np.multiply(grad, alpha, out=out)
    np.copyto(out, grad, where=z > 0)
    return out


def _prelu_slope_grad(z, grad, out):
    # df/dalpha = min(0, a): dL/dalpha = sum over the batch of dL/df min(0, a)
    np.add.reduce(np.minimum(z, 0.0) * grad, axis=0, out=out)
    return out


def _elu(z, alpha, out):
    np.minimum(z, 0.0, out=out)
    np.expm1(out, out=out)
    out *= alpha
    np.copyto(out, z, where=z > 0)
    return out


def _elu_back(z, a, grad, alpha, out):
    np.minimum(z, 0.0, out=out)
    np.exp(out, out=out)
    out *= alpha
    out[z > 0] = 1.0
    out *= grad
    return out


def _softplus(z, alpha, out):
    return np.logaddexp(0.0, z, out=out)


def _softplus_back(z, a, grad, alpha, out):
    # softplus' = sigmoid
    _sigmoid(z, alpha, out)
    out *= grad
    return out


def _swish(z, alpha, out):
    _sigmoid(z, alpha, out)
    out *= z
    return out


def _swish_back(z, a, grad, alpha, out):
    # d/dz z s(z) = s + z s (1 - s) = s + a (1 - s)
    s = _sigmoid(z, alpha, np.empty_like(z))
    np.subtract(1.0, s, out=out)
    out *= a
    out += s
    out *= grad
    return out


def _sine(z, alpha, out):
    return np.sin(z, out=out)


def _sine_back(z, a, grad, alpha, out):
    np.cos(z, out=out)
    out *= grad
    return out


def _softmax(z, alpha, out):
    np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def _softmax_back(z, a, grad, alpha, out):
    np.multiply(grad, a, out=out)
    s = out.sum(axis=1, keepdims=True)
    np.subtract(grad, s, out=out)
    out *= a
    return out


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("step", _step, _step_back, "g(y) = 1 if y > 0 else 0", "g'(y) = 0",
                   zero_gradient=True),
        Activation("linear", _linear, _linear_back, "g(y) = y", "g'(y) = 1"),
        Activation("sigmoid", _sigmoid, _sigmoid_back, "g(y) = 1 / (1 + e^-y)",
                   "g'(y) = g(y) (1 - g(y))"),
        Activation("tanh", _tanh, _tanh_back, "g(y) = tanh(y)", "g'(y) = 1 - g(y)^2"),
        Activation("relu", _relu, _relu_back, "g(y) = max(0, y)",
                   "g'(y) = 1 if y > 0 else 0"),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_back,
                   "g(y) = y if y >= 0 else a*y", "g'(y) = 1 if y >= 0 else a"),
        Activation("prelu", _prelu, _prelu_back,
                   "g(y) = y if y > 0 else a*y, a learned per unit",
                   "g'(y) = 1 if y > 0 else a; dg/da = min(0, y)",
                   learned=True, slope_grad=_prelu_slope_grad),
        Activation("elu", _elu, _elu_back, "g(y) = y if y > 0 else a*(e^y - 1)",
                   "g'(y) = 1 if y > 0 else a*e^y"),
        Activation("softplus", _softplus, _softplus_back, "g(y) = ln(1 + e^y)",
                   "g'(y) = sigmoid(y)"),
        Activation("swish", _swish, _swish_back, "g(y) = y * sigmoid(y)",
                   "g'(y) = s + y s (1 - s), s = sigmoid(y)"),
        Activation("sine", _sine, _sine_back, "g(y) = sin(y)", "g'(y) = cos(y)"),
        Activation("softmax", _softmax, _softmax_back,
                   "g(y)_k = e^y_k / sum_j e^y_j", "dg_k/dy_j = g_k (1[k=j] - g_j)",
                   output_only=True, elementwise=False),
    )
}

#: Default ``alpha`` per activation (leaky ReLU slope, ELU scale, PReLU's
#: initial slope: 0.25 as torch.nn.PReLU).
DEFAULT_ALPHA = {"leaky_relu": 0.01, "elu": 1.0, "prelu": 0.25}

