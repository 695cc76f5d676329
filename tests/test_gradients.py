"""Central-difference checks of every derivative the engine uses."""
import numpy as np
import pytest

from nnbuilder.core.functions.activations import ACTIVATIONS, DEFAULT_ALPHA
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.functions.losses import LOSSES
from nnbuilder.core.engine.network import Network

H = 1e-6


def numeric_grad(f, x):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + H
        fp = f()
        x[i] = old - H
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * H)
    return g


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "step"])
@pytest.mark.parametrize("alpha", [None, 0.3])
def test_activation_backward_matches_finite_differences(name, alpha, rng):
    act = ACTIVATIONS[name]
    alpha = DEFAULT_ALPHA.get(name, 0.0) if alpha is None else alpha
    z = rng.normal(0, 2, (5, 4))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the kinks of relu-like functions
    upstream = rng.normal(size=z.shape)
    f = lambda: float((upstream * act.forward(z, alpha, np.empty_like(z))).sum())  # noqa: E731
    a = act.forward(z, alpha, np.empty_like(z))
    analytic = act.backward(z, a, upstream, alpha, np.empty_like(z))
    np.testing.assert_allclose(analytic, numeric_grad(f, z), rtol=1e-5, atol=1e-7)


def test_step_activation_and_its_zero_gradient(rng):
    act = ACTIVATIONS["step"]
    z = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(act.forward(z, 0, np.empty_like(z)), [[0.0, 0.0, 1.0]])
    assert not act.backward(z, None, np.ones_like(z), 0, np.empty_like(z)).any()


def test_leaky_relu_is_the_lecture_formula():
    z = np.array([[-2.0, -0.5, 0.0, 3.0]])
    out = ACTIVATIONS["leaky_relu"].forward(z, 0.02, np.empty_like(z))
    np.testing.assert_allclose(out, [[-0.04, -0.01, 0.0, 3.0]])


def _valid_targets(name, rng, shape):
    if name == "cross_entropy":
        y = np.zeros(shape)
        y[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = 1
        return y
    if name in ("bce", "hinge"):
        return rng.integers(0, 2, shape).astype(float)
    return rng.normal(size=shape)


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_gradient_matches_finite_differences(name, rng):
    loss = LOSSES[name]
    shape = (6, 3) if name == "cross_entropy" else (6, 1) if name in ("bce", "hinge") else (6, 2)
    y = _valid_targets(name, rng, shape)
    z = rng.normal(0, 1.5, shape)
    act_name = loss.fused or ("tanh" if name == "hinge" else "linear")
    act = ACTIVATIONS[act_name]
    if name == "hinge":  # keep t*a away from the kink at 1
        t = 2 * y - 1
        z[np.abs(t * np.tanh(z) - 1) < 1e-3] += 0.1
    if name in ("l1", "huber"):
        z[np.abs(z - y) < 1e-3] += 0.1
        z[np.abs(np.abs(z - y) - 1) < 1e-3] += 0.1

    def value():
        a = act.forward(z, 0, np.empty_like(z))
        return loss.value(z if loss.fused else None, a, y)

    a = act.forward(z, 0, np.empty_like(z))
    if loss.fused:
        analytic = loss.grad_logits(z, a, y, np.empty_like(z))
        np.testing.assert_allclose(analytic, numeric_grad(value, z), rtol=1e-5, atol=1e-8)
        # The unfused path (loss from probabilities, gradient wrt them) agrees too.
        da = loss.grad(None, a, y, np.empty_like(a))
        via_act = act.backward(z, a, da, 0, np.empty_like(z))
        np.testing.assert_allclose(via_act, analytic, rtol=1e-6, atol=1e-9)
        assert loss.value(None, a, y) == pytest.approx(loss.value(z, a, y), rel=1e-9)
    else:
        analytic = act.backward(z, a, loss.grad(None, a, y, np.empty_like(a)), 0, np.empty_like(z))
        np.testing.assert_allclose(analytic, numeric_grad(value, z), rtol=1e-5, atol=1e-8)


def test_l2_uses_the_half_convention():
    a, y = np.array([[3.0]]), np.array([[1.0]])
    assert LOSSES["l2"].value(None, a, y) == 2.0  # 1/2 (3 - 1)^2


def test_bce_from_logits_is_finite_where_probabilities_saturate():
    z = np.array([[800.0], [-800.0]])
    a = ACTIVATIONS["sigmoid"].forward(z, 0, np.empty_like(z))
    v = LOSSES["bce"].value(z, a, np.array([[0.0], [1.0]]))
    assert v == pytest.approx(800.0)


def check_network_gradient(net: Network, X, Y):
    def loss():
        net.rng = np.random.default_rng(5)  # the same dropout masks on every call
        return net.loss_and_grad(X, Y)

    loss()
    analytic = net.grad.copy()
    numeric = numeric_grad(loss, net.theta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-7)


def test_whole_dag_with_add_concat_dropout_and_fan_out(dag_graph, rng):
    net = Network(dag_graph)
    net.init_params(rng)
    net.rng = np.random.default_rng(5)
    X = rng.normal(size=(7, 3))
    Y = np.eye(2)[rng.integers(0, 2, 7)]
    net.loss_and_grad(X, Y)
    out = net.plan(7).out  # every node's output of that training forward pass
    kept = out["drop"] != 0
    assert (out["cat"] != 0).all()
    assert kept.any() and not kept.all()  # dropout really dropped units ...
    np.testing.assert_allclose(out["drop"][kept], out["cat"][kept] / (1 - 0.3))  # ... and rescaled the rest
    check_network_gradient(net, X, Y)


def test_activation_node_whose_input_feeds_two_branches(rng):
    g = Graph()
    g.add_node("input", {"features": ["x1", "x2"]}, node_id="in")
    g.add_node("dense", {"units": 3, "activation": "linear"}, node_id="d")
    g.add_node("activation", {"activation": "sine"}, node_id="s")
    g.add_node("activation", {"activation": "softplus"}, node_id="p")
    g.add_node("add", node_id="sum")
    g.add_node("output", {"units": 1, "activation": "linear", "loss": "huber"}, node_id="out")
    for s, t in [("in", "d"), ("d", "s"), ("d", "p"), ("s", "sum"), ("p", "sum"), ("sum", "out")]:
        g.connect(s, t)
    net = Network(g)
    net.init_params(rng)
    check_network_gradient(net, rng.normal(size=(5, 2)), rng.normal(size=(5, 1)))


@pytest.mark.parametrize("hidden", [n for n in ACTIVATIONS if n not in ("step", "softmax")])
@pytest.mark.parametrize("out_act,loss,k", [("sigmoid", "bce", 1), ("softmax", "cross_entropy", 3),
                                            ("linear", "l2", 2), ("tanh", "hinge", 1),
                                            ("softmax", "l2", 3), ("linear", "l1", 1)])
def test_chain_network_gradient(hidden, out_act, loss, k, rng):
    g = Graph.chain([2, 5, 4, k], activation=hidden, output_activation=out_act, loss=loss)
    net = Network(g)
    net.init_params(rng)
    X = rng.normal(size=(6, 2))
    if loss in ("bce", "hinge"):
        Y = rng.integers(0, 2, (6, 1)).astype(float)
    elif loss == "cross_entropy":
        Y = np.eye(k)[rng.integers(0, k, 6)]
    else:
        Y = rng.normal(size=(6, k))
    check_network_gradient(net, X, Y)


def test_network_without_bias_has_no_bias_parameters(rng):
    net = Network(Graph.chain([1, 1], output_activation="linear", loss="l2", bias=False))
    assert net.n_params == 1 and net.params["output"][1] is None
    net.theta[:] = 2.0
    check_network_gradient(net, np.array([[10.0], [2.0]]), np.array([[10.1], [1.9]]))
