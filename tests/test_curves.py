"""The lecture's functions drawn (issue 18, point 3), without a window: the
curves nnbuilder.core.teaching.curves gives for every activation and loss
equal an independent evaluation written here (PyTorch for f and, by
autograd, f'; plain NumPy for the losses against the error and the margin)."""
import numpy as np
import pytest
import torch

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.functions.activations import ACTIVATIONS, DEFAULT_ALPHA
from nnbuilder.core.functions.losses import LOSSES
from nnbuilder.core.teaching.curves import (ZERO_ONE, activation_curve, activation_points, loss_plot,
                                            span)

F = torch.nn.functional
# Independent definitions, one per activation name (alpha: the slope or scale).
TORCH = {
    "step": lambda x, a: (x > 0).double() + 0.0 * x,  # its slope is 0 everywhere (autograd: 0)
    "linear": lambda x, a: x,
    "sigmoid": lambda x, a: torch.sigmoid(x),
    "tanh": lambda x, a: torch.tanh(x),
    "relu": lambda x, a: F.relu(x),
    "leaky_relu": lambda x, a: F.leaky_relu(x, a),
    "prelu": lambda x, a: F.prelu(x, torch.tensor([a], dtype=x.dtype)),
    "elu": lambda x, a: F.elu(x, a),
    "softplus": lambda x, a: F.softplus(x),
    "swish": lambda x, a: F.silu(x),
    "sine": lambda x, a: torch.sin(x),
}
KINKED = {"step", "relu", "leaky_relu", "prelu", "elu"}  # f' at a = 0 is a convention (a one-sided slope)
ELEMENTWISE = [n for n, a in ACTIVATIONS.items() if a.elementwise]


def torch_f_and_slope(name, x, alpha):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = TORCH[name](t, alpha)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


def test_every_activation_has_an_independent_definition_here():
    assert set(ELEMENTWISE) <= set(TORCH), "add the new activation to TORCH"


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_the_drawn_f_and_f_prime_equal_torch_and_its_autograd(name):
    alpha = 0.3 if name in DEFAULT_ALPHA else 0.0  # not the default: the table must use the given a
    x, f, df = activation_curve(name, alpha, -5.0, 5.0, width=3)
    assert len(x) == 401 and x[0] == -5.0 and x[-1] == 5.0 and 0.0 in x
    ref_f, ref_df = torch_f_and_slope(name, x, alpha)
    np.testing.assert_allclose(f, ref_f, rtol=1e-12, atol=1e-12)
    smooth = x != 0.0 if name in KINKED else np.ones_like(x, dtype=bool)
    np.testing.assert_allclose(df[smooth], ref_df[smooth], rtol=1e-12, atol=1e-12)
    if name in KINKED:  # at the kink: the slope of one side or the other
        left, right = torch_f_and_slope(name, np.array([-1e-9, 1e-9]), alpha)[1]
        (at0,) = df[x == 0.0]
        assert at0 == pytest.approx(left, abs=1e-6) or at0 == pytest.approx(right, abs=1e-6)


@pytest.mark.parametrize("name", ["leaky_relu", "elu"])
def test_the_curve_follows_a(name):
    x, f1, _ = activation_curve(name, 0.2)
    _, f2, df2 = activation_curve(name, 0.6)
    neg = x < 0
    assert not np.allclose(f1[neg], f2[neg]) and np.array_equal(f1[~neg], f2[~neg])
    smooth = x != 0.0
    np.testing.assert_allclose(df2[smooth], torch_f_and_slope(name, x, 0.6)[1][smooth], rtol=1e-12, atol=1e-12)


def test_the_samples_points_lie_on_the_curve_at_its_pre_activations():
    a = np.array([-7.5, -0.4, 0.0, 2.25])
    lo, hi = span(a)
    assert lo < -7.5 and hi == 5.0  # widened to hold the sample, on the side it needs
    for name in ("tanh", "leaky_relu", "swish"):
        pa, pf, pdf = activation_points(name, 0.1, a)
        np.testing.assert_array_equal(pa, a)
        ref_f, ref_df = torch_f_and_slope(name, a, 0.1)
        np.testing.assert_allclose(pf, ref_f, rtol=1e-12, atol=1e-15)
        keep = a != 0.0
        np.testing.assert_allclose(pdf[keep], ref_df[keep], rtol=1e-12, atol=1e-15)


def test_a_softmax_units_curve_holds_the_other_units_at_the_sample():
    row = np.array([0.5, -1.0, 2.0])
    x, f, df = activation_curve("softmax", 0.0, -5, 5, width=3, row=row, unit=1)
    Z = torch.tensor(np.tile(row, (len(x), 1)), dtype=torch.float64)
    Z[:, 1] = torch.tensor(x)
    Z.requires_grad_(True)
    p = torch.softmax(Z, dim=1)[:, 1]
    p.sum().backward()
    np.testing.assert_allclose(f, p.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(df, Z.grad[:, 1].numpy(), rtol=1e-12, atol=1e-15)
    pa, pf, _ = activation_points("softmax", 0.0, row, unit=1)
    assert pa.tolist() == [-1.0] and pf[0] == pytest.approx(float(torch.softmax(torch.tensor(row), 0)[1]))


def test_regression_losses_against_the_error_with_the_samples_point():
    y_hat, y = np.array([1.3]), np.array([-0.4])
    plot = loss_plot("l1", "linear", y_hat, y_hat, y)
    assert plot.axis.name == "error" and list(plot.curves) == ["l1", "l2", "huber"]
    r = plot.x
    np.testing.assert_allclose(plot.curves["l1"], np.abs(r), atol=1e-15)
    np.testing.assert_allclose(plot.curves["l2"], 0.5 * r ** 2, atol=1e-15)  # the lecture's 1/2
    np.testing.assert_allclose(plot.curves["huber"], np.where(np.abs(r) <= 1, 0.5 * r ** 2, np.abs(r) - 0.5),
                               atol=1e-15)
    assert plot.points_x.tolist() == pytest.approx([1.7])
    assert plot.points["l1"].tolist() == pytest.approx([1.7])
    assert ZERO_ONE not in plot.curves  # no zero-one of a regression


def test_hinge_beside_zero_one_and_the_logistic_loss_against_the_margin():
    # a class-0 sample (t = -1) scored 0.8: margin -0.8, on the wrong side
    plot = loss_plot("hinge", "linear", np.array([0.8]), np.array([0.8]), np.array([0.0]))
    assert plot.axis.name == "margin" and list(plot.curves) == ["hinge", "bce", ZERO_ONE]
    m = plot.x
    np.testing.assert_allclose(plot.curves["hinge"], np.maximum(0.0, 1.0 - m), atol=1e-15)
    np.testing.assert_array_equal(plot.curves[ZERO_ONE], (m <= 0).astype(float))
    logistic = F.binary_cross_entropy_with_logits(torch.tensor(m), torch.ones(len(m), dtype=torch.float64),
                                                  reduction="none").numpy()
    np.testing.assert_allclose(plot.curves["bce"], logistic, rtol=1e-12)
    assert plot.points_x.tolist() == pytest.approx([-0.8])
    assert plot.points["hinge"].tolist() == pytest.approx([1.8]) and plot.points[ZERO_ONE].tolist() == [1.0]


def test_bce_under_its_sigmoid_is_drawn_against_the_logit_margin():
    z = np.array([-1.2])  # the Output's a; y_hat = sigmoid(a); class 0 is right
    plot = loss_plot("bce", "sigmoid", z, 1 / (1 + np.exp(-z)), np.array([0.0]))
    assert plot.points_x.tolist() == pytest.approx([1.2])
    assert plot.points["bce"][0] == pytest.approx(np.log1p(np.exp(-1.2)), rel=1e-12)
    assert plot.points[ZERO_ONE].tolist() == [0.0]


def test_cross_entropy_against_the_true_class_probability():
    a = np.array([0.2, 0.7, 0.1])
    plot = loss_plot("cross_entropy", "softmax", np.log(a), a, np.array([0.0, 1.0, 0.0]))
    assert plot.axis.name == "probability"
    np.testing.assert_allclose(plot.curves["cross_entropy"], -np.log(plot.x), rtol=1e-12)
    assert plot.points_x.tolist() == pytest.approx([0.7])
    assert plot.points["cross_entropy"][0] == pytest.approx(-np.log(0.7), rel=1e-12)


def test_every_loss_is_drawn_and_an_unknown_name_is_a_clear_error():
    for name in LOSSES:
        plot = loss_plot(name)
        assert len(plot.x) == 401 and np.isfinite(plot.curves[name]).all()
        assert plot.points_x.size == 0
    with pytest.raises(NNBuilderError, match="no loss is called 'nope'"):
        loss_plot("nope")
    with pytest.raises(NNBuilderError, match="no activation is called 'nope'"):
        activation_curve("nope", 0.0)


def test_nnbuilder_explain_says_where_the_sample_sits_on_the_loss_curve(tmp_path):
    """The CLI's text: the sample's margin, its hinge loss and zero-one, as an
    independent forward pass of the trained file gives them."""
    import contextlib
    import io
    import json
    import re

    from forward import forward
    from nnbuilder.cli import main as cli
    from nnbuilder.core.data.datasets import make_dataset

    model = json.loads(open("resources/examples/circle.json").read())
    out = next(n for n in model["graph"]["nodes"] if n["type"] == "output")
    out["params"].update(activation="linear", loss="hinge")
    src, trained = tmp_path / "hinge.json", tmp_path / "trained.json"
    src.write_text(json.dumps(model))
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["train", str(src), "--epochs", "3", "-o", str(trained)]) == 0
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert cli(["explain", str(trained), "--row", "5", "--dataset", "circle"]) == 0
    line = next(l for l in text.getvalue().splitlines() if l.startswith("on the loss curve"))
    margin, hinge, zero_one = (float(v) for v in re.findall(r"\[([^\]]+)\]", line))
    assert "the margin t s" in line
    saved = json.loads(trained.read_text())
    d = saved["dataset"]
    ds = make_dataset(d["name"], d["samples"], d["noise"], saved["seed"])
    y_hat, _ = forward(saved, ds.X[4][None, :])
    label = int(ds.y[4])
    assert margin == pytest.approx((2 * label - 1) * y_hat[0, 0], rel=1e-5)
    assert hinge == pytest.approx(max(0.0, 1 - margin), rel=1e-5, abs=1e-6)
    assert zero_one == float((y_hat[0, 0] > 0) != label)


def test_a_diverged_samples_values_do_not_stretch_the_range():
    assert span([np.nan, np.inf, -1e300, 1.0]) == (-5.0, 5.0)
    plot = loss_plot("hinge", "linear", np.array([np.nan]), np.array([np.nan]), np.array([1.0]))
    assert (plot.x[0], plot.x[-1]) == (-3.0, 3.0) and np.isnan(plot.points["hinge"]).all()


def test_slopes_learned_per_unit_draw_the_chosen_units_curve():
    slopes = np.array([0.1, 0.5, 0.9])
    row = np.array([-2.0, -1.0, 3.0])
    x, f, _ = activation_curve("leaky_relu", slopes, width=3, row=row, unit=1)
    np.testing.assert_allclose(f, F.leaky_relu(torch.tensor(x), 0.5).numpy(), rtol=1e-12)
    pa, pf, pdf = activation_points("leaky_relu", slopes, row, unit=1)
    assert pa.tolist() == [-1.0] and pf.tolist() == pytest.approx([-0.5]) and pdf.tolist() == pytest.approx([0.5])
