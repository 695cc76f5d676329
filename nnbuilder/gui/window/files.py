"""The file room: New, Open (a file, an example, a dropped file, a lesson's
network), Save, Save As, Save with data, the recent files, the exports and
the window's autosave side file with its restore after a crash.

It shows no dialog of its own: it asks through :class:`Dialogs`, the window's
``_ask_*`` methods, which tests answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QGraphicsView, QWidget

from nnbuilder.core.errors import ModelFileError, NNBuilderError
from nnbuilder.core.files.examples import Example
from nnbuilder.core.files.exports import EXPORT_FORMATS, write_export
from nnbuilder.core.files.modelfile import load_model, save_model
from nnbuilder.core.resources import resource_root

from . import autosave as side_file
from . import exports
from ..diagram.document import DEFAULT_EXAMPLE, Document
from ..data.importer import DATA_SUFFIXES
from ..run.run_controller import RunController
from ..diagram.scene import NetworkScene

MODEL_FILTER = "nnbuilder models (*.json);;All files (*)"
ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"
MAX_RECENT = 10


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "nnbuilder", "nnbuilder")


@dataclass(frozen=True)
class Dialogs:
    """The window's modal dialogs, the one place the app shows them."""

    error: Callable[[str, str], None]  # (title, text)
    ask_unsaved: Callable[[], str]  # "save", "discard" or "cancel"
    ask_open_path: Callable[[], str]  # "" when cancelled, as every ask_*_path
    ask_save_path: Callable[[str, str, str], str]  # (caption, suggested name, filter)
    ask_folder: Callable[[str], str]  # (caption)
    ask_restore: Callable[[str], bool]  # (the autosave's origin, "" if untitled)
    ask_data_path: Callable[[], str]
    ask_onnx_path: Callable[[], str]


class FileRoom(QObject):
    """Reads and writes the document: ``document()`` gives the current one,
    ``set_document`` hands a new one to every room."""

    dataFileDropped = Signal(str)  # a data table dropped on the window: the import flows read it
    saved = Signal(str)  # the path written: the title drops its modified mark

    def __init__(self, document: Callable[[], Document | None], set_document: Callable[[Document], None],
                 run: RunController, scene: NetworkScene, view: QGraphicsView, plots: dict[str, QWidget],
                 dialogs: Dialogs, status: Callable[..., None], parent: QObject | None = None):
        super().__init__(parent)
        self._document, self._set_document = document, set_document
        self._run, self._scene, self._view, self._plots = run, scene, view, plots
        self._dialogs, self._status = dialogs, status
        self._side = side_file.SideFile.new()  # this window's own: no other window offers it
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(side_file.AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

    @property
    def document(self) -> Document | None:
        return self._document()

    def replace_document(self, doc: Document) -> None:
        """Edit ``doc`` from now on; the old document's side file goes."""
        self._set_document(doc)
        self._side.clear()

    # ------------------------------------------------------------ open, new
    def load_example(self) -> None:
        """The built-in example: a 2-4-4-1 network for the circle dataset, untitled.
        (At start: the autosave of a session that crashed stays to be offered.)"""
        try:
            doc = Document(load_model(DEFAULT_EXAMPLE))
        except ModelFileError as e:  # a broken installation: still open a window
            self._status(str(e))
            doc = Document()
        doc.example_name = DEFAULT_EXAMPLE.stem
        doc.auto_layout(undoable=False)
        self._set_document(doc)

    def maybe_save(self) -> bool:
        """True when the current document may be replaced or closed."""
        if self.document is None or not self.document.modified:
            return True
        answer = self._dialogs.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_document(self) -> None:
        if self.maybe_save():
            self.replace_document(Document())

    def open_file(self, path: str | None = None, ask_to_save: bool = True) -> bool:
        if ask_to_save and not self.maybe_save():
            return False
        path = path or self._dialogs.ask_open_path()
        if not path:
            return False
        try:
            doc = Document.open(path)
        except ModelFileError as e:
            self._dialogs.error("Cannot open file", f"{e}\n\nThe current network was left as it was.")
            self._status(f"Could not open {Path(path).name}")
            return False
        self.replace_document(doc)
        self._remember(path)
        self._status(f"Opened {path}")
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
            self._dialogs.error("Cannot open the example", f"{e}\n\nThe current network was left as it was.")
            return False
        doc.example_name = example.name
        self.replace_document(doc)
        self._status(f"Opened the example {example.name}: {example.description}")
        return True

    def open_dropped(self, path: str) -> None:
        """A file dropped on the window: a data table is imported, a model opened."""
        if path.lower().endswith(DATA_SUFFIXES):
            self.dataFileDropped.emit(path)
        else:
            self.open_file(path)

    def open_lesson_network(self, model, name: str, quietly: bool) -> bool:
        """A lesson step's network (a ModelDocument) as an untitled example;
        the user's own network is offered for saving first (``quietly``: the
        one shown is the lesson's own, nothing to keep)."""
        if not quietly and not self.maybe_save():
            return False
        doc = Document(model)
        doc.example_name = name
        doc.auto_layout(undoable=False)
        self._set_document(doc)
        return True

    # ------------------------------------------------------------------ save
    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        path = self._dialogs.ask_save_path("Save network as", self.document.title if self.document.path
                                           else "network.json", MODEL_FILTER)
        return bool(path) and self.save_to(path)

    def save_with_data(self, path: str | None = None) -> bool:
        """Save As, with the CSV data's rows in the file: one file carries the
        network, its data and its weights, and opens where the CSV file is not.
        (Built-in and painted data are in every saved file already.)"""
        doc = self.document
        suggested = doc.title if doc.path else "network.json"
        path = path or self._dialogs.ask_save_path("Save network with its data", suggested, MODEL_FILTER)
        if not path:
            return False
        return self.save_to(path, with_rows=True)

    def save_to(self, path: str, with_rows: bool = False) -> bool:
        if not path.lower().endswith(".json"):
            path += ".json"
        self._run.store_weights()  # the newest trained weights, also of a run still going
        try:
            self.document.save(path, with_rows)
        except (ModelFileError, OSError) as e:
            self._dialogs.error("Cannot save", str(e))
            return False
        except NNBuilderError as e:  # the CSV file's rows could not be read
            self._dialogs.error("Cannot save with data", f"{e}\n\nNothing was saved.")
            return False
        self._side.clear()
        self._remember(path)
        self.saved.emit(path)
        self._status(f"Saved {path}")
        return True

    def _remember(self, path: str) -> None:
        s = settings()
        path = str(Path(path).resolve())
        recent = [p for p in self.recent_files() if p != path]  # (one stored path reads back as a str)
        s.setValue("recentFiles", [path] + recent[:MAX_RECENT - 1])
        folder = Path(path).parent
        if resource_root().resolve() not in (folder, *folder.parents):  # not the app's own examples
            s.setValue("lastDir", str(folder))

    @staticmethod
    def recent_files() -> list[str]:
        value = settings().value("recentFiles") or []
        return [value] if isinstance(value, str) else list(value)

    # --------------------------------------------------------------- exports
    def _refuse_without_weights(self, text: str) -> bool:
        """True (after saying ``text``) when the document has no trained weights that fit."""
        self._run.store_weights()
        if self.document.fitting_weights() is not None:
            return False
        self._dialogs.error("No trained weights", text)
        return True

    def export_weights(self) -> bool:
        if self._refuse_without_weights(
                "This network has no trained weights that fit its current layers. "
                "Train it first (Train or Step), or on the command line: "
                "nnbuilder train MODEL.json --dataset NAME -o OUT.json."):
            return False
        path = self._dialogs.ask_save_path("Export trained weights", "trained.json", MODEL_FILTER)
        if not path:
            return False
        try:
            save_model(path, self.document.to_model())
        except ModelFileError as e:
            self._dialogs.error("Cannot export", str(e))
            return False
        self._status(f"Exported weights to {path}")
        return True

    def export_network(self, fmt: str, path: str | None = None) -> bool:
        """The network as ``fmt`` (a key of EXPORT_FORMATS: "onnx", "torch"),
        to run or train it without nnbuilder: with its trained weights when
        they fit the network as drawn, else with the initial weights Train
        would start from (the status bar says which)."""
        form = EXPORT_FORMATS[fmt]
        self._run.store_weights()
        stem = Path(self.document.title).stem if self.document.path else "network"
        path = path or self._dialogs.ask_save_path(f"Export as {form.title}", stem + form.suffix,
                                                   form.file_filter + ";;All files (*)")
        if not path:
            return False
        model = self.document.to_model()
        try:
            write_export(model, fmt, path)
        except NNBuilderError as e:
            self._dialogs.error("Cannot export", str(e))
            return False
        untrained = "" if model.weights is not None else \
            f" with the initial weights of weight seed {model.seed} (untrained)"
        self._status(f"Exported {form.title} to {path}{untrained}")
        return True

    def _exported(self, ok: bool, path: str) -> bool:
        if ok:
            self._status(f"Exported {path}")
        else:
            self._dialogs.error("Cannot export", f"Could not write {path}")
        return ok

    def export_png(self, path: str | None = None) -> bool:
        path = path or self._dialogs.ask_save_path("Export diagram", "network.png", "PNG images (*.png)")
        return bool(path) and self._exported(
            exports.diagram_png(self._scene, path, self._view.palette().window().color()), path)

    def export_svg(self, path: str | None = None) -> bool:
        path = path or self._dialogs.ask_save_path("Export diagram", "network.svg", "SVG images (*.svg)")
        return bool(path) and self._exported(exports.diagram_svg(self._scene, path, self.document.title), path)

    def export_plots(self, folder: str | None = None) -> list[str]:
        """Loss, metric and output plots as PNG and SVG into a folder."""
        folder = folder or self._dialogs.ask_folder("Export plots to")
        if not folder:
            return []
        written = exports.plots_png_svg(self._plots, folder)
        self._status(f"Exported {len(written)} files to {folder}")
        return written

    def export_loss_csv(self, path: str | None = None) -> bool:
        path = path or self._dialogs.ask_save_path("Export loss history", "loss.csv", "CSV files (*.csv)")
        if not path:
            return False
        history = self._run.state.curves
        try:
            exports.history_csv(history, path)
        except OSError as e:
            self._dialogs.error("Cannot export", str(e))
            return False
        self._status(f"Exported {len(history)} rows to {path}")
        return True

    # ------------------------------------------------------------- autosave
    def autosave_paths(self) -> tuple[Path, Path]:
        """(this window's side file, the text file naming its origin)."""
        return self._side.paths()

    def autosave(self) -> bool:
        """Write a modified document to the side file; True if written."""
        if self.document is None or not self.document.modified:
            return False
        self._run.store_weights()
        try:
            self._side.write(self.document.to_model(), self.document.path)
        except (NNBuilderError, OSError) as e:
            self._status(f"Autosave failed: {e}")
            return False
        return True

    def offer_restore(self) -> bool:
        """A side file left by a window that crashed: offer to restore it. A
        restored one becomes this window's side file (a second crash before
        the next autosave still leaves it); a declined one goes. Another
        living window's side file is never offered."""
        leftover = side_file.claim_leftover()
        if leftover is None:
            return False
        origin = leftover.origin()
        if not self._dialogs.ask_restore(origin):
            leftover.clear()
            return False
        try:
            doc = Document(leftover.read(), origin or None)
        except ModelFileError as e:
            self._dialogs.error("Cannot restore", str(e))
            leftover.clear()
            return False
        self._side.clear()
        self._side = leftover
        doc.mark_modified()
        self._set_document(doc)
        self._status("Restored the autosaved network; save it to keep it")
        return True

    def close(self) -> None:
        """The window closes normally: no autosave left to restore."""
        self.autosave_timer.stop()
        self._side.clear()
