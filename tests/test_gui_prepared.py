"""One prepared run: the window compiles the document's network once per
structure, data and optimizer, and hands it to every room; queries change nothing.

A compilation is a call of ``Network.__init__``; the tests count them on the
class itself, which every module that compiles a network shares.
"""
import traceback
import numpy as np
import pytest
from PySide6.QtWidgets import QDoubleSpinBox

from nnbuilder.core.datasets import dataset_from_spec
from nnbuilder.core.modelfile import load_model, save_model
from nnbuilder.core.network import Network
from nnbuilder.core.resources import resource
from nnbuilder.core.trainer import TrainConfig, TrainData, Trainer

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
    assert w.open_file(str(path))
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    # The trained state is on screen: the output view drew the document's weights.
    assert w.boundary.last_rgba is not None
    assert w.document.weights is not None
    # Loading the file checks its weights against the network (one
    # compilation); the window prepares the run once (one more).
    assert len(compilations) <= 2, f"File > Open compiled the network {len(compilations)} times: {compilations}"
    assert not w.errors


def test_one_setting_edit_compiles_at_most_once(make_window, qtbot, tmp_path, compilations):
    path = tmp_path / "trained.json"
    trained_circle(path)
    w = make_window(path)
    qtbot.waitUntil(lambda: w.run.refresh_ready() is None)
    compilations.clear()
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.3")
    qtbot.waitUntil(lambda: (w.document.training or TrainConfig()).lr == 0.3)
    assert len(compilations) <= 1, f"a learning rate edit compiled the network {len(compilations)} times: {compilations}"
    assert not w.errors
