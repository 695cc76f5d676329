"""Optimizers that update one flat parameter vector in place.

The engine keeps every weight and bias of a network in one contiguous vector
``theta`` (layers' arrays are views into it) and the gradient in a vector of
the same layout, so an update is a handful of NumPy calls however many layers
there are. ``make_optimizer(name, size)`` returns an object with
``step(theta, grad, cfg)``, where ``cfg`` is the trainer's
:class:`~nnbuilder.core.trainer.TrainConfig` (read at every step, so a new
learning rate applies at once), and ``state()``/``load_state()`` for
checkpoints.
"""
from __future__ import annotations

import numpy as np

__all__ = ["OPTIMIZERS", "make_optimizer"]


class SGD:
    """theta -= lr g; with momentum mu: v = mu v - lr g, theta += v
    (Nesterov: theta += mu v - lr g)."""

    def __init__(self, size: int, dtype=np.float64):
        self.velocity = np.zeros(size, dtype)
        self.tmp = np.zeros(size, dtype)
        self.tmp2 = np.zeros(size, dtype)

    def step(self, theta, grad, cfg):
        np.multiply(grad, cfg.lr, out=self.tmp)
        if cfg.momentum == 0.0:
            theta -= self.tmp
            return
        v = self.velocity
        v *= cfg.momentum
        v -= self.tmp
        if cfg.nesterov:
            np.multiply(v, cfg.momentum, out=self.tmp2)
            self.tmp2 -= self.tmp
            theta += self.tmp2
        else:
            theta += v

    def state(self):
        return {"velocity": self.velocity.copy()}

    def load_state(self, s):
        self.velocity[...] = s["velocity"]


class RMSProp:
    """s = rho s + (1 - rho) g^2; theta -= lr g / (sqrt(s) + eps)."""

    def __init__(self, size: int, dtype=np.float64):
        self.sq = np.zeros(size, dtype)
        self.tmp = np.zeros(size, dtype)

    def step(self, theta, grad, cfg):
        rho = cfg.rho
        self.sq *= rho
        np.multiply(grad, grad, out=self.tmp)
        self.tmp *= 1.0 - rho
        self.sq += self.tmp
        np.sqrt(self.sq, out=self.tmp)
        self.tmp += cfg.eps
        np.divide(grad, self.tmp, out=self.tmp)
        self.tmp *= cfg.lr
        theta -= self.tmp

    def state(self):
        return {"sq": self.sq.copy()}

    def load_state(self, s):
        self.sq[...] = s["sq"]


class Adam:
    """Adam (Kingma & Ba) with bias correction."""

    def __init__(self, size: int, dtype=np.float64):
        self.m = np.zeros(size, dtype)
        self.v = np.zeros(size, dtype)
        self.tmp = np.zeros(size, dtype)
        self.t = 0

    def step(self, theta, grad, cfg):
        b1, b2 = cfg.beta1, cfg.beta2
        self.t += 1
        self.m *= b1
        np.multiply(grad, 1.0 - b1, out=self.tmp)
        self.m += self.tmp
        self.v *= b2
        np.multiply(grad, grad, out=self.tmp)
        self.tmp *= 1.0 - b2
        self.v += self.tmp
        step = cfg.lr * np.sqrt(1.0 - b2 ** self.t) / (1.0 - b1 ** self.t)
        np.sqrt(self.v, out=self.tmp)
        self.tmp += cfg.eps
        np.divide(self.m, self.tmp, out=self.tmp)
        self.tmp *= step
        theta -= self.tmp

    def state(self):
        return {"m": self.m.copy(), "v": self.v.copy(), "t": self.t}

    def load_state(self, s):
        self.m[...] = s["m"]
        self.v[...] = s["v"]
        self.t = s["t"]


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSProp, "adam": Adam}


def make_optimizer(name: str, size: int, dtype=np.float64):
    return OPTIMIZERS[name](size, dtype)
