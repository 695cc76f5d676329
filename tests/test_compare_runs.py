"""Compare runs (issue 12, point 5): the label of a pinned run says what
differs from the settings now; in the window, pins are faded loss curves
that survive Reset, go with New and Open, and are cleared in one click."""
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDoubleSpinBox

from nnbuilder.core.teaching.compare import SAME, difference, run_settings
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.engine.config import TrainConfig
from guitools import pause, type_into

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
WAIT = 15000
CIRCLE = {"name": "circle", "samples": 500, "noise": 0.0, "split": 0.5, "seed": 0}


def settings(widths=(2, 4, 4, 1), activation="tanh", data=CIRCLE, seed=0, **cfg):
    return run_settings(Graph.chain(list(widths), activation=activation), TrainConfig(**cfg), data, seed)


@pytest.mark.parametrize("pinned, now, label", [
    (settings(lr=0.03), settings(lr=0.3), "lr 0.03"),
    (settings(lr=0.3), settings(lr=0.03), "lr 0.3"),
    (settings(activation="sigmoid"), settings(activation="relu"), "sigmoid"),  # both hidden layers: one word
    (settings(optimizer="adam"), settings(), "adam"),
    (settings(batch_size=1), settings(), "batch 1"),
    (settings(seed=4), settings(), "seed 4"),
    (settings(l2=0.001), settings(), "L2 0.001"),
    (settings(momentum=0.9), settings(), "momentum 0.9"),
    (settings(data={**CIRCLE, "name": "xor"}), settings(), "xor"),
    (settings(data={**CIRCLE, "noise": 0.2}), settings(), "noise 0.2"),
    (settings(widths=(2, 8, 1)), settings(), "layers 2-8-1"),
    (settings(lr=0.1, seed=2), settings(), "lr 0.1, seed 2"),
    (settings(), settings(), SAME),
])
def test_the_label_names_what_the_pinned_run_had_otherwise(pinned, now, label):
    assert difference(pinned, now) == label


def test_nodes_that_differ_unalike_are_named_and_long_labels_are_cut():
    g = Graph.chain([2, 4, 4, 1])
    g.set_params("dense1", activation="relu")
    g.set_params("dense2", activation="sigmoid")
    pinned = run_settings(g, TrainConfig(), CIRCLE, 0)
    assert difference(pinned, settings()) == "Dense 1 relu, Dense 2 sigmoid"
    many = settings(activation="relu", lr=0.5, optimizer="adam", batch_size=3, seed=9)
    assert difference(many, settings()) == "relu, adam, lr 0.5, batch 3, ..."
    leaky = Graph.chain([2, 4, 1], activation="leaky_relu")
    leaky.set_params("dense1", alpha=0.2)
    assert difference(run_settings(leaky, None, CIRCLE, 0), settings((2, 4, 1), "leaky_relu")) == \
        "leaky_relu 0.2"


# ----------------------------------------------------------------- window
def snap(w):
    return w.run.snapshot


def train_epochs(qtbot, w, n):
    start = 0 if snap(w) is None else snap(w).epoch
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= start + n, timeout=WAIT)
    pause(qtbot, w, timeout=WAIT)


def test_pin_change_the_lr_reset_train_and_the_pinned_run_is_a_faded_line_named_by_its_lr(qtbot, window):
    plot, panel = window.curves.loss, window.curves
    assert not panel.pin.isEnabled()  # nothing to pin before a run
    train_epochs(qtbot, window, 8)
    first = window.run.state.curves
    old_lr = window.document.training.lr if window.document.training else TrainConfig().lr
    qtbot.mouseClick(panel.pin, Qt.MouseButton.LeftButton)
    assert len(plot.pins) == 1 and plot.pins[0].label == SAME and not panel.pin.isEnabled()
    np.testing.assert_array_equal(plot.pins[0].y, first.column("train_loss"))

    type_into(qtbot, window.findChild(QDoubleSpinBox, "learningRateSpin"), "0.3")
    qtbot.waitUntil(lambda: plot.pins[0].label == f"lr {old_lr:g}", timeout=WAIT)
    qtbot.mouseClick(window.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(window) is not None and snap(window).step == 0, timeout=WAIT)
    assert len(plot.pins) == 1  # Reset keeps the pins: that is the point
    train_epochs(qtbot, window, 8)

    pin = plot.pins[0]
    assert pin.curve in plot.plotItem.items
    assert plot.plotItem.legend.getLabel(pin.curve).text == f"lr {old_lr:g}"  # its legend entry
    # Its text readable in both themes, in the legend's ink (the screen trial: the green pin's text,
    # in its line's colour, was 3:1 on white); the line beside it keeps the pin's colour.
    from screencheck import plot_text_problems

    for theme in (None, "dark", "light"):  # as pinned, then after each switch
        if theme is not None:
            window.set_theme(theme)
            QApplication.processEvents()
        assert [p for p in plot_text_problems(plot, window, None) if "contrast" in p] == []
    pen = pin.curve.opts["pen"]
    assert pen.color().alpha() < 255 and pen.color().name() != plot.train.opts["pen"].color().name()
    xs, ys = pin.curve.getData()
    np.testing.assert_array_equal(ys, first.column("train_loss"))  # the old run, as it was
    live = window.run.state.curves.column("train_loss")
    assert not np.array_equal(live[: len(ys)], ys[: len(live)])  # beside a different live curve
    # The view holds both: the pinned curve's values are inside the y range.
    (_, x1), (y0, y1) = plot.plotItem.vb.viewRange()
    assert y0 <= np.nanmin(ys) and np.nanmax(ys) <= y1 and x1 >= xs[-1]
    assert panel.pin.isEnabled() and panel.clear_pins.isEnabled()
    assert not window.errors


def test_several_pins_clear_in_one_click_and_new_or_open_drop_them(qtbot, window):
    plot, panel = window.curves.loss, window.curves
    train_epochs(qtbot, window, 3)
    qtbot.mouseClick(panel.pin, Qt.MouseButton.LeftButton)
    window.training_panel.optimizer.setCurrentText("adam")
    qtbot.mouseClick(window.reset_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: snap(window) is not None and snap(window).step == 0, timeout=WAIT)
    train_epochs(qtbot, window, 3)
    qtbot.mouseClick(panel.pin, Qt.MouseButton.LeftButton)
    window.document.set_params("dense1", activation="relu")
    window.document.set_params("dense2", activation="relu")
    qtbot.waitUntil(lambda: [p.label for p in plot.pins] ==
                    [f"tanh, sgd, seed {plot.pins[0].settings['seed'][0]}", "tanh"], timeout=WAIT)
    colours = {p.curve.opts["pen"].color().name() for p in plot.pins}
    assert len(colours) == 2  # told apart
    qtbot.mouseClick(panel.clear_pins, Qt.MouseButton.LeftButton)
    assert plot.pins == [] and not panel.clear_pins.isEnabled()
    assert not any(type(i).__name__ == "PlotDataItem" and i.opts["pen"].color().alpha() < 255
                   for i in plot.plotItem.items)
    assert [label.text for _, label in plot.plotItem.legend.items] == ["train", "test"]

    train_epochs(qtbot, window, 2)
    qtbot.mouseClick(panel.pin, Qt.MouseButton.LeftButton)
    assert len(plot.pins) == 1
    window.files.new_document()
    qtbot.waitUntil(lambda: plot.pins == [], timeout=WAIT)
    assert not panel.clear_pins.isEnabled()
    window.files.open_file(str(EXAMPLES / "xor.json"), ask_to_save=False)
    train_epochs(qtbot, window, 2)
    qtbot.mouseClick(panel.pin, Qt.MouseButton.LeftButton)
    assert len(plot.pins) == 1
    window.files.open_file(str(EXAMPLES / "circle.json"), ask_to_save=False)
    assert plot.pins == []
