"""The engineer's trial in the window (issue 20): scikit-learn's diabetes table
imported through the import dialog with Standardize on trains at learning
rate 0.03; the Output node standardizes the target, and what the window shows
and saves is in the data's units (checked with plain NumPy)."""
import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from sklearn.datasets import load_diabetes

from test_gui_import import click_import, open_import

ACT = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0), "linear": lambda a: a}


def chain_forward(model: dict, X: np.ndarray) -> np.ndarray:
    """Plain NumPy over a model file's chain Input -> Dense ... -> Output:
    standardized inputs, each layer's activation, then times std plus mean."""
    nodes = {n["id"]: n for n in model["graph"]["nodes"]}
    nxt = {e["source"]: e["target"] for e in model["graph"]["edges"]}
    nid = next(i for i, n in nodes.items() if n["type"] == "input")
    w = model["weights"]
    h = (X - np.array(w[nid]["mean"])) / np.array(w[nid]["std"])
    while nid in nxt:
        nid = nxt[nid]
        p, wb = nodes[nid]["params"], w[nid]
        h = ACT[p["activation"]](h @ np.array(wb["W"]) + np.array(wb["b"]))
    assert nodes[nid]["type"] == "output" and nodes[nid]["params"]["normalize"] == "standardize"
    return h * np.array(w[nid]["std"]) + np.array(w[nid]["mean"])


@pytest.mark.timeout(180)
def test_diabetes_imported_with_standardize_trains_at_lr_003(qtbot, window, tmp_path, monkeypatch):
    d = load_diabetes()
    X, y = d.data, d.target
    path = tmp_path / "diabetes.csv"
    path.write_text(",".join(d.feature_names) + ",target\n" + "".join(
        ",".join(map(repr, row)) + f",{t!r}\n" for row, t in zip(X.tolist(), y.tolist())))
    w = window
    dialog = open_import(qtbot, w, path, monkeypatch)
    assert dialog.task.currentText() == "Detected: regression"
    assert dialog.standardize.isChecked() and "regression target" in dialog.standardize.text()
    click_import(qtbot, dialog)
    qtbot.waitUntil(lambda: w.imports.import_dialog is None)
    out = w.document.graph.nodes_of_type("output")[0]
    assert out.params["normalize"] == "standardize" and out.params["loss"] == "l2"
    assert w.document.graph.nodes_of_type("input")[0].params["normalize"] == "standardize"
    # one undo step takes it back with the rest of the import
    assert w.document.undo_stack.undoText() == "Import diabetes.csv"

    w.training_panel.lr.setValue(0.03)
    w.training_panel.max_epochs.setValue(60)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    snap = lambda: w.run.snapshot  # noqa: E731
    qtbot.waitUntil(lambda: snap() is not None and not snap().running and snap().epoch >= 60, timeout=150000)
    s = snap()
    assert s.divergence is None and s.stop_reason == "max_epochs" and not w.errors
    assert s.metric_name == "r2" and s.last["train_metric"] > 0.5, s.last

    # saved: the Output's mean and std of the training rows, NumPy's forward pass
    saved = tmp_path / "m.json"
    assert w.files.save_to(str(saved))
    model = json.loads(saved.read_text())
    spec = model["dataset"]
    perm = np.random.default_rng(spec["seed"]).permutation(len(y))
    rows = np.sort(perm[:int(round(len(y) * spec["split"]))])
    stats = model["weights"][out.id]
    assert stats["mean"] == pytest.approx([y[rows].mean()], rel=1e-12)
    assert stats["std"] == pytest.approx([y[rows].std()], rel=1e-12)
    pred = chain_forward(model, X)[:, 0]
    # the curves' numbers are in the data's units: loss and R² of y_hat * std + mean
    assert s.last["train_loss"] == pytest.approx(0.5 * np.mean((pred[rows] - y[rows]) ** 2), rel=1e-9)
    r2 = 1 - np.sum((y[rows] - pred[rows]) ** 2) / np.sum((y[rows] - y[rows].mean()) ** 2)
    assert s.last["train_metric"] == pytest.approx(r2, abs=1e-9)

    # the output view draws the network's answers in the data's units
    outputs, _ = w.live.evaluate(s, maps=False)
    grid = w.live.grids()[0]
    np.testing.assert_allclose(outputs[:, 0], chain_forward(model, grid.raw)[:, 0], rtol=1e-5, atol=1e-3)
    assert 0 < np.median(outputs) < 400  # not the standardized units (around 0)

    # Learn explains a row: its prediction and target in the data's units
    w.learn.select_row(0)
    ex = w.learn.explanation
    assert ex["prediction"] == pytest.approx([pred[0]], rel=1e-9)
    assert ex["data_target"] == pytest.approx([y[0]]) and ex["loss"] == pytest.approx(0.5 * (pred[0] - y[0]) ** 2)
    assert ex["target"] == pytest.approx([(y[0] - stats["mean"][0]) / stats["std"][0]])
    assert "prediction = " in w.learn.html(ex)


def test_the_output_nodes_normalize_is_edited_in_the_inspector_undoably(qtbot, window):
    w = window
    out = w.document.graph.nodes_of_type("output")[0]
    w.scene.clearSelection()
    w.scene.node_items[out.id].setSelected(True)
    combo = w.inspector.normalize
    assert combo.isVisible() and combo.currentText() == "none"
    assert "targets" in combo.itemData(1, Qt.ItemDataRole.ToolTipRole)  # says what it does here
    combo.setCurrentText("standardize")
    assert out.params["normalize"] == "standardize" and w.document.modified
    assert "standardized targets" in w.inspector.formula.text()
    w.document.undo_stack.undo()
    assert out.params["normalize"] == "none" and combo.currentText() == "none"
