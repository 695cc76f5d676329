"""Helpers that drive the real window the way a user does (mouse, keyboard,
drops) and wait for what it shows: conditions, never a fixed time."""
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication


def view_point(view, scene_pos) -> QPoint:
    return view.mapFromScene(QPointF(scene_pos))


def drop_from_palette(window, node_type: str, scene_pos) -> None:
    """Drag a palette entry onto the diagram: the palette's own MIME data,
    delivered as enter, move and drop events to the view's viewport."""
    palette = window.palette_list
    item = next(palette.item(i) for i in range(palette.count())
                if palette.item(i).data(Qt.ItemDataRole.UserRole) == node_type)
    mime = palette.mimeData([item])
    view = window.view
    pos = view_point(view, scene_pos)
    vp = view.viewport()
    for cls in (QDragEnterEvent, QDragMoveEvent):
        ev = cls(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, ev)
        assert ev.isAccepted(), f"{cls.__name__} was refused"
    ev = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, ev)


def mouse_drag(qtbot, view, start_scene, end_scene, modifier=Qt.KeyboardModifier.NoModifier, steps=6):
    vp = view.viewport()
    a, b = view_point(view, start_scene), view_point(view, end_scene)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, modifier, a)
    for i in range(1, steps + 1):
        p = QPoint(a.x() + (b.x() - a.x()) * i // steps, a.y() + (b.y() - a.y()) * i // steps)
        qtbot.mouseMove(vp, p)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, b)


def connect_ports(qtbot, window, source_id: str, target_id: str) -> None:
    """Drag from the source node's output port to the target node's input port."""
    items = window.scene.node_items
    mouse_drag(qtbot, window.view, items[source_id].out_port.scene_center(),
               items[target_id].in_port.scene_center())


def click_node(qtbot, window, node_id, modifier=Qt.KeyboardModifier.NoModifier):
    item = window.scene.node_items[node_id]
    pos = view_point(window.view, item.mapToScene(QPointF(item.size[0] / 2, 12)))
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def type_into(qtbot, field, text):
    """Focus a field, select what it shows, type ``text`` and press Enter."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def show_settled(qtbot, w):
    """Show a new main window and wait until what its first show queues has run:
    the diagram's fit, on a first start the default layout (which fits again
    once the docks are sized), and a restore's fit. Queued calls run in order,
    so a marker queued behind them runs after them; markers are queued until
    one finds no new fit behind the ones expected."""
    fitted = []
    fit = w.view.fit
    w.view.fit = lambda: (fit(), fitted.append(True))
    with qtbot.waitExposed(w):
        w.show()
    for _ in range(10):
        before, passed = len(fitted), []
        QTimer.singleShot(0, lambda: passed.append(True))
        qtbot.waitUntil(lambda: bool(passed))
        if len(fitted) == before and before >= 1 + w.dock_layout.first_layout:
            break
    else:
        raise AssertionError(f"the first show fitted the diagram {len(fitted)} times, then went on queueing")
    del w.view.fit


def wait_drawn(qtbot, w, until=None, running=False, timeout=15000):
    """Wait until the window has drawn the newest snapshot it took (``w.drawn``,
    recorded by the make_window fixture from ``frameDrawn``), of a run that is
    ``running`` (None: either) and for which ``until`` holds; return it. A
    condition, not a time: it holds whether a paused window polls the worker or not."""
    def done():
        drawn = w.drawn
        return (drawn is not None and drawn is w.run.snapshot
                and (running is None or drawn.running == running) and (until is None or until(drawn)))
    qtbot.waitUntil(done, timeout=timeout)
    return w.drawn


def pause(qtbot, w, timeout=15000):
    """Press Pause if the run is going; return the paused snapshot once it is drawn."""
    if w.run.snapshot is not None and w.run.snapshot.running:
        qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    return wait_drawn(qtbot, w, timeout=timeout)


def slide_to(qtbot, slider, index):
    """What a user does to move a slider (the timeline's) to ``index`` with the keyboard: Home, Page Up (10 moments on), Right arrows."""
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    for _ in range(index // slider.pageStep()):
        qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    for _ in range(index % slider.pageStep()):
        qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert slider.value() == index
