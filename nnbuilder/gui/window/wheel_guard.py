"""Only a focused control takes the mouse wheel.

Qt's combo boxes and spin boxes change their value under a wheel that merely
passes over them (their default focus policy even takes the focus on the
wheel): scrolling the Training panel switched the data set and rebuilt the
network. Each combo and spin box of every window and dialog, present and
future, gets ``Qt.StrongFocus`` (a click or Tab focuses it, the wheel does
not) and an event filter of its own that, without the focus, lets a wheel
event go by to its parents, so the scroll area around it scrolls.

The guard meets each new control where Qt polishes every widget once before
it shows: the application style's ``polish``. A proxy style just above the
platform style (under any other proxy, such as the theme's) guards the
controls it polishes; no filter sees the events of any other widget.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QProxyStyle, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)
_WHEEL = QEvent.Type.Wheel
GUARD_NAME = "nnbuilderWheelGuard"


class WheelGuard(QObject):
    """The event filter of every guarded control (one for the application)."""

    def guard(self, widget: QWidget) -> None:
        """The wheel no longer gives ``widget`` the focus (a click or Tab
        does) and goes by it while it has none. Guarding twice is harmless."""
        if widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(self)  # once: Qt moves an installed filter to the front

    def eventFilter(self, obj, event) -> bool:
        if event.type() != _WHEEL or obj.hasFocus():
            return False
        # Filtered but not accepted: Qt offers the wheel to the parents, up to
        # the scroll area, as if this control were not there.
        event.ignore()
        return True


class _GuardingStyle(QProxyStyle):
    """The style it wraps, guarding each combo and spin box it polishes with
    ``guard`` (the application's :class:`WheelGuard`)."""

    guard: WheelGuard | None = None

    def polish(self, arg):  # one name for QStyle's three overloads (widget, palette, application)
        if self.guard is not None and isinstance(arg, GUARDED):
            self.guard.guard(arg)
        return super().polish(arg)


def _guarding_style(app: QApplication) -> _GuardingStyle:
    """The application style's guarding proxy, put in just above the platform
    style (under every other proxy: a style set later wraps the one there, as
    the theme's does) unless it is there already."""
    outer, style = None, app.style()
    while isinstance(style, QProxyStyle) and not isinstance(style, _GuardingStyle):
        outer, style = style, style.baseStyle()
    if isinstance(style, _GuardingStyle):
        return style
    guarding = _GuardingStyle(style)
    if outer is None:
        app.setStyle(guarding)
    else:
        outer.setBaseStyle(guarding)
    return guarding


def install_wheel_guard(window: QWidget) -> WheelGuard:
    """Guard every combo and spin box of the application, the ones to come
    (one guard per application, however many windows ask) and ``window``'s
    existing ones."""
    app = QApplication.instance()
    guard = app.findChild(WheelGuard, GUARD_NAME)
    if guard is None:
        guard = WheelGuard(app)
        guard.setObjectName(GUARD_NAME)
    # The guard keeps the style's Python side (its override of polish) alive.
    guard.style = _guarding_style(app)
    guard.style.guard = guard
    for widget in window.findChildren(QWidget):
        if isinstance(widget, GUARDED):
            guard.guard(widget)
    return guard
