"""Presentation mode (issue 18 point 7): F11 goes full screen with every font
at the chosen scale (the panels, the diagram, the plots' axes, the Learn
panel), F10 hides the panels and brings the same ones back, the scale is a
remembered view setting; and the window's layout holds at 1280x720 and
1920x1080 at 200%, and under QT_SCALE_FACTOR=1.5 (each in its own process,
on an offscreen screen of that size)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

PROBE = Path(__file__).with_name("layout_probe.py")
ROOT = Path(__file__).resolve().parents[1]
MIN_DATA_HEIGHT = 100  # px of a plot's data area when presenting (a 158 px plot once kept 50 for the curves)


@pytest.fixture(autouse=True)
def normal_scale():
    """A test that fails inside presentation mode leaves the next at 100%."""
    yield
    from nnbuilder.gui.widgets.scale import set_ui_scale
    set_ui_scale(1.0)


def key(qtbot, w, k):
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    qtbot.keyClick(w.view, k)


def test_f11_scales_every_font_and_goes_full_screen(window, qtbot):
    w = window
    w.presentation.set_scale(2.0)
    axis = w.curves.loss.plotItem.getAxis("left")
    app_pt = QApplication.font().pointSizeF()
    learn_pt = w.learn_panel.text.document().defaultFont().pointSizeF()
    tick_pt = axis.style["tickFont"].pointSizeF()
    w.view.reset_zoom()
    diagram = w.view.transform().m11()  # scene points per screen point: the diagram's text with it
    counter_pt = w.epoch_label.font().pointSizeF()
    assert not w.windowState() & Qt.WindowState.WindowFullScreen

    key(qtbot, w, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: bool(w.windowState() & Qt.WindowState.WindowFullScreen))
    assert w.presentation.on and w.act_presentation.isChecked()
    assert QApplication.font().pointSizeF() == pytest.approx(2 * app_pt)
    qtbot.waitUntil(lambda: w.learn_panel.text.document().defaultFont().pointSizeF() == pytest.approx(2 * learn_pt),
                    timeout=3000)
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(2 * tick_pt)
    assert f"{2 * app_pt:g}pt" in axis.labelString()
    legend = w.curves.loss.plotItem.legend  # beside the title: made at 8 pt, half as much larger at 200 %
    assert legend.opts["labelTextSize"] == f"{legend.base_text_pt * 1.5:g}pt" == "12pt"
    qtbot.waitUntil(lambda: w.epoch_label.font().pointSizeF() >= 2 * counter_pt - 1e-6, timeout=3000)
    assert w.epoch_label.font().bold()
    assert w.inspector.title.font().pointSizeF() == pytest.approx(2 * 1.2 * app_pt)  # (set larger, and scaled)
    w.view.reset_zoom()  # Actual Size: the diagram's 9.5 pt titles drawn as 19 pt
    assert w.view.transform().m11() == pytest.approx(2 * diagram)
    assert w.view.zoom() == pytest.approx(1.0)

    key(qtbot, w, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not w.windowState() & Qt.WindowState.WindowFullScreen)
    assert not w.presentation.on
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt)
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(tick_pt)
    qtbot.waitUntil(lambda: w.epoch_label.font().pointSizeF() == pytest.approx(counter_pt), timeout=3000)
    w.view.reset_zoom()
    assert w.view.transform().m11() == pytest.approx(diagram)


def test_hide_panels_key_hides_and_restores_the_same_panels(window, qtbot):
    w = window
    w.docks["networkDock"].hide()  # a panel the person closed stays closed
    w.docks["learnDock"].raise_()  # and the front tab stays in front
    shown = {n for n, d in w.docks.items() if d.isVisible()}
    assert "learnDock" in shown and "networkDock" not in shown

    key(qtbot, w, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: not w.docks["trainingDock"].isVisible())
    assert {n for n, d in w.docks.items() if d.isVisible()} == {"outputDock"}
    assert w.act_hide_panels.isChecked()

    key(qtbot, w, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: w.docks["trainingDock"].isVisible())
    assert {n for n, d in w.docks.items() if d.isVisible()} == shown
    assert w.docks["learnDock"].visibleRegion().isEmpty() is False or \
        w.tabifiedDockWidgets(w.docks["learnDock"])  # (tabbed as it was)
    assert not w.act_hide_panels.isChecked()
    # Ctrl+Shift+H does the same
    qtbot.keyClick(w.view, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: not w.docks["trainingDock"].isVisible())
    qtbot.keyClick(w.view, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: {n for n, d in w.docks.items() if d.isVisible()} == shown)


def test_the_scale_is_a_remembered_view_setting(make_window, qtbot):
    w = make_window()
    assert w.presentation.scale == 1.5 and w.scale_actions[1.5].isChecked()
    w.scale_actions[2.5].trigger()  # View > Presentation scale > 250%
    assert w.presentation.scale == 2.5
    assert w.document.undo_stack.count() == 0 and not w.document.modified  # not an edit
    w.close()
    w2 = make_window()
    assert w2.presentation.scale == 2.5 and w2.scale_actions[2.5].isChecked()
    w2.act_presentation.trigger()
    assert QApplication.font().pointSizeF() == pytest.approx(2.5 * _base_pt())
    w2.act_presentation.trigger()


def _base_pt():
    from nnbuilder.gui.widgets import scale
    return scale._base.pointSizeF()


def probe(tmp_path, width, height, scale, env=None, name=None, scene=None, x11=False):
    """The window's panels and plots on a width x height offscreen screen
    (``scene``: see tests/layout_probe.py); ``x11``: on an Xvfb screen of that size instead,
    the xcb platform with no window manager (full screen is asked for, never granted)."""
    if x11:
        from test_real_pointer import start_xvfb, stop
        with open(tmp_path / f"xvfb-{width}.log", "wb") as log:
            xvfb, display = start_xvfb(log, f"{width}x{height}")
            try:
                return probe(tmp_path, width, height, scale, {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display,
                                                              **(env or {})}, name, scene)
            finally:
                stop(xvfb)
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"synchronousWindowSystemEvents": False, "windowFrameMargins": False, "screens": [{"name": "s", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    environment = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
                   "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **(env or {})}
    args = [sys.executable, str(PROBE), str(tmp_path), str(scale)] + ([name or ""] if name or scene else []) + (
        [scene] if scene else [])
    done = subprocess.run(args, env=environment, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@ ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][3:])


def assert_usable(out, plots=("boundaryPlot", "lossPlot")):
    """No panel over another, none outside the window, every plot in view at
    least 120 px each way with a data area (its ViewBox) 100 px tall or more,
    no tick labels on each other, no tab's title cut short."""
    docks = out["docks"]
    W, H = out["window"]
    assert [W, H] == out["screen"] or (W <= out["screen"][0] and H <= out["screen"][1]), out
    for name, (x, y, w, h) in docks.items():
        assert x >= 0 and y >= 0 and x + w <= W and y + h <= H, (name, docks[name], out["window"])
    names = sorted(docks)
    for i, a in enumerate(names):
        ax, ay, aw, ah = docks[a]
        for b in names[i + 1:]:
            bx, by, bw, bh = docks[b]
            overlap = min(ax + aw, bx + bw) - max(ax, bx), min(ay + ah, by + bh) - max(ay, by)
            assert overlap[0] <= 0 or overlap[1] <= 0, f"{a} {docks[a]} overlaps {b} {docks[b]}"
    assert set(plots) <= set(out["plots"]), out["plots"]
    for name, (w, h) in out["plots"].items():
        assert w >= 120 and h >= 120, (name, w, h)
        assert out["data"][name] >= MIN_DATA_HEIGHT, (name, h, out["data"][name])  # (158 px kept 50 for the curves)
    assert out["ticks"] == []
    assert out["tabs"] == []


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_presentation_at_200_percent_leaves_no_panel_over_another(tmp_path, width, height):
    out = probe(tmp_path, width, height, 2.0)
    assert out["window"] == [width, height]  # full screen
    assert out["font_pt"] > 0
    assert_usable(out)


def test_a_start_under_qt_scale_factor_1_5_overlaps_nothing(tmp_path):
    """1920x1080 at 150%: 1280x720 for Qt. The window once started 776 px tall
    (the docks' first minimum) on that 720 px screen."""
    out = probe(tmp_path, 1920, 1080, 1.0, env={"QT_SCALE_FACTOR": "1.5"})
    assert out["screen"] == [1280, 720]
    assert out["window"][1] <= 720
    assert_usable(out)


def test_a_layout_saved_at_100_percent_then_started_under_qt_scale_factor_1_5_overlaps_nothing(tmp_path):
    """The window closed at 1440x900 on a 1920x1080 screen, started again at
    150% (1280x720 for Qt): its saved panels no longer fit, it lays them out afresh."""
    first = probe(tmp_path, 1920, 1080, 1.0)
    assert first["window"] == [1440, 900]
    out = probe(tmp_path, 1920, 1080, 1.0, env={"QT_SCALE_FACTOR": "1.5"})
    assert out["window"][0] <= 1280 and out["window"][1] <= 720
    assert_usable(out)


def test_presentation_started_again_from_the_saved_window_keeps_its_layout(tmp_path):
    """The second start restores the window the first one saved, and going
    full screen from it crossed the narrow-window width: a Reset layout
    queued by that resize undid presentation's layout (the Inspector beside
    the Output view again, the plots 77 px tall of data)."""
    first = probe(tmp_path, 1280, 720, 2.0)
    assert_usable(first)
    again = probe(tmp_path, 1280, 720, 2.0)
    assert again["window"] == [1280, 720]
    assert_usable(again)
    assert "inspectorDock" not in again["docks"]  # tabbed behind the Output view


@pytest.mark.parametrize("x11", [False, True])
def test_presentation_on_a_larger_screen_than_the_saved_layout_arranges_it_afresh(tmp_path, x11):
    """A teacher's trial: presenting at 1280x720, quit, the screen restarted at
    1920x1080, the app again (the same settings) and F11. Going full screen from
    the saved 1280 px window crossed the narrow-window width and queued a Reset
    layout (X with no window manager reports full screen off): the Learn panel
    had under a line, the Inspector squeezed, the curves beside the Network panel."""
    first = probe(tmp_path, 1280, 720, 2.0, scene="chain", x11=x11)
    assert first["learn_lines"] >= 8
    out = probe(tmp_path, 1920, 1080, 2.0, name=str(tmp_path / "again.png"), scene="chain", x11=x11)
    assert out["window"] == [1920, 1080]
    assert out["output_in_view"] and out["learn_in_view"], out["docks"]
    assert out["learn_lines"] >= 8, out["learn_lines"]
    assert "networkDock" not in out["docks"]  # the curves alone in the bottom row (the Network panel tabbed)
    assert 0 <= out["palette_spare"] < out["palette_row"], (out["palette_spare"], out["docks"])  # no empty box under the palette
    assert_usable(out)


def test_a_layer_selected_while_presenting_at_1280x720_brings_the_inspector_forward(tmp_path):
    """A teacher's trial: at 1280x720@200% the Inspector shares the Output view's
    tab group and the Network panel was in front: selecting Dense 1 showed nothing of it."""
    out = probe(tmp_path, 1280, 720, 2.0, scene="select")
    assert out["inspector_in_view"], out["docks"]
    assert_usable(out, ("lossPlot",))


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_a_picked_point_shows_the_chain_rule_beside_the_output_view_at_200_percent(tmp_path, width, height):
    """A teacher's trial: the XOR lesson's network trained, a point picked on
    the Output view and a hidden weight clicked, presenting at 200%. The
    Learn panel shared the Output view's tab group (the pick raised it over
    the view) and showed 1-3 lines of the chain rule: now both are in view,
    with 8 lines of its text or more, and the layout stays usable."""
    out = probe(tmp_path, width, height, 2.0, name=str(tmp_path / "shot.png"), scene="chain")
    assert out["window"] == [width, height]
    assert out["output_in_view"] and out["learn_in_view"], out["docks"]
    assert out["learn_lines"] >= 8, out["learn_lines"]  # the text's viewport over the font's line spacing
    assert out["diagram_fits"]
    if height == 1080:  # the diagram larger than Fit ever draws it at 100% (it was 1.0: Actual Size)
        from nnbuilder.gui.diagram.view import FIT_CAP
        assert out["diagram_scale"] >= FIT_CAP, out["diagram_scale"]
    # Each panel of the teacher's brought to the front in turn (the Functions view, the loss
    # surface, the curves, the Training and Lessons panels): every plot with 100 px of data or
    # more (the parabola had 30, the hinge plot 40), no text cut short (the lesson step's title was).
    assert set(out["in_front"]) >= {"functionsDock", "surfaceDock", "curvesDock", "lessonDock"}
    for name, seen in out["in_front"].items():
        assert seen["problems"] == [], (name, seen["problems"])
        # no panel scrolls sideways (the Training panel's fields were cut); the confusion matrix
        # scrolls by design when wider than its room
        assert set(seen["sideways"]) <= {"Confusion matrix"}, (name, seen["sideways"])
        assert all(h >= MIN_DATA_HEIGHT for h in seen["plots"].values()), (name, seen["plots"])
    assert out["in_front"]["surfaceDock"]["plots"] and out["in_front"]["functionsDock"]["plots"]
    # (at 1280x720 the Learn panel is in front of the curves, in the bottom row)
    assert_usable(out, ("boundaryPlot",) if height == 720 else ("boundaryPlot", "lossPlot"))


def test_presenting_folds_the_learn_panels_controls_and_one_click_opens_them(window, qtbot):
    """Their room goes to the chain rule's text while presenting; the fold,
    clicked, brings back the sample row and Step through."""
    w = window
    panel = w.learn_panel
    w.docks["learnDock"].raise_()
    assert panel.controls.isVisibleTo(panel) and panel.step_button.isVisibleTo(panel)
    w.learn.select_row(2)
    w.presentation.set_on(True)
    qtbot.waitUntil(lambda: not panel.controls.isVisibleTo(panel))
    assert "Sample row 3" in panel.fold.text()  # (counted from 1, as the spin box shows)
    qtbot.mouseClick(panel.fold, Qt.MouseButton.LeftButton)
    assert panel.controls.isVisibleTo(panel) and panel.step_button.isVisibleTo(panel)
    qtbot.mouseClick(panel.fold, Qt.MouseButton.LeftButton)
    assert not panel.controls.isVisibleTo(panel)
    w.presentation.set_on(False)
    qtbot.waitUntil(lambda: panel.controls.isVisibleTo(panel))


def test_presenting_the_lessons_step_and_quiz_button_take_the_scale_with_no_gap(window, qtbot):
    """A teacher's trial at 200%: "Quiz mode: off" stayed at the everyday size until
    the theme was switched (its style sheet kept the font it had), "✓ Done" kept 12 pt,
    and the checks under the lesson text kept the height of a narrower panel: an
    empty gap above "Noticed:" in the text's room."""
    w = window
    w.show_lessons()
    w.lessons.start("02-xor")
    panel = w.lesson_panel
    qtbot.waitUntil(lambda: panel.waiting.isVisibleTo(panel))
    quiz_pt, done_pt = panel.quiz_button.font().pointSizeF(), panel.done.font().pointSizeF()
    w.presentation.set_scale(2.0)
    w.presentation.set_on(True)
    qtbot.waitUntil(lambda: w.presentation.on and QApplication.font().pointSizeF() == pytest.approx(2 * _base_pt()))
    qtbot.waitUntil(lambda: panel.quiz_button.font().pointSizeF() == pytest.approx(2 * quiz_pt), timeout=3000)
    panel.done.ensurePolished()
    assert panel.done.font().pointSizeF() == pytest.approx(2 * done_pt)
    w.docks["lessonDock"].raise_()
    qtbot.waitUntil(lambda: panel.waiting.width() > 0 and not panel.waiting.visibleRegion().isEmpty())
    label = panel.waiting
    spacing = label.fontMetrics().lineSpacing()
    # no more than its lines at its width (a taller least height is the gap)
    qtbot.waitUntil(lambda: label.minimumHeight() <= label.heightForWidth(label.width()) + 1, timeout=3000)
    assert label.height() < label.heightForWidth(label.width()) + spacing
    w.presentation.set_on(False)
    qtbot.waitUntil(lambda: panel.quiz_button.font().pointSizeF() == pytest.approx(quiz_pt), timeout=3000)


def _title_ink(dock) -> int:
    """The height in px of the ink of ``dock``'s title (its first 80 px, above its panel)."""
    image = dock.grab().toImage()
    background = image.pixel(2, 2)
    rows = [y for y in range(dock.widget().y())
            if any(image.pixel(x, y) != background for x in range(4, min(80, image.width())))]
    return max(rows) - min(rows) + 1 if rows else 0


def test_presenting_draws_the_panels_titles_at_the_scale(window, qtbot):
    """A teacher's trial: at 200% "Layers", "Output", "Lessons" above the panels kept
    their everyday size (Qt keeps the title font a dock was made with)."""
    w = window
    dock = w.docks["layersDock"]
    everyday = _title_ink(dock)
    assert everyday > 0
    w.presentation.set_scale(2.0)
    w.presentation.set_on(True)
    qtbot.waitUntil(lambda: _title_ink(dock) >= 1.6 * everyday, timeout=3000)
    w.presentation.set_on(False)
    qtbot.waitUntil(lambda: _title_ink(dock) == everyday, timeout=3000)
