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
    for widget, args in list(_relative.values()):
        _apply_relative(widget, *args)


# Widgets whose font is the application's made larger or smaller: set_ui_scale
# sets theirs again (Qt tells only the windows of a new application font, and
# a font set on a widget no longer follows it).
_relative: dict[int, tuple[QWidget, tuple]] = {}


def _apply_relative(widget: QWidget, factor: float, delta: float, minimum: float, bold: bool | None) -> None:
    font = QFont(QApplication.font())
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(max(scaled_pt(minimum), size * factor + scaled_pt(delta)))
    if bold is not None:
        font.setBold(bold)
    widget.setFont(font)


def relative_font(widget: QWidget, factor: float = 1.0, delta: float = 0.0, minimum: float = 0.0,
                  bold: bool | None = None) -> None:
    """Give ``widget`` the application font times ``factor`` plus ``delta``
    points (at least ``minimum``; both at the UI scale), and again at every
    new UI scale."""
    args = (factor, delta, minimum, bold)
    key = id(widget)
    if key not in _relative:
        widget.destroyed.connect(lambda *_: _relative.pop(key, None))
    _relative[key] = (widget, args)
    _apply_relative(widget, *args)
