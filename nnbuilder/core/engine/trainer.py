"""Mini-batch training in chunks, with snapshots a caller may keep.

A :class:`Trainer` owns a :class:`~nnbuilder.core.engine.network.Network`, the
prepared data and one ``np.random.Generator`` (from ``seed``) that drives
initialisation, shuffling and dropout. :meth:`Trainer.run` performs ``n``
steps and returns, so a caller (the CLI's progress bar, the live run in
:mod:`nnbuilder.core.run.worker`) can pause, change hyperparameters in
:attr:`Trainer.config` between chunks, and take a :meth:`Trainer.snapshot`:
copies the trainer never writes to again.

Regularisation (weights only, never biases): L2 adds ``l2/2 * sum W^2`` to
the objective (gradient ``l2 * W``), L1 adds ``l1 * sum |W|`` (gradient
``l1 * sign(W)``). Losses in the history are the data loss without them, in
the data's units: when the Output node standardizes regression targets the
network trains on (y - mean) / std, and its loss is measured on
``y_hat * std + mean`` against ``y`` (l2: the standardized loss times std^2).

Divergence. Training stops with ``stop_reason == "diverged"`` and
:attr:`Trainer.divergence` set (``step``, ``epoch``, ``lr``, ``reason``,
``loss``, ``reference``, ``start_loss``, ``bound``, ``restored_step``, ``restored_loss``) when either

- ``reason == "non-finite"``: a parameter, or the training loss at an
  epoch's end, is NaN or infinite (checked at every epoch's end and at the
  end of every :meth:`Trainer.run` chunk); or
- ``reason == "exploded"``: at :data:`EXPLODE_EPOCHS` (3) consecutive
  epoch ends the training loss is more than :data:`EXPLODE_FACTOR` (10)
  times the *reference loss*: the larger of the loss when the weights were
  last set from outside (initialisation, :meth:`~Trainer.replace_network`,
  :meth:`~Trainer.set_weight`) and the loss of a network that has learnt
  nothing (all weights and biases zero, e.g. 0.69 for ``bce``). A change of
  the learning rate or optimizer restarts the count. ``start_loss`` is the
  first of the two (the loss the history plots where the weights were set;
  a reference of at least it, so the loss rose above 10 times it too); ``bound`` is
  :data:`EXPLODE_FACTOR` times the reference, the loss above which an epoch
  counts (None without a reference). A run that reaches
  ``max_epochs`` while its loss is exploded diverges there and then.

Both restore the weights (and optimizer state) of the last epoch end that
was neither (its loss at most ``bound``: the rule's own yardstick), so the run can go on with a smaller learning rate. The history
keeps the diverged epoch's row as it happened (the climb where it
happened); the restored weights are no new row: their training loss is
``restored_loss`` in the divergence and :attr:`History.last` describes them. The rule
uses the full training loss the history records anyway (no noisy batch
losses, no extra cost). Why these numbers: a healthy run's loss stays below
its reference (every example in ``resources/examples`` peaks below 1x, and
gradient descent on a quadratic such as ``seed_table`` only decreases it),
while the "best so far" is no reference (healthy Adam runs on Iris bounce to
6x their best); the zero network keeps the reference sensible when the
start is already trained (resuming, a loss near 0). ``lr = 100`` on
``circle`` climbs to 40-160x within a few epochs. A reference of 0 (a
perfect blank network) disables the "exploded" rule.

Big data, first step first. Row 0 of the history (the weights the run
starts from, evaluated on every row) can cost seconds on a big table; with
``defer_start`` the constructor keeps those weights instead and
:meth:`Trainer.evaluate_start` evaluates them later (the live run does it
once its first steps are shown, or when it rests), still as row 0: before
any epoch's end, any edit and any divergence, whichever comes first. Until
then :attr:`History.last` is the step-0 row with NaN for the numbers not
known yet, and the "exploded" rule's reference is measured there too.

The hyperparameters are a :class:`~nnbuilder.core.engine.config.TrainConfig`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import TrainConfig
from ..errors import DataError, NNBuilderError
from ..functions.losses import accuracy, r2_score
from .network import Network
from .optimizers import OPTIMIZERS, make_optimizer
from .traindata import TrainData

__all__ = ["Trainer", "Snapshot", "History", "RunningLoss", "EXPLODE_FACTOR", "EXPLODE_EPOCHS",
           "RUNNING_LOSS_STEPS"]

#: The training loss "explodes" above this multiple of the reference loss ...
EXPLODE_FACTOR = 10.0
#: ... at this many consecutive epoch ends (see the module docstring).
EXPLODE_EPOCHS = 3
#: Epochs of at least this many steps keep their batches' losses (:class:`RunningLoss`).
RUNNING_LOSS_STEPS = 64


class RunningLoss:
    """The data loss of the last ``size`` training batches of the epoch
    running (each batch's own, at the weights before its step, in training
    mode, without L1/L2): a long epoch's number that moves before its
    history row is written. Kept by the trainer for epochs of at least
    :data:`RUNNING_LOSS_STEPS` steps; cleared at each epoch's end."""

    def __init__(self, size: int = 100):
        self._values = np.zeros(size)
        self._n = 0

    def add(self, value: float) -> None:
        self._values[self._n % len(self._values)] = value
        self._n += 1

    def clear(self) -> None:
        self._n = 0

    @property
    def count(self) -> int:
        """Batches the mean is over (at most ``size``)."""
        return min(self._n, len(self._values))

    def mean(self) -> float:
        """Their mean loss; NaN when there is none."""
        n = self.count
        return float(self._values[:n].mean()) if n else math.nan


class History:
    """Rows of numbers (by default one per epoch, row 0 before training), bounded.

    Beyond ``capacity`` rows every other row is dropped and from then on only
    rows whose first column is a multiple of ``stride`` are kept, so a run of
    a million epochs holds at most ``capacity`` rows. :attr:`last` is always
    the newest row, and listeners (``listeners.append(fn)``) see every row.
    """

    COLUMNS = ("epoch", "step", "train_loss", "test_loss", "train_metric", "test_metric")

    def __init__(self, capacity: int = 20_000, columns: tuple[str, ...] | None = None):
        self.columns = tuple(columns or self.COLUMNS)
        self.capacity = max(2, capacity - capacity % 2)
        self._rows = np.zeros((self.capacity, len(self.columns)))
        self._n = 0
        self.stride = 1
        self.last: dict | None = None
        self.listeners: list = []

    def append(self, **row) -> None:
        self.last = row
        for fn in self.listeners:
            fn(row)
        key = int(row[self.columns[0]])
        if key % self.stride:
            return
        if self._n == self.capacity:
            half = self._rows[0:self.capacity:2].copy()
            self._rows[:len(half)] = half
            self._n = len(half)
            self.stride *= 2
            if key % self.stride:
                return
        self._rows[self._n] = [row.get(c, np.nan) for c in self.columns]
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def column(self, name: str) -> np.ndarray:
        """A copy of one column over the kept rows."""
        return self._rows[:self._n, self.columns.index(name)].copy()

    def arrays(self, since: int = 0) -> dict[str, np.ndarray]:
        return {c: self._rows[since:self._n, j].copy() for j, c in enumerate(self.columns)}

    def clear(self) -> None:
        self._n, self.stride, self.last = 0, 1, None

    def set_last(self, **row) -> None:
        """The state now, which is no new row (weights restored after a
        divergence): :attr:`last` only; listeners and the rows do not see it."""
        self.last = row

    def drop_after(self, step: int, last: dict | None = None) -> None:
        """Forget the rows after ``step`` (a run rewound to that step);
        ``last`` (default: the newest row kept) becomes :attr:`last`."""
        steps = self._rows[:self._n, self.columns.index("step")]
        self._n = int(np.searchsorted(steps, step, side="right"))  # steps never decrease
        if last is None and self._n:
            last = dict(zip(self.columns, self._rows[self._n - 1].tolist()))
        self.last = last

    def __getattr__(self, name):  # history.train_loss etc.: the kept rows of a column
        if name != "columns" and name in self.__dict__.get("columns", ()):
            return self.column(name)
        raise AttributeError(name)


@dataclass(frozen=True)
class Snapshot:
    """A copy of the training state; nothing in it is written to again."""

    step: int
    epoch: int
    theta: np.ndarray
    weights: dict  # {node_id: (W, b or None)}, views into theta
    history: dict  # arrays of History rows [history_start:]
    history_start: int
    metric_name: str
    stop_reason: str | None
    divergence: dict | None


class Trainer:
    """Trains ``network`` on ``data``; see the module docstring."""

    def __init__(self, network: Network, data: TrainData, config: TrainConfig | None = None,
                 seed: int = 0, init: bool = True, keep: dict | None = None, defer_start: bool = False):
        """``init`` draws fresh weights; ``keep`` (``{node_id: {"W", "b"}}``)
        then restores the layers whose shapes still fit. ``defer_start``:
        history row 0 is evaluated later (:meth:`evaluate_start`)."""
        self.config = (config or TrainConfig()).check()
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.step = 0
        self.epoch = 0
        self.history = History()
        self.stop_reason: str | None = None
        self.divergence: dict | None = None
        #: The training rows (indices into ``data.X_train``) the last step drew; None before one.
        self.last_batch: np.ndarray | None = None
        #: A :class:`~nnbuilder.core.run.timeline.Timeline` that keeps moments of
        #: the run to rewind to (the live run's), or None.
        self.timeline = None
        self._start: np.ndarray | None = None  # the weights of row 0 while it waits (defer_start)
        self.running_loss = RunningLoss()
        self._bind(network, data, init)
        if keep:
            network.set_weights(keep, strict=False)
            self._mark_good()
        self._use_data_stats()
        if defer_start:
            self._start = network.theta.copy()
            self.history.set_last(epoch=self.epoch, step=self.step,
                                  **{c: math.nan for c in History.COLUMNS[2:]})
        else:
            self._record()

    @property
    def start_pending(self) -> bool:
        """Whether row 0 (the starting weights) waits to be evaluated."""
        return self._start is not None

    def evaluate_start(self) -> dict | None:
        """Evaluate the weights the run started from as history row 0 (and
        the "exploded" rule's reference there), when the constructor deferred
        it; the row, or None when there was nothing to do. The weights now
        are left as they are."""
        if self._start is None:
            return None
        start, self._start = self._start, None
        net = self.network
        now = net.theta.copy()
        net.theta[...] = start
        try:
            m = self.evaluate()
            with np.errstate(over="ignore", invalid="ignore"):
                self._reference = self._reference_loss()  # measured where the weights were set
        finally:
            net.theta[...] = now
        row = {"epoch": 0, "step": 0, **m}
        self.history.append(**row)
        return row

    def _bind(self, network: Network, data: TrainData, init: bool) -> None:
        """Attach a network and data; fresh optimizer state and shuffling."""
        if len(data.X_train) == 0:
            raise DataError("there are no training samples")
        self.network, self.data = network, data
        network.rng = self.rng
        if init:
            network.init_params(self.rng)
        self.metric_name = "accuracy" if data.task == "classification" else "r2"
        self._optimizer_name = self.config.optimizer
        self.optimizer = self._make_optimizer(self.config.optimizer, network, data)
        self._good_theta = network.theta.copy()
        self._good_opt = self.optimizer.state()
        self._good_step = self.step
        self._reference: float | None = None  # measured at the next run(), see _reference_loss
        self._start_loss: float | None = None  # the training loss the reference was measured at
        self._exploded_epochs = 0
        self._tmp_w = np.zeros(network.n_weights, dtype=network.dtype)
        self.last_batch = None
        self._shuffle()
        if self.timeline is not None:  # its moments are of the old network or data
            self.timeline.clear()

    def _shuffle(self) -> None:
        """A new epoch's order; the generator's state it comes from is kept
        (a timeline's moment draws the same order again from it)."""
        self._perm_state = self.rng.bit_generator.state
        self._perm = self.rng.permutation(len(self.data.X_train))
        self._pos = 0

    @staticmethod
    def _make_optimizer(name: str, network: Network, data: TrainData):
        """The optimizer ``name`` for ``network``; NNBuilderError when it cannot train it."""
        why = OPTIMIZERS[name].refusal(network, data)
        if why:
            err = NNBuilderError(why)
            err.field = "optimizer"
            raise err
        return make_optimizer(name, network.n_params, network.dtype)

    def replace_network(self, network: Network, data: TrainData, keep: dict | None = None) -> list[str]:
        """Carry on with an edited network (and its data) without losing the run.

        New layers are initialised from the run's generator; those in
        ``keep`` (``{node_id: {"W", "b"}}``) whose shapes still fit keep their
        trained values. Counters and history go on; optimizer state restarts.
        Returns the ids of the layers that kept their weights.
        """
        self.evaluate_start()  # of the network it started with
        self.running_loss.clear()
        self._bind(network, data, init=True)
        kept = network.set_weights(keep or {}, strict=False)
        self._mark_good()
        self._use_data_stats()
        if self.timeline is not None:
            self.timeline.record(self)  # the first moment of the new network
        return kept

    def _use_data_stats(self) -> None:
        """The network standardizes with the statistics its data was scaled with."""
        if self.data.input_stats is not None and self.network.standardize:
            self.network.set_input_stats(*self.data.input_stats)
        if self.data.target_stats is not None and self.network.standardize_target:
            self.network.set_target_stats(*self.data.target_stats)

    @property
    def reference_loss(self) -> float | None:
        """The yardstick of the "exploded" rule (see the module docstring);
        None until the next :meth:`run` measures it."""
        return self._reference

    @property
    def batch_size(self) -> int:
        """Samples per step: the optimizer's own (the perceptron: 1) or the configured one."""
        return min(self.optimizer.batch_size or self.config.batch_size, len(self.data.X_train))

    def next_batch(self) -> np.ndarray:
        """The training rows (indices into ``data.X_train``) the next step
        draws: SGD's sample(s), known before the step is taken (a query)."""
        return self._perm[self._pos:self._pos + self.batch_size].copy()

    def step_on(self, idx) -> None:
        """One plain gradient-descent step on the training rows ``idx``
        (indices into ``data.X_train``), whatever the optimizer: ``w <- w - lr
        x (dL/dw + the penalty)`` with the learning rate as typed, the
        lecture's update by hand. It counts as a step; the epoch's order of
        samples is untouched."""
        idx = np.asarray(idx, dtype=np.int64).ravel()
        if len(idx) == 0 or idx.min() < 0 or idx.max() >= len(self.data.X_train):
            raise NNBuilderError("a step by hand needs training rows of this run")
        self.evaluate_start()
        net, cfg = self.network, self.config
        plan = net.plan(len(idx))
        self.data.X_train.take(idx, axis=0, out=plan.x)
        self.data.Y_train.take(idx, axis=0, out=plan.y)
        with np.errstate(over="ignore", invalid="ignore"):
            plan.train_step()
            nw = net.n_weights
            if cfg.l2:
                net.grad[:nw] += cfg.l2 * net.theta[:nw]
            if cfg.l1:
                net.grad[:nw] += cfg.l1 * np.sign(net.theta[:nw])
            net.theta -= cfg.lr * net.grad
        self.step += 1
        self.last_batch = idx
        if not np.isfinite(net.theta).all():
            self._diverged("non-finite", None)

    @property
    def steps_per_epoch(self) -> int:
        return -(-len(self.data.X_train) // self.batch_size)

    @property
    def steps_to_epoch_end(self) -> int:
        """Steps left until the current epoch is complete."""
        return -(-(len(self.data.X_train) - self._pos) // self.batch_size)

    def set_weight(self, node_id: str, row: int | None, col: int, value: float) -> None:
        """Set one weight ``W[row, col]`` of a layer, or with ``row`` None its
        bias ``b[col]`` (e.g. typed in by a user)."""
        if not math.isfinite(value):
            raise NNBuilderError(f"a weight must be a finite number (got {value})")
        self.evaluate_start()
        W, b = self.network.params[node_id]
        if row is None:
            if b is None:
                raise NNBuilderError(f"{self.network.nodes[node_id].name} has no bias")
            b[col] = value
        else:
            W[row, col] = value
        self._mark_good()
        self._reference, self._exploded_epochs = None, 0  # a new start for the "exploded" rule

    # ------------------------------------------------------------ evaluation
    def _metric(self, outputs, Y, labels) -> float:
        if len(outputs) == 0:
            return float("nan")
        if self.data.task == "classification":
            return accuracy(outputs, labels, self.network.loss.threshold)
        return r2_score(outputs, self.network.to_data_units(Y))  # outputs come in the data's units

    def evaluate(self) -> dict[str, float]:
        """Data loss and metric on the training and test sets, now."""
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
            return self._evaluate()

    def _evaluate(self) -> dict[str, float]:
        d, net = self.data, self.network
        tr_loss, tr_out = net.evaluate(d.X_train, d.Y_train)
        self._evaluated = (net, d, net.theta.copy(), tr_loss)  # the reference loss may reuse it
        if len(d.X_test):
            te_loss, te_out = net.evaluate(d.X_test, d.Y_test)
        else:
            te_loss, te_out = float("nan"), d.X_test[:, :0]
        return {"train_loss": tr_loss, "test_loss": te_loss,
                "train_metric": self._metric(tr_out, d.Y_train, d.labels_train),
                "test_metric": self._metric(te_out, d.Y_test, d.labels_test)}

    def _record(self) -> dict[str, float]:
        m = self.evaluate()
        self.history.append(epoch=self.epoch, step=self.step, **m)
        return m

    # -------------------------------------------------------------- training
    def update_config(self, **changes) -> None:
        """Change hyperparameters; they apply from the next step on.

        A new optimizer starts with fresh state (moments); weights are kept.
        An optimizer that cannot train this network (the perceptron rule on
        hidden layers) raises NNBuilderError and changes nothing.
        """
        new = TrainConfig(**{**self.config.to_dict(), **changes}).check()
        if new.optimizer != self._optimizer_name:
            self.optimizer = self._make_optimizer(new.optimizer, self.network, self.data)
            self._optimizer_name = new.optimizer
            self._good_opt = self.optimizer.state()
        if (new.lr, new.optimizer) != (self.config.lr, self.config.optimizer):
            self._exploded_epochs = 0  # the new setting gets its own chance to bring the loss down
        self.config = new

    def _stop_rule(self) -> str | None:
        cfg = self.config
        if cfg.max_epochs is not None and self.epoch >= cfg.max_epochs:
            return "max_epochs"
        if cfg.loss_target is not None and self.history.last["train_loss"] <= cfg.loss_target:
            return "loss_target"
        return None

    def _mark_good(self) -> None:
        """The current weights are the ones a divergence goes back to."""
        np.copyto(self._good_theta, self.network.theta)
        self._good_opt = self.optimizer.state()
        self._good_step = self.step

    def _reference_loss(self) -> float:
        """The larger of the training loss now and that of an all-zero network
        (the reference of the "exploded" rule; see the module docstring)."""
        net, d = self.network, self.data
        known = getattr(self, "_evaluated", None)
        if known is not None and known[0] is net and known[1] is d and np.array_equal(known[2], net.theta):
            start = known[3]  # evaluated at these very weights already (the history's last row)
        else:
            start = net.evaluate(d.X_train, d.Y_train)[0]
        theta = net.theta.copy()
        net.theta[...] = 0.0
        try:
            # Every weight and bias 0: each row gives the same output, so one
            # row's output stands for all (a big table is not run through again).
            p = net.plan(1)
            p.x[...] = d.X_train[:1]
            p.forward(False)
            shape = d.Y_train.shape
            blank = net.data_loss(np.broadcast_to(p.z_out, shape) if p.fused else None,
                                  np.broadcast_to(p.a_out, shape), d.Y_train)
        finally:
            net.theta[...] = theta
        self._start_loss = float(start) if math.isfinite(start) else None
        finite = [v for v in (start, blank) if math.isfinite(v)]
        return max(finite) if finite else 0.0

    def _diverged(self, reason: str, loss: float | None) -> None:
        """Restore the last good weights and say where training blew up."""
        self.evaluate_start()
        self.network.theta[...] = self._good_theta
        self.optimizer.load_state(self._good_opt)
        restored = self.evaluate()
        self.history.set_last(epoch=self.epoch, step=self.step, **restored)
        self.divergence = {"step": self.step, "epoch": self.epoch, "lr": self.config.lr,
                           "reason": reason,
                           "loss": None if loss is None or not math.isfinite(loss) else float(loss),
                           "reference": self._reference, "start_loss": self._start_loss,
                           "bound": EXPLODE_FACTOR * self._reference if self._reference else None,
                           "restored_step": self._good_step,
                           "restored_loss": float(restored["train_loss"])}
        self.stop_reason = "diverged"
        self._exploded_epochs = 0
        self._shuffle()

    def _end_epoch(self) -> str | None:
        self.evaluate_start()  # row 0 comes before the first epoch's row
        self.running_loss.clear()
        m = self.evaluate()
        loss = m["train_loss"]
        if not (math.isfinite(loss) and np.isfinite(self.network.theta).all()):
            self._diverged("non-finite", loss)
            return "diverged"
        self.epoch += 1
        exploded = bool(self._reference) and loss > EXPLODE_FACTOR * self._reference
        self._exploded_epochs = self._exploded_epochs + 1 if exploded else 0
        last = self.config.max_epochs is not None and self.epoch >= self.config.max_epochs
        if exploded and (self._exploded_epochs >= EXPLODE_EPOCHS or last):
            # Sustained, or the run ends here: either way its weights are not a result.
            # The epoch's row is what happened (the loss the message quotes);
            # the restored weights are described by ``history.last``, not by a row.
            self.history.append(epoch=self.epoch, step=self.step, **m)
            self._diverged("exploded", loss)
            return "diverged"
        self.history.append(epoch=self.epoch, step=self.step, **m)  # a climb shows on the curve
        if not exploded:
            self._mark_good()
        self._shuffle()
        return self.optimizer.end_epoch(len(self.data.X_train)) or self._stop_rule()

    def run(self, steps: int) -> str | None:
        """Run up to ``steps`` mini-batch steps.

        Returns the stop reason ("max_epochs", "loss_target", "diverged", or
        the optimizer's own: "converged" for the perceptron rule after an
        epoch without a mistake) or None when the chunk simply ended. A run
        stopped by a stop rule does nothing until the rule is changed; a
        converged one runs one more epoch (without a mistake it changes
        nothing) and stops again.
        """
        self.stop_reason = self._stop_rule()
        if self.stop_reason:
            return self.stop_reason
        self.divergence = None
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported, not warned
            if self._reference is None and self._start is None:
                self._reference = self._reference_loss()
            return self._steps(steps)

    def _steps(self, steps: int) -> str | None:
        net, cfg, d = self.network, self.config, self.data
        X, Y, n = d.X_train, d.Y_train, len(d.X_train)
        theta, grad, nw = net.theta, net.grad, net.n_weights
        bs, opt, timeline = self.batch_size, self.optimizer, self.timeline
        running = self.running_loss if -(-n // bs) >= RUNNING_LOSS_STEPS and not opt.from_errors else None
        full = net.plan(bs)
        for _ in range(steps):
            idx = self.last_batch = self._perm[self._pos:self._pos + bs]
            self._pos += bs
            plan = full if len(idx) == bs else net.plan(len(idx))
            X.take(idx, axis=0, out=plan.x)
            Y.take(idx, axis=0, out=plan.y)
            if opt.from_errors:  # a rule of its own (the perceptron's), not the loss's gradient
                opt.learn(plan, net, cfg)
            else:
                plan.train_step()
                if cfg.l2:
                    np.multiply(theta[:nw], cfg.l2, out=self._tmp_w)
                    grad[:nw] += self._tmp_w
                if cfg.l1:
                    np.sign(theta[:nw], out=self._tmp_w)
                    self._tmp_w *= cfg.l1
                    grad[:nw] += self._tmp_w
                opt.step(theta, grad, cfg)
                if running is not None:
                    running.add(plan.loss_value())
            self.step += 1
            reason = self._end_epoch() if self._pos >= n else None
            if timeline is not None and not self.step % timeline.stride:
                timeline.record(self)
            if reason:
                self.stop_reason = reason
                return reason
        if not np.isfinite(theta).all():
            self._diverged("non-finite", None)
            return "diverged"
        return None

    def run_epochs(self, epochs: int) -> str | None:
        """Run whole epochs (a convenience for scripts and tests)."""
        target = self.epoch + epochs
        reason = None
        while self.epoch < target and reason is None:
            reason = self.run(self.steps_to_epoch_end)
        return reason

    def snapshot(self, since: int = 0) -> Snapshot:
        theta = self.network.theta.copy()
        return Snapshot(self.step, self.epoch, theta, self.network.unflatten(theta),
                        self.history.arrays(since), since, self.metric_name,
                        self.stop_reason, None if self.divergence is None else dict(self.divergence))
