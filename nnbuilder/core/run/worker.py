"""The training loop of a live run, the same in a thread and in a process.

:class:`Run` is the state the loop works on (the trainer, play/pause, pending
steps, speed); :func:`apply` changes it by one command of
:mod:`nnbuilder.core.run.protocol`; :func:`serve` alternates "take the waiting
commands, apply them all, train one chunk, publish a snapshot if one is due".
The hosts in :mod:`nnbuilder.core.run.live` only differ in where commands come
from and where snapshots go.

At rest it rests: a paused run waits for the next command without looking
again, and publishes one full snapshot after a command (or the end of a
run) changed something; a request for a snapshot is not a change. While
training it publishes what it is asked for, when it is asked.

A run on big data (:func:`defers_start`) takes its first steps before it
evaluates the weights it started from on every row: the trainer keeps them
and the loop evaluates them as history row 0 once a snapshot with a step
has gone out, or when the run has rested :data:`START_GRACE` seconds
without a command but requests (:meth:`Run.evaluate_start`).

In the worker process (:func:`serve_fd`) the main thread runs the loop and
reads commands; a second thread sends snapshots. While the GUI is not
reading, that thread waits in its send, the loop keeps training and reading
commands, and each newer snapshot replaces the unsent one in a
:class:`~nnbuilder.core.run.snapshot.SnapshotBox` (rows merged, none lost).
"""
from __future__ import annotations

import dataclasses
import os
import queue
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Callable, Iterable

from .protocol import (Command, DataRef, DataStore, FetchMoment, MappedData, data_bytes, Pause, Play, Quit, Replace,
                       RequestSnapshot, Reset, Rewind, RunSpec, SetLoss, SetSpeed, SetWeight,
                       ShareData, Start, Step, StepEpoch, StepOn, UpdateConfig)
from .snapshot import ALL_PARTS, LiveSnapshot, SnapshotBox, build_snapshot, error_snapshot
from .timeline import Timeline

__all__ = ["Run", "Unreadable", "apply", "serve", "serve_fd", "queue_receiver", "blas_threads_for",
           "blas_threads", "machine_cores", "BLAS_WORK", "START_WORK", "START_GRACE", "defers_start"]

# A layer whose step multiplies at least this many numbers (batch x fan-in x
# units) trains on every core. Below it BLAS threads cost more than they give:
# on the 2-core test machine, shared, a (64 x 784) @ (784 x 128) product (the
# 784-128-10 network at batch 64: 6.4 million) took 0.8 ms on one thread and
# 24 ms on two; one of 8192 rows 43 ms and 52 ms (bench_engine.py --mnist).
BLAS_WORK = 1 << 26

# A run whose evaluation of every row multiplies at least this many numbers
# (rows x weights: 60,000 x 784-128-10 is 6e9, ~2.5 s on the shared 2-core
# machine) takes its first steps before evaluating its starting weights.
START_WORK = 1 << 28
START_GRACE = 0.3  # seconds a run at rest waits for a command before evaluating row 0

IDLE_GAP = 0.5  # seconds between chunks beyond which the run was paused, not training
RATE_WINDOW = 0.5  # seconds over which steps/s is measured
# A chunk grows to about CHUNK_SECONDS of training: the loop's own work (the
# commands' poll, the snapshot check) is paid once per chunk, and 25 steps of
# a small network took 1.5 ms, so that work was a few per cent of the worker's
# core. Commands still apply within a few milliseconds.
CHUNK_SECONDS = 0.004
MAX_CHUNK = 2000


def machine_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def blas_threads_for(network, batch_size: int, cores: int) -> int:
    """BLAS threads for training ``network`` in batches of ``batch_size``:
    every core when one of its layers does at least :data:`BLAS_WORK`
    multiplications a step, else one."""
    work = max((batch_size * fan_in * units for _, fan_in, units, _ in network.layout.values()), default=0)
    return cores if work >= BLAS_WORK else 1


def defers_start(spec: RunSpec) -> bool:
    """Whether evaluating the starting weights on every row costs enough
    (:data:`START_WORK`) to come after the first steps."""
    data = spec.data
    if not hasattr(data, "X_train"):
        return False
    rows = len(data.X_train) + len(data.X_test)
    weights = sum(fan_in * units for _, fan_in, units, _ in spec.network().layout.values())
    return rows * max(weights, 1) >= START_WORK


def blas_threads() -> int:
    """The BLAS threads of this process now, as the BLAS library reports them."""
    from threadpoolctl import threadpool_info

    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts, default=1)


class Run:
    """The state of one live run; see the module docstring.

    With ``own_threads`` (the worker process) the run sets its process's
    BLAS threads for the network it trains (:func:`blas_threads_for`);
    otherwise it leaves them as they are. ``blas_threads`` is the count in
    use, as the BLAS library reports it."""

    def __init__(self, spec: RunSpec, chunk: int = 25, own_threads: bool = False):
        self.own_threads = own_threads
        self.blas_threads = 1
        self._threads_for = None  # (network, batch size) the threads were set for
        self.chunk = self.min_chunk = chunk  # steps per chunk: from ``chunk``, grown to ~CHUNK_SECONDS
        self.generation = 0
        self.running = False
        self.pending_steps = 0
        self.speed: float | None = None
        self.quit = False
        self.error: str | None = None
        self.events: list[str] = []
        self.applied = 0  # commands applied so far
        self.serial = 0
        self.wanted: frozenset | None = None  # parts of the snapshot asked for
        self.moment = None  # a moment's weights asked for (FetchMoment), for the next snapshot
        self.dirty = True  # something changed that an idle run must show
        self.commanded = time.perf_counter()  # when a command (not a request) was applied last
        self._attach(spec.trainer(defer_start=defers_start(spec)))

    @property
    def busy(self) -> bool:
        return self.running or self.pending_steps > 0

    def _attach(self, trainer) -> None:
        self.trainer = trainer
        self.shown_step = 0  # the step of the newest snapshot built
        trainer.timeline = Timeline()  # moments to look back at and rewind to
        trainer.timeline.record(trainer)
        self.elapsed = 0.0
        self._clock: float | None = None  # when train() last ran, while training runs
        # row 0: before training (the listener brings it when it is evaluated later)
        self.rows: list[dict] = [] if trainer.start_pending else [dict(trainer.history.last)]
        trainer.history.listeners.append(self.rows.append)
        now = time.perf_counter()
        self._speed_mark = self._rate_mark = (now, trainer.step)
        self._rate = 0.0
        self.fit_threads()

    def fit_threads(self) -> None:
        """Set the BLAS threads for the network and batch size now (once per pair)."""
        t = self.trainer
        wanted = (t.network, t.batch_size)
        if self._threads_for is not None and self._threads_for[0] is wanted[0] and \
                self._threads_for[1] == wanted[1]:
            return
        self._threads_for = wanted
        if self.own_threads:
            from threadpoolctl import threadpool_limits

            threadpool_limits(blas_threads_for(t.network, t.batch_size, machine_cores()), user_api="blas")
        self.blas_threads = blas_threads()

    # ------------------------------------------------------------ training
    def allowed_steps(self) -> int:
        n = self.chunk if self.running else min(self.chunk, self.pending_steps)
        if self.speed:
            t0, s0 = self._speed_mark
            due = int((time.perf_counter() - t0) * self.speed) - (self.trainer.step - s0)
            n = max(0, min(n, due))
        return n

    def train(self) -> bool:
        """One chunk; False when the speed limit allows no step yet.

        ``elapsed`` is the wall time while training runs (at 100 steps/s
        mostly waiting for the next step), not only the time computing."""
        now = time.perf_counter()
        if self._clock is not None and now - self._clock < IDLE_GAP:
            self.elapsed += now - self._clock
        self._clock = now
        n = self.allowed_steps()
        if n == 0:
            return False
        t0 = time.perf_counter()
        reason = self.trainer.run(n)
        took = time.perf_counter() - t0
        if n == self.chunk and took > 0:  # a full chunk: size the next by its speed
            self.chunk = int(min(MAX_CHUNK, max(self.min_chunk, 0.5 * self.chunk + 0.5 * n * CHUNK_SECONDS / took)))
        self.pending_steps = max(0, self.pending_steps - n)
        if reason:
            self.running = False
            self.pending_steps = 0
        if not self.busy:
            self.dirty = True  # the final state, in full
            self.elapsed += time.perf_counter() - self._clock
            self._clock = None
        return True

    def evaluate_start(self) -> None:
        """Evaluate the run's starting weights (history row 0) if they wait,
        and fill it into the timeline's moments that came before; a run at
        rest then shows it (a full snapshot)."""
        row = self.trainer.evaluate_start()
        if row is not None:
            self.trainer.timeline.fill_start(row)
            self.dirty = self.dirty or not self.busy

    def fail(self, error: str) -> None:
        self.running = False
        self.pending_steps = 0
        self.error = error
        self.dirty = True

    # ----------------------------------------------------------- snapshots
    def due(self) -> frozenset | None:
        """The parts of the snapshot to publish now, or None: a paused run's
        change or answer in full, a training run's what was asked for."""
        if self.busy:
            return self.wanted
        return ALL_PARTS if self.dirty or self.wanted is not None else None

    def snapshot(self, parts=ALL_PARTS) -> LiveSnapshot:
        """Build the snapshot (via :func:`build_snapshot`) and hand over the rows and events."""
        self.dirty, self.wanted = False, None
        if self.trainer.start_pending:  # no test set's confusion before the first steps
            parts = frozenset(parts) - {"confusion"}
        step, now = self.trainer.step, time.perf_counter()
        self.shown_step = step
        t_mark, s_mark = self._rate_mark
        if step < s_mark:
            self._rate, self._rate_mark = 0.0, (now, step)
        elif now - t_mark >= RATE_WINDOW or (self._rate == 0.0 and step > s_mark):
            self._rate, self._rate_mark = (step - s_mark) / (now - t_mark), (now, step)
        rows, self.rows[:] = list(self.rows), []
        events, self.events = self.events, []
        moment, self.moment = self.moment, None
        self.serial += 1
        return build_snapshot(
            self.trainer, parts, serial=self.serial, generation=self.generation, elapsed=self.elapsed,
            steps_per_sec=self._rate, running=self.busy, rows=rows, events=events, error=self.error,
            applied=self.applied, moment=moment, blas_threads=self.blas_threads)


# ------------------------------------------------------------------ commands
_HANDLERS: dict[type, Callable[[Run, Command], None]] = {}


def _handles(kind: type):
    def register(fn):
        _HANDLERS[kind] = fn
        return fn
    return register


def apply(run: Run, command: Command) -> None:
    """Apply one command to ``run`` (raises TypeError for anything else).
    Every command but :class:`RequestSnapshot` makes a paused run publish
    (once) what it is now."""
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"not a live-run command: {command!r}")
    run.applied += 1
    if not isinstance(command, RequestSnapshot):
        run.dirty = True
        run.commanded = time.perf_counter()
    handler(run, command)


@_handles(Play)
def _play(run: Run, cmd: Play) -> None:
    if not run.busy:  # a speed limit counts from now: the paused time is no credit of steps
        run._speed_mark = (time.perf_counter(), run.trainer.step)
    run.running = True
    run.error = None
    run.trainer.divergence = None


@_handles(Pause)
def _pause(run: Run, cmd: Pause) -> None:
    run.running = False
    run.pending_steps = 0


@_handles(Step)
def _step(run: Run, cmd: Step) -> None:
    if not run.busy:  # as for Play: the steps are paced from now
        run._speed_mark = (time.perf_counter(), run.trainer.step)
    run.running = False
    run.pending_steps += cmd.steps


@_handles(StepOn)
def _step_on(run: Run, cmd: StepOn) -> None:
    t = run.trainer
    rows = t.data.rows_train
    where = {int(r): i for i, r in enumerate(rows)} if rows is not None else {}
    missing = [r + 1 for r in cmd.rows if r not in where]
    if missing:  # the window offers training rows only; said, not raised, if one slips through
        run.events.append(f"Row {missing[0]} is a test row: a step learns from training rows only")
        return
    run.running = False
    run.pending_steps = 0
    t.step_on([where[r] for r in cmd.rows])
    _record(run)


@_handles(StepEpoch)
def _step_epoch(run: Run, cmd: StepEpoch) -> None:
    _step(run, Step(run.trainer.steps_to_epoch_end))


@_handles(SetSpeed)
def _set_speed(run: Run, cmd: SetSpeed) -> None:
    run.speed = cmd.steps_per_sec
    run._speed_mark = (time.perf_counter(), run.trainer.step)


@_handles(UpdateConfig)
def _update_config(run: Run, cmd: UpdateConfig) -> None:
    run.trainer.update_config(**cmd.changes)
    run.fit_threads()


def _record(run: Run) -> None:
    """A history row of the network as it is now (after an edit between
    steps), so the read-outs and the curves show what the edit did."""
    run.evaluate_start()  # row 0 first
    t = run.trainer
    t.history.append(epoch=t.epoch, step=t.step, **t.evaluate())


@_handles(SetLoss)
def _set_loss(run: Run, cmd: SetLoss) -> None:
    run.trainer.network.set_loss(cmd.name)
    _record(run)


@_handles(SetWeight)
def _set_weight(run: Run, cmd: SetWeight) -> None:
    run.trainer.set_weight(cmd.node_id, cmd.row, cmd.col, cmd.value)
    _record(run)


@_handles(Replace)
def _replace(run: Run, cmd: Replace) -> None:
    spec, t = cmd.spec, run.trainer
    run.evaluate_start()  # of the network the run started with
    network = spec.network()
    run.running = cmd.resume and run.running
    current = spec.keep if spec.keep is not None else t.network.get_weights()
    kept = t.replace_network(network, spec.data, current)
    run.fit_threads()
    _record(run)
    n = len(kept)
    run.events.append(f"Carried on with the change; kept the trained weights of {n} layer{'s' if n != 1 else ''}"
                      if n else "Carried on with the change; no layer's weights fit it, so they start anew")


@_handles(Reset)
def _reset(run: Run, cmd: Reset) -> None:
    run.running = False
    run.pending_steps = 0
    # The window starts the new run's state when it sends this, so the next
    # snapshots are of the new generation even when the new trainer cannot be
    # built: the error reaches the window (an older generation's is dropped).
    run.generation += 1
    run.events = []  # news of the run replaced ("kept the trained weights"): not the new run's
    run.error = None  # (nor its error; a spec that fails sets its own)
    try:
        trainer = cmd.spec.trainer(defer_start=defers_start(cmd.spec))
    except Exception:  # the run goes on as it was (paused), seen afresh from its newest row
        run.rows[:] = [dict(run.trainer.history.last)]
        raise
    run._attach(trainer)


@_handles(RequestSnapshot)
def _request_snapshot(run: Run, cmd: RequestSnapshot) -> None:
    run.wanted = frozenset(cmd.parts)


@_handles(FetchMoment)
def _fetch_moment(run: Run, cmd: FetchMoment) -> None:
    t = run.trainer
    run.moment = t.timeline.weights(cmd.step, t.network)


@_handles(Rewind)
def _rewind(run: Run, cmd: Rewind) -> None:
    t = run.trainer
    run.evaluate_start()  # the moments before it know their loss
    t.timeline.rewind(t, cmd.step)  # first: a step not kept changes nothing
    run.running = False
    run.pending_steps = 0
    run.error = None
    run.generation += 1  # the rows sent so far run past this step: not the rewound run's
    run.rows[:] = []  # (the history's listener appends to this very list)
    run._speed_mark = (time.perf_counter(), t.step)  # a speed limit counts from here, not from before
    run.events.append(f"Went back to step {t.step:,} (epoch {t.epoch:,}): Train goes on from there")


@_handles(Quit)
def _quit(run: Run, cmd: Quit) -> None:
    run.quit = True


@dataclasses.dataclass(frozen=True)
class Unreadable(Command):
    """A message from the GUI that could not be read (or sent), in its place:
    applied, it reports the error."""

    error: str


@_handles(Unreadable)
def _unreadable(run: Run, cmd: Unreadable) -> None:
    raise RuntimeError(f"a command could not be read:\n{cmd.error}")


# ---------------------------------------------------------------------- loop
def serve(run: Run, receive: Callable[[float], Iterable[Command]], box: SnapshotBox,
          shares_gil: bool = False) -> None:
    """Run the loop until a :class:`Quit`: ``receive(timeout)`` yields the
    commands waiting (waiting up to ``timeout`` s for the first, None: until
    one comes), snapshots go into ``box``. An exception pauses the run and is reported in the next
    snapshot; it never ends the loop.

    ``shares_gil``: the loop runs beside the GUI's thread (the thread host) and
    hands it the GIL after every chunk. A worker process does not: yielding
    there gives the core away on a busy machine (a fifth of the worker's
    samples in a profile), and its sender thread gets the GIL within the
    interpreter's switch interval anyway."""
    while not run.quit:
        try:
            waiting = run.busy or run.due() is not None
            rest = START_GRACE - (time.perf_counter() - run.commanded)  # until row 0 is evaluated at rest
            commands = receive(0 if waiting else max(0.0, rest) if run.trainer.start_pending else None)
            for command in commands:
                try:
                    apply(run, command)
                except Exception:  # this command failed; the later ones still apply
                    run.fail(traceback.format_exc(limit=6))
            if run.quit:
                break
            if run.trainer.start_pending and (run.shown_step > 0 or not run.busy and
                                              time.perf_counter() - run.commanded >= START_GRACE):
                run.evaluate_start()  # the first steps are out, or the run rests
            if run.busy and not run.train():
                time.sleep(0.005)  # the speed limit allows no step yet
            parts = run.due()
            if parts is not None:
                box.put(run.snapshot(parts))
            if shares_gil:
                time.sleep(0)  # let the GUI's thread have the GIL
        except Exception:  # never kill the app: report and stop cleanly
            run.fail(traceback.format_exc(limit=6))


def queue_receiver(commands: queue.Queue) -> Callable[[float], list[Command]]:
    """``receive`` for :func:`serve` from a queue (the thread host)."""
    def receive(timeout: float | None) -> list[Command]:
        out = []
        try:
            out.append(commands.get(timeout=timeout) if timeout != 0 else commands.get_nowait())
            while True:
                out.append(commands.get_nowait())
        except queue.Empty:
            return out
    return receive


def _read(conn: Connection, store: DataStore):
    """The next message from the GUI, its data resolved; None for shared data (stored)."""
    msg = conn.recv()
    if isinstance(msg, ShareData):
        data = msg.data.load() if isinstance(msg.data, MappedData) else msg.data
        store.put(msg.key, data, data_bytes(data))
        return None
    return _resolve(msg, store)


def _connection_receiver(conn: Connection, store: DataStore):
    """``receive`` for :func:`serve` from the GUI's connection."""
    def receive(timeout: float | None) -> list[Command]:
        out = []
        try:
            while conn.poll(timeout):
                timeout = 0
                try:
                    msg = _read(conn, store)
                except (EOFError, OSError):
                    raise
                except Exception:  # unreadable: reported in its place, the rest still apply
                    msg = Unreadable(traceback.format_exc(limit=4))
                if msg is not None:
                    out.append(msg)
        except (EOFError, OSError):
            out.append(Quit())  # the GUI went away
        return out
    return receive


def _resolve(msg, store: DataStore):
    spec = getattr(msg, "spec", None)
    if spec is None or not isinstance(spec.data, DataRef):
        return msg
    return dataclasses.replace(msg, spec=dataclasses.replace(spec, data=store.get(spec.data.key)))


def _send_snapshots(conn: Connection, box: SnapshotBox) -> None:
    while (snap := box.wait_take()) is not None:
        try:
            conn.send(snap)
        except (BrokenPipeError, EOFError, OSError):
            return  # the GUI went away; the loop sees it on its side


# The argument that makes a frozen app (the PyInstaller bundle, whose
# executable is the CLI and cannot run ``-c``) serve as a worker: its entry
# point (packaging/entry.py) checks for it before parsing the command line.
WORKER_FLAG = "--nnbuilder-live-worker"


def worker_command(fd: int) -> list[str]:
    """The command line of a worker process serving socket ``fd``: this
    interpreter, or in a frozen app the app itself with :data:`WORKER_FLAG`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_FLAG, str(fd)]
    return [sys.executable, "-c", "import sys; from nnbuilder.core.run.worker import serve_fd; "
            "serve_fd(int(sys.argv[1]))", str(fd)]


def serve_fd(fd: int) -> None:
    """Entry point of the worker process started by
    :class:`~nnbuilder.core.run.live.LiveProcess`: the loop in the main thread,
    reading commands from socket ``fd``; snapshots go out from a second thread."""
    conn = Connection(fd)
    store = DataStore()
    try:
        start = None
        while not isinstance(start, Start):
            start = _read(conn, store)
        run = Run(start.spec, own_threads=True)
    except (EOFError, OSError):
        return
    except Exception:  # report a run that cannot even start, then leave
        conn.send(error_snapshot(traceback.format_exc(limit=6)))
        return
    box = SnapshotBox()
    threading.Thread(target=_send_snapshots, args=(conn, box), name="nnbuilder-snapshots",
                     daemon=True).start()
    try:
        serve(run, _connection_receiver(conn, store), box)
    except KeyboardInterrupt:
        pass
    finally:
        box.close()
