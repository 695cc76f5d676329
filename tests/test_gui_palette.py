"""The palette's double-click placement and the wheel guard, on the offscreen
platform (tests/test_real_pointer.py does the same gestures with a real pointer)."""
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (QAbstractItemView, QAbstractSpinBox, QApplication, QComboBox, QDialog,
                               QSpinBox, QVBoxLayout)

from guitools import click_node, pause, wait_drawn
from nnbuilder.gui.diagram.node_geometry import node_size
from test_gui_import import open_import, write


def press_enter_on(qtbot, window, node_type: str) -> str:
    """Enter on a palette entry (what a double-click does); the new node's id."""
    pal = window.palette_list
    before = set(window.document.graph.nodes)
    pal.setCurrentItem(next(pal.item(i) for i in range(pal.count())
                            if pal.item(i).data(Qt.ItemDataRole.UserRole) == node_type))
    qtbot.keyClick(pal, Qt.Key.Key_Return)
    (new,) = set(window.document.graph.nodes) - before
    return new


def boxes_overlap(graph, a: str, b: str) -> bool:
    (ax, ay), (bx, by) = graph.nodes[a].position, graph.nodes[b].position
    (aw, ah), (bw, bh) = node_size(graph, a), node_size(graph, b)
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def test_the_palette_drags_copies(qapp):
    from nnbuilder.gui.diagram.palette import LayerPalette

    pal = LayerPalette()
    assert pal.dragEnabled(), "setMovement(Static) switched dragging off"
    assert pal.dragDropMode() == QAbstractItemView.DragDropMode.DragOnly
    assert pal.defaultDropAction() == Qt.DropAction.CopyAction


def test_four_double_clicks_build_a_network_that_can_train(qtbot, window):
    window.act_new.trigger()
    ids = [press_enter_on(qtbot, window, t) for t in ("input", "dense", "dense", "output")]
    g = window.document.graph
    assert [(e.source, e.target) for e in g.edges] == list(zip(ids, ids[1:]))
    assert [p for p in g.validate() if p.severity == "error"] == []
    xs = [g.nodes[n].position[0] for n in ids]
    assert xs == sorted(xs) and len(set(xs)) == 4, "each one right of the one before"
    assert window.scene.selected_node_ids() == [ids[-1]]


def test_a_double_click_places_in_free_space_right_of_the_selection_as_one_undo_step(qtbot, window):
    g = window.document.graph
    inp, d1, d2, out = list(g.nodes)
    click_node(qtbot, window, d1)
    edges, stack = list(g.edges), window.document.undo_stack
    index = stack.index()
    new = press_enter_on(qtbot, window, "dense")
    assert g.nodes[new].position[0] > g.nodes[d1].position[0] + node_size(g, d1)[0]
    assert not any(boxes_overlap(g, new, n) for n in g.nodes if n != new), "placed on top of a node"
    assert g.edges[-1].source == d1 and g.edges[-1].target == new
    assert stack.index() == index + 1 and stack.text(index) == "Add Dense"
    stack.undo()
    assert new not in g.nodes and g.edges == edges


def test_a_refused_connection_is_explained_and_merge_layers_are_connected(qtbot, window):
    g = window.document.graph
    out = list(g.nodes)[-1]
    # An Output with its input goes after the new layer (test_gui_engineer); without one
    # there is nothing to insert into: the layer goes right of it, unconnected, and says why.
    window.document.remove(edges=[e for e in g.edges if e.target == out])
    window.scene.clearSelection()  # none selected: after the last one added (the Output)
    new = press_enter_on(qtbot, window, "dense")
    assert g.inputs_of(new) == [] and not boxes_overlap(g, new, out)
    assert "feeds only the loss" in window.statusBar().currentMessage()
    dense = list(g.nodes)[2]
    click_node(qtbot, window, dense)
    add = press_enter_on(qtbot, window, "add")
    assert g.inputs_of(add) == [dense]
    inp = press_enter_on(qtbot, window, "input")  # nothing to connect into an Input
    assert g.inputs_of(inp) == [] and g.outputs_of(add) == []


def wheel(widget, dy: int = -120) -> QWheelEvent:
    pos = QPointF(widget.rect().center())
    ev = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(), QPoint(0, dy),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                     False)
    QApplication.sendEvent(widget, ev)
    return ev


def guarded(widget) -> list:
    """The combo and spin boxes on screen (a hidden one is guarded when it shows)."""
    return [w for w in widget.findChildren(QComboBox) + widget.findChildren(QAbstractSpinBox)
            if w.isVisible()]


def test_only_a_focused_combo_box_takes_the_wheel(qtbot, window):
    combo = window.training_panel.dataset
    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus)
    before, dataset = combo.currentText(), dict(window.document.dataset)
    ev = wheel(combo)
    assert combo.currentText() == before and window.document.dataset == dataset
    assert not ev.isAccepted(), "the wheel should go on to the scroll area"
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo)
    assert combo.currentText() != before, "a focused combo box still takes the wheel"


def test_every_combo_and_spin_box_takes_the_focus_by_click_not_by_wheel(qtbot, window, tmp_path, monkeypatch):
    click_node(qtbot, window, list(window.document.graph.nodes)[1])  # the inspector's rows
    later = QDialog(window)  # a dialog made after the window
    later.setLayout(QVBoxLayout())
    later.layout().addWidget(QSpinBox())
    later.show()
    dialog = open_import(qtbot, window, write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n"), monkeypatch)
    widgets = guarded(window) + guarded(later) + guarded(dialog)
    assert len(widgets) > 10 and any(w.window() is dialog for w in widgets)
    assert [w for w in widgets if w.focusPolicy() != Qt.FocusPolicy.StrongFocus] == []
    dialog.reject()
    later.close()


def test_the_wheel_guard_filters_the_events_of_the_controls_it_guards_alone(qtbot, make_window, monkeypatch):
    """Not every event of the application (about 80 a frame while the run draws)."""
    from nnbuilder.gui.window import wheel_guard
    from nnbuilder.gui.window.wheel_guard import GUARDED, WheelGuard

    class SpyGuard(WheelGuard):
        """The guard, noting what it filters while ``seen`` is a list."""
        seen = None

        def eventFilter(self, obj, event):
            if self.seen is not None:
                self.seen.append(obj)
            return super().eventFilter(obj, event)

    spy = SpyGuard(QApplication.instance())  # the guard the new window finds
    monkeypatch.setattr(wheel_guard, "GUARD_NAME", "spiedWheelGuard")
    spy.setObjectName("spiedWheelGuard")
    spy.seen = seen = []
    try:
        w = make_window()
        w.show()
        qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
        wait_drawn(qtbot, w, until=lambda s: s.epoch >= 3, running=True)
        pause(qtbot, w)
        combo = w.training_panel.dataset
        w.view.setFocus()
        qtbot.waitUntil(w.view.hasFocus)
        before = combo.currentText()
        assert not wheel(combo).isAccepted() and combo.currentText() == before
    finally:
        spy.seen = None  # it goes on guarding like any guard
    assert combo in seen
    assert [type(o).__name__ for o in seen if not isinstance(o, GUARDED)] == []


def test_a_layer_dropped_on_another_lands_beside_it_not_on_it(qtbot, window):
    """The screen trial: three layers dropped in a row landed on top of each
    other (the view had zoomed after the first). A drop on a node goes as
    little lower down as it takes to cover nothing; one undo step each."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from nnbuilder.gui.diagram.palette import LAYER_MIME

    w = window
    g = w.document.graph
    target = g.nodes_of_type("output")[0].id
    x, y = g.nodes[target].position
    vp = w.view.viewport()
    before = set(g.nodes)
    for _ in range(2):  # twice on the same spot
        at = w.view.mapFromScene(QPointF(x + 75, y + 23))
        mime = QMimeData()
        mime.setData(LAYER_MIME, b"dense")
        for cls in (QDragEnterEvent, QDragMoveEvent):
            QApplication.sendEvent(vp, cls(QPoint(at), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                           Qt.KeyboardModifier.NoModifier))
        QApplication.sendEvent(vp, QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    new = sorted(set(g.nodes) - before)
    assert len(new) == 2
    for n in new:
        assert not any(boxes_overlap(g, n, other) for other in g.nodes if other != n), n
        assert abs(g.nodes[n].position[0] - x) < 1  # under the pointer's column, lower down
    w.document.undo_stack.undo()
    assert len(set(g.nodes) - before) == 1
