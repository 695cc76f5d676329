"""An engineer's trial leftovers of issue 20, through the real window: the
title names the data, a layer added with Output selected goes before it,
the plots follow an ONNX import, a divergence leaves the loss curve
readable, the many-classes confusion matrix, the output view for many
inputs."""
import numpy as np
from PySide6.QtWidgets import QApplication

from test_gui_wide_views import import_csv, write_images

WAIT = 20000


def test_the_title_names_the_file_and_the_data(qtbot, window, tmp_path, monkeypatch):
    w = window
    assert w.windowTitle() == "Example: circle · data: circle[*] — nnbuilder"
    write_images(tmp_path / "cancer.csv")
    import_csv(qtbot, w, tmp_path / "cancer.csv", monkeypatch)
    qtbot.waitUntil(lambda: w.data.dataset is not None and w.data.dataset.X.shape[1] == 64, timeout=WAIT)
    assert w.windowTitle() == "Example: circle · data: cancer.csv[*] — nnbuilder"
    w.document.undo_stack.undo()
    qtbot.waitUntil(lambda: "data: circle" in w.windowTitle(), timeout=WAIT)


def test_a_layer_added_with_output_selected_goes_before_it_in_one_step(qtbot, window):
    """Output feeds nothing: the new Dense layer lands between Output and its
    input, connected both ways, Output moved right; one undo puts it all back."""
    from test_gui_palette import boxes_overlap, press_enter_on

    w = window
    g = w.document.graph
    out = g.nodes_of_type("output")[0].id
    (before,) = g.inputs_of(out)
    edges, positions = sorted((e.source, e.target) for e in g.edges), {n: g.nodes[n].position for n in g.nodes}
    w.select_node(out)
    new = press_enter_on(qtbot, w, "dense")
    assert g.inputs_of(new) == [before] and g.inputs_of(out) == [new] and g.outputs_of(new) == [out]
    assert g.nodes[before].position[0] < g.nodes[new].position[0] < g.nodes[out].position[0]
    assert not any(boxes_overlap(g, new, n) for n in g.nodes if n != new)
    assert [p for p in g.validate() if p.severity == "error"] == []
    assert w.document.undo_stack.undoText() == "Insert Dense"
    w.document.undo_stack.undo()
    assert new not in g.nodes and sorted((e.source, e.target) for e in g.edges) == edges
    assert {n: g.nodes[n].position for n in g.nodes} == positions


def test_an_onnx_import_gives_the_layer_plots_the_new_networks_layers_and_axes(
        qtbot, window, tmp_path, capsys):
    import onnx
    from onnx import numpy_helper

    from nnbuilder.cli import main
    from test_gui_run_state import train_epochs

    w, lp = window, window.layer_plot
    lp.parentWidget().raise_()
    train_epochs(qtbot, w, 30)
    qtbot.waitUntil(lambda: lp.bars is not None and bool(lp.curves), timeout=WAIT)
    old_names = [lp.layer.itemText(i) for i in range(lp.layer.count())]
    m, t, o = tmp_path / "m.json", tmp_path / "t.json", tmp_path / "wide.onnx"
    assert main(["new", "4-16-3", "-o", str(m)]) == 0
    assert main(["train", str(m), "--dataset", "iris", "--epochs", "2", "--lr", "1e-4", "-o", str(t)]) == 0
    assert main(["export", str(t), "--format", "onnx", "-o", str(o)]) == 0
    capsys.readouterr()
    assert w.imports.import_onnx(str(o))
    # The histogram: the imported first layer's weights (NumPy from the ONNX file), the axes theirs.
    W = [numpy_helper.to_array(i) for i in onnx.load(str(o)).graph.initializer if i.dims and len(i.dims) == 2]
    W = next(a for a in W if a.shape in ((4, 16), (16, 4)))
    lim = float(np.abs(W).max())
    vb = lp.hist.plotItem.vb

    def hist_spans_the_new_weights():
        QApplication.processEvents()
        (x0, x1), _ = vb.viewRange()
        return lp.bars is not None and x0 <= -lim and lim <= x1 and x1 - x0 <= 1.3 * 2 * lim
    qtbot.waitUntil(hist_spans_the_new_weights, timeout=WAIT)
    names = [lp.layer.itemText(i) for i in range(lp.layer.count())]
    assert names == [w.document.graph.label(n) for n in lp.curves] and len(names) == 2 and names != old_names
    heights = lp.bars.opts["height"]
    np.testing.assert_array_equal(heights, np.histogram(W, bins=len(heights), range=(-lim, lim))[0])
    # The gradient norms: none of the old run's curves, both plots ranging afresh.
    assert all(len(c.xData if c.xData is not None else []) == 0 for c in lp.curves.values())
    assert all(all(p.plotItem.vb.autoRangeEnabled()) for p in (lp.norms, lp.hist))


def test_two_divergences_leave_the_loss_curve_readable_and_their_labels_apart(qtbot, make_window):
    """seed_table at learning rate 0.5 explodes, twice: the y range is the
    curve's before it exploded (not the peaks'), each peak still drawn as
    its dot, and the two "diverged" labels do not overlap."""
    from pathlib import Path

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDoubleSpinBox

    from guitools import type_into, wait_drawn

    examples = Path(__file__).resolve().parents[1] / "resources" / "examples"
    w = make_window(str(examples / "linear_regression.json"))
    w.resize(1024, 700)
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.5")
    plot = w.curves.loss
    for n in (1, 2):
        qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
        wait_drawn(qtbot, w, lambda s: s.divergence is not None and len(plot.marks) >= n, running=None)
    assert len(plot.marks) == 2
    peaks = [v for _, v in plot.marked_points()]
    x, y = plot.train.getData()
    calm = np.isfinite(y) & (y < 10 * np.nanmin(y[np.isfinite(y)]) + 1)  # the epochs before each climb
    (_, _), (y0, y1) = plot.plotItem.vb.viewRange()
    assert max(peaks) > 1e3 * y1, (peaks, y1)  # the peaks do not set the range ...
    assert y0 <= y[calm].min() and y[calm].max() <= y1  # ... the readable curve does
    w.grab()  # drawn: the labels where they are painted
    shown = [m.label.sceneBoundingRect() for m in plot.marks if m.label.isVisible()]
    newest = max(plot.marks, key=lambda m: m.value())
    assert newest.label.isVisible() and all(r.isValid() for r in shown)
    assert not any(a.intersects(b) for i, a in enumerate(shown) for b in shown[i + 1:]), shown
    assert all("diverged" in m.toolTip() for m in plot.marks)  # a hidden label's text, on hover


def test_a_ten_class_confusion_matrix_keeps_its_counts_readable_at_1024x700(qtbot, window):
    """Many classes (the many-classes case only; `layout` sizes the panel):
    the counts stay at a readable size and the matrix scrolls for the room,
    rather than shrinking them to 6 pt."""
    from PySide6.QtGui import QFontInfo

    from nnbuilder.gui.widgets.scale import scaled_pt
    from test_gui_wide_views import settle_layouts, small_window, text_fits

    w = window
    small_window(qtbot, w)
    w.docks["curvesDock"].raise_()
    rng = np.random.default_rng(2)
    counts = np.diag(rng.integers(900, 1100, 10)) + rng.integers(0, 30, (10, 10))  # MNIST-like
    plot = w.curves.confusion
    plot.setVisible(True)
    p = np.diag(counts) / counts.sum(axis=0)
    r = np.diag(counts) / counts.sum(axis=1)
    plot.set_counts(counts, [str(i) for i in range(10)], (p, r, 2 * p * r / (p + r)))
    settle_layouts()
    qtbot.waitUntil(lambda: text_fits(plot))
    font = plot.cell_text(0, 0).textItem.font()
    assert font.pointSizeF() >= scaled_pt(8.0) - 1e-9, font.pointSizeF()
    assert QFontInfo(font).pixelSize() >= 10
    assert all(plot.cell_text(i, j).toPlainText() == str(counts[i, j]) for i in range(10) for j in range(10))
    assert w.width() <= 1024 and w.height() <= 700
    area = w.curves.confusion_area
    assert area.horizontalScrollBar().maximum() > 0 or area.verticalScrollBar().maximum() > 0 or \
        plot.width() <= area.viewport().width()


def test_many_inputs_show_the_picked_rows_class_probabilities_not_a_slice(
        qtbot, make_window, tmp_path, monkeypatch):
    """64 pixels (more than the feature chips show one by one): the Output
    dock says why and shows the picked row's class probabilities, checked
    against an independent NumPy forward pass; the slice stays one click away."""
    from PySide6.QtCore import QPoint, Qt

    from forward import forward, read_model
    from nnbuilder.gui.diagram.items import FeatureChips
    from test_gui_wide_views import train_paused

    from test_gui_wide_views import settle_layouts, small_window

    w = make_window()
    small_window(qtbot, w)
    panel = w.output_panel
    assert not panel.row_outputs.isVisible() and panel.plot.isVisible()  # 2 inputs: the plane
    path = tmp_path / "digits.csv"
    X, y = write_images(path, side=8, rows=240, high=16, noise=1.2)
    assert X.shape[1] > FeatureChips.MAX_CHIPS
    import_csv(qtbot, w, path, monkeypatch)
    w.docks["outputDock"].raise_()
    view = panel.instead
    qtbot.waitUntil(lambda: view.isVisible() and not panel.plot.isVisible(), timeout=WAIT)
    assert view.why.text().startswith("64 inputs: a slice through two of them shows little")
    settle_layouts()
    assert w.height() <= 700  # the view fits the dock's room (it once made the window taller)
    train_paused(qtbot, w, 2)
    view.row.setValue(6)  # the 6th data row, as Learn numbers them
    qtbot.waitUntil(lambda: w.learn.row == 5 and view.values is not None, timeout=WAIT)
    model_path = tmp_path / "digits.json"
    assert w.files.save_to(str(model_path))
    out, _ = forward(read_model(model_path), X[5:6])
    np.testing.assert_allclose(view.values, out[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(view.bars.opts["height"], out[0], rtol=1e-6, atol=1e-9)
    assert view.true_class == y[5] and view.summary.text().startswith(f"true {y[5]}, predicted {out[0].argmax()}")
    # A row picked elsewhere (Learn's row) is the row shown.
    w.learn.select_row(9)
    qtbot.waitUntil(lambda: view.row.value() == 10 and view.true_class == y[9], timeout=WAIT)
    # The slice, on request.
    qtbot.mouseClick(view.slice, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.plot.isVisible() and not view.isVisible(), timeout=WAIT)
    # ... and back with the slice's own option.
    assert panel.row_outputs.isVisible() and not panel.row_outputs.isChecked()
    qtbot.mouseClick(panel.row_outputs, Qt.MouseButton.LeftButton, pos=QPoint(8, panel.row_outputs.height() // 2))
    qtbot.waitUntil(lambda: view.isVisible() and not panel.plot.isVisible(), timeout=WAIT)
