"""What a person sees: both themes, a small and a large window, readable
plots. Checked on the pixels and geometry the window really has."""
import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication, QTabBar

from guitools import pause, show_settled

WAIT = 15000


def lightness(image, x, y) -> int:
    return image.pixelColor(x, y).lightness()


def train_a_little(qtbot, w, epochs=3):
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.snapshot is not None and w.run.snapshot.epoch >= epochs, timeout=WAIT)
    pause(qtbot, w, timeout=WAIT)


def test_switching_to_dark_repaints_the_diagram_plots_and_check_boxes(qtbot, window):
    w = window
    train_a_little(qtbot, w)
    node = w.scene.node_items["dense1"]
    body = w.view.mapFromScene(node.mapToScene(QPointF(20, node.size[1] - 8)))
    assert lightness(w.view.viewport().grab().toImage(), body.x(), body.y()) > 200
    try:
        w.set_theme("dark")
        QApplication.processEvents()
        # The node's body (a cached item) is repainted at once, not at the next zoom.
        assert lightness(w.view.viewport().grab().toImage(), body.x(), body.y()) < 90
        # The confusion matrix follows the theme (it stayed white).
        assert w.curves.confusion.backgroundBrush().color().lightness() < 90
        # A check box's frame is visible on the dark window (Fusion drew it darker).
        box = w.curves.log.grab().toImage()
        frame = [lightness(box, x, y) for x in range(0, 16) for y in range(box.height())]
        assert max(frame) > 140
    finally:
        w.set_theme("light")


def test_reset_leaves_no_old_output_on_the_view(qtbot, window):
    w = window
    train_a_little(qtbot, w, 10)
    old = w.boundary.last_rgba.copy()
    qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.snapshot is not None and w.run.snapshot.step == 0
                    and w.boundary.last_rgba is not None, timeout=WAIT)
    assert not np.array_equal(w.boundary.last_rgba, old)  # the new weights' output, not the old one


def test_a_1024_by_700_window_keeps_the_counters_and_settings_in_sight(qtbot, gui_env):
    from nnbuilder.gui.window.mainwindow import MainWindow

    w = MainWindow(offer_restore=False)
    qtbot.addWidget(w)
    w.resize(1024, 700)
    show_settled(qtbot, w)  # the first layout runs once the toolbars have settled
    # The loss read-out is on screen, not behind the toolbar's overflow arrow.
    right = w.loss_label.mapTo(w, QPoint(w.loss_label.width(), 0)).x()
    assert w.loss_label.isVisible() and right <= w.width()
    assert w.toolBarBreak(w.training_toolbar)
    # The Training settings fit their column's width (nothing cut at the right).
    scroll = w.docks["trainingDock"].widget()
    assert scroll.viewport().width() >= w.training_panel.minimumSizeHint().width()
    assert scroll.viewport().height() >= 250
    # The curves share a tab group with the problems rather than crowding the side columns.
    tabs = [bar.tabText(i) for bar in w.findChildren(QTabBar) for i in range(bar.count())]
    assert "Loss and accuracy" in tabs
    w.close()


def test_plots_are_readable(qtbot, window):
    w = window
    # A flat curve gets a readable span (ticks like 0.75000000005 came from a span of 1e-9).
    flat = np.full(20, 0.75)
    w.curves.metric_plot.set_data(np.arange(20.0), flat, flat, exact=True)
    (_, _), (lo, hi) = w.curves.metric_plot.plotItem.vb.viewRange()
    assert hi - lo >= 0.04
    # The gradient norms are not squeezed into a strip above the histogram.
    w.docks["gradientsDock"].raise_()
    train_a_little(qtbot, w)
    assert w.layer_plot.norms.height() >= 100
    assert w.layer_plot.norms.height() >= 0.8 * w.layer_plot.height()


def test_every_panel_can_be_grabbed_as_a_picture(window):
    # An attribute named like a Qt virtual (the curves panel's ``metric`` once
    # hid QWidget.metric) crashed Qt when it painted the widget into a pixmap.
    for dock in window.docks.values():
        picture = dock.widget().grab()
        assert not picture.isNull() and picture.width() > 0
