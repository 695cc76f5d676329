"""Start the desktop app."""
from __future__ import annotations

import os
import sys


def has_display() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM"))


def run(path: str | None = None, self_test: bool = False) -> int:
    """Open the window (on ``path``, else the example) and run until it closes.
    ``self_test``: see :mod:`nnbuilder.gui.window.selftest`."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from nnbuilder.core.resources import resource

    from .window.mainwindow import MainWindow
    from .widgets.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnbuilder")
    app.setOrganizationName("nnbuilder")
    app.setApplicationDisplayName("nnbuilder")
    app.setStyle("Fusion")
    app.setWindowIcon(QIcon(str(resource("icons", "nnbuilder.png"))))
    # Wayland finds the icon (and the window's name) through the .desktop entry
    # of this name, which packaging/install-desktop.sh installs.
    app.setDesktopFileName("nnbuilder")
    window = MainWindow(path)
    apply_theme(window.theme)
    window.set_theme(window.theme)
    window.show()
    if self_test:
        from .window.selftest import SelfTest

        SelfTest(window)  # a child of the window
    return app.exec()
