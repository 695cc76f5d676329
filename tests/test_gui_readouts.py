"""Read-outs of one moment agree, through the real window: the toolbar's
speed while paused, the Network panel's error list, the timeline's loss."""
import numpy as np
from PySide6.QtCore import QPointF, Qt

from guitools import pause, slide_to, wait_drawn

WAIT = 15000


def snap(w):
    return w.run.snapshot


def test_paused_after_a_shift_step_the_speed_reads_paused_and_one_step_is_singular(qtbot, window):
    w = window
    shown = []
    w.live.frameDrawn.connect(lambda s: s.running and shown.append((s.steps_per_sec, w.rate_label.text())))
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 2 and bool(shown), timeout=WAIT)
    before = pause(qtbot, w)
    assert w.rate_label.text() == "paused"
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    s = wait_drawn(qtbot, w, lambda s: s.epoch == before.epoch + 1)
    assert not s.running and w.rate_label.text() == "paused"  # not the rate of a Step after a rest
    for rate, text in shown:  # while it ran: the speed measured, singular or plural as it reads
        n = f"{rate:,.0f}"
        assert text == (f"{n} step/s" if n == "1" else f"{n} steps/s")
    w.live.counters.show(3, 3, 1.0, 1.0, "", running=True)
    assert w.rate_label.text() == "1 step/s"
    w.live.counters.show(3, 3, 1.0, 1.0, "", running=False)
    assert w.rate_label.text() == "paused"


def test_the_network_panel_lists_each_error_the_problems_tab_lists(qtbot, window):
    """"✗ 2 errors" over one message: each is listed (up to three, then "and N more")."""
    from html import unescape

    w = window
    panel = w.network_panel.state

    def rows():
        return [w.problems.item(i).text() for i in range(w.problems.count())]

    w.document.add_node("dense", (0, 300))
    w.document.add_node("dense", (200, 300))
    qtbot.waitUntil(lambda: "✗ 2 errors" in panel.text(), timeout=WAIT)
    listed = rows()
    assert len(listed) >= 2
    text = unescape(panel.text())
    errors = [p.text for p in w.problems.shown if p.severity == "error"]
    assert len(errors) == 2 and all(e in text for e in errors) and set(errors) <= set(listed)
    assert "more" not in text
    for x in (400, 600, 800):
        w.document.add_node("dense", (x, 300))
    qtbot.waitUntil(lambda: "✗ 5 errors" in panel.text(), timeout=WAIT)
    text = unescape(panel.text())
    shown = [p.text for p in w.problems.shown]
    assert sum(t in text for t in shown) == 3  # the first three errors in full, then the count
    assert f"and {len(shown) - 3} more, see Problems" in text


def test_a_moment_inside_an_epoch_reads_its_own_loss_and_names_the_epochs_row(qtbot, window):
    """circle: 2 -> tanh 4 -> tanh 4 -> sigmoid 1, bce. Looking back at a step
    inside epoch E, the toolbar read the loss of those weights, the bar and
    (after Continue from here) the toolbar epoch E's row, both as plain "loss"."""
    w = window
    bar = w.curves.timeline
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 4, timeout=WAIT)
    pause(qtbot, w)
    qtbot.waitUntil(lambda: bar.isEnabled() and bar.now == len(w.run.state.timeline), timeout=WAIT)
    moments = bar.moments
    d = w.run.prepared().data

    def losses(weights):
        def out(X):
            a = np.asarray(X, float)
            for nid, act in (("dense1", np.tanh), ("dense2", np.tanh),
                             ("output", lambda z: 1 / (1 + np.exp(-z)))):
                W, b = weights[nid]
                a = act(a @ W + b)
            return a.ravel()

        def bce(p, y):
            return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
        return bce(out(d.X_train), d.labels_train), bce(out(d.X_test), d.labels_test)

    def look(index):
        slide_to(qtbot, bar.slider, index)
        qtbot.waitUntil(lambda: w.timeline._drawn == int(moments[index, 0]), timeout=WAIT)
        return w.run.state.moment

    # Epoch 2's end (a moment exactly there) and a step inside epoch 3 (past that row).
    end = int(np.flatnonzero((moments[:, 1] == 2) & (moments[:, 2] == 2))[0])
    inside = int(np.flatnonzero((moments[:, 1] == 2) & (moments[:, 2] > 2))[-1])
    m = look(end)
    row = losses(m.weights)
    assert w.loss_label.text() == f"loss {row[0]:.4g} · test {row[1]:.4g}"  # the row is these weights'
    assert bar.readout.text() == f"step {m.step:,} · epoch 2 · loss {row[0]:.4g}"
    m = look(inside)
    own = losses(m.weights)
    assert f"{own[0]:.4g}" != f"{row[0]:.4g}"  # (so the check tells the two apart)
    assert w.loss_label.text() == f"loss {own[0]:.4g} · test {own[1]:.4g} (these weights)"
    assert bar.readout.text() == f"step {m.step:,} · epoch 2 · loss {row[0]:.4g} (end of epoch 2)"
    qtbot.mouseClick(bar.continue_here, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, w, lambda s: s.step == m.step and s.generation >= 1)
    assert w.loss_label.text() == f"loss {row[0]:.4g} · test {row[1]:.4g} (end of epoch 2)"


def test_a_lesson_step_that_resets_the_weights_draws_the_initial_network_train_starts_from(
        qtbot, make_window, monkeypatch):
    """XOR step 2 (2 -> tanh 2 -> sigmoid 1) resets the weights: before Train
    the output view and the neuron maps show the weights the run starts
    from (step 0 on the timeline), not the data alone."""
    w = make_window()
    w.show_lessons()
    assert w.lessons.start("02-xor")
    outputs, maps = [], []
    set_output, show_live = w.boundary.set_output, w.scene.show_live
    monkeypatch.setattr(w.boundary, "set_output", lambda o, *a, **k: (outputs.append(o), set_output(o, *a, **k)))
    monkeypatch.setattr(w.scene, "show_live", lambda wt, m, *a: (maps.append(m), show_live(wt, m, *a)))
    assert w.lessons.go(1)
    assert w.document.weights is None and snap(w) is None
    qtbot.waitUntil(lambda: bool(outputs) and outputs[-1] is not None, timeout=WAIT)
    before = np.array(outputs[-1])
    assert maps and maps[-1] and all(np.isfinite(v).all() for v in maps[-1].values())  # the neuron thumbnails
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step >= 20, timeout=WAIT)
    pause(qtbot, w)
    bar = w.curves.timeline
    qtbot.waitUntil(lambda: bar.isEnabled() and bar.now == len(w.run.state.timeline), timeout=WAIT)
    assert bar.moments[0, 0] == 0
    slide_to(qtbot, bar.slider, 1)
    slide_to(qtbot, bar.slider, 0)
    qtbot.waitUntil(lambda: w.timeline._drawn == 0, timeout=WAIT)
    m = w.run.state.moment
    grid, _ = w.live.grids()
    X = np.asarray(grid.features(w.run.prepared().network), float)
    W1, b1 = m.weights["dense1"]
    W2, b2 = m.weights["output"]
    expected = 1 / (1 + np.exp(-(np.tanh(X @ W1 + b1) @ W2 + b2)))
    np.testing.assert_allclose(before, expected, rtol=1e-6, atol=1e-7)


def test_a_new_runs_step_0_row_is_a_dot_inside_both_plots(qtbot, window):
    """Data switched to xor at epoch 0: the loss and accuracy of the starting
    weights are one row each, drawn as a dot inside the plot (a line of one
    point drew nothing over an empty axis)."""
    w = window
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)  # a run at epoch 0
    wait_drawn(qtbot, w, lambda s: s.step == 1)
    w.training_panel.dataset.setCurrentText("xor")
    s = wait_drawn(qtbot, w, lambda s: s.step == 0 and np.isfinite(s.last.get("train_loss", np.nan)),
                   running=None)
    qtbot.waitUntil(lambda: w.curves.metric_plot.train.xData is not None
                    and len(w.curves.metric_plot.train.xData) == 1, timeout=WAIT)
    for plot, column in ((w.curves.loss, "loss"), (w.curves.metric_plot, "metric")):
        (x0, x1), (y0, y1) = plot.plotItem.vb.viewRange()
        for item, name in ((plot.train, "train"), (plot.test, "test")):
            x, y = item.getData()
            assert len(x) == 1 and item.opts["symbol"] is not None, (column, name)
            assert y[0] == s.last[f"{name}_{column}"]
            size = item.opts["symbolSize"] / 2
            px = plot.plotItem.vb.mapViewToScene(QPointF(float(x[0]), float(y[0])))
            rect = plot.plotItem.vb.sceneBoundingRect()
            assert rect.left() + size <= px.x() <= rect.right() - size, (column, name)  # the whole dot
            assert rect.top() + size <= px.y() <= rect.bottom() - size, (column, name)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(w.curves.loss.train.getData()[0]) >= 3, timeout=WAIT)
    pause(qtbot, w)
    assert w.curves.loss.train.opts["symbol"] is None  # a line again once there is one
