"""What a newcomer tripped over, trying the app from the README on a virtual
screen: each fixed, each checked here the way the newcomer met it."""
import time
from pathlib import Path

from PySide6.QtCore import QPointF, Qt

from guitools import pause, wait_drawn

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
WAIT = 15000


def snap(w):
    return w.run.snapshot


def test_open_recent_lists_whole_paths_and_says_which_folder(window, tmp_path):
    w = window
    a, b = tmp_path / "a" / "net.json", tmp_path / "b" / "net.json"
    for p in (a, b):
        p.parent.mkdir()
        p.write_text((EXAMPLES / "xor.json").read_text())
    assert w.files.open_file(str(a), ask_to_save=False)
    assert w.files.recent_files() == [str(a)]  # one path stored: not read back letter by letter
    assert w.files.open_file(str(b), ask_to_save=False)
    assert w.files.recent_files() == [str(b), str(a)]
    w.recent_menu.aboutToShow.emit()
    texts = [act.text() for act in w.recent_menu.actions()]
    assert texts == ["net.json — b", "net.json — a"]


def test_the_settings_column_cannot_collapse_and_the_layout_can_be_reset(qtbot, window):
    w = window
    training = w.docks["trainingDock"]
    w.resizeDocks([training], [40], Qt.Orientation.Horizontal)
    w.layout().activate()  # the docks take their new sizes now, not on the next layout pass
    assert training.width() >= 200
    w.findChild(type(w.act_new), "actionResetLayout").trigger()
    w.layout().activate()
    assert training.width() >= 250 and training.isVisible()


def test_ctrl_z_in_the_name_field_undoes_the_rename(qtbot, window):
    w = window
    w.select_node("dense1")
    field = w.inspector.name
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "Hidden A")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    stack = w.document.undo_stack
    assert w.document.graph.nodes["dense1"].name == "Hidden A"
    done = stack.index()
    qtbot.keyClick(field, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(field, Qt.Key.Key_Tab)  # leaving the field saves nothing new
    assert w.document.graph.nodes["dense1"].name == "Dense 1"
    assert stack.index() == done - 1 and stack.canRedo()


def test_the_clock_counts_training_time_at_a_watchable_speed(qtbot, window):
    w = window
    w.training_panel.speed.setCurrentText("100 steps/s")
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step >= 150, timeout=WAIT)
    s = pause(qtbot, w, timeout=WAIT)
    # The speed limit lets at most 100 steps happen per second (plus one chunk of
    # 25), so the time these steps took is bounded below by the count, on any machine.
    assert s.elapsed * 100 + 25 >= s.step
    assert w.elapsed_label.text() == time.strftime("%H:%M:%S", time.gmtime(s.elapsed))


def test_train_after_the_maximum_epochs_says_what_to_do(qtbot, window):
    w = window
    w.training_panel.max_epochs.setValue(3)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).stop_reason == "max_epochs"
                    and not snap(w).running, timeout=WAIT)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    assert "raise Max epochs" in w.statusBar().currentMessage()


def test_a_single_step_shows_in_the_counters(qtbot, window):
    w = window
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, w, lambda s: s.step == 1, timeout=WAIT)
    assert w.epoch_label.text() == "Epoch 0 · step 1"


def test_new_starts_the_plots_from_their_first_range(qtbot, window):
    w = window
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 30, timeout=WAIT)
    pause(qtbot, w, timeout=WAIT)
    assert w.curves.loss.plotItem.vb.viewRange()[0][1] > 8
    w.act_new.trigger()
    for plot in (w.curves.loss, w.curves.metric_plot):
        (x0, x1), (y0, y1) = plot.plotItem.vb.viewRange()
        assert (x0, x1, y0, y1) == (0, 8, 0, 1)
        assert plot.train in plot.plotItem.items and plot.test in plot.plotItem.items  # still drawn into
    assert w.curves.confusion.class_names == []


def test_the_diagram_background_follows_the_theme(qtbot, window):
    w = window
    corner = w.view.mapFromScene(w.view.mapToScene(5, 5) + QPointF(0, 0))
    before = w.view.viewport().grab().toImage().pixelColor(corner).lightness()
    try:
        w.set_theme("dark")
        after = w.view.viewport().grab().toImage().pixelColor(corner).lightness()
    finally:
        w.set_theme("light")
    assert before > 180 and after < 90


def test_file_dialogs_never_start_in_the_apps_own_examples_folder(make_window, tmp_path):
    from nnbuilder.core.resources import resource

    w = make_window(str(resource("examples", "xor.json")))
    assert "examples" not in w._last_dir() and w._last_dir() != str(resource("examples"))
    mine = tmp_path / "mine.json"
    w.document.save(str(mine))
    assert w._last_dir() == str(tmp_path.resolve())  # a file of the user's own: its folder


def test_a_note_kept_from_the_last_run_goes_when_training_starts_again(qtbot, window):
    window.statusBar().showMessage("Stopped after 60 epochs, still making mistakes", 0)
    window.play_button.click()
    qtbot.waitUntil(lambda: window.run.running, timeout=15000)
    assert "still making mistakes" not in window.statusBar().currentMessage()
    window.play_button.click()
