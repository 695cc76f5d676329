"""Model files that travel: a CSV file beside or below the model is stored
relative to it, "save with data" puts the rows in the file, and files written
before (absolute paths) still load."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from nnbuilder.cli import main
from nnbuilder.core.data.datasets import dataset_from_spec, load_csv
from nnbuilder.core.errors import ModelFileError
from nnbuilder.core.files.modelfile import load_model

IRIS = Path(__file__).resolve().parents[1] / "resources" / "data" / "iris.csv"


def _tricky_csv(path: Path, n: int = 60) -> None:
    """Numbers whose text is their shortest repr, and text that only looks
    like a number ('3.50', '1e-7', '-0.0', '007'), beside text labels."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=n), rng.normal(size=n) * 1e-7
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "c", "kind"])
        for i in range(n):
            c = ["3.50", "1e-7", "-0.0", "007", "12", str(i)][i % 6]
            w.writerow([repr(float(a[i])), repr(float(b[i])), c, ["cat", "dog", "emu"][i % 3]])


def _independent_read(path: Path, features: list[str]) -> np.ndarray:
    """The feature columns as float64, read with the csv module and float()."""
    with open(path, newline="") as fh:
        return np.array([[float(r[f]) for f in features] for r in csv.DictReader(fh)])


def _train(*args) -> None:
    assert main(["train", *map(str, args), "--epochs", "3"]) == 0


@pytest.fixture
def project(tmp_path):
    """A model trained on a CSV file in data/ below its folder."""
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    shutil.copy(IRIS, folder / "data" / "flowers.csv")
    assert main(["new", "4-5-3", "-o", str(folder / "net.json")]) == 0
    _train(folder / "net.json", "--data", folder / "data" / "flowers.csv", "--fit",
           "-o", folder / "trained.json")
    return folder


def test_a_csv_below_the_model_is_stored_relative_and_the_folder_moves(project, tmp_path):
    stored = json.loads((project / "trained.json").read_text())["dataset"]
    assert stored["csv"] == "data/flowers.csv"
    moved = tmp_path / "elsewhere" / "moved"
    shutil.move(str(project), str(moved))
    doc = load_model(moved / "trained.json")
    assert doc.dataset["csv"] == str(moved / "data" / "flowers.csv")
    ds = dataset_from_spec(doc.dataset)
    assert len(ds) == 150 and ds.labels == ["setosa", "versicolor", "virginica"]
    # and it trains on it, on its own (no --data): the data the file names
    _train(moved / "trained.json", "-o", moved / "again.json")
    assert json.loads((moved / "again.json").read_text())["dataset"]["csv"] == "data/flowers.csv"


def test_a_csv_beside_the_model_and_one_elsewhere(tmp_path):
    shutil.copy(IRIS, tmp_path / "iris.csv")
    assert main(["new", "4-3", "-o", str(tmp_path / "m.json")]) == 0
    _train(tmp_path / "m.json", "--data", tmp_path / "iris.csv", "-o", tmp_path / "t.json")
    assert json.loads((tmp_path / "t.json").read_text())["dataset"]["csv"] == "iris.csv"
    # A model saved in a folder beside the data's (not above it) keeps the absolute path.
    (tmp_path / "models").mkdir()
    _train(tmp_path / "t.json", "-o", tmp_path / "models" / "t.json")
    stored = json.loads((tmp_path / "models" / "t.json").read_text())["dataset"]["csv"]
    assert stored == str(tmp_path / "iris.csv")
    assert load_model(tmp_path / "models" / "t.json").dataset["csv"] == stored


def test_a_file_written_before_with_an_absolute_path_still_loads_and_trains(project, tmp_path):
    old = json.loads((project / "trained.json").read_text())
    old["dataset"]["csv"] = str(project / "data" / "flowers.csv")  # how every file used to be
    (tmp_path / "old.json").write_text(json.dumps(old, indent=1))
    doc = load_model(tmp_path / "old.json")
    assert doc.dataset["csv"] == str(project / "data" / "flowers.csv")
    assert len(dataset_from_spec(doc.dataset)) == 150
    _train(tmp_path / "old.json", "-o", tmp_path / "old-again.json")


def test_embedded_rows_round_trip_exactly_without_the_csv(tmp_path):
    data = tmp_path / "tricky.csv"
    _tricky_csv(data)
    assert main(["new", "3-4-3", "-o", str(tmp_path / "m.json")]) == 0
    _train(tmp_path / "m.json", "--data", data, "--embed-data", "-o", tmp_path / "e.json")
    text = (tmp_path / "e.json").read_text()
    stored = json.loads(text)["dataset"]
    assert stored["columns"] == ["a", "b", "c", "kind"]
    assert "   " + json.dumps(stored["rows"][5]) + "," in text.splitlines()  # a row a line
    with open(data, newline="") as fh:
        cells = list(csv.reader(fh))[1:]
    assert len(stored["rows"]) == len(cells) == 60
    for row, original in zip(stored["rows"], cells):
        # exact: every cell reads back as the same text
        assert [repr(v) if isinstance(v, float) else str(v) for v in row] == original
    assert {type(v) for row in stored["rows"] for v in row[:2]} == {float}
    assert "3.50" in {row[2] for row in stored["rows"]} and "007" in {row[2] for row in stored["rows"]}

    expected = load_csv(str(data))
    data.unlink()  # the model file carries its data now
    ds = dataset_from_spec(load_model(tmp_path / "e.json").dataset)
    np.testing.assert_array_equal(ds.X, expected.X)
    np.testing.assert_array_equal(ds.y, expected.y)
    assert (ds.labels, ds.column_names, ds.task) == (expected.labels, expected.column_names, expected.task)
    _train(tmp_path / "e.json", "-o", tmp_path / "e2.json")  # trains with no CSV anywhere
    assert json.loads((tmp_path / "e2.json").read_text())["dataset"]["rows"] == stored["rows"]


def test_embedded_numbers_are_the_files_numbers(tmp_path):
    """Independent of nnbuilder's CSV reader: csv + float() on the original file."""
    data = tmp_path / "tricky.csv"
    _tricky_csv(data)
    assert main(["new", "3-4-3", "-o", str(tmp_path / "m.json")]) == 0
    _train(tmp_path / "m.json", "--data", data, "--embed-data", "-o", tmp_path / "e.json")
    want = _independent_read(data, ["a", "b", "c"])
    data.unlink()
    got = dataset_from_spec(load_model(tmp_path / "e.json").dataset).X
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got[2, 2])  # '-0.0' stays negative zero


@pytest.mark.parametrize("breakage, where", [
    (lambda d: d["rows"][3].pop(), r"\$\.dataset\.rows\[3\]"),
    (lambda d: d["rows"][0].__setitem__(0, True), r"\$\.dataset\.rows\[0\]\[0\]"),
    (lambda d: d.pop("columns"), "'columns' is missing"),
    (lambda d: d.pop("csv"), "'csv' must name it"),
    (lambda d: d["columns"].__setitem__(1, d["columns"][0]), "must be different"),
])
def test_broken_embedded_data_is_refused_saying_where(tmp_path, breakage, where):
    shutil.copy(IRIS, tmp_path / "iris.csv")
    assert main(["new", "4-3", "-o", str(tmp_path / "m.json")]) == 0
    _train(tmp_path / "m.json", "--data", tmp_path / "iris.csv", "--embed-data", "-o", tmp_path / "e.json")
    model = json.loads((tmp_path / "e.json").read_text())
    breakage(model["dataset"])
    (tmp_path / "bad.json").write_text(json.dumps(model))
    with pytest.raises(ModelFileError, match=where):
        load_model(tmp_path / "bad.json")


# ------------------------------------------------------------------ window
def test_the_window_saves_with_data_and_opens_it_without_the_csv(make_window, qtbot, project, tmp_path):
    w = make_window(str(project / "trained.json"))
    qtbot.waitUntil(lambda: w.data.dataset is not None, timeout=10000)
    rows = len(w.data.dataset)
    assert rows == 150
    from PySide6.QtWidgets import QMenu  # here: the file's other tests run without Qt

    file_menu = w.findChild(QMenu, "fileMenu")
    assert w.menuBar().actions()[0] == file_menu.menuAction()
    names = [a.objectName() for a in file_menu.actions()]
    assert "actionSaveWithData" in names
    out = tmp_path / "carry" / "all.json"
    out.parent.mkdir()
    asked = []
    w._ask_save_path = lambda caption, suggested, file_filter: asked.append(suggested) or str(out)
    w.act_save_with_data.trigger()  # File > Save with data…
    assert asked == ["trained.json"]
    assert w.document.path == str(out) and not w.document.modified
    stored = json.loads(out.read_text())["dataset"]
    assert len(stored["rows"]) == 150 and stored["columns"][-1] == "species"
    shutil.rmtree(project)  # no CSV file anywhere now

    w2 = make_window(str(out))
    assert w2.data.error is None and w2.data.dataset is not None
    assert len(w2.data.dataset) == rows
    assert w2.training_panel.samples.value() == rows  # what the Training panel shows
    assert w2.training_panel.dataset.currentText() == "flowers.csv"
    np.testing.assert_array_equal(w2.data.dataset.X, load_csv(str(IRIS)).X)
    assert not w2.errors


def test_the_window_saves_a_csv_beside_it_relative(make_window, qtbot, project):
    w = make_window(str(project / "trained.json"))
    qtbot.waitUntil(lambda: w.data.dataset is not None, timeout=10000)
    w.document.save(str(project / "saved.json"))
    assert json.loads((project / "saved.json").read_text())["dataset"]["csv"] == "data/flowers.csv"


@pytest.mark.parametrize("cell", [True, False, None, [1.0], {"a": 1}, 1.5, -3, "x", ""])
def test_the_schema_and_jsonschema_agree_on_a_cell(tmp_path, cell):
    """The validator's quick path for typed lists (a table's cells) against the
    jsonschema package on the shipped schema."""
    import jsonschema

    from nnbuilder.core.files.modelfile import model_schema
    from nnbuilder.core.files.schema import first_error

    shutil.copy(IRIS, tmp_path / "iris.csv")
    assert main(["new", "4-3", "-o", str(tmp_path / "m.json")]) == 0
    _train(tmp_path / "m.json", "--data", tmp_path / "iris.csv", "--embed-data", "-o", tmp_path / "e.json")
    model = json.loads((tmp_path / "e.json").read_text())
    model["dataset"]["rows"][7][1] = cell
    ours = first_error(model, model_schema())
    theirs = list(jsonschema.Draft202012Validator(model_schema()).iter_errors(model))
    assert (ours is None) == (not theirs), (ours, [e.message for e in theirs])
    if ours:
        assert ours[0] == "$.dataset.rows[7][1]"


def test_save_with_data_whose_csv_has_gone_says_so_and_writes_nothing(make_window, qtbot, project, tmp_path):
    w = make_window(str(project / "trained.json"))
    qtbot.waitUntil(lambda: w.data.dataset is not None, timeout=10000)
    before = dict(w.document.dataset)
    (project / "data" / "flowers.csv").unlink()
    out = tmp_path / "all.json"
    with w.expect_errors():
        assert not w.files.save_with_data(str(out))
    assert not out.exists() and w.document.dataset == before
    (title, text), = w.errors
    assert title == "Cannot save with data" and "flowers.csv" in text and "Nothing was saved" in text
