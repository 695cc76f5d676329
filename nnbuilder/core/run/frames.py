"""Frames of a run for slides, drawn with NumPy alone: the output view (the
network's output over the data, coloured by :mod:`.colours` as the window
colours it, the decision boundary traced at the contour level, the data
points on top) with a caption, and optionally the loss curve up to the
frame's moment. The window's File > Export > Animation and ``nnbuilder
train --animate`` draw with this one renderer, so their frames look the
same; :mod:`nnbuilder.core.files.animation` writes them.

A :class:`FrameScene` is what stays the same over a run (the grid, the
points, the colour scale, the whole run's loss curve); :meth:`FrameScene.render`
draws one moment from the network's outputs over the grid
(:func:`~nnbuilder.core.run.outputview.evaluate_view`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .colours import (CLASS_RGB, MID_DARK, MID_LIGHT, REGRESSION_LEVELS, TEST_PEN, TRAIN_PEN, diverging_rgba,
                      hex_rgb, output_rgba)
from .font import CELL, text_mask
from .outputview import InputGrid

__all__ = ["FrameOptions", "FrameScene", "Canvas", "MAX_FRAME_POINTS"]

MAX_FRAME_POINTS = 5000  # points drawn per set, as the window draws at most
_INK_LIGHT, _INK_DARK = (34, 34, 34), (230, 230, 230)
_PAPER_LIGHT, _PAPER_DARK = (255, 255, 255), (30, 31, 34)
_CONTOUR = (34, 34, 34)  # the window's isocurve pen, #222222
_CURVE = hex_rgb("#0877BD")


@dataclass(frozen=True)
class FrameOptions:
    """How frames look: the output view ``size`` x ``size`` pixels, the loss
    curve under it (``loss``, ``loss_height`` pixels), the dark theme's grey,
    two colours only (``discretize``), the test points, and each font pixel
    ``text_scale`` x ``text_scale`` (0: one more for every 320 pixels of ``size``)."""

    size: int = 320
    loss: bool = True
    loss_height: int = 120
    dark: bool = False
    discretize: bool = False
    show_test: bool = True
    text_scale: int = 0

    @property
    def scale(self) -> int:
        """The text scale in use."""
        return self.text_scale or max(1, self.size // 320)

    def check(self) -> None:
        if not 32 <= self.size <= 4096:
            raise ValueError(f"the frame size must be 32 to 4096 pixels, not {self.size}")
        if not 0 <= self.text_scale <= 8:
            raise ValueError(f"the text scale must be 1 to 8 (0: by the size), not {self.text_scale}")


class Canvas:
    """An RGB image ``(height, width, 3)`` uint8 with the few strokes frames need."""

    def __init__(self, height: int, width: int, paper=_PAPER_LIGHT):
        self.rgb = np.empty((height, width, 3), dtype=np.uint8)
        self.rgb[...] = paper

    def text(self, x: int, y: int, text: str, colour, scale: int = 1, right: bool = False) -> None:
        """``text`` with its top left at (x, y) (its top right when ``right``), clipped."""
        mask = text_mask(text, scale)
        if right:
            x -= mask.shape[1]
        self.mask(x, y, mask, colour)

    def mask(self, x: int, y: int, mask: np.ndarray, colour) -> None:
        h, w = self.rgb.shape[:2]
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + mask.shape[1], w), min(y + mask.shape[0], h)
        if x1 <= x0 or y1 <= y0:
            return
        region = self.rgb[y0:y1, x0:x1]
        region[mask[y0 - y:y1 - y, x0 - x:x1 - x]] = colour

    def polyline(self, xs: np.ndarray, ys: np.ndarray, colour, width: int = 2) -> None:
        """A line through the points (pixel coordinates), ``width`` pixels thick;
        a segment with an end not finite is left out."""
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        if len(xs) < 2:
            if len(xs) and np.isfinite(xs[0]) and np.isfinite(ys[0]):
                self.dots(xs, ys, colour, width)
            return
        ax, ay, bx, by = xs[:-1], ys[:-1], xs[1:], ys[1:]
        ok = np.isfinite(ax) & np.isfinite(ay) & np.isfinite(bx) & np.isfinite(by)
        ax, ay, bx, by = ax[ok], ay[ok], bx[ok], by[ok]
        h, w = self.rgb.shape[:2]
        # Points a pixel apart along each segment (at most the canvas's size per segment).
        n = (np.minimum(np.maximum(np.abs(bx - ax), np.abs(by - ay)), h + w) + 2).astype(np.int64)
        seg = np.repeat(np.arange(len(n)), n)
        t = (np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n - 1, n)
        self.dots(ax[seg] + (bx - ax)[seg] * t, ay[seg] + (by - ay)[seg] * t, colour, width)

    def dots(self, xs: np.ndarray, ys: np.ndarray, colour, width: int = 1) -> None:
        """Squares of ``width`` pixels at the points (pixel coordinates), clipped."""
        h, w = self.rgb.shape[:2]
        ix, iy = np.rint(xs).astype(np.int64), np.rint(ys).astype(np.int64)
        off = np.arange(width) - (width - 1) // 2
        for dy in off:
            for dx in off:
                x, y = ix + dx, iy + dy
                ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
                self.rgb[y[ok], x[ok]] = colour

    def discs(self, xs: np.ndarray, ys: np.ndarray, fills: np.ndarray, edge, radius: float = 3.5,
              edge_width: float = 1.0) -> None:
        """Filled circles at the points, each its ``fills`` row's colour, ringed in ``edge``."""
        if not len(xs):
            return
        h, w = self.rgb.shape[:2]
        r = int(np.ceil(radius))
        cx, cy = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        ix, iy = np.rint(cx).astype(np.int64), np.rint(cy).astype(np.int64)
        fills = np.asarray(fills, dtype=np.uint8)
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                x, y = ix + dx, iy + dy
                d = np.hypot(x - cx, y - cy)
                ok = (x >= 0) & (x < w) & (y >= 0) & (y < h) & (d <= radius)
                ring = ok & (d > radius - edge_width)
                inner = ok & ~ring
                self.rgb[y[inner], x[inner]] = fills[inner]
                self.rgb[y[ring], x[ring]] = edge

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour) -> None:
        """The outline of a rectangle, corners included."""
        self.rgb[y0, x0:x1 + 1] = colour
        self.rgb[y1, x0:x1 + 1] = colour
        self.rgb[y0:y1 + 1, x0] = colour
        self.rgb[y0:y1 + 1, x1] = colour


def _shown(n: int) -> np.ndarray:
    """At most :data:`MAX_FRAME_POINTS` of ``n`` rows, the same every frame."""
    if n <= MAX_FRAME_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, MAX_FRAME_POINTS, replace=False))


def _upsample(v: np.ndarray, size: int) -> np.ndarray:
    """A ``(res, res)`` field linearly interpolated to ``(size, size)`` pixel centres."""
    res = v.shape[0]
    pos = (np.arange(size) + 0.5) * (res - 1) / size
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, res - 2)
    f = pos - i0
    rows = v[i0] * (1 - f)[:, None] + v[i0 + 1] * f[:, None]
    return rows[:, i0] * (1 - f)[None, :] + rows[:, i0 + 1] * f[None, :]


class FrameScene:
    """What every frame of one run shares; see the module docstring.

    ``grid``: the output view's grid; ``train``/``test``: (raw X, y) of the
    points shown; ``task``: "classification" or "regression"; ``scale``:
    (contour level, (lo, hi)) as :func:`~nnbuilder.core.run.outputview.output_scale`
    gives it; ``history``: the whole run's (epochs, train loss, test loss)
    arrays for the loss curve (None: no curve)."""

    def __init__(self, grid: InputGrid, train, test, task: str, scale, history=None,
                 options: FrameOptions = FrameOptions(), names: tuple[str, str] | None = None):
        options.check()
        self.grid, self.task, self.options = grid, task, options
        self.threshold, self.value_range = scale[0], tuple(scale[1])
        self.names = names
        self.ink = _INK_DARK if options.dark else _INK_LIGHT
        self.paper = _PAPER_DARK if options.dark else _PAPER_LIGHT
        self.train = self._points(*train)
        self.test = self._points(*test) if options.show_test and test is not None else None
        self.history = None
        if options.loss and history is not None:
            ep, tr, te = (np.asarray(a, dtype=float) for a in history)
            if len(ep):
                self.history = (ep, tr, te)
        self._range = self._ranges()
        s = options.size
        self.caption_h = (CELL[1] + 6) * options.scale
        self.loss_h = options.loss_height * options.scale if self.history is not None else 0
        self.height = self.caption_h + s + self.loss_h
        self.width = s
        self._cells = np.minimum((np.arange(s) * grid.resolution) // s, grid.resolution - 1)

    # ------------------------------------------------------------ geometry
    def _ranges(self):
        g = self.grid
        if g.ys is not None:
            return g.x_range, g.y_range
        ys = [self.train[1]] + ([self.test[1]] if self.test is not None else [])
        y = np.concatenate([np.ravel(a) for a in ys]) if ys else np.zeros(1)
        lo, hi = (float(np.min(y)), float(np.max(y))) if len(y) else (0.0, 1.0)
        pad = max(hi - lo, 1e-9) * 0.1
        return g.x_range, (lo - pad, hi + pad)

    def to_pixels(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Data coordinates (the grid's two axes) to the output view's pixel coordinates."""
        (x0, x1), (y0, y1) = self._range
        s = self.options.size
        px = (np.asarray(x, dtype=float) - x0) / max(x1 - x0, 1e-12) * s
        py = self.caption_h + s - (np.asarray(y, dtype=float) - y0) / max(y1 - y0, 1e-12) * s
        return px, py

    def _points(self, X, y):
        """(x, y on the view's axes, fill colours) of raw points ``X`` with targets ``y``."""
        if X is None or len(X) == 0:
            return np.zeros(0), np.zeros(0), np.zeros((0, 3), np.uint8)
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        rows = _shown(len(X))
        X, y = X[rows], y[rows]
        g = self.grid
        if g.ys is None:  # 1-D: (x, target) points in orange, as the window draws them
            fills = np.tile(np.array(hex_rgb("#F59322"), np.uint8), (len(X), 1))
            return X[:, 0], np.asarray(y, dtype=float).reshape(len(X), -1)[:, 0], fills
        i, j = g.axes
        if self.task == "classification":
            fills = CLASS_RGB[np.ravel(y).astype(int) % len(CLASS_RGB)].astype(np.uint8)
        else:
            v = np.asarray(y, dtype=float).reshape(len(X), -1)[:, 0]
            levels = np.linspace(-1.0, 1.0, REGRESSION_LEVELS)
            index = np.rint((v / max(float(np.abs(v).max()), 1e-9) + 1) / 2 * (REGRESSION_LEVELS - 1)).astype(int)
            fills = diverging_rgba(levels, self.options.dark)[index, :3]
        return X[:, i], X[:, j], fills

    # -------------------------------------------------------------- drawing
    def render(self, outputs: np.ndarray | None, caption: str = "", at: float | None = None) -> np.ndarray:
        """One frame ``(height, width, 3)`` uint8: the output view of ``outputs``
        (``(n_grid, k)`` over the grid; None: the data alone) under ``caption``,
        and the loss curve up to epoch ``at`` (the whole run's when None)."""
        o, s = self.options, self.options.size
        c = Canvas(self.height, self.width, self.paper)
        c.text(4 * o.scale, 3 * o.scale, caption, self.ink, o.scale)
        top = self.caption_h
        g = self.grid
        if g.ys is not None and outputs is not None:
            self._boundary(c, outputs, top)
        else:  # 1-D data, or no output yet: the map's middle grey
            c.rgb[top:top + s] = (MID_DARK if o.dark else MID_LIGHT).astype(np.uint8)
        if g.ys is None and outputs is not None:  # the fitted curve, under the points as on screen
            px, py = self.to_pixels(g.xs, outputs[:, 0])
            py = np.where((py >= top + 1) & (py <= top + s - 2), py, np.nan)  # (off the view: left out)
            c.polyline(px, py, _CURVE, 3 * o.scale)
        if self.test is not None:
            self._draw_points(c, self.test, (255, 255, 255))
        self._draw_points(c, self.train, _CONTOUR)
        if self.names:
            c.text(s - 4 * o.scale, top + s - (CELL[1] + 3) * o.scale,
                   self.names[0], self.ink, o.scale, right=True)
            c.text(4 * o.scale, top + 3 * o.scale, self.names[1], self.ink, o.scale)
        c.rect(0, top, s - 1, top + s - 1, self.ink)
        if self.history is not None:
            self._loss(c, top + s, at)
        return c.rgb

    def _boundary(self, c: Canvas, outputs: np.ndarray, top: int) -> None:
        o, s, g = self.options, self.options.size, self.grid
        rgba = output_rgba(outputs, g.resolution, self.threshold, self.value_range, o.discretize, o.dark)
        a = rgba[..., 3:4].astype(np.float64) / 255.0  # (the several-class image is 235/255 opaque)
        rgb = rgba[..., :3] * a + np.asarray(self.paper, dtype=np.float64) * (1 - a)
        image = np.rint(rgb).astype(np.uint8)[::-1]  # row 0 of the grid is its lowest y
        cells = self._cells
        c.rgb[top:top + s] = image[cells][:, cells]
        if outputs.shape[1] == 1 and self.task == "classification":
            v = _upsample(outputs[:, 0].reshape(g.resolution, g.resolution).astype(np.float64), s)[::-1]
            above = v > self.threshold
            edge = np.zeros_like(above)
            edge[:, 1:] |= above[:, 1:] != above[:, :-1]
            edge[1:, :] |= above[1:, :] != above[:-1, :]
            for _ in range(o.scale - 1):  # as thick as the text is large
                edge[:, 1:] |= edge[:, :-1]
                edge[1:, :] |= edge[:-1, :]
            c.mask(0, top, edge, _CONTOUR)

    def _draw_points(self, c: Canvas, points, edge) -> None:
        x, y, fills = points
        if not len(x):
            return
        px, py = self.to_pixels(x, y)
        r = 3.5 * max(1.0, self.options.size / 320)
        c.discs(px, py, fills, edge, r, 1.0 if edge == _CONTOUR else 1.5)

    def _loss(self, c: Canvas, top: int, at: float | None) -> None:
        o, s = self.options, self.options.size
        ts = o.scale
        ep, tr, te = self.history
        line_h = CELL[1] * ts
        x0, x1 = 6 * ts, s - 6 * ts
        y0, y1 = top + line_h + 8 * ts, top + self.loss_h - line_h - 6 * ts  # the plot's top and bottom
        finite = np.concatenate([tr[np.isfinite(tr)], te[np.isfinite(te)]])
        hi = float(finite.max()) * 1.05 if len(finite) and finite.max() > 0 else 1.0
        e_hi = max(float(ep[-1]), 1e-9)
        c.rect(x0, y0, x1, y1, self.ink)
        c.text(x0, top + 4 * ts, f"loss (max {hi / 1.05:.4g})", self.ink, ts)
        c.text(x1, y1 + 3 * ts, f"epoch {ep[-1]:,.0f}", self.ink, ts, right=True)
        c.text(x0, y1 + 3 * ts, "0", self.ink, ts)
        upto = len(ep) if at is None else int(np.searchsorted(ep, at, side="right"))

        def xy(values):
            px = x0 + ep[:upto] / e_hi * (x1 - x0)
            py = y1 - np.clip(values[:upto] / hi, 0, 1) * (y1 - y0)
            return px, py

        for values, pen in ((te, TEST_PEN), (tr, TRAIN_PEN)):
            if np.isfinite(values[:upto]).any():
                c.polyline(*xy(values), hex_rgb(pen), 2 * ts)
        if at is not None:
            mx = int(round(x0 + min(max(at, 0.0), e_hi) / e_hi * (x1 - x0)))
            c.rgb[y0 + 1:y1, mx:mx + ts] = (224, 49, 49)  # the moment, as the timeline's marker
