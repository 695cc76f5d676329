"""Legends beside the curves, never over them (issue 19, point 5): a
1024x700 window, three pinned runs, and each curve plot's legend outside
its data area and inside the plot, the plot's data area still tall enough;
the gradient plot's legend off its title and its step labels apart."""
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from nnbuilder.gui.run.layer_plot import LayerPlot
from screencheck import tick_labels, tick_problems
from test_gui_window_sizes import pinned_runs, settle


def legend_clear_of_the_data(plot) -> None:
    item = plot.plotItem
    legend = item.legend
    assert legend is not None and legend.isVisible() and legend.items
    box = legend.sceneBoundingRect()
    data = item.vb.sceneBoundingRect()
    assert not box.intersects(data), (plot.objectName(), box, data)
    assert plot.sceneRect().contains(box) or plot.viewport().rect().contains(
        plot.mapFromScene(box).boundingRect()), (plot.objectName(), box)  # all of it shown
    assert data.height() >= 100, (plot.objectName(), data.height())  # room left for the curves
    assert tick_problems(plot) == []


def test_legends_sit_outside_the_curves_with_pinned_runs(qtbot, make_window):
    w = make_window()
    pinned_runs(qtbot, w, (0.1, 0.01, 0.3))
    assert len(w.curves.loss.pins) == 3
    for plot in (w.curves.loss, w.curves.metric_plot):
        legend_clear_of_the_data(plot)
    w.docks["gradientsDock"].raise_()
    settle(qtbot)
    legend_clear_of_the_data(w.layer_plot.norms)


def fake_snapshot(step, layers):
    """What LayerPlot reads of a snapshot: its step and each layer's gradient norm and histogram."""
    stats = {nid: {"g_norm": 0.05 * (i + 1) * (1 + np.sin(step / 500.0) ** 2),
                   "edges": np.linspace(-1, 1, 11), "hist": np.ones(10)} for i, nid in enumerate(layers)}
    return SimpleNamespace(step=step, stats=stats)


@pytest.mark.parametrize("width", [300, 450, 700])
def test_the_gradient_plot_keeps_its_legend_off_its_title_and_its_step_labels_apart(qtbot, width):
    """Its legend sat over its title, its x labels (steps in thousands) ran together."""
    plot = LayerPlot()
    qtbot.addWidget(plot)
    plot.resize(width, 220)
    plot.show()
    qtbot.waitExposed(plot)
    layers = ["d1", "d2", "out"]
    for step in range(0, 12001, 400):
        plot.update_from(fake_snapshot(step, layers), label={"d1": "Dense 1", "d2": "Dense 2", "out": "Output"}.get)
    norms = plot.norms
    norms.plotItem.enableAutoRange()
    qtbot.waitUntil(lambda: norms.plotItem.vb.viewRange()[0][1] >= 11000)
    settle_plot(norms)
    legend, title = norms.plotItem.legend, norms.plotItem.titleLabel
    assert legend.isVisible() and len(legend.items) == 3
    box, words = legend.sceneBoundingRect(), title.item.mapRectToScene(title.item.boundingRect())
    assert not box.intersects(words), (width, box, words)
    assert not box.intersects(norms.plotItem.vb.sceneBoundingRect())  # nor over the curves
    assert norms.sceneRect().contains(box) or norms.viewport().rect().contains(norms.mapFromScene(box).boundingRect())
    assert len(tick_labels(norms.plotItem.getAxis("bottom"))) >= 2
    assert tick_problems(norms) == []


def settle_plot(plot):
    for _ in range(3):
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()
    plot.grab()  # painted once: the axes' text laid out
