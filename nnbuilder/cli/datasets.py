"""``nnbuilder datasets [--json]``: the built-in datasets and their options."""
from __future__ import annotations

import json


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


def register(sub) -> None:
    s = sub.add_parser("datasets", help="the built-in datasets and their options")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_datasets)
