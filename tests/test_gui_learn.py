"""See how it learns, in the window: a clicked data point is followed through
the network (each neuron's a, or its delta), a clicked weight line gets its
chain rule with the numbers `nnbuilder explain` prints, and Step through
takes one real training step apart."""
import contextlib
import io
import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from guitools import view_point, wait_drawn
from nnbuilder.cli import main as cli
from nnbuilder.gui.diagram.sample_values import value_text

WAIT = 15000
EXAMPLES = "resources/examples"


def paused_after_steps(qtbot, w, steps):
    for _ in range(steps):
        before = -1 if w.run.snapshot is None else w.run.snapshot.step
        w.step_button.click()
        wait_drawn(qtbot, w, lambda s: s.step > before, timeout=WAIT)


def weights_of(w):
    return {nid: {k: np.array(v) for k, v in wb.items() if v is not None}
            for nid, wb in w.run.current_weights().items() if "W" in wb}


def click_plot_point(qtbot, plot, x, y):
    """A real mouse click on the output view at data coordinates (x, y)."""
    vb = plot.plotItem.vb
    scene_pos = vb.mapViewToScene(QPointF(x, y))
    pos = plot.mapFromScene(scene_pos)
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def explain_cli(path, row, weight=None):
    args = ["explain", str(path), "--row", str(row), "--json"]
    doc = json.load(open(path))
    ds = doc["dataset"]
    args += ["--dataset", ds["name"]]
    if weight:
        args += ["--weight", weight]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli(args) == 0
    return json.loads(out.getvalue())


def test_a_clicked_data_point_shows_its_activations_then_its_deltas(qtbot, make_window):
    w = make_window(f"{EXAMPLES}/xor.json")
    paused_after_steps(qtbot, w, 3)
    ds = w.data.dataset
    row = 2  # (1, 0) in the lecture's XOR table
    w.boundary.resize(400, 400)
    QApplication.processEvents()  # the plot's posted layout request: its axes take the new size
    click_plot_point(qtbot, w.boundary, *ds.X[row])
    qtbot.waitUntil(lambda: w.learn.row == row, timeout=WAIT)
    assert w.learn_panel.row.value() == row + 1
    ex = w.learn.explanation
    assert ex is not None and ex["row"] == row + 1 and ex["x"] == ds.X[row].tolist()
    # Every node with neuron circles shows its activations, exactly the numbers computed.
    assert set(ex["nodes"]) == set(w.document.graph.nodes)  # each one checked below
    for nid, node in ex["nodes"].items():
        item = w.scene.sample_items[nid]
        assert item.isVisible() and item.kind == "a"
        np.testing.assert_array_equal(item.values, node["a"])
    marked = w.boundary.sample_mark.getData()
    assert (marked[0][0], marked[1][0]) == tuple(ds.X[row])
    w.learn_panel.deltas.click()
    for nid, node in ex["nodes"].items():
        np.testing.assert_array_equal(w.scene.sample_items[nid].values, node["delta"])
        assert w.scene.sample_items[nid].kind == "delta"
    # Training hides the numbers of one moment; pausing brings them back.
    w.play_button.click()
    qtbot.waitUntil(lambda: w.run.running, timeout=WAIT)
    qtbot.waitUntil(lambda: not any(i.isVisible() for i in w.scene.sample_items.values()), timeout=WAIT)
    w.play_button.click()
    qtbot.waitUntil(lambda: w.run.snapshot is not None and not w.run.snapshot.running, timeout=WAIT)
    qtbot.waitUntil(lambda: all(i.isVisible() for i in w.scene.sample_items.values()), timeout=WAIT)


def test_a_clicked_weight_line_shows_the_chain_rule_the_cli_prints(qtbot, make_window, tmp_path):
    w = make_window(f"{EXAMPLES}/xor.json")
    paused_after_steps(qtbot, w, 5)
    w.learn.select_row(1)
    graph = w.document.graph
    out_id = graph.nodes_of_type("output")[0].id
    (src, dst), edge = next(((k, e) for k, e in w.scene.edge_items.items() if k[1] == out_id))
    qtbot.waitUntil(lambda: edge.weights is not None, timeout=WAIT)
    p, q = edge.neuron_lines[1]  # the second hidden unit -> the output unit
    hit = edge.weight_at((p + q) / 2)
    assert hit[:2] == (1, 0)
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(w.view, (p + q) / 2))
    qtbot.waitUntil(lambda: w.learn.weight is not None, timeout=WAIT)
    assert (w.learn.weight.node, w.learn.weight.row, w.learn.weight.col) == (out_id, 1, 0)
    assert w.docks["learnDock"].isVisible()
    # The same sample and weight through the CLI, from the saved model.
    path = tmp_path / "xor-trained.json"
    w.document.weights = w.run.current_weights()
    w.document.save(str(path))
    ref = explain_cli(path, 2, f"{graph.label(out_id)}:2:1")
    ex = w.learn.explanation
    assert ex["loss"] == pytest.approx(ref["loss"], rel=1e-12)
    assert ex["weight"]["gradient"] == pytest.approx(ref["weight"]["gradient"], rel=1e-12)
    assert [f["name"] for f in ex["weight"]["factors"]] == [f["name"] for f in ref["weight"]["factors"]]
    assert ex["weight"]["text"] == ref["weight"]["text"]
    for nid in ref["nodes"]:
        np.testing.assert_allclose(ex["nodes"][nid]["a"], ref["nodes"][nid]["a"], rtol=1e-12)
        np.testing.assert_allclose(ex["nodes"][nid]["delta"], ref["nodes"][nid]["delta"], rtol=1e-12)
    text = w.learn_panel.text.toPlainText()
    assert ref["weight"]["text"] in text
    # sigmoid + bce: the lecture's three factors, and what the first two combine to
    assert [f["name"] for f in ex["weight"]["factors"]] == ["dL/df", "df/da", "da/dw = f_i"]
    assert ref["weight"]["note"].startswith("dL/df · df/da = (y_hat - y) = ") and ref["weight"]["note"] in text
    # What the next step makes of it: w - lr x the sample's gradient, written out.
    lr = w.document.training.lr
    after = value_text(ref["weight"]["value"] - lr * ref["weight"]["gradient"])
    assert f"= {after} for this sample alone" in text


def test_step_through_leaves_the_weights_where_one_training_step_does(qtbot, make_window):
    w = make_window(f"{EXAMPLES}/xor.json")
    w.reset_button.click()  # fresh weights from the file's seed
    paused_after_steps(qtbot, w, 2)
    start = weights_of(w)
    w.learn.select_row(0)
    w.learn_panel.by_hand.setChecked(True)
    w.learn_panel.step_button.click()
    phases = [w.learn_panel.phase.text()]
    n_nodes = len(w.document.graph.nodes)
    for _ in range(2 * n_nodes):  # forward node by node, then backward
        assert w.learn.stepping is not None
        assert weights_of(w).keys() == start.keys()  # nothing moved before the update
        w.learn_panel.next_button.click()
        phases.append(w.learn_panel.phase.text())
    assert phases[0].startswith("Forward") and phases[n_nodes].startswith("Backward")
    qtbot.waitUntil(lambda: w.learn.stepping is None, timeout=WAIT)
    stepped = weights_of(w)
    assert w.learn_panel.phase.text().startswith("Update done")
    assert "old" in w.learn_panel.text.toPlainText()
    frames = w.live.frames_drawn
    w.training_panel.speed.setCurrentIndex(1)  # a command: the paused run is drawn again
    qtbot.waitUntil(lambda: w.live.frames_drawn > frames and w.run.settled, timeout=WAIT)
    w.training_panel.speed.setCurrentIndex(0)
    qtbot.waitUntil(lambda: w.live.frames_drawn > frames + 1 and w.run.settled, timeout=WAIT)
    assert "old" in w.learn_panel.text.toPlainText()  # the paused run's next frames keep the list
    w.learn.select_row(1)  # the student moves on
    assert "old" not in w.learn_panel.text.toPlainText() and w.learn_panel.phase.text() == ""
    # The same moment again, and one plain Step.
    w.reset_button.click()
    paused_after_steps(qtbot, w, 2)
    for nid in start:
        np.testing.assert_array_equal(weights_of(w)[nid]["W"], start[nid]["W"])
    paused_after_steps(qtbot, w, 1)
    plain = weights_of(w)
    for nid in plain:
        for k in plain[nid]:
            np.testing.assert_array_equal(stepped[nid][k], plain[nid][k])
    assert any(not np.array_equal(stepped[nid]["W"], start[nid]["W"]) for nid in start)


def test_without_weights_it_says_so_and_new_forgets_the_sample(qtbot, make_window):
    w = make_window(f"{EXAMPLES}/xor.json")
    assert w.document.weights is None  # an untrained network: nothing to follow yet
    w.learn.select_row(0)
    assert w.learn.explanation is None
    assert "Train or Step once" in w.learn_panel.text.toPlainText()
    assert not any(i.isVisible() for i in w.scene.sample_items.values())
    paused_after_steps(qtbot, w, 1)
    assert w.learn.explanation is not None and w.learn.row == 0
    assert any(i.isVisible() for i in w.scene.sample_items.values())
    w.learn.select_row(10_000)  # past the end: no sample, no numbers
    assert w.learn.row is None and w.learn_panel.row.value() == 0
    assert not any(i.isVisible() for i in w.scene.sample_items.values())
    w.learn.select_row(1)
    w.act_new.trigger()
    assert w.learn.row is None and w.learn.weight is None and w.learn_panel.row.value() == 0
    assert w.boundary.sample_mark.getData()[0].size == 0
    w.learn.select_row(0)  # an empty network
    assert "cannot run yet" in w.learn_panel.text.toPlainText()


def test_a_clicked_weight_shows_on_the_loss_surface_with_the_steps_taken(qtbot, make_window):
    from nnbuilder.core.teaching.surface import WeightRef

    w = make_window(f"{EXAMPLES}/linear_regression.json")  # y = w x on the lecture's table
    w.docks["surfaceDock"].raise_()
    paused_after_steps(qtbot, w, 6)
    out_id = w.document.graph.nodes_of_type("output")[0].id
    w.learn.select_weight(out_id, 0, 0)  # what a click on the weight line does
    view = w.surface_view
    assert view.chosen() == [WeightRef(out_id, 0, 0)]
    snap = w.run.snapshot
    qtbot.waitUntil(lambda: view.result is not None and view.result.current ==
                    snap.weights[out_id][0][0, 0], timeout=WAIT)
    # The curve passes through the run's own loss at the current weight, and
    # the steps the window drew are the path.
    assert view.result.current_loss == pytest.approx(snap.last["train_loss"], rel=1e-12)
    steps = [s for s, _ in view.path]
    assert steps == sorted(steps) and steps[-1] == snap.step and len(steps) >= 2
    # Reset starts another run: no old steps on the curve.
    w.reset_button.click()
    qtbot.waitUntil(lambda: w.run.snapshot is None or w.run.snapshot.step == 0, timeout=WAIT)
    assert all(s <= 0 for s, _ in view.path)


def test_with_the_perceptron_rule_the_panel_shows_the_rule_not_the_gradient(qtbot, make_window):
    w = make_window(f"{EXAMPLES}/perceptron_and.json")
    assert w.document.training.optimizer == "perceptron"
    w.reset_button.click()  # random weights: some samples are wrong
    paused_after_steps(qtbot, w, 1)
    out_id = w.document.graph.nodes_of_type("output")[0].id
    lr = w.document.training.lr
    for row in range(len(w.data.dataset)):
        w.learn.select_row(row)
        w.learn.select_weight(out_id, 1, 0)  # x2's weight
        ex = w.learn.explanation
        y, y_hat = ex["target"][0], ex["nodes"][out_id]["a"][0]
        x2 = ex["x"][1]
        text = w.learn_panel.text.toPlainText()
        assert "perceptron rule does not follow this gradient" in text
        assert f"so w becomes {value_text(ex['weight']['value'] + lr * (y - y_hat) * x2)} " in text
        assert "for this sample alone" not in text  # no gradient step is offered


def test_looking_back_on_the_timeline_sets_the_samples_numbers_aside(qtbot, make_window):
    w = make_window(f"{EXAMPLES}/xor.json")
    paused_after_steps(qtbot, w, 4)
    w.learn.select_row(1)
    assert any(i.isVisible() for i in w.scene.sample_items.values())
    slider = w.curves.timeline.slider
    qtbot.waitUntil(lambda: slider.isEnabled() and slider.maximum() >= 2, timeout=WAIT)
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)  # the first moment: the diagram shows its weights
    assert w.learn.looking_back == 0
    assert not any(i.isVisible() for i in w.scene.sample_items.values())  # not the run's now
    assert "timeline shows step 0" in w.learn_panel.text.toPlainText()
    qtbot.keyClick(slider, Qt.Key.Key_End)  # back to now: the numbers again
    assert w.learn.looking_back is None
    assert any(i.isVisible() for i in w.scene.sample_items.values())


def _tooltip_at(qtbot, view, pos):
    """What Qt shows for a tool tip at ``pos`` of the view's viewport: the
    pointer moved there (hover events), then the help event a resting pointer sends."""
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    QToolTip.hideText()
    vp = view.viewport()
    qtbot.mouseMove(vp, pos + QPoint(0, 1))
    qtbot.mouseMove(vp, pos)
    QApplication.sendEvent(vp, QHelpEvent(QEvent.Type.ToolTip, pos, vp.mapToGlobal(pos)))
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_a_sample_value_label_tells_what_its_neuron_tells(qtbot, make_window):
    """The teacher's trial: hovering the number beside a neuron showed only f(a);
    the neuron itself shows its bias, a and f(a). Both now say the same, and the
    numbers are those of the sample (a = W x + b written out in NumPy here)."""
    w = make_window(f"{EXAMPLES}/xor.json")
    paused_after_steps(qtbot, w, 2)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    w.learn.select_row(1)
    qtbot.waitUntil(lambda: w.learn.explanation is not None, timeout=WAIT)
    nid = "dense1"
    node, label = w.scene.node_items[nid], w.scene.sample_items[nid]
    qtbot.waitUntil(label.isVisible, timeout=WAIT)
    w.view.fit()
    QApplication.processEvents()
    weights = w.run.current_weights()
    x = np.asarray(w.learn.explanation["x"])
    W1, b1 = np.asarray(weights[nid]["W"]), np.asarray(weights[nid]["b"])
    for unit in range(len(label.values)):
        rect = label._label_rects()[unit]
        at = view_point(w.view, label.mapToScene(rect.center()))
        tip = _tooltip_at(qtbot, w.view, at)
        neuron = node.neuron_centers()[unit]
        assert tip == _tooltip_at(qtbot, w.view, view_point(w.view, neuron)), unit
        a = float(x @ W1[:, unit] + b1[unit])  # the xor example's inputs are x1, x2 as they are
        assert f"b[{unit + 1}] = <b>{b1[unit]:.5g}</b>" in tip
        assert f"a = W x + b = {a:.5g}" in tip and f"f(a) = {np.tanh(a):.5g}" in tip, tip


def _xor_numpy_gradient(weights, X, y, node_in, node_out, row, col):
    """dL/dW[row, col] of ``node_out`` for mean BCE over rows ``X``, ``y`` of the
    lecture's XOR net (tanh hidden, sigmoid output), in plain NumPy."""
    W1, b1 = np.asarray(weights[node_in]["W"]), np.asarray(weights[node_in]["b"])
    W2, b2 = np.asarray(weights[node_out]["W"]), np.asarray(weights[node_out]["b"])
    h = np.tanh(X @ W1 + b1)
    p = 1 / (1 + np.exp(-(h @ W2 + b2)))
    d = (p - y.reshape(p.shape)) / len(X)  # sigmoid + bce: dL/da of the mean loss
    return float((h.T @ d)[row, col])


def test_the_next_step_sentence_is_the_step_a_smaller_batch_really_takes(qtbot, make_window):
    """The teacher's trial: batch 2 of XOR's 4 rows, the sentence said the whole
    batch's w while the step drew rows 1 and 3 (and said which at the very bottom)."""
    import re

    from nnbuilder.gui.learn.learn_panel import rows_text

    w = make_window(f"{EXAMPLES}/xor.json")
    assert w.document.set_training({"batch_size": 2, "momentum": 0.0, "lr": 0.5}) is None
    paused_after_steps(qtbot, w, 1)
    qtbot.waitUntil(lambda: w.run.snapshot.next_rows is not None and not w.run.snapshot.running, timeout=WAIT)
    graph = w.document.graph
    hidden = graph.nodes_of_type("dense")[0].id
    out_id = graph.nodes_of_type("output")[0].id
    w.learn.select_row(0)
    w.learn.select_weight(out_id, 1, 0)
    rows = np.asarray(w.run.snapshot.next_rows)
    assert len(rows) == 2
    text = w.learn_panel.text.toPlainText()
    m = re.search(r"over (rows [\d, ]+) \(the next batch of 2\) ∂L/∂w = (\S+), so w becomes (\S+)\.", text)
    assert m, text
    assert m.group(1) == rows_text(rows)  # the rows named in the same sentence
    # The rows the next step draws are said first, not under the table.
    assert text.index(f"the next step draws {rows_text(rows)}") < text.index("∂L/∂w by the chain rule")
    before = w.run.current_weights()
    ds = w.data.dataset
    grad = _xor_numpy_gradient(before, ds.X[rows].astype(float), ds.y[rows].astype(float), hidden, out_id, 1, 0)
    value = float(np.asarray(before[out_id]["W"])[1, 0])
    assert m.group(2) == value_text(grad)
    assert m.group(3) == value_text(value - 0.5 * grad)
    full = _xor_numpy_gradient(before, ds.X.astype(float), ds.y.astype(float), hidden, out_id, 1, 0)
    assert value_text(value - 0.5 * full) != m.group(3)  # the whole batch's would be another w
    paused_after_steps(qtbot, w, 1)
    after = float(np.asarray(w.run.current_weights()[out_id]["W"])[1, 0])
    assert after == pytest.approx(value - 0.5 * grad, rel=1e-9)
    assert value_text(after) == m.group(3)


def test_with_momentum_the_next_step_sentence_says_it_shows_plain_sgd(qtbot, make_window):
    w = make_window(f"{EXAMPLES}/xor.json")
    assert w.document.set_training({"batch_size": 2, "momentum": 0.9, "lr": 0.5}) is None
    paused_after_steps(qtbot, w, 2)
    qtbot.waitUntil(lambda: w.run.snapshot.next_rows is not None and not w.run.snapshot.running, timeout=WAIT)
    out_id = w.document.graph.nodes_of_type("output")[0].id
    w.learn.select_weight(out_id, 1, 0)
    text = w.learn_panel.text.toPlainText()
    assert "so plain SGD (w − lr·∂L/∂w) would make w" in text and "its real step differs" in text
    assert "so w becomes" not in text


def test_the_loss_surface_caption_says_when_it_is_drawn_at_an_earlier_step_and_reads_in_both_themes(
        qtbot, make_window):
    """The teacher's trial: while training the toolbar read "step 27" and the
    caption "Step 19 …" (its curve takes time to compute), in grey text of 3.9:1."""
    import re

    from screencheck import MIN_CONTRAST, text_contrast

    w = make_window(f"{EXAMPLES}/xor.json")
    w.docks["surfaceDock"].raise_()
    assert w.document.set_training({"max_epochs": 100000}) is None
    paused_after_steps(qtbot, w, 1)
    out_id = w.document.graph.nodes_of_type("output")[0].id
    w.learn.select_weight(out_id, 1, 0)
    view = w.surface_view
    qtbot.waitUntil(lambda: view.caption.text().startswith(f"Step {w.run.snapshot.step} · w = "), timeout=WAIT)
    w.training_panel.speed.setCurrentIndex(3)  # 10 steps/s: the curve is redrawn while the steps go on
    w.play_button.click()
    qtbot.waitUntil(lambda: w.run.running and view.caption.text().startswith("Drawn at step "), timeout=WAIT)
    drawn = int(re.match(r"Drawn at step (\d+) · ", view.caption.text()).group(1))
    assert drawn <= w.run.snapshot.step and "toolbar's step is newer" in view.caption.toolTip()
    w.play_button.click()
    qtbot.waitUntil(lambda: not w.run.running and w.run.snapshot is not None and not w.run.snapshot.running,
                    timeout=WAIT)
    step = w.run.snapshot.step
    W = float(w.run.snapshot.weights[out_id][0][1, 0])
    qtbot.waitUntil(lambda: view.caption.text().startswith(f"Step {step} · w = {W:.5g} · "), timeout=WAIT)
    # Its numbers in a colour of at least 4.5:1 on the window, light and dark
    # (the colour as drawn: a translucent one blended with the ground).
    try:
        for theme in ("light", "dark"):
            w.set_theme(theme)
            QApplication.processEvents()
            ink = view.caption.palette().color(view.caption.foregroundRole())
            ground = view.palette().color(view.backgroundRole())
            a = ink.alphaF()
            ink.setRgbF(*(a * c + (1 - a) * g for c, g in zip(ink.getRgbF()[:3], ground.getRgbF()[:3])), 1.0)
            image = w.grab().toImage()
            from PySide6.QtCore import QPoint, QRect
            rect = QRect(view.caption.mapTo(w, QPoint(0, 0)), view.caption.size())
            ratio = text_contrast(image, rect, ink)
            assert ratio is not None and ratio >= MIN_CONTRAST, (theme, ink.name(), ratio)
    finally:
        w.set_theme("light")
