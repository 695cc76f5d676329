"""CSV files read as a table of text cells, then turned into a Dataset.

:func:`read_table` reads a file once (reporting progress and letting the
caller cancel) and keeps each column's cells as text. A :class:`Table` then
answers what an import dialog asks: the column names and the first rows, which
cells are missing or not numbers (by file line and column), what task the
target column suggests, and, for a choice of feature and target columns,
the :class:`~nnbuilder.core.data.dataset.Dataset` (optionally without the rows
that have bad cells).
"""
from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Generator

import numpy as np

from .dataset import Dataset
from ..errors import DataError

__all__ = ["Table", "CellProblem", "LoadCancelled", "read_table", "read_table_steps", "TASKS", "MAX_CLASSES",
           "ROWS_PER_STEP"]

TASKS = ("classification", "regression")
MAX_CLASSES = 10  # whole-number targets with at most this many values are classes
#: read_table_steps yields at least once every this many rows of each pass
#: over the data (the rows, then each column's numbers and empty cells).
ROWS_PER_STEP = 5000


class LoadCancelled(Exception):
    """The progress callback asked to stop reading."""


@dataclass(frozen=True)
class CellProblem:
    row: int  # 0-based index of the data row
    line: int  # 1-based line in the file
    column: str
    cell: str

    def __str__(self) -> str:
        what = "is empty" if not self.cell else f"{self.cell!r} is not a finite number"
        return f"row {self.line}, column '{self.column}': {what}"


def _number(cell: str) -> float | None:
    try:
        v = float(cell)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _sniff(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _to_numbers(cells: list[str]) -> np.ndarray:
    """float64 of text cells; NaN where a cell is empty or not a finite number."""
    try:  # the common case, all numbers: converted in C
        v = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
    except ValueError:  # each distinct cell once: a label column repeats a few texts
        known = {c: _number(c) for c in set(cells)}
        v = np.fromiter((np.nan if (x := known[c]) is None else x for c in cells),
                        dtype=np.float64, count=len(cells))
    v[~np.isfinite(v)] = np.nan
    return v


@dataclass
class Table:
    """Text cells of a CSV file, column by column.

    ``cells[j]`` is the list of (stripped) cells of column ``j``;
    ``lines[i]`` is the file line of data row ``i``.
    """

    path: str
    names: list[str]
    cells: list[list[str]]
    lines: np.ndarray
    has_header: bool = True
    delimiter: str = ","
    encoding: str = "UTF-8"
    _values: dict = field(default_factory=dict, repr=False)
    _empty: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def n_columns(self) -> int:
        return len(self.names)

    def rows(self, start: int = 0, stop: int | None = None) -> list[list[str]]:
        """Data rows ``[start, stop)`` as lists of cells (for a preview)."""
        stop = len(self) if stop is None else min(stop, len(self))
        return [[col[i] for col in self.cells] for i in range(start, stop)]

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
        not a finite number. Cached."""
        if j not in self._values:
            self._values[j] = _to_numbers(self.cells[j])
        return self._values[j]

    def bad_rows(self, j: int) -> np.ndarray:
        """Row indices where column ``j`` is not a finite number."""
        return np.flatnonzero(np.isnan(self.values(j)))

    def empty(self, j: int) -> np.ndarray:
        """Mask ``(n_rows,)`` of the empty cells of column ``j``. Cached."""
        if j not in self._empty:
            nan = np.isnan(self.values(j))
            self._empty[j] = nan.copy() if not nan.any() else \
                np.fromiter((not c for c in self.cells[j]), dtype=bool, count=len(self.cells[j]))
        return self._empty[j]

    def is_text(self, j: int) -> bool:
        """Whether column ``j`` holds text (most of its filled cells are not numbers)."""
        empty = int(self.empty(j).sum())
        filled = len(self) - empty
        return filled > 0 and int(np.isnan(self.values(j)).sum()) - empty > filled / 2

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
        out = [(j, np.isnan(self.values(j))) for j in features]
        if target is not None:
            out.append((target, self.empty(target) if task == "classification"
                        else np.isnan(self.values(target))))
        return out

    def problems(self, features, target: int | None, task: str,
                 limit: int | None = None) -> list[CellProblem]:
        """The bad cells of the chosen columns (see ``_bad_cells``), in file order."""
        bad = sorted((int(i), j) for j, mask in self._bad_cells(features, target, task)
                     for i in np.flatnonzero(mask))
        return [CellProblem(i, int(self.lines[i]), self.names[j], self.cells[j][i])
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

    def to_dataset(self, features=None, target: str | int | None = None, task: str | None = None,
                   drop_bad: bool = False, max_classes: int = MAX_CLASSES) -> Dataset:
        """The Dataset of ``features`` (names or 1-based numbers; default all
        but the target) and ``target`` (default the last column).

        With ``drop_bad`` rows with a missing or non-numeric cell are left
        out; otherwise the first such cell raises :class:`DataError` naming
        its row and column.
        """
        t = self.n_columns - 1 if target is None else self.column(target)
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
        X = np.column_stack([self.values(j)[keep] for j in feats])
        columns = [self.names[j] for j in feats]
        if task == "regression":
            y = self.values(t)[keep][:, None]
            return Dataset(X, y, "regression", self.path, column_names=columns)
        cells = [self.cells[t][i] for i in keep]
        if self.is_text(t):
            keys = cells
            class_names = sorted(set(keys))
            labels = class_names
        else:  # numeric labels: 1 and 1.0 are the same class
            nums = self.values(t)[keep]
            keys = [c if np.isnan(v) else float(v) for c, v in zip(cells, nums)]
            class_names = sorted(set(keys), key=lambda k: (isinstance(k, str), k))
            labels = [k if isinstance(k, str) else (str(int(k)) if k.is_integer() else str(k))
                      for k in class_names]
        if len(class_names) < 2:
            raise DataError(f"{self.path}: the target column '{self.names[t]}' has only one class")
        index = {k: i for i, k in enumerate(class_names)}
        y = np.array([index[k] for k in keys], dtype=np.int64)
        return Dataset(X, y, "classification", self.path, len(labels), labels, columns)


def read_table(path: str, progress: Callable[[float], bool | None] | None = None) -> Table:
    """Read a CSV file (comma, semicolon or tab separated; header detected)
    and parse its numbers.

    ``progress(fraction)`` is called every few thousand rows; if it returns
    False reading stops with :class:`LoadCancelled`. Short rows are padded
    with empty (missing) cells; a row with too many cells is an error.
    """
    steps = read_table_steps(path)
    while True:
        try:
            fraction = next(steps)
        except StopIteration as done:
            return done.value
        if progress is not None and progress(fraction) is False:
            steps.close()
            raise LoadCancelled(path)


def read_table_steps(path: str) -> Generator[float, None, Table]:
    """:func:`read_table` in small steps: yields the fraction done (0 to 1)
    after each megabyte read and then at least every :data:`ROWS_PER_STEP`
    rows of each pass over the data, and returns the :class:`Table`.

    A GUI can run a step at a time between events, so a big file never
    blocks it for long, and cancel by no longer asking for steps.
    """
    raw = bytearray()
    try:
        with open(path, "rb") as fh:
            size = max(1, os.fstat(fh.fileno()).st_size)
            while block := fh.read(1 << 20):
                raw += block
                yield 0.1 * len(raw) / size
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    if b"\x00" in raw[:4096]:
        raise DataError(f"{path}: not a text file (it has zero bytes)")
    try:
        text, encoding = raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:  # spreadsheet exports are often Windows-1252
        text, encoding = raw.decode("cp1252", errors="replace"), "Windows-1252"
    del raw
    total = max(1, text.count("\n"))
    delimiter = _sniff(text[:8192])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Cells go straight into column lists: no list per row for the garbage
    # collector to walk again and again while a big file is read.
    head: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(c.strip() for c in row):
                head.append((reader.line_num, [c.strip() for c in row]))
                if len(head) == 2:
                    break
        if not head:
            raise DataError(f"{path}: the file has no rows")
        first = head[0][1]
        second = head[1][1] if len(head) > 1 else []
        # A header has a text cell above a number (a text label column alone is no header).
        has_header = any(_number(c) is None and c.lower() not in ("nan", "inf", "-inf") and
                         (j >= len(second) or _number(second[j]) is not None or len(head) == 1)
                         for j, c in enumerate(first))
        names = [c or f"column {j + 1}" for j, c in enumerate(first)] if has_header else \
            [f"x{j + 1}" for j in range(len(first))]
        for j, name in enumerate(names):  # columns are chosen by name: make each one unique
            k = 2
            while name in names[:j]:
                name, k = f"{names[j]} ({k})", k + 1
            names[j] = name
        m = len(names)
        cells: list[list[str]] = [[] for _ in range(m)]
        lines: list[int] = []

        rows: list[list[str]] = []  # a chunk of rows, moved into the columns by flush()
        row_lines: list[int] = []

        def flush() -> None:
            if set(map(len, rows)) != {m}:
                for k, r in enumerate(rows):
                    if len(r) > m:
                        raise DataError(f"{path}: row {row_lines[k]} has {len(r)} cells, expected {m}")
                    rows[k] = r + [""] * (m - len(r))  # a short row: missing cells
            for j, col in enumerate(zip(*rows)):
                cells[j].extend(map(str.strip, col))
            lines.extend(row_lines)
            rows.clear()
            row_lines.clear()

        for line, row in head[1 if has_header else 0:]:
            rows.append(row)
            row_lines.append(line)
        for row in reader:
            if "".join(row).strip():
                rows.append(row)
                row_lines.append(reader.line_num)
                if len(rows) == ROWS_PER_STEP:
                    flush()
                    yield 0.1 + 0.6 * min(1.0, reader.line_num / total)
        if rows:
            flush()
    except csv.Error as e:
        raise DataError(f"{path}: row {reader.line_num}: {e}") from None
    del text
    if not lines:
        raise DataError(f"{path}: the file has a header but no data rows")
    table = Table(path, names, cells, np.array(lines, dtype=np.int64), has_header, delimiter, encoding)
    n = len(table)
    for j in range(m):  # parse the numbers now, in chunks, so nothing later waits for them
        v = np.empty(n)
        for lo in range(0, n, ROWS_PER_STEP):
            v[lo:lo + ROWS_PER_STEP] = _to_numbers(cells[j][lo:lo + ROWS_PER_STEP])
            yield 0.7 + 0.3 * (j + lo / n) / m
        table._values[j] = v
        nan = np.isnan(v)
        if nan.any():  # only a cell that is no number can be empty
            empty = np.zeros(n, dtype=bool)
            col, idx = cells[j], np.flatnonzero(nan)
            for lo in range(0, len(idx), ROWS_PER_STEP):
                part = idx[lo:lo + ROWS_PER_STEP]
                empty[part] = [not col[i] for i in part]
                yield 0.7 + 0.3 * (j + 1) / m
            table._empty[j] = empty
    yield 1.0
    return table
