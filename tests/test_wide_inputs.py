"""Inputs of real tables, headless: features named by the data's columns,
derived features only for 2-D data, and the hidden width Fit proposes
(issue 20, point 4); the CLI's ``info`` and ``train --fit`` show them."""
import json
import re

import numpy as np

from nnbuilder.core.data.dataset import Dataset
from nnbuilder.core.engine.traindata import fitting_changes, fitting_note, hidden_width
from nnbuilder.core.functions.features import FEATURE_NAMES, abbreviated, feature_label, offered_features
from nnbuilder.core.model.graph import Graph

from test_cli import EXAMPLES, run


def test_a_feature_is_read_by_its_column_name():
    cols = ["age", "income", "score"]
    assert [feature_label(f, cols) for f in ("x1", "x3", "x1^2", "x1*x2", "sin(x2)")] == \
        ["age", "score", "age^2", "age*income", "sin(income)"]
    assert feature_label("x4", cols) == "x4"  # beyond the names: its file name
    assert feature_label("x12", [f"c{j}" for j in range(1, 13)]) == "c12"  # not c1 then "2"
    assert [feature_label(f) for f in FEATURE_NAMES] == list(FEATURE_NAMES)  # no names: as in files
    assert abbreviated([f"p{j}" for j in range(1, 785)]) == "p1, p2, p3, …, p784"
    assert abbreviated(["a", "b", "c", "d", "e"]) == "a, b, c, d, e"


def test_derived_features_are_offered_for_2d_data_only():
    assert offered_features(2) == FEATURE_NAMES
    assert offered_features(784) == tuple(f"x{k}" for k in range(1, 785))
    assert not {"x1^2", "sin(x1)", "x1*x2"} & set(offered_features(3))


def reference_width(n_in, n_out, rows):
    """The rule written out by hand: double from 1 while below sqrt(in x out)
    (and while below rows / 8 allows), keep between 4 and 128."""
    w = 1
    while w * w < n_in * n_out:
        w *= 2
    cap = 1
    while cap * 2 <= rows // 8:
        cap *= 2
    return max(4, min(128, w, cap))


def test_hidden_width_follows_the_data_shape():
    assert hidden_width(784, 10, 60000) == 128
    assert hidden_width(2, 1, 200) == 4  # 2-D toy data: the example's layers fit
    for n_in in (1, 2, 3, 10, 30, 64, 100, 784, 3000):
        for n_out in (1, 3, 10):
            for rows in (10, 50, 200, 569, 60000):
                assert hidden_width(n_in, n_out, rows) == reference_width(n_in, n_out, rows), (n_in, n_out, rows)


def wide_dataset(rows, cols, classes):
    rng = np.random.default_rng(0)
    return Dataset(rng.random((rows, cols)), np.arange(rows) % classes, "classification",
                   n_classes=classes, column_names=[f"pixel{j + 1}" for j in range(cols)])


def test_fitting_widens_narrow_hidden_layers_and_says_why():
    g = Graph.chain([2, 4, 4, 1])
    ds = wide_dataset(60000, 784, 10)
    ch = fitting_changes(g, ds)
    assert ch["dense1"] == ch["dense2"] == {"units": 128, "activation": "relu"}
    assert ch["input"]["features"] == [f"x{k}" for k in range(1, 785)]
    assert ch["output"] == {"units": 10, "activation": "softmax", "loss": "cross_entropy"}
    assert fitting_note(g, ds, ch) == "2 hidden layers of 128 relu units: 784 inputs, 10 classes, 60,000 rows"
    one = Graph.chain([2, 4, 1])
    assert fitting_note(one, ds, fitting_changes(one, ds)) == \
        "hidden layer of 128 relu units: 784 inputs, 10 classes, 60,000 rows"
    # 2-D toy data keeps the small layers; wide layers are kept too.
    toy = Dataset(np.random.default_rng(1).normal(size=(200, 2)), np.arange(200) % 2, "classification", n_classes=2)
    assert fitting_changes(g, toy) == {} and fitting_note(g, toy, {}) == ""
    wide = Graph.chain([2, 256, 1])
    assert "dense1" not in fitting_changes(wide, ds)


def write_wide_csv(path, rows, cols, classes):
    ds = wide_dataset(rows, cols, classes)
    head = ",".join(ds.column_names) + ",label\n"
    path.write_text(head + "".join(",".join(f"{v:.3f}" for v in r) + f",{k}\n" for r, k in zip(ds.X, ds.y)))


def test_info_names_the_inputs_by_their_columns(capsys, tmp_path):
    code, out, _ = run(capsys, "info", EXAMPLES / "xor.json")
    assert code == 0 and "inputs (2): x1, x2" in out
    data, m, t = tmp_path / "wide.csv", tmp_path / "m.json", tmp_path / "t.json"
    write_wide_csv(data, 200, 64, 10)
    assert run(capsys, "new", "2-4-4-1", "-o", m)[0] == 0
    code, out, err = run(capsys, "train", m, "--data", data, "--fit", "--epochs", "1", "-o", t)
    assert code == 0, err
    # 64 x 10 asks for 32 units, 200 rows allow 16.
    assert "nnbuilder: 2 hidden layers of 16 relu units: 64 inputs, 10 classes, 200 rows" in err
    code, out, _ = run(capsys, "info", t)
    assert code == 0
    assert "inputs (64): pixel1, pixel2, pixel3, pixel4, pixel5, pixel6, pixel7, pixel8, …, pixel63, pixel64" in out
    assert "pixel1, pixel2, pixel3, …" in out  # the Input node's settings
    assert re.search(r"\bx[0-9]+\b", out) is None  # no feature is shown as x<k>
    code, out, _ = run(capsys, "info", t, "--json")
    info = json.loads(out)
    assert info["inputs"] == [f"pixel{j}" for j in range(1, 65)] == info["columns"]


def test_explain_names_the_column_a_first_layer_weight_reads(capsys, tmp_path):
    data, m, t = tmp_path / "wide.csv", tmp_path / "m.json", tmp_path / "t.json"
    write_wide_csv(data, 200, 20, 3)
    assert run(capsys, "new", "2-4-1", "-o", m)[0] == 0
    assert run(capsys, "train", m, "--data", data, "--fit", "--epochs", "1", "-o", t)[0] == 0
    # The first data row is the file's row 2 (the header is row 1), as messages number it.
    code, out, err = run(capsys, "explain", t, "--data", data, "--row", "2", "--weight", "Dense 1:7:2")
    assert code == 0, err
    assert "row 2 of " in out and "pixel1 = " in out
    assert "chain rule of Dense 1: W[7,2] (from pixel7) = " in out
    code, out, err = run(capsys, "explain", t, "--data", data, "--row", "2", "--weight", "Output:3:1")
    assert "chain rule of Output: W[3,1] = " in out  # not a weight from the inputs


def test_a_run_on_many_inputs_is_labelled_in_a_few_words():
    from nnbuilder.core.teaching.compare import difference, run_settings

    wide, fewer = Graph.chain([784, 16, 10]), Graph.chain([780, 16, 10])
    label = difference(run_settings(wide, None, None, 0), run_settings(fewer, None, None, 0))
    assert "features x1, x2, x3, …, x784" in label and len(label) < 80, label


def test_a_wide_input_on_narrow_data_is_refused_in_one_short_line():
    import pytest

    from nnbuilder.core.errors import DataError
    from nnbuilder.core.functions.features import apply_features

    with pytest.raises(DataError) as e:
        apply_features(np.zeros((3, 10)), [f"x{k}" for k in range(1, 785)])
    assert str(e.value) == ("the Input node uses features x1, x2, x3, …, x784, which need 784 data "
                            "columns; the data has 10")
