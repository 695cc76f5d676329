"""A trained model as one self-contained PyTorch script (Python source text).

The script needs PyTorch and the standard library, nothing else. It holds
the model file (graph, training settings, trained weights) as JSON text and

- ``class Net(torch.nn.Module)``: that graph, float64, loaded with the
  trained weights; ``Net()(x)`` on the raw columns (``(N, k)``) returns what
  ``nnbuilder predict`` prints as outputs (to about 1e-15);
- ``python OUT.py train --data FILE.csv --target COL --epochs N -o OUT.json``:
  training with the model file's loss, optimizer, learning rate, batch size
  and L1/L2, with DistributedDataParallel when started by ``torchrun`` (gloo
  on CPU, nccl on GPUs); it writes an nnbuilder model file.

The code is generated from tables keyed by the model file's names:
:data:`TORCH_FEATURES`, :data:`TORCH_ACTIVATIONS`, :data:`TORCH_NODES`,
:data:`TORCH_LOSSES` and :data:`TORCH_OPTIMIZERS`. Nothing here imports
torch: this module writes text. Where the script differs from nnbuilder's
engine is said in docs/model-format.md ("Export").

Most of the module is the script's template, kept in one piece so it
reads as the file a user gets.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from .export_onnx import trained_network
from ..functions.features import columns_needed
from ..functions.losses import LOSSES
from .modelfile import model_to_dict
from ..engine.config import TrainConfig

__all__ = ["TORCH_FEATURES", "TORCH_ACTIVATIONS", "TORCH_NODES", "TORCH_LOSSES",
           "TORCH_OPTIMIZERS", "torch_script"]

#: Each named feature as a column expression of ``x`` (see core/functions/features.py);
#: raw columns x3, x4... are ``x[:, k]``.
TORCH_FEATURES: dict[str, str] = {
    "x1": "x[:, 0]",
    "x2": "x[:, 1]",
    "x1^2": "x[:, 0] * x[:, 0]",
    "x2^2": "x[:, 1] * x[:, 1]",
    "x1*x2": "x[:, 0] * x[:, 1]",
    "sin(x1)": "torch.sin(x[:, 0])",
    "sin(x2)": "torch.sin(x[:, 1])",
}

#: Each activation of ``{h}`` (``{a}``: its slope or scale).
TORCH_ACTIVATIONS: dict[str, str] = {
    "step": "({h} > 0).to({h}.dtype)",
    "linear": "{h}",
    "sigmoid": "torch.sigmoid({h})",
    "tanh": "torch.tanh({h})",
    "relu": "torch.relu({h})",
    "leaky_relu": "F.leaky_relu({h}, {a!r})",
    "elu": "F.elu({h}, {a!r})",
    # not F.softplus: above 20 it returns h itself, 2e-9 from ln(1 + e^h)
    "softplus": "torch.logaddexp(torch.zeros_like({h}), {h})",
    "swish": "{h} * torch.sigmoid({h})",
    "sine": "torch.sin({h})",
    "softmax": "torch.softmax({h}, dim=1)",
}

#: The data loss of a batch as nnbuilder defines it: the mean over rows of
#: the sum over outputs (see core/functions/losses.py). ``(name, fused)``: fused is
#: True when the engine computes the loss from the logits ``z`` (sigmoid +
#: bce, softmax + cross_entropy), False when from the outputs ``a``.
TORCH_LOSSES: dict[tuple[str, bool], str] = {
    ("l2", False): "0.5 * ((a - y) ** 2).sum() / len(a)",
    ("l1", False): "(a - y).abs().sum() / len(a)",
    ("huber", False): "torch.where((a - y).abs() <= 1, 0.5 * (a - y) ** 2, (a - y).abs() - 0.5)"
                      ".sum() / len(a)",
    ("hinge", False): "torch.clamp(1 - (2 * y - 1) * a, min=0).sum() / len(a)",
    ("bce", True): "(torch.clamp(z, min=0) - y * z + torch.log1p(torch.exp(-z.abs()))).sum() / len(a)",
    ("bce", False): "-(y * torch.log(a.clamp(1e-12, 1 - 1e-12)) + (1 - y) * "
                    "torch.log(1 - a.clamp(1e-12, 1 - 1e-12))).sum() / len(a)",
    ("cross_entropy", True): "(torch.logsumexp(z, dim=1) - (y * z).sum(dim=1)).sum() / len(a)",
    ("cross_entropy", False): "-(y * torch.log(a.clamp(1e-12, 1))).sum() / len(a)",
}

#: The optimizer over ``params`` with the model file's settings ``c``
#: (core/engine/optimizers.py). SGD's and RMSProp's updates are nnbuilder's exactly;
#: Adam adds eps to sqrt(v_hat) where nnbuilder adds it to sqrt(v).
TORCH_OPTIMIZERS: dict[str, Callable[[TrainConfig], str]] = {
    "sgd": lambda c: f"torch.optim.SGD(params, lr={c.lr!r}, momentum={c.momentum!r}, "
                     f"nesterov={bool(c.nesterov and c.momentum)!r})",
    "rmsprop": lambda c: f"torch.optim.RMSprop(params, lr={c.lr!r}, alpha={c.rho!r}, eps={c.eps!r})",
    "adam": lambda c: f"torch.optim.Adam(params, lr={c.lr!r}, betas=({c.beta1!r}, {c.beta2!r}), "
                      f"eps={c.eps!r})",
}


def _no_optimizer(c: TrainConfig) -> str:
    """An nnbuilder optimizer the script does not implement: Net() works, train says so."""
    return (f"sys.exit({c.optimizer!r} + ': the exported script trains with sgd, rmsprop or adam; '"
            " 'set one of them in the model (Training panel or nnbuilder train --optimizer) and "
            "export again')")


@dataclass
class _Code:
    """Lines of ``Net.__init__`` and ``Net.forward`` being generated."""

    net: object
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    var: dict[str, str] = field(default_factory=dict)  # node id -> its output variable
    pre: dict[str, str] = field(default_factory=dict)  # node id -> its pre-activation z (weighted nodes)

    def activate(self, nid: str, h: str) -> str:
        node = self.net.nodes[nid]
        return TORCH_ACTIVATIONS[node.params["activation"]].format(h=h, a=node.alpha)


def _feature(name: str) -> str:
    return TORCH_FEATURES.get(name) or f"x[:, {int(name[1:]) - 1}]"


def _input(c: _Code, nid: str, h: str, ins: list[str]) -> None:
    cols = ", ".join(_feature(f) for f in c.net.features)
    c.forward.append(f"{h} = torch.stack([{cols}], dim=1)")
    if c.net.standardize:
        n = len(c.net.features)
        c.init.append(f"self.register_buffer('mean', torch.zeros({n}, dtype=torch.float64))")
        c.init.append(f"self.register_buffer('std', torch.ones({n}, dtype=torch.float64))")
        c.forward.append(f"{h} = ({h} - self.mean) / self.std")


def _dense(c: _Code, nid: str, h: str, ins: list[str]) -> None:
    _, fan_in, units, b_off = c.net.layout[nid]
    c.init.append(f"self.layers[{nid!r}] = torch.nn.Linear({fan_in}, {units}, "
                  f"bias={b_off is not None}, dtype=torch.float64)")
    z = "z" + h[1:]
    c.forward.append(f"{z} = self.layers[{nid!r}]({ins[0]})")
    c.forward.append(f"{h} = {c.activate(nid, z)}")
    c.pre[nid] = z


def _dropout(c: _Code, nid: str, h: str, ins: list[str]) -> None:
    c.init.append(f"self.layers[{nid!r}] = torch.nn.Dropout({c.net.nodes[nid].params['rate']!r})")
    c.forward.append(f"{h} = self.layers[{nid!r}]({ins[0]})")


#: ``TORCH_NODES[type](code, node_id, output variable, input variables)``
#: appends the node's lines to ``Net.__init__`` and ``Net.forward``.
TORCH_NODES: dict[str, Callable[[_Code, str, str, list[str]], None]] = {
    "input": _input,
    "dense": _dense,
    "output": _dense,
    "activation": lambda c, nid, h, ins: c.forward.append(f"{h} = {c.activate(nid, ins[0])}"),
    "dropout": _dropout,
    "add": lambda c, nid, h, ins: c.forward.append(f"{h} = {' + '.join(ins)}"),
    "concat": lambda c, nid, h, ins: c.forward.append(f"{h} = torch.cat([{', '.join(ins)}], dim=1)"),
}


def torch_script(doc, name: str = "model") -> str:
    """The script's text for a trained model document; NNBuilderError if it
    is untrained or not valid."""
    net = trained_network(doc)
    code = _Code(net)
    for i, nid in enumerate(net.order):
        h = f"h{i}"
        code.var[nid] = h
        code.forward.append(f"# {net.nodes[nid].name or nid} ({net.nodes[nid].type})")
        TORCH_NODES[net.nodes[nid].type](code, nid, h, [code.var[s] for s in net.inputs[nid]])
    out = net.output_id
    act = net.nodes[out].params["activation"]
    loss = net.loss
    cfg = doc.training or TrainConfig()
    k = columns_needed(net.features)
    columns = (doc.columns or [f"x{i + 1}" for i in range(k)])
    model = model_to_dict(doc)
    metrics = doc.metrics or {}
    # the task of the data it learnt: what its metrics say, else what its loss is for
    classify = any("accuracy" in key for key in metrics) if metrics else \
        LOSSES[loss.name].task == "classification"
    fill = {
        "NAME": name,
        "COLUMNS": ", ".join(columns[:k]),
        "MODEL_JSON": repr(json.dumps(model, separators=(",", ":"), allow_nan=False)),
        "INIT": "\n        ".join(code.init) or "pass",
        "FORWARD": "\n        ".join(code.forward),
        "Z_OUT": code.pre[out],
        "H_OUT": code.var[out],
        "LOSS": TORCH_LOSSES[(loss.name, loss.fused == act)],
        "OPTIMIZER": TORCH_OPTIMIZERS.get(cfg.optimizer, _no_optimizer)(cfg),
        "THRESHOLD": repr(loss.threshold),
        "TASK": repr("classification" if classify else "regression"),
        "WEIGHTED": repr(list(net.layout)),
        "INPUT_ID": repr(net.input_id),
        "STANDARDIZE": repr(net.standardize),
        "K": str(k),
        "FEATURES": ", ".join(_feature(f) for f in net.features),
        "UNITS": str(net.n_outputs),
    }
    text = _TEMPLATE
    for key, value in fill.items():
        text = text.replace(f"@{key}@", value)
    return text


_TEMPLATE = '''\
#!/usr/bin/env python3
"""@NAME@: an nnbuilder network as a PyTorch module (exported by nnbuilder).

Needs PyTorch and nothing else.

    Net()(x)   x: (N, @K@) raw columns @COLUMNS@ -> (N, @UNITS@), float64,
               what `nnbuilder predict` prints as outputs

    python THIS.py train --data FILE.csv --target COL --epochs N -o trained.json
    torchrun --standalone --nproc_per_node 2 THIS.py train ...   (DistributedDataParallel)

Training uses the model file's loss, optimizer, learning rate, batch size
and L1/L2, starts from the weights below and writes an nnbuilder model file
(open it with `nnbuilder gui trained.json`). Under torchrun the batch size
is split over the processes (each takes ceil(batch / processes) rows), so
one step still averages the gradient over about one batch.
"""
import argparse
import csv
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

#: The nnbuilder model file this script was exported from: graph, training
#: settings and the trained weights that Net() loads.
MODEL = json.loads(@MODEL_JSON@)
#: The raw data columns x reads, by name, and the task of the data it learnt.
COLUMNS = MODEL.get("columns") or ["x%d" % (i + 1) for i in range(@K@)]
TASK = @TASK@


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleDict()
        @INIT@
        self.load_weights(MODEL["weights"])

    def forward(self, x, logits=False):
        """Outputs (N, units) for raw columns x (N, @K@); with logits=True
        also the Output node's pre-activation: (z, outputs)."""
        x = x.to(torch.float64)
        @FORWARD@
        return (@Z_OUT@, @H_OUT@) if logits else @H_OUT@

    def load_weights(self, weights):
        """From an nnbuilder weights entry: W is (fan_in, units), y = x W + b."""
        with torch.no_grad():
            for nid in @WEIGHTED@:
                layer = self.layers[nid]
                layer.weight.copy_(torch.tensor(weights[nid]["W"], dtype=torch.float64).T)
                if layer.bias is not None:
                    layer.bias.copy_(torch.tensor(weights[nid]["b"], dtype=torch.float64))
            if @STANDARDIZE@:
                self.mean.copy_(torch.tensor(weights[@INPUT_ID@]["mean"], dtype=torch.float64))
                self.std.copy_(torch.tensor(weights[@INPUT_ID@]["std"], dtype=torch.float64))

    def weights(self):
        """The nnbuilder weights entry of the current parameters."""
        out = {}
        for nid in @WEIGHTED@:
            layer = self.layers[nid]
            out[nid] = {"W": layer.weight.detach().cpu().T.tolist(),
                        "b": None if layer.bias is None else layer.bias.detach().cpu().tolist()}
        if @STANDARDIZE@:
            out[@INPUT_ID@] = {"mean": self.mean.cpu().tolist(), "std": self.std.cpu().tolist()}
        return out


def data_loss(z, a, y):
    """nnbuilder's loss: the mean over rows of the sum over outputs."""
    return @LOSS@


def accuracy(a, y):
    """The fraction of rows whose class (the largest output; one output: above
    the loss's threshold) is the target's."""
    if a.shape[1] == 1:
        return float(((a[:, 0] > @THRESHOLD@) == (y[:, 0] > 0.5)).double().mean())
    return float((a.argmax(dim=1) == y.argmax(dim=1)).double().mean())


def penalty(net):
    """L2 (l2/2 sum W^2) and L1 (l1 sum |W|) on the weights, never the biases."""
    cfg = MODEL["training"] or {}
    total = 0.0
    for nid in @WEIGHTED@:
        W = net.layers[nid].weight
        if cfg.get("l2"):
            total = total + 0.5 * cfg["l2"] * (W * W).sum()
        if cfg.get("l1"):
            total = total + cfg["l1"] * W.abs().sum()
    return total


def make_optimizer(params):
    return @OPTIMIZER@


def _number(text):
    try:
        return float(text)
    except ValueError:
        return None


def _class_key(text):
    value = _number(text)
    return text if value is None else (str(int(value)) if value.is_integer() else str(value))


def read_rows(path):
    """The non-empty rows of a CSV file (comma, semicolon or tab separated), as cell texts."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        sys.exit(f"{path}: cannot read: {getattr(e, 'strerror', None) or e}")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[c.strip() for c in r] for r in csv.reader(text.splitlines(), dialect) if any(c.strip() for c in r)]
    if len(rows) < 2:
        sys.exit(f"{path}: needs at least two rows")
    # a header has a text cell above a number, as nnbuilder reads it
    first, second = rows[0], rows[1]
    header = any(_number(c) is None and (j >= len(second) or _number(second[j]) is not None)
                 for j, c in enumerate(first))
    return (first, rows[1:]) if header else (["x%d" % (j + 1) for j in range(len(first))], rows)


def embedded_rows():
    """The header and rows the model file carries ("Save with data"), as cell texts."""
    data = MODEL.get("dataset") or {}
    if "rows" not in data:
        sys.exit("--data FILE.csv is needed: this model file carries no rows of data")
    text = lambda v: v if isinstance(v, str) else repr(v)  # noqa: E731  (numbers as written)
    return list(data["columns"]), [[text(v) for v in row] for row in data["rows"]]


def read_data(path, target, task):
    """(X (N, @K@), Y (N, @UNITS@) encoded as nnbuilder encodes targets, column
    names, class names) from a CSV file, or from the model file's own rows."""
    names, body = read_rows(path) if path else embedded_rows()
    path = path or "the model file's data"
    if target is None:
        t = len(names) - 1
    elif target in names:
        t = names.index(target)
    elif target.isdigit() and 1 <= int(target) <= len(names):
        t = int(target) - 1
    else:
        sys.exit(f"{path}: no column {target!r} (the file has {', '.join(names)})")
    if all(c in names for c in COLUMNS[:@K@]):
        feats = [names.index(c) for c in COLUMNS[:@K@]]
    else:
        feats = [j for j in range(len(names)) if j != t][:@K@]
    if len(feats) < @K@ or t in feats:
        sys.exit(f"{path}: the network reads @K@ columns ({', '.join(COLUMNS[:@K@])}) besides the target")
    X, keys = [], []
    for i, row in enumerate(body):
        values = [_number(row[j]) if j < len(row) else None for j in feats]
        if any(v is None or not math.isfinite(v) for v in values) or t >= len(row):
            sys.exit(f"{path}: data row {i + 1}: a feature cell is missing or not a number")
        X.append(values)
        keys.append(row[t])
    X = torch.tensor(X, dtype=torch.float64)
    if task == "regression":
        values = [_number(k) for k in keys]
        if any(v is None for v in values):
            sys.exit(f"{path}: the target column {names[t]!r} must hold numbers for regression")
        if @UNITS@ != 1:
            sys.exit(f"{path}: one target column, but the Output node has @UNITS@ units")
        return X, torch.tensor(values, dtype=torch.float64)[:, None], [names[j] for j in feats], None
    labels = MODEL.get("labels") or sorted({_class_key(k) for k in keys}, key=lambda s: (_number(s) is None, _number(s) or 0, s))
    if not MODEL.get("labels") and all(_number(s) is not None and float(s).is_integer() and 0 <= float(s) < max(@UNITS@, 2) for s in labels):
        labels = [str(i) for i in range(max(@UNITS@, 2))]
    if len(labels) != max(@UNITS@, 2):
        sys.exit(f"{path}: {len(labels)} classes ({', '.join(labels)}) but the network has "
                 f"{max(@UNITS@, 2)} (its Output node has @UNITS@ units)")
    index = {name: i for i, name in enumerate(labels)}
    missing = sorted({_class_key(k) for k in keys} - set(index))
    if missing:
        sys.exit(f"{path}: class {missing[0]!r} is not one of the network's classes {', '.join(labels)}")
    classes = torch.tensor([index[_class_key(k)] for k in keys])
    Y = classes[:, None].to(torch.float64) if @UNITS@ == 1 else F.one_hot(classes, @UNITS@).to(torch.float64)
    named = labels if labels != [str(i) for i in range(len(labels))] else None
    return X, Y, [names[j] for j in feats], named


def train(argv):
    cfg = MODEL["training"] or {}
    p = argparse.ArgumentParser(prog="train", description="Train this network (torchrun: DDP).")
    p.add_argument("--data", metavar="FILE.csv",
                   help="the data (default: the rows the model file carries, if it does)")
    p.add_argument("--target", metavar="COL", help="label column by name or number (default last)")
    p.add_argument("--epochs", type=int, default=cfg.get("max_epochs") or 100)
    p.add_argument("--seed", type=int, default=MODEL.get("seed") or 0)
    p.add_argument("--task", choices=["classification", "regression"], default=TASK)
    p.add_argument("-o", "--output", required=True, metavar="OUT.json")
    args = p.parse_args(argv)

    import torch.distributed as dist
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, device = 0, torch.device("cpu")
    if world > 1:  # started by torchrun
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        rank = dist.get_rank()
        if backend == "nccl":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    torch.manual_seed(args.seed + rank)  # dropout masks differ between processes

    embedded = args.data is None
    if embedded and args.target is None:
        args.target = (MODEL.get("dataset") or {}).get("target")
    X, Y, names, labels = read_data(args.data, args.target, args.task)
    model = Net()
    if @STANDARDIZE@:  # nnbuilder standardizes with the training rows' statistics
        with torch.no_grad():
            Fx = _features(X)
            std = Fx.std(dim=0, unbiased=False)
            model.mean.copy_(Fx.mean(dim=0))
            model.std.copy_(torch.where(std > 1e-12, std, torch.ones_like(std)))
    model.to(device)
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = make_optimizer(model.parameters())
    batch = math.ceil(min(cfg.get("batch_size") or 10, len(X)) / world)
    rows = TensorDataset(X, Y)
    sampler = DistributedSampler(rows, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(rows, batch_size=batch, sampler=sampler)
    if rank == 0:
        print(f"training on {len(X)} rows, {world} process(es), {args.epochs} epochs, "
              f"batch {batch} per process, {cfg.get('optimizer', 'sgd')} lr {cfg.get('lr')}",
              flush=True)
    loss = acc = float("nan")
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            z, a = net(xb, logits=True)
            objective = data_loss(z, a, yb) + penalty(model)
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
        if rank == 0:
            model.eval()
            with torch.no_grad():
                z, a = model(X.to(device), logits=True)
                loss = float(data_loss(z, a, Y.to(device)))
                if args.task == "classification":
                    acc = accuracy(a, Y.to(device))
            if not math.isfinite(loss):
                sys.exit(f"diverged in epoch {epoch + 1}: the loss is {loss}; try a smaller lr")
            if epoch + 1 == args.epochs or (epoch + 1) % max(1, args.epochs // 10) == 0:
                extra = f"  train accuracy {acc:.4g}" if args.task == "classification" else ""
                print(f"epoch {epoch + 1}/{args.epochs}  train loss {loss:.6g}{extra}", flush=True)
    if rank == 0:
        out = dict(MODEL)
        out["weights"] = model.weights()
        if embedded:  # the same rows, all of them training
            out["dataset"] = dict(MODEL["dataset"], split=1.0, seed=args.seed)
        else:
            out["dataset"] = {"csv": os.path.abspath(args.data), "target": args.target,
                              "task": args.task, "split": 1.0, "seed": args.seed}
        out["columns"] = names
        out["labels"] = labels
        out["training"] = dict(cfg, max_epochs=args.epochs)
        out["metrics"] = {"train_loss": loss, "epochs": args.epochs, "processes": world}
        if args.task == "classification":
            out["metrics"]["train_accuracy"] = acc
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
            fh.write("\\n")
        print(f"wrote {args.output}", flush=True)
    if world > 1:
        dist.destroy_process_group()


def _features(x):
    """The Input node's features of raw columns x, before standardizing."""
    x = x.to(torch.float64)
    return torch.stack([@FEATURES@], dim=1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "train":
        train(sys.argv[2:])
    else:
        print(__doc__)
'''
