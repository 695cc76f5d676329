"""Command-line interface: everything the engine does, without a screen.

Exit status: 0 done; 2 bad input of any kind (one line on stderr);
3 ``train`` diverged (one line on stderr saying at which step, with which
learning rate and why; the output model file is not written, so a file it
names is left as it was); 130 interrupted.
One function per core command and the argument parser. Newer commands
each live in a module of this package with a ``register(sub)`` function
(see ``build_parser``); ``common`` holds what commands share.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import time

__all__ = ["main"]

from nnbuilder.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DIVERGED,
    CliError,
    Parser,
    Progress,
    add_data_arguments,
    fmt,
    load_model_file,
    network_of,
    own_data,
    read_data,
    trained_model,
)


def _parse_spec(spec: str) -> list[int]:
    parts = spec.split("-")
    try:
        widths = [int(p) for p in parts]
    except ValueError:
        raise CliError(f"SPEC {spec!r}: give layer widths separated by '-', e.g. 2-4-4-1") from None
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise CliError(f"SPEC {spec!r}: need at least an input and an output width, each >= 1")
    return widths



# -------------------------------------------------------------------- commands
def cmd_new(args) -> int:
    from nnbuilder.core.model.graph import Graph
    from nnbuilder.core.files.modelfile import ModelDocument, save_model
    from nnbuilder.core.functions.losses import LOSSES

    widths = _parse_spec(args.spec)
    loss = args.loss or ("bce" if widths[-1] == 1 else "cross_entropy")
    features = [f.strip() for f in args.features.split(",")] if args.features else None
    if features and len(features) != widths[0]:
        raise CliError(f"--features lists {len(features)} features but SPEC {args.spec!r} "
                       f"starts with {widths[0]} inputs")
    graph = Graph.chain(widths, activation=args.activation,
                        output_activation=args.output_activation or LOSSES[loss].output,
                        loss=loss, bias=not args.no_bias, features=features)
    errors = graph.errors()
    if errors:
        raise CliError("the network is not valid: " + "; ".join(map(str, errors)))
    save_model(args.output, ModelDocument(graph))
    if sys.stdout.isatty():
        print(f"wrote {args.output}: {'-'.join(map(str, widths))}, "
              f"{graph.total_params()} parameters")
    return 0


def _describe(doc) -> dict:
    from nnbuilder.core.files.modelfile import columns_for
    from nnbuilder.core.functions.features import feature_labels

    graph = doc.graph
    order, cyclic = graph.topological_order()
    widths = graph.widths()
    layers = []
    for nid in order + sorted(cyclic):
        node = graph.nodes[nid]
        count, arithmetic = graph.param_count(nid)
        ins = graph.inputs_of(nid)
        layers.append({
            "id": nid, "name": node.name, "type": node.type, "inputs": ins,
            "input_width": [widths.get(s) for s in ins],
            "width": widths.get(nid), "params": count, "arithmetic": arithmetic,
            "settings": node.params,
        })
    problems = graph.validate()
    columns = columns_for(graph, doc.dataset, doc.columns)
    inputs = [feature_labels(n.params["features"], columns) for n in graph.nodes_of_type("input")]
    return {
        "layers": layers,
        "columns": columns,  # the data columns the model reads (None where it does not say)
        "inputs": inputs[0] if inputs else [],  # the Input node's features by those names
        "total_params": graph.total_params(),
        "arithmetic": graph.param_arithmetic(),
        "trained": doc.weights is not None,
        "errors": [str(p) for p in problems if p.severity == "error"],
        "warnings": [str(p) for p in problems if p.severity == "warning"],
    }


def cmd_info(args) -> int:
    import numpy as np

    from nnbuilder.core.functions.features import abbreviated
    from nnbuilder.core.model.nodetypes import NODE_SPECS, named_params

    doc = load_model_file(args.model)
    d = _describe(doc)
    if args.json:
        print(json.dumps(d, indent=1))
        return 0
    print(f"{args.model}: {len(d['layers'])} nodes, "
          f"{'trained weights' if d['trained'] else 'no weights (untrained)'}")
    print(f"{'node':<16} {'type':<11} {'shape':<12} {'settings':<28} params")
    for l in d["layers"]:
        settings = NODE_SPECS[l["type"]].summary(named_params(l["settings"], d["columns"]),
                                                 l["width"])
        shape = f"{'+'.join(str(w) for w in l['input_width']) or '-'} -> {l['width'] or '?'}"
        count = l["arithmetic"] if l["params"] else "0"
        print(f"{l['name']:<16} {l['type']:<11} {shape:<12} {settings[:28]:<28} {count}")
    if d["inputs"]:
        n = len(d["inputs"])
        print(f"inputs ({n}): {abbreviated(d['inputs'], head=8, tail=2) if n > 16 else ', '.join(d['inputs'])}")
    print(f"total parameters: {d['arithmetic']}")
    for nid, wb in (doc.weights or {}).items():
        if "mean" in wb:  # an Input's features, or an Output's regression targets
            print(f"{doc.graph.label(nid)}: {'targets ' * ('W' in wb)}standardized with mean = "
                  f"{np.array2string(wb['mean'], precision=4)}, "
                  f"std = {np.array2string(wb['std'], precision=4)}")
        if "W" in wb and wb["W"].size <= 16:  # small enough to read, as in the lecture's examples
            b = "" if wb["b"] is None else f", b = {np.array2string(wb['b'], precision=6)}"
            if wb.get("alpha") is not None:  # a prelu layer's learned slopes
                b += f", alpha = {np.array2string(wb['alpha'], precision=6)}"
            W = np.array2string(wb["W"], precision=6, separator=", ").replace("\n", "")
            print(f"{doc.graph.label(nid)}: W = {W}{b}")
    for e in d["errors"] + d["warnings"]:
        print(e)
    return 0


def cmd_datasets(args) -> int:
    from nnbuilder.core.data.datasets import DATASETS

    rows = [{"name": d.name, "task": d.task, "classes": d.n_classes or None,
             "columns": d.columns, "samples": d.samples, "noise": d.noise, "split": d.split,
             "fixed": d.fixed, "description": d.description} for d in DATASETS.values()]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'name':<12} {'task':<15} {'cols':>4} {'samples':>7} {'noise':>5} {'split':>5}  description")
    for r in rows:
        task = r["task"] + (f" ({r['classes']})" if r["classes"] else "")
        print(f"{r['name']:<12} {task:<15} {r['columns']:>4} {r['samples']:>7} "
              f"{r['noise']:>5} {r['split']:>5}  {r['description']}")
    print("options: --samples N, --noise F (0..1), --split F (training fraction); "
          "fixed tables ignore samples and noise and train on all rows by default")
    return 0


def cmd_train(args) -> int:
    from nnbuilder.core.data.datasource import embed_rows
    from nnbuilder.core.files.modelfile import ModelDocument, save_model
    from nnbuilder.core.engine.traindata import fitting_changes, fitting_note
    from nnbuilder.core.engine.config import TrainConfig
    from nnbuilder.core.engine.traindata import TrainData
    from nnbuilder.core.engine.trainer import Trainer

    doc = load_model_file(args.model)
    network_of(doc, args.model)  # a broken network is reported before any data is read
    if args.animate:
        from nnbuilder.cli import animate
        why = animate.refusal(args)
        if why:
            print(f"nnbuilder: {why}", file=sys.stderr)
            return EXIT_BAD_INPUT
    seed = doc.seed if args.seed is None else args.seed
    if args.dataset is None and args.data is None:
        ds, dataset_cfg = own_data(doc, args.model, args, seed)
    else:
        ds, dataset_cfg = read_data(args, seed)
    if args.embed_data:
        dataset_cfg = embed_rows(dataset_cfg)
    split = dataset_cfg["split"]
    if args.fit or args.normalize:
        standardize = None if args.normalize is None else args.normalize == "standardize"
        ends = ("input", "output") if ds.task == "regression" else ("input",)  # a regression target too
        changes = fitting_changes(doc.graph, ds, standardize) if args.fit else \
            {n.id: {"normalize": args.normalize} for end in ends for n in doc.graph.nodes_of_type(end)}
        note = fitting_note(doc.graph, ds, changes)
        if note and not args.json:
            print(f"nnbuilder: {note}", file=sys.stderr)
        for nid, ch in changes.items():
            doc.graph.set_params(nid, **ch)
            if not args.json:
                print(f"{doc.graph.label(nid)}: " + ", ".join(f"{k} = {v}" for k, v in ch.items()),
                      file=sys.stderr)
    net = network_of(doc, args.model)
    data = TrainData.from_dataset(ds, net, split, seed)

    cfg = doc.training or TrainConfig()
    overrides = {"optimizer": args.optimizer, "lr": args.lr, "batch_size": args.batch_size,
                 "max_epochs": args.epochs, "l1": args.l1, "l2": args.l2}
    cfg = TrainConfig(**{**cfg.to_dict(), **{k: v for k, v in overrides.items() if v is not None}})
    if cfg.max_epochs is None:
        cfg.max_epochs = 100
    cfg.check()
    resume = doc.weights is not None and not args.reinit
    fresh = []
    if resume:
        kept = net.set_weights(doc.weights, strict=False)
        if len(kept) < len(net.params):  # e.g. --fit changed the Output node
            fresh = [nid for nid in net.params if nid not in kept]
            if not args.json:
                print(f"nnbuilder: new weights for {', '.join(fresh)} (their shapes changed)",
                      file=sys.stderr)
            trainer = Trainer(net, data, cfg, seed=seed, init=True, keep=doc.weights)
        else:
            trainer = Trainer(net, data, cfg, seed=seed, init=False)
    else:
        trainer = Trainer(net, data, cfg, seed=seed)

    timeline = animate.attach(trainer, args.frames, cfg.max_epochs) if args.animate else None
    progress = Progress(cfg.max_epochs, sys.stderr.isatty() and not args.json)
    start_epoch, t0 = trainer.epoch, time.perf_counter()
    reason = None
    while reason is None:
        reason = trainer.run(2000)
        progress.update(trainer.epoch, trainer.history.last["train_loss"])
    progress.update(trainer.epoch, trainer.history.last["train_loss"], force=True)
    progress.close()
    elapsed = time.perf_counter() - t0

    h = trainer.history.last
    metric = trainer.metric_name
    result = {
        "train_loss": h["train_loss"], "test_loss": h["test_loss"],
        f"train_{metric}": h["train_metric"], f"test_{metric}": h["test_metric"],
        "epochs": trainer.epoch - start_epoch, "steps": trainer.step,
        "stop_reason": reason, "seconds": round(elapsed, 3),
    }
    if metric == "accuracy":  # the lecture's zero-one loss: the fraction misclassified
        for part in ("train", "test"):
            acc = result[f"{part}_accuracy"]
            result[f"{part}_zero_one"] = None if acc is None or math.isnan(acc) else 1.0 - acc
    if trainer.divergence:
        result["diverged_at_step"] = trainer.divergence["step"]
        result["diverged_lr"] = trainer.divergence["lr"]
        result["diverged_reason"] = trainer.divergence["reason"]
    if args.animate:  # (a diverged run too: what divergence looks like is worth a slide)
        t1 = time.perf_counter()
        paths, frames = animate.write(args.animate, trainer, timeline, ds, doc.graph,
                                      (data.rows_train, data.rows_test), not args.no_loss_curve,
                                      args.frame_ms, args.frame_size, painted="points" in dataset_cfg,
                                      show_progress=sys.stderr.isatty() and not args.json)
        result.update(animation=paths[0] if len(paths) == 1 else paths, frames=frames,
                      animation_seconds=round(time.perf_counter() - t1, 3))
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
             for k, v in result.items()}
    if trainer.divergence:  # not a result: the output file is not written (nor replaced)
        print(_divergence_line(trainer.divergence, args.output), file=sys.stderr)
        if args.json:
            print(json.dumps(clean))
        return EXIT_DIVERGED
    trained = result["epochs"] > 0
    if trained:
        weights, metrics = net.get_weights(), clean
    else:  # zero epochs is not training: the (fitted) design, with the weights it came with
        weights = doc.weights if resume and not fresh else None
        metrics = doc.metrics if weights is not None else None
    out = ModelDocument(doc.graph, weights, cfg, dataset_cfg, seed, metrics, ds.labels,
                        list(ds.column_names))
    save_model(args.output, out)

    note = trainer.optimizer.stop_notes.get(reason)
    if note and not args.json:  # e.g. why the perceptron rule never converged
        n = trainer.epoch
        print(f"nnbuilder: stopped after {n} epoch{'s' * (n != 1)} ({reason}), {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(clean))
    elif not trained:
        state = "its weights as they were" if weights is not None else "untrained, no weights"
        print(f"0 epochs: nothing trained; wrote {args.output} ({state})")
    else:
        test = "" if not data.X_test.size else (
            f", test loss {fmt(result['test_loss'])}, test {metric} {fmt(result[f'test_{metric}'])}")
        print(f"{result['epochs']} epochs ({reason}): train loss {fmt(result['train_loss'])}, "
              f"train {metric} {fmt(result[f'train_{metric}'])}{test}; wrote {args.output}")
    if args.animate and not args.json:
        print(f"wrote {args.animate if args.animate.lower().endswith('.gif') else 'the PNG sequence'}: "
              f"{result['frames']} frames in {result['animation_seconds']:.1f} s")
    return 0


def _divergence_line(d: dict, output: str) -> str:
    """One line: where and why training diverged, and what to do."""
    from nnbuilder.core.run.narration import why_diverged

    why = why_diverged(d)
    kept = "left as it was" if os.path.exists(output) else "not written"
    return (f"nnbuilder: diverged at step {d['step']} with learning rate {d['lr']:g}: {why}; "
            f"{output} {kept}. Try a smaller learning rate, e.g. --lr {d['lr'] / 10:g}")


def _input_columns(doc, net, path: str, drop_bad: bool = False):
    """(names, values ``(n_rows, k)``, file lines ``(n_rows,)``) of the k raw
    columns ``net`` reads, from the CSV file at ``path``.

    When the model names its columns and the file has a header row, they are
    picked by name (any order; other columns are ignored, even text ones).
    Otherwise by position, and the file must have exactly the columns the
    model was trained on (or, for a file without names, that its Input node
    reads). Anything else is a CliError naming what is missing or expected.
    A missing or non-numeric cell in those columns is a CliError naming it;
    with ``drop_bad`` its row is left out instead, and one line on stderr
    says how many were.
    """
    import numpy as np

    from nnbuilder.core.functions.features import columns_needed
    from nnbuilder.core.data.csvfile import read_table

    table = read_table(path)
    need = columns_needed(net.features)
    if doc.columns is not None and table.has_header:
        names = doc.columns[:need]
        missing = [c for c in names if c not in table.names]
        if missing:
            raise CliError(f"{path}: no column {', '.join(repr(c) for c in missing)}; the model reads "
                           f"the columns {', '.join(names)} (the file has {', '.join(table.names)})")
        idx = [table.names.index(c) for c in names]
    else:
        expected = need if doc.columns is None else len(doc.columns)
        if table.n_columns != expected:
            if doc.columns is None:
                raise CliError(f"{path}: has {table.n_columns} columns, but the model reads {need} and "
                               f"does not name them: give exactly {need} columns, in the order of "
                               "the data it was trained on")
            raise CliError(f"{path}: has no header row and {table.n_columns} columns; the model was "
                           f"trained on {expected}: {', '.join(doc.columns)} (add a header row "
                           "naming them, or give exactly those columns in that order)")
        idx = list(range(need))
        names = table.names[:need] if doc.columns is None else doc.columns[:need]
    X = np.column_stack([table.values(j) for j in idx])  # NaN where a cell is bad
    lines = np.asarray(table.lines)
    bad = table.problems(idx, None, "regression", limit=1)
    if bad and not drop_bad:
        raise CliError(f"{path}: {bad[0]} (--drop-bad leaves out such rows)")
    if bad:
        keep = ~np.isnan(X).any(axis=1)
        if not keep.any():
            raise CliError(f"{path}: no rows are left after leaving out those with bad cells")
        n = len(X) - int(keep.sum())
        print(f"nnbuilder: left out {n} row{'s' * (n != 1)} of {len(X)} with a missing or "
              f"non-numeric cell (the first: {bad[0]})", file=sys.stderr)
        X, lines = X[keep], lines[keep]
    return list(names), X, lines


def cmd_predict(args) -> int:
    from nnbuilder.core.functions.losses import LOSSES, predict_classes

    doc, net = trained_model(args.model)
    names, X, lines = _input_columns(doc, net, args.input, args.drop_bad)
    outputs = net.predict(net.prepare(X))
    k = outputs.shape[1]
    header = ["row"] if args.outputs_only else list(names)
    header += ["output"] if k == 1 else [f"output{i + 1}" for i in range(k)]
    classify = LOSSES[net.loss.name].task == "classification"
    labels = doc.labels if classify else None
    if classify:
        header.append("class")
        classes = predict_classes(outputs, net.loss.threshold)
        if labels:
            header.append("label")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for i in range(len(X)):
        row = [int(lines[i])] if args.outputs_only else [repr(float(v)) for v in X[i]]
        row += [repr(float(v)) for v in outputs[i]]
        if classify:
            row.append(int(classes[i]))
            if labels:
                row.append(labels[int(classes[i])])
        w.writerow(row)
    if args.output:
        from nnbuilder.core.files.modelfile import atomic_write_text

        try:
            atomic_write_text(args.output, buf.getvalue())
        except OSError as e:
            raise CliError(f"{args.output}: cannot write: {e.strerror or e}") from None
    else:
        sys.stdout.write(buf.getvalue())
    return 0


def cmd_gui(args) -> int:
    from nnbuilder.gui.app import has_display, run

    if not has_display():
        print("nnbuilder: no display (DISPLAY/WAYLAND_DISPLAY unset): run it as "
              "'xvfb-run nnbuilder' for a virtual screen, or use the CLI (nnbuilder --help)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    return run(getattr(args, "file", None), self_test=getattr(args, "self_test", False))


# ----------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    from nnbuilder import version
    from nnbuilder.core.functions.activations import ACTIVATIONS
    from nnbuilder.core.functions.losses import LOSSES
    from nnbuilder.core.engine.optimizers import OPTIMIZERS

    p = Parser(prog="nnbuilder", description="Build, train and export small neural networks.")
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = p.add_subparsers(dest="command", parser_class=Parser)

    s = sub.add_parser("new", help="create an untrained chain network from layer widths")
    s.add_argument("spec", metavar="SPEC", help='layer widths, e.g. "2-4-4-1"')
    s.add_argument("--activation", default="tanh", choices=list(ACTIVATIONS), metavar="A",
                   help="hidden activation (default tanh)")
    s.add_argument("--output-activation", choices=list(ACTIVATIONS), metavar="A",
                   help="output activation (default: the one the loss is meant for: sigmoid "
                        "for bce, softmax for cross_entropy, linear otherwise)")
    s.add_argument("--loss", choices=list(LOSSES), metavar="L",
                   help="bce for one output, cross_entropy for several (default)")
    s.add_argument("--no-bias", action="store_true", help="layers without bias terms")
    s.add_argument("--features", metavar="F,...",
                   help="input features, e.g. x1,x2,x1^2,sin(x1) (default x1..xN)")
    s.add_argument("-o", "--output", required=True, metavar="MODEL.json")
    s.set_defaults(func=cmd_new)

    s = sub.add_parser("info", help="layers, shapes, parameter counts, problems")
    s.add_argument("model", metavar="MODEL.json")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("datasets", help="the built-in datasets and their options")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_datasets)

    s = sub.add_parser("train", help="train a model on a built-in dataset or a CSV file "
                                     "(default: the data the model file names)")
    s.add_argument("model", metavar="MODEL.json")
    add_data_arguments(s, required=False)
    s.add_argument("--split", type=float, metavar="F",
                   help="fraction of samples used for training (default 0.5; 1 = all)")
    s.add_argument("--optimizer", choices=list(OPTIMIZERS), metavar="O")
    s.add_argument("--lr", type=float, metavar="F")
    s.add_argument("--batch-size", type=int, metavar="N")
    s.add_argument("--epochs", type=int, metavar="N", help="maximum epochs (default 100)")
    s.add_argument("--seed", type=int, metavar="N")
    s.add_argument("--l1", type=float, metavar="F")
    s.add_argument("--l2", type=float, metavar="F")
    s.add_argument("--fit", action="store_true",
                   help="first fit the Input features and the Output units and loss to the data")
    s.add_argument("--normalize", choices=["none", "standardize"],
                   help="set the Input node's normalization, and the Output node's for regression "
                        "data (standardize: (x - mean) / std; predictions stay in the data's units)")
    s.add_argument("--reinit", action="store_true",
                   help="start from fresh weights even if the model has trained ones")
    s.add_argument("--embed-data", action="store_true",
                   help="save the CSV data's rows in OUT.json, so it needs no other file "
                        "(built-in data is always reproducible from its name)")
    s.add_argument("-o", "--output", required=True, metavar="OUT.json")
    s.add_argument("--json", action="store_true", help="print the result as one JSON object")
    s.add_argument("--animate", metavar="OUT.gif",
                   help="also write the output view over the run as an animated GIF "
                        "(or OUT.png: a PNG sequence OUT_0001.png, ...)")
    s.add_argument("--frames", type=int, default=60, metavar="N",
                   help="frames of --animate, at most (default 60: evenly spaced moments and the end)")
    s.add_argument("--frame-ms", type=int, default=100, metavar="MS", help="each frame's time (default 100)")
    s.add_argument("--frame-size", type=int, default=320, metavar="PX",
                   help="the output view's side in pixels (default 320)")
    s.add_argument("--no-loss-curve", action="store_true", help="frames without the loss curve")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("predict", help="run a trained model on the rows of a CSV file")
    s.add_argument("model", metavar="MODEL.json")
    s.add_argument("input", metavar="INPUT.csv")
    s.add_argument("-o", "--output", metavar="OUT.csv", help="write here (default: standard output)")
    s.add_argument("--drop-bad", action="store_true",
                   help="leave out rows with a missing or non-numeric cell in the columns the "
                        "model reads (one line on stderr says how many) instead of stopping")
    s.add_argument("--outputs-only", action="store_true",
                   help="write only each row's number (its line in INPUT.csv, as error "
                        "messages name rows) and the outputs, not the input columns")
    s.set_defaults(func=cmd_predict)

    s = sub.add_parser("gui", help="open the desktop app")
    s.add_argument("file", nargs="?", metavar="FILE")
    s.add_argument("--self-test", action="store_true",
                   help="open the window, train the example briefly in the worker process, "
                        "close; exit 0 when all of it worked (make dist runs it on the bundle)")
    s.set_defaults(func=cmd_gui)

    # Every other module of this package that defines ``register(sub)`` adds
    # its own command(s): a new command is a new module, nothing else changes.
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from nnbuilder.core.errors import NNBuilderError

    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            return cmd_gui(args)
        return args.func(args)
    except (CliError, NNBuilderError) as e:
        print(f"nnbuilder: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. piped into head: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("nnbuilder: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
