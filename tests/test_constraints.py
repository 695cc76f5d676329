"""One source for each limit: a setting's constraint, declared once, gives the
check and its message, the window field's range and the model schema's
fragment; the shipped schema is what the declarations make.

Oracles: boundary values and verdicts written here, and the ``jsonschema``
package judging the generated fragments."""
import json
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from nnbuilder.core.files import modelschema
from nnbuilder.core.constraints import Boolean, Interval, Options, merged, number_text
from nnbuilder.core.data.datasets import DATASET_CONSTRAINTS, make_dataset, split_indices
from nnbuilder.core.errors import DataError, NNBuilderError
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.teaching.lessons import ACTIONS
from nnbuilder.core.files.modelfile import model_from_dict, model_schema
from nnbuilder.core.model.nodetypes import NODE_SPECS, Param, params_by_name
from nnbuilder.core.files.schema import first_error
from nnbuilder.core.engine.config import TRAIN_CONSTRAINTS, TrainConfig

from guitools import type_into

#: The file in this source tree (under an editable install ``resource()`` may
#: point at another checkout's).
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "resources" / "model.schema.json"


# ----------------------------------------------------- the shipped schema
def test_the_shipped_schema_is_what_the_declarations_make():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == modelschema.schema_text(), \
        "resources/model.schema.json is stale: run `python -m nnbuilder.core.files.modelschema --write`"
    assert json.loads(SCHEMA_FILE.read_text()) == json.loads(json.dumps(model_schema()))
    jsonschema.Draft202012Validator.check_schema(model_schema())


def test_write_regenerates_the_file(tmp_path, capsys):
    out = tmp_path / "s.json"
    assert modelschema.main(["--write", str(out)]) == 0
    assert out.read_text() == SCHEMA_FILE.read_text()
    assert modelschema.main([]) == 0 and capsys.readouterr().out == SCHEMA_FILE.read_text()


def test_the_schema_holds_each_declared_parameter_and_setting():
    d = json.loads(SCHEMA_FILE.read_text())["$defs"]
    assert d["training"]["properties"]["batch_size"] == {"type": "integer", "minimum": 1, "maximum": 100000}
    assert d["training"]["properties"]["lr"] == {"type": "number", "exclusiveMinimum": 0, "maximum": 1000}
    assert d["dropout_params"]["properties"] == {
        "rate": {"type": "number", "minimum": 0, "exclusiveMaximum": 1}}
    assert d["dense_params"]["properties"]["units"] == {"type": "integer", "minimum": 1, "maximum": 1024}
    assert d["add_params"]["properties"] == {} and d["add_params"]["additionalProperties"] is False
    assert d["node"]["properties"]["type"] == {"enum": list(NODE_SPECS)}
    # What each type accepts: exactly the parameters the graph takes for it.
    for name, spec in NODE_SPECS.items():
        assert set(d[f"{name}_params"]["properties"]) == set(Graph().add_node(name).params)


@pytest.mark.parametrize("type_name,params,ok", [
    ("dense", {"units": 3, "bias": False}, True),
    ("dense", {"rate": 0.5}, False),  # a dropout's parameter
    ("dropout", {"units": 3}, False),
    ("add", {}, True),
    ("add", {"units": 1}, False),
    ("input", {"features": ["x1"], "normalize": "standardize"}, True),
    ("output", {"loss": "l2", "units": 1}, True),
    ("activation", {"activation": "relu", "alpha": None}, True),
])
def test_the_schema_says_what_each_node_type_accepts(type_name, params, ok):
    """jsonschema on the shipped file, our validator and the graph agree."""
    data = {"format": "nnbuilder-model", "version": 1,
            "graph": {"nodes": [{"id": "n", "type": type_name, "params": params}], "edges": []}}
    schema = json.loads(SCHEMA_FILE.read_text())
    assert jsonschema.Draft202012Validator(schema).is_valid(data) == ok
    refused = (first_error(data, model_schema()) is not None)
    assert refused == (not ok)
    if not ok:
        with pytest.raises(NNBuilderError) as e:
            model_from_dict(data)
        assert e.value.path.startswith("$.graph.nodes[0].params.")


# ------------------------------------- one declaration, every reader follows
def test_changing_one_declaration_changes_check_message_schema_and_field(monkeypatch, qtbot):
    from nnbuilder.gui.data.training_panel import TrainingPanel

    monkeypatch.setitem(TRAIN_CONSTRAINTS, "batch_size", Interval(kind=int, low=2, high=50))
    with pytest.raises(NNBuilderError, match=r"batch_size': must be a whole number between 2 and 50 \(got 51\)"):
        TrainConfig(batch_size=51).check()
    assert TrainConfig(batch_size=50).check().batch_size == 50
    frag = modelschema.build_model_schema()["$defs"]["training"]["properties"]["batch_size"]
    assert frag == {"type": "integer", "minimum": 2, "maximum": 50}
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    assert (panel.batch.minimum(), panel.batch.maximum()) == (2, 50)


# ------------------------------------------------ checks at the boundaries
#: (setting, accepted values, refused values), written from the documented limits.
TRAINING_BOUNDS = [
    ("lr", [1e-9, 0.5, 1000], [0, -1, 1000.001, float("inf"), "1", True]),
    ("batch_size", [1, 100000, 7.0], [0, 100001, 2.5, True, None]),
    ("momentum", [0, 0.999], [1, -0.001, float("nan")]),
    ("rho", [0, 0.9], [1, -1e-9]),
    ("beta1", [0, 0.9], [1.0]),
    ("beta2", [0, 0.9999], [1]),
    ("eps", [0, 1e-8], [-1e-12]),
    ("l1", [0, 3], [-0.1]),
    ("l2", [0, 3], [-0.1]),
    ("nesterov", [True, False], [1, "yes"]),
    ("max_epochs", [None, 0, 10**9], [-1, 1.5]),
    ("loss_target", [None, -3, 0, 0.01], [float("inf"), "low"]),
    ("optimizer", ["sgd", "rmsprop", "adam", "perceptron"], ["Adam", "newton", None]),
]


@pytest.mark.parametrize("name,good,bad", TRAINING_BOUNDS)
def test_training_settings_at_and_beyond_their_limits(name, good, bad):
    for v in good:
        assert TRAIN_CONSTRAINTS[name].refusal(v) is None, v
        TrainConfig(**{name: v}).check()
    for v in bad:
        with pytest.raises(NNBuilderError, match=f"training setting '{name}': ") as e:
            TrainConfig(**{name: v}).check()
        assert e.value.field == name


def test_every_training_setting_is_declared_and_tested():
    assert list(TRAIN_CONSTRAINTS) == list(TrainConfig().to_dict())
    assert {n for n, _, _ in TRAINING_BOUNDS} == set(TRAIN_CONSTRAINTS)


@pytest.mark.parametrize("name,value,message", [
    ("lr", 5000, "must be above 0 and at most 1000"),
    ("lr", 0, "must be above 0 and at most 1000"),
    ("batch_size", 0, "must be a whole number between 1 and 100000"),
    ("batch_size", 2.5, "must be a whole number"),
    ("momentum", 1, "must be at least 0 and below 1"),
    ("max_epochs", -5, "must be a whole number at least 0"),
    ("loss_target", float("nan"), "must be a finite number"),
    ("eps", -1, "must be at least 0"),
    ("optimizer", "x", "choose from sgd, rmsprop, adam, perceptron"),
])
def test_the_messages_say_the_whole_range(name, value, message):
    with pytest.raises(NNBuilderError) as e:
        TrainConfig(**{name: value}).check()
    assert str(e.value) == f"training setting '{name}': {message} (got {value!r})"


def test_check_normalises_what_it_accepts():
    cfg = TrainConfig(batch_size=32.0, lr=1).check()
    assert type(cfg.batch_size) is int and cfg.batch_size == 32 and type(cfg.lr) is float


def test_a_model_file_is_refused_at_the_bad_settings_path():
    base = {"format": "nnbuilder-model", "version": 1, "graph": {"nodes": [], "edges": []}}
    for name, _, bad in TRAINING_BOUNDS:
        for v in bad:
            if isinstance(v, float) and v != v or v in (float("inf"),):
                continue  # not JSON
            with pytest.raises(NNBuilderError) as e:
                model_from_dict({**base, "training": {name: v}})
            assert e.value.path == f"$.training.{name}", (name, v, str(e.value))


def test_dataset_settings_at_and_beyond_their_limits():
    rng = np.random.default_rng(0)
    assert len(make_dataset("circle", samples=4).X) == 4
    for bad, words in [(3, "samples must be a whole number between 4 and 1000000 (got 3)"),
                       (1_000_001, "between 4 and 1000000")]:
        with pytest.raises(DataError, match=re.escape(words)):
            make_dataset("circle", samples=bad)
    make_dataset("circle", samples=10, noise=0.0), make_dataset("circle", samples=10, noise=1.0)
    with pytest.raises(DataError, match=r"noise must be between 0 and 1 \(got 1.01\)"):
        make_dataset("circle", samples=10, noise=1.01)
    assert len(split_indices(10, 1.0, rng)[1]) == 0 and len(split_indices(10, 0.01, rng)[0]) == 1
    for bad in (0, 1.01, -0.5):
        with pytest.raises(DataError, match="the training fraction must be above 0 and at most 1"):
            split_indices(10, bad, rng)


@pytest.mark.parametrize("key,bad", [("split", 0), ("samples", 3), ("noise", 2), ("seed", -1), ("seed", 2 ** 32)])
def test_a_model_file_with_a_dataset_setting_beyond_its_limit_is_refused_there(key, bad):
    base = {"format": "nnbuilder-model", "version": 1, "graph": {"nodes": [], "edges": []},
            "dataset": {"name": "circle", key: bad}}
    with pytest.raises(NNBuilderError) as e:
        model_from_dict(base)
    assert e.value.path == f"$.dataset.{key}"


def test_the_format_doc_gives_the_declared_ranges():
    text = (Path(__file__).resolve().parents[1] / "docs" / "model-format.md").read_text()
    units, batch = params_by_name()["units"].constraint, TRAIN_CONSTRAINTS["batch_size"]
    assert f"`units` [4] ({units.low}-{units.high})" in text
    assert f"`batch_size` ({batch.low}-{batch.high})" in text
    assert f"`lr` ({TRAIN_CONSTRAINTS['lr'].range_text().replace(' and', ',')})" in text


# ---------------------------------- each fragment judged by jsonschema too
def _probes(c) -> list:
    """Values at, inside and just beyond a constraint's ends, and of other types."""
    values = [None, True, False, "text", [], {}, 0, 1, -1, 0.5, 3.0]
    if isinstance(c, Interval):
        for end in (c.low, c.high):
            if end is not None:
                values += [end, end - 1, end + 1, end - 1e-9 * max(1, abs(end)), end + 1e-9 * max(1, abs(end))]
    if isinstance(c, Options):
        values += list(c.names) + [str(c.names[0]).upper()]
    return values


def _declared():
    out = [(f"training.{n}", c) for n, c in TRAIN_CONSTRAINTS.items()]
    out += [(f"params.{n}", p.constraint) for n, p in params_by_name().items()]
    out += [(f"dataset.{n}", c) for n, c in DATASET_CONSTRAINTS.items()]
    return out


@pytest.mark.parametrize("where,c", _declared(), ids=[w for w, _ in _declared()])
def test_jsonschema_agrees_with_each_check(where, c):
    """The fragment allows what the check allows; where the check refuses,
    the schema does too, except for the rules a schema cannot say (the
    Input's feature names, told by the check when a file is read)."""
    validator = jsonschema.Draft202012Validator(c.schema())
    for v in _probes(c):
        ok = c.refusal(v) is None
        if ok or where != "params.features":
            assert validator.is_valid(v) == ok, (where, v, c.refusal(v))


# ------------------------------------------------------ the types themselves
@pytest.mark.parametrize("closed,inside,outside,words", [
    ("both", [0, 1], [-0.01, 1.01], "between 0 and 1"),
    ("left", [0, 0.99], [1, -0.01], "at least 0 and below 1"),
    ("right", [1, 0.01], [0, 1.01], "above 0 and at most 1"),
    ("neither", [0.5], [0, 1], "above 0 and below 1"),
])
def test_an_interval_takes_exactly_its_closed_ends(closed, inside, outside, words):
    c = Interval(kind=float, low=0, high=1, closed=closed)
    assert all(c.refusal(v) is None for v in inside)
    assert all(c.refusal(v) == f"must be {words}" for v in outside)
    frag = c.schema()
    assert ("minimum" in frag) == (closed in ("both", "left"))
    assert ("exclusiveMaximum" in frag) == (closed in ("left", "neither"))


def test_the_widget_ends_are_the_last_values_a_field_can_show():
    assert Interval(kind=float, low=0, high=1, closed="left").widget(2) == \
        {"minimum": 0, "maximum": 0.99, "decimals": 2}
    assert Interval(kind=float, low=0, high=1000, closed="right").widget(5)["minimum"] == 1e-5
    assert Interval(kind=int, low=0, high=10, closed="neither").widget() == \
        {"minimum": 1, "maximum": 9, "decimals": 0}
    assert Interval(kind=float, none_ok=True).widget() == {"minimum": None, "maximum": None, "decimals": 2}
    assert Options(["a", "b"]).widget() == {"choices": ["a", "b"]}


def test_none_ok_adds_null_to_the_fragment():
    assert Interval(kind=int, low=0, none_ok=True).schema() == {"type": ["integer", "null"], "minimum": 0}
    assert Options(["a"], none_ok=True).schema() == {"enum": ["a", None]}
    assert Options(["a"], "thing").refusal("b") == "unknown thing; choose from a"
    assert Boolean().refusal(0) == "must be true or false" and Boolean().schema() == {"type": "boolean"}


def test_numbers_in_messages():
    assert [number_text(x) for x in (1000, 1000.0, 0.5, 1e6, -1e6, 1e-5, 100000, 10**6)] == \
        ["1000", "1000", "0.5", "1e6", "-1e6", "1e-5", "100000", "1000000"]


def test_a_name_means_one_constraint(monkeypatch):
    with pytest.raises(ValueError, match="'x' is declared twice"):
        merged([{"x": Interval(kind=int, low=0)}, {"x": Interval(kind=int, low=1)}], "setting")
    assert merged([{"x": Boolean()}, {"x": Boolean(), "y": Boolean()}], "setting") == \
        {"x": Boolean(), "y": Boolean()}
    # A node type declaring 'units' otherwise than Dense cannot go into one file format.
    odd = NODE_SPECS["dense"].__class__(**{**NODE_SPECS["dense"].__dict__, "name": "odd", "params": {
        "units": Param(4, Interval(kind=int, low=1, high=8))}})
    monkeypatch.setitem(NODE_SPECS, "odd", odd)
    with pytest.raises(ValueError, match="node parameter 'units'"):
        params_by_name()


def test_the_lessons_set_the_training_settings_within_the_same_limits():
    for action, setting in [("learning_rate", "lr"), ("batch_size", "batch_size"),
                            ("momentum", "momentum"), ("optimizer", "optimizer")]:
        assert ACTIONS[action].schema == TRAIN_CONSTRAINTS[setting].schema()
    assert ACTIONS["max_epochs"].schema == {"type": "integer", "minimum": 0}


# ---------------------------------------------------------- window fields
def test_the_training_fields_ranges_are_the_declared_ones(qtbot):
    from nnbuilder.gui.data.training_panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    batch = panel.batch
    assert (batch.minimum(), batch.maximum()) == (1, 100000)
    batch.setValue(10**6)
    assert batch.value() == 100000 == TRAIN_CONSTRAINTS["batch_size"].high  # clamped to the declaration
    batch.setValue(-4)
    assert batch.value() == 1
    assert (panel.lr.minimum(), panel.lr.maximum()) == (10.0 ** -panel.lr.decimals(), 1000)
    assert panel.momentum.maximum() == 1 - 10.0 ** -panel.momentum.decimals() and panel.momentum.minimum() == 0
    assert panel.reg_rate.minimum() == 0 and panel.max_epochs.minimum() == 0
    assert [panel.optimizer.itemText(i) for i in range(panel.optimizer.count())] == \
        list(TRAIN_CONSTRAINTS["optimizer"].names)
    panel.show_samples(2)  # painted or imported data: the count as it is, not a generator's limit
    assert panel.samples.value() == 2
    assert (panel.noise.minimum(), panel.noise.maximum()) == (0, 1)
    assert (panel.split.minimum(), panel.split.maximum()) == (10.0 ** -panel.split.decimals(), 1)


def test_a_number_typed_beyond_the_range_is_refused_with_the_reason_not_cut(qtbot):
    from nnbuilder.gui.data.training_panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show()
    batch = panel.batch
    before = batch.value()
    type_into(qtbot, batch, "200000")  # a plain QSpinBox would stop at "20000" and take it
    assert batch.value() == before and batch.property("refused") is True
    assert batch.refusal.startswith("Batch size 200000 refused: must be a whole number between 1 and 100000")
    type_into(qtbot, batch, "-3")  # below the range, sign first
    assert batch.value() == before and batch.refusal.startswith("Batch size -3 refused: ")
    type_into(qtbot, batch, "100000")
    assert batch.value() == 100000 and batch.property("refused") is False
    batch.stepBy(5)  # the arrows stop at the end
    assert batch.value() == 100000


def test_the_inspector_fields_and_choices_are_the_declared_ones(qtbot):
    from nnbuilder.gui.diagram.inspector import Inspector

    ins = Inspector()
    qtbot.addWidget(ins)
    assert (ins.units.minimum(), ins.units.maximum()) == (1, 1024)
    ins.units.setValue(5000)
    assert ins.units.value() == 1024
    assert (ins.rate.minimum(), ins.rate.maximum()) == (0, 1 - 10.0 ** -ins.rate.decimals())
    assert (ins.init_value.minimum(), ins.init_value.maximum()) == (-1e6, 1e6)
    for combo, key in [(ins.activation, "activation"), (ins.loss, "loss"),
                       (ins.initializer, "initializer"), (ins.normalize, "normalize")]:
        assert [combo.itemText(i) for i in range(combo.count())] == list(params_by_name()[key].constraint.names)
