"""The commands a live run understands, and what describes a run.

A host (:mod:`nnbuilder.core.run.live`) turns each call (``play()``,
``set_weight(...)``) into one small frozen dataclass below and sends it; the
run applies them in order with :func:`nnbuilder.core.run.worker.apply`, so the
last command of a kind wins. The thread host hands the objects over as they
are; the process host pickles them, after replacing training data the worker
already holds by a :class:`DataRef` (see :class:`DataStore`).
"""
from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from dataclasses import dataclass, fields, is_dataclass

import numpy as np

from ..model.graph import Graph
from ..engine.network import Network
from ..engine.traindata import TrainData
from ..engine.config import TrainConfig
from ..engine.trainer import Trainer

__all__ = ["RunSpec", "Command", "Play", "Pause", "Step", "StepEpoch", "SetSpeed",
           "UpdateConfig", "SetLoss", "SetWeight", "StepOn", "Replace", "Reset",
           "RequestSnapshot", "FetchMoment", "Rewind", "Quit", "Start", "ShareData", "DataRef", "DataStore", "data_key"]


@dataclass(frozen=True)
class DataRef:
    """Training data the worker already holds, by :func:`data_key`."""

    key: str


@dataclass
class RunSpec:
    """Everything needed to build a training run, in picklable form (the
    window evaluates the output view and neuron maps itself: the run only trains)."""

    graph: dict  # Graph.to_dict()
    data: TrainData | DataRef
    config: TrainConfig
    seed: int = 0
    keep: dict | None = None  # {node_id: {"W", "b"}} to start from

    def network(self) -> Network:
        return Network(Graph.from_dict(self.graph))

    def trainer(self) -> Trainer:
        return Trainer(self.network(), self.data, self.config, self.seed, keep=self.keep)


class Command:
    """Base of the commands; each is applied between training chunks."""


@dataclass(frozen=True)
class Play(Command):
    pass


@dataclass(frozen=True)
class Pause(Command):
    pass


@dataclass(frozen=True)
class Step(Command):
    """Run exactly ``steps`` more steps, then stay paused."""

    steps: int = 1


@dataclass(frozen=True)
class StepOn(Command):
    """One plain gradient-descent step on these dataset rows (0-based; training
    rows of the run), with the learning rate as typed: the lecture's update."""

    rows: tuple[int, ...]


@dataclass(frozen=True)
class StepEpoch(Command):
    """Run to the end of the current epoch."""


@dataclass(frozen=True)
class SetSpeed(Command):
    steps_per_sec: float | None  # None: as fast as possible


@dataclass(frozen=True)
class UpdateConfig(Command):
    """Hyperparameters for the next chunk; weights are kept."""

    changes: dict


@dataclass(frozen=True)
class SetLoss(Command):
    name: str


@dataclass(frozen=True)
class SetWeight(Command):
    node_id: str
    row: int | None  # None: the bias b[col]
    col: int
    value: float


@dataclass(frozen=True)
class Replace(Command):
    """Carry on with an edited network and/or new data (the config stays):
    pauses unless ``resume``, keeps the weights of every layer whose shape
    did not change (``spec.keep``, or the run's own when None)."""

    spec: RunSpec
    resume: bool = False


@dataclass(frozen=True)
class Reset(Command):
    """Start over from ``spec`` (a new generation)."""

    spec: RunSpec


@dataclass(frozen=True)
class RequestSnapshot(Command):
    """Build a snapshot with only ``parts`` at the end of the current chunk
    (a paused run answers with a full one). Asking changes nothing in the run."""

    parts: frozenset


@dataclass(frozen=True)
class FetchMoment(Command):
    """Send the weights of the timeline's moment nearest ``step`` with the
    next snapshot (``LiveSnapshot.moment``, a
    :class:`~nnbuilder.core.run.timeline.MomentWeights`). The kept moments
    themselves (step, epoch, loss) come with every full snapshot
    (``LiveSnapshot.timeline``; the part "timeline")."""

    step: int


@dataclass(frozen=True)
class Rewind(Command):
    """Go back to the timeline's moment at ``step``: its weights, optimizer
    and random state and counters, so training on repeats the run from there
    (with the settings of now). The history and the moments after it are
    dropped; pauses; a new generation (rows of the old one are not the new one's)."""

    step: int


@dataclass(frozen=True)
class Quit(Command):
    pass


# ------------------------------------------- transport (process host only)
@dataclass(frozen=True)
class Start:
    """The first message to a worker process: the run to build."""

    spec: RunSpec


@dataclass(frozen=True)
class ShareData:
    """Training data sent once, under ``key``."""

    key: str
    data: TrainData


def data_key(data: TrainData) -> str:
    """A digest of the content of ``data``: equal data, equal key."""
    h = hashlib.blake2b(digest_size=16)

    def feed(value):
        if isinstance(value, np.ndarray):
            a = np.ascontiguousarray(value)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(pickle.dumps(a) if a.dtype.hasobject else a.reshape(-1).view(np.uint8))
        elif isinstance(value, tuple):
            h.update(b"(")
            for v in value:
                feed(v)
        else:
            h.update(repr(value).encode())
        h.update(b";")

    for f in fields(data) if is_dataclass(data) else ():
        feed(getattr(data, f.name))
    return h.hexdigest()


class DataStore:
    """The last ``capacity`` data sets by key, least recently used dropped.

    The process host keeps one (holding no data, only keys) and the worker
    keeps one; both see the same puts and gets in the same order, so the host
    knows exactly which data the worker still holds.
    """

    def __init__(self, capacity: int = 4):
        self.capacity = capacity
        self._items: OrderedDict = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def get(self, key: str):
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: str, value) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
