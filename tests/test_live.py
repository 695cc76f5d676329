"""The background training thread: commands, snapshots, no lost rows, errors."""
import time

import numpy as np
import pytest

from nnbuilder.core.datasets import make_dataset
from nnbuilder.core.graph import Graph
from nnbuilder.core.live import LiveTrainer
from nnbuilder.core.network import Network
from nnbuilder.core.probe import input_grid
from nnbuilder.core.trainer import TrainConfig, TrainData, Trainer


def make_live(lr=0.03, widths=(2, 4, 4, 1), dataset="circle", **kw):
    g = Graph.chain(list(widths)) if dataset == "circle" else \
        Graph.chain(list(widths), output_activation="linear", loss="l2", bias=False)
    net = Network(g)
    ds = make_dataset(dataset, samples=200 if dataset == "circle" else None)
    t = Trainer(net, TrainData.from_dataset(ds, net, 0.5), TrainConfig(lr=lr, batch_size=10), seed=1)
    return LiveTrainer(t, input_grid(ds.X, 50), input_grid(ds.X, 20), **kw)


def wait_for(live, cond, timeout=10.0):
    """Take snapshots until ``cond(snapshot)``; return that snapshot and all rows seen."""
    end = time.monotonic() + timeout
    rows = []
    while time.monotonic() < end:
        live.request_snapshot()  # a worker process sends snapshots when asked
        snap = live.latest()
        if snap is not None:
            rows += snap.rows
            if cond(snap):
                return snap, rows
        time.sleep(0.005)
    raise AssertionError("condition not reached")


@pytest.fixture
def live():
    lv = make_live()
    yield lv
    lv.close()


def test_play_pause_and_counters(live):
    first = live.latest()
    assert first.step == 0 and not first.running and len(first.rows) == 1  # row 0
    live.play()
    snap, _ = wait_for(live, lambda s: s.epoch >= 5)
    assert snap.running and snap.steps_per_sec >= 0
    live.pause()
    paused, _ = wait_for(live, lambda s: not s.running)
    time.sleep(0.2)
    later = live.peek()
    assert later.step == paused.step  # the counter stopped


def test_step_runs_exactly_one_update(live):
    before = live.latest()
    live.step(1)
    snap, _ = wait_for(live, lambda s: s.step == 1)
    assert not snap.running
    changed = [not np.array_equal(before.weights[n][0], snap.weights[n][0]) for n in snap.weights]
    assert all(changed)
    time.sleep(0.1)
    assert live.peek().step == 1
    live.step_epoch()  # runs to the end of the epoch
    snap, _ = wait_for(live, lambda s: s.epoch == 1)
    assert snap.step == 10  # 100 training samples, batch 10
    live.step_epoch()
    snap, _ = wait_for(live, lambda s: s.epoch == 2)
    assert snap.step == 20


def test_no_history_row_is_lost_when_snapshots_are_dropped(live):
    live.play()
    time.sleep(0.5)  # many snapshots published, none taken
    live.pause()
    snap, rows = wait_for(live, lambda s: not s.running)
    epochs = [r["epoch"] for r in rows]
    assert epochs == list(range(len(epochs))) and epochs[-1] == snap.epoch


def test_snapshots_are_never_written_again(live):
    s0 = live.latest()
    kept = {n: (W.copy(), None if b is None else b.copy()) for n, (W, b) in s0.weights.items()}
    out = s0.outputs.copy()
    live.play()
    wait_for(live, lambda s: s.epoch >= 3)
    live.pause()
    for n, (W, b) in s0.weights.items():
        np.testing.assert_array_equal(W, kept[n][0])
    np.testing.assert_array_equal(s0.outputs, out)


def test_config_change_applies_while_running(live):
    live.play()
    wait_for(live, lambda s: s.epoch >= 1)
    live.update_config(lr=0.5, batch_size=20)
    snap, _ = wait_for(live, lambda s: s.config.lr == 0.5)
    assert snap.config.batch_size == 20 and live.trainer.config.lr == 0.5
    live.pause()


def test_divergence_pauses_and_keeps_finite_weights():
    lv = make_live(lr=0.5, widths=(1, 1), dataset="seed_table")
    try:
        lv.play()
        snap, _ = wait_for(lv, lambda s: s.divergence is not None)
        assert not snap.running and snap.divergence["lr"] == 0.5
        assert all(np.isfinite(W).all() for W, _ in snap.weights.values())
    finally:
        lv.close()


def test_an_exception_in_the_worker_is_reported_and_the_thread_lives_on(live, monkeypatch):
    def boom(n):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(live.trainer, "run", boom)
    live.play()
    snap, _ = wait_for(live, lambda s: s.error is not None)
    assert "simulated failure" in snap.error and not snap.running
    assert live.alive
    monkeypatch.undo()
    live.step(1)
    wait_for(live, lambda s: s.step == 1)


def test_speed_limit(live):
    live.set_speed(100.0)
    live.play()
    t0 = time.monotonic()
    time.sleep(0.6)
    live.pause()
    snap, _ = wait_for(live, lambda s: not s.running)
    elapsed = time.monotonic() - t0
    assert 0.3 * 100 * elapsed <= snap.step <= 100 * elapsed + 20


def test_replace_keeps_layers_whose_shape_did_not_change(live):
    live.step(30)
    before, _ = wait_for(live, lambda s: s.step == 30)
    g = Graph.chain([2, 4, 6, 1])  # dense2: 4 -> 6 units; output: 4 -> 6 inputs
    net = Network(g)
    ds = make_dataset("circle", samples=200)
    keep = {n: {"W": W, "b": b} for n, (W, b) in before.weights.items()}
    live.replace(net, TrainData.from_dataset(ds, net, 0.5), input_grid(ds.X, 50), None, keep)
    snap, _ = wait_for(live, lambda s: s.weights["dense2"][0].shape == (4, 6))
    np.testing.assert_array_equal(snap.weights["dense1"][0], before.weights["dense1"][0])
    assert snap.step == 30 and any("kept the weights of 1 layer" in e for e in snap.events)


def test_close_stops_the_thread():
    lv = make_live()
    lv.play()
    time.sleep(0.1)
    lv.close()
    assert not lv.alive


def test_the_same_commands_drive_a_training_process():
    from nnbuilder.core.live import LiveProcess, RunSpec

    net = Network(Graph.chain([2, 4, 4, 1]))
    ds = make_dataset("circle", samples=200)
    spec = RunSpec(Graph.chain([2, 4, 4, 1]).to_dict(), TrainData.from_dataset(ds, net, 0.5),
                   TrainConfig(lr=0.03, batch_size=10), seed=1, grid=input_grid(ds.X, 50))
    lp = LiveProcess(spec)
    try:
        rows = []
        first, r = wait_for(lp, lambda s: True)
        rows += r
        assert first.step == 0 and first.outputs.shape == (2500, 1)
        lp.step(3)
        snap, r = wait_for(lp, lambda s: s.step == 3)
        rows += r
        lp.play()
        snap, r = wait_for(lp, lambda s: s.epoch >= 5)
        rows += r
        lp.update_config(lr=0.2)
        snap, r = wait_for(lp, lambda s: s.config.lr == 0.2)
        rows += r
        lp.pause()
        snap, r = wait_for(lp, lambda s: not s.running)
        rows += r
        assert [r["epoch"] for r in rows] == list(range(snap.epoch + 1))  # none lost
        # An error in the worker comes back as a message, and the process lives on.
        lp.set_weight("dense1", 0, 0, float("nan"))
        err, _ = wait_for(lp, lambda s: s.error is not None)
        assert "finite" in err.error and lp.alive
        # Same seed, same run: the process reproduces the in-thread trainer.
        lp.reset(spec)
        lp.step(10)
        snap, _ = wait_for(lp, lambda s: s.step == 10 and s.generation == 1)
        t = spec.trainer()
        t.run(10)
        np.testing.assert_array_equal(snap.weights["dense1"][0], t.network.params["dense1"][0])
    finally:
        lp.close()
    assert not lp.alive
