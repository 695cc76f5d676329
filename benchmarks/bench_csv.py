"""Reading a CSV file for the import dialog, against peers in the same run.

    python benchmarks/bench_csv.py [--rows N] [--repeats R]
    python benchmarks/bench_csv.py --wide [--file FILE.csv] [--repeats R]

``--wide`` is the issue-20 table: 60,000 rows of a label and 784 pixel
columns (0..255, ~177 MB, written once to FILE, default
``/tmp/nnbuilder_wide.csv``). It times, medians of R runs in fresh
processes: ``load_csv`` (what ``nnbuilder train --data`` reads) beside
``pandas.read_csv`` (C engine) and ``pyarrow.csv.read_csv`` when installed,
and the peak RSS of ``nnbuilder train`` (784-128-10, one epoch) on it.

Writes a table of ``N`` rows (4 numeric columns and a text label, like Iris)
and times:

- ``read_table``: nnbuilder's full read (cells kept for the preview and the
  bad-cell report, numbers parsed, empty-cell masks), then ``to_dataset``;
- the peers: the standard library's ``csv.reader`` into lists (no number
  parsing: a floor for any pure-Python reader) and ``numpy.loadtxt`` of the
  numeric columns (C parsing, but no text labels and no per-cell report);
  pandas ``read_csv`` when it is installed.

It also reports the longest single step of ``read_table_steps``, and then
reads the file with the window's own ``TableLoader`` in an offscreen
QApplication (on a thread of its own) while a zero-interval timer records
every turn of the event loop: the longest gap between turns is the longest
the window goes without repainting while it imports. (The test suite asserts
the structure instead: the reader's steps run off the window's thread.)
``bench_import_gui.py`` measures the whole window on the wide table.
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from nnbuilder.core.data.csvfile import ROWS_PER_STEP, read_table, read_table_steps  # noqa: E402


def write_table(path: str, rows: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 4))
    labels = np.array(["setosa", "versicolor", "virginica"])[rng.integers(0, 3, rows)]
    with open(path, "w") as fh:
        fh.write("a,b,c,d,species\n")
        for r, k in zip(X, labels):
            fh.write(f"{r[0]:.6f},{r[1]:.6f},{r[2]:.6f},{r[3]:.6f},{k}\n")


def blob_prototypes(rng: np.random.Generator, side: int = 28) -> np.ndarray:
    """(10, side*side): one blurred blob per class, the MNIST-like tables' digits."""
    yy, xx = np.mgrid[0:side, 0:side] / (side - 1)
    protos = []
    for _ in range(10):
        cx, cy, r = rng.uniform(0.3, 0.7, 2).tolist() + [rng.uniform(0.15, 0.35)]
        protos.append(np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)).ravel())
    return np.array(protos)


def write_wide(path: str, rows: int = 60_000, side: int = 28) -> None:
    """An MNIST-like table: a label column, then side*side pixels 0..255."""
    rng = np.random.default_rng(0)
    protos = blob_prototypes(rng, side)
    with open(path, "w") as fh:
        fh.write("label," + ",".join(f"pixel{i}" for i in range(side * side)) + "\n")
        for lo in range(0, rows, 1000):
            n = min(1000, rows - lo)
            y = rng.integers(0, 10, n)
            X = np.clip(protos[y] * 300 + rng.normal(100, 70, (n, side * side)), 0, 255).astype(np.int64)
            fh.write("".join(f"{k}," + ",".join(map(str, r)) + "\n" for k, r in zip(y.tolist(), X.tolist())))


_TIMED = {  # run in a fresh process each: (what, code reading PATH)
    # pandas imported before the clock starts for both: the reads are compared
    "nnbuilder load_csv": "import pandas; from nnbuilder.core.data.datasets import load_csv; load_csv(PATH, 'label')",
    "pandas.read_csv (C engine)": "import pandas as pd; pd.read_csv(PATH)",
    "pyarrow.csv.read_csv": "import pyarrow.csv as pc; pc.read_csv(PATH)",
}


def _timed(code: str, path: str) -> tuple[float, float] | None:
    """(seconds, peak RSS in MB) of ``code`` in a fresh Python; None when it
    cannot import what it needs. Imports are not timed."""
    import subprocess
    import sys

    imports, _, call = code.rpartition("; ")
    script = (f"import resource, time\nPATH = {path!r}\n{imports}\nt0 = time.perf_counter()\n{call}\n"
              "print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    if done.returncode != 0:
        return None
    t, rss = done.stdout.split()[-2:]
    return float(t), float(rss)


def wide(path: str, repeats: int) -> None:
    import subprocess
    import sys

    if not os.path.exists(path):
        write_wide(path)
    size = os.path.getsize(path) / 1e6
    print(f"CSV load: {path} ({size:.0f} MB), medians of {repeats} runs in fresh processes")
    results = {}
    for _ in range(repeats):  # interleaved, so a busy moment hits every reader alike
        for name, code in _TIMED.items():
            r = _timed(code, path)
            if r is not None:
                results.setdefault(name, []).append(r)
    ours = statistics.median(t for t, _ in results["nnbuilder load_csv"])
    pandas = results.get("pandas.read_csv (C engine)")
    for name, runs in results.items():
        t = statistics.median(r[0] for r in runs)
        rss = statistics.median(r[1] for r in runs)
        ratio = "" if name.startswith("nnbuilder") else f"   nnbuilder / this = {ours / t:.2f}x"
        print(f"  {name:<28} {t:7.2f} s  (runs {', '.join(f'{r[0]:.2f}' for r in runs)}), "
              f"peak RSS {rss:5.0f} MB{ratio}")
    if pandas is None:
        print("  pandas not installed")
    with tempfile.TemporaryDirectory() as tmp:
        model, out = os.path.join(tmp, "m.json"), os.path.join(tmp, "t.json")
        cli = [sys.executable, "-c", "import sys; from nnbuilder.cli import main; sys.exit(main())"]
        subprocess.run(cli + ["new", "784-128-10", "--activation", "relu", "-o", model], check=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cli + ["train", model, "--data", path, "--target", "label", "--epochs", "1",
                                       "--json", "-o", out], stdout=subprocess.DEVNULL)
        # This child's own peak (RUSAGE_CHILDREN would be the largest of every child, the readers' too).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"nnbuilder train failed ({proc.returncode})")
        elapsed = time.perf_counter() - t0
        peak = usage.ru_maxrss / 1024
    print(f"  nnbuilder train 784-128-10, 1 epoch: peak RSS {peak:.0f} MB, {elapsed:.1f} s in all")


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def window_loader(path: str) -> tuple[float, float, int]:
    """(seconds to load, longest gap between event-loop turns, turns) of the
    window's TableLoader reading ``path`` (on its thread)."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from nnbuilder.gui.data.importer import TableLoader

    app = QApplication.instance() or QApplication([])  # noqa: F841 - the loop needs it
    turns: list[float] = []
    beat = QTimer()
    beat.setInterval(0)  # fires once per turn of the event loop
    beat.timeout.connect(lambda: turns.append(time.perf_counter()))
    loop = QEventLoop()
    loader = TableLoader(path)
    loader.finished.connect(loop.quit)
    failed: list[str] = []
    loader.failed.connect(failed.append)
    beat.start()
    t0 = time.perf_counter()
    turns.append(t0)
    loader.start()
    loop.exec()
    elapsed = time.perf_counter() - t0
    beat.stop()
    if failed:
        raise SystemExit(failed[0])
    turns.append(time.perf_counter())
    return elapsed, float(np.diff(turns).max()), len(turns) - 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--wide", action="store_true", help="the 60,000 x 784 table (see above)")
    ap.add_argument("--file", default="/tmp/nnbuilder_wide.csv", help="with --wide: where the table is")
    args = ap.parse_args()
    if args.wide:
        wide(args.file, args.repeats)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "table.csv")
        write_table(path, args.rows)
        size = os.path.getsize(path) / 1e6

        ours = best(lambda: read_table(path).to_dataset(), args.repeats)

        def stdlib():
            with open(path, newline="") as fh:
                return list(csv.reader(fh))
        floor = best(stdlib, args.repeats)
        loadtxt = best(lambda: np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(4)),
                       args.repeats)
        try:
            import pandas as pd
            pandas = best(lambda: pd.read_csv(path), args.repeats)
        except ImportError:
            pandas = None

        steps, longest = 0, 0.0
        gen = read_table_steps(path)
        last = time.perf_counter()
        try:
            while True:
                next(gen)
                now = time.perf_counter()
                longest, last, steps = max(longest, now - last), now, steps + 1
        except StopIteration:
            pass
        runs = [window_loader(path) for _ in range(args.repeats)]
        loader_time = min(r[0] for r in runs)
        loader_gap = max(r[1] for r in runs)  # the worst pause a user would have seen
        turns = runs[0][2]

    print(f"CSV import: {args.rows:,} rows x 5 columns ({size:.1f} MB), best of {args.repeats}")
    print(f"  nnbuilder read_table + to_dataset   {ours:7.3f} s")
    print(f"  csv.reader into lists (no numbers)  {floor:7.3f} s   nnbuilder / this = {ours / floor:.2f}x")
    print(f"  numpy.loadtxt, numeric columns only {loadtxt:7.3f} s   nnbuilder / this = {ours / loadtxt:.2f}x")
    if pandas is not None:
        print(f"  pandas.read_csv                     {pandas:7.3f} s   nnbuilder / this = {ours / pandas:.2f}x")
    else:
        print("  pandas.read_csv                     not installed")
    print(f"  read in {steps} steps of at most {ROWS_PER_STEP:,} rows; the longest step {longest * 1000:.0f} ms")
    print(f"  the window's TableLoader (offscreen)  {loader_time:7.3f} s   in {turns} turns of the event loop; "
          f"longest gap between turns {loader_gap * 1000:.0f} ms (worst of {args.repeats})")


if __name__ == "__main__":
    main()
