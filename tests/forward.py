"""An independent forward pass for the tests: a chain Input -> Dense... ->
Output computed in plain NumPy from a model file's JSON (its graph and
weights), never through nnbuilder's Network."""
import json

import numpy as np

ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "softmax": lambda z: np.exp(z - z.max(axis=1, keepdims=True))
    / np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True),
}


def read_model(path) -> dict:
    with open(path) as f:
        return json.load(f)


def forward(model: dict, raw: np.ndarray, pre: dict | None = None) -> tuple[np.ndarray, dict]:
    """(outputs ``(n, units)``, ``{node_id: activations (n, units)}``) of the
    model's chain over raw data columns ``raw``; the Input node's features
    must be plain columns (x1 is the first), standardized if it says so (its
    activations: the features the first layer takes). ``pre``, if given,
    receives each layer's pre-activations W x + b."""
    nodes = {n["id"]: n for n in model["graph"]["nodes"]}
    after = {e["source"]: e["target"] for e in model["graph"]["edges"]}
    weights = model["weights"]
    inp = next(n for n in nodes.values() if n["type"] == "input")
    columns = [int(f[1:]) - 1 for f in inp["params"]["features"]]
    a = np.asarray(raw, dtype=np.float64)[:, columns]
    if inp["params"].get("normalize") == "standardize":
        a = (a - np.asarray(weights[inp["id"]]["mean"])) / np.asarray(weights[inp["id"]]["std"])
    acts, nid = {inp["id"]: a}, after[inp["id"]]
    while True:
        node, w = nodes[nid], weights[nid]
        z = a @ np.asarray(w["W"], dtype=np.float64)
        if w.get("b") is not None:
            z = z + np.asarray(w["b"], dtype=np.float64)
        if pre is not None:
            pre[nid] = z
        a = acts[nid] = ACTIVATIONS[node["params"]["activation"]](z)
        if node["type"] == "output":
            return a, acts
        nid = after[nid]


def bce(p: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of probabilities ``p`` for 0/1 targets ``y``."""
    p, y = np.asarray(p, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
