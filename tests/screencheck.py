"""What a person sees, checked on one rendered window: text cut short, docks
over docks, plots too short to read, text too faint for its background.

``problems(window, image)`` lists what is wrong on ``window`` as ``image``
(its ``grab()``) shows it. Run as a script (``python tests/screencheck.py
OUTDIR``) it renders the screenshot check's scenes at the scale
``QT_SCALE_FACTOR`` sets (a per-process setting: the test starts one process
per scale) and prints a JSON list of problems.
"""
from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path

MIN_PLOT_HEIGHT = 120
MIN_DATA_HEIGHT = 80  # a plot's data area (its ViewBox): a 158 px plot once kept 50 px for the curves
MIN_LABEL_GAP = 3  # px between two tick labels of an axis
MIN_CONTRAST = 4.5
ELLIPSIS = "…"


# ---------------------------------------------------------------- contrast
def _linear(c: float) -> float:
    c /= 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb) -> float:
    r, g, b = rgb[:3]
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (0-255 tuples)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _pixels(image, rect):
    """The ``rect`` (window coordinates) of ``image`` as an (h, w, 3) array."""
    import numpy as np
    from PySide6.QtGui import QImage

    ratio = image.devicePixelRatio()
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    x0, y0 = max(0, int(rect.x() * ratio)), max(0, int(rect.y() * ratio))
    x1 = min(img.width(), int((rect.x() + rect.width()) * ratio))
    y1 = min(img.height(), int((rect.y() + rect.height()) * ratio))
    if x1 <= x0 or y1 <= y0:
        return None
    stride = img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=stride * img.height())
    rows = buf.reshape(img.height(), stride)[:, :img.width() * 3].reshape(img.height(), img.width(), 3)
    return rows[y0:y1, x0:x1].astype(int)


def text_contrast(image, rect, colour, background=None) -> float | None:
    """The contrast of text drawn in ``colour`` with the background it is drawn
    on in ``image`` (the commonest colour in ``rect``, unless ``background``)."""
    if background is None:
        px = _pixels(image, rect)
        if px is None:
            return None
        flat = px.reshape(-1, 3)
        keys = flat[:, 0] * 65536 + flat[:, 1] * 256 + flat[:, 2]
        import numpy as np
        values, counts = np.unique(keys, return_counts=True)
        k = int(values[np.argmax(counts)])
        background = (k // 65536, (k // 256) % 256, k % 256)
    return contrast((colour.red(), colour.green(), colour.blue()), background)


# ---------------------------------------------------------------- widgets
def _shown(widget, window) -> bool:
    """Visible, on the window, with room (a collapsed or off-screen widget is no text shown)."""
    from PySide6.QtWidgets import QAbstractScrollArea

    if not widget.isVisible() or widget.width() <= 1 or widget.height() <= 1:
        return False
    if not _window_rect(widget, window).intersects(window.rect()):  # a dock behind its tab sits off the window
        return False
    # (a scroll area's own region excludes its viewport, which covers it)
    return isinstance(widget, QAbstractScrollArea) or not widget.visibleRegion().isEmpty()


def _window_rect(widget, window):
    from PySide6.QtCore import QPoint, QRect

    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _name(widget) -> str:
    parts = []
    w = widget
    while w is not None and len(parts) < 4:
        parts.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return "/".join(reversed(parts))


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _rich_width(label) -> float:
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(label.text())
    return doc.idealWidth()


def _text_colours(label):
    """The colours ``label``'s text is drawn in: its palette's, and any a rich text names."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor

    colours = [label.palette().color(label.foregroundRole())]
    if label.textFormat() != Qt.TextFormat.PlainText and "<" in label.text():
        for name in re.findall(r"color\s*[:=]\s*['\"]?(#[0-9a-fA-F]{3,8}|[a-z]+)", label.text()):
            c = QColor(name)
            if c.isValid():
                colours.append(c)
    return colours


def label_problems(label, window, image) -> list[str]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontMetrics

    text = label.text()
    if not text or not label.isEnabled():
        return []
    found = []
    where = _name(label)
    rect = label.contentsRect()
    room = rect.width() - 2 * max(label.margin(), 0) - max(label.indent(), 0)
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and bool(re.search(r"<[a-zA-Z/][^>]*>", text)))
    plain = _plain(text) if rich else text
    if plain.rstrip().endswith(ELLIPSIS) and not label.toolTip():
        found.append(f"{where}: '{plain}' is cut short with nothing saying the rest")
    if label.wordWrap():
        need = label.heightForWidth(label.width())
        if need > label.height() + 2:
            found.append(f"{where}: '{plain[:60]}' needs {need} px tall, has {label.height()}")
    else:
        width = _rich_width(label) if rich else max(
            QFontMetrics(label.font()).horizontalAdvance(line) for line in text.split("\n"))
        if width > room + 1:
            found.append(f"{where}: '{plain[:60]}' needs {width:.0f} px, has {room}")
    r = _window_rect(label, window)
    for colour in _text_colours(label):
        ratio = text_contrast(image, r, colour)
        if ratio is not None and ratio < MIN_CONTRAST:
            found.append(f"{where}: '{plain[:40]}' contrast {ratio:.2f} ({colour.name()})")
    return found


def button_problems(button, window, image) -> list[str]:
    """A push button's, check box's or radio button's text against its room and background."""
    from PySide6.QtWidgets import QPushButton, QToolButton

    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text or not button.isEnabled() or isinstance(button, QToolButton):
        return []
    found = []
    hint = button.minimumSizeHint() if not isinstance(button, QPushButton) else button.sizeHint()
    if button.width() + 1 < min(hint.width(), button.sizeHint().width()):
        found.append(f"{_name(button)}: '{text}' needs {hint.width()} px, has {button.width()}")
    colour = button.palette().color(button.foregroundRole())
    if isinstance(button, QPushButton):  # drawn on the button's own face
        colour_bg = button.palette().color(button.backgroundRole())
        ratio = contrast(colour.getRgb(), colour_bg.getRgb())
    else:
        ratio = text_contrast(image, _window_rect(button, window), colour)
    if ratio is not None and ratio < MIN_CONTRAST:
        found.append(f"{_name(button)}: '{text}' contrast {ratio:.2f}")
    return found


def tab_problems(bar, window, image, scrolled_ok: bool = False) -> list[str]:
    """Tabs whose titles are cut short, off their bar (unless ``scrolled_ok``
    and the bar scrolls to them), or too faint."""
    found = []
    for i in range(bar.count()):
        if not bar.isTabVisible(i):
            continue
        rect, hint = bar.tabRect(i), bar.tabSizeHint(i)
        text = bar.tabText(i)
        if rect.width() + 1 < hint.width():
            found.append(f"tab '{text}' ({_name(bar)}) needs {hint.width()} px, has {rect.width()}")
        elif not bar.rect().contains(rect) and not (scrolled_ok and bar.usesScrollButtons()):
            found.append(f"tab '{text}' ({_name(bar)}) is off the tab bar (scrolled away)")
        colour = bar.tabTextColor(i)
        if not colour.isValid():
            colour = bar.palette().color(bar.foregroundRole())
        r = rect.translated(bar.mapTo(window, rect.topLeft()) - rect.topLeft())
        ratio = text_contrast(image, r.adjusted(2, 2, -2, -2), colour)
        if ratio is not None and ratio < MIN_CONTRAST:
            found.append(f"tab '{text}' contrast {ratio:.2f}")
    return found


def header_problems(header, window, image) -> list[str]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontMetrics

    found = []
    model = header.model()
    if model is None:
        return found
    fm = QFontMetrics(header.font())
    horizontal = header.orientation() == Qt.Orientation.Horizontal
    for i in range(header.count()):
        if header.isSectionHidden(i):
            continue
        text = str(model.headerData(i, header.orientation(), Qt.ItemDataRole.DisplayRole) or "")
        if not text:
            continue
        room = header.sectionSize(i) if horizontal else header.width()
        need = fm.horizontalAdvance(text) + 8  # the style's margins
        if need > room + 1:
            found.append(f"header '{text}' ({_name(header)}) needs {need} px, has {room}")
    return found


def dock_title_problems(dock, window) -> list[str]:
    """A dock's own title bar (a tabified dock's title is on its tab)."""
    from PySide6.QtGui import QFontMetrics

    if dock.titleBarWidget() is not None:
        return []
    title = dock.windowTitle()
    room = dock.width() - 2 * 20 - 8  # float and close buttons, margins
    need = QFontMetrics(dock.font()).horizontalAdvance(title)
    if need > room:
        return [f"dock '{title}' title needs {need} px, has {room}"]
    return []


def plot_text_problems(plot, window, image) -> list[str]:
    """The titles and captions a pyqtgraph plot draws: within the plot, readable."""
    import pyqtgraph as pg

    found = []
    scene = plot.scene()
    if scene is None:
        return found
    for item in scene.items():
        if not isinstance(item, pg.LabelItem) or not item.isVisible() or not item.text:
            continue
        text = _plain(item.text)
        shown = item.mapRectToScene(item.boundingRect())
        view_rect = plot.mapFromScene(shown).boundingRect()
        inner = item.item  # the QGraphicsTextItem
        need = inner.mapRectToScene(inner.boundingRect())
        need_rect = plot.mapFromScene(need).boundingRect()
        visible = plot.viewport().rect()
        if need_rect.width() > view_rect.width() + 2 or need_rect.left() < visible.left() - 1 \
                or need_rect.right() > visible.right() + 1:
            found.append(f"{_name(plot)}: '{text[:50]}' needs {need_rect.width()} px, shows "
                         f"{min(view_rect.width(), visible.width())} ({need_rect.left()}-{need_rect.right()} "
                         f"in {view_rect.left()}-{view_rect.right()}, view {visible.right()})")
        # The colour the text was drawn in (its html's), not the label's setting for the next text.
        drawn = re.findall(r"color:\s*(#[0-9a-fA-F]{6})", inner.toHtml())
        colour = pg.mkColor(drawn[-1] if drawn else item.opts.get("color") or pg.getConfigOption("foreground"))
        background = plot.backgroundBrush().color()
        if background.alpha() == 0:
            background = plot.palette().color(plot.backgroundRole())
        ratio = contrast(colour.getRgb(), background.getRgb())
        if ratio < MIN_CONTRAST:
            found.append(f"{_name(plot)}: '{text[:40]}' contrast {ratio:.2f}")
    return found


def dock_overlaps(window) -> list[str]:
    from PySide6.QtWidgets import QDockWidget

    docks = [d for d in window.findChildren(QDockWidget) if _shown(d, window) and not d.isFloating()]
    found = []
    for i, a in enumerate(docks):
        ra = a.geometry()
        for b in docks[i + 1:]:
            inter = ra.intersected(b.geometry())
            if inter.width() > 0 and inter.height() > 0:
                found.append(f"docks '{a.windowTitle()}' and '{b.windowTitle()}' overlap "
                             f"({inter.width()}x{inter.height()})")
    central = window.centralWidget()
    if central is not None and central.isVisible():
        for d in docks:
            inter = central.geometry().intersected(d.geometry())
            if inter.width() > 0 and inter.height() > 0:
                found.append(f"dock '{d.windowTitle()}' overlaps the diagram")
    return found


def plot_heights(window) -> list[str]:
    """Plots shorter than MIN_PLOT_HEIGHT, or whose data area (the ViewBox:
    the widget less its title, legend and axes) is shorter than MIN_DATA_HEIGHT."""
    import pyqtgraph as pg

    found = []
    for plot in window.findChildren(pg.GraphicsView):
        if not _shown(plot, window):
            continue
        if plot.height() < MIN_PLOT_HEIGHT:
            found.append(f"plot {_name(plot)} is {plot.height()} px tall")
        item = getattr(plot, "plotItem", None)
        if item is not None and item.vb.height() < MIN_DATA_HEIGHT:
            found.append(f"plot {_name(plot)} keeps {item.vb.height():.0f} px of its {plot.height()} for the data")
    return found


def tick_labels(axis) -> list:
    """The tick labels ``axis`` (a pyqtgraph AxisItem) draws: (rectangle, text),
    laid out by pyqtgraph as its paint does."""
    from PySide6.QtGui import QImage, QPainter

    if not axis.isVisible() or not axis.style["showValues"]:
        return []
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        if axis.style["tickFont"]:
            painter.setFont(axis.style["tickFont"])
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [(rect, text) for rect, _flags, text in specs[2]]


def tick_problems(plot) -> list[str]:
    """Tick labels on each other or run together (less than MIN_LABEL_GAP
    apart), or cut short ("v…")."""
    found = []
    item = getattr(plot, "plotItem", None)
    if item is None:
        return found
    for side in ("left", "bottom"):
        labels = tick_labels(item.getAxis(side))
        vertical = side == "left"
        for text in (t for _, t in labels if ELLIPSIS in t):
            found.append(f"{_name(plot)}: {side} tick label '{text}' is cut short")
        for lower in (False, True):  # (labels set a line lower, "\n" first, make a row of their own)
            spans = sorted(((r.top(), r.bottom()) if vertical else (r.left(), r.right()), t)
                           for r, t in labels if t.startswith("\n") == lower)
            for (a, ta), (b, tb) in zip(spans, spans[1:]):
                if b[0] - a[1] < MIN_LABEL_GAP:
                    found.append(f"{_name(plot)}: {side} tick labels '{ta.strip()}' and '{tb.strip()}' "
                                 f"{'overlap' if b[0] < a[1] else 'run together'} ({b[0] - a[1]:.0f} px apart)")
    return found


def problems(window, image) -> list[str]:
    """Everything wrong with ``window`` as ``image`` (its grab) shows it."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QAbstractButton, QDockWidget, QHeaderView, QLabel, QTabBar

    found = dock_overlaps(window) + plot_heights(window)
    for label in window.findChildren(QLabel):
        if _shown(label, window):
            found += label_problems(label, window, image)
    for button in window.findChildren(QAbstractButton):
        if _shown(button, window):
            found += button_problems(button, window, image)
    for bar in window.findChildren(QTabBar):
        if _shown(bar, window):
            found += tab_problems(bar, window, image)
    for header in window.findChildren(QHeaderView):
        if _shown(header, window):
            found += header_problems(header, window, image)
    for dock in window.findChildren(QDockWidget):
        if _shown(dock, window) and not window.tabifiedDockWidgets(dock):
            found += dock_title_problems(dock, window)
    for plot in window.findChildren(pg.GraphicsView):
        if _shown(plot, window):
            found += plot_text_problems(plot, window, image) + tick_problems(plot)
    return found


# ---------------------------------------------------------------- scenes
SIZES = ((1024, 700), (1440, 900), (1920, 1080))
THEMES = ("light", "dark")


def wait_until(condition, timeout=30.0) -> None:
    """Run the event loop until ``condition()`` holds (a condition, not a time)."""
    import time

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {condition}")
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()
        QApplication.processEvents()


def settle() -> None:
    """Let what a resize or a theme change queued run (layouts, fits, repaints)."""
    from PySide6.QtCore import QTimer

    for _ in range(3):
        passed = []
        QTimer.singleShot(0, lambda: passed.append(True))
        wait_until(lambda: bool(passed))


def train(w, epochs: int) -> None:
    drawn = []
    w.live.frameDrawn.connect(drawn.append)
    w.run.toggle_play()
    wait_until(lambda: w.run.snapshot is not None and w.run.snapshot.epoch >= epochs)
    if w.run.snapshot.running:
        w.run.toggle_play()
    wait_until(lambda: drawn and drawn[-1] is w.run.snapshot and not w.run.snapshot.running)
    w.live.frameDrawn.disconnect(drawn.append)


def open_example(w, name: str) -> None:
    from nnbuilder.core.resources import resource

    assert w.files.open_file(str(resource("examples", name)), ask_to_save=False), name
    settle()


def scene_classifier(w):
    open_example(w, "circle.json")
    train(w, 30)


def scene_iris(w):
    open_example(w, "iris.json")
    train(w, 20)


def scene_regression(w):
    open_example(w, "sine.json")
    train(w, 20)


def scene_lesson(w):
    w.show_lessons()
    w.lessons.start("02-xor")
    w.lessons.next()
    settle()


SCENES = {"classifier": scene_classifier, "iris": scene_iris, "regression": scene_regression,
          "lesson": scene_lesson}


def check_window(w, outdir: Path, sizes=SIZES, themes=THEMES, scenes=SCENES, tag: str = "") -> list[str]:
    """Each scene, at each size in each theme: the image saved in ``outdir``, its problems listed."""
    from nnbuilder.gui.widgets.theme import apply_theme

    found, start = [], w.theme
    try:
        for scene, set_up in scenes.items():
            set_up(w)
            for size in sizes:
                for theme in themes:
                    apply_theme(theme)
                    w.set_theme(theme)
                    w.resize(*size)
                    settle()
                    image = w.grab().toImage()
                    name = f"{scene}-{size[0]}x{size[1]}-{theme}{tag}"
                    image.save(str(outdir / f"{name}.png"))
                    found += [f"{name}: {p}" for p in problems(w, image)]
    finally:  # the application's palette is the process's: the next test starts in the theme this one found
        apply_theme(start)
        w.set_theme(start)
    return found


def main(argv) -> int:
    """``screencheck.py OUTDIR [WIDTHxHEIGHT ...]``: the scenes at those sizes, problems as JSON."""
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("NNBUILDER_STATE_DIR", tempfile.mkdtemp(prefix="nnbuilder-screencheck-"))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    from nnbuilder.gui.window.mainwindow import MainWindow

    outdir = Path(argv[0])
    outdir.mkdir(parents=True, exist_ok=True)
    sizes = [tuple(int(v) for v in s.split("x")) for s in argv[1:]] or SIZES
    errors = []
    MainWindow._ask_unsaved = lambda self: "discard"  # no one is there to answer
    MainWindow._error = lambda self, title, text: errors.append(f"error dialog: {title}: {text}")
    w = MainWindow(offer_restore=False)
    w.training_panel.speed.setCurrentIndex(0)  # max
    w.resize(*sizes[0])
    w.show()
    settle()
    scale = os.environ.get("QT_SCALE_FACTOR", "1")
    found = check_window(w, outdir, sizes, tag="" if scale == "1" else f"@{scale}x")
    w.run.shutdown()
    w.document.undo_stack.setClean()
    w.hide()
    print(json.dumps(errors + found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
