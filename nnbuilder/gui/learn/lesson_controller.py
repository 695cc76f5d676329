"""The lesson controller: walks through a lesson's steps, sets each one up
(network, data, controls) and notices when its checks hold.

Setting up uses what a student uses: the Training panel's fields (their
change signals reach the run as an edit by hand would), the document's
undoable edits (as the Inspector makes them) and the run's Reset. A step's
settings are one undo step. The
controls a step may set are the names of :data:`~nnbuilder.core.teaching.lessons.ACTIONS`,
each done by one entry of :data:`APPLY`. The checks are pure functions of
:class:`~nnbuilder.core.teaching.lessons.Facts`, which :meth:`LessonController.facts`
reads from the run, the document, the data and the Learn controller, on a
timer while a step waits. The controller never holds the window: loading a
network goes through ``open_model``, which the window gives it.
"""
from __future__ import annotations

import math
from typing import Callable

from PySide6.QtCore import QObject, QTimer

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.teaching.lessons import (ACTIONS, Answers, Facts, Lesson, LessonError, check_results, each,
                                    lesson_entries, needed_facts, step_html)
from nnbuilder.core.teaching.lesson_play import step_model, weighed
from nnbuilder.core.engine.config import TrainConfig

from ..data.data_controller import DataController
from .learn import LearnController
from .lesson_panel import LessonPanel
from ..run.run_controller import RunController
from ..data.training_panel import DEFAULT_SPEED, SPEEDS, TrainingPanel

POLL_MS = 200  # how often a waiting step looks at the window's state


def _speed_index(value) -> int:
    """The offered speed nearest to ``value`` ("max" or steps per second)."""
    if value == "max":
        return 0
    rates = [(abs(math.log(r / value)), i) for i, (_, r) in enumerate(SPEEDS) if r is not None]
    return min(rates)[1]


def _set_nodes(ctl: "LessonController", value, changes) -> None:
    doc = ctl.run.document
    for one in each(value):
        reason = doc.set_params(one["node"], mergeable=False, **changes(one))
        if reason:
            raise NNBuilderError(reason)


def _reset(ctl: "LessonController", _value=True) -> None:
    ctl.run.reset(new_seed=False)


def _seed(ctl: "LessonController", value: int) -> None:
    ctl.run.document.set_seed(value)
    _reset(ctl)


#: How each action of a lesson file is done in the window (keys: ACTIONS).
APPLY: dict[str, Callable] = {
    "learning_rate": lambda ctl, v: ctl.panel.lr.setValue(v),
    "optimizer": lambda ctl, v: ctl.panel.optimizer.setCurrentText(v),
    "batch_size": lambda ctl, v: ctl.panel.batch.setValue(v),
    "momentum": lambda ctl, v: ctl.panel.momentum.setValue(v),
    "max_epochs": lambda ctl, v: ctl.panel.max_epochs.setValue(v),
    "speed": lambda ctl, v: ctl.panel.speed.setCurrentIndex(_speed_index(v)),
    "activation": lambda ctl, v: _set_nodes(ctl, v, lambda one: {"activation": one["name"],
                                                                 "alpha": one.get("alpha")}),
    "loss": lambda ctl, v: _set_nodes(ctl, {"node": ctl.output_id()}, lambda _: {"loss": v}),
    "node_param": lambda ctl, v: _set_nodes(ctl, v, lambda one: {one["key"]: one["value"]}),
    "seed": _seed,
    "reset": _reset,
}
assert APPLY.keys() == ACTIONS.keys(), "every action of the lesson format is done by one entry"


class LessonController(QObject):
    """Runs the lesson chosen in ``panel`` against the window's rooms.

    ``open_model(model, name, quietly) -> bool`` replaces the window's
    document with a lesson's network (``quietly``: the document now is one
    the lesson loaded, so nothing of the user's is lost); False if the user
    kept their own."""

    def __init__(self, run: RunController, data: DataController, training: TrainingPanel,
                 learn: LearnController, panel: LessonPanel, open_model: Callable, parent=None):
        super().__init__(parent)
        self.run, self.data, self.panel, self.learn = run, data, training, learn
        self.view = panel
        self.open_model = open_model
        self.entries = []
        self.lesson: Lesson | None = None
        self.index = 0
        self.done: set[int] = set()  # steps noticed (they stay done)
        self.finished: set[str] = set()  # lessons gone through to the end
        self.start_seed = 0
        self.quiz = False  # quiz mode: the step's [[answers]] are "?" until revealed
        self.revealed: set[int] = set()  # the answers of this step revealed one by one
        self.diverged = False
        self.picked: set[str] = set()  # "sample", "weight": what the student picked since the step began
        self.note = ""  # why the step could not be set up, if it could not
        self._document = None  # the document the lesson loaded last
        self._loading = False  # the lesson itself is replacing the document
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        run.diverged.connect(lambda *_: setattr(self, "diverged", True))
        run.runReplaced.connect(lambda: setattr(self, "diverged", False))
        learn.sampleChosen.connect(lambda row: self.picked.add("sample") if row >= 0 else None)
        learn.weightChosen.connect(lambda *_: self.picked.add("weight"))
        panel.lessonChosen.connect(self.start)
        panel.nextRequested.connect(self.next)
        panel.backRequested.connect(self.back)
        panel.listRequested.connect(self.stop)
        panel.answerRequested.connect(self.reveal)

    def document_replaced(self) -> None:
        """The window holds another document. One the lesson did not load
        (New, Open, an import) ends the lesson: its steps are about its own network."""
        if self.lesson is not None and not self._loading:
            self.stop()

    def set_quiz(self, on: bool) -> None:
        """View > Quiz mode: the step's answers (a parameter count, an outcome)
        hidden as "?" links, each revealed by a click, all by leaving quiz mode."""
        self.quiz = bool(on)
        self.revealed = set()
        if self.lesson is not None:
            self._show_text()
            self.poll()

    def reveal(self, n: int) -> None:
        """The teacher reveals answer ``n`` of the step."""
        self.revealed.add(n)
        if self.lesson is not None:
            self._show_text()

    def _show_text(self) -> None:
        step = self.lesson.steps[self.index]
        self.view.show_text(step_html(step, Answers(self.quiz, self.revealed)))

    def load_list(self) -> None:
        """Read the lessons folder again (a teacher may have added a file)."""
        self.entries = lesson_entries()
        self.view.set_entries(self.entries, self.finished)

    # ------------------------------------------------------------ walking
    def start(self, lesson_id: str) -> bool:
        entry = next((e for e in self.entries if e.id == lesson_id and e.lesson is not None), None)
        if entry is None:
            return False
        self.lesson, self.done = entry.lesson, set()
        return self.go(0)

    def stop(self) -> None:
        """Back to the list; the network stays as the lesson left it. A lesson
        left on its last step, done, is finished (as Finish would have it)."""
        self.timer.stop()
        lesson = self.lesson
        self.lesson = None
        if lesson is not None and self.index + 1 == len(lesson.steps) and \
                (self.index in self.done or not lesson.steps[self.index].check) and lesson.id not in self.finished:
            self.finished.add(lesson.id)
            self.view.set_entries(self.entries, self.finished)
        self.view.show_list()

    def next(self) -> None:
        if self.lesson is None:
            return
        if self.index + 1 >= len(self.lesson.steps):
            self.finished.add(self.lesson.id)
            self.stop()
            self.view.set_entries(self.entries, self.finished)
        else:
            self.go(self.index + 1)

    def back(self) -> None:
        if self.lesson is not None and self.index > 0:
            self.go(self.index - 1)

    def go(self, index: int) -> bool:
        """Set up step ``index`` and show it; False (with the reason shown) if
        its setup could not be done."""
        lesson = self.lesson
        self.timer.stop()  # nothing is noticed while the step is set up (a save dialog may wait)
        self.index = index
        step = lesson.steps[index]
        self.revealed = set()
        self.view.show_step(lesson.title, index + 1, len(lesson.steps), step.title,
                            step_html(step, Answers(self.quiz)), index == 0, index + 1 == len(lesson.steps))
        self.view.show_progress([], False, "Setting up this step…")  # no "Done" of the step shown before
        self.note = ""
        try:
            self._set_up(step)
            ok = True
        except (NNBuilderError, LessonError) as e:
            self.note = f"This step could not be set up: {e}"
            ok = False
        self.start_seed = self.run.document.seed
        self.picked = set()  # a sample or weight picked before this step does not do it
        self.poll()
        self.timer.start()
        return ok

    def _set_up(self, step) -> None:
        model = step.model()
        if model is not None:
            name = step.network if isinstance(step.network, str) else self.lesson.id
            quietly = self._document is not None and self.run.document is self._document
            self._loading = True
            try:
                opened = self.open_model(model, name, quietly)
            finally:
                self._loading = False
            if not opened:
                raise NNBuilderError("it loads a network of its own: save or discard your changes, then press Back and Next")
            self._document = self.run.document
            self.learn.set_kind("a")  # a new network: its activations first, whatever was shown before
            if "speed" not in step.set:  # an earlier step's 10 steps/s is not this network's (the teacher's trial)
                self.panel.speed.setCurrentIndex(DEFAULT_SPEED)
        # The step's settings are one undo step (Ctrl+Z takes them back together).
        with self.run.document.macro(f"Lesson: {step.title}"):
            if step.data is not None:  # as the Training panel picks a dataset, with its defaults
                self.data.panel_changed(step.dataset())
            own = self._own_training()
            if own is not None:  # nothing the student or another lesson set in between carries over
                reason = self.run.document.set_training(own.to_dict(), mergeable=False)
                if reason:
                    raise NNBuilderError(reason)
            for name, value in step.set.items():
                APPLY[name](self, value)
        if model is not None:  # the lesson's own network as the step sets it up: nothing to save
            self.run.document.undo_stack.setClean()

    def _own_training(self) -> TrainConfig | None:
        """The training settings this step starts from: those of the network the
        lesson loaded last (its file's, else the defaults), then what each step
        up to this one sets, as :func:`~nnbuilder.core.teaching.lesson_play.step_model`
        plays it (None: no step so far loads a network)."""
        try:
            return step_model(self.lesson, self.index).training
        except LessonError:
            return None

    def output_id(self) -> str:
        outs = self.run.document.graph.nodes_of_type("output")
        if not outs:
            raise NNBuilderError("the network has no Output node")
        return outs[0].id

    # ------------------------------------------------------------ noticing
    def poll(self) -> None:
        """Look at the window's state; a step whose checks all hold is done."""
        if self.lesson is None:
            self.timer.stop()
            return
        step = self.lesson.steps[self.index]
        if self.index in self.done or not step.check:
            results = [(text, True) for text, _ in check_results(step.check, Facts(), self.quiz)]
            self.view.show_progress(results, True, self.note)
            self.timer.stop()  # a done step stays done: nothing more to look at
            return
        results = check_results(step.check, self.facts(needed_facts(step.check)), self.quiz)
        if all(ok for _, ok in results):
            self.done.add(self.index)
        self.view.show_progress(results, self.index in self.done, self.note)

    def step_done(self) -> bool:
        return self.lesson is not None and self.index in self.done

    def facts(self, needs: set = frozenset()) -> Facts:
        """The window's state now, as the checks read it."""
        run, doc = self.run, self.run.document
        snap = run.snapshot
        last = snap.last if snap is not None else {}
        cfg = doc.training or TrainConfig()
        classes = snap is not None and snap.metric_name == "accuracy"
        nan = math.nan
        w = self.learn.weight
        f = Facts(
            epoch=snap.epoch if snap else 0, step=snap.step if snap else 0, running=run.running,
            stop_reason=snap.stop_reason if snap else None, diverged=self.diverged,
            train_loss=last.get("train_loss", nan), test_loss=last.get("test_loss", nan),
            train_accuracy=last.get("train_metric", nan) if classes else nan,
            test_accuracy=last.get("test_metric", nan) if classes else nan,
            optimizer=cfg.optimizer, lr=cfg.lr,
            node_params={nid: dict(n.params) for nid, n in doc.graph.nodes.items()},
            parameter_count=doc.graph.total_params(), dataset=(doc.dataset or {}).get("name"),
            seed=doc.seed, start_seed=self.start_seed,
            sample=None if self.learn.row is None or "sample" not in self.picked else self.learn.row + 1,
            weight=None if w is None or "weight" not in self.picked else (w.node, w.row, w.col))
        if needs:
            self._weighed(f, needs)
        return f

    def _weighed(self, f: Facts, needs: set) -> None:
        """The facts that take a forward pass of the current weights over the training rows."""
        prepared = self.run.prepared()  # the run's network and data, not a copy built here
        if prepared.reason:
            return
        try:
            net = prepared.network_with(self.run.current_weights())
        except NNBuilderError:
            return
        if net is None:
            return  # no weights yet
        for key, value in weighed(net, prepared.data, needs).items():
            setattr(f, key, value)
