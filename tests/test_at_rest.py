"""At rest, at rest: a paused window and its worker use (almost) no CPU, and
nothing users see goes stale for it."""
import os
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

IDLE_SECONDS = 10.0
MAX_IDLE_SHARE = 0.05  # of one core, window and worker together
WAIT = 15000


def worker_cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (from /proc/<pid>/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def snap(w):
    return w.run.snapshot


def test_a_paused_window_and_its_worker_rest(qtbot, window):
    w = window
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 3, timeout=WAIT)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not snap(w).running and w.play_button.text() == "Train", timeout=WAIT)
    pid = w.run.worker.pid
    ours, theirs, t0 = time.process_time(), worker_cpu_seconds(pid), time.perf_counter()
    qtbot.wait(int(IDLE_SECONDS * 1000))  # the measured interval of an idle event loop
    wall = time.perf_counter() - t0
    used = (time.process_time() - ours) + (worker_cpu_seconds(pid) - theirs)
    print(f"idle CPU: {100 * used / wall:.2f}% of one core over {wall:.1f} s")
    assert used / wall <= MAX_IDLE_SHARE, f"{100 * used / wall:.1f}% of a core while paused"


# ------------------------------------------------- nothing users see goes stale
def shown_counters(w) -> tuple[int, int]:
    """(epoch, step) as the toolbar reads: "Epoch 3 · step 75"."""
    words = w.epoch_label.text().replace(",", "").split()
    return int(words[1]), int(words[4])


def shown_loss(w) -> float | None:
    """The train loss the toolbar reads ("loss 0.1234 · test ..."), None when empty."""
    text = w.loss_label.text()
    return float(text.split()[1]) if text.startswith("loss ") else None


def train_curve(w):
    """The loss plot's train curve as drawn: (epochs, losses)."""
    x, y = w.curves.loss.train.getData()
    return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))


def rested(w) -> bool:
    return not w.live.timer.isActive()


def independent_train_loss(w, tmp_path) -> float:
    """The training rows' loss of the weights the window holds, by a forward
    pass written in the test from the saved model file."""
    from forward import bce, forward, read_model

    path = tmp_path / "now.json"
    assert w.files.save_to(str(path))
    tr, _ = w.data.split_indices()
    ds = w.data.dataset
    p, _ = forward(read_model(path), ds.X[tr])
    return bce(p, ds.y[tr])


def test_after_pause_step_a_typed_weight_and_reset_every_read_out_is_new(qtbot, window, tmp_path,
                                                                          monkeypatch):
    from nnbuilder.gui.window.mainwindow import MainWindow

    w = window
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 3, timeout=WAIT)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    # Pause: the counters and the curve show where the run stopped, then it rests.
    qtbot.waitUntil(lambda: rested(w) and w.play_button.text() == "Train", timeout=WAIT)
    s = snap(w)
    assert shown_counters(w) == (s.epoch, s.step) and s.step > 0
    assert train_curve(w)[1][-1] == s.last["train_loss"] and train_curve(w)[0][-1] == s.epoch
    # Step: one more, shown without training on.
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_counters(w)[1] == s.step + 1 and rested(w), timeout=WAIT)
    stepped = shown_counters(w)
    # A weight typed by hand: the loss read-out and the curve show the loss of the new weights.
    monkeypatch.setattr(MainWindow, "_ask_weight", lambda self, n, i, j, cur: 4.0)
    edge = w.scene.edge_items[("dense1", "dense2")]
    p, q = edge.neuron_lines[1]  # W[0, 1]
    pos = w.view.mapFromScene((p + q) / 2)
    n_points = len(train_curve(w)[1])
    qtbot.mouseDClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: len(train_curve(w)[1]) == n_points + 1 and rested(w), timeout=WAIT)
    assert snap(w).weights["dense2"][0][0, 1] == 4.0
    expected = independent_train_loss(w, tmp_path)
    assert train_curve(w)[1][-1] == pytest.approx(expected, rel=1e-9)
    assert shown_loss(w) == pytest.approx(expected, rel=1e-3)  # as the label rounds it (4 digits)
    assert shown_counters(w) == stepped
    # Reset: a new run from step 0, its one row on the curve.
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_counters(w) == (0, 0) and len(train_curve(w)[1]) == 1 and rested(w),
                    timeout=WAIT)
    assert shown_loss(w) == pytest.approx(train_curve(w)[1][0], rel=1e-3)
    assert w.errors == []


def test_after_a_data_change_a_rewind_and_open_every_read_out_is_new(qtbot, window, tmp_path):
    w = window
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 4, timeout=WAIT)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rested(w) and w.play_button.text() == "Train", timeout=WAIT)
    # A rewind on the timeline: the counters and the curve go back to the moment.
    bar = w.curves.timeline
    qtbot.waitUntil(bar.isEnabled, timeout=WAIT)
    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_Home)
    for _ in range(2):
        qtbot.keyClick(bar.slider, Qt.Key.Key_Right)
    moment = bar.moments[bar.slider.value()]
    qtbot.waitUntil(lambda: bar.continue_here.isEnabled(), timeout=WAIT)
    qtbot.mouseClick(bar.continue_here, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_counters(w) == (int(moment[1]), int(moment[0])) and rested(w), timeout=WAIT)
    assert train_curve(w)[0][-1] <= moment[1]
    # Other data: a new run over it, from the weights that fit; the loss is the new data's.
    w.training_panel.dataset.setCurrentText("xor")
    qtbot.waitUntil(lambda: shown_counters(w) == (0, 0) and len(train_curve(w)[1]) == 1 and rested(w),
                    timeout=WAIT)
    assert snap(w).generation > 0
    assert shown_loss(w) == pytest.approx(independent_train_loss(w, tmp_path), rel=1e-3)
    # Train on it, then Open a file: the opened network's counters and curves, nothing of the run.
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: shown_counters(w)[0] == 1 and rested(w), timeout=WAIT)
    saved = tmp_path / "trained.json"
    assert w.files.save_to(str(saved))
    assert w.files.open_file(str(saved), ask_to_save=False)
    qtbot.waitUntil(lambda: shown_counters(w) == (0, 0) and len(train_curve(w)[1]) == 0 and rested(w),
                    timeout=WAIT)
    assert shown_loss(w) is None
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_counters(w) == (0, 1) and len(train_curve(w)[1]) >= 1 and rested(w),
                    timeout=WAIT)
    assert w.errors == []
