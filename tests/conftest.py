"""Test configuration: Qt runs offscreen here, whatever the environment says,
so the suite needs no display (CI has none)."""
import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnbuilder.core.graph import Graph  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def dag_graph() -> Graph:
    """Input -> dense a -> dense b -> Add(a, b) -> Concat(add, input-side dense) -> Output."""
    g = Graph()
    g.add_node("input", {"features": ["x1", "x2", "x1*x2"]}, node_id="in")
    g.add_node("dense", {"units": 4, "activation": "tanh"}, node_id="a")
    g.add_node("dense", {"units": 4, "activation": "elu"}, node_id="b")
    g.add_node("add", node_id="sum")
    g.add_node("dense", {"units": 3, "activation": "swish"}, node_id="c")
    g.add_node("concat", node_id="cat")
    g.add_node("dropout", {"rate": 0.3}, node_id="drop")
    g.add_node("activation", {"activation": "leaky_relu", "alpha": 0.2}, node_id="act")
    g.add_node("output", {"units": 2, "activation": "softmax", "loss": "cross_entropy"}, node_id="out")
    for s, t in [("in", "a"), ("a", "b"), ("a", "sum"), ("b", "sum"), ("in", "c"),
                 ("sum", "cat"), ("c", "cat"), ("cat", "drop"), ("drop", "act"), ("act", "out")]:
        g.connect(s, t)
    return g


@pytest.fixture
def gui_env(tmp_path, monkeypatch):
    """Settings and autosaves in a temporary folder, never the user's."""
    from PySide6.QtCore import QSettings

    state = tmp_path / "state"
    monkeypatch.setenv("NNBUILDER_STATE_DIR", str(state))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    return tmp_path


@pytest.fixture
def make_window(qtbot, gui_env, monkeypatch):
    """Build real main windows with dialogs answered by the test, not a person."""
    from PySide6.QtCore import QPointF

    from nnbuilder.gui.mainwindow import MainWindow

    errors = []
    monkeypatch.setattr(MainWindow, "_error", lambda self, title, text: errors.append((title, text)))
    monkeypatch.setattr(MainWindow, "_ask_unsaved", lambda self: "discard")

    def make(*args, **kwargs):
        kwargs.setdefault("offer_restore", False)
        w = MainWindow(*args, **kwargs)
        w.errors = errors
        # A user starts at 100 steps/s to watch; tests train as fast as the machine goes.
        w.training_panel.speed.setCurrentIndex(0)
        qtbot.addWidget(w)
        w.resize(1600, 1000)
        with qtbot.waitExposed(w):
            w.show()
        qtbot.wait(20)  # let the first-show fit run, then fix a known zoom
        w.view.resetTransform()
        w.view.centerOn(QPointF(w.scene.itemsBoundingRect().center()) if w.scene.items() else QPointF(0, 0))
        return w

    return make


@pytest.fixture
def window(make_window):
    return make_window()
