"""The UI scale: one factor on every font of the window (presentation mode).

The application font is the one owner: :func:`set_ui_scale` sets it to the
font the app started with times the factor, and every widget without a font
of its own follows it (the panels, the Learn panel's text, the plots' axes
through :func:`~nnbuilder.gui.widgets.plots.style_plot`). Sizes written in
points elsewhere (a plot title's 9 pt) go through :func:`scaled_pt`; a widget
whose font is the application's made larger or smaller keeps that proportion
with :func:`relative_font`. The diagram scales as a whole (the view's
transform, :meth:`~nnbuilder.gui.diagram.view.NetworkView.set_ui_scale`).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

SCALES = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5)  # View > Presentation scale: 100-250%

_base: QFont | None = None  # the application font before any scale
_scale = 1.0


def ui_scale() -> float:
    return _scale


def scaled_pt(pt: float) -> float:
    """``pt`` points at the UI scale."""
    return pt * _scale


def set_ui_scale(scale: float) -> None:
    """Every font of the application ``scale`` times the size it started with."""
    global _base, _scale
    app = QApplication.instance()
    if app is None:
        return
    if _base is None:
        _base = QFont(app.font())
    _scale = float(min(max(scale, SCALES[0]), SCALES[-1]))
    font = QFont(_base)
    if _base.pointSizeF() > 0:
        font.setPointSizeF(_base.pointSizeF() * _scale)
    else:  # a font sized in pixels
        font.setPixelSize(max(1, round(_base.pixelSize() * _scale)))
    app.setFont(font)


class _Follower(QObject):
    def __init__(self, widget: QWidget, factor: float, delta: float, minimum: float, bold: bool | None):
        super().__init__(widget)
        self.args = factor, delta, minimum, bold
        widget.installEventFilter(self)
        self.apply(widget)

    def apply(self, widget: QWidget) -> None:
        factor, delta, minimum, bold = self.args
        font = QFont(QApplication.font())
        size = font.pointSizeF()
        if size > 0:
            font.setPointSizeF(max(scaled_pt(minimum), size * factor + scaled_pt(delta)))
        if bold is not None:
            font.setBold(bold)
        widget.setFont(font)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.ApplicationFontChange:
            self.apply(obj)
        return False


def relative_font(widget: QWidget, factor: float = 1.0, delta: float = 0.0, minimum: float = 0.0,
                  bold: bool | None = None) -> None:
    """Give ``widget`` the application font times ``factor`` plus ``delta``
    points (at least ``minimum``; both at the UI scale), again whenever the
    application font changes."""
    for old in widget.findChildren(_Follower):
        if old.parent() is widget:
            widget.removeEventFilter(old)
            old.setParent(None)
            old.deleteLater()
    _Follower(widget, factor, delta, minimum, bold)
