"""``nnbuilder new SPEC -o MODEL.json``: an untrained chain network from
layer widths, e.g. 2-4-4-1."""
from __future__ import annotations

import sys

from nnbuilder.cli.common import CliError


def _parse_spec(spec: str) -> list[int]:
    parts = spec.split("-")
    try:
        widths = [int(p) for p in parts]
    except ValueError:
        raise CliError(f"SPEC {spec!r}: give layer widths separated by '-', e.g. 2-4-4-1") from None
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise CliError(f"SPEC {spec!r}: need at least an input and an output width, each >= 1")
    return widths


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


def register(sub) -> None:
    from nnbuilder.core.functions.activations import ACTIVATIONS
    from nnbuilder.core.functions.losses import LOSSES

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
