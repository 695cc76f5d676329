"""The diagram view: zoom, pan, and drops from the layer palette."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView

from ..data.importer import DATA_SUFFIXES
from .palette import LAYER_MIME
from .scene import NetworkScene

MIN_ZOOM, MAX_ZOOM = 0.15, 4.0


class NetworkView(QGraphicsView):
    """Shows a :class:`NetworkScene`. Ctrl+wheel zooms, middle-drag pans,
    a palette entry dropped here becomes a node where it is dropped."""

    fileDropped = Signal(str)

    def __init__(self, scene: NetworkScene, parent=None):
        super().__init__(scene, parent)
        self.setObjectName("networkView")
        self.setAccessibleName("Network diagram")
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        # Repaint only what changed: live frames touch small, scattered areas.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setAcceptDrops(True)
        self._pan_from: QPointF | None = None
        self.setSceneRect(-5000, -5000, 10000, 10000)

    # ----------------------------------------------------------------- zoom
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        f = target / self.zoom()
        self.scale(f, f)

    def reset_zoom(self) -> None:
        self.resetTransform()

    def fit(self) -> None:
        scene = self.scene()
        items = scene.itemsBoundingRect() if scene.items() else None
        if items is None or items.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        self.fitInView(items.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.25:  # a small network stays at a readable size
            self.zoom_by(1.25 / self.zoom())
        self.centerOn(items.center())

    def wheelEvent(self, event):
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.0015 ** event.angleDelta().y())
            event.accept()
            return
        super().wheelEvent(event)

    # ------------------------------------------------------------------ pan
    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # ---------------------------------------------------------------- drops
    @staticmethod
    def model_files(mime) -> list[str]:
        """Local files a drop carries that the window opens: models and data tables."""
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and
                u.toLocalFile().lower().endswith((".json", *DATA_SUFFIXES))]

    def dragEnterEvent(self, event):
        mime = event.mimeData()
        if mime.hasFormat(LAYER_MIME):
            # A palette entry is copied, whatever action the drag proposes.
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        elif self.model_files(mime):
            event.acceptProposedAction()
        else:
            event.ignore()

    # QGraphicsView rejects moves over places no item accepts; the view itself
    # takes layers and files anywhere, by the same rule as on entering.
    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event):
        mime = event.mimeData()
        if mime.hasFormat(LAYER_MIME):
            node_type = bytes(mime.data(LAYER_MIME)).decode()
            pos = self.mapToScene(event.position().toPoint())
            scene = self.scene()
            if scene.document is not None:
                nid = scene.document.add_node(node_type, (round(pos.x()) - 75, round(pos.y()) - 23))
                scene.clearSelection()
                scene.node_items[nid].setSelected(True)
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            return
        files = self.model_files(mime)
        if files:
            event.acceptProposedAction()
            self.fileDropped.emit(files[0])
            return
        event.ignore()
