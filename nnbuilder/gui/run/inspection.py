"""What a network looking at many inputs learned and where it goes wrong:
the "Weights as images" view (each first-layer unit's incoming weights as a
small image, for inputs that form a square image) and the "Mistakes" view
(the rows the classifier gets wrong, as images or as a table of values,
with their true and predicted class).

:class:`InspectionViews` draws them from the newest snapshot while a run
trains (its weights, its :class:`~nnbuilder.core.run.classreport.ClassReport`)
and at rest from the document's weights, evaluated once per state on the
run's prepared value; it offers their docks only for data they can show.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QLabel, QScrollArea, QSizePolicy, QStackedWidget,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from nnbuilder.core.run.classreport import ClassReport, class_report, first_layer, image_side, weight_images
from nnbuilder.core.run.protocol import release

from ..data.data_controller import DataController
from ..widgets.colours import diverging_rgba
from ..widgets.follows_theme import FollowsTheme
from .run_controller import RunController

WEIGHTS_DOCK, MISTAKES_DOCK = "weightImagesDock", "mistakesDock"
MAX_SHOWN = 200  # mistakes drawn (the count says how many there are)
RUNNING_EVERY = 6  # while training: redraw on every 6th frame drawn (~5 Hz)


class ImageGrid(QWidget):
    """Small images in rows that fill the width, each with a caption under
    it; its height follows (it sits in a scroll area)."""

    clicked = Signal(int)  # the index of the image clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.images: list[QImage] = []
        self.captions: list[str] = []
        self.tooltips: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)

    def set_images(self, rgba: np.ndarray, captions: list[str] | None = None,
                   tooltips: list[str] | None = None) -> None:
        """``rgba`` ``(n, h, w, 4)`` uint8."""
        rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
        self.rgba = rgba  # (n, h, w, 4) as drawn (the QImages read this memory)
        n, h, w = rgba.shape[:3]
        self.images = [QImage(rgba[i].data, w, h, 4 * w, QImage.Format.Format_RGBA8888) for i in range(n)]
        self.captions = list(captions or [])
        self.tooltips = list(tooltips or [])
        self.updateGeometry()
        self.update()

    def _cell(self) -> tuple[int, int, int]:
        """(image side in pixels, cell width, cell height) at the width now."""
        if not self.images:
            return 0, 0, 0
        side = max(self.images[0].width(), 1)
        px = max(3 * side, 48) if side < 16 else max(2 * side, 48)
        text = QFontMetrics(self.font()).height() if self.captions else 0
        width = max(px, max((QFontMetrics(self.font()).horizontalAdvance(c) for c in self.captions),
                            default=0) + 4)
        return px, width + 6, px + text + 6

    def _columns(self) -> int:
        _, cw, _ = self._cell()
        return max(1, self.width() // cw) if cw else 1

    def heightForWidth(self, width: int) -> int:
        _, cw, ch = self._cell()
        if not cw:
            return 0
        cols = max(1, width // cw)
        return -(-len(self.images) // cols) * ch

    def hasHeightForWidth(self) -> bool:
        return True

    def sizeHint(self) -> QSize:
        return QSize(200, self.heightForWidth(max(self.width(), 200)))

    def rect_of(self, i: int) -> QRect:
        """Where image ``i`` is drawn."""
        px, cw, ch = self._cell()
        cols = self._columns()
        r, c = divmod(i, cols)
        return QRect(c * cw + (cw - px) // 2, r * ch + 3, px, px)

    def index_at(self, pos) -> int | None:
        _, cw, ch = self._cell()
        if not cw:
            return None
        i = (pos.y() // ch) * self._columns() + pos.x() // cw
        return i if 0 <= pos.x() < self._columns() * cw and 0 <= i < len(self.images) else None

    def paintEvent(self, event):
        if not self.images:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.setPen(self.palette().color(QPalette.ColorRole.Text))
        fm = QFontMetrics(self.font())
        for i, img in enumerate(self.images):
            r = self.rect_of(i)
            if not r.intersects(event.rect().adjusted(0, -fm.height(), 0, fm.height())):
                continue
            p.drawImage(r, img)
            if i < len(self.captions):
                _, cw, _ = self._cell()
                text = QRect(r.center().x() - cw // 2, r.bottom() + 1, cw, fm.height())
                p.drawText(text, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.captions[i])
        p.end()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.setMinimumHeight(self.heightForWidth(self.width()))

    def updateGeometry(self):
        self.setMinimumHeight(self.heightForWidth(self.width()))
        super().updateGeometry()

    def event(self, e):
        if e.type() == QEvent.Type.ToolTip:
            i = self.index_at(e.pos())
            if i is not None and i < len(self.tooltips):
                self.setToolTip(self.tooltips[i])
            else:
                self.setToolTip("")
        return super().event(e)

    def mousePressEvent(self, event):
        i = self.index_at(event.position().toPoint())
        if i is not None:
            self.clicked.emit(i)


def scrolled(widget: QWidget, name: str) -> QScrollArea:
    """``widget`` in a scroll area a screen reader calls ``name``."""
    area = QScrollArea()
    area.setAccessibleName(name)
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class WeightImagesView(FollowsTheme, QWidget):
    """Each first-layer unit's incoming weights as an image (orange negative,
    blue positive, each unit scaled by its largest weight: the middle colour
    is 0)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("weightImagesView")
        self.title = QLabel()
        self.title.setObjectName("weightImagesTitle")
        self.title.setWordWrap(True)
        self.grid = ImageGrid()
        self.grid.setObjectName("weightImagesGrid")
        self.images: np.ndarray | None = None  # (units, side, side), NaN where no weight
        self.rgba: np.ndarray | None = None  # (units, side, side, 4) as drawn
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.title)
        layout.addWidget(scrolled(self.grid, "Weights as images"), 1)

    def show_images(self, images: np.ndarray | None, title: str) -> None:
        self.images = images
        self.title.setText(title)
        self._draw()

    def _draw(self) -> None:
        if self.images is None:
            self.rgba = None
            self.grid.set_images(np.zeros((0, 1, 1, 4), np.uint8))
            return
        scale = np.nanmax(np.abs(self.images), axis=(1, 2), initial=0.0)
        t = self.images / np.where(scale > 0, scale, 1.0)[:, None, None]
        self.rgba = diverging_rgba(t)
        n = len(self.images)
        self.grid.set_images(self.rgba, [str(u + 1) for u in range(n)],
                             [f"unit {u + 1}: weights from {-s:.3g} (orange) to {s:.3g} (blue)"
                              for u, s in enumerate(scale)])

    def theme_changed(self) -> None:
        self._draw()  # the middle colour follows the theme


class MistakesView(FollowsTheme, QWidget):
    """The rows a classifier gets wrong with their true and predicted class:
    as images when the rows are images, else as a table of their values.
    ``rowClicked(row)`` (0-based, the dataset's order) on a click."""

    rowClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("mistakesView")
        self.summary = QLabel()
        self.summary.setObjectName("mistakesSummary")
        self.summary.setWordWrap(True)
        self.grid = ImageGrid()
        self.grid.setObjectName("mistakesGrid")
        self.table = QTableWidget()
        self.table.setObjectName("mistakesTable")
        self.table.setAccessibleName("Mistakes")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(scrolled(self.grid, "Mistakes as images"))
        self.stack.addWidget(self.table)
        self._shown = None  # what show_mistakes was given last
        self.rows = np.zeros(0, dtype=np.int64)  # the rows missed listed, 0-based in the dataset
        self.true = self.predicted = self.rows
        self.grid.clicked.connect(lambda i: self.rowClicked.emit(int(self.rows[i])))
        self.table.cellClicked.connect(lambda r, _: self.rowClicked.emit(int(self.rows[r])))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.stack, 1)

    def theme_changed(self) -> None:
        if self._shown is not None:
            self.show_mistakes(*self._shown)  # the images' paper and ink follow the theme

    def clear(self, text: str = "") -> None:
        self._shown = None
        self.rows = self.true = self.predicted = np.zeros(0, dtype=np.int64)
        self.summary.setText(text)
        self.grid.set_images(np.zeros((0, 1, 1, 4), np.uint8))
        self.table.setRowCount(0)

    def show_mistakes(self, rows: np.ndarray, true: np.ndarray, predicted: np.ndarray, n: int, X: np.ndarray,
                      columns: list[str], classes: list[str], side: int | None, subset: str,
                      of: int) -> None:
        """The first ``rows`` (dataset order) of ``X`` ``(n, n_columns)`` of the
        ``n`` missed, out of ``of`` ``subset`` rows."""
        self._shown = (rows, true, predicted, n, X, columns, classes, side, subset, of)
        self.rows, self.true, self.predicted = rows, true, predicted
        shown = min(len(rows), MAX_SHOWN)
        more = f" (the first {shown:,} shown)" if n > shown else ""
        self.summary.setText(f"{n:,} of {of:,} {subset} rows misclassified{more}"
                             if n else f"No {subset} row misclassified ({of:,} rows)")
        name = lambda k: classes[k] if k < len(classes) else str(k)  # noqa: E731
        values = X[rows[:shown]]
        if side is not None:
            self.stack.setCurrentIndex(0)
            lo, hi = float(np.min(X)), float(np.max(X))
            t = (np.asarray(values, dtype=np.float64) - lo) / (hi - lo if hi > lo else 1.0)
            pal = self.palette()
            paper = np.array(pal.color(QPalette.ColorRole.Base).getRgb(), dtype=np.float64)
            ink = np.array(pal.color(QPalette.ColorRole.Text).getRgb(), dtype=np.float64)
            rgba = paper + (ink - paper) * np.clip(t, 0, 1)[..., None]
            rgba = np.round(rgba).astype(np.uint8).reshape(shown, side, side, 4)
            pairs = list(zip(true[:shown], predicted[:shown]))
            self.grid.set_images(rgba, [f"{name(a)}→{name(b)}" for a, b in pairs],
                                 [f"row {r + 1}: true {name(a)}, predicted {name(b)}"
                                  for r, a, b in zip(rows[:shown], true[:shown], predicted[:shown])])
            return
        self.stack.setCurrentIndex(1)
        t = self.table
        t.setColumnCount(3 + len(columns))
        t.setHorizontalHeaderLabels(["row", "true", "predicted", *columns])
        t.setRowCount(shown)
        for i in range(shown):
            cells = [str(rows[i] + 1), name(true[i]), name(predicted[i]), *(f"{v:.4g}" for v in values[i])]
            for j, text in enumerate(cells):
                t.setItem(i, j, QTableWidgetItem(text))
        t.resizeColumnsToContents()


class InspectionViews(QObject):
    """Draws ``weights_view`` and ``mistakes_view`` for ``run`` on ``data``
    after each frame ``frame_drawn`` reports, and at rest from the
    document's weights; the weights of a moment looked back at
    (``weights_shown``) as images too. ``offer(dock name, offered, show)`` offers or
    withdraws their docks (WEIGHTS_DOCK, MISTAKES_DOCK) as the data calls for
    them (``show``: in view at once); ``visible(dock name)`` says whether one
    is in view (hidden views are drawn when they come: :meth:`dock_shown`)."""

    def __init__(self, run: RunController, data: DataController, frame_drawn, weights_shown,
                 weights_view: WeightImagesView, mistakes_view: MistakesView,
                 offer: Callable[[str, bool, bool], None], visible: Callable[[str], bool], parent=None):
        super().__init__(parent)
        self.run, self.data = run, data
        self.weights_view, self.mistakes_view = weights_view, mistakes_view
        self._offer, self._visible = offer, visible
        self._frames = 0
        self._rest_key = None  # the prepared value, weights and data drawn at rest
        self._last = None  # (weights, report) drawn last, for a view that comes into view
        self.report: ClassReport | None = None  # the one drawn
        frame_drawn.connect(self.snapshot_drawn)
        weights_shown.connect(self.weights_shown)
        data.dataChanged.connect(self._data_changed)
        run.runReplaced.connect(self._replaced)
        run.preparedChanged.connect(lambda _: self.at_rest())
        self._data_changed()

    # ----------------------------------------------------------------- data
    def side(self) -> int | None:
        ds = self.data.dataset
        return None if ds is None else image_side(ds.X.shape[1])

    def _data_changed(self) -> None:
        """Weights as images for data that are images (shown as they come);
        Mistakes for classification (shown at once for images, else offered)."""
        ds, image = self.data.dataset, self.side() is not None
        self._last, self._rest_key = None, None  # nothing drawn of other data stays
        self._offer(WEIGHTS_DOCK, image, image)
        self._offer(MISTAKES_DOCK, ds is not None and ds.task == "classification", image)
        self.at_rest()

    def dock_shown(self, name: str) -> None:
        """Dock ``name`` came into view: draw what it missed while hidden."""
        if self._last is None:
            self.at_rest(name)
        else:
            self.draw(*self._last, shown=name)

    # -------------------------------------------------------------- drawing
    def snapshot_drawn(self, snap) -> None:
        """A frame drawn: the newest snapshot's weights and report (~5 Hz while training)."""
        self._frames += 1
        if snap.running and self._frames % RUNNING_EVERY:
            return
        self.draw(snap.weights, snap.report)

    def weights_shown(self, weights: dict) -> None:
        """Weights of no snapshot drawn (a moment looked back at): their images."""
        if self._visible(WEIGHTS_DOCK):
            self._draw_weights(weights)

    def _replaced(self) -> None:
        self._last = None  # nothing of the old run's report
        self._rest_key = None
        self.at_rest()

    def at_rest(self, shown: str | None = None) -> None:
        """No snapshot of this run yet: the document's weights, evaluated once
        (when a view is in view to show them; ``shown``: that dock just came)."""
        if self.run.snapshot is not None or self.run.document is None:
            return
        if shown is None and not (self._visible(WEIGHTS_DOCK) or self._visible(MISTAKES_DOCK)):
            self._rest_key = None  # evaluated when one comes into view
            return
        weights = self.run.current_weights() if self.run.document.weights else {}
        p = self.run.prepared()
        key = (p, self.run.document.weights, self.data.dataset)
        if self._rest_key is not None and all(a is b for a, b in zip(key, self._rest_key)):
            return
        self._rest_key = key
        net = p.network_with(weights) if p.data is not None else None
        report = None if net is None else class_report(net.predict, p.data, net.loss.threshold)
        if p.data is not None:  # the window keeps its table, not the worker's features too
            release(p.data.X_train, p.data.X_test)
        self.draw({nid: (v["W"], v.get("b")) for nid, v in weights.items() if "W" in v}
                  if net is not None else {}, report, shown)

    def draw(self, weights: dict, report: ClassReport | None, shown: str | None = None) -> None:
        """``weights`` ``{node_id: (W, b)}`` and ``report`` of the current
        data, into the views that are in view (``shown``: that dock is) and
        the others when they come."""
        if report is None and self._last is not None and self._last[1] is not None:
            report = self._last[1]  # a frame without the report keeps the last one
        self._last = (weights, report)
        if shown == WEIGHTS_DOCK or self._visible(WEIGHTS_DOCK):
            self._draw_weights(weights)
        if shown == MISTAKES_DOCK or self._visible(MISTAKES_DOCK):
            self._draw_mistakes(report)

    def _draw_weights(self, weights: dict) -> None:
        side, doc = self.side(), self.run.document
        if side is None or doc is None:
            return
        graph = doc.graph
        nid = first_layer(graph)
        W = None if nid is None else weights.get(nid, (None,))[0]
        features = graph.nodes_of_type("input")[0].params["features"] if nid is not None else []
        if W is None or np.shape(W)[0] != len(features):
            self.weights_view.show_images(None, "Train or step once: each unit of the first layer "
                                                "then shows its incoming weights as an image")
            return
        images = weight_images(W, features, side)
        self.weights_view.show_images(
            images, f"{graph.label(nid)}: the weights into each of its {len(images)} units, "
                    f"as {side}×{side} images (orange negative, blue positive)")

    def _draw_mistakes(self, report: ClassReport | None) -> None:
        ds, view = self.data.dataset, self.mistakes_view
        if ds is None or ds.task != "classification":
            self.report = None
            view.clear("Mistakes are shown for classification data")
            return
        if report is None:
            self.report = None
            view.clear("Train or step once to see the rows the network gets wrong")
            return
        train, test = self.data.split_indices()
        idx = test if report.subset == "test" else train
        if int(report.confusion.sum()) != len(idx):
            return  # a report of other data than shown
        self.report = report
        view.show_mistakes(idx[report.mistakes], report.true, report.predicted, report.n_mistakes, ds.X,
                           ds.column_names, ds.class_names, self.side(), report.subset, len(idx))
