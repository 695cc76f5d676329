"""SGD as it happens (issue 18, point 5), headless: the rows a step draws are
known before it is taken, the step follows the mean of those rows'
gradients, and a step by hand is w <- w - lr dL/dw on the rows given.

The gradients are PyTorch autograd's on the same weights (an independent
implementation), compared to 1e-12."""

import numpy as np
import pytest
import torch

from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.network import Network
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.run.live import LiveTrainer, RunSpec
from nnbuilder.core.run.snapshot import build_snapshot
from nnbuilder.core.teaching.explain import sample_gradients
from nnbuilder.core.teaching.weightref import WeightRef
from conftest import wait_until


def trainer(optimizer="sgd", batch=4, lr=0.5, **cfg):
    g = Graph.chain([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    net = Network(g)
    data = TrainData.from_dataset(make_dataset("xor", 40, 0.1, 0), net, 0.5, 0)
    return Trainer(net, data, TrainConfig(lr=lr, batch_size=batch, optimizer=optimizer, **cfg), seed=3)


def torch_gradient(net, X, Y) -> dict:
    """d(mean bce)/d(W, b) per layer, by torch autograd on the network's weights."""
    T = lambda a: torch.tensor(np.asarray(a), dtype=torch.float64)  # noqa: E731
    p = {nid: (T(W).requires_grad_(), T(b).requires_grad_()) for nid, (W, b) in net.params.items()}
    h = torch.tanh(T(X) @ p["dense1"][0] + p["dense1"][1])
    z = h @ p["output"][0] + p["output"][1]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, T(Y), reduction="mean")
    loss.backward()
    return {nid: (W.grad.numpy(), b.grad.numpy()) for nid, (W, b) in p.items()}


def test_the_next_batch_is_what_the_step_draws_and_its_gradient_the_mean_of_its_rows():
    t = trainer()
    for _ in range(5):  # through an epoch's end (the order is drawn again there)
        idx = t.next_batch()
        X, Y = t.data.X_train[idx], t.data.Y_train[idx]
        want = torch_gradient(t.network, X, Y)
        before = {nid: (W.copy(), b.copy()) for nid, (W, b) in t.network.params.items()}
        ref = WeightRef("dense1", 1, 2)
        each = sample_gradients(t.network, X, Y, ref)
        assert len(each) == len(idx)
        t.run(1)
        assert np.array_equal(t.last_batch, idx)
        for nid, (W, b) in t.network.params.items():
            np.testing.assert_allclose((before[nid][0] - W) / 0.5, want[nid][0], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose((before[nid][1] - b) / 0.5, want[nid][1], rtol=1e-12, atol=1e-14)
        assert np.mean(each) == pytest.approx(want["dense1"][0][1, 2], rel=1e-12, abs=1e-15)


def test_a_step_by_hand_is_plain_gradient_descent_on_its_rows_whatever_the_optimizer():
    t = trainer(optimizer="adam", lr=0.1)
    t.run(3)  # adam has state by now; the step by hand ignores it
    upcoming, step = t.next_batch(), t.step
    X, Y = t.data.X_train[[7]], t.data.Y_train[[7]]
    want = torch_gradient(t.network, X, Y)
    W0 = t.network.params["output"][0].copy()
    t.step_on([7])
    np.testing.assert_allclose(t.network.params["output"][0], W0 - 0.1 * want["output"][0], rtol=1e-12)
    assert t.step == step + 1 and np.array_equal(t.last_batch, [7])
    assert np.array_equal(t.next_batch(), upcoming)  # the epoch's order is untouched


def test_a_paused_snapshot_names_the_rows_of_the_last_and_the_next_step():
    t = trainer()
    status = dict(serial=1, generation=0, elapsed=0.0, steps_per_sec=0.0, rows=[], events=[],
                  error=None, applied=0, moment=None)
    s = build_snapshot(t, running=False, **status)
    assert s.last_rows is None
    assert np.array_equal(s.next_rows, t.data.rows_train[t.next_batch()])
    t.run(1)
    s = build_snapshot(t, running=False, **status)
    assert np.array_equal(s.last_rows, t.data.rows_train[t.last_batch])
    assert build_snapshot(t, running=True, **status).next_rows is None  # nothing to show while it runs
    full = trainer(batch=1000)
    assert build_snapshot(full, running=False, **status).next_rows is None  # every row: no choice to show


def wait(host, until, timeout=10.0):
    """The host's newest snapshot once ``until(snapshot)`` holds."""
    def newest():
        snap = host.peek()
        return snap if snap is not None and until(snap) else None
    return wait_until(newest, "a snapshot meeting the condition", timeout=timeout)


def test_the_worker_steps_on_training_rows_and_says_no_to_a_test_row():
    t = trainer()
    rows_train, rows_test = t.data.rows_train, t.data.rows_test
    g = Graph.chain([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    host = LiveTrainer(RunSpec(graph=g.to_dict(), data=t.data, config=t.config, seed=3))
    try:
        first = wait(host, lambda s: True)
        host.step_on([int(rows_test[0])])
        said = []
        snap = wait(host, lambda s: said.extend(s.events) or s.applied >= 1)
        assert snap.step == first.step and any(f"Row {int(rows_test[0]) + 1} is a test row" in e
                                               for e in said + snap.events)
        host.step_on([int(rows_train[2])])
        snap = wait(host, lambda s: s.step == first.step + 1)
        assert list(snap.last_rows) == [int(rows_train[2])]
    finally:
        host.close()
