"""Start the desktop app."""
from __future__ import annotations

import os
import sys


def has_display() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM"))


def run(path: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from .mainwindow import MainWindow
    from .theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnbuilder")
    app.setOrganizationName("nnbuilder")
    app.setApplicationDisplayName("nnbuilder")
    app.setStyle("Fusion")
    window = MainWindow(path)
    apply_theme(window.theme)
    window.set_theme(window.theme)
    window.show()
    return app.exec()
