"""A teacher's trial of the gradient-descent lesson at learning rate 0.08:
the message said the loss rose "over 10 times the loss it started from
(4.125)" and went back to weights of loss 144.4, 35 times that start; the
plot's y range stopped at 150 under the quoted 855, and the "diverged" label
sat on the curve. The message now states the rule's own bound, the restored
weights are the last within it (checked in plain NumPy), the plot shows the
points the message quotes, and the label is off the curve."""
import re

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDoubleSpinBox

from guitools import type_into, wait_drawn


def lesson_run(qtbot, make_window, lr="0.08"):
    w = make_window()
    w.resize(1280, 800)
    w.show_lessons()
    assert w.lessons.start("05-gradient-descent")
    for _ in range(2):
        qtbot.mouseClick(w.lesson_panel.skip_button, Qt.MouseButton.LeftButton)
    w.training_panel.speed.setCurrentIndex(0)
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), lr)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    s = wait_drawn(qtbot, w, lambda s: s.divergence is not None, running=None)
    return w, s


def numpy_run(X, y, w0, lr, epochs):
    """Full-batch gradient descent on L = 1/2 mean (y - x w)^2: the loss at each epoch end (0: the start)."""
    w, losses = w0, []
    for _ in range(epochs + 1):
        r = y - X * w
        losses.append(0.5 * float(np.mean(r ** 2)))
        w = w + lr * float(np.mean(r * X))
    return losses


def test_the_restored_weights_are_within_the_bound_the_message_states_and_the_plot_shows_the_peak(
        qtbot, make_window):
    w, s = lesson_run(qtbot, make_window)
    msg = w.statusBar().currentMessage()
    found = re.search(r"the loss rose to ([-+.\de]+) at epoch ([\d,]+), above ([-+.\de]+): 10 times ", msg)
    assert found, msg
    peak, epoch, bound = float(found.group(1)), int(found.group(2)), float(found.group(3))
    back = re.search(r"went back to the weights of step ([\d,]+) \(loss ([-+.\de]+)\), the last epoch end "
                     r"within ([-+.\de]+)", msg)
    assert back and float(back.group(3)) == bound, msg
    restored_step, restored = int(back.group(1)), float(back.group(2))
    # Plain NumPy: the lesson's table, lr 0.08, one step per epoch (the whole table a batch), from
    # the restored w on; the bound from the curve's first point (the start) and the all-zero network.
    ds = w.data.dataset
    X, y = np.asarray(ds.X, float).ravel(), np.asarray(ds.y, float).ravel()
    (W, _), = s.weights.values()  # the weights the run holds: the restored ones
    losses = numpy_run(X, y, float(np.ravel(W)[0]), 0.08, epoch - restored_step)
    _, curve = w.curves.loss.train.getOriginalDataset()
    start, blank = float(curve[0]), 0.5 * float(np.mean(y ** 2))
    assert f"{10 * max(start, blank):.4g}" == f"{bound:.4g}"
    assert f"{losses[0]:.4g}" == f"{restored:.4g}" and f"{losses[-1]:.4g}" == f"{peak:.4g}"
    assert restored <= bound and all(v > bound for v in losses[1:])  # the last epoch end within the bound
    # The plot's range covers the quoted points: the peak's dot and the restored diamond.
    plot = w.curves.loss
    (_, _), (y0, y1) = plot.plotItem.vb.viewRange()
    assert y0 <= restored and peak <= y1, (y0, y1, peak)
    # The label is off the curve (and off the dots).
    w.grab()
    label = plot.marks[0].label
    assert label.isVisible()
    rect = label.sceneBoundingRect()
    x, yy = plot.train.getOriginalDataset()
    ok = np.isfinite(yy)
    t = np.linspace(0, 1, 17)  # the curve's points and the lines between them
    xs = np.concatenate([x[ok][:-1, None] + np.diff(x[ok])[:, None] * t]).ravel()
    ys = np.concatenate([yy[ok][:-1, None] + np.diff(yy[ok])[:, None] * t]).ravel()
    xs = np.concatenate([xs] + [[e] for e, _ in plot.marked_points()])
    ys = np.concatenate([ys] + [[v] for _, v in plot.marked_points()])
    vb = plot.plotItem.vb
    scene = [vb.mapViewToScene(QPointF(float(a), float(b))) for a, b in zip(xs, ys)]
    inside = [(p.x(), p.y()) for p in scene if rect.contains(p)]
    assert not inside, (rect, inside[:5])


def test_log_scale_keeps_the_label_whole_and_the_x_range_of_the_run(qtbot, make_window):
    """The trial: with log scale on the label lost its start ("lr 0.08) · ◇
    restored") and the x axis stretched to 16, and stayed so after log scale
    was off again."""
    w, s = lesson_run(qtbot, make_window)
    plot = w.curves.loss
    qtbot.waitUntil(lambda: w.run.settled, timeout=15000)
    w.grab()
    before = plot.plotItem.vb.viewRange()[0]
    assert before[1] < 2.0 ** np.ceil(np.log2(s.epoch * 1.05))  # a run at rest: not the next power of 2
    box = w.curves.log
    for on in (True, False):
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
        assert box.isChecked() == on
        w.grab()
        vb = plot.plotItem.vb
        label = plot.marks[0].label
        area, rect = vb.sceneBoundingRect(), label.sceneBoundingRect()
        assert label.isVisible() and area.left() <= rect.left() and rect.right() <= area.right(), (on, area, rect)
        (x0, x1), (y0, y1) = vb.viewRange()
        # (the range leaves the label room right of its line: a little more as the y axis narrows)
        assert x0 == before[0] and abs(x1 - before[1]) < 0.02 * before[1], (on, (x0, x1), before)
        peak = max(v for _, v in plot.marked_points())
        assert (np.log10(peak) if on else peak) <= y1
