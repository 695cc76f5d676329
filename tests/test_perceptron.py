"""The perceptron rule (issue 12, point 1): its update by hand, convergence on
AND and OR, none on XOR, the refusal of networks it cannot train, the CLI.

The oracle is the rule itself written out in plain Python below (no NumPy
arrays, no nnbuilder engine): w <- w + lr (y - y_hat) x, b <- b + lr (y - y_hat),
y_hat = 1 if w.x + b > 0 else 0.
"""
import json

import numpy as np
import pytest

from nnbuilder.cli import main
from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.engine.network import Network
from nnbuilder.core.engine.optimizers import OPTIMIZERS, Perceptron
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer

TABLES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor_table": [0, 1, 1, 0]}
ROWS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]


def perceptron(dataset="and", seed=0, weights=None, **cfg):
    """A trainer of the 2-1 step network on a truth table, all four rows for training."""
    net = Network(Graph.chain([2, 1], output_activation="step", loss="l2"))
    data = TrainData.from_dataset(make_dataset(dataset), net, 1.0)
    if weights is not None:
        net.set_weights({"output": {"W": np.array(weights[0])[:, None], "b": np.array([weights[1]])}})
    return Trainer(net, data, TrainConfig(optimizer="perceptron", **cfg), seed=seed, init=weights is None)


def by_hand(w, b, lr, samples):
    """The rule in plain Python: (w, b) after each (x, y) of ``samples``."""
    out = []
    for (x1, x2), y in samples:
        y_hat = 1 if w[0] * x1 + w[1] * x2 + b > 0 else 0
        e = y - y_hat
        w = [w[0] + lr * (e * x1), w[1] + lr * (e * x2)]
        b = b + lr * e
        out.append((w, b))
    return out


def weights_of(t):
    W, b = t.network.params["output"]
    return [float(W[0, 0]), float(W[1, 0])], float(b[0])


def test_the_rule_on_a_worked_example():
    """AND from w = [0, 0], b = 0 with lr 0.5, rows in table order (worked
    out on paper): only (1,1) is wrong in the first pass, then the
    over-correction on (0,0) and (0,1)."""
    net = Network(Graph.chain([2, 1], output_activation="step", loss="l2"))
    net.theta[...] = 0.0
    opt = OPTIMIZERS["perceptron"](net.n_params)
    plan = net.plan(1)
    cfg = TrainConfig(optimizer="perceptron", lr=0.5)
    expected = [  # (w1, w2, b) after each sample
        (0.0, 0.0, 0.0),  # (0,0) y=0: z = 0 -> y_hat 0, right
        (0.0, 0.0, 0.0),  # (0,1) y=0: right
        (0.0, 0.0, 0.0),  # (1,0) y=0: right
        (0.5, 0.5, 0.5),  # (1,1) y=1: z = 0 -> y_hat 0, e = +1: w += 0.5 x, b += 0.5
        (0.5, 0.5, 0.0),  # (0,0) y=0: z = 0.5 -> y_hat 1, e = -1: b -= 0.5
        (0.5, 0.0, -0.5),  # (0,1) y=0: z = 0.5 -> 1, e = -1: w2 -= 0.5, b -= 0.5
        (0.5, 0.0, -0.5),  # (1,0) y=0: z = 0 -> 0, right
        (1.0, 0.5, 0.0),  # (1,1) y=1: z = 0 -> 0, e = +1
    ]
    W, b = net.params["output"]
    for i, (x, y) in enumerate(list(zip(ROWS, TABLES["and"])) * 2):
        plan.x[...] = [x]
        plan.y[...] = [[y]]
        opt.learn(plan, net, cfg)
        assert (W[0, 0], W[1, 0], b[0]) == expected[i], f"after sample {i + 1}"
    assert opt.mistakes == 4 and opt.seen == 8
    # The plain-Python rule agrees with the paper.
    hand = by_hand([0.0, 0.0], 0.0, 0.5, list(zip(ROWS, TABLES["and"])) * 2)
    assert [(w[0], w[1], bb) for w, bb in hand] == expected


def test_the_trainer_applies_the_rule_sample_by_sample_in_its_shuffled_order():
    """One step is one sample; with the weights given (no initialisation
    draws) each epoch's order is the next permutation of the seeded generator."""
    start = ([0.3, -0.2], 0.1)
    t = perceptron("or", seed=7, weights=start, lr=0.25, max_epochs=4)
    assert t.steps_per_epoch == 4
    rng = np.random.default_rng(7)
    samples = []
    for _ in range(4):
        samples += [(ROWS[i], TABLES["or"][i]) for i in rng.permutation(4)]
    hand = by_hand(list(start[0]), start[1], 0.25, samples)
    reasons = []
    for k, (w, b) in enumerate(hand):
        reasons.append(t.run(1))
        got_w, got_b = weights_of(t)
        assert got_w == pytest.approx(w, abs=1e-15) and got_b == pytest.approx(b, abs=1e-15), f"step {k + 1}"
    assert reasons == [None] * 15 + ["max_epochs"]  # the last epoch had a mistake: not converged
    assert len({(tuple(w), b) for w, b in hand}) >= 4  # the weights moved several times


@pytest.mark.parametrize("dataset", ["and", "or"])
@pytest.mark.parametrize("seed", range(6))
def test_it_converges_on_and_and_or(dataset, seed):
    t = perceptron(dataset, seed=seed, lr=0.1, max_epochs=500)
    assert t.run(10**6) == "converged"
    X = make_dataset(dataset).X
    np.testing.assert_array_equal(t.network.predict(X)[:, 0], TABLES[dataset])
    assert t.history.train_metric[-1] == 1.0
    # It stopped after the first epoch without a mistake: the one before had one.
    assert t.epoch == 1 or t.history.train_metric[-3] < 1.0 or t.history.train_metric[-2] < 1.0
    frozen = t.network.theta.copy()
    assert t.run(10**6) == "converged"  # Train again: one more clean epoch, nothing moves
    np.testing.assert_array_equal(t.network.theta, frozen)


@pytest.mark.parametrize("seed", range(6))
def test_it_never_converges_on_xor(seed):
    t = perceptron("xor_table", seed=seed, lr=0.1, max_epochs=300)
    assert t.run(10**6) == "max_epochs" and t.epoch == 300
    assert (t.history.train_metric < 1.0).all()  # never all four right
    assert "cannot separate XOR" in t.optimizer.stop_notes["max_epochs"]


def test_networks_it_cannot_train_are_refused_with_the_reason():
    data_net = Network(Graph.chain([2, 1], output_activation="step", loss="l2"))
    data = TrainData.from_dataset(make_dataset("and"), data_net, 1.0)
    hidden = Network(Graph.chain([2, 3, 3, 1], output_activation="step", loss="l2"))
    with pytest.raises(NNBuilderError, match="no hidden layers; this network has Dense 1, Dense 2$"):
        Trainer(hidden, data, TrainConfig(optimizer="perceptron"))
    sigmoid = Network(Graph.chain([2, 1], output_activation="sigmoid", loss="bce"))
    with pytest.raises(NNBuilderError, match="its Output has sigmoid activation"):
        Trainer(sigmoid, data, TrainConfig(optimizer="perceptron"))
    reg_net = Network(Graph.chain([2, 1], output_activation="step", loss="l2"))
    plane = TrainData.from_dataset(make_dataset("plane"), reg_net, 0.5)
    assert "regression" in Perceptron.refusal(reg_net, plane)
    # Switching a running gradient trainer to it is refused too, and changes nothing.
    t = Trainer(hidden, data, TrainConfig(optimizer="sgd"))
    with pytest.raises(NNBuilderError, match="Dense 1") as err:
        t.update_config(optimizer="perceptron", lr=0.5)
    assert err.value.field == "optimizer"
    assert t.config.optimizer == "sgd" and t.config.lr == 0.03 and not t.optimizer.from_errors
    # Gradient optimizers train anything.
    assert all(OPTIMIZERS[n].refusal(hidden, data) is None for n in ("sgd", "rmsprop", "adam"))


def test_switching_to_it_midway_waits_for_a_whole_epoch_before_converging():
    t = perceptron("and", seed=1, weights=([1.0, 1.0], -1.5), lr=0.1, max_epochs=50)
    t.update_config(optimizer="sgd")
    t.run(1)  # sgd: a step output has zero gradient, nothing moves
    t.update_config(optimizer="perceptron")  # joins with 3 of 4 samples left in the epoch
    assert t.run(3) is None  # a partial epoch, right as it was, is not a whole clean epoch
    assert t.run(4) == "converged"


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_trains_with_the_rule_and_says_why_xor_fails(capsys, tmp_path):
    model = tmp_path / "p.json"
    assert run_cli(capsys, "new", "2-1", "--output-activation", "step", "--loss", "l2", "-o", model)[0] == 0
    code, out, _ = run_cli(capsys, "train", model, "--dataset", "and", "--optimizer", "perceptron",
                           "--lr", "0.1", "--epochs", "500", "-o", tmp_path / "and.json", "--json")
    result = json.loads(out)
    assert code == 0 and result["stop_reason"] == "converged" and result["train_accuracy"] == 1.0
    assert result["steps"] == 4 * result["epochs"]  # one sample per step
    saved = json.loads((tmp_path / "and.json").read_text())
    assert saved["training"]["optimizer"] == "perceptron"
    W, b = np.array(saved["weights"]["output"]["W"]), np.array(saved["weights"]["output"]["b"])
    z = np.array(ROWS) @ W + b
    np.testing.assert_array_equal((z[:, 0] > 0).astype(int), TABLES["and"])

    code, out, err = run_cli(capsys, "train", model, "--dataset", "xor_table", "--optimizer", "perceptron",
                             "--lr", "0.1", "--epochs", "60", "-o", tmp_path / "xor.json")
    assert code == 0
    assert "nnbuilder: stopped after 60 epochs (max_epochs), still making mistakes: a single step unit" in err
    assert "cannot separate XOR" in err and "hidden layer" in err

    code, _, err = run_cli(capsys, "train", model, "--dataset", "and", "--optimizer", "perceptron",
                           "-o", tmp_path / "o.json")
    assert code == 0 and "converged" in err

    deep = tmp_path / "deep.json"
    run_cli(capsys, "new", "2-2-1", "-o", deep)
    code, _, err = run_cli(capsys, "train", deep, "--dataset", "xor_table", "--optimizer", "perceptron",
                           "-o", tmp_path / "never.json")
    assert code == 2 and not (tmp_path / "never.json").exists()
    assert err.strip() == ("nnbuilder: error: the perceptron rule trains one Output node with step "
                           "activation and no hidden layers; this network has Dense 1 and its "
                           "Output has sigmoid activation")
