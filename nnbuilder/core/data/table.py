"""A table of numbers read from a CSV file (:mod:`.csvfile` reads it), then
turned into a Dataset.

A :class:`Table` holds one matrix (float32 when every number is exactly a
float32, else float64) and, as text, only the cells that are no finite
number. It answers what an
import dialog asks: the column names and the first rows, which cells are
missing or not numbers (by file line and column), what task the target
column suggests, and, for a choice of feature and target columns, the
:class:`~nnbuilder.core.data.dataset.Dataset` (optionally without the rows
that have bad cells).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .dataset import Dataset
from ..errors import DataError

__all__ = ["Table", "CellProblem", "TASKS", "MAX_CLASSES", "number", "to_numbers", "narrow"]

TASKS = ("classification", "regression")
MAX_CLASSES = 10  # whole-number targets with at most this many values are classes


#: Column names (lower case) taken for the target when none is chosen.
TARGET_NAMES = frozenset({"label", "labels", "target", "class", "y", "species", "diagnosis", "outcome"})


@dataclass(frozen=True)
class CellProblem:
    row: int  # 0-based index of the data row
    line: int  # 1-based line in the file
    column: str
    cell: str

    def __str__(self) -> str:
        what = "is empty" if not self.cell else f"{self.cell!r} is not a finite number"
        return f"row {self.line}, column '{self.column}': {what}"


def number(cell: str) -> float | None:
    try:
        v = float(cell)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def to_numbers(cells: list[str]) -> np.ndarray:
    """float64 of text cells; NaN where a cell is empty or not a finite number."""
    try:  # the common case, all numbers: converted in C
        v = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
    except ValueError:  # each distinct cell once: a label column repeats a few texts
        known = {c: number(c) for c in set(cells)}
        v = np.fromiter((np.nan if (x := known[c]) is None else x for c in cells),
                        dtype=np.float64, count=len(cells))
    v[~np.isfinite(v)] = np.nan
    return v


def _format(v: float) -> str:
    """The text of a cell read as the number ``v`` (NaN: an empty cell)."""
    if v != v:
        return ""
    return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)


def narrow(M: np.ndarray) -> np.ndarray:
    """``M`` as float32 when that holds every value exactly, else as is."""
    with np.errstate(over="ignore", invalid="ignore"):
        M32 = M.astype(np.float32)
    return M32 if np.array_equal(M32, M, equal_nan=True) else M


class _Cells(Sequence):
    """``table.cells[j]``: the text of column ``j``'s cells, made when asked."""

    def __init__(self, table: "Table"):
        self._table = table

    def __len__(self) -> int:
        return self._table.n_columns

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[k] for k in range(*j.indices(len(self)))]
        return self._table.column_cells(j)


@dataclass
class Table:
    """A CSV file's columns: numbers in one matrix, text only where a cell is
    not a number.

    ``matrix`` ``(n_rows, n_columns)`` holds each cell's number (NaN where it
    is empty or not a finite number), float32 when every number is exactly a
    float32 (whole numbers, pixel values), else float64; ``text[j]`` maps a
    row of column ``j`` to the cell's (stripped) text where it is no number,
    or, for a table read with its text kept, every row.
    ``lines[i]`` is the file line of data row ``i``.
    """

    path: str
    names: list[str]
    matrix: np.ndarray
    text: dict
    lines: np.ndarray
    has_header: bool = True
    delimiter: str = ","
    encoding: str = "UTF-8"
    _empty: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_cells(cls, path: str, names: list[str], cells: list[list[str]], lines, **kw) -> "Table":
        """The table of text cells (column by column), keeping every cell's text."""
        n = len(lines)
        M = np.empty((n, len(names)))
        for j, col in enumerate(cells):
            M[:, j] = to_numbers(col)
        return cls(path, list(names), narrow(M), {j: dict(enumerate(col)) for j, col in enumerate(cells)},
                   np.asarray(lines, dtype=np.int64), **kw)

    @property
    def cells(self) -> Sequence:
        """``cells[j]``: the list of column ``j``'s cells as text."""
        return _Cells(self)

    def cell(self, i: int, j: int) -> str:
        """The text of the cell in data row ``i``, column ``j``."""
        t = self.text.get(j)
        if t is not None and i in t:
            return t[i]
        return _format(float(self.matrix[i, j]))

    def column_cells(self, j: int) -> list[str]:
        t = self.text.get(j, {})
        if len(t) == len(self):
            return [t[i] for i in range(len(self))]
        return [t[i] if i in t else _format(v) for i, v in enumerate(self.matrix[:, j].tolist())]

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def n_columns(self) -> int:
        return len(self.names)

    def rows(self, start: int = 0, stop: int | None = None) -> list[list[str]]:
        """Data rows ``[start, stop)`` as lists of cells (for a preview)."""
        stop = len(self) if stop is None else min(stop, len(self))
        return [[self.cell(i, j) for j in range(self.n_columns)] for i in range(start, stop)]

    def default_target(self) -> int:
        """0-based index of the target column when none is chosen: the one
        column named as targets usually are (label, target, class, y, ...;
        MNIST-like files put theirs first), else the last column."""
        named = [j for j, name in enumerate(self.names) if name.strip().lower() in TARGET_NAMES]
        return named[0] if len(named) == 1 else self.n_columns - 1

    def column(self, key: str | int) -> int:
        """0-based index of a column given by name or 1-based number."""
        if isinstance(key, str) and key in self.names:
            return self.names.index(key)
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            j = int(key) - 1
            if not 0 <= j < self.n_columns:
                raise DataError(f"{self.path}: column {key} is out of range "
                                f"(the file has {self.n_columns} columns)")
            return j
        raise DataError(f"{self.path}: no column named {key!r}; columns are {', '.join(self.names)}")

    def values(self, j: int) -> np.ndarray:
        """Column ``j`` as float64 ``(n_rows,)``; NaN where a cell is empty or
        not a finite number."""
        return self.matrix[:, j].astype(np.float64)

    def bad_rows(self, j: int) -> np.ndarray:
        """Row indices where column ``j`` is not a finite number."""
        return np.flatnonzero(np.isnan(self.values(j)))

    def empty(self, j: int) -> np.ndarray:
        """Mask ``(n_rows,)`` of the empty cells of column ``j``. Cached for
        columns with text cells (the others' masks, all False, are not kept:
        784 of them are 47 MB for 60,000 rows)."""
        if j in self._empty:
            return self._empty[j]
        empty = np.zeros(len(self), dtype=bool)
        t = self.text.get(j)
        if t:
            rows = np.flatnonzero(np.isnan(self.matrix[:, j]))
            empty[rows] = [not t.get(i, "") for i in rows.tolist()]
            self._empty[j] = empty
        return empty

    def is_text(self, j: int) -> bool:
        """Whether column ``j`` holds text (most of its filled cells are not numbers)."""
        empty = int(self.empty(j).sum())
        filled = len(self) - empty
        return filled > 0 and int(np.isnan(self.matrix[:, j]).sum()) - empty > filled / 2

    def detect_task(self, target: int, max_classes: int = MAX_CLASSES) -> str:
        """Classification for a text target or few whole-number values, else regression."""
        if self.is_text(target):
            return "classification"
        v = self.values(target)
        v = v[~np.isnan(v)]
        distinct = np.unique(v)
        return ("classification" if 0 < len(distinct) <= max_classes and
                np.all(distinct == np.round(distinct)) else "regression")

    def _bad_cells(self, features, target: int | None, task: str) -> list[tuple[int, np.ndarray]]:
        """(column, mask of its bad rows) for the chosen columns: feature cells
        must be finite numbers; a target cell must be filled, and a number
        unless the task is classification."""
        out = [(j, np.isnan(self.matrix[:, j])) for j in features]
        if target is not None:
            out.append((target, self.empty(target) if task == "classification"
                        else np.isnan(self.values(target))))
        return out

    def problems(self, features, target: int | None, task: str,
                 limit: int | None = None) -> list[CellProblem]:
        """The bad cells of the chosen columns (see ``_bad_cells``), in file order."""
        bad = sorted((int(i), j) for j, mask in self._bad_cells(features, target, task)
                     for i in np.flatnonzero(mask))
        return [CellProblem(i, int(self.lines[i]), self.names[j], self.cell(i, j))
                for i, j in bad[:limit]]

    def count_problems(self, features, target: int | None, task: str) -> tuple[int, int]:
        """(bad cells, rows with a bad cell) of the chosen columns."""
        bad = self._bad_cells(features, target, task)
        return sum(int(m.sum()) for _, m in bad), int(self._bad_mask(features, target, task).sum())

    def _bad_mask(self, features, target, task) -> np.ndarray:
        mask = np.zeros(len(self), dtype=bool)
        for _, m in self._bad_cells(features, target, task):
            mask |= m
        return mask

    def _features(self, feats: list[int], keep: np.ndarray, dropped: bool) -> np.ndarray:
        """The feature columns' numbers for the rows ``keep``: a view of the
        matrix when they are side by side and no row is left out, else one copy."""
        if not dropped and feats == list(range(feats[0], feats[0] + len(feats))):
            return self.matrix[:, feats[0]:feats[0] + len(feats)]
        return self.matrix[np.ix_(keep, feats)] if dropped else self.matrix[:, feats]

    def to_dataset(self, features=None, target: str | int | None = None, task: str | None = None,
                   drop_bad: bool = False, max_classes: int = MAX_CLASSES) -> Dataset:
        """The Dataset of ``features`` (names or 1-based numbers; default all
        but the target) and ``target`` (default :meth:`default_target`).

        With ``drop_bad`` rows with a missing or non-numeric cell are left
        out; otherwise the first such cell raises :class:`DataError` naming
        its row and column.
        """
        t = self.default_target() if target is None else self.column(target)
        feats = [j for j in range(self.n_columns) if j != t] if features is None else \
            [self.column(f) for f in features]
        if not feats:
            raise DataError(f"{self.path}: choose at least one feature column")
        if t in feats:
            raise DataError(f"{self.path}: column '{self.names[t]}' cannot be both a feature and the target")
        if task is None:
            task = self.detect_task(t, max_classes)
        elif task not in TASKS:
            raise DataError(f"task must be one of {', '.join(TASKS)} (got {task!r})")
        if task == "regression" and self.is_text(t):
            raise DataError(f"{self.path}: the target column '{self.names[t]}' holds text; a "
                            "regression target must be numeric (choose classification)")
        mask = self._bad_mask(feats, t, task)
        if mask.any() and not drop_bad:
            p = self.problems(feats, t, task, limit=1)[0]
            extra = "" if task == "classification" or p.column != self.names[t] else \
                " (a regression target must be numeric)"
            raise DataError(f"{self.path}: {p}{extra}")
        keep = np.flatnonzero(~mask)
        if len(keep) == 0:
            raise DataError(f"{self.path}: no rows are left after leaving out those with bad cells")
        X = self._features(feats, keep, mask.any())
        columns = [self.names[j] for j in feats]
        if task == "regression":
            y = self.values(t)[keep][:, None]
            return Dataset(X, y, "regression", self.path, column_names=columns, rows=self.lines[keep])
        nums = self.values(t)[keep]
        if not self.is_text(t) and not np.isnan(nums).any():  # all numbers: 1 and 1.0 are one class
            distinct, y = np.unique(nums, return_inverse=True)
            if len(distinct) < 2:
                raise DataError(f"{self.path}: the target column '{self.names[t]}' has only one class")
            labels = [_format(float(v)) if float(v).is_integer() else str(float(v)) for v in distinct]
            return Dataset(X, y.astype(np.int64).ravel(), "classification", self.path, len(labels), labels,
                           columns, self.lines[keep])
        col = self.column_cells(t)
        cells = col if len(keep) == len(col) else [col[i] for i in keep.tolist()]
        if self.is_text(t):
            keys = cells
            class_names = sorted(set(keys))
            labels = class_names
        else:  # numeric labels and a few texts: 1 and 1.0 are the same class
            keys = [c if np.isnan(v) else float(v) for c, v in zip(cells, nums)]
            class_names = sorted(set(keys), key=lambda k: (isinstance(k, str), k))
            labels = [k if isinstance(k, str) else (str(int(k)) if k.is_integer() else str(k))
                      for k in class_names]
        if len(class_names) < 2:
            raise DataError(f"{self.path}: the target column '{self.names[t]}' has only one class")
        index = {k: i for i, k in enumerate(class_names)}
        y = np.array([index[k] for k in keys], dtype=np.int64)
        return Dataset(X, y, "classification", self.path, len(labels), labels, columns, self.lines[keep])
