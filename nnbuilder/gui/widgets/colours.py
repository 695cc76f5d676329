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


def diverging_rgba(t: np.ndarray, alpha: int = 255) -> np.ndarray:
    """RGBA uint8 for values ``t`` in [-1, 1] (clipped; NaN is the middle):
    orange, light (dark grey in a dark theme), blue."""
    return _table.diverging_rgba(t, dark(), alpha)


def output_rgba(outputs: np.ndarray, resolution: int, threshold: float, value_range,
                discretize: bool = False) -> np.ndarray:
    """The output view's image of ``outputs`` in the theme's colours
    (:func:`nnbuilder.core.run.colours.output_rgba`)."""
    return _table.output_rgba(outputs, resolution, threshold, value_range, discretize, dark())
