"""Alt keys on the buttons of the file dialogs and message boxes.

The window asks for paths with QFileDialog's static functions. Where the
desktop offers no native dialog, Qt shows its own, whose Cancel button has no
mnemonic (its Open, Save, Look in, File name and Files of type have one).
:func:`file_dialog_mnemonics` gives the buttons theirs while such a dialog is
open: it watches for the dialog being shown (a native dialog is not a Qt
widget and keeps its own labels). A message box's standard buttons ("Save",
"Discard") have no Alt key either: :func:`ask` shows one whose buttons are
labelled by the caller, each with its own.
"""
from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

__all__ = ["ask", "file_dialog_mnemonics", "label_file_dialog"]


def label_file_dialog(dialog: QFileDialog) -> None:
    """Cancel with Alt+C; a folder dialog's Choose with Alt+H (C is Cancel's)."""
    L = QFileDialog.DialogLabel
    dialog.setLabelText(L.Reject, "&Cancel")
    if dialog.fileMode() == QFileDialog.FileMode.Directory:
        dialog.setLabelText(L.Accept, "C&hoose")


class _Labeller(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Show and isinstance(obj, QFileDialog):
            label_file_dialog(obj)
        return False


@contextmanager
def file_dialog_mnemonics():
    """While inside, a file dialog Qt shows gets its Alt keys."""
    app = QApplication.instance()
    labeller = _Labeller()
    app.installEventFilter(labeller)
    try:
        yield
    finally:
        app.removeEventFilter(labeller)


def ask(parent: QWidget, title: str, text: str, answers: list[tuple[str, str, QMessageBox.ButtonRole]],
        default: str, escape: str) -> str:
    """A question in a modal message box, one button per ``(answer, label,
    role)`` of ``answers`` (a label's "&" marks its Alt key); the answer of
    the button pressed, ``escape``'s if the box was closed with Esc."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    buttons = {}
    for answer, label, role in answers:
        buttons[answer] = box.addButton(label, role)
    box.setDefaultButton(buttons[default])
    box.setEscapeButton(buttons[escape])
    box.exec()
    return next((a for a, b in buttons.items() if b is box.clickedButton()), escape)
