"""Compare runs: the loss curve of a finished or paused run kept on the loss
plot, faded, and labelled with what differs from the settings now (the
words come from :mod:`nnbuilder.core.teaching.compare`). Pins belong to one
document: New and Open drop them.
"""
from __future__ import annotations

from PySide6.QtCore import QObject

from nnbuilder.core.teaching.compare import SAME, difference, run_settings

from .curves import CurvesPanel
from .run_controller import RunController


class RunPins(QObject):
    """Pins ``run``'s curve on ``curves``' loss plot when its pin button is
    pressed; ``frame_drawn`` (the live view's) tells it when the curve grew."""

    def __init__(self, run: RunController, curves: CurvesPanel, frame_drawn, parent=None):
        super().__init__(parent)
        self.run, self.curves = run, curves
        self._document = None  # the document the pins were made with
        self._pinned = None  # (generation, rows) of the run last pinned: not twice
        curves.pin.clicked.connect(self.pin_run)
        run.runReplaced.connect(self._run_replaced)
        run.readyChanged.connect(lambda _: self.relabel())
        run.trainingChanged.connect(self.relabel)  # an edit, an undo or a redo
        frame_drawn.connect(lambda _: self._offer())

    def _settings(self) -> dict | None:
        doc = self.run.document
        return None if doc is None else run_settings(doc.graph, doc.training, doc.dataset, doc.seed)

    def _run_replaced(self) -> None:
        if self.run.document is not self._document:  # New or Open: the pins were another's
            self._document = self.run.document
            self.curves.loss.clear_pins()
            self.curves.clear_pins.setEnabled(False)
        self.curves.pin.setEnabled(False)
        self.relabel()

    def _offer(self) -> None:
        """The pin button is on while the run has a curve not pinned yet."""
        c = self.run.state.curves
        self.curves.pin.setEnabled(len(c) > 1 and self._pinned != (self.run.state.generation, len(c)))

    def pin_run(self) -> None:
        """Keep this run's loss curve, faded, labelled with what differs from the settings now."""
        c, st = self.run.state.curves, self.run.state
        if len(c) < 2:
            return
        self.curves.loss.add_pin(c.column("epoch"), c.column("train_loss"), self._settings(), SAME)
        self._pinned = (st.generation, len(c))
        self.curves.pin.setEnabled(False)
        self.curves.clear_pins.setEnabled(True)

    def relabel(self) -> None:
        pins, now = self.curves.loss.pins, self._settings()
        if pins and now is not None:
            self.curves.loss.set_pin_labels([difference(p.settings, now) for p in pins])
