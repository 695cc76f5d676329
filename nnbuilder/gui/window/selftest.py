"""``nnbuilder gui --self-test``: the window opens, trains its example network
for a moment in its worker process, and closes; exit status 0 when all of
that worked, 1 (with the reason on stderr) otherwise.

``make dist`` runs it on the standalone bundle, offscreen: it shows that the
frozen app opens its window and starts its own training worker (a frozen app
has no ``python`` to run one with; see ``nnbuilder.core.run.worker.worker_command``).
"""
from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

STEPS = 50  # training steps the worker must report
TIMEOUT_MS = 90_000


class SelfTest(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.poll = QTimer(self)
        self.poll.timeout.connect(self._check)
        self.stage = "opening the window"
        QTimer.singleShot(0, self._shown)
        QTimer.singleShot(TIMEOUT_MS, lambda: self._finish(
            f"still {self.stage} after {TIMEOUT_MS // 1000} s"))

    def _say(self, text: str) -> None:
        print(f"nnbuilder self-test: {text}", file=sys.stderr, flush=True)

    def _shown(self) -> None:
        icon = self.window.windowIcon().availableSizes()
        self._say(f"window shown ({self.window.width()}x{self.window.height()}, "
                  f"{QApplication.platformName()}, icon {'none' if not icon else icon[-1].width()} px)")
        if not icon:  # the app's files were not found where they are read from
            self._finish("the window has no icon (resources/icons/nnbuilder.png)")
            return
        self.window.run.toggle_play()  # what the Train button does
        self.worker = self.window.run.worker  # kept: the window drops a worker that died
        if self.worker is None:
            self._finish("Train did not start a run")
            return
        self.stage = f"waiting for {STEPS} training steps"
        self.poll.start(50)

    def _check(self) -> None:
        snap = self.window.run.snapshot
        if snap is not None and snap.error:
            self._finish(f"the training worker failed: {snap.error.strip().splitlines()[-1]}")
        elif not self.worker.alive:
            self._finish(f"the training worker exited (status {self.worker.exit_code})")
        elif snap is not None and snap.step >= STEPS:
            self._say(f"trained {snap.step} steps in the worker process")
            self._finish(None)

    def _finish(self, error: str | None) -> None:
        self.poll.stop()
        if error is not None:
            self._say(f"FAILED: {error}")
            QApplication.instance().exit(1)
            return
        self.stage = "closing the window"
        self.window._ask_unsaved = lambda: "discard"  # the example's training is no user's work
        if not self.window.close():  # else the last window closed: the app quits with status 0
            self._finish("the window refused to close")
