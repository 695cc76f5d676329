"""Help > Keyboard shortcuts: every key of the window, read from its actions
(so the list is what the keys do), and the diagram's own keys
(:data:`~nnbuilder.gui.diagram.keyboard.DIAGRAM_KEYS`)."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from ..diagram.keyboard import DIAGRAM_KEYS


def action_rows(actions, extra=()) -> list[tuple[str, str]]:
    """(keys, what) for each action with a shortcut, then ``extra`` rows."""
    rows = []
    for a in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts() if not k.isEmpty()]
        if keys:
            rows.append((", ".join(keys), a.text().replace("&", "").rstrip("…")))
    return rows + list(extra)


class ShortcutsDialog(QDialog):
    """The window's keys and the diagram's, in two tables: a tool window of
    the main window (not modal, above it and no other application's
    windows, minimised with it); Esc or Close shuts it."""

    def __init__(self, window_rows, parent=None):
        super().__init__(parent, Qt.WindowType.Tool)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.text = QTextBrowser()
        self.text.setObjectName("shortcutsText")
        self.text.setAccessibleName("Keyboard shortcuts")

        def table(title, rows):
            body = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{escape(v)}</td></tr>" for k, v in rows)
            return f"<h3>{title}</h3><table cellspacing='0' cellpadding='3'>{body}</table>"

        self.text.setHtml(table("The window", window_rows) + table("In the diagram", DIAGRAM_KEYS))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("&Close")
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(640, 560)

    def done(self, result: int) -> None:
        """Closed (Esc, Close): the keyboard back to the main window, where no
        window manager hands it back."""
        super().done(result)
        if self.parentWidget() is not None:
            self.parentWidget().activateWindow()
