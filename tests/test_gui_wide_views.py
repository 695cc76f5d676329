"""Views for many inputs, through the real window: the output view's range
and caption for a wide table, the confusion matrix's counts and per-class
scores, the first layer's weights as images and the rows the network misses."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication

from guitools import wait_drawn
from nnbuilder.gui.run.confusion import ConfusionPlot
from nnbuilder.gui.window.mainwindow import MainWindow

WAIT = 20000


def write_images(path, side=8, rows=300, seed=0, high=255, noise=1 / 3):
    """A CSV of ``side x side`` images in 0..``high`` (a bar per class, its
    border always 0) and a 'digit' column of 4 classes; the table."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, rows)
    X = np.zeros((rows, side, side))
    for i, k in enumerate(y):
        X[i, 1:side - 1, 1 + k] = high
    X[:, 1:side - 1, 1:side - 1] += rng.uniform(0, noise * high, (rows, side - 2, side - 2))
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


def settle_layouts():
    """Run the layout passes that are queued (the plot's items lay out in posted events)."""
    for _ in range(3):
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()


def small_window(qtbot, w):
    """The window at 1024x700 with its panels laid out afresh for that size."""
    w.resize(1024, 700)
    w.act_reset_layout.trigger()
    qtbot.waitUntil(lambda: w.width() <= 1100)
    settle_layouts()


def test_wide_table_in_0_255_output_view_spans_its_data_and_wraps_its_caption_in_the_dock(
        qtbot, window, tmp_path, monkeypatch):
    w = window
    small_window(qtbot, w)
    X, _ = write_images(tmp_path / "img.csv")
    import_csv(qtbot, w, tmp_path / "img.csv", monkeypatch)
    # 64 inputs show the picked row's outputs first (test_gui_engineer.py); the slice on request.
    button = w.output_panel.instead.slice
    qtbot.waitUntil(button.isVisible, timeout=WAIT)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not w.output_panel.row_outputs.isChecked()
    opts, plot, dock = w.output_panel.options, w.boundary, w.docks["outputDock"]
    qtbot.waitUntil(lambda: plot.grid is not None and plot.grid.raw.shape[1] == 64, timeout=WAIT)
    settle_layouts()
    i, j = plot.grid.axes
    # The border pixels are all 0: the view spans two that vary, not the corner.
    assert X[:, i].max() > 0 and X[:, j].max() > 0

    vb = plot.plotItem.vb

    def spans_data():
        """The data's range is in the view's range, and that range on screen, in the plot."""
        (x0, x1), (y0, y1) = vb.viewRange()
        inside = x0 <= X[:, i].min() and X[:, i].max() <= x1 and y0 <= X[:, j].min() and X[:, j].max() <= y1
        corners = [plot.mapFromScene(vb.mapViewToScene(QPointF(X[:, i].min() if lo else X[:, i].max(),
                                                               X[:, j].min() if lo else X[:, j].max())))
                   for lo in (True, False)]
        return inside and all(plot.rect().contains(c) for c in corners)
    qtbot.waitUntil(spans_data)
    assert plot.width() <= dock.width() and vb.sceneBoundingRect().right() <= plot.width()
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
    settle_layouts()
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


def train_paused(qtbot, w, epochs):
    """Train to ``epochs`` (the Max epochs rule stops it); the final snapshot drawn."""
    w.training_panel.max_epochs.setValue(epochs)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    return wait_drawn(qtbot, w, lambda s: s.epoch >= epochs, running=False, timeout=60000)


def check_weight_images(qtbot, w, W):
    """The view's images are ``W``'s columns laid out row by row, drawn in
    colours whose order follows the weights'."""
    view = w.weight_images
    qtbot.waitUntil(lambda: view.images is not None and len(view.images) == W.shape[1], timeout=WAIT)
    side = int(np.sqrt(W.shape[0]))
    for u in range(W.shape[1]):
        np.testing.assert_array_equal(view.images[u], W[:, u].reshape(side, side))
    # Drawn: orange (negative) through the middle to blue (positive): red falls as the weight grows.
    grab = view.grid.grab().toImage()
    for u in range(W.shape[1]):
        rect = view.grid.rect_of(u)
        red = np.array([[grab.pixelColor(int(rect.x() + (c + 0.5) * rect.width() / side),
                                         int(rect.y() + (r + 0.5) * rect.height() / side)).red()
                         for c in range(side)] for r in range(side)]).ravel()
        np.testing.assert_array_equal(red, view.rgba[u, :, :, 0].ravel())
        order = np.argsort(W[:, u], kind="stable")
        assert np.all(np.diff(red[order].astype(int)) <= 0)
        assert red[order[0]] > red[order[-1]]


def test_weights_as_images_and_mistakes_for_an_8x8_image_table_match_numpy_and_sklearn(
        qtbot, make_window, tmp_path, monkeypatch):
    from sklearn.metrics import precision_recall_fscore_support

    from forward import forward, read_model
    from nnbuilder.core.data.datasets import split_indices

    w = make_window()
    assert not w.docks["weightImagesDock"].isVisible()  # 2-D data: no images to show
    assert not w.docks["weightImagesDock"].toggleViewAction().isEnabled()
    path = tmp_path / "digits.csv"
    X, y = write_images(path, side=8, rows=240, high=16, noise=1.2)
    import_csv(qtbot, w, path, monkeypatch)
    for name in ("weightImagesDock", "mistakesDock"):
        assert w.docks[name].isVisible() and w.docks[name].toggleViewAction().isEnabled()
    w.docks["weightImagesDock"].raise_()
    qtbot.waitUntil(lambda: "Train or step once" in w.weight_images.title.text())
    snap = train_paused(qtbot, w, 2)
    g = w.document.graph
    first = g.outputs_of(g.nodes_of_type("input")[0].id)[0]
    W = np.asarray(snap.weights[first][0], dtype=np.float64)
    assert W.shape == (64, g.nodes[first].params["units"])
    check_weight_images(qtbot, w, W)

    # Weights of a moment looked back at (drawn as the timeline draws them): their images.
    earlier = {nid: (np.asarray(Wn) * -2.0, b) for nid, (Wn, b) in snap.weights.items()}
    w.live.show_weights(earlier)
    check_weight_images(qtbot, w, W * -2.0)
    w.live.draw(snap)  # back to the live run
    check_weight_images(qtbot, w, W)

    # Mistakes: the test rows whose argmax differs, by an independent forward pass.
    model_path = tmp_path / "digits.json"
    assert w.files.save_to(str(model_path))
    model = read_model(model_path)
    out, _ = forward(model, X)
    pred = out.argmax(axis=1)
    _, te = split_indices(len(X), 0.5, np.random.default_rng(0))
    wrong = te[pred[te] != y[te]]
    assert 0 < len(wrong) < len(te)
    w.docks["mistakesDock"].raise_()
    view = w.mistakes
    qtbot.waitUntil(lambda: len(view.rows) == len(wrong), timeout=WAIT)
    np.testing.assert_array_equal(view.rows, wrong)
    np.testing.assert_array_equal(view.true, y[wrong])
    np.testing.assert_array_equal(view.predicted, pred[wrong])
    assert view.summary.text().startswith(f"{len(wrong)} of {len(te)} test rows misclassified")
    assert view.grid.captions[0] == f"{y[wrong[0]]}→{pred[wrong[0]]}"
    assert len(view.grid.images) == len(wrong) and view.grid.images[0].width() == 8
    # Each image is its row, pixel by pixel: the larger the value, the further from the paper colour.
    paper = view.palette().color(QPalette.ColorRole.Base).red()
    for k in range(3):
        away = np.abs(view.grid.rgba[k, :, :, 0].astype(int) - paper).ravel()
        order = np.argsort(X[wrong[k]], kind="stable")
        assert np.all(np.diff(away[order]) >= 0) and away[order[-1]] > away[order[0]]
    # A click on one follows that row through the network in Learn.
    qtbot.mouseClick(view.grid, Qt.MouseButton.LeftButton, pos=view.grid.rect_of(1).center())
    assert w.learn.row == wrong[1]
    # Beside the confusion matrix: precision, recall and F1 as scikit-learn computes them.
    p, r, f, _ = precision_recall_fscore_support(y[te], pred[te], labels=range(4), zero_division=0)
    np.testing.assert_allclose(w.curves.confusion.scores, np.column_stack([p, r, f]), atol=1e-12)
    assert w.curves.confusion.cell_text(0, 4).toPlainText() == f"{p[0]:.2f}"

    # At rest, reopened: from the file's weights, before any run.
    w2 = make_window(str(model_path))
    qtbot.waitUntil(lambda: w2.data.dataset is not None, timeout=WAIT)
    assert w2.run.snapshot is None and w2.docks["weightImagesDock"].isVisible()
    w2.docks["weightImagesDock"].raise_()
    check_weight_images(qtbot, w2, np.asarray(model["weights"][first]["W"], dtype=np.float64))
    w2.docks["mistakesDock"].raise_()
    qtbot.waitUntil(lambda: len(w2.mistakes.rows) == len(wrong), timeout=WAIT)
    np.testing.assert_array_equal(w2.mistakes.rows, wrong)


def test_mistakes_of_data_that_are_not_images_are_a_table_of_their_values(
        qtbot, window, tmp_path, monkeypatch):
    from forward import forward, read_model
    from nnbuilder.core.data.datasets import split_indices

    w = window
    rng = np.random.default_rng(4)
    X = np.round(rng.normal(size=(120, 3)), 3)
    y = ((X[:, 0] + 0.3 * rng.normal(size=120)) > 0).astype(int)
    path = tmp_path / "three.csv"
    path.write_text("alpha,beta,gamma,kind\n" + "".join(f"{a},{b},{c},{k}\n" for (a, b, c), k in zip(X, y)))
    import_csv(qtbot, w, path, monkeypatch)
    dock = w.docks["mistakesDock"]
    assert not w.docks["weightImagesDock"].isVisible() and not dock.isVisible()
    assert dock.toggleViewAction().isEnabled()  # offered in View > Panels
    train_paused(qtbot, w, 5)
    dock.toggleViewAction().trigger()
    dock.raise_()
    assert w.files.save_to(str(tmp_path / "three.json"))
    out, _ = forward(read_model(tmp_path / "three.json"), X)
    pred = (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    _, te = split_indices(len(X), 0.5, np.random.default_rng(0))
    wrong = te[pred[te] != y[te]]
    assert len(wrong) > 0
    t = w.mistakes.table
    qtbot.waitUntil(lambda: t.rowCount() == len(wrong), timeout=WAIT)
    assert w.mistakes.stack.currentWidget() is t
    assert [t.horizontalHeaderItem(j).text() for j in range(6)] == ["row", "true", "predicted", "alpha", "beta",
                                                                      "gamma"]
    for i, row in enumerate(wrong):
        assert t.item(i, 0).text() == str(row + 1)
        assert (t.item(i, 1).text(), t.item(i, 2).text()) == (str(y[row]), str(pred[row]))
        assert float(t.item(i, 3).text()) == X[row, 0]


def test_a_large_confusion_matrix_scrolls_in_a_1024x700_window_rather_than_grow_it(qtbot, window):
    w = window
    small_window(qtbot, w)
    w.docks["curvesDock"].raise_()
    counts = np.random.default_rng(5).integers(1000, 9999, (10, 10))
    plot = w.curves.confusion
    plot.setVisible(True)
    plot.set_counts(counts, [f"class {i}" for i in range(10)], (np.full(10, 0.5),) * 3)
    settle_layouts()
    qtbot.waitUntil(lambda: text_fits(plot))
    assert w.width() <= 1024 and w.height() <= 700
    assert w.curves.confusion_area.isVisible()
    plot.setVisible(False)  # hidden with its scroll area: no empty room left
    assert not w.curves.confusion_area.isVisible()
