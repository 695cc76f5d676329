"""The NumPy-only snippet in docs/model-format.md predicts exactly as nnbuilder does."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nnbuilder.core.functions.activations import ACTIVATIONS
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.files.modelfile import ModelDocument, model_to_dict
from nnbuilder.core.engine.network import Network

DOC = Path(__file__).resolve().parents[1] / "docs" / "model-format.md"


@pytest.fixture(scope="module")
def snippet_predict():
    text = DOC.read_text()
    section = text[text.index("## Predicting with NumPy alone"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code[:code.index("model = json.load")]  # keep the definitions, not the demo lines
    namespace = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["predict"]


def check(graph, snippet_predict, raw):
    net = Network(graph)
    net.init_params(np.random.default_rng(3))
    for alpha in net.slopes.values():  # prelu: learned slopes, one per unit, some negative
        alpha[:] = np.random.default_rng(4).uniform(-0.5, 1.0, alpha.shape)
    model = json.loads(json.dumps(model_to_dict(ModelDocument(graph, net.get_weights()))))
    expected = net.predict(net.prepare(raw))
    np.testing.assert_allclose(snippet_predict(model, raw), expected, rtol=1e-12, atol=1e-12)


def test_snippet_on_a_dag_with_features_add_concat_dropout(dag_graph, snippet_predict):
    check(dag_graph, snippet_predict, np.random.default_rng(0).normal(size=(20, 2)))


@pytest.mark.parametrize("act", [a for a in ACTIVATIONS if a != "softmax"])
def test_snippet_for_every_activation(act, snippet_predict):
    g = Graph.chain([3, 5, 2], activation=act, output_activation="linear", loss="l2",
                    features=["x1", "x3", "sin(x2)"])
    check(g, snippet_predict, np.random.default_rng(1).normal(size=(10, 3)))


def test_standardized_inputs_predict_alike_in_engine_cli_and_snippet(tmp_path, snippet_predict):
    """normalize = standardize: the training rows' mean and std are stored in the
    file, and the engine, `nnbuilder predict` and the snippet all apply them."""
    from nnbuilder.cli import main
    from nnbuilder.core.data.datasets import Dataset
    from nnbuilder.core.files.modelfile import load_model, save_model
    from nnbuilder.core.engine.traindata import TrainData
    from nnbuilder.core.engine.trainer import Trainer

    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 2)) * [30.0, 0.01] + [500.0, -2.0]  # far from zero mean, unit std
    y = (X[:, 0] - 500 > 0).astype(np.int64)
    g = Graph.chain([2, 4, 1])
    g.set_params("input", normalize="standardize")
    net = Network(g)
    data = TrainData.from_dataset(Dataset(X, y, "classification", n_classes=2), net, 0.5, 0)
    trainer = Trainer(net, data, seed=0)
    trainer.run_epochs(20)
    mean, std = net.input_mean, net.input_std
    assert np.allclose(data.X_train.mean(0), 0, atol=1e-12) and np.allclose(data.X_train.std(0), 1)
    assert abs(mean[0] - 500) < 10 and abs(std[1] - 0.01) < 0.002

    path = tmp_path / "std.json"
    save_model(str(path), ModelDocument(g, net.get_weights()))
    back = load_model(str(path))
    np.testing.assert_array_equal(back.weights["input"]["mean"], mean)
    raw = X[:7]
    expected = net.predict(net.prepare(raw))
    model = json.loads(path.read_text())
    np.testing.assert_allclose(snippet_predict(model, raw), expected, rtol=1e-12, atol=1e-12)
    inp = tmp_path / "in.csv"
    inp.write_text("x1,x2\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in raw))
    out = tmp_path / "out.csv"
    assert main(["predict", str(path), str(inp), "-o", str(out)]) == 0
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    np.testing.assert_allclose([float(r[2]) for r in rows], expected[:, 0], rtol=1e-12)
    # Without standardizing, the same weights predict something else.
    assert not np.allclose(net.predict(raw), expected)


def test_a_standardizing_model_without_its_statistics_is_refused(tmp_path):
    from nnbuilder.core.errors import ModelFileError
    from nnbuilder.core.files.modelfile import load_model

    g = Graph.chain([2, 1])
    g.set_params("input", normalize="standardize")
    net = Network(g)
    doc = model_to_dict(ModelDocument(g, net.get_weights()))
    for breakage, where in [(lambda w: w.pop("input"), "mean and std"),
                            (lambda w: w["input"]["std"].append(1.0), "std must have 2 entries"),
                            (lambda w: w["input"].__setitem__("std", [1.0, 0.0]), "above 0")]:
        d = json.loads(json.dumps(doc))
        breakage(d["weights"])
        p = tmp_path / "m.json"
        p.write_text(json.dumps(d))
        with pytest.raises(ModelFileError, match=where):
            load_model(str(p))


@pytest.fixture(scope="module")
def snippet_columns_by_name():
    text = DOC.read_text()
    section = text[text.index("## Predicting with NumPy alone"):]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[1]
    namespace = {"np": np}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["columns_by_name"]


def test_columns_picked_by_name_predict_alike_in_cli_and_snippet(tmp_path, snippet_predict,
                                                                 snippet_columns_by_name):
    """A model trained by the CLI on named columns; a CSV file with them
    reordered among others: `nnbuilder predict` and the documented NumPy code
    (pick by name, then predict) give the same numbers."""
    from nnbuilder.cli import main

    rng = np.random.default_rng(11)
    X = rng.normal(size=(80, 3))
    data = tmp_path / "train.csv"
    data.write_text("p,q,r,y\n" + "".join(f"{a},{b},{c},{a - b + 0.5 * c}\n" for a, b, c in X.tolist()))
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    assert main(["new", "3-5-1", "--loss", "l2", "--output-activation", "linear",
                 "--features", "x1,x3,sin(x2)", "-o", str(m)]) == 0
    assert main(["train", str(m), "--data", str(data), "--epochs", "5", "-o", str(t)]) == 0
    model = json.loads(t.read_text())
    assert model["columns"] == ["p", "q", "r"]
    rows = rng.normal(size=(9, 3))
    inp = tmp_path / "in.csv"
    inp.write_text("r,id,p,q\n" + "".join(f"{c},{i},{a},{b}\n" for i, (a, b, c) in enumerate(rows.tolist())))
    out = tmp_path / "out.csv"
    assert main(["predict", str(t), str(inp), "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "p,q,r,output"
    got = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    raw = snippet_columns_by_name(model, str(inp))
    np.testing.assert_array_equal(raw, rows)
    np.testing.assert_array_equal(got[:, :3], rows)
    np.testing.assert_allclose(got[:, 3], snippet_predict(model, raw)[:, 0], rtol=1e-12, atol=1e-12)
