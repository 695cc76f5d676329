"""The app's colours, shared by the diagram, the plots and the gallery:
TensorFlow Playground's diverging map (orange for negative values and class
0, through a light or dark grey by theme, to blue), the class colours and the
train/test pens.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QGuiApplication, QPalette

# TF Playground's diverging map: orange (negative / class 0) - light - blue.
ORANGE = np.array([245, 147, 34], dtype=np.float64)
BLUE = np.array([8, 119, 189], dtype=np.float64)
MID_LIGHT = np.array([232, 234, 235], dtype=np.float64)
MID_DARK = np.array([70, 72, 76], dtype=np.float64)
CLASS_COLORS = ["#F59322", "#0877BD", "#2CA02C", "#D62728", "#9467BD", "#8C564B",
                "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"]
TRAIN_PEN, TEST_PEN = "#1f77b4", "#ff7f0e"
REGRESSION_LEVELS = 33  # colours of regression targets on the output view


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


_LUTS: dict = {}


def _lut(is_dark: bool, alpha: int) -> np.ndarray:
    """256 RGBA colours from orange (index 0) through light/dark grey to blue (255)."""
    key = (is_dark, alpha)
    if key not in _LUTS:
        t = np.linspace(-1.0, 1.0, 256)[:, None]
        mid = MID_DARK if is_dark else MID_LIGHT
        rgb = np.where(t < 0, mid + (ORANGE - mid) * -t, mid + (BLUE - mid) * t)
        lut = np.empty((256, 4), dtype=np.uint8)
        lut[:, :3] = np.round(rgb)
        lut[:, 3] = alpha
        _LUTS[key] = lut
    return _LUTS[key]


def diverging_rgba(t: np.ndarray, alpha: int = 255) -> np.ndarray:
    """RGBA uint8 for values ``t`` in [-1, 1] (clipped; NaN is the middle):
    orange, light, blue. A 256-colour table lookup, fast enough per frame."""
    idx = np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0)
    idx = np.clip(idx, -1.0, 1.0)
    idx += 1.0
    idx *= 127.5
    return _lut(dark(), alpha)[idx.astype(np.uint8)]
