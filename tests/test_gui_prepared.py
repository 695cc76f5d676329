"""One prepared run: the window compiles the document's network once per
structure, data and optimizer, and hands it to every room; queries change nothing.

A compilation is a call of ``Network.__init__``; the tests count them on the
class itself, which every module that compiles a network shares.
"""
import traceback
import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox

from nnbuilder.core.data.datasets import dataset_from_spec
from nnbuilder.core.files.modelfile import load_model, save_model
from nnbuilder.core.engine.network import Network
from nnbuilder.core.resources import resource
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer

from guitools import type_into


@pytest.fixture
def compilations(monkeypatch):
    """A list that grows by one for every Network compiled from now on (each
    entry names the calls that led to it, for the failure message)."""
    calls = []
    original = Network.__init__

    def counting(self, *args, **kwargs):
        calls.append(" < ".join(f"{f.name}:{f.lineno}" for f in reversed(traceback.extract_stack()[-7:-1])))
        original(self, *args, **kwargs)

    monkeypatch.setattr(Network, "__init__", counting)
    return calls


def trained_circle(path) -> None:
    """The circle example, trained a few epochs without the window (its Input
    standardizes, so the weights carry input statistics too), saved to ``path``."""
    model = load_model(resource("examples") / "circle.json")
    model.graph.nodes_of_type("input")[0].params["normalize"] = "standardize"
    net = Network(model.graph)
    ds = dataset_from_spec(model.dataset)
    data = TrainData.from_dataset(ds, net, model.dataset["split"], model.dataset["seed"])
    trainer = Trainer(net, data, TrainConfig(lr=0.1, batch_size=50, max_epochs=5), seed=1)
    trainer.run_epochs(5)
    model.weights = net.get_weights()
    save_model(path, model)


@pytest.mark.parametrize("example", ["trained circle", "perceptron_and"])
def test_open_of_a_trained_model_compiles_at_most_twice(make_window, qtbot, tmp_path, compilations, example):
    if example == "trained circle":
        path = tmp_path / "trained.json"
        trained_circle(path)
    else:
        path = resource("examples") / f"{example}.json"
    w = make_window()
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    compilations.clear()
    assert w.files.open_file(str(path))
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    # The trained state is on screen: the output view drew the document's weights.
    assert w.boundary.last_rgba is not None
    assert w.document.weights is not None
    # Loading the file checks its weights against the network (one
    # compilation); the window prepares the run once (one more).
    assert len(compilations) <= 2, f"File > Open compiled the network {len(compilations)} times: {compilations}"
    assert not w.errors


@pytest.mark.parametrize("spin, typed, taken", [
    ("learningRateSpin", "0.3", lambda w: (w.document.training or TrainConfig()).lr == 0.3),
    ("noiseSpin", "0.2", lambda w: w.data.spec.get("noise") == 0.2)])  # other data: prepared again
def test_one_setting_edit_compiles_at_most_once(make_window, qtbot, tmp_path, compilations, spin, typed, taken):
    path = tmp_path / "trained.json"
    trained_circle(path)
    w = make_window(path)
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    compilations.clear()
    type_into(qtbot, w.findChild(QDoubleSpinBox, spin), typed)
    qtbot.waitUntil(lambda: taken(w))
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    assert len(compilations) <= 1, f"typing into {spin} compiled {len(compilations)} networks: {compilations}"
    assert not w.errors


def test_another_optimizer_compiles_once(make_window, qtbot, tmp_path, compilations):
    """The optimizer is part of what is prepared (it may refuse the network):
    choosing another prepares again, once, for every room."""
    path = tmp_path / "trained.json"
    trained_circle(path)
    w = make_window(path)
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    first = w.run.prepared()
    compilations.clear()
    combo = w.findChild(QComboBox, "optimizerCombo")
    combo.setCurrentIndex(combo.findText("adam"))
    qtbot.waitUntil(lambda: (w.document.training or TrainConfig()).optimizer == "adam")
    assert len(compilations) == 1, compilations
    assert w.run.prepared() is not first and w.run.prepared().key[2] == "adam"
    assert not w.errors


def test_writing_the_document_does_not_compile_each_time(make_window, qtbot, tmp_path, compilations):
    """Save, the autosave and the exports check that the weights still fit the
    network: against a network compiled once per structure, not once per write."""
    path = tmp_path / "trained.json"
    trained_circle(path)
    w = make_window(path)
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    w.document.mark_modified()
    compilations.clear()
    for _ in range(3):
        assert w.files.autosave()
        assert w.document.to_model().weights is not None
    assert len(compilations) <= 1, compilations
    assert load_model(w.files.autosave_paths()[0]).weights is not None
    assert not w.errors


def snapshot_of(weights: dict) -> dict:
    return {nid: {k: None if v is None else np.array(v, copy=True) for k, v in wb.items()}
            for nid, wb in weights.items()}


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for nid in a:
        assert a[nid].keys() == b[nid].keys(), nid
        for k in a[nid]:
            if a[nid][k] is None:
                assert b[nid][k] is None
            else:
                np.testing.assert_array_equal(a[nid][k], b[nid][k], err_msg=f"{nid}.{k}")


def test_queries_change_nothing_and_save_takes_the_new_datas_statistics(make_window, qtbot, tmp_path):
    """Other data for a trained model whose Input standardizes: asking whether
    it can train, and for its current weights, writes nothing into the
    document; saving then writes the weights with the new data's statistics."""
    path = tmp_path / "trained.json"
    trained_circle(path)
    w = make_window(path)
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    doc = w.document
    held, kept = doc.weights, snapshot_of(doc.weights)
    old_mean = np.array(kept["input"]["mean"])

    type_into(qtbot, w.findChild(QDoubleSpinBox, "noiseSpin"), "0.2")  # other points: other statistics
    qtbot.waitUntil(lambda: w.data.spec.get("noise") == 0.2)
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    index, modified = doc.undo_stack.index(), doc.modified
    for _ in range(2):
        assert w.run.refresh_ready() is None
        current = w.run.current_weights()
    assert doc.weights is held, "a query replaced the document's weights"
    assert_same_weights(doc.weights, kept)
    assert (doc.undo_stack.index(), doc.modified) == (index, modified)
    # The run's view of the weights has the new data's statistics, computed here
    # from the training rows the window uses.
    tr, _ = w.data.split_indices()
    X = w.data.dataset.X[tr]
    np.testing.assert_allclose(current["input"]["mean"], X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(current["input"]["std"], X.std(axis=0), rtol=1e-12)
    assert not np.allclose(current["input"]["mean"], old_mean)
    for nid in ("dense1", "dense2", "output"):
        np.testing.assert_array_equal(current[nid]["W"], kept[nid]["W"])

    out = tmp_path / "saved.json"
    assert w.files.save_to(str(out))
    saved = load_model(out).weights
    np.testing.assert_allclose(saved["input"]["mean"], X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(saved["input"]["std"], X.std(axis=0), rtol=1e-12)
    assert not w.errors


def test_save_while_training_writes_the_newest_weights(make_window, qtbot, tmp_path):
    w = make_window()
    w.run.toggle_play()
    qtbot.waitUntil(lambda: w.run.snapshot is not None and w.run.snapshot.running
                    and w.run.snapshot.step > 0, timeout=20_000)
    out = tmp_path / "running.json"
    assert w.files.save_to(str(out))  # no event in between: the newest snapshot taken is the one saved
    newest = w.run.snapshot
    saved = load_model(out).weights
    for nid, (W, b) in newest.weights.items():
        np.testing.assert_array_equal(saved[nid]["W"], W)
        np.testing.assert_array_equal(saved[nid]["b"], b)
    w.run.toggle_play()
    qtbot.waitUntil(lambda: not w.run.running, timeout=20_000)
    assert not w.errors


def test_the_rooms_leave_the_prepared_network_as_built(make_window, qtbot, tmp_path):
    """The output view, the Learn panel and the loss surface compute with the
    trained weights on copies: the one prepared network keeps no weights."""
    path = tmp_path / "trained.json"
    trained_circle(path)
    w = make_window(path)
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    prepared = w.run.prepared()
    w.learn.select_weight("dense1", 0, 0)  # explains row 1 and the weight's gradient
    assert w.learn.explanation is not None and w.learn.explanation["weight"]["gradient"] is not None
    w.surface.refresh(force=True)
    assert w.surface_view.surface is not None
    assert w.boundary.last_rgba is not None
    assert w.run.prepared() is prepared
    assert not prepared.network.theta.any()
    np.testing.assert_array_equal(prepared.network.input_mean, prepared.data.input_stats[0])
    assert not w.errors


def test_a_trained_model_whose_data_is_gone_keeps_its_weights_when_saved(make_window, qtbot, tmp_path):
    """No data, so no statistics of it: Save writes the file's own weights and
    input statistics back, not a model without them."""
    model = load_model(resource("examples") / "circle.json")
    model.graph.nodes_of_type("input")[0].params["normalize"] = "standardize"
    ds = dataset_from_spec(model.dataset)
    csv = tmp_path / "points.csv"
    np.savetxt(csv, np.column_stack([ds.X, ds.y]), delimiter=",", header="x1,x2,label", comments="")
    model.dataset = {"csv": str(csv), "target": "label", "split": 0.5, "seed": 0}
    net = Network(model.graph)
    net.init_params(np.random.default_rng(3))
    net.set_input_stats([0.25, -0.5], [1.5, 2.0])
    model.weights = net.get_weights()
    path = tmp_path / "trained.json"
    save_model(path, model)
    csv.unlink()

    w = make_window(path)
    qtbot.waitUntil(lambda: w.data.error is not None and "cannot read" in w.data.error)
    assert w.run.refresh_ready() is not None
    out = tmp_path / "saved.json"
    assert w.files.save_to(str(out))
    saved = load_model(out).weights
    assert_same_weights(saved, model.weights)
    assert not w.errors


def test_open_hands_the_document_to_every_room_before_its_data_loads(make_window, qtbot, tmp_path):
    path = tmp_path / "trained.json"
    trained_circle(path)
    w = make_window()
    seen = []
    w.data.dataChanged.connect(lambda: seen.append((w.data.document, w.run.document)))
    assert w.files.open_file(str(path))
    assert seen, "the data did not load"
    assert all(data is run is w.document for data, run in seen), seen
    assert w.run.prepared().data is not None and w.run.prepared().reason is None
    assert not w.errors
