"""Lessons in the window (issue 12, point 2): every shipped lesson is played
through as a student would (Help > Lessons, the Training panel, Train, Reset,
the Inspector, double-clicking a weight line, the Learn controller's sample
and weight choices, Step through), checking at each step that its setup was
done, that its check was not already true, and that the panel notices when it
is: "✓ Done" and Next. A lesson file that cannot be used is greyed out with
the reason and the window goes on."""
import json
import os
import re
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QMenu

from nnbuilder.core.teaching.lessons import lesson_entries
from nnbuilder.core.resources import resource

from guitools import view_point

WAIT = 30000
# Seeds for the sigmoid XOR network of lesson 02, step 3 (1000 epochs of sgd): from
# 11 it is stuck at an accuracy of 0.5, as from the lesson's seed 9; from 3 it reaches 1.
XOR_SEEDS = (11, 3)


def snap(w):
    return w.run.snapshot


def press(qtbot, button, modifier=Qt.KeyboardModifier.NoModifier):
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, modifier)


def noticed(w):
    return w.lessons.step_done()


def train_until_noticed(qtbot, w):
    """Train (max speed, as a student in a hurry) until the panel notices the step."""
    w.training_panel.speed.setCurrentIndex(0)
    if not w.run.running:
        press(qtbot, w.play_button)
    qtbot.waitUntil(lambda: noticed(w) or (snap(w) is not None and not snap(w).running
                                           and snap(w).stop_reason is not None), timeout=WAIT)
    qtbot.waitUntil(lambda: noticed(w), timeout=2000)
    if w.run.running:
        press(qtbot, w.play_button)
        qtbot.waitUntil(lambda: not w.run.running, timeout=WAIT)


def train_for(qtbot, w, epochs):
    w.training_panel.speed.setCurrentIndex(0)
    press(qtbot, w.play_button)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= epochs, timeout=WAIT)
    press(qtbot, w.play_button)
    qtbot.waitUntil(lambda: not w.run.running, timeout=WAIT)


def weight_line(qtbot, w, target, row, col):
    """A point of the line of W[row, col] into ``target`` on the view where a click
    reaches that line (the middles of crossing lines meet; the ends are under the nodes)."""
    w.view.fit()
    edge = next(e for (_, t), e in w.scene.edge_items.items() if t == target)
    qtbot.waitUntil(lambda: edge.weights is not None, timeout=WAIT)
    for p, q in edge.neuron_lines:
        for t in (0.5, 0.4, 0.6, 0.3, 0.7):
            at = p + (q - p) * t
            if edge.weight_at(at)[:2] == (row, col) and \
                    w.scene.itemAt(at, w.view.transform()) in (edge, *edge.childItems()):
                return view_point(w.view, at)
    raise AssertionError(f"no line for W[{row}, {col}] of {target}")


def inspector_edit(w, node_id, widget, value):
    w.select_node(node_id)
    assert w.inspector.node_id == node_id
    if isinstance(widget, str):
        widget = getattr(w.inspector, widget)
    if hasattr(widget, "setChecked"):
        widget.setChecked(value)
    else:
        widget.setValue(value)


# ------------------------------------------------------------- each lesson
def perceptron(qtbot, w, step):
    if step == 0:  # the Output's b = -1.5 in the inspector's table, then the point (1, 1): row 4
        assert w.document.weights["output"]["b"][0] == -1.5
        w.select_node("output")
        table = w.inspector.weights_table.table
        qtbot.waitUntil(lambda: table.isVisible() and table.rowCount() == 3, timeout=WAIT)
        assert [table.verticalHeaderItem(r).text() for r in range(3)] == ["W[1, ·]", "W[2, ·]", "b"]
        assert [table.item(r, 0).text() for r in range(3)] == ["1", "1", "-1.5"]
        w.learn.select_row(3)
        qtbot.waitUntil(lambda: w.learn.explanation is not None, timeout=WAIT)
        tip = w.scene.neuron_text("output", 0)
        assert "b[1] = <b>-1.5</b>" in tip and "a = W x + b = 0.5" in tip and "f(a) = 1" in tip
    elif step == 1:  # double-click both weight lines, type 2
        assert w.document.dataset["name"] == "or"
        w._ask_weight = lambda *a: 2.0  # the dialog, answered
        for row in (0, 1):
            qtbot.mouseDClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=weight_line(qtbot, w, "output", row, 0))
            qtbot.waitUntil(lambda: snap(w) is not None and snap(w).weights["output"][0][row, 0] == 2.0,
                            timeout=WAIT)
        qtbot.waitUntil(lambda: noticed(w), timeout=WAIT)
        W, b = snap(w).weights["output"]
        np.testing.assert_array_equal(W[:, 0], [2.0, 2.0])
    else:
        qtbot.waitUntil(lambda: snap(w) is not None, timeout=WAIT)
        assert w.document.training.optimizer == "perceptron" and snap(w).step == 0  # fresh weights
        train_until_noticed(qtbot, w)
        assert snap(w).stop_reason == "converged"
        assert w.document.dataset["name"] == ("and", "or")[step - 2]


def xor(qtbot, w, step):
    if step == 0:
        train_until_noticed(qtbot, w)
        assert snap(w).epoch == 100 and "cannot separate XOR" in w.statusBar().currentMessage()
    elif step == 1:
        assert len(w.document.graph.nodes) == 3
        train_until_noticed(qtbot, w)
        assert snap(w).last["train_metric"] == 1.0
    else:
        assert w.document.graph.nodes["dense1"].params["activation"] == "sigmoid" and w.document.seed == 9
        train_for(qtbot, w, 1000)  # this seed is stuck
        assert snap(w).last["train_metric"] == 0.5 and not noticed(w)
        # Another seed, and again, as the text says: Shift+Reset draws one from
        # os.urandom, fixed here to one that stalls too, then one that works.
        for seed in XOR_SEEDS:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(os, "urandom", lambda n, seed=seed: seed.to_bytes(n, "little"))
                press(qtbot, w.reset_button, Qt.KeyboardModifier.ShiftModifier)
            assert w.document.seed == seed
            qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step == 0, timeout=WAIT)
            press(qtbot, w.play_button)
            qtbot.waitUntil(lambda: noticed(w) or (snap(w).step > 0 and not snap(w).running), timeout=WAIT)
            w.lessons.poll()  # the panel's look at the run where it stopped
            if seed != XOR_SEEDS[-1]:
                assert snap(w).stop_reason == "max_epochs" and snap(w).last["train_metric"] == 0.5
                assert not noticed(w)
        assert noticed(w) and snap(w).last["train_metric"] == 1.0


def activations(qtbot, w, step):
    acts = {0: "step", 1: "sigmoid", 2: "relu", 3: "leaky_relu"}
    assert {w.document.graph.nodes[n].params["activation"] for n in ("dense1", "dense2")} == {acts[step]}
    if step == 3:
        train_for(qtbot, w, 40)
        assert not noticed(w)  # good enough accuracy, but the slope is not set yet
        inspector_edit(w, "dense2", "alpha", 0.1)
        assert w.document.graph.nodes["dense2"].params["alpha"] == 0.1
        press(qtbot, w.reset_button)  # the same starting weights, the new slope (as the task says)
        qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step == 0, timeout=WAIT)
    train_until_noticed(qtbot, w)
    if step == 0:
        # "stays near 0.69": with the step's seed the loss wanders 0.691-0.708 from epoch 10 on,
        # and where the run is paused (past epoch 30) depends on the machine's load
        assert abs(snap(w).last["train_loss"] - 0.69) < 0.025


def losses(qtbot, w, step):
    out = w.document.graph.nodes["output"].params
    if step == 3:  # zero-one: a sample picked, its margin marked on the Functions view's curves
        w.docks["functionsDock"].raise_()
        w.learn_panel.row.setValue(3)
        qtbot.waitUntil(lambda: len(w.functions_view.zero_one_points.getData()[0]) == 1, timeout=WAIT)
        return
    assert out["loss"] == ("l2", "l1", "hinge")[step]
    if step == 2:  # hinge on a raw score: nothing to warn about
        assert out["activation"] == "linear" and not w.document.graph.validate()
    train_until_noticed(qtbot, w)


def gradient_descent(qtbot, w, step):
    if step == 2:  # a learning rate that is too large, typed in
        spin = w.findChild(QDoubleSpinBox, "learningRateSpin")
        spin.setFocus()
        spin.selectAll()
        qtbot.keyClicks(spin, "0.1")
        qtbot.keyClick(spin, Qt.Key.Key_Return)
        assert w.document.training.lr == 0.1
    else:
        assert w.document.training.lr == (0.005, 0.05)[step]
    train_until_noticed(qtbot, w)
    if step < 2:
        assert abs(snap(w).weights["output"][0][0, 0] - 117.8 / 117.25) < 0.02
    else:
        assert "diverged" in w.statusBar().currentMessage()


def parameters(qtbot, w, step):
    if step == 0:
        assert w.document.graph.total_params() == 3 * 3 + 3 + 3 * 2 + 2
        inspector_edit(w, "dense1", "units", 4)
    elif step == 1:
        inspector_edit(w, "dense1", "bias", False)
    else:  # theta = {f, w, b}: prelu's slopes are parameters too
        assert w.document.graph.nodes["dense1"].params["bias"] is True  # the step gave the biases back
        w.select_node("dense1")
        w.inspector.activation.setCurrentText("prelu")
        assert w.params_label.text() == "30 parameters"
        train_until_noticed(qtbot, w)
        slopes = snap(w).slopes["dense1"]
        assert slopes.shape == (4,) and np.abs(slopes - 0.25).min() > 1e-4  # every slope moved
        return
    assert w.params_label.text() == f"{(26, 22)[step]} parameters"


def chain_rule(qtbot, w, step):
    if step == 0:
        qtbot.waitUntil(lambda: snap(w) is not None, timeout=WAIT)  # weights to follow the sample with
        w.learn.select_row(1)
        assert "Row 2" in w.learn_panel.text.toPlainText()
    elif step == 1:
        qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=weight_line(qtbot, w, "output", 0, 0))
        qtbot.waitUntil(lambda: w.learn.weight is not None, timeout=WAIT)
        assert "∂L/∂w" in w.learn_panel.text.toPlainText()
    elif step == 2:
        w.learn_panel.by_hand.setChecked(True)
        press(qtbot, w.learn_panel.step_button)
        while w.learn.stepping is not None and not w.learn.stepping.waiting:
            press(qtbot, w.learn_panel.next_button)
        qtbot.waitUntil(lambda: w.learn.stepping is None, timeout=WAIT)
    else:
        qtbot.waitUntil(lambda: snap(w) is not None, timeout=WAIT)
        assert w.learn.weight is None  # a new network: nothing chosen
        w.learn.select_row(0)
        qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=weight_line(qtbot, w, "output", 1, 0))
        qtbot.waitUntil(lambda: w.learn.weight is not None, timeout=WAIT)
        w.lessons.poll()  # what the panel's next look at the window finds
        assert not noticed(w)  # a weight into the Output is not the one asked for
        qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=weight_line(qtbot, w, "dense1", 1, 0))
        qtbot.waitUntil(lambda: w.learn.weight.node == "dense1", timeout=WAIT)


PLAYS = {"01-perceptron": perceptron, "02-xor": xor, "03-activations": activations, "04-losses": losses,
         "05-gradient-descent": gradient_descent, "06-parameters": parameters, "07-chain-rule": chain_rule}


def test_every_shipped_lesson_has_a_play():
    assert [e.id for e in lesson_entries()] == list(PLAYS)
    assert all(e.lesson is not None for e in lesson_entries())


@pytest.mark.parametrize("lesson_id", list(PLAYS))
def test_a_student_plays_the_lesson_through(qtbot, make_window, lesson_id):
    w = make_window()
    w.findChild(type(w.act_undo), "actionLessons").trigger()  # Help > Lessons
    dock = w.docks["lessonDock"]
    assert dock.isVisible()
    panel = w.lesson_panel
    items = {panel.list.item(i).data(Qt.ItemDataRole.UserRole): panel.list.item(i)
             for i in range(panel.list.count())}
    panel.list.setCurrentItem(items[lesson_id])
    press(qtbot, panel.start_button)
    lesson = w.lessons.lesson
    assert lesson.id == lesson_id
    for i, step in enumerate(lesson.steps):
        assert w.lessons.index == i and f"Step {i + 1} of {len(lesson.steps)}" in panel.heading.text()
        assert step.title in panel.heading.text() and not w.lessons.note, w.lessons.note
        if step.check:
            w.lessons.poll()  # the panel's look at the window: the step is not done before the student acts
            assert not noticed(w) and not panel.next_button.isEnabled() and panel.skip_button.isVisible()
            PLAYS[lesson_id](qtbot, w, i)
            qtbot.waitUntil(lambda: noticed(w), timeout=WAIT)
            qtbot.waitUntil(lambda: panel.done.isVisible(), timeout=2000)
            assert panel.waiting.text().startswith("Noticed:") and "○" not in panel.waiting.text()
        assert panel.next_button.isEnabled() and not panel.skip_button.isVisible()
        press(qtbot, panel.next_button)
    assert w.lessons.lesson is None and panel.stack.currentIndex() == 0  # Finish: back to the list
    finished = [panel.list.item(i).text() for i in range(panel.list.count())
                if panel.list.item(i).data(Qt.ItemDataRole.UserRole) == lesson_id]
    assert finished == [f"✓ {lesson.title}\n{lesson.summary}"]
    assert not w.errors


def test_the_window_sets_each_step_up_as_the_headless_play_does(qtbot, make_window):
    """The lesson tests play steps without a window (tests/test_lessons_truth.py) from the model
    file core/teaching/lesson_play.py makes; the window's setup of every step (Next after Next,
    nothing done in between) is that file: the same layers, training settings, data, seed and weights."""
    from nnbuilder.core.run.prepared import structure_key
    from nnbuilder.core.teaching.lesson_play import step_model

    w = make_window()
    w.show_lessons()
    panel = w.lesson_panel
    for entry in lesson_entries():
        assert w.lessons.start(entry.id)
        for i in range(len(entry.lesson.steps)):
            assert w.lessons.index == i and not w.lessons.note, w.lessons.note
            doc = step_model(entry.lesson, i)
            assert structure_key(w.document.graph) == structure_key(doc.graph), (entry.id, i)
            assert w.document.training == doc.training and w.document.dataset == doc.dataset
            assert w.document.seed == doc.seed
            if doc.weights is None:
                assert w.document.weights is None
            else:
                for nid, wb in doc.weights.items():
                    np.testing.assert_array_equal(w.document.weights[nid]["W"], wb["W"])
            press(qtbot, panel.skip_button if panel.skip_button.isVisible() else panel.next_button)
        assert w.lessons.lesson is None


def test_back_sets_the_step_up_again_and_skip_goes_on_without_it(qtbot, make_window):
    w = make_window()
    w.show_lessons()
    panel = w.lesson_panel
    w.lessons.start("06-parameters")
    inspector_edit(w, "dense1", "units", 4)
    qtbot.waitUntil(lambda: panel.next_button.isEnabled(), timeout=WAIT)
    press(qtbot, panel.next_button)
    assert w.lessons.index == 1 and not panel.next_button.isEnabled()
    press(qtbot, panel.skip_button)  # not done: Skip goes on
    assert w.lessons.index == 2
    press(qtbot, panel.skip_button)
    assert w.lessons.lesson is None
    w.lessons.start("06-parameters")
    assert w.document.graph.nodes["dense1"].params["units"] == 3  # the lesson's network again
    press(qtbot, panel.skip_button)
    press(qtbot, panel.back_button)
    assert w.lessons.index == 0 and w.lessons.step_done() is False


def test_the_users_own_unsaved_network_is_offered_for_saving_first(qtbot, make_window, monkeypatch):
    from nnbuilder.gui.window.mainwindow import MainWindow

    w = make_window()
    w.document.set_params("dense1", units=7)  # unsaved work
    asked = []
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: asked.append(1) or "cancel")
    w.show_lessons()
    w.lessons.start("06-parameters")
    assert asked and w.document.graph.nodes["dense1"].params["units"] == 7  # kept
    assert "save or discard your changes" in w.lesson_panel.waiting.text()
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: "discard")
    press(qtbot, w.lesson_panel.skip_button)  # the next step loads none: the user's network stays
    assert w.document.graph.nodes["dense1"].params["units"] == 7


def test_a_broken_lesson_file_is_listed_greyed_out_with_the_reason(qtbot, make_window, tmp_path, monkeypatch):
    folder = tmp_path / "lessons"
    shutil.copytree(resource("lessons"), folder)
    bad = json.loads((folder / "02-xor.json").read_text())
    bad["steps"][1]["check"] = {"train_accuracy_at_least": 1.5}
    (folder / "02-xor.json").write_text(json.dumps(bad))
    (folder / "99-broken.json").write_text("{ not json")
    import nnbuilder.gui.learn.lesson_controller as lc

    monkeypatch.setattr(lc, "lesson_entries", lambda: lesson_entries(folder))
    w = make_window()
    w.show_lessons()
    panel = w.lesson_panel
    texts = {panel.list.item(i).data(Qt.ItemDataRole.UserRole): panel.list.item(i)
             for i in range(panel.list.count())}
    assert len(texts) == 8
    for lesson_id, why in (("02-xor", '02-xor.json: step 2 ("Two hidden units"), check.train_accuracy_at_least: '
                                      "must be at most 1 (got 1.5)"),
                           ("99-broken", "99-broken.json: not valid JSON")):
        item = texts[lesson_id]
        assert not item.flags() & Qt.ItemFlag.ItemIsEnabled and why in item.text() and why in item.toolTip()
        panel.list.setCurrentItem(item)
        assert not panel.start_button.isEnabled()
        panel._chosen(item)  # a double-click on it starts nothing
        assert w.lessons.lesson is None
    panel.list.setCurrentItem(texts["06-parameters"])
    press(qtbot, panel.start_button)  # the others still work
    assert w.lessons.lesson.id == "06-parameters"


def test_new_or_open_ends_the_lesson_and_a_lesson_network_shows_activations(qtbot, make_window):
    w = make_window()
    w.learn.set_kind("delta")  # left so by an earlier look at the backward pass
    w.show_lessons()
    w.lessons.load_list()
    assert w.lessons.start("01-perceptron")
    assert w.learn.kind == "a" and w.learn_panel.activations.isChecked()  # "read the Output's a"
    lesson_doc = w.document
    w.act_new.trigger()  # the student opens something else
    assert w.document is not lesson_doc
    assert w.lessons.lesson is None  # no "Step 2 ✓ Done" over an unrelated network


# ------------------------------------------------------------ quiz mode
def shown_texts(w) -> list[str]:
    """Every text a person can read in the window now: the visible widgets' texts and tool
    tips, the visible plots' text items and axis labels, the diagram's nodes (as painted) and
    their tool tips."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QWidget

    from nnbuilder.gui.diagram.items import node_texts

    texts = []
    for widget in [w, *w.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        texts.append(widget.toolTip())
        for getter in ("text", "toPlainText", "title", "windowTitle", "currentText"):
            value = getattr(widget, getter, None)
            if callable(value):
                try:
                    v = value()
                except TypeError:
                    continue
                if isinstance(v, str):
                    texts.append(v)
        if isinstance(widget, pg.PlotWidget):
            for item in widget.plotItem.items + widget.plotItem.vb.addedItems:
                if isinstance(item, pg.TextItem) and item.isVisible():
                    texts.append(item.toPlainText())
            texts += [widget.plotItem.titleLabel.text or ""] + [
                widget.plotItem.getAxis(a).labelText or "" for a in ("left", "bottom")]
    for nid, item in w.scene.node_items.items():
        texts += [*node_texts(w.document.graph, nid, w.scene.column_names, not w.scene.counts_hidden),
                  item.toolTip()]
    return texts


def test_quiz_mode_hides_the_counts_and_the_accuracy_until_revealed(qtbot, make_window, tmp_path):
    w = make_window()
    w.document.set_params("dense1", units=60)  # a count no counter shows by chance
    g = w.document.graph
    count = g.total_params()
    assert count > 300
    layers = [g.param_count(n)[1] for n in g.nodes if g.param_count(n)[0]]
    train_for(qtbot, w, 30)
    accuracy = snap(w).last["train_metric"]
    test_accuracy = snap(w).last["test_metric"]
    w.select_node("dense1")
    w.curves.metric_plot.show_readout(len(w.curves.metric_plot._x) - 1)  # a hover on the accuracy curve
    qtbot.waitUntil(lambda: w.curves.confusion.isVisible(), timeout=WAIT)

    def shows_count(texts):
        number = re.compile(rf"(?<![\d.,]){count:,}(?![\d,])|(?<![\d.,]){count}(?![\d,])")
        return any(number.search(t) or any(a in t for a in layers) or "parameters:" in t for t in texts)

    def shows_accuracy(texts):
        # the figures, where they are not short enough to be anything ("1")
        figures = "|".join(re.escape(f"{v:.6g}") for v in (accuracy, test_accuracy) if len(f"{v:.6g}") >= 4) \
            or "(?!)"  # none long enough: a pattern that matches nothing ("$^" matched every empty text)
        number = re.compile(rf"(?<![\d.])({figures})(?![\d])")
        return any(re.search(r"accuracy\W*\d", t) or number.search(t) for t in texts) or \
            w.curves.metric_plot.isVisible() or w.curves.confusion.isVisible()

    texts = shown_texts(w)
    assert shows_count(texts) and shows_accuracy(texts)  # what quiz mode must hide is on screen now
    undo = w.document.undo_stack.count()
    action = w.findChild(type(w.act_undo), "actionQuiz")
    view_menu = w.findChild(QMenu, "viewMenu")
    assert w.menuBar().actions()[2] == view_menu.menuAction()
    assert action.isCheckable() and action in view_menu.actions()  # View > Quiz mode
    action.trigger()
    assert w.quiz and w.lesson_panel.quiz_button.isChecked()
    texts = shown_texts(w)
    assert not shows_count(texts), [t for t in texts if shows_count([t])]
    assert not shows_accuracy(texts), [t for t in texts if shows_accuracy([t])]
    assert w.inspector.params.text() == w.network_panel.total.text() == "hidden (quiz mode)"
    train_for(qtbot, w, snap(w).epoch + 5)  # a run goes on: its confusion counts stay hidden
    assert not w.curves.confusion.isVisible() and not w.curves.metric_plot.isVisible()
    # A view setting: no undo step, the file unchanged, remembered for the next window.
    assert w.document.undo_stack.count() == undo
    path = tmp_path / "net.json"
    assert w.files.save_to(str(path)) and "quiz" not in path.read_text()
    w2 = make_window()
    assert w2.quiz and w2.act_quiz.isChecked() and not w2.params_label.isVisible()
    w2.lesson_panel.quiz_button.click()  # the lesson panel's button reveals, as the menu does
    assert not w2.quiz and not w2.act_quiz.isChecked()
    action.trigger()  # Reveal in the first window
    qtbot.waitUntil(lambda: w.curves.confusion.isVisible(), timeout=WAIT)
    assert shows_count(shown_texts(w)) and w.curves.metric_plot.isVisible()
    assert w.params_label.text() == f"{count:,} parameters" and w.inspector.params.text() == g.param_count("dense1")[1]
    assert "parameters:" in w.scene.node_items["dense1"].toolTip()


def test_a_step_with_a_network_of_its_own_starts_at_the_default_speed(qtbot, make_window):
    """The teacher's trial: lesson 1's 10 steps/s carried into lesson 6, whose
    20 epochs then took a minute; a step that loads its network starts at the
    window's default speed unless it sets one."""
    from nnbuilder.gui.data.training_panel import DEFAULT_SPEED

    w = make_window()
    w.show_lessons()
    assert w.lessons.start("01-perceptron")
    w.training_panel.speed.setCurrentIndex(3)  # 10 steps/s, as a perceptron step sets it
    assert w.lessons.start("06-parameters")
    assert w.training_panel.speed.currentIndex() == DEFAULT_SPEED


def start_from_list(qtbot, w, lesson_id):
    """Help > Lessons, the lesson picked in the list and Start pressed."""
    w.findChild(type(w.act_undo), "actionLessons").trigger()
    panel = w.lesson_panel
    item = next(panel.list.item(i) for i in range(panel.list.count())
                if panel.list.item(i).data(Qt.ItemDataRole.UserRole) == lesson_id)
    panel.list.setCurrentItem(item)
    press(qtbot, panel.start_button)
    assert w.lessons.lesson.id == lesson_id


def click_anchor(qtbot, browser, href):
    """A real click on the link ``href`` of a QTextBrowser's text."""
    from PySide6.QtCore import QPoint

    browser.ensureCursorVisible()
    doc = browser.document()
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.charFormat().anchorHref() == href:
                cursor = browser.textCursor()
                cursor.setPosition(frag.position())
                rect = browser.cursorRect(cursor)
                pos = QPoint(rect.x() + 3, rect.center().y())  # on the link's first character
                qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=pos)
                return
            it += 1
        block = block.next()
    raise AssertionError(f"no link {href!r} in {browser.toHtml()[:400]}")


def test_quiz_mode_hides_the_answers_a_lesson_text_gives(qtbot, make_window):
    """The teacher's trial: quiz mode hid the counts on screen, but lesson 6
    said "3-4-2 has 26" and "20 ... 26 parameters". In quiz mode each answer
    of the text is a "?" that a click reveals, and the step's check does not
    say the count either; leaving quiz mode shows them all."""
    w = make_window()
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.act_quiz.trigger()
    assert w.quiz
    start_from_list(qtbot, w, "06-parameters")
    panel = w.lesson_panel
    qtbot.waitUntil(lambda: panel.waiting.text() != "", timeout=WAIT)

    def on_screen():
        return " ".join([panel.heading.text(), panel.text.toPlainText(), panel.waiting.text(),
                         *(panel.list.item(i).text() for i in range(panel.list.count()))])

    answers = re.compile(r"(?<![\d.])(26|20|6)(?![\d.])")
    assert not answers.search(on_screen()), on_screen()
    assert panel.text.toPlainText().count("?") >= 4
    assert "asked for" in panel.waiting.text()
    # The teacher reveals the total: that one only.
    dock = w.docks["lessonDock"]
    dock.raise_()
    click_anchor(qtbot, panel.text, "answer:3")
    qtbot.waitUntil(lambda: "26 parameters" in panel.text.toPlainText(), timeout=WAIT)
    assert "= 20" not in panel.text.toPlainText()
    # Quiz mode off: every answer, and the check says the count.
    w.act_quiz.trigger()
    text = panel.text.toPlainText()
    assert "4 + 2 = 6" in text and "3×4 + 4×2 = 20" in text and "26 parameters" in text and "?" not in text
    qtbot.waitUntil(lambda: "the network has 26 parameters" in panel.waiting.text(), timeout=WAIT)
    # Back in quiz mode, the next step hides its own answers again.
    w.act_quiz.trigger()
    w.lessons.go(2)
    assert "30" not in panel.text.toPlainText() and "= 20" not in panel.text.toPlainText()


def test_the_lesson_markup_keeps_old_files_and_prints_answers_on_the_terminal(tmp_path):
    """Backward compatible: a file without answers reads and renders as before;
    `nnbuilder lessons` prints an answer without its brackets."""
    import contextlib
    import io

    from nnbuilder.cli import main
    from nnbuilder.core.teaching.lessons import Answers, load_lesson, text_html, text_plain

    old = "**Bold** and *italic*, `code`.\n\n- one\n- two"
    assert text_html(old) == text_html(old, Answers(hidden=True)) == \
        "<p><b>Bold</b> and <i>italic</i>, <code>code</code>.</p><ul><li>one</li><li>two</li></ul>"
    assert text_plain("weights [[3×4 = **12**]]") == "weights 3×4 = 12"
    lesson = {"format": "nnbuilder-lesson", "version": 1, "title": "T", "summary": "S",
              "steps": [{"title": "Count", "text": "It has [[26]] parameters.", "network": "xor"}]}
    (tmp_path / "a.json").write_text(json.dumps(lesson))
    assert load_lesson(tmp_path / "a.json").steps[0].text == "It has [[26]] parameters."
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["lessons", "--folder", str(tmp_path), "--json"]) == 0
    assert json.loads(out.getvalue())[0]["steps"][0]["text"] == "It has 26 parameters."


def test_a_step_starts_from_the_lessons_own_settings(qtbot, make_window):
    """The teacher's trial: a step that did not set the batch size kept the one
    the student (or an earlier lesson) typed. Each step starts from its
    network's own settings (the example file's, read here from its JSON) and
    what the lesson's steps set up to it: what the truth tests play."""
    from nnbuilder.core.engine.config import TrainConfig
    from nnbuilder.core.teaching.lesson_play import step_model

    w = make_window()
    start_from_list(qtbot, w, "04-losses")
    example = json.loads(open(resource("examples", "circle.json")).read())
    file_batch = (example.get("training") or {}).get("batch_size", TrainConfig().batch_size)
    assert w.document.training.batch_size == file_batch
    panel = w.training_panel
    panel.batch.setValue(1)  # the student's own settings, as typed in the Training panel
    panel.momentum.setValue(0.5)
    panel.lr.setValue(0.01)
    assert w.document.training.batch_size == 1 and w.document.training.momentum == 0.5
    w.lessons.poll()
    press(qtbot, w.lesson_panel.skip_button)  # step 2 sets the loss and resets, nothing else
    assert w.lessons.index == 1
    cfg = w.document.training
    assert (cfg.batch_size, cfg.momentum, cfg.lr) == (file_batch, example.get("training", {}).get("momentum", 0.0), 0.3)
    assert cfg == step_model(w.lessons.lesson, 1).training
    assert panel.batch.value() == file_batch and panel.momentum.value() == cfg.momentum
    # Another lesson, started after the student's batch size: its own again.
    w.lessons.stop()
    panel.batch.setValue(2)
    start_from_list(qtbot, w, "05-gradient-descent")
    lr_file = json.loads(open(resource("examples", "linear_regression.json")).read())
    want = (lr_file.get("training") or {}).get("batch_size", TrainConfig().batch_size)
    assert w.document.training.batch_size == want != 2


def test_the_zero_one_step_points_to_what_the_functions_view_draws(qtbot, make_window):
    """The teacher's trial: the zero-one step pointed to the accuracy plot.
    It now points to the Functions tab, and what its text says is on screen
    there: the Output's loss against the margin, hinge beside the zero-one
    step (1 at a margin of 0 or below, else 0), the picked sample marked on
    both at its margin t·ŷ (worked out here in NumPy from the run's weights)."""
    w = make_window()
    start_from_list(qtbot, w, "04-losses")
    w.lessons.go(2)  # hinge, linear output, fresh weights
    w.lessons.go(3)
    step = w.lessons.lesson.steps[3]
    assert "Functions" in step.task and "accuracy plot" in step.task
    qtbot.waitUntil(lambda: snap(w) is not None, timeout=WAIT)
    w.docks["functionsDock"].raise_()
    fv = w.functions_view
    qtbot.waitUntil(lambda: "zero_one" in fv.loss_curves, timeout=WAIT)
    assert list(fv.loss_curves)[0] == "hinge" and "margin" in fv.loss_plot.plotItem.getAxis("bottom").labelText
    m, zero_one = (np.asarray(v) for v in fv.loss_curves["zero_one"].getData())
    np.testing.assert_array_equal(zero_one, (m <= 0).astype(float))
    assert not noticed(w)
    w.learn_panel.row.setValue(5)  # a sample row chosen in the Learn tab
    qtbot.waitUntil(lambda: noticed(w), timeout=WAIT)
    qtbot.waitUntil(lambda: len(fv.zero_one_points.getData()[0]) == 1, timeout=WAIT)
    weights = w.run.current_weights()
    x = w.data.dataset.X[4]
    h = x
    for nid in ("dense1", "dense2"):
        h = np.tanh(h @ np.asarray(weights[nid]["W"]) + np.asarray(weights[nid]["b"]))
    y_hat = float(h @ np.asarray(weights["output"]["W"])[:, 0] + weights["output"]["b"][0])
    t = 2 * int(w.data.dataset.y[4]) - 1
    zx, zy = fv.zero_one_points.getData()
    assert zx[0] == pytest.approx(t * y_hat, rel=1e-9) and zy[0] == float(t * y_hat <= 0)
    hx, hy = fv.loss_points.getData()  # and on hinge: max(0, 1 - margin)
    assert hx[0] == pytest.approx(t * y_hat, rel=1e-9) and hy[0] == pytest.approx(max(0.0, 1 - t * y_hat))


def test_space_after_clicking_next_trains_and_the_lesson_stays(qtbot, make_window):
    """The teacher's trial: Next clicked, then Space to train: the keyboard had
    passed to "◂ Lessons" (Next disabled itself) and Space left the lesson.
    A click leaves the keyboard where it was; Space trains."""
    from PySide6.QtWidgets import QApplication

    w = make_window()
    w.show()
    w.activateWindow()
    w.show_lessons()
    panel = w.lesson_panel
    w.lessons.start("06-parameters")
    w.view.setFocus()
    qtbot.waitUntil(lambda: w.view.hasFocus(), timeout=WAIT)
    inspector_edit(w, "dense1", "units", 4)
    qtbot.waitUntil(lambda: panel.next_button.isEnabled(), timeout=WAIT)
    press(qtbot, panel.next_button)
    assert w.lessons.index == 1 and not panel.next_button.isEnabled()
    focus = QApplication.focusWidget()
    assert focus not in (panel.lessons_button, panel.back_button, panel.skip_button, panel.next_button)
    w.space.activated.emit()  # what the window's Space shortcut does
    qtbot.waitUntil(lambda: w.run.running, timeout=WAIT)
    assert w.lessons.lesson is not None and w.lessons.index == 1


def test_a_pick_from_an_earlier_step_does_not_do_the_next_one(qtbot, make_window):
    """The teacher's trial: the zero-one step (and the chain rule's "One weight")
    showed ✓ at once, the sample (the weight) still picked from the step before.
    A step is done by what the student does during it."""
    w = make_window()
    start_from_list(qtbot, w, "04-losses")
    panel = w.lesson_panel
    w.lessons.go(2)
    qtbot.waitUntil(lambda: snap(w) is not None, timeout=WAIT)
    w.learn_panel.row.setValue(3)  # a sample picked during the hinge step
    assert w.learn.row == 2
    press(qtbot, panel.skip_button)
    assert w.lessons.index == 3 and w.lessons.lesson.steps[3].check == {"sample_selected": True}
    assert w.learn.row == 2  # still picked, as the student left it
    w.lessons.poll()
    assert not noticed(w) and not panel.next_button.isEnabled()
    w.learn_panel.row.setValue(5)
    qtbot.waitUntil(lambda: noticed(w), timeout=WAIT)
    # The chain rule: a weight clicked while the sample step waits is no pick of the weight step.
    start_from_list(qtbot, w, "07-chain-rule")
    qtbot.waitUntil(lambda: snap(w) is not None, timeout=WAIT)
    w.learn.select_row(1)
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=weight_line(qtbot, w, "output", 0, 0))
    qtbot.waitUntil(lambda: w.learn.weight is not None and noticed(w), timeout=WAIT)
    press(qtbot, panel.next_button)
    assert w.lessons.index == 1 and w.lessons.lesson.steps[1].check == {"weight_selected": True}
    w.lessons.poll()
    assert w.learn.weight is not None and not noticed(w) and not panel.next_button.isEnabled()
    # the same line clicked again, now: a pick of this step
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=weight_line(qtbot, w, "output", 0, 0))
    qtbot.waitUntil(lambda: noticed(w) and panel.next_button.isEnabled(), timeout=WAIT)
