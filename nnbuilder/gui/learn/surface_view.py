"""Gradient descent, seen: the loss surface over one chosen weight (the curve,
the tangent at the current value whose slope is the gradient, the last steps
of training as points on it) or over two (a contour map with the path).

The view knows no controller. Whoever owns the run tells it:

- :meth:`SurfaceView.set_network` the run's network and training rows (a
  :class:`~nnbuilder.core.engine.traindata.TrainData`, the very one the trainer
  got) with its settings, or None and the reason there is nothing to show;
- :meth:`SurfaceView.add_snapshot` each snapshot the window draws (its
  weights join the path, bounded to the last :data:`PATH_LENGTH`);
- :meth:`SurfaceView.clear_path` when a new run starts;
- :meth:`SurfaceView.show_weight` / :meth:`show_weights` which weight(s)
  (e.g. from a click on a weight line); the view's own picker does the same.

The surface is computed from the newest weights when training is paused or
stepped, and at most once every :data:`TRAINING_INTERVAL_MS` (and never more
than a tenth of the time) while it runs; never while the view is hidden. The
work is cut into pieces of about :data:`SLICE_MS` so the window stays smooth.
"""
from __future__ import annotations

import time
from collections import deque

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedLayout, QVBoxLayout, QWidget

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.teaching.surface import LossSurface, WeightRef, value_range, weight_text
from nnbuilder.core.run.protocol import release

from .surface_plot import SurfacePlot, WeightPicker, curve_caption, map_caption, next_step_shown
from ..widgets.follows_theme import FollowsTheme
from ..widgets.scale import scaled_pt

PATH_LENGTH = 200  # snapshots whose weights the path keeps
PATH_MEMORY = 1_000_000  # at most this many stored numbers (8 MB) for the path: big networks keep fewer steps
TRAINING_INTERVAL_MS = 1000  # while training, recompute at most this often ...
BUSY_SHARE = 0.1  # ... and for at most this share of the time
SLICE_MS = 20.0  # the longest piece of work between two turns of the event loop
CURVE_SECONDS, GRID_SECONDS = 0.25, 0.6  # the work one recompute may take, which sets its points
MODES = (("One weight: loss curve", 1), ("Two weights: contour map", 2))


class SurfaceView(FollowsTheme, QWidget):
    """The loss surface over one or two weights; see the module docstring.

    ``weightsChosen(list)`` tells which :class:`WeightRef` (s) it shows."""

    weightsChosen = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("surfaceView")
        self.surface: LossSurface | None = None
        self.label = str
        self.config = None
        self.reason: str | None = None
        self.weights = None  # the newest weights {node_id: (W, b)}
        self.slopes = None  # and the prelu layers' slopes {node_id: alpha}
        self.step: int | None = None
        self.running = False
        self.path: deque = deque(maxlen=PATH_LENGTH)  # (step, theta) of each drawn snapshot
        self.result = None  # the Curve or Grid shown
        self.cost = 2e-4  # seconds per forward pass over the training rows (measured)
        self.busy = 0.0  # seconds the last recompute took
        self._job = None
        self._job_key = None
        self._job_chunk = 1
        self._started = None  # the weights (flat) of the last recompute started
        self.problem: str | None = None  # why the last recompute failed
        self._dirty = False
        self._last_start = -1e9
        self.clock = time.perf_counter  # when recomputes start (a test may turn it by hand)
        self._range: dict = {}  # the range each weight was last shown over (kept while it fits)
        self._caption_lines = ""  # the caption as drawn in a narrow panel, a line for each thing it says

        self.mode = QComboBox()
        self.mode.setObjectName("surfaceModeCombo")
        for text, n in MODES:
            self.mode.addItem(text, n)
        self.first = WeightPicker("w:", "surfaceFirst")
        self.second = WeightPicker("w₂:", "surfaceSecond")
        self.second.setVisible(False)
        self.plot = SurfacePlot()
        self.hint = QLabel()
        self.hint.setObjectName("surfaceHint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel()
        self.caption.setObjectName("surfaceCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)

        top = self._top = QHBoxLayout()
        top.addWidget(self.mode)
        top.addStretch(1)
        self.stack = QStackedLayout()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.plot)
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.first)
        layout.addWidget(self.second)
        layout.addLayout(self.stack, 1)
        layout.addWidget(self.caption)

        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.first.changed.connect(self._choice_changed)
        self.second.changed.connect(self._choice_changed)
        self.work = QTimer(self)  # runs the pieces of a recompute
        self.work.setInterval(0)
        self.work.timeout.connect(self._work)
        self.later = QTimer(self)  # the next recompute while training
        self.later.setSingleShot(True)
        self.later.timeout.connect(self._schedule)
        self.apply_theme()
        self._show_state()

    # ------------------------------------------------------------ the public side
    def set_network(self, network, data, config=None, label=str, reason: str | None = None) -> None:
        """The run's network (its structure and input statistics; its weights
        come from :meth:`add_snapshot` or :meth:`set_weights`) and training
        rows, its settings (``l1``, ``l2``, ``lr``) and ``label(node_id)``,
        the name a layer shows. ``network`` None: nothing to show, ``reason``
        says why. The path and the chosen weights stay when they still fit."""
        self.label, self.config, self.reason = label, config, reason
        old = None if self.surface is None else self.surface.net.layout
        try:
            self.surface = None if network is None or data is None else LossSurface(network, data, config)
        except NNBuilderError as e:
            self.surface, self.reason = None, str(e)
        if self.surface is None or self.surface.net.layout != old:
            self.path.clear()
        if self.surface is not None:
            if self.weights is not None:
                try:
                    self.surface.flatten(self.weights, self.slopes)
                except NNBuilderError:
                    self.weights = None  # of a structure being replaced
            chosen = [self.first.ref(), self.second.ref()]
            layers = {nid: (fan_in, units, b_off is not None)
                      for nid, (_, fan_in, units, b_off) in self.surface.net.layout.items()}
            for picker, ref in zip((self.first, self.second), chosen):
                picker.blockSignals(True)
                picker.set_layers(layers, label)
                if ref is not None:
                    picker.set_ref(ref)
                picker.blockSignals(False)
            if self.first.ref() is None and self.surface.net.n_params == 1:
                self.first.set_ref(self.surface.refs()[0])  # y = w x: nothing to pick
        self._changed()

    def set_config(self, config) -> None:
        """New settings (the learning rate and L1/L2 the caption and the dashed curve use)."""
        self.config = config
        if self.surface is not None:
            self.surface.set_config(config)
        self._changed()

    def set_weights(self, weights: dict | None, step: int | None = None, running: bool = False,
                    slopes: dict | None = None, join: bool = True) -> None:
        """The weights to show ``{node_id: (W, b)}`` (the newest, or a trained
        document's) and prelu ``slopes`` ``{node_id: alpha}``, of ``step``; with
        a ``step`` they join the path unless not ``join`` (a moment looked back at)."""
        shown_step, was_running = self.step, self.running
        self.weights, self.step, self.running, self.slopes = weights, step, running, slopes
        if weights is not None and self.surface is not None:
            try:
                theta = self.surface.flatten(weights, slopes)
            except NNBuilderError:
                self.weights = None  # the structure is being replaced: the next network fits
                return
            if not self._dirty and self._started is not None and np.array_equal(theta, self._started) \
                    and step == shown_step and (step is None or not join or (self.path and self.path[-1][0] == step)):
                if was_running and not running and self._job is None:
                    self._draw()  # paused where it was drawn: the caption no longer says it lags
                return  # the weights shown (or being computed) again: a paused run answers every frame
            if step is not None and join:
                if self.path and self.path[-1][0] >= step:
                    if self.path[-1][0] > step:
                        self.path.clear()  # an earlier step: the run went back (restored, reset)
                    else:
                        self.path.pop()
                keep = max(2, min(PATH_LENGTH, PATH_MEMORY // max(1, theta.size)))
                if self.path.maxlen != keep:
                    self.path = deque(self.path, maxlen=keep)
                self.path.append((step, theta))
        self._changed()

    def add_snapshot(self, snap) -> None:
        """A snapshot the window drew (a LiveSnapshot: ``step``, ``weights``, ``running``, ``config``)."""
        config = getattr(snap, "config", None)
        if config is not None and config != self.config:
            self.config = config
            self._dirty = True  # the same weights, but another caption or penalty
            if self.surface is not None:
                self.surface.set_config(config)
        # The step of its weights: after a divergence the restored ones', not the steps taken.
        self.set_weights(snap.weights, getattr(snap, "weights_step", snap.step),
                         bool(getattr(snap, "running", False)), getattr(snap, "slopes", None))

    def clear_path(self) -> None:
        """A new run: no old steps (and the plot may find new ranges)."""
        self.path.clear()
        self._range.clear()
        self._changed()

    def show_weight(self, node_id: str, row: int | None, col: int) -> bool:
        """One weight ``W[row, col]`` (0-based; ``row`` None or "b": the bias
        ``b[col]``) on the loss curve. False if the network has no such weight."""
        self.mode.setCurrentIndex(0)
        return self.first.set_ref(_ref(node_id, row, col))

    def show_weights(self, a, b) -> bool:
        """Two weights, each ``(node_id, row, col)`` as for :meth:`show_weight`, on the contour map."""
        self.mode.setCurrentIndex(1)
        return self.first.set_ref(_ref(*a)) & self.second.set_ref(_ref(*b))

    def chosen(self) -> list[WeightRef]:
        refs = [self.first.ref()] + ([self.second.ref()] if self.dims == 2 else [])
        return [] if None in refs else refs

    @property
    def dims(self) -> int:
        return self.mode.currentData()

    def apply_theme(self) -> None:
        self.plot.apply_theme()
        c = QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        ink = f"rgba({c.red()}, {c.green()}, {c.blue()}, {c.alpha()})"  # light: black at half strength
        self.hint.setStyleSheet(f"color: {ink};")
        self.caption.setStyleSheet(f"color: {ink}; font-size: {scaled_pt(8):g}pt;")
        if self.result is not None:
            self._draw()

    # ------------------------------------------------------------- scheduling
    def _mode_changed(self) -> None:
        self.second.setVisible(self.dims == 2)
        self.first.title.setText("w₁:" if self.dims == 2 else "w:")
        self._choice_changed()

    def _choice_changed(self) -> None:
        self.weightsChosen.emit(self.chosen())
        self._changed()

    def _changed(self) -> None:
        self._dirty = True
        self.problem = None
        self._show_state()
        self._schedule()

    def _schedule(self) -> None:
        """Start a recompute now (paused), or when the training interval is up."""
        if not self._dirty or not self.isVisible() or self._state() is not None:
            return
        if self._job is not None:
            if self.running:
                return  # finish this one; the newest weights come next time
            self._job = None  # paused: the newest weights at once
        wait = 0.0
        if self.running:
            interval = max(TRAINING_INTERVAL_MS / 1000, self.busy / BUSY_SHARE)
            wait = self._last_start + interval - self.clock()
        if wait > 0:
            if not self.later.isActive():
                self.later.start(int(wait * 1000) + 1)
            return
        self._start()

    def _start(self) -> None:
        refs, s = self.chosen(), self.surface
        try:
            s.set_weights(self.weights, self.slopes)
        except NNBuilderError:  # a snapshot of a structure being replaced: wait for the next
            return
        self._started = s.net.theta.copy()
        thetas = np.array([t for _, t in self.path]) if self.path else np.zeros((0, s.net.n_params))
        paths = [thetas[:, s.index(r)] for r in refs]
        ranges = [self._value_range(r, s.value(r), p) for r, p in zip(refs, paths)]
        if len(refs) == 1:
            points = int(np.clip(CURVE_SECONDS / self.cost, 41, 201))
            lr = self.config.lr if next_step_shown(self.config) else None
            job = s.curve_steps(refs[0], *ranges[0], points=points, include=paths[0], chunk=self._chunk(), lr=lr)
        else:
            points = int(np.clip(np.sqrt(GRID_SECONDS / self.cost), 11, 41))
            job = s.grid_steps(refs[0], refs[1], ranges[0], ranges[1], points, chunk=self._chunk())
        steps = [st for st, _ in self.path]
        self._job, self._job_key = job, (refs, self.step, [p.copy() for p in paths], steps)
        self._job_chunk = self._chunk()
        self._dirty = False
        self._last_start = self.clock()
        self.busy = 0.0
        self.work.start()

    def _chunk(self) -> int:
        return max(1, int(SLICE_MS / 1000 / self.cost))

    def _value_range(self, ref: WeightRef, w: float, path: np.ndarray) -> tuple[float, float]:
        """The last range shown for ``ref`` while it still holds the value (with
        room on both sides) and the path, and is not much wider than needed: a
        plot that jumps at every step is hard to follow."""
        lo, hi = value_range(w, path)
        old = self._range.get(ref)
        if old is not None:
            room = 0.5 * max(1.0, abs(w))
            inside = path[(path >= lo) & (path <= hi)]
            need_lo, need_hi = min([w - room, *inside]), max([w + room, *inside])
            if old[0] <= need_lo and need_hi <= old[1] and old[1] - old[0] <= 3 * (hi - lo):
                return old
        self._range[ref] = (lo, hi)
        return lo, hi

    def _work(self) -> None:
        """One piece of the recompute (about SLICE_MS); the result drawn at the end."""
        if self._job is None:
            self.work.stop()
            return
        t0 = time.perf_counter()
        try:
            while time.perf_counter() - t0 < SLICE_MS / 1000:
                start = time.perf_counter()
                if next(self._job) is not None:  # a piece of losses (not of the gradient): its cost
                    per_value = (time.perf_counter() - start) / self._job_chunk
                    self.cost = max(1e-6, 0.7 * self.cost + 0.3 * per_value)
        except StopIteration as done:
            self.result = done.value
            if self.surface is not None:  # the window keeps its table, not the worker's features too
                release(self.surface.X)
            self._draw()
        except NNBuilderError as e:  # e.g. the same weight twice on the map
            self.result, self.problem = None, str(e)
            self._show_state()
        else:
            self.busy += time.perf_counter() - t0
            return
        self.busy += time.perf_counter() - t0
        self.work.stop()
        self._job = None
        self._schedule()

    def theme_changed(self) -> None:
        self.apply_theme()  # a theme switch repaints the view without anyone having to tell it

    def showEvent(self, event):
        super().showEvent(event)
        self._schedule()

    def hideEvent(self, event):
        super().hideEvent(event)
        self.later.stop()  # off when hidden; shown again, it catches up
        if self._job is not None:
            self.work.stop()
            self._job = None
            self._dirty = True

    # ---------------------------------------------------------------- drawing
    def _state(self) -> str | None:
        """Why there is nothing to draw, or None."""
        if self.surface is None:
            return self.reason or "Train or load a trained network to see its loss surface."
        if self.weights is None:
            return "Train, press Step or load a trained network to see its loss surface."
        refs = self.chosen()
        if not refs:
            return ("Pick a weight above, or click a weight line on the diagram: the view shows the "
                    "loss over that weight with every other weight held where it is.")
        if len(refs) == 2 and refs[0] == refs[1]:
            return "Pick two different weights for the contour map."
        return self.problem

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._arrange()

    def minimumSizeHint(self):
        """As narrow as the picker on a row of its own lets it be, whichever
        arrangement is on: a panel made narrower moves the picker down (the
        wide one's 455 px took half of a 1024 px window's side column)."""
        hint = super().minimumSizeHint()
        if self._top.indexOf(self.first) >= 0:
            beside = self.first.minimumSizeHint().width() + self._top.spacing()
            hint.setWidth(max(hint.width() - beside, self.first.minimumSizeHint().width() + 8))
        return hint

    def _arrange(self) -> None:
        """The weight picker beside the mode where the panel is wide enough
        (a row of its own left the plot 30-50 px in the bottom row at 200%)."""
        need = self.mode.sizeHint().width() + self.first.sizeHint().width() + 3 * self._top.spacing() + 8
        wide = self.width() >= need
        if wide != (self._top.indexOf(self.first) >= 0):
            (self._layout if wide else self._top).removeWidget(self.first)
            if wide:
                self._top.insertWidget(1, self.first)
            else:
                self._layout.insertWidget(1, self.first)
            self._set_caption()

    def _show_state(self) -> None:
        why = self._state()
        self.hint.setText(why or "")
        self.stack.setCurrentWidget(self.hint if why else self.plot)
        self.caption.setVisible(why is None)

    def _draw(self) -> None:
        r = self.result
        if r is None or self._state() is not None:
            return
        _, step, paths, steps = self._job_key
        lags = self.running or step != self.step  # computed at an earlier step: said so
        if hasattr(r, "slope"):
            name = weight_text(r.ref, self.label(r.ref.node))
            regularized = bool(self.surface.l1 or self.surface.l2)
            nxt = None if r.next_value is None else (r.next_value, r.next_loss)
            shown = self.plot.show_curve(r, name, paths[0], steps, step, regularized, nxt)
            text, tip = curve_caption(r, name, step, shown, len(paths[0]), self.config, len(self.surface.X),
                                      regularized, lags)
        else:
            names = tuple(weight_text(ref, self.label(ref.node)) for ref in r.refs)
            shown = self.plot.show_map(r, names, paths, steps, step)
            text, tip = map_caption(r, names, step, shown, len(paths[0]), lags)
        self.caption.setToolTip(tip)
        self._caption_lines = text
        self._set_caption()

    def _set_caption(self) -> None:
        """The caption's lines, run together where the panel is wide (its lines took the plot's room)."""
        wide = self._top.indexOf(self.first) >= 0
        self.caption.setText(self._caption_lines.replace("\n", " · ") if wide else self._caption_lines)


def _ref(node_id: str, row, col: int) -> WeightRef:
    return WeightRef(node_id, None if row is None or row == "b" else int(row), int(col))
