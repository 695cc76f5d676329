"""A user trial's plot faults at 1024x700 (light and dark): a pinned run's
long difference pushed the loss legend's train and test entries out and ran
past the plot's left edge."""
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from nnbuilder.gui.run.curves import PIN_LEGEND_CHARS, CurvePlot

LONG = "features x1, x2, x1^2, not standardized, softmax, layers 3-4-2, lr 0.3, seed 4"


def settle(plot):
    for _ in range(3):
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()
    plot.grab()


@pytest.fixture
def loss_plot(qtbot):
    plot = CurvePlot("lossPlot", "Loss", "loss")
    qtbot.addWidget(plot)
    plot.resize(330, 200)
    plot.show()
    qtbot.waitExposed(plot)
    x = np.arange(1, 21, dtype=float)
    plot.set_data(x, 1 / x, 1.2 / x, exact=True)
    return plot


def test_a_pin_with_a_long_difference_has_a_short_legend_entry_and_keeps_train_and_test(loss_plot):
    plot = loss_plot
    x = np.arange(1, 31, dtype=float)
    pin = plot.add_pin(x, 0.8 / x, {}, LONG)
    settle(plot)
    legend = plot.plotItem.legend
    texts = [label.text for _, label in legend.items]
    assert texts[:2] == ["train", "test"]
    entry = legend.getLabel(pin.curve)
    assert len(entry.text) <= PIN_LEGEND_CHARS and entry.text.startswith("pin 1")
    assert LONG in entry.toolTip()  # the whole difference, on the pointer
    assert pin.label == LONG
    view = plot.mapFromScene(legend.sceneBoundingRect()).boundingRect()
    assert plot.viewport().rect().contains(view), view  # all of it shown, none past an edge
    for _, label in legend.items:
        box = plot.mapFromScene(label.sceneBoundingRect()).boundingRect()
        assert plot.viewport().rect().contains(box), (label.text, box)
    assert not legend.sceneBoundingRect().intersects(plot.plotItem.vb.sceneBoundingRect())
    plot.set_pin_labels(["lr 0.3"])  # a short difference reads as it is
    assert legend.getLabel(pin.curve).text == "lr 0.3" and "lr 0.3" in legend.getLabel(pin.curve).toolTip()


def cell_text_rects(plot):
    """Each cell's text as its glyphs take it (the text's width, a line's height), in view pixels."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFontMetrics
    rects = []
    for t in plot.texts:
        fm = QFontMetrics(t.textItem.font())
        centre = plot.mapFromScene(plot.plotItem.vb.mapViewToScene(t.pos()))
        w, h = fm.horizontalAdvance(t.toPlainText()), fm.ascent() + fm.descent()
        rects.append((t.toPlainText(), QRect(centre.x() - w // 2, centre.y() - h // 2, w, h).adjusted(-1, 1, 1, -1)))  # (a glyph may reach a pixel past its advance)
    return rects


@pytest.mark.parametrize("height", [190, 110])
def test_no_axis_line_or_tick_crosses_a_confusion_cell_text(qtbot, height):
    """"110" read "-110" (the row names' ticks ran into the first column); in a
    short plot the axis line struck through the last row's "1.00"."""
    from nnbuilder.gui.run.confusion import ConfusionPlot
    plot = ConfusionPlot()
    qtbot.addWidget(plot)
    plot.resize(300, height)
    plot.show()
    qtbot.waitExposed(plot)
    counts = np.array([[110, 3, 0], [2, 95, 4], [0, 5, 101]])
    plot.set_counts(counts, ["setosa", "versicolor", "virginica"], (np.ones(3), np.full(3, 0.97), np.ones(3)))
    settle(plot)
    rects = cell_text_rects(plot)
    for t in plot.texts:  # the cells and the axes alone: what lies under the text
        t.setVisible(False)
    image = plot.grab().toImage()
    for text, rect in rects:
        colours = {image.pixel(x, y) for x in range(rect.left(), rect.right() + 1)
                   for y in range(rect.top(), rect.bottom() + 1)}
        assert len(colours) == 1, (text, rect, len(colours))  # one cell's colour: nothing drawn across it


def wcag(a, b) -> float:
    """WCAG 2 contrast of two QColors, written out here (not the app's)."""
    def lum(c):
        lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.redF(), c.greenF(), c.blueF())]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("loss", ["bce", "l2"])
def test_every_functions_curve_contrasts_three_to_one_and_is_wide_enough(qtbot, mode, loss):
    """Dark theme: the "hinge" companion was a thin grey dashed line that vanished on a projector."""
    from PySide6.QtGui import QColor, QPalette
    from nnbuilder.core.teaching.curves import loss_plot
    from nnbuilder.gui.learn.functions_view import FunctionsView
    from nnbuilder.gui.widgets.theme import apply_theme
    apply_theme("dark" if mode == "light" else "light")
    try:
        view = FunctionsView()
        qtbot.addWidget(view)
        view.show_loss("Loss", loss_plot(loss, "linear"))
        apply_theme(mode)  # a theme switch with the curves drawn: they follow it
        QApplication.processEvents()
        background = QApplication.palette().color(QPalette.ColorRole.Base)
        curves = [*view.activation_plot.plotItem.listDataItems(), *view.loss_plot.plotItem.listDataItems()]
        assert len(curves) >= 5
        for item in curves:
            pen = item.opts["pen"]
            c = QColor(pen.color())
            a = c.alphaF()  # drawn over the background
            seen = QColor.fromRgbF(a * c.redF() + (1 - a) * background.redF(),
                                   a * c.greenF() + (1 - a) * background.greenF(),
                                   a * c.blueF() + (1 - a) * background.blueF())
            name = item.name()
            assert wcag(seen, background) >= 3.0, (mode, name, c.name(), background.name(), wcag(seen, background))
            assert pen.widthF() >= 2, (mode, name, pen.widthF())
    finally:
        apply_theme("light")


def test_the_trials_pin_after_importing_another_csv_keeps_the_loss_legend_whole_beside_the_curves(
        qtbot, make_window, monkeypatch):
    """The trial: pin a run, import another CSV; the pin's difference (layers,
    features, standardization, activation...) pushed train and test out of the
    1024x700 window's loss legend and was cut at the plot's left edge."""
    from PySide6.QtCore import Qt
    from test_gui_import import IRIS, click_import, open_import
    from test_gui_titles import train_to
    from test_gui_window_sizes import resize
    from test_gui_window_sizes import settle as settle_window
    w = make_window()
    resize(qtbot, w, 1024, 700)
    train_to(qtbot, w, 5)
    qtbot.mouseClick(w.curves.pin, Qt.MouseButton.LeftButton)
    click_import(qtbot, open_import(qtbot, w, IRIS, monkeypatch))
    loss = w.curves.loss
    qtbot.waitUntil(lambda: len(loss.pins[0].label) > PIN_LEGEND_CHARS, timeout=20000)  # a long difference
    settle_window(qtbot)
    legend = loss.plotItem.legend
    assert [label.text for _, label in legend.items] == ["train", "test", "pin 1"]
    assert loss.pins[0].label in legend.getLabel(loss.pins[0].curve).toolTip()
    for _, label in legend.items:
        box = loss.mapFromScene(label.sceneBoundingRect()).boundingRect()
        assert loss.viewport().rect().contains(box), (label.text, box)
    assert not legend.sceneBoundingRect().intersects(loss.plotItem.vb.sceneBoundingRect())
