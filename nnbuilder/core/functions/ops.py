"""The engine's operations: one forward/backward pair per node type.

A :class:`~nnbuilder.core.engine.network.Plan` builds one op per node for one batch
size, in topological order, by calling the node type's ``op`` builder
(see :mod:`nnbuilder.core.model.nodetypes`) with an :class:`OpSlots`. An op owns
its output buffer ``out`` (shape ``(n, width)``) and offers

- ``forward(train)``: read the input buffers, write ``out`` (None: nothing to do);
- ``backward()``: read ``g``, the loss gradient with respect to ``out``, and
  write or add (``acc``) the gradient with respect to each input into that
  input's gradient buffer, and the weight gradients into ``dW``/``db``
  (and a PReLU layer's slope gradient into ``dalpha``) (None: nothing to do).

Everything is preallocated here, so a training step allocates (almost)
nothing; ops write with ``out=``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import ACTIVATIONS

__all__ = ["OpSlots", "input_op", "dense_op", "output_op", "activation_op", "dropout_op",
           "add_op", "concat_op", "DenseOp", "DropoutOp"]


@dataclass
class OpSlots:
    """What the engine hands an op builder for one node and batch size ``n``."""

    net: Any  # the Network (dropout reads its current ``rng`` at every forward)
    n: int
    width: int  # this node's output width
    dtype: np.dtype
    params: dict  # the node's parameters
    alpha: float  # the activation parameter in force (Node.alpha)
    xs: list  # input buffers, (n, width of each input), in edge order
    g: np.ndarray | None  # gradient w.r.t. this node's output; None if no gradient is needed
    targets: list  # per input: (its gradient buffer or None, add instead of write)
    weights: tuple | None = None  # (W (fan_in, units), b (units,) or None) of a weighted node
    grads: tuple | None = None  # (dW, db) laid out like ``weights``
    slopes: tuple | None = None  # (alpha (units,), dalpha (units,)) of a layer whose activation learns them

    def zeros(self) -> np.ndarray:
        return np.zeros((self.n, self.width), dtype=self.dtype)


def _send(grad, target, acc):
    """Write or add ``grad`` into ``target``."""
    if acc:
        target += grad
    else:
        np.copyto(target, grad)


class InputOp:
    """The Input node: the batch is copied into ``out`` by the caller."""

    forward = backward = None

    def __init__(self, out):
        self.out = out


class DenseOp:
    """``a = g(x W + b)``; the Output node's ``dz`` is written by the loss step."""

    __slots__ = ("x", "xT", "W", "WT", "b", "dW", "db", "z", "a", "dz", "g", "gin", "acc",
                 "act", "alpha", "fused_output", "linear", "tmp", "dalpha")

    def __init__(self, x, W, b, dW, db, z, a, dz, g, gin, acc, act, alpha, fused_output,
                 dalpha=None):
        self.x, self.xT, self.W, self.WT, self.b = x, x.T, W, W.T, b
        self.dW, self.db, self.z, self.a, self.dz, self.g = dW, db, z, a, dz, g
        self.gin, self.acc, self.act, self.alpha = gin, acc, act, alpha
        self.fused_output = fused_output
        self.linear = act.name == "linear"
        self.tmp = np.zeros_like(gin) if (gin is not None and acc) else None
        self.dalpha = dalpha  # the learned slopes' gradient (prelu), else None

    @property
    def out(self):
        return self.a

    def forward(self, train):
        np.matmul(self.x, self.W, out=self.z)
        if self.b is not None:
            self.z += self.b
        if not self.linear:
            self.act.forward(self.z, self.alpha, self.a)

    def backward(self):
        dz = self.dz
        if not self.linear and not self.fused_output:
            self.act.backward(self.z, self.a, self.g, self.alpha, dz)
        if self.dalpha is not None:  # g is dL/df (the Output's too: prelu is never fused)
            self.act.slope_grad(self.z, self.g, self.dalpha)
        np.matmul(self.xT, dz, out=self.dW)
        if self.db is not None:
            np.add.reduce(dz, axis=0, out=self.db)
        if self.gin is not None:
            if self.acc:
                np.matmul(dz, self.WT, out=self.tmp)
                self.gin += self.tmp
            else:
                np.matmul(dz, self.WT, out=self.gin)


class ActivationOp:
    def __init__(self, x, a, g, gin, acc, act, alpha):
        self.x, self.out, self.g, self.gin, self.acc, self.act, self.alpha = x, a, g, gin, acc, act, alpha
        self.tmp = np.zeros_like(a) if acc else None

    def forward(self, train):
        self.act.forward(self.x, self.alpha, self.out)

    def backward(self):
        if self.gin is None:
            return
        if self.acc:
            self.act.backward(self.x, self.out, self.g, self.alpha, self.tmp)
            self.gin += self.tmp
        else:
            self.act.backward(self.x, self.out, self.g, self.alpha, self.gin)


class DropoutOp:
    """While training ``out = m * x / (1 - p)`` with a fresh Bernoulli mask per
    forward, drawn from the network's generator; ``out = x`` otherwise."""

    def __init__(self, net, x, a, g, gin, acc, rate):
        self.net, self.x, self.out, self.g, self.gin, self.acc, self.rate = net, x, a, g, gin, acc, rate
        self.mask = np.ones_like(a)
        self.tmp = np.zeros_like(a)

    def forward(self, train):
        if not train or self.rate == 0.0:
            np.copyto(self.out, self.x)
            return
        keep = self.net.rng.random(self.mask.shape) >= self.rate
        np.multiply(keep, 1.0 / (1.0 - self.rate), out=self.mask)
        np.multiply(self.x, self.mask, out=self.out)

    def backward(self):
        if self.gin is None:
            return
        np.multiply(self.g, self.mask if self.rate else 1.0, out=self.tmp)
        _send(self.tmp, self.gin, self.acc)


class AddOp:
    def __init__(self, xs, a, g, targets):
        self.xs, self.out, self.g, self.targets = xs, a, g, targets

    def forward(self, train):
        np.add(self.xs[0], self.xs[1], out=self.out)
        for x in self.xs[2:]:
            self.out += x

    def backward(self):
        for gin, acc in self.targets:
            if gin is not None:
                _send(self.g, gin, acc)


class ConcatOp:
    def __init__(self, xs, a, g, targets):
        self.xs, self.out, self.g, self.targets = xs, a, g, targets
        self.slices = []
        start = 0
        for x in xs:
            self.slices.append(slice(start, start + x.shape[1]))
            start += x.shape[1]

    def forward(self, train):
        for x, s in zip(self.xs, self.slices):
            self.out[:, s] = x

    def backward(self):
        for (gin, acc), s in zip(self.targets, self.slices):
            if gin is not None:
                _send(self.g[:, s], gin, acc)


# ------------------------------------------------------------------ builders
def input_op(s: OpSlots) -> InputOp:
    return InputOp(s.zeros())


def _weighted(s: OpSlots, fused_output: bool) -> DenseOp:
    W, b = s.weights
    dW, db = s.grads
    act = ACTIVATIONS[s.params["activation"]]
    z = s.zeros()
    a = z if act.name == "linear" else s.zeros()
    dz = s.g if act.name == "linear" else s.zeros()
    gin, acc = s.targets[0]
    alpha, dalpha = s.slopes if act.learned else (s.alpha, None)
    return DenseOp(s.xs[0], W, b, dW, db, z, a, dz, s.g, gin, acc, act, alpha, fused_output, dalpha)


def dense_op(s: OpSlots) -> DenseOp:
    return _weighted(s, fused_output=False)


def output_op(s: OpSlots) -> DenseOp:
    """The Output node: a dense op whose ``z``, ``a``, ``dz`` and ``act`` the
    loss step uses (it writes ``dz`` before backward)."""
    return _weighted(s, fused_output=True)


def activation_op(s: OpSlots) -> ActivationOp:
    gin, acc = s.targets[0]
    return ActivationOp(s.xs[0], s.zeros(), s.g, gin, acc, ACTIVATIONS[s.params["activation"]], s.alpha)


def dropout_op(s: OpSlots) -> DropoutOp:
    gin, acc = s.targets[0]
    return DropoutOp(s.net, s.xs[0], s.zeros(), s.g, gin, acc, s.params["rate"])


def add_op(s: OpSlots) -> AddOp:
    return AddOp(s.xs, s.zeros(), s.g, s.targets)


def concat_op(s: OpSlots) -> ConcatOp:
    return ConcatOp(s.xs, s.zeros(), s.g, s.targets)
