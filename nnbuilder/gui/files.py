"""The main window's file operations (new, open, save, import, exports and
the autosave), as a mixin of :class:`~.mainwindow.MainWindow` (kept apart
only so that neither file passes ~400 lines). Dialogs are the window's
``_ask_*`` methods, which tests answer.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QProgressDialog

from nnbuilder.core.errors import ModelFileError, NNBuilderError
from nnbuilder.core.exports import EXPORT_FORMATS, write_export
from nnbuilder.core.examples import Example
from nnbuilder.core.resources import resource_root
from nnbuilder.core.modelfile import load_model, save_model

from . import autosave as side_file
from . import exports
from .document import Document
from .importer import DATA_SUFFIXES, ImportDialog, TableLoader

MODEL_FILTER = "nnbuilder models (*.json);;All files (*)"
ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"
MAX_RECENT = 10


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "nnbuilder", "nnbuilder")


class WindowFiles:
    """Mixed into MainWindow (a QMainWindow); see the module docstring."""

    # ----------------------------------------------------------------- files
    def maybe_save(self) -> bool:
        """True when the current document may be replaced or closed."""
        if self.document is None or not self.document.modified:
            return True
        answer = self._ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_document(self) -> None:
        if self.maybe_save():
            self.set_document(Document())
            side_file.clear_autosave()

    def open_file(self, path: str | None = None, ask_to_save: bool = True) -> bool:
        if ask_to_save and not self.maybe_save():
            return False
        path = path or self._ask_open_path()
        if not path:
            return False
        try:
            doc = Document.open(path)
        except ModelFileError as e:
            self._error("Cannot open file", f"{e}\n\nThe current network was left as it was.")
            self.show_status(f"Could not open {Path(path).name}")
            return False
        self.set_document(doc)
        side_file.clear_autosave()
        self._remember(path)
        self.show_status(f"Opened {path}")
        return True

    def open_example(self, example: Example) -> bool:
        """A shipped example (File > Examples), opened as File > Open opens a
        file (asking about unsaved changes first) but untitled, "Example: xor":
        Save asks where, so the shipped file stays as it is."""
        if not self.maybe_save():
            return False
        try:
            doc = Document(load_model(example.path))
        except ModelFileError as e:
            self._error("Cannot open the example", f"{e}\n\nThe current network was left as it was.")
            return False
        doc.example_name = example.name
        self.set_document(doc)
        side_file.clear_autosave()
        self.show_status(f"Opened the example {example.name}: {example.description}")
        return True

    def open_dropped(self, path: str) -> None:
        """A file dropped on the window: a data table is imported, a model opened."""
        if path.lower().endswith(DATA_SUFFIXES):
            self.import_data(path)
        else:
            self.open_file(path)

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path = self._ask_save_path("Save network as", self.document.title if self.document.path
                                   else "network.json", MODEL_FILTER)
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str, with_rows: bool = False) -> bool:
        if not path.lower().endswith(".json"):
            path += ".json"
        self.run.store_weights()  # the newest trained weights, also of a run still going
        try:
            self.document.save(path, with_rows)
        except (ModelFileError, OSError) as e:
            self._error("Cannot save", str(e))
            return False
        except NNBuilderError as e:  # the CSV file's rows could not be read
            self._error("Cannot save with data", f"{e}\n\nNothing was saved.")
            return False
        side_file.clear_autosave()
        self._remember(path)
        self._update_title()
        self.show_status(f"Saved {path}")
        return True

    def save_with_data(self, path: str | None = None) -> bool:
        """Save As, with the CSV data's rows in the file: one file carries the
        network, its data and its weights, and opens where the CSV file is not.
        (Built-in and painted data are in every saved file already.)"""
        doc = self.document
        suggested = doc.title if doc.path else "network.json"
        path = path or self._ask_save_path("Save network with its data", suggested, MODEL_FILTER)
        if not path:
            return False
        return self._save_to(path, with_rows=True)

    def _remember(self, path: str) -> None:
        s = settings()
        path = str(Path(path).resolve())
        recent = [p for p in self.recent_files() if p != path]  # (one stored path reads back as a str)
        s.setValue("recentFiles", [path] + recent[:MAX_RECENT - 1])
        folder = Path(path).parent
        if resource_root().resolve() not in (folder, *folder.parents):  # not the app's own examples
            s.setValue("lastDir", str(folder))

    def recent_files(self) -> list[str]:
        value = settings().value("recentFiles") or []
        return [value] if isinstance(value, str) else list(value)

    # ---------------------------------------------------------------- import
    def import_data(self, path: str | None = None) -> bool:
        """Read a CSV file in steps between events (progress, Cancel), then show
        the import dialog; False if nothing was started."""
        path = path or self._ask_data_path()
        if not path:
            return False
        if self.loader is not None and self.loader.isRunning():
            self.show_status("Still reading the previous file")
            return False
        self.loader = loader = TableLoader(path, self)
        progress = QProgressDialog(f"Reading {Path(path).name}…", "Cancel", 0, 100, self)
        progress.setObjectName("importProgress")
        progress.setWindowTitle("Import data")
        # Not modal: a modal progress dialog runs nested event loops from setValue().
        progress.setMinimumDuration(400)  # small files never flash a dialog
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
        loader.failed.connect(lambda msg: (done(), self._error("Cannot import data",
                                                               f"{msg}\n\nThe current data was left as it was."),
                                           self.show_status(f"Could not import {name}")))
        loader.cancelled.connect(lambda: (done(), self.show_status(f"Import of {name} cancelled")))
        loader.finished.connect(lambda: (setattr(self, "loader", None), loader.deleteLater()))
        loader.start()
        self.show_status(f"Reading {name}…", 0)
        return True

    def _show_import_dialog(self, table) -> None:
        self.show_status(f"Read {len(table):,} rows of {Path(table.path).name}")
        dialog = self.import_dialog = ImportDialog(table, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.data.import_dataset(
            dialog.spec(), dialog.dataset, dialog.fit_network.isChecked(), dialog.standardize.isChecked()))
        dialog.finished.connect(lambda _: setattr(self, "import_dialog", None))
        dialog.open()  # window-modal, without blocking the event loop

    # --------------------------------------------------------------- exports
    def _exported(self, ok: bool, path: str, what: str = "") -> bool:
        if ok:
            self.show_status(f"Exported {what}{path}")
        else:
            self._error("Cannot export", f"Could not write {path}")
        return ok

    def export_weights(self) -> bool:
        self.run.store_weights()
        if self.document.fitting_weights() is None:
            self._error("No trained weights",
                        "This network has no trained weights that fit its current layers. "
                        "Train it first (Train or Step), or on the command line: "
                        "nnbuilder train MODEL.json --dataset NAME -o OUT.json.")
            return False
        path = self._ask_save_path("Export trained weights", "trained.json", MODEL_FILTER)
        if not path:
            return False
        try:
            save_model(path, self.document.to_model())
        except ModelFileError as e:
            self._error("Cannot export", str(e))
            return False
        self.show_status(f"Exported weights to {path}")
        return True

    def export_network(self, fmt: str, path: str | None = None) -> bool:
        """The trained network as ``fmt`` (a key of EXPORT_FORMATS: "onnx",
        "torch"), to run it without nnbuilder; refused, saying why, when the
        weights do not fit the network as drawn."""
        form = EXPORT_FORMATS[fmt]
        self.run.store_weights()
        if self.document.fitting_weights() is None:
            self._error("No trained weights",
                        f"An {form.title} export runs the trained network, and this one has no "
                        "trained weights that fit its current layers. Train it first (Train or "
                        "Step), then export again.")
            return False
        stem = Path(self.document.title).stem if self.document.path else "network"
        path = path or self._ask_save_path(f"Export as {form.title}", stem + form.suffix,
                                           form.file_filter + ";;All files (*)")
        if not path:
            return False
        try:
            write_export(self.document.to_model(), fmt, path)
        except NNBuilderError as e:
            self._error("Cannot export", str(e))
            return False
        self.show_status(f"Exported {form.title} to {path}")
        return True

    def import_onnx(self, path: str | None = None) -> bool:
        """Open an ONNX model (layers and activations) as a new, unsaved network."""
        from nnbuilder.core.import_onnx import load_onnx

        if not self.maybe_save():
            return False
        path = path or self._ask_onnx_path()
        if not path:
            return False
        try:
            doc = Document(load_onnx(path))
        except NNBuilderError as e:
            self._error("Cannot import ONNX model", f"{e}\n\nThe current network was left as it was.")
            self.show_status(f"Could not import {Path(path).name}")
            return False
        doc.mark_modified()
        self.set_document(doc)
        side_file.clear_autosave()
        reason = self.run.refresh_ready()
        data = f"; to train it: {reason} (import or pick data that fits)" if reason else ""
        self.show_status(f"Imported {Path(path).name}: {len(doc.graph.nodes)} nodes with their "
                         f"weights; save it to keep it{data}", 0 if reason else 8000)
        return True

    def _ask_onnx_path(self) -> str:
        return QFileDialog.getOpenFileName(self, "Import ONNX model", self._last_dir(), ONNX_FILTER)[0]

    def open_lesson_network(self, model, name: str, quietly: bool) -> bool:
        """A lesson step's network (a ModelDocument) as an untitled example;
        the user's own network is offered for saving first (``quietly``: the
        one shown is the lesson's own, nothing to keep)."""
        if not quietly and not self.maybe_save():
            return False
        doc = Document(model)
        doc.example_name = name
        doc.auto_layout(undoable=False)
        self.set_document(doc)
        return True

    def export_png(self, path: str | None = None) -> bool:
        path = path or self._ask_save_path("Export diagram", "network.png", "PNG images (*.png)")
        return bool(path) and self._exported(
            exports.diagram_png(self.scene, path, self.view.palette().window().color()), path)

    def export_svg(self, path: str | None = None) -> bool:
        path = path or self._ask_save_path("Export diagram", "network.svg", "SVG images (*.svg)")
        return bool(path) and self._exported(exports.diagram_svg(self.scene, path, self.document.title), path)

    def export_plots(self, folder: str | None = None) -> list[str]:
        """Loss, metric and output plots as PNG and SVG into a folder."""
        folder = folder or QFileDialog.getExistingDirectory(self, "Export plots to", self._last_dir())
        if not folder:
            return []
        written = exports.plots_png_svg({"loss": self.curves.loss, "metric": self.curves.metric_plot,
                                         "output": self.boundary}, folder)
        self.show_status(f"Exported {len(written)} files to {folder}")
        return written

    def export_loss_csv(self, path: str | None = None) -> bool:
        path = path or self._ask_save_path("Export loss history", "loss.csv", "CSV files (*.csv)")
        if not path:
            return False
        history = self.run.state.curves
        try:
            exports.history_csv(history, path)
        except OSError as e:
            self._error("Cannot export", str(e))
            return False
        self.show_status(f"Exported {len(history)} rows to {path}")
        return True

    # ------------------------------------------------------------- autosave
    autosave_paths = staticmethod(side_file.autosave_paths)

    def autosave(self) -> bool:
        """Write a modified document to the side file; True if written."""
        if self.document is None or not self.document.modified:
            return False
        self.run.store_weights()
        try:
            side_file.write_autosave(self.document.to_model(), self.document.path)
        except (NNBuilderError, OSError) as e:
            self.show_status(f"Autosave failed: {e}")
            return False
        return True

    def offer_restore(self) -> bool:
        """After a crash the autosave is still there: offer to restore it."""
        origin = side_file.pending_autosave()
        if origin is None:
            return False
        if not self._ask_restore(origin):
            side_file.clear_autosave()
            return False
        try:
            doc = Document(side_file.read_autosave(), origin or None)
        except ModelFileError as e:
            self._error("Cannot restore", str(e))
            side_file.clear_autosave()
            return False
        doc.mark_modified()
        self.set_document(doc)
        self.show_status("Restored the autosaved network; save it to keep it")
        return True
