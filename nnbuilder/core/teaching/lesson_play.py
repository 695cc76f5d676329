"""A lesson's step played without a window: the model file the window's
lesson controller sets up for it (:func:`step_model`), the run the window
would start from that file (:func:`step_trainer`, the worker's own
:class:`~nnbuilder.core.run.protocol.RunSpec`), and the step's checks read
off that run (:func:`play`). The tests play every step whose text states an
outcome this way, so a lesson cannot claim what the app does not do.
"""
from __future__ import annotations

import math

import numpy as np

from ..data.datasets import dataset_from_spec
from ..engine.config import TrainConfig
from ..engine.network import Network
from ..engine.trainer import Trainer
from ..engine.traindata import TrainData
from ..errors import NNBuilderError
from ..files.modelfile import ModelDocument
from ..functions.losses import accuracy
from ..run.prepared import prepare, structure_key
from ..run.protocol import RunSpec
from .lessons import ACTIONS, Facts, Lesson, LessonError, check_results, needed_facts

__all__ = ["RUN_CHECKS", "fresh_weights", "play", "step_model", "step_trainer", "trained_facts", "weighed"]

#: The checks that only a run can make true (the others notice what the student chose or typed).
RUN_CHECKS = ("train_accuracy_at_least", "test_accuracy_at_least", "train_loss_below", "diverged",
              "stop_reason", "epochs_at_least", "steps_at_least", "dead_units_at_least")


def _loader(lesson: Lesson, index: int) -> int:
    """The last step at or before ``index`` that loads a network."""
    for i in range(index, -1, -1):
        if lesson.steps[i].network is not None:
            return i
    raise LessonError(f"{lesson.id}: step {index + 1}: no step so far loads a network")


def step_model(lesson: Lesson, index: int) -> ModelDocument:
    """The model file as the window sets step ``index`` up for a student who
    walked through the lesson from its start: the network of the last step
    that loaded one, then each step's data and settings in order. Its
    weights are the network's own (None: fresh from the seed), whatever a
    student trained in between (see :func:`fresh_weights`)."""
    start = _loader(lesson, index)
    doc = lesson.steps[start].model()
    doc.training = doc.training or TrainConfig()  # the window's default settings
    for step in lesson.steps[start:index + 1]:
        if step.data is not None:
            doc.dataset = step.dataset()
        for name, value in step.set.items():
            if ACTIONS[name].model is not None:
                ACTIONS[name].model(doc, value)
    return doc


def fresh_weights(lesson: Lesson, index: int) -> bool:
    """True when step ``index`` fixes the weights it starts from (it loads a
    network, or resets, or sets the seed), so what training does in it does
    not hang on what the student did before."""
    step = lesson.steps[index]
    return step.network is not None or "reset" in step.set or "seed" in step.set


def step_trainer(doc: ModelDocument) -> Trainer:
    """The run the window starts for ``doc`` (Train, or Reset): its data
    prepared as the run controller prepares it, the worker's trainer."""
    cfg = doc.training or TrainConfig()
    spec = doc.dataset or {}
    key = (structure_key(doc.graph), 0, cfg.optimizer)  # (structure, data version, optimizer), as the window's
    prepared = prepare(key, doc.graph, dataset_from_spec(spec), None, (spec.get("split", 0.5), spec.get("seed", 0)),
                       cfg.optimizer)
    if prepared.reason:
        raise NNBuilderError(prepared.reason)
    return RunSpec(doc.graph.to_dict(), prepared.data, cfg, doc.seed, doc.weights).trainer()


def weighed(net: Network, data: TrainData, needs: set) -> dict:
    """The facts that take a forward pass of ``net``'s weights over the
    training rows: ``correct`` (the fraction classified right) and
    ``dead_units`` (hidden units that output 0 for every row), as asked."""
    out = {}
    with np.errstate(all="ignore"):
        if "correct" in needs and data.labels_train is not None:
            _, outputs = net.evaluate(data.X_train, data.Y_train)
            out["correct"] = accuracy(outputs, data.labels_train, net.loss.threshold)
        if "dead_units" in needs:
            hidden = [nid for nid in net.params if nid != net.output_id]
            acts = net.activations(data.X_train)
            out["dead_units"] = int(sum((np.abs(acts[nid]).max(axis=0) == 0).sum() for nid in hidden))
    return out


def trained_facts(trainer: Trainer, doc: ModelDocument, needs: set = frozenset(), diverged: bool = False,
                  start_seed: int | None = None) -> Facts:
    """The facts the window's lesson panel reads, for a run stopped where ``trainer`` is."""
    last = trainer.history.last
    classes = trainer.metric_name == "accuracy"
    cfg = trainer.config
    f = Facts(epoch=trainer.epoch, step=trainer.step, running=False, stop_reason=trainer.stop_reason,
              diverged=diverged, train_loss=last["train_loss"], test_loss=last["test_loss"],
              train_accuracy=last["train_metric"] if classes else math.nan,
              test_accuracy=last["test_metric"] if classes else math.nan,
              optimizer=cfg.optimizer, lr=cfg.lr,
              node_params={nid: dict(n.params) for nid, n in doc.graph.nodes.items()},
              parameter_count=doc.graph.total_params(), dataset=(doc.dataset or {}).get("name"),
              seed=doc.seed, start_seed=doc.seed if start_seed is None else start_seed)
    for key, value in weighed(trainer.network, trainer.data, needs).items():
        setattr(f, key, value)
    return f


def play(doc: ModelDocument, checks: dict, epochs: int, trainer: Trainer | None = None) -> tuple[Trainer, Facts]:
    """Train ``doc`` epoch by epoch, as a student presses Train and watches,
    until ``checks`` all hold, the run stops by itself (its epoch limit,
    convergence, divergence) or ``epochs`` more have passed; the trainer and
    the facts where it stopped."""
    trainer = trainer or step_trainer(doc)
    needs = needed_facts(checks)
    facts = trained_facts(trainer, doc, needs)
    target = trainer.epoch + epochs
    while trainer.epoch < target:
        reason = trainer.run(trainer.steps_to_epoch_end)
        facts = trained_facts(trainer, doc, needs, diverged=reason == "diverged")
        if reason or (checks and all(ok for _, ok in check_results(checks, facts))):
            break
    return trainer, facts
