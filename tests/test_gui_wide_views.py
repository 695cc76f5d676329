"""Views for many inputs, through the real window: the output view's range
and caption for a wide table, the confusion matrix's counts and per-class
scores, the first layer's weights as images and the rows the network misses."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from guitools import wait_drawn
from nnbuilder.gui.run.curves import ConfusionPlot
from nnbuilder.gui.window.mainwindow import MainWindow

WAIT = 20000


def write_images(path, side=8, rows=300, seed=0, high=255):
    """A CSV of ``side x side`` images in 0..``high`` (a bar per class, its
    border always 0) and a 'digit' column of 4 classes; the table."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, rows)
    X = np.zeros((rows, side, side))
    for i, k in enumerate(y):
        X[i, 1:side - 1, 1 + k] = high
    X[:, 1:side - 1, 1:side - 1] += rng.uniform(0, high / 3, (rows, side - 2, side - 2))
    X = np.clip(np.round(X), 0, high).reshape(rows, -1)
    names = [f"pixel_{r}_{c}" for r in range(side) for c in range(side)]
    with open(path, "w") as f:
        f.write(",".join(names + ["digit"]) + "\n")
        for r, k in zip(X, y):
            f.write(",".join(str(int(v)) for v in r) + f",{k}\n")
    return X, y


def import_csv(qtbot, w, path, monkeypatch):
    """File > Import data with ``path``, the import dialog's Import pressed."""
    monkeypatch.setattr(MainWindow, "_ask_data_path", lambda self: str(path))
    w.act_import.trigger()
    qtbot.waitUntil(lambda: w.imports.import_dialog is not None and w.imports.import_dialog.isVisible(),
                    timeout=WAIT)
    d = w.imports.import_dialog
    assert d.ok.isEnabled(), d.status.text()
    qtbot.mouseClick(d.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.imports.import_dialog is None, timeout=WAIT)


def small_window(qtbot, w):
    """The window at 1024x700 with its panels laid out afresh for that size."""
    w.resize(1024, 700)
    w.act_reset_layout.trigger()
    qtbot.waitUntil(lambda: w.width() <= 1100)
    qtbot.wait(0)


def test_wide_table_in_0_255_output_view_spans_its_data_and_wraps_its_caption_in_the_dock(
        qtbot, window, tmp_path, monkeypatch):
    w = window
    small_window(qtbot, w)
    X, _ = write_images(tmp_path / "img.csv")
    import_csv(qtbot, w, tmp_path / "img.csv", monkeypatch)
    opts, plot, dock = w.output_panel.options, w.boundary, w.docks["outputDock"]
    qtbot.waitUntil(lambda: plot.grid is not None and plot.grid.raw.shape[1] == 64, timeout=WAIT)
    i, j = plot.grid.axes
    # The border pixels are all 0: the view spans two that vary, not the corner.
    assert X[:, i].max() > 0 and X[:, j].max() > 0

    def spans_data():
        (x0, x1), (y0, y1) = plot.plotItem.vb.viewRange()
        return x0 <= X[:, i].min() and X[:, i].max() <= x1 and y0 <= X[:, j].min() and X[:, j].max() <= y1
    qtbot.waitUntil(spans_data)
    # The plot (its axes, the points in it) lies within the dock, not beyond it.
    vb = plot.plotItem.vb
    assert vb.sceneBoundingRect().right() <= plot.width() and plot.width() <= dock.width()
    assert plot.height() >= 120
    cap = opts.caption
    assert cap.isVisible() and cap.text().startswith("others at median: pixel_0_0 0")
    assert cap.width() <= dock.width() and cap.geometry().right() <= opts.width()
    lines = cap.height() // cap.fontMetrics().lineSpacing()
    assert 1 <= lines <= 2 and "more" in cap.text()
    assert cap.toolTip().count(",") == 61  # every held column in the tooltip, names whole
    assert "pixel_7_7 0" in cap.toolTip()
    # Selecting the Input node (its inspector is long) leaves the view its height and range.
    w.select_node(w.document.graph.nodes_of_type("input")[0].id)
    qtbot.waitUntil(lambda: w.inspector.isVisible())
    qtbot.wait(0)
    assert plot.height() >= 120 and spans_data() and w.height() <= 700


def test_caption_names_columns_whole(qtbot, window, tmp_path, monkeypatch):
    w = window
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    path = tmp_path / "long.csv"
    path.write_text("sepal_length,sepal_width,petal_length,kind\n" + "".join(
        f"{a:.3f},{b:.3f},{c:.3f},{int(a > 0)}\n" for a, b, c in X))
    import_csv(qtbot, w, path, monkeypatch)
    cap = w.output_panel.options.caption
    qtbot.waitUntil(lambda: "petal_length" in cap.text())
    assert cap.text() == f"others at median: petal_length {np.median(np.round(X[:, 2], 3)):.3g}"
    assert cap.toolTip() == ""  # nothing left out


def text_fits(plot):
    """Every cell's text within its cell's width and height, in pixels of the font it is drawn in."""
    vb = plot.plotItem.vb
    cell_w, cell_h = vb.width() / plot.columns, vb.height() / len(plot.class_names)
    for t in plot.texts:
        fm = QFontMetrics(t.textItem.font())
        if fm.horizontalAdvance(t.toPlainText()) > cell_w or fm.height() > cell_h:
            return False
    return True


@pytest.mark.parametrize("size", [(640, 300), (150, 100)])
def test_confusion_counts_of_four_digits_fit_their_cells_beside_each_class_scores(qtbot, size):
    rng = np.random.default_rng(0)
    counts = rng.integers(1000, 9999, (10, 10))
    counts[3, 3] = 10000  # five digits, too
    plot = ConfusionPlot()
    qtbot.addWidget(plot)
    plot.resize(*size)
    plot.show()
    qtbot.waitExposed(plot)
    names = [f"class number {i}" for i in range(10)]
    p = np.diag(counts) / counts.sum(axis=0)
    r = np.diag(counts) / counts.sum(axis=1)
    plot.set_counts(counts, names, (p, r, 2 * p * r / (p + r)))
    # A plot too small for the smallest text asks for the room it needs.
    qtbot.waitUntil(lambda: plot.width() >= plot.minimumWidth() and plot.height() >= plot.minimumHeight())
    plot.resize(max(size[0], plot.minimumWidth()), max(size[1], plot.minimumHeight()))
    qtbot.waitUntil(lambda: text_fits(plot))
    for i in range(10):
        for j in range(10):
            assert plot.cell_text(i, j).toPlainText() == str(counts[i, j])
        assert plot.cell_text(i, 10).toPlainText() == f"{p[i]:.2f}"
        assert plot.cell_text(i, 11).toPlainText() == f"{r[i]:.2f}"
    assert plot.cell_text(3, 3).toPlainText() == "10000"
    assert plot.cell_text(0, 12).toPlainText() == f"{2 * p[0] * r[0] / (p[0] + r[0]):.2f}"
    if size[0] > 300:  # room enough: the minimum it started with
        assert plot.minimumWidth() <= 140
