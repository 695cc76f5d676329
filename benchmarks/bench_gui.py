"""Live-training cost of the window, measured offscreen in one run.

The headless figure is the same trainer in this process, in the same chunks
the worker runs; the live figure is the worker's (a child process) while the
window draws every snapshot.

    python benchmarks/bench_gui.py [--seconds S] [--rounds R] [--idle-seconds I] [--steps N]

Opens the real window on the playground network (2 -> 8 tanh -> 8 tanh ->
1 sigmoid, bce, batch 10, SGD 0.03, circle data) with the 100x100 output
map, neuron maps and weight lines on, and prints:

- training steps/s with the window drawing live, divided by steps/s of the
  same trainer headless (no window, no snapshots), in alternating phases of
  the same run (median of the rounds);
- the GUI timer's interval p50/p99 (target 33 ms) and frames drawn per second;
- the CPU the paused window and its worker use together over I seconds of an
  idle event loop (share of one core; target at most 2 %);
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
    from nnbuilder.core.model.graph import Graph
    from nnbuilder.core.files.modelfile import ModelDocument, save_model
    from nnbuilder.core.engine.config import TrainConfig

    g = Graph.chain([2, 8, 8, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    path = os.path.join(folder, "playground.json")
    save_model(path, ModelDocument(g, None, TrainConfig(lr=0.03, batch_size=10),
                                   {"name": "circle", "samples": 500, "noise": 0.0, "split": 0.5, "seed": 0}))
    return path


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid``, in seconds."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def headless_rate(path: str, seconds: float) -> float:
    from nnbuilder.core.data.datasets import make_dataset
    from nnbuilder.core.files.modelfile import load_model
    from nnbuilder.core.engine.network import Network
    from nnbuilder.core.engine.traindata import TrainData
    from nnbuilder.core.engine.trainer import Trainer

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
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each live and headless phase")
    ap.add_argument("--rounds", type=int, default=5, help="live/headless phase pairs (median ratio)")
    ap.add_argument("--idle-seconds", type=float, default=3.0, help="length of the paused (idle) phase")
    ap.add_argument("--steps", type=int, default=1_000_000, help="steps of the memory run")
    args = ap.parse_args()

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    folder = tempfile.mkdtemp(prefix="nnbuilder-bench-")
    os.environ["NNBUILDER_STATE_DIR"] = folder
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
    path = playground_file(folder)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from nnbuilder.gui import MainWindow

    w = MainWindow(path, offer_restore=False)
    w.resize(1440, 900)
    w.training_panel.speed.setCurrentIndex(0)  # max: measure how fast it can go
    w.show()
    ctl = w.live
    # Live and headless phases alternate, so a machine whose speed drifts
    # (shared hosts do) affects both sides of each ratio alike.
    st = {"phase": "warmup", "round": 0, "t0": 0.0, "s0": 0, "frames0": 0, "ratios": [],
          "live": [], "headless": [], "intervals": [], "fps": [], "draw_ms": [],
          "rss0": 0.0, "rss_peak": 0.0, "wrss0": 0.0, "wrss_peak": 0.0, "idle": float("nan")}

    def current_step() -> int:
        snap = w.run.worker.peek() if w.run.worker is not None else None
        return snap.step if snap is not None else 0

    def worker_rss() -> float:
        try:
            return rss_mb(w.run.worker.pid)
        except (OSError, AttributeError):
            return float("nan")

    def start_live(now):
        st.update(phase="live", t0=now, s0=current_step(), frames0=ctl.frames_drawn)
        ctl.frame_times.clear()
        ctl.draw_ms.clear()

    def poll():
        now = time.perf_counter()
        st["rss_peak"] = max(st["rss_peak"], rss_mb())
        st["wrss_peak"] = max(st["wrss_peak"], worker_rss())
        if st["phase"] == "warmup" and current_step() > 2000:
            start_live(now)
        elif st["phase"] == "live" and now - st["t0"] >= args.seconds:
            dt = now - st["t0"]
            live_rate = (current_step() - st["s0"]) / dt
            st["fps"].append((ctl.frames_drawn - st["frames0"]) / dt)
            st["intervals"] += list(np.diff(np.array(ctl.frame_times)) * 1000)
            st["draw_ms"] += list(ctl.draw_ms)
            w.run.worker.pause()
            time.sleep(0.2)  # let the worker stop
            headless = headless_rate(path, args.seconds)
            st["live"].append(live_rate)
            st["headless"].append(headless)
            st["ratios"].append(live_rate / headless)
            st["round"] += 1
            if st["round"] < args.rounds:
                w.run.worker.play()
                st["phase"] = "resume"
                st["t_resume"] = time.perf_counter()
            else:  # paused: the idle figure, with nothing of the benchmark's own running
                st["phase"] = "idle"
                poller.stop()
                QTimer.singleShot(1000, start_idle)
        elif st["phase"] == "resume" and now - st["t_resume"] > 0.5:
            start_live(now)
        elif st["phase"] == "memory" and current_step() >= args.steps:
            st["phase"] = "done"
            st["final_step"] = current_step()
            w.run.shutdown()
            w.document.undo_stack.setClean()
            w.document._forced_modified = False
            w.close()
            app.quit()

    def start_idle():
        st["idle0"] = (time.perf_counter(), time.process_time(), cpu_seconds(w.run.worker.pid))
        QTimer.singleShot(int(args.idle_seconds * 1000), end_idle)

    def end_idle():
        t0, ours, theirs = st["idle0"]
        used = time.process_time() - ours + cpu_seconds(w.run.worker.pid) - theirs
        st["idle"] = used / (time.perf_counter() - t0)
        w.run.worker.play()
        st.update(phase="memory", rss0=rss_mb(), rss_peak=rss_mb(), wrss0=worker_rss(),
                  wrss_peak=worker_rss())
        print(f"speed and idle figures done; running to {args.steps:,} steps for the memory figure",
              file=sys.stderr, flush=True)
        poller.start(100)

    QTimer.singleShot(300, w.run.toggle_play)
    poller = QTimer()
    poller.timeout.connect(poll)
    poller.start(100)
    app.exec()

    iv, dm = np.array(st["intervals"]), np.array(st["draw_ms"])
    print("playground 2-8-8-1 tanh, batch 10, 100x100 output map, neuron maps and weight lines on")
    print(f"{args.rounds} rounds of {args.seconds:g} s live, then {args.seconds:g} s of the same trainer headless")
    for i, (a, h) in enumerate(zip(st["live"], st["headless"])):
        print(f"  round {i + 1}: live {a:8,.0f} steps/s, headless {h:8,.0f} steps/s, ratio {a / h:.2f}")
    print(f"ratio live/headless         median {np.median(st['ratios']):.2f} (target >= 0.9)")
    print(f"GUI timer interval          p50 {np.percentile(iv, 50):.1f} ms   p99 {np.percentile(iv, 99):.1f} ms"
          f"   max {iv.max():.1f} ms (target p99 <= 35 ms at 33 ms)")
    print(f"frames drawn                {np.median(st['fps']):.1f} /s (target >= 25); each took "
          f"p50 {np.percentile(dm, 50):.1f} ms, p99 {np.percentile(dm, 99):.1f} ms")
    print(f"idle CPU, paused            {100 * st['idle']:.2f} % of one core, window and worker together "
          f"over {args.idle_seconds:g} s (target <= 2 %)")
    print(f"memory over {st['final_step']:,} steps: window process {st['rss0']:.0f} -> peak "
          f"{st['rss_peak']:.0f} MB (+{st['rss_peak'] - st['rss0']:.1f}), worker process "
          f"{st['wrss0']:.0f} -> peak {st['wrss_peak']:.0f} MB (+{st['wrss_peak'] - st['wrss0']:.1f}) "
          "(target growth < 50 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
