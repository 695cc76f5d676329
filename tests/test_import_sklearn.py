"""`nnbuilder import` of what skl2onnx writes for scikit-learn's MLPClassifier
and MLPRegressor (zipmap on and off, a StandardScaler before them as a Scaler
or as Sub/Div), checked against scikit-learn's own predict_proba/predict; and
the importer fuzzed with mutated ONNX files: every outcome is a model or an
OnnxImportError with a one-line message, never another exception."""
import csv
import io
import warnings

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper
from skl2onnx import to_onnx
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nnbuilder.cli import main
from nnbuilder.core.engine.network import Network
from nnbuilder.core.files.import_onnx import OnnxImportError, from_onnx, load_onnx
from nnbuilder.core.files.modelfile import ModelDocument
from nnbuilder.gui.window.mainwindow import MainWindow

rng = np.random.default_rng(7)
X = rng.normal(size=(80, 3)).astype(np.float32) * [1.0, 3.0, 0.5] + [0.5, -2.0, 1.0]
X = X.astype(np.float32)
TEXT2 = np.where(X[:, 0] + 0.3 * X[:, 1] > 0, "malignant", "benign")
INT3 = (X[:, 0] > 0.5).astype(int) + (X[:, 2] > 1.0).astype(int) + 4  # classes 4, 5, 6
TEXT3 = np.array(["setosa", "versicolor", "virginica"])[INT3 - 4]
TARGET = (np.sin(X[:, 0]) + 0.1 * X[:, 1]).astype(np.float64)

#: name -> (estimator, its target, zipmap, the Scaler's "div" option or None for no scaler)
CASES = {
    "binary-text-relu-zipmap": (lambda: MLPClassifier(hidden_layer_sizes=(5,), activation="relu"), TEXT2, True, None),
    "binary-text-tanh-nozipmap": (lambda: MLPClassifier(hidden_layer_sizes=(4, 3), activation="tanh"), TEXT2, False, None),
    "binary-int-logistic": (lambda: MLPClassifier(hidden_layer_sizes=(4,), activation="logistic"),
                            (INT3 > 4).astype(int), True, None),
    "multi-int-logistic-zipmap": (lambda: MLPClassifier(hidden_layer_sizes=(6,), activation="logistic"), INT3, True, None),
    "multi-int-identity-nozipmap": (lambda: MLPClassifier(hidden_layer_sizes=(5,), activation="identity"), INT3, False, None),
    "multi-text-relu": (lambda: MLPClassifier(hidden_layer_sizes=(5,), activation="relu"), TEXT3, False, None),
    "scaler-binary-text-tanh": (lambda: MLPClassifier(hidden_layer_sizes=(5,), activation="tanh"), TEXT2, True, "std"),
    "scaler-multi-text-relu-subdiv": (lambda: MLPClassifier(hidden_layer_sizes=(5,), activation="relu"), TEXT3, False, "div"),
    "regressor-relu": (lambda: MLPRegressor(hidden_layer_sizes=(6,), activation="relu"), TARGET, None, None),
    "regressor-tanh": (lambda: MLPRegressor(hidden_layer_sizes=(4, 4), activation="tanh"), TARGET, None, None),
    "regressor-logistic": (lambda: MLPRegressor(hidden_layer_sizes=(5,), activation="logistic"), TARGET, None, None),
    "regressor-identity-scaler": (lambda: MLPRegressor(hidden_layer_sizes=(3,), activation="identity"), TARGET, None, "std"),
    "regressor-relu-subdiv": (lambda: MLPRegressor(hidden_layer_sizes=(5,), activation="relu"), TARGET, None, "div"),
}


def convert(est, target, zipmap, scaler):
    """The fitted estimator (a pipeline when ``scaler``) and its skl2onnx ModelProto."""
    options = {}
    if scaler is not None:
        sc = StandardScaler()
        options[id(sc)] = {"div": scaler}
        est_model = est
        est = make_pipeline(sc, est)
    else:
        est_model = est
    if zipmap is not None:
        options[id(est_model)] = {"zipmap": zipmap}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few iterations: ConvergenceWarning
        est.fit(X, target)
    return est, to_onnx(est, X[:1], options=options or None, target_opset=17)


@pytest.fixture(scope="module")
def fitted():
    """Each case fitted once: (estimator, ONNX model)."""
    out = {}
    for name, (make, target, zipmap, scaler) in CASES.items():
        est = make().set_params(max_iter=60, random_state=0)
        out[name] = convert(est, target, zipmap, scaler)
    return out


def engine_outputs(doc: ModelDocument, rows) -> np.ndarray:
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    return net.predict(net.prepare(np.asarray(rows, dtype=np.float64)))


def expected(est, rows) -> np.ndarray:
    """What scikit-learn says nnbuilder's Output node must give: the probabilities
    (of the second class alone for a binary classifier, whose Output is one
    sigmoid unit), or the predictions."""
    if hasattr(est, "predict_proba"):
        p = est.predict_proba(rows)
        return p[:, 1:] if p.shape[1] == 2 else p
    return est.predict(rows).reshape(len(rows), -1)


ROWS = np.random.default_rng(8).normal(size=(40, 3)).astype(np.float32) * [1.5, 3.0, 1.0] + [0.5, -2, 1]


# ------------------------------------------------------------- predictions
@pytest.mark.parametrize("name", list(CASES))
def test_imported_network_predicts_as_scikit_learn(fitted, name):
    est, model = fitted[name]
    doc = from_onnx(model)
    got = engine_outputs(doc, ROWS)
    np.testing.assert_allclose(got, expected(est, ROWS), rtol=0, atol=1e-5)
    if hasattr(est, "classes_"):
        assert doc.labels == [str(c) for c in est.classes_]
        classes = np.argmax(got, axis=1) if got.shape[1] > 1 else (got[:, 0] > 0.5).astype(int)
        assert [doc.labels[c] for c in classes] == [str(c) for c in est.predict(ROWS)]
    else:
        assert doc.labels is None
    assert [n.type for n in doc.graph.nodes.values()].count("input") == 1


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith(("binary", "multi"))])
def test_the_output_activation_and_loss_are_a_classifiers(fitted, name):
    est, model = fitted[name]
    out = from_onnx(model).graph.nodes_of_type("output")[0].params
    two = len(est.classes_) == 2
    assert (out["units"], out["activation"], out["loss"]) == \
        ((1, "sigmoid", "bce") if two else (len(est.classes_), "softmax", "cross_entropy"))
    hidden = [n.params["activation"] for n in from_onnx(model).graph.nodes_of_type("dense")]
    sk = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "linear"}[est.activation]
    assert hidden == [sk] * len(est.hidden_layer_sizes)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][3] is not None])
def test_a_standard_scaler_becomes_the_input_nodes_standardization(fitted, name):
    est, model = fitted[name]
    doc = from_onnx(model)
    inp = doc.graph.nodes_of_type("input")[0]
    assert inp.params["normalize"] == "standardize"
    scaler = est.steps[0][1]
    np.testing.assert_allclose(doc.weights[inp.id]["mean"], scaler.mean_, rtol=1e-6)
    np.testing.assert_allclose(doc.weights[inp.id]["std"], scaler.scale_, rtol=1e-6)
    ops = {n.op_type for n in model.graph.node}
    assert ("Scaler" in ops, "Div" in ops) == ((True, False) if CASES[name][3] == "std" else (False, True))


def test_zipmap_on_and_off_import_the_same_network(fitted):
    clf, _ = fitted["binary-text-relu-zipmap"]
    on = to_onnx(clf, X[:1], options={id(clf): {"zipmap": True}}, target_opset=17)
    off = to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}}, target_opset=17)
    assert {o.name for o in on.graph.output} != {o.name for o in off.graph.output}
    a, b = from_onnx(on), from_onnx(off)
    assert a.labels == b.labels == ["benign", "malignant"]
    np.testing.assert_array_equal(engine_outputs(a, ROWS), engine_outputs(b, ROWS))


def test_a_double_precision_pipeline_imports_exactly():
    """skl2onnx writes a float64 graph for float64 data (Sub/Div, no Scaler): nnbuilder computes in
    float64 too, so the imported network gives scikit-learn's numbers to rounding."""
    X64 = X.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(5,), activation="tanh",
                                                            max_iter=40, random_state=0)).fit(X64, TEXT3)
    model = to_onnx(est, X64[:1], target_opset=17)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    rows = ROWS.astype(np.float64)
    np.testing.assert_allclose(engine_outputs(from_onnx(model), rows), est.predict_proba(rows), rtol=0, atol=1e-12)


# ------------------------------------------------------------------- CLI
def write_rows(path, rows):
    path.write_text("a,b,c\n" + "".join(",".join(repr(float(v)) for v in r) + "\n" for r in rows))


@pytest.mark.parametrize("name", ["scaler-binary-text-tanh", "multi-text-relu", "regressor-relu-subdiv"])
def test_cli_import_then_predict_matches_scikit_learn(fitted, name, tmp_path, capsys):
    est, model = fitted[name]
    src, json_path, data = tmp_path / "m.onnx", tmp_path / "m.json", tmp_path / "rows.csv"
    onnx.save(model, str(src))
    assert main(["import", str(src), "-o", str(json_path)]) == 0, capsys.readouterr()
    write_rows(data, ROWS)
    capsys.readouterr()
    assert main(["predict", str(json_path), str(data), "--outputs-only"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    want = expected(est, ROWS)
    cols = ["output"] if want.shape[1] == 1 else [f"output{i + 1}" for i in range(want.shape[1])]
    got = np.array([[float(r[c]) for c in cols] for r in table])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    if hasattr(est, "classes_"):
        assert [r["label"] for r in table] == [str(c) for c in est.predict(ROWS)]


def test_a_multi_target_regressor_is_refused_in_one_line(tmp_path, capsys):
    """skl2onnx reshapes its (rows, 2) outputs to (2 x rows, 1): not a network's output."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = MLPRegressor(hidden_layer_sizes=(3,), max_iter=20, random_state=0).fit(X, X[:, :2])
    path = tmp_path / "two.onnx"
    onnx.save(to_onnx(reg, X[:1], target_opset=17), str(path))
    assert main(["import", str(path), "-o", str(tmp_path / "out.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "(Reshape)" in err and "[-1, 1]" in err
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("content", [b"", b"not onnx at all \x00\xff" * 10, None])
def test_cli_refuses_unreadable_files_with_exit_2_and_one_line(fitted, content, tmp_path, capsys):
    path = tmp_path / "bad.onnx"
    if content is None:  # the first half of a real file
        full = fitted["multi-text-relu"][1].SerializeToString()
        content = full[: len(full) // 2]
    path.write_bytes(content)
    assert main(["import", str(path), "-o", str(tmp_path / "out.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nnbuilder: ") and "Traceback" not in err
    if content == b"":
        assert "not an ONNX model (it holds no graph)" in err  # not "the graph has 0 inputs"


# ------------------------------------------------------------------ fuzz
def _outcome(data: bytes, tmp_path) -> str:
    """Import ``data``; "model" or "refused", failing on anything else."""
    path = tmp_path / "fuzz.onnx"
    path.write_bytes(data)
    try:
        doc = load_onnx(str(path))
    except OnnxImportError as e:
        msg = str(e)
        assert msg and "\n" not in msg and msg.startswith(str(path)), msg
        return "refused"
    assert isinstance(doc, ModelDocument)
    net = Network(doc.graph)
    net.set_weights(doc.weights)
    out = net.predict(net.prepare(np.zeros((2, len(net.features)))))
    assert out.shape == (2, net.n_outputs)
    return "model"


def _mutations(model: onnx.ModelProto, r: np.random.Generator):
    """Structural mutations of ``model`` (a copy each): dropped or renamed
    nodes, attributes of the wrong type, reshaped tensors, other input shapes."""
    def copy():
        m = onnx.ModelProto()
        m.CopyFrom(model)
        return m

    g = model.graph
    for i in range(len(g.node)):
        m = copy()
        del m.graph.node[i]
        yield m
        m = copy()
        node = m.graph.node[i]
        if node.input:
            node.input[int(r.integers(len(node.input)))] = "renamed"
        yield m
        m = copy()
        m.graph.node[i].output[0] = "renamed_out"
        yield m
        m = copy()
        m.graph.node[i].op_type = ["Relu", "Gemm", "Concat", "Scaler", "Reshape", "Sub"][int(r.integers(6))]
        yield m
        for j, a in enumerate(g.node[i].attribute):
            for wrong in (helper.make_attribute(a.name, "text"), helper.make_attribute(a.name, [1.5, 2.5]),
                          helper.make_attribute(a.name, 7), helper.make_attribute(a.name, 0.0)):
                m = copy()
                m.graph.node[i].attribute[j].CopyFrom(wrong)
                yield m
        m = copy()
        del m.graph.node[i].input[:]
        yield m
    for i, t in enumerate(g.initializer):
        a = numpy_helper.to_array(t)
        other = np.full((2, 7), "z", object) if a.dtype == object else np.zeros((2, 7), a.dtype)
        for new in (a.reshape(-1), a.reshape(-1)[: max(a.size - 1, 0)], other,
                    a.T if a.ndim == 2 else a, np.full(a.shape, np.nan, a.dtype) if a.dtype.kind == "f" else a):
            m = copy()
            m.graph.initializer[i].CopyFrom(numpy_helper.from_array(np.ascontiguousarray(new), t.name))
            yield m
        m = copy()
        m.graph.initializer[i].dims[:] = [d + 1 for d in t.dims] or [3]
        yield m
    for dims in ([], [5], [0, 3], [1, 2, 3], ["N", 4], ["N", 10**12]):
        m = copy()
        m.graph.input[0].CopyFrom(helper.make_tensor_value_info(g.input[0].name, 1, dims))
        yield m
    m = copy()
    del m.graph.output[:]
    yield m
    m = copy()
    m.graph.output.extend([helper.make_tensor_value_info("extra", 1, ["N", 2])])
    yield m


def gemm_network() -> onnx.ModelProto:
    """A standardized 3-4-2 network of Gemm layers, as nnbuilder's export and PyTorch's write them."""
    r = np.random.default_rng(3)
    consts = {"mean": r.normal(size=3), "std": r.uniform(0.5, 2, 3), "W1": r.normal(size=(4, 3)),
              "b1": r.normal(size=4), "W2": r.normal(size=(4, 2)), "b2": r.normal(size=2)}
    nodes = [helper.make_node("Sub", ["x", "mean"], ["c"]), helper.make_node("Div", ["c", "std"], ["s"]),
             helper.make_node("Gemm", ["s", "W1", "b1"], ["h"], transB=1, alpha=1.0),
             helper.make_node("LeakyRelu", ["h"], ["a"], alpha=0.1),
             helper.make_node("Gemm", ["a", "W2", "b2"], ["z"]), helper.make_node("Softmax", ["z"], ["y"], axis=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, ["N", 3])],
                              [helper.make_tensor_value_info("y", 1, ["N", 2])],
                              [numpy_helper.from_array(v.astype(np.float32), k) for k, v in consts.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("name", ["binary-text-relu-zipmap", "multi-int-identity-nozipmap",
                                  "scaler-multi-text-relu-subdiv", "regressor-identity-scaler", "gemm"])
def test_fuzzed_files_give_a_model_or_a_one_line_refusal(fitted, name, tmp_path):
    model = gemm_network() if name == "gemm" else fitted[name][1]
    r = np.random.default_rng(len(name))
    outcomes = [_outcome(m.SerializeToString(), tmp_path) for m in _mutations(model, r)]
    data = model.SerializeToString()
    for _ in range(150):  # random byte flips
        b = bytearray(data)
        for k in r.integers(len(b), size=int(r.integers(1, 4))):
            b[k] = int(r.integers(256))
        outcomes.append(_outcome(bytes(b), tmp_path))
    for cut in r.integers(len(data), size=40):  # truncations
        outcomes.append(_outcome(data[:cut], tmp_path))
    assert outcomes.count("refused") > 50 and outcomes.count("model") > 10, \
        (outcomes.count("refused"), outcomes.count("model"))


# ---------------------------------------------------------------- window
def test_window_imports_a_scikit_learn_pipeline_and_shows_a_dialog_for_a_bad_file(fitted, window, gui_env,
                                                                                 monkeypatch):
    est, model = fitted["scaler-binary-text-tanh"]
    good, bad = gui_env / "pipe.onnx", gui_env / "cut.onnx"
    onnx.save(model, str(good))
    bad.write_bytes(model.SerializeToString()[:300])
    monkeypatch.setattr(MainWindow, "_ask_onnx_path", lambda self: str(good))
    window.act_import_onnx.trigger()
    assert not window.errors, window.errors
    doc = window.document.to_model()
    assert doc.labels == ["benign", "malignant"]
    assert "classes benign, malignant" in window.statusBar().currentMessage()
    np.testing.assert_allclose(engine_outputs(doc, ROWS), expected(est, ROWS), rtol=0, atol=1e-5)

    before = set(window.document.graph.nodes)
    monkeypatch.setattr(MainWindow, "_ask_onnx_path", lambda self: str(bad))
    with window.expect_errors():
        window.act_import_onnx.trigger()
    title, text = window.errors[-1]
    assert title == "Cannot import ONNX model" and "cut.onnx" in text and "left as it was" in text
    assert set(window.document.graph.nodes) == before
