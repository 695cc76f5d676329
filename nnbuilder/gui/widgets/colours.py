"""The app's colours in the window: the one table of
:mod:`nnbuilder.core.run.colours` (the exported animation draws with it too),
with the grey in the middle of the diverging map taken from the theme.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QGuiApplication, QPalette

from nnbuilder.core.run import colours as _table
from nnbuilder.core.run.colours import (BLUE, CLASS_COLORS, MID_DARK, MID_LIGHT, ORANGE, REGRESSION_LEVELS,
                                        TEST_PEN, TRAIN_PEN)

__all__ = ["BLUE", "CLASS_COLORS", "MID_DARK", "MID_LIGHT", "ORANGE", "REGRESSION_LEVELS", "TEST_PEN", "TRAIN_PEN",
           "dark", "diverging_rgba", "output_rgba"]


def dark() -> bool:
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


class Ink:
    """A text colour for rich text, one per theme, chosen when it is written
    into the text (``f"color:{ink}"``): each has a WCAG contrast of at least
    4.5 with its theme's window (#2b9348 had 3.4 on both)."""

    def __init__(self, light: str, on_dark: str):
        self.light, self.on_dark = light, on_dark

    def __format__(self, spec: str) -> str:
        return format(self.on_dark if dark() else self.light, spec)

    def __str__(self) -> str:
        return format(self, "")


OK_INK, WARNING_INK, ERROR_INK = Ink("#1e7b34", "#7bd88f"), Ink("#9a5b00", "#f0b14a"), Ink("#c92a2a", "#ff6b6b")


def diverging_rgba(t: np.ndarray, alpha: int = 255) -> np.ndarray:
    """RGBA uint8 for values ``t`` in [-1, 1] (clipped; NaN is the middle):
    orange, light (dark grey in a dark theme), blue."""
    return _table.diverging_rgba(t, dark(), alpha)


def output_rgba(outputs: np.ndarray, resolution: int, threshold: float, value_range,
                discretize: bool = False) -> np.ndarray:
    """The output view's image of ``outputs`` in the theme's colours
    (:func:`nnbuilder.core.run.colours.output_rgba`)."""
    return _table.output_rgba(outputs, resolution, threshold, value_range, discretize, dark())
