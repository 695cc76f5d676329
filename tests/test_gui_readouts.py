"""Read-outs of one moment agree, through the real window: the toolbar's
speed while paused, the Network panel's error list, the timeline's loss."""
import numpy as np
from PySide6.QtCore import Qt

from guitools import pause, wait_drawn

WAIT = 15000


def snap(w):
    return w.run.snapshot


def test_paused_after_a_shift_step_the_speed_reads_paused_and_one_step_is_singular(qtbot, window):
    w = window
    shown = []
    w.live.frameDrawn.connect(lambda s: s.running and shown.append((s.steps_per_sec, w.rate_label.text())))
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 2 and bool(shown), timeout=WAIT)
    before = pause(qtbot, w)
    assert w.rate_label.text() == "paused"
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    s = wait_drawn(qtbot, w, lambda s: s.epoch == before.epoch + 1)
    assert not s.running and w.rate_label.text() == "paused"  # not the rate of a Step after a rest
    for rate, text in shown:  # while it ran: the speed measured, singular or plural as it reads
        n = f"{rate:,.0f}"
        assert text == (f"{n} step/s" if n == "1" else f"{n} steps/s")
    w.live.counters.show(3, 3, 1.0, 1.0, "", running=True)
    assert w.rate_label.text() == "1 step/s"
    w.live.counters.show(3, 3, 1.0, 1.0, "", running=False)
    assert w.rate_label.text() == "paused"
