"""The model file: one JSON format for a network with or without weights.

Reading checks, in order: the bytes are JSON (no NaN/Infinity), the format
name and version (newer: refused; older: migrated), the JSON Schema (made from the
declarations of the node types and settings by :mod:`.modelschema`, and
shipped as ``resources/model.schema.json``), then the semantics (ids, edges, parameter
values, weight shapes against the inferred shapes, training and dataset
settings, class labels, column names). Every problem raises
:class:`ModelFileError` with the JSON path of the bad field; nothing else
escapes. Writing refuses non-finite numbers and
replaces the file atomically. Floats are written with Python's shortest
round-trip ``repr``, so weights read back bit-exact. A CSV file in the model
file's folder or below is named relative to it, and read back absolute (see
:mod:`nnbuilder.core.data.datasource`, which also holds data saved inside the file). See
docs/model-format.md.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..data.datasets import CSV_OPTIONS, DATASETS, make_dataset
from ..data.datasource import check_rows, relative_csv, resolve_csv
from ..errors import GraphError, ModelFileError, NNBuilderError
from ..functions.activations import ACTIVATIONS
from ..functions.features import columns_needed
from ..model.graph import Graph, GraphDictError
from .modelschema import build_model_schema
from ..engine.network import Network
from ..resources import resource
from .schema import first_error
from ..engine.config import TrainConfig

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "ModelDocument", "load_model", "save_model",
           "read_model_text", "model_to_dict", "model_from_dict", "atomic_write_text",
           "MIGRATIONS", "SCHEMA_PATH", "columns_for"]

FORMAT_NAME = "nnbuilder-model"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 256 * 1024 * 1024
SCHEMA_PATH = resource("model.schema.json")

#: ``MIGRATIONS[v]`` turns a version-``v`` document into version ``v + 1``.
#: Version 1 is the first format, so there is nothing to migrate yet.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


@dataclass
class ModelDocument:
    """Everything a model file holds."""

    graph: Graph
    weights: dict | None = None  # {node_id: {"W": ndarray, "b": ndarray | None[, "alpha": ndarray]}} (+ input {"mean", "std"}; a standardizing output's also "mean", "std")
    training: TrainConfig | None = None
    dataset: dict | None = None
    seed: int = 0
    metrics: dict | None = None
    labels: list[str] | None = None  # class names, by predicted class index
    #: names of the raw data columns the weights were trained on (x1 reads the first), or None
    columns: list[str] | None = None


@lru_cache(maxsize=1)
def model_schema() -> dict:
    """The JSON Schema reading checks a file against: made from the node types'
    and the training settings' declarations (:mod:`.modelschema`);
    ``resources/model.schema.json`` is the same, written out."""
    return build_model_schema()


# ------------------------------------------------------------------- writing
def _finite_or_raise(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ModelFileError(f"{value} cannot be stored: numbers must be finite", path)
    if isinstance(value, dict):
        for k, v in value.items():
            _finite_or_raise(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _finite_or_raise(v, f"{path}[{i}]")


def model_to_dict(doc: ModelDocument, folder: str | os.PathLike | None = None) -> dict:
    """The JSON-ready dict of ``doc``; raises ModelFileError on NaN/Inf.
    For a file in ``folder``, a CSV file there or below is named relative to it.
    A layer's ``alpha`` is written when the graph makes it a prelu layer (its
    initial slopes where the weights have none: the activation was just
    switched to prelu), and only then; so are an Output node's ``mean`` and
    ``std`` when it standardizes its targets (0 and 1 where the weights have
    none, as its network has until trained)."""
    weights = None
    if doc.weights is not None:
        weights = {}
        for nid, entry in doc.weights.items():
            layer = "W" in entry
            names = ("W", "b") if layer else ("mean", "std")
            node = doc.graph.nodes.get(nid)
            if layer and node is not None and \
                    ACTIVATIONS[node.params.get("activation", "linear")].learned:
                names += ("alpha",)
                if entry.get("alpha") is None or np.shape(entry["alpha"]) != (node.params["units"],):
                    entry = {**entry, "alpha": np.full(node.params["units"], node.alpha)}
            if layer and node is not None and node.params.get("normalize") == "standardize":
                names += ("mean", "std")  # an Output's target statistics, while it standardizes
                if entry.get("mean") is None or np.shape(entry["mean"]) != (node.params["units"],):
                    units = node.params["units"]  # none yet (just switched on): mean 0, std 1, as the network has
                    entry = {**entry, "mean": np.zeros(units), "std": np.ones(units)}
            weights[nid] = {}
            for name in names:
                arr = entry.get(name)
                if arr is not None:
                    arr = np.asarray(arr, dtype=np.float64)
                    if not np.isfinite(arr).all():
                        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
                        raise ModelFileError(f"weights must be finite; this one is {arr[bad]}",
                                             f"$.weights.{nid}.{name}" + "".join(f"[{i}]" for i in bad))
                    arr = arr.tolist()
                weights[nid][name] = arr
    data = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "graph": doc.graph.to_dict(),
        "weights": weights,
        "training": None if doc.training is None else doc.training.to_dict(),
        "dataset": doc.dataset if folder is None else relative_csv(doc.dataset, folder),
        "seed": int(doc.seed),
        "metrics": doc.metrics,
        "labels": None if doc.labels is None else [str(n) for n in doc.labels],
    }
    if doc.columns is not None:  # absent, not null, when unknown: older readers know no such field
        data["columns"] = [str(n) for n in doc.columns]
        _check_columns(doc.graph, data["columns"], _refuse)  # what is written can be read
    for key in ("graph", "training", "dataset", "metrics"):
        _finite_or_raise(data[key], f"$.{key}")
    return data


def _refuse(msg: str, path: str | None = None):
    raise ModelFileError(msg, path)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync, then rename over it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        # mkstemp makes the file private (0600); give it the mode a plain
        # open() would (or keep the mode of the file it replaces).
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def save_model(path: str | os.PathLike, doc: ModelDocument) -> None:
    """Write ``doc`` to ``path`` atomically; ModelFileError if it cannot be written."""
    data = model_to_dict(doc, os.path.dirname(os.path.abspath(path)))
    rows = (data["dataset"] or {}).get("rows")
    text = json.dumps(data if rows is None else {**data, "dataset": {**data["dataset"], "rows": "\0rows"}},
                      indent=1, allow_nan=False) + "\n"
    if rows is not None:  # a saved table: a row a line, as in a CSV file, not a cell a line
        mark = json.dumps("\0rows")
        lines = ",\n".join("   " + json.dumps(row, allow_nan=False) for row in rows)
        text = text.replace(mark, f"[\n{lines}\n  ]") if text.count(mark) == 1 else \
            json.dumps(data, indent=1, allow_nan=False) + "\n"
    try:
        atomic_write_text(path, text)
    except OSError as e:
        raise ModelFileError(f"cannot write: {e.strerror or e}", file=str(path)) from None


# ------------------------------------------------------------------- reading
def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed: numbers must be finite")


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"{text} is too large for a 64-bit float")
    return v


def read_model_text(text: str | bytes, file: str | None = None) -> ModelDocument:
    """Parse and check a model file's text; see the module docstring."""
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise ModelFileError(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}",
                             file=file) from None
    except (ValueError, RecursionError, UnicodeDecodeError) as e:
        raise ModelFileError(f"not valid JSON: {e}", file=file) from None
    return model_from_dict(data, file)


def load_model(path: str | os.PathLike) -> ModelDocument:
    """Read a model file; every problem raises ModelFileError."""
    path = str(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise ModelFileError(f"the file is {size:,} bytes, more than a model file may be "
                                 f"({MAX_FILE_BYTES:,})", file=path)
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise ModelFileError(f"cannot read: {e.strerror or e}", file=path) from None
    doc = read_model_text(raw, path)
    doc.dataset = resolve_csv(doc.dataset, os.path.dirname(os.path.abspath(path)))
    return doc


def model_from_dict(data: Any, file: str | None = None) -> ModelDocument:
    """Check a parsed document and build the :class:`ModelDocument`."""
    def fail(msg, path=None):
        raise ModelFileError(msg, path, file)

    if not isinstance(data, dict):
        fail("a model file must hold a JSON object", "$")
    if data.get("format") != FORMAT_NAME:
        fail(f"not an nnbuilder model (the field 'format' must be {FORMAT_NAME!r})", "$.format")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        fail("the format version must be a whole number", "$.version")
    if version > FORMAT_VERSION:
        fail(f"written by a newer nnbuilder (format version {version}); this version reads "
             f"format versions up to {FORMAT_VERSION}: please update nnbuilder", "$.version")
    while version < FORMAT_VERSION:
        if version not in MIGRATIONS:
            fail(f"format version {version} is not supported", "$.version")
        data = MIGRATIONS[version](dict(data))
        version += 1
        data["version"] = version

    err = first_error(data, model_schema())
    if err:
        fail(err[1], err[0])

    try:
        graph = Graph.from_dict(data["graph"])
    except GraphDictError as e:
        fail(e.reason, e.path)

    weights = None
    if data.get("weights") is not None:
        weights = _check_weights(graph, data["weights"], fail)

    training = None
    if data.get("training") is not None:
        try:
            training = TrainConfig.from_dict(data["training"])
        except NNBuilderError as e:
            fail(str(e), f"$.training.{getattr(e, 'field', '')}".rstrip("."))

    dataset = data.get("dataset")
    if dataset is not None:
        check_rows(dataset, fail)  # first: rows without 'csv' are told so
        sources = [k for k in ("name", "csv", "points") if k in dataset]
        if len(sources) != 1:
            fail("a dataset has exactly one of a built-in 'name', a 'csv' file or painted 'points'",
                 "$.dataset")
        if "name" in dataset:
            info = DATASETS[dataset["name"]]
            if info.fixed and dataset.get("samples") not in (None, info.samples):
                fail(f"dataset {info.name} is a fixed table of {info.samples} rows", "$.dataset.samples")
        if "points" in dataset:
            classes = dataset.get("classes", 2)
            for i, (_, _, c) in enumerate(dataset["points"]):
                if c != int(c) or not 0 <= c < classes:
                    fail(f"the class must be a whole number from 0 to {classes - 1}",
                         f"$.dataset.points[{i}][2]")
        for key in CSV_OPTIONS:
            if key in dataset and "csv" not in dataset and dataset[key] not in (None, False):
                fail(f"'{key}' applies to CSV data only", f"$.dataset.{key}")
    labels = data.get("labels")
    outputs = graph.nodes_of_type("output")
    if labels is not None and len(outputs) == 1:
        units = outputs[0].params["units"]
        if len(labels) != max(units, 2):
            fail(f"there must be one class name per output class ({max(units, 2)}), "
                 f"there are {len(labels)}", "$.labels")
    columns = data.get("columns")
    if columns is not None:
        _check_columns(graph, columns, fail)
    return ModelDocument(graph, weights, training, dataset, data.get("seed", 0), data.get("metrics"),
                         labels, columns)


def columns_for(graph: Graph, dataset: dict | None, fallback: list[str] | None = None) -> list[str] | None:
    """The ``columns`` entry for weights trained on the data a ``dataset``
    entry describes: x1, x2, ... for a built-in set (Iris: its header),
    x1, x2 for painted points, the listed ``features`` of CSV data. Where the
    entry does not tell without reading a user's file, ``fallback`` (e.g. the
    names the opened file had). None if the names would not make a valid file
    (fewer than the Input node reads, or repeated)."""
    columns = fallback
    if dataset and "points" in dataset:
        columns = ["x1", "x2"]
    elif dataset and "csv" in dataset:
        names = dataset.get("features")
        if names and not any(str(n).isdigit() for n in names):  # numbers are positions, not names
            columns = [str(n) for n in names]
    elif dataset and dataset.get("name") in DATASETS:
        info = DATASETS[dataset["name"]]
        columns = _source_columns(info.name) if info.source else \
            [f"x{i + 1}" for i in range(info.columns)]
    if columns is None:
        return None
    problems = []
    _check_columns(graph, columns, lambda msg, path=None: problems.append(msg))
    return None if problems else list(columns)


@lru_cache(maxsize=None)
def _source_columns(name: str) -> list[str] | None:
    """The header of a built-in set shipped as a CSV file (None if it cannot be read)."""
    try:
        return make_dataset(name).column_names
    except NNBuilderError:
        return None


def _check_columns(graph: Graph, columns: list, fail) -> None:
    """Names unique, and enough of them for the columns the Input node's features read."""
    seen = set()
    for i, name in enumerate(columns):
        if name in seen:
            fail(f"the column name {name!r} appears twice", f"$.columns[{i}]")
        seen.add(name)
    inputs = graph.nodes_of_type("input")
    if len(inputs) == 1:
        features = inputs[0].params.get("features") or []
        need = columns_needed(features)
        if len(columns) < need:
            fail(f"the Input node's features ({', '.join(features)}) read {need} data columns, "
                 f"but {len(columns)} are named", "$.columns")


def _check_weights(graph: Graph, given: dict, fail) -> dict:
    try:
        net = Network(graph)
    except GraphError as e:
        fail(f"weights are given but the network is not valid: {e}", "$.graph")
    weights = {}
    for nid in given:
        if nid == net.input_id and net.standardize:
            continue
        if nid not in net.params:
            what = "an Input node that standardizes" if nid == net.input_id else "a Dense or Output node"
            fail(f"'{nid}' is not {what} of this network", f"$.weights.{nid}")
        if "W" not in given[nid]:
            fail(f"node '{nid}' needs W and b", f"$.weights.{nid}")
    if net.standardize:
        stats = given.get(net.input_id)
        if stats is None or "mean" not in stats:
            fail(f"node '{net.input_id}' standardizes its inputs, so the weights need its "
                 "mean and std", "$.weights")
        n = len(net.features)
        for name in ("mean", "std"):
            if len(stats[name]) != n:
                fail(f"{name} must have {n} entries (one per input feature), has {len(stats[name])}",
                     f"$.weights.{net.input_id}.{name}")
        weights[net.input_id] = {k: np.array(stats[k], dtype=np.float64) for k in ("mean", "std")}
    for nid, (W, b) in net.params.items():
        if nid not in given:
            fail(f"the weights of node '{nid}' are missing", "$.weights")
        entry = given[nid]
        rows = entry["W"]
        if len(rows) != W.shape[0]:
            fail(f"W must have {W.shape[0]} rows (the input width), has {len(rows)}",
                 f"$.weights.{nid}.W")
        for r, row in enumerate(rows):
            if len(row) != W.shape[1]:
                fail(f"each row of W must have {W.shape[1]} entries (the units), has {len(row)}",
                     f"$.weights.{nid}.W[{r}]")
        gb = entry["b"]
        if b is None and gb is not None:
            fail(f"node '{nid}' has no bias, so b must be null", f"$.weights.{nid}.b")
        if b is not None and (gb is None or len(gb) != b.shape[0]):
            fail(f"b must have {b.shape[0]} entries", f"$.weights.{nid}.b")
        weights[nid] = {"W": np.array(rows, dtype=np.float64),
                        "b": None if gb is None else np.array(gb, dtype=np.float64)}
        slopes, ga = net.slopes.get(nid), entry.get("alpha")
        if slopes is None and ga is not None:
            fail(f"only a prelu layer learns slopes; node '{nid}' has activation "
                 f"{net.nodes[nid].params['activation']}, so alpha must be left out",
                 f"$.weights.{nid}.alpha")
        if slopes is not None:
            if ga is None:
                fail(f"node '{nid}' is a prelu layer, so its weights need alpha: one learned "
                     f"slope per unit ({slopes.shape[0]})", f"$.weights.{nid}")
            if len(ga) != slopes.shape[0]:
                fail(f"alpha must have {slopes.shape[0]} entries (one slope per unit), has {len(ga)}",
                     f"$.weights.{nid}.alpha")
            weights[nid]["alpha"] = np.array(ga, dtype=np.float64)
        _check_target_stats(net, nid, entry, weights[nid], fail)
    return weights


def _check_target_stats(net: Network, nid: str, entry: dict, out: dict, fail) -> None:
    """The Output node's ``mean`` and ``std`` (one per unit) into ``out`` when
    it standardizes its targets; refused on any other layer."""
    if nid != net.output_id or not net.standardize_target:
        if "mean" in entry or "std" in entry:
            fail(f"only an Output node with normalize = standardize has a mean and std beside W and b; "
                 f"leave them out of node '{nid}'", f"$.weights.{nid}")
        return
    if "mean" not in entry or "std" not in entry:
        fail(f"node '{nid}' standardizes its targets, so its weights need their mean and std",
             f"$.weights.{nid}")
    for name in ("mean", "std"):
        if len(entry[name]) != net.n_outputs:
            fail(f"{name} must have {net.n_outputs} entries (one per unit), has {len(entry[name])}",
                 f"$.weights.{nid}.{name}")
        out[name] = np.array(entry[name], dtype=np.float64)
