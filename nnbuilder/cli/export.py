"""``nnbuilder export MODEL.json --format onnx|torch -o OUT``: a network that
runs (and, as a PyTorch script, trains) without nnbuilder, with its trained
weights or, untrained, the initial ones ``train`` would start from (see
nnbuilder.core.files.exports)."""
from __future__ import annotations

from nnbuilder.cli.common import load_model_file

#: What the command prints after each format.
_NEXT = {
    "onnx": "opset 17, input x (float32, rows x raw columns), output y (and label for a classifier)",
    "torch": "train it with: python {path} train --data FILE.csv --target COL -o trained.json "
             "(or under torchrun)",
}


def cmd_export(args) -> int:
    from nnbuilder.core.files.exports import write_export

    doc = load_model_file(args.model)
    size = write_export(doc, args.format, args.output)
    weights = "trained weights" if doc.weights is not None else \
        f"untrained: the initial weights of seed {doc.seed}"
    print(f"wrote {args.output} ({size:,} bytes, {weights}): "
          f"{_NEXT[args.format].format(path=args.output)}")
    return 0


def register(sub) -> None:
    from nnbuilder.core.files.exports import EXPORT_FORMATS

    s = sub.add_parser("export", help="write a network (trained, or its initial weights) as ONNX or as a PyTorch script")
    s.add_argument("model", metavar="MODEL.json")
    s.add_argument("--format", required=True, choices=list(EXPORT_FORMATS),
                   help="onnx: an ONNX graph (opset 17); torch: one Python file with "
                        "class Net(torch.nn.Module) and a 'train' entry point (torchrun)")
    s.add_argument("-o", "--output", required=True, metavar="OUT")
    s.set_defaults(func=cmd_export)
