"""The learnable activation parameter (issue 18 point 4): prelu's slopes,
one per unit, trained like the weights.

The engine is checked against PyTorch (float64) written here: nn.Linear and
nn.PReLU(num_parameters=units, init=0.25) layers, the loss from torch's
functions, torch.autograd and torch.optim, step by step.
"""
import json

import numpy as np
import pytest
import torch

from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.network import Network
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer
from nnbuilder.core.model.graph import Graph

# (optimizer settings in nnbuilder's TrainConfig, the same in torch.optim)
OPTIMIZERS = {
    "sgd": (dict(optimizer="sgd", lr=0.3), lambda ps, c: torch.optim.SGD(ps, lr=c.lr)),
    "sgd_momentum": (dict(optimizer="sgd", lr=0.1, momentum=0.9),
                     lambda ps, c: torch.optim.SGD(ps, lr=c.lr, momentum=c.momentum)),
    "sgd_nesterov": (dict(optimizer="sgd", lr=0.1, momentum=0.8, nesterov=True),
                     lambda ps, c: torch.optim.SGD(ps, lr=c.lr, momentum=c.momentum, nesterov=True)),
    "rmsprop": (dict(optimizer="rmsprop", lr=0.01, rho=0.9, eps=1e-8),
                lambda ps, c: torch.optim.RMSprop(ps, lr=c.lr, alpha=c.rho, eps=c.eps)),
    "adam": (dict(optimizer="adam", lr=0.02, beta1=0.9, beta2=0.999, eps=1e-8),
             lambda ps, c: torch.optim.Adam(ps, lr=c.lr, betas=(c.beta1, c.beta2), eps=c.eps)),
}

# (graph, dataset): prelu in a hidden layer, and on a regression Output too
NETWORKS = {
    "hidden": (lambda: Graph.chain([2, 4, 3, 1], activation="prelu", output_activation="sigmoid",
                                   loss="bce"), "circle"),
    "output": (lambda: Graph.chain([2, 3, 1], activation="prelu", output_activation="prelu",
                                   loss="l2"), "plane"),
}

T = lambda v: torch.tensor(np.asarray(v), dtype=torch.float64)  # noqa: E731


def torch_model(net: Network):
    """nn.Linear (+ nn.PReLU) per weighted layer of a chain, loaded from the
    network's weights; the torch activation for the others."""
    weights = net.get_weights()
    layers = []
    for nid in net.layout:
        w = weights[nid]
        fan_in, units = w["W"].shape
        lin = torch.nn.Linear(fan_in, units, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(T(w["W"]).T)
            lin.bias.copy_(T(w["b"]))
        act_name = net.nodes[nid].params["activation"]
        if act_name == "prelu":
            act = torch.nn.PReLU(num_parameters=units, init=0.25, dtype=torch.float64)
            with torch.no_grad():
                act.weight.copy_(T(w["alpha"]))
        else:
            act = {"sigmoid": torch.nn.Identity()}[act_name]  # bce takes the logits
        layers += [lin, act]
    return torch.nn.Sequential(*layers)


def torch_loss(net: Network, out, Y):
    if net.loss.name == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(out, Y)
    return 0.5 * ((out - Y) ** 2).sum(dim=1).mean()  # nnbuilder's l2: 1/2, mean over rows


def engine_params(net: Network):
    """[W (units, fan_in), b, alpha] per layer, as torch lays them out."""
    out = []
    for nid, (W, b) in net.params.items():
        out += [W.T, b] + ([net.slopes[nid]] if nid in net.slopes else [])
    return out


@pytest.mark.parametrize("network", list(NETWORKS))
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.001, 0.01)])
def test_prelu_training_matches_torch_autograd_and_optim(network, opt, l1, l2):
    make_graph, dataset = NETWORKS[network]
    net = Network(make_graph())
    data = TrainData.from_dataset(make_dataset(dataset, samples=40, seed=3), net, 1.0)
    settings, make_opt = OPTIMIZERS[opt]
    cfg = TrainConfig(**settings, batch_size=len(data.X_train), l1=l1, l2=l2)
    t = Trainer(net, data, cfg, seed=7)
    assert all((a == 0.25).all() for a in net.slopes.values())  # torch's init
    model = torch_model(net)
    # Regularization: weights only, never biases nor slopes (nnbuilder's rule).
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    others = [p for p in model.parameters() if not any(p is w for w in weights)]
    optim = make_opt([{"params": weights, "weight_decay": l2},
                      {"params": others, "weight_decay": 0.0}], cfg)
    X, Y = T(data.X_train), T(data.Y_train)
    for step in range(1, 9):
        if opt == "adam":
            # nnbuilder's Adam adds eps to sqrt(v) before the bias correction
            # (Kingma & Ba's eps-hat): torch's eps / sqrt(1 - beta2^t) is the same step.
            for group in optim.param_groups:
                group["eps"] = cfg.eps / np.sqrt(1.0 - cfg.beta2 ** step)
        optim.zero_grad()
        loss = torch_loss(net, model(X), Y)
        if l1:
            loss = loss + l1 * sum(w.abs().sum() for w in weights)
        loss.backward()
        optim.step()
        t.run(1)
        for mine, theirs in zip(engine_params(net), model.parameters()):
            np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=0, atol=1e-9)
    # the slopes really moved, by the optimizer, away from 0.25
    assert all(np.abs(a - 0.25).max() > 1e-4 for a in net.slopes.values())


def test_prelu_forward_and_gradients_match_torch_with_many_samples():
    net = Network(Graph.chain([2, 5, 1], activation="prelu", output_activation="sigmoid", loss="bce"))
    rng = np.random.default_rng(0)
    net.init_params(rng)
    net.slopes[net.order[1]][:] = rng.normal(0, 0.5, 5)
    X, Y = rng.normal(size=(30, 2)), rng.integers(0, 2, (30, 1)).astype(float)
    loss = net.loss_and_grad(X, Y)
    model = torch_model(net)
    ref = torch_loss(net, model(T(X)), T(Y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), abs=1e-12)
    hidden = net.order[1]
    np.testing.assert_allclose(net.slope_grads[hidden], model[1].weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(net.grads[hidden][0].T, model[0].weight.grad.numpy(), atol=1e-12)


def test_the_slopes_are_counted_in_the_parameter_arithmetic():
    g = Graph.chain([2, 4, 1], activation="prelu")
    dense = g.topological_order()[0][1]
    assert g.param_count(dense) == (16, "2×4 + 4 + 4 = 16")
    assert g.param_arithmetic() == "(2×4 + 4 + 4) + (4×1 + 1) = 21"
    net = Network(g)
    assert net.n_params == 21 and net.n_weights == 12  # 8 + 4 weights; biases and slopes after
    g.set_params(dense, bias=False)
    assert g.param_count(dense) == (12, "2×4 + 4 = 12")


def test_an_activation_node_refuses_prelu():
    g = Graph.chain([2, 3, 1])
    dense = g.topological_order()[0][1]
    act = g.add_node("activation", {"activation": "prelu"}).id
    out = g.outputs_of(dense)[0]
    g.disconnect(dense, out)
    g.connect(dense, act)
    g.connect(act, out)
    problems = [p for p in g.errors() if p.node_id == act]
    assert problems and "Dense or Output layer" in problems[0].message


# ------------------------------------------------------------ files
def trained_prelu_doc(hidden_units=3):
    """A prelu network with slopes other than 0.25 (one negative), with its data."""
    from nnbuilder.core.files.modelfile import ModelDocument
    g = Graph.chain([2, hidden_units, 2], activation="prelu", output_activation="softmax",
                    loss="cross_entropy")
    net = Network(g)
    rng = np.random.default_rng(2)
    net.init_params(rng)
    for alpha in net.slopes.values():
        alpha[:] = rng.normal(0, 0.6, alpha.shape)
    return ModelDocument(g, net.get_weights(), TrainConfig(optimizer="adam"), {"name": "circle"}), net


def reference_outputs(net: Network, X):
    """The network's outputs in plain NumPy: x W + b, max(0, a) + alpha min(0, a), softmax."""
    h = X
    for nid, (W, b) in net.params.items():
        a = h @ W + b
        if nid in net.slopes:
            h = np.maximum(a, 0) + net.slopes[nid] * np.minimum(a, 0)
        else:
            e = np.exp(a - a.max(axis=1, keepdims=True))
            h = e / e.sum(axis=1, keepdims=True)
    return h


def test_the_model_file_stores_the_slopes_and_reads_them_back(tmp_path):
    from nnbuilder.core.files.modelfile import load_model, model_from_dict, save_model
    from nnbuilder.core.errors import ModelFileError
    doc, net = trained_prelu_doc()
    path = tmp_path / "prelu.json"
    save_model(path, doc)
    data = json.loads(path.read_text())
    hidden = net.order[1]
    assert data["weights"][hidden]["alpha"] == net.slopes[hidden].tolist()
    assert "alpha" not in data["weights"]["output"]  # softmax learns no slope
    back = load_model(path)
    np.testing.assert_array_equal(back.weights[hidden]["alpha"], net.slopes[hidden])
    X = np.random.default_rng(0).normal(size=(20, 2))
    again = Network(back.graph)
    again.set_weights(back.weights)
    np.testing.assert_allclose(again.predict(X), reference_outputs(net, X), atol=1e-12)
    # refused with the JSON path: slopes missing, of the wrong length, on a layer without prelu
    for change, where in [(lambda d: d["weights"][hidden].pop("alpha"), f"$.weights.{hidden}"),
                          (lambda d: d["weights"][hidden].update(alpha=[0.1]), f"$.weights.{hidden}.alpha"),
                          (lambda d: d["weights"]["output"].update(alpha=[0.1, 0.2]), "$.weights.output.alpha")]:
        bad = json.loads(path.read_text())
        change(bad)
        with pytest.raises(ModelFileError) as e:
            model_from_dict(bad)
        assert e.value.path == where


def test_an_older_file_without_prelu_still_loads():
    from nnbuilder.core.files.modelfile import load_model
    from nnbuilder.core.resources import resource
    doc = load_model(resource("examples", "xor.json"))
    net = Network(doc.graph)
    net.set_weights(doc.weights) if doc.weights else None
    assert net.slopes == {} and net.n_params == doc.graph.total_params()


def test_onnx_export_is_a_prelu_with_the_slopes_and_imports_back(tmp_path):
    import onnx
    import onnxruntime as ort
    from nnbuilder.core.files.exports import write_export
    from nnbuilder.core.files.import_onnx import load_onnx
    doc, net = trained_prelu_doc()
    path = tmp_path / "prelu.onnx"
    write_export(doc, "onnx", path)
    model = onnx.load(str(path))
    prelus = [n for n in model.graph.node if n.op_type == "PRelu"]
    assert len(prelus) == 1
    slope = next(i for i in model.graph.initializer if i.name == prelus[0].input[1])
    hidden = net.order[1]
    np.testing.assert_allclose(onnx.numpy_helper.to_array(slope), net.slopes[hidden], rtol=1e-7)
    X = np.random.default_rng(1).normal(0, 2, (50, 2))
    y = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"x": X.astype(np.float32)})[0]
    np.testing.assert_allclose(y, reference_outputs(net, X), atol=1e-5)
    back = load_onnx(str(path))
    dense = back.graph.nodes_of_type("dense")[0]
    assert dense.params["activation"] == "prelu"
    np.testing.assert_allclose(back.weights[dense.id]["alpha"], net.slopes[hidden], rtol=1e-7)
    again = Network(back.graph)
    again.set_weights(back.weights)
    np.testing.assert_allclose(again.predict(X), reference_outputs(net, X), atol=1e-5)


def test_onnx_import_reads_torchs_own_prelu_export(tmp_path):
    from nnbuilder.core.files.import_onnx import load_onnx
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.PReLU(num_parameters=4),
                                torch.nn.Linear(4, 1))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([0.1, -0.3, 0.25, 0.7]))
    path = tmp_path / "torch.onnx"
    torch.onnx.export(model, torch.zeros(1, 2), str(path), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, dynamo=False)
    doc = load_onnx(str(path))
    dense = doc.graph.nodes_of_type("dense")[0]
    assert dense.params["activation"] == "prelu"
    np.testing.assert_allclose(doc.weights[dense.id]["alpha"], [0.1, -0.3, 0.25, 0.7], rtol=1e-7)
    X = np.random.default_rng(3).normal(0, 2, (40, 2))
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    with torch.no_grad():
        want = model(torch.tensor(X, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(net.predict(X), want, atol=1e-5)


def test_a_prelu_after_something_other_than_a_layer_is_refused():
    from onnx import helper, TensorProto
    from nnbuilder.core.files.import_onnx import OnnxImportError, from_onnx
    W = helper.make_tensor("W", TensorProto.FLOAT, [2, 2], [1, 0, 0, 1])
    s = helper.make_tensor("s", TensorProto.FLOAT, [2], [0.1, 0.2])
    nodes = [helper.make_node("Gemm", ["x", "W"], ["z"]), helper.make_node("Relu", ["z"], ["r"]),
             helper.make_node("PRelu", ["r", "s"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [W, s])
    with pytest.raises(OnnxImportError, match="PRelu"):
        from_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))


def test_the_torch_script_has_nn_prelu_with_the_trained_slopes(tmp_path):
    import importlib.util
    from nnbuilder.core.files.exports import write_export
    doc, net = trained_prelu_doc()
    path = tmp_path / "prelu_net.py"
    write_export(doc, "torch", path)
    text = path.read_text()
    assert "torch.nn.PReLU(num_parameters=3" in text
    spec = importlib.util.spec_from_file_location("exported_prelu_net", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.Net().eval()
    hidden = net.order[1]
    np.testing.assert_array_equal(model.prelu[hidden].weight.detach().numpy(), net.slopes[hidden])
    assert model.weights()[hidden]["alpha"] == net.slopes[hidden].tolist()
    X = np.random.default_rng(4).normal(0, 2, (30, 2))
    with torch.no_grad():
        got = model(torch.tensor(X)).numpy()
    np.testing.assert_allclose(got, reference_outputs(net, X), atol=1e-12)


def test_the_loss_surface_uses_the_trained_slopes():
    """A snapshot's (W, b) with its slopes: the surface's loss is the trainer's, not
    the loss of the initial slopes."""
    from nnbuilder.core.teaching.surface import LossSurface
    net = Network(Graph.chain([2, 4, 1], activation="prelu", output_activation="sigmoid", loss="bce"))
    data = TrainData.from_dataset(make_dataset("circle", samples=60, seed=1), net, 1.0)
    t = Trainer(net, data, TrainConfig(optimizer="adam", lr=0.05, batch_size=60), seed=2)
    t.run(30)
    snap_weights, slopes = net.unflatten(net.theta.copy()), net.unflatten_slopes(net.theta.copy())
    assert np.abs(slopes["dense1"] - 0.25).max() > 0.01
    s = LossSurface(net.detached(), data)
    s.set_weights(snap_weights, slopes)
    assert s.loss() == pytest.approx(net.evaluate(data.X_train, data.Y_train)[0], rel=1e-12)
    s.set_weights(net.get_weights())  # a document's entries carry "alpha"
    assert s.loss() == pytest.approx(net.evaluate(data.X_train, data.Y_train)[0], rel=1e-12)
    s.set_weights(snap_weights)  # without them: the initial slopes, never garbage
    np.testing.assert_array_equal(s.net.slopes["dense1"], 0.25)


@pytest.mark.parametrize("slope", [[0.1, -0.4, 0.3], [0.2]], ids=["per-unit", "shared"])
def test_onnx_import_reads_a_prelu_after_matmul_and_add(slope):
    from onnx import TensorProto, helper
    from nnbuilder.core.files.import_onnx import from_onnx
    rng = np.random.default_rng(5)
    W1, b1, W2 = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(3, 1))
    T_ = lambda name, a: helper.make_tensor(name, TensorProto.FLOAT, np.shape(a),  # noqa: E731
                                            np.asarray(a, dtype=np.float32).ravel())
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["m"]), helper.make_node("Add", ["m", "b1"], ["z"]),
             helper.make_node("PRelu", ["z", "s"], ["h"]), helper.make_node("MatMul", ["h", "W2"], ["y"])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
                          [T_("W1", W1), T_("b1", b1), T_("s", slope), T_("W2", W2)])
    doc = from_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    dense = doc.graph.nodes_of_type("dense")[0]
    assert dense.params["activation"] == "prelu"
    want = np.broadcast_to(np.float32(slope), (3,))
    np.testing.assert_array_equal(doc.weights[dense.id]["alpha"], want)
    X = rng.normal(size=(10, 2))
    z = X @ W1.astype(np.float32) + b1.astype(np.float32)
    expected = np.where(z > 0, z, want * z) @ W2.astype(np.float32)
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-6, atol=1e-6)


def test_switching_the_activation_after_training_still_saves_a_file_that_loads(tmp_path):
    """Weights trained with tanh, then prelu chosen (no slopes yet), and back:
    the file has alpha exactly where the graph has prelu."""
    from nnbuilder.core.files.modelfile import ModelDocument, load_model, save_model
    g = Graph.chain([2, 3, 1])
    net = Network(g)
    net.init_params(np.random.default_rng(0))
    doc = ModelDocument(g, net.get_weights())
    g.set_params("dense1", activation="prelu", alpha=0.1)
    save_model(tmp_path / "a.json", doc)
    back = load_model(tmp_path / "a.json")
    np.testing.assert_array_equal(back.weights["dense1"]["alpha"], [0.1, 0.1, 0.1])
    np.testing.assert_array_equal(back.weights["dense1"]["W"], net.params["dense1"][0])
    back.graph.set_params("dense1", activation="tanh")
    save_model(tmp_path / "b.json", back)
    assert "alpha" not in load_model(tmp_path / "b.json").weights["dense1"]


@pytest.mark.parametrize("settings", [dict(optimizer="sgd", lr=0.05, momentum=0.8, nesterov=True, l2=0.05),
                                      dict(optimizer="rmsprop", lr=0.01, rho=0.8, l1=0.01)],
                         ids=["sgd-l2", "rmsprop-l1"])
def test_the_torch_scripts_training_takes_nnbuilders_steps_with_slopes(tmp_path, capsys, settings):
    """The exported script trains nn.PReLU's slopes as nnbuilder does, and
    regularizes the weights only (a decayed slope would differ at once)."""
    from test_export import four_epochs_both_ways
    g = Graph.chain([2, 5, 1], activation="prelu", output_activation="sigmoid", loss="bce")
    doc, a, b = four_epochs_both_ways(tmp_path, capsys, g, settings)
    assert set(b["dense1"]) == {"W", "b", "alpha"}
    for nid in a:
        for key in a[nid]:
            np.testing.assert_allclose(b[nid][key], a[nid][key], rtol=0, atol=1e-12, err_msg=f"{nid}.{key}")
    assert np.abs(a["dense1"]["alpha"] - doc.weights["dense1"]["alpha"]).max() > 1e-4  # they trained
