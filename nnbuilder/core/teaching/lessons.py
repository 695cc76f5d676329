"""Lessons: short guided walks through the app, one JSON file each in
``resources/lessons/`` (the format is described in ``docs/lessons.md``).

A lesson has a title, a one-line summary and steps. A step has a short text,
may load a network (an example's name or an inline model file) and data (a
built-in dataset), may set controls (:data:`ACTIONS`), asks the student to do
something (``task``) and names the checks (:data:`CHECKS`) that notice when it
is done. This module is the part without a window: loading and validating
lesson files (every problem is a :class:`LessonError` naming the file and the
step), the vocabulary of actions (their names and values; the window maps each
name to what it does in one table of its own) and the checks, each one pure
function of :class:`Facts`, the window's state as plain values.
The format, its two vocabularies and their schema are read together by
whoever writes a lesson.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any, Callable

from ..functions.activations import ACTIVATIONS
from ..data.datasets import DATASETS
from ..errors import ModelFileError, NNBuilderError
from ..functions.losses import LOSSES
from ..files.modelfile import FORMAT_NAME as MODEL_FORMAT, FORMAT_VERSION as MODEL_VERSION
from ..files.modelfile import ModelDocument, load_model, model_from_dict, model_schema
from ..model.nodetypes import check_param
from ..engine.optimizers import OPTIMIZERS
from ..resources import resource
from ..files.schema import first_error
from ..engine.config import TRAIN_CONSTRAINTS, TrainConfig

__all__ = ["LESSON_FORMAT", "ACTIONS", "CHECKS", "Answers", "Facts", "Lesson", "LessonEntry", "LessonError",
           "Step", "lesson_entries", "lesson_schema", "load_lesson", "step_html", "text_html", "text_plain"]

LESSON_FORMAT = "nnbuilder-lesson"
LESSON_VERSION = 1
MAX_LESSON_BYTES = 1_000_000
STOP_REASONS = ["converged", "max_epochs", "loss_target", "diverged"]


class LessonError(NNBuilderError):
    """A lesson file that cannot be used; the message names the file and the step."""


# ------------------------------------------------------------------ actions
@dataclass(frozen=True)
class Action:
    """One control a step may set: the JSON Schema of its value and what it does."""

    schema: dict
    text: str
    node: bool = False  # the value names a node ({"node": id, ...}) of the step's network
    #: What it does to the model file (the window does the same through its
    #: controls); None: nothing the file holds (the training speed).
    model: Callable[[ModelDocument, Any], None] | None = None


_NUMBER = {"type": "number"}
_NODE_VALUE = {"type": "object", "required": ["node", "key", "value"], "additionalProperties": False,
               "properties": {"node": {"type": "string"}, "key": {"type": "string"}, "value": {}}}
_ACTIVATION = {"type": "object", "required": ["node", "name"], "additionalProperties": False,
               "properties": {"node": {"type": "string"}, "name": {"enum": list(ACTIVATIONS)}, "alpha": _NUMBER}}


def _one_or_more(schema: dict) -> dict:
    """One node's change, or a list of them (applied in order)."""
    return {"anyOf": [schema, {"type": "array", "minItems": 1, "items": schema}]}


def each(value) -> list:
    """The node changes of an action's value: one object or a list of them."""
    return value if isinstance(value, list) else [value]

def _training(key: str, value: Callable = lambda v: v) -> Callable:
    def change(doc: ModelDocument, v) -> None:
        doc.training = TrainConfig(**{**(doc.training or TrainConfig()).to_dict(), key: value(v)}).check()
    return change


def _nodes(changes: Callable) -> Callable:
    def change(doc: ModelDocument, value) -> None:
        for one in each(value):
            doc.graph.set_params(one["node"], **changes(one))
    return change


def _output_loss(doc: ModelDocument, value) -> None:
    outs = doc.graph.nodes_of_type("output")
    if not outs:
        raise NNBuilderError("the network has no Output node")
    doc.graph.set_params(outs[0].id, loss=value)


def _seed(doc: ModelDocument, value) -> None:
    doc.seed, doc.weights = value, None


def _reset(doc: ModelDocument, _value) -> None:
    doc.weights = None


#: The controls a step may set, by the name a lesson file uses. The window
#: applies each through one table keyed by these names (gui/learn/lesson_controller.py),
#: with the controls a student uses; ``model`` is the same change made to a
#: model file, for playing a step without a window (:func:`step_model`).
ACTIONS: dict[str, Action] = {
    "learning_rate": Action(TRAIN_CONSTRAINTS["lr"].schema(), "the learning rate (Training panel)",
                            model=_training("lr")),
    "optimizer": Action(TRAIN_CONSTRAINTS["optimizer"].schema(), "the optimizer (Training panel)",
                        model=_training("optimizer")),
    "batch_size": Action(TRAIN_CONSTRAINTS["batch_size"].schema(), "the batch size",
                         model=_training("batch_size")),
    "momentum": Action(TRAIN_CONSTRAINTS["momentum"].schema(), "the SGD momentum", model=_training("momentum")),
    "max_epochs": Action(replace(TRAIN_CONSTRAINTS["max_epochs"], none_ok=False).schema(),
                         "the epoch limit (0: none)", model=_training("max_epochs", lambda v: v or None)),
    "speed": Action({"anyOf": [{"const": "max"}, {"type": "number", "exclusiveMinimum": 0}]},
                    "the training speed: 'max' or steps per second (the nearest offered)"),
    "activation": Action(_one_or_more(_ACTIVATION),
                         "a node's activation (and its slope or scale, alpha), as the Inspector sets it; "
                         "or a list of such changes", node=True,
                         model=_nodes(lambda one: {"activation": one["name"], "alpha": one.get("alpha")})),
    "loss": Action({"enum": list(LOSSES)}, "the Output node's loss", model=_output_loss),
    "node_param": Action(_one_or_more(_NODE_VALUE), "any setting of a node, e.g. units or bias; or a list",
                         node=True, model=_nodes(lambda one: {one["key"]: one["value"]})),
    "seed": Action({"type": "integer", "minimum": 0, "maximum": 2 ** 31 - 1},
                   "the network's seed, then new weights from it (Reset)", model=_seed),
    "reset": Action({"const": True}, "new weights from the same seed (Reset)", model=_reset),
}


# ------------------------------------------------------------------- checks
@dataclass
class Facts:
    """The window's state as a check reads it (plain values, no widgets).

    Losses and accuracies are NaN when unknown (no run yet, no test set, a
    regression task); ``correct`` and ``dead_units`` are filled only when a
    check of the step needs them (they take a forward pass), else None."""

    epoch: int = 0
    step: int = 0
    running: bool = False
    stop_reason: str | None = None
    diverged: bool = False  # this run diverged (the window restored the last good weights)
    train_loss: float = math.nan
    test_loss: float = math.nan
    train_accuracy: float = math.nan
    test_accuracy: float = math.nan
    optimizer: str = "sgd"
    lr: float = 0.0
    node_params: dict = field(default_factory=dict)  # {node id: params}
    parameter_count: int = 0
    dataset: str | None = None
    seed: int = 0
    start_seed: int = 0  # the seed when the step began
    sample: int | None = None  # the Learn panel's row, 1-based, picked since the step began
    weight: tuple | None = None  # (node id, row, col) chosen in the Learn panel since the step began
    correct: float | None = None  # fraction of training rows the current weights classify right
    dead_units: int | None = None  # hidden units that output 0 for every training row


@dataclass(frozen=True)
class Check:
    """One thing a step can notice: the JSON Schema of its argument, a
    sentence for the student, and the test itself."""

    schema: dict
    says: Callable[[Any], str]
    test: Callable[[Facts, Any], bool]
    needs: str | None = None  # a costly fact it reads ("correct", "dead_units")
    node: bool = False  # the argument names a node of the step's network
    #: what it says in quiz mode, when its argument is an answer the class is asked for
    says_hidden: Callable[[Any], str] | None = None


def _at_least(value: float, bound: float) -> bool:
    return not math.isnan(value) and value >= bound - 1e-12


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


_FRACTION = {"type": "number", "minimum": 0, "maximum": 1}
_COUNT = {"type": "integer", "minimum": 0}

#: What a step can notice, by the name a lesson file uses; every test is a
#: pure function of :class:`Facts` and the argument.
CHECKS: dict[str, Check] = {
    "train_accuracy_at_least": Check(
        _FRACTION, lambda v: f"the training accuracy reaches {v:g}",
        lambda f, v: _at_least(f.train_accuracy, v)),
    "test_accuracy_at_least": Check(
        _FRACTION, lambda v: f"the test accuracy reaches {v:g}",
        lambda f, v: _at_least(f.test_accuracy, v)),
    "train_loss_below": Check(
        {"type": "number"}, lambda v: f"the training loss falls below {v:g}",
        lambda f, v: f.train_loss < v),
    "diverged": Check(
        {"const": True}, lambda v: "training diverges",
        lambda f, v: f.diverged),
    "stop_reason": Check(
        {"enum": STOP_REASONS}, lambda v: f"training stops with '{v}'",
        lambda f, v: f.stop_reason == v and not f.running),
    "optimizer_is": Check(
        {"enum": list(OPTIMIZERS)}, lambda v: f"the optimizer is {v}",
        lambda f, v: f.optimizer == v),
    "learning_rate_at_least": Check(
        {"type": "number"}, lambda v: f"the learning rate is at least {v:g}",
        lambda f, v: f.lr >= v),
    "node_param": Check(
        _NODE_VALUE, lambda v: f"{v['node']}'s {v['key']} is {v['value']}",
        lambda f, v: v["node"] in f.node_params and _same(f.node_params[v["node"]].get(v["key"]), v["value"]),
        node=True),
    "parameter_count": Check(
        _COUNT, lambda v: f"the network has {v} parameters",
        lambda f, v: f.parameter_count == v,
        says_hidden=lambda v: "the network has the number of parameters asked for (hidden in quiz mode)"),
    "epochs_at_least": Check(
        _COUNT, lambda v: f"{v:,} epoch{'s are' if v != 1 else ' is'} trained",
        lambda f, v: f.epoch >= v),
    "steps_at_least": Check(
        _COUNT, lambda v: f"{v:,} step{'s are' if v != 1 else ' is'} trained",
        lambda f, v: f.step >= v),
    "dataset_is": Check(
        {"enum": list(DATASETS)}, lambda v: f"the data is {v}",
        lambda f, v: f.dataset == v),
    "seed_changed": Check(
        {"const": True}, lambda v: "the weights come from a new seed (Shift+Reset)",
        lambda f, v: f.seed != f.start_seed),
    "sample_selected": Check(
        {"anyOf": [{"const": True}, {"type": "integer", "minimum": 1}]},
        lambda v: "a sample is chosen" if v is True else f"sample {v} is chosen",
        lambda f, v: f.sample is not None and (v is True or f.sample == v)),
    "weight_selected": Check(
        {"anyOf": [{"const": True}, {"type": "object", "required": ["node"], "additionalProperties": False,
                                     "properties": {"node": {"type": "string"}}}]},
        lambda v: "a weight is chosen" if v is True else f"a weight of {v['node']} is chosen",
        lambda f, v: f.weight is not None and (v is True or f.weight[0] == v["node"]),
        node=True),
    "classifies_all": Check(
        {"const": True}, lambda v: "the network's outputs are right for every training sample",
        lambda f, v: f.correct is not None and f.correct >= 1.0, needs="correct"),
    "dead_units_at_least": Check(
        {"type": "integer", "minimum": 1},
        lambda v: "a hidden unit outputs 0 for every sample (dead)" if v == 1 else
        f"{v} hidden units output 0 for every sample (dead)",
        lambda f, v: f.dead_units is not None and f.dead_units >= v, needs="dead_units"),
}


def check_results(checks: dict, facts: Facts, quiz: bool = False) -> list[tuple[str, bool]]:
    """(what each check says, whether it holds) for a step's ``checks``;
    ``quiz``: without the answers the class is asked for (the parameter count)."""
    def says(check: Check, arg) -> str:
        return check.says_hidden(arg) if quiz and check.says_hidden else check.says(arg)
    return [(says(CHECKS[name], arg), bool(CHECKS[name].test(facts, arg))) for name, arg in checks.items()]


def needed_facts(checks: dict) -> set[str]:
    """The costly facts a step's checks read."""
    return {CHECKS[name].needs for name in checks if CHECKS[name].needs}


# -------------------------------------------------------------- the format
@dataclass(frozen=True)
class Step:
    title: str
    text: str
    task: str | None = None
    network: str | dict | None = None  # an example's name, or an inline model file
    data: dict | None = None  # a built-in dataset: name and its options
    set: dict = field(default_factory=dict)  # action name -> value, applied in this order
    check: dict = field(default_factory=dict)  # check name -> argument; all must hold

    def model(self) -> ModelDocument | None:
        """A fresh copy of the network this step loads (None: it loads none)."""
        if self.network is None:
            return None
        if isinstance(self.network, str):
            return load_model(resource("examples", f"{self.network}.json"))
        return model_from_dict({"format": MODEL_FORMAT, "version": MODEL_VERSION, **self.network})

    def dataset(self) -> dict | None:
        """The model file's ``dataset`` this step's data makes: the Training
        panel's defaults for that dataset, then the step's options (None: the
        step keeps the data it finds)."""
        if self.data is None:
            return None
        info = DATASETS[self.data["name"]]
        return {"samples": None if info.fixed else info.samples, "noise": 0.0 if info.fixed else info.noise,
                "split": info.split, "seed": 0, **self.data}

    def checks_text(self) -> str:
        return "; ".join(CHECKS[name].says(arg) for name, arg in self.check.items())


@dataclass(frozen=True)
class Lesson:
    id: str  # the file's name without .json
    path: str
    title: str
    summary: str
    steps: tuple


@dataclass(frozen=True)
class LessonEntry:
    """A file of the lessons folder: its lesson, or why it is none."""

    id: str
    path: str
    lesson: Lesson | None = None
    error: str | None = None


def lesson_schema() -> dict:
    """The JSON Schema of a lesson file, made from :data:`ACTIONS` and
    :data:`CHECKS` (``resources/lesson.schema.json`` is this, written out)."""
    text = {"type": "string", "minLength": 1, "maxLength": 4000}
    step = {
        "type": "object", "required": ["title", "text"], "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 80},
            "text": {**text, "description": "Paragraphs split by a blank line; **bold**, *italic*, "
                                            "`code`, lines starting with '- ' as a list and [[an answer]] "
                                            "(quiz mode shows '?' until revealed)."},
            "task": {**text, "description": "What the student does; shown under the text (same markup)."},
            "network": {"anyOf": [{"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
                                  {"type": "object", "required": ["graph"]}],
                        "description": "An example's name in resources/examples, or a model file's "
                                       "object (graph, and optionally weights, training, dataset, seed)."},
            "data": {"type": "object", "required": ["name"], "additionalProperties": False,
                     "properties": {k: model_schema()["$defs"]["dataset"]["properties"][k]
                                    for k in ("name", "samples", "noise", "split", "seed")},
                     "description": "A built-in dataset and its options, as a model file's dataset."},
            "set": {"type": "object", "additionalProperties": False,
                    "properties": {k: {**a.schema, "description": a.text} for k, a in ACTIONS.items()}},
            "check": {"type": "object", "additionalProperties": False,
                      "properties": {k: {**c.schema, "description": "Noticed when " + c.says(_EXAMPLE.get(k, 1))}
                                     for k, c in CHECKS.items()}},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "nnbuilder lesson", "type": "object",
        "required": ["format", "version", "title", "summary", "steps"], "additionalProperties": False,
        "properties": {
            "format": {"const": LESSON_FORMAT}, "version": {"const": LESSON_VERSION},
            "title": {"type": "string", "minLength": 1, "maxLength": 80},
            "summary": {"type": "string", "minLength": 1, "maxLength": 200},
            "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
        },
        "$defs": {"step": step},
    }


_EXAMPLE = {"node_param": {"node": "NODE", "key": "KEY", "value": "VALUE"}, "stop_reason": "converged",
            "optimizer_is": "OPTIMIZER", "dataset_is": "DATASET", "weight_selected": True,
            "sample_selected": True, "diverged": True, "seed_changed": True, "classifies_all": True}


def _where(path: str, steps: list) -> str:
    """'step 3 ("Title"), $.steps[2].check.x' -> the step part of a JSON path."""
    m = re.match(r"\$\.steps\[(\d+)\](.*)", path)
    if not m:
        return path
    i = int(m.group(1))
    title = steps[i].get("title") if i < len(steps) and isinstance(steps[i], dict) else None
    name = f' ("{title}")' if isinstance(title, str) and title else ""
    rest = m.group(2).lstrip(".")
    return f"step {i + 1}{name}" + (f", {rest}" if rest else "")


def load_lesson(path: str | os.PathLike) -> Lesson:
    """Read and check one lesson file; every problem raises :class:`LessonError`
    naming the file (and the step)."""
    path = str(path)
    name = os.path.basename(path)
    try:
        if os.path.getsize(path) > MAX_LESSON_BYTES:
            raise LessonError(f"{name}: larger than {MAX_LESSON_BYTES:,} bytes")
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as e:
        raise LessonError(f"{name}: cannot read: {e.strerror or e}") from None
    except (ValueError, RecursionError) as e:  # JSONDecodeError and bad UTF-8
        raise LessonError(f"{name}: not valid JSON: {e}") from None
    err = first_error(data, lesson_schema())
    steps_data = data.get("steps") if isinstance(data, dict) else None
    steps_data = steps_data if isinstance(steps_data, list) else []
    if err:
        raise LessonError(f"{name}: {_where(err[0], steps_data)}: {err[1]}")
    steps = []
    graph = None  # the network in effect: the last one loaded
    for i, s in enumerate(steps_data):
        step = Step(s["title"], s["text"], s.get("task"), s.get("network"), s.get("data"),
                    dict(s.get("set", {})), dict(s.get("check", {})))
        where = f"{name}: step {i + 1} (\"{step.title}\")"
        try:
            model = step.model()
        except ModelFileError as e:
            what = f"the example {step.network!r}" if isinstance(step.network, str) else "its network"
            raise LessonError(f"{where}: {what}: {e}") from None
        if model is not None:
            graph = model.graph
        if (step.set or step.check) and graph is None and any(
                ACTIONS[k].node for k in step.set) | any(CHECKS[k].node for k in step.check):
            raise LessonError(f"{where}: names a node, but no step so far loads a network")
        for kind, table, entries in (("set", ACTIONS, step.set), ("check", CHECKS, step.check)):
            for key, value in entries.items():
                if table[key].node and value is not True:
                    for one in each(value):
                        _check_node(graph, one, key == "activation", f"{where}, {kind}.{key}")
        steps.append(step)
    return Lesson(os.path.splitext(name)[0], path, data["title"], data["summary"], tuple(steps))


def _check_node(graph, value: dict, activation: bool, where: str) -> None:
    nid = value["node"]
    if nid not in graph.nodes:
        raise LessonError(f"{where}: no node {nid!r} in the network (it has {', '.join(graph.nodes)})")
    node = graph.nodes[nid]
    changes = {"activation": value["name"], **({"alpha": value["alpha"]} if "alpha" in value else {})} \
        if activation else ({value["key"]: value["value"]} if "key" in value else {})
    try:
        for k, v in changes.items():
            check_param(node.type, k, v)
    except NNBuilderError as e:
        raise LessonError(f"{where}: {e}") from None


def lesson_entries(folder: str | os.PathLike | None = None) -> list[LessonEntry]:
    """Every ``*.json`` file of ``folder`` (default: the app's lessons) in the
    order of their names, each with its lesson or the reason it has none."""
    folder = str(folder if folder is not None else resource("lessons"))
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except OSError:
        return []
    entries = []
    for n in names:
        path = os.path.join(folder, n)
        try:
            entries.append(LessonEntry(n[:-5], path, lesson=load_lesson(path)))
        except LessonError as e:
            entries.append(LessonEntry(n[:-5], path, error=str(e)))
    return entries


# --------------------------------------------------------------- the text
_INLINE = [(re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
           (re.compile(r"\*\*(.+?)\*\*"), r"<b>\1</b>"),
           (re.compile(r"\*(.+?)\*"), r"<i>\1</i>")]
#: An answer the class is asked for ("[[26]]"): shown as it is, or in quiz
#: mode as a "?" link (``answer:N``, N counting a step's answers from 0).
ANSWER = re.compile(r"\[\[(.+?)\]\]")
ANSWER_LINK = "answer:"
HIDDEN_ANSWER = "?"


@dataclass
class Answers:
    """How a step's answers are shown: all, or (``hidden``) only those revealed."""

    hidden: bool = False
    revealed: set = field(default_factory=set)
    count: int = 0  # answers met so far in this step's text

    def html(self, inner: str) -> str:
        n, self.count = self.count, self.count + 1
        if self.hidden and n not in self.revealed:
            return f"<a href='{ANSWER_LINK}{n}' title='Show the answer'><b>{HIDDEN_ANSWER}</b></a>"
        return inner


def _inline(text: str, answers: Answers) -> str:
    out = escape(text, quote=False)
    for pattern, html in _INLINE:
        out = pattern.sub(html, out)
    return ANSWER.sub(lambda m: answers.html(m.group(1)), out)


def text_html(text: str, answers: Answers | None = None) -> str:
    """A step's light markup as HTML: paragraphs (blank lines), '- ' lists,
    **bold**, *italic*, `code`, and [[answers]] (hidden as "?" links when
    ``answers`` says so; pass the same one for the text and the task)."""
    answers = answers if answers is not None else Answers()
    parts = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.strip() for ln in para.splitlines()]
        if all(ln.startswith("- ") for ln in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(ln[2:], answers)}</li>" for ln in lines) + "</ul>")
        else:
            parts.append(f"<p>{_inline(' '.join(lines), answers)}</p>")
    return "".join(parts)


def step_html(step: "Step", answers: Answers | None = None) -> str:
    """A step's text, then what the student does, as the Lessons panel shows them."""
    answers = answers if answers is not None else Answers()
    return text_html(step.text, answers) + (text_html(f"**Your turn:** {step.task}", answers) if step.task else "")


def text_plain(text: str) -> str:
    """A step's text without its markup (for a terminal; answers shown)."""
    return re.sub(r"\*\*(.+?)\*\*|\*(.+?)\*|`([^`]+)`", lambda m: next(g for g in m.groups() if g),
                  ANSWER.sub(r"\1", text.strip()))
