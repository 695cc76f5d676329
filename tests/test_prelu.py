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
    assert g.param_count(dense) == (16, "2x4 + 4 + 4 = 16")
    assert g.param_arithmetic() == "(2x4 + 4 + 4) + (4x1 + 1) = 21"
    net = Network(g)
    assert net.n_params == 21 and net.n_weights == 12  # 8 + 4 weights; biases and slopes after
    g.set_params(dense, bias=False)
    assert g.param_count(dense) == (12, "2x4 + 4 = 12")


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
