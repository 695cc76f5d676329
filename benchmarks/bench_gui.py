"""Live-training cost of the window, measured offscreen in one run.

The headless figure is the same trainer in this process, in the same chunks
the worker runs; the live figure is the worker's (a child process) while the
window draws every snapshot.

    python benchmarks/bench_gui.py [--seconds S] [--steps N]

Opens the real window on the playground network (2 -> 8 tanh -> 8 tanh ->
1 sigmoid, bce, batch 10, SGD 0.03, circle data) with the 100x100 output
map, neuron maps and weight lines on, and prints:

- training steps/s with the window drawing live, divided by steps/s of the
  same trainer headless (no window, no snapshots) measured in the same run;
- the GUI timer's interval p50/p99 (target 33 ms) and frames drawn per second;
- the peak growth of resident memory over a run of N steps (default 1,000,000).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def playground_file(folder: str) -> str:
    from nnbuilder.core.graph import Graph
    from nnbuilder.core.modelfile import ModelDocument, save_model
    from nnbuilder.core.trainer import TrainConfig

    g = Graph.chain([2, 8, 8, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    path = os.path.join(folder, "playground.json")
    save_model(path, ModelDocument(g, None, TrainConfig(lr=0.03, batch_size=10),
                                   {"name": "circle", "samples": 500, "noise": 0.0, "split": 0.5, "seed": 0}))
    return path


def headless_rate(path: str, seconds: float) -> float:
    from nnbuilder.core.datasets import make_dataset
    from nnbuilder.core.modelfile import load_model
    from nnbuilder.core.network import Network
    from nnbuilder.core.trainer import TrainData, Trainer

    doc = load_model(path)
    net = Network(doc.graph)
    data = TrainData.from_dataset(make_dataset("circle", 500, 0.0, 0), net, 0.5, 0)
    t = Trainer(net, data, doc.training, seed=0)
    t.run(2000)
    t0, s0 = time.perf_counter(), t.step
    while time.perf_counter() - t0 < seconds:
        t.run(100)  # the same chunks as the live worker
    return (t.step - s0) / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="time for the speed figures")
    ap.add_argument("--steps", type=int, default=1_000_000, help="steps of the memory run")
    args = ap.parse_args()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    folder = tempfile.mkdtemp(prefix="nnbuilder-bench-")
    os.environ["NNBUILDER_STATE_DIR"] = folder
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
    path = playground_file(folder)

    # The best of three, so noise can only make the ratio look worse.
    headless = max(headless_rate(path, max(1.0, args.seconds / 4)) for _ in range(3))

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from nnbuilder.gui import MainWindow

    w = MainWindow(path, offer_restore=False)
    w.resize(1440, 900)
    w.show()
    ctl = w.training
    state = {"phase": "warmup", "t0": 0.0, "s0": 0, "rss0": 0.0, "rss_peak": 0.0, "frames0": 0,
             "intervals": None, "live_rate": 0.0, "frames_per_s": 0.0}

    def current_step() -> int:
        snap = ctl.live.peek() if ctl.live is not None else None
        return snap.step if snap is not None else 0

    def worker_rss() -> float:
        try:
            return rss_mb(ctl.live.pid)
        except (OSError, AttributeError):
            return float("nan")

    def poll():
        now = time.perf_counter()
        state["rss_peak"] = max(state["rss_peak"], rss_mb())
        state["wrss_peak"] = max(state.get("wrss_peak", 0.0), worker_rss())
        if state["phase"] == "warmup" and current_step() > 2000:
            state.update(phase="measure", t0=now, s0=current_step(), frames0=ctl.frames_drawn,
                         ticks0=len(ctl.frame_times))
            ctl.frame_times.clear()
            ctl.draw_ms.clear()
        elif state["phase"] == "measure" and now - state["t0"] >= args.seconds:
            dt = now - state["t0"]
            state["live_rate"] = (current_step() - state["s0"]) / dt
            state["frames_per_s"] = (ctl.frames_drawn - state["frames0"]) / dt
            state["intervals"] = np.diff(np.array(ctl.frame_times)) * 1000
            state["draw_ms"] = np.array(ctl.draw_ms)
            state.update(phase="memory", rss0=rss_mb(), rss_peak=rss_mb(), wrss0=worker_rss(),
                         wrss_peak=worker_rss())
            print(f"speed figures done; running to {args.steps:,} steps for the memory figure",
                  file=sys.stderr, flush=True)
        elif state["phase"] == "memory" and current_step() >= args.steps:
            state["phase"] = "done"
            state["final_step"] = current_step()
            state["wrss_peak"] = max(state["wrss_peak"], worker_rss())
            ctl.shutdown()
            w.document.undo_stack.setClean()
            w.document._forced_modified = False
            w.close()
            app.quit()

    QTimer.singleShot(300, ctl.toggle_play)
    poller = QTimer()
    poller.timeout.connect(poll)
    poller.start(200)
    app.exec()

    iv = state["intervals"]
    ratio = state["live_rate"] / headless
    print(f"playground 2-8-8-1 tanh, batch 10, 100x100 output map, neuron maps and weight lines on")
    print(f"headless trainer            {headless:10,.0f} steps/s")
    print(f"with the window drawing     {state['live_rate']:10,.0f} steps/s   ratio {ratio:.2f} (target >= 0.80)")
    print(f"GUI timer interval          p50 {np.percentile(iv, 50):.1f} ms   p99 {np.percentile(iv, 99):.1f} ms"
          f"   max {iv.max():.1f} ms (target p99 <= 40 ms at 33 ms)")
    slow = np.argsort(iv)[-5:]
    print("slowest intervals (ms):", ", ".join(f"{iv[i]:.0f}" for i in slow))
    print(f"frames drawn                {state['frames_per_s']:.1f} /s (target >= 28); each took "
          f"p50 {np.percentile(state['draw_ms'], 50):.1f} ms, p99 {np.percentile(state['draw_ms'], 99):.1f} ms")
    print(f"memory over {state['final_step']:,} steps  window process: start {state['rss0']:.0f} MB, peak "
          f"{state['rss_peak']:.0f} MB, growth {state['rss_peak'] - state['rss0']:.1f} MB; "
          f"worker process: start {state['wrss0']:.0f} MB, peak {state['wrss_peak']:.0f} MB, growth "
          f"{state['wrss_peak'] - state['wrss0']:.1f} MB (target < 50 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
