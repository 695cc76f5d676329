"""How a classifier does, class by class, on the rows it is judged on (the
test rows; the training rows when there are none): the confusion counts,
precision, recall and F1 per class, and which rows it gets wrong
(:func:`class_report`). And what the first layer of a network looking at
square images learned: each unit's incoming weights as an image
(:func:`image_side`, :func:`first_layer`, :func:`weight_images`).

Computed by whoever evaluates the network: the worker for a snapshot, the
window for weights at rest. Pure NumPy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine.traindata import TrainData
from ..functions.features import raw_column
from ..functions.losses import confusion_matrix, predict_classes
from ..model.nodetypes import NODE_SPECS

__all__ = ["ClassReport", "class_report", "class_scores", "image_side", "first_layer", "weight_images",
           "MIN_IMAGE_SIDE", "MAX_LISTED"]

MIN_IMAGE_SIDE = 4  # 16 inputs and more that make a square are an image
MAX_LISTED = 1000  # mistakes a report lists (a snapshot carries them several times a second)


@dataclass(frozen=True, eq=False)
class ClassReport:
    """``confusion`` ``(k, k)`` counts (row: true class, column: predicted)
    over the ``subset`` ("test" or "train") rows; per class ``precision``,
    ``recall``, ``f1`` (0 where undefined) and ``support`` (its rows); the
    rows misclassified: ``mistakes`` (positions within the subset, in order,
    the first MAX_LISTED of them: :attr:`n_mistakes` counts them all) with
    their ``true`` and ``predicted`` classes."""

    subset: str
    confusion: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    mistakes: np.ndarray
    true: np.ndarray
    predicted: np.ndarray

    @property
    def n_mistakes(self) -> int:
        return int(self.confusion.sum() - np.trace(self.confusion))


def class_scores(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, F1, support) per class of ``confusion`` counts
    (row: true class, column: predicted); 0 where a ratio has nothing to count."""
    c = np.asarray(confusion, dtype=np.float64)
    hits = np.diag(c)
    predicted, support = c.sum(axis=0), c.sum(axis=1)
    with np.errstate(all="ignore"):
        precision = np.where(predicted > 0, hits / predicted, 0.0)
        recall = np.where(support > 0, hits / support, 0.0)
        both = precision + recall
        f1 = np.where(both > 0, 2 * precision * recall / both, 0.0)
    return precision, recall, f1, support.astype(np.int64)


def class_report(outputs_of, data: TrainData, threshold: float = 0.5,
                 limit: int = MAX_LISTED) -> ClassReport | None:
    """The report of a classifier whose outputs for feature rows ``X`` are
    ``outputs_of(X)`` (e.g. ``network.predict``) on ``data``'s test rows
    (the training rows when there are none), listing the first ``limit``
    rows it misses; None for regression."""
    if data.task != "classification":
        return None
    if len(data.X_test):
        subset, X, labels = "test", data.X_test, data.labels_test
    else:
        subset, X, labels = "train", data.X_train, data.labels_train
    labels = np.asarray(labels, dtype=np.int64)
    with np.errstate(all="ignore"):
        outputs = np.asarray(outputs_of(X))
    pred = predict_classes(outputs, threshold).astype(np.int64)
    confusion = confusion_matrix(outputs, labels, data.n_classes, threshold)
    wrong = np.flatnonzero(pred != labels)[:limit]
    return ClassReport(subset, confusion, *class_scores(confusion), wrong.astype(np.int32),
                       labels[wrong].astype(np.int32), pred[wrong].astype(np.int32))


def image_side(n_columns: int) -> int | None:
    """The side of the square image ``n_columns`` inputs form (784: 28), or
    None when they do not (not a perfect square, or fewer than 16)."""
    side = math.isqrt(max(int(n_columns), 0))
    return side if side >= MIN_IMAGE_SIDE and side * side == n_columns else None


def first_layer(graph) -> str | None:
    """The id of the first weighted node the Input node feeds (the first in
    the graph's order when it feeds several), or None."""
    inputs = graph.nodes_of_type("input")
    if not inputs:
        return None
    fed = set(graph.outputs_of(inputs[0].id))
    for nid, node in graph.nodes.items():
        if nid in fed and NODE_SPECS[node.type].weighted:
            return nid
    return None


def weight_images(W: np.ndarray, features: list[str], side: int) -> np.ndarray:
    """``(units, side, side)``: each unit's incoming weights ``W[:, unit]``
    (``W`` ``(n_features, units)``) at the pixels of the raw columns its
    ``features`` read, row by row (column ``r * side + c`` at ``[r, c]``);
    NaN at pixels no feature reads as it is (x1^2, sin(x1) ...)."""
    W = np.asarray(W, dtype=np.float64)
    images = np.full((W.shape[1], side * side), np.nan)
    for f, name in enumerate(features):
        col = raw_column(name)
        if col is not None and col < side * side and f < W.shape[0]:
            images[:, col] = W[f]
    return images.reshape(W.shape[1], side, side)
