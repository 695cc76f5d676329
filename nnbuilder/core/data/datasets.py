"""Built-in datasets (seeded) and CSV loading.

A :class:`Dataset` holds raw columns ``X`` ``(n_samples, n_columns)`` and a
target ``y``: class indices ``(n_samples,)`` for classification, values
``(n_samples, n_targets)`` for regression; it is defined in the leaf
module :mod:`nnbuilder.core.data.dataset` and re-exported here. The 2-D sets
live in the square [-6, 6]^2, like TF Playground's. ``noise`` is a fraction from 0 to 1; each
generator scales it to its own data (documented per set).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..constraints import Constraint, Interval
from .dataset import Dataset  # re-exported: the record lives in a leaf module
from .datasource import table_from_rows
from ..errors import DataError
from ..resources import resource
from .csvfile import read_table
from .table import MAX_CLASSES

__all__ = ["Dataset", "DatasetInfo", "DATASETS", "DATASET_CONSTRAINTS", "make_dataset", "split_indices", "load_csv",
           "load_features_csv", "painted_dataset", "CSV_OPTIONS", "dataset_from_spec"]


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    make: Callable  # (n, noise, rng) -> (X, y)
    task: str
    n_classes: int
    columns: int
    samples: int
    noise: float
    split: float
    description: str
    fixed: bool = False  # a fixed table: samples and noise do not apply
    source: str | None = None  # a CSV file in resources/data (real data, loaded as is)


DATA_DIR = resource("data")


def _label_noise_free(n, rng):
    return rng.permutation(np.arange(n) % 2)


def _circle(n, noise, rng):
    # Class 1 inside radius 2.5, class 0 on a ring from 3.5 to 5; noise is
    # Gaussian jitter of noise * 2.5 on each coordinate.
    y = _label_noise_free(n, rng)
    r = np.where(y == 1, rng.uniform(0, 2.5, n), rng.uniform(3.5, 5.0, n))
    t = rng.uniform(0, 2 * np.pi, n)
    X = np.c_[r * np.cos(t), r * np.sin(t)]
    return X + rng.normal(0, 1, (n, 2)) * noise * 2.5, y


def _xor(n, noise, rng):
    # Uniform in [-5, 5]^2 kept 0.3 off the axes; class 1 where the signs differ.
    X = rng.uniform(-5, 5, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    X += rng.normal(0, 1, (n, 2)) * noise * 2.5
    return X, y


def _gauss(n, noise, rng):
    # Two Gaussians at (2, 2) (class 1) and (-2, -2) (class 0), sd 1 + 3 noise.
    y = _label_noise_free(n, rng)
    centers = np.where(y[:, None] == 1, 2.0, -2.0)
    return centers + rng.normal(0, 1.0 + 3.0 * noise, (n, 2)), y


def _spiral(n, noise, rng):
    # Two interleaved arms reaching radius 5; jitter noise * 1.5.
    y = _label_noise_free(n, rng)
    t = rng.uniform(0, 1, n)
    r = 5 * t
    angle = 1.75 * t * 2 * np.pi + np.pi * y
    X = np.c_[r * np.sin(angle), r * np.cos(angle)]
    return X + rng.normal(0, 1, (n, 2)) * noise * 1.5, y


def _moons(n, noise, rng):
    # Two interleaving half circles, scaled to fit [-6, 6]; jitter noise * 1.5.
    y = _label_noise_free(n, rng)
    t = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    X = (X - [0.5, 0.25]) * 3.5
    return X + rng.normal(0, 1, (n, 2)) * noise * 1.5, y


def _blobs(n, noise, rng):
    # Three Gaussians on a circle of radius 3.5, 120 degrees apart; sd 0.8 + 2 noise.
    y = rng.permutation(np.arange(n) % 3)
    ang = 2 * np.pi * y / 3 + np.pi / 2
    centers = 3.5 * np.c_[np.cos(ang), np.sin(ang)]
    return centers + rng.normal(0, 0.8 + 2.0 * noise, (n, 2)), y


def _plane(n, noise, rng):
    # y = (x1 + x2) / 10, in [-1, 1]; Gaussian target noise of sd noise.
    X = rng.uniform(-5, 5, (n, 2))
    y = (X[:, 0] + X[:, 1]) / 10 + rng.normal(0, 1, n) * noise
    return X, y[:, None]


def _multi_gauss(n, noise, rng):
    # Sum of signed Gaussian bumps; target noise of sd noise.
    X = rng.uniform(-5, 5, (n, 2))
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    y = np.zeros(n)
    for cx, cy, sign in bumps:
        y += sign * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / 2.0)
    return X, (y + rng.normal(0, 1, n) * noise)[:, None]


def _sine(n, noise, rng):
    # 1-D: y = sin(x) on [-6, 6]; target noise of sd noise.
    x = np.sort(rng.uniform(-6, 6, n))
    return x[:, None], (np.sin(x) + rng.normal(0, 1, n) * noise)[:, None]


def _seed_table(n, noise, rng):
    # The lecture's table for y = w x: the least-squares w is 117.8 / 117.25.
    return np.array([[10.0], [2.0], [3.5], [1.0]]), np.array([[10.1], [1.9], [3.4], [1.1]])


_TRUTH_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _truth(fn):
    return lambda n, noise, rng: (_TRUTH_X.copy(), np.array([fn(int(a), int(b)) for a, b in _TRUTH_X]))


DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in (
        DatasetInfo("circle", _circle, "classification", 2, 2, 500, 0.0, 0.5,
                    "a disc of one class inside a ring of the other"),
        DatasetInfo("xor", _xor, "classification", 2, 2, 500, 0.0, 0.5,
                    "four quadrants; class 1 where x1 and x2 differ in sign"),
        DatasetInfo("gauss", _gauss, "classification", 2, 2, 500, 0.0, 0.5,
                    "two Gaussian clusters"),
        DatasetInfo("spiral", _spiral, "classification", 2, 2, 500, 0.0, 0.5,
                    "two interleaved spirals"),
        DatasetInfo("moons", _moons, "classification", 2, 2, 500, 0.1, 0.5,
                    "two interleaving half circles"),
        DatasetInfo("blobs", _blobs, "classification", 3, 2, 600, 0.0, 0.5,
                    "three Gaussian clusters (3 classes)"),
        DatasetInfo("plane", _plane, "regression", 0, 2, 500, 0.0, 0.5,
                    "regression: y = (x1 + x2) / 10"),
        DatasetInfo("multi_gauss", _multi_gauss, "regression", 0, 2, 500, 0.0, 0.5,
                    "regression: a sum of signed Gaussian bumps"),
        DatasetInfo("sine", _sine, "regression", 0, 1, 200, 0.1, 0.5,
                    "1-D regression: y = sin(x)"),
        DatasetInfo("seed_table", _seed_table, "regression", 0, 1, 4, 0.0, 1.0,
                    "the lecture's 4 points (x = 10, 2, 3.5, 1; y = 10.1, 1.9, 3.4, 1.1)",
                    fixed=True),
        DatasetInfo("and", _truth(lambda a, b: a & b), "classification", 2, 2, 4, 0.0, 1.0,
                    "truth table of AND (one straight line separates the classes)", fixed=True),
        DatasetInfo("or", _truth(lambda a, b: a | b), "classification", 2, 2, 4, 0.0, 1.0,
                    "truth table of OR (one straight line separates the classes)", fixed=True),
        DatasetInfo("xor_table", _truth(lambda a, b: a ^ b), "classification", 2, 2, 4, 0.0, 1.0,
                    "truth table of XOR (no straight line separates the classes)", fixed=True),
        DatasetInfo("iris", None, "classification", 3, 4, 150, 0.0, 0.5,
                    "Fisher's Iris flowers: 4 measurements (cm), 3 species", fixed=True,
                    source="iris.csv"),
    )
}

MAX_SAMPLES = 1_000_000
#: The limits of a dataset entry's settings, declared once: make_dataset,
#: split_indices, the Training panel's fields and the model schema read them.
DATASET_CONSTRAINTS: dict[str, Constraint] = {
    "samples": Interval(kind=int, low=4, high=MAX_SAMPLES, none_ok=True),
    "noise": Interval(kind=float, low=0, high=1, none_ok=True),
    "split": Interval(kind=float, low=0, high=1, closed="right"),  # the training fraction
    "seed": Interval(kind=int, low=0, high=2 ** 32 - 1),
    "classes": Interval(kind=int, low=2, high=6),  # of painted points
}
#: Keys of a dataset description that only CSV data has (besides ``csv``).
CSV_OPTIONS = ("target", "features", "task", "drop_bad")


def make_dataset(name: str, samples: int | None = None, noise: float | None = None,
                 seed: int = 0) -> Dataset:
    """Generate built-in dataset ``name``; the same seed gives the same data."""
    info = DATASETS.get(name)
    if info is None:
        raise DataError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    if info.source is not None:
        ds = load_csv(str(DATA_DIR / info.source))
        ds.name = name
        return ds
    n = info.samples if samples is None else samples
    noise = info.noise if noise is None else noise
    for key, value in (("samples", None if info.fixed else n), ("noise", noise)):
        why = DATASET_CONSTRAINTS[key].refusal(value)
        if why:
            raise DataError(f"{key} {why} (got {value})")
    rng = np.random.default_rng(seed)
    X, y = info.make(n, noise, rng)
    return Dataset(np.asarray(X, dtype=np.float64), np.asarray(y), info.task, name, info.n_classes)


def painted_dataset(points, classes: int = 2) -> Dataset:
    """Points a user painted: rows ``[x1, x2, class]``."""
    P = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    return Dataset(P[:, :2].copy(), P[:, 2].astype(np.int64), "classification", "painted", int(classes))


def split_indices(n: int, train_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, test) row indices; ``train_fraction`` 1 leaves no test set."""
    why = DATASET_CONSTRAINTS["split"].refusal(train_fraction)
    if why:
        raise DataError(f"the training fraction {why} (got {train_fraction})")
    perm = rng.permutation(n)
    k = n if train_fraction == 1.0 or n < 2 else min(n - 1, max(1, int(round(n * train_fraction))))
    return np.sort(perm[:k]), np.sort(perm[k:])


def load_features_csv(path: str) -> tuple[list[str], np.ndarray]:
    """(column names, values ``(n_rows, n_columns)``) of an all-numeric CSV file."""
    table = read_table(path)
    cols = range(table.n_columns)
    bad = table.problems(cols, None, "regression", limit=1)
    if bad:
        raise DataError(f"{path}: {bad[0]}")
    return table.names, np.column_stack([table.values(j) for j in cols])


def load_csv(path: str, target: str | int | None = None, task: str | None = None,
             features=None, drop_bad: bool = False, max_classes: int = MAX_CLASSES,
             progress=None) -> Dataset:
    """Load numeric feature columns and a target column from a CSV file.

    ``target`` is a column name (with a header), a 1-based column number, or
    None for the last column; ``features`` likewise (default: all the other
    columns). A header is detected when the first row has a cell that is not
    a number. ``task`` forces "classification" or "regression"; otherwise
    text targets, or whole-number targets with at most ``max_classes``
    distinct values, make a classification task. Raises :class:`DataError`
    naming the row and column of a bad cell, unless ``drop_bad`` leaves such
    rows out. ``progress(fraction)`` is told how far reading is (see
    :func:`~nnbuilder.core.data.csvfile.read_table`).
    """
    return read_table(path, progress).to_dataset(features, target, task, drop_bad, max_classes)


def dataset_from_spec(spec: dict, progress=None) -> Dataset:
    """The Dataset a model file's ``dataset`` entry describes; ``progress``
    as for :func:`load_csv` when it names a CSV file."""
    if "rows" in spec:  # saved with the data: the file is not read
        name = f"{os.path.basename(spec['csv'])} (saved in the model file)"
        return table_from_rows(name, spec["columns"], spec["rows"]).to_dataset(
            spec.get("features"), spec.get("target"), spec.get("task"), spec.get("drop_bad", False))
    if "csv" in spec:
        return load_csv(spec["csv"], spec.get("target"), spec.get("task"), spec.get("features"),
                        spec.get("drop_bad", False), progress=progress)
    if "points" in spec:
        return painted_dataset(spec["points"], spec.get("classes", 2))
    return make_dataset(spec["name"], spec.get("samples"), spec.get("noise"), spec.get("seed", 0))
