"""Bringing outside files in: a CSV table (read in the background with a progress
dialog, then the import dialog, whose choice the data controller applies) and
an ONNX model (opened as a new, unsaved network; a file the importer cannot
use is an error dialog and the network stays).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from nnbuilder.core.errors import NNBuilderError

from ..data.data_controller import DataController
from ..diagram.document import Document
from .files import Dialogs, FileRoom
from ..data.importer import ImportDialog, TableLoader
from ..run.run_controller import RunController



PROGRESS_AFTER_MS = 400  # a read this short shows no progress dialog

class ImportFlows(QObject):
    """The import flows; ``parent`` is the window the dialogs belong to."""

    def __init__(self, files: FileRoom, data: DataController, run: RunController, dialogs: Dialogs,
                 status: Callable[..., None], parent: QWidget):
        super().__init__(parent)
        self._files, self._data, self._run = files, data, run
        self._dialogs, self._status, self._window = dialogs, status, parent
        self.loader: TableLoader | None = None  # a CSV file being read
        self.import_dialog: ImportDialog | None = None
        self.import_progress: QProgressDialog | None = None

    # ------------------------------------------------------------------ CSV
    def import_data(self, path: str | None = None) -> bool:
        """Read a CSV file in the background (progress, Cancel), then show
        the import dialog; False if nothing was started."""
        path = path or self._dialogs.ask_data_path()
        if not path:
            return False
        if self.loader is not None and self.loader.isRunning():
            self._status("Still reading the previous file")
            return False
        self.loader = loader = TableLoader(path, self)
        progress = QProgressDialog(f"Reading {Path(path).name}…", "Cancel", 0, 100, self._window)
        progress.setObjectName("importProgress")
        progress.setWindowTitle("Import data")
        # Not modal: a modal progress dialog runs nested event loops from setValue().
        progress.setMinimumDuration(PROGRESS_AFTER_MS)  # small files never flash a dialog
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setValue(0)
        self.import_progress = progress
        loader.progressed.connect(progress.setValue)
        progress.canceled.connect(loader.cancel)
        name = Path(path).name

        def done():
            progress.reset()
            progress.hide()
            progress.deleteLater()
            self.import_progress = None
        loader.loaded.connect(lambda table: (done(), self._show_import_dialog(table)))
        loader.failed.connect(lambda msg: (done(), self._dialogs.error(
            "Cannot import data", f"{msg}\n\nThe current data was left as it was."),
            self._status(f"Could not import {name}")))
        loader.cancelled.connect(lambda: (done(), self._status(f"Import of {name} cancelled")))
        loader.finished.connect(lambda: (setattr(self, "loader", None), loader.deleteLater()))
        loader.start()
        self._status(f"Reading {name}…", 0)
        return True

    def _show_import_dialog(self, table) -> None:
        self._status(f"Read {len(table):,} rows of {Path(table.path).name}")
        dialog = self.import_dialog = ImportDialog(table, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._data.import_dataset(
            dialog.spec(), dialog.dataset, dialog.fit_network.isChecked(), dialog.standardize.isChecked()))
        dialog.finished.connect(lambda _: setattr(self, "import_dialog", None))
        dialog.open()  # window-modal, without blocking the event loop

    def cancel(self) -> None:
        """The window closes: a file still being read is not wanted."""
        if self.loader is not None:
            self.loader.cancel()

    # ----------------------------------------------------------------- ONNX
    def import_onnx(self, path: str | None = None) -> bool:
        """Open an ONNX model (layers and activations, or a scikit-learn MLP from
        skl2onnx) as a new, unsaved network."""
        from nnbuilder.core.files.import_onnx import load_onnx

        if not self._files.maybe_save():
            return False
        path = path or self._dialogs.ask_onnx_path()
        if not path:
            return False
        try:
            doc = Document(load_onnx(path))
        except NNBuilderError as e:
            self._dialogs.error("Cannot import ONNX model", f"{e}\n\nThe current network was left as it was.")
            self._status(f"Could not import {Path(path).name}")
            return False
        doc.mark_modified()
        self._files.replace_document(doc)
        reason = self._run.refresh_ready()
        data = f"; to train it: {reason} (import or pick data that fits)" if reason else ""
        classes = f", classes {', '.join(doc.labels)}" if doc.labels else ""
        self._status(f"Imported {Path(path).name}: {len(doc.graph.nodes)} nodes with their "
                     f"weights{classes}; save it to keep it{data}", 0 if reason else 8000)
        return True
