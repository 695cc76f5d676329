"""Input features computed from the raw columns, as TF Playground offers them.

Names are the ones used in files: ``x1 x2 x1^2 x2^2 x1*x2 sin(x1) sin(x2)``
for 2-D data; ``x3``, ``x4``, ... select further raw columns of wider data.
What a person reads for a feature is :func:`feature_label`: ``x<k>`` is the
data's column ``k``, by its name (2-D toy data names its columns x1, x2).
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import DataError

__all__ = ["FEATURES", "FEATURE_NAMES", "is_feature_name", "raw_column", "raw_columns", "apply_features", "check_columns",
           "feature_stats", "standardize", "offered_features", "feature_label", "feature_labels", "abbreviated"]

FEATURES = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}
FEATURE_NAMES = tuple(FEATURES)


def raw_column(name: str) -> int | None:
    """The 0-based raw column feature ``name`` is, as it is (``x3``: 2); None
    for a derived feature (``x1^2``)."""
    if name.startswith("x") and name[1:].isdigit() and name[1] != "0":
        return int(name[1:]) - 1
    return None


def raw_columns(names) -> list[int] | None:
    """The 0-based data column of each name when every one is a raw column
    ``x<k>`` (the features are then a choice of columns), else None."""
    cols = [raw_column(n) for n in names]
    return None if None in cols else cols


def is_feature_name(name: str) -> bool:
    return name in FEATURES or raw_column(name) is not None


def offered_features(n_columns: int) -> tuple[str, ...]:
    """The features an Input node offers for data of ``n_columns`` raw
    columns: x1, x2 and the derived ones (x1^2, sin(x1), ...) for data of at
    most two columns, the raw columns x1 ... xN alone for wider data (where
    squares and sines of its first two columns mean nothing special)."""
    if n_columns <= 2:
        return FEATURE_NAMES
    return tuple(f"x{k}" for k in range(1, n_columns + 1))


_RAW = re.compile(r"x([1-9][0-9]*)")


def feature_label(name: str, columns=None) -> str:
    """What a person reads for feature ``name`` of data whose columns are
    named ``columns``: ``x3`` is the third column's name, ``sin(x1)`` is
    ``sin(<first name>)``; a column the names do not reach keeps ``x<k>``."""
    if not columns:
        return name

    def column(m: re.Match) -> str:
        k = int(m.group(1))
        return str(columns[k - 1]) if k <= len(columns) else m.group(0)
    return _RAW.sub(column, name)


def feature_labels(names, columns=None) -> list[str]:
    """:func:`feature_label` of each feature in ``names``."""
    return [feature_label(n, columns) for n in names]


def abbreviated(labels, head: int = 3, tail: int = 1, sep: str = ", ") -> str:
    """``labels`` joined, or, when there are more than ``head + tail + 1``,
    the first ``head``, an ellipsis and the last ``tail``: "a, b, c, …, z"."""
    labels = [str(x) for x in labels]
    if len(labels) <= head + tail + 1:
        return sep.join(labels)
    return sep.join(labels[:head] + ["…"] + labels[len(labels) - tail:])


def columns_needed(names) -> int:
    """How many raw columns the features read."""
    need = 0
    for n in names:
        k = raw_column(n)
        need = max(need, k + 1 if k is not None else 0, 2 if n in FEATURES and n != "x1" else 1)
    return need


def check_columns(names, n_columns: int) -> None:
    """A DataError when features ``names`` read more columns than the data's ``n_columns``."""
    need = columns_needed(names)
    if n_columns < need:
        raise DataError(f"the Input node uses features {abbreviated(names)}, which need "
                        f"{need} data columns; the data has {n_columns}")


def apply_features(X: np.ndarray, names) -> np.ndarray:
    """Feature matrix ``(n_samples, len(names))`` from raw data ``X`` ``(n_samples, n_columns)``."""
    X = np.asarray(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise DataError(f"data must be a table of rows and columns, got shape {X.shape}")
    check_columns(names, X.shape[1])
    out = np.empty((X.shape[0], len(names)))
    # Raw columns are copied (into float64) as they are: a float32 table is
    # never converted whole on the way.
    raw = [None if name in FEATURES else raw_column(name) for name in names]
    if raw == list(range(len(names))):
        out[...] = X[:, :len(names)]
        return out
    head = np.asarray(X[:, :2], dtype=np.float64)  # what the derived features read
    for j, name in enumerate(names):
        out[:, j] = FEATURES[name](head) if raw[j] is None else X[:, raw[j]]
    return out


_STATS_ROWS = 4096  # rows of the squared deviations summed at a time


def feature_stats(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each column of ``F`` ``(n_samples, n_features)``, for
    standardizing; a constant column gets std 1 so it maps to 0."""
    F = np.asarray(F, dtype=np.float64)
    mean = F.mean(axis=0)
    # The squared deviations a block of rows at a time: a big table never
    # gets a whole-table temporary (np.std's took 0.9 s on 30,000 x 784).
    var = np.zeros(F.shape[1])
    for lo in range(0, len(F), _STATS_ROWS):
        d = F[lo:lo + _STATS_ROWS] - mean
        var += np.einsum("ij,ij->j", d, d)
    std = np.sqrt(var / len(F)) if len(F) else np.full(F.shape[1], np.nan)
    std[~(std > 1e-12)] = 1.0
    return mean, std


def standardize(F: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(F - mean) / std`` in place (``F`` float64, as apply_features returns it)."""
    F -= mean
    F /= std
    return F
