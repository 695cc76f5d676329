"""The app's colour tables, one for the window and the exported frames:
TensorFlow Playground's diverging map (orange for negative values and class
0, through a light or dark grey by theme, to blue), the class colours, the
train/test pens, and the output view's image of a network's outputs
(:func:`output_rgba`). Pure NumPy: the window (``gui.widgets.colours``) and
the headless animation (:mod:`nnbuilder.core.run.frames`) draw with the same
numbers.
"""
from __future__ import annotations

import numpy as np

__all__ = ["ORANGE", "BLUE", "MID_LIGHT", "MID_DARK", "CLASS_COLORS", "CLASS_RGB", "TRAIN_PEN", "TEST_PEN",
           "REGRESSION_LEVELS", "diverging_lut", "diverging_rgba", "output_rgba", "hex_rgb"]

# TF Playground's diverging map: orange (negative / class 0) - light - blue.
ORANGE = np.array([245, 147, 34], dtype=np.float64)
BLUE = np.array([8, 119, 189], dtype=np.float64)
MID_LIGHT = np.array([232, 234, 235], dtype=np.float64)
MID_DARK = np.array([70, 72, 76], dtype=np.float64)
CLASS_COLORS = ["#F59322", "#0877BD", "#2CA02C", "#D62728", "#9467BD", "#8C564B",
                "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"]
TRAIN_PEN, TEST_PEN = "#1f77b4", "#ff7f0e"
REGRESSION_LEVELS = 33  # colours of regression targets on the output view


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` as (r, g, b) integers."""
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


CLASS_RGB = np.array([hex_rgb(c) for c in CLASS_COLORS], dtype=np.float64)

_LUTS: dict = {}


def diverging_lut(dark: bool, alpha: int = 255) -> np.ndarray:
    """256 RGBA colours from orange (index 0) through light/dark grey to blue (255)."""
    key = (dark, alpha)
    if key not in _LUTS:
        t = np.linspace(-1.0, 1.0, 256)[:, None]
        mid = MID_DARK if dark else MID_LIGHT
        rgb = np.where(t < 0, mid + (ORANGE - mid) * -t, mid + (BLUE - mid) * t)
        lut = np.empty((256, 4), dtype=np.uint8)
        lut[:, :3] = np.round(rgb)
        lut[:, 3] = alpha
        lut.flags.writeable = False
        _LUTS[key] = lut
    return _LUTS[key]


def diverging_rgba(t: np.ndarray, dark: bool = False, alpha: int = 255) -> np.ndarray:
    """RGBA uint8 for values ``t`` in [-1, 1] (clipped; NaN is the middle):
    orange, light (dark grey when ``dark``), blue. A 256-colour table lookup."""
    idx = np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0)
    idx = np.clip(idx, -1.0, 1.0)
    idx += 1.0
    idx *= 127.5
    return diverging_lut(dark, alpha)[idx.astype(np.uint8)]


def output_rgba(outputs: np.ndarray, resolution: int, threshold: float, value_range,
                discretize: bool = False, dark: bool = False) -> np.ndarray:
    """The output view's image ``(resolution, resolution, 4)`` uint8 of a 2-D
    grid's ``outputs`` ``(resolution**2, k)`` (row 0 at the grid's first y).

    One output: the diverging map centred on ``threshold``, spanning
    ``value_range`` (lo, hi), at 80% (lighter than the points on top), or two
    colours when ``discretize``. Several outputs: the winning class's colour,
    nearer the grey the less confident (full when ``discretize``)."""
    res = resolution
    k = outputs.shape[1]
    if k == 1:
        v = outputs[:, 0].reshape(res, res)
        lo, hi = value_range
        if discretize:
            t = np.where(v > threshold, 1.0, -1.0)
        else:
            span = max(hi - threshold, threshold - lo, 1e-12)
            t = (v - threshold) / span
        return diverging_rgba(0.8 * t, dark, 255)
    cls = outputs.argmax(axis=1)
    mid = MID_DARK if dark else MID_LIGHT
    base = CLASS_RGB[cls % len(CLASS_RGB)]
    if discretize:
        rgb = base
    else:
        conf = np.clip((outputs.max(axis=1) - 1.0 / k) / (1 - 1.0 / k), 0, 1)
        rgb = mid + (base - mid) * (0.25 + 0.75 * conf[..., None])
    rgba = np.empty((res * res, 4), dtype=np.uint8)
    rgba[:, :3] = np.clip(rgb, 0, 255)
    rgba[:, 3] = 235
    return rgba.reshape(res, res, 4)
