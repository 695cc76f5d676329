"""The dark theme reaches every corner (issue 19, point 6): the gallery's
thumbnails, the radio buttons and the toolbar's icons, read on the pixels."""
import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from test_gui_window_sizes import settle


def opaque_lightness(image) -> float:
    """The mean lightness of an image's opaque pixels (its ink)."""
    colours = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    return float(np.mean([c.lightness() for c in colours if c.alpha() > 200]))


def commonest(image):
    """The colour most pixels have: a thumbnail's ground."""
    colours = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    names = [c.name() for c in colours]
    return colours[max(range(len(names)), key=names.count)]


def dark(qtbot, w):
    w.set_theme("dark")
    QApplication.processEvents()
    settle(qtbot)


def test_gallery_thumbnails_are_on_a_dark_ground(qtbot, window):
    w = window
    gallery = w.training_panel.gallery
    try:
        dark(qtbot, w)
        for i in range(gallery.count()):
            ground = commonest(gallery.item(i).icon().pixmap(QSize(44, 44)).toImage())
            assert ground.lightness() < 100, (gallery.item(i).text(), ground.name())
        w.set_theme("light")
        QApplication.processEvents()
        assert commonest(gallery.item(0).icon().pixmap(QSize(44, 44)).toImage()).lightness() > 200
    finally:
        w.set_theme("light")


def test_radio_buttons_show_which_one_is_chosen(qtbot, window):
    w = window
    w.docks["learnDock"].raise_()
    settle(qtbot)
    panel = w.learn_panel
    assert panel.activations.isChecked() and not panel.deltas.isChecked()
    try:
        dark(qtbot, w)
        window_l = w.palette().color(w.backgroundRole()).lightness()
        for button, chosen in ((panel.activations, True), (panel.deltas, False)):
            image = button.grab().toImage()
            # The indicator: the square at the left, as tall as the button's text.
            side = button.style().pixelMetric(button.style().PixelMetric.PM_ExclusiveIndicatorWidth, None, button)
            top = (button.height() - side) // 2
            centre = image.pixelColor(side // 2, top + side // 2)
            ring = max(image.pixelColor(x, top + side // 2).lightness() for x in range(side // 4))
            assert ring > window_l + 60  # the ring shows on the dark window
            if chosen:  # a dot in the highlight colour
                assert centre.saturation() > 120 and centre.lightness() > 90, centre.name()
            else:  # empty: the window's colour inside
                assert abs(centre.lightness() - window_l) < 25, centre.name()
    finally:
        w.set_theme("light")


def test_toolbar_icons_turn_light_on_a_dark_window(qtbot, window):
    w = window
    arrows = (w.act_undo, w.act_redo)  # the style's arrows: dark ink
    for action in arrows:
        assert opaque_lightness(action.icon().pixmap(QSize(24, 24)).toImage()) < 128
    try:
        dark(qtbot, w)
        for action in arrows:  # the same icons, drawn on a dark window
            assert opaque_lightness(action.icon().pixmap(QSize(24, 24)).toImage()) > 128, action.objectName()
    finally:
        w.set_theme("light")
    assert opaque_lightness(w.act_undo.icon().pixmap(QSize(24, 24)).toImage()) < 128


def test_status_colours_are_readable_in_both_themes(qtbot, window):
    """'✓ no problems' and '✓ ready to train' (green #2b9348 had a contrast
    of 3.4 on both windows), checked on the window's pixels."""
    from screencheck import label_problems

    w = window
    w.docks["networkDock"].raise_()
    labels = (w.problems_label, w.network_panel.findChild(type(w.problems_label), "validationLabel"))
    try:
        for theme in ("light", "dark"):
            w.set_theme(theme)
            QApplication.processEvents()
            settle(qtbot)
            image = w.grab().toImage()
            for label in labels:
                assert label.isVisible() and "✓" in label.text()
                assert label_problems(label, w, image) == [], (theme, label.text())
    finally:
        w.set_theme("light")


def test_a_theme_switch_while_paused_repaints_the_confusion_matrixs_scores(qtbot, window):
    """The trial's finding: black precision/recall/F1 on dark grey until the next step."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette

    from guitools import wait_drawn

    w = window
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    wait_drawn(qtbot, w, lambda s: s.epoch == 1)
    confusion = w.curves.confusion
    qtbot.waitUntil(lambda: confusion.scores is not None, timeout=15000)
    k = len(confusion.class_names)
    try:
        for theme in ("dark", "light"):
            w.set_theme(theme)
            QApplication.processEvents()
            ink = QApplication.palette().color(QPalette.ColorRole.Text).name()
            assert confusion.cell_text(0, k).color.name() == ink, theme  # a score, in the theme's text colour
    finally:
        w.set_theme("light")
