"""``nnbuilder export MODEL.json --format onnx|torch -o OUT``: a trained
network that runs without nnbuilder (see nnbuilder.core.files.exports)."""
from __future__ import annotations

import sys

from nnbuilder.cli.common import trained_model

#: What the command prints after each format.
_NEXT = {
    "onnx": "opset 17, input x (float32, rows x raw columns), output y",
    "torch": "train it with: python {path} train --data FILE.csv --target COL -o trained.json "
             "(or under torchrun)",
}


def cmd_export(args) -> int:
    from nnbuilder.core.files.exports import write_export

    doc, _ = trained_model(args.model, " (an export runs the trained network)")
    size = write_export(doc, args.format, args.output)
    if sys.stdout.isatty():
        print(f"wrote {args.output} ({size:,} bytes): {_NEXT[args.format].format(path=args.output)}")
    return 0


def register(sub) -> None:
    from nnbuilder.core.files.exports import EXPORT_FORMATS

    s = sub.add_parser("export", help="write a trained network as ONNX or as a PyTorch script")
    s.add_argument("model", metavar="MODEL.json")
    s.add_argument("--format", required=True, choices=list(EXPORT_FORMATS),
                   help="onnx: an ONNX graph (opset 17); torch: one Python file with "
                        "class Net(torch.nn.Module) and a 'train' entry point (torchrun)")
    s.add_argument("-o", "--output", required=True, metavar="OUT")
    s.set_defaults(func=cmd_export)
