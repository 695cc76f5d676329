"""The Functions view driven by a real pointer (Xvfb + xdotool, as in
tests/test_real_pointer.py, whose app fixture this module shares): a click on
a layer in the diagram makes the view draw that layer's activation, and a
drag of the slider sets the leaky ReLU slope, one undo step, the curve
following. Every check reads what tests/pointer_app.py reports, not pixels."""
from __future__ import annotations

import numpy as np
import pytest

from test_real_pointer import app, chain, no_error_dialog  # noqa: F401  (the fixtures)


def test_a_clicked_layer_is_drawn_and_a_dragged_slider_sets_its_slope(app):  # noqa: F811
    app.ask("load", graph=chain(("in", "input", -500, -60), ("d1", "dense", -200, -60, {"activation": "tanh"}),
                                ("d2", "dense", 100, -60, {"activation": "leaky_relu"}),
                                ("out", "output", 400, -60),
                                edges=[("in", "d1"), ("d1", "d2"), ("d2", "out")]))
    nodes = app.ask("geometry")["nodes"]
    view = app.ask("functions")
    assert view["layer"] == "d1"  # the first layer with an activation, until one is chosen
    app.click(nodes["d2"]["header"])
    view = app.wait_for("the view to draw d2", lambda s: app.ask("functions")["layer"] == "d2")
    view = app.ask("functions", values=[1, 45])
    assert view["slider_shown"] and view["slider"] == 1  # leaky ReLU's default slope 0.01
    x, f = np.array(view["x"]), np.array(view["f"])
    np.testing.assert_allclose(f, np.where(x >= 0, x, 0.01 * x), rtol=1e-12)
    start, end = view["handles"]
    app.drag(start, end)
    state = app.wait_for("the new slope", lambda s: s["undo_text"] == "Change alpha of Dense 2")
    view = app.ask("functions")
    alpha = view["alpha"]
    assert alpha == pytest.approx(view["slider"] / 100) and alpha > 0.3, view["slider"]
    assert view["inspector_alpha"] == pytest.approx(alpha)
    x, f = np.array(view["x"]), np.array(view["f"])
    np.testing.assert_allclose(f, np.where(x >= 0, x, alpha * x), rtol=1e-12)
    before = state["undo_index"]
    app.key("ctrl+z")
    app.wait_for("the undo", lambda s: s["undo_index"] == before - 1)
    view = app.ask("functions")
    assert view["alpha"] is None and view["slider"] == 1
    x, f = np.array(view["x"]), np.array(view["f"])
    np.testing.assert_allclose(f, np.where(x >= 0, x, 0.01 * x), rtol=1e-12)
