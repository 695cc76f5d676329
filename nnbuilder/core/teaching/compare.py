"""What differs between the settings of two training runs, in a few words:
the labels of the loss curves the window keeps to compare runs ("lr 0.3",
"sigmoid", "layers 2-8-1").

:func:`run_settings` describes a run as ``{aspect: (value, text)}``: values
are compared, texts are shown. :func:`difference` names the aspects in which
one run differs from another, in the first run's terms.
"""
from __future__ import annotations

import json

from ..functions.features import abbreviated
from ..model.graph import Graph
from ..model.nodetypes import NODE_SPECS
from ..engine.config import TrainConfig

__all__ = ["run_settings", "difference", "SAME"]

#: The label of a run whose settings are those of the other one.
SAME = "same settings"
#: Per-node aspects, keyed "<prefix>:<node name>"; several nodes that differ
#: in the same way read as one word ("sigmoid", not "Dense 1 sigmoid, Dense 2 sigmoid").
NODE_ASPECTS = ("act", "init", "bias", "rate")
MAX_PARTS = 4  # beyond these, "..." (a label is a few words, not a diff)


def _layers(graph: Graph) -> tuple[str, str]:
    """(what the computation's shape is, "layers 2-4-4-1")."""
    order, _ = graph.topological_order()
    widths = graph.widths()
    shown = [str(widths.get(n, "?")) for n in order
             if graph.nodes[n].type == "input" or NODE_SPECS[graph.nodes[n].type].weighted]
    shape = json.dumps({"nodes": sorted((graph.nodes[n].name, graph.nodes[n].type, widths.get(n))
                                        for n in order),
                        "edges": sorted((graph.nodes[e.source].name, graph.nodes[e.target].name)
                                        for e in graph.edges)})
    return shape, "layers " + "-".join(shown)


def _node_aspects(graph: Graph) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for node in graph.nodes.values():
        p, name = node.params, node.name or node.id
        act = p.get("activation")
        if act is not None:
            alpha = p.get("alpha")
            out[f"act:{name}"] = ((act, alpha), act if alpha is None else f"{act} {alpha:g}")
        if NODE_SPECS[node.type].weighted:
            init = p.get("initializer")
            text = init if init != "constant" else f"constant {p.get('init_value', 0):g}"
            out[f"init:{name}"] = ((init, p.get("init_value")), text)
            out[f"bias:{name}"] = (bool(p.get("bias", True)), "bias" if p.get("bias", True) else "no bias")
        if "rate" in p:
            out[f"rate:{name}"] = (p["rate"], f"dropout {p['rate']:g}")
        if node.type == "input":
            feats = list(p.get("features", []))
            out["features"] = (feats, "features " + abbreviated(feats))  # 784 of them: a few
            norm = p.get("normalize", "none")
            out["normalize"] = (norm, "standardized" if norm == "standardize" else "not standardized")
    return out


def _data_aspects(dataset: dict | None) -> dict[str, tuple]:
    d = dataset or {}
    if "name" in d:
        source = d["name"]
    elif "csv" in d:
        source = str(d.get("csv") or "CSV data").replace("\\", "/").rsplit("/", 1)[-1]
    elif "points" in d:
        source = f"{len(d['points'])} painted points"
    else:
        source = "no data"
    out = {"data": ((source, d.get("points")), source)}
    if d.get("samples") is not None:
        out["samples"] = (d["samples"], f"{d['samples']} samples")
    if d.get("noise") is not None:
        out["noise"] = (d["noise"], f"noise {d['noise']:g}")
    if d.get("split") is not None:
        out["split"] = (d["split"], f"train fraction {d['split']:g}")
    if "name" in d and d.get("seed") is not None:
        out["data_seed"] = (d["seed"], f"data seed {d['seed']}")
    return out


def run_settings(graph: Graph, training: TrainConfig | None, dataset: dict | None,
                 seed: int) -> dict[str, tuple]:
    """``{aspect: (value, text)}`` of a run of ``graph`` with ``training``
    (None: the defaults) on ``dataset`` (the model file's description) from ``seed``."""
    cfg = training or TrainConfig()
    out: dict[str, tuple] = {}
    out["layers"] = _layers(graph)
    out.update(_node_aspects(graph))
    outputs = graph.nodes_of_type("output")
    if outputs:
        out["loss"] = (outputs[0].params.get("loss"), str(outputs[0].params.get("loss")))
    out["optimizer"] = (cfg.optimizer, cfg.optimizer)
    out["lr"] = (cfg.lr, f"lr {cfg.lr:g}")
    out["batch"] = (cfg.batch_size, f"batch {cfg.batch_size}")
    out["momentum"] = ((cfg.momentum, cfg.nesterov),
                       f"momentum {cfg.momentum:g}" + (" Nesterov" if cfg.nesterov else ""))
    out["penalty"] = ((cfg.l1, cfg.l2), f"L1 {cfg.l1:g}" if cfg.l1 else f"L2 {cfg.l2:g}" if cfg.l2
                      else "no penalty")
    out["seed"] = (seed, f"seed {seed}")
    out.update(_data_aspects(dataset))
    return out


def difference(run: dict[str, tuple], other: dict[str, tuple]) -> str:
    """How ``run`` differs from ``other`` (both from :func:`run_settings`), in
    ``run``'s terms: "lr 0.3", "sigmoid, seed 4", or :data:`SAME`.

    Per-node aspects of nodes the other run does not have are left out when
    the layers differ (the layers say it); nodes that differ alike read as one.
    """
    parts: list = []  # texts, and lists of (node, text) that differ alike
    grouped: dict[str, list[tuple[str, str]]] = {}
    for key, (value, text) in run.items():
        theirs = other.get(key)
        if theirs is not None and theirs[0] == value:
            continue
        prefix, _, node = key.partition(":")
        if prefix in NODE_ASPECTS and node:
            if theirs is None:
                continue  # a node only this run has: "layers ..." tells
            if prefix not in grouped:
                grouped[prefix] = []
                parts.append(grouped[prefix])  # its place among the parts, filled in below
            grouped[prefix].append((node, text))
        else:
            parts.append(text)
    words = []
    for part in parts:
        if isinstance(part, str):
            words.append(part)
        elif len({t for _, t in part}) == 1:
            words.append(part[0][1])
        else:
            words.extend(f"{n} {t}" for n, t in part)
    if not words:
        return SAME
    return ", ".join(words[:MAX_PARTS]) + (", ..." if len(words) > MAX_PARTS else "")
