"""What a live run shows: :class:`LiveSnapshot`, built by one pure function,
and :class:`SnapshotBox`, the one-slot mailbox snapshots travel through.

:func:`build_snapshot` reads a trainer and returns fresh arrays nobody writes
to again; it computes only the ``parts`` the next frame draws. The training
loop (:mod:`nnbuilder.core.run.worker`) decides *when* to build one.
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field

import numpy as np

from ..engine.network import Network
from ..engine.config import TrainConfig
from ..engine.trainer import Trainer
from .classreport import ClassReport, class_report

__all__ = ["LiveSnapshot", "SnapshotBox", "build_snapshot", "error_snapshot", "ALL_PARTS"]

ALL_PARTS = frozenset({"stats", "confusion", "timeline"})


@dataclass(frozen=True)
class LiveSnapshot:
    serial: int
    generation: int  # bumps when the run restarts (reset), so plots can clear
    step: int
    epoch: int
    elapsed: float  # seconds spent training
    steps_per_sec: float
    running: bool
    weights: dict  # {node_id: (W, b or None)}
    stats: dict  # {node_id: {"w_norm", "g_norm", "hist", "edges"}}
    rows: list  # history rows added since the previously *taken* snapshot
    last: dict  # the newest history row
    metric_name: str
    config: TrainConfig
    confusion: np.ndarray | None = None  # (classes, classes) on the test set (train if none)
    report: ClassReport | None = None  # per class scores and the rows missed (confusion is its counts)
    stop_reason: str | None = None
    divergence: dict | None = None
    error: str | None = None
    events: list = field(default_factory=list)  # messages for the status bar
    applied: int = 0  # commands the run had applied: compare with the host's ``sent``
    # The run's timeline (core/run/timeline.py): its kept moments, one row each of
    # TIMELINE_COLUMNS (step, epoch, at, train_loss), and a moment asked for
    # with FetchMoment (a MomentWeights); None when not part of this snapshot.
    timeline: np.ndarray | None = None
    moment: object | None = None
    # SGD's samples, as dataset rows (0-based), while paused with a batch
    # smaller than the training rows: the rows the last step drew and the
    # ones the next step will draw; None otherwise.
    last_rows: np.ndarray | None = None
    next_rows: np.ndarray | None = None
    blas_threads: int = 1  # the BLAS threads the run trains with (as the BLAS library says)
    slopes: dict = field(default_factory=dict)  # {node_id: alpha (units,)} of the prelu layers
    # The epoch running: the mean data loss of its last training batches and
    # how many (the trainer's RunningLoss), or None when it keeps none.
    running_loss: tuple[float, int] | None = None

    @property
    def start_pending(self) -> bool:
        """The starting weights' loss (history row 0) is not evaluated yet: a
        big run evaluates it after its first steps or a moment at rest, and
        then publishes it without a command (so a window must keep looking)."""
        return (self.error is None and self.last.get("step", 0) == 0
                and not np.isfinite(self.last.get("train_loss", np.nan)))

    @property
    def weights_step(self) -> int:
        """The step whose weights :attr:`weights` are: after a divergence the
        restored ones' (``step`` counts the steps taken, up to the climb)."""
        d = self.divergence
        return int(d["restored_step"]) if d and d.get("restored_step") is not None else self.step


def build_snapshot(trainer: Trainer, parts=ALL_PARTS, **status) -> LiveSnapshot:
    """A snapshot of ``trainer`` now, with only ``parts`` (of :data:`ALL_PARTS`)
    computed and the rest empty.

    ``status`` gives the fields the trainer does not know (``serial``,
    ``generation``, ``elapsed``, ``steps_per_sec``, ``running``, ``rows``,
    ``events``, ``error``, ``applied``, ``moment``, ``blas_threads``). Reads the trainer, writes
    nothing.
    """
    net = trainer.network
    report, stats = None, {}
    with np.errstate(all="ignore"):
        if "stats" in parts:
            stats = layer_stats(net)
        if "confusion" in parts:
            report = class_report(net.predict, trainer.data, net.loss.threshold)
    div = trainer.divergence
    d, rows = trainer.data, {}
    if not status.get("running") and d.rows_train is not None and trainer.batch_size < len(d.X_train):
        rows["next_rows"] = d.rows_train[trainer.next_batch()]
        if trainer.last_batch is not None:
            rows["last_rows"] = d.rows_train[trainer.last_batch]
    timeline = trainer.timeline
    if "timeline" in parts and timeline is not None:
        status.setdefault("timeline", timeline.table())
    theta = net.theta.copy()
    running = trainer.running_loss
    return LiveSnapshot(
        step=trainer.step, epoch=trainer.epoch, weights=net.unflatten(theta),
        slopes=net.unflatten_slopes(theta),
        running_loss=(running.mean(), running.count) if running.count else None,
        stats=stats, last=dict(trainer.history.last), metric_name=trainer.metric_name,
        config=TrainConfig(**trainer.config.to_dict()),
        confusion=None if report is None else report.confusion, report=report, stop_reason=trainer.stop_reason,
        divergence=None if div is None else dict(div), **rows, **status)


def error_snapshot(error: str) -> LiveSnapshot:
    """What a run that could not even start shows."""
    return LiveSnapshot(serial=1, generation=0, step=0, epoch=0, elapsed=0.0, steps_per_sec=0.0,
                        running=False, weights={}, stats={}, rows=[], last={}, metric_name="",
                        config=TrainConfig(), error=error)


class SnapshotBox:
    """The newest snapshot not yet taken, filled by one thread, taken by another.

    A snapshot put over an untaken one replaces it but inherits its history
    rows and its events (of the same generation: a restarted run's old rows
    and news are not its own), so dropping stale snapshots loses no row. Used
    wherever snapshots wait: in the thread host, in the worker process before
    sending, and in the GUI process after receiving.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._pending: LiveSnapshot | None = None
        self._newest: LiveSnapshot | None = None
        self._closed = False

    def put(self, snap: LiveSnapshot) -> None:
        with self._cond:
            old = self._pending
            if old is not None:
                same = old.generation == snap.generation
                rows = old.rows + snap.rows if same else snap.rows
                # A timeline or moment nobody took stays until a newer one (of this generation).
                keep = {k: getattr(old, k) for k in ("timeline", "moment")
                        if same and getattr(snap, k) is None}
                events = old.events + snap.events if same else snap.events  # an older run's news is not this one's
                snap = dataclasses.replace(snap, rows=rows, events=events, **keep)
            self._pending = self._newest = snap
            self._cond.notify_all()

    def take(self) -> LiveSnapshot | None:
        """The newest snapshot not yet taken (with every row since the last take), or None."""
        with self._cond:
            snap, self._pending = self._pending, None
            return snap

    def wait_take(self) -> LiveSnapshot | None:
        """Like :meth:`take`, but wait for one; None once closed."""
        with self._cond:
            while self._pending is None and not self._closed:
                self._cond.wait()
            snap, self._pending = self._pending, None
            return snap

    def peek(self) -> LiveSnapshot | None:
        """The newest snapshot, taken or not."""
        with self._cond:
            return self._newest

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


def layer_stats(network: Network, grad: np.ndarray | None = None, bins: int = 30) -> dict:
    """Per weighted layer: weight and gradient norms and a weight histogram.

    ``grad`` is a vector laid out like ``network.theta`` (default: the last
    computed gradient). Returns ``{node_id: {"w_norm", "g_norm", "hist",
    "edges"}}`` with fresh arrays.
    """
    grads = network.unflatten(network.grad if grad is None else grad)
    out = {}
    for nid, (W, _) in network.params.items():
        gW = grads[nid][0]
        lim = float(np.abs(W).max()) or 1.0
        hist, edges = np.histogram(W, bins=bins, range=(-lim, lim))
        out[nid] = {"w_norm": float(np.linalg.norm(W)), "g_norm": float(np.linalg.norm(gW)),
                    "hist": hist, "edges": edges}
    return out
