"""The Learn panel's widgets: which sample, activations or deltas on the
diagram, the chain rule of one weight written out with its numbers, and the
Step-through controls. It shows what it is given and reports what the user
picks; the learn controller (:mod:`.learn`) does the arithmetic.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QHBoxLayout, QLabel, QPushButton,
                               QRadioButton, QSpinBox, QTextBrowser, QToolButton, QVBoxLayout, QWidget)

from ..diagram.sample_values import value_text

HINT = ("<p><b>See how one sample flows through the network.</b></p>"
        "<p>Pause training, then click a data point on the Output view (or pick a row "
        "here): each neuron shows its output <i>f(a)</i> for that sample (<i>a = W x + b</i>, "
        "its pre-activation); choose <i>∂L/∂a</i> to see the backward pass.</p>"
        "<p>Click a weight line on the diagram: this panel spells out ∂L/∂w by the "
        "chain rule, with the numbers, and what the next step changes it to.</p>"
        "<p><b>Step through</b> animates one training step: forward, backward, update. "
        "With a batch smaller than the data it follows the sample(s) the step draws "
        "(ringed in violet on the Output view).</p>")


def vector_text(v, limit: int = 6) -> str:
    vals = [value_text(float(x)) for x in list(v)[:limit]]
    more = ", …" if len(v) > limit else ""
    return "(" + ", ".join(vals) + more + ")"


ROWS_LISTED = 32  # a batch's rows (and their gradients) written out


def rows_text(rows) -> str:
    """Dataset ``rows`` (0-based) as the window numbers them: "rows 3, 7, … (40 in all)"."""
    shown = ", ".join(str(int(r) + 1) for r in rows[:ROWS_LISTED])
    more = f", … ({len(rows)} in all)" if len(rows) > ROWS_LISTED else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


class LearnPanel(QWidget):
    """``rowChosen(row)`` (0-based, -1: none), ``kindChosen("a" | "delta")``,
    ``stepThrough()``, ``nextPhase()``."""

    rowChosen = Signal(int)
    kindChosen = Signal(str)
    stepThrough = Signal()
    nextPhase = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("learnPanel")
        self.setAccessibleName("See how it learns")
        self.row = QSpinBox()
        self.row.setObjectName("sampleRow")
        self.row.setAccessibleName("Sample row")
        self.row.setRange(0, 0)
        self.row.setSpecialValueText("none")
        self.row.setToolTip("The data row to follow through the network (1-based, as "
                            "'nnbuilder explain --row'); or click a point on the Output view")
        self.row.valueChanged.connect(lambda v: self.rowChosen.emit(v - 1))
        self.activations = QRadioButton("outputs f(a)")
        self.deltas = QRadioButton("∂L/∂a")
        self.activations.setChecked(True)
        self.activations.setToolTip("Forward pass: each neuron's output f(a) for the sample, a = W x + b")
        self.deltas.setToolTip("Backward pass: each neuron's ∂L/∂a, how the loss changes with its pre-activation "
                                "(∂L/∂f for a node without weights)")
        group = QButtonGroup(self)
        group.addButton(self.activations)
        group.addButton(self.deltas)
        self.deltas.toggled.connect(lambda on: self.kindChosen.emit("delta" if on else "a"))

        self.text = QTextBrowser()
        self.text.setObjectName("chainRuleText")
        self.text.setAccessibleName("Explanation")
        self.text.setOpenLinks(False)
        self.text.setHtml(HINT)
        self.text.setFrameShape(QTextBrowser.Shape.NoFrame)  # (its frame's pixels are the text's)
        self.text.setMinimumHeight(36)  # it scrolls: a short window keeps its other panels

        self.step_button = QPushButton("Step through")
        self.step_button.setObjectName("stepThroughButton")
        self.step_button.setToolTip("Animate one training step: forward (left to right), "
                                    "backward (right to left), update (each weight's old and new value)")
        self.step_button.clicked.connect(self.stepThrough)
        self.next_button = QPushButton("Next ▸")
        self.next_button.setObjectName("nextPhaseButton")
        self.next_button.setToolTip("Advance the step-through by one layer or phase now")
        self.next_button.setEnabled(False)
        self.next_button.clicked.connect(self.nextPhase)
        self.by_hand = QCheckBox("by hand")
        self.by_hand.setObjectName("stepByHand")
        self.by_hand.setToolTip("Wait for Next ▸ at every layer instead of animating")
        self.one_sample = QCheckBox("one sample, learning rate as typed")
        self.one_sample.setObjectName("oneSampleStep")
        self.one_sample.setToolTip(
            "Step through updates the weights from the chosen sample alone, by plain gradient "
            "descent with the learning rate as typed: w ← w − lr·∂L/∂w, the numbers shown here "
            "(whatever the batch size and optimizer). Off: the real next step, whose batch SGD "
            "draws (ringed in violet on the Output view).")
        self.phase = QLabel()
        self.phase.setObjectName("stepPhaseLabel")
        self.phase.setWordWrap(True)

        self.fold = QToolButton()  # the controls fold away: the text their room (presentation mode)
        self.fold.setObjectName("learnControlsFold")
        self.fold.setCheckable(True)
        self.fold.setChecked(True)
        self.fold.setAutoRaise(True)
        self.fold.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.fold.toggled.connect(self._show_controls)
        self.controls = QWidget()
        self.controls.setObjectName("learnControls")
        top = self._top = QHBoxLayout()
        top.addWidget(QLabel("Sample row"))
        top.addWidget(self.row, 1)
        kinds = QHBoxLayout()  # a row of their own: beside the row they clipped the panel at 280 px
        kinds.addWidget(self.activations)
        kinds.addWidget(self.deltas)
        kinds.addStretch(1)
        steps = QHBoxLayout()
        steps.addWidget(self.step_button)
        steps.addWidget(self.next_button)
        steps.addWidget(self.by_hand)
        steps.addStretch(1)
        rows = QVBoxLayout(self.controls)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addLayout(top)
        rows.addLayout(kinds)
        rows.addLayout(steps)
        rows.addWidget(self.one_sample)
        # the fold: open, at the start of the sample row; folded, beside the phase (a row of its own
        # took a line of the text's)
        head = self._head = QHBoxLayout()
        head.addWidget(self.phase, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addLayout(head)
        layout.addWidget(self.controls)
        layout.addWidget(self.text, 1)
        self._show_controls(True)

    def _show_controls(self, shown: bool) -> None:
        into = self._top if shown else self._head
        if into.indexOf(self.fold) < 0:
            (self._head if shown else self._top).removeWidget(self.fold)
            into.insertWidget(0, self.fold)
        self.controls.setVisible(shown)
        self.fold.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.fold.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if shown
                                     else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.fold.setText(f"Sample row {self.row.value() or '–'}: controls")
        self.fold.setToolTip("Hide the sample row and Step through controls: their room to the text"
                             if shown else "Show the sample row and Step through controls")

    def set_controls_shown(self, shown: bool) -> None:
        """Show or fold the sample row and Step through controls (presentation
        mode folds them: their room goes to the chain rule's text)."""
        self.fold.setChecked(shown)

    # ------------------------------------------------------------ the state
    def set_rows(self, n: int) -> None:
        """The data has ``n`` rows (0: none); keeps the chosen row if it still exists."""
        self.row.blockSignals(True)
        self.row.setRange(0, n)
        self.row.blockSignals(False)

    def set_row(self, row: int) -> None:
        """Show ``row`` (0-based, -1: none) as chosen, without reporting it."""
        self.row.blockSignals(True)
        self.row.setValue(row + 1)
        self.row.blockSignals(False)
        self._show_controls(self.fold.isChecked())  # (the folded button names the row)

    def kind(self) -> str:
        return "delta" if self.deltas.isChecked() else "a"

    def set_kind(self, kind: str) -> None:
        """Show ``kind`` as chosen, without reporting it."""
        for b in (self.activations, self.deltas):
            b.blockSignals(True)
        (self.deltas if kind == "delta" else self.activations).setChecked(True)
        for b in (self.activations, self.deltas):
            b.blockSignals(False)

    def set_stepping(self, on: bool, phase: str = "") -> None:
        self.step_button.setEnabled(not on)
        self.next_button.setEnabled(on)
        self.phase.setText(phase)

    def show_hint(self, note: str = "") -> None:
        extra = f"<p><i>{escape(note)}</i></p>" if note else ""
        self.text.setHtml(extra + HINT)

    def show_html(self, html: str) -> None:
        bar = self.text.verticalScrollBar()
        keep = bar.value()
        self.text.setHtml(html)
        bar.setValue(keep)
