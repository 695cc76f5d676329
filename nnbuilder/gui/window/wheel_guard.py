"""Only a focused control takes the mouse wheel.

Qt's combo boxes and spin boxes change their value under a wheel that merely
passes over them (their default focus policy even takes the focus on the
wheel): scrolling the Training panel switched the data set and rebuilt the
network. One application-wide event filter fixes it for every window and
dialog, present and future: each combo and spin box gets ``Qt.StrongFocus``
(a click or Tab focuses it, the wheel does not) and, without the focus, lets
a wheel event go by to its parents, so the scroll area around it scrolls.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)
_WHEEL, _POLISH = QEvent.Type.Wheel, QEvent.Type.Polish
GUARD_NAME = "nnbuilderWheelGuard"


def guard_focus(widget: QWidget) -> None:
    """The wheel no longer gives ``widget`` the focus (a click or Tab does)."""
    if widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class WheelGuard(QObject):
    """Installed once on the application by :func:`install_wheel_guard`."""

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind != _WHEEL and kind != _POLISH:  # the common case, kept cheap
            return False
        if not isinstance(obj, GUARDED):
            return False
        if kind == _POLISH:  # every new widget is polished once before it shows
            guard_focus(obj)
            return False
        if obj.hasFocus():
            return False
        # Filtered but not accepted: Qt offers the wheel to the parents, up to
        # the scroll area, as if this control were not there.
        event.ignore()
        return True


def install_wheel_guard(window: QWidget) -> WheelGuard:
    """Guard every combo and spin box of the application (one guard per
    application, however many windows ask); ``window``'s existing ones too."""
    app = QApplication.instance()
    guard = app.findChild(QObject, GUARD_NAME)
    if guard is None:
        guard = WheelGuard(app)
        guard.setObjectName(GUARD_NAME)
        app.installEventFilter(guard)
    for widget in window.findChildren(QWidget):
        if isinstance(widget, GUARDED):
            guard_focus(widget)
    return guard
