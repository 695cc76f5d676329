"""The exported PyTorch script as someone takes a design elsewhere uses it:
exported before any training, trained from the command line on a CSV file,
with the task, the weights it starts from, the rows it reads and the rows it
leaves out all nnbuilder's. PyTorch runs the script; nnbuilder's CLI and CSV
reader are the other side; accuracies are recomputed here with NumPy."""
import importlib.util
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch  # noqa: F401 - the exported scripts run on it

from nnbuilder.cli import main
from nnbuilder.core.data.datasets import load_csv
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.network import Network
from nnbuilder.core.errors import DataError
from nnbuilder.core.files.exports import write_export
from nnbuilder.core.files.modelfile import ModelDocument, load_model, save_model
from nnbuilder.core.model.graph import Graph


def load_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def digits_csv(path, n=60, k=6, seed=0):
    """A label column first (the digits 0..9), then k pixel columns."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    X = rng.normal(0, 2, (10, k))[y] + rng.normal(0, 0.3, (n, k))  # a prototype per class
    with open(path, "w") as fh:
        fh.write("label," + ",".join(f"p{j + 1}" for j in range(k)) + "\n")
        for label, row in zip(y.tolist(), X.tolist()):
            fh.write(f"{label}," + ",".join(repr(v) for v in row) + "\n")
    return X, y


def test_a_ten_class_design_trains_from_the_command_line(tmp_path):
    """Untrained 6-8-10 (softmax): the script trains it with --target, its
    options, a held-out part (nnbuilder's split), and reports what it computes."""
    data, m, script, out = tmp_path / "digits.csv", tmp_path / "m.json", tmp_path / "net.py", tmp_path / "out.json"
    X, y = digits_csv(data)
    assert main(["new", "6-8-10", "--activation", "relu", "-o", str(m)]) == 0
    assert main(["export", str(m), "--format", "torch", "-o", str(script)]) == 0
    done = subprocess.run([sys.executable, str(script), "train", "--data", str(data), "--target", "label",
                           "--epochs", "5", "--lr", "0.05", "--batch-size", "8", "--val-split", "0.25",
                           "-o", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "training on 45 rows (15 held out)" in done.stdout and "float32" in done.stdout
    result = load_model(out)
    assert result.columns == [f"p{j + 1}" for j in range(6)] and result.labels is None
    assert result.dataset["target"] == "label" and result.dataset["split"] == 0.75
    assert result.training.lr == 0.05 and result.training.batch_size == 8
    # the held-out rows are the ones nnbuilder's split of seed 0 tests on
    perm = np.random.default_rng(0).permutation(60)
    train_rows, test_rows = np.sort(perm[:45]), np.sort(perm[45:])
    net = Network(result.graph)
    net.set_weights(result.weights)
    a = net.predict(net.prepare(X))
    for part, rows in (("train", train_rows), ("test", test_rows)):
        accuracy = float(np.mean(a[rows].argmax(axis=1) == y[rows]))
        assert result.metrics[f"{part}_accuracy"] == pytest.approx(accuracy, abs=1e-12)
        # cross-entropy of the float32 network, recomputed in float64 here
        loss = float(np.mean(-np.log(a[rows][np.arange(len(rows)), y[rows]])))
        assert result.metrics[f"{part}_loss"] == pytest.approx(loss, rel=1e-4)
    assert result.metrics["train_accuracy"] > 0.3  # it learnt (10 classes: chance is 0.1)
    # exported again, it trains on with the column it learnt (the first, not the last) by default
    assert main(["export", str(out), "--format", "torch", "-o", str(tmp_path / "again.py")]) == 0
    load_script(tmp_path / "again.py").train(["--data", str(data), "--epochs", "1", "-o", str(tmp_path / "2.json")])
    assert load_model(tmp_path / "2.json").dataset["target"] == "label"


def classifier_metrics_doc(g: Graph, metrics: dict, labels=None) -> ModelDocument:
    net = Network(g)
    net.init_params(np.random.default_rng(1))
    return ModelDocument(g, net.get_weights(), TrainConfig(), metrics=metrics, labels=labels)


TASKS = {
    # what the window saves: train_metric, never "accuracy"
    "bce": (Graph.chain([2, 3, 1], output_activation="sigmoid", loss="bce"), None, "classification"),
    "softmax": (Graph.chain([2, 3, 10], output_activation="softmax", loss="cross_entropy"), None,
                "classification"),
    "l2 with class names": (Graph.chain([2, 3, 1], output_activation="sigmoid", loss="l2"), ["no", "yes"],
                            "classification"),
    "l2 regression": (Graph.chain([2, 3, 1], output_activation="linear", loss="l2"), None, "regression"),
}


@pytest.mark.parametrize("case", TASKS)
def test_the_task_is_the_models_never_its_metric_names(tmp_path, case):
    g, labels, task = TASKS[case]
    # a misleading metric name each way: the model decides
    metrics = {"train_loss": 0.2, "train_metric": 0.9} if task == "classification" else \
        {"train_loss": 0.2, "train_accuracy": 0.9}
    doc = classifier_metrics_doc(g, metrics, labels)
    write_export(doc, "torch", tmp_path / "net.py")
    write_export(doc, "onnx", tmp_path / "net.onnx")
    assert load_script(tmp_path / "net.py").TASK == task
    outputs = [o.name for o in onnx.load(str(tmp_path / "net.onnx")).graph.output]
    assert outputs == (["y", "label"] if task == "classification" else ["y"])


def sign_csv(path, n=40, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, 2))
    with open(path, "w") as fh:
        fh.write("a,b,sign\n")
        for a, b in X.tolist():
            fh.write(f"{a!r},{b!r},{'same' if a * b > 0 else 'differ'}\n")


def test_an_untrained_export_holds_the_weights_train_starts_from(tmp_path, capsys):
    """The weights `nnbuilder train` starts from (its Trainer, as the CLI
    builds it): the script's Net() and the ONNX file hold exactly those."""
    from nnbuilder.core.engine.traindata import TrainData
    from nnbuilder.core.engine.trainer import Trainer

    data = tmp_path / "d.csv"
    sign_csv(data)
    g = Graph.chain([2, 5, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    g.set_params(g.nodes_of_type("dense")[0].id, initializer="he_normal")
    m = tmp_path / "m.json"
    save_model(m, ModelDocument(g, seed=7))
    net = Network(g)
    Trainer(net, TrainData.from_dataset(load_csv(str(data), "sign"), net, 0.5, 7), TrainConfig(), seed=7)
    begin = net.get_weights()
    for fmt in ("torch", "onnx"):
        assert main(["export", str(m), "--format", fmt, "-o", str(tmp_path / f"net.{'py' if fmt == 'torch' else fmt}")]) == 0
    module = load_script(tmp_path / "net.py")
    header = " ".join(module.__doc__.split())
    assert module.TRAINED is False and "UNTRAINED" in header and "seed 7 (glorot_uniform, he_normal" in header
    got = module.Net().weights()
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(str(tmp_path / "net.onnx")).graph.initializer}
    assert set(got) == set(begin)
    for nid, wb in begin.items():
        np.testing.assert_array_equal(np.array(got[nid]["W"]), wb["W"])
        np.testing.assert_array_equal(np.array(got[nid]["b"]), wb["b"])
        (name,) = [k for k in stored if k.startswith(f"{nid}_W")]
        np.testing.assert_array_equal(stored[name], wb["W"].astype(np.float32))
    # another seed, other weights: the seed is the model's
    save_model(m, ModelDocument(g, seed=8))
    assert main(["export", str(m), "--format", "torch", "-o", str(tmp_path / "other.py")]) == 0
    other = load_script(tmp_path / "other.py").Net().weights()
    assert not np.array_equal(np.array(other["output"]["W"]), begin["output"]["W"])


BAD = (
    "a,b,sign\n"                 # line 1
    "0.5,1.0,same\n"             # 2
    "\n"                         # 3: blank, no row
    "-0.3,0.2,differ\n"          # 4
    "1.5,,differ\n"              # 5: b empty (the first bad cell)
    ",,\n"                       # 6: empty cells only, no row
    "x,1,same\n"                 # 7: a not a number
    "0.1,0.9,\n"                 # 8: no class
    "0.7,inf,same\n"             # 9: b not finite
)


def bad_file(path, quoted: bool):
    rows = BAD
    if quoted:  # a line break inside quotes: lines and rows part ways after it
        rows = rows.replace("-0.3,0.2,differ", '-0.3,"0.2\n",differ')
    rng = np.random.default_rng(5)
    good = "".join(f"{a!r},{b!r},{'same' if a * b > 0 else 'differ'}\n"
                   for a, b in rng.normal(0, 1, (30, 2)).tolist())
    path.write_text(rows + good)


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted-line-break"])
def test_bad_rows_are_numbered_and_left_out_as_nnbuilder_does(tmp_path, capsys, quoted):
    data = tmp_path / "bad.csv"
    bad_file(data, quoted)
    g = Graph.chain([2, 4, 1], output_activation="sigmoid", loss="bce")
    net = Network(g)
    net.init_params(np.random.default_rng(2))
    doc = ModelDocument(g, net.get_weights(), TrainConfig(lr=0.2, batch_size=100), labels=["differ", "same"],
                        columns=["a", "b"])
    m = tmp_path / "m.json"
    save_model(m, doc)
    assert main(["export", str(m), "--format", "torch", "-o", str(tmp_path / "net.py")]) == 0
    module = load_script(tmp_path / "net.py")
    # without drop_bad: the first bad cell, as nnbuilder's reader names it
    with pytest.raises(DataError) as ours:
        load_csv(str(data), "sign", features=["a", "b"])
    with pytest.raises(SystemExit) as theirs:
        module.train(["--data", str(data), "--target", "sign", "-o", str(tmp_path / "never.json")])
    where = str(ours.value).split(": ", 1)[1]
    assert where.startswith("row 6, column 'b': is empty" if quoted else "row 5, column 'b': is empty")
    assert where in str(theirs.value)
    # drop_bad: the model's (nnbuilder train --drop-bad wrote it), the rows nnbuilder keeps
    kept = load_csv(str(data), "sign", features=["a", "b"], drop_bad=True)
    nb = tmp_path / "nb.json"
    assert main(["train", str(m), "--data", str(data), "--target", "sign", "--drop-bad", "--split", "1",
                 "--epochs", "3", "-o", str(nb)]) == 0
    doc.dataset = dict(load_model(nb).dataset)
    assert doc.dataset["drop_bad"] is True
    save_model(m, doc)
    assert main(["export", str(m), "--format", "torch", "-o", str(tmp_path / "net2.py")]) == 0
    module = load_script(tmp_path / "net2.py")
    capsys.readouterr()
    for parser in ("pandas", "numpy"):
        if parser == "numpy":
            module._pd = None  # no pandas where the script runs: numpy.loadtxt reads the blocks
        out = tmp_path / f"script-{parser}.json"
        module.train(["--data", str(data), "--target", "sign", "--epochs", "3", "--dtype", "float64",
                      "-o", str(out)])
        err = capsys.readouterr().err
        assert f"left out 4 rows of {len(kept) + 4} with a missing or non-numeric cell (the first: {where})" \
            in err, err
        a, b = load_model(nb).weights, load_model(out).weights
        for nid in a:  # full batches: the same rows give the same steps
            np.testing.assert_allclose(b[nid]["W"], a[nid]["W"], rtol=0, atol=1e-12)
            np.testing.assert_allclose(b[nid]["b"], a[nid]["b"], rtol=0, atol=1e-12)


def test_the_script_streams_its_rows_into_one_float32_array(tmp_path):
    """Where the rows live: one NumPy array of the network's columns, float32
    by default, float64 with --dtype float64; no list of rows."""
    data = tmp_path / "digits.csv"
    X, y = digits_csv(data, n=50, k=4)
    m = tmp_path / "m.json"
    assert main(["new", "4-3-10", "-o", str(m)]) == 0
    assert main(["export", str(m), "--format", "torch", "-o", str(tmp_path / "net.py")]) == 0
    module = load_script(tmp_path / "net.py")
    module.BLOCK_ROWS = 7  # several blocks, the last one short
    for dtype in (np.float32, np.float64):
        d = module.Data(module.Source(str(data)), "label", dtype, False)
        assert isinstance(d.X, np.ndarray) and d.X.dtype == dtype and d.X.shape == (50, 4)
        np.testing.assert_array_equal(d.X, X.astype(dtype))
        np.testing.assert_array_equal(d.y, y)


def test_a_regression_reports_the_r2_numpy_computes(tmp_path):
    """An untrained regression design: the script's R^2 on the training and
    the held-out rows is 1 - SS_res / SS_tot of the weights it wrote."""
    rng = np.random.default_rng(9)
    X = rng.uniform(-2, 2, (50, 2))
    y = 2 * X[:, 0] - X[:, 1] + rng.normal(0, 0.1, 50)
    data = tmp_path / "r.csv"
    data.write_text("u,v,target\n" + "".join(f"{a!r},{b!r},{t!r}\n" for (a, b), t in zip(X.tolist(), y.tolist())))
    g = Graph.chain([2, 4, 1], activation="tanh", output_activation="linear", loss="l2")
    m, out = tmp_path / "m.json", tmp_path / "out.json"
    save_model(m, ModelDocument(g, training=TrainConfig(lr=0.05, batch_size=10)))
    assert main(["export", str(m), "--format", "torch", "-o", str(tmp_path / "net.py")]) == 0
    module = load_script(tmp_path / "net.py")
    assert module.TASK == "regression"
    module.train(["--data", str(data), "--target", "target", "--epochs", "30", "--val-split", "0.2",
                  "--dtype", "float64", "-o", str(out)])
    result = load_model(out)
    net = Network(result.graph)
    net.set_weights(result.weights)
    a = net.predict(net.prepare(X))[:, 0]
    perm = np.random.default_rng(0).permutation(50)
    for part, rows in (("train", np.sort(perm[:40])), ("test", np.sort(perm[40:]))):
        r2 = 1 - np.sum((y[rows] - a[rows]) ** 2) / np.sum((y[rows] - y[rows].mean()) ** 2)
        assert result.metrics[f"{part}_r2"] == pytest.approx(r2, abs=1e-9)
        assert result.metrics[f"{part}_loss"] == pytest.approx(0.5 * np.mean((a[rows] - y[rows]) ** 2), abs=1e-12)
    assert result.metrics["train_r2"] > 0.8
    # a text cell in a regression target: nnbuilder's words
    data.write_text("u,v,target\n1,2,3\n2,1,high\n")
    with pytest.raises(SystemExit, match=r"row 3, column 'target': 'high' is not a finite number "
                                         r"\(a regression target must be numeric\)"):
        module.train(["--data", str(data), "--target", "target", "-o", str(tmp_path / "never.json")])


def test_an_untrained_standardizing_design_gets_its_statistics_from_the_training_rows(tmp_path, capsys):
    """A design exported before training has no input statistics: the script
    computes the mean and std of the rows it trains on (nnbuilder's split,
    its population std), says so, and takes nnbuilder's own steps from there."""
    rng = np.random.default_rng(11)
    X = rng.normal(0, 1, (120, 3)) * [100.0, 0.01, 5.0] + [1000.0, 0.0, -3.0]
    y = (X[:, 0] - 1000 + 500 * X[:, 1] > 0).astype(int)
    data = tmp_path / "scaled.csv"
    with open(data, "w") as fh:
        fh.write("a,b,c,label\n")
        for row, t in zip(X.tolist(), y.tolist()):
            fh.write(",".join(map(repr, row)) + f",{t}\n")
    g = Graph.chain([3, 4, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    g.set_params("input", normalize="standardize")
    m, ours, theirs = tmp_path / "m.json", tmp_path / "ours.json", tmp_path / "theirs.json"
    save_model(m, ModelDocument(g, training=TrainConfig(lr=0.1, batch_size=1000), seed=4))
    assert main(["export", str(m), "--format", "torch", "-o", str(tmp_path / "net.py")]) == 0
    module = load_script(tmp_path / "net.py")
    header = " ".join(module.__doc__.split())
    assert "computes them from the rows it trains on" in header, header
    capsys.readouterr()
    module.train(["--data", str(data), "--target", "label", "--val-split", "0.25", "--epochs", "3",
                  "--dtype", "float64", "-o", str(theirs)])
    said = capsys.readouterr().out
    assert "standardized with the mean and std of the 90 training rows, computed here" in said, said
    assert main(["train", str(m), "--data", str(data), "--target", "label", "--split", "0.75",
                 "--epochs", "3", "-o", str(ours)]) == 0
    a, b = load_model(ours).weights, load_model(theirs).weights
    # the statistics, from NumPy: nnbuilder's split (a permutation of seed 4, 90 training rows)
    train_rows = np.sort(np.random.default_rng(4).permutation(120)[:90])
    np.testing.assert_allclose(b["input"]["mean"], X[train_rows].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(b["input"]["std"], X[train_rows].std(axis=0), rtol=1e-12)
    for nid in a:  # full batches from the same start: nnbuilder's steps
        for key in a[nid]:
            np.testing.assert_allclose(b[nid][key], a[nid][key], rtol=0, atol=1e-12, err_msg=f"{nid}.{key}")
    assert np.abs(a["output"]["W"] - module.Net().weights()["output"]["W"]).max() > 1e-3  # it trained


def test_the_script_is_the_template_among_the_apps_files_filled_in(tmp_path, monkeypatch):
    """The template is read through resource() like every file of the app
    (resources/, all of which a wheel carries: test_install exports from an
    installed wheel): another folder's template makes another script."""
    from nnbuilder.core import resources
    from nnbuilder.core.files.export_torch import script_template, torch_script

    text = resources.resource("templates", "torch_script.py.in").read_text(encoding="utf-8")
    assert script_template() == text and text.startswith("#!/usr/bin/env python3\n")
    doc = ModelDocument(Graph.chain([2, 3, 1]))
    assert torch_script(doc, "circle").startswith('#!/usr/bin/env python3\n"""circle: an nnbuilder network')
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "torch_script.py.in").write_text("# @NAME@: @K@ columns -> @UNITS@, @UNKNOWN@\n")
    monkeypatch.setattr(resources, "resource_root", lambda: tmp_path)
    assert torch_script(doc, "circle") == "# circle: 2 columns -> 1, @UNKNOWN@\n"
