"""Every number visible and editable (issue 18, point 2): a hovered neuron
shows its bias and, for the picked sample, a = W x + b and f(a); a bias is
typed on the diagram (double-click a neuron) and in the inspector's table of
the layer's W and b, each an undoable step the worker follows.

The sample's numbers are checked against tests/forward.py, a NumPy forward
pass written from the saved model file, not against nnbuilder's engine."""
import json

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QTableWidget

from forward import forward
from guitools import click_node, pause, view_point, wait_drawn
from nnbuilder.gui import MainWindow
from nnbuilder.gui.diagram.sample_values import value_text

WAIT = 15000
CTRL = Qt.KeyboardModifier.ControlModifier


def snap(w):
    return w.run.snapshot


def stepped(qtbot, w):
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    return wait_drawn(qtbot, w, until=lambda s: s.step >= 1, running=False)


def neuron_point(w, node_id, unit):
    item = w.scene.node_items[node_id]
    return view_point(w.view, item.mapToScene(item.mapFromScene(item.neuron_centers()[unit])))


def test_a_hovered_neuron_shows_its_bias_and_the_samples_a_and_f(qtbot, window, tmp_path):
    w = window
    stepped(qtbot, w)
    w.learn_panel.row.setValue(3)  # the sample row, 1-based, as a person picks it
    qtbot.waitUntil(lambda: w.learn.explanation is not None, timeout=WAIT)
    item = w.scene.node_items["dense1"]
    centre = item.neuron_centers()[1]
    qtbot.mouseMove(w.view.viewport(), view_point(w.view, centre))
    qtbot.waitUntil(lambda: "unit 2" in item.toolTip(), timeout=WAIT)
    tip = item.toolTip()
    # independent numbers: the saved file through a NumPy forward pass
    path = tmp_path / "m.json"
    w.files.save_to(str(path))
    model = json.loads(path.read_text())
    b = model["weights"]["dense1"]["b"][1]
    assert f"b[2] = <b>{b:.5g}</b>" in tip
    x = w.data.dataset.X[2]
    pre = {}
    _, acts = forward(model, x[None, :], pre)
    assert f"a = W x + b = {pre['dense1'][0, 1]:.5g}" in tip and f"f(a) = {acts['dense1'][0, 1]:.5g}" in tip
    assert "row 3" in tip
    # away from the neurons: the node's own tool tip again
    qtbot.mouseMove(w.view.viewport(), view_point(w.view, item.mapToScene(QPointF(6, 6))))
    qtbot.waitUntil(lambda: "unit 2" not in item.toolTip(), timeout=WAIT)


def test_a_bias_typed_on_the_diagram_is_undoable_and_the_worker_trains_from_it(qtbot, window, monkeypatch):
    w = window
    stepped(qtbot, w)
    asked = []
    monkeypatch.setattr(MainWindow, "_ask_weight",
                        lambda self, n, i, j, cur: asked.append((n, i, j, cur)) or -1.5)
    old = float(snap(w).weights["dense1"][1][2])
    pos = neuron_point(w, "dense1", 2)
    qtbot.mouseDClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert asked == [("dense1", -1, 2, old)]
    qtbot.waitUntil(lambda: snap(w).weights["dense1"][1][2] == -1.5, timeout=WAIT)
    assert w.isWindowModified() and w.document.weights["dense1"]["b"][2] == -1.5
    assert w.document.undo_stack.undoText() == "Set Dense 1: b[3] to -1.5"
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: snap(w).weights["dense1"][1][2] == old, timeout=WAIT)
    assert w.document.weights["dense1"]["b"][2] == old


def type_cell(qtbot, table, item, text):
    """Double-click the cell, type over its value, press Enter: as a person does."""
    table.scrollToItem(item)
    pos = table.visualItemRect(item).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not table, timeout=WAIT)  # its editor
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def table_of(w) -> QTableWidget:
    return w.inspector.findChild(QTableWidget, "weightsGrid")


def test_the_inspector_lists_w_and_b_and_a_typed_cell_is_an_undoable_step(qtbot, window):
    w = window
    table = table_of(w)
    click_node(qtbot, w, "dense2")
    qtbot.waitUntil(lambda: w.inspector.node_id == "dense2", timeout=WAIT)
    assert not table.isVisible() or table.rowCount() == 0  # no weights before a step
    drawn = stepped(qtbot, w)
    qtbot.waitUntil(lambda: table.isVisible() and table.rowCount() > 0, timeout=WAIT)
    W, b = drawn.weights["dense2"]
    assert (table.rowCount(), table.columnCount()) == (W.shape[0] + 1, W.shape[1])
    assert table.verticalHeaderItem(W.shape[0]).text() == "b"
    assert table.verticalHeaderItem(0).text() == "W[1, ·]"
    for r in range(W.shape[0]):
        for c in range(W.shape[1]):
            assert float(table.item(r, c).text()) == float(value_text(W[r, c]))
    assert float(table.item(W.shape[0], 1).text()) == float(value_text(b[1]))
    # type a bias into its cell as a person does: select, type, Enter
    type_cell(qtbot, table, table.item(W.shape[0], 1), "0.75")
    qtbot.waitUntil(lambda: snap(w).weights["dense2"][1][1] == 0.75, timeout=WAIT)
    qtbot.waitUntil(lambda: table.item(W.shape[0], 1).text() == "0.75", timeout=WAIT)
    assert w.document.undo_stack.undoText() == "Set Dense 2: b[2] to 0.75"
    # a weight cell too, then both undone in turn
    type_cell(qtbot, table, table.item(0, 0), "2")
    qtbot.waitUntil(lambda: snap(w).weights["dense2"][0][0, 0] == 2.0, timeout=WAIT)
    w.document.undo_stack.undo()
    w.document.undo_stack.undo()
    qtbot.waitUntil(lambda: snap(w).weights["dense2"][1][1] == b[1]
                    and snap(w).weights["dense2"][0][0, 0] == W[0, 0], timeout=WAIT)
    qtbot.waitUntil(lambda: float(table.item(0, 0).text()) == float(value_text(W[0, 0])), timeout=WAIT)


def test_a_cell_that_is_not_a_number_keeps_the_value_and_says_why(qtbot, window):
    w = window
    table = table_of(w)
    click_node(qtbot, w, "dense2")
    stepped(qtbot, w)
    qtbot.waitUntil(lambda: table.rowCount() > 0, timeout=WAIT)
    before, steps = table.item(0, 0).text(), w.document.undo_stack.count()
    type_cell(qtbot, table, table.item(0, 0), "abc")
    qtbot.waitUntil(lambda: "'abc' is not a number" in w.statusBar().currentMessage(), timeout=WAIT)
    assert table.item(0, 0).text() == before
    assert w.document.undo_stack.count() == steps  # no edit


def test_while_training_the_table_follows_and_cannot_be_typed_in(qtbot, window):
    w = window
    table = table_of(w)
    click_node(qtbot, w, "dense2")
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, w, until=lambda s: s.step > 50, running=True)
    qtbot.waitUntil(lambda: table.rowCount() > 0, timeout=WAIT)
    assert not (table.item(0, 0).flags() & Qt.ItemFlag.ItemIsEditable)
    assert "Pause training" in w.inspector.findChild(QTableWidget, "weightsGrid").parent().caption.text()
    drawn = pause(qtbot, w)
    qtbot.waitUntil(lambda: bool(table.item(0, 0).flags() & Qt.ItemFlag.ItemIsEditable), timeout=WAIT)
    W, _ = drawn.weights["dense2"]
    qtbot.waitUntil(lambda: float(table.item(0, 0).text()) == float(value_text(W[0, 0])), timeout=WAIT)


def test_a_bias_typed_after_a_step_through_shows_the_samples_new_numbers(qtbot, window, monkeypatch):
    """The teacher's trial: after Step through, a typed bias left the diagram's
    f(a) and the Learn panel with the old numbers until the row was chosen again."""
    w = window
    stepped(qtbot, w)
    w.learn.select_row(0)
    w.learn_panel.by_hand.setChecked(False)
    qtbot.mouseClick(w.learn_panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.learn.stepping is None and w.run.snapshot.step == 2, timeout=WAIT)
    before = list(w.learn.explanation["nodes"]["output"]["z"])
    monkeypatch.setattr(MainWindow, "_ask_weight", lambda self, n, i, j, cur: cur - 1.5)
    qtbot.mouseDClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=neuron_point(w, "output", 0))
    qtbot.waitUntil(lambda: w.learn.explanation is not None
                    and abs(w.learn.explanation["nodes"]["output"]["z"][0] - (before[0] - 1.5)) < 1e-9,
                    timeout=WAIT)
