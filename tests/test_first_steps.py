"""Big data, first step first: a run whose full evaluation is costly takes its
first steps before it evaluates its starting weights (history row 0, still
true), and a long epoch shows the mean loss of its recent batches.

Checked structurally (the order of what happened, the numbers against plain
NumPy), never by time.
"""
import math
import queue
import threading

import numpy as np

from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.network import Network
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import RUNNING_LOSS_STEPS, Trainer
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.run import worker
from nnbuilder.core.run.protocol import Play, Quit, RequestSnapshot, RunSpec
from nnbuilder.core.run.snapshot import SnapshotBox
from nnbuilder.core.run.worker import Run, queue_receiver, serve
from conftest import wait_until

STUCK = 120.0


def circle(batch_size=1):
    g = Graph.chain([2, 5, 1])
    data = TrainData.from_dataset(make_dataset("circle", samples=200), Network(g), 0.5, seed=2)
    return g, data, TrainConfig(lr=0.05, batch_size=batch_size)


def np_bce(weights, X, Y):
    """The chain's loss in plain NumPy: tanh hidden layer, sigmoid output, mean bce."""
    h = np.tanh(X @ weights["dense1"]["W"] + weights["dense1"]["b"])
    p = 1 / (1 + np.exp(-(h @ weights["output"]["W"] + weights["output"]["b"])))
    return float(-np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p)))


def test_a_deferred_start_steps_first_and_row_0_is_the_starting_weights():
    g, data, cfg = circle()
    ref = Trainer(Network(g), data, cfg, seed=4)  # evaluates row 0 at once
    start = ref.network.get_weights()
    t = Trainer(Network(g), data, cfg, seed=4, defer_start=True)
    assert t.start_pending and len(t.history) == 0
    assert math.isnan(t.history.last["train_loss"]) and t.history.last["step"] == 0

    t.run(10)  # steps before any full evaluation
    assert t.step == 10 and t.start_pending and len(t.history) == 0
    theta = t.network.theta.copy()
    row = t.evaluate_start()
    assert not t.start_pending and t.evaluate_start() is None
    assert np.array_equal(t.network.theta, theta)  # evaluating the start leaves the weights of now
    assert row["step"] == 0 and t.history.step.tolist() == [0]
    assert abs(row["train_loss"] - np_bce(start, data.X_train, data.Y_train)) < 1e-9
    assert abs(row["test_loss"] - np_bce(start, data.X_test, data.Y_test)) < 1e-9

    # Deferring changes no number: the same run, step for step, row for row.
    t.run_epochs(3)
    ref.run_epochs(3)
    for name in ref.history.columns:
        assert np.array_equal(t.history.column(name), ref.history.column(name)), name
    assert t.reference_loss == ref.reference_loss
    assert np.array_equal(t.network.theta, ref.network.theta)


def test_an_epoch_end_evaluates_the_start_first():
    g, data, cfg = circle(batch_size=7)
    t = Trainer(Network(g), data, cfg, seed=4, defer_start=True)
    start = Trainer(Network(g), data, cfg, seed=4).network.get_weights()
    t.run(t.steps_per_epoch)  # nobody asked for row 0: the epoch's end brings it, before its own
    assert t.history.step.tolist() == [0, t.steps_per_epoch]
    assert abs(t.history.train_loss[0] - np_bce(start, data.X_train, data.Y_train)) < 1e-9


def test_the_running_loss_is_the_mean_of_the_recent_batches_losses():
    g, data, cfg = circle(batch_size=1)  # 100 training rows: 100 steps an epoch
    t = Trainer(Network(g), data, cfg, seed=4)
    assert t.steps_per_epoch >= RUNNING_LOSS_STEPS
    losses = []
    for _ in range(7):
        idx = t.next_batch()
        losses.append(np_bce(t.network.get_weights(), data.X_train[idx], data.Y_train[idx]))
        t.run(1)
    assert t.running_loss.count == 7
    assert abs(t.running_loss.mean() - np.mean(losses)) < 1e-9
    t.run(t.steps_to_epoch_end)  # an epoch's end starts the next epoch's batches afresh
    assert t.running_loss.count == 0 and math.isnan(t.running_loss.mean())


def test_short_epochs_keep_no_running_loss():
    g, data, cfg = circle(batch_size=10)  # 10 steps an epoch: its rows come often enough
    t = Trainer(Network(g), data, cfg, seed=4)
    t.run(5)
    assert t.running_loss.count == 0


def serve_in_thread(run, commands):
    box = SnapshotBox()
    thread = threading.Thread(target=serve, args=(run, queue_receiver(commands), box), daemon=True)
    thread.start()
    return box, thread


def spy_on_start(run) -> list:
    """The trainer's step each time the run asks for row 0's evaluation."""
    calls, real = [], run.trainer.evaluate_start

    def spy():
        calls.append((run.trainer.step, run.trainer.start_pending))
        return real()
    run.trainer.evaluate_start = spy
    return calls


def collect(box, commands, cond):
    """Every row of the snapshots taken until ``cond(snapshot, rows)`` (asking
    for one after each taken, as the window does); and that snapshot."""
    rows = []
    commands.put(RequestSnapshot(frozenset()))

    def reached():
        snap = box.take()
        if snap is None:
            return None
        rows.extend(snap.rows)
        if cond(snap, rows):
            return snap
        commands.put(RequestSnapshot(frozenset()))
        return None

    return wait_until(reached, "a snapshot meeting the condition", timeout=STUCK, interval=0.002), rows


def test_a_big_live_run_takes_its_first_steps_before_the_full_evaluation(monkeypatch):
    monkeypatch.setattr(worker, "START_WORK", 0)  # this small run counts as big
    g, data, cfg = circle(batch_size=1)
    spec = RunSpec(g.to_dict(), data, cfg, seed=4)
    run = Run(spec)
    assert run.trainer.start_pending and run.rows == []
    calls = spy_on_start(run)
    commands = queue.Queue()
    commands.put(Play())
    box, thread = serve_in_thread(run, commands)
    try:
        snap, rows = collect(box, commands, lambda s, rows: s.epoch >= 2)
    finally:
        commands.put(Quit())
        thread.join(STUCK)
    pending_calls = [step for step, pending in calls if pending]
    assert pending_calls and pending_calls[0] > 0  # the full evaluation came after steps
    steps = [r["step"] for r in rows]
    assert steps[0] == 0 and steps.count(0) == 1 and steps == sorted(steps)  # row 0 first, once
    start = Trainer(Network(g), data, cfg, seed=4).network.get_weights()
    assert abs(rows[0]["train_loss"] - np_bce(start, data.X_train, data.Y_train)) < 1e-9


def test_a_big_run_at_rest_evaluates_its_start_and_shows_it(monkeypatch):
    monkeypatch.setattr(worker, "START_WORK", 0)
    g, data, cfg = circle()
    run = Run(RunSpec(g.to_dict(), data, cfg, seed=4))
    commands = queue.Queue()
    box, thread = serve_in_thread(run, commands)
    try:
        snap, rows = collect(box, commands, lambda s, rows: np.isfinite(s.last["train_loss"]))
    finally:
        commands.put(Quit())
        thread.join(STUCK)
    assert snap.step == 0 and [r["step"] for r in rows] == [0]
    assert snap.confusion is not None  # the full snapshot of a run at rest, once row 0 is known
    start = Trainer(Network(g), data, cfg, seed=4).network.get_weights()
    assert abs(snap.last["train_loss"] - np_bce(start, data.X_train, data.Y_train)) < 1e-9
    moments = run.trainer.timeline.moments
    assert moments[0].step == 0 and moments[0].train_loss == snap.last["train_loss"]


def test_the_toolbar_loss_moves_during_a_long_first_epoch(qtbot, window):
    """Batch 1 on circle's 250 training rows at 100 steps/s: the first epoch
    lasts seconds; its history row is not written yet, yet the toolbar shows
    the recent batches' mean loss, as the run sent it, and it changes."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QComboBox, QSpinBox
    from guitools import type_into

    type_into(qtbot, window.findChild(QSpinBox, "batchSizeSpin"), "1")
    speed = window.findChild(QComboBox, "speedCombo")
    speed.setCurrentIndex(speed.findText("100 steps/s"))
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    seen = []

    def moving():
        s = window.drawn
        if s is None or s is not window.run.snapshot or s.epoch > 0 or s.running_loss is None:
            return False
        mean, n = s.running_loss
        text = window.loss_label.text()
        assert text.startswith(f"loss {s.last['train_loss']:.4g}")  # the step-0 row, as before
        assert f"batches {mean:.4g} (mean of last {n})" in text
        if not seen or seen[-1] != text:
            seen.append(text)
        return len(seen) >= 3

    qtbot.waitUntil(moving, timeout=30000)
    assert window.run.snapshot.epoch == 0 and window.run.snapshot.last["step"] == 0


def test_a_slice_through_a_wide_table_is_a_coarser_grid_of_true_outputs():
    """The window's first frame evaluates the output view's grid: for 784
    columns at most VIEW_CELLS input cells (not 100 x 100 x 784), each point
    still the network's output there (plain NumPy)."""
    from nnbuilder.core.data.dataset import Dataset
    from nnbuilder.core.run.outputview import (BOUNDARY_RES, VIEW_CELLS, evaluate_view, output_grids,
                                               view_of)

    rng = np.random.default_rng(0)
    wide = Dataset(rng.integers(0, 256, size=(300, 784)).astype(np.float32),
                   rng.integers(0, 2, 300), "classification", n_classes=2)
    v = view_of(wide, (3, 9))
    assert v.resolution ** 2 * 784 <= VIEW_CELLS and v.resolution < BOUNDARY_RES
    assert view_of(make_dataset("circle"), (0, 1)).resolution == BOUNDARY_RES  # 2-D data as before
    grid, _ = output_grids(wide, (3, 9))
    assert grid.resolution == v.resolution and grid.raw.shape == (v.resolution ** 2, 784)
    g = Graph.chain([784, 5, 1], features=[f"x{j + 1}" for j in range(784)])
    net = Network(g)
    net.init_params(np.random.default_rng(1))
    outputs, _ = evaluate_view(net, grid.features(net))
    expected = 1 / (1 + np.exp(-(np.tanh(grid.raw @ net.params["dense1"][0] + net.params["dense1"][1])
                                 @ net.params["output"][0] + net.params["output"][1])))
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)


def test_a_big_run_stepped_by_hand_shows_its_steps_then_its_starting_loss(monkeypatch):
    monkeypatch.setattr(worker, "START_WORK", 0)
    from nnbuilder.core.run.protocol import Step

    g, data, cfg = circle(batch_size=7)
    run = Run(RunSpec(g.to_dict(), data, cfg, seed=4))
    calls = spy_on_start(run)
    commands = queue.Queue()
    commands.put(Step(3))
    box, thread = serve_in_thread(run, commands)
    try:
        snap, rows = collect(box, commands, lambda s, rows: s.step == 3 and np.isfinite(s.last["train_loss"]))
    finally:
        commands.put(Quit())
        thread.join(STUCK)
    assert [step for step, pending in calls if pending][0] == 3  # after the steps were shown
    assert [r["step"] for r in rows] == [0] and not snap.running
    start = Trainer(Network(g), data, cfg, seed=4).network.get_weights()
    assert abs(snap.last["train_loss"] - np_bce(start, data.X_train, data.Y_train)) < 1e-9


def test_a_window_keeps_looking_while_a_big_runs_starting_loss_is_evaluated(qtbot, window):
    """The engineer's trial: after importing the 60,000-row table (and after
    Reset) the toolbar read "loss evaluating…" for 15 s and more, until Train:
    the worker had published row 0 by itself, but the window rested, having
    seen a paused snapshot of every command sent. A snapshot whose starting
    loss is pending is not the end: the window keeps taking snapshots."""
    import dataclasses

    from guitools import wait_drawn
    from nnbuilder.gui.run.live_view import loss_text

    w = window
    w.run.step(False)
    wait_drawn(qtbot, w, lambda s: s.step == 1)
    qtbot.waitUntil(lambda: w.run.settled)
    snap = w.run.state.snapshot
    assert not snap.start_pending and loss_text(snap).startswith("loss ")
    pending = dataclasses.replace(snap, last={**snap.last, "step": 0, "train_loss": float("nan")})
    assert pending.start_pending and loss_text(pending) == "loss evaluating…"
    w.run.state.snapshot = pending
    assert not w.run.settled  # the live view goes on asking for the next snapshot
    w.run.state.snapshot = snap
    assert w.run.settled
