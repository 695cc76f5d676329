"""The diagram view: zoom, pan, drops from the layer palette, and the keys
that move over the diagram while it has the focus (:mod:`.keyboard`), with a
focus ring around the item they are on."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import QGraphicsView, QWidget

from ..data.importer import DATA_SUFFIXES
from .palette import LAYER_MIME
from .scene import NetworkScene

MIN_ZOOM, MAX_ZOOM = 0.15, 4.0
# Fit zooms out no further than this on screen: the layers' titles (9.5 pt,
# 12.7 px at 96 dpi) stay 8 px tall; a wider network scrolls (at 1024x700
# the example's text was 5 px tall).
MIN_FIT_SCALE = 0.65
FIT_CAP = 1.25  # Fit's largest zoom (times the UI scale)
FIT_MARGIN = 12  # px of room Fit leaves around the network (40 scene units took 100 px at 250%)


class NetworkView(QGraphicsView):
    """Shows a :class:`NetworkScene`. Ctrl+wheel zooms, middle-drag pans,
    a palette entry dropped here becomes a node where it is dropped; Tab,
    the arrows, Enter and C work on the selection (``scene.keys``)."""

    fileDropped = Signal(str)

    def __init__(self, scene: NetworkScene, parent=None):
        super().__init__(scene, parent)
        self.setObjectName("networkView")
        self.setAccessibleName("Network diagram")
        self.setAccessibleDescription("Tab and the arrow keys move over the layers and connections")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        scene.statusMessage.connect(self._describe)
        scene.selectionChanged.connect(lambda: self.viewport().update())  # the ring is on a selected item
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        # Repaint only what changed: live frames touch small, scattered areas.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setAcceptDrops(True)
        self._pan_from: QPointF | None = None
        self._ui_scale = 1.0
        self.setSceneRect(-5000, -5000, 10000, 10000)

    # ----------------------------------------------------------------- zoom
    def zoom(self) -> float:
        """The zoom the person chose: 1 is Actual Size at the UI scale."""
        return self.transform().m11() / self._ui_scale

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        f = target / self.zoom()
        self.scale(f, f)

    def reset_zoom(self) -> None:
        self.resetTransform()
        self.scale(self._ui_scale, self._ui_scale)

    def set_ui_scale(self, scale: float) -> None:
        """Draw the whole diagram ``scale`` times larger (presentation mode's
        UI scale: its text, neurons and lines together, so the layout holds)."""
        f = scale / self._ui_scale
        self._ui_scale = scale
        self.scale(f, f)

    def fit(self) -> None:
        """The whole network in view, as large as the room lets it be up to
        FIT_CAP times Actual Size at the UI scale (a small network stays at a
        readable size; presenting at 200%, twice that)."""
        scene = self.scene()
        rect = scene.itemsBoundingRect() if scene.items() else None
        if rect is None or rect.isEmpty():
            self.reset_zoom()
            self.centerOn(0, 0)
            return
        room = self.viewport().rect().adjusted(FIT_MARGIN, FIT_MARGIN, -FIT_MARGIN, -FIT_MARGIN)
        scale = min(room.width() / max(rect.width(), 1.0), room.height() / max(rect.height(), 1.0))
        # (no smaller than Zoom out goes: a room of a few pixels made the neurons' thumbnails fail)
        # A large network stays readable and scrolls; presenting, the class sees it
        # whole (F10 gives it the screen).
        floor = MIN_FIT_SCALE if self._ui_scale <= 1 else MIN_ZOOM * self._ui_scale
        scale = max(floor, min(scale, FIT_CAP * self._ui_scale))
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(rect.center())

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

    # ------------------------------------------------------------- keyboard
    def _describe(self, text: str) -> None:
        """What the keyboard is on, for a screen reader as for the status bar."""
        if self.hasFocus():
            self.setAccessibleDescription(text)

    def _show_current(self) -> None:
        """The keyboard's item in sight: the layer or line it is on, or the
        target a keyboard connection proposes (it was off screen at 1024x700)."""
        keys = self.scene().keys
        item = keys.link_target() if keys.linking() else keys.current
        if item is not None and item.scene() is self.scene():
            self.ensureVisible(item, 30, 30)
        self.viewport().update()  # the focus ring, where it was and where it is

    def focus_item(self):
        """The layer or connection the keyboard is on while the diagram has
        the focus (it is selected), else None."""
        scene = self.scene()
        item = scene.keys.current
        if not self.hasFocus() or item is None or item.scene() is not scene or not item.isSelected():
            return None
        return item

    def drawForeground(self, painter, rect):
        """The focus ring: a dashed outline in the text colour around the
        item the keyboard is on (a selection is a solid border in the
        highlight colour), as wide on the screen at any zoom."""
        super().drawForeground(painter, rect)
        item = self.focus_item()
        if item is None:
            return
        pen = QPen(QGuiApplication.palette().color(QPalette.ColorRole.Text), 2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.save()
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(item.focus_rect(), 10, 10)
        painter.restore()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002 (Qt's name)
        """Tab and Shift+Tab step through the diagram before they leave it."""
        if self.hasFocus() and self.scene().document is not None and self.scene().keys.tab(next):
            self._show_current()
            return True
        return super().focusNextPrevChild(next)

    def focusInEvent(self, event):
        super().focusInEvent(event)
        self.viewport().update()  # the focus ring shows
        if self.scene().document is not None and event.reason() in (
                Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason):
            self.scene().keys.enter_focus(event.reason() == Qt.FocusReason.TabFocusReason)
            self._show_current()

    def focusOutEvent(self, event):
        keys = self.scene().keys
        if keys.linking() and event.reason() != Qt.FocusReason.PopupFocusReason:
            keys.cancel_link()  # a connection is made here or not at all
        super().focusOutEvent(event)
        self.viewport().update()  # the focus ring goes

    def start_connection(self) -> None:
        """Edit > Connect (C): from the selected layer, the target chosen by key."""
        if self.scene().document is not None:
            self.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.scene().keys.start_link()

    def keyPressEvent(self, event):
        if event.key() == Qt.Key.Key_Tab and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            # Ctrl+Tab (Ctrl+Shift+Tab): straight out of the diagram, as from a text box.
            QWidget.focusNextPrevChild(self, not event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            return
        if event.key() == Qt.Key.Key_Backtab and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            QWidget.focusNextPrevChild(self, False)
            return
        scene = self.scene()
        if scene.document is not None and scene.keys.key(event.key(), event.modifiers()):
            self._show_current()
            event.accept()
            return
        super().keyPressEvent(event)

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
                at = scene.document.free_position_at(node_type, (pos.x() - 75, pos.y() - 23))
                nid = scene.document.add_node(node_type, at)
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
