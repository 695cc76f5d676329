"""The builder window, driven as a user drives it: drops, drags, clicks, keys."""
import json

import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QComboBox, QDockWidget, QSpinBox, QToolButton, QWidget

from guitools import click_node, connect_ports, drop_from_palette, mouse_drag
from nnbuilder.core.model.graph import Edge, Graph
from nnbuilder.core.files.modelfile import ModelDocument, load_model, save_model
from nnbuilder.gui import MainWindow


def graph_of(w):
    return w.document.graph


def test_window_has_the_named_widgets_and_the_example(window):
    for name, cls in [("layerPalette", QWidget), ("networkView", QWidget), ("inspector", QWidget),
                      ("problemsList", QWidget), ("playButton", QToolButton)]:
        found = window.findChild(cls, name)
        assert found is not None, name
        assert found.accessibleName(), name
    assert window.objectName() == "MainWindow"
    g = graph_of(window)
    widths = [n.params.get("units") or len(n.params["features"]) for n in g.nodes.values()]
    assert widths == [2, 4, 4, 1] and g.total_params() == 37
    play = window.findChild(QToolButton, "playButton")
    assert play.isEnabled() and "Space" in play.toolTip()
    assert "Example" in window.windowTitle()
    assert len(window.scene.node_items) == 4 and len(window.scene.edge_items) == 3


def test_build_2_4_4_1_from_empty_with_the_mouse_then_save_and_reopen(qtbot, make_window, gui_env, monkeypatch):
    w = make_window()
    w.act_new.trigger()
    assert graph_of(w).nodes == {}
    xs = [-450, -200, 50, 300]
    for t, x in zip(["input", "dense", "dense", "output"], xs):
        drop_from_palette(w, t, QPointF(x + 75, 0))
    g = graph_of(w)
    ids = list(g.nodes)
    assert [g.nodes[i].type for i in ids] == ["input", "dense", "dense", "output"]
    assert [g.nodes[i].position[0] for i in ids] == xs
    for a, b in zip(ids, ids[1:]):
        connect_ports(qtbot, w, a, b)
    assert [(e.source, e.target) for e in g.edges] == list(zip(ids, ids[1:]))
    assert g.total_params() == 37 == 2 * 4 + 4 + 4 * 4 + 4 + 4 * 1 + 1
    assert "37" in w.network_panel.total.text()
    assert "(2×4 + 4) + (4×4 + 4) + (4×1 + 1) = 37" in w.network_panel.total.text()
    assert g.validate() == []

    path = gui_env / "built.json"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    w.act_save.trigger()
    assert not w.document.modified and "built.json" in w.windowTitle()
    again = make_window(str(path))
    assert graph_of(again).to_dict() == g.to_dict()
    assert set(again.scene.node_items) == set(ids)
    for nid in ids:
        assert again.scene.node_items[nid].pos() == w.scene.node_items[nid].pos()
    assert str(path.resolve()) in again.files.recent_files()


def test_refused_connection_says_why_in_the_status_bar(qtbot, window):
    g = graph_of(window)
    before = list(g.edges)
    connect_ports(qtbot, window, "dense2", "dense1")
    assert g.edges == before
    msg = window.statusBar().currentMessage()
    # dense1 is fed by the input already: that refusal comes before any cycle check
    assert msg == "Cannot connect Dense 2 → Dense 1: 'Dense 1' takes one input and has one already"
    # output -> input port of the input node: refused too
    window.act_new.trigger()
    drop_from_palette(window, "input", QPointF(-200, 0))
    drop_from_palette(window, "dense", QPointF(100, 0))
    drop_from_palette(window, "add", QPointF(100, 200))
    ids = list(graph_of(window).nodes)
    connect_ports(qtbot, window, ids[0], ids[2])
    connect_ports(qtbot, window, ids[0], ids[1])
    connect_ports(qtbot, window, ids[1], ids[2])  # width 4 into an Add of width 2
    assert "width" in window.statusBar().currentMessage()
    assert len(graph_of(window).edges) == 2


def test_inspector_edits_units_and_activation_with_undo_and_redo(qtbot, window):
    g = graph_of(window)
    click_node(qtbot, window, "dense1")
    assert window.scene.selected_node_ids() == ["dense1"]
    units = window.inspector.findChild(QSpinBox, "unitsSpin")
    assert units.isVisible() and units.value() == 4
    units.selectAll()
    qtbot.keyClicks(units, "7")
    qtbot.keyClick(units, Qt.Key.Key_Return)
    assert g.nodes["dense1"].params["units"] == 7
    assert window.inspector.params.text() == "2×7 + 7 = 21"
    assert len(window.scene.node_items["dense1"].neuron_centers()) == 7
    qtbot.keyClick(units, Qt.Key.Key_Up)
    qtbot.keyClick(units, Qt.Key.Key_Up)
    assert g.nodes["dense1"].params["units"] == 9
    combo = window.inspector.findChild(QComboBox, "activationCombo")
    combo.setFocus()
    combo.setCurrentText("leaky_relu")
    assert g.nodes["dense1"].params["activation"] == "leaky_relu"
    alpha = window.inspector.alpha
    assert alpha.isVisible() and alpha.value() == pytest.approx(0.01)
    assert window.inspector.form.labelForField(alpha).text() == "Slope α"
    alpha.setValue(0.2)
    assert g.nodes["dense1"].alpha == pytest.approx(0.2)

    stack = window.document.undo_stack
    window.act_undo.trigger()  # slope
    window.act_undo.trigger()  # activation
    assert g.nodes["dense1"].params["activation"] == "tanh" and combo.currentText() == "tanh"
    window.act_undo.trigger()  # all unit edits merged into one step
    assert g.nodes["dense1"].params["units"] == 4 and units.value() == 4
    assert stack.index() == 0
    window.act_redo.trigger()
    assert g.nodes["dense1"].params["units"] == 9
    window.act_redo.trigger()
    window.act_redo.trigger()
    assert g.nodes["dense1"].alpha == pytest.approx(0.2)


def test_keyboard_shortcuts_undo_redo_delete_select_all(qtbot, window):
    g = graph_of(window)
    window.activateWindow()
    window.view.setFocus()
    click_node(qtbot, window, "dense2")
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert "dense2" not in g.nodes and len(g.edges) == 1
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "dense2" in g.nodes and [(e.source, e.target) for e in g.edges] == [
        ("input", "dense1"), ("dense1", "dense2"), ("dense2", "output")]
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert "dense2" not in g.nodes
    qtbot.keyClick(window.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # nothing left to redo
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert sorted(window.scene.selected_node_ids()) == sorted(g.nodes)
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert g.nodes == {} and g.edges == []
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(g.nodes) == 4 and len(g.edges) == 3  # one step restores everything


def test_dragging_several_nodes_is_one_undo_step(qtbot, window):
    g = graph_of(window)
    click_node(qtbot, window, "dense1")
    click_node(qtbot, window, "dense2", Qt.KeyboardModifier.ControlModifier)
    assert sorted(window.scene.selected_node_ids()) == ["dense1", "dense2"]
    before = {n: g.nodes[n].position for n in g.nodes}
    item = window.scene.node_items["dense1"]
    start = item.mapToScene(QPointF(60, 10))
    mouse_drag(qtbot, window.view, start, start + QPointF(0, 120))
    for n in ("dense1", "dense2"):
        assert g.nodes[n].position[1] == pytest.approx(before[n][1] + 120, abs=2)
    assert g.nodes["input"].position == before["input"]
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.undoText() == "Move 2 nodes"
    window.act_undo.trigger()
    assert {n: g.nodes[n].position for n in g.nodes} == before
    assert window.scene.node_items["dense1"].pos() == QPointF(*before["dense1"])


def test_ctrl_click_toggles_and_rubber_band_selects(qtbot, window):
    click_node(qtbot, window, "dense1")
    click_node(qtbot, window, "dense1", Qt.KeyboardModifier.ControlModifier)
    assert window.scene.selected_node_ids() == []
    items = window.scene.node_items
    a = items["dense1"].mapToScene(QPointF(-20, -30))
    b = items["dense2"].mapToScene(QPointF(items["dense2"].size[0] + 20, items["dense2"].size[1] + 30))
    mouse_drag(qtbot, window.view, a, b)
    assert sorted(window.scene.selected_node_ids()) == ["dense1", "dense2"]
    assert window.document.undo_stack.count() == 0  # selecting is not an edit


def test_validation_is_live_red_outline_problems_list_and_train_tooltip(qtbot, window):
    g = graph_of(window)
    drop_from_palette(window, "dense", QPointF(0, 250))
    loose = [n for n in g.nodes if n.startswith("dense-")][0]
    item = window.scene.node_items[loose]
    assert any(p.severity == "error" for p in item.problems)
    assert "has no input connected" in item.toolTip()
    texts = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert "Dense 3: has no input connected" in texts  # its name, never its id
    assert not any(loose in t for t in texts)
    assert not window.play_button.isEnabled()
    assert "Dense 3" in window.play_button.toolTip() and "Cannot train" in window.play_button.toolTip()
    assert "error" in window.network_panel.state.text()
    window.problems.itemClicked.emit(window.problems.item(0))
    assert window.scene.selected_node_ids() == [loose]
    window.act_delete.trigger()
    assert "ready to train" in window.network_panel.state.text()
    # Step activation: a warning, shown but not blocking
    click_node(qtbot, window, "dense1")
    window.inspector.activation.setCurrentText("step")
    assert any(p.code == "zero_gradient" for p in window.scene.node_items["dense1"].problems)
    assert "zero gradient" in window.scene.node_items["dense1"].toolTip()


def test_opening_a_broken_file_leaves_the_document_untouched(window, gui_env):
    doc, before = window.document, graph_of(window).to_dict()
    bad = gui_env / "broken.json"
    bad.write_text('{"format": "nnbuilder-model", "version": 1, "graph": {"nodes": [{"id": "a", '
                   '"type": "dense", "params": {"units": 99999}}], "edges": []}}')
    with window.expect_errors():
        assert window.files.open_file(str(bad)) is False
    assert window.document is doc and graph_of(window).to_dict() == before
    title, text = window.errors[-1]
    assert title == "Cannot open file" and "$.graph.nodes[0].params.units" in text
    newer = gui_env / "newer.json"
    data = json.loads(json.dumps({"format": "nnbuilder-model", "version": 7, "graph": {"nodes": [], "edges": []}}))
    newer.write_text(json.dumps(data))
    with window.expect_errors():
        assert window.files.open_file(str(newer)) is False
    assert "newer nnbuilder" in window.errors[-1][1]
    (gui_env / "junk.json").write_text("{not json")
    with window.expect_errors():
        assert window.files.open_file(str(gui_env / "junk.json")) is False
    assert "not valid JSON" in window.errors[-1][1]
    assert window.document is doc


def test_window_opened_on_a_broken_path_falls_back_to_the_example(make_window, gui_env):
    (gui_env / "junk.json").write_text("[]")
    with make_window.expect_errors():
        w = make_window(str(gui_env / "junk.json"))
    assert w.errors[-1][0] == "Cannot open file" and len(graph_of(w).nodes) == 4


def test_unsaved_changes_ask_before_closing(qtbot, window, monkeypatch):
    drop_from_palette(window, "dropout", QPointF(0, 250))
    assert window.document.modified and window.isWindowModified()
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: "cancel")
    assert window.close() is False and window.isVisible()
    asked = []
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: asked.append(1) or "discard")
    assert window.close() is True and asked == [1]


def test_clean_close_removes_the_autosave(window):
    drop_from_palette(window, "dropout", QPointF(0, 250))
    assert window.files.autosave()
    data, _ = window.files.autosave_paths()
    assert data.exists()
    window.close()
    assert not data.exists()


def test_dropping_a_model_file_on_the_window_opens_it(window, gui_env):
    path = gui_env / "xor.json"
    save_model(path, ModelDocument(Graph.chain([2, 2, 1])))
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent
    from PySide6.QtWidgets import QApplication

    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    vp = window.view.viewport()
    for cls in (QDragEnterEvent, QDragMoveEvent):
        ev = cls(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                 Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, ev)
        assert ev.isAccepted()
    ev = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, ev)
    assert graph_of(window).total_params() == 9 and "xor.json" in window.windowTitle()


def test_export_png_svg_and_weights(window, gui_env, monkeypatch):
    png, svg = gui_env / "d.png", gui_env / "d.svg"
    assert window.files.export_png(str(png)) and window.files.export_svg(str(svg))
    img = QImage(str(png))
    rect = window.scene.itemsBoundingRect()
    assert img.width() >= rect.width() * 2 and img.height() >= rect.height() * 2
    assert "<svg" in svg.read_text() and "Dense" in svg.read_text()
    with window.expect_errors():
        assert window.files.export_weights() is False
    assert "No trained weights" in window.errors[-1][0]
    # A trained file exports its weights.
    from nnbuilder.cli import main

    trained = gui_env / "trained.json"
    assert main(["new", "2-3-1", "-o", str(gui_env / "m.json")]) == 0
    assert main(["train", str(gui_env / "m.json"), "--dataset", "xor", "--epochs", "2", "-o", str(trained)]) == 0
    window.files.open_file(str(trained))
    out = gui_env / "exported.json"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(out))
    assert window.files.export_weights()
    assert load_model(out).weights["dense1"]["W"].shape == (2, 3)


def test_zoom_fit_and_auto_layout(qtbot, window):
    view = window.view
    z = view.zoom()
    window.act_zoom_in.trigger()
    assert view.zoom() == pytest.approx(z * 1.25)
    window.act_zoom_out.trigger()
    assert view.zoom() == pytest.approx(z)
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    pos = QPointF(view.viewport().rect().center())
    ev = QWheelEvent(pos, view.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), ev)
    assert view.zoom() > z
    window.act_fit.trigger()
    rect = view.mapFromScene(window.scene.itemsBoundingRect()).boundingRect()
    assert view.viewport().rect().contains(rect)
    g = graph_of(window)
    g_before = {n: g.nodes[n].position for n in g.nodes}
    window.document.move({"output": (g.nodes["output"].position, (900, 700))})
    window.act_layout.trigger()
    xs = [g.nodes[n].position[0] for n in ("input", "dense1", "dense2", "output")]
    assert xs == sorted(xs) and len(set(xs)) == 4
    window.act_undo.trigger()
    assert g.nodes["output"].position == (900, 700)
    assert g_before["input"] == g.nodes["input"].position


def test_input_features_in_the_inspector(qtbot, window):
    click_node(qtbot, window, "input")
    insp = window.inspector
    insp.feature_checks["x1^2"].click()
    insp.feature_checks["sin(x1)"].click()
    g = graph_of(window)
    assert g.nodes["input"].params["features"] == ["x1", "x2", "x1^2", "sin(x1)"]
    assert g.param_count("dense1") == (20, "4×4 + 4 = 20")
    insp.feature_checks["x1"].click()
    insp.feature_checks["x2"].click()
    insp.feature_checks["x1^2"].click()
    insp.feature_checks["sin(x1)"].click()  # the last one cannot go
    assert g.nodes["input"].params["features"] == ["sin(x1)"]
    assert "at least one feature" in window.statusBar().currentMessage()
    assert insp.feature_checks["sin(x1)"].isChecked()


def test_dag_with_skip_connection_built_in_the_window(qtbot, window):
    g = graph_of(window)
    drop_from_palette(window, "add", QPointF(250, 250))
    add = [n for n in g.nodes if n.startswith("add-")][0]
    window.document.remove(edges=[Edge("dense2", "output")])
    connect_ports(qtbot, window, "dense1", add)
    connect_ports(qtbot, window, "dense2", add)
    connect_ports(qtbot, window, add, "output")
    assert g.validate() == []
    assert ("dense1", add) in window.scene.edge_items and (add, "output") in window.scene.edge_items


def test_theme_switch_keeps_the_diagram_legible(window):
    from PySide6.QtGui import QGuiApplication, QPalette

    window.set_theme("dark")
    assert QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 100
    assert window.theme_actions["dark"].isChecked()
    window.set_theme("light")
    assert QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() > 150


def test_docks_remember_their_place(make_window):
    w = make_window()
    dock = w.findChild(QDockWidget, "problemsDock")
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    w.close()
    again = make_window()
    assert again.dockWidgetArea(again.findChild(QDockWidget, "problemsDock")) == Qt.DockWidgetArea.RightDockWidgetArea


def test_palette_tooltips_give_formulas_and_double_click_adds(qtbot, window):
    pal = window.palette_list
    tips = {pal.item(i).data(Qt.ItemDataRole.UserRole): pal.item(i).toolTip() for i in range(pal.count())}
    assert "f(a), a = W x + b" in tips["dense"]  # the lecture's letters
    assert "leaky_relu: g(y) = y if y &gt;= 0 else a*y" in tips["activation"] or \
        "leaky_relu: g(y) = y if y >= 0 else a*y" in tips["activation"]
    assert set(tips) == {"input", "dense", "activation", "dropout", "add", "concat", "output"}
    n = len(graph_of(window).nodes)
    item = pal.item(1)
    rect = pal.visualItemRect(item)
    # A real double-click: a click, then the double-click event.
    qtbot.mouseClick(pal.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(pal.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(graph_of(window).nodes) == n + 1
    assert window.scene.selected_node_ids()[0].startswith("dense-")
    pal.setCurrentItem(pal.item(3))
    qtbot.keyClick(pal, Qt.Key.Key_Return)
    assert sorted(n.split("-")[0] for n in graph_of(window).nodes if "-" in n) == ["dense", "dropout"]


def test_gui_command_without_a_display_says_so(monkeypatch, capsys):
    from nnbuilder.cli import main

    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert main(["gui"]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "xvfb-run" in err and len(err.strip().splitlines()) == 1


def test_middle_drag_pans_and_wide_layers_show_a_bar(qtbot, window):
    view = window.view
    h0, v0 = view.horizontalScrollBar().value(), view.verticalScrollBar().value()
    vp = view.viewport()
    c = vp.rect().center()
    qtbot.mousePress(vp, Qt.MouseButton.MiddleButton, pos=c)
    from PySide6.QtCore import QPoint
    qtbot.mouseMove(vp, c + QPoint(-80, -50))
    qtbot.mouseRelease(vp, Qt.MouseButton.MiddleButton, pos=c + QPoint(-80, -50))
    assert view.horizontalScrollBar().value() == h0 + 80 and view.verticalScrollBar().value() == v0 + 50
    assert window.document.undo_stack.count() == 0
    window.document.set_params("dense1", units=64)
    item = window.scene.node_items["dense1"]
    assert item.neuron_centers() == [] and item.size[1] < 100
    assert window.scene.edge_items[("input", "dense1")].neuron_lines == []  # one curve, not 128 lines
    window.document.set_params("dense1", units=16)
    assert len(item.neuron_centers()) == 16
    assert len(window.scene.edge_items[("dense1", "dense2")].neuron_lines) == 16 * 4


def test_feature_toggles_on_the_input_node_change_width_and_count_and_undo(qtbot, window):
    g = graph_of(window)
    chips = window.scene.node_items["input"].feature_chips
    assert chips is not None and list(chips.names)[:2] == ["x1", "x2"]

    def click_chip(name):
        i = list(chips.names).index(name)
        pos = window.view.mapFromScene(chips.mapToScene(chips.chip_rect(i).center()))
        qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)

    click_chip("x1^2")
    click_chip("sin(x2)")
    assert g.nodes["input"].params["features"] == ["x1", "x2", "x1^2", "sin(x2)"]
    assert g.widths()["input"] == 4 and g.param_count("dense1") == (20, "4×4 + 4 = 20")
    assert len(window.scene.node_items["input"].neuron_centers()) == 4
    assert "(4×4 + 4)" in window.network_panel.total.text()
    click_chip("x1")
    assert g.nodes["input"].params["features"] == ["x2", "x1^2", "sin(x2)"]
    window.act_undo.trigger()
    window.act_undo.trigger()
    window.act_undo.trigger()
    assert g.nodes["input"].params["features"] == ["x1", "x2"] and g.total_params() == 37


def test_deleting_a_node_right_after_a_zoom_is_no_error(qtbot, window):
    """A zoom redraws a node's neuron thumbnails after the paint (a queued
    call); the node deleted before that call runs must not raise in it."""
    w = window
    w.step_button.click()
    qtbot.waitUntil(lambda: bool(w.scene.node_items["input"].maps), timeout=15000)
    w.view.zoom_by(1.5)
    w.view.viewport().repaint()  # painted at the new zoom: the thumbnails' redraw is queued
    w.select_node("input")
    w.act_delete.trigger()
    assert "input" not in w.document.graph.nodes
    done = []
    QTimer.singleShot(0, lambda: done.append(True))  # behind the queued redraw
    qtbot.waitUntil(lambda: bool(done))


def test_the_status_bar_counts_one_parameter_in_the_singular(qtbot, window):
    """A teacher's trial read "1 parameters": y = w x, one weight, no bias."""
    from nnbuilder.gui.diagram.document import Document

    g = Graph.chain([1, 1], output_activation="linear", loss="l2", bias=False)
    window.set_document(Document(ModelDocument(g)))
    assert g.total_params() == 1
    qtbot.waitUntil(lambda: window.params_label.text() == "1 parameter")
