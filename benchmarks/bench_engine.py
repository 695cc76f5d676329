"""Training speed of the nnbuilder engine against peers, measured in one run.

    python benchmarks/bench_engine.py [--seconds S] [--repeats R]
    python benchmarks/bench_engine.py --mnist [--steps N] [--repeats R]

Prints training steps/s for each configuration and, when installed, the same
network, data, batch size and optimizer in PyTorch eager on the CPU with one
thread and in scikit-learn's MLPClassifier, with nnbuilder's speed as a ratio
of theirs. Peers are optional (``pip install '.[bench]'`` for scikit-learn;
``pip install torch==2.13.0`` takes a local CPU build on these machines).

Every library gets one thread, so the figures compare per-step overhead and
kernels rather than how many cores a BLAS grabs. ``--mnist`` is the issue-20
row: 784-128-10 at batch 64 on 60,000 rows, nnbuilder and PyTorch eager (one
thread) in the same run (the same initial weights and batches, nnbuilder's
default optimizer), in float64 (what the window trains) and float32, with
nnbuilder on one BLAS thread and on every core (what the worker uses for a
layer this size). nnbuilder's figure includes
its per-epoch evaluation of the loss on the whole training and test sets (what
a user gets); the PyTorch loop does no evaluation, which favours PyTorch.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

from nnbuilder.core.data.datasets import Dataset, make_dataset  # noqa: E402
from nnbuilder.core.model.graph import Graph  # noqa: E402
from nnbuilder.core.engine.network import Network  # noqa: E402
from nnbuilder.core.engine.config import TrainConfig  # noqa: E402
from nnbuilder.core.engine.traindata import TrainData  # noqa: E402
from nnbuilder.core.engine.trainer import Trainer  # noqa: E402

CONFIGS = {
    # name: (widths, hidden activation, batch size, lr, dtype, data)
    "playground": ([2, 8, 8, 1], "tanh", 10, 0.03, np.float32, "circle"),
    "wide": ([2, 64, 64, 64, 1], "relu", 32, 0.03, np.float32, "circle"),
    "digits-sized": ([64, 128, 10], "relu", 64, 0.03, np.float32, "digits"),
    "playground-f64": ([2, 8, 8, 1], "tanh", 10, 0.03, np.float64, "circle"),
}


def make_data(kind: str):
    """(X, labels, n_classes): the same arrays for every library."""
    if kind == "circle":
        ds = make_dataset("circle", samples=1000, noise=0.1, seed=0)
        return ds.X, ds.y, 2
    rng = np.random.default_rng(0)  # digits-sized: 1797 x 64 with 10 classes
    centers = rng.normal(0, 1, (10, 64))
    y = rng.integers(0, 10, 1797)
    return centers[y] + rng.normal(0, 1.5, (1797, 64)), y, 10


def graph_for(widths, act):
    if widths[-1] == 1:
        return Graph.chain(widths, activation=act, output_activation="sigmoid", loss="bce")
    return Graph.chain(widths, activation=act, output_activation="softmax", loss="cross_entropy")


def timed(step_fn, seconds: float) -> float:
    """Steps/s of ``step_fn(n)`` (runs n steps) over about ``seconds``."""
    step_fn(200)  # warm up
    n, elapsed = 500, 0.0
    while elapsed < seconds * 0.2:
        t0 = time.perf_counter()
        step_fn(n)
        elapsed = time.perf_counter() - t0
        if elapsed < seconds * 0.2:
            n *= 2
    total = max(n, int(n * seconds / max(elapsed, 1e-9)))
    t0 = time.perf_counter()
    step_fn(total)
    return total / (time.perf_counter() - t0)


def bench_nnbuilder(widths, act, bs, lr, dtype, X, y, n_classes, seconds):
    net = Network(graph_for(widths, act), dtype=dtype)
    ds = Dataset(X, y, "classification", "bench", n_classes)
    t = Trainer(net, TrainData.from_dataset(ds, net, 0.8, seed=0), TrainConfig(lr=lr, batch_size=bs), seed=0)
    return timed(t.run, seconds)


def bench_torch(widths, act, bs, lr, dtype, X, y, n_classes, seconds):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    n_train = int(0.8 * len(X))
    Xt = torch.tensor(X[:n_train], dtype=tdt)
    layers = []
    for a, b in zip(widths[:-2], widths[1:-1]):
        layers += [torch.nn.Linear(a, b), torch.nn.Tanh() if act == "tanh" else torch.nn.ReLU()]
    layers.append(torch.nn.Linear(widths[-2], widths[-1]))
    model = torch.nn.Sequential(*layers).to(tdt)
    if widths[-1] == 1:
        yt = torch.tensor(y[:n_train, None], dtype=tdt)
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        yt = torch.tensor(y[:n_train], dtype=torch.long)
        loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    state = {"perm": torch.randperm(n_train), "pos": 0}

    def run(steps):
        for _ in range(steps):
            if state["pos"] >= n_train:
                state["perm"], state["pos"] = torch.randperm(n_train), 0
            idx = state["perm"][state["pos"]:state["pos"] + bs]
            state["pos"] += bs
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()

    return timed(run, seconds)


def bench_sklearn(widths, act, bs, lr, dtype, X, y, n_classes, seconds):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    n_train = int(0.8 * len(X))
    Xs, ys = X[:n_train].astype(dtype), y[:n_train]
    steps_per_epoch = -(-n_train // bs)

    def run(steps):
        epochs = max(1, steps // steps_per_epoch)
        clf = MLPClassifier(hidden_layer_sizes=tuple(widths[1:-1]), activation=act, solver="sgd",
                            learning_rate_init=lr, batch_size=bs, momentum=0.0, max_iter=epochs,
                            n_iter_no_change=10**9, tol=0.0, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(Xs, ys)

    # sklearn runs whole epochs: time whole fits and count their steps.
    run(steps_per_epoch)
    epochs = 5
    while True:
        t0 = time.perf_counter()
        run(epochs * steps_per_epoch)
        dt = time.perf_counter() - t0
        if dt > seconds * 0.5 or epochs > 10**5:
            return epochs * steps_per_epoch / dt
        epochs *= 2


def mnist_like(rows: int = 60_000, side: int = 28):
    """(X standardized ``(rows, side*side)``, labels): bench_csv.py's 60,000 x 784
    table (10 blurred blobs plus noise, 0..255), made in memory."""
    from bench_csv import blob_prototypes

    rng = np.random.default_rng(0)
    protos = blob_prototypes(rng, side)
    y = rng.integers(0, 10, rows)
    X = np.clip(protos[y] * 300 + rng.normal(100, 70, (rows, side * side)), 0, 255).round()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y


def same_run_784(steps: int, dtype, threads: int | None = None) -> dict:
    """784-128-10 (relu, softmax + cross-entropy, batch 64, nnbuilder's
    default optimizer and learning rate) on 60,000 rows: ``steps`` steps of
    nnbuilder and of PyTorch eager (one thread) from the same initial weights
    on the same batches. Returns the steps/s of each and the largest
    difference of their final weights (the same run: ~1e-12 in float64).
    ``threads``: nnbuilder's BLAS threads (default one, as PyTorch's)."""
    import torch
    from threadpoolctl import threadpool_limits

    X, y = mnist_like()
    cfg = TrainConfig(batch_size=64)
    net = Network(graph_for([784, 128, 10], "relu"), dtype=dtype)
    data = TrainData.from_dataset(Dataset(X, y, "classification", "mnist-like", 10), net, 1.0, seed=0)
    t = Trainer(net, data, cfg, seed=0)
    start = {nid: (W.copy(), b.copy()) for nid, (W, b) in net.params.items()}
    perm = t._perm.copy()  # the epoch's order of rows: PyTorch takes the same batches
    assert steps * 64 <= len(perm), "one epoch at most: the next one's order is drawn then"

    with threadpool_limits(threads or 1, user_api="blas"):
        t0 = time.perf_counter()
        t.run(steps)
        ours = steps / (time.perf_counter() - t0)

    torch.set_num_threads(1)
    tdt = torch.float32 if np.dtype(dtype) == np.float32 else torch.float64
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(tdt)
    with torch.no_grad():
        for layer, nid in zip((model[0], model[2]), list(start)):
            layer.weight.copy_(torch.from_numpy(start[nid][0].T.copy()))
            layer.bias.copy_(torch.from_numpy(start[nid][1].copy()))
    Xt = torch.from_numpy(np.ascontiguousarray(data.X_train))
    yt = torch.from_numpy(data.labels_train)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[cfg.optimizer](model.parameters(), lr=cfg.lr)
    batches = [torch.from_numpy(perm[i * 64:(i + 1) * 64]) for i in range(steps)]
    t0 = time.perf_counter()
    for idx in batches:
        opt.zero_grad()
        loss_fn(model(Xt[idx]), yt[idx]).backward()
        opt.step()
    theirs = steps / (time.perf_counter() - t0)
    diff = max(float(np.abs(net.params[nid][0] - layer.weight.detach().numpy().T).max())
               for layer, nid in zip((model[0], model[2]), list(start)))
    return {"nnbuilder": ours, "torch": theirs, "diff": diff}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--repeats", type=int, default=3, help="measurements per figure (median)")
    ap.add_argument("--only", nargs="*", help="configuration names to run")
    ap.add_argument("--mnist", action="store_true",
                    help="only the 784-128-10 row on 60,000 rows against PyTorch, the same run")
    ap.add_argument("--steps", type=int, default=900, help="with --mnist: steps timed (at most 937)")
    args = ap.parse_args()
    if args.mnist:
        mnist(args)
        return

    peers = {}
    try:
        import torch

        peers["torch"] = (bench_torch, f"PyTorch {torch.__version__} eager, 1 thread")
    except ImportError:
        print("PyTorch not installed: no PyTorch column (pip install torch==2.13.0)")
    try:
        import sklearn

        peers["sklearn"] = (bench_sklearn, f"scikit-learn {sklearn.__version__} MLPClassifier")
    except ImportError:
        print("scikit-learn not installed: no scikit-learn column (pip install '.[bench]')")

    print(f"numpy {np.__version__}; {args.repeats} x {args.seconds:g} s per figure, median; SGD, "
          "one thread each")
    for key, (_, label) in peers.items():
        print(f"  {key}: {label}")
    header = f"{'config':<16} {'nnbuilder':>10}" + "".join(f" {k:>10} {'ratio':>7}" for k in peers)
    print(header + "\n" + "-" * len(header))
    for name, (widths, act, bs, lr, dtype, kind) in CONFIGS.items():
        if args.only and name not in args.only:
            continue
        X, y, k = make_data(kind)
        fig = lambda fn: statistics.median(  # noqa: E731
            fn(widths, act, bs, lr, dtype, X, y, k, args.seconds) for _ in range(args.repeats))
        ours = fig(bench_nnbuilder)
        row = f"{name:<16} {ours:>10.0f}"
        for key, (fn, _) in peers.items():
            theirs = fig(fn)
            row += f" {theirs:>10.0f} {ours / theirs:>6.2f}x"
        print(row, flush=True)
    print("figures are training steps/s; ratio = nnbuilder / peer (higher is better for nnbuilder)")


def mnist(args) -> None:
    from nnbuilder.core.run.worker import machine_cores

    try:
        import torch
    except ImportError:
        print("PyTorch not installed: pip install torch==2.13.0")
        return
    cores = machine_cores()
    print(f"784-128-10 relu, softmax + cross-entropy, batch 64, {TrainConfig().optimizer} lr {TrainConfig().lr} "
          f"on 60,000 rows x 784: {args.steps} steps from the same weights on the same batches, "
          f"median of {args.repeats}; PyTorch {torch.__version__} eager, 1 thread")
    for dtype in (np.float64, np.float32):
        for threads in sorted({1, cores}):
            runs = [same_run_784(args.steps, dtype, threads) for _ in range(args.repeats)]
            ours = statistics.median(r["nnbuilder"] for r in runs)
            theirs = statistics.median(r["torch"] for r in runs)
            print(f"  {np.dtype(dtype).name}, nnbuilder on {threads} BLAS thread{'s' if threads > 1 else ''}: "
                  f"nnbuilder {ours:7.0f} steps/s, PyTorch {theirs:7.0f} steps/s, ratio {ours / theirs:.2f}x "
                  f"(final weights differ by at most {max(r['diff'] for r in runs):.1e})", flush=True)


if __name__ == "__main__":
    main()
