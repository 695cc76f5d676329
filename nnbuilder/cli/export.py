"""``nnbuilder export MODEL.json --format onnx|torch -o OUT``: a trained
network that runs without nnbuilder (see nnbuilder.core.export_onnx and
nnbuilder.core.export_torch)."""
from __future__ import annotations

import os
import sys

from nnbuilder.cli.common import CliError, load_model_file


def _write_onnx(doc, path: str) -> str:
    from nnbuilder.core.export_onnx import to_onnx

    data = to_onnx(doc, os.path.splitext(os.path.basename(path))[0]).SerializeToString()
    _write(path, data)
    return f"{len(data):,} bytes, opset 17: input x (float32, N x columns), output y"


def _write_torch(doc, path: str) -> str:
    from nnbuilder.core.export_torch import torch_script

    text = torch_script(doc, os.path.basename(path))
    _write(path, text.encode("utf-8"))
    return f"PyTorch script; train it with: python {path} train --data FILE.csv -o trained.json"


#: What each --format writes: (writer, default file extension).
FORMATS = {"onnx": (_write_onnx, ".onnx"), "torch": (_write_torch, ".py")}


def _write(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise CliError(f"{path}: cannot write: {e.strerror or e}") from None


def cmd_export(args) -> int:
    doc = load_model_file(args.model)
    if doc.weights is None:
        raise CliError(f"{args.model}: the model has no trained weights; run 'nnbuilder train' "
                       "first (an export runs the trained network)")
    writer, _ = FORMATS[args.format]
    what = writer(doc, args.output)
    if sys.stdout.isatty():
        print(f"wrote {args.output}: {what}")
    return 0


def register(sub) -> None:
    s = sub.add_parser("export", help="write a trained network as ONNX or as a PyTorch script")
    s.add_argument("model", metavar="MODEL.json")
    s.add_argument("--format", required=True, choices=list(FORMATS),
                   help="onnx: an ONNX graph (opset 17); torch: one Python file with "
                        "class Net(torch.nn.Module) and a 'train' entry point (torchrun)")
    s.add_argument("-o", "--output", required=True, metavar="OUT")
    s.set_defaults(func=cmd_export)
