"""``nnbuilder info MODEL.json [--json]``: a model's layers, shapes, parameter
counts, small weights and problems."""
from __future__ import annotations

import json

from nnbuilder.cli.common import load_model_file


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


def register(sub) -> None:
    s = sub.add_parser("info", help="layers, shapes, parameter counts, problems")
    s.add_argument("model", metavar="MODEL.json")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_info)
