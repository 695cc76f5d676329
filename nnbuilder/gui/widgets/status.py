"""The status bar's message, cut short with "…" where the bar has no room
for it (its tool tip holds it whole): Qt draws it under the bar's permanent
widgets, which hid its end mid-word (a divergence's message at 200%)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QStatusBar, QWidget

MARGIN = 6  # px, as Qt leaves before the message


class StatusMessage(QObject):
    """Paints ``bar``'s message in the room left of its permanent widgets,
    elided; sets the bar's tool tip to the message whole."""

    def __init__(self, bar: QStatusBar):
        super().__init__(bar)
        self._bar = bar
        bar.installEventFilter(self)
        bar.messageChanged.connect(lambda text: bar.setToolTip(text))  # (PySide cannot connect the bar's own slot)

    def room(self) -> QRect:
        """Where the message is drawn: up to the first permanent widget shown."""
        bar = self._bar
        right = bar.width() - MARGIN
        for child in bar.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child.isVisible() and child.width() > 0:
                right = min(right, child.x() - MARGIN)
        return QRect(MARGIN, 0, max(0, right - MARGIN), bar.height())

    def shown_text(self) -> str:
        """The message as drawn: whole, or cut short with "…" to its room."""
        return self._bar.fontMetrics().elidedText(self._bar.currentMessage(), Qt.TextElideMode.ElideRight,
                                                  self.room().width())

    def eventFilter(self, obj, event):
        if obj is self._bar and event.type() == QEvent.Type.Paint and self._bar.currentMessage():
            painter = QPainter(self._bar)
            painter.setPen(self._bar.palette().color(QPalette.ColorRole.WindowText))
            painter.drawText(self.room(), Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter |
                             Qt.TextFlag.TextSingleLine, self.shown_text())
            painter.end()
            return True
        return False
