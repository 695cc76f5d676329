"""Retake the README's presentation-mode screenshots:
`python docs/screenshots/take_presentation.py`.

Each is the real window in presentation mode at 200% on an offscreen screen
of 1280x720 or 1920x1080 (full screen needs a screen of that size: each
shot runs in its own process), the built-in example trained for a few
seconds, paused; the second one with the panels hidden (F10).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# name: (screen width, height, scale, panels hidden)
SHOTS = {
    "presentation-1920x1080": (1920, 1080, 2.0, False),
    "presentation-1280x720": (1280, 720, 2.0, False),
    "presentation-panels-hidden": (1280, 720, 2.0, True),
}


def shoot(name: str, width: int, height: int, scale: float, hidden: bool) -> None:
    os.environ["NNBUILDER_STATE_DIR"] = tempfile.mkdtemp(prefix="nnbuilder-shots-")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    from nnbuilder.gui.window.mainwindow import MainWindow

    w = MainWindow(offer_restore=False)
    w.training_panel.speed.setCurrentIndex(0)
    w.show()

    def present():  # F11 (and F10) while it trains, as in front of a class
        w.presentation.set_scale(scale)
        w.presentation.set_on(True)
        if hidden:
            QTimer.singleShot(500, w.presentation.toggle_panels)

    def done():
        w.grab().save(str(HERE / f"{name}.png"))
        w.document.undo_stack.setClean()
        w._ask_unsaved = lambda: "discard"
        w.close()
        app.quit()
    QTimer.singleShot(500, w.run.toggle_play)
    QTimer.singleShot(1500, present)
    QTimer.singleShot(4500, lambda: w.run.running and w.run.toggle_play())
    QTimer.singleShot(6500, done)
    app.exec()
    print(f"{name}.png {width}x{height} at {scale:.0%}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        name = sys.argv[2]
        shoot(name, *SHOTS[name])
        return 0
    for name, (width, height, _, _) in SHOTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "screen.json"
            config.write_text(json.dumps({"synchronousWindowSystemEvents": False, "windowFrameMargins": False,
                                          "screens": [{"name": "s", "x": 0, "y": 0, "width": width,
                                                       "height": height, "logicalDpi": 96,
                                                       "logicalBaseDpi": 96, "dpr": 1}]}))
            env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
            subprocess.run([sys.executable, __file__, "--one", name], env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
