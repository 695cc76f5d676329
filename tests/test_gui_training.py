"""Live training in the real window: buttons, settings, plots, diagram colours."""
import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QSpinBox

from forward import forward, read_model
from guitools import click_node, pause, type_into, wait_drawn
from nnbuilder.core.engine.network import Network
from nnbuilder.gui import MainWindow
from nnbuilder.gui.diagram.edges import WEIGHT_NEGATIVE, WEIGHT_POSITIVE

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
WAIT = 15000


def snap(w):
    return w.run.snapshot


def step_of(w):
    return None if snap(w) is None else snap(w).step


def wait_epochs(qtbot, w, n):
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= n, timeout=WAIT)
    return snap(w)


def test_train_pause_and_the_counters(qtbot, window):
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    s = wait_epochs(qtbot, window, 5)
    assert s.running and window.play_button.text() == "Pause"
    assert window.epoch_label.text().startswith("Epoch ")
    assert "steps/s" in window.rate_label.text()
    paused = pause(qtbot, window)
    assert window.play_button.text() == "Train"
    # Paused means stopped: one Step then takes the run exactly one step further.
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton)
    assert wait_drawn(qtbot, window, lambda s: s.step != paused.step).step == paused.step + 1
    assert window.document.modified  # trained weights are unsaved work


def test_space_toggles_training(qtbot, window):
    window.activateWindow()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    wait_epochs(qtbot, window, 1)
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not snap(window).running, timeout=WAIT)


def test_step_is_exactly_one_update_and_shift_step_is_an_epoch(qtbot, window):
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton)
    # The run pauses when its steps are done: the first paused snapshot past step 0 is where it stopped.
    assert wait_drawn(qtbot, window, lambda s: s.step > 0).step == 1
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    s = wait_drawn(qtbot, window, lambda s: s.step > 1)
    assert (s.epoch, s.step) == (1, 25)  # 250 training samples of circle, batch 10


def test_learning_rate_changes_while_running(qtbot, window):
    spin = window.findChild(QDoubleSpinBox, "learningRateSpin")
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 2)
    type_into(qtbot, spin, "0.25")
    qtbot.waitUntil(lambda: snap(window).config.lr == 0.25, timeout=WAIT)  # the worker's own
    assert snap(window).running and window.document.training.lr == 0.25
    batch = window.findChild(QSpinBox, "batchSizeSpin")
    type_into(qtbot, batch, "25")
    qtbot.waitUntil(lambda: snap(window).config.batch_size == 25, timeout=WAIT)
    pause(qtbot, window)


def test_divergence_pauses_restores_and_says_where(qtbot, make_window):
    w = make_window(str(EXAMPLES / "linear_regression.json"))
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.5")
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    s = wait_drawn(qtbot, w, lambda s: s.divergence is not None, running=None)
    assert not s.running and w.play_button.text() == "Train"
    msg = w.statusBar().currentMessage()
    assert f"diverged at step {s.divergence['step']:,}" in msg and "learning rate 0.5" in msg
    assert "smaller learning rate" in msg
    assert all(np.isfinite(W).all() for W, _ in s.weights.values())
    assert len(w.curves.loss.marks) == 1  # the run is highlighted on the loss plot


def test_changing_units_while_training_keeps_the_other_layers(qtbot, window):
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 3)
    fresh = Network(window.document.graph)
    fresh.init_params(np.random.default_rng(window.document.seed))
    click_node(qtbot, window, "dense2")
    window.inspector.units.setValue(6)
    s = wait_drawn(qtbot, window, lambda s: s.weights["dense2"][0].shape == (4, 6), running=None)
    assert not s.running  # a structural edit pauses
    assert not np.array_equal(s.weights["dense1"][0], fresh.params["dense1"][0])  # trained, kept
    assert "kept the trained weights of 1 layer" in window.statusBar().currentMessage()
    # Paused: the kept layer is exactly what it was.
    before = s.weights["dense1"][0].copy()
    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: snap(window).weights["dense2"][0].shape == (4, 4), timeout=WAIT)
    np.testing.assert_array_equal(snap(window).weights["dense1"][0], before)


def test_closing_the_window_while_training_stops_the_thread(qtbot, window):
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 1)
    live = window.run.worker
    assert live.alive
    window.close()
    assert not live.alive and window.run.worker is None


def test_the_boundary_changes_and_weight_lines_match_the_weights(qtbot, window):
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.boundary.last_rgba is not None, timeout=WAIT)
    first = window.boundary.last_rgba.copy()
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 30)
    s = pause(qtbot, window)
    now = window.boundary.last_rgba
    assert now.shape == (100, 100, 4)
    assert np.mean(np.any(now != first, axis=2)) > 0.2  # the boundary moved
    assert window.boundary.contour.data is not None
    edge = window.scene.edge_items[("dense1", "dense2")]
    W = s.weights["dense2"][0]
    np.testing.assert_array_equal(edge.weights, W)
    pens = edge.weight_pens()
    assert len(pens) == W.size  # one line per weight, each checked below
    for pen, w in zip(pens, W.ravel()):
        assert pen.color() == (WEIGHT_POSITIVE if w >= 0 else WEIGHT_NEGATIVE)
    widths = np.array([p.widthF() for p in pens])
    assert widths[np.argmax(np.abs(W.ravel()))] == widths.max()
    item = window.scene.node_items["dense1"]
    assert len(item.maps) == 4 and item.maps[0].width() == 32  # neuron maps drawn


def test_typing_a_weight_while_paused(qtbot, window, monkeypatch):
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, window, lambda s: s.step == 1)  # the weight lines of step 1 drawn
    monkeypatch.setattr(MainWindow, "_ask_weight", lambda self, n, i, j, cur: 2.5)
    edge = window.scene.edge_items[("dense1", "dense2")]
    p, q = edge.neuron_lines[1]  # W[0, 1]
    mid = (p + q) / 2
    assert edge.weight_at(mid)[:2] == (0, 1)
    vp = window.view.viewport()
    pos = window.view.mapFromScene(mid)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: snap(window).weights["dense2"][0][0, 1] == 2.5, timeout=WAIT)
    assert "Dense 2: W[1, 2] = 2.5" in window.statusBar().currentMessage()  # 1-based, as in the file


def test_an_error_in_the_worker_is_shown_and_training_stops(qtbot, window):
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 1)
    # A command the worker cannot carry out raises inside it, mid-run.
    with window.expect_errors():
        window.run.worker.set_weight("dense1", 0, 0, float("nan"))
        qtbot.waitUntil(lambda: any(t == "Training stopped" for t, _ in window.errors), timeout=WAIT)
    assert "finite" in window.errors[-1][1]
    assert window.run.worker.alive and not snap(window).running
    # Said once: a setting changed while paused (the worker publishes anew) shows no second dialog.
    type_into(qtbot, window.findChild(QDoubleSpinBox, "learningRateSpin"), "0.2")
    wait_drawn(qtbot, window, lambda s: s.config.lr == 0.2)
    assert [title for title, _ in window.errors] == ["Training stopped"]
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)  # and it trains on
    e = snap(window).epoch
    wait_epochs(qtbot, window, e + 2)


def test_plots_export_and_loss_csv(qtbot, window, gui_env):
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 5)
    pause(qtbot, window)
    files = window.files.export_plots(str(gui_env))
    assert sorted(p.rsplit("/", 1)[1] for p in files) == sorted(
        f"{n}.{s}" for n in ("loss", "metric", "output") for s in ("png", "svg"))
    svg = (gui_env / "loss.svg").read_text()
    assert "<svg" in svg and ("<path" in svg or "<polyline" in svg)
    from PySide6.QtGui import QImage
    assert not QImage(str(gui_env / "output.png")).isNull()
    out = gui_env / "loss.csv"
    assert window.files.export_loss_csv(str(out))
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["epoch", "step", "train_loss", "test_loss", "train_metric", "test_metric"]
    assert len(rows) - 1 == len(window.run.state.curves) and [r[0] for r in rows[1:4]] == ["0.0", "1.0", "2.0"]


def test_loss_hover_readout_and_log_scale(qtbot, window):
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    wait_drawn(qtbot, window, lambda s: s.epoch == 1)
    loss = window.curves.loss
    vb = loss.plotItem.vb
    train = window.run.state.curves.column("train_loss")
    pos = vb.mapViewToScene(QPointF(1.0, float(train[1])))
    qtbot.mouseMove(loss.viewport(), loss.mapFromScene(pos))  # the pointer over it (hover events are rate-limited)
    qtbot.waitUntil(lambda: "epoch 1" in loss.readout.toPlainText(), timeout=WAIT)
    assert f"{train[1]:.6g}" in loss.readout.toPlainText()
    qtbot.mouseClick(window.curves.log, Qt.MouseButton.LeftButton)
    assert loss.plotItem.ctrl.logYCheck.isChecked()


def test_the_hover_readout_is_of_the_epoch_nearest_the_pointer(qtbot, window):
    """The trial's finding: a pointer just right of epoch 1 read "epoch 2"."""
    for epochs in (1, 2, 3):
        qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
        wait_drawn(qtbot, window, lambda s, e=epochs: s.epoch == e)
    loss = window.curves.loss
    vb = loss.plotItem.vb
    train = window.run.state.curves.column("train_loss")
    for at, want in ((1.3, 1), (1.7, 2), (0.2, 0), (2.6, 3)):
        pos = vb.mapViewToScene(QPointF(at, float(train[1])))
        qtbot.mouseMove(loss.viewport(), loss.mapFromScene(pos))
        qtbot.waitUntil(lambda: loss.readout.isVisible() and loss.readout.toPlainText().startswith(f"epoch {want}\n"),
                        timeout=WAIT)


def test_reset_reinitialises_with_the_same_or_a_new_seed(qtbot, window):
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(window) is not None and snap(window).step == 1, timeout=WAIT)
    first = snap(window).weights["dense1"][0].copy()
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 3)
    pause(qtbot, window)
    qtbot.mouseClick(window.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: step_of(window) == 0, timeout=WAIT)
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: step_of(window) == 1, timeout=WAIT)
    np.testing.assert_array_equal(snap(window).weights["dense1"][0], first)  # same seed, same run
    seed = window.document.seed
    qtbot.mouseClick(window.reset_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: step_of(window) == 0, timeout=WAIT)
    assert window.document.seed != seed
    assert len(window.run.state.curves) == 1  # the plots started over


def test_reset_while_training_starts_the_curves_over(qtbot, window):
    """Reset (with a new seed) while training, then Train: the curves are the
    new run's alone, from epoch 0 on, with no line joining the old run."""
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 20)
    qtbot.mouseClick(window.reset_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: step_of(window) == 0, timeout=WAIT)
    assert window.epoch_label.text() == "Epoch 0 · step 0" and window.curves.loss.train.xData.size <= 1
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 5)
    pause(qtbot, window)
    epochs = window.run.state.curves.column("epoch")
    assert epochs[0] == 0 and np.all(np.diff(epochs) == 1), epochs[:30]


def test_dataset_change_while_training_is_a_new_run_that_trains_on(qtbot, window):
    """Other data: a new run (its curves start over: two data sets never
    share one), from the weights that fit, training on as it was."""
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 2)
    generation = window.run.state.generation
    window.training_panel.dataset.setCurrentText("xor")
    assert window.document.dataset["name"] == "xor"
    qtbot.waitUntil(lambda: window.run.state.generation > generation and snap(window) is not None
                    and snap(window).running and snap(window).epoch >= 3, timeout=WAIT)
    pause(qtbot, window)
    epochs = window.run.state.curves.column("epoch")
    assert epochs[0] == 0 and len(epochs) > 3 and np.all(np.diff(epochs) == 1), epochs
    assert window.curves.loss.train.xData[0] == 0 and window.errors == []


def test_saving_after_training_stores_the_trained_weights(qtbot, window, gui_env, monkeypatch):
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 5)
    s = pause(qtbot, window)
    path = gui_env / "trained.json"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    assert window.files.save_as()
    from nnbuilder.core.files.modelfile import load_model

    doc = load_model(path)
    np.testing.assert_array_equal(doc.weights["dense1"]["W"], s.weights["dense1"][0])
    assert doc.metrics["epoch"] == s.epoch and doc.training.lr == 0.03


def test_hovering_a_neuron_shows_its_map_large_and_the_layer_panel_fills(qtbot, window):
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, window, 5)
    pause(qtbot, window)
    item = window.scene.node_items["dense1"]
    assert len(item.maps) == 4
    centre = item.mapToScene(QPointF(item.size[0] / 2, 46 + 11 + 22))  # neuron 1
    qtbot.mouseMove(window.view.viewport(), window.view.mapFromScene(centre))
    qtbot.waitUntil(lambda: window.scene.neuron_preview is not None and window.scene.neuron_preview.isVisible(),
                    timeout=WAIT)
    assert window.scene.neuron_preview.pixmap().width() == 160
    assert window.scene.neuron_preview.toolTip() == "Dense 1[2]"  # the second neuron, counted from 1
    # Above and left of the cursor, clear of the node's tool tip (below and right of it).
    box = window.scene.neuron_preview.sceneBoundingRect()
    assert box.right() < centre.x() and box.bottom() < centre.y()
    qtbot.mouseMove(window.view.viewport(), window.view.mapFromScene(centre + QPointF(0, -300)))
    qtbot.waitUntil(lambda: not window.scene.neuron_preview.isVisible(), timeout=WAIT)
    # The per-layer panel: gradient norms over time and a weight histogram.
    window.docks["gradientsDock"].raise_()
    qtbot.mouseClick(window.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.layer_plot.history is not None and len(window.layer_plot.history) >= 2,
                    timeout=WAIT)
    pause(qtbot, window)
    lp = window.layer_plot
    assert set(lp.curves) == {"dense1", "dense2", "output"}
    x, y = lp.curves["dense1"].getData()  # log10 of the norms (log axis)
    assert len(x) >= 2 and np.all(x > 0) and np.all(np.isfinite(y)) and np.all(y > -12)
    assert lp.bars is not None and sum(lp.bars.opts["height"]) == 2 * 4  # all weights of dense1


def test_one_dimensional_regression_shows_the_fitted_curve(qtbot, make_window, tmp_path):
    w = make_window(str(EXAMPLES / "sine.json"))
    assert w.boundary.grid.ys is None
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, w, 20)
    s = pause(qtbot, w)
    xs, ys = w.boundary.curve.getData()
    path = tmp_path / "sine.json"
    assert w.files.save_to(str(path))
    expected, _ = forward(read_model(path), np.asarray(xs)[:, None])  # a forward pass written in the test
    assert len(xs) == 200 and np.allclose(ys, expected[:, 0], rtol=1e-6, atol=1e-6)
    assert s.metric_name == "r2" and w.curves.metric_plot.ylabel == "R²"
    assert s.last["train_metric"] > 0.5


def test_choosing_a_table_or_iris_sets_its_own_train_fraction(qtbot, window):
    panel = window.training_panel
    panel.dataset.setCurrentText("xor_table")
    assert window.document.dataset["name"] == "xor_table" and window.document.dataset["split"] == 1.0
    assert not panel.noise.isEnabled()
    panel.dataset.setCurrentText("iris")
    assert window.document.dataset["split"] == 0.5
    # the example network has 2 inputs and 1 output: Train says why it cannot run
    assert not window.play_button.isEnabled() and "3 classes" in window.play_button.toolTip()
    panel.dataset.setCurrentText("moons")
    assert panel.noise.isEnabled() and window.play_button.isEnabled()


def test_iris_trains_in_the_window_and_the_confusion_matrix_fills(qtbot, make_window):
    w = make_window(str(EXAMPLES / "iris.json"))
    assert not w.curves.confusion.isVisible()
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    s = wait_drawn(qtbot, w, lambda s: s.step > 0, timeout=30000)  # the example stops at 200 epochs
    assert s.stop_reason == "max_epochs" and s.last["test_metric"] >= 0.9
    cm = w.curves.confusion.counts
    assert w.curves.confusion.isVisible() and cm.shape == (3, 3)
    assert cm.sum() == 75 and np.trace(cm) / cm.sum() == pytest.approx(s.last["test_metric"])
    texts = [t.toPlainText() for t in w.curves.confusion.texts][:cm.size]  # then P, R, F1 per class
    assert texts == [str(v) for v in cm.ravel()]


def test_data_with_four_features_shows_a_slice_through_two_of_them(qtbot, make_window):
    plain = make_window()
    assert not plain.output_panel.options.slice_label.isVisible() and not plain.output_panel.options.slice_x.isVisible()
    w = make_window(str(EXAMPLES / "iris.json"))
    panel = w.output_panel.options
    assert panel.slice_x.isVisible() and panel.slice_x.count() == 4
    grid = w.boundary.grid
    assert grid.axes == (0, 1) and [c for c, _ in grid.fixed] == [2, 3]
    assert "at median" in w.output_panel.options.caption.text() and w.output_panel.options.slice_label.isVisible()
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and w.boundary.last_rgba is not None, timeout=WAIT)  # the step drawn (the untrained network is drawn before it)
    panel.slice_x.setCurrentText("petal_length")
    panel.slice_y.setCurrentText("petal_width")
    grid = w.boundary.grid
    assert grid.axes == (2, 3) and [c for c, _ in grid.fixed] == [0, 1]
    X = w.data.dataset.X
    assert grid.xs[0] < X[:, 2].min() and grid.xs[-1] > X[:, 2].max()
    assert np.allclose(grid.raw[:, 0], np.median(X[:, 0]))
    first = w.boundary.last_rgba.copy()
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: not np.array_equal(w.boundary.last_rgba, first), timeout=WAIT)
    assert w.boundary.plotItem.getAxis("bottom").labelText == "petal_length"


def click_plot(qtbot, plot, x, y, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    scene_pt = plot.plotItem.vb.mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(plot.viewport(), button, mods, plot.mapFromScene(scene_pt))


def test_paint_points_remove_undo_save_and_reopen(qtbot, make_window, gui_env, monkeypatch):
    w = make_window()
    panel = w.training_panel
    panel.dataset.setCurrentText("painted")
    doc = w.document
    assert doc.dataset["points"] == [] and w.output_panel.paint_row.isVisible()
    bp = w.boundary
    assert bp.grid is not None and bp.grid.x_range[0] <= -6 and bp.grid.x_range[1] >= 6
    click_plot(qtbot, bp, 1.0, 1.0)
    click_plot(qtbot, bp, -2.0, 2.0, mods=Qt.KeyboardModifier.ShiftModifier)  # the next class
    click_plot(qtbot, bp, 3.0, -1.0)
    pts = doc.dataset["points"]
    assert [p[2] for p in pts] == [0, 1, 0]
    assert np.allclose([p[:2] for p in pts], [[1, 1], [-2, 2], [3, -1]], atol=0.15)
    click_plot(qtbot, bp, 2.8, -0.8, mods=Qt.KeyboardModifier.ControlModifier)  # remove nearest
    assert [p[:2] for p in doc.dataset["points"]] == [p[:2] for p in pts[:2]]
    click_plot(qtbot, bp, -2.1, 2.1, button=Qt.MouseButton.RightButton)
    assert len(doc.dataset["points"]) == 1
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.dataset["points"] == pts
    # three classes
    w.output_panel.paint_row.classes.setValue(3)
    w.output_panel.paint_row.buttons[2].click()
    click_plot(qtbot, bp, 0.0, -4.0)
    assert doc.dataset["classes"] == 3 and doc.dataset["points"][-1][2] == 2
    assert "3 classes" in w.play_button.toolTip()  # the example has one output unit
    w.output_panel.paint_row.classes.setValue(2)  # drops the class-2 point
    assert [p[2] for p in doc.dataset["points"]] == [0, 1, 0]
    assert w.play_button.isEnabled()
    path = gui_env / "painted.json"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    assert w.files.save_as()
    again = make_window(str(path))
    assert again.document.dataset["points"] == doc.dataset["points"]
    assert again.training_panel.dataset.currentText() == "painted" and again.output_panel.paint_row.isVisible()
    assert len(again.data.dataset) == 3


def test_gallery_samples_seed_and_regenerate(qtbot, window):
    gallery, panel, doc = window.training_panel.gallery, window.training_panel, window.document
    names = [gallery.item(i).data(Qt.ItemDataRole.UserRole) for i in range(gallery.count())]
    assert names[-1] == "painted" and {"circle", "spiral", "iris", "seed_table"} <= set(names)
    assert all(not gallery.item(i).icon().isNull() for i in range(gallery.count()))
    item = gallery.item(names.index("spiral"))
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=gallery.visualItemRect(item).center())
    assert doc.dataset["name"] == "spiral" and panel.dataset.currentText() == "spiral"
    before = window.data.dataset.X.copy()
    type_into(qtbot, panel.samples, "300")
    assert doc.dataset["samples"] == 300 and len(window.data.dataset) == 300
    seed = doc.dataset["seed"]
    qtbot.mouseClick(panel.regenerate, Qt.MouseButton.LeftButton)
    assert doc.dataset["seed"] != seed and not np.array_equal(window.data.dataset.X[:10], before[:10])
    doc.undo_stack.undo()  # the data changes are undoable too
    assert doc.dataset["seed"] == seed and len(window.data.dataset) == 300


def test_a_flood_of_slice_and_setting_changes_while_training_on_100k_rows(qtbot, make_window, tmp_path):
    """The window once froze for good here: the GUI thread blocked sending new
    grids while the worker blocked sending a snapshot nobody read. Hundreds of
    slice and setting changes while training runs on 100,000 rows: the event
    loop keeps turning, the worker keeps training, and the last change wins."""
    from nnbuilder.core.data.datasets import load_csv

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 4)).round(4)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    path = tmp_path / "big.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="a,b,c,d,label", comments="", fmt="%g")
    w = make_window()
    w.data.import_dataset({"csv": str(path), "target": "label", "features": ["a", "b", "c", "d"]},
                          load_csv(str(path), "label"), fit=True, standardize=False)
    assert w.data.dataset.X.shape == (100_000, 4) and w.run.refresh_ready() is None
    panel = w.training_panel
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    wait_epochs(qtbot, w, 0)
    start = snap(w).step
    turns = []
    counter = QTimer()
    counter.timeout.connect(lambda: turns.append(1))
    counter.start(0)
    pairs = [(i, j) for i in range(4) for j in range(4) if i != j]
    for k in range(200):  # each one a slice change (new grids) and a setting
        i, j = pairs[k % len(pairs)]
        w.output_panel.options.slice_x.setCurrentIndex(i)
        w.output_panel.options.slice_y.setCurrentIndex(j)
        panel.lr.setValue(0.01 + 0.0001 * k)
        QApplication.processEvents()
    last_axes, last_lr = pairs[199 % len(pairs)], panel.lr.value()
    qtbot.waitUntil(lambda: snap(w).config.lr == pytest.approx(last_lr) and snap(w).step > start,
                    timeout=60000)
    counter.stop()
    assert len(turns) >= 200  # the loop turned at least once per change, and the timer ran
    assert w.boundary.grid.axes == last_axes and snap(w).running
    assert len(w.boundary.train_points.data) == 5000  # a sample of the 50,000 training points
    pause(qtbot, w)


def test_the_window_draws_what_an_independent_forward_pass_gives(qtbot, make_window, tmp_path):
    """The worker only trains; the window evaluates the output view and the
    neuron maps from the snapshot's weights. They equal a forward pass
    written in the test from the saved model file, for standardized inputs
    and a slice, and the output view's pixels are those values' colours."""
    from forward import forward, read_model
    from nnbuilder.gui.run.live_view import output_scale
    from nnbuilder.gui.widgets.plots import diverging_rgba

    rng = np.random.default_rng(3)
    X = rng.normal(loc=[500.0, 0.01, 3.0], scale=[50.0, 0.002, 1.0], size=(300, 3))
    y = (X[:, 0] - 500 + 20000 * (X[:, 1] - 0.01) > 0).astype(int)
    path = tmp_path / "std.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="a,b,c,label", comments="", fmt="%.6g")
    from nnbuilder.core.data.datasets import load_csv

    w = make_window()
    w.data.import_dataset({"csv": str(path), "target": "label", "features": ["a", "b", "c"]},
                          load_csv(str(path), "label"), fit=True, standardize=True)
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: step_of(w) is not None and step_of(w) > 0 and not snap(w).running, timeout=WAIT)
    model = tmp_path / "model.json"
    assert w.files.save_to(str(model))
    m = read_model(model)
    for axes in ((0, 1), (1, 2)):
        w.output_panel.options.slice_x.setCurrentIndex(axes[0])
        w.output_panel.options.slice_y.setCurrentIndex(axes[1])
        qtbot.waitUntil(lambda: w.boundary.grid.axes == axes, timeout=WAIT)
        s = snap(w)
        outputs, maps = w.live.evaluate(s)
        grid, neuron_grid = w.live.grids()
        expected, _ = forward(m, grid.raw)
        np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
        _, acts = forward(m, neuron_grid.raw)
        assert len(maps) >= 3 and set(maps) == set(acts)
        for nid in maps:
            np.testing.assert_allclose(maps[nid], acts[nid].T, rtol=1e-5, atol=1e-6)
        # The pixels drawn: the colour of each value (within one step of the table).
        assert expected.shape[1] == 1 and not w.boundary.discretize
        threshold, (lo, hi) = output_scale(w.document.graph, w.data.dataset)
        v = expected[:, 0].reshape(grid.resolution, grid.resolution)
        t = (v - threshold) / max(hi - threshold, threshold - lo, 1e-12)
        drawn = w.boundary.last_rgba.astype(int)
        assert np.abs(drawn - diverging_rgba(0.8 * t, 255).astype(int)).max() <= 3
        np.testing.assert_array_equal(w.boundary.grid.raw[:, list(axes)].min(axis=0),
                                      [w.boundary.grid.xs[0], w.boundary.grid.ys[0]])
