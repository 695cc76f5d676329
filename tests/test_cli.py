"""The CLI end to end, including every bad-input path (exit 2, one line, no traceback)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnbuilder.cli import main
from nnbuilder.core.modelfile import load_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def bad(capsys, *argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nnbuilder: error: ") and needle in lines[0], lines[0]
    assert "Traceback" not in err


def test_new_info_train_predict_round_trip(capsys, tmp_path):
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    assert run(capsys, "new", "2-4-4-1", "-o", m)[0] == 0
    code, out, _ = run(capsys, "info", m, "--json")
    info = json.loads(out)
    assert code == 0 and info["total_params"] == 37 and info["trained"] is False
    assert [l["arithmetic"] for l in info["layers"]][1:] == ["2x4 + 4 = 12", "4x4 + 4 = 20", "4x1 + 1 = 5"]
    code, out, err = run(capsys, "train", m, "--dataset", "circle", "--samples", "200", "--epochs", "100",
                         "--lr", "0.1", "--seed", "3", "-o", t, "--json")
    res = json.loads(out)
    assert code == 0 and err == ""
    assert res["epochs"] == 100 and res["stop_reason"] == "max_epochs"
    assert res["train_accuracy"] > 0.9 and res["test_accuracy"] > 0.9
    assert set(res) >= {"train_loss", "test_loss", "train_accuracy", "test_accuracy"}
    assert res["test_zero_one"] == pytest.approx(1 - res["test_accuracy"])
    doc = load_model(t)
    assert doc.weights is not None and doc.training.lr == 0.1 and doc.seed == 3
    assert doc.dataset["name"] == "circle" and doc.metrics["epochs"] == 100

    inp = tmp_path / "in.csv"
    inp.write_text("x1,x2\n0,0\n5,0\n")
    out_csv = tmp_path / "out.csv"
    assert run(capsys, "predict", t, inp, "-o", out_csv)[0] == 0
    rows = out_csv.read_text().splitlines()
    assert rows[0] == "x1,x2,output,class"
    assert rows[1].endswith(",1") and rows[2].endswith(",0")  # centre is class 1, ring class 0


def test_train_is_quiet_without_a_terminal_and_deterministic(capsys, tmp_path):
    m = tmp_path / "m.json"
    run(capsys, "new", "2-3-1", "-o", m)
    outs = []
    for name in ("a.json", "b.json"):
        code, out, err = run(capsys, "train", m, "--dataset", "xor", "--epochs", "5", "-o", tmp_path / name)
        assert code == 0 and out == "" and err == ""
        outs.append(load_model(tmp_path / name).weights)
    for nid in outs[0]:
        np.testing.assert_array_equal(outs[0][nid]["W"], outs[1][nid]["W"])


def test_regression_with_features_and_no_bias(capsys, tmp_path):
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    assert run(capsys, "new", "1-1", "--no-bias", "--loss", "l2", "-o", m)[0] == 0
    code, out, _ = run(capsys, "train", m, "--dataset", "seed_table", "--lr", "0.005", "--batch-size", "4",
                       "--epochs", "3000", "-o", t, "--json")
    res = json.loads(out)
    assert res["test_loss"] is None and res["train_r2"] > 0.99  # split 1: no test metrics
    assert load_model(t).weights["output"]["W"][0, 0] == pytest.approx(117.8 / 117.25, abs=1e-9)
    m2 = tmp_path / "m2.json"
    assert run(capsys, "new", "4-5-1", "--features", "x1,x2,x1^2,sin(x2)", "-o", m2)[0] == 0
    assert load_model(m2).graph.nodes["input"].params["features"] == ["x1", "x2", "x1^2", "sin(x2)"]


def test_multiclass_from_csv_with_text_labels(capsys, tmp_path):
    rng = np.random.default_rng(0)
    lines = ["f1,f2,species"]
    for k, name in enumerate(["a", "b", "c"]):
        for p in rng.normal([3 * k, -3 * k], 0.5, (30, 2)):
            lines.append(f"{p[0]},{p[1]},{name}")
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("\n".join(lines) + "\n")
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    run(capsys, "new", "2-8-3", "-o", m)
    code, out, _ = run(capsys, "train", m, "--data", csv_path, "--target", "species", "--optimizer", "adam",
                       "--lr", "0.02", "--epochs", "60", "-o", t, "--json")
    assert code == 0 and json.loads(out)["test_accuracy"] >= 0.95


def test_fit_normalize_task_and_drop_bad_on_csv_data(capsys, tmp_path):
    """The headless version of the window's import: fit the network to a CSV
    file with a bad row, standardize, and predict with the stored statistics."""
    lines = (ROOT / "resources" / "data" / "iris.csv").read_text().splitlines()
    lines[5] = lines[5].replace("3.6", "?")
    data = tmp_path / "flowers.csv"
    data.write_text("\n".join(lines) + "\n")
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    assert run(capsys, "new", "2-8-1", "-o", m)[0] == 0
    bad(capsys, "train", m, "--data", data, "--fit", "-o", t,
        needle="row 6, column 'sepal_width': '?' is not a finite number")
    code, out, err = run(capsys, "train", m, "--data", data, "--drop-bad", "--fit", "--normalize",
                         "standardize", "--lr", "0.1", "--epochs", "150", "-o", t, "--json")
    assert code == 0, err
    assert "output: units = 3, activation = softmax, loss = cross_entropy" not in err  # quiet with --json
    res = json.loads(out)
    assert res["test_accuracy"] >= 0.9
    doc = load_model(t)
    g = doc.graph
    assert g.nodes["input"].params == {"features": ["x1", "x2", "x3", "x4"], "normalize": "standardize"}
    assert doc.dataset["drop_bad"] is True and doc.dataset["task"] is None
    # mean/std of the training rows (half of the 149 kept rows), not of all rows
    mean = doc.weights["input"]["mean"]
    assert mean.shape == (4,) and 5.0 < mean[0] < 6.5
    code, out, _ = run(capsys, "info", t)
    assert "standardized · x1, x2, x3" in out and "input: standardized with mean = [" in out
    rows = tmp_path / "rows.csv"
    rows.write_text("\n".join(l.rsplit(",", 1)[0] for l in lines[:4]) + "\n")
    code, out, _ = run(capsys, "predict", t, rows)
    assert code == 0 and out.splitlines()[0].endswith(",class,label")
    assert [r.split(",")[-2:] for r in out.splitlines()[1:]] == [["0", "setosa"]] * 3
    assert doc.labels == ["setosa", "versicolor", "virginica"]
    # --task regression on a text target is refused, saying why.
    bad(capsys, "train", m, "--data", data, "--task", "regression", "--drop-bad", "-o", t,
        needle="the target column 'species' holds text; a regression target must be numeric")


def test_divergence_is_reported_and_weights_stay_finite(capsys, tmp_path):
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    run(capsys, "new", "1-1", "--no-bias", "--loss", "l2", "-o", m)
    code, out, err = run(capsys, "train", m, "--dataset", "seed_table", "--lr", "0.5", "--batch-size", "4",
                         "--epochs", "1000", "-o", t, "--json")
    res = json.loads(out)
    assert code == 0 and res["stop_reason"] == "diverged" and res["diverged_lr"] == 0.5
    assert "diverged at step" in err and "smaller learning rate" in err
    assert np.isfinite(load_model(t).weights["output"]["W"]).all()


def test_datasets_listing(capsys):
    code, out, _ = run(capsys, "datasets", "--json")
    names = [d["name"] for d in json.loads(out)]
    assert code == 0 and {"circle", "xor", "gauss", "spiral", "moons", "blobs", "plane", "multi_gauss",
                          "sine", "seed_table", "and", "or", "xor_table"} <= set(names)
    code, out, _ = run(capsys, "datasets")
    assert "spiral" in out and "--noise" in out


def test_info_shows_problems_and_warnings(capsys):
    code, out, _ = run(capsys, "info", EXAMPLES / "perceptron_and.json")
    assert code == 0 and "zero gradient" in out and "2x1 + 1 = 3" in out


def test_every_bad_input_exits_2_with_one_line(capsys, tmp_path):
    m = tmp_path / "m.json"
    run(capsys, "new", "2-3-1", "-o", m)
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    invalid = tmp_path / "invalid.json"
    doc = json.loads(m.read_text())
    doc["graph"]["edges"].pop()
    invalid.write_text(json.dumps(doc))
    newer = tmp_path / "newer.json"
    doc = json.loads(m.read_text())
    doc["version"] = 99
    newer.write_text(json.dumps(doc))
    badcsv = tmp_path / "bad.csv"
    badcsv.write_text("a,b,y\n1,2,0\n1,oops,1\n")

    bad(capsys, "info", tmp_path / "missing.json", needle="cannot read")
    bad(capsys, "info", broken, needle="not valid JSON")
    bad(capsys, "info", newer, needle="newer nnbuilder")
    bad(capsys, "train", invalid, "--dataset", "xor", "-o", tmp_path / "o.json", needle="not valid")
    bad(capsys, "train", m, "--dataset", "mnist", "-o", tmp_path / "o.json", needle="unknown dataset 'mnist'")
    bad(capsys, "train", m, "--data", badcsv, "-o", tmp_path / "o.json", needle="row 3, column 'b'")
    bad(capsys, "train", m, "--data", tmp_path / "nope.csv", "-o", tmp_path / "o.json", needle="cannot read")
    bad(capsys, "train", m, "--dataset", "xor", "--lr", "-3", "-o", tmp_path / "o.json", needle="'lr'")
    bad(capsys, "train", m, "--dataset", "xor", "--optimizer", "lbfgs", "-o", tmp_path / "o.json",
        needle="invalid choice: 'lbfgs'")
    bad(capsys, "train", m, "--dataset", "xor", "--epochs", "many", "-o", tmp_path / "o.json",
        needle="invalid int value")
    bad(capsys, "train", m, "--dataset", "blobs", "-o", tmp_path / "o.json", needle="3 classes")
    bad(capsys, "train", m, "--dataset", "xor", "-o", tmp_path / "no" / "dir" / "o.json", needle="cannot write")
    bad(capsys, "train", m, "-o", tmp_path / "o.json", needle="one of the arguments --dataset --data")
    bad(capsys, "new", "2-x-1", "-o", m, needle="SPEC")
    bad(capsys, "new", "2-3", "--activation", "gelu", "-o", m, needle="invalid choice: 'gelu'")
    bad(capsys, "new", "2-1", "--loss", "cross_entropy", "-o", m, needle="at least 2 output units")
    bad(capsys, "new", "3-1", "--features", "x1,x2", "-o", m, needle="lists 2 features")
    bad(capsys, "new", "2-1", "--features", "x1,cos(x1)", "-o", m, needle="unknown feature 'cos(x1)'")
    bad(capsys, "predict", m, badcsv, needle="no trained weights")
    bad(capsys, "predict", EXAMPLES / "perceptron_and.json", badcsv, needle="row 3, column 'b'")
    bad(capsys, "predict", EXAMPLES / "perceptron_and.json", tmp_path / "x.csv", needle="cannot read")
    bad(capsys, "frobnicate", needle="invalid choice")
    assert not (tmp_path / "o.json").exists()


def test_console_script_and_module_run_without_traceback(tmp_path):
    exe = Path(sys.executable).with_name("nnbuilder")
    r = subprocess.run([str(exe), "info", str(EXAMPLES / "xor.json")], capture_output=True, text=True)
    assert r.returncode == 0 and "(2x2 + 2) + (2x1 + 1) = 9" in r.stdout
    r = subprocess.run([sys.executable, "-m", "nnbuilder", "info", str(tmp_path / "none.json")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
