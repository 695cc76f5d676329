"""The dataset gallery: a thumbnail of each built-in dataset (and of painting)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from nnbuilder.core.data.datasets import DATASETS, make_dataset

from ..widgets.follows_theme import FollowsTheme
from ..widgets.colours import CLASS_COLORS, MID_DARK, MID_LIGHT, dark, diverging_rgba

GRID_HEIGHT = 74  # a thumbnail and two short lines of its name
PAINTED = "painted"  # the dataset entry for points painted on the output view


def dataset_thumbnail(name: str, size: int = 44) -> QImage:
    """A small picture of a built-in dataset (default settings, seed 0), on
    the theme's light or dark middle (a light square stood out on a dark window)."""
    img = np.empty((size, size, 4), dtype=np.uint8)
    img[..., :3] = MID_DARK if dark() else MID_LIGHT
    img[..., 3] = 255
    if name == PAINTED:
        pts = [(-3, 2, 0), (-2, 3, 0), (2, 2, 1), (3, 3, 1), (0, -3, 2), (1, -2, 2)]
        X, y, task = np.array([p[:2] for p in pts], float), np.array([p[2] for p in pts]), "classification"
    else:
        ds = make_dataset(name, seed=0)
        X, y, task = ds.X, ds.y, ds.task
        if X.shape[1] > 2:  # Iris: the two petal measurements
            X = X[:, 2:4]
        if X.shape[1] == 1:  # 1-D regression: x against y
            X, y, task = np.c_[X[:, 0], np.ravel(y)], None, "curve"
    lo, hi = X.min(axis=0), X.max(axis=0)
    P = ((X - lo) / np.maximum(hi - lo, 1e-9) * (size - 7) + 3).astype(int)
    if task == "classification":
        colors = np.array([QColor(CLASS_COLORS[int(c) % 10]).getRgb() for c in y], dtype=np.uint8)
    elif task == "curve":
        colors = np.tile(np.array([8, 119, 189, 255], dtype=np.uint8), (len(P), 1))
    else:
        v = np.ravel(y)
        colors = diverging_rgba(v / max(float(np.abs(v).max()), 1e-9))
    dot = 2 if len(P) > 50 else 4
    for (px, py), c in zip(P, colors):
        img[size - 1 - py - dot // 2:size - 1 - py + (dot + 1) // 2, px - dot // 2:px + (dot + 1) // 2] = c
    img = np.ascontiguousarray(img)
    return QImage(img.data, size, size, 4 * size, QImage.Format.Format_RGBA8888).copy()


def dataset_tooltip(name: str) -> str:
    """What a gallery entry shows on hover: the set's description and its shape."""
    if name not in DATASETS:
        return (f"{name}: your own points, painted on the output view (click to add, Shift-click "
                "for the next class, Ctrl- or right-click to remove)")
    d = DATASETS[name]
    kind = f"{d.n_classes} classes" if d.task == "classification" else "regression"
    rows = f"a fixed table of {d.samples} rows" if d.fixed else f"{d.samples} samples by default"
    return f"{name}: {d.description}\n{kind}, {d.columns} column{'s' * (d.columns != 1)}, {rows}"


class DatasetGallery(FollowsTheme, QListWidget):
    """The built-in datasets as thumbnails; picking one emits ``picked(name)``."""

    picked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("datasetGallery")
        self.setAccessibleName("Datasets")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(44, 44))
        self.setGridSize(QSize(58, GRID_HEIGHT))
        self.setWordWrap(True)  # "seed table" on two lines rather than "seed_ta..."
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setFixedHeight(2 * GRID_HEIGHT + 8)
        font = self.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        self.setFont(font)
        for name in list(DATASETS) + [PAINTED]:
            item = QListWidgetItem(name.replace("_", " "))
            item.setToolTip(dataset_tooltip(name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.addItem(item)
        self._drawn_dark: bool | None = None
        self._draw_thumbnails()
        self.itemClicked.connect(lambda it: self.picked.emit(it.data(Qt.ItemDataRole.UserRole)))

    def _draw_thumbnails(self) -> None:
        """The thumbnails on the theme's background (again when the theme changes)."""
        if self._drawn_dark == dark():
            return
        self._drawn_dark = dark()
        for i in range(self.count()):
            item = self.item(i)
            item.setIcon(QIcon(QPixmap.fromImage(dataset_thumbnail(item.data(Qt.ItemDataRole.UserRole)))))

    def theme_changed(self) -> None:
        self._draw_thumbnails()

    def show_current(self, name: str) -> None:
        """Highlight the entry of the data in use; none for data that has no
        entry here (an imported table)."""
        row = next((i for i in range(self.count()) if self.item(i).data(Qt.ItemDataRole.UserRole) == name), -1)
        self.blockSignals(True)
        self.setCurrentRow(row)
        if row < 0:
            self.clearSelection()
        self.blockSignals(False)


