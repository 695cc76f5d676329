"""Widgets that redraw what they paint themselves when the theme changes.

A theme switch sets the application's palette; Qt then sends every widget a
palette change. A widget whose colours come from code (plots, images, style
sheets) mixes in :class:`FollowsTheme` and says in ``theme_changed()`` what
to redraw, instead of each writing its own ``changeEvent``.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent

__all__ = ["FollowsTheme"]

# A palette change is a theme switch; an application font change, presentation
# mode's UI scale (line widths and text sizes follow it).
THEME_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange, QEvent.Type.ApplicationFontChange)


class FollowsTheme:
    """Mixin before a QWidget base: ``class View(FollowsTheme, QWidget)``.

    ``theme_changed()`` runs on every palette or application font change, never inside itself (a
    redraw that sets a palette of its own sends another change)."""

    _theming = False

    def theme_changed(self) -> None:
        raise NotImplementedError

    def changeEvent(self, event):  # noqa: N802 (Qt's name)
        if event.type() in THEME_EVENTS and not self._theming:
            self._theming = True
            try:
                self.theme_changed()
            finally:
                self._theming = False
        super().changeEvent(event)
