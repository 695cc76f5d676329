"""Feeds the loss-surface view from the run: its prepared network and training
rows when they change, each drawn snapshot's weights (the path), or a moment's
while the timeline looks back at one, the settings, and the weight a click on
the diagram chose. The view itself knows no room.
"""
from __future__ import annotations

from PySide6.QtCore import QObject

from nnbuilder.core.engine.config import TrainConfig

from ..data.data_controller import DataController
from ..run.run_controller import RunController
from .surface_view import SurfaceView


class SurfaceLink(QObject):
    """Keeps ``view`` showing ``run``'s network on ``data``'s training rows."""

    def __init__(self, run: RunController, data: DataController, view: SurfaceView, parent=None):
        super().__init__(parent)
        self.run, self.data, self.view = run, data, view
        self._prepared = None  # the run's prepared value the view shows
        self._looking_back = None  # the step of the timeline's moment on screen (None: the run's now)
        run.runReplaced.connect(self._run_replaced)
        run.preparedChanged.connect(lambda _: self.refresh())
        data.dataChanged.connect(self.refresh)

    def refresh(self, force: bool = False) -> None:
        """The run's prepared network and training rows, when they changed."""
        doc = self.run.document
        if doc is None:
            return
        p = self.run.prepared()
        if p is self._prepared and not force:
            return
        self._prepared = p
        if p.reason:
            self.view.set_network(None, None, reason=f"The network cannot run yet: {p.reason}")
            return
        self.view.set_network(p.network, p.data, doc.training or TrainConfig(), label=doc.graph.label)
        self.show_current()

    def show_current(self) -> None:
        """The newest weights: a snapshot's, or a trained document's."""
        snap = self.run.snapshot
        if snap is not None:
            self.view.add_snapshot(snap)
            return
        current = self.run.current_weights()
        weights = {nid: (v["W"], v.get("b")) for nid, v in current.items() if "W" in v}
        slopes = {nid: v["alpha"] for nid, v in current.items() if v.get("alpha") is not None}
        self.view.set_weights(weights or None, slopes=slopes)

    def _run_replaced(self) -> None:
        self.view.clear_path()
        self.refresh(force=True)

    def snapshot_drawn(self, snap) -> None:
        if self._looking_back is None:  # (else the moment's weights are on screen, not the snapshot's)
            self.view.add_snapshot(snap)

    def looking_back(self, step) -> None:
        """The timeline shows the moment at ``step`` (None: the live run again)."""
        self._looking_back = step
        if step is None:
            self.show_current()

    def moment_shown(self, moment) -> None:
        """A moment of the timeline on screen (a MomentWeights): its weights and
        step, not joining the run's path (the run is still where it was)."""
        self.view.set_weights(moment.weights, moment.step, slopes=moment.slopes, join=False)

    def config_changed(self, _changes=None) -> None:
        doc = self.run.document
        if doc is not None:
            self.view.set_config(doc.training or TrainConfig())

    def show_weight(self, node_id: str, row: int, col: int) -> None:
        """``row`` -1: the bias."""
        self.view.show_weight(node_id, None if row < 0 else row, col)
