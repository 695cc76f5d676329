"""Number fields that refuse a bad value with the reason, instead of altering it.

A plain QSpinBox does not let a user type a number beyond its range: 5000
typed into a learning-rate field limited to 1000 stops at 500, silently. The
fields here let any number be typed and ask a *check* whether it is allowed.
The checks and the fields' ranges (:meth:`limit_to`) come from the core's
declarations (:mod:`nnbuilder.core.constraints`: the training settings', the
node types' parameters; the model file's schema for the data), so no limit is
written twice. A refused value is not applied: the field goes back to its
previous value, is outlined in red with the reason in its tool tip, emits
``refused(message)`` and posts the message to the window's status bar (a
QStatusTipEvent, which travels up the parents to the QMainWindow; the field
needs to know no window).

Typed values are checked when the user commits them (Enter, or leaving the
field); the arrow keys, the buttons and the wheel step only to values the
check allows, and a value set by the program is held to the range. Ctrl+Z and
Ctrl+Shift+Z in a field are the window's Undo and Redo
(:func:`pass_undo_to_window`), not the text box's own.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QStatusTipEvent, QValidator
from PySide6.QtWidgets import (QApplication, QDoubleSpinBox, QSpinBox, QStyle,
                               QStyleOptionSpinBox)

__all__ = ["Check", "CheckedSpinBox", "CheckedDoubleSpinBox", "pass_undo_to_window", "refused_style"]

#: Why a value is refused (a phrase: "must be below 1"), or None if it is allowed.
Check = Callable[[float], "str | None"]



def refused_style(selector: str) -> str:
    """The red outline of a refused field (``selector``: its widget class, so
    that its children, such as a spin box's line edit, keep their own look)."""
    return f"{selector} {{ border: 2px solid #E03131; border-radius: 3px; }}"


class _WindowUndo(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ShortcutOverride and (
                event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)):
            event.ignore()  # not the field's: the window's Undo and Redo actions take it
            return True
        return False


def pass_undo_to_window(widget) -> None:
    """Ctrl+Z / Ctrl+Shift+Z in ``widget`` (a text or spin box) undo and redo
    the document's edits, not the typing in the box (whose own undo would
    then be applied as one more edit)."""
    widget.installEventFilter(_WindowUndo(widget))


_INT_LIMIT = 2 ** 31 - 1
_FLOAT_LIMIT = 1e15  # any larger number is refused by every check anyway


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _checked(base):
    """A subclass of ``base`` (QSpinBox or QDoubleSpinBox) with a check."""

    class Field(base):
        refused = Signal(str)  # the message, as the status bar shows it

        def __init__(self, check: Check, label: str, zero_text: str = "", parent=None):
            super().__init__(parent)
            self.check, self.label, self.zero_text = check, label, zero_text
            self._tip = ""
            self.refusal: str | None = None  # the message of the last refusal, while shown
            if base is QDoubleSpinBox:
                self.setRange(-_FLOAT_LIMIT, _FLOAT_LIMIT)
            else:
                self.setRange(-_INT_LIMIT, _INT_LIMIT)
            self.setKeyboardTracking(False)  # apply a typed value on Enter, not per keystroke
            pass_undo_to_window(self)

        # ----------------------------------------------------------- display
        def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt's name)
            self._tip = tip
            super().setToolTip(tip if self.refusal is None else f"{tip}\n\n{self.refusal}")

        def textFromValue(self, value):  # noqa: N802
            # zero_text stands for 0 ("no limit"), as specialValueText would at
            # the minimum (which is no longer 0 here); typed_value reads it back.
            if self.zero_text and value == 0:
                return self.zero_text
            return super().textFromValue(value)

        def _hint(self, hint: QSize) -> QSize:
            # As wide as a usual value, not as the (huge) range's ends.
            sample = max(self.textFromValue(self.value()), self.zero_text,
                         self.textFromValue(1000 if base is QSpinBox else 1000.0), key=len)
            opt = QStyleOptionSpinBox()
            self.initStyleOption(opt)
            width = self.fontMetrics().horizontalAdvance(sample + " ") + 2
            size = self.style().sizeFromContents(QStyle.ContentsType.CT_SpinBox, opt,
                                                 QSize(width, hint.height()), self)
            return QSize(size.width(), hint.height())

        def sizeHint(self) -> QSize:  # noqa: N802
            return self._hint(super().sizeHint())

        def minimumSizeHint(self) -> QSize:  # noqa: N802
            return self._hint(super().minimumSizeHint())

        def limit_to(self, constraint) -> None:
            """Take the range of a core constraint (its ``widget()`` ends; None:
            no limit); call it after setting the decimals, which round an open end."""
            limits = constraint.widget(self.decimals() if base is QDoubleSpinBox else 0)
            wide = _INT_LIMIT if base is QSpinBox else _FLOAT_LIMIT
            lo, hi = limits.get("minimum"), limits.get("maximum")
            self.setRange(-wide if lo is None else lo, wide if hi is None else hi)

        # ------------------------------------------------------------ checks
        def _number(self, text: str):
            if self.zero_text and text == self.zero_text:
                return 0 if base is QSpinBox else 0.0
            if base is QSpinBox:
                value, ok = self.locale().toInt(text)
            else:
                value, ok = self.locale().toDouble(text)
            return value if ok else None

        def typed_value(self):
            """The number in the text box as typed, or None if it is not one."""
            return self._number(self.cleanText())

        def validate(self, text, pos):
            # A number beyond the range may be typed: committing it asks the
            # check, which says why it is refused (Qt would drop the keystroke).
            state, text, pos = super().validate(text, pos)
            value = self._number(text.strip())
            if state == QValidator.State.Invalid and (text.strip() in ("-", "+") or (
                    value is not None and not self.minimum() <= value <= self.maximum())):
                state = QValidator.State.Intermediate  # "-" begins "-5"
            return state, text, pos

        def commit_typed(self) -> bool:
            """Check the typed value before the spin box applies it; False if refused."""
            value = self.typed_value()
            if value is None or value == self.value():
                return True  # not a number (the spin box restores the old one), or no change
            why = self.check(value)
            if why:
                self.refuse(value, why)
                return False
            self.clear_refusal()
            if not self.minimum() <= value <= self.maximum():
                self.setValue(value)  # allowed but beyond the last digit shown (0.995 to 0.99)
            return True

        def refuse(self, value, why: str) -> None:
            """Keep the current value; say why ``value`` is not taken."""
            self.refusal = (f"{self.label} {_shown(value)} refused: {why}; "
                            f"kept {self.textFromValue(self.value())}")
            self.lineEdit().setText(self.textFromValue(self.value()))
            self.setProperty("refused", True)
            self.setStyleSheet(refused_style("QAbstractSpinBox"))
            self.setToolTip(self._tip)
            QApplication.sendEvent(self, QStatusTipEvent(self.refusal))
            self.refused.emit(self.refusal)

        def clear_refusal(self) -> None:
            if self.refusal is not None:
                self.refusal = None
                self.setProperty("refused", False)
                self.setStyleSheet("")
                self.setToolTip(self._tip)

        # ------------------------------------------------------------ events
        def keyPressEvent(self, event):  # noqa: N802
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.commit_typed():
                event.accept()
                return
            super().keyPressEvent(event)

        def focusOutEvent(self, event):  # noqa: N802
            self.commit_typed()
            super().focusOutEvent(event)

        def stepBy(self, steps: int) -> None:  # noqa: N802
            before = self.value()
            blocked = self.blockSignals(True)
            try:
                super().stepBy(steps)
                after = self.value()
                if after != before and self.check(after):
                    self.setValue(before)  # the arrows stop at the last allowed value
            finally:
                self.blockSignals(blocked)
            if self.value() != before:
                self.clear_refusal()
                self.valueChanged.emit(self.value())

    Field.__name__ = Field.__qualname__ = f"Checked{base.__name__[1:]}"
    return Field


#: A whole-number field: ``CheckedSpinBox(check, "Batch size")``.
CheckedSpinBox = _checked(QSpinBox)
#: A decimal field: ``CheckedDoubleSpinBox(check, "Learning rate")``.
CheckedDoubleSpinBox = _checked(QDoubleSpinBox)
