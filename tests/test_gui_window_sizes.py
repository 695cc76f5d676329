"""The window's layout at the sizes people have (issue 19, point 7): a
lesson on a small screen, Reset layout there, growing the window again, and
a selected Input layer: the diagram, the output view and the counters keep
their room, and no panel lies over another."""
import pytest
from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication

from guitools import click_node, show_settled
from screencheck import dock_overlaps, plot_heights

DIAGRAM_ROOM = 300  # px: room to see and drag a 3-layer network


def settle(qtbot):
    """What a resize queued (the new layout, the diagram's fit) has run."""
    for _ in range(3):
        passed = []
        QTimer.singleShot(0, lambda: passed.append(True))
        qtbot.waitUntil(lambda: bool(passed))
    QApplication.processEvents()


def resize(qtbot, w, width, height):
    w.resize(width, height)
    settle(qtbot)
    assert (w.width(), w.height()) == (width, height)


def counters_in_sight(w) -> bool:
    right = w.loss_label.mapTo(w, QPoint(w.loss_label.width(), 0)).x()
    return w.loss_label.isVisible() and right <= w.width() and w.toolBarBreak(w.training_toolbar)


@pytest.mark.parametrize("started_at", [(1024, 700), (1440, 900)])
def test_a_lesson_on_a_small_window_leaves_the_diagram_room(qtbot, make_window, started_at):
    """The lesson begun on the small window, or on a large one then made small."""
    w = make_window()
    resize(qtbot, w, *started_at)
    w.show_lessons()
    w.lessons.start("02-xor")
    settle(qtbot)
    resize(qtbot, w, 1024, 700)
    assert w.view.width() >= DIAGRAM_ROOM, w.view.width()
    assert w.docks["lessonDock"].isVisible()
    assert dock_overlaps(w) == []
    assert plot_heights(w) == []


def test_reset_layout_on_a_small_window_keeps_the_counters_row(qtbot, make_window):
    w = make_window()
    resize(qtbot, w, 1024, 700)
    assert counters_in_sight(w)
    w.act_reset_layout.trigger()
    settle(qtbot)
    assert counters_in_sight(w)  # the training toolbar on a row of its own, the loss on screen
    assert plot_heights(w) == []


def test_growing_the_window_lays_it_out_for_its_new_size(qtbot, make_window):
    w = make_window()
    def beside_problems():  # (the Functions tab always shares the curves' group)
        return w.docks["problemsDock"] not in w.tabifiedDockWidgets(w.docks["curvesDock"])

    resize(qtbot, w, 1440, 900)
    assert beside_problems()  # wide: the curves beside the problems
    resize(qtbot, w, 1024, 700)
    assert not beside_problems()  # narrow: they share a tab group
    resize(qtbot, w, 1440, 900)
    assert beside_problems()
    assert not w.toolBarBreak(w.training_toolbar)
    grown = w.view.width()
    w.act_reset_layout.trigger()
    settle(qtbot)
    assert abs(w.view.width() - grown) <= 20  # what Reset layout gives at this size, without one
    assert grown >= 0.4 * w.width()
    assert dock_overlaps(w) == []


def test_selecting_the_input_layer_leaves_the_output_view_its_room(qtbot, gui_env):
    from nnbuilder.gui.window.mainwindow import MainWindow

    w = MainWindow(offer_restore=False)
    qtbot.addWidget(w)
    w.resize(1024, 700)
    show_settled(qtbot, w)
    before = w.boundary.height()
    (x0, x1), _ = w.boundary.plotItem.vb.viewRange()
    click_node(qtbot, w, next(iter(w.document.graph.nodes_of_type("input"))).id)
    settle(qtbot)
    assert w.inspector.isVisible()
    assert w.boundary.height() >= min(before, 120) and w.boundary.height() >= before - 10
    (y0, y1), _ = w.boundary.plotItem.vb.viewRange()
    assert (y0, y1) == (x0, x1)  # the view keeps its range (a strip showed x from -30 to 30)
    w.close()
