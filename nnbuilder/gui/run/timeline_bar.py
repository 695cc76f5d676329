"""The timeline bar under the curves: a slider over the moments a run kept
(:mod:`nnbuilder.core.run.timeline`), what the moment under it was, "Continue
from here", and the marker it puts on the curve plots.

A widget: it knows no controller. The slider's last position is *now* (the
live run); the others are the kept moments, oldest first.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from nnbuilder.core.run.timeline import row_name

MARK_PEN = "#AE3EC9"  # the moment's line on the curves: apart from train blue, test orange, red marks


class TimelineBar(QWidget):
    """``moved(index)``: the slider moved to moment ``index`` (the number of
    moments: now); ``continueClicked``: go on training from the moment shown."""

    moved = Signal(int)
    continueClicked = Signal()

    def __init__(self, plots=(), parent=None):
        """``plots``: the curve plots that mark the moment shown (x in epochs)."""
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self.moments: np.ndarray = np.zeros((0, 4))  # step, epoch, at, train_loss per row
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setAccessibleName("Timeline")
        self.slider.setToolTip("The run so far (while paused): drag to see the network at an earlier "
                               "moment; the right end is now")
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self.moved)
        self.readout = QLabel()
        self.readout.setObjectName("timelineLabel")
        self.readout.setMinimumWidth(self.readout.fontMetrics().horizontalAdvance("step 1,000,000 · epoch "
                                                                                   "100,000 · loss 0.0000"))
        self.continue_here = QPushButton("Continue from here")
        self.continue_here.setObjectName("continueFromHereButton")
        self.continue_here.setToolTip("Go back to this moment: its weights, optimizer and random state; "
                                      "the curves after it are dropped and Train goes on from here")
        self.continue_here.clicked.connect(self.continueClicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Timeline"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        layout.addWidget(self.continue_here)
        self.marks = []
        for plot in plots:
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen(MARK_PEN, width=1.5, style=Qt.PenStyle.DashLine))
            line.setZValue(5)
            line.setVisible(False)
            plot.plotItem.addItem(line, ignoreBounds=True)
            self.marks.append(line)
        self.reset()

    @property
    def now(self) -> int:
        """The slider's position for the live run (one past the last moment)."""
        return len(self.moments)

    def at_now(self) -> bool:
        return self.slider.value() >= self.now

    def reset(self) -> None:
        """No run, or a new one: no moments, the slider off at now."""
        self.set_moments(np.zeros((0, 4)), "")
        self.show_moment(None)
        self.setEnabled(False)

    def set_moments(self, moments: np.ndarray, now_text: str) -> None:
        """The kept moments (rows of step, epoch, at, train_loss); the slider
        stays on the moment it was on, or at now."""
        moments = np.asarray(moments, dtype=float).reshape(-1, 4)
        if moments.shape == self.moments.shape and (moments == self.moments).all():
            if self.at_now():
                self.readout.setText(now_text)
            return
        step = None if self.at_now() else self.moments[self.slider.value(), 0]
        self.moments = moments
        self.slider.blockSignals(True)
        self.slider.setRange(0, self.now)
        where = self.now if step is None else int(np.searchsorted(moments[:, 0], step))
        self.slider.setValue(min(where, self.now))
        self.slider.blockSignals(False)
        if self.at_now():
            self.readout.setText(now_text)

    def go_now(self) -> None:
        """The slider to now, without a ``moved``; no marker."""
        self.slider.blockSignals(True)
        self.slider.setValue(self.now)
        self.slider.blockSignals(False)
        self.show_moment(None)

    def show_moment(self, index: int | None) -> None:
        """Say which moment is shown and mark it on the curves (None: the live run)."""
        self.continue_here.setEnabled(index is not None)
        if index is None:
            for line in self.marks:
                line.setVisible(False)
            return
        step, epoch, at, loss = self.moments[index]
        # The loss of its newest history row: named when the moment is past it (inside an epoch).
        row = f" ({row_name(int(epoch))})" if at > epoch else ""
        self.readout.setText(f"step {step:,.0f} · epoch {epoch:,.0f} · loss {loss:.4g}{row}")
        for line in self.marks:
            line.setPos(at)
            line.setVisible(True)
