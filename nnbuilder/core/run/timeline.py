"""A run's timeline: moments of training kept to look back at and rewind to.

A :class:`Moment` is everything a :class:`~nnbuilder.core.engine.trainer.Trainer`
needs to continue exactly from a step: the weights, the optimizer's state,
the random generator's state (it shuffles and drops out), the shuffle of the
current epoch and the position in it, the counters, the newest history row
and the divergence guard's state (the last good weights and optimizer state,
the reference loss, the count of exploded epochs). :func:`restore` puts one
back, so that continuing reproduces the original run bit for bit as long as
the settings are the same (the settings are the user's *now*: rewinding to
try another learning rate is the point).

A :class:`Timeline` keeps moments at every ``stride``-th step. When it holds
``capacity`` moments (:data:`MAX_MOMENTS`), or the next one would take it
over ``max_bytes`` (:data:`MAX_BYTES`), ``stride`` doubles and every moment
off the new grid goes: the moments stay evenly spaced from the first step
to within one stride of the newest, at least half of ``capacity`` of them
once full, whatever the run's length. The bound on memory is
``max_bytes`` (the arrays of the kept moments, counted by
:attr:`Timeline.nbytes`; the rest of a moment is a few hundred bytes of
numbers). A moment costs ``8 (2 + 2k) n`` bytes for ``n`` parameters and an
optimizer keeping ``k`` vectors (sgd 1, rmsprop 1, adam 2): a playground
network of 100 parameters with Adam takes 4.8 kB, 500 moments 2.4 MB; one
of 100,000 parameters with Adam takes 4.8 MB a moment and keeps 13 moments
in 64 MB. A network whose one moment needs more than half of ``max_bytes``
keeps none (:attr:`Timeline.too_large`).

The epoch's shuffle is not stored: the trainer remembers the generator's
state it was drawn from (``_perm_state``), and :func:`restore` draws it
again, so a moment's size does not grow with the data.

The trainer records through :meth:`Timeline.record` after each step on the
stride (``trainer.timeline``; None keeps nothing and costs nothing).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

__all__ = ["MAX_MOMENTS", "MAX_BYTES", "Moment", "MomentWeights", "Timeline", "capture", "restore",
           "TIMELINE_COLUMNS", "row_name"]

#: Moments kept at most (at least half as many once the run is that long).
MAX_MOMENTS = 500
#: The bytes the kept moments' arrays may take.
MAX_BYTES = 64 * 2 ** 20
#: The columns of :meth:`Timeline.table`.
TIMELINE_COLUMNS = ("step", "epoch", "at", "train_loss")


def row_name(epoch: int) -> str:
    """Which history row a loss is of, said beside it where the weights on
    screen went on past it (a moment or a pause inside an epoch): "the start"
    (row 0) or "end of epoch 19"."""
    return "the start" if epoch == 0 else f"end of epoch {epoch:,}"


def _nbytes(value) -> int:
    """Bytes of the arrays in ``value`` (nested dicts, lists and tuples)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    return 0


@dataclass(frozen=True)
class Moment:
    """A trainer's state after ``step`` steps; nothing in it is written to again."""

    step: int
    epoch: int
    at: float  # epochs: ``epoch`` plus the share of this epoch's samples already seen
    train_loss: float  # of the newest history row then (the last epoch's end)
    theta: np.ndarray  # the weights and biases, flat
    optimizer: str  # the optimizer's name, and its state
    opt_state: dict
    rng_state: dict  # the generator's state (it shuffles and drops out)
    perm_state: dict  # the generator's state when this epoch's shuffle was drawn
    pos: int  # samples of this epoch already seen
    last_row: dict  # the history's newest row
    good_theta: np.ndarray  # the divergence guard: what a divergence goes back to
    good_opt: dict
    good_step: int
    reference: float | None
    exploded_epochs: int
    start_loss: float | None = None  # the loss the reference was measured at

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays this moment holds."""
        return self.theta.nbytes + self.good_theta.nbytes + _nbytes(self.opt_state) + \
            _nbytes(self.good_opt)


@dataclass(frozen=True)
class MomentWeights:
    """What the window shows of a moment: where it is and its weights
    (``{node_id: (W, b or None)}``, fresh arrays)."""

    step: int
    epoch: int
    at: float
    train_loss: float
    weights: dict
    slopes: dict = field(default_factory=dict)  # {node_id: alpha (units,)} of the prelu layers


def capture(trainer) -> Moment:
    """A :class:`Moment` of ``trainer`` now."""
    n = len(trainer.data.X_train)
    last = dict(trainer.history.last)
    return Moment(
        step=trainer.step, epoch=trainer.epoch, at=trainer.epoch + trainer._pos / n,
        train_loss=float(last.get("train_loss", math.nan)), theta=trainer.network.theta.copy(),
        optimizer=trainer._optimizer_name, opt_state=trainer.optimizer.state(),
        rng_state=trainer.rng.bit_generator.state, perm_state=trainer._perm_state,
        pos=trainer._pos, last_row=last, good_theta=trainer._good_theta.copy(),
        good_opt=trainer._good_opt, good_step=trainer._good_step, reference=trainer._reference,
        exploded_epochs=trainer._exploded_epochs, start_loss=trainer._start_loss)


def restore(trainer, moment: Moment) -> None:
    """Put ``trainer`` back to ``moment`` (of the same network and data).

    The settings (:attr:`Trainer.config`, the loss) stay as they are now; an
    optimizer other than the moment's starts with fresh state. The history
    loses its rows after the moment."""
    trainer.running_loss.clear()
    trainer.network.theta[...] = moment.theta
    trainer.rng.bit_generator.state = moment.rng_state
    trainer.step, trainer.epoch, trainer._pos = moment.step, moment.epoch, moment.pos
    trainer._perm_state = moment.perm_state
    shuffler = np.random.default_rng()
    shuffler.bit_generator.state = moment.perm_state
    trainer._perm = shuffler.permutation(len(trainer.data.X_train))  # as it was drawn then
    np.copyto(trainer._good_theta, moment.good_theta)
    if moment.optimizer == trainer._optimizer_name:
        trainer.optimizer.load_state(moment.opt_state)
        trainer._good_opt = moment.good_opt  # read only (load_state copies from it)
    else:  # the optimizer changed since: as update_config does, it starts afresh
        trainer.optimizer = trainer._make_optimizer(trainer._optimizer_name, trainer.network,
                                                    trainer.data)
        trainer._good_opt = trainer.optimizer.state()
    trainer._good_step = moment.good_step
    trainer._reference, trainer._exploded_epochs = moment.reference, moment.exploded_epochs
    trainer._start_loss = moment.start_loss
    trainer.history.drop_after(moment.step, dict(moment.last_row))
    trainer.stop_reason = trainer.divergence = None


class Timeline:
    """Moments of one run (of one network and data), evenly thinned; see the module docstring."""

    def __init__(self, capacity: int = MAX_MOMENTS, max_bytes: int = MAX_BYTES, stride: int = 1):
        """``stride``: the first grid (a caller that knows the run's length
        picks one that keeps it from thinning)."""
        self.capacity = max(2, capacity)
        self.max_bytes = max_bytes
        self.moments: list[Moment] = []
        self.stride = self._first_stride = max(1, int(stride))
        self.nbytes = 0
        self.too_large = False

    def __len__(self) -> int:
        return len(self.moments)

    def clear(self) -> None:
        """Forget every moment (another network or other data: they no longer fit)."""
        self.moments, self.stride, self.nbytes, self.too_large = [], self._first_stride, 0, False

    def record(self, trainer) -> None:
        """Keep a moment of ``trainer`` now if its step is on the grid and
        newer than the newest kept (the first moment is always kept)."""
        step = trainer.step
        if self.moments and (step <= self.moments[-1].step or step % self.stride):
            return
        if self.too_large or not np.isfinite(trainer.network.theta).all():
            return  # a diverging step is no place to continue from
        # Thin first when full, so a moment off the new grid is never captured.
        while len(self.moments) >= self.capacity:
            self._thin()
            if step % self.stride:
                return
        moment = capture(trainer)
        if 2 * moment.nbytes > self.max_bytes:
            self.clear()
            self.too_large = True
            return
        while self.nbytes + moment.nbytes > self.max_bytes:  # (another optimizer keeps more)
            self._thin()
            if step % self.stride:
                return
        self.moments.append(moment)
        self.nbytes += moment.nbytes

    def fill_start(self, row: dict) -> None:
        """History row 0 evaluated after the moments that came before it (a
        trainer's ``evaluate_start``): those moments, whose newest row was
        the step-0 row still without numbers, get its numbers."""
        def waiting(m: Moment) -> bool:
            return m.last_row.get("step") == 0 and math.isnan(m.last_row.get("train_loss", 0.0))
        self.moments = [replace(m, train_loss=float(row["train_loss"]), last_row=dict(row)) if waiting(m) else m
                        for m in self.moments]

    def _thin(self) -> None:
        self.stride *= 2
        self.moments = [m for m in self.moments if m.step % self.stride == 0]
        self.nbytes = sum(m.nbytes for m in self.moments)

    def find(self, step: int) -> Moment:
        """The moment kept at ``step``; ValueError if none is."""
        for m in self.moments:
            if m.step == step:
                return m
        raise ValueError(f"the timeline keeps no moment at step {step:,} (it keeps "
                         f"{len(self.moments)} moments, every {self.stride:,} steps)")

    def nearest(self, step: int) -> Moment | None:
        """The kept moment closest to ``step`` (None when none is kept)."""
        if not self.moments:
            return None
        return min(self.moments, key=lambda m: (abs(m.step - step), m.step))

    def rewind(self, trainer, step: int) -> Moment:
        """Restore ``trainer`` to the moment at ``step`` and forget the moments after it."""
        moment = self.find(step)
        row = trainer.evaluate_start()  # a deferred row 0 is of the start: evaluated before going back
        if row is not None:
            self.fill_start(row)
            moment = self.find(step)
        restore(trainer, moment)
        trainer.last_batch = None  # the rows of a step after this moment: not this run's any more
        self.moments = [m for m in self.moments if m.step <= step]
        self.nbytes = sum(m.nbytes for m in self.moments)
        return moment

    def weights(self, step: int, network) -> MomentWeights | None:
        """The nearest kept moment to ``step``, as the window shows it; None when none is kept."""
        m = self.nearest(step)
        if m is None:
            return None
        theta = m.theta.copy()
        return MomentWeights(m.step, m.epoch, m.at, m.train_loss, network.unflatten(theta),
                             network.unflatten_slopes(theta))

    def table(self) -> np.ndarray:
        """The kept moments, one row each: :data:`TIMELINE_COLUMNS` ``(len, 4)``, float64."""
        return np.array([(m.step, m.epoch, m.at, m.train_loss) for m in self.moments],
                        dtype=float).reshape(-1, len(TIMELINE_COLUMNS))
