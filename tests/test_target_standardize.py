"""Regression targets standardized like the inputs (issue 20, an engineer's
trial: scikit-learn's diabetes table, targets 25 to 346). The Output node's
``normalize: "standardize"`` trains on (y - mean) / std of the training rows
and answers y_hat * std + mean; every number is checked against plain NumPy,
onnxruntime or PyTorch, never against nnbuilder's own functions."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from sklearn.datasets import load_diabetes

from nnbuilder.cli import main
from nnbuilder.core.data.datasets import load_csv, make_dataset
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.network import Network
from nnbuilder.core.engine.trainer import Trainer
from nnbuilder.core.engine.traindata import TrainData, fitting_changes
from nnbuilder.core.files.import_onnx import load_onnx
from nnbuilder.core.files.modelfile import ModelDocument, ModelFileError, load_model, model_from_dict, save_model
from nnbuilder.core.model.graph import Graph

from test_docs import snippet_predict  # noqa: F401 - a fixture: docs/model-format.md's NumPy predict
from test_export_torch import load_script

COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory):
    """scikit-learn's diabetes table as a CSV file: (path, X (442, 10), y (442,))."""
    d = load_diabetes()
    path = tmp_path_factory.mktemp("diabetes") / "diabetes.csv"
    with open(path, "w") as fh:
        fh.write(",".join(COLUMNS) + ",target\n")
        for row, t in zip(d.data.tolist(), d.target.tolist()):
            fh.write(",".join(map(repr, row)) + f",{t!r}\n")
    return path, d.data, d.target


def design(standardize_target=True):
    """10-8-1, relu (as the window's Fit makes it), a linear l2 Output; inputs standardized."""
    g = Graph.chain([10, 8, 1], activation="relu", output_activation="linear", loss="l2")
    g.set_params("input", normalize="standardize")
    if standardize_target:
        g.set_params("output", normalize="standardize")
    return g


def relu(a):
    return np.maximum(a, 0.0)


def numpy_forward(weights, X, act=relu):
    """Plain NumPy: standardize, a hidden layer (relu), linear output, times std plus mean."""
    s, h, o = weights["input"], weights["dense1"], weights["output"]
    F = (X - np.asarray(s["mean"])) / np.asarray(s["std"])
    H = act(F @ np.asarray(h["W"]) + np.asarray(h["b"]))
    out = H @ np.asarray(o["W"]) + np.asarray(o["b"])
    if "mean" in o:
        out = out * np.asarray(o["std"]) + np.asarray(o["mean"])
    return out


def train_rows(n, split, seed):
    """nnbuilder's split, written out: the first round(n * split) of a permutation."""
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[:int(round(n * split))])


def r2(pred, y):
    return 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)


def test_diabetes_trains_at_lr_003_on_standardized_targets(diabetes):
    path, X, y = diabetes
    ds = load_csv(str(path))
    assert ds.task == "regression"
    for standardize in (True, False):
        net = Network(design(standardize))
        data = TrainData.from_dataset(ds, net, 0.8, 0)
        rows = train_rows(442, 0.8, 0)
        if standardize:  # the training rows' mean and population std, and Y scaled by them
            mean, std = data.target_stats
            assert mean == pytest.approx([y[rows].mean()], rel=1e-12)
            assert std == pytest.approx([y[rows].std()], rel=1e-12)
            np.testing.assert_allclose(data.Y_train[:, 0], (y[rows] - y[rows].mean()) / y[rows].std(),
                                       rtol=1e-12, atol=1e-12)
        else:
            assert data.target_stats is None
            np.testing.assert_array_equal(data.Y_train[:, 0], y[rows])
        # the window's defaults: plain SGD, batches of 10
        t = Trainer(net, data, TrainConfig(optimizer="sgd", lr=0.03, batch_size=10, max_epochs=100), seed=0)
        reason = t.run_epochs(100)
        if not standardize:  # the engineer's trial: raw targets (25 to 346) blow the relu net up
            assert reason == "diverged" and t.divergence["epoch"] < 10, t.divergence
            continue
        assert reason == "max_epochs" and t.divergence is None
        w = net.get_weights()
        pred = numpy_forward(w, X)[:, 0]
        last = t.history.last
        # the read-outs are in the data's units: the loss of y_hat * std + mean against y
        assert last["train_loss"] == pytest.approx(0.5 * np.mean((pred[rows] - y[rows]) ** 2), rel=1e-9)
        assert last["train_metric"] == pytest.approx(r2(pred[rows], y[rows]), abs=1e-9)
        test = np.setdiff1d(np.arange(442), rows)
        assert last["test_metric"] == pytest.approx(r2(pred[test], y[test]), abs=1e-9)
        np.testing.assert_allclose(net.predict(net.prepare(X))[:, 0], pred, rtol=1e-12)
        assert last["train_metric"] > 0.55  # measured 0.60 to 0.65 over seeds


def test_fit_and_normalize_set_the_output_for_regression_only(diabetes):
    path, _, _ = diabetes
    ds = load_csv(str(path))
    g = Graph.chain([2, 4, 1], output_activation="sigmoid", loss="bce")
    assert g.nodes["output"].params["normalize"] == "none"  # the default: as before
    ch = fitting_changes(g, ds, True)
    assert ch["input"]["normalize"] == "standardize" and ch["output"]["normalize"] == "standardize"
    assert "normalize" not in fitting_changes(g, ds, None).get("output", {})
    g.set_params("output", normalize="standardize")
    ch = fitting_changes(g, make_dataset("iris"), True)
    assert ch["output"]["normalize"] == "none"  # classes are never standardized


def test_a_saved_model_predicts_numpy_times_std_plus_mean(diabetes, tmp_path, capsys, snippet_predict):
    """Trained by the CLI (--fit --normalize standardize), saved, read back:
    `predict` prints a plain NumPy forward pass times std plus mean."""
    path, X, y = diabetes
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    assert main(["new", "10-8-1", "-o", str(m)]) == 0
    assert main(["train", str(m), "--data", str(path), "--fit", "--normalize", "standardize",
                 "--lr", "0.03", "--epochs", "40", "--split", "0.8", "-o", str(t), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    raw = json.loads(t.read_text())
    out = next(n for n in raw["graph"]["nodes"] if n["type"] == "output")
    assert out["params"]["normalize"] == "standardize"
    rows = train_rows(442, 0.8, 0)
    assert raw["weights"]["output"]["mean"] == pytest.approx([y[rows].mean()], rel=1e-12)
    assert raw["weights"]["output"]["std"] == pytest.approx([y[rows].std()], rel=1e-12)
    expected = numpy_forward(raw["weights"], X, np.tanh)[:, 0]  # `new` makes tanh layers
    assert result["train_r2"] == pytest.approx(r2(expected[rows], y[rows]), abs=1e-9)
    assert result["train_r2"] > 0.5
    rows_csv = tmp_path / "rows.csv"
    rows_csv.write_text(",".join(COLUMNS) + "\n" + "".join(",".join(map(repr, r)) + "\n" for r in X[:20].tolist()))
    assert main(["predict", str(t), str(rows_csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(",output")
    got = np.array([float(line.rsplit(",", 1)[1]) for line in lines[1:]])
    np.testing.assert_allclose(got, expected[:20], rtol=1e-12)
    assert 25 < got.min() and got.max() < 346  # the data's units, not standardized ones
    # and so does the NumPy snippet of docs/model-format.md
    np.testing.assert_allclose(snippet_predict(raw, X)[:, 0], expected, rtol=1e-12)
    # info says so
    assert main(["info", str(t)]) == 0
    assert "Output: targets standardized with mean = [" in capsys.readouterr().out
    # explain: the prediction and the target in the data's units, the network's own beside them
    assert main(["explain", str(t), "--row", "2", "--json"]) == 0
    ex = json.loads(capsys.readouterr().out)
    assert ex["prediction"] == pytest.approx([expected[0]], rel=1e-12)
    assert ex["data_target"] == pytest.approx([y[0]]) and ex["loss"] == pytest.approx(0.5 * (expected[0] - y[0]) ** 2)
    mean, std = raw["weights"]["output"]["mean"][0], raw["weights"]["output"]["std"][0]
    assert ex["target"] == pytest.approx([(y[0] - mean) / std])
    assert ex["standardized_loss"] == pytest.approx(0.5 * ((expected[0] - y[0]) / std) ** 2)


def trained_doc(diabetes, epochs=30):
    path, X, y = diabetes
    g = design()
    net = Network(g)
    data = TrainData.from_dataset(load_csv(str(path)), net, 0.8, 0)
    Trainer(net, data, TrainConfig(lr=0.03, batch_size=10, max_epochs=epochs), seed=0).run_epochs(epochs)
    return ModelDocument(g, net.get_weights(), TrainConfig(lr=0.03, batch_size=10),
                         {"csv": str(path), "target": "target", "task": None, "drop_bad": False,
                          "split": 0.8, "seed": 0}, columns=list(COLUMNS))


def test_the_onnx_file_ends_in_mul_and_add_and_matches_onnxruntime(diabetes, tmp_path):
    path, X, y = diabetes
    doc = trained_doc(diabetes)
    m, f = tmp_path / "m.json", tmp_path / "m.onnx"
    save_model(m, doc)
    assert main(["export", str(m), "--format", "onnx", "-o", str(f)]) == 0
    model = onnx.load(str(f))
    ops = [n.op_type for n in model.graph.node]
    assert ops[-3:] == ["Mul", "Add", "Identity"], ops
    consts = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    mul, add = model.graph.node[-3], model.graph.node[-2]
    np.testing.assert_allclose(consts[mul.input[1]], doc.weights["output"]["std"], rtol=1e-7)
    np.testing.assert_allclose(consts[add.input[1]], doc.weights["output"]["mean"], rtol=1e-7)
    sess = ort.InferenceSession(str(f), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {"x": X.astype(np.float32)})
    expected = numpy_forward(doc.weights, X)
    np.testing.assert_allclose(got, expected, rtol=1e-6)  # float32 weights: 1e-6 of the value
    # read back: the Output node standardizes, with the same statistics and answers
    back = load_onnx(str(f))
    assert back.graph.nodes_of_type("output")[0].params["normalize"] == "standardize"
    out_id = back.graph.nodes_of_type("output")[0].id
    np.testing.assert_allclose(back.weights[out_id]["std"], doc.weights["output"]["std"], rtol=1e-7)
    net = Network(back.graph)
    net.set_weights(back.weights)
    np.testing.assert_allclose(net.predict(net.prepare(X)), expected, rtol=1e-6)


def test_the_torch_script_answers_in_the_data_units_and_trains_as_nnbuilder(diabetes, tmp_path, capsys):
    path, X, y = diabetes
    doc = trained_doc(diabetes)
    m = tmp_path / "m.json"
    save_model(m, doc)
    assert main(["export", str(m), "--format", "torch", "-o", str(tmp_path / "net.py")]) == 0
    module = load_script(tmp_path / "net.py")
    assert "Targets: training standardizes them" in " ".join(module.__doc__.split())
    model = module.Net()
    with torch.no_grad():
        got = model(torch.from_numpy(X)).numpy()
        own = model(torch.from_numpy(X), standardized=True).numpy()
    expected = numpy_forward(doc.weights, X)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    mean, std = doc.weights["output"]["mean"], doc.weights["output"]["std"]
    np.testing.assert_allclose(own, (expected - mean) / std, rtol=1e-6, atol=1e-6)
    # Full batches from the same weights, float64: the script takes nnbuilder's steps
    # on standardized targets and reports the loss in the data's units.
    doc.training = TrainConfig(lr=0.03, batch_size=1000)
    save_model(m, doc)
    assert main(["export", str(m), "--format", "torch", "-o", str(tmp_path / "net2.py")]) == 0
    module = load_script(tmp_path / "net2.py")
    theirs, ours = tmp_path / "theirs.json", tmp_path / "ours.json"
    capsys.readouterr()
    module.train(["--data", str(path), "--target", "target", "--val-split", "0.2", "--epochs", "3",
                  "--dtype", "float64", "-o", str(theirs)])
    assert "targets standardized with mean" in capsys.readouterr().out
    assert main(["train", str(m), "--data", str(path), "--split", "0.8", "--epochs", "3", "-o", str(ours)]) == 0
    a, b = load_model(ours), load_model(theirs)
    rows = np.sort(train_rows(442, 0.8, 0))
    assert b.weights["output"]["mean"] == pytest.approx([y[rows].mean()], rel=1e-12)
    assert b.weights["output"]["std"] == pytest.approx([y[rows].std()], rel=1e-12)
    for nid in a.weights:
        for key in a.weights[nid]:
            np.testing.assert_allclose(b.weights[nid][key], a.weights[nid][key], rtol=0, atol=1e-9,
                                       err_msg=f"{nid}.{key}")
    pred = numpy_forward(b.weights, X)[:, 0]
    assert b.metrics["train_loss"] == pytest.approx(0.5 * np.mean((pred[rows] - y[rows]) ** 2), rel=1e-9)
    assert b.metrics["train_r2"] == pytest.approx(r2(pred[rows], y[rows]), abs=1e-9)


#: A regression model file as nnbuilder wrote it before targets could be
#: standardized: no normalize on the Output node, no mean/std in its weights
#: (checked: the code before, commit ad9f206, writes back exactly this dict).
OLD_FILE = {
    "format": "nnbuilder-model", "version": 1,
    "graph": {"nodes": [
        {"id": "input", "name": "Input", "type": "input", "params": {"features": ["x1", "x2"], "normalize": "standardize"},
         "position": [0.0, 0.0]},
        {"id": "dense1", "name": "Dense 1", "type": "dense",
         "params": {"units": 2, "activation": "tanh", "alpha": None, "initializer": "glorot_uniform",
                    "init_value": 0.0, "bias": True}, "position": [220.0, 0.0]},
        {"id": "output", "name": "Output", "type": "output",
         "params": {"units": 1, "activation": "linear", "alpha": None, "initializer": "glorot_uniform",
                    "init_value": 0.0, "bias": True, "loss": "l2"}, "position": [440.0, 0.0]}],
        "edges": [{"source": "input", "target": "dense1"}, {"source": "dense1", "target": "output"}]},
    "weights": {"input": {"mean": [1.5, -2.0], "std": [0.5, 4.0]},
                "dense1": {"W": [[0.3, -0.7], [1.1, 0.2]], "b": [0.05, -0.1]},
                "output": {"W": [[2.0], [-3.0]], "b": [150.0]}},
    "training": None, "dataset": None, "seed": 0, "metrics": None, "labels": None, "columns": ["u", "v"]}


def test_a_file_written_before_loads_and_predicts_the_same(tmp_path):
    doc = model_from_dict(json.loads(json.dumps(OLD_FILE)))
    assert doc.graph.nodes["output"].params["normalize"] == "none"
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    X = np.array([[1.0, 2.0], [3.0, -4.0], [0.0, 0.0]])
    w = OLD_FILE["weights"]
    F = (X - np.array(w["input"]["mean"])) / np.array(w["input"]["std"])
    expected = np.tanh(F @ np.array(w["dense1"]["W"]) + w["dense1"]["b"]) @ np.array(w["output"]["W"]) + 150.0
    np.testing.assert_allclose(net.predict(net.prepare(X)), expected, rtol=1e-15)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(OLD_FILE))
    rows = tmp_path / "rows.csv"
    rows.write_text("u,v\n1,2\n3,-4\n0,0\n")
    # saved again: nothing about target statistics is added to its weights
    save_model(tmp_path / "again.json", load_model(path))
    again = json.loads((tmp_path / "again.json").read_text())
    assert set(again["weights"]["output"]) == {"W", "b"}
    assert again["weights"] == OLD_FILE["weights"]


def test_target_statistics_are_checked_when_read():
    bad = json.loads(json.dumps(OLD_FILE))
    bad["weights"]["output"].update(mean=[1.0], std=[2.0])  # but the Output does not standardize
    with pytest.raises(ModelFileError, match="only an Output node with normalize = standardize"):
        model_from_dict(bad)
    bad["graph"]["nodes"][2]["params"]["normalize"] = "standardize"
    doc = model_from_dict(bad)
    assert doc.weights["output"]["std"].tolist() == [2.0]
    del bad["weights"]["output"]["mean"], bad["weights"]["output"]["std"]
    with pytest.raises(ModelFileError, match="standardizes its targets, so its weights need their mean and std"):
        model_from_dict(bad)
    bad["weights"]["output"].update(mean=[1.0], std=[0.0])
    with pytest.raises(ModelFileError, match="std"):
        model_from_dict(bad)


def test_train_normalize_sets_the_output_for_regression_data(diabetes, tmp_path, capsys):
    """`--normalize` without `--fit`: the Input node, and the Output node too
    when the data is a regression; `none` takes both back."""
    path, _, _ = diabetes
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    save_model(m, ModelDocument(design(standardize_target=False)))
    for value in ("standardize", "none"):
        assert main(["train", str(m), "--data", str(path), "--normalize", value, "--epochs", "2",
                     "--lr", "0.001", "-o", str(t)]) == 0
        assert f"Output: normalize = {value}" in capsys.readouterr().err
        doc = load_model(t)
        assert {n.type: n.params["normalize"] for n in doc.graph.nodes_of_type("input") +
                doc.graph.nodes_of_type("output")} == {"input": value, "output": value}
        assert ("mean" in doc.weights["output"]) == (value == "standardize")
    # classification data: the Output is left alone
    iris = tmp_path / "iris.json"
    g = Graph.chain([4, 4, 3], output_activation="softmax", loss="cross_entropy")
    save_model(iris, ModelDocument(g))
    assert main(["train", str(iris), "--dataset", "iris", "--normalize", "standardize", "--epochs", "1",
                 "-o", str(t)]) == 0
    assert load_model(t).graph.nodes["output"].params["normalize"] == "none"


def test_a_standardizing_output_without_statistics_yet_saves_mean_0_std_1(tmp_path):
    """Weights of a run before the Output was switched to standardize: saved
    with the identity its network has until trained, and read back."""
    doc = model_from_dict(json.loads(json.dumps(OLD_FILE)))
    doc.graph.set_params("output", normalize="standardize")
    save_model(tmp_path / "m.json", doc)
    back = load_model(tmp_path / "m.json")
    assert back.weights["output"]["mean"].tolist() == [0.0] and back.weights["output"]["std"].tolist() == [1.0]
