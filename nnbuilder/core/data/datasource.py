"""Where a model file's CSV data is: a file beside the model, anywhere else,
or the rows themselves inside the model file.

A model file names its CSV file in ``dataset.csv``. In memory that path is
always absolute; in the file it is written relative to the model file's
folder (with ``/``) when the CSV file lies in that folder or below it, so
the two travel together: a folder sent to someone else, or moved, still
opens with its data. A file elsewhere keeps its absolute path, and files
written before (always absolute) still read.

"Save with data" puts the table into the file: ``dataset.columns`` (the
header) and ``dataset.rows`` (one list of cells per data row). A cell is
written as a JSON number when that number's text is exactly the cell's text
(``5.1``, ``-3``), else as a string (``"setosa"``, ``"3.50"``, ``""`` for an
empty cell), so the rows read back as exactly the cells of the file and the
data (features, target, classes, bad rows) comes out the same. With rows
the file named by ``csv`` is not read; its name still titles the data.
"""
from __future__ import annotations

import math
import ntpath
import os
import posixpath

import numpy as np

from ..errors import DataError
from .csvfile import read_table
from .table import Table

__all__ = ["EMBEDDED_KEYS", "relative_csv", "resolve_csv", "embed_rows", "table_from_rows",
           "table_to_rows", "check_rows"]

#: The keys of a dataset entry that hold an embedded table.
EMBEDDED_KEYS = ("columns", "rows")


def relative_csv(dataset: dict | None, folder: str | os.PathLike) -> dict | None:
    """``dataset`` as a file in ``folder`` stores it: its CSV path relative
    (``data/iris.csv``) when the file is in ``folder`` or below, else as is."""
    if not dataset or not isinstance(dataset.get("csv"), str) or not os.path.isabs(dataset["csv"]):
        return dataset
    folder = os.path.abspath(folder)
    csv = os.path.abspath(dataset["csv"])
    try:
        inside = os.path.commonpath([folder, csv]) == folder
    except ValueError:  # another drive (Windows)
        inside = False
    if not inside:
        return dataset
    rel = os.path.relpath(csv, folder).replace(os.sep, "/")
    return {**dataset, "csv": rel}


def resolve_csv(dataset: dict | None, folder: str | os.PathLike) -> dict | None:
    """``dataset`` as read from a file in ``folder``: a relative CSV path
    joined to the folder (absolute paths, older files' kind, stay)."""
    if not dataset or not isinstance(dataset.get("csv"), str):
        return dataset
    csv = dataset["csv"]
    if os.path.isabs(csv) or posixpath.isabs(csv) or ntpath.isabs(csv):
        return dataset
    path = os.path.normpath(os.path.join(os.path.abspath(folder), *csv.split("/")))
    return {**dataset, "csv": path}


# ------------------------------------------------------------------ embedded
def _cell_value(cell: str):
    """The JSON value of a cell: a number if it reads back as the same text."""
    if cell[-1:].isdigit():
        try:
            i = int(cell)
            if str(i) == cell:
                return i
        except ValueError:
            pass
        try:
            v = float(cell)
            if math.isfinite(v) and repr(v) == cell:
                return v
        except ValueError:
            pass
    return cell


def _cell_text(value) -> str:
    if isinstance(value, bool):  # the schema refuses them; never "True"
        raise DataError(f"{value!r} is not a cell")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


def table_to_rows(table: Table) -> dict:
    """``{"columns": [...], "rows": [[...], ...]}`` of ``table``'s cells."""
    columns = [[_cell_value(c) for c in col] for col in table.cells]
    return {"columns": list(table.names), "rows": [list(r) for r in zip(*columns)]}


def table_from_rows(name: str, columns: list[str], rows: list[list]) -> Table:
    """The :class:`Table` of embedded rows; ``name`` is what messages call it.
    Row ``i`` is called line ``i + 2``, as in a CSV file with a header."""
    cells = [[_cell_text(row[j]) for row in rows] for j in range(len(columns))]
    return Table.from_cells(name, list(columns), cells, np.arange(2, len(rows) + 2, dtype=np.int64))


def embed_rows(dataset: dict) -> dict:
    """``dataset`` with the rows of its CSV file inside (unchanged if it has
    them already or holds no CSV data); raises DataError if the file cannot
    be read."""
    if "csv" not in dataset or "rows" in dataset:
        return dataset
    return {**dataset, **table_to_rows(read_table(dataset["csv"], keep_text=True))}


def check_rows(dataset: dict, fail) -> None:
    """Calls ``fail(message, json_path)`` on the first problem of an embedded table."""
    present = [k for k in EMBEDDED_KEYS if k in dataset]
    if not present:
        return
    if "csv" not in dataset:
        fail("'columns' and 'rows' hold the table of CSV data: 'csv' must name it",
             f"$.dataset.{present[0]}")
    if len(present) == 1:
        missing = "rows" if present[0] == "columns" else "columns"
        fail(f"embedded data needs both 'columns' and 'rows' ('{missing}' is missing)", "$.dataset")
    columns = dataset["columns"]
    if len(set(columns)) != len(columns):
        fail("the column names must be different", "$.dataset.columns")
    for i, row in enumerate(dataset["rows"]):
        if len(row) != len(columns):
            fail(f"a row must have one cell per column ({len(columns)}), this one has {len(row)}",
                 f"$.dataset.rows[{i}]")
