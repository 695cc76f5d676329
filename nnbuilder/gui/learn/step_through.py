"""Step through: one training step taken apart. The learn controller's sample
goes forward and backward layer by layer on the diagram, a batch's gradients
are listed, then one real training step is sent to the worker and the weights
it changed most are listed in the Learn panel.

It follows the sample and weight the learn controller (:mod:`.learn`) chose and
draws with it; the numbers are the controller's, the update is the worker's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np
from PySide6.QtCore import QObject, QTimer

from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.model.nodetypes import NODE_SPECS

from ..data.data_controller import DataController
from ..diagram.sample_values import value_text
from ..run.run_controller import RunController
from .learn_panel import ROWS_LISTED, LearnPanel, rows_text

STAGE_MS = 450  # one layer of the Step-through animation
TOP_CHANGES = 8  # weights listed after an update


@dataclass
class Stepping:
    """A Step-through in progress: the stages left and what the update needs."""

    stages: list = field(default_factory=list)  # (phase, node ids shown)
    rows: np.ndarray | None = None  # the dataset rows the update learns from (None: not known)
    by_hand: bool = False  # one sample, plain gradient descent, the learning rate as typed
    before: dict | None = None  # the weights before the update
    step_before: int = 0  # the run's step count before it (a worker not started yet: 0)
    waiting: bool = False  # the update was asked for; its snapshot has not come


class StepThrough(QObject):
    """Takes ``learn``'s sample through one training step of ``run``, shown in ``panel``."""

    def __init__(self, learn, run: RunController, data: DataController, panel: LearnPanel, parent=None):
        """``learn``: the :class:`~.learn.LearnController` whose sample and weight it
        follows; the controller computes their numbers and draws them."""
        super().__init__(parent)
        self.learn, self.run, self.data, self.panel = learn, run, data, panel
        self.stepping: Stepping | None = None
        self.holding: int | None = None  # the step whose update list the panel shows
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.advance)
        panel.stepThrough.connect(self.start)
        panel.nextPhase.connect(self.advance)

    def start(self) -> None:
        """One training step, taken apart: forward, backward, update. The
        sample followed is one the step learns from: SGD's next batch (its
        first row; with several rows a stage lists each one's gradient), or
        with "one sample" the chosen row, by plain gradient descent."""
        learn = self.learn
        if self.run.running:
            self.run.toggle_play()  # pause first: the step is of one moment
        by_hand = self.panel.one_sample.isChecked()
        snap = self.run.snapshot
        rows = None
        if by_hand:
            if learn.row is None:
                learn.select_row(0)
            if learn.row is not None and learn.row not in self._training_rows():
                self.panel.show_hint(f"Row {learn.row + 1} is a test row: a step learns from training "
                                     "rows only. Pick a training row (dark-edged on the Output view).")
                return
            rows = None if learn.row is None else np.array([learn.row])
        elif snap is not None and snap.next_rows is not None:
            rows = snap.next_rows
            if learn.row not in set(rows.tolist()):
                learn.select_row(int(rows[0]))  # follow a sample this step really draws
        elif learn.row is None:
            learn.select_row(0)
        ex = learn.explain()
        if ex is None:
            return
        order, _ = self.run.document.graph.topological_order()
        order = [nid for nid in order if nid in ex["nodes"]]
        stages = [("forward", set(order[:k + 1])) for k in range(len(order))]
        stages += [("backward", set(order[len(order) - k - 1:])) for k in range(len(order))]
        if rows is not None and len(rows) > 1:
            stages.append(("batch", None))
        stages.append(("update", None))
        self.stepping = Stepping(stages=stages, rows=rows, by_hand=by_hand)
        learn.ring(rows)
        self.advance()

    def _training_rows(self) -> set:
        tr, _ = self.data.split_indices()
        return set(tr.tolist())

    def stop(self) -> None:
        """No Step-through any more: its stages dropped, an update asked for not waited for."""
        self._timer.stop()
        self.stepping = None
        self.panel.set_stepping(False)

    # ------------------------------------------------------------ stages
    def advance(self) -> None:
        """The next stage (the timer's, or the panel's Next)."""
        s = self.stepping
        if s is None or s.waiting:
            return
        self._timer.stop()
        if not s.stages:
            self._finish()
            return
        phase, shown = s.stages.pop(0)
        graph = self.run.document.graph
        if phase == "batch":
            self.panel.set_stepping(True, "The batch: each sample's gradient, and their mean")
            self.panel.show_html(self._batch_stage_html(s.rows))
            if not self.panel.by_hand.isChecked():
                self._timer.start(STAGE_MS * 4)
            return
        if phase == "update":
            s.before = {k: {kk: None if vv is None else np.array(vv) for kk, vv in v.items()}
                        for k, v in self.run.current_weights().items()}
            snap = self.run.snapshot
            s.step_before = 0 if snap is None else snap.step
            s.waiting = True
            if s.by_hand:
                self.panel.set_stepping(True, f"Update: w ← w − lr·∂L/∂w on row {int(s.rows[0]) + 1} alone…")
                self.run.step_on(s.rows)
            else:
                self.panel.set_stepping(True, "Update: one training step (a whole batch)…")
                self.run.step()
            return
        newest = max(shown, key=lambda nid: self._position(nid, phase))
        label = graph.label(newest)
        weighted = NODE_SPECS[graph.nodes[newest].type].weighted
        if phase == "forward":
            text = (f"Forward: {label} computes a = W x + b and f(a) from its inputs" if weighted else
                    f"Forward: {label} passes on its values" if graph.nodes[newest].type == "input" else
                    f"Forward: {label} computes its output from its inputs")
        else:
            text = (f"Backward: {label} gets its ∂L/∂a from the layer after it" if weighted else
                    f"Backward: {label} gets its ∂L/∂f from the layer after it")
        self.panel.set_stepping(True, text)
        self.learn.show_values(self.learn.explanation, shown, "a" if phase == "forward" else "delta")
        if not self.panel.by_hand.isChecked():
            self._timer.start(STAGE_MS)

    def _position(self, nid: str, phase: str) -> int:
        order, _ = self.run.document.graph.topological_order()
        i = order.index(nid)
        return i if phase == "forward" else -i

    def _batch_stage_html(self, rows) -> str:
        got = self.learn.batch_gradients(rows)
        if got is None:
            return (f"<p>This step learns from {rows_text(rows)}: its gradient is the mean of "
                    "theirs. Click a weight line to see each sample's gradient of that weight.</p>")
        each, grad = got
        w = self.learn.weight
        where = f"b[{w.col + 1}]" if w.row is None else f"W[{w.row + 1}, {w.col + 1}]"
        name = escape(self.run.document.graph.label(w.node))
        lines = [f"<p><b>The batch</b>: {len(rows)} samples. The step follows the mean of their "
                 f"gradients of {name} {where}:</p>",
                 "<table cellspacing='0' cellpadding='2'><tr><th align='left'>row</th>"
                 "<th align='right'>∂L/∂w</th></tr>"]
        for r, g in list(zip(rows, each))[:ROWS_LISTED]:
            lines.append(f"<tr><td>{int(r) + 1}</td><td align='right'>{value_text(float(g))}</td></tr>")
        lines.append("</table>")
        mean = float(np.mean(each))
        cfg = self.run.document.training or TrainConfig()
        penalty = "" if not (cfg.l1 or cfg.l2) else f" + the penalty ({value_text(grad - mean)})"
        lines.append(f"<p>mean = <b>{value_text(mean)}</b>{penalty} = the step's ∂L/∂w = "
                     f"<b>{value_text(grad)}</b></p>")
        return "".join(lines)

    def _finish(self) -> None:
        self.stepping = None
        self.panel.set_stepping(False)
        self.learn.refresh()

    # ------------------------------------------------------------ the update
    def snapshot_drawn(self, snap) -> bool:
        """A drawn snapshot: the update's result when a Step-through waits for
        it. True when the Step-through keeps the panel (its stages, or the
        update's list of this same paused moment); False: the controller's."""
        s = self.stepping
        if s is not None and s.waiting and snap.step > s.step_before:
            s.waiting = False
            self._show_update(s.before, snap)
            self.stepping = None
            self.panel.set_stepping(False, self.panel.phase.text())
            self.learn.refresh_values_only()
            self.learn.ring(snap.last_rows)
            self.holding = snap.step  # the list of changes stays until the user moves on
            return True
        return s is not None or (self.holding is not None and snap.step == self.holding and not snap.running)

    def release(self) -> None:
        """Back from an update's list to the chosen sample's numbers."""
        if self.holding is not None:
            self.holding = None
            self.panel.phase.setText("")

    def _show_update(self, before: dict, snap) -> None:
        graph = self.run.document.graph
        rows = []
        for nid, (W, b) in snap.weights.items():
            old = before.get(nid)
            if old is None:
                continue
            for key, new in (("W", W), ("b", b), ("alpha", snap.slopes.get(nid))):
                if new is None or old.get(key) is None:
                    continue
                d = np.asarray(new) - np.asarray(old[key])
                for idx in np.ndindex(d.shape):
                    rows.append((abs(float(d[idx])), nid, key, idx, float(old[key][idx]), float(new[idx])))
        rows.sort(key=lambda r: -r[0])
        chosen = []
        weight = self.learn.weight
        if weight is not None:
            nid, r, c = weight.node, weight.row, weight.col
            key, idx = ("b", (c,)) if r is None else ("W", (r, c))
            # the chosen weight, and its unit's prelu slope if it learns one
            chosen = [x for x in rows if x[1] == nid and ((x[2] == key and x[3] == idx) or
                                                          (x[2] == "alpha" and x[3] == (c,)))]
        s = self.stepping
        how = (f"w ← w − lr·∂L/∂w on row {int(s.rows[0]) + 1} alone, the learning rate as typed"
               if s is not None and s.by_hand else
               "each weight moved by −lr × its batch gradient (as the optimizer scales it)")
        drew = "" if s is None or s.rows is None else f" It learnt from {rows_text(s.rows)}."
        lines = [f"<p><b>Update</b> (step {snap.step:,}): {how}.{drew} The largest changes:</p>",
                 "<table cellspacing='0' cellpadding='2'><tr><th align='left'>weight</th>"
                 "<th align='right'>old</th><th align='right'>new</th></tr>"]
        for _, nid, key, idx, old, new in chosen + [r for r in rows[:TOP_CHANGES] if r not in chosen]:
            where = f"W[{idx[0] + 1}, {idx[1] + 1}]" if key == "W" else \
                f"{'α' if key == 'alpha' else 'b'}[{idx[0] + 1}]"
            lines.append(f"<tr><td>{escape(graph.label(nid))} {where}</td>"
                         f"<td align='right'>{value_text(old)}</td><td align='right'>"
                         f"<b>{value_text(new)}</b></td></tr>")
        lines.append("</table>")
        self.panel.show_html("".join(lines))
        self.panel.phase.setText(f"Update done: step {snap.step:,}. Step through again for the next.")
