"""`nnbuilder explain` (issue 11) against PyTorch autograd on the same weights.

The reference reads the model file's JSON and builds the forward pass in
torch (float64) itself: it imports nothing of nnbuilder's engine. Every
activation, loss and node type (Add, Concatenate, Dropout, Activation
included) is checked to 1e-9 relative: z, a, delta (dL/dz of Dense/Output
nodes, dL/da of the others, via retain_grad), the loss, every W and b
gradient, and the chain-rule factors of a weight, whose product must be its
gradient. Also a finite-difference check, the lecture's worked example
(y = w x on seed_table), the text and --json forms, and every bad input.
"""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nnbuilder.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
RTOL, ATOL = 1e-9, 1e-12  # relative, with an absolute floor for values near zero

# Every activation and loss a model file can name; a test below checks that
# these lists are the engine's tables, so a new entry must get a reference.
T_ACT = {
    "step": lambda z, al: (z > 0).to(z.dtype) + 0.0 * z,  # derivative 0, as the engine's
    "linear": lambda z, al: z,
    "sigmoid": lambda z, al: torch.sigmoid(z),
    "tanh": lambda z, al: torch.tanh(z),
    "relu": lambda z, al: torch.relu(z),
    "leaky_relu": lambda z, al: torch.where(z >= 0, z, al * z),
    "prelu": lambda z, al: torch.nn.functional.prelu(z, al),  # al: the layer's slopes, a leaf
    "elu": lambda z, al: torch.where(z > 0, z, al * torch.expm1(torch.clamp(z, max=0.0))),
    "softplus": lambda z, al: torch.logaddexp(torch.zeros_like(z), z),
    "swish": lambda z, al: z * torch.sigmoid(z),
    "sine": lambda z, al: torch.sin(z),
    "softmax": lambda z, al: torch.softmax(z, dim=1),
}
T_ALPHA = {"leaky_relu": 0.01, "elu": 1.0}  # the model file's default when alpha is null


def _huber(a, y):
    r = (a - y).abs()
    return torch.where(r <= 1.0, 0.5 * r * r, r - 0.5).sum()


# (z, a, y) -> the loss of one sample: sum over outputs, n = 1
T_LOSS = {
    "l2": lambda z, a, y: 0.5 * ((a - y) ** 2).sum(),
    "l1": lambda z, a, y: (a - y).abs().sum(),
    "huber": lambda z, a, y: _huber(a, y),
    "hinge": lambda z, a, y: torch.relu(1.0 - (2.0 * y - 1.0) * a).sum(),
    "bce": lambda z, a, y: torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="sum"),
    "cross_entropy": lambda z, a, y: -(y * torch.log_softmax(z, dim=1)).sum(),
}


# ------------------------------------------------------------ the reference
def _order(graph):
    ins = {n["id"]: [e["source"] for e in graph["edges"] if e["target"] == n["id"]]
           for n in graph["nodes"]}
    order, done = [], set()
    while len(order) < len(ins):
        for nid, srcs in ins.items():
            if nid not in done and all(s in done for s in srcs):
                order.append(nid)
                done.add(nid)
    return order, ins


def _weighted(p, x, W, b):
    z = x @ W + (0.0 if b is None else b)
    z.retain_grad()
    return z


T_NODE = {  # (params, inputs, W, b) -> (z or None, a)
    "dense": lambda p, xs, W, b: (lambda z: (z, T_ACT[p["activation"]](z, _alpha(p))))(
        _weighted(p, xs[0], W, b)),
    "activation": lambda p, xs, W, b: (None, T_ACT[p["activation"]](xs[0], _alpha(p))),
    "dropout": lambda p, xs, W, b: (None, xs[0] * 1.0),  # identity: not training
    "add": lambda p, xs, W, b: (None, sum(xs[1:], xs[0])),
    "concat": lambda p, xs, W, b: (None, torch.cat(xs, dim=1)),
}
T_NODE["output"] = T_NODE["dense"]


def _alpha(p):
    a = p.get("alpha")
    return T_ALPHA.get(p["activation"], 0.0) if a is None else a


def torch_reference(model: dict, x_raw, target) -> dict:
    """Loss, z/a/delta per node and W/b gradients of one sample, from the JSON alone."""
    graph, weights = model["graph"], model["weights"]
    nodes = {n["id"]: n for n in graph["nodes"]}
    order, ins = _order(graph)
    T = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    params = {nid: (T(w["W"]).requires_grad_(), None if w["b"] is None else T(w["b"]).requires_grad_())
              for nid, w in weights.items() if "W" in w}
    slopes = {nid: T(w["alpha"]).requires_grad_() for nid, w in weights.items() if "alpha" in w}
    inp = next(n for n in graph["nodes"] if n["type"] == "input")
    cols = [int(f[1:]) - 1 for f in inp["params"]["features"]]  # plain x1, x2, ... features
    x = T(np.asarray(x_raw, dtype=float)[cols])[None, :]
    if inp["params"].get("normalize") == "standardize":
        st = weights[inp["id"]]
        x = (x - T(st["mean"])) / T(st["std"])
    x = x.detach().requires_grad_()
    z, a = {}, {inp["id"]: x}
    for nid in order:
        n = nodes[nid]
        if n["type"] == "input":
            continue
        W, b = params.get(nid, (None, None))
        if nid in slopes:  # prelu: the slopes are parameters of the layer
            z[nid] = _weighted(n["params"], a[ins[nid][0]], W, b)
            a[nid] = T_ACT["prelu"](z[nid], slopes[nid])
        else:
            z[nid], a[nid] = T_NODE[n["type"]](n["params"], [a[s] for s in ins[nid]], W, b)
        a[nid].retain_grad()
    out = next(n for n in graph["nodes"] if n["type"] == "output")
    y = T(target)[None, :]
    loss = T_LOSS[out["params"]["loss"]](z[out["id"]], a[out["id"]], y)
    loss.backward()
    res = {"loss": loss.item(), "nodes": {}, "gradient": {}}
    for nid in order:
        zz = z.get(nid)
        d = a[nid].grad if zz is None else zz.grad
        res["nodes"][nid] = {"z": None if zz is None else zz[0].tolist(), "a": a[nid][0].tolist(),
                             "delta": d[0].tolist()}
    for nid, (W, b) in params.items():
        res["gradient"][nid] = {"W": W.grad.tolist(), "b": None if b is None else b.grad.tolist()}
    for nid, al in slopes.items():
        res["gradient"][nid]["alpha"] = al.grad.tolist()
    return res


# ------------------------------------------------------------ model files
def _widths(graph):
    order, ins = _order(graph)
    nodes = {n["id"]: n for n in graph["nodes"]}
    w = {}
    rule = {"input": lambda p, i: len(p["features"]), "dense": lambda p, i: p["units"],
            "output": lambda p, i: p["units"], "activation": lambda p, i: i[0],
            "dropout": lambda p, i: i[0], "add": lambda p, i: i[0], "concat": lambda p, i: sum(i)}
    for nid in order:
        w[nid] = rule[nodes[nid]["type"]](nodes[nid]["params"], [w[s] for s in ins[nid]])
    return w, ins


def make_model(path, nodes, edges, seed=0, scale=0.8, standardize=None):
    """A model file with random weights (biases too) for the graph given."""
    graph = {"nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
             "edges": [{"source": s, "target": d} for s, d in edges]}
    widths, ins = _widths(graph)
    rng = np.random.default_rng(seed)
    weights = {}
    for i, t, p in nodes:
        if t in ("dense", "output"):
            fan_in = widths[ins[i][0]]
            weights[i] = {"W": (scale * rng.standard_normal((fan_in, p["units"]))).tolist(),
                          "b": (0.3 * rng.standard_normal(p["units"])).tolist()
                          if p.get("bias", True) else None}
            if p["activation"] == "prelu":  # learned slopes, some negative
                weights[i]["alpha"] = rng.uniform(-0.5, 0.8, p["units"]).tolist()
    if standardize is not None:
        weights["in"] = {"mean": standardize[0], "std": standardize[1]}
    model = {"format": "nnbuilder-model", "version": 1, "graph": graph, "weights": weights,
             "training": None, "dataset": None, "seed": 0, "metrics": None}
    Path(path).write_text(json.dumps(model))
    return model


def dense(units, act, **kw):
    return {"units": units, "activation": act, **kw}


def output(units, act, loss, **kw):
    return {"units": units, "activation": act, "loss": loss, **kw}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def explain_json(capsys, *argv):
    code, out, err = run(capsys, "explain", *argv, "--json")
    assert code == 0 and err == "", err
    return json.loads(out)


def close(got, want, what):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def check_against_torch(got: dict, model: dict, data_rows) -> None:
    """Every number of one --json answer against the reference."""
    ref = torch_reference(model, got["x"], got["target"])
    close(got["loss"], ref["loss"], "loss")
    assert set(got["nodes"]) == set(ref["nodes"])
    for nid, r in ref["nodes"].items():
        g = got["nodes"][nid]
        assert (g["z"] is None) == (r["z"] is None), nid
        if r["z"] is not None:
            close(g["z"], r["z"], f"z of {nid}")
        close(g["a"], r["a"], f"a of {nid}")
        close(g["delta"], r["delta"], f"delta of {nid}")
    assert set(got["gradient"]) == set(ref["gradient"])
    for nid, r in ref["gradient"].items():
        close(got["gradient"][nid]["W"], r["W"], f"dW of {nid}")
        assert (got["gradient"][nid]["b"] is None) == (r["b"] is None)
        if r["b"] is not None:
            close(got["gradient"][nid]["b"], r["b"], f"db of {nid}")
        assert ("alpha" in got["gradient"][nid]) == ("alpha" in r), nid
        if "alpha" in r:
            close(got["gradient"][nid]["alpha"], r["alpha"], f"dalpha of {nid}")
    if "weight" in got:
        w = got["weight"]
        r = ref["gradient"][w["node"]]
        key = w["row"] if w["row"] in ("b", "alpha") else None
        want = r[key][w["col"] - 1] if key else r["W"][w["row"] - 1][w["col"] - 1]
        close(w["gradient"], want, "the weight's gradient")
        close(np.prod([f["value"] for f in w["factors"]]), want, "the product of the factors")
        W = model["weights"][w["node"]]
        close(w["value"], W[key][w["col"] - 1] if key else W["W"][w["row"] - 1][w["col"] - 1],
              "the weight's value")


# ------------------------------------------------------------------ tests
def test_the_reference_covers_every_activation_and_loss():
    from nnbuilder.core.functions.activations import ACTIVATIONS
    from nnbuilder.core.functions.losses import LOSSES

    assert set(T_ACT) == set(ACTIVATIONS) and set(T_LOSS) == set(LOSSES)


@pytest.mark.parametrize("act", sorted(T_ACT))
def test_every_activation_hidden_and_output_matches_torch(capsys, tmp_path, act):
    # A Dense layer, an Activation node and the Output with the activation
    # (softmax only where it may be: on the Output), l2 on one-hot targets,
    # so the non-fused path dL/da x da/dz is taken for every output activation.
    # prelu learns its slopes: on the layers, not on the Activation node (which has no parameters).
    hidden = "tanh" if act == "softmax" else act
    m = tmp_path / "m.json"
    model = make_model(m, [("in", "input", {"features": ["x1", "x2"]}),
                           ("d1", "dense", dense(4, hidden)),
                           ("act", "activation", {"activation": "tanh" if act == "prelu" else hidden}),
                           ("d2", "dense", dense(3, "tanh")),
                           ("out", "output", output(3, act, "l2"))],
                       [("in", "d1"), ("d1", "act"), ("act", "d2"), ("d2", "out")], seed=3)
    slopes = ("d1:alpha:2", "out:alpha:3") if act == "prelu" else ()
    for row in (1, 17, 600):
        for weight in ("out:2:3", "out:b:1", "d1:1:2", "d2:b:3", *slopes):
            got = explain_json(capsys, m, "--dataset", "blobs", "--row", row, "--weight", weight)
            check_against_torch(got, model, None)


@pytest.mark.parametrize("loss,act,units,dataset", [
    ("l2", "linear", 1, "plane"), ("l1", "tanh", 1, "plane"), ("huber", "linear", 1, "multi_gauss"),
    ("hinge", "linear", 1, "xor"), ("hinge", "tanh", 1, "xor"), ("bce", "sigmoid", 1, "xor"),
    ("cross_entropy", "softmax", 3, "blobs"), ("l1", "sigmoid", 3, "blobs"),
    ("huber", "softmax", 3, "blobs")])
def test_every_loss_matches_torch(capsys, tmp_path, loss, act, units, dataset):
    m = tmp_path / "m.json"
    model = make_model(m, [("in", "input", {"features": ["x1", "x2"]}),
                           ("h", "dense", dense(5, "tanh")),
                           ("out", "output", output(units, act, loss))],
                       [("in", "h"), ("h", "out")], seed=7, scale=1.5)
    for row in range(1, 41, 3):
        got = explain_json(capsys, m, "--dataset", dataset, "--row", row, "--weight",
                           f"out:{1 + row % 5}:{units}")
        check_against_torch(got, model, None)
        got = explain_json(capsys, m, "--dataset", dataset, "--row", row, "--weight", "h:2:4")
        check_against_torch(got, model, None)
    # a hidden weight: the lecture's local derivatives, summed over the paths
    names = [f["name"] for f in got["weight"]["factors"]]
    assert names == ["dL/df_j", "df_j/da_j", "da_j/dw = x_i"]


def merge_graph(act="tanh", loss="cross_entropy", out_act="softmax", units=3, rate=0.5):
    """Add, Concatenate, Dropout and Activation in one graph; d1 and the
    input each feed two nodes, so their gradients add up."""
    return ([("in", "input", {"features": ["x1", "x2"]}),
             ("d1", "dense", dense(4, act)), ("d2", "dense", dense(4, "relu")),
             ("sum", "add", {}), ("cat", "concat", {}), ("drop", "dropout", {"rate": rate}),
             ("elu", "activation", {"activation": "elu", "alpha": 0.7}),
             ("out", "output", output(units, out_act, loss))],
            [("in", "d1"), ("in", "d2"), ("d1", "sum"), ("d2", "sum"), ("sum", "cat"),
             ("d1", "cat"), ("cat", "drop"), ("drop", "elu"), ("elu", "out")])


def test_add_concatenate_dropout_and_activation_nodes_match_torch(capsys, tmp_path):
    m = tmp_path / "m.json"
    model = make_model(m, *merge_graph(), seed=11)
    for row in (1, 2, 300, 600):
        for weight in ("d1:2:4", "d2:1:1", "d2:b:2", "out:8:2", "out:b:3"):
            got = explain_json(capsys, m, "--dataset", "blobs", "--row", row, "--weight", weight)
            check_against_torch(got, model, None)
    assert got["nodes"]["cat"]["z"] is None and len(got["nodes"]["cat"]["a"]) == 8
    # Dense 1 feeds the Add and the Concatenate: its a_j gets dL/da_j, not one sum
    got = explain_json(capsys, m, "--dataset", "blobs", "--row", 3, "--weight", "d1:1:1")
    assert [f["name"] for f in got["weight"]["factors"]] == ["dL/df_j", "df_j/da_j", "da_j/dw = x_i"]
    assert got["weight"]["text"].startswith("dL/dw = dL/df_j · df_j/da_j · da_j/dw = dL/df_j · tanh'(a_j) · x_i = ")


def test_the_skip_connection_example_matches_torch(capsys, tmp_path):
    example = json.loads((EXAMPLES / "skip_connection.json").read_text())
    nodes = [(n["id"], n["type"], n["params"]) for n in example["graph"]["nodes"]]
    edges = [(e["source"], e["target"]) for e in example["graph"]["edges"]]
    m = tmp_path / "skip.json"
    model = make_model(m, nodes, edges, seed=5)
    assert {"add"} <= {t for _, t, _ in nodes}
    for row in (1, 9, 250):
        for weight in ("dense1:1:1", "dense2:3:8", "Output:b:1", "output:5:1"):
            check_against_torch(explain_json(capsys, m, "--dataset", "circle", "--row", row,
                                             "--weight", weight), model, None)


def test_standardized_inputs_match_torch(capsys, tmp_path):
    m = tmp_path / "m.json"
    nodes = [("in", "input", {"features": ["x1", "x2"], "normalize": "standardize"}),
             ("h", "dense", dense(3, "swish")), ("out", "output", output(1, "sigmoid", "bce"))]
    model = make_model(m, nodes, [("in", "h"), ("h", "out")], seed=2,
                       standardize=([0.5, -1.0], [2.0, 3.5]))
    got = explain_json(capsys, m, "--dataset", "moons", "--row", 4, "--weight", "h:2:1")
    check_against_torch(got, model, None)
    assert got["x"] != got["nodes"]["in"]["a"]  # raw inputs, then the standardized ones


def test_gradients_match_finite_differences(tmp_path):
    from nnbuilder.core.data.datasets import make_dataset
    from nnbuilder.core.teaching.explain import explain_sample, sample_of
    from nnbuilder.core.files.modelfile import load_model
    from nnbuilder.core.engine.network import Network

    m = tmp_path / "m.json"
    make_model(m, *merge_graph(act="sigmoid"), seed=4)
    doc = load_model(m)
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    x, t = sample_of(make_dataset("blobs", seed=0), net, 10)
    ex = explain_sample(net, x, t)
    eps = 1e-6
    for nid, (W, b) in net.params.items():
        for arr, grad in ((W, ex.gradient[nid][0]), (b, ex.gradient[nid][1])):
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + eps
                up = explain_sample(net, x, t).loss
                arr[idx] = old - eps
                down = explain_sample(net, x, t).loss
                arr[idx] = old
                assert (up - down) / (2 * eps) == pytest.approx(grad[idx], rel=1e-6, abs=1e-9)


def test_explaining_leaves_the_network_as_it_was(tmp_path):
    from nnbuilder.core.data.datasets import make_dataset
    from nnbuilder.core.teaching.explain import explain_sample, sample_of
    from nnbuilder.core.teaching.weightref import parse_weight
    from nnbuilder.core.files.modelfile import load_model
    from nnbuilder.core.engine.network import Network

    m = tmp_path / "m.json"
    make_model(m, *merge_graph(), seed=4)
    doc = load_model(m)
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    net.grad[...] = 7.0
    theta = net.theta.copy()
    x, t = sample_of(make_dataset("blobs", seed=0), net, 3)
    explain_sample(net, x, t, parse_weight("out:1:1", net))
    assert (net.theta == theta).all() and (net.grad == 7.0).all()


# ------------------------------------------------- the lecture's worked example
def trained_linear_regression(capsys, tmp_path):
    out = tmp_path / "lr.json"
    code, _, err = run(capsys, "train", EXAMPLES / "linear_regression.json", "--dataset", "seed_table",
                       "-o", out)
    assert code == 0, err
    return out, json.loads(out.read_text())["weights"]["output"]["W"][0][0]


def test_the_lectures_chain_rule_for_y_equals_w_x(capsys, tmp_path):
    m, w = trained_linear_regression(capsys, tmp_path)
    assert w == pytest.approx(117.8 / 117.25, abs=1e-3)  # the least-squares w the lecture finds
    table = [(10.0, 10.1), (2.0, 1.9), (3.5, 3.4), (1.0, 1.1)]
    for row, (x, y) in enumerate(table, start=1):
        got = explain_json(capsys, m, "--dataset", "seed_table", "--row", row, "--weight", "Output:1:1")
        assert got["x"] == [x] and got["target"] == [y]
        # l2 is 1/2 (w x - y)^2 (core/functions/losses.py), so dL/dw = (w x - y) x
        assert got["loss"] == pytest.approx(0.5 * (w * x - y) ** 2, rel=1e-12)
        wt = got["weight"]
        assert [f["name"] for f in wt["factors"]] == ["dL/df", "df/da", "da/dw = x_i"]
        assert [f["value"] for f in wt["factors"]] == pytest.approx([w * x - y, 1.0, x], rel=1e-12)
        assert wt["gradient"] == pytest.approx((w * x - y) * x, rel=1e-12)
        assert wt["text"].startswith("dL/dw = dL/df · df/da · da/dw = (y_hat - y) · linear'(a) · x_i = ")
        assert f"= ({w * x:.6g} - {y:.6g}) · 1 · {x:.6g} = " in wt["text"]
        assert wt["text"].endswith(f"= {(w * x - y) * x:.6g}")


def test_the_next_step_is_the_trainers_step(capsys, tmp_path):
    """step_preview's w - lr x gradient (batch and sample) against one real
    SGD step of the trainer (full batch, with L1 and L2) and against torch."""
    from nnbuilder.core.data.datasets import make_dataset
    from nnbuilder.core.teaching.explain import step_preview
    from nnbuilder.core.teaching.weightref import parse_weight
    from nnbuilder.core.files.modelfile import load_model
    from nnbuilder.core.engine.network import Network
    from nnbuilder.core.engine.config import TrainConfig
    from nnbuilder.core.engine.traindata import TrainData
    from nnbuilder.core.engine.trainer import Trainer

    m = tmp_path / "m.json"
    model = make_model(m, [("in", "input", {"features": ["x1", "x2"]}),
                           ("h", "dense", dense(3, "tanh")), ("out", "output", output(1, "sigmoid", "bce"))],
                       [("in", "h"), ("h", "out")], seed=9)
    doc = load_model(m)
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    ds = make_dataset("and")
    data = TrainData.from_dataset(ds, net, 1.0, 0)
    cfg = TrainConfig(lr=0.3, batch_size=4, l1=0.01, l2=0.05)
    ref = parse_weight("h:2:3", net)
    batch = step_preview(net, data.X_train, data.Y_train, ref, cfg.lr, cfg.l1, cfg.l2)
    sample = step_preview(net, data.X_train[:1], data.Y_train[:1], ref, cfg.lr)
    trainer = Trainer(net, data, cfg, init=False)
    trainer.run(1)
    assert net.params["h"][0][1, 2] == pytest.approx(batch.next_value, rel=1e-12)

    # torch: the mean loss over the 4 rows plus the penalties, and one sample's loss
    w0 = model["weights"]["h"]["W"][1][2]
    grads = [torch_reference(model, x, [y])["gradient"]["h"]["W"][1][2]
             for x, y in zip(ds.X.tolist(), ds.y.tolist())]
    want = np.mean(grads) + cfg.l2 * w0 + cfg.l1 * np.sign(w0)
    close(batch.gradient, want, "batch gradient")
    close(batch.next_value, w0 - cfg.lr * want, "w after the batch step")
    close(sample.next_value, w0 - cfg.lr * grads[data_row(data, ds)], "w after the sample step")


def data_row(data, ds):
    """The dataset row of the first training row (the split shuffles them)."""
    return int(np.flatnonzero((ds.X == data.X_train[0]).all(axis=1))[0])


# ------------------------------------------------------------ the CLI forms
def test_text_form_shows_nodes_gradients_and_the_chain_rule(capsys, tmp_path):
    m, w = trained_linear_regression(capsys, tmp_path)
    code, out, err = run(capsys, "explain", m, "--dataset", "seed_table", "--row", "2",
                         "--weight", "Output:1:1")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].endswith("row 2 of seed_table: x1 = 2; target [1.9]")
    assert f"(l2, n = 1, no regularization): {0.5 * (2 * w - 1.9) ** 2:.6g}" in lines[1]
    table = lines[lines.index("") + 1:]
    assert table[0].split() == ["node", "unit", "a", "f(a)", "dL/da"]
    assert table[1].split() == ["Input", "1", "-", "2", f"{(2 * w - 1.9) * w:.6g}", "(dL/df)"]
    assert table[2].split() == ["Output", "1", f"{2 * w:.6g}", f"{2 * w:.6g}", f"{2 * w - 1.9:.6g}",
                                "(dL/da)"]
    assert "Output  dW[1,:]  " + f"{(2 * w - 1.9) * 2:.6g}" in out
    assert f"chain rule of Output: W[1,1] (from x1) = {w:.6g}" in out
    assert lines[-1] == f"dL/dw = dL/df · df/da · da/dw = (y_hat - y) · linear'(a) · x_i = " \
                        f"({2 * w:.6g} - 1.9) · 1 · 2 = {(2 * w - 1.9) * 2:.6g}"
    # without --weight: no chain rule, and the columns line up
    code, out, _ = run(capsys, "explain", m, "--dataset", "seed_table", "--row", "2")
    assert "chain rule" not in out


def test_json_has_exactly_the_documented_keys(capsys, tmp_path):
    m = tmp_path / "m.json"
    make_model(m, *merge_graph(), seed=1)
    got = explain_json(capsys, m, "--dataset", "blobs", "--row", 5, "--weight", "d1:b:2")
    assert set(got) == {"row", "x", "target", "loss", "nodes", "gradient", "weight"}
    assert got["row"] == 5
    for v in got["nodes"].values():
        assert set(v) == {"name", "z", "a", "delta"}
    assert got["nodes"]["d1"]["name"] == "Dense 1" and got["nodes"]["sum"]["z"] is None
    assert set(got["gradient"]) == {"d1", "d2", "out"}
    assert all(set(g) == {"W", "b"} for g in got["gradient"].values())
    assert set(got["weight"]) == {"node", "row", "col", "value", "gradient", "factors", "text"}
    assert (got["weight"]["node"], got["weight"]["row"], got["weight"]["col"]) == ("d1", "b", 2)
    assert all(set(f) == {"name", "value"} for f in got["weight"]["factors"])
    assert "weight" not in explain_json(capsys, m, "--dataset", "blobs", "--row", 5)


def test_dataset_rows_are_the_ones_the_model_was_trained_on(capsys, tmp_path):
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    assert run(capsys, "new", "2-3-1", "-o", m)[0] == 0
    assert run(capsys, "train", m, "--dataset", "circle", "--samples", "60", "--noise", "0.2",
               "--seed", "4", "--epochs", "2", "-o", t)[0] == 0
    from nnbuilder.core.data.datasets import make_dataset

    ds = make_dataset("circle", 60, 0.2, 4)
    got = explain_json(capsys, t, "--dataset", "circle", "--row", 60)
    assert got["x"] == ds.X[59].tolist() and got["target"] == [float(ds.y[59])]
    other = explain_json(capsys, t, "--dataset", "circle", "--row", 60, "--seed", "5")
    assert other["x"] != got["x"]


def test_csv_rows_are_numbered_as_the_files_messages_number_them(capsys, tmp_path):
    """One numbering: --row N is the row nnbuilder's messages and `predict
    --outputs-only` call row N (the file's line, the header's counted)."""
    m = tmp_path / "m.json"
    model = make_model(m, [("in", "input", {"features": ["x1", "x2"]}),
                           ("out", "output", output(1, "linear", "l2"))], [("in", "out")])
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n1,2,0.5\n3,-4,1.5\n")
    got = explain_json(capsys, m, "--data", csv, "--row", 3, "--weight", "out:2:1")
    assert got["x"] == [3.0, -4.0] and got["target"] == [1.5] and got["row"] == 3
    check_against_torch(got, model, None)
    bad(capsys, m, "--data", csv, "--row", "4", needle="--row 4 is out of range: the data has rows 2 to 3")


def test_drop_bad_rows_keep_the_files_numbers(capsys, tmp_path):
    """With --drop-bad, --row names the file's row (as `train --drop-bad`'s
    message and the exported script do), not the N-th of the rows kept."""
    import csv as pycsv

    m = tmp_path / "m.json"
    model = make_model(m, [("in", "input", {"features": ["x1", "x2"]}),
                           ("out", "output", output(1, "linear", "l2"))], [("in", "out")])
    data = tmp_path / "d.csv"
    text = "a,b,y\n1,2,0.5\n,7,9\n\n3,-4,1.5\n5,x,2\n6,8,-1\n"
    data.write_text(text)
    code, out, err = run(capsys, "train", m, "--data", data, "--drop-bad", "--epochs", "1",
                         "-o", tmp_path / "t.json")
    assert code == 0 and "left out 2 rows of 5" in err, err
    # The rows by the file's lines, read with the csv module: line 5 is "3,-4,1.5", line 7 "6,8,-1".
    lines = {i + 1: r for i, r in enumerate(pycsv.reader(text.splitlines()))}
    for row in (5, 7):
        code, out, err = run(capsys, "explain", m, "--data", data, "--drop-bad", "--row", row, "--json")
        assert code == 0, err
        got = json.loads(out)
        assert got["row"] == row
        assert got["x"] == [float(v) for v in lines[row][:2]] and got["target"] == [float(lines[row][2])]
        check_against_torch(got, model, None)
    code, out, err = run(capsys, "explain", m, "--data", data, "--drop-bad", "--row", 3)
    assert code == 2 and "--row 3 is no sample" in err and "--drop-bad leaves out" in err, err


def bad(capsys, *argv, needle):
    code, out, err = run(capsys, "explain", *argv)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnbuilder: error: ") and "Traceback" not in err, err
    assert needle in lines[0], lines[0]
    assert out == ""


def test_an_untrained_model_is_explained_with_the_weights_train_starts_from(capsys, tmp_path):
    """The teacher's trial: explain refused an untrained model and wanted
    --dataset. Now it takes the initial weights (the ones the window's Train
    starts from, read here off the worker's own trainer at step 0) and the
    data the file names; every number against torch with those weights."""
    from nnbuilder.core.files.modelfile import load_model
    from nnbuilder.core.teaching.lesson_play import step_trainer

    path = EXAMPLES / "xor.json"
    model = json.loads(path.read_text())
    assert model.get("weights") is None and model["dataset"]["name"] == "xor_table"
    trainer = step_trainer(load_model(path))
    assert trainer.step == 0
    model["weights"] = {nid: {"W": W.tolist(), "b": None if b is None else b.tolist()}
                        for nid, (W, b) in trainer.network.params.items()}
    got = explain_json(capsys, path, "--row", 2, "--weight", "Dense 1:1:2")
    assert got["x"] == [0.0, 1.0] and got["target"] == [1.0]  # the lecture's XOR table, row 2
    assert got["initial_weights_seed"] == 0
    assert got["weight"]["value"] == model["weights"]["dense1"]["W"][0][1]
    check_against_torch(got, model, None)
    # --dataset names the same rows; the text says the weights are the initial ones
    assert explain_json(capsys, path, "--dataset", "xor_table", "--row", 2)["x"] == got["x"]
    code, out, err = run(capsys, "explain", path, "--row", "2")
    assert code == 0 and err == ""
    assert out.splitlines()[0].endswith("row 2 of xor_table: x1 = 0, x2 = 1; target [1]")
    assert out.splitlines()[1] == "untrained: the initial weights drawn from seed 0, those Train starts from"
    # a trained model says nothing of the kind
    m, _ = trained_linear_regression(capsys, tmp_path)
    assert "untrained:" not in run(capsys, "explain", m, "--row", "1")[1].replace(str(m), "")
    assert "initial_weights_seed" not in explain_json(capsys, m, "--row", 1)


def test_an_untrained_standardizing_model_scales_as_train_starts(capsys, tmp_path):
    """Its mean and std are the training rows' (as the first step of Train uses)."""
    from nnbuilder.core.data.datasets import make_dataset

    m = tmp_path / "m.json"
    assert run(capsys, "new", "2-3-1", "-o", m)[0] == 0
    doc = json.loads(m.read_text())
    doc["graph"]["nodes"][0]["params"]["normalize"] = "standardize"
    doc["dataset"] = {"name": "circle", "samples": 40, "noise": 0.1, "split": 1.0, "seed": 2}
    m.write_text(json.dumps(doc))
    got = explain_json(capsys, m, "--row", 3)
    X = make_dataset("circle", 40, 0.1, 2).X  # split 1.0: every row trains
    want = (X[2] - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(got["nodes"]["input"]["a"], want, rtol=1e-9)


def test_bad_input_is_one_line_naming_the_valid_range(capsys, tmp_path):
    m = tmp_path / "nodata.json"
    assert run(capsys, "new", "1-1", "-o", m)[0] == 0
    bad(capsys, m, "--row", "1", needle="the model names no data; give --dataset NAME or --data FILE.csv")
    m, _ = trained_linear_regression(capsys, tmp_path)
    data = ("--dataset", "seed_table")
    bad(capsys, m, *data, "--row", "0", needle="--row 0 is out of range: the data has rows 1 to 4")
    bad(capsys, m, *data, "--row", "5", needle="--row 5 is out of range: the data has rows 1 to 4")
    bad(capsys, m, *data, needle="--row")  # required
    bad(capsys, m, *data, "--row", "1", "--weight", "Hidden:1:1",
        needle="no node 'Hidden'; the nodes with weights are Output")
    bad(capsys, m, *data, "--row", "1", "--weight", "Input:1:1",
        needle="node 'Input' has no weights; the nodes with weights are Output")
    bad(capsys, m, *data, "--row", "1", "--weight", "Output:2:1",
        needle="row 2 is out of range: Output's W (1x1) has rows 1 to 1")
    bad(capsys, m, *data, "--row", "1", "--weight", "Output:1:0",
        needle="column 0 is out of range: Output's W (1x1) has columns 1 to 1")
    bad(capsys, m, *data, "--row", "1", "--weight", "Output:b:1", needle="node 'Output' has no bias")
    bad(capsys, m, *data, "--row", "1", "--weight", "Output:one:1", needle="row 'one' is not a whole number")
    bad(capsys, m, *data, "--row", "1", "--weight", "Output", needle="give NODE:ROW:COL")
    bad(capsys, m, "--dataset", "nope", "--row", "1", needle="unknown dataset 'nope'")
    bad(capsys, m, "--data", tmp_path / "missing.csv", "--row", "1", needle="missing.csv")
    bad(capsys, tmp_path / "none.json", *data, "--row", "1", needle="none.json")


def test_a_weight_outside_the_layer_is_refused_in_the_core_too(tmp_path):
    from nnbuilder.core.errors import NNBuilderError
    from nnbuilder.core.teaching.explain import explain_sample
    from nnbuilder.core.teaching.weightref import WeightRef
    from nnbuilder.core.files.modelfile import load_model
    from nnbuilder.core.engine.network import Network

    net = Network(load_model(EXAMPLES / "linear_regression.json").graph)
    for ref in (WeightRef("output", 1, 0), WeightRef("output", 0, 1), WeightRef("output", None, 0),
                WeightRef("input", 0, 0)):
        with pytest.raises(NNBuilderError):
            explain_sample(net, [1.0], [2.0], ref)
    assert explain_sample(net, [1.0], [2.0], WeightRef("output", 0, 0)).weight.factors[2].value == 1.0


def _evaluate(numbers: str) -> list[float]:
    """The terms of a written-out sum of products, each evaluated."""
    terms = []
    for term in numbers.split(" + "):
        product = 1.0
        for factor in term.split(" · "):
            product *= float(eval(factor, {"__builtins__": {}}, {}))  # "(0.5 - 1)", "(-0.2)", "0.7"
        terms.append(product)
    return terms


@pytest.mark.parametrize("loss,out_act", [("cross_entropy", "softmax"), ("l2", "sigmoid")])
def test_a_hidden_weights_chain_rule_is_written_out_path_by_path(capsys, tmp_path, loss, out_act):
    """The lecture's form: dL/dw as a sum over the paths to the loss of the
    product of the local derivatives dL/df · df/da · da/df · ... · da/dw,
    every number written; the written sum equals torch's gradient."""
    m = tmp_path / "m.json"
    model = make_model(m, [("in", "input", {"features": ["x1", "x2"]}),
                           ("d1", "dense", dense(2, "tanh")), ("d2", "dense", dense(2, "tanh")),
                           ("out", "output", output(3, out_act, loss))],
                       [("in", "d1"), ("d1", "d2"), ("d2", "out")], seed=5, scale=1.5)
    got = explain_json(capsys, m, "--dataset", "blobs", "--row", 4, "--weight", "d1:2:1")
    check_against_torch(got, model, None)
    text = got["weight"]["text"]
    head, sym, numbers, result = text.split(" = ")[1:5]
    local = ("dL/da_o" if out_act == "softmax" else "dL/df_o · df_o/da_o")
    assert head == f"sum over (k, o) of {local} · da_o/df_k · df_k/da_k · da_k/df_j · df_j/da_j · da_j/dw"
    assert sym.startswith("sum over (k, o) of (y_hat - y) · ") and sym.endswith(
        "w_ko · tanh'(a_k) · w_jk · tanh'(a_j) · x_i")
    terms = numbers.split(" + ")
    assert len(terms) == 6  # 2 units of d2 x 3 outputs
    per_path = 6 if out_act == "softmax" else 7
    assert all(len(t.split(" · ")) == per_path for t in terms)
    assert " x " not in text  # x is the input, never the times sign
    # the weights on each path are the model's: w_jk from d2's W (row j = 1), w_ko from out's
    W2, W3 = model["weights"]["d2"]["W"], model["weights"]["out"]["W"]
    for t, (k, o) in zip(terms, [(k, o) for k in range(2) for o in range(3)]):
        f = t.split(" · ")
        w_ko, w_jk = (f[1], f[3]) if out_act == "softmax" else (f[2], f[4])
        assert float(w_ko.strip("()")) == pytest.approx(W3[k][o], rel=1e-5)
        assert float(w_jk.strip("()")) == pytest.approx(W2[0][k], rel=1e-5)
    want = torch_reference(model, got["x"], got["target"])["gradient"]["d1"]["W"][1][0]
    assert sum(_evaluate(numbers)) == pytest.approx(want, rel=1e-4, abs=1e-6)
    assert float(result) == pytest.approx(want, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("weight", ["out:3:1", "out:b:1", "h:2:3"])
def test_sigmoid_and_bce_show_the_lectures_three_factors(capsys, tmp_path, weight):
    """The engine fuses sigmoid with bce (dL/da = f - y); the lecture writes
    dL/dw = dL/df · df/da · da/dw. The window and explain show those three
    (for a hidden weight, dL/df_o · df_o/da_o on each path) with their
    numbers, computed here in plain NumPy, and say that they combine to f - y."""
    m = tmp_path / "m.json"
    model = make_model(m, [("in", "input", {"features": ["x1", "x2"]}),
                           ("h", "dense", dense(3, "tanh")), ("out", "output", output(1, "sigmoid", "bce"))],
                       [("in", "h"), ("h", "out")], seed=2)
    got = explain_json(capsys, m, "--dataset", "xor", "--row", 7, "--weight", weight)
    check_against_torch(got, model, None)
    x, y = np.array(got["x"]), got["target"][0]
    W1, b1 = np.array(model["weights"]["h"]["W"]), np.array(model["weights"]["h"]["b"])
    W2, b2 = np.array(model["weights"]["out"]["W"]), np.array(model["weights"]["out"]["b"])
    h = np.tanh(x @ W1 + b1)
    f = 1 / (1 + np.exp(-(h @ W2 + b2)[0]))
    dl_df, df_da = (f - y) / (f * (1 - f)), f * (1 - f)  # bce's and sigmoid's own derivatives
    w = got["weight"]
    text, names = w["text"], [fa["name"] for fa in w["factors"]]
    if weight.startswith("out"):
        assert names == ["dL/df", "df/da", "da/db" if ":b:" in weight else "da/dw = f_i"]  # f_i: from h
        values = [fa["value"] for fa in w["factors"]]
        np.testing.assert_allclose(values, [dl_df, df_da, 1.0 if ":b:" in weight else h[2]], rtol=1e-9)
        assert text.startswith("dL/d" + ("b" if ":b:" in weight else "w") + " = dL/df · df/da · da/d")
        assert f"(y_hat - y) / (y_hat (1 - y_hat)) · sigmoid'(a) · " in text
        assert w["note"].startswith(f"dL/df · df/da = (y_hat - y) = ({f:.6g} - {y:.6g}) = {f - y:.6g}")
        code, out, _ = run(capsys, "explain", m, "--dataset", "xor", "--row", "7", "--weight", weight)
        assert out.splitlines()[-2:] == [text, f"({w['note']})"]
    else:  # a hidden weight: each path starts with the lecture's two factors of the Output
        head = text.split(" = ")[1]
        assert head == "sum over (o) of dL/df_o · df_o/da_o · da_o/df_j · df_j/da_j · da_j/dw" or \
            head == "dL/df_o · df_o/da_o · da_o/df_j · df_j/da_j · da_j/dw"
        numbers = text.split(" = ")[3]
        assert numbers.startswith(f"({f:.6g} - {y:.6g}) / ({f:.6g} · (1 - {f:.6g})) · {df_da:.6g} · ")
        product = eval(numbers.replace(" · ", "*"), {"__builtins__": {}}, {})
        assert product == pytest.approx(w["gradient"], rel=1e-4)
        assert w["note"].startswith(f"dL/df_o · df_o/da_o = (y_hat - y) = ({f:.6g} - {y:.6g}) = {f - y:.6g}")


def test_another_table_of_the_same_columns_reads_as_the_models_did(capsys, tmp_path):
    """The engineer's trial: a model trained with --target label (the first
    column) and --drop-bad, explained on another file of the same columns
    without repeating them: explain took the last column as the target and
    refused the empty cell. Now the model's target column and --drop-bad are
    the defaults (as predict's), and the row is the file's."""
    import csv as pycsv

    m = tmp_path / "m.json"
    model = make_model(m, [("in", "input", {"features": ["x1", "x2"]}),
                           ("out", "output", output(1, "linear", "l2"))], [("in", "out")])
    train = tmp_path / "train.csv"
    train.write_text("label,a,b\n0.5,1,2\n9,,7\n1.5,3,-4\n-1,6,8\n")
    code, out, err = run(capsys, "train", m, "--data", train, "--target", "label", "--drop-bad",
                         "--epochs", "1", "-o", tmp_path / "t.json")
    assert code == 0, err
    other = tmp_path / "other.csv"
    text = "label,a,b\n2.5,4,1\n7,5,\n-3,2,2\n"
    other.write_text(text)
    lines = {i + 1: r for i, r in enumerate(pycsv.reader(text.splitlines()))}
    code, out, err = run(capsys, "explain", tmp_path / "t.json", "--data", other, "--row", 4, "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["row"] == 4 and got["x"] == [2.0, 2.0] and got["target"] == [float(lines[4][0])]
    trained = json.loads((tmp_path / "t.json").read_text())
    check_against_torch(got, trained, None)
