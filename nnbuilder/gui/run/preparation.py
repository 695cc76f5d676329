"""The preparation of the document's network and data: the one
:class:`~nnbuilder.core.run.prepared.Prepared` value (the compiled network and
its training data), built once for each structure, data and optimizer.

Big training data (:func:`~nnbuilder.core.run.prepared.data_to_build` says
which) is prepared off the window's thread by a
:class:`~nnbuilder.gui.data.importer.DataPreparer`, its progress in ``status``;
meanwhile the value is :data:`~nnbuilder.core.run.prepared.PREPARING`, and
``dataPrepared`` says when the data is there (or why there is none). The run
controller owns this room and hands its value on.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.run.prepared import (PREPARING, Prepared, compiled, data_to_build, prepare, prepared_data,
                                         structure_key)

from ..data.data_controller import DataController
from ..data.importer import DataPreparer


class Preparation(QObject):
    """Prepares the document's network with ``data``'s dataset."""

    status = Signal(str, int)  # the background's progress: text, milliseconds (0: until the next)
    preparing = Signal()  # training data began to be prepared in the background
    dataPrepared = Signal(object)  # the background's data is in the value (None), or why there is none

    def __init__(self, data: DataController, parent=None):
        super().__init__(parent)
        self.data = data
        self.document = None
        self._prepared: Prepared | None = None
        self._with_data: Prepared | None = None  # the newest prepared value with data (its data is reused)
        self._preparer: DataPreparer | None = None

    def set_document(self, document) -> None:
        """Prepare ``document`` from now on: nothing of the last one is kept."""
        self.cancel()
        self.document = document
        self._prepared, self._with_data = None, None

    @property
    def latest(self) -> Prepared | None:
        """The value built last (None: none since the document came), without building one."""
        return self._prepared

    def prepared(self) -> Prepared:
        """The document's network compiled, with its data, for the structure,
        data and optimizer now: built once for each, the same value until one
        changes. A query: it changes nothing anyone sees (the run controller's
        handlers of those changes announce a new value)."""
        doc = self.document
        key = (structure_key(doc.graph), self.data.version, (doc.training or TrainConfig()).optimizer)
        if self._prepared is not None and self._prepared.key == key:
            return self._prepared
        if self.data.document is not doc:  # set_document: the data room has not loaded it yet
            return Prepared(key, reason="the data is still loading")
        last = self._with_data if self._with_data is not None and self._with_data.key[1] == key[1] else None
        net = compiled(doc.graph)  # once, for both questions below
        build = data_to_build(key, net, self.data.dataset, self.data.error, self.data.split(), last)
        if build is not None:
            self._in_background(key, *build)
            self._prepared = p = Prepared(key, reason=PREPARING)
            return p
        self.cancel()
        self._prepared = p = prepare(key, doc.graph, self.data.dataset, self.data.error, self.data.split(),
                                     key[2], previous=last, net=net)
        # The newest value with training data: an edit that breaks the
        # network for a moment (a layer added, not yet connected) does not
        # make the next one copy the data again.
        self._with_data = p if p.data is not None else last
        return p

    def _in_background(self, key: tuple, needs: tuple, network) -> None:
        """Start preparing the training data ``needs`` describes (unless it is already)."""
        if self._preparer is not None and self._preparer.needs == needs:
            return
        self.cancel()
        self.preparing.emit()
        self._preparer = preparer = DataPreparer(self.data.dataset, network, self.data.split(), needs, self)
        preparer.progressed.connect(lambda percent: self.status.emit(f"Preparing the data: {percent}%", 0))
        preparer.loaded.connect(lambda data: self._data_prepared(key, data, needs))
        preparer.failed.connect(lambda message: self._data_prepared(key, None, needs, message))
        preparer.finished.connect(lambda: self._preparer is preparer and setattr(self, "_preparer", None))
        # Started once the edit that asked for it is over: an import's macro
        # passes states (data set, Input fitted, Output fitted) never built.
        QTimer.singleShot(0, preparer.start)
        self.status.emit("Preparing the data…", 0)

    def cancel(self) -> None:
        """Data being prepared is not wanted any more."""
        if self._preparer is not None:
            self._preparer.cancel()
            self._preparer = None

    def _data_prepared(self, key: tuple, data, needs: tuple, error: str | None = None) -> None:
        """The background's training data (or why there is none): the value
        is prepared again with it."""
        if error is not None:
            self._prepared = Prepared(key, reason=error)
            self.status.emit(f"Cannot train: {error}", 8000)
        else:
            self._with_data, self._prepared = prepared_data(key, data, needs), None
            self.status.emit("The data is ready", 3000)
        self.dataPrepared.emit(error)
