"""The model file: exact round trips, refusals with JSON paths, fuzzing, atomic writes."""
import copy
import json
import os
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnbuilder.core.files import modelfile
from nnbuilder.core.functions.activations import ACTIVATIONS
from nnbuilder.core.data.datasets import DATASETS, make_dataset
from nnbuilder.core.errors import ModelFileError
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.functions.initializers import INITIALIZERS
from nnbuilder.core.functions.losses import LOSSES
from nnbuilder.core.files.modelfile import (FORMAT_VERSION, ModelDocument, load_model, model_from_dict,
                                      model_to_dict, read_model_text, save_model)
from nnbuilder.core.engine.network import Network
from nnbuilder.core.engine.optimizers import OPTIMIZERS
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import Trainer

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "resources" / "examples").glob("*.json"))


def trained_doc(dag_graph) -> ModelDocument:
    net = Network(dag_graph)
    data = TrainData.from_dataset(make_dataset("circle", samples=60), net, 0.5)
    cfg = TrainConfig(optimizer="adam", lr=0.01, max_epochs=3)
    t = Trainer(net, data, cfg, seed=9)
    t.run(10**6)
    return ModelDocument(dag_graph, net.get_weights(), cfg,
                         {"name": "circle", "samples": 60, "noise": 0.0, "split": 0.5, "seed": 0},
                         9, {"train_loss": t.history.train_loss[-1]})


@pytest.fixture
def valid(dag_graph) -> dict:
    return model_to_dict(trained_doc(dag_graph))


def test_round_trip_is_bit_exact(dag_graph, tmp_path):
    doc = trained_doc(dag_graph)
    path = tmp_path / "m.json"
    save_model(path, doc)
    back = load_model(path)
    assert back.graph.to_dict() == dag_graph.to_dict()
    for nid, wb in doc.weights.items():
        assert back.weights[nid]["W"].tobytes() == wb["W"].tobytes()
        assert back.weights[nid]["b"].tobytes() == wb["b"].tobytes()
    assert back.training == doc.training and back.seed == 9 and back.metrics == doc.metrics
    save_model(tmp_path / "again.json", back)
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_awkward_floats_read_back_exactly(tmp_path):
    g = Graph.chain([2, 2, 1])
    vals = [0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -0.0, 2.0 ** -1074 * 3, np.nextafter(1, 2)]
    W1 = np.array([vals[:2], vals[2:4]])
    doc = ModelDocument(g, {"dense1": {"W": W1, "b": np.array(vals[4:6])},
                            "output": {"W": np.array([[vals[6]], [1e-300]]), "b": np.array([-7.5])}})
    save_model(tmp_path / "f.json", doc)
    back = load_model(tmp_path / "f.json")
    assert back.weights["dense1"]["W"].tobytes() == W1.tobytes()
    assert np.signbit(back.weights["dense1"]["b"][0])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_shipped_examples_load_and_validate_against_the_schema(path):
    data = json.loads(path.read_text())
    jsonschema.Draft202012Validator(modelfile.model_schema()).validate(data)
    doc = load_model(path)
    assert doc.graph.errors() == []


def test_schema_is_valid_and_its_names_are_the_engine_tables():
    schema = modelfile.model_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    d = schema["$defs"]
    assert d["dense_params"]["properties"]["activation"]["enum"] == list(ACTIVATIONS)
    assert d["output_params"]["properties"]["loss"]["enum"] == list(LOSSES)
    assert d["dense_params"]["properties"]["initializer"]["enum"] == list(INITIALIZERS)
    assert d["training"]["properties"]["optimizer"]["enum"] == list(OPTIMIZERS)
    assert d["dataset"]["properties"]["name"]["enum"] == list(DATASETS)


def test_nan_and_inf_are_refused_on_write(dag_graph, tmp_path):
    doc = trained_doc(dag_graph)
    doc.weights["b"]["W"][1, 2] = np.nan
    with pytest.raises(ModelFileError) as e:
        save_model(tmp_path / "x.json", doc)
    assert e.value.path == "$.weights.b.W[1][2]"
    assert not (tmp_path / "x.json").exists()
    doc = trained_doc(dag_graph)
    doc.metrics = {"train_loss": float("inf")}
    with pytest.raises(ModelFileError, match=r"\$\.metrics\.train_loss"):
        save_model(tmp_path / "x.json", doc)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_inf_are_refused_on_read(valid, token):
    text = json.dumps(valid).replace('"seed": 9', f'"seed": {token}')
    with pytest.raises(ModelFileError, match="finite|too large"):
        read_model_text(text)


def test_a_newer_version_is_refused_with_a_message_saying_so(valid):
    valid["version"] = FORMAT_VERSION + 1
    with pytest.raises(ModelFileError, match="newer nnbuilder") as e:
        model_from_dict(valid)
    assert e.value.path == "$.version"


def test_an_older_version_is_migrated(valid, monkeypatch):
    # Version 1 is the first format; exercise the migration chain with a
    # pretend version 2 whose migration renames a field.
    legacy = copy.deepcopy(valid)
    legacy["version"] = 1
    legacy["rng_seed"] = legacy.pop("seed")

    def v1_to_v2(d):
        d["seed"] = d.pop("rng_seed")
        return d

    monkeypatch.setattr(modelfile, "FORMAT_VERSION", 2)
    monkeypatch.setitem(modelfile.MIGRATIONS, 1, v1_to_v2)
    doc = model_from_dict(legacy)
    assert doc.seed == 9
    legacy["version"] = 0
    with pytest.raises(ModelFileError, match="version 0 is not supported"):
        model_from_dict(legacy)


@pytest.mark.parametrize("mutate,path,needle", [
    (lambda d: d["graph"]["nodes"][1]["params"].update(units=5000), "$.graph.nodes[1].params.units", "at most 1024"),
    (lambda d: d["graph"]["nodes"][1]["params"].update(activation="gelu"), "$.graph.nodes[1].params.activation", "one of"),
    (lambda d: d["graph"]["nodes"][1].update(id="in"), "$.graph.nodes[1].id", "exists already"),
    (lambda d: d["graph"]["edges"].append({"source": "a", "target": "ghost"}), "$.graph.edges[10]", "missing node"),
    (lambda d: d["weights"]["a"]["W"].pop(), "$.weights.a.W", "3 rows"),
    (lambda d: d["weights"]["a"]["W"][1].append(0.5), "$.weights.a.W[1]", "4 entries"),
    (lambda d: d["weights"]["a"].update(b=None), "$.weights.a.b", "4 entries"),
    (lambda d: d["weights"].update(sum={"W": [[1.0]], "b": None}), "$.weights.sum", "not a Dense"),
    (lambda d: d["weights"]["a"]["W"][0].__setitem__(0, "1"), "$.weights.a.W[0][0]", "must be number"),
    (lambda d: d["training"].update(lr=-1), "$.training.lr", "must be above 0 (got -1)"),
    (lambda d: d["training"].update(lr=0), "$.training.lr", "above 0"),
    (lambda d: d["training"].update(momentum=1.5), "$.training.momentum", "below 1"),
    (lambda d: d["dataset"].update(name="mnist"), "$.dataset.name", "one of"),
    (lambda d: d.update(format="keras"), "$.format", "not an nnbuilder model"),
    (lambda d: d.pop("graph"), "$", "'graph' is missing"),
    (lambda d: d.update(extra=1), "$.extra", "not a known field"),
])
def test_each_bad_field_is_named_by_its_json_path(valid, mutate, path, needle):
    mutate(valid)
    with pytest.raises(ModelFileError) as e:
        model_from_dict(valid)
    assert e.value.path == path, str(e.value)
    assert needle in str(e.value)


def test_unreadable_and_broken_files_say_what_and_where(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path / "missing.json")
    p = tmp_path / "broken.json"
    p.write_text('{"format": "nnbuilder-model",\n "version": 1,,}')
    with pytest.raises(ModelFileError, match="line 2, column 15") as e:
        load_model(p)
    assert str(p) in str(e.value)
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ModelFileError):
        load_model(p)


def test_atomic_write_keeps_the_old_file_when_writing_fails(dag_graph, tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    save_model(path, trained_doc(dag_graph))
    before = path.read_bytes()

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(ModelFileError, match="No space left"):
        save_model(path, ModelDocument(Graph.chain([2, 1])))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]  # no temporary file left behind


# ------------------------------------------------------------------ fuzzing
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_raises_only_model_file_error(value):
    try:
        model_from_dict(value)
    except ModelFileError:
        pass
    try:
        read_model_text(json.dumps(value))
    except ModelFileError:
        pass


_VALID_CACHE = {}


def _valid_doc():
    if "doc" not in _VALID_CACHE:
        g = Graph()
        g.add_node("input", {"features": ["x1", "x2", "x1*x2"], "normalize": "standardize"}, node_id="in")
        g.add_node("dense", {"units": 3}, node_id="a")
        g.add_node("dense", {"units": 3, "activation": "relu"}, node_id="b")
        g.add_node("add", node_id="sum")
        g.add_node("output", {"units": 1}, node_id="out")
        for s, t in [("in", "a"), ("a", "b"), ("a", "sum"), ("b", "sum"), ("sum", "out")]:
            g.connect(s, t)
        net = Network(g)
        net.init_params(np.random.default_rng(0))
        net.set_input_stats([0.5, -1.0, 2.0], [1.5, 0.25, 3.0])
        dataset = {"csv": "data.csv", "target": "y", "features": ["a", "b"], "task": None,
                   "drop_bad": True, "split": 0.5, "seed": 0}
        _VALID_CACHE["doc"] = model_to_dict(ModelDocument(
            g, net.get_weights(), TrainConfig(), dataset, 1, {"x": 1.0}, columns=["a", "b"]))
        assert model_from_dict(copy.deepcopy(_VALID_CACHE["doc"])).weights["in"]["std"].tolist() == [1.5, 0.25, 3.0]
    return copy.deepcopy(_VALID_CACHE["doc"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_single_field_mutations_of_a_valid_file(data):
    doc = _valid_doc()
    paths = list(_paths(doc))
    path = data.draw(st.sampled_from(paths[1:]))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    action = data.draw(st.sampled_from(["replace", "delete"]))
    if action == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(json_values)
    validator = jsonschema.Draft202012Validator(modelfile.model_schema())
    try:
        model_from_dict(doc)
        accepted = True
    except ModelFileError as e:
        accepted = False
        assert e.path is None or e.path.startswith("$")
    # Our validator never accepts what the reference JSON Schema validator rejects.
    if accepted:
        assert validator.is_valid(doc), list(validator.iter_errors(doc))[:1]


def test_saved_files_get_normal_permissions_not_private_temp_ones(tmp_path):
    path = tmp_path / "m.json"
    save_model(path, ModelDocument(Graph.chain([2, 1])))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    save_model(path, ModelDocument(Graph.chain([2, 1])))
    assert path.stat().st_mode & 0o777 == 0o640


def test_class_labels_round_trip_and_must_match_the_outputs(tmp_path):
    g = Graph.chain([2, 3], output_activation="softmax", loss="cross_entropy")
    path = tmp_path / "m.json"
    save_model(path, ModelDocument(g, labels=["cat", "dog", "emu"]))
    assert load_model(path).labels == ["cat", "dog", "emu"]
    save_model(path, ModelDocument(g, labels=["cat", "dog"]))
    with pytest.raises(ModelFileError, match=r"one class name per output class \(3\), there are 2") as e:
        load_model(path)
    assert e.value.path == "$.labels"
    save_model(path, ModelDocument(Graph.chain([2, 1]), labels=["no", "yes"]))  # one output: two classes
    assert load_model(path).labels == ["no", "yes"]


def test_column_names_round_trip_and_are_checked(tmp_path):
    g = Graph.chain([2, 3, 1])
    path = tmp_path / "m.json"
    save_model(path, ModelDocument(g, columns=["width", "height", "unused"]))
    assert load_model(path).columns == ["width", "height", "unused"]
    data = json.loads(path.read_text())
    for columns, where, needle in [(["width", "width"], "$.columns[1]", "'width' appears twice"),
                                   (["width"], "$.columns", "read 2 data columns, but 1 are named"),
                                   ([], "$.columns", "must be"),
                                   (["ok", ""], "$.columns[1]", "at least 1")]:
        data["columns"] = columns
        with pytest.raises(ModelFileError, match=needle) as e:
            model_from_dict(copy.deepcopy(data))
        assert e.value.path == where
        assert not jsonschema.Draft202012Validator(modelfile.model_schema()).is_valid(data) or \
            columns == ["width"]  # too few for the features: a semantic check only
    # What cannot be read is not written either.
    with pytest.raises(ModelFileError, match="appears twice"):
        save_model(tmp_path / "bad.json", ModelDocument(g, columns=["a", "a"]))
    assert not (tmp_path / "bad.json").exists()


def test_a_file_without_column_names_loads_and_saves_without_them(tmp_path):
    """Files written before the field existed (and untrained ones) have no
    'columns': they load with None, and saving writes no such key (so an
    older nnbuilder still reads the file)."""
    old = model_to_dict(ModelDocument(Graph.chain([2, 1])))
    assert "columns" not in old
    assert model_from_dict(old).columns is None
    old["columns"] = None
    assert model_from_dict(old).columns is None
    for path in EXAMPLES:
        assert load_model(path).columns is None


def test_columns_for_a_dataset_entry():
    from nnbuilder.core.files.modelfile import columns_for

    g2 = Graph.chain([2, 1])
    g4 = Graph.chain([4, 3], output_activation="softmax", loss="cross_entropy",
                     features=["x1", "x2", "x3", "x4"])
    assert columns_for(g2, {"name": "circle"}) == ["x1", "x2"]
    assert columns_for(g4, {"name": "iris"}) == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert columns_for(g2, {"points": [], "classes": 2}) == ["x1", "x2"]
    assert columns_for(g2, {"csv": "d.csv", "features": ["a", "b"]}, ["old", "names"]) == ["a", "b"]
    assert columns_for(g2, {"csv": "d.csv"}, ["p", "q"]) == ["p", "q"]  # the entry does not tell
    assert columns_for(g2, {"csv": "d.csv", "features": ["1", "2"]}) is None  # positions, not names
    assert columns_for(g4, {"name": "circle"}) is None  # too few for the features: not written
    assert columns_for(g2, None) is None
