"""Issue 19: what the window shows is of now and of what happened, never
left over: the plots' hover read-outs, a divergence on the curves, status
messages, the gallery, Open Recent, the counters while paused or looking
back, and a lesson's progress. Each through the real window."""
import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from guitools import pause, type_into, wait_drawn

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
WAIT = 15000


def snap(w):
    return w.run.snapshot


def readout_text(plot) -> str:
    return plot.readout.textItem.toPlainText() if plot.readout.isVisible() else ""


def hover_plot(qtbot, plot, frac: float = 0.7) -> None:
    """The pointer over the plot's data area, ``frac`` of the way across."""
    rect = plot.plotItem.vb.sceneBoundingRect()
    at = plot.mapFromScene(QPointF(rect.left() + frac * rect.width(), rect.center().y()))
    qtbot.mouseMove(plot.viewport(), at)


def trained_paused(qtbot, w, epochs: int = 6):
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= epochs, timeout=WAIT)
    return pause(qtbot, w)


@pytest.mark.parametrize("example, plot_name, label", [
    ("circle", "metric_plot", "accuracy"), ("sine", "metric_plot", "R²"), ("circle", "loss", "loss")])
def test_a_plots_hover_readout_goes_when_the_pointer_leaves_and_with_the_run(qtbot, make_window, example,
                                                                            plot_name, label):
    w = make_window(str(EXAMPLES / f"{example}.json"))
    trained_paused(qtbot, w)
    plot = getattr(w.curves, plot_name)
    hover_plot(qtbot, plot)
    qtbot.waitUntil(lambda: readout_text(plot).startswith("epoch "), timeout=WAIT)
    text = readout_text(plot)
    # It reads the curve's own row under the pointer.
    epoch = int(re.match(r"epoch (\d+)", text).group(1))
    curves = w.run.state.curves
    i = int(np.flatnonzero(curves.column("epoch") == epoch)[0])
    column = "train_loss" if plot_name == "loss" else "train_metric"
    assert f"train {label} {curves.column(column)[i]:.6g}" in text
    # The pointer goes to the diagram: the read-out goes too.
    qtbot.mouseMove(w.view.viewport(), w.view.viewport().rect().center())
    qtbot.waitUntil(lambda: readout_text(plot) == "" and not plot.cross.isVisible(), timeout=WAIT)
    # Back over the plot, then File > New with the pointer still there: the new
    # (empty) document shows no read-out of the old run, nor does the next Open.
    hover_plot(qtbot, plot, 0.5)
    qtbot.waitUntil(lambda: readout_text(plot) != "", timeout=WAIT)
    w.act_new.trigger()
    assert readout_text(plot) == "" and not plot.cross.isVisible()
    assert w.files.open_file(str(EXAMPLES / "xor.json"), ask_to_save=False)
    wait_drawn(qtbot, w, running=None) if w.run.worker is not None else None
    assert readout_text(plot) == "" and not plot.cross.isVisible()


def test_the_hover_readout_takes_the_themes_colours(qtbot, window):
    w = window
    trained_paused(qtbot, w, 3)
    plot = w.curves.metric_plot
    hover_plot(qtbot, plot)
    qtbot.waitUntil(lambda: readout_text(plot) != "", timeout=WAIT)
    try:
        w.set_theme("dark")
        pal = QGuiApplication.palette()
        text, base = pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base)
        assert base.lightness() < 80  # the dark theme
        assert plot.readout.color.name() == text.name()  # light text ...
        assert plot.readout.fill.color().rgb() == base.rgb()  # ... on the dark base, not on the curves
        w.set_theme("light")
        assert plot.readout.color.name() == QGuiApplication.palette().color(QPalette.ColorRole.Text).name()
        assert QColor(plot.readout.color).lightness() < 80
    finally:
        w.set_theme("light")
