"""The ONNX file of a wide classifier: its input columns picked by one Gather,
and beside the probabilities a ``label`` output (the class name, or the
index) that onnxruntime computes as the argmax a user would take."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.network import Network
from nnbuilder.core.files.exports import write_export
from nnbuilder.core.files.modelfile import ModelDocument
from nnbuilder.core.model.graph import Graph


def exported(tmp_path, g: Graph, labels=None, seed=0):
    net = Network(g)
    rng = np.random.default_rng(seed)
    net.init_params(rng)
    net.theta[...] += rng.normal(0, 0.3, net.theta.shape)
    doc = ModelDocument(g, net.get_weights(), TrainConfig(), labels=labels)
    path = tmp_path / "net.onnx"
    write_export(doc, "onnx", path)
    return onnx.load(str(path)), path


def run(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": X.astype(np.float32)})


@pytest.mark.parametrize("labels", [["zero", "one, or more", "two"], None], ids=["names", "indices"])
def test_wide_classifier_has_one_gather_and_a_label_output(tmp_path, labels):
    g = Graph.chain([64, 8, 3], activation="tanh", output_activation="softmax", loss="cross_entropy")
    model, path = exported(tmp_path, g, labels)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Gather") == 1 and "Concat" not in ops
    assert [o.name for o in model.graph.output] == ["y", "label"]
    X = np.random.default_rng(1).normal(0, 4, (200, 64))
    y, label = run(path, X)
    assert y.shape == (200, 3) and label.shape == (200,)
    index = y.argmax(axis=1)
    assert len(set(index.tolist())) == 3  # every class is predicted somewhere: the test can tell them apart
    if labels is None:
        assert label.dtype == np.int64
        np.testing.assert_array_equal(label, index)
    else:
        np.testing.assert_array_equal(label.astype(str), np.array(labels)[index])


def test_binary_label_is_the_output_above_the_threshold(tmp_path):
    g = Graph.chain([5, 4, 1], output_activation="sigmoid", loss="bce")
    _, path = exported(tmp_path, g, ["benign", "malignant"], seed=4)
    X = np.random.default_rng(2).normal(0, 2, (100, 5))
    y, label = run(path, X)
    above = y[:, 0] > 0.5
    assert 0 < above.sum() < len(above)
    np.testing.assert_array_equal(label.astype(str), np.where(above, "malignant", "benign"))


def test_raw_columns_in_any_order_are_one_gather(tmp_path):
    """Features x3, x1, x2 (a reordered table): one Gather of [2, 0, 1]; the
    outputs are the engine's."""
    g = Graph.chain([3, 4, 1], output_activation="linear", loss="l2", features=["x3", "x1", "x2"])
    model, path = exported(tmp_path, g)
    (gather,) = [n for n in model.graph.node if n.op_type == "Gather"]
    idx = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}[gather.input[1]]
    assert idx.tolist() == [2, 0, 1]
    assert [o.name for o in model.graph.output] == ["y"]  # regression: no label
    X = np.random.default_rng(3).normal(0, 1, (30, 3))
    net = Network(g)
    rng = np.random.default_rng(0)
    net.init_params(rng)
    net.theta[...] += rng.normal(0, 0.3, net.theta.shape)
    # plain NumPy: tanh layer, then linear output, on the reordered columns
    (W1, b1), (W2, b2) = net.params.values()
    expected = np.tanh(X[:, [2, 0, 1]] @ W1 + b1) @ W2 + b2
    np.testing.assert_allclose(run(path, X)[0], expected, rtol=0, atol=1e-5)
