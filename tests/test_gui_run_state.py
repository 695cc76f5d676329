"""One run at a time: New, Open and Reset leave nothing of the old run on
screen; a reopened trained model shows its trained state; a worker that dies
loses neither the network nor its weights."""
import os
import signal

import numpy as np
from PySide6.QtCore import Qt

from guitools import pause

WAIT = 15000


def snap(w):
    return w.run.snapshot


def train_epochs(qtbot, w, n):
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= n, timeout=WAIT)
    return pause(qtbot, w, timeout=WAIT)


def test_new_leaves_nothing_of_the_old_run_on_screen(qtbot, window):
    w = window
    w.layer_plot.parentWidget().raise_()
    train_epochs(qtbot, w, 5)
    assert w.epoch_label.text() != "Epoch 0 · step 0" and w.loss_label.text().startswith("loss ")
    assert w.curves.confusion.counts is not None and w.boundary.last_rgba is not None
    assert w.windowTitle().startswith("Example: circle") and w.document_name() == "Example: circle"
    asked = []
    w._ask_unsaved = lambda: asked.append(w.document_name()) or "discard"
    w.act_new.trigger()
    assert asked == ["Example: circle"]  # the prompt names what the title named
    assert w.epoch_label.text() == "Epoch 0 · step 0" and w.loss_label.text() == ""
    assert w.rate_label.text() == "0 steps/s" and w.play_button.text() == "Train"
    assert w.curves.loss.train.xData is None or len(w.curves.loss.train.xData) == 0
    assert w.curves.confusion.counts is None and w.layer_plot.history is None
    assert w.boundary.last_rgba is None and snap(w) is None and len(w.run.state.curves) == 0
    assert all(e.weights is None for e in w.scene.edge_items.values())


def test_a_reopened_trained_model_shows_its_trained_state(qtbot, make_window, tmp_path):
    w = make_window()
    s = train_epochs(qtbot, w, 30)
    drawn = w.boundary.last_rgba.copy()
    path = tmp_path / "trained.json"
    assert w.files.save_to(str(path))
    again = make_window(str(path))
    # No Train, no Step: the output view and the weight lines are the trained ones.
    assert again.run.worker is None and snap(again) is None
    np.testing.assert_array_equal(again.boundary.last_rgba, drawn)
    assert len(again.scene.edge_items) == len(s.weights)  # each checked below
    for (src, dst), edge in again.scene.edge_items.items():
        np.testing.assert_array_equal(edge.weights, s.weights[dst][0])


def test_a_killed_worker_keeps_the_network_and_its_weights(qtbot, window):
    w = window
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 3, timeout=WAIT)
    worker = w.run.worker
    os.kill(worker.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: w.run.worker is None, timeout=WAIT)
    assert "stopped unexpectedly" in w.statusBar().currentMessage()
    assert f"exit code {-signal.SIGKILL}" in w.statusBar().currentMessage()
    last = snap(w)
    assert not last.running and w.play_button.text() == "Train" and w.play_button.isEnabled()
    assert len(w.document.graph.nodes) == 4
    for nid, (W, b) in last.weights.items():  # the document keeps the last weights drawn
        np.testing.assert_array_equal(w.document.weights[nid]["W"], W)
    # Step starts a new worker, from those weights: one step moves them a little.
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.worker is not None and snap(w) is not None and snap(w).step == 1,
                    timeout=WAIT)
    assert w.run.worker.pid != worker.pid and w.run.worker.alive
    for nid, (W, b) in snap(w).weights.items():
        moved = np.abs(W - last.weights[nid][0])
        assert 0 < moved.max() < 0.05, (nid, moved.max())


def test_training_starts_slow_enough_to_watch(qtbot, gui_env):
    """A new window trains at 100 steps/s (the example's boundary forms over
    several seconds); max is one entry away in the same list."""
    from nnbuilder.gui.window.mainwindow import MainWindow

    w = MainWindow(offer_restore=False)
    qtbot.addWidget(w)
    assert w.training_panel.speed.currentText() == "100 steps/s" and w.run.speed == 100.0
    assert w.training_panel.speed.itemText(0) == "max"
    w.training_panel.speed.setCurrentIndex(0)
    assert w.run.speed is None


def test_neuron_thumbnails_follow_the_zoom(qtbot, window):
    """Paused, then zoomed out and in: the thumbnails are redrawn at the new
    size and stay inside their node (they spilled out after Fit or zoom)."""
    w = window
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step == 1, timeout=WAIT)
    node = w.scene.node_items["dense1"]
    qtbot.waitUntil(lambda: bool(node.maps), timeout=WAIT)

    def column_height():
        return node.thumbnail_column().pixmap().height()
    for factor in (0.5, 2.0, 3.0):
        w.view.zoom_by(factor)
        w.view.centerOn(node)  # on screen: a node is drawn (and its thumbnails follow) when painted
        zoom = w.view.transform().m11()
        # The column is as tall on screen as the node's neuron rows at this zoom.
        qtbot.waitUntil(lambda: abs(column_height() - 4 * 22 * zoom) <= 2, timeout=WAIT)


def test_open_names_the_metric_of_the_new_data_and_drops_the_old_confusion_matrix(qtbot, window):
    w = window
    train_epochs(qtbot, w, 3)  # the example: classification, a confusion matrix
    assert w.curves.confusion.isVisible() and w.curves.metric_plot.ylabel == "accuracy"
    w.files.open_file(os.path.join("resources", "examples", "linear_regression.json"), ask_to_save=False)
    assert w.curves.metric_plot.ylabel == "R²"  # before any training of the new network
    assert not w.curves.confusion.isVisible()
    w.act_new.trigger()
    assert not w.curves.confusion.isVisible()


def test_data_without_training_rows_is_a_reason_not_a_traceback(qtbot, window):
    """Painting, every point cleared: no training row. The window says so and
    Reset starts nothing (the worker once answered with a traceback dialog)."""
    w = window
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.snapshot is not None and w.run.snapshot.step == 1, timeout=15000)
    w.document.set_dataset({"points": [], "classes": 2, "split": 0.5, "seed": 0}, "Paint")
    qtbot.waitUntil(lambda: not w.reset_button.isEnabled(), timeout=15000)
    assert "no training samples" in w.play_button.toolTip()
    w.run.reset()  # as a shortcut would: refused with the reason, no run asked for
    assert "no training samples" in w.statusBar().currentMessage()
    assert not w.errors


def test_an_edit_that_breaks_the_network_says_paused_only_when_it_was_training(qtbot, window):
    """The trial's finding: "Training paused: ..." after an edit of a run that was not running."""
    w = window
    g = w.document.graph
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.snapshot is not None and w.run.snapshot.step == 1, timeout=15000)
    w.document.remove(edges=[e for e in g.edges if e.target == "output"])
    assert w.statusBar().currentMessage().startswith("Cannot train: ")
    w.document.undo_stack.undo()
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.running, timeout=15000)
    w.document.remove(edges=[e for e in g.edges if e.target == "output"])
    assert w.statusBar().currentMessage().startswith("Training paused: ")
    qtbot.waitUntil(lambda: not w.run.running, timeout=15000)
