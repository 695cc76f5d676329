"""The network summary panel, the problems list and the problem counts the
window shows on the Problems tab and in the status bar."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QLabel, QListView, QListWidget,
                               QListWidgetItem, QStyle, QWidget)

from nnbuilder.core.model.nodetypes import NODE_SPECS

from ..widgets.colours import ERROR_INK, OK_INK, WARNING_INK
from .document import Document

#: What quiz mode shows instead of a parameter count (View > Quiz mode reveals it).
QUIZ_HIDDEN = "hidden (quiz mode)"

#: Problems the Network panel lists in full; the rest it counts ("and 2 more, see Problems").
SHOWN_PROBLEMS = 3

ERROR_COLOR, WARNING_COLOR, OK_COLOR = ERROR_INK, WARNING_INK, OK_INK  # each theme's own


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def readiness(problems, reason: str | None) -> tuple[str, str]:
    """(colour, words) of whether the network can train: the one verdict the
    Network panel and the status bar both show. ``reason``: why the network
    and its data (or optimizer) cannot train together although the graph
    itself is valid, or None."""
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        return ERROR_COLOR, f"✗ {_count(errors, 'error')}"
    if reason:
        return ERROR_COLOR, "✗ cannot train yet"
    return OK_COLOR, "✓ ready to train"


def problems_title(problems, reason: str | None = None) -> str:
    """The Problems dock's title (and tab): "Problems (2)", or "Problems" when
    there are none (the reason it cannot train counts as one)."""
    n = len(problems) + bool(reason and not any(p.severity == "error" for p in problems))
    return f"Problems ({n})" if n else "Problems"


def problems_badge(problems, reason: str | None = None) -> str:
    """The status bar's verdict (:func:`readiness`) and warnings count, as rich
    text with a link (activating it shows the Problems list):
    "✗ 1 error, ⚠ 2 warnings", "✗ cannot train yet", "✓ ready to train"."""
    color, words = readiness(problems, reason)
    ready = not reason and all(p.severity != "error" for p in problems)
    warnings = sum(p.severity != "error" for p in problems)
    if ready and not warnings:
        return f"<span style='color:{color}'>{words}</span>"
    parts = [] if ready else [f"<a href='problems' style='color:{color}'>{words}</a>"]
    if warnings:
        parts.append(f"<a href='problems' style='color:{WARNING_COLOR}'>⚠ {_count(warnings, 'warning')}</a>")
    return ", ".join(parts)


def problems_tooltip(problems, reason: str | None = None) -> str:
    """Every problem in full, one per line (the status bar label's tool tip)."""
    lines = [escape(str(p)) for p in problems]
    if reason and not any(p.severity == "error" for p in problems):
        lines.insert(0, escape(f"cannot train yet: {reason}"))
    if not lines:
        return "No problems: the network can be trained."
    return "<br>".join(lines) + "<br><i>Click to show the Problems list</i>"


class NetworkPanel(QWidget):
    """Total parameters with their arithmetic, the loss, the validation state."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("networkPanel")
        self.setAccessibleName("Network summary")
        self.total = QLabel()
        self.total.setObjectName("totalParamsLabel")
        self.total.setWordWrap(True)
        self.total.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.loss = QLabel()
        self.state = QLabel()
        self.state.setObjectName("validationLabel")
        self.state.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Parameters", self.total)
        form.addRow("Loss", self.loss)
        form.addRow("Status", self.state)
        self._problems: list = []
        self._reason: str | None = None  # why the network and the data cannot train together
        self._document: Document | None = None
        self.counts_hidden = False  # quiz mode

    def set_counts_hidden(self, hidden: bool) -> None:
        self.counts_hidden = hidden
        if self._document is not None:
            self.update_from(self._document, self._problems)

    def set_ready(self, reason: str | None) -> None:
        """Why Train is off although the network itself is valid (the data does
        not fit it, the optimizer refuses it), or None."""
        self._reason = reason
        self._show_state()

    def update_from(self, document: Document, problems) -> None:
        g = document.graph
        self._document = document
        if self.counts_hidden:  # quiz mode: the class counts first
            self.total.setText(QUIZ_HIDDEN)
            self.total.setToolTip("View > Quiz mode again reveals the count")
        else:
            self.total.setText(f"<b>{g.total_params():,}</b>&nbsp;&nbsp;<small>{g.param_arithmetic()}</small>")
            # Which layer each term of the sum is, by name (the lecture's parameter counting).
            order, _ = g.topological_order()
            self.total.setToolTip("<br>".join(
                f"{escape(g.label(n))}: {g.param_count(n)[1]}" for n in order
                if NODE_SPECS[g.nodes[n].type].weighted))
        outs = g.nodes_of_type("output")
        self.loss.setText(outs[0].params["loss"] if outs else "— (no Output node)")
        self._problems = problems
        self._show_state()

    def _show_state(self) -> None:
        problems = self._problems
        errors = [p for p in problems if p.severity == "error"]
        warnings = [p for p in problems if p.severity == "warning"]
        color, words = readiness(problems, self._reason)
        text = f"<span style='color:{color}'>{words}</span>"
        if self._reason and not errors:
            text += f"<br><small>{escape(self._reason)}</small>"
        if warnings:
            text += f", <span style='color:{WARNING_COLOR}'>{_count(len(warnings), 'warning')}</span>"
        if problems and not (self._reason and not errors):  # in full, errors first (the ones to fix)
            listed = (errors + warnings)[:SHOWN_PROBLEMS]
            text += "".join(f"<br><small>{escape(p.text)}</small>" for p in listed)
            more = len(errors) + len(warnings) - len(listed)
            if more:
                text += f"<br><small>and {more:,} more, see Problems</small>"
        self.state.setText(text)
        self.state.setToolTip(problems_tooltip(problems, self._reason))


class ProblemsList(QListWidget):
    """Every validation problem, one row each, wrapped to the list's width
    (the full text also on hover); activating one emits ``nodeRequested(id)``."""

    nodeRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("problemsList")
        self.setAccessibleName("Problems")
        self.setWordWrap(True)  # a row is as tall as its text, never cut off
        self.setResizeMode(QListView.ResizeMode.Adjust)  # re-wrap when the dock is resized
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.shown: list = []  # the problems listed
        self.reason: str | None = None  # why the network and its data cannot train together, if so
        self.itemActivated.connect(self._activated)
        self.itemClicked.connect(self._activated)

    def title(self) -> str:
        """For the Problems dock's title: "Problems (2)"."""
        return problems_title(self.shown, self.reason)

    def badge(self) -> str:
        """For the status bar: "✗ 1 error, ⚠ 1 warning" (rich text, links show the list)."""
        return problems_badge(self.shown, self.reason)

    def badge_tooltip(self) -> str:
        return problems_tooltip(self.shown, self.reason)

    def set_ready(self, reason: str | None) -> None:
        """Why the valid network cannot train with its data (None: it can): listed first."""
        self.reason = reason
        self.set_problems(self.shown)

    def set_problems(self, problems) -> None:
        self.shown = list(problems)
        self.clear()
        style = self.style()
        if self.reason and not any(p.severity == "error" for p in problems):
            item = QListWidgetItem(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
                                   f"Cannot train yet: {self.reason}")
            item.setToolTip(f"Cannot train yet: {self.reason}")
            self.addItem(item)
        for p in problems:
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical if p.severity == "error"
                                      else QStyle.StandardPixmap.SP_MessageBoxWarning)
            item = QListWidgetItem(icon, p.text)
            item.setData(Qt.ItemDataRole.UserRole, p.node_id)
            item.setToolTip(str(p))
            self.addItem(item)
        if not self.count():
            item = QListWidgetItem("No problems: the network can be trained.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        nid = item.data(Qt.ItemDataRole.UserRole)
        if nid:
            self.nodeRequested.emit(nid)
