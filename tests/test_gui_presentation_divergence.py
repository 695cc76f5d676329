"""After a divergence, presenting at 200% on a 1280x720 screen (a teacher's
trial): the status bar's message ran under its permanent widgets, cut
mid-word, and the loss plot's "diverged" label ran off the plot's right
edge. Now the message is cut short with "…" in the room it has (the tool tip
holds it whole) and the label sits inside the plot, left of its line."""
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from test_gui_presentation import normal_scale, probe  # noqa: F401 (a fixture)


def test_after_a_divergence_the_message_and_the_label_fit_at_200_percent(tmp_path):
    out = probe(tmp_path, 1280, 720, 2.0, name=str(tmp_path / "shot.png"), scene="diverge")
    assert out["window"] == [1280, 720]
    assert out["status"].startswith("Training diverged at step ") and "smaller learning rate" in out["status"]
    shown = out["status_shown"]
    assert shown != out["status"] and shown.endswith("…")  # too long for the bar: cut short, said so
    assert out["status"].startswith(shown[:-1])
    assert out["status_width"] <= out["status_room"]
    assert out["marks"] and all(m == [True, True] for m in out["marks"]), out["marks"]


def test_a_message_that_fits_is_drawn_whole_and_the_tool_tip_holds_any_whole(window):
    bar = window.statusBar()
    window.show_status("Saved")
    assert window.status_message.shown_text() == "Saved" and bar.toolTip() == "Saved"
    long = "Training diverged: " + "the loss rose " * 30 + "Try a smaller learning rate"
    window.show_status(long)
    shown = window.status_message.shown_text()
    assert bar.toolTip() == long and shown.endswith("…") and long.startswith(shown[:-1])
    assert bar.fontMetrics().horizontalAdvance(shown) <= window.status_message.room().width()
    room = window.status_message.room()
    for child in bar.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if child.isVisible() and child.width() > 0:  # the permanent widgets: right of the message's room
            assert room.right() < child.x()
