"""The window's docks: which panel goes where, their first sizes in proportion
to the window, Reset layout, the toolbar break of a narrow window, the saved
geometry and state, and where the Lessons panel goes.

A window that crosses ``NARROW_WIDTH`` is laid out again for its new width:
the layout of a 1024 px window kept at 1440 px (or the other way round) left
the diagram a sliver or the panels cramped.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QApplication, QDockWidget, QGraphicsView, QMainWindow, QScrollArea, QTabBar,
                               QToolBar, QWidget)

from .files import settings

NARROW_WIDTH = 1280  # below this the two toolbars do not fit on one row
LAYOUT_VERSION = 4  # raised when panels are added or renamed: 2 added Learn and Loss surface,
# 3 Weights as images and Mistakes, 4 Functions
MIN_SETTINGS_WIDTH = 200  # the Training panel's column, at the least

_L, _R, _B = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
              Qt.DockWidgetArea.BottomDockWidgetArea)
# Each dock: (object name, title, area); the widgets come by object name.
DOCKS = [("layersDock", "Layers", _L),
         ("trainingDock", "Training", _L),
         ("outputDock", "Output", _R),
         ("inspectorDock", "Inspector", _R),
         ("learnDock", "Learn", _R),
         ("surfaceDock", "Loss surface", _R),
         ("lessonDock", "Lessons", _R),
         ("curvesDock", "Loss and accuracy", _B),
         ("problemsDock", "Problems", _B),
         ("networkDock", "Network", _B),
         ("gradientsDock", "Weights and gradients", _B),
         ("weightImagesDock", "Weights as images", _B),
         ("mistakesDock", "Mistakes", _B),
         ("functionsDock", "Functions", _B)]
# Panels for some data only (images, classification): offered by the views
# that know (offer), hidden at the first start, kept as they are by Reset layout.
OFFERED = ("weightImagesDock", "mistakesDock")
# The settings scroll in a short window; so do the Inspector (an Input node's
# features took the output view's height and left it a strip), Learn and Loss
# surface (their 166 px did the same in a 700 px window). With their accessible names.
SCROLLED = {"trainingDock": "Training settings", "inspectorDock": "Inspector", "learnDock": "Learn",
            "surfaceDock": "Loss surface"}


def readable_tabs(window: QMainWindow) -> None:
    """The tabs of ``window``'s dock groups keep their whole titles: a bar
    too short for them scrolls (Qt's elide them, to "P…" and "N…" with many
    panels in the bottom row)."""
    for bar in window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if bar.elideMode() != Qt.TextElideMode.ElideNone or not bar.usesScrollButtons():
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)


def tab_bar_of(window: QMainWindow, dock: QDockWidget) -> QTabBar | None:
    """The tab bar of the tab group ``dock`` is in (None: not tabbed)."""
    for bar in window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if bar.isVisible() and any(bar.tabText(i) == dock.windowTitle() for i in range(bar.count())):
            return bar
    return None


RIGHT_TABBED = ("inspectorDock", "learnDock", "surfaceDock")  # the right column's tab group


def right_panels_width(docks: dict[str, QDockWidget]) -> int:
    """The width the right column's tabbed panels need to show their
    controls whole, their scroll bar beside them (the Learn panel's row of
    radio buttons was clipped at 250 px)."""
    need = 0
    for name in RIGHT_TABBED:
        scroll = docks[name].widget()
        need = max(need, scroll.widget().minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
    return need + 4


class _TabBarWatch(QObject):
    """Makes each tab bar Qt adds to the window (when docks are tabbed, a
    layout restored) readable once it is set up (see :func:`readable_tabs`)."""

    def eventFilter(self, obj, event):
        if event.type() in (QEvent.Type.ChildPolished, QEvent.Type.LayoutRequest):
            readable_tabs(obj)
        return False


class _FocusFollower(QObject):
    """Raises the dock the keyboard's focus moves into when it lies behind
    another tab: Tab walked through the Learn panel, the loss surface and the
    gradient plots while they were hidden, the focus out of sight."""

    def __init__(self, window: QMainWindow, docks: dict[str, QDockWidget]):
        super().__init__(window)
        self._window, self._docks = window, docks
        QApplication.instance().focusChanged.connect(self.moved)

    @Slot(QWidget, QWidget)
    def moved(self, _old, new) -> None:
        widget = new
        while widget is not None and not isinstance(widget, QDockWidget):
            widget = widget.parentWidget()
        if widget is not None and widget in self._docks.values() and self._window.tabifiedDockWidgets(widget):
            widget.raise_()


class WindowLayout:
    """The docks of ``window`` around its central ``view``; ``panels`` maps
    each dock's object name to its widget."""

    def __init__(self, window: QMainWindow, view: QGraphicsView, panels: dict[str, QWidget]):
        self._window, self._view = window, view
        self.docks: dict[str, QDockWidget] = {}
        scrolled = {}  # panels that scroll when the window is short, rather than squeeze their neighbours
        for name, accessible in SCROLLED.items():
            scrolled[name] = scroll = QScrollArea()
            scroll.setAccessibleName(accessible)
            scroll.setWidget(panels[name])
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab stops at its controls, not at it unseen
            if name != "trainingDock":  # three lines at the least (a scroll area's own least, 68 px, took
                # the curves' room in a 700 px window when the Output view showed Iris's axis pickers)
                scroll.setMinimumHeight(3 * scroll.fontMetrics().lineSpacing())
        training_scroll = scrolled["trainingDock"]
        for name, title, area in DOCKS:
            dock = QDockWidget(title, window)
            dock.setObjectName(name)
            dock.setWidget(scrolled.get(name) or panels[name])
            window.addDockWidget(area, dock)
            self.docks[name] = dock
        d = self.docks
        # The left column runs the full height (the Training settings keep their
        # room in a short window); the plots run under the diagram and the output view.
        window.setCorner(Qt.Corner.BottomLeftCorner, _L)
        window.setCorner(Qt.Corner.BottomRightCorner, _B)
        window.tabifyDockWidget(d["inspectorDock"], d["learnDock"])
        window.tabifyDockWidget(d["learnDock"], d["surfaceDock"])
        d["inspectorDock"].raise_()
        # The Functions view shares the wide bottom-left room with the loss curves (shown while training).
        window.tabifyDockWidget(d["curvesDock"], d["functionsDock"])
        d["curvesDock"].raise_()
        window.tabifyDockWidget(d["problemsDock"], d["networkDock"])
        window.tabifyDockWidget(d["networkDock"], d["gradientsDock"])
        for name in OFFERED:  # in the wide group: beside the three narrow ones their titles were cut to "P…", "N…"
            window.tabifyDockWidget(d["functionsDock"], d[name])
            d[name].hide()
        d["curvesDock"].raise_()
        d["networkDock"].raise_()
        self._offered: dict[str, bool] = {}
        # Lessons: a column of their own, right of the others, shown by Help > Lessons.
        window.addDockWidget(_R, d["lessonDock"], Qt.Orientation.Horizontal)
        d["lessonDock"].hide()
        # The settings never collapse to a sliver (a saved layout once left them 60 px wide).
        training_scroll.setMinimumWidth(MIN_SETTINGS_WIDTH)
        self._initial_state = window.saveState(LAYOUT_VERSION)  # what View > Panels > Reset layout returns to
        self._first_layout = True
        self._shown_once = False
        self._toolbar: QToolBar | None = None
        self._narrow: bool | None = None  # the width class the docks were laid out for
        self._held = False  # presentation mode lays the docks out (see hold)
        self._tab_watch = _TabBarWatch(window)
        self._focus_follower = _FocusFollower(window, self.docks)
        window.installEventFilter(self._tab_watch)
        readable_tabs(window)

    def restore(self) -> None:
        """The geometry and docks saved at the last close, if they still fit."""
        w, s = self._window, settings()
        # The docks were first added side by side: the minimum size they set
        # (1148x776) held until the layout ran again, and a 1280x720 screen
        # (1920x1080 under QT_SCALE_FACTOR=1.5) got a window taller than itself.
        w.layout().activate()
        geometry = s.value("geometry")
        room = QGuiApplication.primaryScreen().availableGeometry()
        # The screen's room when it was saved: a smaller one now (another screen,
        # or QT_SCALE_FACTOR=1.5) would squeeze the saved layout until panels overlap.
        saved_room = s.value("screenRoom")
        fits = not (isinstance(saved_room, (list, tuple)) and len(saved_room) == 2) or (
            room.width() >= int(saved_room[0]) and room.height() >= int(saved_room[1]))
        if geometry is not None and fits:
            w.restoreGeometry(geometry)
        else:  # 1440x900, or the screen's room if it is smaller (a 1024x700 screen)
            w.resize(min(1440, room.width()), min(900, room.height()))
        state = s.value("windowState")
        # A layout saved before the panels changed would hide the new ones or
        # squeeze them anywhere, one saved for a larger screen (a start under
        # QT_SCALE_FACTOR=1.5) would overlap them: such a window starts from the first layout.
        restored = state is not None and fits and w.restoreState(state, LAYOUT_VERSION)
        self._first_layout = not restored
        if restored:
            self._narrow = w.width() < NARROW_WIDTH

    @property
    def first_layout(self) -> bool:
        """True when the first show lays the docks out (nothing saved fit)."""
        return self._first_layout

    def save(self) -> None:
        s = settings()
        s.setValue("geometry", self._window.saveGeometry())
        room = QGuiApplication.primaryScreen().availableGeometry()
        s.setValue("screenRoom", [room.width(), room.height()])
        s.setValue("windowState", self._window.saveState(LAYOUT_VERSION))

    def default_layout(self) -> None:
        """First start: room for the diagram, slim panels around it, in
        proportion to the window (1440x900 and 1024x700 alike)."""
        w, d = self._window, self.docks
        W, H = w.width(), w.height()
        narrow = W < NARROW_WIDTH
        side, right, bottom = max(270, W * 0.19), max(280, W * 0.26, right_panels_width(d)), max(280, H * 0.33)
        if narrow:  # the plots and the panels side by side would crowd the side columns out
            w.tabifyDockWidget(d["problemsDock"], d["curvesDock"])
            w.tabifyDockWidget(d["curvesDock"], d["functionsDock"])
            d["curvesDock"].raise_()
            # Under the output view the Inspector had 58 px (a 700 px window): it and Learn
            # share the settings' tab group, the Loss surface the output view's.
            w.tabifyDockWidget(d["trainingDock"], d["inspectorDock"])
            w.tabifyDockWidget(d["inspectorDock"], d["learnDock"])
            w.tabifyDockWidget(d["outputDock"], d["surfaceDock"])
            lesson = d["lessonDock"]  # a lesson on stays in front of the settings
            (lesson if lesson.isVisible() and not lesson.isFloating() else d["trainingDock"]).raise_()
            d["outputDock"].raise_()
            side = max(side, right_panels_width(d))
        w.resizeDocks([d["curvesDock"]], [int(bottom)], Qt.Orientation.Vertical)
        w.resizeDocks([d["curvesDock"], d["problemsDock"]], [int((W - side) * 0.72), int((W - side) * 0.28)],
                      Qt.Orientation.Horizontal)
        # The right column shares what the bottom panels leave: the output view
        # a little more than half, the tabbed panels (Inspector, Learn, Loss
        # surface) the rest. Sizes asked beyond it made the window grow.
        w.layout().activate()
        if not narrow:
            column = d["outputDock"].height() + d["inspectorDock"].height()
            w.resizeDocks([d["outputDock"], d["inspectorDock"]], [int(column * 0.58), int(column * 0.42)],
                          Qt.Orientation.Vertical)
        w.resizeDocks([d["layersDock"], d["trainingDock"]], [130, max(200, int(H * 0.5) - 50)],
                      Qt.Orientation.Vertical)
        w.resizeDocks([d["layersDock"], d["outputDock"]], [int(side), int(right)], Qt.Orientation.Horizontal)
        if not narrow:  # the Problems group at least as wide as its tabs' titles (at 1280 px they scrolled;
            self._widen_problems()  # at 1440 px, sized before the side columns settled, too)
        self._narrow = narrow
        QTimer.singleShot(0, self._view.fit)

    def _widen_problems(self) -> None:
        """The Problems group (beside the curves) as wide as its tabs' titles."""
        w, d = self._window, self.docks
        w.layout().activate()
        bar = tab_bar_of(w, d["problemsDock"])
        if bar is None:
            return
        shown = next((dock for dock in [d["problemsDock"], *w.tabifiedDockWidgets(d["problemsDock"])]
                      if dock.windowTitle() == bar.tabText(bar.currentIndex())), None)
        need = bar.sizeHint().width() + 8
        if shown is not None and need > shown.width():
            both = d["curvesDock"].width() + shown.width()
            w.resizeDocks([d["curvesDock"], shown], [both - need, need], Qt.Orientation.Horizontal)

    def reset(self, lessons_shown: bool) -> None:
        """Every panel where it was at the first start, sized for the window now
        (the Lessons panel only while a lesson is on)."""
        size = self._window.size()
        shown = {name: self.docks[name].isVisible() for name in OFFERED}
        self._window.restoreState(self._initial_state, LAYOUT_VERSION)  # (it has no toolbar break)
        for name, dock in self.docks.items():
            dock.setFloating(False)
            dock.setVisible(shown.get(name, True))
        self.docks["lessonDock"].hide()
        self._break_toolbar()
        if lessons_shown:
            self.show_lesson_dock()
        self.default_layout()
        if self._window.size() != size:  # the first layout's dock sizes, for a moment, grew the window
            QTimer.singleShot(0, lambda: self._window.resize(size))

    def shown(self) -> None:
        """The window is shown: the first time, lay the docks out (once the
        toolbars have settled: a narrow window breaks them) and fit the diagram."""
        if self._shown_once:
            return
        self._shown_once = True
        if self._first_layout:
            QTimer.singleShot(0, self.default_layout)
        QTimer.singleShot(0, self._view.fit)

    def resized(self, toolbar: QToolBar) -> None:
        """A narrow window puts ``toolbar`` on a row of its own, so the
        counters and the loss never hide behind the overflow arrow; a window
        laid out for the other side of ``NARROW_WIDTH`` is laid out again
        (unless presentation mode holds the layout)."""
        self._toolbar = toolbar
        self._break_toolbar()
        if self._held or self._window.isFullScreen():  # presentation mode lays the docks out by its own
            return  # rules (a Reset queued by the jump from 1024 or 1280 px to the screen's width undid them)
        narrow = self._window.width() < NARROW_WIDTH
        if self._shown_once and self._narrow is not None and narrow != self._narrow:
            self._narrow = narrow
            # Once the resize is done (a drag sends many): the docks for the new width.
            QTimer.singleShot(0, lambda: self.reset(self.docks["lessonDock"].isVisible()))
        elif self._shown_once and self._narrow is False:  # a wide window shrunk: the Problems
            QTimer.singleShot(0, self._widen_problems)  # group's titles stay whole (1600 -> 1440 px cut them)

    def hold(self, held: bool) -> None:
        """While ``held`` (presentation mode on) a resize lays nothing out again:
        the window's full-screen state is not to be trusted (under X without a
        window manager Qt reports it off at once, and the jump from a saved
        1280 px window to a 1920 px screen reset the docks presentation had arranged)."""
        self._held = held

    def _break_toolbar(self) -> None:
        w, toolbar = self._window, self._toolbar
        if toolbar is None:
            return
        narrow = w.width() < NARROW_WIDTH
        if narrow != w.toolBarBreak(toolbar):
            if narrow:
                w.insertToolBarBreak(toolbar)
            else:
                w.removeToolBarBreak(toolbar)

    def offer(self, name: str, offered: bool, show: bool = False) -> None:
        """Offer dock ``name`` (of OFFERED) in View > Panels, or withdraw it (and
        hide it); ``show`` brings it into view, once: a dock the person
        closed stays closed until the data stops asking for it and asks again."""
        dock, was = self.docks[name], self._offered.get(name, False)
        self._offered[name] = offered and show
        dock.toggleViewAction().setEnabled(offered)
        if not offered:
            dock.hide()
        elif show and not was:
            dock.show()

    def layer_selected(self) -> None:
        """A layer was selected: where the Inspector shares the settings' tab
        group (a narrow window), it comes up in place of the settings; while
        presenting (see hold) in place of any panel but Learn's and the loss
        surface's (at 1280x720 it shares the Output view's group, the Network
        panel in front, and a selected layer showed nothing)."""
        d, w = self.docks, self._window
        inspector = d["inspectorDock"]
        bar = tab_bar_of(w, inspector)
        if bar is None or not w.tabifiedDockWidgets(inspector):
            return
        front = next((dock for dock in w.tabifiedDockWidgets(inspector)
                      if dock.windowTitle() == bar.tabText(bar.currentIndex())), None)
        if front is None:
            return
        if front is d["trainingDock"] or (self._held and front.objectName() not in RIGHT_TABBED):
            inspector.raise_()

    def show_lesson_dock(self) -> None:
        dock = self.docks["lessonDock"]
        # A column of its own would squeeze the diagram, and the short right
        # column has no room for the text: a narrow window tabs it with the settings.
        if self._window.width() < NARROW_WIDTH and not dock.isVisible():
            self._window.tabifyDockWidget(self.docks["trainingDock"], dock)
        dock.show()
        dock.raise_()
