"""Retake the README's window screenshots: `python docs/screenshots/take.py`.

Each one is the real window, offscreen, at the size a user would have
(1440x900, and 1024x700 for a small screen), trained for a few seconds at
full speed and paused. Settings and autosaves go to a temporary folder.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["NNBUILDER_STATE_DIR"] = tempfile.mkdtemp(prefix="nnbuilder-shots-")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "resources" / "examples"

def _learn(w):
    """A sample followed through the network, and one weight's chain rule."""
    w.learn.select_row(2)
    out = w.document.graph.nodes_of_type("output")[0].id
    w.learn.select_weight(out, 1, 0)
    w.docks["learnDock"].raise_()


def _step_through(w):
    """Step through, by hand, stopped in the backward pass."""
    w.learn.select_row(2)
    w.learn_panel.by_hand.setChecked(True)
    w.docks["learnDock"].raise_()
    w.learn.step_through.start()
    for _ in range(len(w.document.graph.nodes) + 1):
        w.learn.step_through.advance()


def _surface(w):
    out = w.document.graph.nodes_of_type("output")[0].id
    w.learn.select_weight(out, 0, 0)
    w.docks["surfaceDock"].raise_()


def _surface_walk(w):
    """The example's lr 0.005: each step goes 15% of the way down the parabola."""
    w.run.reset()
    _surface(w)
    for k in range(8):
        QTimer.singleShot(300 * (k + 1), w.run.step)


def _surface_too_fast(w):
    """lr 0.08 on y = w x (above 2 / 29.3): each step overshoots the minimum by more than the last."""
    w.training_panel.lr.setValue(0.08)
    w.run.reset()
    _surface(w)
    for k in range(5):  # one drawn snapshot per step: each is a point of the path
        QTimer.singleShot(300 * (k + 1), w.run.step)


def _timeline(w):
    """Paused, the timeline's slider back at epoch 25: that moment on the view, diagram and curves."""
    bar = w.curves.timeline
    if not bar.isEnabled():  # the paused run's moments are not here yet
        QTimer.singleShot(100, lambda: _timeline(w))
        return
    bar.slider.setValue(int(np.searchsorted(bar.moments[:, 1], 25)))


def _functions(w):
    """The Functions tab: Dense 1's tanh and its slope with a sample's a, the loss against the margin."""
    w.learn.select_row(4)
    order, _ = w.document.graph.topological_order()
    w.select_node(order[1])
    w.docks["functionsDock"].raise_()


def _lesson(w):
    """Help > Lessons, the XOR lesson's second step, trained until the panel says it is done."""
    w.show_lessons()
    w.lessons.start("02-xor")
    w.lessons.next()
    w.training_panel.speed.setCurrentIndex(0)  # max
    w.run.toggle_play()  # it stops by itself at the example's 1000 epochs
    w.shot_wait = lambda: w.run.running or not w.lessons.step_done()


# name: (example or None for the built-in one, theme, size, seconds of training,
#        dock to raise[, what to do once paused])
SHOTS = {
    "example-network": (None, "light", (1440, 900), 4.0, None),
    "small-window": (None, "light", (1024, 700), 4.0, None),
    "training-spiral": ("spiral.json", "light", (1440, 900), 8.0, "gradientsDock"),
    "skip-connection": ("skip_connection.json", "light", (1440, 900), 4.0, "networkDock"),
    "dark-theme": ("iris.json", "dark", (1440, 900), 3.0, None),
    "learn-chain-rule": ("xor.json", "light", (1440, 900), 2.0, None, _learn),
    "step-through": ("xor.json", "light", (1440, 900), 2.0, None, _step_through),
    "loss-surface": ("linear_regression.json", "light", (1440, 900), 0.0, None, _surface_walk),
    "loss-surface-diverging": ("linear_regression.json", "light", (1440, 900), 0.0, None, _surface_too_fast),
    "timeline": (None, "light", (1440, 900), 5.0, None, _timeline),
    "functions": (None, "light", (1440, 900), 3.0, None, _functions),
    "lesson": (None, "light", (1440, 900), 0.0, None, _lesson),
}


def take(app, name, example, theme, size, seconds, dock, then=None) -> None:
    from nnbuilder.gui.window.mainwindow import MainWindow
    from nnbuilder.gui.widgets.theme import apply_theme

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    w = MainWindow(str(EXAMPLES / example) if example else None, offer_restore=False)
    apply_theme(theme)
    w.set_theme(theme)
    w.resize(*size)
    w.training_panel.speed.setCurrentIndex(0)  # max: a trained state in a few seconds
    w.show()
    w.resize(*size)  # again once shown: before, the docks' first sizes can stretch it
    if dock:
        QTimer.singleShot(300, lambda: w.docks[dock].raise_())
    if seconds:
        QTimer.singleShot(500, w.run.toggle_play)
        QTimer.singleShot(int(500 + seconds * 1000), lambda: w.run.running and w.run.toggle_play())
    if then:
        QTimer.singleShot(int(900 + seconds * 1000), lambda: then(w))

    def shoot():
        if getattr(w, "shot_wait", lambda: False)():  # what it shows has not happened yet
            QTimer.singleShot(200, shoot)
            return
        w.grab().save(str(HERE / f"{name}.png"))
        w.document.undo_stack.setClean()
        w.document.mark_modified = lambda: None
        w._ask_unsaved = lambda: "discard"
        w.close()
        app.quit()
    QTimer.singleShot(int((3500 if then else 1500) + seconds * 1000), shoot)
    app.exec()
    print(f"{name}.png {size[0]}x{size[1]} {theme}")


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    for name in sys.argv[1:] or SHOTS:
        take(app, name, *SHOTS[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
