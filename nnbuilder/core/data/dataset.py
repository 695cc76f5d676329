"""The :class:`Dataset` record: data columns and a target, nothing else.

A leaf module (NumPy and the standard library only) so that both the CSV
reader (:mod:`nnbuilder.core.data.table`) and the built-in sets
(:mod:`nnbuilder.core.data.datasets`) can build one without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Dataset"]


@dataclass
class Dataset:
    """Raw columns ``X`` ``(n_samples, n_columns)`` and a target ``y``: class
    indices ``(n_samples,)`` for classification, values ``(n_samples,
    n_targets)`` for regression."""

    X: np.ndarray
    y: np.ndarray
    task: str  # "classification" or "regression"
    name: str = "data"
    n_classes: int = 0
    class_names: list[str] = field(default_factory=list)
    column_names: list[str] = field(default_factory=list)
    #: each sample's row number in its file (its line, as messages name rows), or None
    rows: np.ndarray | None = None

    def __post_init__(self):
        if not self.column_names:
            self.column_names = [f"x{i + 1}" for i in range(self.X.shape[1])]
        if self.task == "classification" and not self.class_names:
            self.class_names = [str(i) for i in range(self.n_classes)]

    def __len__(self) -> int:
        return len(self.X)

    @property
    def labels(self) -> list[str] | None:
        """Class names worth keeping with a trained model: None for regression
        and for classes named just 0, 1, ..."""
        if self.task != "classification" or self.class_names == [str(i) for i in range(self.n_classes)]:
            return None
        return list(self.class_names)

    def row_number(self, i: int) -> int:
        """Sample ``i`` (0-based) as users read it: its row in its file (as
        messages, ``explain --row`` and the exported script number it), or
        ``i + 1`` for data made in memory."""
        return int(self.rows[i]) if self.rows is not None else int(i) + 1

    def subset(self, idx: np.ndarray) -> "Dataset":
        return Dataset(self.X[idx], self.y[idx], self.task, self.name, self.n_classes,
                       list(self.class_names), list(self.column_names),
                       None if self.rows is None else self.rows[idx])
