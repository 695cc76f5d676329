"""The training timeline (core): moments kept evenly over any run length
within a stated memory bound, and rewinding to one reproduces the original
run from there bit for bit (weights, optimizer state, random state)."""
import dataclasses

import numpy as np
import pytest

from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.engine.network import Network
from nnbuilder.core.run.timeline import MAX_BYTES, MAX_MOMENTS, Moment, Timeline
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.trainer import Trainer

OPTIMIZERS = {
    "sgd": dict(optimizer="sgd"),
    "sgd+momentum": dict(optimizer="sgd", momentum=0.9),
    "nesterov": dict(optimizer="sgd", momentum=0.9, nesterov=True),
    "rmsprop": dict(optimizer="rmsprop", lr=0.01),
    "adam": dict(optimizer="adam", lr=0.01),
}


def dropout_trainer(dag_graph, seed=5, **cfg) -> Trainer:
    """The DAG fixture (dense, add, concat, dropout: the generator shuffles
    *and* drops out) on circle data with x1*x2; 300 training rows, batch 7:
    an epoch ends mid-chunk, the last batch is short."""
    ds = make_dataset("circle", samples=400, seed=2)
    net = Network(dag_graph)
    data = TrainData.from_dataset(ds, net, 0.75)
    config = TrainConfig(**{"lr": 0.05, "batch_size": 7, "l2": 1e-3, **cfg})
    t = Trainer(net, data, config, seed=seed)
    return t


def array_bytes(value) -> int:
    """Bytes of every array reachable in ``value`` (fields, dicts, lists), counted here."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if dataclasses.is_dataclass(value):
        return sum(array_bytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return sum(array_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(array_bytes(v) for v in value)
    return 0


def state_of(t: Trainer) -> dict:
    """Everything that decides how a trainer goes on, copied."""
    return {"theta": t.network.theta.copy(), "opt": t.optimizer.state(),
            "rng": t.rng.bit_generator.state, "perm": t._perm.copy(), "pos": t._pos,
            "step": t.step, "epoch": t.epoch, "last": dict(t.history.last),
            "good": t._good_theta.copy(), "good_opt": t._good_opt, "reference": t._reference}


def assert_same_state(a: dict, b: dict) -> None:
    np.testing.assert_array_equal(a["theta"], b["theta"])
    assert a["opt"].keys() == b["opt"].keys()
    for k in a["opt"]:
        np.testing.assert_array_equal(a["opt"][k], b["opt"][k])
    assert a["rng"] == b["rng"]
    np.testing.assert_array_equal(a["perm"], b["perm"])
    assert (a["pos"], a["step"], a["epoch"], a["reference"]) == (b["pos"], b["step"], b["epoch"], b["reference"])
    np.testing.assert_equal(a["last"], b["last"])  # (NaN equals NaN here)
    np.testing.assert_array_equal(a["good"], b["good"])
    for k in a["good_opt"]:
        np.testing.assert_array_equal(a["good_opt"][k], b["good_opt"][k])


# ------------------------------------------------------------ rewinding
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_rewinding_restores_the_moment_and_continuing_reproduces_the_run(dag_graph, name):
    N = 400
    t = dropout_trainer(dag_graph, **OPTIMIZERS[name])
    t.timeline = Timeline(capacity=16)
    t.timeline.record(t)
    for chunk in (25, 25, 100, 250):  # the window's chunks, then bigger ones
        t.run(chunk)
    t.run(N - t.step)
    assert t.step == N and t.epoch > 8
    at_n = state_of(t)
    rows_at_n = t.history.arrays()
    kept = [m.step for m in t.timeline.moments]
    assert kept[0] == 0 and kept[-1] > N - t.timeline.stride and len(kept) >= 8
    for step in (kept[len(kept) // 2], kept[1], kept[-1], 0):  # later rewinds go further back
        t.timeline.rewind(t, step)
        # The moment is exactly a fresh run's state after `step` steps ...
        fresh = dropout_trainer(dag_graph, **OPTIMIZERS[name])
        if step:  # (run(0) would measure the reference loss a rewound step 0 measures next)
            fresh.run(step)
        assert_same_state(state_of(t), state_of(fresh))
        assert len(t.history) == len(fresh.history)
        assert [m.step for m in t.timeline.moments] == [s for s in kept if s <= step]
        # ... and continuing from it reproduces the original run to N.
        t.run(N - step)
        assert_same_state(state_of(t), at_n)
        for col, values in t.history.arrays().items():
            np.testing.assert_array_equal(values, rows_at_n[col], err_msg=col)
        kept = [m.step for m in t.timeline.moments]  # recorded again on the way


def test_a_moment_mid_epoch_restores_the_shuffle_and_the_position_in_it(dag_graph):
    t = dropout_trainer(dag_graph, **OPTIMIZERS["adam"])
    t.timeline = Timeline()
    t.run(60)  # 300 rows in batches of 7: epoch 1 ends at step 43, step 60 is mid-epoch
    perm, pos = t._perm.copy(), t._pos
    assert 0 < pos < 300
    t.run(30)
    t.timeline.rewind(t, 60)
    np.testing.assert_array_equal(t._perm, perm)
    assert t._pos == pos and t.epoch == 1


def test_the_perceptron_rule_rewinds_too():
    g = Graph.chain([2, 1], output_activation="step", loss="l2")
    ds = make_dataset("xor_table")
    net = Network(g)
    t = Trainer(net, TrainData.from_dataset(ds, net, 1.0), TrainConfig(optimizer="perceptron", lr=0.5), seed=3)
    t.timeline = Timeline()
    t.timeline.record(t)
    t.run(41)
    end = state_of(t)
    t.timeline.rewind(t, 13)  # mid-epoch: the mistakes counted so far come back too
    assert t.optimizer.state() == {"mistakes": t.timeline.moments[-1].opt_state["mistakes"], "seen": 1}
    t.run(28)
    assert_same_state(state_of(t), end)


def test_rewinding_keeps_the_settings_of_now_and_an_optimizer_changed_since_starts_afresh(dag_graph):
    t = dropout_trainer(dag_graph, **OPTIMIZERS["sgd+momentum"])
    t.timeline = Timeline()
    t.timeline.record(t)
    t.run(50)
    t.update_config(optimizer="adam", lr=0.002)
    t.run(50)
    t.timeline.rewind(t, 20)
    assert t.config.optimizer == "adam" and t.config.lr == 0.002
    assert t.optimizer.state()["t"] == 0 and not t.optimizer.state()["m"].any()
    t.run(10)  # and it trains
    assert t.step == 30


def test_rewinding_drops_the_history_after_the_moment(dag_graph):
    t = dropout_trainer(dag_graph)
    t.timeline = Timeline()
    t.timeline.record(t)
    t.run(200)
    epochs_at_100 = t.history.column("step") <= 100
    m = t.timeline.find(100)
    t.timeline.rewind(t, 100)
    assert (t.history.column("step") <= 100).all()
    assert len(t.history) == int(epochs_at_100.sum())
    np.testing.assert_equal(t.history.last, m.last_row)
    assert t.epoch == m.epoch


def test_a_step_the_timeline_does_not_keep_is_refused_with_the_reason(dag_graph):
    t = dropout_trainer(dag_graph)
    t.timeline = Timeline(capacity=4)
    t.timeline.record(t)
    t.run(40)
    with pytest.raises(ValueError, match="keeps no moment at step 3"):
        t.timeline.rewind(t, 3)
    assert t.step == 40


def test_replacing_the_network_starts_the_timeline_again(dag_graph):
    t = dropout_trainer(dag_graph)
    t.timeline = Timeline()
    t.timeline.record(t)
    t.run(30)
    t.replace_network(Network(dag_graph), t.data, t.network.get_weights())
    assert [m.step for m in t.timeline.moments] == [30]
    t.run(5)
    assert [m.step for m in t.timeline.moments] == [30, 31, 32, 33, 34, 35]


def test_every_attribute_of_a_trainer_is_captured_or_known_not_to_matter(dag_graph):
    """A new piece of trainer state must join the Moment (or this list)."""
    t = dropout_trainer(dag_graph)
    captured = {"network", "rng", "step", "epoch", "history", "optimizer", "_optimizer_name", "_perm",
                "_perm_state", "_pos", "_good_theta", "_good_opt", "_good_step", "_reference",
                "_exploded_epochs", "_start_loss"}
    not_state = {"config",  # the settings of now
                 "seed", "data", "metric_name", "timeline",  # fixed for the timeline's life
                 "stop_reason", "divergence",  # set again by the next run()
                 "_tmp_w",  # scratch
                 "last_batch",  # the rows the last step drew: shown, not trained from; a rewind forgets it
                 "_evaluated",  # the last evaluation, reused only at the very weights it was of
                 "_start",  # row 0's weights while deferred: a rewind evaluates them first
                 "running_loss"}  # recent batches' losses, a read-out: a rewind clears it
    assert set(vars(t)) == captured | not_state
    assert {f.name for f in dataclasses.fields(Moment)} >= {"theta", "opt_state", "rng_state", "perm_state",
                                                            "good_theta", "good_opt", "reference"}


# --------------------------------------------------- spread and memory
def test_moments_are_spread_evenly_over_the_whole_run(dag_graph):
    t = dropout_trainer(dag_graph, **OPTIMIZERS["adam"])
    t.timeline = tl = Timeline(capacity=32)
    tl.record(t)
    for total in (31, 32, 33, 100, 1000, 1777):
        t.run(total - t.step)
        steps = np.array([m.step for m in tl.moments])
        assert steps[0] == 0 and len(steps) <= 32
        assert total - tl.stride < steps[-1] <= total  # the last within one stride of now
        assert (np.diff(steps) == tl.stride).all()  # even
        if total >= 32:
            assert len(steps) >= 16


def record_steps(t: Trainer, timeline: Timeline, last: int) -> tuple[int, int, int]:
    """Record as the trainer's step loop does, counting the steps up to
    ``last`` without training them (the weights stay those of the last real
    step: the moments' sizes do not depend on their values); returns the
    most moments and bytes held at any time, and how many moments were added.
    Each moment's arrays are counted here once, when it is added."""
    size = {m.step: array_bytes(m) for m in timeline.moments}
    most_moments = most_bytes = added = 0
    for step in range(t.step + 1, last + 1):
        if step % timeline.stride:
            continue
        t.step = step
        timeline.record(t)
        if timeline.moments and timeline.moments[-1].step == step:
            added += 1
            size[step] = array_bytes(timeline.moments[-1])
            held = sum(size[m.step] for m in timeline.moments)
            most_moments, most_bytes = max(most_moments, len(timeline)), max(most_bytes, held)
    return most_moments, most_bytes, added


def test_memory_stays_under_the_bound_over_a_million_steps():
    """A 2-1 network with momentum: 500 moments of 64 bytes of arrays each."""
    g = Graph.chain([2, 1])
    ds = make_dataset("and")
    net = Network(g)
    t = Trainer(net, TrainData.from_dataset(ds, net, 1.0), TrainConfig(lr=0.1, batch_size=1, momentum=0.5))
    t.timeline = tl = Timeline()
    tl.record(t)
    t.run(2000)  # real steps through the trainer's own hook first
    assert tl.stride == 8 and len(tl) == 2000 // 8 + 1  # 500 held at step 1996, thinned at 2000
    most_moments, most_bytes, added = record_steps(t, tl, 10 ** 6)
    one = array_bytes(tl.moments[0])
    assert one == 4 * 3 * 8  # theta, velocity, good theta, good velocity: 3 parameters each
    assert most_moments == MAX_MOMENTS and most_bytes <= MAX_MOMENTS * one
    assert added > 2000
    steps = np.array([m.step for m in tl.moments])
    assert steps[0] == 0 and steps[-1] > 10 ** 6 - tl.stride and len(steps) >= MAX_MOMENTS // 2
    assert (np.diff(steps) == tl.stride).all()
    assert tl.nbytes == sum(array_bytes(m) for m in tl.moments)


def test_a_big_network_keeps_fewer_moments_within_the_bound():
    """2-300-300-1 with Adam: 91,501 parameters, 4.4 MB a moment, so 15 in 64 MB."""
    g = Graph.chain([2, 300, 300, 1])
    ds = make_dataset("circle", samples=100)
    net = Network(g)
    t = Trainer(net, TrainData.from_dataset(ds, net, 1.0), TrainConfig(optimizer="adam", batch_size=50))
    t.timeline = tl = Timeline()
    tl.record(t)
    t.run(4)
    most_moments, most_bytes, _ = record_steps(t, tl, 10 ** 6)
    one = array_bytes(tl.moments[0])
    assert one == 6 * net.n_params * 8
    assert most_bytes <= MAX_BYTES and most_moments == MAX_BYTES // one
    steps = np.array([m.step for m in tl.moments])
    assert steps[0] == 0 and steps[-1] > 10 ** 6 - tl.stride and (np.diff(steps) == tl.stride).all()


def test_a_network_too_large_for_two_moments_keeps_none():
    g = Graph.chain([2, 64, 1])
    ds = make_dataset("circle", samples=50)
    net = Network(g)
    t = Trainer(net, TrainData.from_dataset(ds, net, 1.0), TrainConfig(optimizer="adam"))
    t.timeline = tl = Timeline(max_bytes=6 * net.n_params * 8 * 2 - 1)  # just under two moments
    tl.record(t)
    t.run(10)
    assert tl.too_large and len(tl) == 0 and tl.nbytes == 0
