"""Importing CSV data in the window, driven as a user would: File > Import
data (or a dropped file), the import dialog's controls, then training."""
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QPushButton

from guitools import wait_drawn
from nnbuilder.core.files.modelfile import load_model
from nnbuilder.core.data.csvfile import ROWS_PER_STEP
from nnbuilder.gui.diagram.items import node_texts
from nnbuilder.gui.window.mainwindow import MainWindow

IRIS = Path(__file__).resolve().parents[1] / "resources" / "data" / "iris.csv"
WAIT = 20000


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def open_import(qtbot, w, path, monkeypatch):
    """File > Import data, answering the file dialog with ``path``; the import dialog."""
    monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self: str(path))
    w.act_import.trigger()
    qtbot.waitUntil(lambda: w.imports.import_dialog is not None and w.imports.import_dialog.isVisible(), timeout=WAIT)
    return w.imports.import_dialog


def click_import(qtbot, dialog):
    assert dialog.ok.isEnabled(), dialog.status.text()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)


def check_item(qtbot, dialog, name, checked: bool):
    """Click a feature column's check box in the dialog's list."""
    lst = dialog.features
    item = lst.findItems(name, Qt.MatchFlag.MatchExactly)[0]
    if (item.checkState() == Qt.CheckState.Checked) != checked:
        rect = lst.visualItemRect(item)
        # The check box sits at the left of the row.
        qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(rect.left() + 10, rect.center().y()))
    assert (item.checkState() == Qt.CheckState.Checked) == checked


def test_importing_a_good_file_sets_the_data_and_fits_the_network_in_one_undo_step(
        qtbot, window, make_window, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    path = write(tmp_path, "a,b,c,label\n" + "".join(
        f"{r[0]:.5f},{r[1]:.5f},{r[2]:.5f},{k}\n" for r, k in zip(X, y)))
    w = window
    before_data, before_graph = dict(w.document.dataset), w.document.graph.to_dict()
    d = open_import(qtbot, w, path, monkeypatch)
    assert d.preview.rowCount() == 50 and d.preview.columnCount() == 4
    assert d.preview.item(0, 0).text() == f"{X[0, 0]:.5f}"
    assert d.target.currentText() == "label" and d.task.currentText() == "Detected: classification"
    assert d.classes.text().startswith("2 classes: 0 \u2192 0, 1 \u2192 1")
    assert not d.problems.isVisible() and d.status.text().startswith("Ready: 60 rows, 3 features")
    check_item(qtbot, d, "c", False)  # a user leaves column c out
    assert d.status.text().startswith("Ready: 60 rows, 2 features")
    click_import(qtbot, d)
    qtbot.waitUntil(lambda: w.imports.import_dialog is None)
    w.activateWindow()  # focus returns to the window, as when a person closes a dialog
    qtbot.waitUntil(w.isActiveWindow)

    ds = w.document.dataset
    assert ds["csv"] == str(Path(path).resolve()) and ds["target"] == "label"
    assert ds["features"] == ["a", "b"] and ds["task"] is None and ds["drop_bad"] is False
    assert w.data.dataset.X.shape == (60, 2)
    np.testing.assert_array_equal(w.data.dataset.X, np.round(X[:, :2], 5))
    assert w.training_panel.dataset.currentText() == "data.csv"
    inp = w.document.graph.nodes_of_type("input")[0]
    assert inp.params["normalize"] == "standardize"
    assert node_texts(w.document.graph, inp.id)[1] == "standardized · x1, x2"
    assert w.run.refresh_ready() is None  # ready to train
    # One undo step takes back the data and the network fitting together.
    assert w.document.undo_stack.undoText() == "Import data.csv"
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.document.dataset == before_data and w.document.graph.to_dict() == before_graph
    assert w.training_panel.dataset.currentText() == before_data["name"]
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert w.document.dataset["csv"] == ds["csv"]

    # The train fraction still applies to imported data; the file stays.
    w.training_panel.split.setValue(0.8)
    assert w.document.dataset["split"] == 0.8 and w.document.dataset["csv"] == ds["csv"]
    assert w.training_panel.samples.value() == 60 and not w.training_panel.samples.isEnabled()

    # Saved and reopened: the same data, read from the file again.
    out = tmp_path / "m.json"
    assert w.files.save_to(str(out))
    assert load_model(str(out)).dataset["features"] == ["a", "b"]
    w2 = make_window()
    assert w2.files.open_file(str(out), ask_to_save=False)
    # Read in steps between events, as an import is: not ready until it is read.
    assert w2.data.dataset is None and "still reading data.csv" in w2.data.error
    assert not w2.play_button.isEnabled()
    qtbot.waitUntil(lambda: w2.data.dataset is not None, timeout=10000)
    assert w2.data.dataset.X.shape == (60, 2) and w2.training_panel.dataset.currentText() == "data.csv"
    assert w2.play_button.isEnabled() and w2.data.error is None
    # A model whose CSV file has gone says so, and keeps the network.
    Path(path).unlink()
    w3 = make_window(str(out))
    assert w3.data.dataset is None and "cannot read" in w3.data.error
    assert not w3.play_button.isEnabled() and len(w3.document.graph.nodes) == 4


def test_text_labels_are_mapped_to_indices_and_kept_for_display(qtbot, window, tmp_path, monkeypatch):
    rows = ["kind,x,y"] + [f"{k},{i},{(i * 7) % 5}" for i, k in enumerate(["cat", "dog", "emu"] * 10)]
    path = write(tmp_path, "\n".join(rows) + "\n")
    w = window
    d = open_import(qtbot, w, path, monkeypatch)
    assert d.target.currentText() == "y"  # the last column, at first
    d.target.setCurrentText("kind")
    assert d.task.currentText() == "Detected: classification"
    assert d.classes.text() == "3 classes: cat \u2192 0, dog \u2192 1, emu \u2192 2."
    d.task.setCurrentText("Regression")  # text cannot be a regression target
    assert not d.ok.isEnabled() and "holds text" in d.status.text() and not d.problems.isVisible()
    d.task.setCurrentIndex(0)
    flags = d.features.findItems("kind", Qt.MatchFlag.MatchExactly)[0].flags()
    assert not flags & Qt.ItemFlag.ItemIsEnabled  # the target is no feature
    assert d.feature_indices() == [1, 2]
    click_import(qtbot, d)
    ds = w.data.dataset
    assert ds.class_names == ["cat", "dog", "emu"] and ds.y[:4].tolist() == [0, 1, 2, 0]
    out = w.document.graph.nodes_of_type("output")[0].params
    assert out["units"] == 3 and out["activation"] == "softmax" and out["loss"] == "cross_entropy"
    # The names reach the confusion matrix once training has run.
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.curves.confusion.isVisible(), timeout=WAIT)
    assert w.curves.confusion.class_names == ["cat", "dog", "emu"]


def test_the_task_can_be_overridden(qtbot, window, tmp_path, monkeypatch):
    path = write(tmp_path, "x,grade\n" + "".join(f"{i},{i % 4}\n" for i in range(40)))
    d = open_import(qtbot, window, path, monkeypatch)
    assert d.task.currentText() == "Detected: classification"
    d.task.setCurrentText("Regression")
    assert d.classes.text() == "Numeric target from 0 to 3"
    click_import(qtbot, d)
    assert window.document.dataset["task"] == "regression" and window.data.dataset.task == "regression"
    out = window.document.graph.nodes_of_type("output")[0].params
    assert (out["units"], out["activation"], out["loss"]) == (1, "linear", "l2")


def test_a_bad_cell_is_named_by_row_and_column_and_its_row_can_be_left_out(
        qtbot, window, tmp_path, monkeypatch):
    path = write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n5,oops,0\n7,8,1\n,10,0\n11,12,1\n")
    w = window
    before = dict(w.document.dataset)
    d = open_import(qtbot, w, path, monkeypatch)
    assert d.problems.isVisible()
    assert d.problems.toPlainText().splitlines() == [
        "row 4, column 'b': 'oops' is not a finite number", "row 6, column 'a': is empty"]
    assert not d.ok.isEnabled() and "row 4, column 'b'" in d.status.text()
    bad = d.preview.item(2, 1)  # line 4 is the third data row
    assert bad.background().color().red() > 200 and "row 4, column 'b'" in bad.toolTip()
    assert d.drop_bad.text() == "Leave out the 2 rows with bad cells (4 remain)"
    # Leaving column b out leaves only the empty cell of a.
    check_item(qtbot, d, "b", False)
    assert d.problems.toPlainText() == "row 6, column 'a': is empty"
    check_item(qtbot, d, "b", True)
    qtbot.mouseClick(d.drop_bad, Qt.MouseButton.LeftButton)
    assert d.drop_bad.isChecked() and d.ok.isEnabled() and d.status.text().startswith("Ready: 4 rows")
    click_import(qtbot, d)
    assert w.data.dataset.X.tolist() == [[1, 2], [3, 4], [7, 8], [11, 12]]
    assert w.document.dataset["drop_bad"] is True

    # A cancelled dialog changes nothing.
    w.document.undo_stack.undo()
    d = open_import(qtbot, w, path, monkeypatch)
    qtbot.keyClick(d, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.imports.import_dialog is None)
    assert w.document.dataset == before


def test_a_file_that_cannot_be_read_is_reported_and_the_data_kept(qtbot, window, tmp_path, monkeypatch):
    w = window
    before = dict(w.document.dataset)
    monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self: write(tmp_path, "a,b\n1,2,3\n"))
    with w.expect_errors():
        w.act_import.trigger()
        qtbot.waitUntil(lambda: bool(w.errors), timeout=WAIT)
    title, text = w.errors[-1]
    assert title == "Cannot import data" and "row 2 has 3 cells, expected 2" in text
    assert w.imports.import_dialog is None and w.document.dataset == before


def test_a_100000_row_file_loads_without_freezing_the_window(qtbot, window, tmp_path, monkeypatch):

    rng = np.random.default_rng(1)
    X = rng.normal(size=(100_000, 4))
    labels = np.array(["north", "south", "east"])[rng.integers(0, 3, len(X))]
    lines = "\n".join(f"{a:.6f},{b:.6f},{c:.6f},{e:.6f},{k}" for (a, b, c, e), k in zip(X, labels))
    path = write(tmp_path, "p,q,r,s,direction\n" + lines + "\n", "big.csv")
    w = window

    # The file is read on a thread of its own, not the window's: every step
    # of the reader runs there, while the window's event loop keeps turning
    # (a zero-interval timer records the progress dialog's percentage at
    # each turn). Counted, not timed (benchmarks/bench_import_gui.py
    # measures the frames drawn on a 60,000 x 784 table).
    import threading

    from nnbuilder.gui.data import importer
    readers = []
    real_steps = importer.read_table_steps

    def recorded_steps(*args, **kwargs):
        steps = real_steps(*args, **kwargs)
        while True:
            readers.append(threading.current_thread())
            try:
                fraction = next(steps)
            except StopIteration as done:
                return done.value
            yield fraction
    monkeypatch.setattr(importer, "read_table_steps", recorded_steps)
    turns = []

    def turn():
        if w.imports.loader is not None and w.imports.loader.isRunning():
            turns.append(w.imports.import_progress.value())
    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(turn)
    timer.start()
    d = open_import(qtbot, w, path, monkeypatch)
    timer.stop()
    assert len(d.table) == 100_000 and d.preview.rowCount() == 50
    assert len(readers) >= 100_000 // ROWS_PER_STEP
    assert threading.main_thread() not in readers and len(set(readers)) == 1
    assert len(turns) > 1 and turns == sorted(turns)
    click_import(qtbot, d)
    assert w.data.dataset.X.shape == (100_000, 4) and w.data.dataset.n_classes == 3
    assert "100,000 rows" in w.statusBar().currentMessage()


def test_reading_a_big_file_can_be_cancelled(qtbot, window, tmp_path, monkeypatch):
    # The real reader, held after its first run of rows until the test lets
    # it go: a file that reads slowly, whatever the machine's speed (a fast
    # machine read the whole file before the progress dialog showed).
    import threading

    import nnbuilder.gui.data.importer as importer
    real_steps, held = importer.read_table_steps, threading.Event()

    def slow_steps(path):
        steps = real_steps(path)
        yield next(steps)
        held.wait(WAIT / 1000)
        return (yield from steps)
    monkeypatch.setattr(importer, "read_table_steps", slow_steps)
    path = write(tmp_path, "u,v\n" + "".join(f"{i},{i % 2}\n" for i in range(3 * ROWS_PER_STEP)), "huge.csv")
    w = window
    before = dict(w.document.dataset)
    monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self: path)
    w.act_import.trigger()
    qtbot.waitUntil(lambda: w.imports.import_progress is not None and w.imports.import_progress.isVisible(), timeout=WAIT)
    cancel = w.imports.import_progress.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    held.set()  # the reader goes on, sees the stop and drops what it read
    qtbot.waitUntil(lambda: w.imports.loader is None, timeout=WAIT)
    assert "cancelled" in w.statusBar().currentMessage()
    assert w.imports.import_dialog is None and w.document.dataset == before and not w.errors


def test_dropping_a_csv_file_on_the_window_opens_the_import_dialog(qtbot, window, tmp_path):
    path = write(tmp_path, "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n", "drop.csv")
    w = window
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    view = w.view.viewport()
    at = view.rect().center()
    for cls in (QDragEnterEvent, QDragMoveEvent):  # a real drag enters and moves first
        ev = cls(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                 Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view, ev)
        assert ev.isAccepted()
    event = QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, event)
    qtbot.waitUntil(lambda: w.imports.import_dialog is not None, timeout=WAIT)
    d = w.imports.import_dialog
    assert d.table.path == path and d.target.currentText() == "y"
    click_import(qtbot, d)
    # Two columns: the Input node keeps its features (x1, x2 here).
    assert w.document.graph.nodes_of_type("input")[0].params["features"][:2] == ["x1", "x2"]
    assert w.data.dataset.X.shape == (4, 2)


def test_normalize_in_the_data_panel_edits_the_input_node_undoably(qtbot, window):
    w = window
    combo = w.training_panel.normalize
    inp = w.document.graph.nodes_of_type("input")[0]
    assert combo.currentText() == "none" and inp.params["normalize"] == "none"
    combo.setCurrentText("standardize")
    assert inp.params["normalize"] == "standardize"
    assert w.document.undo_stack.undoText() == "Normalize inputs: standardize"
    w.scene.clearSelection()
    w.scene.node_items[inp.id].setSelected(True)
    assert w.inspector.normalize.currentText() == "standardize"
    w.document.undo_stack.undo()
    assert inp.params["normalize"] == "none" and combo.currentText() == "none"


@pytest.mark.timeout(120)
def test_iris_imported_from_its_csv_trains_and_fills_the_confusion_matrix(
        qtbot, window, tmp_path, monkeypatch):
    w = window
    d = open_import(qtbot, w, IRIS, monkeypatch)
    assert d.target.currentText() == "species" and d.feature_indices() == [0, 1, 2, 3]
    click_import(qtbot, d)
    w.training_panel.lr.setValue(0.1)
    w.training_panel.max_epochs.setValue(300)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    s = wait_drawn(qtbot, w, lambda s: s.step > 0, timeout=60000)  # stopped at 300 epochs
    assert s.last["test_metric"] >= 0.9
    cm = w.curves.confusion.counts
    assert cm.shape == (3, 3) and cm.sum() == 75  # the panel's train fraction, 0.5, stays
    assert w.curves.confusion.class_names == ["setosa", "versicolor", "virginica"]
    # Saved: the statistics the inputs were standardized with go into the file.
    out = tmp_path / "iris.json"
    assert w.files.save_to(str(out))
    m = load_model(str(out))
    inp = w.document.graph.nodes_of_type("input")[0].id
    assert m.weights[inp]["mean"].shape == (4,) and 5.5 < m.weights[inp]["mean"][0] < 6.2
    assert m.labels == ["setosa", "versicolor", "virginica"]


def test_the_input_chips_offer_every_column_of_wider_data(qtbot, window, monkeypatch):
    w = window
    chips = w.scene.node_items["input"].feature_chips
    assert chips.names[-1] == "sin(x2)"  # 2-D data: the TF Playground features only
    click_import(qtbot, open_import(qtbot, w, IRIS, monkeypatch))
    assert chips.names[-2:] == ("x3", "x4")
    assert chips.active() == ["x1", "x2", "x3", "x4"]
    i = chips.names.index("x3")
    pos = w.view.mapFromScene(chips.mapToScene(chips.chip_rect(i).center()))
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    g = w.document.graph
    assert g.nodes["input"].params["features"] == ["x1", "x2", "x4"] and g.widths()["input"] == 3
    w.act_undo.trigger()
    assert g.nodes["input"].params["features"] == ["x1", "x2", "x3", "x4"]
    w.act_undo.trigger()  # the import itself
    assert chips.names[-1] == "sin(x2)" and w.document.dataset.get("name") == "circle"


def test_import_csv_in_the_data_list_opens_the_file_dialog_and_keeps_the_data_on_cancel(
        qtbot, window, monkeypatch):
    w = window
    combo = w.training_panel.dataset
    asked = []
    monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self: asked.append(1) or "")
    combo.setCurrentIndex(combo.findText("Import CSV…"))
    assert asked == [1]  # the file dialog was shown, and cancelled
    assert combo.currentText() == "circle" and w.document.dataset["name"] == "circle"
    monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self: str(IRIS))
    combo.setCurrentIndex(combo.findText("Import CSV…"))
    qtbot.waitUntil(lambda: w.imports.import_dialog is not None, timeout=WAIT)
    click_import(qtbot, w.imports.import_dialog)
    assert combo.currentText() == "iris.csv" and combo.itemText(combo.count() - 1) == "Import CSV…"
    combo.setCurrentText("moons")  # back to a built-in set: the CSV options go
    assert w.document.dataset["name"] == "moons" and "csv" not in w.document.dataset
    assert "target" not in w.document.dataset and combo.findText("iris.csv") == -1


def test_imported_regression_data_trains_and_shows_r2(qtbot, window, tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(300, 3))
    y = X[:, 0] ** 2 + 0.5 * X[:, 1] + 3 * X[:, 2]
    path = write(tmp_path, "u,v,w,price\n" + "".join(
        f"{a:.4f},{b:.4f},{c:.4f},{t:.4f}\n" for (a, b, c), t in zip(X, y)))
    w = window
    d = open_import(qtbot, w, path, monkeypatch)
    assert d.task.currentText() == "Detected: regression" and d.classes.text().startswith("Numeric target")
    click_import(qtbot, d)
    w.training_panel.optimizer.setCurrentText("adam")
    w.training_panel.lr.setValue(0.01)
    w.training_panel.max_epochs.setValue(150)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    snap = lambda: w.run.snapshot  # noqa: E731
    qtbot.waitUntil(lambda: snap() is not None and not snap().running and snap().step > 0, timeout=60000)
    s = snap()
    assert s.metric_name == "r2" and s.last["test_metric"] > 0.9 and not w.errors
    assert not w.curves.confusion.isVisible() and w.boundary.last_rgba is not None
    assert "at median" in w.output_panel.options.caption.text()  # 3 features: a slice


@pytest.mark.timeout(120)
def test_the_window_says_how_many_blas_threads_the_worker_trains_on(qtbot, window, tmp_path, monkeypatch):
    """A wide table and 512-unit layers at batch 512 (2**26 multiplications
    a step in the first) train on every core, the same table on 2 units at
    batch 10 on one; the steps/s read-out's tooltip says the count the
    worker reports (it asks its BLAS library)."""
    from nnbuilder.core.run.worker import BLAS_WORK, machine_cores

    assert 512 * 256 * 512 == BLAS_WORK
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(1200, 256))
    path = write(tmp_path, ",".join(f"p{j}" for j in range(256)) + ",label\n" + "".join(
        ",".join(map(str, r)) + f",{int(r[0] > 127)}\n" for r in X.tolist()), "wide.csv")
    w = window
    click_import(qtbot, open_import(qtbot, w, path, monkeypatch))
    qtbot.waitUntil(lambda: w.imports.import_dialog is None)
    doc = w.document
    hidden = [n.id for n in doc.graph.nodes.values() if n.type == "dense"]

    def train_with(units, batch):
        for nid in hidden:
            doc.set_params(nid, mergeable=False, units=units)
        w.training_panel.batch.setValue(batch)
        assert w.run.refresh_ready() is None
        w.run.step()
        snap = wait_drawn(qtbot, w, lambda s: s.applied >= w.run.worker.sent and s.step > 0)
        w.run.worker.request_snapshot()  # ask the worker again: its own report
        qtbot.waitUntil(lambda: w.run.worker.peek().applied >= w.run.worker.sent)
        return snap, w.run.worker.peek().blas_threads

    snap, reported = train_with(512, 512)
    assert reported == snap.blas_threads == machine_cores()
    n = machine_cores()
    assert w.rate_label.toolTip() == f"Training on {n} BLAS thread{'s' if n != 1 else ''}"
    snap, reported = train_with(2, 10)
    assert reported == snap.blas_threads == 1
    assert w.rate_label.toolTip() == "Training on 1 BLAS thread"


@pytest.mark.timeout(120)
def test_a_structural_edit_after_a_big_import_keeps_the_data_and_does_not_send_it_again(
        qtbot, window, tmp_path, monkeypatch):
    """The training data is prepared once for the Input and Output as they
    are: adding a layer, connecting it and changing its units keep the very
    same data object, and the worker got it once (a mapped file), not once
    per edit; its numbers are the table's, standardized with the training
    rows' statistics (computed here with NumPy)."""
    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, size=(2000, 100))
    path = write(tmp_path, ",".join(f"p{j}" for j in range(100)) + ",label\n" + "".join(
        ",".join(map(str, r)) + f",{int(r[0] > 127)}\n" for r in X.tolist()), "big.csv")
    w = window
    click_import(qtbot, open_import(qtbot, w, path, monkeypatch))
    qtbot.waitUntil(lambda: w.imports.import_dialog is None)
    doc = w.document
    data = w.run.prepared().data
    tr, te = w.data.split_indices()
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    np.testing.assert_allclose(data.X_train, (X[tr] - mean) / std, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(data.X_test, (X[te] - mean) / std, rtol=1e-9, atol=1e-9)
    from nnbuilder.core.run.live import MAP_BYTES
    from nnbuilder.core.run.protocol import data_bytes
    assert data_bytes(data) >= MAP_BYTES  # big enough to go as a mapped file
    w.run.step()
    wait_drawn(qtbot, w, lambda s: s.step == 1)
    assert w.run.worker.data_shared == 1

    out = doc.graph.nodes_of_type("output")[0].id
    dense = next(e.source for e in doc.graph.edges if e.target == out)  # the last hidden layer
    added, _ = doc.add_node_after("dense", dense)
    doc.remove(edges=[e for e in doc.graph.edges if e.source == dense and e.target == out])
    doc.connect(added, out)
    doc.set_params(added, mergeable=False, units=7)
    assert w.run.refresh_ready() is None
    w.run.step()
    snap = wait_drawn(qtbot, w, lambda s: s.step == 2 and added in s.weights)
    assert snap.weights[added][0].shape[1] == 7
    assert w.run.prepared().data is data and w.run.worker.data_shared == 1


def test_learn_names_a_samples_row_in_its_file_as_explain_does(qtbot, window, tmp_path, monkeypatch, capsys):
    """With rows left out (--drop-bad), the window's third sample is the
    file's row 5: the Learn panel says both, and `explain --row 5` of the
    same file explains the same sample."""
    from nnbuilder.cli import main

    path = write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n5,oops,0\n7,8,1\n,10,0\n11,12,1\n")
    w = window
    d = open_import(qtbot, w, path, monkeypatch)
    qtbot.mouseClick(d.drop_bad, Qt.MouseButton.LeftButton)
    click_import(qtbot, d)
    assert w.data.dataset.X[2].tolist() == [7, 8]
    qtbot.mouseClick(w.step_button, Qt.MouseButton.LeftButton)  # weights to follow the sample through
    qtbot.waitUntil(lambda: w.document.weights is not None, timeout=WAIT)
    w.docks["learnDock"].raise_()
    w.learn.select_row(2)
    qtbot.waitUntil(lambda: "Row 3" in w.learn_panel.text.toPlainText(), timeout=WAIT)
    assert "the file's row 5)" in w.learn_panel.text.toPlainText()
    model = tmp_path / "m.json"
    assert w.files.save_to(str(model))
    capsys.readouterr()
    assert main(["explain", str(model), "--data", path, "--drop-bad", "--row", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["x"] == [7, 8]


def test_a_column_chosen_as_target_keeps_its_whole_header(qtbot, window, tmp_path, monkeypatch):
    """Choosing a text column as the target made its header bold with
    "(target)" after it, cut to "nd (targe" in its column sized for "kind"."""
    from PySide6.QtGui import QFont, QFontMetrics

    rows = ["kind,width,height"] + [f"{k},{i % 9 + 0.5},{(i * 7) % 5}" for i, k in enumerate(["cat", "dog", "emu"] * 5)]
    d = open_import(qtbot, window, write(tmp_path, "\n".join(rows) + "\n"), monkeypatch)
    d.target.setCurrentText("kind")
    header = d.preview.horizontalHeader()
    for j in range(d.preview.columnCount()):
        item = d.preview.horizontalHeaderItem(j)
        font = QFont(item.font()) if item.font() != QFont() else header.font()
        need = QFontMetrics(font).horizontalAdvance(item.text()) + 8  # the style's margins
        assert need <= header.sectionSize(j), (item.text(), need, header.sectionSize(j))
    assert d.preview.horizontalHeaderItem(0).text() == "kind  (target)" and d.preview.horizontalHeaderItem(0).font().bold()
    qtbot.keyClick(d, Qt.Key.Key_Escape)


def test_the_import_dialogs_warning_reads_in_both_themes(qtbot, window, tmp_path, monkeypatch):
    """The screen trial: the dialog's red "2 rows have missing…" line was
    2.9:1 on the dark theme's grey. Its ink now has 4.5:1 or more in both."""
    from screencheck import contrast

    path = write(tmp_path, "a,b,label\n1,2,x\n,3,y\n4,5,x\n6,abc,y\n7,8,x\n")
    for theme in ("dark", "light"):
        window.set_theme(theme)
        d = open_import(qtbot, window, path, monkeypatch)
        assert not d.ok.isEnabled() and "missing or non-numeric" in d.status.text()
        ink = d.status.palette().color(d.status.foregroundRole())
        ground = d.palette().color(d.backgroundRole())
        assert contrast(ink.getRgb(), ground.getRgb()) >= 4.5, (theme, ink.name(), ground.name())
        d.reject()
        qtbot.waitUntil(lambda: window.imports.import_dialog is None or not window.imports.import_dialog.isVisible())
