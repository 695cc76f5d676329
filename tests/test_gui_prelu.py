"""prelu in the window (issue 18 point 4), as a teacher uses it: choose it in
the inspector, read the parameter count grow by one slope per unit, train,
click a weight line and read dL/dalpha beside dL/dw (the CLI's numbers), see
the slopes in the weights table, save and find them in the file."""
import contextlib
import io
import json
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QTableWidget

from guitools import click_node, view_point, wait_drawn
from nnbuilder.cli import main as cli

WAIT = 15000


def test_a_prelu_layer_from_the_inspector_to_the_saved_file(qtbot, make_window, tmp_path, monkeypatch):
    from nnbuilder.gui.window.mainwindow import MainWindow

    from nnbuilder.core.files.examples import shipped_examples

    w = make_window()
    assert w.files.open_example(next(e for e in shipped_examples() if e.name == "xor"))  # Save asks where
    g = w.document.graph
    click_node(qtbot, w, "dense1")
    combo = w.inspector.findChild(QComboBox, "activationCombo")
    combo.setFocus()
    combo.setCurrentText("prelu")
    assert g.nodes["dense1"].params["activation"] == "prelu"
    # one learned slope per unit, counted as the lecture counts parameters
    assert w.inspector.params.text() == "2×2 + 2 + 2 = 8"
    assert "(2×2 + 2 + 2) + (2×1 + 1) = 11" in w.network_panel.total.text()
    alpha = w.inspector.alpha
    assert alpha.isVisible() and alpha.value() == pytest.approx(0.25)
    assert w.inspector.form.labelForField(alpha).text() == "Initial slope α"

    for _ in range(5):
        before = -1 if w.run.snapshot is None else w.run.snapshot.step
        w.step_button.click()
        wait_drawn(qtbot, w, lambda s: s.step > before, timeout=WAIT)
    slopes = w.run.snapshot.slopes["dense1"]
    assert np.abs(slopes - 0.25).max() > 1e-6  # the optimizer moved them

    # The weights table lists them under W and b, one per unit.
    grid = w.inspector.findChild(QTableWidget, "weightsGrid")
    qtbot.waitUntil(lambda: grid.isVisible() and grid.rowCount() == 4, timeout=WAIT)
    assert grid.verticalHeaderItem(3).text() == "α"
    assert [grid.item(3, j).toolTip().split(" = ")[1].split(":")[0] for j in range(2)] == \
        [f"{v:.10g}" for v in slopes]
    assert not grid.item(3, 0).flags() & Qt.ItemFlag.ItemIsEditable
    # A hovered neuron of the layer tells its slope beside its bias.
    item = w.scene.node_items["dense1"]
    qtbot.mouseMove(w.view.viewport(), view_point(w.view, item.neuron_centers()[1]))
    qtbot.waitUntil(lambda: "unit 2" in item.toolTip(), timeout=WAIT)
    assert f"α[2] = <b>{slopes[1]:.5g}</b>" in item.toolTip()

    # A click on a weight line into unit 2 of the prelu layer: its slope's chain rule too.
    w.learn.select_row(1)
    (_, _), edge = next(((k, e) for k, e in w.scene.edge_items.items() if k[1] == "dense1"))
    qtbot.waitUntil(lambda: edge.weights is not None, timeout=WAIT)
    p, q = edge.neuron_lines[1]  # input 1 -> unit 2
    at = p + (q - p) * 0.6  # not the middle, where it crosses input 2 -> unit 1
    assert edge.weight_at(at)[:2] == (0, 1)
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(w.view, at))
    qtbot.waitUntil(lambda: w.learn.explanation is not None and "slope" in w.learn.explanation,
                    timeout=WAIT)
    assert (w.learn.weight.row, w.learn.weight.col) == (0, 1)
    path = tmp_path / "prelu.json"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    w.act_save_as.trigger()  # File > Save As...
    qtbot.waitUntil(path.exists, timeout=WAIT)
    saved = json.loads(path.read_text())
    np.testing.assert_array_equal(saved["weights"]["dense1"]["alpha"], slopes)

    args = ["explain", str(path), "--row", "2", "--dataset", saved["dataset"]["name"],
            "--weight", "Dense 1:alpha:2", "--json"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli(args) == 0
    ref = json.loads(out.getvalue())["weight"]
    got = w.learn.explanation["slope"]
    assert got["text"] == ref["text"] and got["gradient"] == pytest.approx(ref["gradient"], rel=1e-12)
    assert ref["text"].startswith("dL/dalpha = ") and ref["gradient"] != 0
    assert ref["text"] in w.learn_panel.text.toPlainText()


def test_step_through_lists_the_slope_the_step_moved(qtbot, make_window):
    """Step through on a prelu network: the chosen weight's unit gets its slope's
    chain rule, and the update's list has the slope with its old and new value."""
    from nnbuilder.core.files.examples import shipped_examples

    w = make_window()
    assert w.files.open_example(next(e for e in shipped_examples() if e.name == "xor"))
    w.select_node("dense1")
    w.inspector.activation.setCurrentText("prelu")
    before = -1 if w.run.snapshot is None else w.run.snapshot.step
    w.step_button.click()
    wait_drawn(qtbot, w, lambda s: s.step > before, timeout=WAIT)
    w.learn.select_row(0)
    w.learn.select_weight("dense1", 1, 0)  # W[2, 1]: its unit 1's slope is α[1]
    assert "∂L/∂α" in w.learn_panel.text.toPlainText()
    old = w.run.snapshot.slopes["dense1"].copy()
    w.learn_panel.by_hand.setChecked(True)
    w.learn_panel.step_button.click()
    while w.learn.stepping is not None and not w.learn.stepping.waiting:
        w.learn_panel.next_button.click()
    qtbot.waitUntil(lambda: w.learn.stepping is None, timeout=WAIT)
    new = w.run.snapshot.slopes["dense1"]
    assert not np.array_equal(old, new)
    text = w.learn_panel.text.toPlainText()
    listed = re.findall(r"(?:Dense 1|Output) (?:W\[\d, \d\]|b\[\d\]|α\[\d\])", text)
    assert set(listed[:2]) == {"Dense 1 W[2, 1]", "Dense 1 α[1]"}  # the chosen ones, then the largest changes
