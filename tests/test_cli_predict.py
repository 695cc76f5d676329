"""`nnbuilder predict --drop-bad --outputs-only` on a table with bad rows:
what is written is read back and checked against an independent forward
pass (tests/forward.py), row numbers against the file's own lines."""
import csv

import numpy as np

from forward import forward, read_model
from nnbuilder.cli import main

SPECIES = ["setosa", "versicolor", "virginica"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def trained_classifier(capsys, tmp_path):
    """A 3-5-3 softmax network trained by the CLI on columns a, b, c with text labels."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(90, 3))
    y = np.argmax(X @ np.array([[1.0, -1, 0], [0, 1, -1], [-1, 0, 1]]), axis=1)
    data = tmp_path / "train.csv"
    data.write_text("a,b,c,species\n" + "".join(f"{p},{q},{r},{SPECIES[k]}\n"
                                                for (p, q, r), k in zip(X.tolist(), y)))
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    assert run(capsys, "new", "3-5-3", "-o", m)[0] == 0
    code, _, err = run(capsys, "train", m, "--data", data, "--target", "species", "--epochs", "20",
                       "--lr", "0.1", "-o", t)
    assert code == 0, err
    return t


def table_with_bad_rows(tmp_path):
    """(path, {file line: (a, b, c)} of the good rows, the bad rows' file lines).

    The columns come in another order, beside an id column the model does not
    read (text in one row: not a reason to leave it out), with a blank line
    (so file lines are not data-row indices), an empty cell and a text cell."""
    rng = np.random.default_rng(5)
    lines = ["id,c,note,a,b"]
    good, bad = {}, []
    for i, (a, b, c) in enumerate(rng.normal(size=(8, 3)).tolist()):
        cells = [str(i), repr(c), "ok", repr(a), repr(b)]
        if i == 2:
            cells[4] = ""  # b missing
        if i == 5:
            cells[1] = "n/a"  # c not a number
        if i == 6:
            cells[0] = "seven"  # a column the model does not read
        if i == 4:
            lines.append("")  # a blank line: skipped, but it has a line number
        lines.append(",".join(cells))
        (bad.append(len(lines)) if i in (2, 5) else good.__setitem__(len(lines), (a, b, c)))
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, good, bad


def read_back(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_drop_bad_and_outputs_only_write_row_numbers_and_outputs(capsys, tmp_path):
    t = trained_classifier(capsys, tmp_path)
    path, good, bad = table_with_bad_rows(tmp_path)
    assert bad == [4, 8]  # line 1 is the header; a blank line before the 5th data row

    # Without --drop-bad the first bad cell stops it (exit 2, one line naming it).
    code, out, err = run(capsys, "predict", t, path, "-o", tmp_path / "none.csv")
    assert code == 2 and out == "" and not (tmp_path / "none.csv").exists()
    assert err.strip() == (f"nnbuilder: error: {path}: row 4, column 'b': is empty "
                           "(--drop-bad leaves out such rows)")

    out_csv = tmp_path / "out.csv"
    code, out, err = run(capsys, "predict", t, path, "--drop-bad", "--outputs-only", "-o", out_csv)
    assert code == 0 and out == ""
    assert err.splitlines() == ["nnbuilder: left out 2 rows of 8 with a missing or non-numeric cell "
                                "(the first: row 4, column 'b': is empty)"]
    header, rows = read_back(out_csv)
    assert header == ["row", "output1", "output2", "output3", "class", "label"]
    assert [int(r[0]) for r in rows] == sorted(good) == [2, 3, 5, 7, 9, 10]
    raw = np.array([good[int(r[0])] for r in rows])
    expected, _ = forward(read_model(t), raw)  # the model's x1, x2, x3 are a, b, c
    got = np.array([[float(v) for v in r[1:4]] for r in rows])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    classes = np.argmax(expected, axis=1)
    assert [int(r[4]) for r in rows] == classes.tolist()
    assert [r[5] for r in rows] == [SPECIES[k] for k in classes]

    # Without --outputs-only the kept rows' input columns come first, as before.
    code, out, err = run(capsys, "predict", t, path, "--drop-bad")
    assert code == 0 and len(err.splitlines()) == 1
    rows = list(csv.reader(out.splitlines()))
    assert rows[0] == ["a", "b", "c", "output1", "output2", "output3", "class", "label"]
    np.testing.assert_array_equal(np.array([[float(v) for v in r[:3]] for r in rows[1:]]), raw)
    np.testing.assert_allclose(np.array([[float(v) for v in r[3:6]] for r in rows[1:]]), expected,
                               rtol=1e-12, atol=1e-15)


def test_outputs_only_on_a_clean_file_and_nothing_left_to_predict(capsys, tmp_path):
    t = trained_classifier(capsys, tmp_path)
    clean = tmp_path / "clean.csv"
    raw = np.random.default_rng(2).normal(size=(4, 3))
    clean.write_text("a,b,c\n" + "".join(",".join(map(repr, r)) + "\n" for r in raw.tolist()))
    code, out, err = run(capsys, "predict", t, clean, "--drop-bad", "--outputs-only")
    assert code == 0 and err == ""  # nothing left out: nothing said
    rows = list(csv.reader(out.splitlines()))
    assert [r[0] for r in rows] == ["row", "2", "3", "4", "5"] and len(rows[0]) == 6
    expected, _ = forward(read_model(t), raw)
    np.testing.assert_allclose(np.array([[float(v) for v in r[1:4]] for r in rows[1:]]), expected,
                               rtol=1e-12, atol=1e-15)

    hopeless = tmp_path / "hopeless.csv"
    hopeless.write_text("a,b,c\n1,,3\nx,2,3\n")
    code, out, err = run(capsys, "predict", t, hopeless, "--drop-bad", "--outputs-only")
    assert code == 2 and out == ""
    assert err.strip() == (f"nnbuilder: error: {hopeless}: no rows are left after leaving out "
                           "those with bad cells")
