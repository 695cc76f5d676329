"""The loss surface (issue 11, point 3): the curve and grid against the
trainer's own loss, the engine's gradient, finite differences, least squares
and PyTorch; the view shows those numbers."""
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.files.modelfile import load_model
from nnbuilder.core.engine.network import Network
from nnbuilder.core.teaching.surface import LossSurface, WeightRef, weight_refs, weight_value
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
TABLE = make_dataset("seed_table")  # the lecture's y = w x: x = 10, 2, 3.5, 1
X, Y = TABLE.X[:, 0], np.ravel(TABLE.y)


def lecture_trainer(**changes) -> Trainer:
    """resources/examples/linear_regression.json on seed_table, with ``changes`` to its settings."""
    doc = load_model(EXAMPLES / "linear_regression.json")
    net = Network(doc.graph)
    data = TrainData.from_dataset(make_dataset("seed_table"), net, 1.0)
    return Trainer(net, data, TrainConfig(**{**doc.training.to_dict(), **changes}), seed=doc.seed)


def table_loss(w) -> np.ndarray:
    """The lecture's loss 1/2 mean (w x - y)^2, straight from the table (no engine)."""
    w = np.asarray(w, dtype=np.float64)[..., None]
    return 0.5 * ((w * X - Y) ** 2).mean(axis=-1)


def least_squares_slope() -> float:
    return np.linalg.lstsq(TABLE.X, TABLE.y, rcond=None)[0].item()


def hidden_trainer(dropout: float = 0.0, steps: int = 200, **cfg) -> Trainer:
    """2 -> 4 tanh (-> dropout) -> 1 sigmoid, bce, on circle, partly trained."""
    g = Graph.chain([2, 4, 1])
    if dropout:
        g.disconnect("dense1", "output")
        g.add_node("dropout", {"rate": dropout}, node_id="drop")
        g.connect("dense1", "drop")
        g.connect("drop", "output")
    net = Network(g)
    data = TrainData.from_dataset(make_dataset("circle", samples=120, seed=2), net, 0.5, seed=2)
    t = Trainer(net, data, TrainConfig(**cfg), seed=5)
    t.run(steps)
    return t


def set_weight(net: Network, ref: WeightRef, value: float) -> None:
    W, b = net.params[ref.node]
    if ref.is_bias:
        b[ref.col] = value
    else:
        W[ref.row, ref.col] = value


def trainer_loss_at(t: Trainer, ref: WeightRef, value: float) -> float:
    """The trainer's own evaluate() with one weight moved (and put back)."""
    kept = weight_value(ref, t.network.params)
    set_weight(t.network, ref, value)
    try:
        return t.evaluate()["train_loss"]
    finally:
        set_weight(t.network, ref, kept)


SOME_REFS = [WeightRef("dense1", 0, 0), WeightRef("dense1", 1, 3), WeightRef("dense1", None, 2),
             WeightRef("output", 2, 0), WeightRef("output", None, 0)]


# ------------------------------------------------------------------ the core
@pytest.mark.parametrize("make", [lambda: lecture_trainer(), lambda: hidden_trainer(l1=0.01, l2=0.02),
                                  lambda: hidden_trainer(dropout=0.4)])
def test_the_curve_passes_through_the_trainers_loss_at_the_current_weight(make):
    t = make()
    s = LossSurface.from_trainer(t)
    reported = t.evaluate()["train_loss"]
    for ref in weight_refs(t.network):
        c = s.curve(ref, points=21)
        assert c.current == weight_value(ref, t.network.params)
        at = np.flatnonzero(c.values == c.current)
        assert len(at) == 1
        assert c.loss[at[0]] == pytest.approx(reported, rel=1e-12, abs=1e-15)
        assert c.current_loss == pytest.approx(reported, rel=1e-12, abs=1e-15)
        # Elsewhere too it is the trainer's loss with that one weight moved.
        for i in (0, len(c.values) // 3, len(c.values) - 1):
            assert c.loss[i] == pytest.approx(trainer_loss_at(t, ref, c.values[i]), rel=1e-12, abs=1e-15)
    np.testing.assert_array_equal(s.net.theta, t.network.theta)  # the surface's copy is put back
    assert t.evaluate()["train_loss"] == reported  # and the trainer's network was never touched


def test_the_slope_is_the_engines_gradient_and_a_finite_difference():
    t = hidden_trainer(l2=0.01)
    s = LossSurface.from_trainer(t)
    t.network.loss_and_grad(t.data.X_train, t.data.Y_train)  # the engine, on every training row
    for ref in SOME_REFS:
        dW, db = t.network.grads[ref.node]
        engine = float(db[ref.col] if ref.is_bias else dW[ref.row, ref.col])
        c = s.curve(ref, points=11)
        assert c.slope == pytest.approx(engine, rel=1e-12, abs=1e-15)
        w, h = c.current, 1e-5
        fd = (trainer_loss_at(t, ref, w + h) - trainer_loss_at(t, ref, w - h)) / (2 * h)
        assert c.slope == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_with_dropout_the_slope_is_that_of_the_loss_the_curve_shows():
    t = hidden_trainer(dropout=0.5)
    s = LossSurface.from_trainer(t)
    for ref in SOME_REFS:
        w, h = weight_value(ref, t.network.params), 1e-5
        fd = (trainer_loss_at(t, ref, w + h) - trainer_loss_at(t, ref, w - h)) / (2 * h)
        assert s.gradient(ref) == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_the_objective_slope_is_the_step_the_trainer_takes():
    """With L1 and L2 on, plain SGD over the whole batch moves each weight by
    -lr x the objective's slope (the dashed curve's), a bias by -lr x the loss's."""
    t = hidden_trainer(l1=0.003, l2=0.02, lr=0.1, batch_size=1000)
    s = LossSurface.from_trainer(t)
    curves = {ref: s.curve(ref, points=5) for ref in SOME_REFS}
    before = {ref: weight_value(ref, t.network.params) for ref in SOME_REFS}
    w = t.network.theta[:t.network.n_weights]
    penalty = 0.003 * np.abs(w).sum() + 0.01 * (w @ w)
    for c in curves.values():
        assert c.objective[np.flatnonzero(c.values == c.current)[0]] == \
            pytest.approx(t.evaluate()["train_loss"] + penalty, rel=1e-12)
    t.run(1)
    for ref, c in curves.items():
        moved = weight_value(ref, t.network.params) - before[ref]
        assert moved == pytest.approx(-0.1 * c.objective_slope, rel=1e-9, abs=1e-15)
        if ref.is_bias:
            assert c.objective_slope == c.slope
        else:
            assert c.objective_slope == pytest.approx(c.slope + 0.02 * c.current + 0.003 * np.sign(c.current))


def test_the_next_step_is_where_the_trainer_goes():
    for lr in (0.005, 0.08):  # a step down the parabola; one over it and up the other side
        t = lecture_trainer(lr=lr)
        c = LossSurface.from_trainer(t).curve(WeightRef("output", 0, 0), lr=lr)
        t.run(1)
        assert c.next_value == pytest.approx(t.network.theta[0], rel=1e-12)
        assert c.next_loss == pytest.approx(t.evaluate()["train_loss"], rel=1e-12)
        assert c.values[0] <= c.next_value <= c.values[-1]
    assert c.next_loss > c.current_loss and np.sign(c.next_value - least_squares_slope()) != \
        np.sign(c.current - least_squares_slope())


def test_two_weights_grid_at_the_current_weights_is_the_current_loss():
    t = hidden_trainer(l2=0.01)
    s = LossSurface.from_trainer(t)
    a, b = WeightRef("dense1", 0, 1), WeightRef("output", 3, 0)
    g = s.grid(a, b, points=9)
    reported = t.evaluate()["train_loss"]
    i, j = np.flatnonzero(g.a_values == g.current[0]), np.flatnonzero(g.b_values == g.current[1])
    assert len(i) == len(j) == 1
    assert g.loss[j[0], i[0]] == pytest.approx(reported, rel=1e-12)
    assert g.current_loss == pytest.approx(reported, rel=1e-12)
    assert np.allclose(np.diff(g.a_values), np.diff(g.a_values)[0])  # even steps: it is drawn as an image
    # Its row through the current b is the curve over a; a corner is the trainer's loss with both moved.
    c = s.curve(a, include=g.a_values)
    np.testing.assert_allclose(g.loss[j[0]], c.loss_of(g.a_values), rtol=1e-12)
    kept = weight_value(b, t.network.params)
    set_weight(t.network, b, g.b_values[0])
    assert g.loss[0, -1] == pytest.approx(trainer_loss_at(t, a, g.a_values[-1]), rel=1e-12)
    set_weight(t.network, b, kept)
    t.network.loss_and_grad(t.data.X_train, t.data.Y_train)
    assert g.gradient == pytest.approx((t.network.grads["dense1"][0][0, 1], t.network.grads["output"][0][3, 0]),
                                       rel=1e-12)


def test_pytorch_agrees_on_the_curve_and_its_slope():
    """An independent implementation: the same network in PyTorch (float64, autograd)."""
    t = hidden_trainer()
    s = LossSurface.from_trainer(t)
    Xt = torch.tensor(t.data.X_train)
    Yt = torch.tensor(t.data.Y_train)
    params = {k: torch.tensor(v.copy()) for k, v in (("W1", t.network.params["dense1"][0]),
                                                       ("b1", t.network.params["dense1"][1]),
                                                       ("W2", t.network.params["output"][0]),
                                                       ("b2", t.network.params["output"][1]))}

    def torch_loss(p):
        z = torch.tanh(Xt @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        return torch.nn.functional.binary_cross_entropy_with_logits(z, Yt)

    ref, key, where = WeightRef("dense1", 1, 2), "W1", (1, 2)
    c = s.curve(ref, points=9)
    for w, loss in zip(c.values, c.loss):
        p = {k: v.clone() for k, v in params.items()}
        p[key][where] = float(w)
        assert loss == pytest.approx(torch_loss(p).item(), rel=1e-12)
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    torch_loss(p).backward()
    assert c.slope == pytest.approx(p[key].grad[where].item(), rel=1e-10)


def test_the_lecture_parabola_has_its_minimum_at_the_least_squares_slope():
    t = lecture_trainer()
    s = LossSurface.from_trainer(t)
    ref = WeightRef("output", 0, 0)
    slope = least_squares_slope()
    assert slope == pytest.approx(1.0047, abs=5e-5)
    c = s.curve(ref, -1.0, 3.0, points=4001)
    np.testing.assert_allclose(c.loss, table_loss(c.values), rtol=1e-12)  # the lecture's formula
    a, b, _ = np.polyfit(c.values, c.loss, 2)  # a parabola ...
    assert np.abs(np.polyval(np.polyfit(c.values, c.loss, 2), c.values) - c.loss).max() < 1e-9
    assert -b / (2 * a) == pytest.approx(slope, abs=1e-9)  # ... whose lowest point is the fit
    assert c.values[np.argmin(c.loss)] == pytest.approx(slope, abs=1e-3)
    # At the least-squares slope the tangent is flat.
    set_weight(t.network, ref, slope)
    assert LossSurface.from_trainer(t).gradient(ref) == pytest.approx(0.0, abs=1e-12)


def test_the_lecture_steps_go_down_the_parabola_to_its_minimum():
    t = lecture_trainer()  # lr 0.005, batch 4: one full-batch step per epoch
    path = [t.network.theta[0]]
    for _ in range(400):
        t.run(1)
        path.append(t.network.theta[0])
    path = np.array(path)
    gap = np.abs(path - least_squares_slope())
    assert gap[-1] < 1e-9
    moving = gap > 1e-12  # until the steps are lost in rounding, each is closer, from one side
    assert moving[:100].all() and (np.diff(gap[moving]) < 0).all()
    assert len(set(np.sign(path[moving] - least_squares_slope()))) == 1
    early = path[:60]  # the steps a person watches, while the loss still falls visibly
    c = LossSurface.from_trainer(t).curve(WeightRef("output", 0, 0), include=early)
    ys = c.loss_of(early)
    np.testing.assert_allclose(ys, table_loss(early), rtol=1e-12)
    assert (np.diff(ys) < 0).all()


def test_too_large_a_learning_rate_overshoots_with_growing_swings():
    lr = 0.08  # above 2 / mean(x^2) = 0.068: each step overshoots by more than it corrects
    t = lecture_trainer(lr=lr)
    w_star = least_squares_slope()
    path = [t.network.theta[0]]
    for _ in range(6):
        assert t.run(1) is None  # not yet stopped by the divergence rule
        path.append(t.network.theta[0])
    d = np.array(path) - w_star
    assert (np.sign(d[1:]) == -np.sign(d[:-1])).all()  # over the minimum and back, every step
    assert (np.abs(d[1:]) > np.abs(d[:-1])).all()  # farther out every time
    factor = 1 - lr * np.mean(X ** 2)  # w_{k+1} - w* = (1 - lr mean x^2)(w_k - w*), from the table
    np.testing.assert_allclose(d[1:] / d[:-1], factor, rtol=1e-9)
    s = LossSurface.from_trainer(t)
    c = s.curve(WeightRef("output", 0, 0), include=path)
    ys = c.loss_of(path)
    np.testing.assert_allclose(ys, table_loss(path), rtol=1e-12)
    assert (np.diff(ys) > 0).all()  # each point higher up the parabola
    assert c.values[0] <= min(path) and max(path) <= c.values[-1]  # the range takes in the path


def test_weights_that_do_not_exist_are_named():
    s = LossSurface.from_trainer(lecture_trainer())
    for ref, words in ((WeightRef("input", 0, 0), "has no weights"), (WeightRef("output", 1, 0), "no row 2"),
                       (WeightRef("output", 0, 3), "no column 4"), (WeightRef("output", None, 0), "no bias")):
        with pytest.raises(NNBuilderError, match=words):
            s.curve(ref)
    t = hidden_trainer(steps=0)
    with pytest.raises(NNBuilderError, match="two different weights"):
        LossSurface.from_trainer(t).grid(WeightRef("dense1", 0, 0), WeightRef("dense1", 0, 0))
    with pytest.raises(NNBuilderError, match="no weights given for node 'output'"):
        LossSurface.from_trainer(t).set_weights({"dense1": t.network.params["dense1"]})


def test_work_can_be_done_in_pieces():
    t = hidden_trainer()
    s = LossSurface.from_trainer(t)
    a, b = WeightRef("dense1", 0, 0), WeightRef("dense1", 1, 0)
    steps = s.grid_steps(a, b, points=7, chunk=10)
    done = []
    while True:
        try:
            done.append(next(steps))
        except StopIteration as end:
            g = end.value
            break
    assert done[0] is None  # the gradient first, then the losses, 10 at a time
    assert done[1:] == pytest.approx(np.minimum(1.0, np.arange(1, len(done)) * 10 / g.loss.size))
    assert len(done) - 1 == -(-g.loss.size // 10) and done[-1] == 1.0
    np.testing.assert_array_equal(g.loss, s.grid(a, b, points=7).loss)


def test_many_rows_are_taken_a_block_at_a_time_with_the_same_numbers():
    net = Network(Graph.chain([2, 3, 1]))
    data = TrainData.from_dataset(make_dataset("circle", samples=18_000, seed=3), net, 0.5, seed=3)
    assert len(data.X_train) > 8192  # more than one evaluation block
    t = Trainer(net, data, TrainConfig(batch_size=500), seed=2)
    t.run(20)
    s = LossSurface.from_trainer(t)
    ref = WeightRef("dense1", 1, 1)
    c = s.curve(ref, points=3)
    assert c.current_loss == pytest.approx(t.evaluate()["train_loss"], rel=1e-12)
    t.network.loss_and_grad(data.X_train, data.Y_train)  # the engine, all rows in one pass
    assert c.slope == pytest.approx(t.network.grads["dense1"][0][1, 1], rel=1e-10)


# ------------------------------------------------------------------ the view
def make_view(qtbot, t: Trainer, label=str):
    from nnbuilder.gui.learn.surface_view import SurfaceView

    view = SurfaceView()
    qtbot.addWidget(view)
    view.resize(560, 420)
    view.show()
    view.set_network(t.network, t.data, t.config, label=label)
    return view


def drawn(view) -> bool:
    return view.result is not None and view._job is None and not view._dirty


def train_into(view, t: Trainer, steps: int) -> np.ndarray:
    """``steps`` single steps, each drawn by the view as the window draws a
    snapshot; returns the weights after each, as the trainer has them."""
    out = [t.network.theta.copy()]
    view.add_snapshot(t.snapshot())
    for _ in range(steps):
        t.run(1)
        view.add_snapshot(t.snapshot())
        out.append(t.network.theta.copy())
    return np.array(out)


def test_the_view_shows_the_curve_tangent_point_and_steps_of_the_lecture(qtbot):
    t = lecture_trainer()
    view = make_view(qtbot, t, label={"output": "Output"}.get)
    thetas = train_into(view, t, 5)
    assert view.show_weight("output", 0, 0)
    qtbot.waitUntil(lambda: drawn(view))
    w = t.network.theta[0]
    x, y = view.plot.curve.getData()
    np.testing.assert_allclose(y, table_loss(x), rtol=1e-12)
    assert x[0] < w < x[-1]
    (wx,), (wy,) = view.plot.now.getData()
    assert wx == w and wy == pytest.approx(t.evaluate()["train_loss"], rel=1e-12)
    tx, ty = view.plot.tangent.getData()
    slope = (ty[1] - ty[0]) / (tx[1] - tx[0])
    assert slope == pytest.approx(np.mean(X * (w * X - Y)), rel=1e-9)  # dL/dw of the lecture's loss
    assert ty[0] + slope * (w - tx[0]) == pytest.approx(wy, rel=1e-9)  # it touches the curve there
    px, py = view.plot.path_points.getData()
    np.testing.assert_array_equal(px, thetas[:, 0])
    np.testing.assert_allclose(py, table_loss(px), rtol=1e-12)
    assert [p.data() for p in view.plot.path_points.points()] == list(range(6))
    tip = view.plot._path_tip(px[2], py[2], 2)  # what hovering a point says
    assert tip.startswith("after step 2:") and "the other weights as now" in tip
    caption = view.caption.text()
    tip = view.caption.toolTip()
    assert f"{slope:.6g}" in tip and f"{wy:.6g}" in tip and "Output W[1,1]" in tip and f"{slope:.4g}" in caption
    assert view.stack.currentWidget() is view.plot
    # "next w": batch 4 is the whole table, so it is where the trainer's next step goes.
    shown_next = float(caption.split("next w = ")[1].split()[0])
    snap = t.snapshot()
    t.run(1)
    assert shown_next == pytest.approx(t.network.theta[0], rel=1e-4)  # 5 digits shown
    (nx,), (ny,) = view.plot.next_point.getData()  # the hollow point: where that step lands
    assert nx == pytest.approx(t.network.theta[0], rel=1e-12) and ny == pytest.approx(t.evaluate()["train_loss"],
                                                                                      rel=1e-12)
    # A new learning rate with the same weights (paused, the setting typed in): the caption follows.
    view.add_snapshot(SimpleNamespace(step=snap.step, weights=snap.weights, running=False,
                                      config=TrainConfig(lr=0.01, batch_size=4)))
    qtbot.waitUntil(lambda: drawn(view))
    shown_next = float(view.caption.text().split("next w = ")[1].split()[0])
    assert shown_next == pytest.approx(w - 0.01 * np.mean(X * (w * X - Y)), rel=1e-4)


def test_the_view_shows_too_large_a_rate_overshooting(qtbot):
    t = lecture_trainer(lr=0.08)
    view = make_view(qtbot, t)
    thetas = train_into(view, t, 6)
    qtbot.waitUntil(lambda: drawn(view))  # one weight in all: shown without picking
    px, py = view.plot.path_points.getData()
    np.testing.assert_array_equal(px, thetas[:, 0])
    d = px - least_squares_slope()
    assert (np.sign(d[1:]) == -np.sign(d[:-1])).all() and (np.abs(d[1:]) > np.abs(d[:-1])).all()
    assert (np.diff(py) > 0).all()
    x, _ = view.plot.curve.getData()
    assert x[0] <= px.min() and px.max() <= x[-1]


def test_the_contour_map_passes_through_the_current_loss(qtbot):
    t = hidden_trainer(l2=0.01)
    view = make_view(qtbot, t)
    thetas = train_into(view, t, 4)
    assert view.show_weights(("dense1", 0, 1), ("output", 3, 0))
    qtbot.waitUntil(lambda: drawn(view))
    g = view.result
    assert g.refs == (WeightRef("dense1", 0, 1), WeightRef("output", 3, 0))
    assert g.current_loss == pytest.approx(t.evaluate()["train_loss"], rel=1e-12)
    i, j = np.flatnonzero(g.a_values == g.current[0]), np.flatnonzero(g.b_values == g.current[1])
    assert g.loss[j[0], i[0]] == pytest.approx(t.evaluate()["train_loss"], rel=1e-12)
    (nx,), (ny,) = view.plot.now.getData()
    assert (nx, ny) == (t.network.params["dense1"][0][0, 1], t.network.params["output"][0][3, 0])
    px, py = view.plot.path_line.getData()
    index = [WeightRef("dense1", 0, 1), WeightRef("output", 3, 0)]
    np.testing.assert_array_equal(px, thetas[:, view.surface.index(index[0])])
    np.testing.assert_array_equal(py, thetas[:, view.surface.index(index[1])])
    assert view.plot.image.isVisible() and not view.plot.curve.isVisible()
    assert f"{g.current_loss:.4g}" in view.caption.text() and f"{g.current_loss:.6g}" in view.caption.toolTip()
    view.second.set_ref(WeightRef("dense1", 0, 1))  # the same weight twice: a hint, not a crash
    assert "two different weights" in view.hint.text() and view.stack.currentWidget() is view.hint


def test_the_view_says_what_is_missing(qtbot):
    from nnbuilder.gui.learn.surface_view import SurfaceView

    view = SurfaceView()
    qtbot.addWidget(view)
    view.show()
    assert "Train or load a trained network" in view.hint.text()
    view.set_network(None, None, reason="Cannot train: Dense 1 has no input connected")
    assert view.hint.text() == "Cannot train: Dense 1 has no input connected"
    t = hidden_trainer(steps=0)
    view.set_network(t.network, t.data, t.config)
    assert "press Step" in view.hint.text()
    view.add_snapshot(t.snapshot())
    assert view.hint.text().startswith("Pick a weight")
    assert view.stack.currentWidget() is view.hint
    assert not view.show_weight("dense1", 5, 0)  # no such weight: the picker stays as it was
    assert view.show_weight("dense1", "b", 3)
    qtbot.waitUntil(lambda: drawn(view))
    assert view.result.ref == WeightRef("dense1", None, 3)
    # The same structure again (new data, say): the choice stays.
    view.set_network(t.network, t.data, t.config)
    assert view.chosen() == [WeightRef("dense1", None, 3)]


def test_the_view_works_only_when_shown_and_seldom_while_training(qtbot):
    t = hidden_trainer(steps=10)
    view = make_view(qtbot, t)
    clock = [1000.0]
    view.clock = lambda: clock[0]
    view.show_weight("dense1", 0, 0)
    view.hide()
    view.add_snapshot(t.snapshot())
    # Hidden: no work, none started, none waiting on a timer.
    assert view.result is None and view._job is None
    assert not view.work.isActive() and not view.later.isActive()
    view.show()
    qtbot.waitUntil(lambda: drawn(view))  # shown again: it catches up
    first = view.result
    clock[0] += 100.0  # training starts: the first snapshot's surface at once ...
    t.run(1)
    view.set_weights(t.network.unflatten(t.network.theta.copy()), t.step, running=True)
    qtbot.waitUntil(lambda: drawn(view))
    shown = view.result
    assert shown is not first
    for _ in range(5):  # ... the next ones (at 30 Hz) wait for the interval
        t.run(1)
        view.set_weights(t.network.unflatten(t.network.theta.copy()), t.step, running=True)
        assert view._job is None and view.later.isActive() and view.result is shown
    clock[0] += 100.0  # (more than ten times any recompute: the interval is up)
    view.later.timeout.emit()
    qtbot.waitUntil(lambda: drawn(view))
    assert view.result is not shown and view.result.current == t.network.params["dense1"][0][0, 0]
    # Paused (a Step): at once.
    t.run(1)
    view.set_weights(t.network.unflatten(t.network.theta.copy()), t.step, running=False)
    qtbot.waitUntil(lambda: drawn(view))
    assert view.result.current == t.network.params["dense1"][0][0, 0]
    # The same weights again (a paused run answers every frame): nothing to redo.
    shown = view.result
    for _ in range(3):
        view.add_snapshot(t.snapshot())
        assert view._job is None and not view._dirty
    assert view.result is shown and [s for s, _ in view.path][-2:] != [t.step, t.step]


def test_built_as_the_window_builds_it_the_surface_is_the_runs():
    """A fresh network of the graph, the run's TrainData (its rows already
    standardized) and a snapshot's weights: the trainer's loss."""
    g = Graph.chain([2, 3, 1])
    g.set_params("input", normalize="standardize")
    run_net = Network(g)
    data = TrainData.from_dataset(make_dataset("gauss", samples=80, seed=4), run_net, 0.5, seed=4)
    assert data.input_stats is not None
    t = Trainer(run_net, data, TrainConfig(), seed=1)
    t.run(30)
    s = LossSurface(Network(g), data)
    s.set_weights(t.snapshot().weights)
    assert s.loss() == pytest.approx(t.evaluate()["train_loss"], rel=1e-12)
    assert s.curve(WeightRef("dense1", 1, 2), points=5).current_loss == \
        pytest.approx(t.evaluate()["train_loss"], rel=1e-12)


def test_a_theme_switch_repaints_the_view(qtbot):
    from PySide6.QtGui import QGuiApplication, QPalette

    from nnbuilder.gui.widgets.theme import apply_theme

    t = lecture_trainer()
    view = make_view(qtbot, t)
    train_into(view, t, 2)
    qtbot.waitUntil(lambda: drawn(view))
    base = QPalette.ColorRole.Base
    try:
        for mode in ("dark", "light"):
            apply_theme(mode)  # the app's palette; nobody calls the view
            qtbot.waitUntil(lambda: view.plot.backgroundBrush().color() == QGuiApplication.palette().color(base))
            assert view.plot.curve.opts["pen"].color().name() == ("#5aa9e6" if mode == "dark" else "#0877bd")
    finally:
        apply_theme("light")


def test_steps_far_off_the_chart_leave_the_curve_readable(qtbot):
    t = lecture_trainer()
    view = make_view(qtbot, t)
    w = t.network.theta[0]
    view.set_weights({"output": (np.array([[1e200]]), None)}, 1)  # typed in by a person, say
    view.set_weights({"output": (np.array([[w]]), None)}, 2)
    qtbot.waitUntil(lambda: drawn(view))
    x, y = view.plot.curve.getData()
    assert x[-1] - x[0] < 10 and np.isfinite(y).all()  # the curve stays around w, not out to 1e200
    px, _ = view.plot.path_points.getData()
    np.testing.assert_array_equal(px, [w])
    assert "(1 off the chart)" in view.caption.text()
