"""Export (ONNX, PyTorch script) and ONNX import, checked against independent
implementations: onnxruntime runs the ONNX graph, PyTorch runs the script and
torch.onnx.export writes graphs to import; `nnbuilder predict` is the engine's
side. Every activation and every node type goes through each exporter."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from nnbuilder.cli import main
from nnbuilder.core.functions.activations import ACTIVATIONS
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.files.modelfile import ModelDocument, load_model, save_model
from nnbuilder.core.engine.network import Network
from nnbuilder.core.model.nodetypes import NODE_SPECS
from nnbuilder.core.engine.config import TrainConfig

HIDDEN = [a for a in ACTIVATIONS if not ACTIVATIONS[a].output_only]
ALPHA = {"leaky_relu": 0.2, "elu": 0.7}


def zoo(act: str, out_act: str | None = None, rate: float = 0.0) -> Graph:
    """Every node type and every input feature, with ``act`` wherever an
    activation goes: Input (standardized) -> Dense -> Dropout -> Dense;
    Add(Dense 1, Dense 2) -> Activation; Concat(Activation, Dense 1) -> Output."""
    g = Graph()
    alpha = {"alpha": ALPHA[act]} if act in ALPHA else {}
    g.add_node("input", {"features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)", "x3"],
                         "normalize": "standardize"}, node_id="in")
    g.add_node("dense", {"units": 4, "activation": act, **alpha}, node_id="d1")
    g.add_node("dropout", {"rate": rate}, node_id="drop")
    g.add_node("dense", {"units": 4, "activation": act, "bias": False, **alpha}, node_id="d2")
    g.add_node("add", node_id="sum")
    # prelu learns its slopes on the layers; an Activation node has no parameters to learn them in
    g.add_node("activation", {"activation": "tanh" if ACTIVATIONS[act].learned else act, **alpha},
               node_id="act")
    g.add_node("concat", node_id="cat")
    out_act = out_act or act
    loss = "cross_entropy" if out_act == "softmax" else "l2"
    g.add_node("output", {"units": 3, "activation": out_act, "loss": loss,
                          **({"alpha": ALPHA[out_act]} if out_act in ALPHA else {})}, node_id="out")
    for s, t in [("in", "d1"), ("d1", "drop"), ("drop", "d2"), ("d1", "sum"), ("d2", "sum"),
                 ("sum", "act"), ("act", "cat"), ("d1", "cat"), ("cat", "out")]:
        g.connect(s, t)
    assert {n.type for n in g.nodes.values()} == set(NODE_SPECS)
    return g


def trained(g: Graph, seed: int = 0, **training) -> ModelDocument:
    rng = np.random.default_rng(seed)
    net = Network(g)
    net.init_params(rng)
    net.theta[...] += rng.normal(0, 0.3, net.theta.shape)  # biases away from 0 too
    if net.standardize:
        net.set_input_stats(rng.normal(0, 0.5, len(net.features)), rng.uniform(0.5, 2, len(net.features)))
    return ModelDocument(g, net.get_weights(), TrainConfig(**training) if training else None)


def raw_rows(n=64, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1.5, (n, 3))


def predict_cli(tmp_path, capsys, model, X) -> np.ndarray:
    """`nnbuilder predict` on the rows X: the outputs it prints."""
    inp, out = tmp_path / "rows.csv", tmp_path / "pred.csv"
    header = ",".join(f"x{j + 1}" for j in range(X.shape[1]))
    np.savetxt(inp, X, delimiter=",", header=header, comments="", fmt="%.17g")
    assert main(["predict", str(model), str(inp), "-o", str(out)]) == 0, capsys.readouterr()
    with open(out) as fh:
        header = fh.readline().strip().split(",")
    table = np.genfromtxt(out, delimiter=",", skip_header=1, dtype=str)
    cols = [j for j, h in enumerate(header) if h.startswith("output")]
    return table[:, cols].astype(np.float64)


def export(tmp_path, capsys, doc, fmt, name="m") -> tuple:
    model, out = tmp_path / f"{name}.json", tmp_path / f"{name}.{'onnx' if fmt == 'onnx' else 'py'}"
    save_model(model, doc)
    assert main(["export", str(model), "--format", fmt, "-o", str(out)]) == 0, capsys.readouterr()
    return model, out


def load_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_onnx(path, X) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["y"], {"x": X.astype(np.float32)})[0]


CASES = [(a, None) for a in HIDDEN] + [("tanh", "softmax")]


@pytest.mark.parametrize("act,out_act", CASES)
def test_onnx_export_matches_predict(tmp_path, capsys, act, out_act):
    doc = trained(zoo(act, out_act, rate=0.4))
    model, path = export(tmp_path, capsys, doc, "onnx")
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version >= 17
    (x,), (y, *label) = proto.graph.input, proto.graph.output
    # a classifier (softmax and cross-entropy) also says its predicted class
    assert [o.name for o in label] == (["label"] if out_act == "softmax" else [])
    assert (x.name, x.type.tensor_type.elem_type) == ("x", onnx.TensorProto.FLOAT)
    assert [d.dim_value for d in x.type.tensor_type.shape.dim] == [0, 3]
    assert [d.dim_value for d in y.type.tensor_type.shape.dim] == [0, 3]
    X = raw_rows()
    expected = predict_cli(tmp_path, capsys, model, X)
    got = run_onnx(path, X)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    if act == "step":  # the comparison really decides: outputs take few distinct values
        assert len(np.unique(np.round(got, 5))) < got.size


@pytest.mark.parametrize("act,out_act", CASES)
def test_torch_export_matches_predict(tmp_path, capsys, act, out_act):
    doc = trained(zoo(act, out_act, rate=0.4))
    model, path = export(tmp_path, capsys, doc, "torch")
    text = path.read_text()
    imported = {line.split()[1].split(".")[0] for line in text.splitlines()
                if line.lstrip().startswith(("import ", "from "))}
    # PyTorch, NumPy, pandas when installed, the standard library: never nnbuilder
    assert imported - set(sys.stdlib_module_names) == {"numpy", "torch", "pandas"}, imported
    X = raw_rows()
    expected = predict_cli(tmp_path, capsys, model, X)
    net = load_script(path).Net().eval()
    assert isinstance(net, torch.nn.Module)
    with torch.no_grad():
        got = net(torch.tensor(X, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("act,out_act", CASES)
def test_onnx_round_trip_predicts_the_same(tmp_path, capsys, act, out_act):
    doc = trained(zoo(act, out_act))
    model, path = export(tmp_path, capsys, doc, "onnx")
    back = tmp_path / "back.json"
    assert main(["import", str(path), "-o", str(back)]) == 0, capsys.readouterr()
    g2 = load_model(back).graph
    kinds = sorted(n.type for n in g2.nodes.values())
    # Dropout is an Identity in ONNX, and so is a linear Activation node
    gone = {"dropout"} | ({"activation"} if act == "linear" else set())
    assert kinds == sorted(n.type for n in doc.graph.nodes.values() if n.type not in gone)
    inp = g2.nodes_of_type("input")[0].params
    assert inp == doc.graph.nodes["in"].params  # features and standardization came back
    X = raw_rows()
    original = predict_cli(tmp_path, capsys, model, X)
    again = predict_cli(tmp_path, capsys, back, X)
    # the ONNX file holds float32 weights, so the copy agrees to float32 precision
    np.testing.assert_allclose(again, original, rtol=0, atol=1e-5)
    np.testing.assert_allclose(again, run_onnx(path, X), rtol=0, atol=1e-5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter (dynamo=False)
def test_imports_what_torch_onnx_export_writes(tmp_path, capsys):
    torch.manual_seed(0)
    seq = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.LeakyReLU(0.1), torch.nn.Linear(6, 5, bias=False),
        torch.nn.ELU(0.5), torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4),
        torch.nn.ReLU(), torch.nn.Linear(4, 4), torch.nn.Softplus(), torch.nn.Linear(4, 3),
        torch.nn.Softmax(dim=1)).eval()
    path, back = tmp_path / "seq.onnx", tmp_path / "seq.json"
    torch.onnx.export(seq, (torch.zeros(2, 3),), str(path), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, dynamo=False)
    assert main(["import", str(path), "-o", str(back)]) == 0, capsys.readouterr()
    doc = load_model(back)
    out = doc.graph.nodes_of_type("output")[0].params
    assert (out["activation"], out["loss"], out["units"]) == ("softmax", "cross_entropy", 3)
    acts = [n.params["activation"] for n in doc.graph.nodes.values() if n.type == "dense"]
    assert acts == ["leaky_relu", "elu", "tanh", "relu", "softplus"]
    X = raw_rows()
    with torch.no_grad():
        expected = seq(torch.tensor(X, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(predict_cli(tmp_path, capsys, back, X), expected, rtol=0, atol=1e-5)


def test_import_refuses_unsupported_ops_by_name(tmp_path, capsys):
    from onnx import TensorProto, helper, numpy_helper

    W = numpy_helper.from_array(np.ones((2, 3), np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"], name="layer"),
         helper.make_node("Exp", ["h"], ["y"], name="grow")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], [W])
    path = tmp_path / "exp.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    out = tmp_path / "never.json"
    assert main(["import", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'grow' (Exp)" in err[0] and "not supported" in err[0], err
    assert not out.exists()
    (tmp_path / "junk.onnx").write_bytes(b"not a protobuf at all \xff\xfe")
    assert main(["import", str(tmp_path / "junk.onnx"), "-o", str(out)]) == 2
    assert "not an ONNX model" in capsys.readouterr().err


def test_export_refuses_a_network_that_is_not_valid(tmp_path):
    """Untrained exports are written (tests/test_export_torch.py); a broken
    network is refused with a message, leaving no file."""
    from nnbuilder.core.errors import NNBuilderError
    from nnbuilder.core.files.exports import write_export

    g = Graph.chain([2, 3, 1])
    out = g.nodes_of_type("output")[0].id
    g.disconnect(g.inputs_of(out)[0], out)
    for fmt in ("onnx", "torch"):
        path = tmp_path / f"out.{fmt}"
        with pytest.raises(NNBuilderError, match="not valid"):
            write_export(ModelDocument(g), fmt, path)
        assert not path.exists()


def classification_csv(path, n=40, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, 2))
    label = np.where(X[:, 0] * X[:, 1] > 0, "same", "differ")
    with open(path, "w") as fh:
        fh.write("a,b,sign\n")
        for (a, b), c in zip(X, label):
            fh.write(f"{float(a)!r},{float(b)!r},{c}\n")


OPTIMIZERS = [dict(optimizer="sgd", lr=0.1), dict(optimizer="sgd", lr=0.05, momentum=0.9),
              dict(optimizer="sgd", lr=0.05, momentum=0.8, nesterov=True, l2=0.01),
              dict(optimizer="rmsprop", lr=0.01, rho=0.8, l1=0.01),
              dict(optimizer="adam", lr=0.02, beta1=0.8, beta2=0.99)]


def four_epochs_both_ways(tmp_path, capsys, g, settings):
    """``g`` trained with ``settings`` (full batches), exported as a torch
    script, then 4 epochs more on the same table by ``nnbuilder train`` and by
    the script (float64): (the document, nnbuilder's weights, the script's)."""
    data = tmp_path / "d.csv"
    classification_csv(data)
    doc = trained(g, **settings, batch_size=100)
    doc.labels = ["differ", "same"]
    model, script = export(tmp_path, capsys, doc, "torch")
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    assert main(["train", str(model), "--data", str(data), "--target", "sign", "--split", "1",
                 "--epochs", "4", "-o", str(ours)]) == 0
    load_script(script).train(["--data", str(data), "--target", "sign", "--epochs", "4",
                               "--dtype", "float64", "-o", str(theirs)])
    return doc, load_model(ours).weights, load_model(theirs).weights


@pytest.mark.parametrize("settings", OPTIMIZERS, ids=lambda s: "-".join(map(str, s.values())))
def test_script_training_takes_nnbuilders_steps(tmp_path, capsys, settings):
    """Full batches (no shuffling, no dropout): the script's epochs are the
    engine's steps, for each optimizer with the model file's settings."""
    g = Graph.chain([2, 5, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    g.set_params("input", normalize="standardize")
    doc, a, b = four_epochs_both_ways(tmp_path, capsys, g, settings)
    # torch's Adam adds eps to sqrt(v_hat), nnbuilder's to sqrt(v): 1e-8-sized differences
    tol = 1e-6 if settings["optimizer"] == "adam" else 1e-12
    for nid in a:
        for key in a[nid]:
            if a[nid][key] is None:
                assert b[nid][key] is None
                continue
            np.testing.assert_allclose(b[nid][key], a[nid][key], rtol=0, atol=tol, err_msg=f"{nid}.{key}")
    assert np.abs(a["output"]["W"] - doc.weights["output"]["W"]).max() > 1e-3  # it did train


def test_torchrun_two_processes_trains_what_one_does(tmp_path, capsys):
    """2-process DDP (gloo) on the exported script: each process takes half of
    every batch, so the steps are one process's; the result loads and predicts."""
    data = tmp_path / "d.csv"
    classification_csv(data)
    g = zoo("tanh", "sigmoid")
    g.set_params("out", units=1, loss="bce")
    g.set_params("in", features=["x1", "x2", "x1*x2"])
    doc = trained(g, optimizer="sgd", lr=0.1, momentum=0.5, batch_size=10)
    doc.labels = ["differ", "same"]
    _, script = export(tmp_path, capsys, doc, "torch")
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    load_script(script).train(["--data", str(data), "--target", "sign", "--epochs", "3",
                               "--dtype", "float64", "-o", str(one)])
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(script), "train", "--data", str(data), "--target", "sign", "--epochs", "3",
         "--dtype", "float64", "-o", str(two)],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 process(es)" in done.stdout and f"wrote {two}" in done.stdout
    a, b = load_model(one), load_model(two)
    assert b.metrics["processes"] == 2 and b.labels == ["differ", "same"] and b.columns == ["a", "b"]
    for nid in a.weights:
        for key, value in a.weights[nid].items():
            if value is None:  # a layer without bias
                assert b.weights[nid][key] is None
                continue
            np.testing.assert_allclose(b.weights[nid][key], value, rtol=0, atol=1e-9)
    net = Network(b.graph)
    net.set_weights(b.weights)
    rows = np.loadtxt(data, delimiter=",", skiprows=1, usecols=(0, 1))
    p = net.predict(net.prepare(rows))
    assert p.shape == (40, 1) and np.all((p > 0) & (p < 1))
    assert b.dataset["csv"] == str(data) and b.training.batch_size == 10


def test_round_trip_of_a_dag_whose_input_feeds_two_layers(tmp_path, capsys, dag_graph):
    doc = trained(dag_graph)
    model, path = export(tmp_path, capsys, doc, "onnx")
    back = tmp_path / "back.json"
    assert main(["import", str(path), "-o", str(back)]) == 0, capsys.readouterr()
    g2 = load_model(back).graph
    (inp,) = g2.nodes_of_type("input")
    assert len(g2.outputs_of(inp.id)) == 2
    X = raw_rows()[:, :2]
    ours = [predict_cli(tmp_path, capsys, m, X) for m in (model, back)]
    np.testing.assert_allclose(ours[1], ours[0], rtol=0, atol=1e-5)
    np.testing.assert_allclose(run_onnx(path, X), ours[0], rtol=0, atol=1e-5)



def test_script_training_refuses_bad_data_with_one_line(tmp_path, capsys):
    g = Graph.chain([2, 3, 1], output_activation="sigmoid", loss="bce")
    doc = trained(g)
    doc.labels = ["differ", "same"]
    _, script = export(tmp_path, capsys, doc, "torch")
    module = load_script(script)
    cases = {"missing.csv": None, "text.csv": "a,b,sign\n1,x,same\n2,3,differ\n",
             "class.csv": "a,b,sign\n1,2,same\n2,3,purple\n"}
    needles = {"missing.csv": "cannot read", "text.csv": "row 2, column 'b': 'x' is not a finite number",
               "class.csv": "class 'purple' is not one of the network's classes differ, same"}
    for name, text in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        with pytest.raises(SystemExit) as e:
            module.train(["--data", str(tmp_path / name), "-o", str(tmp_path / "never.json")])
        assert needles[name] in str(e.value)
    assert not (tmp_path / "never.json").exists()


def test_import_reads_matmul_of_transposed_weights_plus_bias(tmp_path, capsys):
    """Another exporter's way of writing a layer: MatMul(x, Transpose(W)) + b, then Relu."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(6)
    Wt, b = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    V = rng.normal(size=(4, 1)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Transpose", ["Wt"], ["W"], perm=[1, 0]),
         helper.make_node("MatMul", ["x", "W"], ["z"]), helper.make_node("Add", ["z", "b"], ["zb"]),
         helper.make_node("Relu", ["zb"], ["h"]), helper.make_node("MatMul", ["h", "V"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        [numpy_helper.from_array(a, n) for a, n in ((Wt, "Wt"), (b, "b"), (V, "V"))])
    path, back = tmp_path / "mm.onnx", tmp_path / "mm.json"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    assert main(["import", str(path), "-o", str(back)]) == 0, capsys.readouterr()
    out = load_model(back).graph.nodes_of_type("output")[0].params
    assert (out["activation"], out["loss"], out["bias"]) == ("linear", "l2", False)
    X = raw_rows()
    np.testing.assert_allclose(predict_cli(tmp_path, capsys, back, X), run_onnx(path, X), rtol=0, atol=1e-5)


def test_column_and_class_names_survive_the_round_trip(tmp_path, capsys):
    g = Graph.chain([2, 3, 1], output_activation="sigmoid", loss="bce")
    doc = trained(g)
    doc.columns, doc.labels = ["width, cm", "height"], ["no, never", "yes"]
    _, path = export(tmp_path, capsys, doc, "onnx")
    back = tmp_path / "back.json"
    assert main(["import", str(path), "-o", str(back)]) == 0, capsys.readouterr()
    again = load_model(back)
    assert (again.columns, again.labels) == (doc.columns, doc.labels)
    assert again.graph.nodes_of_type("output")[0].params["loss"] == "bce"


def test_script_trains_on_the_rows_a_model_file_carries(tmp_path, capsys):
    data = tmp_path / "d.csv"
    classification_csv(data)
    m, carried = tmp_path / "m.json", tmp_path / "carried.json"
    assert main(["new", "2-3-1", "-o", str(m)]) == 0
    assert main(["train", str(m), "--data", str(data), "--target", "sign", "--epochs", "2",
                 "--embed-data", "-o", str(carried)]) == 0
    data.unlink()  # the script needs no CSV file: the rows are in the model
    script = tmp_path / "net.py"
    assert main(["export", str(carried), "--format", "torch", "-o", str(script)]) == 0
    out = tmp_path / "out.json"
    load_script(script).train(["--epochs", "2", "-o", str(out)])
    assert "training on 40 rows" in capsys.readouterr().out
    result = load_model(out)
    assert len(result.dataset["rows"]) == 40 and result.dataset["split"] == 1.0
    assert result.labels == ["differ", "same"] and result.columns == ["a", "b"]
