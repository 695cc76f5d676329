"""The window's layout: the docks' first sizes in proportion to the window,
Reset layout, the toolbar break of a narrow window, the saved geometry and
state, and where the Lessons panel goes. A mixin of the main window, like
:mod:`.menus` and :mod:`.files`: it uses the window's ``docks``, ``view``,
``lessons`` and ``training_toolbar``.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from .files import settings

NARROW_WIDTH = 1280  # below this the two toolbars do not fit on one row
LAYOUT_VERSION = 2  # raised when panels are added or renamed: 2 added Learn and Loss surface


class WindowLayout:
    """Docks, sizes and saved layout of :class:`~.mainwindow.MainWindow`."""

    def _restore_settings(self) -> None:
        s = settings()
        geometry = s.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:  # 1440x900, or the screen's room if it is smaller (a 1024x700 screen)
            room = QGuiApplication.primaryScreen().availableGeometry()
            self.resize(min(1440, room.width()), min(900, room.height()))
        state = s.value("windowState")
        # A layout saved before the panels changed would hide the new ones or
        # squeeze them anywhere: such a window starts from the first layout.
        restored = state is not None and self.restoreState(state, LAYOUT_VERSION)
        self._first_layout = not restored

    def _default_layout(self) -> None:
        """First start: room for the diagram, slim panels around it, in
        proportion to the window (1440x900 and 1024x700 alike)."""
        d, W, H = self.docks, self.width(), self.height()
        side, right, bottom = max(270, W * 0.19), max(280, W * 0.26), max(240, H * 0.27)
        if W < NARROW_WIDTH:  # the plots and the panels side by side would crowd the side columns out
            self.tabifyDockWidget(d["problemsDock"], d["curvesDock"])
            d["curvesDock"].raise_()
        self.resizeDocks([d["curvesDock"]], [int(bottom)], Qt.Orientation.Vertical)
        self.resizeDocks([d["curvesDock"], d["problemsDock"]], [int((W - side) * 0.72), int((W - side) * 0.28)],
                         Qt.Orientation.Horizontal)
        # The right column shares what the bottom panels leave: the output view
        # a little more than half, the tabbed panels (Inspector, Learn, Loss
        # surface) the rest. Sizes asked beyond it made the window grow.
        self.layout().activate()
        column = d["outputDock"].height() + d["inspectorDock"].height()
        self.resizeDocks([d["outputDock"], d["inspectorDock"]], [int(column * 0.55), int(column * 0.45)],
                         Qt.Orientation.Vertical)
        self.resizeDocks([d["layersDock"], d["trainingDock"]], [130, max(200, int(H * 0.5) - 50)],
                         Qt.Orientation.Vertical)
        self.resizeDocks([d["layersDock"], d["outputDock"]], [int(side), int(right)], Qt.Orientation.Horizontal)
        QTimer.singleShot(0, self.view.fit)

    def reset_layout(self) -> None:
        """Every panel where it was at the first start, sized for the window now."""
        self.restoreState(self._initial_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.docks["lessonDock"].setVisible(self.lessons.lesson is not None)  # hidden at the first start
        self._default_layout()

    def resizeEvent(self, event):
        """A narrow window puts the training toolbar on a row of its own, so the
        counters and the loss never hide behind the overflow arrow."""
        super().resizeEvent(event)
        narrow = self.width() < NARROW_WIDTH
        if narrow != self._toolbar_break:
            self._toolbar_break = narrow
            if narrow:
                self.insertToolBarBreak(self.training_toolbar)
            else:
                self.removeToolBarBreak(self.training_toolbar)

    def _save_settings(self) -> None:
        s = settings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("windowState", self.saveState(LAYOUT_VERSION))
        s.setValue("theme", self.theme)

    def showEvent(self, event):
        super().showEvent(event)
        if not getattr(self, "_shown_once", False):
            self._shown_once = True
            if self._first_layout:  # once the toolbars have settled (a narrow window breaks them)
                QTimer.singleShot(0, self._default_layout)
            QTimer.singleShot(0, self.view.fit)

    def sizeHint(self) -> QSize:
        return QSize(1280, 800)

    def show_lessons(self) -> None:
        """Help > Lessons: the panel, with the list read again unless a lesson is on."""
        if self.lessons.lesson is None:
            self.lessons.load_list()
        dock = self.docks["lessonDock"]
        if self.width() < NARROW_WIDTH and not dock.isVisible():  # a column of its own would squeeze the diagram
            self.tabifyDockWidget(self.docks["inspectorDock"], dock)
        dock.show()
        dock.raise_()
