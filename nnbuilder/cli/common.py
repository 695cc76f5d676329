"""What every command shares: the error type, exit codes, loading a model,
building its network, formatting numbers, reading the data a command names."""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3


class CliError(Exception):
    """Bad input found by the CLI itself; printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        raise CliError(f"{message} (see '{self.prog} --help')")


def load_model_file(path: str):
    from nnbuilder.core.files.modelfile import load_model

    return load_model(path)


def trained_model(path: str, why: str = ""):
    """(document, network with its trained weights) of the model file at
    ``path``; a CliError when it has none (``why`` says what needs them)."""
    doc = load_model_file(path)
    if doc.weights is None:
        raise CliError(f"{path}: the model has no trained weights; run 'nnbuilder train' first{why}")
    net = network_of(doc, path)
    net.set_weights(doc.weights)
    return doc, net


def network_of(doc, path: str):
    from nnbuilder.core.engine.network import Network

    errors = doc.graph.errors()
    if errors:
        raise CliError(f"{path}: the network is not valid: " + "; ".join(map(str, errors)))
    return Network(doc.graph)


def fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


class Progress:
    """A one-line progress bar on a terminal's stderr; silent elsewhere."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.last = max(total, 1), enabled, 0.0

    def update(self, done: int, loss: float, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < 0.1):
            return
        self.last = now
        frac = min(done / self.total, 1.0)
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        sys.stderr.write(f"\r[{bar}] epoch {done}/{self.total}  loss {fmt(loss)} ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def reading_progress(path: str):
    """A ``progress(fraction)`` callback that draws "reading FILE [###...] 42%"
    on a terminal's stderr (and ends the line at 100%); None elsewhere."""
    if not sys.stderr.isatty():
        return None
    name, shown = os.path.basename(path), [-1]

    def progress(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent == shown[0]:
            return
        shown[0] = percent
        bar = "#" * (percent * 30 // 100) + "." * (30 - percent * 30 // 100)
        sys.stderr.write(f"\rreading {name} [{bar}] {percent:3d}%" + ("\n" if percent >= 100 else ""))
        sys.stderr.flush()
    return progress




def add_data_arguments(s: argparse.ArgumentParser, required: bool = True) -> None:
    """--dataset/--data and their options, as ``train`` takes them (which,
    ``required=False``, reads the model's own data without them)."""
    src = s.add_mutually_exclusive_group(required=required)
    src.add_argument("--dataset", metavar="NAME")
    src.add_argument("--data", metavar="FILE.csv")
    s.add_argument("--samples", type=int, metavar="N")
    s.add_argument("--noise", type=float, metavar="F")
    s.add_argument("--target", metavar="COL", help="label column by name or number (default: the one column named label, target, class, y, ...; else the last)")
    s.add_argument("--task", choices=["classification", "regression"],
                   help="with --data: the task (default: detected from the target column)")
    s.add_argument("--drop-bad", action="store_true",
                   help="with --data: leave out rows with a missing or non-numeric cell")


def read_data(args, seed: int):
    """(Dataset, its ``dataset`` entry for the model file) from --dataset or
    --data; ``args.split`` may be absent (then the default split)."""
    from nnbuilder.core.data.csvfile import read_table
    from nnbuilder.core.data.datasets import DATASETS, make_dataset
    from nnbuilder.core.errors import DataError

    split_arg = getattr(args, "split", None)
    if args.dataset:
        info = DATASETS.get(args.dataset)
        if info is None:
            raise CliError(f"--dataset: unknown dataset {args.dataset!r}; "
                           f"choose from {', '.join(DATASETS)}")
        split = info.split if split_arg is None else split_arg
        ds = make_dataset(args.dataset, None if info.fixed else args.samples,
                          None if info.fixed else args.noise, seed)
        return ds, {"name": args.dataset, "samples": None if info.fixed else len(ds),
                    "noise": args.noise if args.noise is not None else info.noise,
                    "split": split, "seed": seed}
    split = 0.5 if split_arg is None else split_arg
    table = read_table(args.data, reading_progress(args.data))
    try:
        ds = table.to_dataset(None, args.target, args.task, args.drop_bad)
    except DataError as e:
        if args.drop_bad:
            raise
        try:  # a bad cell that --drop-bad would leave out: say so, as predict does
            table.to_dataset(None, args.target, args.task, True)
        except DataError:
            raise e from None
        raise CliError(f"{e} (--drop-bad leaves out such rows)") from None
    left = len(table.matrix) - len(ds)
    if left:  # as predict says it: the user learns how much of the file trained
        print(f"nnbuilder: left out {left} row{'s' * (left != 1)} of {len(table.matrix)} with a missing "
              "or bad cell (--drop-bad)", file=sys.stderr)
    return ds, {"csv": os.path.abspath(args.data), "target": args.target, "task": args.task,
                "drop_bad": args.drop_bad, "split": split, "seed": seed}


def own_data(doc, path: str, args, seed: int):
    """(Dataset, its ``dataset`` entry) of the data the model file ``path``
    names itself (a built-in set, a CSV file, rows saved in the file, painted
    points); ``args.split``, ``args.samples`` and ``args.noise`` override
    its settings, ``args.seed`` its seed."""
    from nnbuilder.core.data.datasets import DATASETS, dataset_from_spec

    if not doc.dataset:
        raise CliError(f"{path}: the model names no data; give --dataset NAME or --data FILE.csv")
    spec = dict(doc.dataset)
    info = DATASETS.get(spec.get("name"))
    overrides = {"split": getattr(args, "split", None),
                 "seed": seed if getattr(args, "seed", None) is not None else None}
    if info is not None and not info.fixed:
        overrides.update(samples=args.samples, noise=args.noise)
    spec.update({k: v for k, v in overrides.items() if v is not None})
    spec.setdefault("split", info.split if info is not None else 0.5)
    spec.setdefault("seed", seed)
    return dataset_from_spec(spec, reading_progress(spec["csv"]) if "csv" in spec and "rows" not in spec
                             else None), spec
