"""Built-in datasets and CSV loading."""
import numpy as np
import pytest

from nnbuilder.core.data.datasets import DATASETS, load_csv, load_features_csv, make_dataset, split_indices
from nnbuilder.core.errors import DataError
from nnbuilder.core.functions.features import apply_features


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_is_seeded_shaped_and_finite(name):
    info = DATASETS[name]
    a, b = make_dataset(name, seed=3), make_dataset(name, seed=3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.X.shape == (info.samples, info.columns) and np.isfinite(a.X).all()
    if info.task == "classification":
        assert sorted(set(a.y.tolist())) == list(range(info.n_classes))
    else:
        assert a.y.shape == (info.samples, 1)
    if not info.fixed:
        assert not np.array_equal(make_dataset(name, seed=4).X, a.X)
        assert make_dataset(name, samples=40).X.shape[0] == 40


def test_noise_moves_points():
    clean, noisy = make_dataset("circle", noise=0.0, seed=1), make_dataset("circle", noise=0.5, seed=1)
    r_clean = np.hypot(*clean.X[clean.y == 1].T)
    assert r_clean.max() <= 2.5 and np.hypot(*noisy.X[noisy.y == 1].T).max() > 2.5


def test_lecture_tables():
    t = make_dataset("seed_table")
    np.testing.assert_array_equal(t.X[:, 0], [10, 2, 3.5, 1])
    np.testing.assert_array_equal(t.y[:, 0], [10.1, 1.9, 3.4, 1.1])
    assert (t.X[:, 0] * t.y[:, 0]).sum() == pytest.approx(117.8)
    assert (t.X[:, 0] ** 2).sum() == pytest.approx(117.25)
    assert make_dataset("xor_table").y.tolist() == [0, 1, 1, 0]
    assert make_dataset("and").y.tolist() == [0, 0, 0, 1]
    assert make_dataset("or").y.tolist() == [0, 1, 1, 1]


def test_bad_options_are_refused():
    with pytest.raises(DataError, match="unknown dataset"):
        make_dataset("mnist")
    with pytest.raises(DataError, match="noise"):
        make_dataset("circle", noise=2)
    with pytest.raises(DataError, match="samples"):
        make_dataset("circle", samples=1)


def test_split_fraction():
    tr, te = split_indices(100, 0.7, np.random.default_rng(0))
    assert len(tr) == 70 and len(te) == 30 and not set(tr) & set(te)
    tr, te = split_indices(4, 1.0, np.random.default_rng(0))
    assert len(tr) == 4 and len(te) == 0


def test_features_from_raw_columns():
    X = np.array([[1.0, 2.0, 5.0]])
    F = apply_features(X, ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)", "x3"])
    np.testing.assert_allclose(F[0], [1, 2, 1, 4, 2, np.sin(1), np.sin(2), 5])
    with pytest.raises(DataError, match="need 3 data columns; the data has 2"):
        apply_features(X[:, :2], ["x1", "x3"])


def write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_csv_with_header_and_numeric_labels(tmp_path):
    ds = load_csv(write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n5,6,1.0\n"))
    assert ds.task == "classification" and ds.n_classes == 2 and ds.y.tolist() == [0, 1, 1]
    assert ds.column_names == ["a", "b"] and ds.class_names == ["0", "1"]


def test_csv_without_header_target_by_number_and_text_labels(tmp_path):
    ds = load_csv(write(tmp_path, "setosa,1.5,2\nvirginica,3,4\nsetosa,2,1\n"), target="1")
    assert ds.class_names == ["setosa", "virginica"] and ds.y.tolist() == [0, 1, 0]
    np.testing.assert_array_equal(ds.X, [[1.5, 2], [3, 4], [2, 1]])


def test_csv_regression_target_by_name(tmp_path):
    ds = load_csv(write(tmp_path, "y,x\n0.5,1\n1.25,2\n2.5,3\n"), target="y")
    assert ds.task == "regression" and ds.y[:, 0].tolist() == [0.5, 1.25, 2.5]


@pytest.mark.parametrize("text,target,needle", [
    ("a,b,y\n1,2,0\n3,x,1\n", None, "row 3, column 'b': 'x' is not a finite number"),
    ("a,b,y\n1,2,0\n3,,1\n", None, "row 3, column 'b': is empty"),
    ("a,b,y\n1,2,0\n3,4\n", None, "row 3, column 'y': is empty"),  # a short row: missing cells
    ("a,b,y\n1,2,0\n3,4,1,9\n", None, "row 3 has 4 cells, expected 3"),
    ("a,b,y\n1,2,0\n3,nan,1\n", None, "row 3, column 'b'"),
    ("a,b,y\n1,2,0\n", "z", "no column named 'z'"),
    ("a,b,y\n", None, "header but no data rows"),
    ("", None, "no rows"),
    ("a,b,y\n1,2,0\n3,4,\n", None, "row 3, column 'y': is empty"),
    ("a,b,y\n1,2,0.5\n3,4,abc\n5,6,1.5\n", None, "row 3, column 'y': 'abc' is not a finite number"),
])
def test_bad_csv_names_row_and_column(tmp_path, text, target, needle):
    with pytest.raises(DataError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        load_csv(write(tmp_path, text), target=target)


def test_features_csv_for_prediction(tmp_path):
    names, X = load_features_csv(write(tmp_path, "1,2\n3,4\n"))
    assert names == ["x1", "x2"] and X.tolist() == [[1, 2], [3, 4]]
    with pytest.raises(DataError, match="row 2, column 'x2'"):
        load_features_csv(write(tmp_path, "x1,x2\n1,abc\n"))


# ---------------------------------------------------------------- CSV tables
from nnbuilder.core.data.csvfile import ROWS_PER_STEP, LoadCancelled, read_table, read_table_steps  # noqa: E402


def test_table_reports_every_bad_cell_by_file_line_and_drops_those_rows(tmp_path):
    text = "a,b,label\n1,2,cat\n\n3,,dog\n5,x,cat\n7,8,\n9,10,dog\n"
    t = read_table(write(tmp_path, text))
    assert t.names == ["a", "b", "label"] and len(t) == 5 and t.lines.tolist() == [2, 4, 5, 6, 7]
    assert t.is_text(2) and not t.is_text(1) and t.detect_task(2) == "classification"
    probs = [str(p) for p in t.problems([0, 1], 2, "classification")]
    assert probs == ["row 4, column 'b': is empty", "row 5, column 'b': 'x' is not a finite number",
                     "row 6, column 'label': is empty"]
    with pytest.raises(DataError, match="row 4, column 'b': is empty"):
        t.to_dataset()
    ds = t.to_dataset(drop_bad=True)
    assert ds.X.tolist() == [[1, 2], [9, 10]] and ds.class_names == ["cat", "dog"] and ds.y.tolist() == [0, 1]
    # Choosing only column a leaves the row with a bad b in.
    ds = t.to_dataset(["a"], "label", drop_bad=True)
    assert ds.X[:, 0].tolist() == [1, 3, 5, 9]


def test_table_task_detection_and_override(tmp_path):
    t = read_table(write(tmp_path, "x;y;k\n1;0.5;1\n2;1.5;2\n3;2.5;1\n4;3.0;2\n"))
    assert t.delimiter == ";"
    assert t.detect_task(1) == "regression" and t.detect_task(2) == "classification"
    ds = t.to_dataset(["x"], "k", task="regression")
    assert ds.task == "regression" and ds.y[:, 0].tolist() == [1, 2, 1, 2]
    ds = t.to_dataset(["x"], "y", task="classification")
    assert ds.n_classes == 4 and ds.class_names == ["0.5", "1.5", "2.5", "3"]
    with pytest.raises(DataError, match="both a feature and the target"):
        t.to_dataset(["x", "k"], "k")
    with pytest.raises(DataError, match="task must be one of"):
        t.to_dataset(task="clustering")


def test_table_reading_reports_progress_and_can_be_cancelled(tmp_path):
    rows = "\n".join(f"{i},{i % 3}" for i in range(20_000))
    path = write(tmp_path, "v,c\n" + rows + "\n")
    seen = []
    t = read_table(path, progress=lambda f: seen.append(f))
    assert len(t) == 20_000 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 4
    with pytest.raises(LoadCancelled):
        read_table(path, progress=lambda f: f < 0.3)


def test_stepwise_reading_stops_at_least_every_rows_per_step_rows_of_each_pass(tmp_path):
    # The window runs one step per turn of its event loop: this bound is what
    # keeps it responsive while a big file is read.
    n = 4 * ROWS_PER_STEP + 17
    path = write(tmp_path, "a,b,label\n" + "".join(f"{i},{i / 2},{'pq'[i % 2]}\n" for i in range(n)))
    steps, count = read_table_steps(path), 0
    while True:
        try:
            next(steps)
        except StopIteration as done:
            table = done.value
            break
        count += 1
    assert len(table) == n and table.names == ["a", "b", "label"]
    # One pass over the rows, parsed a block of at most ROWS_PER_STEP rows a step.
    assert count >= n // ROWS_PER_STEP


def test_table_names_repeated_or_empty_header_cells_uniquely(tmp_path):
    t = read_table(write(tmp_path, "x,x,,y\n1,2,3,0\n4,5,6,1\n"))
    assert t.names == ["x", "x (2)", "column 3", "y"]
    ds = t.to_dataset(["x (2)", "column 3"], "y")
    assert ds.X.tolist() == [[2, 3], [5, 6]]


def test_table_reads_windows_1252_text_and_refuses_binary(tmp_path):
    p = tmp_path / "w.csv"
    p.write_bytes("größe,caf\xe9 label\n1,s\xfc\xdf\n2,sauer\n".encode("latin-1"))
    t = read_table(str(p))
    assert t.encoding == "Windows-1252" and t.names == ["größe", "café label"]
    assert t.to_dataset().class_names == ["sauer", "süß"]
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DataError, match="not a text file"):
        read_table(str(p))


# ------------------------------------------------- the fast reader vs the csv module
import csv as _csv  # noqa: E402


def _csv_module_numbers(path, n_cols):
    """Independent reading: the csv module and float(); NaN where a cell is no finite number."""
    out = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in _csv.reader(fh) if "".join(r).strip()]
    for r in rows[1:]:
        r = r + [""] * (n_cols - len(r))
        vals = []
        for c in r:
            try:
                v = float(c)
            except ValueError:
                v = float("nan")
            vals.append(v if np.isfinite(v) else float("nan"))
        out.append(vals)
    return np.array(out)


def test_wide_table_with_bad_cells_blank_rows_bom_matches_the_csv_module(tmp_path):
    rng = np.random.default_rng(3)
    n, m = 300, 120
    V = rng.integers(0, 256, (n, m)).astype(object)
    V[:, 5] = [repr(float(x)) for x in rng.normal(size=n)]  # decimals: float64 kept exactly
    V[17, 3], V[40, 60], V[41, 119] = "x", "", "1e999"
    lines = ["\ufeff" + ",".join(f"p{j}" for j in range(m))]
    for i in range(n):
        lines.append(",".join(map(str, V[i])))
        if i == 100:
            lines.append("")  # a blank line
            lines.append("," * (m - 1))  # a row of only empty cells is no row
        if i == 200:
            lines.append("1,2,3")  # a short row: missing cells
    path = write(tmp_path, "\n".join(lines) + "\n", "wide.csv")
    t = read_table(path)
    assert t.names[0] == "p0" and t.n_columns == m and len(t) == n + 1
    want = _csv_module_numbers(path, m)
    np.testing.assert_array_equal(np.column_stack([t.values(j) for j in range(m)]), want)
    probs = [str(p) for p in t.problems(range(m), None, "regression", limit=4)]
    assert probs == ["row 19, column 'p3': 'x' is not a finite number", "row 42, column 'p60': is empty",
                     "row 43, column 'p119': '1e999' is not a finite number"] + probs[3:]
    assert probs[3] == "row 205, column 'p3': is empty"  # the short row, after 2 skipped lines
    assert t.lines[101] == 105 and t.cell(0, 5) == V[0, 5]


def test_quoted_fields_text_labels_and_missing_cells_match_the_csv_module(tmp_path):
    text = 'a,b,label\n"1.5",2,"setosa"\n3,,"vir, ginica"\n"5",x,setosa\n7,8,\n'
    path = write(tmp_path, text)
    t = read_table(path)
    np.testing.assert_array_equal(np.column_stack([t.values(j) for j in range(2)]),
                                  _csv_module_numbers(path, 3)[:, :2])
    assert [str(p) for p in t.problems([0, 1], 2, "classification")] == [
        "row 3, column 'b': is empty", "row 4, column 'b': 'x' is not a finite number",
        "row 5, column 'label': is empty"]
    assert t.column_cells(2) == ["setosa", "vir, ginica", "setosa", ""]


def test_a_quoted_line_break_keeps_file_lines(tmp_path):
    path = write(tmp_path, 'a,note,y\n1,"two\nlines",0\n2,x,1\n3,,z\n')
    t = read_table(path)
    assert t.lines.tolist() == [3, 4, 5] and t.column_cells(1) == ["two\nlines", "x", ""]
    assert [str(p) for p in t.problems([0], 2, "regression")] == ["row 5, column 'y': 'z' is not a finite number"]


def test_crlf_lines_and_white_space_lines_match_the_csv_module(tmp_path):
    p = tmp_path / "crlf.csv"
    p.write_bytes(b"a,b,y\r\n1.5,2,0\r\n\r\n3,4,1\r\n5, x,1\r\n  \r\n")
    t = read_table(str(p))
    assert t.lines.tolist() == [2, 4, 5]
    np.testing.assert_array_equal(np.column_stack([t.values(j) for j in range(3)]),
                                  _csv_module_numbers(str(p), 3))
    assert [str(q) for q in t.problems([0, 1], 2, "classification")] == [
        "row 5, column 'b': 'x' is not a finite number"]


def test_the_target_is_the_column_named_as_a_label_else_the_last(tmp_path):
    """The engineer's MNIST-like table has its label first: without --target
    the last pixel column was trained on as a regression. A column named
    like a target (one of them) is the target; otherwise the last column."""
    p = tmp_path / "pixels.csv"
    rows = [(k % 3, k, 2 * k, (k * 7) % 5) for k in range(30)]
    p.write_text("Label,p1,p2,p3\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    ds = load_csv(str(p))
    assert ds.task == "classification" and ds.column_names == ["p1", "p2", "p3"]
    np.testing.assert_array_equal(ds.y, [r[0] for r in rows])
    assert read_table(str(p)).default_target() == 0
    two = tmp_path / "two.csv"  # two such columns: no guess, the last one
    two.write_text("y,class,v\n" + "".join(f"{k},{k % 2},{k / 3}\n" for k in range(30)))
    assert read_table(str(two)).default_target() == 2
    plain = tmp_path / "plain.csv"
    plain.write_text("a,b,c\n" + "".join(f"{k},{k + 1},{k % 2}\n" for k in range(30)))
    assert read_table(str(plain)).default_target() == 2
    assert load_csv(str(plain)).column_names == ["a", "b"]
