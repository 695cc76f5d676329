"""The window on a wide table: importing it, editing the network after, and
the first training step, measured offscreen in one run.

    python benchmarks/bench_import_gui.py [--file FILE.csv] [--edits N]

Opens the real window, imports FILE (default ``/tmp/nnbuilder_wide.csv``,
written by ``bench_csv.py``'s generator when missing: 60,000 rows of a label
and 784 pixel columns, ~177 MB) through File > Import data and its dialog
(the defaults: every pixel a feature, the network fitted, inputs
standardized), makes the hidden layer 128 relu units, and prints:

- frames/s the window drew while the file was read (a 60 Hz timer repaints
  the progress dialog; the frames are the timer's turns that came, the
  longest gap between two of them is the longest the window froze);
- the GUI time of the import dialog's Import (the data set, the network fitted),
  then the seconds until its training data is prepared (in the background)
  and the frames/s the window drew meanwhile;
- the GUI time of each structural edit after it (add a layer, change its
  units, connect): the edit's call and the longest freeze of the event loop
  until the window is at rest again, the worst of N rounds;
- the time from Train to the first training step the window has (a snapshot
  with step > 0), and to the step-0 row (the starting weights evaluated on
  every row, after the first steps);
- the peak resident memory (VmHWM) of the window's process and the worker's,
  and the bytes of the table and of the prepared training data the window holds;
- the window's resident memory while training (its own, RssAnon, and the
  pages it shares with the worker, RssShmem) and both processes'
  proportional set size (shared pages split between them: their sum is
  what the two use together);
- the growth of the window's PSS and RssAnon over its memory before the import;
- the load average of the machine at the start and the end (it is shared).

Targets (issue 20): >= 10 frames/s during the import, every edit < 0.5 s,
the first step within 2 s of Train.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = os.path.dirname(os.path.abspath(__file__))


def peak_mb(pid: int | str = "self", field: str = "VmHWM") -> float:
    """The peak resident memory (VmHWM) of process ``pid``, in MB (or another
    field of its /proc status: VmRSS, RssAnon, RssShmem)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pss_mb(pid: int | str = "self") -> float:
    """The proportional set size of process ``pid`` in MB: its pages, each
    shared one divided among the processes that map it (their sum is the
    memory they use together)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def resident_mb(pid: int | str, path: str) -> float:
    """MB of the file ``path`` resident through process ``pid``'s mappings of it."""
    total, ours = 0, False
    with open(f"/proc/{pid}/smaps") as fh:
        for line in fh:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and ":" in head[3]:  # a mapping's header
                ours = len(head) >= 6 and head[5] == path
            elif ours and line.startswith("Rss:"):
                total += int(head[1])
    return total / 1024


class Beat:
    """A 60 Hz timer that repaints ``widget`` each turn and records when the turns came."""

    def __init__(self, widget):
        from PySide6.QtCore import Qt, QTimer

        self.widget = widget
        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(16)
        self.timer.timeout.connect(self._turn)

    def _turn(self) -> None:
        self.times.append(time.perf_counter())
        if self.widget is not None:
            self.widget.repaint()

    def start(self) -> None:
        self.times = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> tuple[float, float]:
        """(turns per second, longest gap in seconds) since start."""
        self.timer.stop()
        self.times.append(time.perf_counter())
        t = self.times
        gaps = [b - a for a, b in zip(t, t[1:])]
        return (len(t) - 2) / (t[-1] - t[0]), max(gaps)


def wait(app, condition, timeout: float = 120.0, what: str = "") -> None:
    print(f"[{time.strftime('%H:%M:%S')}] waiting: {what}", file=sys.stderr, flush=True)
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise SystemExit(f"timed out waiting: {what}")
        app.processEvents()
        time.sleep(0.001)


def busy_time(app, fn, settle: float = 0.6) -> tuple[float, float]:
    """(seconds ``fn()`` took, the longest freeze of the event loop in the
    ``settle`` seconds after it): what a user waits for after an edit."""
    from PySide6.QtCore import QEventLoop, QTimer

    t0 = time.perf_counter()
    fn()
    call = time.perf_counter() - t0
    beat = Beat(None)
    loop = QEventLoop()
    beat.start()
    QTimer.singleShot(int(settle * 1000), loop.quit)
    loop.exec()
    _, gap = beat.stop()
    return call, gap


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", default="/tmp/nnbuilder_wide.csv")
    ap.add_argument("--edits", type=int, default=3, help="rounds of the three edits (the worst is shown)")
    args = ap.parse_args()
    load_start = " ".join(f"{v:.2f}" for v in os.getloadavg())
    if not os.path.exists(args.file):
        sys.path.insert(0, HERE)
        from bench_csv import write_wide
        print(f"writing {args.file}", file=sys.stderr)
        write_wide(args.file)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    folder = tempfile.mkdtemp(prefix="nnbuilder-bench-")
    os.environ["NNBUILDER_STATE_DIR"] = folder
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from nnbuilder.gui import MainWindow

    w = MainWindow(offer_restore=False)
    w.resize(1440, 900)
    w.training_panel.speed.setCurrentIndex(0)  # as fast as it goes
    w.show()
    wait(app, lambda: w.run.prepared().reason is None, what="the example ready")
    rss_before = peak_mb()
    before = {"PSS": pss_mb(), "RssAnon": peak_mb("self", "RssAnon")}

    # -------------------------------------------------------------- import
    size = os.path.getsize(args.file) / 1e6
    beat = Beat(w)
    beat.start()
    t0 = time.perf_counter()
    w.imports.import_data(args.file)
    wait(app, lambda: w.imports.import_dialog is not None and w.imports.import_dialog.isVisible(), 600, "the import dialog")
    read_s = time.perf_counter() - t0
    rss_read = peak_mb()
    fps, gap = beat.stop()
    dialog = w.imports.import_dialog
    dialog.target.setCurrentIndex(dialog.table.names.index("label"))
    accept_call, accept_gap = busy_time(app, dialog.accept)
    beat = Beat(w)
    beat.start()
    t0 = time.perf_counter()
    wait(app, lambda: w.imports.import_dialog is None and w.run.prepared().reason is None, what="imported")
    prepare_s = time.perf_counter() - t0
    prepare_fps, prepare_gap = beat.stop()
    rss_prepared = peak_mb()
    prepared = {"PSS": pss_mb(), "RssAnon": peak_mb("self", "RssAnon")}

    # 784-128-10 as in the engine benchmark: the example's first hidden layer
    # made 128 relu units, the others removed.
    doc = w.document
    dense = [n.id for n in doc.graph.nodes.values() if n.type == "dense"]
    out = doc.graph.nodes_of_type("output")[0].id
    doc.set_params(dense[0], mergeable=False, units=128, activation="relu")
    if dense[1:]:
        doc.remove(dense[1:])
        doc.connect(dense[0], out)
    wait(app, lambda: w.run.prepared().reason is None, what="784-128-10")

    # --------------------------------------------------------------- edits
    edits: dict[str, list[tuple[float, float]]] = {"add a layer": [], "connect": [], "change units": []}
    stack = doc.undo_stack
    for _ in range(args.edits):
        base = stack.index()
        added: list[str] = []
        edits["add a layer"].append(busy_time(app, lambda: added.extend(doc.add_node_after("dense", dense[0])[:1])))
        edge = next(e for e in doc.graph.edges if e.source == dense[0] and e.target == out)
        doc.remove(edges=[edge])  # then the new layer goes in before the Output
        edits["connect"].append(busy_time(app, lambda: doc.connect(added[0], out)))
        assert w.run.prepared().reason is None, w.run.prepared().reason
        edits["change units"].append(busy_time(app, lambda: doc.set_params(added[0], mergeable=False, units=32)))
        while stack.index() > base:
            busy_time(app, stack.undo, 0.1)

    # ---------------------------------------------------------- first step
    print("reason:", w.run.prepared().reason, [ (n.id, n.type, n.params.get('units')) for n in doc.graph.nodes.values()], [(e.source, e.target) for e in doc.graph.edges], file=sys.stderr)
    w.run.status.connect(lambda text, ms: print("status:", text, file=sys.stderr))
    first_snap_step = None
    t0 = time.perf_counter()
    w.run.toggle_play()
    marks = {"Train pressed": time.perf_counter() - t0}
    while not (w.run.snapshot is not None and w.run.snapshot.step > 0):
        now = time.perf_counter() - t0
        if "data and spec sent" not in marks and w.run.worker is not None and w.run.worker.backlog == 0:
            marks["data and spec sent"] = now
        if "worker's first snapshot" not in marks and w.run.worker is not None and \
                w.run.worker.peek() is not None:
            marks["worker's first snapshot"] = now
            first_snap_step = w.run.worker.peek().step
        if now > 120:
            raise SystemExit("no first step")
        app.processEvents()
        time.sleep(0.002)
    first_step = time.perf_counter() - t0
    wait(app, lambda: np.isfinite(w.run.snapshot.last["train_loss"]) or len(w.run.state.curves), 120,
         what="the step-0 row")
    row0 = time.perf_counter() - t0
    frames_ms = ", ".join(f"{ms:.0f}" for ms in list(w.live.draw_ms)[-5:])
    wait(app, lambda: w.run.snapshot.step > 2000 or time.perf_counter() - t0 > 5, what="2000 steps")
    worker_peak = peak_mb(w.run.worker.pid)
    window_peak = peak_mb()
    settled = {f: peak_mb("self", f) for f in ("VmRSS", "RssAnon", "RssShmem")}
    pss = {who: pss_mb(pid) for who, pid in (("window", "self"), ("worker", w.run.worker.pid))}
    from nnbuilder.core.run.protocol import data_bytes
    table_mb = w.data.dataset.X.nbytes / 1e6
    base = w.data.dataset.X.base
    if base is not None and hasattr(base, "nbytes"):
        table_mb = base.nbytes / 1e6  # the whole table the features are a view of
    prepared_mb = data_bytes(w.run.prepared().data) / 1e6
    from nnbuilder.core.run.protocol import MappedData
    shared = MappedData.sharing(w.run.prepared().data)
    in_window = shared and resident_mb("self", shared.path)
    w.run.worker.pause()
    w.run.shutdown()
    doc.undo_stack.setClean()
    w.close()

    print(f"window import of {args.file} ({size:.0f} MB) into the example network, offscreen")
    print(f"  reading: {read_s:.1f} s to the import dialog; {fps:.1f} frames/s drawn meanwhile "
          f"(target >= 10), longest freeze {gap * 1000:.0f} ms")
    print(f"  Import (data set, network fitted): {accept_call:.2f} s in the call, longest freeze "
          f"after {accept_gap:.2f} s; training data prepared in the background {prepare_s:.1f} s later, "
          f"{prepare_fps:.1f} frames/s drawn meanwhile, longest freeze {prepare_gap * 1000:.0f} ms")
    for name, runs in edits.items():
        worst = max(c + g for c, g in runs)
        print(f"  edit '{name}': call {max(c for c, _ in runs):.3f} s + longest freeze after "
              f"{max(g for _, g in runs):.3f} s; worst sum {worst:.3f} s of {len(runs)} (target < 0.5 s)")
    print(f"  Train to the first step: {first_step:.2f} s (target <= 2 s); "
          + ", ".join(f"{k} at {v:.2f} s" for k, v in marks.items() if not k.startswith("("))
          + f" (the worker's first snapshot at step {first_snap_step}; the window drew its last frames in "
          f"{frames_ms} ms); the step-0 row (starting weights on every row) at {row0:.2f} s")
    print(f"  peak RSS: window {window_peak:.0f} MB (before the import {rss_before:.0f} MB, after the "
          f"read {rss_read:.0f} MB, after the preparation {rss_prepared:.0f} MB), "
          f"worker {worker_peak:.0f} MB; the window holds the table ({table_mb:.0f} MB) and the "
          f"prepared training data ({prepared_mb:.0f} MB"
          + (f", its features a file the worker maps, {in_window:.0f} MB of it resident in the window)"
             if shared else ")"))
    print("  settled RSS of the window while training: " + ", ".join(f"{k} {v:.0f} MB" for k, v in settled.items())
          + f"; proportional set size (shared pages split between the processes that map them): window "
          f"{pss['window']:.0f} MB + worker {pss['worker']:.0f} MB = {sum(pss.values()):.0f} MB")
    print("  the window's growth over its memory before the import (the table is "
          f"{table_mb:.0f} MB, the prepared features {prepared_mb:.0f} MB): "
          + "; ".join(f"{k} {before[k]:.0f} MB before, +{prepared[k] - before[k]:.0f} MB once the data is "
                      f"prepared, +{now - before[k]:.0f} MB while training"
                      for k, now in (("PSS", pss["window"]), ("RssAnon", settled["RssAnon"]))))
    print(f"  load average: {load_start} at the start, {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"at the end ({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
