"""The dark theme reaches every corner (issue 19, point 6): the gallery's
thumbnails, the radio buttons and the toolbar's icons, read on the pixels;
and what both themes show: the toolbar icons' contrast, View > Theme as a
choice of one, quiz mode's state."""
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
    arrows = (w.act_undo, w.act_redo)  # drawn in the button text colour: dark on the light theme
    for action in arrows:
        assert opaque_lightness(action.icon().pixmap(QSize(24, 24)).toImage()) < 128
    try:
        dark(qtbot, w)
        for action in arrows:  # the same icons, drawn on a dark window
            assert opaque_lightness(action.icon().pixmap(QSize(24, 24)).toImage()) > 128, action.objectName()
    finally:
        w.set_theme("light")
    assert opaque_lightness(w.act_undo.icon().pixmap(QSize(24, 24)).toImage()) < 128


def icon_ink_contrast(image, widget, toolbar):
    """The WCAG contrast with the toolbar's ground (its commonest colour) of
    each pixel of the button's icon that is not that ground; the icon is in
    the square at the button's left (its text, if any, comes after it)."""
    from PySide6.QtCore import QRect
    from screencheck import _pixels, luminance

    side = min(widget.width(), widget.height())
    px = _pixels(image, QRect(widget.mapTo(toolbar, widget.rect().topLeft()), widget.size()))
    flat = px.reshape(-1, 3)
    keys, counts = np.unique(flat[:, 0] * 65536 + flat[:, 1] * 256 + flat[:, 2], return_counts=True)
    k = int(keys[np.argmax(counts)])
    ground = np.array([k // 65536, (k // 256) % 256, k % 256])
    square = px[:, :side]
    icon = square[np.abs(square - ground).max(axis=2) > 12]
    lum = np.array([luminance(c) for c in icon])
    g = luminance(ground)
    return (np.maximum(lum, g) + 0.05) / (np.minimum(lum, g) + 0.05)


def test_toolbar_icons_contrast_with_the_toolbar_in_both_themes(qtbot, window):
    """The trial's finding: on the dark theme New, Train and Delete were dark
    squares with light outlines (the style's light pictures turned over).
    Each icon's painted pixels, as the toolbar shows them, must stand out
    from its ground by the WCAG ratio for graphics (3:1), most of them, and
    not only at a thin outline."""
    from PySide6.QtCore import Qt

    from guitools import wait_drawn

    w = window
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)  # a step: the live view sets Train's icon
    wait_drawn(qtbot, w, lambda s: s.step >= 1)
    buttons = [(w.file_toolbar, w.file_toolbar.widgetForAction(a)) for a in (w.act_new, w.act_open, w.act_save,
                                                                         w.act_delete)]
    buttons += [(w.training_toolbar, b) for b in (w.play_button, w.step_button, w.reset_button)]
    faint = []
    try:
        for theme in ("light", "dark"):
            w.set_theme(theme)
            QApplication.processEvents()
            settle(qtbot)
            images = {id(tb): tb.grab().toImage() for tb, _ in buttons}
            for tb, button in buttons:
                c = icon_ink_contrast(images[id(tb)], button, tb)
                if c.size < 30 or np.median(c) < 3 or np.mean(c >= 3) < 0.6:
                    faint.append(f"{theme} {button.objectName() or button.text()}: {c.size} pixels, median "
                                 f"contrast {np.median(c):.1f}, {np.mean(c >= 3):.0%} at 3:1 or more")
    finally:
        w.set_theme("light")
    assert not faint, "\n".join(faint)


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


def test_the_theme_menu_is_a_choice_of_one(qtbot, window):
    """View > Theme's items were check boxes: three independent switches.
    Qt draws a menu's items as radio items when they are in one exclusive
    action group; choosing one unchecks the others."""
    from PySide6.QtWidgets import QMenu

    w = window
    menu = w.findChild(QMenu, "themeMenu")
    items = [a for a in menu.actions() if not a.isSeparator()]
    assert [a.text() for a in items] == ["System", "Light", "Dark"]
    groups = {a.actionGroup() for a in items}
    assert len(groups) == 1 and None not in groups and groups.pop().isExclusive()
    try:
        for a in (items[2], items[1], items[1]):  # the same one twice: it stays chosen
            a.trigger()
            assert [b.isChecked() for b in items] == [b is a for b in items]
            assert w.theme == a.text().lower()
    finally:
        w.set_theme("light")


def test_quiz_mode_shows_that_it_is_on_in_both_themes(qtbot, window):
    """The trial's finding: the Quiz button and View > Quiz mode did not show
    whether quiz mode was on. On: the button says so and is framed in the
    highlight colour; the status bar says what is hidden. Off: neither."""
    from PySide6.QtGui import QPalette

    w = window
    w.show_lessons()
    button = w.lesson_panel.quiz_button
    qtbot.waitUntil(button.isVisible)

    def highlighted_share(image) -> float:
        """The share of the button's pixels in (or near) the highlight colour."""
        hl = QApplication.palette().color(QPalette.ColorRole.Highlight)
        near = [abs(c.red() - hl.red()) + abs(c.green() - hl.green()) + abs(c.blue() - hl.blue()) < 60
                for c in (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height()))]
        return float(np.mean(near))

    try:
        for theme in ("light", "dark"):
            w.set_theme(theme)
            QApplication.processEvents()
            for on in (True, False):
                w.act_quiz.trigger()  # View > Quiz mode (its key, the button: the same action)
                settle(qtbot)
                assert w.quiz == on and button.isChecked() == on and w.act_quiz.isChecked() == on
                assert button.text() == ("Quiz mode: on" if on else "Quiz mode: off")
                assert w.quiz_label.isVisible() == on and "Quiz mode" in w.quiz_label.text()
                share = highlighted_share(button.grab().toImage())
                assert (share > 0.08) if on else (share < 0.01), (theme, on, share)
    finally:
        w.set_quiz(False)
        w.set_theme("light")


def test_the_dark_window_after_a_csv_import_at_1440x900_reads_whole(qtbot, make_window, tmp_path, monkeypatch):
    """A screen trial's last stop: dark, 1440x900, File > Import of a table
    with text labels and a missing cell, one step. No text elided or under
    4.5:1 contrast, no panel over another (screencheck); the Problems group's
    tabs were scrolled ("Weights and g…") once the window shrank from 1600 px."""
    from PySide6.QtCore import Qt

    from guitools import wait_drawn
    from screencheck import problems
    from test_gui_import import click_import, open_import, write
    from test_gui_window_sizes import resize

    w = make_window()
    dark(qtbot, w)
    resize(qtbot, w, 1440, 900)
    rows = ["kind,width,height,note"] + [f"{k},{i % 9 + 0.5},{(i * 7) % 5},{'' if i == 5 else i}"
                                         for i, k in enumerate(["small cat", "dog", "emu"] * 20)]
    d = open_import(qtbot, w, write(tmp_path, "\n".join(rows) + "\n"), monkeypatch)
    d.target.setCurrentText("kind")
    assert "row 7, column 'note': is empty" in d.problems.toPlainText()
    qtbot.mouseClick(d.drop_bad, Qt.MouseButton.LeftButton)
    click_import(qtbot, d)
    assert w.data.dataset.class_names == ["dog", "emu", "small cat"]
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, w, lambda s: s.step >= 1)
    qtbot.waitUntil(lambda: w.curves.confusion.isVisible())
    settle(qtbot)
    image = w.grab().toImage()
    image.save(str(tmp_path / "dark-1440x900-csv.png"))  # for a person to look at
    assert problems(w, image) == []
