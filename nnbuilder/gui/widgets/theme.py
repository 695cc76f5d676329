"""Light and dark palettes; "system" follows the desktop's colour scheme (Qt 6.5+)."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

THEMES = ("system", "light", "dark")
#: Muted text (placeholders, the views' grey captions) per theme: a WCAG contrast of
#: at least 4.5 with its window (the light style's half-black on #efefef had 3.9).
MUTED_LIGHT, MUTED_DARK = "#666666", "#a0a3aa"


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colors = {
        role.Window: "#2b2d31", role.WindowText: "#e6e6e6", role.Base: "#1f2023",
        role.AlternateBase: "#2f3136", role.ToolTipBase: "#3a3c42", role.ToolTipText: "#f0f0f0",
        role.Text: "#e6e6e6", role.Button: "#34363c", role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff6b6b", role.Highlight: "#3d8ee8", role.HighlightedText: "#ffffff",
        role.Link: "#6ab0ff", role.Mid: "#5a5d66", role.Dark: "#18191b", role.Light: "#45474e",
        role.Midlight: "#3c3e44", role.Shadow: "#000000", role.PlaceholderText: MUTED_DARK,
    }
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7a7d84"))
    return p


def light_palette(app) -> QPalette:
    """The style's own light palette, its muted text readable."""
    p = app.style().standardPalette()
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(MUTED_LIGHT))
    return p


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hasattr(hints, "colorScheme") and hints.colorScheme() == Qt.ColorScheme.Dark


def apply_theme(mode: str) -> None:
    """Set the application palette for ``mode`` ("system", "light", "dark")."""
    app = QApplication.instance()
    if app is None:
        return
    dark = mode == "dark" or (mode == "system" and system_is_dark())
    app.setPalette(dark_palette() if dark else light_palette(app))
    if not isinstance(app.style(), VisibleChecks):
        app.setStyle(VisibleChecks(app.style()))


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


class VisibleChecks(QProxyStyle):
    """The platform style, with check boxes framed in a light colour on a dark
    window (Fusion frames them darker than the window: invisible there), and
    radio buttons drawn as a ring, filled with a dot only when selected
    (Fusion's, on a dark window, looked filled when not selected)."""

    def drawPrimitive(self, element, option, painter, widget=None):
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton and _is_dark(option.palette):
            self._radio(option, painter)
            return
        super().drawPrimitive(element, option, painter, widget)
        if element == QStyle.PrimitiveElement.PE_IndicatorCheckBox and \
                option.palette.color(QPalette.ColorRole.Window).lightness() < 128:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QColor("#9a9da4"))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5), 2, 2)
            painter.restore()

    @staticmethod
    def _radio(option, painter) -> None:
        pal = option.palette
        on = bool(option.state & QStyle.StateFlag.State_On)
        enabled = bool(option.state & QStyle.StateFlag.State_Enabled)
        r = QRectF(option.rect).adjusted(1.5, 1.5, -1.5, -1.5)
        side = min(r.width(), r.height())
        r = QRectF(r.center().x() - side / 2, r.center().y() - side / 2, side, side)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ring = QColor("#9a9da4") if enabled else QColor("#5a5d66")
        painter.setPen(ring)
        painter.setBrush(pal.color(QPalette.ColorRole.Window))
        painter.drawEllipse(r)
        if on:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight) if enabled else ring)
            d = side * 0.28
            painter.drawEllipse(r.adjusted(d, d, -d, -d))
        painter.restore()
