"""Every settings edit is a document command (issue 17, point 4): typed into
the real widgets, it marks the window modified, Ctrl+Z and Ctrl+Shift+Z take
it back and forth (the widgets follow), closing or opening another file asks
to save it, and a saved file keeps it."""
import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from guitools import click_node, type_into
from nnbuilder.gui import MainWindow

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
WAIT = 15000
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def press(qtbot, w, modifiers):
    """Ctrl+Z (or with Shift) as a person presses it: to the widget with the
    focus (the field just typed into), so a text box's own undo would take it."""
    target = QApplication.focusWidget() or w
    qtbot.keyClick(target, Qt.Key.Key_Z, modifiers)


def undo_key(qtbot, w):
    press(qtbot, w, CTRL)


def redo_key(qtbot, w):
    press(qtbot, w, CTRL | SHIFT)


def lr_field(w):
    return w.findChild(QDoubleSpinBox, "learningRateSpin")


def count_asks(monkeypatch, answer="cancel"):
    asked = []
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: asked.append(1) or answer)
    return asked


def snap(w):
    return w.run.snapshot


def test_a_typed_learning_rate_marks_the_window_and_undo_and_redo_take_it_back_and_forth(qtbot, window):
    w, field = window, lr_field(window)
    assert not w.isWindowModified() and not w.document.modified
    before = w.document.training.lr
    assert field.value() == before == 0.03
    type_into(qtbot, field, "0.25")
    assert w.document.training.lr == 0.25
    assert w.isWindowModified() and w.windowTitle().endswith("[*] — nnbuilder")
    assert QApplication.focusWidget() is field or field.isAncestorOf(QApplication.focusWidget())
    undo_key(qtbot, w)
    assert field.value() == 0.03 and w.document.training.lr == 0.03
    assert not w.isWindowModified()  # back where the file was
    redo_key(qtbot, w)
    assert field.value() == 0.25 and w.document.training.lr == 0.25 and w.isWindowModified()


def test_edits_of_one_field_in_a_row_are_one_undo_step_and_others_their_own(qtbot, window):
    w, field = window, lr_field(window)
    batch = w.findChild(QSpinBox, "batchSizeSpin")
    type_into(qtbot, field, "0.25")
    type_into(qtbot, field, "0.5")
    type_into(qtbot, batch, "25")
    stack = w.document.undo_stack
    assert stack.count() == 2 and stack.undoText() == "Set batch_size to 25"
    undo_key(qtbot, w)
    assert batch.value() == 10 and w.document.training.batch_size == 10 and field.value() == 0.5
    undo_key(qtbot, w)
    assert field.value() == 0.03 and w.document.training.lr == 0.03 and not stack.canUndo()


def test_a_refused_value_is_no_edit(qtbot, window):
    w, field = window, lr_field(window)
    type_into(qtbot, field, "5000")  # over TrainConfig's limit of 1000
    assert field.value() == 0.03 and w.document.training.lr == 0.03
    assert "refused" in w.statusBar().currentMessage()
    assert w.document.undo_stack.count() == 0 and not w.isWindowModified()
    # A refusal by the settings' own check, whoever sends the value (a lesson file, say).
    w.run.config_changed({"lr": -1.0})
    assert w.document.training.lr == 0.03 and field.value() == 0.03
    assert "'lr'" in w.statusBar().currentMessage() and w.document.undo_stack.count() == 0


def test_the_optimizer_and_the_penalty_follow_undo_with_their_widgets(qtbot, window):
    w, panel = window, window.training_panel
    panel.optimizer.setCurrentText("adam")
    panel.reg.setCurrentText("L2")
    type_into(qtbot, panel.reg_rate, "0.01")
    cfg = w.document.training
    assert (cfg.optimizer, cfg.l2) == ("adam", 0.01)
    w.act_undo.trigger()
    w.act_undo.trigger()
    assert w.document.training.l2 == 0.0 and panel.reg.currentText() == "none"
    w.act_undo.trigger()
    assert w.document.training.optimizer == "sgd" and panel.optimizer.currentText() == "sgd"
    assert panel.momentum.isEnabled()  # the panel's sgd-only field follows the undone choice
    for _ in range(3):
        w.act_redo.trigger()
    assert (panel.optimizer.currentText(), panel.reg.currentText(), panel.reg_rate.value()) == ("adam", "L2", 0.01)


def test_undo_reaches_a_running_worker(qtbot, window):
    w, field = window, lr_field(window)
    type_into(qtbot, field, "0.25")
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).config.lr == 0.25 and snap(w).epoch >= 1,
                    timeout=WAIT)
    w.act_undo.trigger()
    qtbot.waitUntil(lambda: snap(w).config.lr == 0.03, timeout=WAIT)  # the worker's own setting
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not snap(w).running, timeout=WAIT)


def test_closing_with_a_changed_learning_rate_asks_to_save(qtbot, window, monkeypatch):
    w = window
    asked = count_asks(monkeypatch)
    type_into(qtbot, lr_field(w), "0.25")
    assert not w.close()  # "cancel": the window stays, with the change
    assert asked == [1] and w.isVisible() and w.document.training.lr == 0.25
    w.act_quit.trigger()  # File > Quit asks the same
    assert asked == [1, 1] and w.isVisible()
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: "discard")


def test_a_changed_batch_size_then_open_asks_to_save(qtbot, window, monkeypatch):
    w = window
    opened = []
    monkeypatch.setattr(MainWindow, "_ask_open_path",
                        lambda self: opened.append(1) or str(EXAMPLES / "xor.json"))
    asked = count_asks(monkeypatch)
    w.act_open.trigger()  # nothing changed yet: no question
    assert asked == [] and opened == [1]
    type_into(qtbot, w.findChild(QSpinBox, "batchSizeSpin"), "25")
    doc = w.document
    w.act_open.trigger()
    assert asked == [1] and w.document is doc and doc.training.batch_size == 25 and opened == [1]
    w.act_new.trigger()  # File > New asks too
    assert asked == [1, 1] and w.document is doc


def test_dataset_settings_are_undoable_and_asked_about(qtbot, window, monkeypatch):
    w, panel = window, window.training_panel
    noise = w.findChild(QDoubleSpinBox, "noiseSpin")
    type_into(qtbot, noise, "0.1")
    type_into(qtbot, noise, "0.2")
    assert w.document.dataset["noise"] == 0.2 and w.isWindowModified()
    w.findChild(QComboBox, "datasetCombo").setCurrentText("xor")
    assert w.document.dataset["name"] == "xor"
    undo_key(qtbot, w)
    assert w.document.dataset["name"] == "circle" and panel.dataset.currentText() == "circle"
    undo_key(qtbot, w)  # both noise edits: one step
    assert w.document.dataset["noise"] == 0.0 and noise.value() == 0.0 and not w.isWindowModified()
    redo_key(qtbot, w)
    asked = count_asks(monkeypatch)
    assert not w.close() and asked == [1]
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: "discard")


def test_a_new_seed_by_reset_is_undoable_and_reset_then_starts_from_the_old_one(qtbot, window):
    w = window
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step == 1, timeout=WAIT)
    seed = w.document.seed
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)  # the same seed: no edit
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step == 0, timeout=WAIT)
    first = snap(w).weights["dense1"][0].copy()
    assert w.document.undo_stack.count() == 0
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton, SHIFT)  # a new seed
    qtbot.waitUntil(lambda: w.document.seed != seed and snap(w) is not None and snap(w).step == 0
                    and not np.array_equal(snap(w).weights["dense1"][0], first), timeout=WAIT)
    assert w.isWindowModified() and w.document.undo_stack.undoText().startswith("New seed")
    w.view.setFocus()
    undo_key(qtbot, w)
    assert w.document.seed == seed
    gen = w.run.state.generation
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.state.generation > gen and snap(w) is not None
                    and snap(w).generation == w.run.state.generation, timeout=WAIT)
    np.testing.assert_array_equal(snap(w).weights["dense1"][0], first)  # the old seed's weights


def test_a_rename_is_undoable_by_key_and_marks_the_window(qtbot, window):
    w = window
    click_node(qtbot, w, "dense1")
    name = w.inspector.findChild(QLineEdit, "nameEdit")
    type_into(qtbot, name, "Hidden")
    assert w.document.graph.nodes["dense1"].name == "Hidden" and w.isWindowModified()
    assert w.document.rename("dense1", "Dense 2") == "another node is called 'Dense 2'"
    undo_key(qtbot, w)
    assert w.document.graph.nodes["dense1"].name == "Dense 1" and name.text() == "Dense 1"
    assert not w.isWindowModified()
    redo_key(qtbot, w)
    assert w.document.graph.nodes["dense1"].name == "Hidden"


def test_a_typed_weight_is_undoable_and_the_paused_run_shows_the_old_value(qtbot, window, monkeypatch):
    w = window
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step == 1, timeout=WAIT)
    old = float(snap(w).weights["dense2"][0][0, 1])
    monkeypatch.setattr(MainWindow, "_ask_weight", lambda self, n, i, j, cur: 2.5)
    edge = w.scene.edge_items[("dense1", "dense2")]
    qtbot.waitUntil(lambda: edge.weights is not None, timeout=WAIT)
    p, q = edge.neuron_lines[1]  # W[0, 1]
    pos = w.view.mapFromScene((p + q) / 2)
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: snap(w).weights["dense2"][0][0, 1] == 2.5, timeout=WAIT)
    assert w.isWindowModified() and w.document.weights["dense2"]["W"][0, 1] == 2.5
    w.view.setFocus()
    undo_key(qtbot, w)
    assert w.document.weights["dense2"]["W"][0, 1] == old
    qtbot.waitUntil(lambda: snap(w).weights["dense2"][0][0, 1] == old, timeout=WAIT)  # the worker's
    assert not snap(w).running and snap(w).step == 1
    redo_key(qtbot, w)
    qtbot.waitUntil(lambda: snap(w).weights["dense2"][0][0, 1] == 2.5, timeout=WAIT)
    # The next step trains from the typed value: the worker really holds it.
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w).step == 2, timeout=WAIT)
    assert abs(snap(w).weights["dense2"][0][0, 1] - 2.5) < 0.5


def test_saved_settings_come_back_from_the_file(qtbot, make_window, gui_env, monkeypatch):
    w = make_window()
    panel = w.training_panel
    type_into(qtbot, lr_field(w), "0.25")
    type_into(qtbot, w.findChild(QSpinBox, "batchSizeSpin"), "25")
    panel.optimizer.setCurrentText("adam")
    type_into(qtbot, w.findChild(QSpinBox, "maxEpochsSpin"), "40")
    type_into(qtbot, w.findChild(QDoubleSpinBox, "noiseSpin"), "0.2")
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton, SHIFT)
    seed = w.document.seed
    path = gui_env / "settings.json"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    assert w.files.save_as() and not w.isWindowModified()
    raw = json.loads(path.read_text())  # the file itself, read as JSON
    assert raw["training"]["lr"] == 0.25 and raw["training"]["batch_size"] == 25
    assert raw["training"]["optimizer"] == "adam" and raw["training"]["max_epochs"] == 40
    assert raw["dataset"]["noise"] == 0.2 and raw["seed"] == seed
    again = make_window(str(path))
    p = again.training_panel
    assert (p.lr.value(), p.batch.value(), p.optimizer.currentText(), p.max_epochs.value(), p.noise.value()) \
        == (0.25, 25, "adam", 40, 0.2)
    assert again.document.seed == seed and not again.isWindowModified()
    assert again.document.undo_stack.count() == 0


def test_a_lesson_steps_settings_are_one_undo_step(qtbot, make_window):
    w = make_window()
    w.show_lessons()
    lesson = next(e for e in w.lessons.entries if e.lesson is not None and any(
        "learning_rate" in s.set and s.model() is None for s in e.lesson.steps[1:]))
    w.lessons.start(lesson.id)
    assert lesson.lesson.steps[0].model() is not None
    assert not w.isWindowModified()  # the lesson's own network, set up: nothing of the user's to save
    index = next(i for i, s in enumerate(lesson.lesson.steps) if i and "learning_rate" in s.set
                 and s.model() is None)
    w.lessons.go(index - 1)
    before = (w.document.training, w.document.dataset, w.document.seed)
    count = w.document.undo_stack.count()
    w.lessons.go(index)
    assert w.document.training.lr == lesson.lesson.steps[index].set["learning_rate"]
    assert w.document.undo_stack.count() == count + 1
    w.act_undo.trigger()
    assert (w.document.training, w.document.dataset, w.document.seed) == before
    assert w.training_panel.lr.value() == before[0].lr
