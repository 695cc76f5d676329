"""Pictures and tables out of the window: the diagram as PNG or SVG, the plots
as PNG and SVG, the loss history as CSV. Plain functions of what they export."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QWidget

from nnbuilder.core.files.modelfile import atomic_write_text
from nnbuilder.core.engine.trainer import History

MARGIN = 30  # scene units around the diagram
PNG_SCALE = 2  # pixels per scene unit: sharp on high-density screens


def write_svg(path: str, size: QSize, draw, title: str = "") -> bool:
    """Paint ``draw(device)`` into an SVG file of ``size``; True if it was written."""
    gen = QSvgGenerator()
    gen.setFileName(path)
    gen.setSize(size)
    gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
    gen.setTitle(title)
    draw(gen)
    return Path(path).exists()


def paint_widget(widget: QWidget, device) -> None:
    painter = QPainter(device)
    widget.render(painter)
    painter.end()


def diagram_rect(scene: QGraphicsScene) -> QRectF:
    return scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def render_scene(scene: QGraphicsScene, device, rect: QRectF) -> None:
    """Paint the diagram in ``rect`` onto ``device``, as vectors and without the selection."""
    selected = scene.selectedItems()
    scene.clearSelection()
    # Cached items would be drawn as pixmaps (or, into SVG, not at all):
    # paint them afresh as vectors for the export.
    cached = [(i, i.cacheMode()) for i in scene.items()
              if i.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    for item, _ in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    painter = QPainter(device)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene.render(painter, QRectF(0, 0, device.width(), device.height()), rect)
    painter.end()
    for item, mode in cached:
        item.setCacheMode(mode)
    for item in selected:
        item.setSelected(True)


def diagram_png(scene: QGraphicsScene, path: str, background: QColor) -> bool:
    rect = diagram_rect(scene)
    image = QImage((rect.size() * PNG_SCALE).toSize(), QImage.Format.Format_ARGB32)
    image.fill(background)
    render_scene(scene, image, rect)
    return image.save(path)


def diagram_svg(scene: QGraphicsScene, path: str, title: str) -> bool:
    rect = diagram_rect(scene)
    return write_svg(path, rect.size().toSize(), lambda device: render_scene(scene, device, rect), title)


def plots_png_svg(plots: dict[str, QWidget], folder: str) -> list[str]:
    """Each pyqtgraph plot as ``NAME.png`` and ``NAME.svg`` in ``folder``; the paths written."""
    written = []
    for name, widget in plots.items():
        png, svg = str(Path(folder) / f"{name}.png"), str(Path(folder) / f"{name}.svg")
        pg_exporters.ImageExporter(widget.plotItem).export(png)
        # pyqtgraph's SVGExporter fails on Qt 6.9+ path data (pyqtgraph issue
        # 3485); Qt's own SVG generator paints the same view as vectors.
        write_svg(svg, widget.size(), lambda device, w=widget: paint_widget(w, device), name)
        written += [png, svg]
    return written


def history_csv(history: History, path: str) -> None:
    """The history's rows as CSV (empty cells where a value is not finite); raises OSError."""
    cols = history.columns
    data = [history.column(c) for c in cols]
    rows = [",".join(cols)]
    for i in range(len(history)):
        rows.append(",".join("" if not np.isfinite(v[i]) else repr(float(v[i])) for v in data))
    atomic_write_text(path, "\n".join(rows) + "\n")
