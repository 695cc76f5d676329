"""SGD as it happens, in the window (issue 18, point 5): Step rings the rows
it drew on the Output view and the Learn panel lists them; Step through
follows a sample the step really draws, lists each sample's gradient of the
chosen weight and their mean, which is the step's own gradient (to 1e-12,
against the worker's weights before and after); with "one sample, learning
rate as typed" the update is w - lr dL/dw of the chosen row."""
import numpy as np
from PySide6.QtCore import Qt

from guitools import wait_drawn

WAIT = 15000


def snap(w):
    return w.run.snapshot


def plain_sgd(w, lr=0.03, batch=10):
    refused = w.document.set_training({"optimizer": "sgd", "momentum": 0.0, "lr": lr, "batch_size": batch,
                                       "l1": 0.0, "l2": 0.0}, mergeable=False)
    assert not refused, refused


def ringed(w) -> np.ndarray:
    xs, ys = w.boundary.batch_mark.getData()
    return np.column_stack([xs, ys]) if xs is not None and len(xs) else np.zeros((0, 2))


def rows_listed(w, rows) -> bool:
    text = w.learn_panel.text.toPlainText()
    return all(str(int(r) + 1) in text for r in rows)


def test_step_rings_and_lists_the_rows_it_drew(qtbot, window):
    w = window
    plain_sgd(w)
    w.learn.select_row(0)
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    drawn = wait_drawn(qtbot, w, until=lambda s: s.step == 1 and s.last_rows is not None, running=False)
    rows = drawn.last_rows
    assert len(rows) == 10
    qtbot.waitUntil(lambda: len(ringed(w)) == 10, timeout=WAIT)
    X = w.data.dataset.X
    assert sorted(map(tuple, np.round(ringed(w), 9))) == sorted(map(tuple, np.round(X[rows], 9)))
    qtbot.waitUntil(lambda: "the last step drew" in w.learn_panel.text.toPlainText().lower(), timeout=WAIT)
    assert rows_listed(w, rows) and rows_listed(w, drawn.next_rows)
    train, _ = w.data.split_indices()
    assert set(rows.tolist()) <= set(train.tolist())  # SGD draws training rows only


def test_step_through_shows_each_samples_gradient_and_their_mean_is_the_steps(qtbot, window):
    w = window
    plain_sgd(w, lr=0.05)
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    first = wait_drawn(qtbot, w, until=lambda s: s.step == 1, running=False)
    w.learn.select_weight("dense1", 1, 2)
    w.learn_panel.by_hand.setChecked(True)  # stage by stage, with Next
    upcoming = first.next_rows
    W0 = first.weights["dense1"][0][1, 2]
    qtbot.mouseClick(w.learn_panel.step_button, Qt.MouseButton.LeftButton)
    assert w.learn.row in set(upcoming.tolist())  # it follows a sample the step draws
    assert len(ringed(w)) == len(upcoming)
    gradients = w.learn.batch_gradients(upcoming)[0]
    # the first stage: the Input has no weights, it passes its values on (not "a = W x + b")
    assert w.learn_panel.phase.text() == "Forward: Input passes on its values"
    while w.learn.stepping is not None and not w.learn.stepping.waiting:
        if "The batch" in w.learn_panel.text.toPlainText():
            text = w.learn_panel.text.toPlainText()
            assert all(str(int(r) + 1) in text for r in upcoming)
        qtbot.mouseClick(w.learn_panel.next_button, Qt.MouseButton.LeftButton)
    after = wait_drawn(qtbot, w, until=lambda s: s.step == 2, running=False)
    assert np.array_equal(after.last_rows, upcoming)
    step_gradient = (W0 - after.weights["dense1"][0][1, 2]) / 0.05
    assert abs(np.mean(gradients) - step_gradient) <= 1e-12 * max(1.0, abs(step_gradient))


def test_one_sample_by_hand_is_w_minus_lr_times_that_samples_gradient(qtbot, window):
    w = window
    plain_sgd(w, lr=0.2)
    assert not w.document.set_training({"optimizer": "adam"}, mergeable=False)  # ignored by the step by hand
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, w, until=lambda s: s.step == 1, running=False)
    train, test = w.data.split_indices()
    w.learn_panel.one_sample.setChecked(True)
    w.learn.select_weight("output", 0, 0)
    w.learn.select_row(int(test[0]))
    qtbot.mouseClick(w.learn_panel.step_button, Qt.MouseButton.LeftButton)
    assert w.learn.stepping is None and "is a test row" in w.learn_panel.text.toPlainText()
    row = int(train[5])
    w.learn.select_row(row)
    qtbot.waitUntil(lambda: w.learn.explanation is not None, timeout=WAIT)
    shown = w.learn.explanation["weight"]
    qtbot.mouseClick(w.learn_panel.step_button, Qt.MouseButton.LeftButton)
    after = wait_drawn(qtbot, w, until=lambda s: s.step == 2, running=False)
    assert list(after.last_rows) == [row]
    want = shown["value"] - 0.2 * shown["gradient"]
    assert abs(after.weights["output"][0][0, 0] - want) <= 1e-12 * max(1.0, abs(want))
    qtbot.waitUntil(lambda: "alone" in w.learn_panel.text.toPlainText(), timeout=WAIT)
