"""The run room: start, pause, step, reset and rebuild the document's network
in a worker process, through the one command protocol of
:mod:`nnbuilder.core.run.live`.

Everything one training run has (its history, newest snapshot, what its
snapshots said: :class:`~nnbuilder.core.run.narration.Narrator`) is one
:class:`RunState`. New, Open and Reset replace it whole and
emit ``runReplaced``, so nothing of an old run can show in a new one. The
controller never draws: the live view takes snapshots from :meth:`take_latest`
on its frame timer and draws them, and rests once :attr:`RunController.settled`
(nothing runs, nothing awaited) until ``commandSent``. A change of data is a
new run (new weights where the old ones no longer fit): curves of two data
sets are never one.

It owns the one :class:`~nnbuilder.core.run.prepared.Prepared` value (the
compiled network and its data), built by its
:class:`~nnbuilder.gui.run.preparation.Preparation` (big data in the
background), and hands it to every room that computes with the network; the
document takes the trained weights only by :meth:`store_weights`.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Signal

from nnbuilder.core.run.narration import Narrator
from nnbuilder.core.run.live import MAP_BYTES, DataStager, LiveProcess, LiveSnapshot, RunSpec, SpareWorker
from nnbuilder.core.run.protocol import data_bytes
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.engine.trainer import History

from ..data.data_controller import DataController
from ..diagram.commands import weight_name
from ..diagram.document import weight_value
from nnbuilder.core.run.prepared import Prepared, structure_key
from ..data.training_panel import TrainingPanel
from .preparation import Preparation


def only_loss_changed(old: str, new: str) -> bool:
    """True when two structure keys differ in the Output's loss alone."""
    a, b = json.loads(old), json.loads(new)
    if a["e"] != b["e"] or len(a["n"]) != len(b["n"]):
        return False
    for (ia, ta, pa), (ib, tb, pb) in zip(a["n"], b["n"]):
        if (ia, ta) != (ib, tb) or {k: v for k, v in pa.items() if k != "loss"} != \
                {k: v for k, v in pb.items() if k != "loss"}:
            return False
    return True


@dataclass
class RunState:
    """One training run as the window knows it. Replaced whole, never reset in parts."""

    generation: int = 0  # the worker's run number: older snapshots are dropped
    curves: History = field(default_factory=History)  # loss and metric per epoch
    snapshot: LiveSnapshot | None = None  # the newest one taken
    narrator: Narrator = field(default_factory=Narrator)  # what its snapshots said already
    # The timeline: the moments the worker kept (rows of step, epoch, at,
    # train_loss) and the one fetched last (a MomentWeights), for the slider.
    timeline: np.ndarray | None = None
    moment: object | None = None

    @property
    def running(self) -> bool:
        return self.snapshot is not None and self.snapshot.running


class RunController(QObject):
    """Runs the document's network on ``data``; ``panel`` gives the settings."""

    weightTyped = Signal()  # a weight or bias typed by hand, or its undo or redo: the run's weights changed
    status = Signal(str, int)
    error = Signal(str, str)  # title, text
    readyChanged = Signal(object)  # None when the network can train, else the reason
    preparedChanged = Signal(object)  # a new Prepared (another structure, data or optimizer)
    runReplaced = Signal()  # a new RunState: views drop what they drew of the old one
    # epoch, label for the loss plot, the loss it rose to there (NaN: not finite),
    # the loss of the weights restored (NaN: unknown)
    diverged = Signal(float, str, float, float)
    documentModified = Signal()  # trained weights made the document modified
    trainingChanged = Signal()  # the document's training settings changed and the worker has them
    commandSent = Signal()  # a command went to the worker: a snapshot will follow

    def __init__(self, data: DataController, panel: TrainingPanel, ask_weight, parent=None):
        """``ask_weight(node_id, row, col, current) -> float | None`` asks the user."""
        super().__init__(parent)
        self.data = data
        self.panel = panel
        self.ask_weight = ask_weight
        self.document = None
        self.worker: LiveProcess | None = None
        self.state = RunState()
        self.speed: float | None = panel.speed_limit()
        self._key = None
        self.preparation = Preparation(data, self)
        self._announced: Prepared | None = None  # the value rooms were last told of
        self._stored = None  # the snapshot whose weights the document took last
        self._behind = False  # the worker missed an edit while the network could not train
        self._asked = (None, 0)  # (worker, its ``sent``) when a snapshot was last asked for
        self._run_data = None  # the data version the worker's run trains on
        # Big training data is hashed and written for a worker as soon as it
        # is prepared, on a thread of its own: Train then sends it at once.
        self._stager = DataStager()
        # With big data and no run, a worker process waits started (its
        # imports done): the first step of Train comes that much sooner.
        self._spare: SpareWorker | None = None
        # Big new training data is prepared in the background (its progress in
        # the status bar); a run paused for it trains on when it is there.
        self._resume_prepared = False  # a run was training when the preparation began
        self.preparation.status.connect(self.status)
        self.preparation.preparing.connect(self._preparing)
        self.preparation.dataPrepared.connect(self._data_prepared)
        data.dataChanged.connect(self._data_changed)

    # ------------------------------------------------------------- document
    def set_document(self, document) -> None:
        """Run ``document`` from now on. Its data loads after (the data room's
        ``dataChanged``): until then nothing is prepared."""
        self.shutdown()
        if self.document is not None:
            self.document.graphChanged.disconnect(self.graph_changed)
            self.document.trainingChanged.disconnect(self._training_changed)
            self.document.seedChanged.disconnect(self._seed_changed)
            self.document.weightEdited.disconnect(self._weight_edited)
        self.document = document
        self._key = structure_key(document.graph)
        self.preparation.set_document(document)
        self._stored = None
        document.graphChanged.connect(self.graph_changed)
        document.trainingChanged.connect(self._training_changed)
        document.seedChanged.connect(self._seed_changed)
        document.weightEdited.connect(self._weight_edited)
        self.panel.show_training(document.training, kept=False)
        # The speed is no setting of the file: each document starts at the
        # default (the last example's 1 step/s was not the next one's).
        self.panel.speed.setCurrentIndex(self.panel.default_speed)
        self.state = RunState()  # empty first: readiness must not see the old run's weights
        self._announce()  # not ready until the data room loaded its data
        self.runReplaced.emit()

    def _replace_state(self, generation: int) -> None:
        self.state = RunState(generation=generation)
        self.runReplaced.emit()

    @property
    def snapshot(self) -> LiveSnapshot | None:
        return self.state.snapshot

    @property
    def running(self) -> bool:
        return self.state.running

    # --------------------------------------------------------------- ready?
    def prepared(self) -> Prepared:
        """The document's network compiled, with its data, for the structure,
        data and optimizer now (:meth:`Preparation.prepared`): the same value
        until one changes. A query: it changes nothing anyone sees (the
        controller's own handlers of those changes announce a new value,
        :meth:`_announce`)."""
        return self.preparation.prepared()

    def _preparing(self) -> None:
        """Training data is being prepared in the background: a run training now trains on once it is there."""
        self._resume_prepared = self._resume_prepared or self.running

    def _data_prepared(self, error: str | None) -> None:
        """The background's training data is in the prepared value (or ``error``
        says why there is none): say so; a run that waited for it takes it."""
        resume, self._resume_prepared = self._resume_prepared, False
        if error is not None:
            self._announce()
            return
        if self._announce() is None and self.worker is not None and self._behind:
            self.rebuild(keep_running=False)
            if resume and self.worker is not None:
                self.worker.play()

    def _announce(self) -> str | None:
        """After a change of structure, data, optimizer or document: say so
        (``preparedChanged``, ``readyChanged``) if the prepared value is new;
        return why it cannot train (None: it can)."""
        p = self.prepared()
        if p is not self._announced:
            self._announced = p
            self._stager.stage(p.data)
            if p.data is not None and self.worker is None and self._spare is None \
                    and data_bytes(p.data) >= MAP_BYTES:
                self._spare = SpareWorker()
            self.preparedChanged.emit(p)
            self.readyChanged.emit(p.reason)
        return p.reason

    def refresh_ready(self) -> str | None:
        """None when the network and the data fit together, else why not."""
        return self.prepared().reason

    # -------------------------------------------------------------- controls
    def _spec(self, keep_weights: bool) -> RunSpec | None:
        p = self.prepared()
        if p.reason:
            self.status.emit(f"Cannot train: {p.reason}", 8000)
            return None
        cfg = self.document.training
        if keep_weights:
            self.store_weights()  # the run goes on from the newest weights, with its data's input statistics
        weights = self.document.fitting_weights() if keep_weights else None
        return self._run_spec(p.data, cfg, weights)

    def _run_spec(self, data: TrainData, cfg: TrainConfig, keep: dict | None) -> RunSpec:
        """The run's spec (the worker only trains: the window draws the output view)."""
        self._run_data = self.data.version
        return RunSpec(self.document.graph.to_dict(), data, cfg, self.document.seed, keep)

    def start(self, keep_weights: bool = True) -> bool:
        """A new run from the document (a new RunState); False if it cannot train."""
        spec = self._spec(keep_weights)
        if spec is None:
            return False
        self._key = structure_key(self.document.graph)
        if self.worker is None or not self.worker.alive:
            if self.worker is not None:
                self.worker.close()
            self.worker = LiveProcess(spec, self._stager, self._spare)
            self._spare = None
            self.worker.on_send = self.commandSent.emit
            self.worker.set_speed(self.speed)
            self._replace_state(0)
        else:
            self.worker.reset(spec)
            self._replace_state(self.state.generation + 1)
        self._behind = False
        return True

    def toggle_play(self) -> None:
        if self.running:
            self.worker.pause()
            return
        snap, cfg = self.state.snapshot, self.document.training
        if snap is not None and snap.stop_reason == "max_epochs" and cfg is not None and cfg.max_epochs \
                and snap.epoch >= cfg.max_epochs:
            self.status.emit(f"Reached the maximum of {cfg.max_epochs:,} epochs: raise Max epochs in the "
                             "Training panel to go on, or Reset to start over", 0)
            return
        reason = self.refresh_ready()
        if reason:  # e.g. the perceptron chosen for hidden layers while a run was paused
            self.status.emit(f"Cannot train: {reason}", 8000)
            return
        if self.worker is None and not self.start():
            return
        self.status.emit("", 1)  # a note kept from the last run (the perceptron's on XOR) is over
        self.state.narrator.try_again()
        self.worker.play()

    def step(self, whole_epoch: bool = False) -> None:
        """One step (one batch), or to the end of the epoch."""
        if self.worker is None and not self.start():
            return
        self.state.narrator.try_again()
        if whole_epoch:
            self.worker.step_epoch()
        else:
            self.worker.step(1)

    def step_on(self, rows) -> None:
        """One plain gradient-descent step on dataset ``rows`` (0-based training
        rows) with the learning rate as typed: the lecture's update by hand."""
        if self.worker is None and not self.start():
            return
        self.state.narrator.try_again()
        self.worker.step_on(rows)

    def reset(self, new_seed: bool = False) -> None:
        """New weights from the same seed (the same run again), or from a new one."""
        if new_seed:  # an undoable edit: Undo gives the old seed back (for the next Reset)
            self.document.set_seed(int.from_bytes(os.urandom(4), "little") % 2 ** 31)
        self.document.weights = None
        if self.start(keep_weights=False):
            # "weight seed": not the Training panel's Data seed, which makes the data
            self.status.emit(f"Reset: new weights from weight seed {self.document.seed}", 8000)

    def set_speed(self, speed: float | None) -> None:
        self.speed = speed
        if self.worker is not None:
            self.worker.set_speed(speed)

    def config_changed(self, changes: dict) -> None:
        """Settings edited in the panel: one undoable document edit (the worker
        follows the document). A value TrainConfig refuses is not applied:
        the panel shows the document's again and the status bar says why."""
        reason = self.document.set_training(changes)
        if reason:
            self.status.emit(reason, 8000)
            self.panel.show_training(self.document.training)

    def _training_changed(self, old: TrainConfig) -> None:
        """The document's settings changed (an edit, an undo, a redo): the panel
        shows them and the worker takes them, unless it could not train with them."""
        cfg = self.document.training
        self.panel.show_training(cfg)
        new = cfg.to_dict()
        changes = {k: v for k, v in new.items() if old.to_dict()[k] != v}
        reason = self._announce()  # another optimizer may not train this network
        if reason:  # send the worker nothing it would refuse; it gets all once it can train
            if self.worker is not None:
                self.worker.pause()
                self._behind = True
            if cfg.optimizer != old.optimizer:
                self.status.emit(f"Cannot train with {cfg.optimizer}: {reason}", 8000)
        elif self.worker is not None:
            self.worker.update_config(**changes)
            if self._behind:  # an edit made while it could not train: the worker takes it now
                self.rebuild(keep_running=False)
        self.trainingChanged.emit()

    def _seed_changed(self) -> None:
        self.status.emit(f"Weight seed {self.document.seed}: Reset starts the weights from it", 8000)

    def graph_changed(self) -> None:
        """An edit of the graph: pause, change the loss, or rebuild, as it needs."""
        key = structure_key(self.document.graph)
        if key == self._key:
            return  # only positions moved
        old, self._key = self._key, key
        reason = self._announce()
        if self.worker is None:
            return
        if reason:
            was_running = self.running
            self.worker.pause()
            self._behind = True
            # "paused" only when it was training: a paused run was not stopped by this edit
            self.status.emit(f"Training paused: {reason}" if was_running else f"Cannot train: {reason}", 8000)
        elif only_loss_changed(old, key) and not self._behind:
            loss = self.document.graph.nodes_of_type("output")[0].params["loss"]
            self.worker.set_loss(loss)
            self.status.emit(f"Loss is now {loss}", 8000)
        else:
            self.rebuild(keep_running=False)

    def _data_changed(self) -> None:
        """Other data: a new run, which trains on if the old one was training."""
        if self.document is None:
            return
        ready = self._announce() is None
        if self.worker is None:
            return
        if ready:
            self.rebuild(keep_running=True)
        else:
            self.worker.pause()  # it must not train on the old data meanwhile
            self._behind = True

    def rebuild(self, keep_running: bool) -> None:
        """A structural edit: keep the weights of unchanged layers and go on.
        New data: a new run (a new RunState: its curves, counters and views
        start over), from the weights that still fit."""
        p = self.prepared()
        if p.reason:
            self.status.emit(f"Cannot train: {p.reason}", 8000)
            return
        if self.data.version != self._run_data:
            running = keep_running and self.running
            if self.start(keep_weights=True) and running:
                self.worker.play()
            self._behind = False
            return
        # keep=None: the worker keeps its own current weights (newer than our snapshot).
        cfg = self.document.training or TrainConfig()
        self.worker.replace(self._run_spec(p.data, cfg, None), resume=keep_running)
        self.worker.update_config(**cfg.to_dict())  # settings it missed while it could not train
        self._behind = False

    def on_current_data(self) -> bool:
        """True unless the run trains on data that is no longer chosen (the
        new data does not fit the network: the run waits on the old)."""
        return self.worker is None or self._run_data == self.data.version

    # ---------------------------------------------------------------- weights
    def current_weights(self) -> dict:
        """The newest weights (a new dict; nothing is changed), with the input
        statistics of the current data when the Input node standardizes, and
        the target statistics when the Output node does (the document's own
        while there is no data)."""
        snap, kept = self.state.snapshot, self.document.weights or {}
        if snap is None:
            weights = {k: v for k, v in kept.items() if "W" in v}
        else:
            weights = {nid: {"W": W, "b": b} for nid, (W, b) in snap.weights.items()}
            for nid, alpha in snap.slopes.items():
                weights[nid]["alpha"] = alpha
        stats = self.prepared().input_stats
        if weights:
            for node in self.document.graph.nodes_of_type("input"):
                if node.params.get("normalize") != "standardize":
                    continue
                if stats is not None:
                    weights[node.id] = {"mean": stats[0], "std": stats[1]}
                elif "mean" in kept.get(node.id, {}):
                    weights[node.id] = kept[node.id]
            targets = self.prepared().data
            targets = None if targets is None else targets.target_stats
            for node in self.document.graph.nodes_of_type("output"):  # a regression target's (y - mean) / std
                if node.params.get("normalize") == "standardize" and node.id in weights:
                    own = targets or tuple(kept.get(node.id, {}).get(k) for k in ("mean", "std"))
                    if own[0] is not None:
                        weights[node.id] = {**weights[node.id], "mean": own[0], "std": own[1]}
        return weights

    def store_weights(self) -> None:
        """The document takes the run's newest trained weights (with the
        input statistics of its data), and what they were trained on: called
        when the run comes to rest and before the document is written."""
        doc, snap = self.document, self.state.snapshot
        if doc is None:
            return
        if snap is None or snap.step == 0:
            if doc.weights:  # a trained file before any step: its inputs' statistics follow the data
                doc.weights = self.current_weights()
            return
        if snap is self._stored:
            return
        self._stored = snap
        doc.weights = self.current_weights()
        doc.labels = None if self.data.dataset is None else self.data.dataset.labels
        doc.columns = None if self.data.dataset is None else list(self.data.dataset.column_names)
        doc.metrics = {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                       for k, v in snap.last.items()}

    def edit_weight(self, node_id: str, row: int, col: int) -> None:
        if self.running:
            self.status.emit("Pause training to type in a weight", 8000)
            return
        weights = self.current_weights()
        if node_id not in weights or (row < 0 and weights[node_id].get("b") is None):
            self.status.emit("Train or step once to give the network weights first"
                             if node_id not in weights else "This layer has no bias", 8000)
            return
        value = self.ask_weight(node_id, row, col, weight_value(weights, node_id, row, col))
        if value is not None:
            self.type_weight(node_id, row, col, value)

    def type_weight(self, node_id: str, row: int, col: int, value: float) -> bool:
        """``W[row, col]`` (``row`` -1: ``b[col]``) of ``node_id`` typed by
        hand, as an undoable document step; refused while training."""
        if self.running:
            self.status.emit("Pause training to type in a weight", 8000)
            return False
        weights = self.current_weights()
        if node_id not in weights or (self.worker is None and not self.start()):
            return False
        self.document.set_weight(node_id, row, col, value, weights)  # undoable; the worker follows
        return True

    def _weight_edited(self, node_id: str, row: int, col: int, value: float) -> None:
        """A weight typed by hand, or its undo or redo: the worker's network takes it."""
        if self.worker is not None:
            self.worker.set_weight(node_id, None if row < 0 else row, col, value)
        self.weightTyped.emit()
        self.status.emit(f"{self.document.graph.label(node_id)}: {weight_name(row, col)} = {value:g}", 8000)

    # ------------------------------------------------------------- snapshots
    @property
    def settled(self) -> bool:
        """True when no snapshot is due: nothing runs, the newest snapshot
        taken reflects every command sent and its starting loss is there (the
        window may rest until the next command; the worker publishes row 0
        of a big run by itself once it is evaluated)."""
        w, snap = self.worker, self.state.snapshot
        return w is None or (snap is not None and not snap.running and snap.applied >= w.sent
                             and not snap.start_pending)

    def request(self, parts) -> None:
        """Ask the worker for the next snapshot with ``parts`` (what the next
        frame draws) unless none is due, or a paused run's answer is on its way."""
        w, snap = self.worker, self.state.snapshot
        if w is None or self.settled:
            return
        asked = self._asked[1] if self._asked[0] is w else 0
        if snap is not None and not snap.running and snap.applied < asked:
            return  # asked already; a paused run answers once, in full
        w.request_snapshot(parts)
        self._asked = (w, w.sent)

    def take_latest(self) -> LiveSnapshot | None:
        """The newest snapshot of this run not yet taken (None if none): its
        history rows join the run's curves; a run at rest stores its weights
        in the document (:meth:`store_weights`)."""
        if self.worker is None:
            return None
        if not self.worker.alive:
            self._worker_lost()
            return None
        snap = self.worker.latest()
        if snap is None or snap.generation < self.state.generation:
            return None  # nothing new, or the tail of a run that was replaced
        st = self.state
        was_running = st.running
        st.snapshot = snap
        for row in snap.rows:
            st.curves.append(**row)
        if snap.timeline is not None:
            st.timeline = snap.timeline
        if snap.moment is not None:
            st.moment = snap.moment
        self._report(snap)
        if was_running and not snap.running and self.preparation.latest is not None:
            self.readyChanged.emit(self.preparation.latest.reason)  # stopped: Train is off if it cannot train now
        doc = self.document
        if snap.step > 0:
            if not snap.running:
                self.store_weights()
            if not doc.modified and snap.rows:
                doc.mark_modified()
                self.documentModified.emit()
        return snap

    # --------------------------------------------------------------- timeline
    def fetch_moment(self, step: int) -> None:
        """Ask for the weights of the kept moment at ``step`` (they arrive in ``state.moment``)."""
        if self.worker is not None:
            self.worker.fetch_moment(step)

    def rewind(self, step: int) -> None:
        """Go back to the kept moment at ``step``: the worker restores it and
        the curves lose their rows after it (a new generation: nothing of the
        run past it is taken any more)."""
        if self.worker is None or self.running:
            return
        self.worker.rewind(step)
        st = self.state
        st.generation += 1
        st.curves.drop_after(step)
        if st.timeline is not None:
            st.timeline = st.timeline[st.timeline[:, 0] <= step]
        st.moment = None

    def _worker_lost(self) -> None:
        """The worker process ended without being asked (killed, out of memory):
        keep the network and the last weights drawn; Train starts a new worker."""
        code = self.worker.exit_code
        self.worker.close(timeout=1.0)
        self.worker = None
        snap = self.state.snapshot
        if snap is not None and snap.running:
            self.state.snapshot = dataclasses.replace(snap, running=False)
        self.store_weights()
        self.status.emit("The training process stopped unexpectedly"
                         + (f" (exit code {code})" if code is not None else "")
                         + ": the network and its last weights are kept; Train starts a new one", 0)
        latest = self.preparation.latest
        self.readyChanged.emit(latest.reason if latest else None)

    def _report(self, snap: LiveSnapshot) -> None:
        """Say once what happened: events, divergence, a stop rule, an error."""
        for said in self.state.narrator.read(snap, self.state.generation):
            if said.mark:
                nan = float("nan")
                self.diverged.emit(said.epoch, said.mark, nan if said.peak is None else said.peak,
                                   nan if said.restored is None else said.restored)
            self.status.emit(said.text, said.ms)
            if said.details:
                self.error.emit("Training stopped", said.details)

    def shutdown(self) -> None:
        """Stop the worker process (and wait for it); remove data staged for
        one; data being prepared is not wanted any more."""
        self.preparation.cancel()
        self._resume_prepared = False
        self._stager.close()
        if self._spare is not None:
            self._spare.close()
            self._spare = None
        if self.worker is not None:
            self.worker.close()
            self.worker = None
