"""``nnbuilder import MODEL.onnx -o MODEL.json``: an ONNX graph of layers and
activations (nnbuilder's or PyTorch's export, or scikit-learn's MLP through
skl2onnx) as an nnbuilder model with its weights (see
nnbuilder.core.files.import_onnx); a file it cannot use is one line on stderr
and exit status 2. The module is not called ``import``: that is a Python
keyword."""
from __future__ import annotations


def cmd_import(args) -> int:
    from nnbuilder.core.files.import_onnx import load_onnx
    from nnbuilder.core.files.modelfile import save_model

    doc = load_onnx(args.model)
    save_model(args.output, doc)
    kinds = ", ".join(n.name for n in doc.graph.nodes.values())
    classes = f"; classes {', '.join(doc.labels)}" if doc.labels else ""
    print(f"wrote {args.output}: {kinds}; {doc.graph.total_params()} parameters{classes}")
    return 0


def register(sub) -> None:
    s = sub.add_parser("import", help="read an ONNX model (layers and activations; scikit-learn's "
                       "MLPClassifier/MLPRegressor from skl2onnx) as a model file")
    s.add_argument("model", metavar="MODEL.onnx")
    s.add_argument("-o", "--output", required=True, metavar="MODEL.json")
    s.set_defaults(func=cmd_import)
