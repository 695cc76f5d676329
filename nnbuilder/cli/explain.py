"""``nnbuilder explain``: one sample through a network (its trained weights,
or untrained the initial ones its seed gives, as Train starts from), the loss of
that sample, every node's pre-activation a, output f(a) and dL/da, every
weight's gradient, and the chain rule of one weight with its numbers, in the
lecture's letters (a = W x + b, f(a), dL/df · df/da · da/dw) (see :mod:`nnbuilder.core.teaching.explain`)."""
from __future__ import annotations

import json
import math
import os
import sys

from nnbuilder.cli.common import CliError, add_data_arguments, load_model_file, own_data, read_data

__all__ = ["register", "cmd_explain"]


def register(sub) -> None:
    s = sub.add_parser(
        "explain", help="one sample through a model: loss, a/f(a)/dL/da, gradients, chain rule",
        description="Run one data row through the model's trained weights (an untrained model: "
                    "the initial weights its seed gives, those Train starts from) and show the forward "
                    "pass, the loss of that sample (n = 1, no regularization), each node's "
                    "pre-activation a = W x + b and output f(a) (Dense and Output nodes; the "
                    "others have only their output f), dL/da (dL/df for the nodes without "
                    "weights), the gradient of every weight and bias, and with --weight the "
                    "chain rule of one weight as the product of its local derivatives "
                    "dL/df · df/da · da/dw, summed over the paths to the loss. Without "
                    "--dataset or --data: the data the model file names. "
                    "The --json keys keep the engine's names: z is a, a is f(a), delta is dL/da.")
    s.add_argument("model", metavar="MODEL.json")
    add_data_arguments(s, required=False)
    s.add_argument("--seed", type=int, metavar="S",
                   help="the data generator's seed (default: the model's, so the "
                        "samples are those it was trained on)")
    s.add_argument("--row", type=int, required=True, metavar="I",
                   help="with --data: the file's row I, numbered as nnbuilder's messages, "
                        "'train --drop-bad' and 'predict --outputs-only' number rows (the "
                        "file's lines, the header's included); with --dataset: the I-th sample")
    s.add_argument("--weight", metavar="NODE:R:C",
                   help="explain W[R,C] of NODE (1-based: R the input unit, C the unit, as in "
                        "the model file), its bias with NODE:b:C or a prelu layer's learned "
                        "slope with NODE:alpha:C; NODE is a name or an id")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=cmd_explain)


def _same_data_as_training(args, doc) -> None:
    """Unset options default to the ones the model was trained with: the
    same dataset's size and noise, so the same rows come back; a table's
    target column, task and --drop-bad, so another file of the same columns
    reads as the model's did (a model trained on 'label' is not explained
    against the last column)."""
    import os

    d = doc.dataset or {}
    if args.dataset and d.get("name") == args.dataset:
        for key in ("samples", "noise"):
            if getattr(args, key) is None and d.get(key) is not None:
                setattr(args, key, d[key])
    if args.data and d.get("csv"):  # any table: its target column and bad rows as the model's (as predict)
        for key in ("target", "task"):
            if getattr(args, key) is None and d.get(key) is not None:
                setattr(args, key, d[key])
        if d.get("drop_bad"):
            args.drop_bad = True


def cmd_explain(args) -> int:
    from nnbuilder.core.errors import NNBuilderError
    from nnbuilder.core.teaching.explain import explain_sample, sample_of
    from nnbuilder.core.teaching.weightref import parse_weight

    doc = load_model_file(args.model)
    net = _network(doc, args.model)
    try:
        ref = None if args.weight is None else parse_weight(args.weight, net)
    except NNBuilderError as e:
        raise CliError(f"--weight {e}") from None
    seed = doc.seed if args.seed is None else args.seed
    if args.dataset is None and args.data is None:
        ds, spec = own_data(doc, args.model, args, seed)
        args.source = spec.get("name") or (os.path.basename(spec["csv"]) if spec.get("csv") else "the model's data")
    else:
        _same_data_as_training(args, doc)
        ds, spec = read_data(args, seed)
        args.source = args.dataset or args.data
    if doc.weights is None and (net.standardize or net.standardize_target):  # as Train starts:
        from nnbuilder.core.engine.traindata import TrainData  # the training rows' mean and std

        data = TrainData.from_dataset(ds, net, spec["split"], spec["seed"])
        if data.input_stats is not None and net.standardize:
            net.set_input_stats(*data.input_stats)
        if data.target_stats is not None:
            net.set_target_stats(*data.target_stats)
    x_raw, target = sample_of(ds, net, _index_of_row(args, ds))
    ex = explain_sample(net, x_raw, target, ref, row=args.row)
    if args.json:
        d = ex.to_dict()
        if doc.weights is None:  # one more key: the weights are the initial ones of this seed
            d["initial_weights_seed"] = doc.seed
        print(json.dumps(_finite(d), indent=1))
        return 0
    _print_text(args, ds, net, ex, None if doc.weights is not None else doc.seed)
    return 0


def _network(doc, path: str):
    """The model's network with its trained weights, or untrained the initial
    weights drawn from its seed, exactly those Train starts from."""
    from nnbuilder.core.errors import NNBuilderError
    from nnbuilder.core.files.exports import exported_network

    try:
        return exported_network(doc, "explain")[0]
    except NNBuilderError as e:
        raise CliError(f"{path}: {e}") from None


def _index_of_row(args, ds) -> int:
    """The 0-based sample of ``--row``: for a file, the row it numbers so
    (one numbering with its messages, also where --drop-bad left rows out)."""
    import numpy as np

    rows = ds.rows if ds.rows is not None else np.arange(1, len(ds) + 1)
    i = int(np.searchsorted(rows, args.row))
    if i < len(rows) and rows[i] == args.row:
        return i
    if not rows[0] <= args.row <= rows[-1]:
        raise CliError(f"--row {args.row} is out of range: the data has rows {rows[0]} to {rows[-1]}")
    why = "a blank line, a line inside a quoted cell" + \
        (" or a row --drop-bad leaves out (a missing or bad cell)" if args.drop_bad else "")
    raise CliError(f"--row {args.row} is no sample of {args.source} ({why}): rows are numbered "
                   "by the file's lines, as nnbuilder's messages name them")


def _finite(v):
    """JSON has no NaN or Infinity: null instead."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


def _g(v) -> str:
    return "-" if v is None else f"{float(v):.6g}"


def _vector(values) -> str:
    return "[" + ", ".join(_g(v) for v in values) + "]"


def _loss_place(net, ex) -> str:
    """Where the sample sits on the loss curve the Functions view draws: its
    error or margin per output, the loss there (and the zero-one loss)."""
    from nnbuilder.core.teaching.curves import ZERO_ONE, loss_plot

    out = ex.nodes[net.output_id]
    plot = loss_plot(net.loss.name, net.nodes[net.output_id].params.get("activation"), out.z, out.a,
                     ex.target, n=2)
    text = (f"on the loss curve, against {plot.axis.note}: {_vector(plot.points_x)}, "
            f"{net.loss.name} {_vector(plot.points[net.loss.name])}")
    if ZERO_ONE in plot.points:
        text += f", zero-one {_vector(plot.points[ZERO_ONE])}"
    return text


def _print_text(args, ds, net, ex, initial_seed: int | None) -> None:
    from nnbuilder.core.teaching.weightref import weight_label
    from nnbuilder.core.model.nodetypes import NODE_SPECS

    out = sys.stdout.write
    columns = ", ".join(f"{c} = {_g(v)}" for c, v in zip(ds.column_names, ex.x))
    out(f"{args.model}, row {ex.row} of {args.source}: {columns}; target "
        f"{_vector(ex.target if ex.data_target is None else ex.data_target)}\n")
    if initial_seed is not None:
        out(f"untrained: the initial weights drawn from seed {initial_seed}, those Train starts from\n")
    out(f"loss of this sample ({net.loss.name}, n = 1, no regularization): {_g(ex.loss)}\n")
    if ex.prediction is not None:  # the Output node standardizes its targets
        out(f"the Output node standardizes its targets (mean {_vector(net.target_mean)}, std "
            f"{_vector(net.target_std)}): prediction {_vector(ex.prediction)} against target "
            f"{_vector(ex.data_target)} in the data's units; below, the network's standardized "
            f"values (target {_vector(ex.target)}), their loss {_g(ex.standardized_loss)} and its gradient\n")
    out(_loss_place(net, ex) + "\n\n")

    rows = [("node", "unit", "a", "f(a)", "dL/da", "")]
    for v in ex.nodes.values():
        kind = "(dL/da)" if v.z is not None else "(dL/df)"
        for u in range(len(v.a)):
            rows.append((v.name if u == 0 else "", str(u + 1),
                         _g(None if v.z is None else v.z[u]), _g(v.a[u]), _g(v.delta[u]),
                         kind if u == 0 else ""))
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [r[k].rjust(widths[k]) for k in range(1, 5)] + [r[5]]
        out("  ".join(cells).rstrip() + "\n")

    out("\ngradient of this sample's loss (rows of dL/dW: input units; columns: units)\n")
    name_w = max(len(net.nodes[n].name) for n in ex.gradient)
    for nid, (dW, db) in ex.gradient.items():
        cells = [[_g(v) for v in row] for row in dW]
        whats = [f"dW[{i + 1},:]" for i in range(len(cells))]
        if db is not None:
            cells.append([_g(v) for v in db])
            whats.append("db")
        if nid in ex.slope_gradient:  # a prelu layer's learned slopes
            cells.append([_g(v) for v in ex.slope_gradient[nid]])
            whats.append("dalpha")
        cw = max(len(c) for row in cells for c in row)
        for i, row in enumerate(cells):
            label = net.nodes[nid].name if i == 0 else ""
            what = whats[i]
            out(f"{label:<{name_w}}  {what:<8} " + " ".join(c.rjust(cw) for c in row) + "\n")

    w = ex.weight
    if w is None:
        return
    out(f"\nchain rule of {weight_label(net, w.ref, ds.column_names)} = {_g(w.value)} "
        f"({NODE_SPECS[net.nodes[w.ref.node].type].title} node): gradient {_g(w.gradient)}\n")
    fw = max(len(f.name) for f in w.factors)
    for f in w.factors:
        out(f"  {f.name:<{fw}}  {_g(f.value)}\n")
    out(w.text + "\n")
    if w.note:
        out(f"({w.note})\n")
