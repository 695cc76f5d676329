"""The window from the keyboard: every layer and weight line of the diagram
reached and edited, connections made, every control named, the file dialogs'
Alt keys, and a network built and trained with keys alone (key events go to
the focused widget, as a keyboard's do)."""
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QRectF, Qt, QTimer
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QPushButton, QScrollArea, QWidget

from guitools import wait_drawn
from nnbuilder.core.files.modelfile import ModelDocument
from nnbuilder.core.model.graph import Graph
from nnbuilder.gui import MainWindow
from nnbuilder.gui.diagram.document import Document
from nnbuilder.gui.diagram.items import NodeItem
from nnbuilder.gui.diagram.keyboard import DIAGRAM_KEYS

# The real static dialogs, before a window fixture answers them for the test.
REAL_DIALOGS = {name: getattr(QFileDialog, name)
                for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory")}
# The window's own unsaved-changes question, before a window fixture answers it.
REAL_ASK_UNSAVED = MainWindow._ask_unsaved
WAIT = 30000
NO = Qt.KeyboardModifier.NoModifier


def press(qtbot, key, modifier=NO):
    """One key, to whatever widget has the keyboard focus (a letter: its character)."""
    focus = QApplication.focusWidget()
    assert focus is not None, "no widget has the keyboard focus"
    qtbot.keyClick(focus, key, modifier)


def tab_to(qtbot, wanted, limit=80, backwards=False):
    """Tab (Shift+Tab) until ``wanted(focus widget)`` holds; the presses it took."""
    for n in range(limit):
        if wanted(QApplication.focusWidget()):
            return n
        press(qtbot, Qt.Key.Key_Backtab if backwards else Qt.Key.Key_Tab,
              Qt.KeyboardModifier.ShiftModifier if backwards else NO)
    raise AssertionError(f"Tab never reached it; the focus is on {QApplication.focusWidget()!r}")


def selected(w):
    return w.scene.selectedItems()


def key_of(item):
    return item.node_id if isinstance(item, NodeItem) else item.key


def focus_diagram(qtbot, w):
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.view.setFocus(Qt.FocusReason.MouseFocusReason)
    w.scene.clearSelection()


def open_graph(w, graph: Graph):
    w.set_document(Document(ModelDocument(graph)))


# ------------------------------------------------------------ reaching things
def test_tab_reaches_every_layer_and_connection_once_then_leaves_the_diagram(qtbot, window):
    w = window
    focus_diagram(qtbot, w)
    seen = []
    press(qtbot, Qt.Key.Key_Tab)
    while QApplication.focusWidget() is w.view:
        (item,) = selected(w)
        seen.append(key_of(item))
        assert item.isSelected() and w.view.viewport().rect().intersects(
            w.view.mapFromScene(item.sceneBoundingRect()).boundingRect()), "selected out of sight"
        press(qtbot, Qt.Key.Key_Tab)
        assert len(seen) < 50
    g = w.document.graph
    everything = list(g.nodes) + [(e.source, e.target) for e in g.edges]
    assert sorted(map(str, seen)) == sorted(map(str, everything)), "each node and edge exactly once"
    # Left to right: the Input first, each node followed by its outgoing connections.
    assert seen[0] == list(g.nodes)[0] and seen[1] == (seen[0], list(g.nodes)[1])
    # Shift+Tab comes back into the diagram at its last item, and walks back.
    press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is w.view and key_of(selected(w)[0]) == seen[-1]
    press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert key_of(selected(w)[0]) == seen[-2]
    # Ctrl+Tab leaves at once.
    press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is not w.view


def in_sight(w, widget) -> bool:
    """On the screen: shown, inside the window, not in a panel behind another's tab."""
    top_left = widget.mapTo(w, QPoint(0, 0))
    return widget.isVisible() and w.rect().contains(top_left)


def test_tab_goes_round_the_window_and_never_takes_the_focus_out_of_sight(qtbot, window):
    """Tab walked into the Learn panel, the loss surface and the gradient
    plots while they lay behind other tabs (the focus out of sight for a
    dozen presses), and stopped on the panels' scroll areas, which show no
    focus: a panel the focus enters comes to the front, the scroll areas are no stops."""
    w = window
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.palette_list.setFocus(Qt.FocusReason.TabFocusReason)
    stops, unseen = [], []
    for _ in range(200):
        press(qtbot, Qt.Key.Key_Tab)
        focus = QApplication.focusWidget()
        if focus is w.palette_list:
            break
        stops.append(focus)
        if not in_sight(w, focus):
            unseen.append(f"{type(focus).__name__} {focus.objectName() or focus.accessibleName()}")
    else:
        raise AssertionError("Tab never came back round to the palette")
    assert unseen == []
    assert not [f for f in stops if type(f) is QScrollArea]
    in_dock = {name: any(dock.isAncestorOf(f) for f in stops) for name, dock in w.docks.items()}
    assert in_dock["learnDock"] and in_dock["surfaceDock"] and in_dock["gradientsDock"]  # reached, in sight


def test_arrows_follow_the_connections_and_enter_opens_the_inspector(qtbot, window):
    w = window
    inp, d1, d2, out = list(w.document.graph.nodes)
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_Home)
    assert w.scene.selected_node_ids() == [inp]
    path = []
    for _ in range(4):
        press(qtbot, Qt.Key.Key_Right)
        path.append(key_of(selected(w)[0]))
    assert path == [(inp, d1), d1, (d1, d2), d2]
    press(qtbot, Qt.Key.Key_Left)
    assert key_of(selected(w)[0]) == (d1, d2)
    press(qtbot, Qt.Key.Key_Left)
    assert w.scene.selected_node_ids() == [d1]
    assert "Dense 1" in w.statusBar().currentMessage() and "Enter" in w.statusBar().currentMessage()
    assert w.view.accessibleDescription() == w.statusBar().currentMessage()
    # Enter: the inspector edits the layer, its name field has the keyboard; Esc gives it back.
    press(qtbot, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is w.inspector.name and w.inspector.node_id == d1
    assert w.docks["inspectorDock"].isVisible()
    press(qtbot, Qt.Key.Key_A)  # typed over the selected name
    press(qtbot, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is w.view
    assert w.document.graph.nodes[d1].name == "a"
    assert w.scene.selected_node_ids() == [d1]
    press(qtbot, Qt.Key.Key_Escape)
    assert selected(w) == []


def test_up_and_down_choose_a_weight_line_and_enter_types_its_value(qtbot, window, monkeypatch):
    w = window
    inp, d1, d2, out = list(w.document.graph.nodes)
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, w, lambda s: s.step >= 1, running=False)
    qtbot.waitUntil(lambda: w.scene.edge_items[(d1, d2)].weights is not None)
    edge = w.scene.edge_items[(d1, d2)]
    W = np.array(w.run.current_weights()[d2]["W"])
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_Home)
    for _ in range(3):
        press(qtbot, Qt.Key.Key_Right)
    assert selected(w) == [edge] and edge.cursor is None
    chosen = []
    for _ in range(W.size + 1):  # every weight line in turn, then the first again
        press(qtbot, Qt.Key.Key_Down)
        chosen.append(edge.cursor_weight())
        assert w.learn.weight is not None and (w.learn.weight.node, w.learn.weight.row,
                                               w.learn.weight.col) == (d2, *chosen[-1])
    assert chosen[:-1] == [(i, j) for i in range(W.shape[0]) for j in range(W.shape[1])]
    assert chosen[-1] == (0, 0)
    press(qtbot, Qt.Key.Key_Up)
    i, j = edge.cursor_weight()
    assert (i, j) == (W.shape[0] - 1, W.shape[1] - 1)
    assert f"w = {W[i, j]:.5g}" in w.statusBar().currentMessage()
    # Counted from 1 and named as the value dialog and the pointer's tool tip name it
    # (it read "Dense 1[0] → Dense 2[1]" beside a dialog asking for "W[1, 2]").
    assert f"Weight Dense 2 W[{i + 1}, {j + 1}]: Dense 1[{i + 1}] → Dense 2[{j + 1}]," in \
        w.statusBar().currentMessage()
    # The line outlined is that weight's: from neuron i of Dense 1 to neuron j of Dense 2.
    line = edge._cursor_item.path()
    a, b = w.scene.node_items[d1].neuron_centers()[i], w.scene.node_items[d2].neuron_centers()[j]
    assert edge._cursor_item.isVisible() and line.elementAt(0).x < line.elementAt(1).x
    assert abs(line.elementAt(0).y - a.y()) < 1e-6 and abs(line.elementAt(1).y - b.y()) < 1e-6
    asked = []
    monkeypatch.setattr(MainWindow, "_ask_weight", lambda self, *a: asked.append(a) or 0.625)
    press(qtbot, Qt.Key.Key_Return)
    assert asked == [(d2, i, j, W[i, j])]
    qtbot.waitUntil(lambda: w.run.current_weights()[d2]["W"][i, j] == 0.625, timeout=WAIT)
    assert w.document.undo_stack.text(w.document.undo_stack.index() - 1).startswith("Set Dense 2: W[")


def test_enter_on_a_connection_without_weights_says_why(qtbot, window):
    w = window
    g = Graph()
    g.add_node("input", node_id="in", position=(0, 0))
    g.add_node("dense", node_id="a", position=(250, -100))
    g.add_node("dense", node_id="b", position=(250, 100))
    g.add_node("add", node_id="sum", position=(500, 0))
    for s, t in [("in", "a"), ("in", "b"), ("a", "sum"), ("b", "sum")]:
        g.connect(s, t)
    open_graph(w, g)
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_End)  # the last layer: the Add
    assert w.scene.selected_node_ids() == ["sum"]
    press(qtbot, Qt.Key.Key_Left)
    assert key_of(selected(w)[0]) == ("a", "sum")  # the upper of its two inputs
    press(qtbot, Qt.Key.Key_Return)
    assert "has no weights" in w.statusBar().currentMessage()
    press(qtbot, Qt.Key.Key_Left)
    press(qtbot, Qt.Key.Key_Down)  # from a: the layer below it
    assert w.scene.selected_node_ids() == ["b"]
    press(qtbot, Qt.Key.Key_Left)
    press(qtbot, Qt.Key.Key_Return)  # in -> b: untrained, so nothing to type in yet
    assert "Train or step once" in w.statusBar().currentMessage()


def test_shift_and_the_arrows_move_a_layer_as_one_undo_step(qtbot, window):
    w = window
    g, stack = w.document.graph, w.document.undo_stack
    inp, d1, d2, out = list(g.nodes)
    x, y = g.nodes[d1].position
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_Home)
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Right)
    index = stack.index()
    shift = Qt.KeyboardModifier.ShiftModifier
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Down):
        press(qtbot, key, shift)
    assert g.nodes[d1].position == (x + 60, y + 20)
    item = w.scene.node_items[d1]
    assert (item.pos().x(), item.pos().y()) == (x + 60, y + 20)
    assert stack.index() == index + 1 and stack.text(index) == "Move"
    assert w.scene.selected_node_ids() == [d1], "the selection stays on the layer moved"
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert g.nodes[d1].position == (x, y) and stack.index() == index
    for key in (Qt.Key.Key_Left, Qt.Key.Key_Right):  # there and back: no step at all
        press(qtbot, key, shift)
    assert g.nodes[d1].position == (x, y) and stack.index() == index and not stack.canRedo()


# ------------------------------------------------------------ connecting
def test_c_connects_the_selected_layer_to_the_one_chosen_by_key_as_one_undo_step(qtbot, window):
    w = window
    g = Graph()
    g.add_node("input", node_id="in", position=(0, 0))
    g.add_node("dense", node_id="d", position=(250, 0))
    g.add_node("output", node_id="out", position=(500, 0))
    g.connect("in", "d")
    open_graph(w, g)
    g = w.document.graph
    stack = w.document.undo_stack
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_Home)
    press(qtbot, Qt.Key.Key_C)
    # in -> d exists: the first target offered is the next layer that takes a connection.
    assert w.scene.linking and "Connect Input → Output?" in w.statusBar().currentMessage()
    press(qtbot, Qt.Key.Key_Tab)  # in -> d again: refused, and said so
    assert "cannot be connected" in w.statusBar().currentMessage()
    assert QApplication.focusWidget() is w.view, "Tab chose a target, the focus stayed"
    press(qtbot, Qt.Key.Key_Escape)
    assert not w.scene.linking and [(e.source, e.target) for e in g.edges] == [("in", "d")]
    assert stack.index() == 0
    # From Dense: C, Enter connects to the Output; the Output is selected next.
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Right)
    assert w.scene.selected_node_ids() == ["d"]
    press(qtbot, Qt.Key.Key_C)
    press(qtbot, Qt.Key.Key_Return)
    assert [(e.source, e.target) for e in g.edges] == [("in", "d"), ("d", "out")]
    assert stack.index() == 1 and stack.text(0) == "Connect"
    assert w.statusBar().currentMessage() == "Connected Dense 1 → Output"
    assert w.scene.selected_node_ids() == ["out"] and not w.scene.linking
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(e.source, e.target) for e in g.edges] == [("in", "d")]
    # The Output has no output port: C says so and draws nothing.
    press(qtbot, Qt.Key.Key_End)
    press(qtbot, Qt.Key.Key_C)
    assert not w.scene.linking and "no output" in w.statusBar().currentMessage()


def test_the_connect_action_lists_c_and_a_click_elsewhere_ends_a_keyboard_connection(qtbot, window):
    w = window
    assert w.act_connect.shortcut().toString() == "C" and "C" in w.act_connect.toolTip()
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_Home)
    w.act_connect.trigger()  # Edit > Connect, as from the menu
    assert w.scene.linking
    w.training_panel.dataset.setFocus(Qt.FocusReason.MouseFocusReason)
    assert not w.scene.linking and w.scene.keys.link is None
    # A C typed in a text field stays there.
    w.inspector.name.setFocus()
    qtbot.keyClick(w.inspector.name, Qt.Key.Key_C)
    assert not w.scene.linking


def test_help_lists_the_windows_keys_and_the_diagrams(qtbot, window):
    window.act_shortcuts.trigger()
    dialog = window.shortcuts_dialog
    assert dialog.isVisible() and not dialog.isModal()
    text = dialog.text.toPlainText()
    for keys, what in DIAGRAM_KEYS:
        assert keys in text and what in text
    for action in (window.act_new, window.act_undo, window.act_connect, window.act_fit):
        assert action.shortcut().toString(action.shortcut().SequenceFormat.NativeText) in text
    assert "Connect" in text and "Space" in text
    tables = dialog.text.document().rootFrame().childFrames()
    rows = [[t.cellAt(r, c).firstCursorPosition().block().text() for c in range(2)]
            for t in tables for r in range(t.rows())]
    assert len(tables) == 2 and len(rows) > 20
    assert all(k.strip() and v.strip() for k, v in rows), [r for r in rows if not all(r)]
    # The README's table has the diagram's keys too.
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for keys, what in DIAGRAM_KEYS:
        assert f"| {keys} | {what} |" in readme, keys


def test_the_shortcuts_window_is_the_main_windows_tool_window_and_esc_closes_it(qtbot, window):
    """The trial's finding: it stayed on top of everything. A tool window of
    the main window (WM_TRANSIENT_FOR it, never 'stays on top'), not modal,
    shut by Esc from where the keyboard is in it."""
    window.act_shortcuts.trigger()
    dialog = window.shortcuts_dialog
    qtbot.waitUntil(dialog.isVisible)
    flags = dialog.windowFlags()
    assert flags & Qt.WindowType.WindowType_Mask == Qt.WindowType.Tool
    assert not flags & Qt.WindowType.WindowStaysOnTopHint and not dialog.isModal()
    assert dialog.parentWidget() is window
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    assert dialog.isAncestorOf(QApplication.focusWidget())
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible() and QApplication.activeWindow() is window)
    window.act_shortcuts.trigger()  # again: the same window, shown
    assert window.shortcuts_dialog is dialog and dialog.isVisible()
    dialog.close()


# ------------------------------------------------------------ names, dialogs
def accessible_name(widget) -> str:
    """What a screen reader says the control is: its accessible name, its
    text, or the label that is its buddy (Qt's own rule, through QAccessible)."""
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def test_every_control_that_takes_the_keyboard_has_a_name(qtbot, window):
    w = window
    w.show_lessons()
    unnamed, checked = set(), set()
    for dock in w.docks.values():  # each panel in front in turn (tabbed ones are hidden behind)
        dock.show()
        dock.raise_()
        qtbot.waitUntil(lambda: dock.widget().isVisible())
        for c in w.findChildren(QWidget):
            if (not c.isVisible() or not c.focusPolicy() & Qt.FocusPolicy.TabFocus
                    or c.focusProxy() is not None):  # a part of a control (a spin box's text) is the control's
                continue
            checked.add(c)
            if not accessible_name(c):
                unnamed.add(f"{type(c).__name__} {c.objectName()!r} in {c.parent().objectName()!r}")
    assert len(checked) > 40
    assert not unnamed, "\n".join(sorted(unnamed))


def test_the_file_dialogs_buttons_have_alt_keys(qtbot, window, monkeypatch):
    for name, real in REAL_DIALOGS.items():
        monkeypatch.setattr(QFileDialog, name, real)
    seen = {}

    def read_and_close(kind):
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, lambda: read_and_close(kind))
            return
        seen[kind] = [b.text() for b in dialog.findChildren(QPushButton) if b.isVisible()]
        dialog.reject()

    for kind, ask in (("open", lambda: window._ask_open_path()),
                      ("save", lambda: window._ask_save_path("Save network", "x.json", "*.json")),
                      ("folder", lambda: window._ask_folder("Export plots"))):
        QTimer.singleShot(0, lambda kind=kind: read_and_close(kind))
        assert ask() == ""
    assert set(seen) == {"open", "save", "folder"}
    for kind, texts in seen.items():
        assert len(texts) >= 2, (kind, texts)
        keys = [t[t.index("&") + 1].lower() for t in texts if "&" in t]
        assert len(keys) == len(texts) and len(set(keys)) == len(keys), (kind, texts)
    assert "&Cancel" in seen["open"]


def test_the_unsaved_changes_boxs_buttons_answer_their_alt_keys(qtbot, window):
    """The trial's finding: Alt+D did nothing in "Save changes?". Each button
    has its own Alt key, pressed on the box as a keyboard would; Esc cancels."""
    seen, stuck = [], []

    def press_in_box(key, modifier):
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, lambda: press_in_box(key, modifier))
            return
        seen.append([b.text() for b in box.buttons()])
        qtbot.waitUntil(lambda: QApplication.activeWindow() is box)
        qtbot.keyClick(box, key, modifier)
        try:
            qtbot.waitUntil(lambda: not box.isVisible(), timeout=5000)
        except AssertionError:  # the key did nothing: close it, the test fails below
            stuck.append(key)
            box.reject()

    alt = Qt.KeyboardModifier.AltModifier
    for key, modifier, answer in ((Qt.Key.Key_D, alt, "discard"), (Qt.Key.Key_S, alt, "save"),
                                  (Qt.Key.Key_C, alt, "cancel"), (Qt.Key.Key_Escape, NO, "cancel")):
        QTimer.singleShot(0, lambda key=key, modifier=modifier: press_in_box(key, modifier))
        assert REAL_ASK_UNSAVED(window) == answer and not stuck, (key, seen[-1])
    keys = [t[t.index("&") + 1].lower() for t in seen[0] if "&" in t]
    assert len(keys) == 3 and len(set(keys)) == 3, seen[0]
    assert any(t.replace("&", "") == "Don't save" for t in seen[0]), seen[0]


def test_space_on_a_combo_box_chosen_with_the_pointer_trains_and_pauses(qtbot, window):
    """The screen trial: a loss chosen from its list, then Space to pause
    opened the list again and training went on. Space trains and pauses."""
    w = window
    focus_diagram(qtbot, w)
    combo = w.training_panel.optimizer
    combo.setFocus(Qt.FocusReason.MouseFocusReason)  # where a choice with the pointer leaves the keyboard
    qtbot.waitUntil(combo.hasFocus)
    press(qtbot, Qt.Key.Key_Space)
    wait_drawn(qtbot, w, lambda s: s.step > 0, running=True, timeout=WAIT)
    assert not combo.view().isVisible(), "Space opened the list"
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not w.run.running, timeout=WAIT)
    assert not combo.view().isVisible()


def test_space_presses_a_focused_check_box_and_trains_elsewhere(qtbot, window):
    w = window
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_Home)
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Right)  # Dense 1
    press(qtbot, Qt.Key.Key_Return)
    tab_to(qtbot, lambda f: f is w.inspector.bias, limit=30)
    node = w.inspector.node_id
    assert w.document.graph.nodes[node].params["bias"] is True
    press(qtbot, Qt.Key.Key_Space)
    assert w.document.graph.nodes[node].params["bias"] is False
    assert w.run.worker is None, "Space on a check box started training"
    press(qtbot, Qt.Key.Key_Escape)
    press(qtbot, Qt.Key.Key_Space)  # in the diagram: Train
    wait_drawn(qtbot, w, lambda s: s.step > 0, running=True, timeout=WAIT)


# ------------------------------------------------------------ keys alone
def test_build_the_3_4_2_network_and_train_it_with_the_keyboard_alone(qtbot, window, monkeypatch):
    """New, three layers from the palette, a connection made again with C,
    the widths and the loss set in the inspector, the data chosen, Train,
    pause, then a weight line chosen and its value typed: keys only."""
    w = window
    K = Qt.Key
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w and QApplication.focusWidget() is not None)
    press(qtbot, K.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert w.document.graph.nodes == {}
    tab_to(qtbot, lambda f: f is w.palette_list)
    press(qtbot, K.Key_Home)  # Input
    press(qtbot, K.Key_Return)
    press(qtbot, K.Key_Right)  # Dense
    press(qtbot, K.Key_Return)
    press(qtbot, K.Key_End)  # Output
    press(qtbot, K.Key_Return)
    g = w.document.graph
    inp, dense, out = list(g.nodes)
    assert [g.nodes[n].type for n in (inp, dense, out)] == ["input", "dense", "output"]
    # Into the diagram; take the Dense -> Output connection away and make it again with C.
    tab_to(qtbot, lambda f: f is w.view)
    press(qtbot, K.Key_Home)
    for _ in range(3):
        press(qtbot, K.Key_Right)
    assert key_of(selected(w)[0]) == (dense, out)
    press(qtbot, K.Key_Delete)
    assert [(e.source, e.target) for e in g.edges] == [(inp, dense)]
    press(qtbot, K.Key_Home)
    press(qtbot, K.Key_Right)
    press(qtbot, K.Key_Right)
    press(qtbot, K.Key_C)
    press(qtbot, K.Key_Return)
    assert [(e.source, e.target) for e in g.edges] == [(inp, dense), (dense, out)]

    def edit(node_id, widget, keys):
        """Enter on the node, Tab to ``widget``, press ``keys``, Esc back to the diagram."""
        while w.scene.selected_node_ids() != [node_id]:
            press(qtbot, K.Key_Tab)
        press(qtbot, K.Key_Return)
        tab_to(qtbot, lambda f: f is widget, limit=30)
        keys()
        press(qtbot, K.Key_Escape)
        assert QApplication.focusWidget() is w.view

    def type_number(text):
        press(qtbot, K.Key_A, Qt.KeyboardModifier.ControlModifier)
        for ch in text:
            press(qtbot, ch)
        press(qtbot, K.Key_Return)

    def choose(combo, text):
        def keys():
            for _ in range(combo.count()):
                if combo.currentText() == text:
                    return
                press(qtbot, K.Key_Down)
            raise AssertionError(f"{text} is not in {combo.objectName()}")
        return keys

    insp = w.inspector
    press(qtbot, K.Key_Home)  # the Input: a third feature, x1*x2, with Space on its check box
    edit(inp, insp.feature_checks["x1*x2"], lambda: press(qtbot, K.Key_Space))
    assert g.nodes[inp].params["features"] == ["x1", "x2", "x1*x2"]
    assert w.run.snapshot is None or not w.run.running, "Space on a check box does not train"
    edit(dense, insp.units, lambda: type_number("4"))
    edit(out, insp.units, lambda: type_number("2"))
    edit(out, insp.activation, choose(insp.activation, "softmax"))
    edit(out, insp.loss, choose(insp.loss, "cross_entropy"))
    p = g.nodes[out].params
    assert (g.nodes[dense].params["units"], p["units"], p["activation"], p["loss"]) == \
        (4, 2, "softmax", "cross_entropy")
    assert [x for x in g.validate() if x.severity == "error"] == []
    assert g.total_params() == (3 * 4 + 4) + (4 * 2 + 2)
    assert w.play_button.isEnabled()
    # The data: the XOR set, from the Training panel's combo box; back to the diagram.
    data = w.training_panel.dataset
    tab_to(qtbot, lambda f: f is data)
    choose(data, "xor")()
    assert w.document.dataset["name"] == "xor"
    tab_to(qtbot, lambda f: f is w.view)
    # Train with Space in the diagram, until the epochs advance; Space again pauses.
    press(qtbot, K.Key_Space)
    wait_drawn(qtbot, w, lambda s: s.epoch >= 3, running=True, timeout=WAIT)
    press(qtbot, K.Key_Space)
    snap = wait_drawn(qtbot, w, running=False, timeout=WAIT)
    assert snap.epoch >= 3 and np.isfinite(snap.last["train_loss"])
    assert np.shape(w.run.current_weights()[out]["W"]) == (4, 2)
    assert np.shape(w.run.current_weights()[dense]["W"]) == (3, 4)
    # Paused: the Dense -> Output connection, its third weight line, Enter types its value.
    press(qtbot, K.Key_Home)
    for _ in range(3):
        press(qtbot, K.Key_Right)
    edge = w.scene.edge_items[(dense, out)]
    qtbot.waitUntil(lambda: edge.weights is not None)
    assert selected(w) == [edge] and w.view.focus_item() is edge
    for _ in range(3):
        press(qtbot, K.Key_Down)
    i, j = edge.cursor_weight()
    assert (i, j) == (1, 0)  # row by row: (0, 0), (0, 1), (1, 0)
    before = float(w.run.current_weights()[out]["W"][i, j])
    asked = []
    monkeypatch.setattr(MainWindow, "_ask_weight", lambda self, *a: asked.append(a) or 0.75)
    press(qtbot, K.Key_Return)
    assert asked == [(out, i, j, before)]
    qtbot.waitUntil(lambda: w.run.current_weights()[out]["W"][i, j] == 0.75, timeout=WAIT)
    assert QApplication.focusWidget() is w.view and selected(w) == [edge]


# ------------------------------------------------------------ the focus ring
def ring_share(image, view, band) -> float:
    """The share of columns of ``band`` (a scene rectangle, a strip beside an
    item) in which some pixel stands out from the diagram's ground by 3:1."""
    from screencheck import _pixels, contrast

    px = _pixels(image, view.mapFromScene(band).boundingRect())
    flat = image.convertToFormat(image.Format.Format_RGB888)
    ground = flat.pixelColor(5, 5)  # a corner of the diagram: its ground (the dots are faint)
    g = (ground.red(), ground.green(), ground.blue())
    strong = np.array([[contrast(tuple(c), g) >= 3 for c in row] for row in px])
    return float(strong.any(axis=0).mean())


def test_the_item_the_keyboard_is_on_has_a_focus_ring_in_both_themes(qtbot, window):
    """The trial's finding: Tab and the arrows moved over the diagram with
    nothing drawn to show where. A ring a few pixels outside the layer (the
    selection's solid border hugs it) or around a connection's lines, in a
    colour that stands out in either theme, while the diagram has the focus;
    it moves with the keyboard and goes when the focus leaves, though the
    item stays selected."""
    w = window
    view = w.view

    def shot():
        QApplication.processEvents()
        return view.viewport().grab().toImage()

    try:
        for theme in ("light", "dark"):
            w.set_theme(theme)
            focus_diagram(qtbot, w)
            w.scene.keys.forget()
            view.reset_zoom()
            press(qtbot, Qt.Key.Key_Tab)  # the first layer
            (node,) = selected(w)
            view.centerOn(node)
            box = node.mapRectToScene(node.shape().boundingRect())
            inner = box.adjusted(14, 0, -14, 0)  # its top and bottom sides, clear of the rounded corners
            around_node = [inner.adjusted(0, -8, 0, -box.height() - 2), inner.adjusted(0, box.height() + 2, 0, 8)]
            on_node = shot()
            press(qtbot, Qt.Key.Key_Tab)  # its first connection
            (edge,) = selected(w)
            src = edge.source.mapRectToScene(edge.source.shape().boundingRect())
            dst = edge.target.mapRectToScene(edge.target.shape().boundingRect())
            top = min(min(p.y(), q.y()) for p, q in edge.neuron_lines)
            above_edge = [QRectF(src.right() + 20, top - 8, dst.left() - src.right() - 40, 7)]  # over its lines
            on_edge = shot()
            w.palette_list.setFocus(Qt.FocusReason.OtherFocusReason)  # the keyboard elsewhere
            qtbot.waitUntil(lambda: not view.hasFocus())
            assert edge.isSelected()
            away = shot()
            for image, ringed, bands in ((on_node, True, around_node), (on_edge, False, around_node),
                                         (on_edge, True, above_edge), (on_node, False, above_edge),
                                         (away, False, above_edge)):
                for band in bands:
                    share = ring_share(image, view, band)
                    assert share > 0.35 if ringed else share < 0.05, (theme, bands is above_edge, ringed, share)
    finally:
        w.set_theme("light")


def test_step_reset_and_the_speed_are_in_the_run_menu_and_on_keys(qtbot, window):
    """The screen trial: 45 Tabs never reached Step, Reset or the speed box
    and no key did them. The Run menu has them, Ctrl+. steps one batch,
    Ctrl+Shift+. to the epoch's end, Ctrl+R resets; the speed is a choice of
    the menu's, mirrored by the toolbar's box."""
    from PySide6.QtWidgets import QMenu

    w = window
    run_menu = w.findChild(QMenu, "runMenu")
    assert run_menu.menuAction() in w.menuBar().actions()
    names = [a.objectName() for a in run_menu.actions()]
    assert names[:3] == ["actionTrain", "actionStep", "actionStepEpoch"] and "actionReset" in names
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    wait_drawn(qtbot, w, lambda s: s.step == 1)
    press(qtbot, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_drawn(qtbot, w, lambda s: s.epoch == 1)
    press(qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    wait_drawn(qtbot, w, lambda s: s.step == 0)
    speed = w.training_panel.speed
    menu_speeds = run_menu.findChild(QMenu, "speedMenu").actions()
    assert [a.text() for a in menu_speeds] == [speed.itemText(i) for i in range(speed.count())]
    menu_speeds[1].trigger()
    assert speed.currentIndex() == 1
    speed.setCurrentIndex(0)
    assert menu_speeds[0].isChecked() and not menu_speeds[1].isChecked()


def test_tab_leaves_the_inspectors_weight_grid(qtbot, window):
    """The screen trial: Tab went from cell to cell of the Inspector's W/b
    grid and never out (27 Tabs, back on the same cell)."""
    from PySide6.QtWidgets import QTableWidget

    w = window
    w.run.step(False)  # weights to show (paused)
    wait_drawn(qtbot, w, lambda s: s.step == 1)
    node = next(n for n, node in w.document.graph.nodes.items() if node.type == "dense")
    w.select_node(node)
    w.docks["inspectorDock"].raise_()
    grid = w.inspector.findChild(QTableWidget, "weightsGrid")
    qtbot.waitUntil(grid.isVisible, timeout=WAIT)
    grid.setFocus()
    qtbot.waitUntil(grid.hasFocus)
    press(qtbot, Qt.Key.Key_Tab)
    assert not grid.hasFocus() and QApplication.focusWidget() is not grid.viewport()


def test_the_keyboards_layer_and_the_target_it_proposes_are_scrolled_into_view(qtbot, window):
    """The screen trial at 1024x700: the diagram scrolls (Fit keeps text
    readable), and Home/End or C's proposed target could be off screen, with
    only the status bar saying what was chosen."""
    from test_gui_window_sizes import resize, settle

    w = window
    resize(qtbot, w, 1024, 700)
    w.act_fit.trigger()
    settle(qtbot)

    def in_view(item) -> bool:
        shown = w.view.mapToScene(w.view.viewport().rect()).boundingRect()
        return shown.contains(item.sceneBoundingRect().center())

    nodes = sorted((i for i in w.scene.items() if isinstance(i, NodeItem)), key=lambda i: i.scenePos().x())
    assert not all(in_view(n) for n in nodes), "the network fits: nothing to scroll at this size"
    focus_diagram(qtbot, w)
    press(qtbot, Qt.Key.Key_End)
    assert w.scene.selectedItems() == [nodes[-1]] and in_view(nodes[-1])
    press(qtbot, Qt.Key.Key_Home)
    assert w.scene.selectedItems() == [nodes[0]] and in_view(nodes[0])
    press(qtbot, Qt.Key.Key_C)  # connect from the first layer: each proposed target comes into view
    for _ in range(len(nodes)):
        proposed = next(n for n in nodes if n.in_port is not None and n.in_port.hovered)
        assert in_view(proposed), proposed.node_id
        press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Escape)
