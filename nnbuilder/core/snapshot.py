"""What a live run shows: :class:`LiveSnapshot`, built by one pure function,
and :class:`SnapshotBox`, the one-slot mailbox snapshots travel through.

:func:`build_snapshot` reads a trainer and returns fresh arrays nobody writes
to again; it computes only the ``parts`` the next frame draws. The training
loop (:mod:`nnbuilder.core.worker`) decides *when* to build one.
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field

import numpy as np

from .nodetypes import NODE_SPECS
from .losses import confusion_matrix
from .probe import layer_stats
from .protocol import View
from .config import TrainConfig
from .trainer import Trainer

__all__ = ["LiveSnapshot", "SnapshotBox", "build_snapshot", "evaluate_view", "error_snapshot",
           "MAX_MAP_UNITS", "ALL_PARTS"]

MAX_MAP_UNITS = 16  # layers up to this wide get per-neuron maps
ALL_PARTS = frozenset({"outputs", "maps", "stats", "confusion", "timeline"})


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
    outputs: np.ndarray | None  # network outputs over the grid, (n_points, n_outputs), float32
    neuron_maps: dict  # {node_id: (units, n_points)} over the neuron grid, float32
    config: TrainConfig
    confusion: np.ndarray | None = None  # (classes, classes) on the test set (train if none)
    stop_reason: str | None = None
    divergence: dict | None = None
    error: str | None = None
    events: list = field(default_factory=list)  # messages for the status bar
    applied: int = 0  # commands the run had applied: compare with the host's ``sent``
    view: View | None = None  # what the outputs and maps are over (None: explicit grids)
    # The run's timeline (core/timeline.py): its kept moments, one row each of
    # TIMELINE_COLUMNS (step, epoch, at, train_loss), and a moment asked for
    # with FetchMoment (a MomentWeights); None when not part of this snapshot.
    timeline: np.ndarray | None = None
    moment: object | None = None


def evaluate_view(net, grid_features: np.ndarray | None = None,
                  neuron_features: np.ndarray | None = None) -> tuple[np.ndarray | None, dict]:
    """What the output view and the neuron thumbnails show for ``net`` as it
    is: (outputs over ``grid_features`` ``(n_points, n_outputs)`` float32 or
    None, ``{node_id: (units, n_points)}`` float32 over ``neuron_features``,
    for layers of at most :data:`MAX_MAP_UNITS`). The worker and the window
    (which evaluates them itself, on its own core) both use this."""
    outputs, maps = None, {}
    with np.errstate(all="ignore"):
        if grid_features is not None:
            outputs = net.predict(grid_features).astype(np.float32)
        if neuron_features is not None:
            for nid, a in net.activations(neuron_features).items():
                if NODE_SPECS[net.nodes[nid].type].own_width and a.shape[1] <= MAX_MAP_UNITS:
                    maps[nid] = np.ascontiguousarray(a.T, dtype=np.float32)
    return outputs, maps


def build_snapshot(trainer: Trainer, parts=ALL_PARTS, grid_features: np.ndarray | None = None,
                   neuron_features: np.ndarray | None = None, **status) -> LiveSnapshot:
    """A snapshot of ``trainer`` now, with only ``parts`` (of :data:`ALL_PARTS`)
    computed and the rest empty.

    ``grid_features`` ``(n_points, n_features)`` are where the outputs are
    evaluated, ``neuron_features`` where the per-neuron maps are (None skips
    them). ``status`` gives the fields the trainer does not know (``serial``,
    ``generation``, ``elapsed``, ``steps_per_sec``, ``running``, ``rows``,
    ``events``, ``error``, ``applied``, ``view``). Reads the trainer, writes
    nothing.
    """
    net = trainer.network
    confusion, stats = None, {}
    with np.errstate(all="ignore"):
        if "stats" in parts:
            stats = layer_stats(net)
        if "confusion" in parts and trainer.data.task == "classification":
            d = trainer.data
            X, labels = (d.X_test, d.labels_test) if len(d.X_test) else (d.X_train, d.labels_train)
            confusion = confusion_matrix(net.predict(X), labels, d.n_classes, net.loss.threshold)
    outputs, maps = evaluate_view(net, grid_features if "outputs" in parts else None,
                                  neuron_features if "maps" in parts else None)
    div = trainer.divergence
    timeline = trainer.timeline
    if "timeline" in parts and timeline is not None:
        status.setdefault("timeline", timeline.table())
    return LiveSnapshot(
        step=trainer.step, epoch=trainer.epoch, weights=net.unflatten(net.theta.copy()),
        stats=stats, last=dict(trainer.history.last), metric_name=trainer.metric_name,
        outputs=outputs, neuron_maps=maps, config=TrainConfig(**trainer.config.to_dict()),
        confusion=confusion, stop_reason=trainer.stop_reason,
        divergence=None if div is None else dict(div), **status)


def error_snapshot(error: str) -> LiveSnapshot:
    """What a run that could not even start shows."""
    return LiveSnapshot(serial=1, generation=0, step=0, epoch=0, elapsed=0.0, steps_per_sec=0.0,
                        running=False, weights={}, stats={}, rows=[], last={}, metric_name="",
                        outputs=None, neuron_maps={}, config=TrainConfig(), error=error)


class SnapshotBox:
    """The newest snapshot not yet taken, filled by one thread, taken by another.

    A snapshot put over an untaken one replaces it but inherits its history
    rows (of the same generation: a restarted run's old rows are not its
    own) and its events, so dropping stale snapshots loses no row. Used
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
                snap = dataclasses.replace(snap, rows=rows, events=old.events + snap.events, **keep)
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
