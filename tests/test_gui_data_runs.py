"""A data change of any shape is a new run: imported tables of 30, then 10,
then 2 columns while trained and paused; each trains, every counter and
curve starts over, and no traceback is ever shown."""
import numpy as np
import pytest
from PySide6.QtCore import Qt

from test_at_rest import rested, shown_counters, train_curve
from test_gui_import import click_import, open_import

WAIT = 30000


def table(tmp_path, columns: int, task: str) -> str:
    """A CSV of 200 rows: ``columns`` features and a target (0/1 or a number)."""
    rng = np.random.default_rng(columns)
    X = rng.normal(size=(200, columns))
    y = X[:, 0] + 0.5 * X[:, min(1, columns - 1)]
    y = (y > 0).astype(int) if task == "classification" else np.round(3 * y + 10, 4)
    path = tmp_path / f"t{columns}_{task}.csv"
    header = ",".join(f"f{i + 1}" for i in range(columns)) + ",target"
    np.savetxt(path, np.c_[X, y], delimiter=",", header=header, comments="", fmt="%.5f")
    return str(path)


def train_and_pause(qtbot, w, epochs: int):
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.play_button.text() == "Pause" and shown_counters(w)[0] >= epochs, timeout=WAIT)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rested(w) and w.play_button.text() == "Train", timeout=WAIT)


@pytest.mark.timeout(180)
def test_tables_of_30_10_and_2_columns_each_start_a_new_run_that_trains(qtbot, window, tmp_path,
                                                                         monkeypatch):
    w = window
    for columns, task, metric in ((30, "classification", "accuracy"), (10, "regression", "R²"),
                                  (2, "classification", "accuracy")):
        d = open_import(qtbot, w, table(tmp_path, columns, task), monkeypatch)
        assert d.status.text().startswith(f"Ready: 200 rows, {columns} features")
        click_import(qtbot, d)
        qtbot.waitUntil(lambda: w.imports.import_dialog is None, timeout=WAIT)
        assert w.data.dataset.X.shape == (200, columns) and w.data.dataset.task == task
        # A new run: counters and curves start over (nothing stitched onto the old run).
        qtbot.waitUntil(lambda: shown_counters(w) == (0, 0) and len(train_curve(w)[0]) <= 1 and rested(w),
                        timeout=WAIT)
        assert w.curves.metric_plot.ylabel == metric
        assert w.play_button.text() == "Train" and w.play_button.isEnabled()
        train_and_pause(qtbot, w, 3)
        epochs, losses = train_curve(w)
        epoch = shown_counters(w)[0]
        assert epoch >= 3 and epochs[0] == 0 and epochs[-1] == epoch and np.all(np.diff(epochs) >= 0)
        assert len(epochs) == epoch + 1 and np.isfinite(losses).all()  # one row per epoch of this run
        s = w.run.snapshot
        assert any(W.shape[0] == columns for W, _ in s.weights.values())  # the first layer takes them all
        assert w.errors == [], w.errors


@pytest.mark.timeout(180)
def test_one_then_ten_then_one_standardized_columns_with_a_sample_picked(qtbot, window, tmp_path, monkeypatch):
    """The shapes a 1-D curve and a 10-column slice do not share: the output
    view's grid, the Input's statistics, the Learn panel's picked sample.
    Exceptions in the event loop fail the test too (pytest-qt)."""
    w = window
    for columns, task in ((1, "regression"), (10, "regression"), (1, "regression"), (10, "classification")):
        d = open_import(qtbot, w, table(tmp_path, columns, task), monkeypatch)
        assert d.standardize.isChecked() and d.fit_network.isChecked()
        click_import(qtbot, d)
        qtbot.waitUntil(lambda: w.imports.import_dialog is None, timeout=WAIT)
        assert w.data.dataset.X.shape == (200, columns)
        qtbot.waitUntil(lambda: shown_counters(w) == (0, 0) and rested(w), timeout=WAIT)
        train_and_pause(qtbot, w, 2)
        w.learn.select_row(1)  # a sample picked: its ring on the output view
        assert w.boundary.grid is not None and w.boundary.grid.raw.shape[1] == columns
        assert w.errors == [], w.errors
