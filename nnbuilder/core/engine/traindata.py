"""Training data prepared for one network: the Input node's features applied,
standardized with the training rows' statistics when the Input asks for it,
targets encoded for the Output node (regression targets standardized the
same way when the Output asks for it), and the rows split by seed.
:func:`fitting_changes` says how to adapt a network to data (its Input,
Output and, by :func:`hidden_width`, the width of its hidden layers);
:func:`fitting_note` says why, in one line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..data.datasets import Dataset, split_indices
from ..errors import DataError
from ..steps import finish
from ..functions.features import apply_features, check_columns, columns_needed, feature_stats, raw_columns, standardize
from ..functions.losses import LOSSES
from .network import Network

__all__ = ["TrainData", "encode_targets", "fitting_changes", "hidden_width", "fitting_note"]

_ROWS_PER_BLOCK = 4096  # rows featurized and standardized at a time
_COLUMNS_PER_BLOCK = 16  # columns gathered at a time from a column-major table
_GATHER = 0.7  # the share of the work the gathering is (the rest: standardizing)


@dataclass
class TrainData:
    """Feature matrices and encoded targets for one network.

    ``X_*`` ``(n, n_features)``; ``Y_*`` ``(n, n_outputs)`` (0/1 column for
    one-output classification, one-hot for several outputs, values for
    regression, standardized with ``target_stats`` when the Output node
    standardizes); ``labels_*`` ``(n,)`` class indices (classification only).
    """

    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    task: str
    labels_train: np.ndarray | None = None
    labels_test: np.ndarray | None = None
    n_classes: int = 0
    input_stats: tuple[np.ndarray, np.ndarray] | None = None  # (mean, std) X was standardized with
    rows_train: np.ndarray | None = None  # (n_train,) the dataset row of each training row
    rows_test: np.ndarray | None = None
    target_stats: tuple[np.ndarray, np.ndarray] | None = None  # (mean, std) regression Y was standardized with

    @classmethod
    def from_dataset(cls, ds: Dataset, network: Network, split: float = 0.5,
                     seed: int = 0) -> "TrainData":
        """Apply the Input node's features, encode targets, split by ``seed``.

        If the Input node standardizes, the mean and std come from the
        training rows only (the test rows are scaled with the same numbers).
        """
        return finish(cls.steps(ds, network, split, seed))

    @classmethod
    def steps(cls, ds: Dataset, network: Network, split: float = 0.5, seed: int = 0, empty=np.empty):
        """:meth:`from_dataset` a block at a time: a generator that yields the
        fraction done after each block and returns the TrainData (a caller on
        another thread shows progress, or stops by not going on). ``empty``
        ``(shape, dtype)`` makes the feature matrix (e.g. in memory a worker
        maps: :func:`~nnbuilder.core.run.protocol.shared_empty`)."""
        # First: a misfit is said before the work (the columns first, as the rows are read).
        check_columns(network.features, ds.X.shape[1])
        Y, labels = encode_targets(ds, network)
        tr, te = split_indices(len(ds), split, np.random.default_rng(seed))
        # One matrix in split order (the training rows, then the test rows):
        # X_train and X_test are views of it, so the data is held once,
        # built a block at a time (no whole-table temporary).
        order = np.concatenate([tr, te])
        X = empty((len(order), len(network.features)), network.dtype)
        cols = raw_columns(network.features)
        if cols is not None and max(cols) < ds.X.shape[1] and ds.X.dtype.kind == "f" \
                and not ds.X.flags.c_contiguous:
            # A choice of columns of a column-major table (as a CSV file is
            # read): gathered a few columns at a time, each a run of memory.
            side_by_side = cols == list(range(cols[0], cols[0] + len(cols)))
            for c in range(0, len(cols), _COLUMNS_PER_BLOCK):
                take = cols[c:c + _COLUMNS_PER_BLOCK]
                block = ds.X[:, take[0]:take[-1] + 1] if side_by_side else ds.X[:, take]
                X[:, c:c + len(take)] = block[order]
                yield _GATHER * (c + len(take)) / len(cols)
        else:
            for lo in range(0, len(order), _ROWS_PER_BLOCK):
                rows = order[lo:lo + _ROWS_PER_BLOCK]
                X[lo:lo + len(rows)] = apply_features(ds.X[rows], network.features)
                yield _GATHER * (lo + len(rows)) / max(1, len(order))
        stats = None
        if network.standardize:
            stats = feature_stats(X[:len(tr)])
            for lo in range(0, len(X), _ROWS_PER_BLOCK):
                block = X[lo:lo + _ROWS_PER_BLOCK]
                if block.dtype == np.float64:
                    standardize(block, *stats)
                else:
                    block[...] = standardize(block.astype(np.float64), *stats)
                yield _GATHER + (1 - _GATHER) * (lo + len(block)) / len(X)
        n = len(tr)
        Y = Y[order]
        labels = None if labels is None else labels[order]
        target_stats = None
        if network.standardize_target and ds.task == "regression" and n:  # targets: (y - mean) / std too
            target_stats = feature_stats(Y[:n])
            Y = standardize(Y.astype(np.float64), *target_stats).astype(network.dtype, copy=False)
        return cls(X[:n], Y[:n], X[n:], Y[n:], ds.task,
                   None if labels is None else labels[:n],
                   None if labels is None else labels[n:], ds.n_classes, stats, tr, te, target_stats)


def encode_targets(ds: Dataset, network: Network) -> tuple[np.ndarray, np.ndarray | None]:
    """(Y ``(n, n_outputs)``, labels or None) for ``ds`` and ``network``'s output."""
    k = network.n_outputs
    if ds.task == "classification":
        labels = np.asarray(ds.y, dtype=np.int64).ravel()
        if k == 1:
            if ds.n_classes > 2:
                raise DataError(f"the data has {ds.n_classes} classes but the Output node has "
                                "1 unit; give it one unit per class with softmax and cross_entropy")
            return labels[:, None].astype(network.dtype), labels
        if k != ds.n_classes:
            raise DataError(f"the data has {ds.n_classes} classes but the Output node has {k} units")
        Y = np.zeros((len(labels), k), dtype=network.dtype)
        Y[np.arange(len(labels)), labels] = 1.0
        return Y, labels
    if LOSSES[network.loss.name].task == "classification":
        raise DataError(f"the {network.loss.name} loss is for classification, but the data is "
                        "a regression task; use l2, l1 or huber")
    Y = np.asarray(ds.y, dtype=network.dtype).reshape(len(ds), -1)
    if Y.shape[1] != k:
        raise DataError(f"the data has {Y.shape[1]} target column(s) but the Output node has {k} units")
    return Y, None


def fitting_changes(graph, ds: Dataset, standardize: bool | None = None) -> dict[str, dict]:
    """Parameter changes ``{node_id: {param: value}}`` that make ``graph``'s
    Input and Output nodes fit the data ``ds``: one input feature per column
    (2-D data keeps its feature choice), and an Output node of one sigmoid
    unit with bce for two classes, one softmax unit per class with
    cross_entropy for more, one linear unit per target with l2 for
    regression (standardized with the inputs when ``standardize`` says so:
    True or False sets both, None keeps them). Hidden Dense layers narrower than :func:`hidden_width` for
    the data are widened to it, with relu; wider ones are kept, and so are
    the small layers of 2-D data. Empty when the network fits already.
    """
    changes: dict[str, dict] = {}
    cols = ds.X.shape[1]
    for node in graph.nodes_of_type("input"):
        feats = node.params["features"]
        want = dict(node.params)
        if cols != 2 or columns_needed(feats) > 2:
            want["features"] = [f"x{j + 1}" for j in range(cols)]
        if standardize is not None:
            want["normalize"] = "standardize" if standardize else "none"
        diff = {k: v for k, v in want.items() if node.params[k] != v}
        if diff:
            changes[node.id] = diff
    for node in graph.nodes_of_type("output"):
        p = node.params
        loss_task = LOSSES[p["loss"]].task
        if ds.task == "regression":
            k = int(np.asarray(ds.y).reshape(len(ds), -1).shape[1])
            want = {} if loss_task != "classification" and p["units"] == k else \
                {"units": k, "activation": "linear", "loss": "l2"}
        elif ds.n_classes > 2:
            want = {} if p["units"] == ds.n_classes and p["activation"] == "softmax" and \
                p["loss"] == "cross_entropy" else \
                {"units": ds.n_classes, "activation": "softmax", "loss": "cross_entropy"}
        else:
            want = {} if p["units"] == 1 and loss_task == "classification" and \
                p["activation"] != "softmax" else {"units": 1, "activation": "sigmoid", "loss": "bce"}
        if ds.task == "regression" and standardize is not None:  # the target as the inputs
            want["normalize"] = "standardize" if standardize else "none"
        elif ds.task == "classification":  # classes are not standardized
            want["normalize"] = "none"
        diff = {k: v for k, v in want.items() if p.get(k, "none") != v}
        if diff:
            changes[node.id] = diff
    n_in, n_out = _fitted_widths(graph, changes)
    width = hidden_width(n_in, n_out, len(ds))
    for node in graph.nodes_of_type("dense"):
        if node.params["units"] < width:
            changes[node.id] = {"units": width, "activation": "relu"}
    return changes


def hidden_width(n_inputs: int, n_outputs: int, n_rows: int) -> int:
    """The units a hidden layer needs at least for data of this shape: the
    power of two at or above sqrt(inputs x outputs) (the geometric mean of
    the layers around it), at least 4, at most 128, and no more than the
    power of two at or below rows / 8 (few rows: a small layer). 784 inputs,
    10 classes, 60,000 rows: 128; 30 inputs, 2 classes (1 output), 569 rows:
    8; 2-D data: 4."""
    width = 2 ** math.ceil(math.log2(max(1.0, math.sqrt(n_inputs * n_outputs))))
    by_rows = 2 ** int(math.log2(max(1, n_rows // 8)))
    return max(4, min(128, width, by_rows))


def _fitted_widths(graph, changes: dict) -> tuple[int, int]:
    """(input features, output units) of ``graph`` after ``changes``."""
    def width(kind: str, key: str, count) -> int:
        return sum(count(changes.get(n.id, {}).get(key, n.params[key])) for n in graph.nodes_of_type(kind))
    return width("input", "features", len), width("output", "units", int)


def fitting_note(graph, ds: Dataset, changes: dict) -> str:
    """Why :func:`fitting_changes` widened hidden layers, in one line:
    "hidden layer of 128 relu units: 784 inputs, 10 classes, 60,000 rows"
    ("" when it widened none). ``graph`` is the network before ``changes``."""
    dense = {n.id for n in graph.nodes_of_type("dense")}
    widened = [ch["units"] for nid, ch in changes.items() if nid in dense]
    if not widened:
        return ""
    n_in, n_out = _fitted_widths(graph, changes)
    what = (f"{ds.n_classes} classes" if ds.task == "classification" else
            f"{n_out} target{'s' * (n_out != 1)}")
    layers = "hidden layer" if len(widened) == 1 else f"{len(widened)} hidden layers"
    return f"{layers} of {widened[0]} relu units: {n_in:,} inputs, {what}, {len(ds):,} rows"
