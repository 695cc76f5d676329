"""Import of a big table: Import returns at once; the training data is
prepared on a thread of its own, with its progress in the status bar, while
the window draws; then it trains. Held by the test (an event), not timed."""
import threading

import numpy as np
from PySide6.QtCore import Qt, QTimer

from guitools import wait_drawn
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.run import prepared as prepared_module
from nnbuilder.core.run.prepared import PREPARING
from nnbuilder.gui.window.mainwindow import MainWindow

STUCK = 60.0
WAIT = 30000


def write_big(tmp_path, rows=2000, cols=100):
    X = np.random.default_rng(2).integers(0, 256, size=(rows, cols))
    path = tmp_path / "big.csv"
    path.write_text(",".join(f"p{j}" for j in range(cols)) + ",label\n" + "".join(
        ",".join(map(str, r)) + f",{int(r[0] > 127)}\n" for r in X.tolist()))
    return str(path), X


def preparing_threads():
    return [t for t in threading.enumerate() if t.name == "nnbuilder-DataPreparer" and t.is_alive()]


def test_import_returns_at_once_and_the_data_is_prepared_in_the_background(
        qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(prepared_module, "BACKGROUND_BYTES", 0)  # this table counts as big
    gate, holding = threading.Event(), threading.Event()
    real = TrainData.steps.__func__

    def held(cls, *args, **kw):  # the real preparation, held after its first block
        steps = real(cls, *args, **kw)
        yield next(steps)
        holding.set()
        gate.wait(STUCK)
        return (yield from steps)
    monkeypatch.setattr(TrainData, "steps", classmethod(held))

    path, X = write_big(tmp_path)
    w = window
    monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self: path)
    w.act_import.trigger()
    qtbot.waitUntil(lambda: w.imports.import_dialog is not None and w.imports.import_dialog.isVisible(),
                    timeout=WAIT)
    dialog = w.imports.import_dialog
    try:
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        # Back from the click: the data set is the table, the training data is not made yet.
        assert w.data.dataset is not None and len(w.data.dataset) == 2000
        p = w.run.prepared()
        assert p.data is None and p.reason == PREPARING
        qtbot.waitUntil(holding.is_set, timeout=WAIT)
        assert len(preparing_threads()) == 1  # the import's end state only, not the macro's steps
        # Its progress, while the window goes on answering and drawing.
        qtbot.waitUntil(lambda: w.statusBar().currentMessage().startswith("Preparing the data: "), timeout=WAIT)
        assert not w.play_button.isEnabled() or w.run.refresh_ready() == PREPARING
        fired = []
        QTimer.singleShot(0, lambda: fired.append(True))  # the event loop turns meanwhile
        qtbot.waitUntil(lambda: bool(fired), timeout=WAIT)
        assert w.run.prepared().data is None and holding.is_set() and not gate.is_set()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: w.run.prepared().reason is None, timeout=WAIT)
    data = w.run.prepared().data
    tr, te = w.data.split_indices()
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    np.testing.assert_allclose(data.X_train, (X[tr] - mean) / std, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(data.X_test, (X[te] - mean) / std, rtol=1e-9, atol=1e-9)
    qtbot.waitUntil(lambda: not preparing_threads(), timeout=WAIT)  # the cancelled ones stopped too
    w.run.step()
    assert wait_drawn(qtbot, w, lambda s: s.step == 1).step == 1
    assert w.run.prepared().data is data  # prepared once



def test_what_is_prepared_in_the_background(monkeypatch):
    """Big new training data only: not data the previous value holds, nor a
    misfit of the Output (prepare() says it at once, with its network)."""
    from nnbuilder.core.data.datasets import make_dataset
    from nnbuilder.core.model.graph import Graph
    from nnbuilder.core.run.prepared import compiled, data_to_build, prepare

    monkeypatch.setattr(prepared_module, "BACKGROUND_BYTES", 0)
    ds = make_dataset("circle", samples=100)
    g = Graph.chain([2, 4, 1])
    key = ("structure", 7, "sgd")
    needs, net = data_to_build(key, compiled(g), ds, None, (0.5, 0))
    assert needs[0] == 7 and net.n_outputs == 1
    p = prepare(key, g, ds, None, (0.5, 0), "sgd")
    assert p.reason is None and data_to_build(key, compiled(g), ds, None, (0.5, 0), previous=p) is None
    misfit = Graph.chain([2, 4, 3], output_activation="softmax", loss="cross_entropy")
    assert data_to_build(key, compiled(misfit), ds, None, (0.5, 0)) is None
    assert "3 units" in prepare(key, misfit, ds, None, (0.5, 0), "sgd").reason
    monkeypatch.setattr(prepared_module, "BACKGROUND_BYTES", 32 << 20)
    assert data_to_build(key, compiled(g), ds, None, (0.5, 0)) is None  # small: prepared in the query


def test_an_imported_table_is_let_go_once_another_replaces_it(qtbot, window, tmp_path, monkeypatch):
    """The undo cache keeps older tables only within CACHE_BYTES: past it
    the first table's matrix is no longer alive anywhere in the window (a
    weak reference), and an undo to it reads its file again."""
    import gc
    import weakref

    from nnbuilder.gui.data import data_controller

    monkeypatch.setattr(data_controller, "CACHE_BYTES", 0)  # only the newest table is kept
    w = window
    first, _ = write_big(tmp_path, rows=300, cols=20)
    second = tmp_path / "second.csv"
    second.write_text("a,b,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(50)))
    for path in (first, str(second)):
        monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self, path=path: path)
        w.act_import.trigger()
        qtbot.waitUntil(lambda: w.imports.import_dialog is not None and w.imports.import_dialog.isVisible(),
                        timeout=WAIT)
        qtbot.mouseClick(w.imports.import_dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: w.imports.import_dialog is None and w.run.prepared().reason is None,
                        timeout=WAIT)
        if path == first:
            matrix = w.data.dataset.X.base
            assert matrix is not None and matrix.shape == (300, 21)  # the table the features view
            gone = weakref.ref(matrix)
            del matrix
    assert len(w.data.dataset) == 50
    qtbot.waitUntil(lambda: (gc.collect(), gone() is None)[1], timeout=WAIT)
    w.document.undo_stack.undo()  # back to the first table: read again
    qtbot.waitUntil(lambda: w.data.dataset is not None and len(w.data.dataset) == 300, timeout=WAIT)
