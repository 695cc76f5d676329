"""Live training: a run in the background that takes commands and publishes snapshots.

Two hosts run the same loop (:func:`nnbuilder.core.run.worker.serve`) on the same
commands (:mod:`nnbuilder.core.run.protocol`) and differ only in transport:

- :class:`LiveTrainer` runs it on a thread of this process (tests, scripts);
- :class:`LiveProcess` runs it in a child process: a training thread shares
  the GIL with the GUI's painting (pyqtgraph paints in Python) and, measured
  here, both then ran at a fraction of their speed.

Callers send commands (:meth:`LiveHost.play`, ... or :meth:`LiveHost.send`)
and read :meth:`LiveHost.latest`: the newest
:class:`~nnbuilder.core.run.snapshot.LiveSnapshot`, made of fresh arrays nobody
writes to again, with every history row since the previous one. Snapshots
are built while training when the caller asks for the next one
(:meth:`LiveHost.request_snapshot`, with only the parts that frame draws),
and once whenever a command (or the end of a run) changed a paused run: a
caller that has a snapshot with ``applied == sent`` of a run not running has
seen everything and need not look again until it sends a command
(:attr:`LiveHost.on_send` tells it). Nothing here touches a widget.

Neither side of :class:`LiveProcess` ever blocks on a full pipe: in the GUI
process, ``send`` only puts the command on a queue that a sender thread
writes to the socket, and snapshots are read only when ``poll`` says they
are there; in the worker process, snapshots go out from their own thread
while the loop keeps training and reading commands, a newer snapshot
replacing an unsent one. Training data goes to the worker once, as a
file it maps (memory-backed where the system has /dev/shm; the worker removes
the name), or as the file the window's own data already is
(:meth:`MappedData.sharing`: both processes map the same pages, the window
removes it): a later ``replace``/``reset`` with equal data refers to it by key,
and the same data object is hashed only once.
"""
from __future__ import annotations

import atexit
import dataclasses
import os
import pickle
import queue
import socket
import subprocess
import threading
import traceback
import weakref
from multiprocessing.connection import Connection
from typing import Callable

from .protocol import (MAP_BYTES, DataRef, DataStore, FetchMoment, MappedData, Pause, Play, Quit, Replace, RequestSnapshot,
                       Reset, Rewind, RunSpec, SetLoss, SetSpeed, SetWeight, ShareData, Start, Step, StepOn,
                       StepEpoch, UpdateConfig, data_bytes, data_key)
from .snapshot import ALL_PARTS, LiveSnapshot, SnapshotBox, error_snapshot
from .worker import Run, Unreadable, machine_cores, queue_receiver, serve, serve_fd, worker_command

def worker_env() -> dict:
    """The worker's environment: BLAS may start a thread per core; the
    worker uses them only for large layers (see
    :func:`~nnbuilder.core.run.worker.blas_threads_for`), one otherwise."""
    cores = str(machine_cores())
    return {**os.environ, "OPENBLAS_NUM_THREADS": cores, "OMP_NUM_THREADS": cores, "MKL_NUM_THREADS": cores}

__all__ = ["MAP_BYTES", "LiveHost", "LiveTrainer", "LiveProcess", "DataStager", "SpareWorker", "LiveSnapshot", "RunSpec", "ALL_PARTS",
           "serve_fd"]


class LiveHost:
    """The commands of a live run; each method sends one command object.

    A host implements :meth:`_deliver` (hand one command on, never wait for
    the run) and keeps snapshots in ``self._box`` (a :class:`SnapshotBox`).
    ``sent`` counts the commands sent: a snapshot whose ``applied`` equals
    it reflects every one of them. ``on_send``, if set, is called after each
    command sent (a window that rests wakes up on it).
    """

    sent = 0
    on_send: Callable[[], None] | None = None
    _box: SnapshotBox

    def send(self, command) -> None:
        """Send one command; returns at once."""
        self.sent += 1
        self._deliver(command)
        if self.on_send is not None:
            self.on_send()

    def _deliver(self, command) -> None:
        raise NotImplementedError

    def play(self) -> None:
        self.send(Play())

    def pause(self) -> None:
        self.send(Pause())

    def step(self, steps: int = 1) -> None:
        """Run exactly ``steps`` steps, then stay paused."""
        self.send(Step(steps))

    def step_on(self, rows) -> None:
        """One plain gradient-descent step on dataset ``rows`` (0-based training rows)."""
        self.send(StepOn(tuple(int(r) for r in rows)))

    def step_epoch(self) -> None:
        """Run to the end of the current epoch."""
        self.send(StepEpoch())

    def set_speed(self, steps_per_sec: float | None) -> None:
        """Limit the training speed (None: as fast as possible)."""
        self.send(SetSpeed(steps_per_sec))

    def update_config(self, **changes) -> None:
        """Hyperparameters for the next chunk; weights are kept."""
        self.send(UpdateConfig(changes))

    def set_loss(self, name: str) -> None:
        self.send(SetLoss(name))

    def set_weight(self, node_id: str, row: int | None, col: int, value: float) -> None:
        """W[row, col] of ``node_id``, or with ``row`` None its bias b[col]."""
        self.send(SetWeight(node_id, row, col, value))

    def replace(self, spec: RunSpec, resume: bool = False) -> None:
        """An edited network or new data, same run and config; ``spec.keep``
        None keeps the run's current weights where shapes still fit."""
        self.send(Replace(spec, resume))

    def reset(self, spec: RunSpec) -> None:
        """Start over from ``spec`` (the snapshots' ``generation`` bumps)."""
        self.send(Reset(spec))

    def request_snapshot(self, parts=ALL_PARTS) -> None:
        """Ask for a snapshot at the end of the current chunk with only
        ``parts`` of :data:`ALL_PARTS` computed (the rest empty): a caller
        that draws them on alternate frames saves the worker time. A paused
        run answers with a full snapshot; asking changes nothing in the run."""
        self.send(RequestSnapshot(frozenset(parts)))

    def list_timeline(self) -> None:
        """Ask for the timeline's kept moments (``LiveSnapshot.timeline``: step,
        epoch, at, train_loss per row); every full snapshot of an idle run has them too."""
        self.request_snapshot({"timeline"})

    def fetch_moment(self, step: int) -> None:
        """Ask for the weights of the kept moment nearest ``step`` (``LiveSnapshot.moment``)."""
        self.send(FetchMoment(step))

    def rewind(self, step: int) -> None:
        """Go back to the kept moment at ``step`` and pause there (a new generation)."""
        self.send(Rewind(step))

    def _receive(self) -> None:
        """Move arrived snapshots into the box (nothing to do in a thread)."""

    @property
    def exit_code(self) -> int | None:
        """How the run's process ended (None: it has not, or there is none)."""
        return None

    def latest(self) -> LiveSnapshot | None:
        """The newest snapshot not yet taken, or None.

        Snapshots nobody took are dropped, but not their history rows: the
        one returned carries every row since the previous call."""
        self._receive()
        return self._box.take()

    def peek(self) -> LiveSnapshot | None:
        """The newest snapshot, taken or not."""
        self._receive()
        return self._box.peek()


class LiveTrainer(LiveHost):
    """The run on a thread of this process; commands go through a queue."""

    def __init__(self, spec: RunSpec, chunk: int = 25):
        self._commands: queue.Queue = queue.Queue()
        self._run = Run(spec, chunk)
        self._box = SnapshotBox()
        self._box.put(self._run.snapshot())
        self._thread = threading.Thread(
            target=serve, args=(self._run, queue_receiver(self._commands), self._box, True),
            name="nnbuilder-training", daemon=True)
        self._thread.start()

    def _deliver(self, command) -> None:
        self._commands.put(command)

    @property
    def trainer(self):
        """The run's trainer (read it only while paused)."""
        return self._run.trainer

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it."""
        self.send(Quit())
        self._thread.join(timeout)


class DataStager:
    """Gets big training data ready for a worker before one is asked for:
    its key (:func:`data_key`) and its file (:class:`MappedData`: the one its
    features already are, :meth:`MappedData.sharing`, else one written), made on a
    thread of its own as soon as the data is known (:meth:`stage`), so that
    Train sends it at once. Holds at most one staged file (a newer data set
    replaces it); a :class:`LiveProcess` given the stager takes the file it
    stages (:meth:`take`), or makes its own."""

    def __init__(self):
        self._lock = threading.Lock()
        self._job: tuple | None = None  # (data weakref, thread, result dict)
        self._taken = lambda: None  # a weak reference to the data taken last (not staged again)

    def stage(self, data) -> None:
        """Start getting ``data`` ready (nothing for small data or data staged already)."""
        if data is None or data_bytes(data) < MAP_BYTES:
            return
        with self._lock:
            if (self._job is not None and self._job[0]() is data) or self._taken() is data:
                return
            self._drop()
            result: dict = {}
            thread = threading.Thread(target=self._make, args=(data, result), name="nnbuilder-stage-data",
                                      daemon=True)
            self._job = (weakref.ref(data), thread, result)
            thread.start()

    @staticmethod
    def _make(data, result: dict) -> None:
        try:
            result["key"] = data_key(data)
            mapped = MappedData.sharing(data)
            if mapped is None:
                mapped = MappedData.write(data)
                _UNTAKEN.add(mapped.path)
            result["mapped"] = mapped
        except Exception:  # noqa: BLE001 - the process host makes its own then, and reports
            pass

    def take(self, data) -> tuple | None:
        """(key, MappedData) of ``data`` when it was staged (waits for it to
        be ready), else None. The file is the caller's from then on."""
        with self._lock:
            job = self._job
            if job is None or job[0]() is not data:
                return None
            self._job, self._taken = None, job[0]
        job[1].join()
        result = job[2]
        if "mapped" not in result:
            return None
        _UNTAKEN.discard(result["mapped"].path)
        return result["key"], result["mapped"]

    def _drop(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            threading.Thread(target=_remove_when_made, args=(job,), daemon=True).start()

    def close(self) -> None:
        """Remove the staged file (the window closes, or the data went)."""
        with self._lock:
            self._drop()


def _remove_when_made(job) -> None:
    job[1].join()
    mapped = job[2].get("mapped")
    if mapped is not None and not mapped.keep:
        _UNTAKEN.discard(mapped.path)
        try:
            os.unlink(mapped.path)
        except OSError:
            pass


_UNTAKEN: set = set()  # staged files no worker took: removed at exit at the latest


@atexit.register
def _remove_untaken() -> None:
    for path in list(_UNTAKEN):
        try:
            os.unlink(path)
        except OSError:
            pass


def _spawn() -> tuple[subprocess.Popen, Connection]:
    """A fresh process running the worker (this interpreter, or a frozen
    app's own executable: worker_command; not multiprocessing's spawn, which
    re-imports the caller's __main__), connected by a socket pair that
    carries pickled messages both ways; it waits for its :class:`Start`."""
    ours, theirs = socket.socketpair()
    proc = subprocess.Popen(worker_command(theirs.fileno()), pass_fds=[theirs.fileno()],
                            stdin=subprocess.DEVNULL, env=worker_env())
    theirs.close()
    return proc, Connection(ours.detach())


class SpareWorker:
    """A worker process started before it is needed (its interpreter and
    imports take a second or more): it waits, without polling, for the run a
    :class:`LiveProcess` gives it. The window keeps one while it has big data
    and no run."""

    def __init__(self):
        self._proc, self._conn = _spawn()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def hand_over(self) -> tuple[subprocess.Popen, Connection]:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        return proc, conn

    def close(self) -> None:
        """End the waiting process (closing its socket ends it; killed if it lingers)."""
        if self._proc is None:
            return
        self._conn.close()
        try:
            self._proc.wait(2.0)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(1.0)
        self._proc = self._conn = None


class LiveProcess(LiveHost):
    """The run in a child process, over a socket pair; see the module docstring.

    ``backlog`` is the number of commands not yet handed to the socket,
    ``bytes_sent`` what crossed it so far, ``data_shared`` how many data
    sets went to the worker (each once).
    """

    def __init__(self, spec: RunSpec, stager: DataStager | None = None, spare: "SpareWorker | None" = None):
        """``stager``: where big data may be ready already; ``spare``: a worker
        process started ahead, used when it is still alive."""
        if spare is not None and spare.alive:
            self._proc, self._conn = spare.hand_over()
        else:
            if spare is not None:
                spare.close()
            self._proc, self._conn = _spawn()
        self._box = SnapshotBox()
        self._broken = False
        self._outgoing: queue.Queue = queue.Queue()
        self._delivered = 0
        self.bytes_sent = 0
        self.data_shared = 0
        self._worker_data = DataStore()  # which data the worker holds, by key
        self._keys: dict[int, tuple] = {}  # id(data) -> (a weak reference to it, its key)
        self._files: list[str] = []  # data files written for the worker (it removes them)
        # Data sent as its own pages (MappedData.sharing), kept alive (so is
        # its file) until the worker applied the command after it: (that
        # command's number, the data).
        self._pins: list[tuple[int, object]] = []
        self._pins_lock = threading.Lock()
        self._stager = stager
        self._sender = threading.Thread(target=self._send_commands, name="nnbuilder-commands",
                                        daemon=True)
        self._outgoing.put(Start(spec))
        self._sender.start()

    def _deliver(self, command) -> None:
        """Queue ``command`` for the sender thread."""
        self._outgoing.put(command)

    @property
    def backlog(self) -> int:
        return self.sent + 1 - self._delivered  # + 1: the Start message

    def _send_commands(self) -> None:
        """The sender thread: writes queued commands to the socket in order,
        waiting (here, not in the GUI thread) while the worker's side is full."""
        while True:
            msg = self._outgoing.get()
            try:
                parts = self._encode(msg)
            except Exception:  # e.g. something unpicklable: the worker reports it in its place
                error = f"could not send {type(msg).__name__}:\n" + traceback.format_exc(limit=4)
                parts = [pickle.dumps(Unreadable(error), pickle.HIGHEST_PROTOCOL)]
            try:
                for buf in parts:
                    self._conn.send_bytes(buf)
                    self.bytes_sent += len(buf)
            except (BrokenPipeError, EOFError, OSError):
                return  # the process is gone: alive is False and the GUI says so
            self._delivered += 1
            if isinstance(msg, Quit):
                return

    def _encode(self, msg) -> list[bytes]:
        """``msg`` pickled, data the worker holds replaced by its key (new
        data shared first, written to a file the worker maps when it is
        big). Hashing, writing and pickling run here, off the GUI thread."""
        spec = getattr(msg, "spec", None)
        if spec is None or isinstance(spec.data, DataRef):
            return [pickle.dumps(msg, pickle.HIGHEST_PROTOCOL)]
        staged = self._stager.take(spec.data) if self._stager is not None else None
        key = staged[0] if staged is not None else self._key_of(spec.data)
        parts = []
        if staged is not None:
            if not staged[1].keep:
                self._files.append(staged[1].path)
            self._keys[id(spec.data)] = (weakref.ref(spec.data), key)
        if key in self._worker_data:  # the worker's store sees the same sequence
            self._worker_data.get(key)
        else:
            nbytes = data_bytes(spec.data)
            shared = spec.data
            if staged is not None:
                shared = staged[1]
            elif nbytes >= MAP_BYTES:
                shared = MappedData.sharing(spec.data)
                if shared is None:
                    shared = MappedData.write(spec.data)
                    self._files.append(shared.path)
            if isinstance(shared, MappedData) and shared.keep:
                with self._pins_lock:
                    self._pins.append((self._delivered, spec.data))
            parts.append(ShareData(key, shared))
            self._worker_data.put(key, True, nbytes)
            self.data_shared += 1
        parts.append(dataclasses.replace(msg, spec=dataclasses.replace(spec, data=DataRef(key))))
        return [pickle.dumps(p, pickle.HIGHEST_PROTOCOL) for p in parts]

    def _key_of(self, data) -> str:
        """:func:`data_key` of ``data``, computed once per data object."""
        known = self._keys.get(id(data))
        if known is not None and known[0]() is data:
            return known[1]
        key = data_key(data)
        try:
            self._keys = {i: v for i, v in self._keys.items() if v[0]() is not None}
            self._keys[id(data)] = (weakref.ref(data), key)
        except TypeError:  # an object without weak references: hashed each time
            pass
        return key

    def _report(self, error: str) -> None:
        last = self._box.peek()
        self._box.put(error_snapshot(error) if last is None else
                      dataclasses.replace(last, error=error, rows=[], events=[]))

    def _receive(self) -> None:
        """Read the snapshots that have arrived (never waits for one)."""
        if self._broken:
            return
        try:
            while self._conn.poll():
                self._box.put(self._conn.recv())
            if self._pins:
                last = self._box.peek()
                with self._pins_lock:
                    self._pins = [p for p in self._pins if last is None or p[0] > last.applied]
        except (EOFError, OSError):
            pass  # the process ended; alive says so
        except Exception:  # a message we cannot read: report once, stop listening
            self._broken = True
            self._report(traceback.format_exc(limit=4))

    @property
    def alive(self) -> bool:
        return not self._broken and self._proc.poll() is None

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def exit_code(self) -> int | None:
        """The worker's exit status once it has ended (negative: killed by that signal), else None."""
        return self._proc.poll()

    def close(self, timeout: float = 5.0) -> None:
        """Ask the worker to quit, wait for it (kill it after ``timeout`` s)."""
        self.send(Quit())
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(1.0)
        self._conn.close()
        self._pins.clear()
        for path in self._files:  # those the worker did not take (it removes what it maps)
            try:
                os.unlink(path)
            except OSError:
                pass
        self._files.clear()
