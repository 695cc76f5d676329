"""What a user reads: nodes by their names (never their ids), problems that
cannot be missed, and number fields that refuse a bad value with the reason
instead of altering it. Driven as a user drives the window."""
import json

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QTabBar

from guitools import click_node, connect_ports, drop_from_palette, type_into
from nnbuilder.core.files.modelfile import load_model
from nnbuilder.gui import MainWindow
from nnbuilder.gui.diagram.items import node_texts
from nnbuilder.gui.diagram.panels import ProblemsList


def graph_of(w):
    return w.document.graph


def messages(w):
    return w.statusBar().currentMessage()


def problem_rows(w):
    return [w.problems.item(i) for i in range(w.problems.count())]


# ------------------------------------------------------------------ names
def test_the_diagram_and_messages_name_nodes_not_ids(qtbot, window):
    g = graph_of(window)
    assert [node_texts(g, n)[0] for n in g.nodes] == ["Input", "Dense 1", "Dense 2", "Output"]
    drop_from_palette(window, "dense", QPointF(0, 300))
    new = [n for n in g.nodes if n.startswith("dense-")][0]  # an id like dense-2a7901e3
    assert g.nodes[new].name == "Dense 3" and node_texts(g, new)[0] == "Dense 3"
    item = window.scene.node_items[new]
    assert "Dense 3" in item.toolTip() and new not in item.toolTip()
    connect_ports(qtbot, window, "input", new)
    assert messages(window) == "Connected Input → Dense 3"
    connect_ports(qtbot, window, "dense1", new)
    assert messages(window) == "Cannot connect Dense 1 → Dense 3: 'Dense 3' takes one input and has one already"
    edge = window.scene.edge_items[("input", new)]
    assert edge.toolTip().startswith("Input → Dense 3")
    for text in [messages(window), item.toolTip(), window.inspector.title.text()] + \
            [r.text() + r.toolTip() for r in problem_rows(window)]:
        assert new not in text and "dense1" not in text


def test_rename_in_the_inspector_is_undoable_and_shown_everywhere(qtbot, window):
    g = graph_of(window)
    click_node(qtbot, window, "dense1")
    name = window.inspector.findChild(QLineEdit, "nameEdit")
    assert name.isVisible() and name.text() == "Dense 1"
    assert window.inspector.title.text() == "Dense 1"
    type_into(qtbot, name, "Hidden")
    assert g.nodes["dense1"].name == "Hidden" and g.nodes["dense1"].id == "dense1"
    assert node_texts(g, "dense1")[0] == "Hidden" and window.inspector.title.text() == "Hidden"
    assert window.document.undo_stack.undoText() == "Rename Dense 1 to Hidden"
    window.inspector.activation.setCurrentText("step")  # a problem that names the layer
    assert any(r.text().startswith("Hidden: the step activation") for r in problem_rows(window))
    window.act_undo.trigger()
    window.act_undo.trigger()
    assert g.nodes["dense1"].name == "Dense 1" and name.text() == "Dense 1"
    assert node_texts(g, "dense1")[0] == "Dense 1"
    window.act_redo.trigger()
    assert g.nodes["dense1"].name == "Hidden" and name.text() == "Hidden"


@pytest.mark.parametrize("typed,why", [("Dense 2", "another node is called 'Dense 2'"),
                                       ("output", "another node is called 'Output'"),
                                       ("", "a name cannot be empty")])
def test_a_duplicate_or_empty_name_is_refused_with_the_reason(qtbot, window, typed, why):
    g = graph_of(window)
    click_node(qtbot, window, "dense1")
    name = window.inspector.findChild(QLineEdit, "nameEdit")
    if typed:
        type_into(qtbot, name, typed)
    else:  # clear the field, then Enter
        name.setFocus()
        name.selectAll()
        qtbot.keyClick(name, Qt.Key.Key_Delete)
        qtbot.keyClick(name, Qt.Key.Key_Return)
    assert g.nodes["dense1"].name == "Dense 1" and name.text() == "Dense 1"
    assert messages(window) == f"Cannot rename Dense 1 to '{typed}': {why}"
    assert name.property("refused") is True and why in name.toolTip()
    assert window.document.undo_stack.count() == 0
    type_into(qtbot, name, "Wide")  # a good name clears the red outline
    assert g.nodes["dense1"].name == "Wide" and name.property("refused") is False


def test_names_are_saved_and_read_back_ids_unchanged(qtbot, make_window, gui_env, monkeypatch):
    w = make_window()
    click_node(qtbot, w, "dense2")
    type_into(qtbot, w.inspector.findChild(QLineEdit, "nameEdit"), "Last hidden")
    path = gui_env / "named.json"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    w.act_save.trigger()
    nodes = json.loads(path.read_text())["graph"]["nodes"]
    assert [(n["id"], n["name"]) for n in nodes] == [
        ("input", "Input"), ("dense1", "Dense 1"), ("dense2", "Last hidden"), ("output", "Output")]
    again = make_window(str(path))
    assert graph_of(again).nodes["dense2"].name == "Last hidden"
    assert node_texts(graph_of(again), "dense2")[0] == "Last hidden"


def test_an_old_file_without_names_gets_them_in_the_order_data_flows(make_window, gui_env):
    old = {"format": "nnbuilder-model", "version": 1, "graph": {
        "nodes": [{"id": "output-7b7fe4d2", "type": "output"},
                  {"id": "dense-2a7901e3", "type": "dense", "params": {"units": 3}},
                  {"id": "input-2a6e7c39", "type": "input"},
                  {"id": "dense-0bad0bad", "type": "dense", "params": {"units": 3}}],
        "edges": [{"source": "input-2a6e7c39", "target": "dense-0bad0bad"},
                  {"source": "dense-0bad0bad", "target": "dense-2a7901e3"},
                  {"source": "dense-2a7901e3", "target": "output-7b7fe4d2"}]}}
    path = gui_env / "old.json"
    path.write_text(json.dumps(old))
    w = make_window(str(path))
    g = graph_of(w)
    assert {n.id: n.name for n in g.nodes.values()} == {
        "input-2a6e7c39": "Input", "dense-0bad0bad": "Dense 1", "dense-2a7901e3": "Dense 2",
        "output-7b7fe4d2": "Output"}
    assert load_model(path).graph.names() == g.names()  # the same names on every load
    w.document.set_params("output-7b7fe4d2", loss="cross_entropy")  # an error that names its node
    texts = [r.text() for r in problem_rows(w)]
    assert any(t.startswith("Output: ") for t in texts)
    assert not any("7b7fe4d2" in t for t in texts)


# --------------------------------------------------------------- problems
def _problems_tab(w) -> tuple[QTabBar, int]:
    """The tab bar of the bottom docks and the index of the Problems tab."""
    return next((bar, i) for bar in w.findChildren(QTabBar) for i in range(bar.count())
                if bar.tabText(i).startswith("Problems"))


def _problems_tab_text(w) -> str:
    bar, i = _problems_tab(w)
    return bar.tabText(i)


def test_problems_are_counted_on_the_tab_and_in_the_status_bar(qtbot, window):
    label = window.findChild(QLabel, "statusProblems")
    assert label is not None and label.isVisible()
    assert _problems_tab_text(window) == "Problems" and "ready to train" in label.text()
    assert window.findChild(QLabel, "statusParams").text() == "37 parameters"
    click_node(qtbot, window, "dense1")
    window.inspector.activation.setCurrentText("step")
    assert _problems_tab_text(window) == "Problems (1)"
    assert "1 warning" in label.text() and "error" not in label.text()
    drop_from_palette(window, "dense", QPointF(0, 300))
    assert _problems_tab_text(window) == "Problems (2)"
    assert "1 error" in label.text() and "1 warning" in label.text()
    assert "gradient descent cannot train the layers before it" in label.toolTip()
    window.docks["networkDock"].raise_()
    window.problems_label.linkActivated.emit("problems")  # a click on the count shows the list
    bar, i = _problems_tab(window)
    assert bar.currentIndex() == i


def test_a_problem_row_carries_its_full_text_and_wraps(qtbot, window):
    click_node(qtbot, window, "dense1")
    window.inspector.activation.setCurrentText("step")
    (row,) = problem_rows(window)
    full = ("warning: Dense 1: the step activation has zero gradient everywhere: gradient descent "
            "cannot train the layers before it")
    assert row.toolTip() == full and row.text() == full[len("warning: "):]
    # In a narrow list the row wraps over several lines instead of being cut off.
    lst = ProblemsList()
    qtbot.addWidget(lst)
    lst.set_problems(graph_of(window).validate())
    lst.resize(220, 300)
    lst.show()
    QApplication.processEvents()
    rect = lst.visualItemRect(lst.item(0))
    assert rect.width() <= lst.viewport().width()
    assert rect.height() > 2 * lst.fontMetrics().height()


def test_hinge_with_a_sigmoid_output_is_flagged_with_the_reason(qtbot, window):
    click_node(qtbot, window, "output")
    window.inspector.findChild(QComboBox, "lossCombo").setCurrentText("hinge")
    texts = [r.text() for r in problem_rows(window)]
    assert any(t.startswith("Output: hinge needs a raw score") and "always predicts class 1" in t
               for t in texts), texts
    assert not window.play_button.isEnabled() and "hinge" in window.play_button.toolTip()
    assert "1 error" in window.findChild(QLabel, "statusProblems").text()
    window.inspector.activation.setCurrentText("linear")
    assert [r.text() for r in problem_rows(window)] == ["No problems: the network can be trained."]


# ------------------------------------------------------------ number fields
def test_an_out_of_range_learning_rate_is_refused_and_the_old_one_kept(qtbot, window):
    panel = window.training_panel
    lr = panel.lr
    before = lr.value()
    type_into(qtbot, lr, "5000")
    assert lr.value() == before and panel.config()["lr"] == before and lr.text() == lr.textFromValue(before)
    msg = messages(window)
    assert msg.startswith("Learning rate 5000 refused: must be above 0 and at most 1000")
    assert lr.property("refused") is True and "at most 1000" in lr.toolTip()
    type_into(qtbot, lr, "0")
    assert lr.value() == before and "must be above 0" in messages(window)
    # 100 is a learning rate the core accepts (it diverges, as the lecture warns):
    # taken as typed, not clamped to a field's own limit.
    type_into(qtbot, lr, "100")
    assert lr.value() == 100 and panel.config()["lr"] == 100 and lr.property("refused") is False


@pytest.mark.parametrize("attr,typed,why", [
    ("momentum", "1", "must be at least 0 and below 1"), ("batch", "0", "between 1 and 100000"),
    ("noise", "3", "must be between 0 and 1"), ("split", "0", "must be above 0 and at most 1"),
    ("samples", "2", "must be a whole number between 4 and 1000000"), ("max_epochs", "-5", "must be a whole number at least 0"),
])
def test_training_fields_refuse_with_the_cores_reason(qtbot, window, attr, typed, why):
    field = getattr(window.training_panel, attr)
    field.setEnabled(True)
    before = field.value()
    type_into(qtbot, field, typed)
    assert field.value() == before and why in messages(window) and field.property("refused") is True


def test_inspector_fields_refuse_with_the_registrys_reason(qtbot, window):
    g = graph_of(window)
    click_node(qtbot, window, "dense1")
    units = window.inspector.units
    type_into(qtbot, units, "2000")
    assert g.nodes["dense1"].params["units"] == 4 and units.value() == 4
    assert "Units 2000 refused: must be a whole number between 1 and 1024" in messages(window)
    assert units.property("refused") is True
    type_into(qtbot, units, "6")
    assert g.nodes["dense1"].params["units"] == 6 and units.property("refused") is False
    drop_from_palette(window, "dropout", QPointF(0, 300))
    drop = [n for n in g.nodes if n.startswith("dropout-")][0]
    window.select_node(drop)
    type_into(qtbot, window.inspector.rate, "1.5")
    assert g.nodes[drop].params["rate"] == 0.5 and "must be at least 0 and below 1" in messages(window)


def test_the_status_bars_tool_tip_holds_its_message_whole(qtbot, window):
    long = "Training diverged: " + "the loss rose " * 30 + "Try a smaller learning rate"
    window.show_status(long)
    assert window.statusBar().toolTip() == long
    window.show_status("")
    assert window.statusBar().toolTip() == ""
