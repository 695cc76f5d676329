"""The exported PyTorch script trained under torchrun on the issue-20 table.

    python benchmarks/bench_torchrun.py [--file FILE.csv] [--nproc 2] [--epochs 2]
                                        [--dtype float32|float64] [--batch-size 64]

Writes the 60,000 x 784 table once (``bench_csv.write_wide``: a label column
and 784 pixels 0..255, ~177 MB; default ``/tmp/nnbuilder_wide.csv``), a
784-128-10 design (inputs standardized, relu, softmax, cross-entropy, sgd
lr 0.01), exports it
untrained (``nnbuilder export --format torch``: its initial weights) and runs

    torchrun --standalone --nproc_per_node N net.py train --data FILE --target label

with torchrun from the same environment as this Python. It prints the time
the script took to read the file, each epoch's training time (the script's
own figures), the wall time, and the peak resident memory of each worker
process (VmHWM, read from /proc while it runs) and of the largest child of
all (getrusage, once they have exited). Issue 20's target: at most 2 GB per
process.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_csv import write_wide  # noqa: E402

from nnbuilder.core.engine.config import TrainConfig  # noqa: E402
from nnbuilder.core.files.exports import write_export  # noqa: E402
from nnbuilder.core.files.modelfile import ModelDocument  # noqa: E402
from nnbuilder.core.model.graph import Graph  # noqa: E402


def _children(pid: int) -> list[int]:
    """The processes below ``pid`` (from /proc)."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parent[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def _peak_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _is_worker(pid: int, script: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
    except OSError:
        return False
    return any(a.endswith(script.encode()) for a in args) and b"torch.distributed.run" not in args[1:3] \
        and not any(a.endswith(b"torchrun") for a in args[:2])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", default="/tmp/nnbuilder_wide.csv")
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--batch-size", type=int, default=64)
    args = p.parse_args()
    if not os.path.exists(args.file):
        print(f"writing {args.file} ...", flush=True)
        write_wide(args.file)
    torchrun = Path(sys.executable).with_name("torchrun")
    with tempfile.TemporaryDirectory() as tmp:
        g = Graph.chain([784, 128, 10], activation="relu", output_activation="softmax", loss="cross_entropy")
        g.set_params(g.nodes_of_type("input")[0].id, normalize="standardize")
        doc = ModelDocument(g, training=TrainConfig(optimizer="sgd", lr=0.01, batch_size=args.batch_size))
        script = str(Path(tmp) / "net.py")
        write_export(doc, "torch", script)
        cmd = [str(torchrun), "--standalone", "--nproc_per_node", str(args.nproc), script, "train",
               "--data", args.file, "--target", "label", "--epochs", str(args.epochs),
               "--dtype", args.dtype, "-o", str(Path(tmp) / "trained.json")]
        print(" ".join(cmd), flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peaks: dict[int, int] = {}
        while proc.poll() is None:
            for pid in _children(proc.pid):
                if _is_worker(pid, script):
                    kb = _peak_kb(pid)
                    if kb:
                        peaks[pid] = max(peaks.get(pid, 0), kb)
            time.sleep(0.2)
        out, err = proc.communicate()
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"torchrun failed ({proc.returncode}):\n{err[-3000:]}")
    print(out, end="")
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux
    read = re.search(r"read in ([\d.]+) s", out)
    epochs = [float(s) for s in re.findall(r"\(([\d.]+) s\)", out)]
    rows = [("processes", str(args.nproc)), ("dtype", args.dtype), ("batch (all processes)", str(args.batch_size)),
            ("CSV read per process", f"{float(read.group(1)):.1f} s" if read else "?")]
    rows += [(f"epoch {i + 1}", f"{s:.1f} s") for i, s in enumerate(epochs)]
    rows += [("wall time (start to file written)", f"{wall:.1f} s")]
    rows += [(f"peak RSS, worker {i + 1}", f"{kb / 1024:.0f} MB") for i, kb in enumerate(sorted(peaks.values()))]
    rows += [("peak RSS, largest child (getrusage)", f"{largest / 1024:.0f} MB")]
    width = max(len(k) for k, _ in rows)
    print()
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
