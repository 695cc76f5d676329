"""The lesson format (issue 12, point 2): the shipped lessons load; the
schema file is the one the vocabulary makes and an independent validator
(jsonschema) agrees with ours; a broken file is refused with one message
naming the file and the step; each check is a pure function of the facts;
``nnbuilder lessons`` lists them."""
import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from nnbuilder.core.teaching.lessons import (ACTIONS, CHECKS, Facts, LessonError, check_results, lesson_entries,
                                    lesson_schema, load_lesson, text_html, text_plain)
from nnbuilder.core.resources import resource

LESSONS = resource("lessons")
SCHEMA_FILE = resource("lesson.schema.json")


def shipped(name="02-xor"):
    return json.loads((LESSONS / f"{name}.json").read_text())


def write(tmp_path, data, name="lesson.json") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def test_the_shipped_lessons_load_and_cover_the_lecture():
    entries = lesson_entries()
    assert all(e.error is None for e in entries), [e.error for e in entries if e.error]
    titles = " / ".join(e.lesson.title for e in entries)
    for topic in ("perceptron", "XOR", "ReLU", "hinge", "Gradient descent", "3-4-2", "chain rule"):
        assert topic in titles
    checks = {name for e in entries for s in e.lesson.steps for name in s.check}
    assert {"stop_reason", "train_accuracy_at_least", "test_accuracy_at_least", "diverged",
            "parameter_count", "sample_selected", "weight_selected", "classifies_all",
            "dead_units_at_least", "seed_changed"} <= checks
    assert any(isinstance(s.network, dict) for e in entries for s in e.lesson.steps)  # an inline graph


def test_the_schema_file_is_the_vocabularys_and_jsonschema_agrees():
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema == json.loads(json.dumps(lesson_schema()))  # regenerate: see docs/lessons.md
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted(LESSONS.glob("*.json")):
        jsonschema.validate(json.loads(path.read_text()), schema)
    assert set(schema["$defs"]["step"]["properties"]["set"]["properties"]) == set(ACTIONS)
    assert set(schema["$defs"]["step"]["properties"]["check"]["properties"]) == set(CHECKS)


def mutations():
    """(change to 02-xor.json, the message's end): each refused by both validators."""
    def at(step, key, value):
        def f(d):
            d["steps"][step][key] = value
        return f
    return [
        (at(1, "check", {"train_accuracy_at_least": 1.5}),
         'step 2 ("Two hidden units"), check.train_accuracy_at_least: must be at most 1 (got 1.5)'),
        (at(1, "check", {"accuracy_is": 1}), 'step 2 ("Two hidden units"), check.accuracy_is: is not a known field'),
        (at(0, "set", {"learning_rate": 0}), 'step 1 ("One unit cannot do XOR"), set.learning_rate: must be above 0'),
        (at(0, "set", {"optimizer": "newton"}), "set.optimizer: must be one of sgd, rmsprop, adam, perceptron"),
        (at(0, "set", {"jump": True}), "set.jump: is not a known field"),
        (at(0, "data", {"name": "mnist"}), "data.name: must be one of circle"),
        (at(2, "title", ""), "step 3, title: must have at least 1 characters"),
        (lambda d: d["steps"][1].pop("text"), "step 2 (\"Two hidden units\"): the field 'text' is missing"),
        (lambda d: d.pop("summary"), "$: the field 'summary' is missing"),
        (lambda d: d.update(steps=[]), "$.steps: must have at least 1 items"),
    ]


@pytest.mark.parametrize("change, message", mutations())
def test_a_broken_lesson_names_the_file_and_the_step(tmp_path, change, message):
    data = shipped()
    change(data)
    path = write(tmp_path, data, "02-xor.json")
    with pytest.raises(LessonError) as e:
        load_lesson(path)
    assert str(e.value).startswith("02-xor.json: ") and message in str(e.value)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))


@pytest.mark.parametrize("change, message", [
    (lambda d: d["steps"][2].update(set={"activation": {"node": "hidden", "name": "relu"}}),
     '02-xor.json: step 3 ("Stuck? Try another seed"), set.activation: no node \'hidden\' in the network '
     "(it has input, dense1, output)"),
    (lambda d: d["steps"][2].update(set={"node_param": {"node": "dense1", "key": "units", "value": 0}}),
     'step 3 ("Stuck? Try another seed"), set.node_param: '),
    (lambda d: d["steps"][2].update(check={"node_param": {"node": "dense1", "key": "colour", "value": 1}}),
     "check.node_param: "),
    (lambda d: d["steps"][1].update(network="no_such_example"),
     'step 2 ("Two hidden units"): the example \'no_such_example\': '),
    (lambda d: d["steps"][1].update(network={"graph": {"nodes": [{"id": "a", "type": "warp"}], "edges": []}}),
     'step 2 ("Two hidden units"): its network: '),
    (lambda d: (d["steps"][0].pop("network"), d["steps"][0].update(set={"activation": {"node": "o", "name": "relu"}})),
     'step 1 ("One unit cannot do XOR"): names a node, but no step so far loads a network'),
])
def test_what_the_schema_cannot_see_is_refused_too(tmp_path, change, message):
    data = shipped()
    change(data)
    with pytest.raises(LessonError) as e:
        load_lesson(write(tmp_path, data, "02-xor.json"))
    assert message in str(e.value)


def test_a_file_that_is_not_a_lesson_is_listed_with_the_reason(tmp_path):
    write(tmp_path, "{ not json", "a.json")
    write(tmp_path, [1, 2], "b.json")
    write(tmp_path, shipped(), "c.json")
    (tmp_path / "notes.txt").write_text("not a lesson file")
    entries = lesson_entries(tmp_path)
    assert [e.id for e in entries] == ["a", "b", "c"]
    assert entries[0].error.startswith("a.json: not valid JSON")
    assert entries[1].error == "b.json: $: must be object (got [1, 2])"
    assert entries[2].lesson.title == "XOR needs a hidden layer" and entries[2].error is None
    assert lesson_entries(tmp_path / "missing") == []


# ------------------------------------------------------------- the checks
PASS_FAIL = {  # check: (argument, facts it holds on, facts it does not hold on)
    "train_accuracy_at_least": (1.0, dict(train_accuracy=1.0), dict(train_accuracy=0.75)),
    "test_accuracy_at_least": (0.95, dict(test_accuracy=0.96), dict(test_accuracy=math.nan)),
    "train_loss_below": (0.01, dict(train_loss=0.0047), dict(train_loss=math.nan)),
    "diverged": (True, dict(diverged=True), dict(diverged=False)),
    "stop_reason": ("converged", dict(stop_reason="converged"), dict(stop_reason="converged", running=True)),
    "optimizer_is": ("perceptron", dict(optimizer="perceptron"), dict(optimizer="sgd")),
    "learning_rate_at_least": (0.07, dict(lr=0.1), dict(lr=0.05)),
    "node_param": ({"node": "d", "key": "alpha", "value": 0.1}, dict(node_params={"d": {"alpha": 0.1}}),
                   dict(node_params={"d": {"alpha": 0.01}})),
    "parameter_count": (26, dict(parameter_count=26), dict(parameter_count=20)),
    "epochs_at_least": (30, dict(epoch=30), dict(epoch=29)),
    "steps_at_least": (1, dict(step=1), dict(step=0)),
    "dataset_is": ("xor_table", dict(dataset="xor_table"), dict(dataset="xor")),
    "seed_changed": (True, dict(seed=7, start_seed=2), dict(seed=2, start_seed=2)),
    "sample_selected": (4, dict(sample=4), dict(sample=3)),
    "weight_selected": ({"node": "dense1"}, dict(weight=("dense1", 0, 1)), dict(weight=("output", 0, 0))),
    "classifies_all": (True, dict(correct=1.0), dict(correct=None)),
    "dead_units_at_least": (1, dict(dead_units=2), dict(dead_units=0)),
}


def test_every_check_is_tested_here():
    assert set(PASS_FAIL) == set(CHECKS)


@pytest.mark.parametrize("name", list(PASS_FAIL))
def test_each_check_holds_on_its_facts_and_not_on_others(name):
    arg, yes, no = PASS_FAIL[name]
    assert jsonschema.Draft202012Validator({"$defs": {}, **CHECKS[name].schema}).is_valid(arg)
    [(says, ok)] = check_results({name: arg}, Facts(**yes))
    assert ok and says
    assert check_results({name: arg}, Facts(**no)) == [(says, False)]
    assert check_results({name: arg}, Facts()) == [(says, False)]  # nothing has happened yet


def test_any_true_and_exact_arguments():
    assert check_results({"sample_selected": True}, Facts(sample=1))[0][1]
    assert check_results({"weight_selected": True}, Facts(weight=("o", None, 0)))[0][1]
    assert check_results({"node_param": {"node": "x", "key": "units", "value": 4}},
                         Facts(node_params={"x": {"units": 4}}))[0][1]
    both = check_results({"seed_changed": True, "train_accuracy_at_least": 1.0},
                         Facts(seed=3, start_seed=2, train_accuracy=0.75))
    assert [ok for _, ok in both] == [True, False]


def test_the_light_markup():
    html = text_html("A **bold** and *slanted* `w x`, 1 < 2.\n\n- one\n- two")
    assert html == ("<p>A <b>bold</b> and <i>slanted</i> <code>w x</code>, 1 &lt; 2.</p>"
                    "<ul><li>one</li><li>two</li></ul>")
    assert text_plain("A **bold** and *slanted* `w x`") == "A bold and slanted w x"


def test_the_apply_table_covers_the_actions():
    from nnbuilder.gui.learn.lesson_controller import APPLY

    assert APPLY.keys() == ACTIONS.keys()


# ------------------------------------------------------------------- CLI
def cli(*args):
    return subprocess.run([sys.executable, "-m", "nnbuilder", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_lists_the_lessons_with_their_steps():
    r = cli("lessons")
    assert r.returncode == 0 and r.stderr == ""
    entries = lesson_entries()
    for e in entries:
        assert f"{e.id}: {e.lesson.title}" in r.stdout
        for i, s in enumerate(e.lesson.steps, 1):
            assert f"  {i}. {s.title}" in r.stdout
    assert "3. Let the perceptron rule learn AND  [done when training stops with 'converged']" in r.stdout
    data = json.loads(cli("lessons", "--json").stdout)
    assert [d["id"] for d in data] == [e.id for e in entries]
    step = data[5]["steps"][0]
    assert step["network"] == "inline" and step["check"] == {"parameter_count": 26}
    assert step["noticed_when"] == "the network has 26 parameters" and "**" not in step["task"]
    assert "26 parameters" in step["task"] and "[[" not in step["task"]  # the answers, plain


def test_cli_says_which_lesson_file_is_broken(tmp_path):
    data = shipped()
    write(tmp_path, data, "02-xor.json")
    bad = copy.deepcopy(data)
    bad["steps"][0]["check"] = {"stop_reason": "tired"}
    write(tmp_path, bad, "03-bad.json")
    r = cli("lessons", "--folder", str(tmp_path))
    assert r.returncode == 2 and "02-xor: XOR needs a hidden layer" in r.stdout
    assert r.stderr.strip() == ('nnbuilder: lesson 03-bad.json: step 1 ("One unit cannot do XOR"), '
                                "check.stop_reason: must be one of converged, max_epochs, loss_target, "
                                "diverged (got 'tired')")
    r = cli("lessons", "--json", "--folder", str(tmp_path))
    assert r.returncode == 2 and json.loads(r.stdout)[1]["error"].startswith("03-bad.json: step 1")
