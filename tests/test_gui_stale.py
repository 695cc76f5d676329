"""Issue 19: what the window shows is of now and of what happened, never
left over: the plots' hover read-outs, a divergence on the curves, status
messages, the gallery, Open Recent, the counters while paused or looking
back, and a lesson's progress. Each through the real window."""
import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from guitools import pause, type_into, wait_drawn

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
WAIT = 15000


def snap(w):
    return w.run.snapshot


def readout_text(plot) -> str:
    return plot.readout.textItem.toPlainText() if plot.readout.isVisible() else ""


def hover_plot(qtbot, plot, frac: float = 0.7) -> None:
    """The pointer over the plot's data area, ``frac`` of the way across."""
    rect = plot.plotItem.vb.sceneBoundingRect()
    at = plot.mapFromScene(QPointF(rect.left() + frac * rect.width(), rect.center().y()))
    qtbot.mouseMove(plot.viewport(), at)
    return at  # (whole pixels: where the pointer really is)


def trained_paused(qtbot, w, epochs: int = 6):
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= epochs, timeout=WAIT)
    return pause(qtbot, w)


@pytest.mark.parametrize("example, plot_name, label", [
    ("circle", "metric_plot", "accuracy"), ("sine", "metric_plot", "R²"), ("circle", "loss", "loss")])
def test_a_plots_hover_readout_goes_when_the_pointer_leaves_and_with_the_run(qtbot, make_window, example,
                                                                            plot_name, label):
    w = make_window(str(EXAMPLES / f"{example}.json"))
    trained_paused(qtbot, w)
    plot = getattr(w.curves, plot_name)
    hover_plot(qtbot, plot)
    qtbot.waitUntil(lambda: readout_text(plot).startswith("epoch "), timeout=WAIT)
    text = readout_text(plot)
    # It reads the curve's own row under the pointer.
    epoch = int(re.match(r"epoch (\d+)", text).group(1))
    curves = w.run.state.curves
    i = int(np.flatnonzero(curves.column("epoch") == epoch)[0])
    column = "train_loss" if plot_name == "loss" else "train_metric"
    assert f"train {label} {curves.column(column)[i]:.6g}" in text
    # The pointer goes to the diagram: the read-out goes too.
    qtbot.mouseMove(w.view.viewport(), w.view.viewport().rect().center())
    qtbot.waitUntil(lambda: readout_text(plot) == "" and not plot.cross.isVisible(), timeout=WAIT)
    # Back over the plot, then File > New with the pointer still there: the new
    # (empty) document shows no read-out of the old run, nor does the next Open.
    hover_plot(qtbot, plot, 0.5)
    qtbot.waitUntil(lambda: readout_text(plot) != "", timeout=WAIT)
    w.act_new.trigger()
    assert readout_text(plot) == "" and not plot.cross.isVisible()
    assert w.files.open_file(str(EXAMPLES / "xor.json"), ask_to_save=False)
    wait_drawn(qtbot, w, running=None) if w.run.worker is not None else None
    assert readout_text(plot) == "" and not plot.cross.isVisible()


def test_the_hover_readout_takes_the_themes_colours(qtbot, window):
    w = window
    trained_paused(qtbot, w, 3)
    plot = w.curves.metric_plot
    hover_plot(qtbot, plot)
    qtbot.waitUntil(lambda: readout_text(plot) != "", timeout=WAIT)
    try:
        w.set_theme("dark")
        pal = QGuiApplication.palette()
        text, base = pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base)
        assert base.lightness() < 80  # the dark theme
        assert plot.readout.color.name() == text.name()  # light text ...
        assert plot.readout.fill.color().rgb() == base.rgb()  # ... on the dark base, not on the curves
        w.set_theme("light")
        assert plot.readout.color.name() == QGuiApplication.palette().color(QPalette.ColorRole.Text).name()
        assert QColor(plot.readout.color).lightness() < 80
    finally:
        w.set_theme("light")


def test_a_divergence_is_drawn_where_it_happened_and_the_restored_weights_as_what_they_are(qtbot, make_window):
    """seed_table at learning rate 0.5 explodes: the loss plot shows the
    climb up to the epoch it stopped at, with the very number the message
    quotes; the restored weights are a marker at their own loss, which the
    toolbar shows too, not a next point of the curve."""
    from PySide6.QtWidgets import QDoubleSpinBox

    w = make_window(str(EXAMPLES / "linear_regression.json"))
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.5")
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    s = wait_drawn(qtbot, w, lambda s: s.divergence is not None, running=None)
    msg = w.statusBar().currentMessage()
    found = re.search(r"the loss rose to ([-+.\de]+) at epoch ([\d,]+)", msg)
    assert found, msg
    quoted, epoch = found.group(1), int(found.group(2).replace(",", ""))
    plot = w.curves.loss
    # (The curve's data: the peak lies above the y range, which is the readable curve's, and
    # pyqtgraph clips what it paints there.)
    x, y = plot.train.getOriginalDataset()
    drawn = np.isfinite(y)
    # The curve ends at the diverged epoch, at the number quoted, and that is its peak.
    assert x[drawn][-1] == epoch and f"{y[drawn][-1]:.4g}" == quoted
    assert f"{np.nanmax(y):.4g}" == quoted
    # The restored weights: their loss in plain NumPy (y = x w, L = 1/2 mean (y - y_hat)^2).
    ds = w.data.dataset
    (W, _), = s.weights.values()
    restored = 0.5 * float(np.mean((np.ravel(ds.y) - (np.asarray(ds.X, float) @ W).ravel()) ** 2))
    assert f"went back to the weights of step {s.divergence['restored_step']:,} (loss {restored:.4g})" in msg
    points = plot.marked_points()
    assert (float(epoch), float(quoted)) in [(e, float(f"{v:.4g}")) for e, v in points]  # a red dot at the peak
    assert any(e == epoch and v == pytest.approx(restored, rel=1e-9) for e, v in points)  # the restore
    at = (x == epoch) & drawn  # the curve's one point at that epoch is the peak, not the restore
    assert restored < float(quoted) / 10 and at.sum() == 1 and x.max() == epoch
    assert w.loss_label.text() == f"loss {restored:.4g}"  # the toolbar: the weights the run holds now
    assert len(plot.marks) == 1 and plot.marks[0].value() == epoch
    # The R² plot has the same red line (the trial found it on the loss plot alone).
    assert w.curves.metric_plot.ylabel == "R²"
    assert [m.value() for m in w.curves.metric_plot.marks] == [epoch]
    # The counters, the timeline and the loss surface describe the weights on
    # screen, the restored ones (the counters said "Epoch 3 · step 75").
    back = s.divergence["restored_step"]
    curves = w.run.state.curves
    back_epoch = int(curves.column("epoch")[curves.column("step") == back][0])
    assert back < s.step and w.epoch_label.text() == f"Restored: epoch {back_epoch:,} · step {back:,}"
    qtbot.waitUntil(lambda: w.curves.timeline.readout.text() == f"now: restored weights of step {back:,}",
                    timeout=WAIT)
    w.docks["surfaceDock"].raise_()
    surface = w.surface_view
    qtbot.waitUntil(lambda: surface.caption.text().startswith(f"Step {back} · w = {float(W[0, 0]):.5g} · "),
                    timeout=WAIT)
    assert surface.step == back and surface.path[-1][0] == back
    # Trained on with a sane rate: the curve goes on from the restored weights, not from the peak.
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.01")
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    s = wait_drawn(qtbot, w, lambda s: s.epoch == epoch + 1)
    assert w.epoch_label.text() == f"Epoch {s.epoch:,} · step {s.step:,}"  # trained on: the run's own count
    x, y = plot.train.getOriginalDataset()
    after = np.flatnonzero(x == epoch)
    assert np.isnan(y[after[-1]]) and x[-1] == epoch + 1 and np.isfinite(y[-1])  # a gap, then on


def test_a_lesson_step_that_resets_the_weights_says_so_not_that_it_kept_them(qtbot, make_window):
    """Lesson 3: the student tries an activation of their own in the Inspector
    (the run carries on with it, keeping the trained weights), then goes on
    to step 2, which resets: the worker's news of that change belongs to the
    run the Reset replaced, not to the new one."""
    from nnbuilder.core.engine.network import Network

    w = make_window()
    w.show_lessons()
    assert w.lessons.start("03-activations")
    w.training_panel.speed.setCurrentIndex(0)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 3, timeout=WAIT)
    pause(qtbot, w)
    generation = w.run.state.generation
    w.select_node("dense1")
    w.inspector.activation.setCurrentText("tanh")  # as the student picks it
    assert w.document.graph.nodes["dense1"].params["activation"] == "tanh"
    qtbot.mouseClick(w.lesson_panel.skip_button, Qt.MouseButton.LeftButton)  # on to "Sigmoid"
    assert w.lessons.index == 1
    wait_drawn(qtbot, w, lambda s: s.generation > generation and s.step == 0, running=None)
    qtbot.waitUntil(lambda: w.run.settled, timeout=WAIT)
    wait_drawn(qtbot, w, running=None)
    msg = w.statusBar().currentMessage()
    assert "kept the trained weights" not in msg and msg == f"Reset: new weights from weight seed {w.document.seed}"
    # And it did reset: the weights are the seed's fresh ones.
    fresh = Network(w.document.graph)
    fresh.init_params(np.random.default_rng(w.document.seed))
    for nid, (W, _) in snap(w).weights.items():
        np.testing.assert_array_equal(W, fresh.params[nid][0])


def test_the_status_bar_and_the_network_panel_give_one_verdict(qtbot, window):
    """Sine (one input column) under the 2-input circle network: the Network
    panel said "cannot train yet" while the status bar said "no problems"."""
    from PySide6.QtWidgets import QLabel

    w = window
    badge = w.findChild(QLabel, "statusProblems")
    panel = w.network_panel.state
    assert "ready to train" in panel.text() and "ready to train" in badge.text()
    w.training_panel.dataset.setCurrentText("sine")
    qtbot.waitUntil(lambda: w.run.refresh_ready() is not None, timeout=WAIT)
    reason = w.run.refresh_ready()
    assert not w.play_button.isEnabled()
    for label in (panel, badge):
        assert "cannot train yet" in label.text() and "ready" not in label.text() \
            and "no problems" not in label.text()
    assert reason in badge.toolTip()
    rows = [w.problems.item(i).text() for i in range(w.problems.count())]
    assert rows == [f"Cannot train yet: {reason}"]
    assert w.docks["problemsDock"].windowTitle() == "Problems (1)"
    w.training_panel.dataset.setCurrentText("circle")
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None, timeout=WAIT)
    assert "ready to train" in panel.text() and "ready to train" in badge.text()
    assert w.docks["problemsDock"].windowTitle() == "Problems"


def test_the_gallery_highlights_no_builtin_set_once_a_csv_table_is_in_use(qtbot, window, tmp_path, monkeypatch):
    from nnbuilder.gui.window.mainwindow import MainWindow

    w = window
    gallery = w.training_panel.gallery
    assert gallery.currentItem().data(Qt.ItemDataRole.UserRole) == "circle"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    path = tmp_path / "mine.csv"
    path.write_text("a,b,label\n" + "".join(f"{a:.4f},{b:.4f},{int(a > b)}\n" for a, b in X))
    monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self: str(path))
    w.act_import.trigger()
    qtbot.waitUntil(lambda: w.imports.import_dialog is not None and w.imports.import_dialog.isVisible(),
                    timeout=WAIT)
    qtbot.mouseClick(w.imports.import_dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "csv" in w.document.dataset, timeout=WAIT)
    assert w.training_panel.dataset.currentText() == "mine.csv"
    assert gallery.currentItem() is None and not gallery.selectedItems()
    w.document.undo_stack.undo()  # back to circle: highlighted again
    qtbot.waitUntil(lambda: w.document.dataset.get("name") == "circle", timeout=WAIT)
    assert gallery.currentItem().data(Qt.ItemDataRole.UserRole) == "circle"


def test_open_recent_tells_apart_two_copies_of_an_example(window, tmp_path):
    """A clone's examples and an installed copy: both "xor.json — examples" before."""
    w = window
    copies = [tmp_path / "clone" / "resources" / "examples" / "xor.json",
              tmp_path / "site" / "nnbuilder" / "resources" / "examples" / "xor.json",
              tmp_path / "site" / "mine" / "xor.json"]
    for p in copies:
        p.parent.mkdir(parents=True)
        p.write_text((EXAMPLES / "xor.json").read_text())
        assert w.files.open_file(str(p), ask_to_save=False)
    assert w.files.open_file(str(copies[0]), ask_to_save=False)  # again: once in the list, first
    w.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in w.recent_menu.actions()]
    assert texts == ["xor.json — clone/resources/examples", "xor.json — mine",
                     "xor.json — nnbuilder/resources/examples"]
    assert [a.toolTip() for a in w.recent_menu.actions()] == [str(copies[i].resolve()) for i in (0, 2, 1)]


def test_a_paused_run_reads_paused_not_zero(qtbot, window):
    w = window
    rates = []
    w.live.frameDrawn.connect(lambda s: s.running and rates.append(s.steps_per_sec))
    assert w.rate_label.text() == "0 steps/s"
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 5 and rates and rates[-1] > 0,
                    timeout=WAIT)
    pause(qtbot, w)
    assert w.rate_label.text() == "paused"  # not a rate measured over its last frames
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)  # a new run has no speed yet
    wait_drawn(qtbot, w, lambda s: s.step == 0, running=None)
    assert w.rate_label.text() == "0 steps/s"


def test_after_a_data_change_while_paused_the_toolbar_shows_no_loss_of_the_old_data(qtbot, window):
    w = window
    trained_paused(qtbot, w, 3)
    shown = w.loss_label.text()
    last = snap(w).last
    past = f" (end of epoch {last['epoch']:,})" if snap(w).step > last["step"] else ""  # paused inside an epoch
    assert snap(w).running_loss is None  # (small data: no batches' mean)
    assert shown == f"loss {last['train_loss']:.4g} · test {last['test_loss']:.4g}{past}"
    w.training_panel.dataset.setCurrentText("sine")  # one column: the network cannot train on it yet
    qtbot.waitUntil(lambda: w.run.refresh_ready() is not None, timeout=WAIT)
    assert w.loss_label.text() == "loss —"
    w.training_panel.dataset.setCurrentText("xor")  # fits: a new run on it, its own loss
    s = wait_drawn(qtbot, w, lambda s: s.step == 0, running=None)
    assert w.loss_label.text() == f"loss {s.last['train_loss']:.4g} · test {s.last['test_loss']:.4g}"


def inspector_set(w, node_id, name, value):
    w.select_node(node_id)
    widget = getattr(w.inspector, name)
    if hasattr(widget, "setCurrentText"):
        widget.setCurrentText(value)
    elif hasattr(widget, "setChecked"):
        widget.setChecked(value)
    else:
        widget.setValue(value)


def test_a_lesson_left_on_its_done_last_step_is_finished_and_the_next_shows_no_done_under_the_save_dialog(
        qtbot, make_window, monkeypatch):
    from nnbuilder.gui.window.mainwindow import MainWindow

    w = make_window()
    w.show_lessons()
    panel, lessons = w.lesson_panel, w.lessons
    assert lessons.start("06-parameters")
    inspector_set(w, "dense1", "units", 4)
    qtbot.waitUntil(lambda: panel.done.isVisible(), timeout=WAIT)
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    inspector_set(w, "dense1", "bias", False)
    qtbot.waitUntil(lambda: panel.done.isVisible() and lessons.step_done(), timeout=WAIT)
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)  # the last step: prelu's slopes
    inspector_set(w, "dense1", "activation", "prelu")
    w.training_panel.speed.setCurrentIndex(0)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.done.isVisible() and lessons.step_done(), timeout=60000)
    if w.run.running:
        qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    # The student leaves by "◂ Lessons", not Finish: the lesson is done all the same.
    qtbot.mouseClick(panel.lessons_button, Qt.MouseButton.LeftButton)
    assert lessons.lesson is None and "06-parameters" in lessons.finished
    item = next(panel.list.item(i) for i in range(panel.list.count())
                if panel.list.item(i).data(Qt.ItemDataRole.UserRole) == "06-parameters")
    assert item.text().startswith("✓ ")
    # A network of their own, unsaved; the next lesson's first step asks about it.
    # While it asks, the panel shows that step being set up, not the last one's "Done".
    w.act_new.trigger()
    w.document.add_node("dense", (0, 0))
    assert w.document.modified
    seen = []
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: seen.append(
        (panel.heading.text(), panel.done.isVisible(), panel.next_button.isEnabled(),
         lessons.step_done())) or "discard")
    assert lessons.start("01-perceptron")
    assert len(seen) == 1
    heading, done_shown, next_on, noticed = seen[0]
    assert "Step 1 of" in heading and not done_shown and not next_on and not noticed
    assert not lessons.step_done() and not panel.done.isVisible()  # its check (a sample chosen) waits


def test_looking_back_on_the_timeline_the_counters_confusion_and_histogram_are_of_that_moment(qtbot, window):
    """circle: 2 -> tanh 4 -> tanh 4 -> sigmoid 1, bce, no normalization."""
    w = window
    w.docks["gradientsDock"].show()
    w.docks["gradientsDock"].raise_()
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step >= 300, timeout=WAIT)
    now = pause(qtbot, w)
    bar = w.curves.timeline
    qtbot.waitUntil(lambda: bar.isEnabled() and bar.now == len(w.run.state.timeline), timeout=WAIT)
    now_counts = w.curves.confusion.counts.copy()
    index = 2
    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_Home)
    for _ in range(index):
        qtbot.keyClick(bar.slider, Qt.Key.Key_Right)
    target = int(bar.moments[index, 0])
    qtbot.waitUntil(lambda: w.timeline._drawn == target, timeout=WAIT)
    m = w.run.state.moment
    assert m.step == target < now.step
    # The moment in plain NumPy.
    d = w.run.prepared().data

    def out(X):
        a = np.asarray(X, float)
        for nid, act in (("dense1", np.tanh), ("dense2", np.tanh), ("output", lambda z: 1 / (1 + np.exp(-z)))):
            W, b = m.weights[nid]
            a = act(a @ W + b)
        return a.ravel()

    def bce(p, y):
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))

    p_train, p_test = out(d.X_train), out(d.X_test)
    assert w.epoch_label.text() == f"Looking back: epoch {m.epoch:,} · step {m.step:,}"
    these = " (these weights)" if m.at > m.epoch else ""  # inside an epoch: not its end's row
    assert w.loss_label.text() == (f"loss {bce(p_train, d.labels_train):.4g} · "
                                   f"test {bce(p_test, d.labels_test):.4g}{these}")
    expected = np.zeros((2, 2), int)
    np.add.at(expected, (d.labels_test, (p_test > 0.5).astype(int)), 1)
    assert np.array_equal(w.curves.confusion.counts, expected)
    assert not np.array_equal(expected, now_counts)  # (so the check tells "then" from "now")
    layer = w.layer_plot.layer.currentData()
    W = m.weights[layer][0]
    lim = float(np.abs(W).max())
    heights, _ = np.histogram(W, bins=30, range=(-lim, lim))
    assert np.array_equal(w.layer_plot.bars.opts["height"], heights)
    assert w.layer_plot.moment_line.isVisible() and w.layer_plot.moment_line.value() == target
    # Back at the right end: now again, everywhere.
    qtbot.keyClick(bar.slider, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: w.timeline.step is None, timeout=WAIT)
    assert w.epoch_label.text() == f"Epoch {now.epoch:,} · step {now.step:,}"
    assert np.array_equal(w.curves.confusion.counts, now_counts)
    assert not w.layer_plot.moment_line.isVisible()


def test_a_reset_the_worker_cannot_do_is_reported_and_the_window_does_not_wait_for_it(qtbot, window, monkeypatch):
    """The worker builds the new run's trainer; when that fails (here a
    setting it refuses, sent past the window's own checks) the error reaches
    the window and the run goes on as it was, paused."""
    import dataclasses

    from nnbuilder.gui.run.run_controller import RunController

    w = window
    before = trained_paused(qtbot, w, 3)
    real = RunController._run_spec
    refuse = [True]

    def refused(self, data, cfg, keep):
        spec = real(self, data, cfg, keep)
        if not refuse[0]:
            return spec
        bad = dataclasses.replace(spec.config)
        bad.batch_size = 0  # TrainConfig.check refuses it in the worker
        return dataclasses.replace(spec, config=bad)

    monkeypatch.setattr(RunController, "_run_spec", refused)
    with w.expect_errors():
        qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(w.errors) and "batch_size" in w.errors[-1][1], timeout=WAIT)
    qtbot.waitUntil(lambda: w.run.settled, timeout=WAIT)  # nothing awaited: the window rests
    s = snap(w)
    assert s is not None and not s.running and s.step == before.step  # the run as it was
    for nid, (W, _) in before.weights.items():
        np.testing.assert_array_equal(s.weights[nid][0], W)
    assert w.play_button.isEnabled()
    refuse[0] = False
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)  # a Reset that works, works
    assert wait_drawn(qtbot, w, lambda s: s.step == 0, running=None).error is None


def test_a_hover_readout_follows_the_curve_as_it_grows_under_a_still_pointer(qtbot, window):
    """The trial: hovering the accuracy plot while a run went on, the read-out
    stayed on the epoch first shown. It reads the epoch nearest the pointer
    as new epochs are drawn, and when the run stops it is the row there."""
    w = window
    plot = w.curves.metric_plot
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 2 and len(plot._x) >= 2, timeout=WAIT)
    # Half way across: the x range doubles as the run grows, so the data always
    # reaches this far and the epoch under the pointer grows with the range
    # (near the right end the pointer could be past the data, where nothing is read).
    at = hover_plot(qtbot, plot, 0.5)
    qtbot.waitUntil(lambda: readout_text(plot).startswith("epoch "), timeout=WAIT)
    first = int(re.match(r"epoch (\d+)", readout_text(plot)).group(1))
    # The pointer stays where it is; the run goes on.
    qtbot.waitUntil(lambda: readout_text(plot).startswith("epoch ")
                    and int(re.match(r"epoch (\d+)", readout_text(plot)).group(1)) >= first + 3, timeout=WAIT)
    pause(qtbot, w)
    qtbot.waitUntil(lambda: not w.run.running, timeout=WAIT)
    # At rest: the row nearest the pointer's epoch, as the view maps it now.
    x_view = plot.plotItem.vb.mapSceneToView(plot.mapToScene(at)).x()
    epochs = w.run.state.curves.column("epoch")
    i = int(np.argmin(np.abs(epochs - x_view)))
    text = readout_text(plot)
    assert text.startswith(f"epoch {epochs[i]:.0f}\n"), (text, x_view, epochs[-3:])
    assert f"train accuracy {w.run.state.curves.column('train_metric')[i]:.6g}" in text


def test_with_no_test_set_the_legends_list_no_test_curve(qtbot, window):
    """A train fraction of 1: no test rows, so no "test" curve and no "test"
    entry in the legends; back at 0.5 it comes back after "train"."""
    w = window

    def legend(plot):
        return [label.text for _, label in plot.plotItem.legend.items]

    for plot in (w.curves.loss, w.curves.metric_plot):
        assert legend(plot) == ["train", "test"]
    type_into(qtbot, w.training_panel.split, "1")
    qtbot.waitUntil(lambda: w.data.split()[0] == 1.0, timeout=WAIT)
    trained_paused(qtbot, w, 2)
    qtbot.waitUntil(lambda: len(w.curves.loss._x) >= 2, timeout=WAIT)
    assert np.isnan(w.run.state.curves.column("test_loss")).all()
    for plot in (w.curves.loss, w.curves.metric_plot):
        assert legend(plot) == ["train"], plot.objectName()
        assert not np.isfinite(plot.test.getData()[1] if plot.test.getData()[1] is not None else []).any()
    type_into(qtbot, w.training_panel.split, "0.5")
    qtbot.waitUntil(lambda: w.data.split()[0] == 0.5, timeout=WAIT)
    trained_paused(qtbot, w, 1)
    qtbot.waitUntil(lambda: legend(w.curves.metric_plot) == ["train", "test"], timeout=WAIT)
    assert legend(w.curves.loss) == ["train", "test"]


def test_opening_an_example_starts_at_the_default_speed(qtbot, window):
    """The speed is no setting of a model file: the 1 step/s chosen for one
    example does not carry over to the next one opened."""
    from nnbuilder.gui.data.training_panel import DEFAULT_SPEED, SPEEDS

    w = window
    w.training_panel.default_speed = DEFAULT_SPEED  # a user's window (the tests' starts at max)
    speed = w.training_panel.speed
    speed.setCurrentIndex(len(SPEEDS) - 1)
    assert speed.currentText() == "1 step/s" and w.run.speed == 1.0
    assert w.files.open_file(str(EXAMPLES / "xor.json"), ask_to_save=False)
    assert speed.currentIndex() == DEFAULT_SPEED and w.run.speed == SPEEDS[DEFAULT_SPEED][1]
    speed.setCurrentIndex(len(SPEEDS) - 1)
    w.act_new.trigger()
    assert speed.currentIndex() == DEFAULT_SPEED and w.run.speed == SPEEDS[DEFAULT_SPEED][1]


def test_the_input_nodes_inspector_says_what_normalize_really_does(qtbot, window):
    """The trial: the Input's Inspector said "(standardized ...)" while the
    data's Normalize was none."""
    w = window
    panel = w.training_panel.normalize
    w.select_node("input")
    formula = w.inspector.formula
    assert panel.currentText() == "none" and w.document.graph.nodes["input"].params["normalize"] == "none"
    assert "not standardized" in formula.text() and "(x - mean) / std" not in formula.text()
    assert "not standardized" in w.scene.node_items["input"].toolTip()
    panel.setCurrentText("standardize")  # the Training panel's Normalize, as a user picks it
    qtbot.waitUntil(lambda: w.document.graph.nodes["input"].params["normalize"] == "standardize", timeout=WAIT)
    assert "standardized: (x - mean) / std" in formula.text() and "not standardized" not in formula.text()
    assert "standardized: (x - mean) / std" in w.scene.node_items["input"].toolTip()
    w.act_undo.trigger()
    qtbot.waitUntil(lambda: "not standardized" in formula.text(), timeout=WAIT)


def test_the_seed_box_and_the_status_bar_name_the_seed_they_show(qtbot, window):
    """The trial: the Seed box showed 0 while the status bar said the weights
    came from seed 1234567. Two seeds: the box's makes the data (and it
    shows the one the data was made with), the status bar's the weights."""
    from PySide6.QtWidgets import QLabel

    w = window
    box = w.training_panel.seed
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: "seed" in w.statusBar().currentMessage(), timeout=WAIT)
    msg = w.statusBar().currentMessage()
    seed = int(re.search(r"seed (\d+)", msg).group(1))
    assert seed == w.document.seed != box.value()
    assert f"weight seed {seed}" in msg
    label = w.training_panel.form.labelForField(box.parentWidget())
    assert isinstance(label, QLabel) and label.text().replace("&", "") == "Data seed"
    assert box.value() == w.data.spec.get("seed", 0) == w.document.dataset.get("seed", 0)


def test_a_lesson_after_pinned_runs_starts_the_loss_plots_range_over(qtbot, window):
    """The trial: after runs of the circle (pinned to compare), the
    gradient-descent lesson's loss plot kept their axis range. The lesson's
    network is a new document: its pins go, and so does their range."""
    w = window
    plot = w.curves.loss
    trained_paused(qtbot, w, 30)
    qtbot.mouseClick(w.curves.pin, Qt.MouseButton.LeftButton)
    assert len(plot.pins) == 1
    (_, x1), _ = plot.plotItem.vb.viewRange()
    assert x1 >= 30
    w.show_lessons()
    assert w.lessons.start("05-gradient-descent")
    qtbot.waitUntil(lambda: w.data.dataset is not None and w.data.dataset.X.shape == (4, 1), timeout=WAIT)
    assert plot.pins == [] and len(plot._x) == 0
    assert plot.plotItem.vb.viewRange() == [[0, 8], [0, 1]]  # the first range, as File > New has it
    # The lesson's first epoch: the range is of its curve alone.
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    wait_drawn(qtbot, w, lambda s: s.epoch >= 1)
    (x0, x1), (y0, y1) = plot.plotItem.vb.viewRange()
    losses = w.run.state.curves.column("train_loss")
    assert x1 <= 8 and y0 <= losses.min() and losses.max() <= y1 and y1 - y0 <= 2 * (losses.max() - losses.min()) + 1


def test_choosing_regression_data_leaves_no_classifiers_confusion_matrix(qtbot, window):
    """The trial: after the circle, choosing sine (a regression, which the
    2-input network cannot take yet) left the old classifier's matrix on
    screen, and it came back with the next snapshot of the paused run."""
    from PySide6.QtWidgets import QDoubleSpinBox

    w = window
    trained_paused(qtbot, w, 3)
    confusion = w.curves.confusion
    qtbot.waitUntil(lambda: confusion.counts is not None and w.curves.confusion_area.isVisible(), timeout=WAIT)
    w.training_panel.dataset.setCurrentText("sine")
    qtbot.waitUntil(lambda: w.data.dataset.task == "regression" and w.run.refresh_ready() is not None,
                    timeout=WAIT)
    qtbot.waitUntil(lambda: w.run.settled, timeout=WAIT)

    def no_matrix():
        # (the metric plot still shows the paused run's curves, of the circle: named as what they are)
        return not w.curves.confusion_area.isVisible() and confusion.counts is None \
            and w.curves.metric_plot.ylabel == "accuracy"

    assert no_matrix()
    # A command to the paused run (a new learning rate): its next snapshot is
    # still of the circle's classifier; the matrix does not come back.
    before = w.run.snapshot
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.2")
    qtbot.waitUntil(lambda: w.drawn is not before and w.drawn is w.run.snapshot and w.run.settled, timeout=WAIT)
    assert no_matrix()
    # Back to the circle: a classifier's run again, with its matrix.
    w.training_panel.dataset.setCurrentText("circle")
    trained_paused(qtbot, w, 1)
    qtbot.waitUntil(lambda: confusion.counts is not None and w.curves.confusion_area.isVisible(), timeout=WAIT)
    assert w.curves.metric_plot.ylabel == "accuracy"


def test_the_divergence_message_quotes_the_loss_the_curve_starts_at(qtbot, make_window):
    """The gradient-descent lesson's last step: the message compared the
    loss with "an untrained network (14.8)" (all weights 0, never plotted)
    while the curve starts at 4.125. It quotes the loss it started from:
    the curve's first point, the loss of the initial weights."""
    from PySide6.QtWidgets import QDoubleSpinBox

    w = make_window()
    w.show_lessons()
    assert w.lessons.start("05-gradient-descent")
    for _ in range(2):
        qtbot.mouseClick(w.lesson_panel.skip_button, Qt.MouseButton.LeftButton)
    assert w.lessons.index == 2
    w.training_panel.speed.setCurrentIndex(0)
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.6")
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    s = wait_drawn(qtbot, w, lambda s: s.divergence is not None, running=None)
    msg = w.statusBar().currentMessage()
    found = re.search(r"above [-+.\de]+: 10 times .*started from \(?([-+.\de]+)\)", msg)
    assert found and "untrained" not in msg, msg
    x, y = w.curves.loss.train.getData()
    assert x[0] == 0 and f"{y[0]:.4g}" == found.group(1)  # the curve's first point
    # The initial weights (restored: the last good ones are step 0's) in plain NumPy: L = 1/2 mean (y - x w)^2.
    assert s.divergence["restored_step"] == 0
    ds = w.data.dataset
    (W, _), = s.weights.values()
    start = 0.5 * float(np.mean((np.ravel(ds.y) - (np.asarray(ds.X, float) @ W).ravel()) ** 2))
    assert f"{start:.4g}" == found.group(1)


def test_the_loss_surface_shows_the_weights_on_screen_looking_back_and_after_a_rewind(qtbot, make_window):
    """The trial: the Loss surface panel (Learn) kept a stale position after
    a rewind. y = w x: the surface's w and step are those the diagram shows,
    of the moment looked back at, and after "Continue from here" of that
    moment, with the loss of that w in plain NumPy."""
    from guitools import slide_to
    from test_gui_timeline import edge_weights, train_until

    w = make_window(str(EXAMPLES / "linear_regression.json"))
    w.docks["surfaceDock"].raise_()
    surface, bar = w.surface_view, w.curves.timeline
    live = train_until(qtbot, w, 40)
    qtbot.waitUntil(lambda: bar.isEnabled() and bar.now == len(w.run.state.timeline), timeout=WAIT)
    ds = w.data.dataset

    def loss(weight):
        return 0.5 * float(np.mean((np.ravel(ds.y) - np.ravel(ds.X) * weight) ** 2))

    def shows(step, weight):
        return surface.step == step and surface.caption.text().startswith(
            f"Step {step} · w = {weight:.5g} · loss {loss(weight):.4g}\n")

    (W_now, _), = live.weights.values()
    qtbot.waitUntil(lambda: shows(live.step, float(W_now[0, 0])), timeout=WAIT)
    index = 2
    slide_to(qtbot, bar.slider, index)
    target = int(w.run.state.timeline[index, 0])
    qtbot.waitUntil(lambda: w.timeline._drawn == target, timeout=WAIT)
    (W_then,), = [list(v.ravel()) for v in edge_weights(w).values()]
    assert W_then != float(W_now[0, 0])
    qtbot.waitUntil(lambda: shows(target, W_then), timeout=WAIT)  # the moment on screen
    qtbot.mouseClick(bar.continue_here, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.snapshot.step == target and w.drawn is w.run.snapshot, timeout=WAIT)
    qtbot.waitUntil(lambda: shows(target, W_then), timeout=WAIT)
    assert [s for s, _ in surface.path][-1] == target and max(s for s, _ in surface.path) == target


def test_a_message_about_the_state_before_an_edit_goes_with_the_edit(qtbot, make_window):
    """The trial: the XOR lesson's first note ("a single step unit ... cannot
    separate XOR") stayed on step 2's new network after the student changed
    its units; "Cannot train: ... has no input" stayed after the connection
    was made again. The status bar says what the last action did."""
    from guitools import connect_ports

    w = make_window()
    bar = w.statusBar()
    w.show_lessons()
    assert w.lessons.start("02-xor")
    w.training_panel.speed.setCurrentIndex(0)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).stop_reason == "max_epochs" and not snap(w).running,
                    timeout=WAIT)
    qtbot.waitUntil(lambda: "cannot separate XOR" in bar.currentMessage(), timeout=WAIT)
    qtbot.waitUntil(lambda: w.lessons.step_done() and w.lesson_panel.next_button.isEnabled(), timeout=WAIT)
    qtbot.mouseClick(w.lesson_panel.next_button, Qt.MouseButton.LeftButton)  # step 2: the 2-2-1 network
    assert w.lessons.index == 1 and "cannot separate XOR" not in bar.currentMessage()
    w.select_node("dense1")
    type_into(qtbot, w.inspector.units, "3")  # as the student types it
    assert w.document.graph.nodes["dense1"].params["units"] == 3
    assert "cannot separate XOR" not in bar.currentMessage()
    # A run, a connection deleted (the run cannot train: said), the connection made again by a drag.
    trained_paused(qtbot, w, 2)
    scene = w.scene
    scene.clearSelection()
    scene.edge_items[("dense1", "output")].setSelected(True)
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_Delete)
    assert ("dense1", "output") not in scene.edge_items
    qtbot.waitUntil(lambda: bar.currentMessage().startswith("Cannot train:"), timeout=WAIT)
    connect_ports(qtbot, w, "dense1", "output")
    assert ("dense1", "output") in scene.edge_items
    assert not bar.currentMessage().startswith("Cannot train:"), bar.currentMessage()
