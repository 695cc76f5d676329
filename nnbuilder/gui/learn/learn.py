"""The learn controller: one sample through the network, the chain rule of one
weight, and the rows SGD's batch draws.

It reads the run (its current weights, its prepared network and data) and the data
controller's rows, and writes only views: the diagram's per-neuron numbers,
the ring on the output view, the Learn panel. The numbers come from
:mod:`nnbuilder.core.teaching.explain`, the same code as ``nnbuilder explain``.
A training step taken apart (forward, backward, update) is its
:class:`~.step_through.StepThrough`'s.
"""
from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import QObject, Signal

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.functions.features import feature_label
from nnbuilder.core.engine.optimizers import OPTIMIZERS
from nnbuilder.core.engine.config import TrainConfig
from nnbuilder.core.engine.traindata import encode_targets
from nnbuilder.core.teaching.explain import explain_sample, sample_gradients, sample_of, step_preview
from nnbuilder.core.teaching.weightref import WeightRef
from nnbuilder.core.run.protocol import release

from ..data.data_controller import DataController
from .learn_panel import LearnPanel, rows_text, vector_text
from .step_through import StepThrough, Stepping
from ..widgets.plots import BoundaryPlot
from ..run.run_controller import RunController
from ..diagram.sample_values import value_text
from ..diagram.scene import NetworkScene


class LearnController(QObject):
    """Follows the chosen sample and weight through ``run``'s current weights."""

    weightChosen = Signal(str, int, int)  # node id, row, column (0-based; row -1: the bias)
    sampleChosen = Signal(int)  # a sample was picked (0-based row; -1: none), whichever way
    explained = Signal()  # :attr:`explanation` was computed again (or dropped)

    def __init__(self, run: RunController, data: DataController, panel: LearnPanel,
                 scene: NetworkScene, boundary: BoundaryPlot, parent=None):
        super().__init__(parent)
        self.run, self.data, self.panel = run, data, panel
        self.scene, self.boundary = scene, boundary
        self.row: int | None = None
        self.weight: WeightRef | None = None
        self.kind = "a"
        self.explanation: dict | None = None
        self.looking_back: int | None = None  # the timeline shows this step's weights, not the run's
        self.step_through = StepThrough(self, run, data, panel, self)
        panel.rowChosen.connect(lambda r: self.select_row(None if r < 0 else r))
        panel.kindChosen.connect(self.set_kind)
        boundary.sampleClicked.connect(self.select_row)
        scene.weightClicked.connect(self.select_weight)
        run.runReplaced.connect(self._run_replaced)
        run.weightTyped.connect(self.step_through.release)  # the update's list is of weights no longer there
        run.readyChanged.connect(lambda _: self.refresh())
        data.dataChanged.connect(self._data_changed)

    @property
    def stepping(self) -> Stepping | None:
        """The Step-through in progress (None: none)."""
        return self.step_through.stepping

    # ------------------------------------------------------------ choices
    def set_looking_back(self, step: int | None) -> None:
        """The timeline shows an earlier moment (its step), or the run again (None):
        the numbers are the run's own, so they step aside meanwhile."""
        if step == self.looking_back:
            return
        self.looking_back = step
        self.refresh()

    def _run_replaced(self) -> None:
        """Reset, a rewind, another document: no Step-through or update list of the old run."""
        self.step_through.stop()
        self.step_through.release()
        self.refresh()

    def forget(self) -> None:
        """Another document: no sample, no weight, no Step-through."""
        self.step_through.stop()
        self.step_through.release()
        self.row, self.weight, self.explanation = None, None, None
        self.explained.emit()
        self.panel.set_row(-1)
        self.panel.show_hint()
        self.scene.show_sample(None)
        self.scene.mark_weight(None)
        self.boundary.mark_sample(None)

    def select_row(self, row: int | None) -> None:
        self.step_through.release()
        ds = self.data.dataset
        if row is not None and (ds is None or not 0 <= row < len(ds)):
            row = None
        self.row = row
        self.panel.set_row(-1 if row is None else row)
        self.sampleChosen.emit(-1 if row is None else row)
        self.refresh()

    def select_weight(self, node_id: str, row: int, col: int) -> None:
        """W[row, col] of ``node_id`` (0-based; ``row`` -1 is the bias b[col])."""
        self.step_through.release()
        self.weight = WeightRef(node_id, None if row < 0 else row, col)
        if self.row is None and self.data.dataset is not None and len(self.data.dataset):
            self.row = 0  # a weight's gradient needs a sample: the first row until one is clicked
            self.panel.set_row(0)
        self.weightChosen.emit(node_id, row, col)
        self.refresh()

    def set_kind(self, kind: str) -> None:
        self.step_through.release()
        self.kind = kind
        self.panel.set_kind(kind)
        self.refresh()

    def _data_changed(self) -> None:
        ds = self.data.dataset
        self.panel.set_rows(0 if ds is None else len(ds))
        if self.row is not None and (ds is None or self.row >= len(ds)):
            self.row = None
            self.panel.set_row(-1)
        self.refresh()

    # ------------------------------------------------------------ numbers
    def compute(self) -> dict | None:
        """The explanation of the chosen sample (and weight) with the current
        weights, as ``nnbuilder explain --json`` gives it; None with a reason
        shown when there is nothing to explain."""
        if self.run.document is None or self.row is None:
            self.panel.show_hint()
            return None
        if self.weight is not None and self.weight.node not in self.run.document.graph.nodes:
            self.weight = None  # its layer was deleted
        if self.run.running:
            self.panel.show_hint("Pause training to follow a sample: the numbers are of one moment.")
            return None
        if self.looking_back is not None:
            self.panel.show_hint(f"The timeline shows step {self.looking_back:,}; these numbers are of "
                                 "the run as it is now. Move the timeline to its end (or Continue from "
                                 "here) to follow the sample again.")
            return None
        prepared = self.run.prepared()
        if prepared.reason:
            self.panel.show_hint(f"The network cannot run yet: {prepared.reason}")
            return None
        try:
            net = prepared.network_with(self.run.current_weights())
            if net is None:
                self.panel.show_hint("Train or Step once: the network has no weights yet.")
                return None
            x_raw, target = sample_of(self.data.dataset, net, self.row)
            weight = self.weight if self.weight is not None and self.weight.node in net.params else None
            ex = explain_sample(net, x_raw, target, weight=weight, row=self.row + 1).to_dict()
            if weight is not None and weight.node in net.slopes:  # prelu: the unit's slope learns too
                slope = WeightRef(weight.node, None, weight.col, slope=True)
                ex["slope"] = explain_sample(net, x_raw, target, weight=slope).to_dict()["weight"]
            return ex
        except NNBuilderError as e:
            self.panel.show_hint(f"Cannot explain this sample: {e}")
            return None

    def refresh(self) -> None:
        """Recompute and show the chosen sample's numbers (paused only)."""
        if self.stepping is not None:
            return  # the Step-through shows its own stages
        self.step_through.release()
        self.explanation = self.compute()
        self.explained.emit()
        ex = self.explanation
        ds = self.data.dataset
        self.boundary.mark_sample(None if self.row is None or ds is None else ds.X[self.row],
                                  None if self.row is None or ds is None else ds.y[self.row])
        self.ring(self._batch_rows()[0])
        self.scene.set_sample_numbers(
            None if ex is None else ex["row"],
            None if ex is None else {nid: (n["z"], n["a"]) for nid, n in ex["nodes"].items()})
        if ex is None:
            self.scene.show_sample(None)
            self.scene.mark_weight(None)
            return
        self.show_values(ex, set(ex["nodes"]), self.kind)
        self.panel.show_html(self._batch_html() + self.html(ex))  # the batch first: the next step's rows

    def explain(self) -> dict | None:
        """:meth:`compute` and, when there is something to explain, make it
        :attr:`explanation` (``explained``); None leaves the last one."""
        ex = self.compute()
        if ex is not None:
            self.explanation = ex
            self.explained.emit()
        return ex

    def refresh_values_only(self) -> None:
        """The chosen sample's numbers again on the diagram (the panel's text stays)."""
        ex = self.explain()
        if ex is not None:
            self.show_values(ex, set(ex["nodes"]), self.kind)

    def show_values(self, ex: dict, shown: set, kind: str) -> None:
        """The diagram shows ``kind`` ("a" or "delta") of ``ex``'s nodes in ``shown``, and the chosen weight."""
        key = "a" if kind == "a" else "delta"
        values = {nid: np.asarray(n[key]) for nid, n in ex["nodes"].items()
                  if nid in shown and n.get(key) is not None}
        hl = None if self.weight is None else (self.weight.node, self.weight.col)
        self.scene.show_sample(values, kind, hl)
        w = self.weight
        self.scene.mark_weight(None if w is None or w.row is None else w.node,
                               None if w is None else w.row, None if w is None else w.col)

    # --------------------------------------------------------------- text
    def html(self, ex: dict) -> str:
        graph = self.run.document.graph
        tr, _ = self.data.split_indices()
        part = "training" if self.row in set(tr.tolist()) else "test"
        # The window numbers samples 1..n (the Row box); a table from a file has
        # its own numbers (messages, `explain --row`): said where they differ.
        line = self.data.dataset.row_number(self.row)
        in_file = f", the file's row {line}" if line != ex["row"] else ""
        target = vector_text(ex["target"])
        if "prediction" in ex:  # the Output node standardizes its targets: the data's units first
            target = (f"{vector_text(ex['data_target'])}, prediction = {vector_text(ex['prediction'])} "
                      f"(standardized as the network computes: target {target}, L = "
                      f"{value_text(ex['standardized_loss'])}, the loss the gradients below are of)")
        out = [f"<p><b>Row {ex['row']}</b> ({part} sample{in_file}): {self._inputs_text(ex['x'])}, "
               f"target = {target}, loss of this sample L = "
               f"<b>{value_text(ex['loss'])}</b></p>"]
        w = ex.get("weight")
        if w:
            out.append(self._weight_html(ex, w))
        out.append("<table cellspacing='0' cellpadding='2'><tr><th align='left'>node</th>"
                   "<th align='left'>a</th><th align='left'>f(a)</th><th align='left'>∂L/∂a</th></tr>")
        order, _ = graph.topological_order()
        for nid in order:
            n = ex["nodes"].get(nid)
            if n is None:
                continue
            z = "–" if n.get("z") is None else vector_text(n["z"], 4)
            out.append(f"<tr><td>{escape(n['name'])}</td><td>{z}</td>"
                       f"<td>{vector_text(n['a'], 4)}</td><td>{vector_text(n['delta'], 4)}</td></tr>")
        out.append("</table>")
        return "".join(out)

    def _columns(self) -> list[str]:
        return self.data.dataset.column_names if self.data.dataset is not None else []

    def _inputs_text(self, x, limit: int = 6) -> str:
        """The row's raw inputs by column name: "age = 41, income = 3.2, …"."""
        shown = [f"{escape(str(c))} = {value_text(float(v))}" for c, v in zip(self._columns(), list(x)[:limit])]
        return ", ".join(shown) + (", …" if len(x) > limit else "") if shown else f"x = {vector_text(x)}"

    def _weight_html(self, ex: dict, w: dict) -> str:
        graph = self.run.document.graph
        name = escape(graph.label(w["node"]))
        where = f"b[{w['col']}]" if w["row"] == "b" else f"W[{w['row']}, {w['col']}]"
        source = graph.nodes[graph.inputs_of(w["node"])[0]].params.get("features")
        if source and w["row"] != "b":  # a weight from the inputs: which column it reads
            where += f" (from {escape(feature_label(source[w['row'] - 1], self._columns()))})"
        cfg = self.run.document.training or TrainConfig()
        factors = "".join(f"<tr><td>{escape(f['name'])}</td><td align='right'>{value_text(f['value'])}"
                          f"</td></tr>" for f in w["factors"])
        lines = [f"<p><b>{name} {where}</b> = {value_text(w['value'])}</p>",
                 "<p>∂L/∂w by the chain rule, factor by factor:</p>",
                 f"<table cellspacing='0' cellpadding='2'>{factors}</table>",
                 f"<p><code>{escape(w['text'])}</code></p>",
                 *([f"<p><i>{escape(w['note'])}</i></p>"] if w.get("note") else []),
                 f"<p>∂L/∂w = <b>{value_text(w['gradient'])}</b></p>"]
        if OPTIMIZERS[cfg.optimizer].from_errors:
            lines.append(self._rule_html(ex, w, cfg.lr))
            return "".join(lines)
        lr = cfg.lr
        lines.append(f"<p>The next step, learning rate {lr:g}: w − lr·∂L/∂w = "
                     f"{value_text(w['value'])} − {lr:g} × {value_text(w['gradient'])} = "
                     f"<b>{value_text(w['value'] - lr * w['gradient'])}</b> for this sample alone")
        lines.append(self._next_step_text(cfg))
        lines.append(".</p>")
        if ex.get("slope"):
            lines.append(self._slope_html(ex["slope"], name, lr))
        return "".join(lines)

    @staticmethod
    def _slope_html(s: dict, name: str, lr: float) -> str:
        """The chain rule of the unit's learned prelu slope: θ = {f, w, b}, f has a parameter too."""
        factors = "".join(f"<tr><td>{escape(f['name'])}</td><td align='right'>{value_text(f['value'])}"
                          f"</td></tr>" for f in s["factors"])
        return "".join([
            f"<p><b>{name} α[{s['col']}]</b> = {value_text(s['value'])}: this unit's prelu slope, "
            "f(a) = a if a &gt; 0 else α·a, a parameter learned like w and b.</p>",
            f"<table cellspacing='0' cellpadding='2'>{factors}</table>",
            f"<p><code>{escape(s['text'])}</code></p>",
            f"<p>∂L/∂α = <b>{value_text(s['gradient'])}</b>; the next step, learning rate {lr:g}: "
            f"α − lr·∂L/∂α = <b>{value_text(s['value'] - lr * s['gradient'])}</b> for this sample "
            "alone.</p>"])

    def _rule_html(self, ex: dict, w: dict, lr: float) -> str:
        """The perceptron rule's change of w for this sample: it learns from the
        error, not from this gradient (a step unit's slope is 0)."""
        graph = self.run.document.graph
        col = w["col"] - 1
        err = ex["target"][col] - ex["nodes"][w["node"]]["a"][col]
        if w["row"] == "b":
            x, x_text = 1.0, "1"
        else:
            source = graph.inputs_of(w["node"])[0]
            x = ex["nodes"][source]["a"][w["row"] - 1]
            x_text = f"x = {value_text(x)}"
        return (f"<p>The perceptron rule does not follow this gradient (a step unit's slope is 0): "
                f"it adds lr × (y − ŷ) × x = {lr:g} × ({value_text(ex['target'][col])} − "
                f"{value_text(ex['nodes'][w['node']]['a'][col])}) × {value_text(x)} = "
                f"<b>{value_text(lr * err * x)}</b>, so w becomes "
                f"<b>{value_text(w['value'] + lr * err * x)}</b> if this sample comes next "
                f"({x_text}).</p>")

    def _next_step_text(self, cfg) -> str:
        """The real next step of the chosen weight, in the sentence's words: over
        the rows it draws (all training rows, or the trainer's next batch named),
        and what it makes of w: plain SGD's update is the step itself; another
        optimizer's state is the worker's, so its sentence says it shows plain SGD."""
        batch = self._batch_preview(cfg)
        if batch is None:
            return ""
        n, rows, p = batch
        reg = " (with the regularization)" if cfg.l1 or cfg.l2 else ""
        if rows is None and n > cfg.batch_size:  # no run yet: its batches are not drawn
            return (f"; over all {n} training rows{reg} ∂L/∂w = {value_text(p.gradient)}, which the next "
                    f"step's batch of {cfg.batch_size} (rows not drawn yet) only estimates")
        over = f"all {n} training rows" if rows is None else \
            f"{rows_text(rows)} (the next batch of {len(rows)})"
        plain = cfg.optimizer == "sgd" and not cfg.momentum
        if plain:
            return f"; over {over}{reg} ∂L/∂w = {value_text(p.gradient)}, so w becomes <b>{value_text(p.next_value)}</b>"
        return (f"; over {over}{reg} ∂L/∂w = {value_text(p.gradient)}, so plain SGD (w − lr·∂L/∂w) would make "
                f"w {value_text(p.next_value)}; the run's {escape(cfg.optimizer)}"
                f"{f' (momentum {cfg.momentum:g})' if cfg.momentum else ''} scales the step its own way, "
                "with what earlier steps left in its state, so its real step differs")

    def _batch_preview(self, cfg):
        """(training rows, the next step's dataset rows or None for all of
        them, StepPreview) of the next step: on the batch the trainer draws next
        when it is smaller than the data, else on every training row."""
        prepared = self.run.prepared()
        snap = self.run.snapshot
        try:
            net, data = prepared.network_with(self.run.current_weights()), prepared.data
            if net is None or data is None or not len(data.X_train):
                return None
            n, X, Y, rows = len(data.X_train), data.X_train, data.Y_train, None
            if snap is not None and snap.next_rows is not None and data.rows_train is not None:
                at = {int(r): i for i, r in enumerate(data.rows_train)}
                if all(int(r) in at for r in snap.next_rows):
                    rows = np.asarray(snap.next_rows)
                    take = [at[int(r)] for r in rows]
                    X, Y = X[take], Y[take]
            preview = step_preview(net, X, Y, self.weight, cfg.lr, cfg.l1, cfg.l2)
            release(data.X_train)  # the window keeps its table, not the worker's features too
            return n, rows, preview
        except NNBuilderError:
            return None

    # ----------------------------------------------------------- SGD's batch
    def _batch_rows(self) -> tuple[np.ndarray | None, str]:
        """(dataset rows, what they are) of SGD's batch to show: while a
        Step-through waits for its update, the rows it learns from; paused
        after a step, the rows that step drew; else None."""
        s, snap = self.stepping, self.run.snapshot
        if s is not None:
            return s.rows, "this step learns from"
        if snap is None or snap.running or self.looking_back is not None:
            return None, ""
        return snap.last_rows, "the last step drew"

    def ring(self, rows) -> None:
        """Ring dataset ``rows`` on the Output view (None: none)."""
        ds = self.data.dataset
        if rows is None or ds is None or len(rows) == 0 or int(np.max(rows)) >= len(ds):
            self.boundary.mark_batch(None)
        else:
            self.boundary.mark_batch(ds.X[rows], ds.y[rows])

    def _batch_html(self) -> str:
        rows, what = self._batch_rows()
        snap = self.run.snapshot
        parts = []
        if rows is not None:
            parts.append(f"{what.capitalize()} {rows_text(rows)} (ringed in violet on the Output view)")
        if snap is not None and not snap.running and snap.next_rows is not None and self.stepping is None:
            parts.append(f"the next step draws {rows_text(snap.next_rows)}")
        return f"<p><i>SGD: {'; '.join(parts)}.</i></p>" if parts else ""

    def batch_gradients(self, rows) -> tuple[np.ndarray, float] | None:
        """(each row's dL/dw of the chosen weight, the batch's gradient with the
        penalty) for dataset ``rows``, with the current weights; None without a weight."""
        if self.weight is None:
            return None
        prepared = self.run.prepared()
        net = prepared.network_with(self.run.current_weights())
        if net is None or self.weight.node not in net.params:
            return None
        one = self.data.dataset.subset(np.asarray(rows))
        X, (Y, _) = net.prepare(one.X), encode_targets(one, net)
        cfg = self.run.document.training or TrainConfig()
        p = step_preview(net, X, Y, self.weight, cfg.lr, cfg.l1, cfg.l2)
        return sample_gradients(net, X, Y, self.weight), p.gradient

    # ------------------------------------------------------------ snapshots
    def snapshot_drawn(self, snap) -> None:
        """A drawn snapshot: the Step-through's update when it waits for one;
        else, paused, the newest weights' numbers (running: hidden once)."""
        if self.step_through.snapshot_drawn(snap):
            return
        if not snap.running or self.explanation is not None:
            self.step_through.release()
            self.refresh()
