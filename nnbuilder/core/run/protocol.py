"""The commands a live run understands, and what describes a run.

A host (:mod:`nnbuilder.core.run.live`) turns each call (``play()``,
``set_weight(...)``) into one small frozen dataclass below and sends it; the
run applies them in order with :func:`nnbuilder.core.run.worker.apply`, so the
last command of a kind wins. The thread host hands the objects over as they
are; the process host pickles them, after replacing training data the worker
already holds by a :class:`DataRef` (see :class:`DataStore`). New training
data goes once, as a file the worker maps (:class:`MappedData`), never
through the pipe: only its description is pickled.
"""
from __future__ import annotations

import dataclasses
import hashlib
import mmap
import os
import pickle
import tempfile
import weakref
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
           "RequestSnapshot", "FetchMoment", "Rewind", "Quit", "Start", "ShareData", "DataRef", "DataStore", "data_key",
           "MappedData", "data_bytes", "shared_empty", "let_go", "MAP_BYTES"]


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

    def trainer(self, defer_start: bool = False) -> Trainer:
        return Trainer(self.network(), self.data, self.config, self.seed, keep=self.keep,
                       defer_start=defer_start)


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
    """Training data sent once, under ``key``: the data itself (small), or
    the file it was written to (:class:`MappedData`)."""

    key: str
    data: "TrainData | MappedData"


_ALIGN = 64
#: Data of at least this many bytes goes to the worker as a mapped file, not pickled.
MAP_BYTES = 1 << 20


def data_bytes(data: TrainData) -> int:
    """The bytes of the arrays of ``data``."""
    return sum(v.nbytes for f in fields(data) if isinstance(v := getattr(data, f.name), np.ndarray))


def _shared_folder() -> str:
    """Memory-backed files where there are (/dev/shm), else the temporary folder."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()


#: id of each array :func:`shared_empty` made -> (a weak reference to it, its file, the finalizer removing it)
_SHARED: dict[int, tuple] = {}


def shared_empty(shape, dtype) -> np.ndarray:
    """A new array (not filled) whose memory is the pages of a new file in
    the memory-backed folder, mapped: a worker given its
    :meth:`MappedData.sharing` maps these very pages, so the data is held
    once for both processes. The file goes with the array (and its views),
    or at exit. Where the folder cannot hold it, an ordinary array."""
    dt = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if nbytes == 0:
        return np.empty(shape, dt)
    fd, path = tempfile.mkstemp(prefix="nnbuilder-data-", suffix=".bin", dir=_shared_folder())
    try:
        try:  # the pages reserved now: a full folder is an error here, never a fault on writing
            os.posix_fallocate(fd, 0, nbytes)
        except AttributeError:  # no posix_fallocate on this system
            os.ftruncate(fd, nbytes)
        buf = mmap.mmap(fd, nbytes)
    except OSError:
        os.close(fd)
        os.unlink(path)
        return np.empty(shape, dt)
    os.close(fd)
    base = np.frombuffer(buf, dtype=dt)
    _own(base, path)
    return base.reshape(shape)


def _own(base: np.ndarray, path: str) -> None:
    """``base`` (a whole mapping of the file ``path``) known as shared; the file goes with it."""
    _SHARED[id(base)] = (weakref.ref(base), path, weakref.finalize(base, _unshare, id(base), path))


def _unshare(ident: int, path: str) -> None:
    _SHARED.pop(ident, None)
    try:
        os.unlink(path)
    except OSError:
        pass


def let_go(data: TrainData) -> TrainData:
    """``data`` as this process keeps it once its feature rows are made in a
    :func:`shared_empty` file (:meth:`MappedData.sharing`): the same data
    with X_train and X_test the same file mapped afresh, read-only, and the
    pages they were written through unmapped. Shared-memory pages count
    for a process only once it touches them, so the process that made the
    rows holds none of them (the worker maps and reads them all) until it
    reads some rows itself. Its :func:`data_key` is computed here, from the
    rows as made, and kept: hashing never pages them back in. Data whose
    rows are not such a file comes back as it is, made read-only."""
    X = (data.X_train, data.X_test)
    for a in X:
        a.flags.writeable = False
    if MappedData.sharing(data) is None:
        return data
    key = data_key(data)
    base = X[0].base
    ident, (_, path, finalizer) = id(base), _SHARED[id(base)]
    with open(path, "rb") as fh:
        fresh = np.frombuffer(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ), dtype=base.dtype)
    finalizer.detach()  # the file goes with the fresh mapping now, not with the old one
    _SHARED.pop(ident, None)
    _own(fresh, path)
    start = base.__array_interface__["data"][0]
    views = {}
    for name, a in zip(("X_train", "X_test"), X):
        lo = (a.__array_interface__["data"][0] - start) // base.itemsize
        views[name] = fresh[lo:lo + a.size].reshape(a.shape)
    kept = dataclasses.replace(data, **views)
    _KEYS[id(kept)] = (weakref.ref(kept), key)
    weakref.finalize(kept, _KEYS.pop, id(kept), None)
    return kept


def release(*arrays: np.ndarray) -> None:
    """Let go of the pages of shared feature rows (``arrays``, e.g. a
    :class:`TrainData`'s X_train and X_test) that this process has read:
    they stay in the file and come back if read again. A view that read
    every row (a moment's loss, a full-batch preview, the loss surface, the
    Mistakes view) leaves the window holding its table once, not beside the
    worker's features too. Only files :func:`shared_empty` made are let go
    of (their pages are the file's, never lost); other arrays are left as
    they are."""
    done = set()
    for base in arrays:
        while isinstance(base, np.ndarray) and id(base) not in _SHARED and base.base is not None:
            base = base.base
        entry = _SHARED.get(id(base))
        if entry is None or entry[0]() is not base or id(base) in done:
            continue
        done.add(id(base))
        buf = base.base.obj if isinstance(base.base, memoryview) else base.base
        if isinstance(buf, mmap.mmap) and hasattr(buf, "madvise"):
            try:
                buf.madvise(mmap.MADV_DONTNEED)
            except (OSError, ValueError):  # a closed mapping, or a system without it: the pages stay
                pass


@dataclass(frozen=True)
class MappedData:
    """A :class:`TrainData` whose arrays were written to the file ``path``
    (``arrays``: field name to (offset, dtype, shape)); ``rest`` holds the
    other fields. The receiver maps the file read-only and removes it
    (:meth:`load`): the arrays are then the file's pages, not a copy. A file
    the sender ``keep``s (:meth:`sharing`: its own data's pages) is the
    sender's to remove."""

    path: str
    arrays: dict
    rest: dict
    keep: bool = False

    @classmethod
    def sharing(cls, data: TrainData) -> "MappedData | None":
        """The file ``data``'s feature rows already are (X_train and X_test
        rows of one :func:`shared_empty` array, as :meth:`TrainData.steps`
        makes them with it), described with the sender keeping it; None
        when they are not."""
        X = (data.X_train, data.X_test)
        base = X[0].base
        known = _SHARED.get(id(base)) if base is not None else None
        if known is None or known[0]() is not base or \
                not all(a.base is base and a.flags.c_contiguous for a in X):
            return None
        start = base.__array_interface__["data"][0]
        arrays = {name: (a.__array_interface__["data"][0] - start, a.dtype.str, a.shape)
                  for name, a in zip(("X_train", "X_test"), X)}
        rest = {f.name: getattr(data, f.name) for f in fields(data) if f.name not in arrays}
        return cls(known[1], arrays, rest, keep=True)

    @classmethod
    def write(cls, data: TrainData, folder: str | None = None) -> "MappedData":
        """Write the arrays of ``data`` to a new file (in ``folder``, by default
        memory-backed) and describe it."""
        fd, path = tempfile.mkstemp(prefix="nnbuilder-data-", suffix=".bin", dir=folder or _shared_folder())
        arrays, rest, offset = {}, {}, 0
        try:
            with os.fdopen(fd, "wb") as fh:
                for f in fields(data):
                    v = getattr(data, f.name)
                    if not isinstance(v, np.ndarray) or v.dtype.hasobject:
                        rest[f.name] = v
                        continue
                    pad = -offset % _ALIGN
                    fh.write(b"\0" * pad)
                    offset += pad
                    a = np.ascontiguousarray(v)
                    arrays[f.name] = (offset, a.dtype.str, a.shape)
                    fh.write(memoryview(a.reshape(-1)).cast("B"))
                    offset += a.nbytes
        except BaseException:
            os.unlink(path)
            raise
        return cls(path, arrays, rest)

    def load(self) -> TrainData:
        """The data, its arrays mapped from the file (read-only); the file's
        name is removed unless the sender ``keep``s it (the mapping lives on
        until its arrays are dropped)."""
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        finally:
            if not self.keep:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
        values = dict(self.rest)
        for name, (offset, dtype, shape) in self.arrays.items():
            dt = np.dtype(dtype)
            count = int(np.prod(shape, dtype=np.int64))
            values[name] = np.frombuffer(buf, dtype=dt, count=count, offset=offset).reshape(shape) \
                if count else np.empty(shape, dtype=dt)
        return TrainData(**values)


#: id of data :func:`let_go` kept -> (a weak reference to it, its :func:`data_key`)
_KEYS: dict[int, tuple] = {}


def data_key(data: TrainData) -> str:
    """A digest of the content of ``data``: equal data, equal key (of data
    :func:`let_go` kept, the key it computed)."""
    known = _KEYS.get(id(data))
    if known is not None and known[0]() is data:
        return known[1]
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
    """The last ``capacity`` data sets by key, least recently used dropped,
    and older ones dropped while they hold more than ``budget`` bytes
    together (the newest is always kept).

    The process host keeps one (holding no data, only keys and sizes) and
    the worker keeps one; both see the same puts and gets in the same order,
    so the host knows exactly which data the worker still holds.
    """

    def __init__(self, capacity: int = 4, budget: int = 256 << 20):
        self.capacity, self.budget = capacity, budget
        self._items: OrderedDict = OrderedDict()
        self._sizes: dict[str, int] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def get(self, key: str):
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: str, value, nbytes: int = 0) -> None:
        self._items[key] = value
        self._sizes[key] = nbytes
        self._items.move_to_end(key)
        while len(self._items) > self.capacity or \
                (len(self._items) > 1 and sum(self._sizes[k] for k in self._items) > self.budget):
            old, _ = self._items.popitem(last=False)
            del self._sizes[old]
