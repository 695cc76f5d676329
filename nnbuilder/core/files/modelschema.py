"""The model file's JSON Schema, made from the declarations it describes.

:func:`build_model_schema` writes the file's structure here and takes the
node types (:data:`~nnbuilder.core.model.nodetypes.NODE_SPECS`), the parameters
each accepts and their constraints, the training settings' (:data:`~nnbuilder.core.engine.config.TRAIN_CONSTRAINTS`),
the dataset settings' (:data:`~nnbuilder.core.data.datasets.DATASET_CONSTRAINTS`)
and the built-in datasets' names from their one declaration.
``resources/model.schema.json`` is this, written out for readers outside
nnbuilder (a test keeps the two equal); after changing a declaration run::

    python -m nnbuilder.core.files.modelschema --write
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..data.datasets import DATASET_CONSTRAINTS, DATASETS
from ..model.graph import MAX_NAME, MAX_NODES
from ..model.nodetypes import MAX_UNITS, NODE_SPECS
from ..engine.config import TRAIN_CONSTRAINTS

__all__ = ["build_model_schema", "schema_text", "SOURCE_SCHEMA"]

#: The file in a source tree (what ``--write`` rewrites).
SOURCE_SCHEMA = Path(__file__).resolve().parents[3] / "resources" / "model.schema.json"

_SEED = DATASET_CONSTRAINTS["seed"].schema()  # the network's seed has the data's range
_NUMBERS = {"type": "array", "minItems": 1, "items": {"type": "number"}}


def _nullable(ref: str) -> dict:
    return {"anyOf": [{"type": "null"}, {"$ref": f"#/$defs/{ref}"}]}


def _params(params: dict) -> dict:
    """The ``params`` object of one node type: its parameters, no others."""
    props = {}
    for name, p in params.items():
        props[name] = p.constraint.schema()
        if p.description:
            props[name]["description"] = p.description
    return {"type": "object", "additionalProperties": False, "properties": props}


def _training() -> dict:
    return {"type": "object", "additionalProperties": False,
            "properties": {name: c.schema() for name, c in TRAIN_CONSTRAINTS.items()}}


def _dataset() -> dict:
    return {"type": "object", "additionalProperties": False, "properties": {
        "name": {"enum": list(DATASETS)},
        "csv": {"type": "string", "minLength": 1, "maxLength": 4096,
                "description": "CSV data: the file, relative to the model file's folder (with /) "
                               "when it lies there or below, else absolute."},
        "target": {"type": ["string", "null"]},
        **{k: DATASET_CONSTRAINTS[k].schema() for k in ("samples", "noise", "split", "seed")},
        "points": {"type": "array", "maxItems": 10000, "description": "Painted data: [x1, x2, class] rows.",
                   "items": {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "number"}}},
        "classes": DATASET_CONSTRAINTS["classes"].schema(),
        "features": {"type": "array", "minItems": 1, "maxItems": MAX_UNITS,
                     "items": {"type": "string", "minLength": 1},
                     "description": "CSV data: the feature columns by name (default all but the target)."},
        "task": {"enum": ["classification", "regression", None],
                 "description": "CSV data: the task; null detects it from the target column."},
        "drop_bad": {"type": "boolean",
                     "description": "CSV data: leave out rows with a missing or non-numeric cell."},
        "columns": {"type": "array", "minItems": 1, "maxItems": 100000, "items": {"type": "string"},
                    "description": "CSV data saved in the model file: the table's column names (with "
                                   "'rows'; the file 'csv' names is then not read)."},
        "rows": {"type": "array", "minItems": 1, "maxItems": 10000000,
                 "items": {"type": "array", "items": {"type": ["number", "string"]}},
                 "description": "CSV data saved in the model file: one list of cells per data row, one "
                                "cell per column; a number where the file's text is that number's "
                                "shortest form, else the text ('' when empty)."},
    }}


def _weights() -> dict:
    std = {"type": "array", "minItems": 1, "items": {"type": "number", "exclusiveMinimum": 0}}
    layer = {"type": "object", "required": ["W", "b"], "additionalProperties": False, "properties": {
        "W": {"type": "array", "minItems": 1, "items": _NUMBERS},
        "b": {"anyOf": [{"type": "null"}, _NUMBERS]},
        "alpha": _NUMBERS, "mean": _NUMBERS, "std": std}}
    stats = {"type": "object", "required": ["mean", "std"], "additionalProperties": False, "properties": {
        "mean": _NUMBERS, "std": std}}
    return {"type": "object",
            "description": "Per weighted node id: W is fan_in rows of units columns (y = x W + b); b "
                           "has units entries or is null without bias; alpha (prelu layers only) "
                           "has units entries, the learned slopes; an Output node with normalize = "
                           "standardize also has mean and std (units entries each) of the "
                           "regression targets, its answers being y_hat * std + mean. Per Input "
                           "node id with normalize = standardize: mean and std of each input feature.",
            "additionalProperties": {"anyOf": [layer, stats]}}


def build_model_schema() -> dict:
    """The JSON Schema of a model file (format version 1)."""
    node = {"type": "object", "required": ["id", "type"], "additionalProperties": False, "properties": {
        "id": {"$ref": "#/$defs/id"},
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME,
                 "description": "What the user reads for this node (\"Dense 1\"), editable; unique in "
                                "the graph ignoring case, one line, not blank. Optional: a node without "
                                "one gets the first free name of its type (\"Input\", \"Dense 1\", "
                                "\"Dense 2\", ..., \"Output\") in the order the data flows."},
        "type": {"enum": list(NODE_SPECS)},
        "params": {"type": "object", "description": "The node's settings; a type's own only "
                                                    "(see $defs.<type>_params), each optional."},
        "position": {"type": "array", "minItems": 2, "maxItems": 2,
                     "items": {"type": "number", "minimum": -1e7, "maximum": 1e7}}},
        # What each type accepts: its own parameters, within their limits.
        "anyOf": [{"properties": {"type": {"const": name}, "params": {"$ref": f"#/$defs/{name}_params"}}}
                  for name in NODE_SPECS]}
    graph = {"type": "object", "required": ["nodes", "edges"], "additionalProperties": False,
             "properties": {"nodes": {"type": "array", "maxItems": MAX_NODES, "items": {"$ref": "#/$defs/node"}},
                            "edges": {"type": "array", "maxItems": 800,
                                      "items": {"$ref": "#/$defs/edge"}}}}
    edge = {"type": "object", "required": ["source", "target"], "additionalProperties": False,
            "properties": {"source": {"$ref": "#/$defs/id"}, "target": {"$ref": "#/$defs/id"}}}
    names = {"type": "string", "maxLength": 200}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "nnbuilder-model-v1.schema.json",
        "title": "nnbuilder model file, format version 1",
        "description": "A network graph with optional trained weights. See docs/model-format.md.",
        "type": "object",
        "required": ["format", "version", "graph"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": "nnbuilder-model"},
            "version": {"type": "integer", "minimum": 1},
            "graph": {"$ref": "#/$defs/graph"},
            "weights": _nullable("weights"),
            "training": _nullable("training"),
            "dataset": _nullable("dataset"),
            "seed": _SEED,
            "metrics": _nullable("metrics"),
            "labels": {"anyOf": [{"type": "null"},
                                 {"type": "array", "minItems": 2, "maxItems": MAX_UNITS, "items": names}],
                       "description": "Class names of a classifier, in the order of the class indices "
                                      "it predicts (from the data it was trained on)."},
            "columns": {"anyOf": [{"type": "null"},
                                  {"type": "array", "minItems": 1, "maxItems": MAX_UNITS, "uniqueItems": True,
                                   "items": {"type": "string", "minLength": 1, "maxLength": 200}}],
                        "description": "Names of the raw data columns the weights were trained on, in "
                                       "order: the Input node's x1 reads the first, x2 the second, and "
                                       "so on. nnbuilder predict picks these columns from a CSV file by "
                                       "header name. Absent or null: unknown (predict then needs exactly "
                                       "as many columns as the Input node reads)."},
        },
        "$defs": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
            "graph": graph,
            "node": node,
            **{f"{name}_params": _params(t.params) for name, t in NODE_SPECS.items()},
            "edge": edge,
            "weights": _weights(),
            "training": _training(),
            "dataset": _dataset(),
            "metrics": {"type": "object",
                        "additionalProperties": {"type": ["number", "integer", "string", "null"]}},
        },
    }


def schema_text() -> str:
    """:func:`build_model_schema` as ``resources/model.schema.json`` holds it."""
    return json.dumps(build_model_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nnbuilder.core.files.modelschema",
                                 description="Print or write the model file's JSON Schema.")
    ap.add_argument("--write", nargs="?", const=str(SOURCE_SCHEMA), metavar="PATH",
                    help=f"write it to PATH (default {SOURCE_SCHEMA})")
    args = ap.parse_args(argv)
    if args.write is None:
        print(schema_text(), end="")
    else:
        Path(args.write).write_text(schema_text(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
