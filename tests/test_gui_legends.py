"""Legends beside the curves, never over them (issue 19, point 5): a
1024x700 window, three pinned runs, and each curve plot's legend outside
its data area and inside the plot."""
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from test_gui_titles import train_to
from test_gui_window_sizes import resize, settle


def legend_clear_of_the_data(plot) -> None:
    item = plot.plotItem
    legend = item.legend
    assert legend is not None and legend.isVisible() and legend.items
    box = legend.sceneBoundingRect()
    data = item.vb.sceneBoundingRect()
    assert not box.intersects(data), (plot.objectName(), box, data)
    assert plot.sceneRect().contains(box) or plot.viewport().rect().contains(
        plot.mapFromScene(box).boundingRect()), (plot.objectName(), box)  # all of it shown
    assert data.height() >= 30, (plot.objectName(), data.height())  # room left for the curves


def test_legends_sit_outside_the_curves_with_pinned_runs(qtbot, make_window):
    w = make_window()
    resize(qtbot, w, 1024, 700)
    train_to(qtbot, w, 5)
    pin = w.curves.pin
    for lr in (0.1, 0.01, 0.3):  # pin, change the rate, Reset, train: the next run to compare
        qtbot.mouseClick(pin, Qt.MouseButton.LeftButton)
        w.training_panel.lr.setValue(lr)
        QApplication.processEvents()
        qtbot.mouseClick(w.reset_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: w.run.snapshot is not None and w.run.snapshot.step == 0, timeout=20000)
        train_to(qtbot, w, 5)
    settle(qtbot)
    assert len(w.curves.loss.pins) == 3
    for plot in (w.curves.loss, w.curves.metric_plot):
        legend_clear_of_the_data(plot)
    w.docks["gradientsDock"].raise_()
    settle(qtbot)
    legend_clear_of_the_data(w.layer_plot.norms)
