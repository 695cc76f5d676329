"""The perceptron rule in the window (issue 12, point 1): chosen in the
Training panel, it learns AND, says why XOR fails, refuses hidden layers,
and the output view's line moves with each update."""
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from nnbuilder.core.data.datasets import make_dataset
from guitools import type_into, wait_drawn
from nnbuilder.gui import MainWindow

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
WAIT = 15000


def snap(w):
    return w.run.snapshot


def choose_perceptron(qtbot, w, max_epochs: int):
    panel = w.training_panel
    panel.optimizer.setCurrentText("perceptron")
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.1")
    type_into(qtbot, w.findChild(QSpinBox, "maxEpochsSpin"), str(max_epochs))
    assert w.document.training.optimizer == "perceptron" and w.document.training.max_epochs == (max_epochs or None)
    # The rule takes one sample per step and has no penalty: those settings are off.
    assert not panel.batch.isEnabled() and not panel.reg.isEnabled() and not panel.momentum.isEnabled()


def train_until_stopped(qtbot, w):
    # The stopped snapshot of the last run is still the newest until the worker
    # takes Play: wait for steps past it.
    before = -1 if snap(w) is None else snap(w).step
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    return wait_drawn(qtbot, w, lambda s: s.step > before and s.stop_reason is not None, timeout=WAIT)


def predictions(s, dataset):
    W, b = s.weights["output"]
    return ((make_dataset(dataset).X @ W + b)[:, 0] > 0).astype(int)


def test_the_perceptron_learns_and_in_the_window_and_fails_on_xor_with_the_lecture_point(
        qtbot, make_window, monkeypatch):
    shown = []  # (text, ms) of every status message: 0 ms is one that stays until the next
    show = MainWindow.show_status
    monkeypatch.setattr(MainWindow, "show_status",
                        lambda self, text, ms=8000: shown.append((text, ms)) or show(self, text, ms))
    w = make_window(str(EXAMPLES / "perceptron_and.json"))
    choose_perceptron(qtbot, w, 60)
    # The hand-set weights compute AND already: one epoch without a mistake.
    s = train_until_stopped(qtbot, w)
    assert s.stop_reason == "converged" and s.epoch == 1 and s.step == 4
    np.testing.assert_array_equal(s.weights["output"][0][:, 0], [1.0, 1.0])
    assert w.statusBar().currentMessage() == ("Stopped after 1 epoch, converged: the last one without "
                                              "a mistake, every training sample is classified right")
    # Fresh weights, learnt by the rule.
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step == 0, timeout=WAIT)
    s = train_until_stopped(qtbot, w)
    assert s.stop_reason == "converged" and s.last["train_metric"] == 1.0
    np.testing.assert_array_equal(predictions(s, "and"), [0, 0, 0, 1])

    w.training_panel.dataset.setCurrentText("xor_table")  # the run goes on with the new data
    qtbot.waitUntil(lambda: w.document.dataset["name"] == "xor_table", timeout=WAIT)
    switched = s.epoch
    s = train_until_stopped(qtbot, w)
    assert s.stop_reason == "max_epochs" and s.epoch == 60
    curves = w.run.state.curves
    xor_epochs = curves.column("epoch") > switched
    assert xor_epochs.sum() == 60 - switched and (curves.column("train_metric")[xor_epochs] < 1.0).all()
    msg = w.statusBar().currentMessage()
    assert msg == ("Stopped after 60 epochs, still making mistakes: a single step unit draws one straight "
                   "line and cannot separate XOR. Add a hidden layer (e.g. 2-2-1 with sigmoid units, sgd)")
    assert shown[-1] == (msg, 0)  # the lecture's point stays until the next message, and none came


def test_without_an_epoch_limit_the_window_says_it_after_100_epochs(qtbot, make_window):
    w = make_window(str(EXAMPLES / "perceptron_and.json"))
    w.training_panel.dataset.setCurrentText("xor_table")
    choose_perceptron(qtbot, w, 0)  # 0: no limit
    assert w.document.training.max_epochs is None
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "cannot separate XOR" in w.statusBar().currentMessage(), timeout=WAIT)
    head, tail = w.statusBar().currentMessage().split(" epochs, ", 1)
    assert head.startswith("After ") and int(head[6:].replace(",", "")) >= 100
    assert tail.startswith("still making mistakes: a single step unit")
    assert snap(w).running  # it says so and goes on
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not snap(w).running, timeout=WAIT)


def test_a_network_with_hidden_layers_is_refused_with_the_reason(qtbot, window):
    """The default example (2-4-4-1, sigmoid output): Train is off and says why;
    back to sgd, it trains again."""
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(window) is not None and snap(window).epoch >= 2, timeout=WAIT)
    window.training_panel.optimizer.setCurrentText("perceptron")
    qtbot.waitUntil(lambda: not snap(window).running, timeout=WAIT)
    reason = ("the perceptron rule trains one Output node with step activation and no hidden layers; "
              "this network has Dense 1, Dense 2 and its Output has sigmoid activation")
    assert window.statusBar().currentMessage() == f"Cannot train with perceptron: {reason}"
    assert not window.play_button.isEnabled() and not window.step_button.isEnabled()
    assert window.play_button.toolTip() == f"Cannot train: {reason}"
    assert snap(window).config.optimizer == "sgd" and not window.errors  # the worker was not sent it
    window.training_panel.optimizer.setCurrentText("adam")
    assert window.play_button.isEnabled()
    epoch = snap(window).epoch
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(window).epoch >= epoch + 2 and snap(window).config.optimizer == "adam",
                    timeout=WAIT)
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not snap(window).running, timeout=WAIT)
    assert not window.errors


def drawn_classes(w):
    """The output view's cells as the classes their colours show: (1 where
    the colour is that of the cells the step unit puts in class 1)."""
    rgba = w.boundary.last_rgba
    colours = {tuple(c) for c in rgba.reshape(-1, 4)}
    return rgba, colours


def test_each_step_is_one_sample_and_the_line_moves_with_each_update(qtbot, make_window):
    from nnbuilder.core.engine.network import Network

    w = make_window(str(EXAMPLES / "perceptron_and.json"))
    choose_perceptron(qtbot, w, 100)
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)  # fresh weights: mistakes to learn from
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step == 0, timeout=WAIT)
    net = Network(w.document.graph)
    features = w.boundary.grid.features(net)
    res = w.boundary.grid.resolution
    moves = checked = 0
    for k in range(1, 25):
        before = [a.copy() for a in snap(w).weights["output"]]
        qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
        wait_drawn(qtbot, w, lambda s, k=k: s.step == k, timeout=WAIT)
        W, b = snap(w).weights["output"]
        if all(np.array_equal(x, y) for x, y in zip(before, (W, b))):
            continue
        moves += 1
        # The view shows this step's line: the cells in the unit's class 1 and
        # those in class 0 are painted in two colours, split where w.x + b = 0.
        inside = ((features @ W + b)[:, 0] > 0).reshape(res, res)
        rgba = w.boundary.last_rgba
        if inside.any() and not inside.all():
            one, zero = rgba[inside], rgba[~inside]
            assert (one == one[0]).all() and (zero == zero[0]).all() and not np.array_equal(one[0], zero[0])
            assert w.boundary.contour.data is not None  # the line itself
            checked += 1
        if snap(w).stop_reason:
            break
    assert moves >= 2 and checked >= 1


def test_the_hint_counts_the_epochs_of_the_perceptron_rule_not_those_before_it(qtbot, make_window):
    """Switched to the rule while a long gradient run goes on: it gets its own
    100 epochs before the window says it cannot separate XOR."""
    w = make_window(str(EXAMPLES / "perceptron_and.json"))
    w.training_panel.dataset.setCurrentText("xor_table")
    w.training_panel.optimizer.setCurrentText("sgd")
    type_into(qtbot, w.findChild(QSpinBox, "maxEpochsSpin"), "0")
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 150, timeout=WAIT)
    w.training_panel.optimizer.setCurrentText("perceptron")
    qtbot.waitUntil(lambda: snap(w).config.optimizer == "perceptron", timeout=WAIT)
    switched = snap(w).epoch
    qtbot.waitUntil(lambda: "cannot separate XOR" in w.statusBar().currentMessage(), timeout=WAIT)
    said_at = int(w.statusBar().currentMessage().split(" epochs, ")[0][6:].replace(",", ""))
    assert said_at >= switched + 100
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not snap(w).running, timeout=WAIT)
