"""A run's animation for slides: frames drawn by
:class:`~nnbuilder.core.run.frames.FrameScene` from the timeline's moments,
written as an animated GIF (:mod:`.gif`) or a PNG sequence.

:class:`AnimationFile` takes frames one at a time, so a caller can show
progress and stop: :meth:`~AnimationFile.finish` puts the file in place,
:meth:`~AnimationFile.abort` leaves nothing behind (a GIF is written to a
``.part`` file beside it and renamed at the end; a sequence's frames
``NAME_0001.png``... are removed). :func:`moment_frames` draws a run's moments
for ``nnbuilder train --animate``; the window drives the same scene itself,
between events.
"""
from __future__ import annotations

import os
import struct
import zlib
from typing import Callable, Iterable

import numpy as np

from ..run.font import CELL
from ..run.frames import Canvas, FrameOptions, FrameScene
from ..run.outputview import evaluate_view, output_grids, output_scale
from .gif import GifWriter

__all__ = ["AnimationFile", "png_bytes", "sequence_path", "moment_frames", "scene_for", "moment_caption",
           "captioned", "caption_scale", "widest_caption", "DEFAULT_FRAMES", "DEFAULT_FRAME_MS", "FORMATS"]

DEFAULT_FRAMES = 60  # frames of an animation, at most
DEFAULT_FRAME_MS = 100  # each frame's time on screen
FORMATS = {".gif": "GIF", ".png": "PNG sequence"}  # by the chosen file's suffix


def png_bytes(rgb: np.ndarray) -> bytes:
    """An RGB image ``(h, w, 3)`` uint8 as a PNG file's bytes."""
    h, w, _ = rgb.shape
    rows = np.zeros((h, 1 + 3 * w), dtype=np.uint8)  # filter byte 0 on each row
    rows[:, 1:] = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(h, 3 * w)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def sequence_path(path: str, index: int) -> str:
    """Frame ``index`` (from 0) of the PNG sequence named ``path``: ``NAME_0001.png``..."""
    stem, _ = os.path.splitext(path)
    return f"{stem}_{index + 1:04d}.png"


class AnimationFile:
    """Frames to ``path``: an animated GIF (``.gif``) or a PNG sequence (``.png``:
    ``NAME_0001.png``...); see the module docstring. ``paths`` lists what
    :meth:`finish` left (nothing before)."""

    def __init__(self, path: str, frame_ms: int = DEFAULT_FRAME_MS):
        suffix = os.path.splitext(path)[1].lower()
        if suffix not in FORMATS:
            raise ValueError(f"an animation is written as {' or '.join(FORMATS)}, not {suffix or 'no suffix'!r}")
        self.path, self.gif = path, suffix == ".gif"
        self.frame_ms = frame_ms
        self.frames = 0
        self.paths: list[str] = []
        self._written: list[str] = []
        self._stream = None
        self._writer: GifWriter | None = None
        self._part = path + ".part"

    def add(self, rgb: np.ndarray) -> None:
        """One frame ``(h, w, 3)`` uint8 (every frame the first one's size)."""
        if self.gif:
            if self._writer is None:
                self._stream = open(self._part, "wb")
                self._written.append(self._part)
                self._writer = GifWriter(self._stream, rgb.shape[1], rgb.shape[0], self.frame_ms)
            self._writer.add(rgb)
        else:
            name = sequence_path(self.path, self.frames)
            self._written.append(name)
            with open(name, "wb") as f:
                f.write(png_bytes(rgb))
        self.frames += 1

    def finish(self) -> list[str]:
        """Put the file (or the frames) in place; the paths written."""
        if self.gif:
            if self._writer is None:
                raise ValueError("an animation needs at least one frame")
            self._writer.close()
            self._stream.close()
            os.replace(self._part, self.path)
            self.paths = [self.path]
        else:
            self.paths = list(self._written)
        self._written = []
        return self.paths

    def abort(self) -> None:
        """Stop and remove whatever was written."""
        if self._stream is not None:
            self._stream.close()
        for p in self._written:
            try:
                os.remove(p)
            except OSError:
                pass
        self._written = []


def moment_caption(step: int, epoch: float, loss: float) -> str:
    """The caption of a frame: where in the run it is (the epoch whole: the
    epochs begun before the moment), and its training loss."""
    loss_text = "" if not np.isfinite(loss) else f" · loss {loss:.4g}"
    return f"epoch {int(np.floor(epoch + 1e-9)):,} · step {step:,}{loss_text}"


CAPTION_HEIGHT_PER_SCALE = 200  # the caption's font pixel grows by one for every 200 pixels of the frame's height


def _wrap(caption: str, room: int) -> list[str]:
    """``caption``'s parts (`` · ``) on lines of at most ``room`` characters (a part alone may be longer)."""
    lines: list[str] = []
    for part in caption.split(" · ") if caption else []:
        if lines and len(lines[-1]) + 3 + len(part) <= room:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return lines


def caption_scale(height: int, width: int, caption: str) -> tuple[int, int]:
    """(font pixel size, lines) of ``caption`` over a frame ``height`` x
    ``width``: as large as the frame's height asks (a slide is read from afar),
    its parts (`` · ``) on more lines when one is too wide, smaller only when a
    part alone does not fit."""
    scale = max(1, height // CAPTION_HEIGHT_PER_SCALE)
    while True:
        room = (width - 8 * scale) // (CELL[0] * scale)
        lines = _wrap(caption, room)
        if scale == 1 or all(len(line) <= room for line in lines):
            return scale, max(len(lines), 1)
        scale -= 1


def widest_caption(last_step: int, last_epoch: float) -> str:
    """A caption as wide as any of a run's up to ``last_step`` (its loss the widest :func:`moment_caption` writes)."""
    return moment_caption(last_step, last_epoch, -1.234e-05)


def captioned(rgb: np.ndarray, caption: str, ink, paper, widest: str | None = None) -> np.ndarray:
    """``rgb`` (a frame drawn without its caption) under a band with ``caption``
    across its whole width, sized by :func:`caption_scale` for ``widest`` (the
    widest caption of the animation: every frame's band is as tall)."""
    h, w = rgb.shape[:2]
    scale, n = caption_scale(h, w, widest or caption)
    room = (w - 8 * scale) // (CELL[0] * scale)
    lines = _wrap(caption, room)
    lines = lines[:n - 1] + [" · ".join(lines[n - 1:])] if len(lines) > n else lines
    line_h = (CELL[1] + 2) * scale
    band = Canvas(line_h * n + 4 * scale, w, paper)
    for i, line in enumerate(lines):
        band.text(4 * scale, 2 * scale + i * line_h, line, ink, scale)
    return np.vstack([band.rgb, rgb])


def scene_for(dataset, graph, split_rows, history=None, options: FrameOptions = FrameOptions(),
              axes: tuple[int, int] = (0, 1), painted: bool = False, grid=None) -> FrameScene | None:
    """The :class:`FrameScene` of a run on ``dataset`` (the document's
    ``graph`` gives the colour scale; ``split_rows`` the training and test
    rows; ``history`` the run's (epochs, train loss, test loss)) over the
    output view's ``grid`` (made here from ``axes`` and ``painted`` when not
    given); None when the output view cannot show the data."""
    if grid is None:
        grid, _ = output_grids(dataset, axes, painted)
    if grid is None:
        return None
    tr, te = split_rows
    X, y = dataset.X, dataset.y
    names = None
    if grid.ys is not None:
        cols = list(dataset.column_names)
        names = (cols[grid.axes[0]], cols[grid.axes[1]])
    return FrameScene(grid, (X[tr], y[tr]), (X[te], y[te]), dataset.task, output_scale(graph, dataset),
                      history, options, names)


def moment_frames(scene: FrameScene, network, moments: Iterable,
                  progress: Callable[[int], bool] | None = None):
    """Frames ``(h, w, 3)`` of ``moments`` (timeline
    :class:`~nnbuilder.core.run.timeline.Moment` s), one at a time, drawn on
    a copy of ``network``; ``progress(i)`` after each, False stops."""
    net = network.detached()
    features = scene.grid.features(net)
    moments = list(moments)
    widest = widest_caption(max((m.step for m in moments), default=0), max((m.at for m in moments), default=0.0))
    for i, m in enumerate(moments):
        net.theta[...] = m.theta
        outputs, _ = evaluate_view(net, features)
        yield captioned(scene.render(outputs, "", m.at)[scene.caption_h:], moment_caption(m.step, m.at, m.train_loss),
                        scene.ink, scene.paper, widest)
        if progress is not None and progress(i) is False:
            return
