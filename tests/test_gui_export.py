"""File > Export > ONNX… / PyTorch script… and File > Import > ONNX model…,
driven through the window's actions with the file dialogs answered by the
test. The exported files are run by onnxruntime and PyTorch."""
import importlib.util
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from PySide6.QtWidgets import QMenu

from guitools import wait_drawn
from nnbuilder.cli import main
from nnbuilder.core.engine.network import Network
from nnbuilder.gui.window.mainwindow import MainWindow


def trained_file(folder):
    m, t = folder / "m.json", folder / "trained.json"
    assert main(["new", "5-5-3-1", "--activation", "swish", "--features", "x1,x2,x1*x2,sin(x1),x2^2",
                 "-o", str(m)]) == 0
    assert main(["train", str(m), "--dataset", "xor", "--epochs", "3", "--normalize", "standardize",
                 "-o", str(t)]) == 0
    return t


def engine_outputs(window, X):
    model = window.document.to_model()
    net = Network(model.graph)
    net.set_weights(model.weights)
    return net.predict(net.prepare(X))


def answer_save(monkeypatch, path):
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))


def test_menus_offer_onnx_and_pytorch(window):
    exports = window.findChild(QMenu, "exportMenu")
    imports = window.findChild(QMenu, "importMenu")
    assert [a.text() for a in exports.actions()] == ["&ONNX…", "Py&Torch script…", "&Animation…"]
    assert [a.text() for a in imports.actions()] == ["&ONNX model…"]
    file_menu = window.findChild(QMenu, "fileMenu")
    assert window.menuBar().actions()[0] == file_menu.menuAction()
    assert exports.menuAction() in file_menu.actions() and imports.menuAction() in file_menu.actions()


def test_an_untrained_network_exports_the_weights_train_starts_from(window, gui_env, monkeypatch):
    """A design is exported before any training, to be trained elsewhere:
    with the initial weights of the document's seed, said in the status bar."""
    py_path, onnx_path = gui_env / "design.py", gui_env / "design.onnx"
    answer_save(monkeypatch, py_path)
    window.act_export_torch.trigger()
    assert not window.errors, window.errors
    assert f"initial weights of weight seed {window.document.seed} (untrained)" in window.statusBar().currentMessage()
    spec = importlib.util.spec_from_file_location("design_from_window", py_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.TRAINED is False and "UNTRAINED" in module.__doc__
    answer_save(monkeypatch, onnx_path)
    window.act_export_onnx.trigger()
    assert not window.errors, window.errors
    stored = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(onnx_path)).graph.initializer}
    net = module.Net()
    for nid, layer in net.layers.items():
        if not hasattr(layer, "weight"):
            continue
        (name,) = [k for k in stored if k.startswith(f"{nid}_W")]
        # the same draw in both files: the script's float64 weights, the ONNX file's float32
        np.testing.assert_array_equal(stored[name], layer.weight.detach().numpy().T.astype(np.float32))
        assert np.abs(stored[name]).max() > 0


def test_export_onnx_and_torch_from_the_window(make_window, gui_env, monkeypatch):
    w = make_window(str(trained_file(gui_env)))
    X = np.random.default_rng(0).uniform(-4, 4, (50, 2))
    expected = engine_outputs(w, X)

    onnx_path = gui_env / "net.onnx"
    answer_save(monkeypatch, onnx_path)
    w.act_export_onnx.trigger()
    assert not w.errors, w.errors
    onnx.checker.check_model(onnx.load(str(onnx_path)), full_check=True)
    got = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(
        ["y"], {"x": X.astype(np.float32)})[0]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)

    py_path = gui_env / "net.py"
    answer_save(monkeypatch, py_path)
    w.act_export_torch.trigger()
    assert not w.errors, w.errors
    spec = importlib.util.spec_from_file_location("net_from_window", py_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.no_grad():
        got = module.Net().eval()(torch.tensor(X)).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert "Exported PyTorch script" in w.statusBar().currentMessage()

    answer_save(monkeypatch, gui_env / "no such folder" / "net.onnx")
    with w.expect_errors():
        w.act_export_onnx.trigger()  # a write failure is a message, not a crash
    title, text = w.errors[-1]
    assert title == "Cannot export" and "no such folder" in text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter (dynamo=False)
def test_import_onnx_opens_the_network_with_its_weights(window, gui_env, monkeypatch):
    torch.manual_seed(1)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1),
                              torch.nn.Sigmoid()).eval()
    path = gui_env / "seq.onnx"
    torch.onnx.export(seq, (torch.zeros(1, 2),), str(path), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}}, dynamo=False)
    monkeypatch.setattr(MainWindow, "_ask_onnx_path", lambda self: str(path))
    window.act_import_onnx.trigger()
    assert not window.errors, window.errors
    graph = window.document.graph
    assert sorted(n.type for n in graph.nodes.values()) == ["dense", "input", "output"]
    assert window.document.modified and window.document.fitting_weights() is not None
    assert len(window.scene.items()) > 0
    X = np.random.default_rng(2).normal(size=(20, 2))
    with torch.no_grad():
        expected = seq(torch.tensor(X, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(engine_outputs(window, X), expected, rtol=0, atol=1e-5)


def test_import_of_an_unsupported_graph_names_the_op_and_keeps_the_network(window, gui_env, monkeypatch):
    before = set(window.document.graph.nodes)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"], name="layer"),
         helper.make_node("Conv", ["h", "W"], ["y"], name="convolve")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
        [numpy_helper.from_array(np.eye(2, dtype=np.float32), "W")])
    path = gui_env / "conv.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    monkeypatch.setattr(MainWindow, "_ask_onnx_path", lambda self: str(path))
    with window.expect_errors():
        window.act_import_onnx.trigger()
    title, text = window.errors[-1]
    assert title == "Cannot import ONNX model" and "'convolve' (Conv)" in text and "left as it was" in text
    assert set(window.document.graph.nodes) == before


def test_the_window_opens_what_the_exported_script_trained(make_window, gui_env, monkeypatch):
    w = make_window(str(trained_file(gui_env)))
    script = gui_env / "net.py"
    answer_save(monkeypatch, script)
    w.act_export_torch.trigger()
    rng = np.random.default_rng(4)
    X = rng.uniform(-3, 3, (30, 2))
    data = gui_env / "d.csv"
    data.write_text("x1,x2,label\n" + "".join(f"{a!r},{b!r},{int(a * b > 0)}\n" for a, b in X.tolist()))
    spec = importlib.util.spec_from_file_location("net_to_train", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = gui_env / "from-torch.json"
    module.train(["--data", str(data), "--epochs", "2", "-o", str(out)])
    again = make_window(str(out))
    assert not again.errors, again.errors
    assert again.document.fitting_weights() is not None and "from-torch.json" in again.windowTitle()
    net = module.Net()  # the script's own reading of the file it wrote
    net.load_weights(json.loads(out.read_text())["weights"])
    with torch.no_grad():
        expected = net.eval()(torch.tensor(X)).numpy()
    np.testing.assert_allclose(engine_outputs(again, X), expected, rtol=0, atol=1e-9)


def test_export_after_training_in_the_window_carries_the_new_weights(qtbot, window, gui_env, monkeypatch):
    from PySide6.QtCore import Qt

    path = gui_env / "after-one-epoch.onnx"
    answer_save(monkeypatch, path)
    window.act_export_onnx.trigger()  # untrained: the initial weights
    before = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    wait_drawn(qtbot, window, lambda s: s.epoch == 1)  # taken: its weights are the document's
    window.act_export_onnx.trigger()
    assert not window.errors, window.errors
    stored = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    for nid, (W, _) in window.run.snapshot.weights.items():  # the weights of the epoch just run
        (name,) = [k for k in stored if k.startswith(f"{nid}_W")]
        np.testing.assert_array_equal(stored[name], W.astype(np.float32))
        assert not np.array_equal(before[name], stored[name])
    X = np.random.default_rng(5).uniform(-5, 5, (40, 2))
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        ["y"], {"x": X.astype(np.float32)})[0]
    np.testing.assert_allclose(got, engine_outputs(window, X), rtol=0, atol=1e-5)
    # a classifier trained in the window (its metric saved as train_metric, not
    # train_accuracy) is exported as one: the task is the model's
    assert not any("accuracy" in k for k in window.document.to_model().metrics)
    script = gui_env / "after-one-epoch.py"
    answer_save(monkeypatch, script)
    window.act_export_torch.trigger()
    spec = importlib.util.spec_from_file_location("after_one_epoch", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.TASK == "classification"


def test_an_imported_network_that_does_not_fit_the_data_says_what_to_do(window, gui_env, monkeypatch):
    torch.manual_seed(3)
    seq = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1)).eval()  # Iris-shaped
    path = gui_env / "four.onnx"
    torch.onnx.export(seq, (torch.zeros(1, 4),), str(path), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}}, dynamo=False)
    monkeypatch.setattr(MainWindow, "_ask_onnx_path", lambda self: str(path))
    window.act_import_onnx.trigger()  # the window's data is still the 2-column circle
    assert not window.errors, window.errors
    assert not window.play_button.isEnabled()
    state = window.network_panel.state.text()
    assert "cannot train yet" in state and "4 data columns" in state and "ready to train" not in state
    assert "to train it" in window.statusBar().currentMessage()
    window.training_panel.dataset.setCurrentText("iris")  # 4 columns, 3 classes: it fits
    assert window.play_button.isEnabled() and "ready to train" in window.network_panel.state.text()
