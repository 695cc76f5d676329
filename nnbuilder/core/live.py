"""Training in a background thread that publishes snapshots.

:class:`LiveTrainer` owns a :class:`~nnbuilder.core.trainer.Trainer` and runs
it in chunks on its own thread. Callers (the GUI) send commands, which the
thread applies between chunks, and read :meth:`LiveTrainer.latest`: the
newest :class:`LiveSnapshot`, made of fresh arrays the thread never writes to
again. Older snapshots are dropped, so training speed never depends on how
fast the caller draws. Nothing here touches a widget.

Each chunk is short and followed by ``time.sleep(0)`` so that other Python
threads get the GIL. Snapshots are made when the caller asks for the next one
(:meth:`LiveTrainer.request_snapshot`, e.g. right after drawing a frame, with
only the parts that frame draws), and in a thread also at most every
``publish_interval`` seconds for callers that do not ask.

A GUI uses :class:`LiveProcess`: the same loop in a child process, because a
training thread shares the GIL with the GUI's painting (pyqtgraph paints in
Python) and, measured here, both then ran at a fraction of their speed.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .graph import WEIGHTED_TYPES
from .losses import confusion_matrix
from .probe import InputGrid, layer_stats
from .trainer import TrainConfig, TrainData, Trainer

__all__ = ["LiveSnapshot", "LiveTrainer", "LiveProcess", "RunSpec", "MAX_MAP_UNITS", "ALL_PARTS"]

MAX_MAP_UNITS = 16  # layers up to this wide get per-neuron maps
ALL_PARTS = frozenset({"outputs", "maps", "stats", "confusion"})


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


class LiveTrainer:
    """Runs ``trainer`` on a thread; see the module docstring.

    ``grid`` and ``neuron_grid`` (from :func:`~nnbuilder.core.probe.input_grid`)
    are where the output and the per-neuron maps are evaluated; None skips them.
    """

    def __init__(self, trainer: Trainer, grid: InputGrid | None = None,
                 neuron_grid: InputGrid | None = None, chunk: int = 25, publish_hz: float = 30.0,
                 conn=None):
        """With ``conn`` (a multiprocessing Connection) no thread is started:
        :meth:`serve` runs the loop in the calling thread, takes commands from
        ``conn`` and sends every snapshot to it (how a worker process runs)."""
        self.chunk = chunk
        self.publish_interval = 1.0 / publish_hz
        self._wanted = threading.Event()  # a caller asked for the next snapshot
        self._parts = ALL_PARTS  # what the asked-for snapshot must contain
        self._commands: queue.Queue[Callable] = queue.Queue()
        self._lock = threading.Lock()
        self._latest: LiveSnapshot | None = None
        self._pending_rows: list[dict] = []
        self._pending_events: list[str] = []
        self._taken = 0
        self._serial = 0
        self._generation = 0
        self._running = False
        self._pending_steps = 0
        self._speed: float | None = None
        self._quit = False
        self._elapsed = 0.0
        self._rate_mark = (time.perf_counter(), 0)
        self._steps_per_sec = 0.0
        self._events: list[str] = []
        self._error: str | None = None
        self._conn = conn
        self._attach(trainer, grid, neuron_grid)
        self._publish()
        self._thread = None
        if conn is None:
            self._thread = threading.Thread(target=self._loop, name="nnbuilder-training", daemon=True)
            self._thread.start()

    def serve(self) -> None:
        """Run the loop here, driven by ``conn`` (see the constructor)."""
        self._loop()

    # --------------------------------------------------- commands (any thread)
    def _send(self, fn: Callable) -> None:
        self._commands.put(fn)

    def play(self) -> None:
        def go():
            self._running = True
            self._error = None
            self.trainer.divergence = None
        self._send(go)

    def pause(self) -> None:
        def stop():
            self._running = False
            self._pending_steps = 0
        self._send(stop)

    def step(self, steps: int = 1) -> None:
        """Run exactly ``steps`` steps, then stay paused."""
        def go():
            self._running = False
            self._pending_steps += steps
        self._send(go)

    def step_epoch(self) -> None:
        """Run to the end of the current epoch."""
        self._send(lambda: self.step(self.trainer.steps_to_epoch_end))

    def set_speed(self, steps_per_sec: float | None) -> None:
        """Limit the training speed (None: as fast as possible)."""
        def go():
            self._speed = steps_per_sec
            self._speed_mark = (time.perf_counter(), self.trainer.step)
        self._send(go)

    def update_config(self, **changes) -> None:
        """Hyperparameters for the next chunk; weights are kept."""
        self._send(lambda: self.trainer.update_config(**changes))

    def set_loss(self, name: str) -> None:
        self._send(lambda: self.trainer.network.set_loss(name))

    def set_grids(self, grid=None, neuron_grid=None) -> None:
        """Evaluate the output and the neuron maps over new grids (e.g. another slice)."""
        def go():
            self.grid, self.neuron_grid = grid, neuron_grid
            self._grid_features = self._features(grid)
            self._neuron_features = self._features(neuron_grid)
        self._send(go)

    def set_weight(self, node_id: str, row: int, col: int, value: float) -> None:
        self._send(lambda: self.trainer.set_weight(node_id, row, col, value))

    def replace(self, network, data: TrainData, grid=None, neuron_grid=None, keep=None,
                resume: bool = False) -> None:
        """Carry on with an edited network and/or new data: pauses (unless
        ``resume``), keeps the trained weights of every layer whose shape did
        not change (``keep``: weights to use instead of the current ones)."""
        def go():
            self._running = resume and self._running
            current = keep if keep is not None else self.trainer.network.get_weights()
            kept = self.trainer.replace_network(network, data, current)
            self.grid, self.neuron_grid = grid, neuron_grid
            self._grid_features = self._features(grid)
            self._neuron_features = self._features(neuron_grid)
            self._events.append(f"rebuilt the network; kept the weights of {len(kept)} layer(s)")
        self._send(go)

    def reset(self, trainer: Trainer, grid=None, neuron_grid=None) -> None:
        """Start over with a fresh trainer (e.g. re-initialised weights)."""
        def go():
            self._running = False
            self._pending_steps = 0
            self._generation += 1
            self._elapsed = 0.0
            self._attach(trainer, grid, neuron_grid)
        self._send(go)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for it."""
        self._quit = True
        self._send(lambda: None)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def request_snapshot(self, parts=ALL_PARTS) -> None:
        """Ask for a snapshot at the end of the current chunk, with only
        ``parts`` of "outputs", "maps", "stats" computed (the rest empty):
        a caller that draws them on alternate frames saves the worker time."""
        self._parts = frozenset(parts)
        self._wanted.set()

    def latest(self) -> LiveSnapshot | None:
        """The newest snapshot not yet taken, or None.

        Snapshots nobody took are dropped, but not their history rows: the
        one returned carries every row since the previous call."""
        with self._lock:
            snap = self._latest
            if snap is None or snap.serial == self._taken:
                return None
            self._taken = snap.serial
            rows, self._pending_rows = self._pending_rows, []
            events, self._pending_events = self._pending_events, []
        return dataclasses.replace(snap, rows=rows, events=events)

    def peek(self) -> LiveSnapshot | None:
        """The newest snapshot, taken or not."""
        with self._lock:
            return self._latest

    # -------------------------------------------------------- worker thread
    def _attach(self, trainer: Trainer, grid, neuron_grid) -> None:
        self.trainer = trainer
        self.grid, self.neuron_grid = grid, neuron_grid
        self._grid_features = self._features(grid)
        self._neuron_features = self._features(neuron_grid)
        self._rows: list[dict] = [dict(trainer.history.last)]  # row 0: before training
        trainer.history.listeners.append(self._rows.append)
        with self._lock:
            self._pending_rows = []  # rows of an abandoned run are not this run's
        self._speed_mark = (time.perf_counter(), trainer.step)
        self._rate_mark = (time.perf_counter(), trainer.step)

    def _features(self, grid: InputGrid | None):
        if grid is None:
            return None
        try:
            return grid.features(self.trainer.network)
        except Exception:  # the grid no longer fits the inputs: no maps
            return None

    def _loop(self) -> None:
        last_publish = time.perf_counter()
        while not self._quit:
            busy = self._running or self._pending_steps > 0
            try:
                if self._conn is not None:
                    self._pump(0 if busy else 0.05)  # commands from the pipe, in this thread
                    fn = self._commands.get_nowait()
                else:
                    fn = self._commands.get(timeout=0 if busy else 0.05)
            except queue.Empty:
                fn = None
            try:
                if fn is not None:
                    fn()
                    while True:  # apply every queued command before training on
                        try:
                            self._commands.get_nowait()()
                        except queue.Empty:
                            break
                    if self._quit:
                        break
                    if not (self._running or self._pending_steps):
                        self._publish()
                        continue
                if self._running or self._pending_steps:
                    t0 = time.perf_counter()
                    n = self._allowed_steps()
                    if n == 0:
                        time.sleep(0.005)
                        continue
                    reason = self.trainer.run(n)
                    self._elapsed += time.perf_counter() - t0
                    if self._pending_steps:
                        self._pending_steps = max(0, self._pending_steps - n)
                    if reason:
                        self._running = False
                        self._pending_steps = 0
                    now = time.perf_counter()
                    # A worker process sends a snapshot only when asked (or when
                    # something changed): the pipe never fills up, and nothing
                    # is pickled that will not be drawn.
                    periodic = self._conn is None and now - last_publish >= self.publish_interval
                    if reason or not (self._running or self._pending_steps) or self._wanted.is_set() \
                            or periodic:
                        asked = self._wanted.is_set() and not reason and (self._running or self._pending_steps)
                        self._wanted.clear()
                        self._publish(self._parts if asked else ALL_PARTS)
                        last_publish = now
                    time.sleep(0)  # let the GUI thread have the GIL
            except Exception:  # never kill the app: report and stop cleanly
                self._running = False
                self._pending_steps = 0
                self._error = traceback.format_exc(limit=6)
                self._publish()

    def _pump(self, timeout: float) -> None:
        """Turn messages waiting on the connection into commands."""
        try:
            while self._conn.poll(timeout):
                timeout = 0
                self._dispatch(self._conn.recv())
        except (EOFError, OSError):
            self._quit = True  # the GUI went away

    def _dispatch(self, msg: tuple) -> None:
        name, args = msg[0], msg[1:]
        if name == "quit":
            self._quit = True
        elif name == "replace":
            spec, resume = args
            self.replace(spec.network(), spec.data, spec.grid, spec.neuron_grid, spec.keep, resume)
        elif name == "reset":
            spec = args[0]
            self.reset(spec.trainer(), spec.grid, spec.neuron_grid)
        elif name == "snapshot":
            self.request_snapshot(*args)
        elif name == "update_config":
            self.update_config(**args[0])
        else:
            getattr(self, name)(*args)

    def _allowed_steps(self) -> int:
        n = self.chunk if self._running else min(self.chunk, self._pending_steps)
        if self._speed:
            t0, s0 = self._speed_mark
            due = int((time.perf_counter() - t0) * self._speed) - (self.trainer.step - s0)
            n = max(0, min(n, due))
        return n

    def _publish(self, parts=None) -> None:
        parts = ALL_PARTS if parts is None else parts
        t = self.trainer
        net = t.network
        now = time.perf_counter()
        t_mark, s_mark = self._rate_mark
        if now - t_mark >= 0.5 or t.step < s_mark:
            self._steps_per_sec = (t.step - s_mark) / (now - t_mark) if t.step >= s_mark else 0.0
            self._rate_mark = (now, t.step)
        theta = net.theta.copy()
        outputs = None
        maps = {}
        stats = {}
        confusion = None
        with np.errstate(all="ignore"):
            if "stats" in parts:
                stats = layer_stats(net)
            if "confusion" in parts and t.data.task == "classification":
                d = t.data
                X, labels = (d.X_test, d.labels_test) if len(d.X_test) else (d.X_train, d.labels_train)
                confusion = confusion_matrix(net.predict(X), labels, d.n_classes, net.loss.threshold)
            if "outputs" in parts and self._grid_features is not None:
                outputs = net.predict(self._grid_features).astype(np.float32)
            if "maps" in parts and self._neuron_features is not None:
                acts = net.activations(self._neuron_features)
                for nid, a in acts.items():
                    node = net.nodes[nid]
                    if node.type in WEIGHTED_TYPES + ("input",) and a.shape[1] <= MAX_MAP_UNITS:
                        maps[nid] = np.ascontiguousarray(a.T, dtype=np.float32)
        rows, self._rows[:] = list(self._rows), []
        events, self._events = self._events, []
        self._serial += 1
        snap = LiveSnapshot(
            serial=self._serial, generation=self._generation, step=t.step, epoch=t.epoch,
            elapsed=self._elapsed, steps_per_sec=self._steps_per_sec,
            running=self._running or self._pending_steps > 0,
            weights=net.unflatten(theta), stats=stats, rows=[],
            last=dict(t.history.last), metric_name=t.metric_name, outputs=outputs,
            neuron_maps=maps, config=TrainConfig(**t.config.to_dict()), confusion=confusion,
            stop_reason=t.stop_reason, divergence=None if t.divergence is None else dict(t.divergence),
            error=self._error, events=[])
        with self._lock:
            self._pending_rows.extend(rows)
            self._pending_events.extend(events)
            self._latest = snap
        if self._conn is not None:  # a worker process hands each snapshot over at once
            try:
                self._conn.send(self.latest())
            except (BrokenPipeError, EOFError, OSError):
                self._quit = True


# --------------------------------------------------------------- in a process
@dataclass
class RunSpec:
    """Everything needed to build a training run, in picklable form."""

    graph: dict  # Graph.to_dict()
    data: TrainData
    config: TrainConfig
    seed: int = 0
    keep: dict | None = None  # {node_id: {"W", "b"}} to start from
    grid: InputGrid | None = None
    neuron_grid: InputGrid | None = None

    def network(self):
        from .graph import Graph
        from .network import Network

        return Network(Graph.from_dict(self.graph))

    def trainer(self) -> Trainer:
        return Trainer(self.network(), self.data, self.config, self.seed, keep=self.keep)


class LiveProcess:
    """:class:`LiveTrainer`'s commands, with the training in a child process.

    A training thread shares the GIL with the GUI thread: every Python call
    the GUI makes while painting (pyqtgraph paints in Python) takes turns with
    training, and measured here the window then ran at 0.2-0.4 of the headless
    training speed at 15-25 frames/s. A process trains on the other core with
    no GIL in common. Inside it, a :class:`LiveTrainer` runs the same loop as
    in a thread; this object sends it commands over a pipe and receives its
    snapshots (pickled copies, so the GUI never sees the worker's arrays).
    """

    def __init__(self, spec: RunSpec, publish_hz: float = 30.0):
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        # A fresh interpreter running this module (not multiprocessing's
        # spawn, which re-imports the caller's __main__), connected by a
        # socket pair that carries pickled messages both ways.
        ours, theirs = socket.socketpair()
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from nnbuilder.core.live import serve_fd; "
             "serve_fd(int(sys.argv[1]))", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self._conn = Connection(ours.detach())
        self._send("start", spec, publish_hz)
        self._latest: LiveSnapshot | None = None
        self._rows: list = []
        self._events: list = []
        self._fresh = False
        self._broken = False

    def _send(self, *msg) -> None:
        try:
            self._conn.send(msg)
        except (BrokenPipeError, EOFError, OSError):
            pass  # the process is gone: alive is False and the GUI says so

    def play(self) -> None:
        self._send("play")

    def pause(self) -> None:
        self._send("pause")

    def step(self, steps: int = 1) -> None:
        self._send("step", steps)

    def step_epoch(self) -> None:
        self._send("step_epoch")

    def set_speed(self, steps_per_sec: float | None) -> None:
        self._send("set_speed", steps_per_sec)

    def update_config(self, **changes) -> None:
        self._send("update_config", changes)

    def set_loss(self, name: str) -> None:
        self._send("set_loss", name)

    def set_weight(self, node_id: str, row: int, col: int, value: float) -> None:
        self._send("set_weight", node_id, row, col, value)

    def set_grids(self, grid=None, neuron_grid=None) -> None:
        self._send("set_grids", grid, neuron_grid)

    def replace(self, spec: RunSpec, resume: bool = False) -> None:
        """An edited network or new data; ``spec.keep`` None keeps the current weights."""
        self._send("replace", spec, resume)

    def reset(self, spec: RunSpec) -> None:
        self._send("reset", spec)

    def request_snapshot(self, parts=ALL_PARTS) -> None:
        self._send("snapshot", tuple(parts))

    @property
    def alive(self) -> bool:
        return not self._broken and self._proc.poll() is None

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _drain(self) -> None:
        if self._broken:
            return
        try:
            while self._conn.poll():
                snap = self._conn.recv()
                self._rows += snap.rows
                self._events += snap.events
                self._latest = snap
                self._fresh = True
        except (EOFError, OSError):
            pass  # the process ended; alive says so
        except Exception:  # a message we cannot read: report once, stop listening
            self._broken = True
            self._latest = _error_snapshot(traceback.format_exc(limit=4))
            self._fresh = True

    def latest(self) -> LiveSnapshot | None:
        """The newest snapshot not yet taken (with every row since the last one)."""
        self._drain()
        if not self._fresh:
            return None
        self._fresh = False
        rows, self._rows = self._rows, []
        events, self._events = self._events, []
        return dataclasses.replace(self._latest, rows=rows, events=events)

    def peek(self) -> LiveSnapshot | None:
        self._drain()
        return self._latest

    def close(self, timeout: float = 5.0) -> None:
        import subprocess

        self._send("quit")
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(1.0)
        self._conn.close()


def _serve(conn) -> None:
    """The child process: a LiveTrainer loop in its main thread, driven by ``conn``
    (one thread only, so nothing in the worker process competes for its GIL)."""
    _, spec, publish_hz = conn.recv()
    try:
        live = LiveTrainer(spec.trainer(), spec.grid, spec.neuron_grid, publish_hz=publish_hz, conn=conn)
    except Exception:  # report a run that cannot even start, then leave
        conn.send(_error_snapshot(traceback.format_exc(limit=6)))
        return
    try:
        live.serve()
    except KeyboardInterrupt:
        pass
    finally:
        conn.close()


def _error_snapshot(error: str) -> LiveSnapshot:
    return LiveSnapshot(serial=1, generation=0, step=0, epoch=0, elapsed=0.0, steps_per_sec=0.0,
                        running=False, weights={}, stats={}, rows=[], last={}, metric_name="",
                        outputs=None, neuron_maps={}, config=TrainConfig(), error=error)


def serve_fd(fd: int) -> None:
    """Entry point of the worker process started by :class:`LiveProcess`."""
    from multiprocessing.connection import Connection

    _serve(Connection(fd))
