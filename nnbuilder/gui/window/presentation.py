"""Presentation mode (View > Presentation, F11): the window full screen, every
font at the presentation scale (100-250%, remembered in the settings: a view
setting, not an edit of the document), the diagram drawn as much larger, the
training counters larger still; and View > Hide panels (F10), which hides
every panel but the Output view, then brings back the same ones.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QToolBar, QToolButton, QWidget

from ..diagram.view import NetworkView
from ..widgets.scale import SCALES, relative_font, set_ui_scale, ui_scale
from .files import settings
from .window_layout import right_panels_width, tab_bar_of

KEPT = ("outputDock",)  # what Hide panels leaves beside the diagram
COUNTER_FACTOR = 1.3  # the counters' text, times the (scaled) application font
DEFAULT_SCALE = 1.5
NARROW_ROOM = 1000  # screen width over the scale below which the curves take the bottom row alone
PALETTE_ROWS = 4  # lines of text the layer palette keeps on a narrow screen (it scrolls)
SHORT_ROOM = 450  # screen height over the scale below which the Learn panel's group joins the bottom row's
SHORT_SHARE = 0.475  # of a short screen's height, for the bottom row (the Learn panel's text)
OUTPUT_SHARE = 0.45  # of the full-height right column, for the Output view (the Learn panel's group the rest)
RIGHT_SHARE_SHORT = 0.42  # the same on a short screen, where its group has the Network and Problems panels too
LEFT_SHARE = 0.25  # the most of the screen's width the left column takes for the Training panel's values
RIGHT_SHARE = 0.4  # the most of the screen's width the Output view's column takes for its tabs' titles


def saved_scale() -> float:
    """The presentation scale the settings hold (one of SCALES)."""
    try:
        value = float(settings().value("presentationScale", DEFAULT_SCALE))
    except (TypeError, ValueError):
        return DEFAULT_SCALE
    return value if value in SCALES else DEFAULT_SCALE


class Presentation(QObject):
    """Presentation mode for ``window``: ``restyle()`` redraws the plots in
    the new fonts, ``counters`` are the toolbar's labels that grow; the file
    toolbar makes room for them (its actions stay in the menus and on their keys)."""

    changed = Signal(bool)  # on or off
    panelsHidden = Signal(bool)
    laidOut = Signal()  # the panels were laid out for presentation mode (once its new fonts had sized them)

    def __init__(self, window: QMainWindow, docks: dict[str, QDockWidget], view: NetworkView,
                 counters: list[QLabel], rate: QLabel, speed: QWidget, file_toolbar: QToolBar, restyle: Callable[[], None],
                 spare: list[QWidget] = (), parent: QObject | None = None):
        super().__init__(parent)
        self._window, self._docks, self._view, self._file_toolbar = window, docks, view, file_toolbar
        self._toolbar_shown = True
        self._counters, self._rate, self._speed, self._restyle = counters, rate, speed, restyle
        self._spare = list(spare)  # rows a narrow screen gives to the plots while presenting (the timeline)
        self.on = False
        self.scale = saved_scale()
        self._state_before = Qt.WindowState.WindowNoState
        self._docks_before = QByteArray()
        self._corner_before = Qt.DockWidgetArea.BottomDockWidgetArea
        self._hidden: list[str] = []  # the panels Hide panels hid, in order
        self._raised: list[str] = []  # those of them that were their tab group's front tab
        self._narrow = False  # laid out for a screen too narrow for the larger panels side by side
        self._palette_least = docks["layersDock"].widget().minimumHeight()  # its everyday least
        docks["lessonDock"].visibilityChanged.connect(self._lessons_shown)

    # ------------------------------------------------------------ the mode
    def toggle(self) -> None:
        self.set_on(not self.on)

    def set_on(self, on: bool) -> None:
        if on == self.on:
            return
        self.on = on
        w = self._window
        if on:
            self._state_before = w.windowState() & ~Qt.WindowState.WindowFullScreen
            self._docks_before = w.saveState()
            self._corner_before = w.corner(Qt.Corner.BottomRightCorner)  # (saveState does not keep it)
            w.setWindowState(w.windowState() | Qt.WindowState.WindowFullScreen)
            self._toolbar_shown = not self._file_toolbar.isHidden()
            self._file_toolbar.hide()
        else:
            w.setWindowState(self._state_before)
            self._file_toolbar.setVisible(self._toolbar_shown)
        self._apply(self.scale if on else 1.0)
        if on:  # once the new fonts have sized the panels
            QTimer.singleShot(0, self._make_room)
        else:  # the panels as they were before (a tab group _make_room made comes apart)
            self._narrow = False
            self._docks["layersDock"].widget().setMinimumHeight(self._palette_least)
            w.setCorner(Qt.Corner.BottomRightCorner, self._corner_before)
            w.restoreState(self._docks_before)
        self.changed.emit(on)

    def _make_room(self) -> None:
        """Larger fonts make larger panels. Where the curves and the Network
        panel no longer fit side by side (1280x720 and 1920x1080 at 200%),
        they share a tab group, the Lessons join the Training panel's and the
        layer palette keeps a few lines; the Learn panel leaves the Output
        view's group, so a picked point shows its chain rule beside the Output
        view, not over it: under it on a tall enough screen (1920x1080, the
        right column the full height, with the Inspector and the loss surface),
        else in the wide bottom row with the loss surface (1280x720; the
        Network and Problems panels join the Output view's group for room in
        the bottom row's tab bar). Where the panels merely do not fit the
        screen's height, the Inspector's group joins the Output view's. No
        panel overlaps another; the bottom row takes about 45% of the height."""
        w, d = self._window, self._docks
        if not self.on:
            return
        room = w.screen().geometry() if w.screen() is not None else w.geometry()
        w.layout().activate()
        narrow = self._narrow = room.width() / self.scale < NARROW_ROOM
        short = room.height() / self.scale < SHORT_ROOM
        if narrow:
            if d["lessonDock"].isVisible() and not d["lessonDock"].isFloating():
                w.tabifyDockWidget(d["trainingDock"], d["lessonDock"])
                d["lessonDock"].raise_()
            w.resizeDocks([d["layersDock"]], [self._palette_height()], Qt.Orientation.Vertical)
            w.tabifyDockWidget(d["problemsDock"], d["curvesDock"])  # the plots beside the Network panel: too narrow
            w.tabifyDockWidget(d["curvesDock"], d["functionsDock"])  # it shares the curves' group
            learn_front = self._learn_front()
            if short:  # (in one column with the Output view, each kept 30-100 px)
                for group, name in (("outputDock", "inspectorDock"), ("outputDock", "networkDock"),
                                    ("outputDock", "problemsDock"), ("functionsDock", "learnDock"),
                                    ("learnDock", "surfaceDock")):
                    if not d[name].isFloating() and d[group].isVisible():
                        w.tabifyDockWidget(d[group], d[name])
                d["outputDock"].raise_()
            elif d["outputDock"].isVisible() and not d["outputDock"].isFloating():  # a column the full height
                w.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
                w.splitDockWidget(d["outputDock"], d["learnDock"], Qt.Orientation.Vertical)
                for name in ("inspectorDock", "surfaceDock"):
                    if not d[name].isFloating():
                        w.tabifyDockWidget(d["learnDock"], d[name])
                (d["learnDock"] if learn_front else d["inspectorDock"]).raise_()
            d["curvesDock"].raise_()
            if short and learn_front:
                d["learnDock"].raise_()
        elif w.minimumSizeHint().height() > room.height() and d["outputDock"].isVisible():
            for name in ("inspectorDock", "learnDock", "surfaceDock"):
                if d[name].isVisible() and not d[name].isFloating():
                    w.tabifyDockWidget(d["outputDock"], d[name])
            d["outputDock"].raise_()
        w.layout().activate()
        w.setGeometry(room)  # full screen again: the larger panels had grown the window
        bottom = d["learnDock"] if narrow and short else d["curvesDock"]  # (the Learn panel in the bottom row)
        w.resizeDocks([bottom], [int(room.height() * (SHORT_SHARE if narrow and short else 0.45))],
                      Qt.Orientation.Vertical)
        w.layout().activate()
        if d["learnDock"] in w.tabifiedDockWidgets(d["curvesDock"]):
            pass  # the Output view alone in its column
        elif d["inspectorDock"] not in w.tabifiedDockWidgets(d["outputDock"]):
            column = d["outputDock"].height() + d["learnDock"].height()
            share = OUTPUT_SHARE if narrow else 0.62  # the Output view the larger beside the curves
            w.resizeDocks([d["outputDock"], d["learnDock"]], [int(column * share), int(column * (1 - share))],
                          Qt.Orientation.Vertical)
            w.layout().activate()
        QTimer.singleShot(0, lambda: self._widen_right(narrow, room.width()))  # once its new tab bar has its font

    def _palette_height(self) -> int:
        """The layer palette's dock as tall as its rows of entries at its width
        (at most PALETTE_ROWS lines; it scrolls), no taller: at 1920x1080 it was a
        440x540 px box of one row."""
        dock = self._docks["layersDock"]
        palette = dock.widget()
        grid = palette.gridSize()
        per_row = max(1, palette.viewport().width() // max(1, grid.width()))
        rows = -(-palette.count() // per_row)
        content = rows * grid.height() + 2 * palette.frameWidth() + 4
        palette.setMinimumHeight(min(self._palette_least, content))  # (its two rows' least: one row here)
        title = dock.height() - palette.height()
        return min(max(PALETTE_ROWS * self._window.fontMetrics().lineSpacing(), palette.minimumHeight()),
                   content) + max(0, title)

    def _lessons_shown(self, shown: bool) -> None:
        """Lessons opened while presenting on a narrow screen: in the Training
        panel's tab group (a column of their own grew the window past the screen)."""
        d = self._docks
        if shown and self.on and self._narrow and not d["lessonDock"].isFloating() \
                and d["lessonDock"] not in self._window.tabifiedDockWidgets(d["trainingDock"]):
            self._window.tabifyDockWidget(d["trainingDock"], d["lessonDock"])
            d["lessonDock"].raise_()
            self._window.layout().activate()  # (the palette grew with the column's new group)
            self._window.resizeDocks([d["layersDock"]], [self._palette_height()], Qt.Orientation.Vertical)
            room = self._window.screen().geometry().width() if self._window.screen() else self._window.width()
            # (the column they had went to the Output view's: back to the diagram)
            QTimer.singleShot(0, lambda: self._widen_right(True, room))

    def _learn_front(self) -> bool:
        """The Learn panel was its tab group's front tab."""
        return not self._docks["learnDock"].visibleRegion().isEmpty()

    def _widen_right(self, narrow: bool, width: int) -> None:
        """The right column as wide as its tabs' titles and its panels'
        controls (Learn's, the loss surface's), if the diagram can spare it,
        and no wider (the diagram's room)."""
        w, d = self._window, self._docks
        if not self.on:
            return
        bar = tab_bar_of(w, d["outputDock"])
        need = max(bar.sizeHint().width() + 4 if bar is not None else 0, right_panels_width(d))
        if narrow and need != d["outputDock"].width():  # (wider than it needs: the diagram's room)
            share = RIGHT_SHARE_SHORT if d["problemsDock"] in w.tabifiedDockWidgets(d["outputDock"]) else RIGHT_SHARE
            w.resizeDocks([d["outputDock"]], [min(need, int(width * share))], Qt.Orientation.Horizontal)
            w.layout().activate()
        if narrow and d["learnDock"] not in w.tabifiedDockWidgets(d["curvesDock"]):
            # the Training panel's values whole ("0.0300", "no limit" were cut) where the screen is tall
            # enough for the bottom row to spare it (at 1280x720 its plots need the width)
            scroll = d["trainingDock"].widget()
            need = scroll.widget().minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4
            if need > d["trainingDock"].width():
                w.resizeDocks([d["trainingDock"]], [min(need, int(width * LEFT_SHARE))], Qt.Orientation.Horizontal)
                w.layout().activate()
        QTimer.singleShot(0, self._view.fit)
        self.laidOut.emit()

    def set_scale(self, scale: float) -> None:
        """The presentation's scale from now on (remembered); shown at once if on."""
        self.scale = scale
        settings().setValue("presentationScale", scale)
        if self.on:
            self._apply(scale)

    def _apply(self, scale: float) -> None:
        if scale == ui_scale():
            return
        set_ui_scale(scale)
        self._view.set_ui_scale(scale)
        room = self._window.screen().geometry().width() if self._window.screen() else self._window.width()
        narrow = room / scale < NARROW_ROOM
        bar = self._rate.parentWidget()  # a widget in a tool bar shows and hides by its action
        for action in bar.actions() if isinstance(bar, QToolBar) else []:
            # room for the counters that matter (the loss last): steps/s goes, and on a narrow
            # bar the speed and the buttons' words (their icons and tool tips stay)
            widget = bar.widgetForAction(action)
            if widget is self._rate or (narrow and widget is self._speed):
                action.setVisible(not self.on)
            elif isinstance(widget, QToolButton):
                widget.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if self.on and narrow
                                          else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for widget in self._spare:  # (their own state: shown again on leaving)
            widget.setVisible(not (self.on and narrow))
        for dock in self._docks.values():
            # Qt draws a dock's title in the font the dock was made with while the dock's font is the
            # application's ("Layers" stayed at 9 pt at 200%): presenting, a font of its own, the same size
            if self.on:
                font = QFont(QApplication.font())
                font.setStyleStrategy(QFont.StyleStrategy.PreferQuality)
                dock.setFont(font)
            else:
                dock.setFont(QFont())  # (the application's again)
        factor = 1.0 if narrow else COUNTER_FACTOR
        for label in self._counters:
            if self.on:
                relative_font(label, factor, bold=True)
            else:
                relative_font(label)
        self._restyle()
        QTimer.singleShot(0, self._view.fit)  # the diagram's room changed with the panels' fonts

    # ----------------------------------------------------------- the panels
    @property
    def panels_hidden(self) -> bool:
        return bool(self._hidden)

    def toggle_panels(self) -> None:
        """Hide every open panel but the Output view; again: bring back the same ones."""
        if self._hidden:
            self.restore_panels()
            return
        names = [n for n, d in self._docks.items() if n not in KEPT and d.isVisible()]
        self._raised = [n for n in names if not self._docks[n].visibleRegion().isEmpty()]
        self._hidden = names
        for n in names:
            self._docks[n].hide()
        self.panelsHidden.emit(True)
        self._window.layout().activate()  # the diagram's new room, before it fits in it
        QTimer.singleShot(0, self._view.fit)

    def restore_panels(self) -> None:
        names, raised = self._hidden, self._raised
        self._hidden, self._raised = [], []
        for n in names:
            self._docks[n].show()
        for n in raised:  # each tab group's front tab as it was
            self._docks[n].raise_()
        if names:
            self.panelsHidden.emit(False)
            self._window.layout().activate()
            QTimer.singleShot(0, self._view.fit)

    def leave(self) -> None:
        """The window closes: the panels back and full screen off, so the
        layout it saves is the everyday one."""
        self.restore_panels()
        self.set_on(False)
