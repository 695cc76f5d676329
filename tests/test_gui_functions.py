"""Functions drawn (issue 18, point 3), in the window: the Functions view
plots the selected layer's f and f' with the picked sample's a marked, the
Output's loss against the error or the margin (hinge beside zero-one) with
the sample's point, and a slider for the leaky-ReLU slope / ELU scale that
edits the layer (undoable) and redraws the curve.

The curves are checked against PyTorch (f' by autograd), the marked points
against tests/forward.py, a NumPy forward pass of the saved model file."""
import json

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QMenu, QStyle, QStyleOptionSlider, QToolTip

from forward import forward
from guitools import click_node, wait_drawn
from nnbuilder.gui.diagram.sample_values import value_text

WAIT = 15000
EXAMPLES = "resources/examples"
F = torch.nn.functional


def torch_f_and_slope(fn, x):
    t = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = fn(t)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


def stepped_with_row(qtbot, w, row):
    """One Step, then sample ``row`` (1-based) picked in the Learn panel, as a person does."""
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, w, until=lambda s: s.step >= 1, running=False)
    w.learn_panel.row.setValue(row)
    qtbot.waitUntil(lambda: w.learn.explanation is not None and w.learn.explanation["row"] == row,
                    timeout=WAIT)
    w.docks["functionsDock"].raise_()


def saved_model(w, tmp_path):
    path = tmp_path / "m.json"
    w.files.save_to(str(path))
    return json.loads(path.read_text())


def curve(item):
    x, y = item.getData()
    return np.asarray(x), np.asarray(y)


def test_the_clicked_layers_f_and_f_prime_with_the_samples_a_marked(qtbot, window, tmp_path):
    w = window
    fv = w.functions_view
    stepped_with_row(qtbot, w, 3)
    model = saved_model(w, tmp_path)
    pre = {}
    forward(model, w.data.dataset.X[2][None, :], pre)  # independent: the saved file in NumPy
    for node_id, fn in (("dense2", torch.tanh), ("dense1", torch.tanh), ("output", torch.sigmoid)):
        click_node(qtbot, w, node_id)
        qtbot.waitUntil(lambda: w.functions.layer() == node_id, timeout=WAIT)
        assert w.document.graph.label(node_id) in fv.activation_caption.text()
        x, f = curve(fv.f_curve)
        _, df = curve(fv.df_curve)
        assert x[0] <= -5 and x[-1] >= 5 and len(x) == 401
        ref_f, ref_df = torch_f_and_slope(fn, x)
        np.testing.assert_allclose(f, ref_f, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(df, ref_df, rtol=1e-12, atol=1e-15)
        a = pre[node_id][0]
        px, pf = curve(fv.f_points)
        _, pdf = curve(fv.df_points)
        np.testing.assert_allclose(px, a, rtol=1e-9, atol=1e-12)  # at the sample's a
        ref_f, ref_df = torch_f_and_slope(fn, a)
        np.testing.assert_allclose(pf, ref_f, rtol=1e-9)
        np.testing.assert_allclose(pdf, ref_df, rtol=1e-9)
        assert x[0] <= a.min() and a.max() <= x[-1]  # every point on the plot
    # Another sample: the points move to its a.
    w.learn_panel.row.setValue(10)
    qtbot.waitUntil(lambda: w.learn.explanation["row"] == 10, timeout=WAIT)
    pre = {}
    forward(model, w.data.dataset.X[9][None, :], pre)
    np.testing.assert_allclose(curve(fv.f_points)[0], pre["output"][0], rtol=1e-9)
    # Training: the numbers of one moment step aside, the curve stays.
    w.play_button.click()
    qtbot.waitUntil(lambda: len(curve(fv.f_points)[0]) == 0, timeout=WAIT)
    assert len(curve(fv.f_curve)[0]) == 401 and "Pick a sample" in fv.note.text()
    w.play_button.click()
    qtbot.waitUntil(lambda: len(curve(fv.f_points)[0]) == 1, timeout=WAIT)


def test_hinge_beside_zero_one_with_the_samples_margin(qtbot, window, tmp_path):
    w = window
    fv = w.functions_view
    w.select_node("output")
    w.inspector.activation.setCurrentText("linear")
    w.inspector.loss.setCurrentText("hinge")
    assert w.document.graph.nodes["output"].params["loss"] == "hinge"
    stepped_with_row(qtbot, w, 7)
    qtbot.waitUntil(lambda: "hinge" in fv.loss_curves, timeout=WAIT)
    assert list(fv.loss_curves) == ["hinge", "bce", "zero_one"]
    m, hinge = curve(fv.loss_curves["hinge"])
    np.testing.assert_allclose(hinge, np.maximum(0.0, 1.0 - m), atol=1e-15)
    np.testing.assert_array_equal(curve(fv.loss_curves["zero_one"])[1], (m <= 0).astype(float))
    # The sample's margin t * y_hat from an independent forward pass, t = 2y - 1.
    model = saved_model(w, tmp_path)
    ds = w.data.dataset
    y_hat, _ = forward(model, ds.X[6][None, :])
    label = int(ds.y[6])
    margin = (2 * label - 1) * y_hat[0, 0]
    px, py = curve(fv.loss_points)
    assert px.tolist() == pytest.approx([margin], rel=1e-9)
    assert py.tolist() == pytest.approx([max(0.0, 1.0 - margin)], rel=1e-9)
    zx, zy = curve(fv.zero_one_points)
    assert zx.tolist() == pytest.approx([margin]) and zy.tolist() == [float((y_hat[0, 0] > 0) != label)]
    assert "margin" in fv.loss_caption.text() and "zero-one" in fv.loss_caption.text()
    # Another loss: the plot follows the document (and Ctrl+Z brings hinge back).
    w.inspector.loss.setCurrentText("l2")
    qtbot.waitUntil(lambda: list(fv.loss_curves) == ["l2", "l1", "huber"], timeout=WAIT)
    w.document.undo_stack.undo()
    qtbot.waitUntil(lambda: list(fv.loss_curves) == ["hinge", "bce", "zero_one"], timeout=WAIT)


def test_the_l2_loss_against_the_error_of_the_lectures_sample(qtbot, make_window, tmp_path):
    w = make_window(f"{EXAMPLES}/linear_regression.json")
    fv = w.functions_view
    stepped_with_row(qtbot, w, 1)  # x = 10, y = 10.1 in the lecture's table
    qtbot.waitUntil(lambda: len(curve(fv.loss_points)[0]) == 1, timeout=WAIT)
    r, l2 = curve(fv.loss_curves["l2"])
    np.testing.assert_allclose(l2, 0.5 * r ** 2, atol=1e-15)
    np.testing.assert_allclose(curve(fv.loss_curves["l1"])[1], np.abs(r), atol=1e-15)
    model = saved_model(w, tmp_path)
    y_hat, _ = forward(model, w.data.dataset.X[0][None, :])
    error = y_hat[0, 0] - np.ravel(w.data.dataset.y[0])[0]
    px, py = curve(fv.loss_points)
    assert px.tolist() == pytest.approx([error], rel=1e-9)
    assert py.tolist() == pytest.approx([0.5 * error ** 2], rel=1e-9)
    assert r[0] <= error <= r[-1]
    assert len(curve(fv.zero_one_points)[0]) == 0


def test_a_softmax_output_and_cross_entropy_against_the_true_class_probability(qtbot, make_window, tmp_path):
    w = make_window(f"{EXAMPLES}/iris.json")
    fv = w.functions_view
    stepped_with_row(qtbot, w, 60)
    click_node(qtbot, w, "output")
    qtbot.waitUntil(lambda: w.functions.layer() == "output", timeout=WAIT)
    model = saved_model(w, tmp_path)
    pre = {}
    probs, _ = forward(model, w.data.dataset.X[59][None, :], pre)
    a = pre["output"][0]
    # unit 1's curve, the other units held at the sample's a
    x, f = curve(fv.f_curve)
    Z = torch.tensor(np.tile(a, (len(x), 1)))
    Z[:, 0] = torch.tensor(x)
    np.testing.assert_allclose(f, torch.softmax(Z, dim=1)[:, 0].numpy(), rtol=1e-12)
    assert curve(fv.f_points)[0].tolist() == pytest.approx([a[0]], rel=1e-9)
    p_true = probs[0, int(w.data.dataset.y[59])]
    px, py = curve(fv.loss_points)
    assert px.tolist() == pytest.approx([p_true], rel=1e-9) and py.tolist() == pytest.approx([-np.log(p_true)])


def pg_point(x, y):
    return QPointF(float(x), float(y))


def slider_point(slider, value):
    """Where the slider's handle is drawn at ``value`` (widget coordinates)."""
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    opt.sliderPosition = opt.sliderValue = value
    rect = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                         QStyle.SubControl.SC_SliderHandle, slider)
    return rect.center()


def test_the_slider_sets_the_leaky_slope_undoably_and_the_curve_follows(qtbot, window):
    w = window
    fv = w.functions_view
    slider = fv.slider
    click_node(qtbot, w, "dense1")
    w.inspector.activation.setCurrentText("leaky_relu")
    qtbot.waitUntil(lambda: fv.slider_row.isVisible(), timeout=WAIT)
    assert fv.alpha_label.text() == "Slope α" and slider.value() == 1  # the default 0.01
    steps = w.document.undo_stack.index()

    def leaky_curve_is(alpha):
        x, f = curve(fv.f_curve)
        ref_f, ref_df = torch_f_and_slope(lambda t: F.leaky_relu(t, alpha), x)
        _, df = curve(fv.df_curve)
        smooth = x != 0
        return np.allclose(f, ref_f, rtol=1e-12, atol=1e-15) and np.allclose(df[smooth], ref_df[smooth])

    assert leaky_curve_is(0.01)
    # A drag with the mouse: the curve follows on the way, the layer takes the value let go at.
    start, end = slider_point(slider, 1), slider_point(slider, 40)
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 7):
        qtbot.mouseMove(slider, QPoint(start.x() + (end.x() - start.x()) * i // 6, start.y()))
    moved = slider.sliderPosition() / 100
    assert moved > 0.2 and leaky_curve_is(moved)
    assert w.document.graph.nodes["dense1"].params["alpha"] is None  # not yet: the button is down
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=end)
    alpha = slider.value() / 100
    assert alpha == pytest.approx(moved)
    assert w.document.graph.nodes["dense1"].params["alpha"] == pytest.approx(alpha)
    assert w.document.undo_stack.index() == steps + 1 and w.document.undo_stack.undoText() == "Change alpha of Dense 1"
    assert w.isWindowModified()
    assert w.inspector.alpha.value() == pytest.approx(alpha)  # the inspector's field says the same
    assert leaky_curve_is(alpha)
    # The keyboard on the slider: one step more, merged into the same undo step.
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert w.document.graph.nodes["dense1"].params["alpha"] == pytest.approx(alpha + 0.01)
    assert leaky_curve_is(alpha + 0.01)
    # Ctrl+Z: the default slope again, on the slider, in the inspector and on the curve.
    w.document.undo_stack.undo()
    assert w.document.graph.nodes["dense1"].params["alpha"] is None
    assert slider.value() == 1 and w.inspector.alpha.value() == pytest.approx(0.01) and leaky_curve_is(0.01)
    # The inspector's field moves the slider.
    w.inspector.alpha.setValue(0.5)
    assert slider.value() == 50 and leaky_curve_is(0.5)


def test_the_elu_scale_has_the_slider_and_tanh_has_none(qtbot, window):
    w = window
    fv = w.functions_view
    click_node(qtbot, w, "dense1")
    assert not fv.slider_row.isVisibleTo(fv)  # tanh has no parameter
    w.inspector.activation.setCurrentText("elu")
    assert fv.slider_row.isVisibleTo(fv) and fv.alpha_label.text() == "Scale α" and fv.slider.value() == 100
    fv.slider.setValue(250)  # as a key press or a release does
    assert w.document.graph.nodes["dense1"].params["alpha"] == pytest.approx(2.5)
    x, f = curve(fv.f_curve)
    np.testing.assert_allclose(f, F.elu(torch.tensor(x), 2.5).numpy(), rtol=1e-12, atol=1e-15)


def test_view_panels_lists_functions_beside_the_loss_curves(qtbot, window):
    w = window
    view_menu, panels = w.findChild(QMenu, "viewMenu"), w.findChild(QMenu, "panelsMenu")
    assert view_menu.menuAction() in w.menuBar().actions() and view_menu.title() == "&View"
    assert panels.menuAction() in view_menu.actions() and panels.title() == "&Panels"
    action = next(a for a in panels.actions() if a.text() == "Functions")
    dock = w.docks["functionsDock"]
    assert w.tabifiedDockWidgets(dock) == [w.docks["curvesDock"]]  # a tab beside Loss and accuracy
    action.trigger()
    assert not dock.isVisible()
    action.trigger()
    assert dock.isVisible()


def test_a_softmax_layers_unit_is_chosen_and_its_curve_drawn(qtbot, make_window, tmp_path):
    w = make_window(f"{EXAMPLES}/iris.json")
    fv = w.functions_view
    stepped_with_row(qtbot, w, 120)
    click_node(qtbot, w, "output")
    qtbot.waitUntil(lambda: w.functions.layer() == "output", timeout=WAIT)
    assert fv.unit.isVisibleTo(fv) and fv.unit.value() == 1 and fv.unit.maximum() == 3
    fv.unit.setValue(3)
    pre = {}
    forward(saved_model(w, tmp_path), w.data.dataset.X[119][None, :], pre)
    a = pre["output"][0]
    x, f = curve(fv.f_curve)
    Z = torch.tensor(np.tile(a, (len(x), 1)), requires_grad=False)
    Z[:, 2] = torch.tensor(x)
    Z.requires_grad_(True)
    p = torch.softmax(Z, dim=1)[:, 2]
    p.sum().backward()
    np.testing.assert_allclose(f, p.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(curve(fv.df_curve)[1], Z.grad[:, 2].numpy(), rtol=1e-12, atol=1e-15)
    assert curve(fv.f_points)[0].tolist() == pytest.approx([a[2]], rel=1e-9)
    assert "unit 3" in fv.activation_caption.text()
    click_node(qtbot, w, "dense1")  # relu: one curve for every unit, no picker
    qtbot.waitUntil(lambda: w.functions.layer() == "dense1", timeout=WAIT)
    assert not fv.unit.isVisibleTo(fv) and len(curve(fv.f_points)[0]) == 8


def test_an_activation_nodes_a_is_what_its_input_gave(qtbot, make_window, tmp_path):
    model = json.loads(open(f"{EXAMPLES}/circle.json").read())
    nodes = {n["id"]: n for n in model["graph"]["nodes"]}
    nodes["dense1"]["params"].update(activation="linear", units=3)
    act = {"id": "act", "type": "activation", "params": {"activation": "relu"}, "position": [400, 120]}
    model["graph"]["nodes"] = [nodes["input"], nodes["dense1"], act, nodes["output"]]
    model["graph"]["edges"] = [{"source": "input", "target": "dense1"}, {"source": "dense1", "target": "act"},
                               {"source": "act", "target": "output"}]
    path = tmp_path / "act.json"
    path.write_text(json.dumps(model))
    w = make_window(str(path))
    fv = w.functions_view
    stepped_with_row(qtbot, w, 5)
    click_node(qtbot, w, "act")
    qtbot.waitUntil(lambda: w.functions.layer() == "act", timeout=WAIT)
    weights = saved_model(w, tmp_path)["weights"]["dense1"]
    a = w.data.dataset.X[4] @ np.array(weights["W"]) + np.array(weights["b"])  # the Dense layer's output
    px, pf = curve(fv.f_points)
    np.testing.assert_allclose(px, a, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(pf, np.maximum(a, 0.0), rtol=1e-9, atol=1e-12)
    x, f = curve(fv.f_curve)
    np.testing.assert_allclose(f, np.maximum(x, 0.0))


def test_the_pointer_over_a_curve_reads_its_values_there(qtbot, window):
    w = window
    fv = w.functions_view
    w.docks["functionsDock"].raise_()
    plot = fv.activation_plot
    qtbot.waitUntil(lambda: plot.isVisible() and plot.width() > 50, timeout=WAIT)
    vb = plot.plotItem.vb
    x = curve(fv.f_curve)[0]
    target = x[300]  # a drawn point: a = 2.5
    pos = plot.mapFromScene(vb.mapViewToScene(pg_point(target, 0.0)))
    qtbot.mouseMove(plot.viewport(), pos)
    qtbot.waitUntil(lambda: plot.readout != "", timeout=WAIT)
    text = plot.readout
    assert plot.readout_item.isVisible()  # written in the plot beside the pointer, a line each
    assert plot.readout_item.textItem.toPlainText() == text.replace(": ", "\n").replace(", ", "\n")
    # the nearest drawn a to the pointer (a pixel is about 0.02 of a here)
    a = float(text.split(":")[0].split("=")[1])
    assert abs(a - target) < 0.1
    assert f"f(a) = {value_text(np.tanh(a))}" in text
    assert f"f′(a) = {value_text(1 - np.tanh(a) ** 2)}" in text


def test_slopes_learned_per_unit_draw_the_picked_units_curve_without_a_slider(qtbot, window):
    """A layer whose slopes the run learns (the weights carry "alpha", one per
    unit): each unit has its own curve, picked like a softmax unit's, and no
    slider (training moves them, not the hand)."""
    w = window
    fv = w.functions_view
    stepped_with_row(qtbot, w, 2)
    click_node(qtbot, w, "dense1")
    w.inspector.activation.setCurrentText("leaky_relu")
    assert fv.slider_row.isVisibleTo(fv) and not fv.unit.isVisibleTo(fv)
    slopes = [0.1, 0.2, 0.3, 0.4]
    weights = w.functions.weights
    w.functions.weights = lambda: {**weights(), "dense1": {**weights()["dense1"], "alpha": slopes}}
    w.functions.refresh()
    assert fv.unit.isVisibleTo(fv) and not fv.slider_row.isVisibleTo(fv)
    fv.unit.setValue(3)
    x, f = curve(fv.f_curve)
    np.testing.assert_allclose(f, F.leaky_relu(torch.tensor(x), 0.3).numpy(), rtol=1e-12)
    a = np.asarray(w.learn.explanation["nodes"]["dense1"]["z"])
    px, pf = curve(fv.f_points)
    assert px.tolist() == pytest.approx([a[2]]) and pf.tolist() == pytest.approx([a[2] if a[2] >= 0 else 0.3 * a[2]])
    assert "learned α = 0.3" in fv.activation_caption.text()


def test_a_prelu_layer_draws_each_units_learned_slope_once_trained(qtbot, window):
    w = window
    fv = w.functions_view
    click_node(qtbot, w, "dense1")
    w.inspector.activation.setCurrentText("prelu")
    # before any step: the initial slope, on the slider (as in the inspector)
    assert fv.slider_row.isVisibleTo(fv) and fv.alpha_label.text() == "Initial slope α" and fv.slider.value() == 25
    for _ in range(3):
        stepped_with_row(qtbot, w, 2)
    slopes = np.asarray(w.run.current_weights()["dense1"]["alpha"])
    assert not np.allclose(slopes, 0.25)  # trained
    assert fv.unit.isVisibleTo(fv) and not fv.slider_row.isVisibleTo(fv)
    fv.unit.setValue(2)
    x, f = curve(fv.f_curve)
    _, df = curve(fv.df_curve)
    weight = torch.tensor([slopes[1]])
    ref_f, ref_df = torch_f_and_slope(lambda t: F.prelu(t, weight), x)
    np.testing.assert_allclose(f, ref_f, rtol=1e-12, atol=1e-15)
    smooth = x != 0
    np.testing.assert_allclose(df[smooth], ref_df[smooth], rtol=1e-12, atol=1e-15)
    assert f"learned α = {value_text(slopes[1])}" in fv.activation_caption.text()


def test_the_pointer_over_the_loss_plot_reads_the_loss_there_in_the_plot(qtbot, window):
    """A teacher's trial: hovering a curve showed only the plot's tool tip
    "Drawn against the error y_hat - y of each output." (it replaced the
    read-out after a moment). The read-out is written in the plot beside the
    pointer, the plot has no tool tip of its own to cover it, and, with no
    sample picked, the loss plot's y axis spans its curves (it showed "0")."""
    import os
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication

    w = window
    fv = w.functions_view
    w.docks["functionsDock"].raise_()
    plot = fv.loss_plot
    qtbot.waitUntil(lambda: plot.isVisible() and plot.width() > 50 and bool(fv.loss_curves), timeout=WAIT)
    (_, _), (y0, y1) = plot.plotItem.vb.viewRange()
    name, item = next(iter(fv.loss_curves.items()))
    x, y = curve(item)
    finite = np.isfinite(y)
    assert y0 <= y[finite].min() and y[finite].max() <= y1 and y1 - y0 >= 0.5 * np.ptp(y[finite]) > 0
    vb = plot.plotItem.vb
    target = x[len(x) * 3 // 4]
    pos = plot.mapFromScene(vb.mapViewToScene(pg_point(target, float(y[len(x) * 3 // 4]))))
    qtbot.mouseMove(plot.viewport(), pos)
    qtbot.waitUntil(lambda: plot.readout_item.isVisible(), timeout=WAIT)
    # The widget's tool tip moment: nothing of the plot's own replaces the read-out.
    QApplication.sendEvent(plot.viewport(), QHelpEvent(QEvent.Type.ToolTip, pos, plot.viewport().mapToGlobal(pos)))
    assert plot.toolTip() == "" and plot.readout_item.isVisible()
    shown = plot.readout_item.textItem.toPlainText()
    lines = shown.splitlines()
    at = float(lines[0].split("=")[1])
    assert abs(at - target) < 0.1 * np.ptp(x)
    values = dict(line.split(" = ") for line in lines[1:])
    out = w.run.document.graph.nodes["output"].params
    loss = out["loss"]
    e = at  # the argument drawn: the error y_hat - y, or the margin t s
    expected = {"l2": 0.5 * e ** 2, "mse": 0.5 * e ** 2, "l1": abs(e), "hinge": max(0.0, 1 - e)}.get(loss)
    if expected is None and loss == "bce":  # against the error of a sigmoid output p - y with y = 1: -log(1 + e)
        expected = float(-np.log(1 + e)) if plot.xname == "e" else float(np.log1p(np.exp(-e)))
    assert expected is not None, (loss, shown)
    assert values[name] == value_text(expected), (shown, loss, plot.xname)
    if os.environ.get("SHOT"):
        fv.grab().save(os.environ["SHOT"])
