"""Feeds the loss-surface view from the run: its network and training rows
when they change, each drawn snapshot's weights (the path), the settings,
and the weight a click on the diagram chose. The view itself knows no room.
"""
from __future__ import annotations

from PySide6.QtCore import QObject

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.trainer import TrainConfig

from .data_controller import DataController
from .run_controller import RunController, structure_key
from .surface_view import SurfaceView


class SurfaceLink(QObject):
    """Keeps ``view`` showing ``run``'s network on ``data``'s training rows."""

    def __init__(self, run: RunController, data: DataController, view: SurfaceView, parent=None):
        super().__init__(parent)
        self.run, self.data, self.view = run, data, view
        self._key = None
        run.runReplaced.connect(self._run_replaced)
        run.readyChanged.connect(lambda _: self.refresh())
        data.dataChanged.connect(self.refresh)

    def refresh(self, force: bool = False) -> None:
        """The run's network and training rows, rebuilt when they changed."""
        doc = self.run.document
        if doc is None:
            return
        key = (structure_key(doc.graph), self.data.version)
        if key == self._key and not force:
            return
        self._key = key
        try:
            net, data = self.run.build_network_and_data()
        except NNBuilderError as e:
            self.view.set_network(None, None, reason=f"The network cannot run yet: {e}")
            return
        self.view.set_network(net, data, doc.training or TrainConfig(), label=doc.graph.label)
        self.show_current()

    def show_current(self) -> None:
        """The newest weights: a snapshot's, or a trained document's."""
        snap = self.run.snapshot
        if snap is not None:
            self.view.add_snapshot(snap)
            return
        weights = {nid: (v["W"], v.get("b")) for nid, v in self.run.current_weights().items() if "W" in v}
        self.view.set_weights(weights or None)

    def _run_replaced(self) -> None:
        self.view.clear_path()
        self.refresh(force=True)

    def snapshot_drawn(self, snap) -> None:
        self.view.add_snapshot(snap)

    def config_changed(self, _changes=None) -> None:
        doc = self.run.document
        if doc is not None:
            self.view.set_config(doc.training or TrainConfig())

    def show_weight(self, node_id: str, row: int, col: int) -> None:
        """``row`` -1: the bias."""
        self.view.show_weight(node_id, None if row < 0 else row, col)
