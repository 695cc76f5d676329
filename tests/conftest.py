"""Test configuration: Qt runs offscreen here, whatever the environment says,
so the suite needs no display (CI has none)."""
import os
import time
from contextlib import contextmanager

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shiboken6  # noqa: E402

from nnbuilder.core.model.graph import Graph  # noqa: E402


def wait_until(condition, what, timeout: float = 120.0, interval: float = 0.01):
    """Call ``condition()`` until it returns something true, and return that.

    For waits outside Qt's event loop (worker threads and processes, another
    app); inside it use ``qtbot.waitUntil``. ``what`` names the awaited state
    in the failure raised after ``timeout`` seconds; a callable gives it then
    (so it can show the last state seen). Import it as
    ``from conftest import wait_until``."""
    end = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"waited {timeout:g} s in vain for {what() if callable(what) else what}")
        time.sleep(interval)


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


class Dialogs:
    """What the windows of one test would have shown in a dialog. An error
    dialog the test did not expect (``expect_errors``) fails the test at
    teardown, and so does any message box or file/input dialog that reached
    Qt without going through the window's own answered methods."""

    def __init__(self):
        self.errors: list = []  # (title, text) of every error dialog, expected or not
        self.unexpected: list = []  # (title, text) of those the test did not expect
        self.asked: list = []  # the document names the unsaved-changes question was asked about
        self._expecting = 0

    def error(self, title: str, text: str) -> None:
        self.errors.append((title, text))
        if not self._expecting:
            self.unexpected.append((title, text))

    @contextmanager
    def expect_errors(self):
        """Error dialogs shown inside the block are what the test checks; at
        least one must appear (its ``(title, text)`` is ``errors[-1]``)."""
        before = len(self.errors)
        self._expecting += 1
        try:
            yield self.errors
        finally:
            self._expecting -= 1
        assert len(self.errors) > before, "an error dialog was expected, none appeared"

    def unanswered(self, kind: str):
        """A stand-in for a static Qt dialog no test answers: recorded as
        unexpected and answered as if cancelled (a real one would block)."""
        from PySide6.QtWidgets import QMessageBox
        cancelled = {"QMessageBox.question": QMessageBox.StandardButton.Cancel,
                     "QMessageBox.critical": QMessageBox.StandardButton.Ok,
                     "QMessageBox.warning": QMessageBox.StandardButton.Ok,
                     "QMessageBox.information": QMessageBox.StandardButton.Ok, "QMessageBox.about": None,
                     "QFileDialog.getOpenFileName": ("", ""), "QFileDialog.getSaveFileName": ("", ""),
                     "QFileDialog.getOpenFileNames": ([], ""), "QFileDialog.getExistingDirectory": "",
                     "QInputDialog.getDouble": (0.0, False), "QInputDialog.getInt": (0, False),
                     "QInputDialog.getText": ("", False), "QInputDialog.getItem": ("", False)}[kind]

        def show(*args, **kwargs):
            texts = [a for a in args if isinstance(a, str)]
            self.unexpected.append((f"{kind} (shown directly, not through the window)", " | ".join(texts)))
            return cancelled
        return show

    def report(self) -> str:
        return "\n".join(f"  {title}: {text}" for title, text in self.unexpected)


@pytest.fixture
def make_window(qtbot, gui_env, monkeypatch):
    """Build real main windows with dialogs answered by the test, not a person.

    Error dialogs land in ``w.errors`` (shared by the test's windows); one the
    test did not announce with ``with w.expect_errors(): ...`` fails the test
    at teardown, as does a message box or file dialog shown past the window's
    answered methods. ``w.asked`` lists the unsaved-changes questions (each
    answered "discard"); ``w.drawn`` is the last snapshot the window drew."""
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

    from guitools import show_settled
    from nnbuilder.gui.window.mainwindow import MainWindow

    dialogs = Dialogs()
    monkeypatch.setattr(MainWindow, "_error", lambda self, title, text: dialogs.error(title, text))
    monkeypatch.setattr(MainWindow, "_ask_unsaved",
                        lambda self: dialogs.asked.append(self.document_name()) or "discard")
    for cls, names in ((QMessageBox, ("critical", "warning", "information", "question", "about")),
                       (QFileDialog, ("getOpenFileName", "getOpenFileNames", "getSaveFileName",
                                      "getExistingDirectory")),
                       (QInputDialog, ("getDouble", "getInt", "getText", "getItem"))):
        for name in names:
            monkeypatch.setattr(cls, name, dialogs.unanswered(f"{cls.__name__}.{name}"))
    windows = []

    def make(*args, **kwargs):
        kwargs.setdefault("offer_restore", False)
        w = MainWindow(*args, **kwargs)
        w.errors, w.expect_errors, w.asked = dialogs.errors, dialogs.expect_errors, dialogs.asked
        w.drawn = None
        w.live.frameDrawn.connect(lambda snap: setattr(w, "drawn", snap))
        # A user starts at 100 steps/s to watch; tests train as fast as the machine goes.
        w.training_panel.default_speed = 0  # (each document opened starts at it)
        w.training_panel.speed.setCurrentIndex(0)
        qtbot.addWidget(w)
        windows.append(w)
        w.resize(1600, 1000)
        show_settled(qtbot, w)  # then fix a known zoom
        w.view.resetTransform()
        w.view.centerOn(QPointF(w.scene.itemsBoundingRect().center()) if w.scene.items() else QPointF(0, 0))
        return w

    make.errors, make.expect_errors = dialogs.errors, dialogs.expect_errors  # for a window's own making
    yield make
    # Closing is part of the test: an error shown while a window closes counts too.
    for w in windows:
        if shiboken6.isValid(w) and w.isVisible():
            w.close()
    if dialogs.unexpected:
        pytest.fail("a dialog the test did not expect was shown:\n" + dialogs.report(), pytrace=False)


@pytest.fixture
def window(make_window):
    return make_window()
