"""Inputs of real tables in the window: named by their columns, derived
features only for 2-D data, many inputs as one block, and Fit sizing the
hidden layers for the data (issue 20, point 4)."""
import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from nnbuilder.core.functions.features import FEATURE_NAMES
from nnbuilder.gui.diagram.items import node_texts
from nnbuilder.gui.diagram.sample_values import value_text

from test_gui_examples import hover_text
from test_gui_import import click_import, open_import, write

DERIVED = [f for f in FEATURE_NAMES if f not in ("x1", "x2")]


def wide_csv(tmp_path, rows: int, cols: int, classes: int = 10, name="wide.csv") -> str:
    """``rows`` rows of ``cols`` pixel columns in 0..255 and a label of ``classes`` classes."""
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, size=(rows, cols))
    y = np.arange(rows) % classes
    head = ",".join(f"pixel{j + 1}" for j in range(cols)) + ",label\n"
    return write(tmp_path, head + "".join(",".join(map(str, r)) + f",{k}\n" for r, k in zip(X, y)), name)


def import_file(qtbot, w, path, monkeypatch):
    click_import(qtbot, open_import(qtbot, w, path, monkeypatch))
    qtbot.waitUntil(lambda: w.imports.import_dialog is None and w.data.dataset is not None, timeout=20000)


def test_chips_and_the_input_node_read_the_imported_column_names(qtbot, window, tmp_path, monkeypatch):
    w = window
    chips = w.scene.node_items["input"].feature_chips
    # 2-D toy data: x1, x2 and the derived features, as TF Playground offers them.
    assert chips.labels() == list(FEATURE_NAMES)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    path = write(tmp_path, "age,income,score,label\n" + "".join(
        f"{a:.4f},{b:.4f},{c:.4f},{int(a > 0)}\n" for a, b, c in X))
    import_file(qtbot, w, path, monkeypatch)
    assert chips.labels() == ["age", "income", "score"]
    assert not set(DERIVED) & set(chips.names)  # no x1^2, sin(x1) for 3 columns
    inp = w.document.graph.nodes_of_type("input")[0].id
    assert node_texts(w.document.graph, inp, w.scene.column_names)[1] == "standardized · age, income, score"
    # Hovering a chip names its column and the feature it is in the file.
    i = chips.names.index("x2")
    event_pos = chips.chip_rect(i).center()
    view_pos = w.view.mapFromScene(chips.mapToScene(event_pos))
    vp = w.view.viewport()
    QApplication.sendEvent(vp, QMouseEvent(QEvent.Type.MouseMove, QPointF(view_pos), QPointF(vp.mapToGlobal(view_pos)),
                                           Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                           Qt.KeyboardModifier.NoModifier))
    tip = hover_text(qtbot, vp, view_pos)
    assert "income" in tip and "(x2)" in tip, tip
    # Clicking the "income" chip takes x2 out, named as such in the file.
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
    assert w.document.graph.nodes[inp].params["features"] == ["x1", "x3"]
    assert chips.labels() == ["age", "income", "score"]  # still offered, off
    w.select_node(inp)
    assert [cb.text() for cb in w.inspector.feature_checks.values() if cb.isVisibleTo(w.inspector)] == \
        ["age", "income"]  # x3 is the raw-columns field's
    # The import undone: 2-D toy data, x1, x2 and the derived features again.
    w.act_undo.trigger()
    w.act_undo.trigger()
    assert w.document.dataset.get("name") == "circle"
    assert chips.labels() == list(FEATURE_NAMES)


def test_a_wide_import_is_one_block_fitted_with_a_hidden_layer_sized_for_it(
        qtbot, window, tmp_path, monkeypatch):
    w = window
    hidden_before = [n.params["units"] for n in w.document.graph.nodes_of_type("dense")]
    assert max(hidden_before) <= 8  # the example's small layers
    import_file(qtbot, w, wide_csv(tmp_path, 200, 64), monkeypatch)
    graph = w.document.graph
    assert len(graph.nodes_of_type("input")[0].params["features"]) == 64
    chips = w.scene.node_items["input"].feature_chips
    assert chips.collapsed and not set(DERIVED) & set(chips.names)
    assert chips.block_text().split("\n") == ["64", "inputs", "pixel1", "…", "pixel64"]
    tip = chips.toolTip()
    assert "64 inputs" in tip and "pixel1, pixel2" in tip and "pixel64" in tip
    assert chips.boundingRect().height() < 100  # one block, not 64 chips
    # Fit sized the hidden layers: sqrt(64 inputs x 10 classes) = 25.3, the
    # power of two above is 32, but 200 rows allow no more than 200/8 -> 16.
    expected = min(2 ** math.ceil(math.log2(math.sqrt(64 * 10))), 2 ** math.floor(math.log2(200 // 8)))
    assert expected == 16
    hidden = graph.nodes_of_type("dense")
    assert [n.params["units"] for n in hidden] == [16] * len(hidden)
    assert {n.params["activation"] for n in hidden} == {"relu"}
    message = w.statusBar().currentMessage()
    assert "of 16 relu units: 64 inputs, 10 classes, 200 rows" in message, message
    assert "\n" not in message and len(message) < 160
    # One undo takes the import and the fitting back together.
    w.act_undo.trigger()
    assert [n.params["units"] for n in w.document.graph.nodes_of_type("dense")] == hidden_before


def test_fit_keeps_a_usable_zoom_with_784_inputs(qtbot, window, tmp_path, monkeypatch):
    w = window
    import_file(qtbot, w, wide_csv(tmp_path, 50, 784), monkeypatch)
    chips = w.scene.node_items["input"].feature_chips
    assert chips.block_text().split("\n") == ["784", "inputs", "pixel1", "…", "pixel784"]
    # 50 rows: no wider hidden layer (at most 50 / 8 units); the status line names the columns.
    assert "Input features = [pixel1, pixel2, pixel3, …, pixel784]" in w.statusBar().currentMessage()
    w.act_fit.trigger()
    rect = w.scene.itemsBoundingRect()
    # The diagram is wider than tall, as a chain of layers is: no 784-chip column.
    assert rect.height() < rect.width(), rect
    assert rect.height() < 400
    assert w.view.zoom() >= 0.5  # the nodes stay readable (784 chips: 16,000 units tall, zoom 0.04)
    # Every node is in view after Fit.
    visible = w.view.mapToScene(w.view.viewport().rect()).boundingRect()
    assert visible.contains(rect)
    # The inspector holds all 784 columns (an edit there keeps them), names
    # them by column and offers no derived features.
    w.select_node("input")
    assert w.inspector.raw_columns.value() == 782
    checks = w.inspector.feature_checks
    assert checks["x1"].text() == "pixel1" and checks["x2"].text() == "pixel2"
    assert not any(checks[f].isVisibleTo(w.inspector) for f in DERIVED)
    checks["x1"].click()
    assert w.document.graph.nodes["input"].params["features"] == [f"x{k}" for k in range(2, 785)]


def test_weights_from_the_inputs_are_named_by_their_columns(qtbot, make_window):
    from guitools import view_point
    from test_gui_learn import EXAMPLES, paused_after_steps

    w = make_window(f"{EXAMPLES}/iris.json")  # the built-in Iris table, with its header
    assert w.scene.column_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    paused_after_steps(qtbot, w, 2)
    graph = w.document.graph
    inp = graph.nodes_of_type("input")[0].id
    (src, dst), edge = next((k, e) for k, e in w.scene.edge_items.items() if k[0] == inp)
    qtbot.waitUntil(lambda: edge.weights is not None, timeout=15000)
    k = 2 * edge.weights.shape[1] + 1  # W[2, 1]: petal_length -> the second unit
    p, q = edge.neuron_lines[k]
    mid = next(m for m in (p + (q - p) * t for t in (0.5, 0.6, 0.4, 0.7)) if edge.weight_at(m)[:2] == (2, 1))
    assert edge.weight_at(mid)[:2] == (2, 1)
    vp, pos = w.view.viewport(), view_point(w.view, mid)
    QApplication.sendEvent(vp, QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(vp.mapToGlobal(pos)),
                                           Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                           Qt.KeyboardModifier.NoModifier))
    tip = hover_text(qtbot, vp, pos)
    assert tip.startswith(f"{graph.label(dst)} W[3, 2]: Input[3] (petal_length) → {graph.label(dst)}[2]"), tip
    # Clicked: the Learn panel says which column the weight reads, and the row's inputs by name.
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: w.learn.weight is not None, timeout=15000)
    w.learn.select_row(0)
    qtbot.waitUntil(lambda: "(from petal_length)" in w.learn_panel.text.toPlainText(), timeout=15000)
    x = w.data.dataset.X[0]
    assert f"sepal_length = {value_text(float(x[0]))}, sepal_width = " in w.learn_panel.text.toPlainText()


def map_pixels(image):
    """A neuron thumbnail as an (h, w, 4) array."""
    ptr = image.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width()]


def test_neuron_thumbnails_follow_an_import_of_another_width(qtbot, make_window, tmp_path, monkeypatch):
    from test_gui_learn import EXAMPLES, paused_after_steps

    w = make_window(f"{EXAMPLES}/circle.json")
    paused_after_steps(qtbot, w, 2)
    inp = w.scene.node_items["input"]
    assert len(inp.maps) == 2
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    path = write(tmp_path, "age,income,score,label\n" + "".join(
        f"{a:.4f},{b:.4f},{c:.4f},{int(a > 0)}\n" for a, b, c in X))
    import_file(qtbot, w, path, monkeypatch)
    # The maps are of the new data: one per column, over the plane of the
    # first two columns with the third at its median.
    qtbot.waitUntil(lambda: len(inp.maps) == 3, timeout=15000)
    age, income, score = (map_pixels(m) for m in inp.maps)
    assert (score == score[0, 0]).all()  # constant over the plane
    assert (age == age[:1]).all() and not (age == age[:, :1]).all()  # varies left to right only
    assert (income == income[:, :1]).all() and not (income == income[:1]).all()  # bottom to top only
    for nid, item in w.scene.node_items.items():
        assert len(item.maps) == len(item.neuron_centers()), nid
    paused_after_steps(qtbot, w, 2)
    assert len(inp.maps) == 3
