"""Training: determinism, chunks, snapshots, stop rules, divergence, known results."""
import numpy as np
import pytest

from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.errors import DataError, NNBuilderError
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.files.modelfile import load_model
from nnbuilder.core.engine.network import Network
from nnbuilder.core.engine.optimizers import make_optimizer
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def make_trainer(widths=(2, 6, 1), dataset="circle", seed=3, split=0.5, **cfg):
    net = Network(Graph.chain(list(widths)))
    data = TrainData.from_dataset(make_dataset(dataset, seed=1), net, split, seed=1)
    return Trainer(net, data, TrainConfig(**cfg), seed=seed)


def test_same_seed_gives_the_identical_loss_curve():
    a, b = make_trainer(), make_trainer()
    a.run(3000)
    b.run(3000)
    np.testing.assert_array_equal(a.history.train_loss, b.history.train_loss)
    np.testing.assert_array_equal(a.network.theta, b.network.theta)
    c = make_trainer(seed=4)
    c.run(3000)
    assert not np.array_equal(c.history.train_loss, a.history.train_loss)


def test_chunking_does_not_change_the_result():
    a, b = make_trainer(), make_trainer()
    a.run(1000)
    for _ in range(10):
        b.run(100)
    np.testing.assert_array_equal(a.network.theta, b.network.theta)


def test_training_does_not_touch_global_numpy_random_state():
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    make_trainer().run(500)
    assert np.random.random() == expected


def test_snapshots_are_copies_the_trainer_never_writes_again():
    t = make_trainer()
    t.run(50)
    snap = t.snapshot()
    theta, w = snap.theta.copy(), snap.weights["dense1"][0].copy()
    hist = {k: v.copy() for k, v in snap.history.items()}
    t.run(500)
    np.testing.assert_array_equal(snap.theta, theta)
    np.testing.assert_array_equal(snap.weights["dense1"][0], w)
    for k in hist:
        np.testing.assert_array_equal(snap.history[k], hist[k])
    assert not np.array_equal(t.network.theta, theta)
    later = t.snapshot(since=len(hist["epoch"]))
    assert later.history["epoch"][0] == hist["epoch"][-1] + 1


def test_learning_rate_change_between_chunks_applies_without_reset():
    t = make_trainer(lr=0.03)
    t.run(100)
    before = t.network.theta.copy()
    t.update_config(lr=0.0001)
    assert t.config.lr == 0.0001
    t.run(10)
    small = np.abs(t.network.theta - before).max()
    t.update_config(lr=1.0)
    mid = t.network.theta.copy()
    t.run(10)
    assert np.abs(t.network.theta - mid).max() > 100 * small > 0


def test_max_epochs_and_loss_target_stop_rules():
    t = make_trainer(max_epochs=3)
    assert t.run(10**6) == "max_epochs" and t.epoch == 3
    assert len(t.history) == 4  # epoch 0 (before training) + 3
    assert t.run(10) == "max_epochs" and t.epoch == 3  # stays stopped
    t.update_config(max_epochs=5)
    assert t.run(10**6) == "max_epochs" and t.epoch == 5
    t = make_trainer(loss_target=0.3, lr=0.3)
    assert t.run(10**6) == "loss_target"
    assert t.history.train_loss[-1] <= 0.3 < t.history.train_loss[-2]


def example_trainer(name, **overrides):
    """A trainer for a shipped example with its own data and settings (and weights, if it has them)."""
    from nnbuilder.core.data.datasets import dataset_from_spec

    doc = load_model(EXAMPLES / f"{name}.json")
    net = Network(doc.graph)
    data = TrainData.from_dataset(dataset_from_spec(doc.dataset), net, doc.dataset.get("split", 0.5),
                                  doc.seed)
    cfg = (doc.training or TrainConfig()).to_dict()
    cfg["max_epochs"] = min(cfg["max_epochs"] or 300, 300)
    init = doc.weights is None
    if not init:
        net.set_weights(doc.weights)
    return Trainer(net, data, TrainConfig(**{**cfg, **overrides}), seed=doc.seed, init=init)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_healthy_example_runs_never_count_as_diverged(name):
    """Each shipped example with its own settings: the loss never comes near
    EXPLODE_FACTOR times the reference (it stays below 1x), so no divergence."""
    from nnbuilder.core.engine.trainer import EXPLODE_FACTOR

    t = example_trainer(name)
    assert t.run(10**7) in ("max_epochs", "converged") and t.divergence is None  # perceptron_and converges
    assert t.history.train_loss.max() <= t.reference_loss < EXPLODE_FACTOR * t.reference_loss


@pytest.mark.parametrize("lr", [0.001, 0.005, 0.02, 0.05, 0.065])
def test_seed_table_gradient_descent_with_a_sane_rate_never_diverges(lr):
    """The lecture's y = w x by full-batch gradient descent: stable for
    lr < 2 / mean(x^2) (about 0.068), and then never flagged."""
    t = example_trainer("linear_regression", lr=lr, max_epochs=3000)
    assert t.run(10**7) == "max_epochs" and t.divergence is None
    assert t.network.theta[0] == pytest.approx(117.8 / 117.25, rel=1e-6)


def test_seed_table_just_past_the_stable_rate_explodes_long_before_nan():
    t = example_trainer("linear_regression", lr=0.08, max_epochs=3000)
    assert t.run(10**7) == "diverged"
    d = t.divergence
    assert d["reason"] == "exploded" and d["lr"] == 0.08 and d["step"] < 50
    assert d["loss"] > 10 * d["reference"]


def test_exploding_loss_on_circle_at_lr_100_diverges_and_restores():
    """lr = 100 on circle saturates every unit: a finite loss of 30-80 that
    NaN checks never catch. Three epochs above 10x the reference stop it."""
    from nnbuilder.core.engine.trainer import EXPLODE_EPOCHS, EXPLODE_FACTOR

    t = example_trainer("circle", lr=100.0, max_epochs=100)
    start = t.network.theta.copy()
    assert t.run(10**6) == "diverged" and t.stop_reason == "diverged"
    d = t.divergence
    assert d["reason"] == "exploded" and d["lr"] == 100.0
    assert d["step"] == t.step == EXPLODE_EPOCHS * t.steps_per_epoch and d["epoch"] == t.epoch
    assert d["loss"] > EXPLODE_FACTOR * d["reference"] and d["reference"] == pytest.approx(np.log(2), rel=0.05)
    # Every epoch exploded, so the weights go back to the start (step 0), and
    # the last history row describes those weights, not the exploded ones.
    assert d["restored_step"] == 0
    np.testing.assert_array_equal(t.network.theta, start)
    assert t.history.last["train_loss"] == pytest.approx(t.evaluate()["train_loss"], rel=1e-12)
    assert t.history.train_loss[1] > EXPLODE_FACTOR * d["reference"]  # the climb is on the curve
    # The window sees it through the snapshots.
    assert t.snapshot().divergence == d and t.snapshot().stop_reason == "diverged"
    # A sane rate carries on from the restored weights.
    t.update_config(lr=0.03)
    assert t.run(10**6) == "max_epochs" and t.divergence is None


def test_an_exploded_loss_at_the_last_epoch_is_not_a_result():
    t = example_trainer("circle", lr=100.0, max_epochs=1)
    assert t.run(10**6) == "diverged" and t.divergence["reason"] == "exploded" and t.epoch == 1


def test_a_resumed_run_near_zero_loss_is_not_flagged_for_small_wobbles():
    """The reference is never below an untrained (all-zero) network's loss:
    a trained start (xor at 0.0006, the hand-set perceptron at 0) is no
    yardstick for 'exploded'."""
    t = example_trainer("xor", max_epochs=1000)
    t.run(10**6)
    assert t.history.last["train_loss"] < 0.01
    resumed = Trainer(t.network, t.data, TrainConfig(**{**t.config.to_dict(), "max_epochs": 500}),
                      seed=1, init=False)
    assert resumed.run(10**6) == "max_epochs" and resumed.divergence is None
    p = example_trainer("perceptron_and", optimizer="sgd", lr=0.1, batch_size=1, max_epochs=50)
    assert p.history.train_loss[0] == 0.0
    assert p.run(10**6) == "max_epochs" and p.divergence is None


def test_a_new_learning_rate_restarts_the_count():
    from nnbuilder.core.engine.trainer import EXPLODE_EPOCHS

    t = example_trainer("circle", lr=100.0, max_epochs=100)
    assert t.run_epochs(EXPLODE_EPOCHS - 1) is None  # exploded twice: not yet sustained
    t.update_config(lr=99.0)
    assert t.run_epochs(EXPLODE_EPOCHS - 1) is None
    assert t.run_epochs(1) == "diverged" and t.divergence["lr"] == 99.0
    assert t.divergence["restored_step"] == 0


def test_non_finite_loss_is_reported_as_such():
    net = Network(Graph.chain([2, 1], output_activation="linear", loss="l2"))
    t = Trainer(net, TrainData.from_dataset(make_dataset("plane"), net, 0.5), TrainConfig(lr=0.01), seed=0)
    t.set_weight("output", 0, 0, 1e300)  # typed in by a user: the loss overflows
    kept = net.theta.copy()
    assert t.run(10**6) == "diverged"
    assert t.divergence["reason"] == "non-finite" and t.divergence["loss"] is None
    np.testing.assert_array_equal(net.theta, kept)


def test_divergence_stops_restores_last_finite_weights_and_reports():
    net = Network(Graph.chain([1, 1], output_activation="linear", loss="l2", bias=False))
    data = TrainData.from_dataset(make_dataset("seed_table"), net, 1.0)
    t = Trainer(net, data, TrainConfig(lr=0.5, batch_size=4), seed=0)
    assert t.run(10**5) == "diverged"
    assert t.divergence["lr"] == 0.5 and t.divergence["step"] > 0
    assert np.isfinite(net.theta).all()
    good_epoch = t.epoch
    assert t.history.step[-1] <= t.divergence["step"]
    np.testing.assert_array_equal(net.theta, t.snapshot().theta)
    # A smaller learning rate carries on from the restored weights.
    t.update_config(lr=0.005, max_epochs=good_epoch + 5000)
    assert t.run(10**6) == "max_epochs"
    assert net.theta[0] == pytest.approx(117.8 / 117.25, rel=1e-9)


def test_seed_table_regression_converges_to_least_squares_slope():
    doc = load_model(EXAMPLES / "linear_regression.json")
    net = Network(doc.graph)
    data = TrainData.from_dataset(make_dataset("seed_table"), net, 1.0)
    t = Trainer(net, data, doc.training, seed=doc.seed)
    t.run(10**6)
    assert net.n_params == 1
    # The oracle: NumPy's least squares on the same table (y = w x, no bias).
    table = make_dataset("seed_table")
    slope = np.linalg.lstsq(table.X, table.y, rcond=None)[0].item()
    assert slope == pytest.approx(117.8 / 117.25, rel=1e-12)  # the lecture's sum(x y) / sum(x x)
    assert net.theta[0] == pytest.approx(slope, abs=1e-9)


def test_xor_example_learns_xor_to_100_percent():
    doc = load_model(EXAMPLES / "xor.json")
    net = Network(doc.graph)
    assert net.n_params == 9
    data = TrainData.from_dataset(make_dataset("xor_table"), net, 1.0)
    t = Trainer(net, data, doc.training, seed=doc.seed)
    t.run(10**6)
    assert t.history.train_metric[-1] == 1.0
    out = net.predict(data.X_train)[:, 0]
    np.testing.assert_array_equal(out > 0.5, [False, True, True, False])


def test_perceptron_example_computes_and_with_hand_set_weights():
    doc = load_model(EXAMPLES / "perceptron_and.json")
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    np.testing.assert_array_equal(net.params["output"][0][:, 0], [1.0, 1.0])
    X = make_dataset("and").X
    np.testing.assert_array_equal(net.predict(X)[:, 0], [0.0, 0.0, 0.0, 1.0])


def test_dag_with_skip_connection_trains():
    g = Graph()
    g.add_node("input", {"features": ["x1", "x2"]}, node_id="in")
    g.add_node("dense", {"units": 8, "activation": "relu"}, node_id="a")
    g.add_node("dense", {"units": 8, "activation": "relu"}, node_id="b")
    g.add_node("add", node_id="skip")
    g.add_node("output", {"units": 1}, node_id="out")
    for s, t in [("in", "a"), ("a", "b"), ("a", "skip"), ("b", "skip"), ("skip", "out")]:
        g.connect(s, t)
    net = Network(g)
    data = TrainData.from_dataset(make_dataset("moons", seed=2), net, 0.5, seed=2)
    t = Trainer(net, data, TrainConfig(optimizer="adam", lr=0.01, batch_size=16, max_epochs=150), seed=0)
    t.run(10**6)
    assert t.history.test_metric[-1] >= 0.95


def test_multiclass_blobs_with_softmax():
    net = Network(Graph.chain([2, 8, 3], activation="relu", output_activation="softmax",
                              loss="cross_entropy"))
    data = TrainData.from_dataset(make_dataset("blobs", seed=0), net, 0.5)
    t = Trainer(net, data, TrainConfig(optimizer="adam", lr=0.01, batch_size=20, max_epochs=60), seed=0)
    t.run(10**6)
    assert t.history.test_metric[-1] >= 0.95


def test_regression_on_sine_reports_r2():
    net = Network(Graph.chain([1, 16, 16, 1], activation="tanh", output_activation="linear", loss="l2"))
    data = TrainData.from_dataset(make_dataset("sine", samples=200, noise=0.05), net, 0.5)
    t = Trainer(net, data, TrainConfig(optimizer="adam", lr=0.01, batch_size=10, max_epochs=300), seed=0)
    t.run(10**6)
    assert t.metric_name == "r2" and t.history.test_metric[-1] > 0.95


def test_l2_regularization_shrinks_weights_not_biases():
    plain, reg = make_trainer(lr=0.1), make_trainer(lr=0.1, l2=0.05)
    plain.run(3000)
    reg.run(3000)
    nw = plain.network.n_weights
    assert np.linalg.norm(reg.network.theta[:nw]) < 0.8 * np.linalg.norm(plain.network.theta[:nw])
    l1 = make_trainer(lr=0.1, l1=0.01)
    l1.run(3000)
    assert np.linalg.norm(l1.network.theta[:nw], 1) < np.linalg.norm(plain.network.theta[:nw], 1)


def test_sgd_step_matches_the_lecture_worked_example():
    # y = w x, L = 1/2 (y - w x)^2: dL/dw = -(y - w x) x; w <- w - lr dL/dw.
    net = Network(Graph.chain([1, 1], output_activation="linear", loss="l2", bias=False))
    net.theta[0] = 0.5
    net.loss_and_grad(np.array([[10.0]]), np.array([[10.1]]))
    assert net.grad[0] == pytest.approx(-(10.1 - 5.0) * 10.0)
    opt = make_optimizer("sgd", 1)
    opt.step(net.theta, net.grad, TrainConfig(lr=0.01))
    assert net.theta[0] == pytest.approx(0.5 + 0.01 * 51.0)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam"])
def test_every_optimizer_minimises_a_quadratic(name):
    theta = np.array([3.0, -2.0])
    cfg = TrainConfig(optimizer=name, lr=0.05, momentum=0.5 if name == "sgd" else 0.0)
    opt = make_optimizer(name, 2)
    for _ in range(2000):
        opt.step(theta, 2 * theta, cfg)
    # RMSProp's steps stay about lr long near the minimum, so it hovers there.
    assert np.abs(theta).max() < (cfg.lr if name == "rmsprop" else 1e-2)


def test_adam_first_step_is_lr_times_sign():
    theta, cfg = np.array([1.0, 1.0]), TrainConfig(optimizer="adam", lr=0.1)
    make_optimizer("adam", 2).step(theta, np.array([0.3, -7.0]), cfg)
    np.testing.assert_allclose(theta, [0.9, 1.1], rtol=1e-6)


def test_nesterov_differs_from_classic_momentum():
    a, b = np.array([1.0]), np.array([1.0])
    oa, ob = make_optimizer("sgd", 1), make_optimizer("sgd", 1)
    for _ in range(3):
        oa.step(a, 2 * a, TrainConfig(lr=0.1, momentum=0.9))
        ob.step(b, 2 * b, TrainConfig(lr=0.1, momentum=0.9, nesterov=True))
    assert a[0] != b[0]


def test_zeros_initializer_shows_the_symmetry_problem():
    net = Network(Graph.chain([2, 4, 1], initializer="zeros"))
    net.params["output"][0][:] = 0.1  # break symmetry only at the output
    data = TrainData.from_dataset(make_dataset("circle"), net, 1.0)
    t = Trainer(net, data, TrainConfig(lr=0.1), init=False)
    t.run(500)
    W = net.params["dense1"][0]
    np.testing.assert_allclose(W, W[:, :1].repeat(4, axis=1))  # all hidden units identical


def test_optimizer_change_keeps_weights_and_config_errors_name_the_field():
    t = make_trainer()
    t.run(100)
    before = t.network.theta.copy()
    t.update_config(optimizer="adam")
    np.testing.assert_array_equal(t.network.theta, before)
    with pytest.raises(NNBuilderError, match="'lr'") as refused:
        t.update_config(lr=-1)
    assert refused.value.field == "lr"
    assert t.config.lr == 0.03  # unchanged after a refused change


def test_output_units_must_match_the_classes():
    net = Network(Graph.chain([2, 3, 1]))
    with pytest.raises(DataError, match="3 classes but the Output node has 1 unit"):
        TrainData.from_dataset(make_dataset("blobs"), net)


def test_float32_network_trains_in_float32():
    net = Network(Graph.chain([2, 8, 1]), dtype=np.float32)
    data = TrainData.from_dataset(make_dataset("gauss", seed=0), net, 0.5)
    t = Trainer(net, data, TrainConfig(lr=0.1, max_epochs=20), seed=0)
    t.run(10**6)
    assert net.theta.dtype == np.float32 and t.optimizer.tmp.dtype == np.float32
    assert t.history.test_metric[-1] > 0.95


def test_metrics_accuracy_zero_one_and_r2():
    from nnbuilder.core.functions.losses import accuracy, r2_score, zero_one_loss

    a = np.array([[0.9], [0.2], [0.6], [0.4]])
    labels = np.array([1, 0, 0, 0])
    assert accuracy(a, labels) == 0.75 and zero_one_loss(a, labels) == 0.25
    assert accuracy(np.array([[0.1], [-0.1]]), np.array([1, 0]), threshold=0.0) == 1.0  # hinge
    assert accuracy(np.array([[0.1, 0.7, 0.2]]), np.array([1])) == 1.0  # argmax for several
    y = np.array([[1.0], [2.0], [3.0]])
    assert r2_score(y, y) == 1.0 and r2_score(np.full_like(y, 2.0), y) == 0.0


def test_history_stays_bounded_and_keeps_the_latest_row():
    from nnbuilder.core.engine.trainer import History

    h = History(capacity=100)
    seen = []
    h.listeners.append(seen.append)
    for e in range(1_000):
        h.append(epoch=e, step=10 * e, train_loss=1.0 / (e + 1), test_loss=0.0, train_metric=0.0,
                 test_metric=0.0)
    assert len(h) <= 100 and h.stride == 16
    epochs = h.epoch
    assert epochs[0] == 0 and np.all(np.diff(epochs) == 16) and epochs[-1] >= 1000 - 16
    assert h.last["epoch"] == 999 and len(seen) == 1000
    assert h.train_loss[0] == 1.0 and h.step[1] == 160


def test_long_runs_keep_memory_bounded():
    import tracemalloc

    net = Network(Graph.chain([1, 1], output_activation="linear", loss="l2", bias=False))
    data = TrainData.from_dataset(make_dataset("seed_table"), net, 1.0)
    t = Trainer(net, data, TrainConfig(lr=0.001, batch_size=4), seed=0)
    t.run(5_000)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t.run(20_000)  # one step per epoch: 25k rows, past the history's capacity of 20k
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert t.epoch == 25_000 and len(t.history) <= t.history.capacity and t.history.stride == 2
    assert grown < 2_000_000


def test_iris_example_reaches_90_percent_test_accuracy():
    doc = load_model(EXAMPLES / "iris.json")
    net = Network(doc.graph)
    ds = make_dataset("iris")
    assert ds.X.shape == (150, 4) and ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.column_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    data = TrainData.from_dataset(ds, net, doc.dataset["split"], doc.dataset["seed"])
    t = Trainer(net, data, doc.training, seed=doc.seed)
    t.run(10**6)
    assert t.history.last["test_metric"] >= 0.9


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    from nnbuilder.core.functions.losses import confusion_matrix

    a = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    cm = confusion_matrix(a, np.array([0, 1, 2, 2]), 3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 0], [1, 0, 1]])
    cm = confusion_matrix(np.array([[0.2], [0.8], [0.6]]), np.array([0, 1, 0]), 2)
    np.testing.assert_array_equal(cm, [[1, 1], [0, 1]])


def test_non_strict_weights_keep_no_input_statistics_of_another_width():
    """Data of another width under a standardizing Input (a CSV of 1 column,
    then one of 10): the kept weights' statistics do not fit and are left
    out, as a changed layer's W is; strict loading still refuses them."""
    from nnbuilder.core.errors import GraphError
    from nnbuilder.core.engine.network import Network
    from nnbuilder.core.model.graph import Graph

    one = Graph.chain([1, 3, 1])
    one.set_params("input", normalize="standardize")
    ten = Graph.chain([10, 3, 1])
    ten.set_params("input", normalize="standardize")
    old = Network(one)
    old.set_input_stats(np.array([2.0]), np.array([3.0]))
    kept = old.get_weights()
    net = Network(ten)
    before_mean = net.input_mean.copy()
    loaded = net.set_weights(kept, strict=False)
    assert set(loaded) == {n for n in net.params if n != "dense1"}  # the first layer's W changed shape
    np.testing.assert_array_equal(net.input_mean, before_mean)  # the 1-entry statistics left out
    with pytest.raises(GraphError, match="must have 10 entries"):
        Network(ten).set_weights({**net.get_weights(), "input": kept["input"]}, strict=True)
