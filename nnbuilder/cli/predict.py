"""``nnbuilder predict MODEL.json INPUT.csv [-o OUT.csv]``: a trained model
run on the rows of a CSV file, its columns picked by name or position."""
from __future__ import annotations

import csv
import io
import sys

from nnbuilder.cli.common import CliError, trained_model


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


def register(sub) -> None:
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
