"""Nothing lost: the window killed with SIGKILL (no chance to clean up), while
editing and while training; the next start offers the autosave and restores
the work of at most one autosave interval ago."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The window, in a process of its own: edits or trains, reports each autosave
# on stdout, and waits to be killed. Dialogs would wait for a person: none opens.
DRIVER = r"""
import json, sys
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication([])
from nnbuilder.gui.window.mainwindow import MainWindow
mode = sys.argv[1]
MainWindow._ask_restore = lambda self, source: True
w = MainWindow(offer_restore=(mode == "restore"))
w.show()
def report(what):
    doc = w.document
    print(json.dumps({"what": what, "nodes": sorted(n.type for n in doc.graph.nodes.values()),
                      "weights": sorted(doc.weights or {}), "modified": doc.modified}), flush=True)
if mode == "edit":
    def edit():
        w.document.add_node("dense", (600, 0))
        w.document.add_node("dropout", (800, 0))
    QTimer.singleShot(200, edit)
elif mode == "train":
    QTimer.singleShot(200, w.run.toggle_play)
elif mode == "restore":
    QTimer.singleShot(500, lambda: (report("restored"), app.quit()))
written = w.files.autosave
def autosave():
    ok = written()
    if ok:
        report("autosaved")
    return ok
w.files.autosave = autosave
w.files.autosave_timer.timeout.disconnect()
w.files.autosave_timer.timeout.connect(w.files.autosave)
app.exec()
"""


def start(mode, env):
    return subprocess.Popen([sys.executable, "-c", DRIVER, mode], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)


def read_report(proc, what, timeout=60.0):
    """The first report ``what`` the driver prints (a generous deadline, only
    so that a broken driver fails the test instead of hanging it)."""
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        msg = json.loads(line)
        if msg["what"] == what:
            return msg
        if time.monotonic() > deadline:
            break
    pytest.fail(f"the window never reported {what!r}")


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ, QT_QPA_PLATFORM="offscreen", NNBUILDER_STATE_DIR=str(tmp_path / "state"),
             NNBUILDER_AUTOSAVE_MS="300", XDG_CONFIG_HOME=str(tmp_path / "config"))
    return e


@pytest.mark.parametrize("mode", ["edit", "train"])
def test_a_killed_window_offers_its_autosave_at_the_next_start(env, mode):
    proc = start(mode, env)
    try:
        saved = read_report(proc, "autosaved")
        if mode == "train":  # wait for an autosave with trained weights in it
            while not saved["weights"]:
                saved = read_report(proc, "autosaved")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    # The window's own side file, named by its process (and its number in it).
    assert (Path(env["NNBUILDER_STATE_DIR"]) / f"autosave-{proc.pid}-1.json").exists()
    again = start("restore", env)
    try:
        restored = read_report(again, "restored")
    finally:
        again.kill()
        again.wait(10)
    assert restored["nodes"] == saved["nodes"] and restored["modified"]
    if mode == "edit":
        assert restored["nodes"].count("dense") == 3 and "dropout" in restored["nodes"]
    else:
        assert restored["weights"] == saved["weights"] and len(restored["weights"]) == 3
