"""The data room: turns the document's dataset spec into a loaded
:class:`~nnbuilder.core.data.datasets.Dataset` and says so with ``dataChanged``.

It owns the one dataset cache (imported CSV tables by file and options,
bounded in tables and bytes), the panel's data edits, painting and input
normalization, all as undoable document edits. It never starts, stops or draws a run: the run controller and
the live view follow ``dataChanged``.
"""
from __future__ import annotations

import json
import os

import numpy as np
from PySide6.QtCore import QObject, Signal

from nnbuilder.core.data.datasets import CSV_OPTIONS, Dataset, dataset_from_spec, split_indices
from nnbuilder.core.data.datasource import EMBEDDED_KEYS
from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.functions.features import abbreviated, feature_labels
from nnbuilder.core.engine.traindata import fitting_changes, fitting_note
from nnbuilder.core.run.outputview import default_axes

from .gallery import PAINTED
from .importer import TableLoader
from .output_panel import ViewOptions
from .training_panel import TrainingPanel

CACHE_SIZE = 4  # imported tables kept for undo/redo ...
CACHE_BYTES = 256 << 20  # ... while they hold at most this together (the newest is always kept)


def held_bytes(dataset: Dataset) -> int:
    """The bytes a dataset keeps alive: its features are often a view of
    the whole table read (:meth:`Table.to_dataset`), which lives as long as they do."""
    X = dataset.X
    base = X.base if isinstance(X.base, np.ndarray) else X
    return base.nbytes + np.asarray(dataset.y).nbytes


def csv_key(spec: dict) -> str | None:
    """What a CSV dataset depends on: its options and the file's size and time."""
    try:
        st = os.stat(spec["csv"])
    except OSError:
        return None
    return json.dumps([{k: spec.get(k) for k in ("csv", *CSV_OPTIONS)}, st.st_size, st.st_mtime_ns])


def spec_title(spec: dict) -> str:
    return spec.get("name") or ("painted" if "points" in spec else os.path.basename(spec.get("csv", "")))


def _short(value, columns) -> str:
    """A fitted setting in a status line: features by the data's column names, abbreviated."""
    return f"[{abbreviated(feature_labels(value, columns))}]" if isinstance(value, list) else str(value)


class DataController(QObject):
    """The document's data, loaded; ``panel`` shows its settings, ``options``
    offers its columns for the output view's axes."""

    dataChanged = Signal()  # the loaded data (or its error) changed
    status = Signal(str, int)

    def __init__(self, panel: TrainingPanel, options: ViewOptions, parent=None):
        super().__init__(parent)
        self.panel, self.options = panel, options
        self.document = None
        self.dataset: Dataset | None = None
        self.error: str | None = None
        self.version = 0  # bumps with every load: lets readers cache on it
        self._cache: dict[str, Dataset] = {}
        self.loader: TableLoader | None = None  # a model's CSV file being read

    # ------------------------------------------------------------- document
    def set_document(self, document) -> None:
        if self.document is not None:
            self.document.datasetChanged.disconnect(self._applied)
            self.document.graphChanged.disconnect(self._graph_changed)
        self.document = document
        document.datasetChanged.connect(self._applied)
        document.graphChanged.connect(self._graph_changed)
        self._graph_changed()
        self.load()

    @property
    def spec(self) -> dict:
        return self.document.dataset or {}

    def split(self) -> tuple[float, int]:
        """(train fraction, split seed) of the document's data."""
        return self.spec.get("split", 0.5), self.spec.get("seed", 0)

    def split_indices(self) -> tuple[np.ndarray, np.ndarray]:
        fraction, seed = self.split()
        return split_indices(len(self.dataset), fraction, np.random.default_rng(seed))

    def load(self) -> None:
        """Load the document's data (from the cache when it has it) and say so.
        A CSV file not in the cache is read in the background (as an
        import is); until it is, there is no data and the error says why."""
        d = self.spec
        self.error = None
        key = csv_key(d) if "csv" in d and "rows" not in d else None  # rows: saved in the file
        if self.loader is not None:  # a file still being read is not wanted any more
            self.loader.cancel()
            self.loader = None
        if key is not None and key not in self._cache:
            self._read_in_background(d, key)
            return
        try:
            if key is not None and key in self._cache:  # imported, or an undo/redo
                self.dataset = self._cache[key]
            else:
                self.dataset = dataset_from_spec(d)
                if key is not None:
                    self._remember(key, self.dataset)
        except NNBuilderError as e:
            self.dataset, self.error = None, str(e)
        self._loaded()

    def _loaded(self) -> None:
        d = self.spec
        self.version += 1
        self.panel.show_dataset(d)
        ds = self.dataset
        self.options.set_columns(ds.column_names if ds is not None else [],
                                 default_axes(ds.X) if ds is not None else (0, 1))
        if self.dataset is not None and "name" not in d:  # painted or imported: show its size
            self.panel.show_samples(len(self.dataset))
        self.dataChanged.emit()

    def _read_in_background(self, spec: dict, key: str) -> None:
        name = os.path.basename(spec["csv"])
        self.dataset, self.error = None, f"still reading {name}"
        self.loader = loader = TableLoader(spec["csv"], self)

        def loaded(table) -> None:
            try:
                dataset = table.to_dataset(spec.get("features"), spec.get("target"), spec.get("task"),
                                           spec.get("drop_bad", False))
            except NNBuilderError as e:
                failed(str(e))
                return
            self._remember(key, dataset)
            self.dataset, self.error = dataset, None
            self._loaded()

        def failed(message: str) -> None:
            self.dataset, self.error = None, message
            self._loaded()

        loader.loaded.connect(loaded)
        loader.failed.connect(failed)
        loader.finished.connect(lambda: self.loader is loader and setattr(self, "loader", None))
        loader.start()
        self.status.emit(f"Reading {name}…", 0)
        self._loaded()

    def _remember(self, key: str, dataset: Dataset) -> None:
        """Keep ``dataset`` for undo/redo; older ones go beyond CACHE_SIZE
        tables or CACHE_BYTES (an undo to one of them reads its file again)."""
        self._cache.pop(key, None)
        self._cache[key] = dataset
        while len(self._cache) > CACHE_SIZE or (
                len(self._cache) > 1 and sum(map(held_bytes, self._cache.values())) > CACHE_BYTES):
            self._cache.pop(next(iter(self._cache)))

    def _applied(self) -> None:
        """The document's data changed (an edit, an undo or a redo): follow it."""
        self.load()
        self.status.emit("Data: " + spec_title(self.spec), 8000)

    def _graph_changed(self) -> None:
        inputs = self.document.graph.nodes_of_type("input")
        self.panel.set_normalize(inputs[0].params.get("normalize", "none") if inputs else "none")

    # ---------------------------------------------------------------- edits
    def panel_changed(self, dataset: dict) -> None:
        """The panel picked other data: an undoable change of the document."""
        old = self.spec
        if "csv" in dataset:  # the imported file stays; only the split changed
            if "csv" not in old:
                return
            new = {**old, "split": dataset.get("split", old.get("split", 0.5))}
        elif dataset.get("name") == PAINTED:
            new = {"points": old.get("points", []), "classes": old.get("classes", 2),
                   "split": dataset.get("split", 0.5), "seed": old.get("seed", 0)}
        else:
            csv_keys = ("csv", *CSV_OPTIONS, *EMBEDDED_KEYS)
            new = {**{k: v for k, v in old.items() if k not in ("points", "classes", *csv_keys)},
                   **dataset}
            new.setdefault("seed", old.get("seed", 0))
        title = dataset.get("name") or os.path.basename(old.get("csv", ""))
        # The same data with another setting (noise, samples...): edits of one
        # setting in a row are one undo step, as for the training settings.
        same = spec_title(new) == spec_title(old) and ("points" in new) == ("points" in old)
        self.document.set_dataset(new, f"Data: {title}", mergeable=same)

    def import_dataset(self, spec: dict, dataset: Dataset, fit: bool, standardize: bool) -> None:
        """Use imported CSV data: one undo step that sets the data and, with
        ``fit``, adapts the Input and Output nodes to it."""
        old = self.spec
        spec = {**spec, "split": old.get("split", 0.5), "seed": old.get("seed", 0)}  # the panel's fraction stays
        key = csv_key(spec)
        if key is not None:
            self._remember(key, dataset)
        changes = fitting_changes(self.document.graph, dataset, standardize) if fit else {}
        note = fitting_note(self.document.graph, dataset, changes)
        doc, name = self.document, os.path.basename(spec["csv"])
        with doc.macro(f"Import {name}"):
            doc.set_dataset(spec, f"Data: {name}")
            for nid, ch in changes.items():
                doc.set_params(nid, mergeable=False, **ch)
        summary = (f"{len(dataset):,} rows, {dataset.X.shape[1]} features, "
                   + (f"{dataset.n_classes} classes" if dataset.task == "classification" else "regression"))
        if note:  # the hidden layers were resized: say why, on one line
            self.status.emit(f"Imported {name}, network fitted: {note}", 10000)
            return
        settings = {nid: ", ".join(f"{k} = {_short(v, dataset.column_names)}" for k, v in ch.items())
                    for nid, ch in changes.items()}
        fitted = "; network fitted: " + ", ".join(f"{doc.graph.label(nid)} {text}" for nid, text in settings.items()) \
            if changes else ""
        self.status.emit(f"Imported {name}: {summary}{fitted}", 10000)

    def paint(self, x: float, y: float, remove: bool, cls: int) -> None:
        """Add a point of class ``cls`` or remove the nearest: one undoable step each."""
        d = self.spec
        if "points" not in d:
            return
        points = [list(p) for p in d["points"]]
        if remove:
            if not points:
                return
            P = np.array(points)[:, :2]
            scale = np.ptp(P, axis=0) + 1e-9 if len(points) > 1 else np.ones(2)
            del points[int(np.argmin((((P - [x, y]) / scale) ** 2).sum(axis=1)))]
            text = "Remove point"
        else:
            points.append([round(float(x), 4), round(float(y), 4), int(cls) % d.get("classes", 2)])
            text = "Paint point"
        self.document.set_dataset({**d, "points": points}, text)

    def clear_points(self) -> None:
        d = self.spec
        if d.get("points"):
            self.document.set_dataset({**d, "points": []}, "Clear points")

    def set_paint_classes(self, k: int) -> None:
        d = self.spec
        if "points" in d and d.get("classes", 2) != k:
            points = [p for p in d["points"] if p[2] < k]
            self.document.set_dataset({**d, "classes": k, "points": points}, f"{k} classes")

    def set_normalize(self, value: str) -> None:
        """Input normalization from the data panel: a parameter of the Input node(s)."""
        doc = self.document
        inputs = doc.graph.nodes_of_type("input")
        if not inputs:
            self.status.emit("Add an Input node first", 8000)
            self.panel.set_normalize("none")
            return
        with doc.macro(f"Normalize inputs: {value}"):
            for node in inputs:
                doc.set_params(node.id, mergeable=False, normalize=value)
