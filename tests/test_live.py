"""Live runs: one protocol, two hosts (a thread, a process), no lost rows, no
blocked sender.

Waiting is structural: a helper asks for snapshots until one shows the
expected state (``applied`` counts the commands the run has applied); the
deadline in :func:`wait_for` only turns a stuck run into a failure.
"""
import os
import pickle
import socket
import time

import numpy as np
import pytest

from nnbuilder.core.data.dataset import Dataset
from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.run.live import ALL_PARTS, LiveProcess, LiveTrainer, RunSpec
from nnbuilder.core.engine.network import Network
from nnbuilder.core.run.protocol import Pause, Play, RequestSnapshot, SetSpeed, Step, UpdateConfig
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.run.worker import Run, apply
from conftest import wait_until

STUCK = 120.0  # seconds after which a wait is a failure (pytest-timeout is the last resort)


def circle_spec(widths=(2, 4, 4, 1), lr=0.03, **kw) -> RunSpec:
    g = Graph.chain(list(widths))
    ds = make_dataset("circle", samples=200)
    return RunSpec(g.to_dict(), TrainData.from_dataset(ds, Network(g), 0.5),
                   TrainConfig(lr=lr, batch_size=10), seed=1, **kw)


def wide_data(rows=100_000, seed=0) -> Dataset:
    """Four columns; the class is the sign of x1 * x2."""
    X = np.random.default_rng(seed).normal(size=(rows, 4))
    return Dataset(X, (X[:, 0] * X[:, 1] > 0).astype(np.int64), "classification", n_classes=2)


def wide_spec(ds: Dataset, widths=(4, 6, 1)) -> RunSpec:
    g = Graph.chain(list(widths))
    return RunSpec(g.to_dict(), TrainData.from_dataset(ds, Network(g), 0.5),
                   TrainConfig(lr=0.03, batch_size=10), seed=3)


def wait_for(live, cond):
    """Ask for snapshots until ``cond(snapshot)``; return it and every row seen."""
    rows = []

    def reached():
        live.request_snapshot()
        snap = live.latest()
        if snap is None:
            return None
        rows.extend(snap.rows)
        return snap if cond(snap) else None

    return wait_until(reached, "a snapshot meeting the condition", timeout=STUCK, interval=0.002), rows


def settle(live):
    """The first snapshot that reflects every command sent so far, paused."""
    target = live.sent
    return wait_for(live, lambda s: s.applied >= target and not s.running)


@pytest.fixture(params=["thread", "process"])
def host(request):
    lv = LiveTrainer(circle_spec()) if request.param == "thread" else LiveProcess(circle_spec())
    yield lv
    lv.close()


@pytest.fixture
def live():
    lv = LiveTrainer(circle_spec())
    yield lv
    lv.close()


# ------------------------------------------------------------ one protocol
def script(lv):
    """The same commands for any host; returns what a GUI would have seen."""
    seen = []

    def record():
        snap, rows = settle(lv)
        seen.append((snap, rows))

    record()
    for command in (lambda: lv.step(3), lv.step_epoch,
                    lambda: lv.update_config(lr=0.1, batch_size=7),
                    lambda: lv.set_weight("dense1", 0, 1, 0.25), lambda: lv.step(11),
                    lambda: lv.set_loss("l2"), lambda: lv.step(4),
                    lambda: lv.replace(circle_spec(widths=(2, 4, 6, 1)), resume=False),
                    lambda: lv.step(9), lambda: lv.update_config(max_epochs=6), lv.play,
                    lambda: lv.reset(circle_spec(lr=0.2)), lambda: lv.step(5),
                    lambda: lv.fetch_moment(2), lambda: lv.rewind(2), lambda: lv.step(3)):
        command()
        record()
    return seen


def test_the_same_script_gives_the_same_run_on_both_hosts():
    results = []
    for lv in (LiveTrainer(circle_spec()), LiveProcess(circle_spec())):
        try:
            results.append(script(lv))
        finally:
            lv.close()
    threaded, process = results
    assert len(threaded) == len(process) == 17
    for (a, rows_a), (b, rows_b) in zip(threaded, process):
        assert (a.step, a.epoch, a.generation, a.stop_reason) == (b.step, b.epoch, b.generation, b.stop_reason)
        assert rows_a == rows_b  # every history row, bit for bit
        assert a.weights.keys() == b.weights.keys()
        for nid in a.weights:
            np.testing.assert_array_equal(a.weights[nid][0], b.weights[nid][0])
            np.testing.assert_array_equal(a.weights[nid][1], b.weights[nid][1])
        np.testing.assert_array_equal(a.timeline, b.timeline)  # the kept moments
        assert (a.moment is None) == (b.moment is None)
        if a.moment is not None:
            assert (a.moment.step, a.moment.epoch) == (b.moment.step, b.moment.epoch)
            for nid in a.moment.weights:
                np.testing.assert_array_equal(a.moment.weights[nid][0], b.moment.weights[nid][0])
    steps = [s.step for s, _ in threaded]
    assert steps[:3] == [0, 3, 10] and steps[5] == 10 + 11  # step_epoch: to the end of epoch 1
    played = threaded[11][0]
    assert played.stop_reason == "max_epochs" and played.epoch == 6
    assert threaded[9][0].weights["dense2"][0].shape == (4, 6)  # replaced
    reset = threaded[13][0]
    assert reset.generation == 1 and reset.step == 5 and reset.config.lr == 0.2
    assert reset.timeline[:, 0].tolist() == [0, 1, 2, 3, 4, 5]  # the new run's moments
    # The timeline: a moment's weights, then back to it and on: the same step 5 again.
    fetched, rewound, again = (s for s, _ in threaded[14:])
    assert fetched.moment.step == 2 and fetched.step == 5
    assert rewound.step == 2 and rewound.generation == 2 and rewound.timeline[:, 0].tolist() == [0, 1, 2]
    for nid, (W, b) in rewound.weights.items():
        np.testing.assert_array_equal(W, fetched.moment.weights[nid][0])
    assert again.step == 5 and again.generation == 2
    for nid, (W, b) in again.weights.items():
        np.testing.assert_array_equal(W, reset.weights[nid][0])
        np.testing.assert_array_equal(b, reset.weights[nid][1])


def test_a_command_the_run_does_not_know_is_a_type_error():
    run = Run(circle_spec())
    with pytest.raises(TypeError, match="not a live-run command"):
        apply(run, "play")
    apply(run, Play())
    assert run.running and run.applied == 1


def test_chunks_grow_to_a_few_milliseconds_of_training_but_not_under_a_speed_limit(monkeypatch):
    from nnbuilder.core.run import worker
    from nnbuilder.core.run.worker import MAX_CHUNK

    # A chunk's target a second (not 4 ms): 25 steps take far less on any machine, however
    # busy, so the chunks must grow (on a loaded CI machine 25 steps once took over 4 ms).
    monkeypatch.setattr(worker, "CHUNK_SECONDS", 1.0)
    run = Run(circle_spec(), chunk=25)
    apply(run, Play())
    sizes = []
    for _ in range(40):
        before = run.trainer.step
        assert run.train()
        sizes.append(run.trainer.step - before)
    # Every chunk ran the steps it was sized for, never fewer than the first
    # chunk nor more than the cap; a small network's chunks grew.
    assert sizes[0] == 25 and all(25 <= n <= MAX_CHUNK for n in sizes) and max(sizes) > 25
    limited = Run(circle_spec(), chunk=25)
    apply(limited, SetSpeed(100.0))
    apply(limited, Play())
    wait_until(lambda: limited.train() and limited.trainer.step >= 10, "10 paced steps")
    assert limited.chunk == 25  # a paced run takes the steps due, the chunk never grows


# --------------------------------------------------------------- behaviour
def test_play_pause_and_counters(host):
    first, rows = wait_for(host, lambda s: True)
    assert first.step == 0 and not first.running and len(rows) == 1  # row 0
    host.play()
    snap, _ = wait_for(host, lambda s: s.epoch >= 5)
    assert snap.running and snap.step >= 50 and snap.steps_per_sec > 0 and snap.elapsed > 0
    host.pause()
    paused, _ = settle(host)
    host.step_epoch()  # something to do after the pause, so the next snapshot is newer
    host.pause()
    later, _ = settle(host)
    assert later.serial > paused.serial and later.step == paused.step  # the counter stopped


def test_step_runs_exactly_one_update(host):
    before, _ = settle(host)
    host.step(1)
    snap, _ = settle(host)
    assert snap.step == 1 and not snap.running
    assert all(not np.array_equal(before.weights[n][0], snap.weights[n][0]) for n in snap.weights)
    host.step_epoch()  # runs to the end of the epoch
    snap, _ = settle(host)
    assert (snap.epoch, snap.step) == (1, 10)  # 100 training samples, batch 10
    host.step_epoch()
    snap, _ = settle(host)
    assert (snap.epoch, snap.step) == (2, 20)


def test_no_history_row_is_lost_when_snapshots_are_dropped(live):
    live.play()
    # Snapshots published, none taken.
    wait_until(lambda: live.request_snapshot() or live.peek().epoch >= 20, "epoch 20",
               timeout=STUCK, interval=0.002)
    live.pause()
    snap, rows = settle(live)
    epochs = [r["epoch"] for r in rows]
    assert epochs == list(range(snap.epoch + 1))


def test_snapshots_are_never_written_again(live):
    s0 = live.latest()
    kept = {n: (W.copy(), None if b is None else b.copy()) for n, (W, b) in s0.weights.items()}
    live.play()
    wait_for(live, lambda s: s.epoch >= 3)
    live.pause()
    settle(live)
    for n, (W, b) in s0.weights.items():
        np.testing.assert_array_equal(W, kept[n][0])


def test_config_change_applies_while_running(host):
    host.play()
    wait_for(host, lambda s: s.epoch >= 1)
    host.update_config(lr=0.5, batch_size=20)
    target = host.sent
    snap, _ = wait_for(host, lambda s: s.applied >= target)
    assert snap.running and (snap.config.lr, snap.config.batch_size) == (0.5, 20)
    host.pause()


def test_divergence_pauses_and_keeps_finite_weights():
    g = Graph.chain([1, 1], output_activation="linear", loss="l2", bias=False)
    ds = make_dataset("seed_table")
    lv = LiveTrainer(RunSpec(g.to_dict(), TrainData.from_dataset(ds, Network(g), 0.5),
                             TrainConfig(lr=0.5, batch_size=10), seed=1))
    try:
        lv.play()
        snap, _ = wait_for(lv, lambda s: s.divergence is not None)
        assert not snap.running and snap.divergence["lr"] == 0.5 and snap.stop_reason == "diverged"
        assert all(np.isfinite(W).all() for W, _ in snap.weights.values())
    finally:
        lv.close()


def test_an_exception_in_the_loop_is_reported_and_the_thread_lives_on(live, monkeypatch):
    def boom(n):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(live.trainer, "run", boom)
    live.play()
    snap, _ = wait_for(live, lambda s: s.error is not None)
    assert "simulated failure" in snap.error and not snap.running
    assert live.alive
    monkeypatch.undo()
    live.step(1)
    snap, _ = settle(live)
    assert snap.step == 1


def test_a_failing_command_is_reported_and_the_commands_after_it_still_apply(host):
    host.set_weight("dense1", 0, 0, float("nan"))
    host.update_config(lr=0.25)
    snap, _ = settle(host)
    assert "finite" in snap.error and snap.config.lr == 0.25 and host.alive
    host.play()  # a new start clears the error
    snap, _ = wait_for(host, lambda s: s.step > 0)
    assert snap.error is None
    host.pause()


def test_speed_limit():
    live = LiveTrainer(circle_spec(), chunk=25)
    live.set_speed(100.0)
    t0 = time.monotonic()
    live.play()
    wait_for(live, lambda s: s.step >= 150)  # several chunks: the pace, not one chunk's bound
    live.pause()
    snap, _ = settle(live)
    # At most the allowed rate (plus one chunk); a slow machine can only do fewer.
    # Unpaced, the circle run makes thousands of steps in the time 150 take here.
    assert 150 <= snap.step <= 100 * (time.monotonic() - t0) + 25
    live.close()


def test_a_speed_limited_run_does_not_catch_up_after_a_pause():
    live = LiveTrainer(circle_spec(), chunk=25)
    live.set_speed(100.0)
    live.play()
    wait_for(live, lambda s: s.step > 0)
    live.pause()
    before, _ = settle(live)
    # The fixed sleeps here are what the test measures, not a wait for a state:
    # a paused second worth 100 steps, then a short play whose steps are counted.
    time.sleep(1.0)  # 100 steps' worth of pause
    t0 = time.monotonic()
    live.play()
    time.sleep(0.3)
    live.pause()
    played = time.monotonic() - t0
    snap, _ = settle(live)
    # At most the allowed rate since Play (plus one chunk), not the paused second's 100 steps too.
    assert snap.step - before.step <= 100 * played + 25
    live.close()


def test_replace_keeps_layers_whose_shape_did_not_change(host):
    host.step(30)
    before, _ = settle(host)
    keep = {n: {"W": W, "b": b} for n, (W, b) in before.weights.items()}
    host.replace(circle_spec(widths=(2, 4, 6, 1), keep=keep))  # dense2: 4 -> 6 units
    snap, _ = settle(host)
    assert snap.weights["dense2"][0].shape == (4, 6)
    np.testing.assert_array_equal(snap.weights["dense1"][0], before.weights["dense1"][0])
    assert snap.step == 30 and any("kept the trained weights of 1 layer" in e for e in snap.events)
    host.replace(circle_spec(widths=(2, 3, 5, 1), keep={}))  # no layer fits: said so, not "0 layers"
    snap, _ = settle(host)
    assert any("no layer's weights fit it" in e for e in snap.events)
    assert not any("weights of 0 layers" in e for e in snap.events)


def test_close_stops_the_host(host):
    host.play()
    wait_for(host, lambda s: s.step > 0)
    host.close()
    assert not host.alive


def test_a_process_reproduces_a_trainer_after_reset():
    spec = circle_spec()
    lp = LiveProcess(spec)
    try:
        lp.step(4)
        settle(lp)
        lp.reset(spec)
        lp.step(10)
        snap, _ = settle(lp)
        t = spec.trainer()
        t.run(10)
        assert snap.generation == 1
        np.testing.assert_array_equal(snap.weights["dense1"][0], t.network.params["dense1"][0])
    finally:
        lp.close()
    assert not lp.alive


# ------------------------------------------------------------------ at rest
def test_a_paused_run_publishes_once_per_change_and_a_request_is_no_change():
    run = Run(circle_spec())
    assert run.due() == ALL_PARTS  # its first state
    run.snapshot(run.due())
    assert run.due() is None  # at rest: nothing to publish, nothing to compute
    apply(run, RequestSnapshot(frozenset()))
    assert run.due() == ALL_PARTS  # a paused run answers in full (no frame draws half of it)
    run.snapshot(run.due())
    assert run.due() is None and not run.dirty  # the request changed nothing
    for command in (SetSpeed(50.0), UpdateConfig({"lr": 0.2}), Pause()):
        apply(run, command)
        assert run.due() == ALL_PARTS  # a command: the state it left, once
        run.snapshot(run.due())
        assert run.due() is None
    apply(run, Step(3))
    assert run.busy and run.due() is None  # training: only what is asked for
    apply(run, RequestSnapshot(frozenset({"stats"})))
    assert run.due() == {"stats"}
    run.snapshot(run.due())
    while run.busy:
        run.train()
    assert run.due() == ALL_PARTS  # the end of the steps, in full
    assert run.snapshot(run.due()).step == 3


def test_a_hand_typed_weight_shows_in_the_losses_and_the_rows(host):
    """The run records a row for the weights now: read-outs and curves follow."""
    host.step(5)
    before, _ = settle(host)
    host.set_weight("dense1", 0, 1, 3.5)
    snap, rows = settle(host)
    assert (snap.step, snap.epoch) == (before.step, before.epoch) and len(rows) == 1
    # The loss of the typed weights, by a forward pass written here.
    spec = circle_spec()
    W = {n: (np.array(w), b) for n, (w, b) in snap.weights.items()}
    assert W["dense1"][0][0, 1] == 3.5
    d = spec.data
    a = d.X_train
    for nid in ("dense1", "dense2"):
        a = np.tanh(a @ W[nid][0] + W[nid][1])
    p = 1 / (1 + np.exp(-(a @ W["output"][0] + W["output"][1])))
    y = d.Y_train
    bce = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    assert snap.last["train_loss"] == pytest.approx(bce, rel=1e-9) == rows[0]["train_loss"]
    assert before.last["train_loss"] != pytest.approx(bce, rel=1e-3)


def test_replacing_the_network_with_the_same_data_sends_no_rows():
    ds = wide_data()
    spec = wide_spec(ds)
    lp = LiveProcess(spec)
    try:
        settle(lp)
        assert lp.data_shared == 1  # the data went once, as a file the worker maps
        assert lp.bytes_sent < ds.X.nbytes / 10  # not through the pipe
        before = lp.bytes_sent
        again = wide_spec(ds, widths=(4, 8, 1))  # equal data, built anew
        lp.replace(again)
        lp.reset(again)
        sent = lp.sent
        # A paused run publishes its change by itself: waited for without
        # asking (each request would add its bytes), so only the two commands count.
        def applied():
            snap = lp.latest()
            return snap if snap is not None and snap.applied >= sent else None
        snap = wait_until(applied, "a snapshot with both commands applied", timeout=STUCK, interval=0.002)
        assert lp.bytes_sent - before < 20_000  # two graphs: no rows
        assert lp.data_shared == 1
        assert snap.weights["dense1"][0].shape == (4, 8) and snap.generation == 1
    finally:
        lp.close()


def test_data_the_worker_dropped_is_sent_again():
    sets = [wide_data(300, seed=i) for i in range(6)]  # more than the worker keeps
    lp = LiveProcess(wide_spec(sets[0]))
    try:
        for ds in sets[1:] + sets[:2]:
            lp.reset(wide_spec(ds))
            lp.step(2)
            snap, _ = settle(lp)
            assert snap.error is None and snap.step == 2
    finally:
        lp.close()


def test_a_flood_of_changes_never_blocks_either_side_and_the_last_one_wins():
    """100,000 rows; the test plays a GUI that sends speeds, settings and
    snapshot requests in a plain loop while snapshots stream, and reads
    nothing until the worker has taken every command."""
    ds = wide_data()
    spec = wide_spec(ds)
    lp = LiveProcess(spec)
    try:
        settle(lp)
        lp.play()
        a, b = socket.socketpair()  # a pair like the host's: what its buffers hold
        buffers = a.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) + \
            b.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        a.close(), b.close()
        # Rounds of commands, twice what the buffers hold: the worker must
        # keep reading while its snapshots wait for a reader that does not read.
        one = sum(len(pickle.dumps(c, pickle.HIGHEST_PROTOCOL)) for c in (
            SetSpeed(1e6), UpdateConfig({"lr": 0.01, "batch_size": 1}), RequestSnapshot(ALL_PARTS)))
        rounds = 2 * buffers // one + 1
        start, turns = lp.bytes_sent, 0
        for i in range(rounds):
            speed = 1e6 + i
            config = {"lr": 0.01 + (i % 97) / 1000, "batch_size": 1 + i % 31}
            lp.set_speed(speed)
            lp.update_config(**config)
            lp.request_snapshot(ALL_PARTS)
            turns += 1
        assert turns == rounds  # every send returned
        # Still not reading: the worker drains our queue.
        wait_until(lambda: not lp.backlog, "the worker to take every command", timeout=STUCK, interval=0.005)
        assert lp.bytes_sent - start > 2 * buffers
        lp.pause()
        snap, _ = settle(lp)
        assert (snap.config.lr, snap.config.batch_size) == (config["lr"], config["batch_size"])
    finally:
        lp.close()


def test_big_data_goes_to_the_worker_as_a_file_it_maps_and_removes(tmp_path, monkeypatch):
    """The worker reads the same numbers from the mapped file; the file's
    name is gone once the worker took it; the pipe carried no rows."""
    from nnbuilder.core.run.protocol import MappedData

    ds = wide_data(rows=60_000)
    spec = wide_spec(ds)
    m = MappedData.write(spec.data, str(tmp_path))
    back = m.load()
    assert not os.path.exists(m.path)
    for name in ("X_train", "Y_train", "X_test", "Y_test", "labels_train", "labels_test"):
        np.testing.assert_array_equal(getattr(back, name), getattr(spec.data, name))
    assert back.task == spec.data.task and back.n_classes == spec.data.n_classes

    written = []
    real_write = MappedData.write.__func__
    monkeypatch.setattr(MappedData, "write", classmethod(
        lambda cls, data, folder=None: written.append(real_write(cls, data, folder)) or written[-1]))
    lp = LiveProcess(spec)
    try:
        lp.step(3)
        snap, _ = settle(lp)
        assert snap.step == 3 and lp.data_shared == 1 and lp.bytes_sent < spec.data.X_train.nbytes / 10
        assert len(written) == 1 and not os.path.exists(written[0].path)  # the worker took it
        # The same run in this process, on the data as it was: the same loss.
        t = spec.trainer()
        t.run(3)
        assert snap.last["train_loss"] == t.history.last["train_loss"]
    finally:
        lp.close()


def test_the_worker_trains_large_layers_on_every_core_and_small_ones_on_one():
    """The worker sets its BLAS threads by the network's size and reports
    what the BLAS library says: every core for 256-512-1 at batch 512 (a
    step of 2**26 multiplications in its first layer), one for 4-6-1 at
    batch 10."""
    from nnbuilder.core.run.worker import BLAS_WORK, machine_cores

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 256))
    big_ds = Dataset(X, (X[:, 0] > 0).astype(np.int64), "classification", n_classes=2)
    g = Graph.chain([256, 512, 1])
    big = RunSpec(g.to_dict(), TrainData.from_dataset(big_ds, Network(g), 0.5),
                  TrainConfig(lr=0.03, batch_size=512), seed=3)
    assert 512 * 256 * 512 == BLAS_WORK
    lp = LiveProcess(big)
    try:
        lp.step(1)
        snap, _ = settle(lp)
        assert snap.blas_threads == machine_cores()
        small = wide_spec(wide_data(rows=400))
        lp.reset(small)
        snap, _ = settle(lp)
        assert snap.blas_threads == 1
    finally:
        lp.close()


def test_data_staged_ahead_is_what_the_worker_gets_and_is_written_once(monkeypatch):
    """The window stages big data when it is prepared; the process host
    then sends that very file (no second hash or file), and staging the data
    it took again does nothing."""
    from nnbuilder.core.run.live import DataStager
    from nnbuilder.core.run.protocol import MappedData

    written = []
    real_write = MappedData.write.__func__
    monkeypatch.setattr(MappedData, "write", classmethod(
        lambda cls, data, folder=None: written.append(real_write(cls, data, folder)) or written[-1]))
    spec = wide_spec(wide_data(rows=60_000))
    stager = DataStager()
    stager.stage(spec.data)
    lp = LiveProcess(spec, stager)
    try:
        lp.step(2)
        snap, _ = settle(lp)
        assert snap.step == 2 and lp.data_shared == 1 and len(written) == 1
        assert not os.path.exists(written[0].path)  # the worker took it
        stager.stage(spec.data)  # the same data again: already the worker's
        lp.replace(spec)
        settle(lp)
        assert len(written) == 1 and lp.data_shared == 1
    finally:
        lp.close()
        stager.close()


def test_data_made_in_shared_memory_goes_as_its_own_pages_and_lives_until_the_worker_has_them():
    """Training data prepared for a run (prepared.data_steps) is sent as the
    file its features already are, nothing written; the sender may drop it
    at once (the window does when the data changes): it stays until the
    worker applied the command after it, and its file goes after that. The
    worker trains on the same numbers as a run in this process."""
    import gc
    import weakref

    from nnbuilder.core.run.prepared import data_steps
    from nnbuilder.core.run.protocol import MappedData, data_bytes

    ds = wide_data(rows=60_000)
    g = Graph.chain([4, 6, 1])
    steps = data_steps(ds, Network(g), (0.5, 0))
    while True:
        try:
            next(steps)
        except StopIteration as done:
            data = done.value
            break
    shared = MappedData.sharing(data)
    assert shared is not None and os.path.exists(shared.path)
    np.testing.assert_array_equal(data.X_train, TrainData.from_dataset(ds, Network(g), 0.5).X_train)
    spec = RunSpec(g.to_dict(), data, TrainConfig(lr=0.03, batch_size=10), seed=3)
    t = spec.trainer()
    t.run(3)
    gone = weakref.ref(data)
    others = data_bytes(data) - data.X_train.nbytes - data.X_test.nbytes
    lp = LiveProcess(spec)
    try:
        del spec, data, t.data, t
        gc.collect()
        lp.step(3)
        snap, _ = settle(lp)
        assert snap.error is None and snap.step == 3 and lp.data_shared == 1
        assert lp.bytes_sent < others + 100_000  # targets and row numbers crossed the pipe, the features did not
        expected = TrainData.from_dataset(ds, Network(g), 0.5)
        t = RunSpec(g.to_dict(), expected, TrainConfig(lr=0.03, batch_size=10), seed=3).trainer()
        t.run(3)
        assert snap.last["train_loss"] == t.history.last["train_loss"]
        gc.collect()
        assert gone() is None and not os.path.exists(shared.path)  # let go once the worker had it
    finally:
        lp.close()
