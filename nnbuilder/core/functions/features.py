"""Input features computed from the raw columns, as TF Playground offers them.

Names are the ones used in files: ``x1 x2 x1^2 x2^2 x1*x2 sin(x1) sin(x2)``
for 2-D data; ``x3``, ``x4``, ... select further raw columns of wider data.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["FEATURES", "FEATURE_NAMES", "is_feature_name", "apply_features", "feature_stats", "standardize",
           "raw_columns"]

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


def _raw_index(name: str) -> int | None:
    """0-based column of a raw feature name ``x<k>``, or None."""
    if name.startswith("x") and name[1:].isdigit() and name[1] != "0":
        return int(name[1:]) - 1
    return None


def raw_columns(names) -> list[int] | None:
    """The 0-based data column of each name when every one is a raw column
    ``x<k>`` (the features are then a choice of columns), else None."""
    cols = [_raw_index(n) for n in names]
    return None if None in cols else cols


def is_feature_name(name: str) -> bool:
    return name in FEATURES or _raw_index(name) is not None


def columns_needed(names) -> int:
    """How many raw columns the features read."""
    need = 0
    for n in names:
        k = _raw_index(n)
        need = max(need, k + 1 if k is not None else 0, 2 if n in FEATURES and n != "x1" else 1)
    return need


def apply_features(X: np.ndarray, names) -> np.ndarray:
    """Feature matrix ``(n_samples, len(names))`` from raw data ``X`` ``(n_samples, n_columns)``."""
    X = np.asarray(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise DataError(f"data must be a table of rows and columns, got shape {X.shape}")
    need = columns_needed(names)
    if X.shape[1] < need:
        raise DataError(f"the Input node uses features {', '.join(names)}, which need "
                        f"{need} data columns; the data has {X.shape[1]}")
    out = np.empty((X.shape[0], len(names)))
    # Raw columns are copied (into float64) as they are: a float32 table is
    # never converted whole on the way.
    raw = [None if name in FEATURES else _raw_index(name) for name in names]
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
