"""Reading a CSV file for the import dialog, against peers in the same run.

    python benchmarks/bench_csv.py [--rows N] [--repeats R]

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
QApplication (one step per turn of the event loop) while a zero-interval
timer records every turn: the longest gap between turns is the longest the
window goes without repainting while it imports. (The test suite asserts
the structure instead: a turn at least every ``ROWS_PER_STEP`` rows.)
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

from nnbuilder.core.data.table import ROWS_PER_STEP, read_table, read_table_steps  # noqa: E402


def write_table(path: str, rows: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 4))
    labels = np.array(["setosa", "versicolor", "virginica"])[rng.integers(0, 3, rows)]
    with open(path, "w") as fh:
        fh.write("a,b,c,d,species\n")
        for r, k in zip(X, labels):
            fh.write(f"{r[0]:.6f},{r[1]:.6f},{r[2]:.6f},{r[3]:.6f},{k}\n")


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def window_loader(path: str) -> tuple[float, float, int]:
    """(seconds to load, longest gap between event-loop turns, turns) of the
    window's TableLoader reading ``path``."""
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
    args = ap.parse_args()
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
