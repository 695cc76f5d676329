"""The timeline room: the slider under the curves looks back over the run
while it is paused, and "Continue from here" rewinds the run to a moment.

The worker keeps the moments (:mod:`nnbuilder.core.run.timeline`); every full
snapshot of a paused run lists them (``RunState.timeline``). Moving the
slider asks the worker for that moment's weights (``RunState.moment``) and
draws them as the live view draws any weights (:meth:`LiveView.show_weights`),
with a marker on the curves. Releasing it at the right end (now), Train, a
Step or a new run go back to the live state. Nothing here changes the
document: Save writes the run's current weights, never a moment looked at
(only "Continue from here" makes a moment the current state).
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from .live_view import LiveView
from .timeline_bar import TimelineBar


class TimelineView(QObject):
    """Connects ``bar`` to ``live``'s run; see the module docstring.
    ``lookingBack(step)``: a moment is shown (its step), or None: the live run."""

    lookingBack = Signal(object)

    def __init__(self, live: LiveView, bar: TimelineBar, parent=None):
        super().__init__(parent)
        self.live, self.run, self.bar = live, live.run, bar
        self.step: int | None = None  # the moment shown (None: the live run)
        self._live_step: int | None = None  # the run's step when looking back began
        self._drawn: int | None = None  # the moment whose weights are on screen
        self.run.runReplaced.connect(self.clear)
        live.frameDrawn.connect(self.follow)
        bar.moved.connect(self.move_to)
        bar.continueClicked.connect(self.continue_here)

    def clear(self) -> None:
        """A new run (New, Open, Reset): no moments."""
        self.step = self._drawn = None
        self.bar.reset()
        self.lookingBack.emit(None)

    def _now_text(self, snap) -> str:
        restored = self.live.restored(snap)  # a divergence went back to earlier weights: those are now
        if restored is not None:
            return f"now: restored weights of step {restored[1]:,}"
        return f"now: step {snap.step:,} · epoch {snap.epoch:,}"

    def follow(self, snap) -> None:
        """After each frame of the live view: the slider is on while paused,
        and a moment being looked at is drawn over the live state."""
        st = self.run.state
        if snap.running or st.timeline is None or not len(st.timeline) or snap.error:
            self.bar.setEnabled(False)
            if self.step is not None or not self.bar.at_now():  # (not on every frame of a run)
                self.back_to_live(redraw=False)
            return
        self.bar.setEnabled(True)
        self.bar.set_moments(st.timeline, self._now_text(snap))
        if self.step is None:
            return
        if snap.step != self._live_step or self.step not in st.timeline[:, 0]:
            self.back_to_live(redraw=False)  # a Step moved the run on, or an edit restarted the timeline
            return
        self._draw_moment()

    def move_to(self, index: int) -> None:
        snap = self.run.snapshot
        if snap is None or snap.running or index >= self.bar.now:
            self.back_to_live()
            return
        step = int(self.bar.moments[index, 0])
        if self.step is None:
            self._live_step = snap.step
        self.step = step
        self.lookingBack.emit(step)
        self.bar.show_moment(index)
        self.run.fetch_moment(step)
        self._draw_moment()  # at once if it came already (a drag back and forth)

    def _draw_moment(self) -> None:
        m = self.run.state.moment
        if m is not None and m.step == self.step:
            self.live.show_moment(m)  # the weights and the read-outs, all of that moment
            self._drawn = m.step

    def back_to_live(self, redraw: bool = True) -> None:
        """The live run again: the slider at now, no marker, its weights drawn."""
        was, looked = self._drawn, self.step
        self.step = self._drawn = None
        if looked is not None:
            self.lookingBack.emit(None)
        self.live.layer_plot.show_moment(None)
        self.bar.go_now()
        snap = self.run.snapshot
        if snap is not None:
            self.bar.readout.setText(self._now_text(snap))
            if redraw and was is not None:
                self.live.draw(snap)

    def continue_here(self) -> None:
        """Rewind the run to the moment shown; Train goes on from there."""
        if self.step is None or self.run.running:
            return
        step = self.step
        at = float(self.bar.moments[self.bar.slider.value(), 2])
        self.run.rewind(step)
        self.step = self._drawn = None  # what is drawn is now the run's own state
        self.lookingBack.emit(None)
        self.bar.go_now()  # (the worker's message says where the run is now)
        self.live.layer_plot.clear()  # its gradient history ran past the moment
        curves = self.live.curves
        for plot in (curves.loss, curves.metric_plot):  # so did a divergence marked after it
            plot.drop_marks_after(at)
