"""The CLI end to end, including every bad-input path (exit 2, one line, no traceback)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnbuilder.cli import main
from nnbuilder.core.files.modelfile import load_model

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
    assert [l["arithmetic"] for l in info["layers"]][1:] == ["2×4 + 4 = 12", "4×4 + 4 = 20", "4×1 + 1 = 5"]
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


def test_train_prints_its_summary_without_a_terminal_and_is_deterministic(capsys, tmp_path):
    """The summary line goes to stdout on a pipe too (a script's log keeps
    it); only the progress bar is for terminals."""
    m = tmp_path / "m.json"
    run(capsys, "new", "2-3-1", "-o", m)
    outs = []
    for name in ("a.json", "b.json"):
        code, out, err = run(capsys, "train", m, "--dataset", "xor", "--epochs", "5", "-o", tmp_path / name)
        assert code == 0 and err == ""
        assert out.startswith("5 epochs (max_epochs): train loss ") and out.count("\n") == 1
        assert out.rstrip().endswith(f"wrote {tmp_path / name}")
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
        needle="row 6, column 'sepal_width': '?' is not a finite number (--drop-bad leaves out such rows)")
    code, out, err = run(capsys, "train", m, "--data", data, "--drop-bad", "--fit", "--normalize",
                         "standardize", "--lr", "0.1", "--epochs", "150", "-o", t, "--json")
    assert code == 0, err
    assert "output: units = 3, activation = softmax, loss = cross_entropy" not in err  # quiet with --json
    assert "left out 1 row of 150 with a missing or bad cell" in err  # how much of the file trained
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
    # The node is named by id ("input") or by display name ("Input"), whichever info shows.
    assert "standardized · sepal_length," in out and "input: standardized with mean = [" in out.lower()
    assert "inputs (4): sepal_length, sepal_width, petal_length, petal_width" in out
    rows = tmp_path / "rows.csv"
    rows.write_text("\n".join(l.rsplit(",", 1)[0] for l in lines[:4]) + "\n")
    code, out, _ = run(capsys, "predict", t, rows)
    assert code == 0 and out.splitlines()[0].endswith(",class,label")
    assert [r.split(",")[-2:] for r in out.splitlines()[1:]] == [["0", "setosa"]] * 3
    assert doc.labels == ["setosa", "versicolor", "virginica"]
    # --task regression on a text target is refused, saying why.
    bad(capsys, "train", m, "--data", data, "--task", "regression", "--drop-bad", "-o", t,
        needle="the target column 'species' holds text; a regression target must be numeric")


def test_divergence_is_reported_exit_3_and_nothing_written(capsys, tmp_path):
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    run(capsys, "new", "1-1", "--no-bias", "--loss", "l2", "-o", m)
    code, out, err = run(capsys, "train", m, "--dataset", "seed_table", "--lr", "0.5", "--batch-size", "4",
                         "--epochs", "1000", "-o", t, "--json")
    res = json.loads(out)
    assert code == 3 and res["stop_reason"] == "diverged" and res["diverged_lr"] == 0.5
    assert res["diverged_at_step"] == res["steps"] and res["diverged_reason"] == "exploded"
    assert err.startswith(f"nnbuilder: diverged at step {res['steps']} with learning rate 0.5: ")
    assert "Try a smaller learning rate, e.g. --lr 0.05" in err and len(err.splitlines()) == 1
    assert not t.exists()


def test_lr_100_on_circle_is_reported_as_divergence_and_the_model_file_is_kept(capsys, tmp_path):
    """Issue 10, point 12: the loss explodes to a finite 30-80 with accuracy
    0.5; that is divergence, said on stderr with the step and learning rate,
    exit 3, and training in place (-o the input) leaves the file as it was."""
    m = tmp_path / "circle.json"
    m.write_bytes((EXAMPLES / "circle.json").read_bytes())
    before = m.read_bytes()
    code, out, err = run(capsys, "train", m, "--dataset", "circle", "--lr", "100", "-o", m)
    assert code == 3 and out == ""
    line, = err.splitlines()
    assert line.startswith("nnbuilder: diverged at step 75 with learning rate 100: the loss rose to ")
    assert re.search(r"at epoch 3, above [\d.]+: 10 times the loss it started from \(0\.7\)", line), line  # as the window says it
    assert f"{m} left as it was" in line and line.endswith("Try a smaller learning rate, e.g. --lr 10")
    assert m.read_bytes() == before
    code, out, err = run(capsys, "train", m, "--dataset", "circle", "--lr", "100", "-o", tmp_path / "o.json",
                         "--json")
    res = json.loads(out)
    assert code == 3 and res["stop_reason"] == "diverged" and res["diverged_lr"] == 100
    assert res["diverged_at_step"] == 75 and res["epochs"] == 3 and "not written" in err
    assert not (tmp_path / "o.json").exists()
    # The same example with its own learning rate trains and exits 0.
    code, out, err = run(capsys, "train", m, "--dataset", "circle", "--epochs", "150", "-o", tmp_path / "o.json",
                         "--json")
    assert code == 0 and err == "" and json.loads(out)["train_accuracy"] > 0.9


def test_datasets_listing(capsys):
    code, out, _ = run(capsys, "datasets", "--json")
    names = [d["name"] for d in json.loads(out)]
    assert code == 0 and {"circle", "xor", "gauss", "spiral", "moons", "blobs", "plane", "multi_gauss",
                          "sine", "seed_table", "and", "or", "xor_table"} <= set(names)
    code, out, _ = run(capsys, "datasets")
    assert "spiral" in out and "--noise" in out


def test_info_shows_problems_and_warnings(capsys):
    code, out, _ = run(capsys, "info", EXAMPLES / "perceptron_and.json")
    assert code == 0 and "zero gradient" in out and "2×1 + 1 = 3" in out


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
    bad(capsys, "train", m, "-o", tmp_path / "o.json", needle="names no data; give --dataset NAME or --data")
    bad(capsys, "new", "2-x-1", "-o", m, needle="SPEC")
    bad(capsys, "new", "2-3", "--activation", "gelu", "-o", m, needle="invalid choice: 'gelu'")
    bad(capsys, "new", "2-1", "--loss", "cross_entropy", "-o", m, needle="at least 2 output units")
    bad(capsys, "new", "3-1", "--features", "x1,x2", "-o", m, needle="lists 2 features")
    bad(capsys, "new", "2-1", "--features", "x1,cos(x1)", "-o", m, needle="unknown feature 'cos(x1)'")
    bad(capsys, "predict", m, badcsv, needle="no trained weights")
    badcsv2 = tmp_path / "bad2.csv"
    badcsv2.write_text("a,b\n1,2\n1,oops\n")
    bad(capsys, "predict", EXAMPLES / "perceptron_and.json", badcsv2, needle="row 3, column 'b'")
    bad(capsys, "predict", EXAMPLES / "perceptron_and.json", badcsv, needle="has 3 columns, but the model reads 2")
    bad(capsys, "predict", EXAMPLES / "perceptron_and.json", tmp_path / "x.csv", needle="cannot read")
    bad(capsys, "frobnicate", needle="invalid choice")
    assert not (tmp_path / "o.json").exists()


def test_console_script_and_module_run_without_traceback(tmp_path):
    exe = Path(sys.executable).with_name("nnbuilder")
    r = subprocess.run([str(exe), "info", str(EXAMPLES / "xor.json")], capture_output=True, text=True)
    assert r.returncode == 0 and "(2×2 + 2) + (2×1 + 1) = 9" in r.stdout
    r = subprocess.run([sys.executable, "-m", "nnbuilder", "info", str(tmp_path / "none.json")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1


# ------------------------------------------------------------ predict by name
def trained_on_named_columns(capsys, tmp_path):
    """A 2-input classifier trained via the CLI on a CSV with columns 'u', 'v' and 'label'."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 2))
    data = tmp_path / "train.csv"
    data.write_text("u,v,label\n" + "".join(f"{a},{b},{int(a + 2 * b > 0)}\n" for a, b in X.tolist()))
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    run(capsys, "new", "2-4-1", "-o", m)
    code, _, err = run(capsys, "train", m, "--data", data, "--epochs", "30", "--lr", "0.3", "-o", t)
    assert code == 0, err
    return t


def test_train_records_the_names_of_the_columns_it_trained_on(capsys, tmp_path):
    t = trained_on_named_columns(capsys, tmp_path)
    assert load_model(t).columns == ["u", "v"]
    m, c = tmp_path / "m2.json", tmp_path / "c.json"
    run(capsys, "new", "2-3-1", "-o", m)
    assert run(capsys, "train", m, "--dataset", "circle", "--epochs", "2", "-o", c)[0] == 0
    assert load_model(c).columns == ["x1", "x2"]
    assert run(capsys, "train", EXAMPLES / "iris.json", "--dataset", "iris", "--epochs", "2", "-o", c)[0] == 0
    assert load_model(c).columns == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert json.loads(m.read_text()).get("columns") is None  # untrained: no such field


def test_predict_picks_columns_by_name_in_any_order_ignoring_others(capsys, tmp_path):
    t = trained_on_named_columns(capsys, tmp_path)
    rows = np.random.default_rng(8).normal(size=(6, 2)) * 2
    plain = tmp_path / "plain.csv"
    plain.write_text("u,v\n" + "".join(f"{a},{b}\n" for a, b in rows.tolist()))
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("v,u\n" + "".join(f"{b},{a}\n" for a, b in rows.tolist()))
    extra = tmp_path / "extra.csv"  # five columns, one of them text: only u and v are read
    extra.write_text("id,v,note,u,w\n" + "".join(f"{i},{b},row {i},{a},{i * 7}\n"
                                                  for i, (a, b) in enumerate(rows.tolist())))
    outs = []
    for path in (plain, shuffled, extra):
        code, out, err = run(capsys, "predict", t, path)
        assert code == 0 and err == "", err
        outs.append(out)
    assert outs[0] == outs[1] == outs[2]
    lines = outs[0].splitlines()
    assert lines[0] == "u,v,output,class"
    got = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    np.testing.assert_array_equal(got[:, :2], rows)
    # An independent computation of the same numbers: y = sigmoid(tanh(x W1 + b1) W2 + b2).
    w = load_model(t).weights
    hidden = np.tanh(rows @ w["dense1"]["W"] + w["dense1"]["b"])
    expected = 1 / (1 + np.exp(-(hidden @ w["output"]["W"] + w["output"]["b"])))
    np.testing.assert_allclose(got[:, 2], expected[:, 0], rtol=1e-12)
    np.testing.assert_array_equal(got[:, 3], (expected[:, 0] > 0.5).astype(float))


def test_predict_names_a_missing_column_and_a_width_mismatch(capsys, tmp_path):
    t = trained_on_named_columns(capsys, tmp_path)
    five = tmp_path / "five.csv"  # the case: five columns, two of them right, by position
    five.write_text("a,b,c,d,u\n1,2,3,4,5\n")
    bad(capsys, "predict", t, five,
        needle="no column 'v'; the model reads the columns u, v (the file has a, b, c, d, u)")
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("1,2,3,4,5\n6,7,8,9,10\n")
    bad(capsys, "predict", t, headerless, needle="has no header row and 5 columns; the model was trained on 2: u, v")
    headerless.write_text("1,2\n6,7\n")  # no names, but the model's width: taken in order
    code, out, _ = run(capsys, "predict", t, headerless)
    assert code == 0 and out.splitlines()[0] == "u,v,output,class"


def test_a_model_file_written_before_column_names_predicts_as_before(capsys, tmp_path):
    t = trained_on_named_columns(capsys, tmp_path)
    old = tmp_path / "old.json"
    d = json.loads(t.read_text())
    del d["columns"]
    old.write_text(json.dumps(d))
    assert load_model(old).columns is None
    plain = tmp_path / "plain.csv"
    plain.write_text("p,q\n0.5,-1\n2,0.25\n")  # any header: without names, columns go by position
    named = tmp_path / "named.csv"
    named.write_text("u,v\n0.5,-1\n2,0.25\n")
    code, out_old, _ = run(capsys, "predict", old, plain)
    code2, out_new, _ = run(capsys, "predict", t, named)
    assert code == code2 == 0
    assert [r.split(",")[2:] for r in out_old.splitlines()[1:]] == \
        [r.split(",")[2:] for r in out_new.splitlines()[1:]]
    five = tmp_path / "five.csv"
    five.write_text("a,b,c,d,e\n1,2,3,4,5\n")
    bad(capsys, "predict", old, five, needle="has 5 columns, but the model reads 2 and does not name them")


def test_train_shows_reading_progress_only_on_a_terminal(tmp_path, monkeypatch, capsys):
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(3000)))
    assert main(["new", "2-3-1", "-o", str(tmp_path / "m.json")]) == 0
    argv = ["train", str(tmp_path / "m.json"), "--data", str(data), "--epochs", "1", "-o", str(tmp_path / "t.json")]
    assert main(argv) == 0
    assert "reading" not in capsys.readouterr().err  # not a terminal: nothing drawn
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "\rreading d.csv [" in err and "[" + "#" * 30 + "] 100%\n" in err


@pytest.mark.parametrize("loss", ["l2", "l1", "huber", "hinge", "bce", "cross_entropy"])
def test_new_picks_the_output_activation_its_loss_is_meant_for(capsys, tmp_path, loss):
    """`new --loss hinge` made a tanh output the app then warned about ("use
    linear"): the default output follows the loss, and no loss's default draws
    a problem (error or warning) from the app's own checks."""
    m = tmp_path / "m.json"
    units = 3 if loss == "cross_entropy" else 1
    assert run(capsys, "new", f"2-4-{units}", "--loss", loss, "-o", m)[0] == 0
    out = load_model(m).graph.nodes_of_type("output")[0].params
    want = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss, "linear")  # the raw score otherwise
    assert out["activation"] == want
    code, info, _ = run(capsys, "info", m, "--json")
    info = json.loads(info)
    assert code == 0 and info["errors"] == [] and info["warnings"] == []


def test_export_and_import_print_their_summary_without_a_terminal(capsys, tmp_path):
    m, onnx_file, back = tmp_path / "m.json", tmp_path / "m.onnx", tmp_path / "back.json"
    run(capsys, "new", "2-3-1", "-o", m)
    code, out, err = run(capsys, "export", m, "--format", "onnx", "-o", onnx_file)
    assert code == 0 and err == "" and out.startswith(f"wrote {onnx_file} (") and out.count("\n") == 1
    assert "untrained: the initial weights of seed 0" in out
    code, out, err = run(capsys, "import", onnx_file, "-o", back)
    assert code == 0 and err == "" and out.startswith(f"wrote {back}: ") and "parameters" in out


def test_zero_epochs_is_not_training(capsys, tmp_path):
    """`train --fit --epochs 0` writes the fitted design, untrained: no
    weights, no metrics, `info` says untrained; a trained model given 0
    epochs keeps its weights as they were."""
    m, t = tmp_path / "m.json", tmp_path / "t.json"
    run(capsys, "new", "2-4-1", "-o", m)
    code, out, err = run(capsys, "train", m, "--dataset", "blobs", "--fit", "--epochs", "0", "-o", t)
    assert code == 0, err
    assert out.strip() == f"0 epochs: nothing trained; wrote {t} (untrained, no weights)"
    doc = load_model(t)
    assert doc.weights is None and doc.metrics is None
    assert doc.graph.nodes["output"].params["units"] == 3  # the fit is kept
    code, out, _ = run(capsys, "info", t, "--json")
    assert json.loads(out)["trained"] is False
    trained, again = tmp_path / "trained.json", tmp_path / "again.json"
    assert run(capsys, "train", t, "--dataset", "blobs", "--epochs", "2", "-o", trained)[0] == 0
    assert run(capsys, "train", trained, "--dataset", "blobs", "--epochs", "0", "-o", again)[0] == 0
    a, b = load_model(trained), load_model(again)
    assert b.metrics == a.metrics
    for nid in a.weights:
        np.testing.assert_array_equal(a.weights[nid]["W"], b.weights[nid]["W"])
