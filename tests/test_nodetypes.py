"""The node-type registry: its entries are consistent, and the graph, the
engine, the model file, the diagram and the CLI all follow it, down to a type
registered here."""
import json
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from nnbuilder.cli import main
from nnbuilder.core.constraints import Interval
from nnbuilder.core.errors import GraphError, ModelFileError
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.files.modelfile import ModelDocument, load_model, model_from_dict, model_to_dict, save_model
from nnbuilder.core.engine.network import Network
from nnbuilder.core.functions.activations import ACTIVATIONS
from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.functions.losses import LOSSES
from nnbuilder.core.model.nodetypes import (MERGE, NO_INPUT, NODE_SPECS, OUTPUT_PAIRINGS, SINGLE, NodeType,
                                      Param, check_param, param_refusal)
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer

from test_gradients import check_network_gradient

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "resources" / "model.schema.json"


@pytest.mark.parametrize("name", list(NODE_SPECS))
def test_every_default_passes_its_own_check(name):
    spec = NODE_SPECS[name]
    assert spec.name == name and spec.title and spec.formula and spec.description
    assert spec.inputs in (NO_INPUT, SINGLE, MERGE)
    for key, value in spec.defaults().items():
        assert spec.check(key, value) == value
    # A node added without parameters gets exactly these defaults.
    assert Graph().add_node(name).params == spec.defaults()


@pytest.mark.parametrize("name,key,value,why", [
    ("dense", "units", 0, "must be a whole number between 1 and 1024"),
    ("output", "units", 1025, "must be a whole number between 1 and 1024"),
    ("dense", "units", 2.5, "must be a whole number"),
    ("dense", "units", True, "must be a whole number"),
    ("output", "loss", "nope", "unknown loss; choose from l2, l1, huber, hinge, bce, cross_entropy"),
    ("dense", "initializer", "ones", "unknown initializer; choose from glorot_uniform"),
    ("dense", "bias", 1, "must be true or false"),
    ("dropout", "rate", 1, "must be at least 0 and below 1"),
    ("dropout", "rate", -0.01, "must be at least 0 and below 1"),
    ("activation", "alpha", float("nan"), "must be a finite number"),
    ("dense", "init_value", 2e6, "must be between -1e6 and 1e6"),
    ("input", "features", ["x1", "x1"], "lists a feature twice"),
    ("input", "features", [], "must be a non-empty list"),
    ("input", "normalize", "minmax", "choose from none, standardize"),
])
def test_checks_refuse_bad_values_naming_type_and_parameter(name, key, value, why):
    with pytest.raises(GraphError) as info:
        check_param(name, key, value)
    assert str(info.value).startswith(f"{name}.{key}: {why}"), str(info.value)
    assert param_refusal(name, key, value).startswith(why)
    # The graph refuses it the same way and keeps the node as it was.
    g = Graph()
    nid = g.add_node(name).id
    before = dict(g.nodes[nid].params)
    with pytest.raises(GraphError, match=re.escape(why)):
        g.set_params(nid, **{key: value})
    assert g.nodes[nid].params == before


@pytest.mark.parametrize("name,key,value", [
    ("dense", "units", 1), ("dense", "units", 1024), ("dropout", "rate", 0.0),
    ("dropout", "rate", 0.999), ("activation", "alpha", None), ("dense", "init_value", -1e6),
    ("dense", "init_value", 1e6), ("output", "bias", False),
])
def test_checks_take_the_values_at_the_ends_of_their_ranges(name, key, value):
    g = Graph()
    nid = g.add_node(name).id
    g.set_params(nid, **{key: value})
    assert g.nodes[nid].params[key] == value and param_refusal(name, key, value) is None


def test_checks_normalise_values():
    assert check_param("dense", "units", 3.0) == 3 and type(check_param("dense", "units", 3.0)) is int
    assert check_param("dropout", "rate", 0) == 0.0 and type(check_param("dropout", "rate", 0)) is float
    assert check_param("input", "features", ("x1", "x2")) == ["x1", "x2"]
    with pytest.raises(GraphError, match="unknown node type 'conv'"):
        check_param("conv", "units", 3)
    with pytest.raises(GraphError, match="add has no parameter 'units'"):
        check_param("add", "units", 3)


def test_a_node_of_every_type_with_its_settings_changed_survives_the_model_file(tmp_path, dag_graph):
    """Every type name and parameter the registry has is one the file format
    (schema, reader, writer) knows: saved and read back, the graph is the same."""
    g = dag_graph
    g.set_params("a", initializer="constant", init_value=-0.5, bias=False)
    g.set_params("in", normalize="standardize")
    path = tmp_path / "m.json"
    save_model(path, ModelDocument(g))
    back = load_model(path).graph
    assert {n: (x.type, x.params) for n, x in back.nodes.items()} == \
           {n: (x.type, x.params) for n, x in g.nodes.items()}
    assert {x.type for x in back.nodes.values()} == set(NODE_SPECS)
    # The shipped schema agrees (jsonschema as the oracle).
    data = json.loads(path.read_text())
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(data)


@pytest.mark.parametrize("mutate,path", [
    (lambda n: n.update(type="conv"), "type"),
    (lambda n: n["params"].update(rate=0.5), "params.rate"),  # no type has it here: a dense node
    (lambda n: n["params"].update(units=0), "params.units"),
    (lambda n: n["params"].update(activation="gelu"), "params.activation"),
])
def test_a_file_naming_what_no_type_accepts_is_refused_at_its_path(tmp_path, dag_graph, mutate, path):
    data = model_to_dict(ModelDocument(dag_graph))
    index = [n["id"] for n in data["graph"]["nodes"]].index("a")
    mutate(data["graph"]["nodes"][index])
    with pytest.raises(ModelFileError) as e:
        model_from_dict(data)
    assert e.value.path == f"$.graph.nodes[{index}].{path}", str(e.value)


def test_graph_and_engine_widths_follow_the_width_rules(dag_graph, rng):
    widths = dag_graph.widths()
    for nid, node in dag_graph.nodes.items():
        spec = NODE_SPECS[node.type]
        if spec.own_width is not None:
            expected = spec.own_width(node.params)
        else:
            expected = spec.width([widths[s] for s in dag_graph.inputs_of(nid)])
        assert widths[nid] == expected, nid
    assert widths["cat"] == 4 + 3  # Concatenate: the sum of its inputs
    outputs = Network(dag_graph).activations(rng.normal(size=(5, 3)))
    assert {nid: a.shape for nid, a in outputs.items()} == {nid: (5, w) for nid, w in widths.items()}


def test_weighted_entries_are_the_engines_parameters(dag_graph):
    net = Network(dag_graph)
    weighted = {nid for nid, n in dag_graph.nodes.items() if NODE_SPECS[n.type].weighted}
    assert set(net.params) == weighted == {"a", "b", "c", "out"}


def test_the_diagram_and_the_cli_show_each_types_summary(dag_graph, capsys, tmp_path):
    from nnbuilder.gui.diagram.items import node_texts

    path = tmp_path / "dag.json"
    save_model(path, ModelDocument(dag_graph))
    assert main(["info", str(path)]) == 0
    # The first column is the node's name (16 wide): "Dense 2", not the id "b".
    rows = {line[:16].strip(): line for line in capsys.readouterr().out.splitlines()[2:]}
    widths = dag_graph.widths()
    seen = set()
    for nid, node in dag_graph.nodes.items():
        spec = NODE_SPECS[node.type]
        summary = spec.summary(node.params, widths[nid])
        assert summary
        assert summary[:28] in rows[node.name], (nid, rows[node.name])
        title, subtitle = node_texts(dag_graph, nid)
        assert title == node.name and subtitle.startswith(summary)
        seen.add(node.type)
    assert seen == set(NODE_SPECS)  # the fixture has one node of every type
    assert "elu" in rows["Dense 2"] and "rate 0.3" in rows["Dropout 1"]
    assert "softmax · cross_entropy" in rows["Output"]


# ------------------------------------------------- a type registered by a test
class ScaleOp:
    """``out = factor * x``; the gradient to the input is ``factor * g``."""

    def __init__(self, s):
        self.x, self.out, self.g, self.factor = s.xs[0], s.zeros(), s.g, s.params["factor"]
        self.gin, self.acc = s.targets[0]

    def forward(self, train):
        np.multiply(self.x, self.factor, out=self.out)

    def backward(self):
        if self.gin is not None:
            if self.acc:
                self.gin += self.g * self.factor
            else:
                np.multiply(self.g, self.factor, out=self.gin)


SCALE = NodeType("scale", "Scale", "Scale", "y = c x", "Multiplies by a constant.",
                 {"factor": Param(2.0, Interval(kind=float, low=-10, high=10))}, SINGLE, ScaleOp,
                 lambda p, w: f"x {p['factor']:g}", width=lambda ins: ins[0])


@pytest.fixture
def scale_type(monkeypatch):
    monkeypatch.setitem(NODE_SPECS, "scale", SCALE)


def _scaled_chain() -> Graph:
    g = Graph()
    g.add_node("input", node_id="in")
    g.add_node("dense", {"units": 3}, node_id="d")
    g.add_node("scale", {"factor": -3}, node_id="s")
    g.add_node("output", {"units": 1, "activation": "linear", "loss": "l2"}, node_id="out")
    for s, t in [("in", "d"), ("d", "s"), ("s", "out")]:
        g.connect(s, t)
    return g


def test_a_registered_type_is_checked_and_wired_by_the_graph(scale_type):
    g = _scaled_chain()
    assert g.nodes["s"].params == {"factor": -3.0} and g.errors() == []
    assert g.widths()["s"] == 3 and g.total_params() == (2 * 3 + 3) + (3 * 1 + 1)
    with pytest.raises(GraphError, match="scale.factor: must be a finite number"):
        g.set_params("s", factor="big")
    with pytest.raises(GraphError, match="scale.factor: must be between -10 and 10"):
        g.set_params("s", factor=11)
    assert "takes one input" in g.connection_refusal("in", "s")  # SINGLE, from the entry
    g2 = Graph.from_dict(g.to_dict())
    assert g2.to_dict() == g.to_dict()
    g.disconnect("d", "s")
    assert ("unconnected", "s") in {(p.code, p.node_id) for p in g.validate()}


def test_a_registered_type_runs_in_the_engine(scale_type, rng):
    g = _scaled_chain()
    net = Network(g)
    net.init_params(rng)
    X = rng.normal(size=(6, 2))
    acts = net.activations(X)
    np.testing.assert_allclose(acts["s"], -3.0 * acts["d"])
    check_network_gradient(net, X, rng.normal(size=(6, 1)))


# ------------------------------------------- the loss x output activation table
def output_problems(loss: str, act: str, units: int = 1):
    g = Graph.chain([2, 3, units], output_activation=act, loss=loss)
    return [(p.severity, p.message) for p in g.validate() if p.code == "loss_mismatch"]


def test_the_pairing_table_is_keyed_by_the_file_formats_names():
    assert set(OUTPUT_PAIRINGS) <= set(LOSSES)
    for loss, rules in OUTPUT_PAIRINGS.items():
        assert set(rules) - {"*"} <= set(ACTIVATIONS), loss
        for rule in rules.values():
            assert rule is None or (rule[0] in ("error", "warning") and rule[1])


#: What the lecture says of each loss with a one-unit Output of each
#: activation, written here apart from the table: (severity, words the reason
#: must contain), or None where the pair learns.
def lecture(loss: str, act: str):
    if loss in ("l2", "l1", "huber"):  # they compare y_hat with y wherever y_hat lies
        return None
    if loss == "bce":
        return None if act == "sigmoid" else ("error", "probability in (0, 1)")
    if loss == "cross_entropy":
        return ("error", "needs a softmax output")
    return {"sigmoid": ("error", "always predicts class 1"), "softplus": ("error", "always predicts class 1"),
            "tanh": ("warning", "saturates"), "elu": ("warning", "flattens"),
            "relu": ("warning", "never goes below 0"), "swish": ("warning", "never goes below")}.get(act)


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("act", [a for a in ACTIVATIONS if a != "softmax"])
def test_every_loss_and_one_unit_output_activation(loss, act):
    """Each pair (two units for cross_entropy): flagged as the lecture says, with its reason."""
    units = 2 if loss == "cross_entropy" else 1
    found = output_problems(loss, act, units)
    expected = lecture(loss, act)
    if expected is None:
        assert found == [], found
    else:
        assert len(found) == 1 and found[0][0] == expected[0] and expected[1] in found[0][1], found
        assert act in found[0][1]  # the message names the activation it is about


def test_softmax_output_pairs():
    assert output_problems("cross_entropy", "softmax", 3) == []
    for loss in ("l2", "l1", "huber"):
        assert output_problems(loss, "softmax", 3) == []
    assert output_problems("bce", "softmax", 3)[0][0] == "error"


def test_hinge_with_a_sigmoid_output_is_an_error_that_says_why():
    g = Graph.chain([2, 3, 1], output_activation="sigmoid", loss="hinge")
    (p,) = [p for p in g.validate() if p.code == "loss_mismatch"]
    assert p.severity == "error" and p.node_name == "Output"
    assert "raw score" in p.message and "(0, 1)" in p.message and "always predicts class 1" in p.message
    assert "use linear" in p.message
    assert Graph.chain([2, 3, 1], output_activation="linear", loss="hinge").validate() == []


def _hinge_accuracy(act: str, monkeypatch) -> float:
    """Train a 2-1 network with hinge loss on AND; its accuracy on the 4 rows."""
    monkeypatch.setitem(OUTPUT_PAIRINGS["hinge"], act, None)  # let the engine try it
    net = Network(Graph.chain([2, 1], output_activation=act, loss="hinge"))
    data = TrainData.from_dataset(make_dataset("and"), net, 1.0, seed=0)
    trainer = Trainer(net, data, TrainConfig(lr=0.1, batch_size=4), seed=0)
    trainer.run(2000)
    return trainer.evaluate()["train_metric"]


def test_the_table_tells_the_truth_hinge_sigmoid_predicts_one_class(monkeypatch):
    # The reason the table gives, seen in the engine: with a sigmoid output
    # y_hat > 0, so every row is class 1 (1 of the 4 rows of AND is); the raw
    # score the table suggests learns AND.
    assert _hinge_accuracy("sigmoid", monkeypatch) == 0.25
    assert _hinge_accuracy("linear", monkeypatch) == 1.0


def test_param_refusal_gives_the_registrys_reason():
    assert param_refusal("dense", "units", 2000) == "must be a whole number between 1 and 1024"
    assert param_refusal("dropout", "rate", 1.0) == "must be at least 0 and below 1"
    assert param_refusal("dense", "units", 7) is None
