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

It also reports the longest single step of ``read_table_steps``: the window
reads one step at a time between events, so that is the longest the window
can go without repainting while it imports.
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time

import numpy as np

from nnbuilder.core.table import read_table, read_table_steps


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

    print(f"CSV import: {args.rows:,} rows x 5 columns ({size:.1f} MB), best of {args.repeats}")
    print(f"  nnbuilder read_table + to_dataset   {ours:7.3f} s")
    print(f"  csv.reader into lists (no numbers)  {floor:7.3f} s   nnbuilder / this = {ours / floor:.2f}x")
    print(f"  numpy.loadtxt, numeric columns only {loadtxt:7.3f} s   nnbuilder / this = {ours / loadtxt:.2f}x")
    if pandas is not None:
        print(f"  pandas.read_csv                     {pandas:7.3f} s   nnbuilder / this = {ours / pandas:.2f}x")
    else:
        print("  pandas.read_csv                     not installed")
    print(f"  read in {steps} steps; the longest step (the window's longest pause) {longest * 1000:.0f} ms")


if __name__ == "__main__":
    main()
