"""At rest, at rest: a paused window and its worker use (almost) no CPU, and
nothing users see goes stale for it."""
import os
import time

import numpy as np
from PySide6.QtCore import Qt

IDLE_SECONDS = 10.0
MAX_IDLE_SHARE = 0.05  # of one core, window and worker together
WAIT = 15000


def worker_cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (from /proc/<pid>/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def snap(w):
    return w.run.snapshot


def test_a_paused_window_and_its_worker_rest(qtbot, window):
    w = window
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).epoch >= 3, timeout=WAIT)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not snap(w).running and w.play_button.text() == "Train", timeout=WAIT)
    pid = w.run.worker.pid
    ours, theirs, t0 = time.process_time(), worker_cpu_seconds(pid), time.perf_counter()
    qtbot.wait(int(IDLE_SECONDS * 1000))  # the measured interval of an idle event loop
    wall = time.perf_counter() - t0
    used = (time.process_time() - ours) + (worker_cpu_seconds(pid) - theirs)
    print(f"idle CPU: {100 * used / wall:.2f}% of one core over {wall:.1f} s")
    assert used / wall <= MAX_IDLE_SHARE, f"{100 * used / wall:.1f}% of a core while paused"
