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

The script's template is the app's file ``templates/torch_script.py.in``
(:func:`script_template`): the file a user gets, with ``@NAME@`` placeholders.
"""
from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from typing import Callable

from ..engine.config import TrainConfig
from ..functions.features import columns_needed
from ..resources import resource
from .exports import exported_network, model_task
from .modelfile import ModelDocument, model_to_dict

__all__ = ["TORCH_FEATURES", "TORCH_ACTIVATIONS", "TORCH_NODES", "TORCH_LOSSES",
           "TORCH_OPTIMIZERS", "torch_script", "script_template"]

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


def script_template() -> str:
    """The script's text with its ``@NAME@`` placeholders, read from the app's files."""
    return resource("templates", "torch_script.py.in").read_text(encoding="utf-8")


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
    return re.sub(r"@([A-Z0-9_]+)@", lambda m: fill.get(m.group(1), m.group(0)), script_template())
