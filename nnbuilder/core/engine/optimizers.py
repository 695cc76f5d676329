"""Optimizers that update one flat parameter vector in place.

The engine keeps every weight and bias of a network in one contiguous vector
``theta`` (layers' arrays are views into it) and the gradient in a vector of
the same layout, so an update is a handful of NumPy calls however many layers
there are. ``make_optimizer(name, size)`` returns an object with
``step(theta, grad, cfg)``, where ``cfg`` is the trainer's
:class:`~nnbuilder.core.engine.config.TrainConfig` (read at every step, so a new
learning rate applies at once), and ``state()``/``load_state()`` for
checkpoints.

Every entry is an :class:`Optimizer`: besides ``step`` it says what it can
train (``refusal``), how many samples a step takes (``batch_size``: None is
the configured one), whether an epoch ends the run (``end_epoch``) and the
training settings of its own with their limits (``params``: the settings
check, the window's fields and the model schema read them). The
perceptron rule is one entry among them: it learns from each sample's error
(``from_errors``, its own ``learn`` in place of the loss's gradient), one
sample per step, and stops the run after an epoch without a mistake.
"""
from __future__ import annotations

import numpy as np

from ..constraints import Boolean, Constraint, Interval

__all__ = ["OPTIMIZERS", "Optimizer", "Perceptron", "make_optimizer"]


class Optimizer:
    """What the trainer asks of every optimizer; a gradient optimizer
    overrides ``step``, ``state`` and ``load_state`` only."""

    #: One line for a tool tip.
    summary = ""
    #: Its own training settings (TrainConfig fields) and their limits.
    params: dict[str, Constraint] = {}
    #: Samples per step; None: the configured batch size.
    batch_size: int | None = None
    #: True: ``learn(plan, network, cfg)`` runs the forward pass and updates
    #: from the errors; False: the trainer backpropagates the loss and calls ``step``.
    from_errors = False

    def __init__(self, size: int, dtype=np.float64):
        pass

    @classmethod
    def refusal(cls, network, data) -> str | None:
        """Why this optimizer cannot train ``network`` on ``data``
        (a :class:`~nnbuilder.core.engine.traindata.TrainData`), or None."""
        return None

    #: What a stop reason means for this optimizer, when it says more than the
    #: reason itself: the window and the CLI say "stopped after N epochs, " and
    #: the note when a run stops so.
    stop_notes: dict[str, str] = {}

    def end_epoch(self, samples: int) -> str | None:
        """An epoch of ``samples`` training samples ended: a stop reason, or None."""
        return None

    def step(self, theta, grad, cfg):
        raise NotImplementedError

    def state(self):
        return {}

    def load_state(self, s):
        pass


#: A decay rate (momentum, rho, beta1, beta2): 0 forgets at once, 1 never would.
DECAY = Interval(kind=float, low=0, high=1, closed="left")
EPS = Interval(kind=float, low=0)


class SGD(Optimizer):
    """theta -= lr g; with momentum mu: v = mu v - lr g, theta += v
    (Nesterov: theta += mu v - lr g)."""

    summary = "gradient descent on each mini-batch, with momentum if you set one"
    params = {"momentum": DECAY, "nesterov": Boolean()}

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


class RMSProp(Optimizer):
    """s = rho s + (1 - rho) g^2; theta -= lr g / (sqrt(s) + eps)."""

    summary = "gradient descent with each weight's step scaled by its recent gradient size"
    params = {"rho": DECAY, "eps": EPS}

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


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction."""

    summary = "gradient descent with running means of the gradient and its square (Adam)"
    params = {"beta1": DECAY, "beta2": DECAY, "eps": EPS}

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


class Perceptron(Optimizer):
    """Rosenblatt's perceptron rule, for an Output node of step units fed
    straight from the Input: per sample (in the epoch's shuffled order)

        w <- w + lr (y - y_hat) x,    b <- b + lr (y - y_hat)

    with y_hat = step(x w + b) in {0, 1}. A step whose sample is classified
    right changes nothing. The direction -(y - y_hat) x (and -(y - y_hat)) is
    written into the network's gradient vector, so the update is
    ``theta -= lr grad`` and the gradient plots show the rule's steps.
    Momentum, batch size and the L1/L2 penalties are not part of the rule and
    are ignored. An epoch in which every sample was classified right stops
    the run with "converged" (the weights can no longer change); on data no
    line separates, such as XOR, that never happens.
    """

    summary = ("the perceptron rule: per sample, w <- w + lr (y - y_hat) x; for an Output of step "
               "units fed by the Input (no hidden layers); stops after an epoch without a mistake")
    batch_size = 1
    from_errors = True
    RULE = "the perceptron rule trains one Output node with step activation and no hidden layers"
    stop_notes = {  # they follow "stopped after N epochs, "
        "converged": "converged: the last one without a mistake, every training sample is "
                     "classified right",
        "max_epochs": "still making mistakes: a single step unit draws one straight line and "
                      "cannot separate XOR. Add a hidden layer (e.g. 2-2-1 with sigmoid units, sgd)",
    }

    def __init__(self, size: int, dtype=np.float64):
        self.tmp = np.zeros(size, dtype)
        self.mistakes = 0  # samples misclassified in this epoch so far
        self.seen = 0  # samples learnt from in this epoch so far

    @classmethod
    def refusal(cls, network, data) -> str | None:
        out = network.output_id
        others = [n for n in network.order if n not in (network.input_id, out)]
        why = []
        if others:
            why.append("this network has " + ", ".join(network.nodes[n].name or n for n in others))
        act = network.nodes[out].params["activation"]
        if act != "step":
            why.append(f"its Output has {act} activation")
        if why:
            return f"{cls.RULE}; " + " and ".join(why)
        if data.task != "classification":
            return "the perceptron rule learns classes (targets 0 and 1); this data is a regression task"
        return None

    def learn(self, plan, network, cfg) -> None:
        """One sample: ``plan.x`` ``(1, n_features)`` and its target ``plan.y`` ``(1, units)``."""
        plan.forward(True)
        error = plan.y - plan.a_out  # y - y_hat, (1, units): 0 where the sample is right
        self.seen += 1
        if not error.any():
            network.grad.fill(0.0)  # nothing to learn from this sample
            return
        self.mistakes += 1
        gW, gb = network.grads[network.output_id]
        np.matmul(plan.x.T, error, out=gW)
        np.negative(gW, out=gW)
        if gb is not None:
            np.negative(error[0], out=gb)
        np.multiply(network.grad, cfg.lr, out=self.tmp)
        network.theta -= self.tmp

    def end_epoch(self, samples: int) -> str | None:
        clean = self.mistakes == 0 and self.seen >= samples  # a whole epoch (not one joined midway)
        self.mistakes = self.seen = 0
        return "converged" if clean else None

    def state(self):
        return {"mistakes": self.mistakes, "seen": self.seen}

    def load_state(self, s):
        self.mistakes, self.seen = s["mistakes"], s["seen"]


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "rmsprop": RMSProp, "adam": Adam,
                                          "perceptron": Perceptron}


def make_optimizer(name: str, size: int, dtype=np.float64):
    return OPTIMIZERS[name](size, dtype)
