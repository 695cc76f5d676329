"""A model as one self-contained PyTorch script (Python source text).

The script needs PyTorch and NumPy (pandas, when installed, reads CSV files
faster). It holds the model file (graph, training settings, weights: the
trained ones, or for an untrained model the initial weights ``nnbuilder
train`` starts from, see :func:`~.exports.exported_network`) as JSON text and

- ``class Net(torch.nn.Module)``: that graph, float64 by default, loaded
  with those weights; ``Net()(x)`` on the raw columns (``(N, k)``) returns
  what ``nnbuilder predict`` prints as outputs (to about 1e-15);
- ``python OUT.py train --data FILE.csv --target COL -o OUT.json``: training
  with the model file's loss, optimizer and L1/L2 (``--lr --batch-size
  --epochs --val-split`` override), float32 by default (``--dtype float64``
  takes nnbuilder's steps), with DistributedDataParallel when started by
  ``torchrun`` (gloo on CPU, nccl on GPUs); it writes an nnbuilder model file.
  The CSV file is read a block of rows at a time straight into one NumPy
  array per process; rows are numbered, bad cells reported and (with the
  model's ``drop_bad`` or ``--drop-bad``) left out as nnbuilder's CSV reader
  does (core/data/csvfile.py, table.py). The task (classification with the
  Output node's classes, or regression) is the model's
  (:func:`~.exports.model_task`).

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
import re
import textwrap
from dataclasses import dataclass, field
from typing import Callable

from ..engine.config import TrainConfig
from ..functions.features import columns_needed
from .exports import exported_network, model_task
from .modelfile import ModelDocument, model_to_dict

__all__ = ["TORCH_FEATURES", "TORCH_ACTIVATIONS", "TORCH_NODES", "TORCH_LOSSES",
           "TORCH_OPTIMIZERS", "torch_script"]

#: Each derived feature as a column expression of ``x`` (see core/functions/features.py);
#: raw columns (x1, x7...) are picked together by one index (:func:`_features`).
TORCH_FEATURES: dict[str, str] = {
    "x1^2": "x[:, 0] * x[:, 0]",
    "x2^2": "x[:, 1] * x[:, 1]",
    "x1*x2": "x[:, 0] * x[:, 1]",
    "sin(x1)": "torch.sin(x[:, 0])",
    "sin(x2)": "torch.sin(x[:, 1])",
}

#: Each activation of ``{h}`` (``{a}``: its slope or scale; ``{nid}``: the
#: node, whose nn.PReLU holds a prelu layer's learned slopes).
TORCH_ACTIVATIONS: dict[str, str] = {
    "step": "({h} > 0).to({h}.dtype)",
    "linear": "{h}",
    "sigmoid": "torch.sigmoid({h})",
    "tanh": "torch.tanh({h})",
    "relu": "torch.relu({h})",
    "leaky_relu": "F.leaky_relu({h}, {a!r})",
    "prelu": "self.prelu[{nid!r}]({h})",
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
    "sgd": lambda c: f"torch.optim.SGD(params, lr=lr, momentum={c.momentum!r}, "
                     f"nesterov={bool(c.nesterov and c.momentum)!r})",
    "rmsprop": lambda c: f"torch.optim.RMSprop(params, lr=lr, alpha={c.rho!r}, eps={c.eps!r})",
    "adam": lambda c: f"torch.optim.Adam(params, lr=lr, betas=({c.beta1!r}, {c.beta2!r}), "
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
        return TORCH_ACTIVATIONS[node.params["activation"]].format(h=h, a=node.alpha, nid=nid)


def _features(features: list[str], k: int) -> str:
    """The Input node's features of raw columns ``x`` ``(N, k)`` as one
    expression: each run of raw columns one slice or index (all k columns
    in order: ``x`` itself), each derived feature its expression."""
    parts: list[str] = []
    run: list[int] = []
    for f in features + [None]:
        if f is not None and f not in TORCH_FEATURES:
            run.append(int(f[1:]) - 1)
            continue
        if run:
            if run == list(range(run[0], run[0] + len(run))):
                parts.append("x" if run == list(range(k)) else f"x[:, {run[0]}:{run[-1] + 1}]")
            else:
                parts.append(f"x[:, {run!r}]")
            run = []
        if f is not None:
            parts.append(f"({TORCH_FEATURES[f]})[:, None]")
    return parts[0] if len(parts) == 1 else f"torch.cat([{', '.join(parts)}], dim=1)"


def _input(c: _Code, nid: str, h: str, ins: list[str]) -> None:
    c.forward.append(f"{h} = features(x)")
    if c.net.standardize:
        n = len(c.net.features)
        c.init.append(f"self.register_buffer('mean', torch.zeros({n}, dtype=dtype))")
        c.init.append(f"self.register_buffer('std', torch.ones({n}, dtype=dtype))")
        c.forward.append(f"{h} = ({h} - self.mean) / self.std")


def _dense(c: _Code, nid: str, h: str, ins: list[str]) -> None:
    _, fan_in, units, b_off = c.net.layout[nid]
    c.init.append(f"self.layers[{nid!r}] = torch.nn.Linear({fan_in}, {units}, "
                  f"bias={b_off is not None}, dtype=dtype)")
    if nid in c.net.slopes:  # prelu: one learned slope per unit, loaded with the weights
        c.init.append(f"self.prelu[{nid!r}] = torch.nn.PReLU(num_parameters={units}, "
                      f"init={c.net.nodes[nid].alpha!r}, dtype=dtype)")
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
    """The script's text for a model document (trained, or with its initial
    weights); NNBuilderError if its network is not valid."""
    net, trained = exported_network(doc)
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
    # the weights Net() loads: the trained ones or the initial ones, in the model file's form
    model = model_to_dict(ModelDocument(doc.graph, net.get_weights(), doc.training, doc.dataset,
                                        doc.seed, doc.metrics, doc.labels, doc.columns))
    task = model_task(doc, net)
    init = code.init
    if trained:
        weights = "the trained weights of the model file"
    else:
        inits = sorted({net.nodes[nid].params["initializer"] for nid in net.layout})
        weights = (f"UNTRAINED: the initial weights nnbuilder's own initialisation draws from the "
                   f"model's seed {doc.seed} ({', '.join(inits)}; biases 0), the weights "
                   f"`nnbuilder train` and the window's Train start from")
    if net.standardize_target:
        init.append(f"self.register_buffer('target_mean', torch.zeros({net.n_outputs}, dtype=dtype))")
        init.append(f"self.register_buffer('target_std', torch.ones({net.n_outputs}, dtype=dtype))")
    if not net.standardize:
        scaling = ""
    elif trained:
        scaling = ("Inputs: Net() standardizes them with the model's stored mean and std; "
                   "training computes them from the rows it trains on, as nnbuilder does.")
    else:
        scaling = ("Inputs: standardized, but an untrained design has no statistics yet, so "
                   "Net() leaves them as they are (mean 0, std 1) until trained; training "
                   "computes them from the rows it trains on (their mean and population std, "
                   "as nnbuilder does) and stores them with the weights.")
    if net.standardize_target:
        scaling += (" Targets: training standardizes them, (y - mean) / std of the training rows, "
                    "as nnbuilder does; Net() answers y_hat * std + mean, in the data's units"
                    + ("." if trained else " (mean 0, std 1 until trained)."))
        scaling = scaling.strip()
    task_text = (f"classification into {max(net.n_outputs, 2)} classes" if task == "classification"
                 else f"regression of {net.n_outputs} value{'s' * (net.n_outputs != 1)}")
    fill = {
        "NAME": name,
        "WEIGHTS_NOTE": textwrap.fill(f"Weights: {weights}.", 76),
        "SCALING_NOTE": textwrap.fill(scaling, 76) + "\n" if scaling else "",
        "TASK_NOTE": textwrap.fill(f"Task: {task_text} (from the model's {loss.name} loss and {act} "
                                   "Output node).", 76),
        "COLUMNS": ", ".join(columns[:k]) if k <= 8 else f"{', '.join(columns[:3])} ... {columns[k - 1]}",
        "MODEL_JSON": repr(json.dumps(model, separators=(",", ":"), allow_nan=False)),
        "INIT": "\n        ".join(code.init) or "pass",
        "FORWARD": "\n        ".join(code.forward),
        "Z_OUT": code.pre[out],
        "H_OUT": code.var[out],
        "LOSS": TORCH_LOSSES[(loss.name, loss.fused == act)],
        "OPTIMIZER": TORCH_OPTIMIZERS.get(cfg.optimizer, _no_optimizer)(cfg),
        "THRESHOLD": repr(loss.threshold),
        "TASK": repr(task),
        "TRAINED": repr(trained),
        "WEIGHTED": repr(list(net.layout)),
        "INPUT_ID": repr(net.input_id),
        "STANDARDIZE": repr(net.standardize),
        "STANDARDIZE_TARGET": repr(net.standardize_target),
        "OUTPUT_ID": repr(out),
        "K": str(k),
        "FEATURES": _features(net.features, k),
        "UNITS": str(net.n_outputs),
        "TRAINING": repr(cfg.to_dict()),
        "LR": repr(cfg.lr),
        "BATCH": repr(cfg.batch_size),
        "EPOCHS": repr(cfg.max_epochs or 100),
        "L1": repr(cfg.l1),
        "L2": repr(cfg.l2),
    }
    # one pass: a filled-in value (a column name...) is never read as a placeholder
    return re.sub(r"@([A-Z0-9_]+)@", lambda m: fill.get(m.group(1), m.group(0)), _TEMPLATE)


_TEMPLATE = r'''#!/usr/bin/env python3
"""@NAME@: an nnbuilder network as a PyTorch module (exported by nnbuilder).

Needs PyTorch and NumPy (pandas, when installed, reads CSV files faster).

@WEIGHTS_NOTE@
@SCALING_NOTE@@TASK_NOTE@

    Net()(x)   x: (N, @K@) raw columns @COLUMNS@ -> (N, @UNITS@),
               what `nnbuilder predict` prints as outputs (float64 by
               default; Net(torch.float32) for float32)

    python THIS.py train --data FILE.csv --target COL -o trained.json
        [--epochs N] [--lr F] [--batch-size N] [--val-split F]
        [--dtype float32|float64] [--drop-bad] [--seed N]
    torchrun --standalone --nproc_per_node 2 THIS.py train ...   (DistributedDataParallel)

Training uses the model file's loss, optimizer, learning rate, batch size,
epochs and L1/L2 (the options override them), starts from the weights below
and writes an nnbuilder model file (open it with `nnbuilder gui trained.json`).
It trains in float32 by default; --dtype float64 computes what nnbuilder's
engine does (its steps, to about 1e-12, when the batches are the same).

The CSV file is read a block of rows at a time straight into one NumPy
array (float32, or float64 with --dtype float64) holding only the columns
the network reads: nothing else of the table stays in memory. Rows are
numbered by their line in the file, as nnbuilder numbers them; a missing or
non-numeric cell stops training naming its row and column, unless the model
leaves such rows out (its drop_bad, or --drop-bad): then one line says how
many were. --val-split F holds out that fraction of the rows (the rows
`nnbuilder train --split 1-F --seed N` tests on) and reports their loss.
Under torchrun each process reads the file and takes its share of every
batch (ceil(batch / processes) rows), so one step still averages the
gradient over about one batch.
"""
import argparse
import codecs
import csv
import io
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

try:  # optional: its C parser reads a CSV file about 3x faster than numpy.loadtxt
    import pandas as _pd
except ImportError:
    _pd = None

#: The nnbuilder model file this script was exported from: graph, training
#: settings and the weights that Net() loads.
MODEL = json.loads(@MODEL_JSON@)
#: The raw data columns x reads, by name, and the task: the model's own.
COLUMNS = MODEL.get("columns") or ["x%d" % (i + 1) for i in range(@K@)]
TASK = @TASK@
#: Whether the weights are trained (False: the initial weights of nnbuilder train).
TRAINED = @TRAINED@
#: The training settings (nnbuilder's defaults where the model names none).
TRAINING = @TRAINING@
#: Rows read, parsed and evaluated at a time.
BLOCK_ROWS = 4096


def features(x):
    """The Input node's features (N, n_features) of raw columns x (N, @K@)."""
    return @FEATURES@


class Net(torch.nn.Module):
    def __init__(self, dtype=torch.float64):
        super().__init__()
        self.layers = torch.nn.ModuleDict()
        self.prelu = torch.nn.ModuleDict()  # the prelu layers' slopes, by node id
        @INIT@
        self.load_weights(MODEL["weights"])

    def forward(self, x, logits=False, standardized=False):
        """Outputs (N, units) for raw columns x (N, @K@), in the data's units
        (standardized=True: as the network computes them, before a
        standardizing Output node's y_hat * std + mean); with logits=True
        also the Output node's pre-activation: (z, outputs)."""
        x = x.to(self.layers[@WEIGHTED@[0]].weight.dtype)
        @FORWARD@
        out = @H_OUT@
        if @STANDARDIZE_TARGET@ and not standardized:
            out = out * self.target_std + self.target_mean
        return (@Z_OUT@, out) if logits else out

    def load_weights(self, weights):
        """From an nnbuilder weights entry: W is (fan_in, units), y = x W + b."""
        with torch.no_grad():
            for nid in @WEIGHTED@:
                layer = self.layers[nid]
                layer.weight.copy_(torch.tensor(weights[nid]["W"], dtype=torch.float64).T)
                if layer.bias is not None:
                    layer.bias.copy_(torch.tensor(weights[nid]["b"], dtype=torch.float64))
            for nid, prelu in self.prelu.items():
                prelu.weight.copy_(torch.tensor(weights[nid]["alpha"], dtype=torch.float64))
            if @STANDARDIZE@:
                self.mean.copy_(torch.tensor(weights[@INPUT_ID@]["mean"], dtype=torch.float64))
                self.std.copy_(torch.tensor(weights[@INPUT_ID@]["std"], dtype=torch.float64))
            if @STANDARDIZE_TARGET@:
                self.target_mean.copy_(torch.tensor(weights[@OUTPUT_ID@]["mean"], dtype=torch.float64))
                self.target_std.copy_(torch.tensor(weights[@OUTPUT_ID@]["std"], dtype=torch.float64))

    def weights(self):
        """The nnbuilder weights entry of the current parameters."""
        out = {}
        for nid in @WEIGHTED@:
            layer = self.layers[nid]
            out[nid] = {"W": layer.weight.detach().cpu().double().T.tolist(),
                        "b": None if layer.bias is None else layer.bias.detach().cpu().double().tolist()}
        for nid, prelu in self.prelu.items():
            out[nid]["alpha"] = prelu.weight.detach().cpu().double().tolist()
        if @STANDARDIZE@:
            out[@INPUT_ID@] = {"mean": self.mean.cpu().double().tolist(),
                               "std": self.std.cpu().double().tolist()}
        if @STANDARDIZE_TARGET@:
            out[@OUTPUT_ID@]["mean"] = self.target_mean.cpu().double().tolist()
            out[@OUTPUT_ID@]["std"] = self.target_std.cpu().double().tolist()
        return out


def data_loss(z, a, y):
    """nnbuilder's loss: the mean over rows of the sum over outputs."""
    return @LOSS@


def predicted(a):
    """Each row's class: the largest output (one output: above the loss's threshold)."""
    return (a[:, 0] > @THRESHOLD@).long() if a.shape[1] == 1 else a.argmax(dim=1)


def penalty(net):
    """L2 (l2/2 sum W^2) and L1 (l1 sum |W|) on the weights, never the biases."""
    total = 0.0
    for nid in @WEIGHTED@:
        W = net.layers[nid].weight
        if @L2@:
            total = total + 0.5 * @L2@ * (W * W).sum()
        if @L1@:
            total = total + @L1@ * W.abs().sum()
    return total


def make_optimizer(params, lr):
    return @OPTIMIZER@


# ---------------------------------------------------------------- the data
RANK = 0  # this process's rank under torchrun: only rank 0 says why it stops


def fail(message):
    """Stop with one line (from one process)."""
    if RANK == 0:
        sys.exit(message)
    sys.exit(2)


def _number(text):
    """The finite number a cell holds, or None."""
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _class_key(text):
    """A class's name: its text; a number's as nnbuilder writes it (1.0 -> 1)."""
    value = _number(text)
    return text if value is None else (str(int(value)) if value.is_integer() else str(value))


class Source:
    """A CSV file's header and its rows, a block at a time: (file line of
    each row, the rows' text lines or, read by the csv module, their cells)."""

    def __init__(self, path):
        self.path = path
        try:
            self._scan()
        except OSError as e:
            fail(f"{path}: cannot read: {e.strerror or e}")

    def _scan(self):
        """One pass over the bytes: where each line starts, the encoding
        (UTF-8, else Windows-1252, as nnbuilder reads files) and whether a
        line break lies inside quotes; nothing of the text is kept."""
        starts, offset, quotes, self.quoted_breaks = [np.zeros(1, np.int64)], 0, 0, False
        utf8, self.codec, head, seen = codecs.getincrementaldecoder("utf-8")(), "utf-8-sig", b"", False
        with open(self.path, "rb") as fh:
            while block := fh.read(1 << 24):
                if len(head) < 1 << 16:
                    head += block[:(1 << 16) - len(head)]
                if self.codec == "utf-8-sig" and (seen or not block.isascii()):
                    seen = True
                    try:
                        utf8.decode(block)
                    except UnicodeDecodeError:
                        self.codec = "cp1252"
                buf = np.frombuffer(block, np.uint8)
                nl = np.flatnonzero(buf == 10)
                if b'"' in block:
                    q = np.flatnonzero(buf == 34)
                    self.quoted_breaks |= bool(((quotes + np.searchsorted(q, nl)) % 2).any())
                    quotes += len(q)
                starts.append(nl.astype(np.int64) + offset + 1)
                offset += len(block)
        starts = np.concatenate(starts)
        self.starts = starts if starts[-1] == offset else np.append(starts, offset)
        text = head.decode(self.codec, errors="replace")
        try:
            self.delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
        except csv.Error:
            self.delimiter = ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        first = []
        try:
            for row in reader:
                if any(c.strip() for c in row):
                    first.append((reader.line_num, [c.strip() for c in row]))
                    if len(first) == 2:
                        break
        except csv.Error as e:
            fail(f"{self.path}: row {reader.line_num}: {e}")
        if not first:
            fail(f"{self.path}: the file has no rows")
        cells, below = first[0][1], first[1][1] if len(first) > 1 else []
        # a header has a text cell above a number (core/data/csvfile.py _header)
        self.has_header = any(_number(c) is None and c.lower() not in ("nan", "inf", "-inf") and
                              (j >= len(below) or _number(below[j]) is not None or len(first) == 1)
                              for j, c in enumerate(cells))
        names = [c or f"column {j + 1}" for j, c in enumerate(cells)] if self.has_header else \
            ["x%d" % (j + 1) for j in range(len(cells))]
        for j, name in enumerate(names):
            n = 2
            while name in names[:j]:
                name, n = f"{names[j]} ({n})", n + 1
            names[j] = name
        self.names = names
        self.first_line = first[0][0] if self.has_header else 0  # lines before the data rows

    @property
    def max_rows(self):
        return len(self.starts) - 1 - self.first_line

    def blocks(self):
        """(line numbers, text lines) of each block of rows, or, when a line
        break lies inside quotes, (line numbers, cells) read by the csv module."""
        if self.quoted_breaks:
            yield from self._csv_blocks()
            return
        with open(self.path, "rb") as fh:
            for lo in range(self.first_line, len(self.starts) - 1, BLOCK_ROWS):
                hi = min(lo + BLOCK_ROWS, len(self.starts) - 1)
                fh.seek(int(self.starts[lo]))
                raw = fh.read(int(self.starts[hi] - self.starts[lo]))
                if lo == 0 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
                lines = raw.decode(self.codec, errors="replace").split("\n")[:hi - lo]
                keep = [i for i, line in enumerate(lines) if line.strip()]
                yield np.asarray(keep, np.int64) + lo + 1, [lines[i].rstrip("\r") for i in keep]

    def _csv_blocks(self):
        with open(self.path, encoding=self.codec, errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            numbers, rows = [], []
            try:
                for row in reader:
                    if reader.line_num > self.first_line and "".join(row).strip():
                        numbers.append(reader.line_num)
                        rows.append(row)
                        if len(rows) == BLOCK_ROWS:
                            yield np.asarray(numbers, np.int64), rows
                            numbers, rows = [], []
            except csv.Error as e:
                fail(f"{self.path}: row {reader.line_num}: {e}")
        if rows:
            yield np.asarray(numbers, np.int64), rows


class Embedded:
    """The rows the model file carries ("Save with data"), as a Source."""

    def __init__(self):
        data = MODEL.get("dataset") or {}
        if "rows" not in data:
            fail("--data FILE.csv is needed: this model file carries no rows of data")
        self.path, self.names, self.rows = "the model file's data", list(data["columns"]), data["rows"]
        self.max_rows = len(self.rows)

    def blocks(self):
        text = lambda v: v if isinstance(v, str) else (str(v) if isinstance(v, int) else repr(v))  # noqa: E731
        for lo in range(0, len(self.rows), BLOCK_ROWS):
            rows = [[text(v) for v in row] for row in self.rows[lo:lo + BLOCK_ROWS]]
            yield np.arange(lo + 2, lo + 2 + len(rows), dtype=np.int64), rows  # line 1: the header


def _fast(lines, delimiter, feats, t, target_text):
    """(features (n, k) float64, targets (n,)) of text lines parsed in C, or
    None when a cell is no finite number or a row is short (the slow path
    then finds which)."""
    n = len(lines)
    try:
        if _pd is not None:
            cols = sorted(feats + [t])
            at = {j: i for i, j in enumerate(cols)}
            df = _pd.read_csv(io.StringIO("\n".join(lines)), sep=delimiter, header=None, usecols=cols,
                              dtype={t: str} if target_text else None, engine="c", na_filter=False,
                              skipinitialspace=True)
            X = df.iloc[:, [at[j] for j in feats]].to_numpy(np.float64)
            y = df.iloc[:, at[t]]
            y = y.str.strip().to_numpy(object) if target_text else y.to_numpy(np.float64)
        else:
            X = np.loadtxt(lines, delimiter=delimiter, usecols=feats, dtype=np.float64, ndmin=2,
                           comments=None, quotechar='"')
            y = np.loadtxt(lines, delimiter=delimiter, usecols=[t], dtype=str if target_text else np.float64,
                           ndmin=1, comments=None, quotechar='"')
            y = np.char.strip(y).astype(object) if target_text else y
    except (ValueError, TypeError, IndexError) + ((_pd.errors.ParserError,) if _pd is not None else ()):
        return None
    if X.shape != (n, len(feats)) or len(y) != n or not np.isfinite(X).all():
        return None
    if not target_text and not np.isfinite(y).all():
        return None
    return X, y


def _slow(rows, numbers, m, path, feats, t):
    """(features (n, k) float64 with NaN for bad cells, target texts (n,),
    the rows' cells) of rows of cells, one cell at a time; a row with more
    cells than the header is an error, a short one has empty cells."""
    out = []
    for row, line in zip(rows, numbers.tolist()):
        if len(row) > m:
            fail(f"{path}: row {line} has {len(row)} cells, expected {m}")
        out.append([c.strip() for c in row] + [""] * (m - len(row)))
    X = np.array([[_number(r[j]) if _number(r[j]) is not None else np.nan for j in feats] for r in out],
                 dtype=np.float64).reshape(len(out), len(feats))
    return X, np.array([r[t] for r in out], dtype=object), out


class Data:
    """The features (rows, @K@) the network reads, in the training dtype, and the
    targets (class index or value per row), read a block at a time."""

    def __init__(self, source, target, dtype, drop_bad):
        names, path = source.names, source.path
        if target is None:  # the column the model learnt from, if the file has it, else the last
            learnt = (MODEL.get("dataset") or {}).get("target")
            t = names.index(learnt) if learnt in names else len(names) - 1
        elif target in names:
            t = names.index(target)
        elif target.isdigit() and 1 <= int(target) <= len(names):
            t = int(target) - 1
        else:
            fail(f"{path}: no column {target!r} (the file has {', '.join(names)})")
        if all(c in names for c in COLUMNS[:@K@]):
            feats = [names.index(c) for c in COLUMNS[:@K@]]
        else:
            feats = [j for j in range(len(names)) if j != t][:@K@]
        if len(feats) < @K@ or t in feats:
            fail(f"{path}: the network reads @K@ columns ({', '.join(COLUMNS[:@K@])}) besides the target")
        if TASK == "regression" and @UNITS@ != 1:
            fail(f"{path}: one target column, but the Output node has @UNITS@ units")
        self.names, self.target = [names[j] for j in feats], names[t]
        classify = TASK == "classification"
        X = np.empty((source.max_rows, @K@), dtype=dtype)
        y = np.empty(source.max_rows, dtype=np.int64 if classify else np.float64)
        keys = {}  # class name -> its code, in the order first seen
        n = total = dropped = 0
        first_problem = None
        target_text = False
        for numbers, rows in source.blocks():
            got = None
            if rows and isinstance(rows[0], str):
                got = _fast(rows, source.delimiter, feats, t, target_text)
                if got is None and classify and not target_text:
                    got = _fast(rows, source.delimiter, feats, t, True)
                    target_text = got is not None
            if got is None:  # a bad cell somewhere, or rows of cells: one cell at a time
                if rows and isinstance(rows[0], str):
                    rows = list(csv.reader(rows, delimiter=source.delimiter))
                Xb, texts, cells = _slow(rows, numbers, len(names), path, feats, t)
                filled = np.array([any(r) for r in cells], dtype=bool)  # ",,," is no row
                Xb, texts, numbers = Xb[filled], texts[filled], numbers[filled]
                cells = [r for r, f in zip(cells, filled.tolist()) if f]
                values = np.array([np.nan if _number(s) is None else _number(s) for s in texts.tolist()])
                bad_target = (texts == "") if classify else np.isnan(values)
                bad = np.isnan(Xb).any(axis=1) | bad_target
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    j = min(j for j in feats + [t] if (j == t and bad_target[i]) or
                            (j != t and np.isnan(Xb[i, feats.index(j)])))
                    cell = cells[i][j]
                    what = "is empty" if not cell else f"{cell!r} is not a finite number"
                    problem = f"row {int(numbers[i])}, column '{names[j]}': {what}"
                    if not drop_bad:
                        extra = " (a regression target must be numeric)" if j == t and not classify else ""
                        fail(f"{path}: {problem}{extra} (--drop-bad leaves out such rows)")
                    first_problem = first_problem or problem
                    dropped += int(bad.sum())
                total += len(bad)
                Xb, texts, values = Xb[~bad], texts[~bad], values[~bad]
                yb = texts if classify else values
            else:
                Xb, yb = got
                total += len(Xb)
            k = len(Xb)
            X[n:n + k] = Xb
            if classify:
                distinct, inverse = np.unique(yb if yb.dtype == object else yb.astype(np.float64),
                                              return_inverse=True)
                codes = [keys.setdefault(_class_key(v if isinstance(v, str) else repr(float(v))), len(keys))
                         for v in distinct.tolist()]
                y[n:n + k] = np.asarray(codes, np.int64)[inverse.ravel()]
            else:
                y[n:n + k] = yb
            n += k
        if n == 0:
            fail(f"{path}: no rows are left after leaving out those with bad cells" if dropped else
                 f"{path}: the file has no data rows")
        if dropped and RANK == 0:
            print(f"left out {dropped} row{'s' * (dropped != 1)} of {total} with a missing or "
                  f"non-numeric cell (the first: {first_problem})", file=sys.stderr, flush=True)
        self.X, self.y, self.dropped = X[:n], y[:n], dropped
        self.labels = self._classes(keys, path) if classify else None

    def _classes(self, keys, path):
        """The class names in the network's order (the model's, else
        nnbuilder's: numbers by value, texts sorted); recodes the targets."""
        found = list(keys)
        labels = MODEL.get("labels")
        units = max(@UNITS@, 2)
        if not labels:
            numeric = all(_number(s) is not None for s in found)
            if numeric and all(float(s).is_integer() and 0 <= float(s) < units for s in found):
                labels = [str(i) for i in range(units)]
            else:
                labels = sorted(found, key=lambda s: (_number(s) is None, _number(s) or 0, s))
        if len(labels) != units:
            fail(f"{path}: {len(labels)} classes ({', '.join(labels)}) but the network has "
                 f"{units} (its Output node has @UNITS@ units)")
        index = {name: i for i, name in enumerate(labels)}
        missing = [s for s in found if s not in index]
        if missing:
            fail(f"{path}: class {missing[0]!r} is not one of the network's classes {', '.join(labels)}")
        recode = np.asarray([index[s] for s in found], dtype=np.int64)
        self.y = recode[self.y]
        return labels if labels != [str(i) for i in range(len(labels))] else None

    def targets(self, rows, dtype):
        """Y (len(rows), @UNITS@) as nnbuilder encodes it: one-hot classes
        (one output: the class 0 or 1) or the values."""
        y = torch.from_numpy(self.y[rows])
        if TASK == "regression":
            return y.to(dtype)[:, None]
        return y.to(dtype)[:, None] if @UNITS@ == 1 else F.one_hot(y, @UNITS@).to(dtype)


def split_rows(n, val_split, seed):
    """(training rows, held-out rows): nnbuilder's split of n rows with
    training fraction 1 - val_split (core/data/datasets.py split_indices)."""
    perm = np.random.default_rng(seed).permutation(n)
    fraction = 1.0 - val_split
    k = n if fraction == 1.0 or n < 2 else min(n - 1, max(1, int(round(n * fraction))))
    return np.sort(perm[:k]), np.sort(perm[k:])


# ---------------------------------------------------------------- training
def evaluate(model, data, rows, world, device, dtype):
    """(mean loss, accuracy or R^2) over rows, each process taking its share."""
    mine = rows[RANK::world]
    sums = torch.zeros(4 + 2 * @UNITS@, dtype=torch.float64)
    model.eval()
    with torch.no_grad():
        for lo in range(0, len(mine), BLOCK_ROWS):
            r = mine[lo:lo + BLOCK_ROWS]
            xb = torch.from_numpy(data.X[r]).to(device)
            yb = data.targets(r, dtype).to(device)
            z, a = model(xb, logits=True)
            sums[0] += float(data_loss(z, a, yb)) * len(r)
            sums[1] += len(r)
            if TASK == "classification":
                sums[2] += float((predicted(a).cpu() == torch.from_numpy(data.y[r])).sum())
            else:
                yd = yb.double().cpu()
                sums[2] += float(((yd - a.double().cpu()) ** 2).sum())
                sums[4:4 + @UNITS@] += yd.sum(dim=0)
                sums[4 + @UNITS@:] += (yd * yd).sum(dim=0)
    if world > 1:
        import torch.distributed as dist
        dist.all_reduce(sums)
    n = float(sums[1])
    if n == 0:
        return float("nan"), float("nan")
    if TASK == "classification":
        return float(sums[0]) / n, float(sums[2]) / n
    ss_tot = float((sums[4 + @UNITS@:] - sums[4:4 + @UNITS@] ** 2 / n).sum())
    ss_res = float(sums[2])
    r2 = (1.0 if ss_res == 0.0 else 0.0) if ss_tot <= 0.0 else 1.0 - ss_res / ss_tot
    return float(sums[0]) / n, r2


def input_stats(data, rows):
    """(mean, std) of the Input node's features over the training rows,
    float64, two passes a block at a time (core/functions/features.py feature_stats)."""
    total, count = None, 0
    for lo in range(0, len(rows), BLOCK_ROWS):
        f = features(torch.from_numpy(data.X[rows[lo:lo + BLOCK_ROWS]]).double())
        total = f.sum(dim=0) if total is None else total + f.sum(dim=0)
        count += len(f)
    mean = total / count
    sq = None
    for lo in range(0, len(rows), BLOCK_ROWS):
        f = features(torch.from_numpy(data.X[rows[lo:lo + BLOCK_ROWS]]).double()) - mean
        sq = (f * f).sum(dim=0) if sq is None else sq + (f * f).sum(dim=0)
    std = torch.sqrt(sq / count)
    return mean, torch.where(std > 1e-12, std, torch.ones_like(std))


def target_stats(data, rows):
    """(mean, std) of the regression targets over the training rows, float64
    (a constant target gets std 1), as nnbuilder computes them."""
    y = torch.from_numpy(data.y[rows]).double()[:, None]
    mean = y.mean(dim=0)
    std = torch.sqrt(((y - mean) ** 2).mean(dim=0))
    return mean, torch.where(std > 1e-12, std, torch.ones_like(std))


def train(argv):
    global RANK
    p = argparse.ArgumentParser(prog="train", description="Train this network (torchrun: DDP).")
    p.add_argument("--data", metavar="FILE.csv",
                   help="the data (default: the rows the model file carries, if it does)")
    p.add_argument("--target", metavar="COL", help="label column by name or number (default: the "
                   "model's, if the file has it, else the last)")
    p.add_argument("--epochs", type=int, default=TRAINING.get("max_epochs") or @EPOCHS@)
    p.add_argument("--lr", type=float, default=@LR@, help="learning rate (default the model's, %(default)s)")
    p.add_argument("--batch-size", type=int, default=@BATCH@,
                   help="rows per step over all processes (default the model's, %(default)s)")
    p.add_argument("--val-split", type=float, default=0.0, metavar="F",
                   help="fraction of the rows held out to report a validation loss (default 0)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="float64 computes what nnbuilder does; float32 (default) is faster, half the memory")
    p.add_argument("--drop-bad", action="store_true", default=bool((MODEL.get("dataset") or {}).get("drop_bad")),
                   help="leave out rows with a missing or non-numeric cell (default the model's drop_bad)")
    p.add_argument("--seed", type=int, default=MODEL.get("seed") or 0)
    p.add_argument("-o", "--output", required=True, metavar="OUT.json")
    args = p.parse_args(argv)
    if not 0.0 <= args.val_split < 1.0:
        p.error("--val-split must be at least 0 and below 1")
    if args.epochs < 0 or args.batch_size < 1 or not args.lr > 0:
        p.error("--epochs must be 0 or more, --batch-size 1 or more, --lr above 0")

    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = torch.device("cpu")
    if world > 1:  # started by torchrun
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
        RANK = dist.get_rank()
        if backend == "nccl":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    torch.manual_seed(args.seed + RANK)  # dropout masks differ between processes
    dtype = getattr(torch, args.dtype)

    t0 = time.perf_counter()
    embedded = args.data is None
    data = Data(Embedded() if embedded else Source(args.data), args.target,
                np.float64 if args.dtype == "float64" else np.float32, args.drop_bad)
    read_seconds = time.perf_counter() - t0
    train_rows, val_rows = split_rows(len(data.X), args.val_split, args.seed)
    model = Net(dtype)
    if @STANDARDIZE@:  # nnbuilder standardizes with the training rows' statistics
        with torch.no_grad():
            mean, std = input_stats(data, train_rows)
            model.mean.copy_(mean)
            model.std.copy_(std)
        if RANK == 0:
            had = "replacing the model file's" if TRAINED else "the untrained model file had none"
            print(f"inputs standardized with the mean and std of the {len(train_rows)} training rows, "
                  f"computed here as nnbuilder does ({had})", flush=True)
    if @STANDARDIZE_TARGET@ and TASK == "regression":  # nnbuilder trains on (y - mean) / std of the training rows
        with torch.no_grad():
            mean, std = target_stats(data, train_rows)
            model.target_mean.copy_(mean)
            model.target_std.copy_(std)
        if RANK == 0:
            print(f"targets standardized with mean {float(mean[0]):.6g} and std {float(std[0]):.6g} of "
                  "the training rows; losses are reported in the data's units", flush=True)
    model.to(device)
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = make_optimizer(model.parameters(), args.lr)
    batch = math.ceil(min(args.batch_size, len(train_rows)) / world)
    per_process = math.ceil(len(train_rows) / world)  # DistributedSampler's share (padded)
    if RANK == 0:
        print(f"training on {len(train_rows)} rows{f' ({len(val_rows)} held out)' if len(val_rows) else ''}"
              f" (read in {read_seconds:.1f} s), {world} process(es), {args.epochs} epochs, "
              f"batch {batch} per process, {TRAINING['optimizer']} lr {args.lr:g}, {args.dtype}", flush=True)
    metric = "accuracy" if TASK == "classification" else "r2"
    result = {}
    shuffle = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        t1 = time.perf_counter()
        order = train_rows[torch.randperm(len(train_rows), generator=shuffle).numpy()]
        order = np.resize(order, per_process * world)[RANK::world]  # each its share, as DistributedSampler
        model.train()
        for lo in range(0, len(order), batch):
            r = order[lo:lo + batch]
            xb = torch.from_numpy(data.X[r]).to(device)
            yb = data.targets(r, dtype).to(device)
            if @STANDARDIZE_TARGET@ and TASK == "regression":  # the network learns standardized targets
                yb = (yb - model.target_mean) / model.target_std
            z, a = net(xb, logits=True, standardized=True)
            objective = data_loss(z, a, yb) + penalty(model)
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
        seconds = time.perf_counter() - t1
        loss, score = evaluate(model, data, train_rows, world, device, dtype)
        result = {"train_loss": loss, f"train_{metric}": score}
        if len(val_rows):
            result["test_loss"], result[f"test_{metric}"] = evaluate(model, data, val_rows, world, device, dtype)
        if not math.isfinite(loss):
            fail(f"diverged in epoch {epoch + 1}: the loss is {loss}; try a smaller --lr")
        if RANK == 0 and (epoch + 1 == args.epochs or (epoch + 1) % max(1, args.epochs // 10) == 0):
            shown = "  ".join(f"{k.replace('_', ' ').replace('test', 'val')} {v:.6g}" for k, v in result.items())
            print(f"epoch {epoch + 1}/{args.epochs}  {shown}  ({seconds:.2f} s)", flush=True)
    if RANK == 0:
        out = dict(MODEL)
        out["weights"] = model.weights()
        split = len(train_rows) / max(1, len(data.X)) if len(val_rows) else 1.0
        if embedded:  # the same rows
            out["dataset"] = dict(MODEL["dataset"], split=split, seed=args.seed, drop_bad=args.drop_bad)
        else:
            out["dataset"] = {"csv": os.path.abspath(args.data), "target": data.target, "task": TASK,
                              "drop_bad": args.drop_bad, "split": split, "seed": args.seed}
        out["columns"] = data.names
        out["labels"] = data.labels
        out["training"] = dict(TRAINING, max_epochs=args.epochs, lr=args.lr, batch_size=args.batch_size)
        out["metrics"] = {**{k: (v if math.isfinite(v) else None) for k, v in result.items()},
                          "epochs": args.epochs, "processes": world, "dtype": args.dtype}
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
            fh.write("\n")
        print(f"wrote {args.output}", flush=True)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "train":
        train(sys.argv[2:])
    else:
        print(__doc__)
'''
