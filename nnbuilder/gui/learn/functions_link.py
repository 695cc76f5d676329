"""Feeds the Functions view: the layer selected on the diagram (its activation
and parameter a), the Output node's loss, and the sample the learn
controller explains (its pre-activations and its error or margin), all
computed by :mod:`nnbuilder.core.teaching.curves`. The slider's α goes to the
document as an undoable edit of the layer's ``alpha``; the view follows the
document, so the inspector's field and the slider show the same value.
"""
from __future__ import annotations

from html import escape
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.functions.activations import ACTIVATIONS, DEFAULT_ALPHA
from nnbuilder.core.functions.losses import LOSSES
from nnbuilder.core.teaching.curves import ZERO_ONE, activation_curve, activation_points, loss_plot, span

from ..diagram.document import Document
from ..diagram.inspector import alpha_label
from ..diagram.sample_values import value_text
from .functions_view import FunctionsView
from .learn import LearnController

NO_SAMPLE = ("Pick a sample (click a data point on the Output view, or choose a row in the Learn "
             "panel) to mark its a on the curves.")


class FunctionsLink(QObject):
    """Keeps ``view`` showing the selected layer's activation and the loss,
    with ``learn``'s sample marked."""

    def __init__(self, learn: LearnController, view: FunctionsView, weights: Callable[[], dict], parent=None):
        """``weights()``: the run's newest weights, ``{node id: {"W", "b"[, "alpha"]}}``
        (``alpha``: the slopes a layer learns, one per unit)."""
        super().__init__(parent)
        self.learn, self.view, self.weights = learn, view, weights
        self.document: Document | None = None
        self.node_id: str | None = None  # the layer chosen last (None: the first with an activation)
        self._loss_shown = None  # what the loss plot was drawn from (drawn again only when it changes)
        self.unit = 0  # the unit whose curve a softmax layer draws (0-based)
        view.alphaChanged.connect(self.set_alpha)
        view.alphaPreviewed.connect(self.preview_alpha)
        view.unitChosen.connect(self.set_unit)
        learn.explained.connect(self.refresh)

    def set_document(self, document: Document) -> None:
        if self.document is not None:
            self.document.graphChanged.disconnect(self.refresh)
        self.document = document
        self.node_id = None
        document.graphChanged.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------ choices
    def _has_activation(self, node_id: str) -> bool:
        node = self.document.graph.nodes.get(node_id)
        return node is not None and node.params.get("activation") in ACTIVATIONS

    def show_selection(self, node_ids: list) -> None:
        """The diagram's selection: one layer with an activation among
        ``node_ids`` is shown (other selections keep the layer shown)."""
        if self.document is None:
            return
        ids = [n for n in node_ids if self._has_activation(n)]
        if len(ids) == 1 and ids[0] != self.node_id:
            self.node_id, self.unit = ids[0], 0
            self.refresh()

    def layer(self) -> str | None:
        """The layer shown: the one chosen, else the first with an activation."""
        if self.document is None:
            return None
        if self.node_id is not None and self._has_activation(self.node_id):
            return self.node_id
        order, _ = self.document.graph.topological_order()
        return next((n for n in order if self._has_activation(n)), None)

    def set_alpha(self, value: float) -> None:
        """The slider's α for the shown layer: one undoable edit."""
        nid = self.layer()
        if nid is None:
            return
        reason = self.document.set_params(nid, alpha=value)
        if reason:
            self.refresh()  # the slider back at the layer's a
            self.view.show_note(f"α = {value:g} refused: {reason}")

    def set_unit(self, unit: int) -> None:
        """Draw unit ``unit`` (0-based) of a softmax layer."""
        self.unit = unit
        if self.document is not None:
            self._show_activation(self.learn.explanation)

    def preview_alpha(self, value: float) -> None:
        """The slider on its way: the curve with α = ``value``, the layer unchanged yet."""
        if self.document is not None:
            self._show_activation(self.learn.explanation, value)

    # ------------------------------------------------------------ drawing
    def refresh(self) -> None:
        if self.document is None:
            return
        ex = self.learn.explanation
        try:
            self._show_activation(ex)
            self._show_loss(ex)
        except NNBuilderError as e:  # a table without the name (a file from a newer version)
            self.view.show_note(str(e))
            return
        self.view.show_note("" if ex is not None else NO_SAMPLE)

    def _pre_activations(self, ex: dict | None, nid: str):
        """The sample's a of ``nid``: its own (a weighted layer), or what its
        input gave (an Activation node)."""
        if ex is None or nid not in ex["nodes"]:
            return None
        z = ex["nodes"][nid]["z"]
        if z is not None:
            return np.asarray(z, dtype=np.float64)
        sources = self.document.graph.inputs_of(nid)
        if len(sources) == 1 and sources[0] in ex["nodes"]:
            return np.asarray(ex["nodes"][sources[0]]["a"], dtype=np.float64)
        return None

    def _show_activation(self, ex: dict | None, alpha: float | None = None) -> None:
        """The shown layer's curve, with its own α (or ``alpha``, the slider's on the way)."""
        nid = self.layer()
        if nid is None:
            self.view.show_activation("No layer with an activation in the diagram.")
            self.view.show_alpha(None)
            return
        graph = self.document.graph
        node = graph.nodes[nid]
        name = node.params["activation"]
        act = ACTIVATIONS[name]
        previewing = alpha is not None
        learned = self.weights().get(nid, {}).get("alpha")  # slopes the layer learns, one per unit
        alpha = alpha if previewing else node.alpha if learned is None else np.asarray(learned, dtype=np.float64)
        a = self._pre_activations(ex, nid)
        lo, hi = span(() if a is None else a)
        width = len(a) if a is not None else graph.widths().get(nid, 1)
        per_unit = not act.elementwise or np.ndim(alpha) > 0  # each unit its own curve
        unit = min(self.unit, width - 1) if per_unit else 0
        curve = activation_curve(name, alpha, lo, hi, width=width, row=a, unit=unit)
        points = None if a is None else activation_points(name, alpha, a, unit=unit)
        self.view.show_unit(unit if per_unit else None, width)
        of = ""
        if not act.elementwise:
            of = f" (unit {unit + 1}; the others held at the sample's a)"
        elif per_unit:
            of = f" (unit {unit + 1}, its learned α = {value_text(float(alpha[unit]))})"
        caption = f"<b>{escape(graph.label(nid))}</b>: f = {name}{of}"
        formulas = f"{act.formula}\n{act.derivative_formula}"
        if points is not None and len(points[0]) == 1:
            caption += (f"<br>this sample: a = {value_text(points[0][0])}, f(a) = {value_text(points[1][0])}, "
                        f"f′(a) = {value_text(points[2][0])}")
        elif points is not None:
            caption += f"<br>the sample's a of {len(points[0])} units marked"
        self.view.show_activation(caption, curve, points, formulas)
        if previewing:
            return
        if name in DEFAULT_ALPHA and learned is None:  # (learned slopes move by training, not by hand)
            self.view.show_alpha(alpha_label(name), alpha, DEFAULT_ALPHA[name])
        else:
            self.view.show_alpha(None)

    def _show_loss(self, ex: dict | None) -> None:
        graph = self.document.graph
        out = next((n for n in graph.nodes.values() if n.params.get("loss") in LOSSES), None)
        if out is None:
            self._loss_shown = None
            self.view.show_loss("No Output node: no loss to draw.")
            return
        name = out.params["loss"]
        sample = ex is not None and out.id in ex["nodes"]
        z, a, y = (ex["nodes"][out.id]["z"], ex["nodes"][out.id]["a"], ex["target"]) if sample else (None,) * 3
        key = (name, out.params.get("activation"), repr((z, a, y)))
        if key == self._loss_shown:
            return
        self._loss_shown = key
        plot = loss_plot(name, out.params.get("activation"), z, a, y)
        caption = f"<b>Loss</b> {name}: {escape(LOSSES[name].formula)}"
        if sample and len(plot.points_x) == 1:
            caption += f"<br>this sample: {plot.axis.name} {value_text(plot.points_x[0])}, L = " \
                       f"{value_text(plot.points[name][0])}"
            if ZERO_ONE in plot.points:
                caption += f", zero-one {value_text(plot.points[ZERO_ONE][0])}"
        elif sample:
            caption += f"<br>this sample: its {len(plot.points_x)} outputs marked"
        labels = {n: n for n in plot.curves}
        labels[ZERO_ONE] = "zero-one"
        self.view.show_loss(caption, plot, labels, f"Drawn against {plot.axis.note}.")
