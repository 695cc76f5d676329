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
replacing an unsent one. Training data crosses the pipe once: a later
``replace``/``reset`` with equal data refers to it by key.
"""
from __future__ import annotations

import dataclasses
import os
import pickle
import queue
import socket
import subprocess
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Callable

from .protocol import (DataRef, DataStore, FetchMoment, Pause, Play, Quit, Replace, RequestSnapshot,
                       Reset, Rewind, RunSpec, SetLoss, SetSpeed, SetWeight, ShareData, Start, Step, StepOn,
                       StepEpoch, UpdateConfig, data_key)
from .snapshot import ALL_PARTS, LiveSnapshot, SnapshotBox, error_snapshot
from .worker import Run, Unreadable, queue_receiver, serve, serve_fd, worker_command

# The worker trains small batches on one core: BLAS threads would only take the
# window's core from it (and the window's from the worker).
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

__all__ = ["LiveHost", "LiveTrainer", "LiveProcess", "LiveSnapshot", "RunSpec", "ALL_PARTS",
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


class LiveProcess(LiveHost):
    """The run in a child process, over a socket pair; see the module docstring.

    ``backlog`` is the number of commands not yet handed to the socket,
    ``bytes_sent`` what crossed it so far.
    """

    def __init__(self, spec: RunSpec):
        # A fresh process running the worker (this interpreter, or a frozen
        # app's own executable: worker_command; not multiprocessing's spawn,
        # which re-imports the caller's __main__), connected by a socket pair
        # that carries pickled messages both ways.
        ours, theirs = socket.socketpair()
        self._proc = subprocess.Popen(
            worker_command(theirs.fileno()), pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
            env={**os.environ, **ONE_BLAS_THREAD})
        theirs.close()
        self._conn = Connection(ours.detach())
        self._box = SnapshotBox()
        self._broken = False
        self._outgoing: queue.Queue = queue.Queue()
        self._delivered = 0
        self.bytes_sent = 0
        self._worker_data = DataStore()  # which data the worker holds, by key
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
        data shared first). Hashing and pickling run here, off the GUI thread."""
        spec = getattr(msg, "spec", None)
        if spec is None or isinstance(spec.data, DataRef):
            return [pickle.dumps(msg, pickle.HIGHEST_PROTOCOL)]
        key = data_key(spec.data)
        parts = [] if key in self._worker_data else [ShareData(key, spec.data)]
        parts.append(dataclasses.replace(msg, spec=dataclasses.replace(spec, data=DataRef(key))))
        bufs = [pickle.dumps(p, pickle.HIGHEST_PROTOCOL) for p in parts]
        if key in self._worker_data:  # the worker's store sees the same sequence
            self._worker_data.get(key)
        else:
            self._worker_data.put(key, True)
        return bufs

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
