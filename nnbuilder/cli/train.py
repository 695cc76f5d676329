"""``nnbuilder train MODEL.json ... -o OUT.json``: train a model on a built-in
dataset or a CSV file (default: the data the model file names); exit status 3
when it diverges, the output file then not written."""
from __future__ import annotations

import json
import math
import os
import sys
import time

from nnbuilder.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DIVERGED,
    Progress,
    add_data_arguments,
    fmt,
    load_model_file,
    network_of,
    own_data,
    read_data,
)


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
    if not args.animate:  # the features are the table now: it is not held twice while training
        ds = ds.subset([])  # its names and classes kept, no rows

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


def register(sub) -> None:
    from nnbuilder.core.engine.optimizers import OPTIMIZERS

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
