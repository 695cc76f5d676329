"""The inspector: edit the selected node's name and settings with proper widgets.

Number fields refuse a value the node-type registry's check refuses, with its
reason (:mod:`nnbuilder.gui.widgets.fields`); a name is refused when it is empty or another node
has it (``Graph.name_refusal``). Every accepted edit is an undoable command.
Enter on a layer in the diagram focuses the name (:meth:`Inspector.edit`);
Esc in a field hands the keyboard back (``doneEditing``).
"""
from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGridLayout, QLabel, QLineEdit,
                               QSpinBox, QVBoxLayout, QWidget)

from nnbuilder.core.functions.activations import ACTIVATIONS, DEFAULT_ALPHA
from nnbuilder.core.functions.features import FEATURE_NAMES, feature_label, offered_features
from nnbuilder.core.model.graph import MAX_NAME
from nnbuilder.core.functions.losses import LOSSES
from nnbuilder.core.model.nodetypes import MAX_UNITS, NODE_SPECS, NORMALIZE_TIPS, param_refusal, params_by_name

from .document import Document
from .panels import QUIZ_HIDDEN
from .weights_table import WeightsTable
from ..widgets.fields import CheckedDoubleSpinBox, CheckedSpinBox, pass_undo_to_window, refused_style
from ..widgets.scale import relative_font

ACTIVATION_TIPS = {name: f"{a.formula}\n{a.derivative_formula}" for name, a in ACTIVATIONS.items()}
INITIALIZER_TIPS = {
    "glorot_uniform": "U(-l, l), l = sqrt(6 / (fan_in + fan_out))",
    "glorot_normal": "N(0, 2 / (fan_in + fan_out))",
    "he_normal": "N(0, 2 / fan_in): for ReLU layers",
    "uniform": "U(-0.5, 0.5)",
    "zeros": "all zero: every unit learns the same thing (the symmetry problem)",
    "constant": "every weight the same value",
}


def alpha_label(activation: str) -> str:
    """What the activation's parameter α is called (leaky ReLU: a slope; ELU: a scale;
    prelu: where its learned slopes start, then each unit trains its own). Not a:
    a is the pre-activation in the lecture's letters."""
    return {"leaky_relu": "Slope α", "prelu": "Initial slope α"}.get(activation, "Scale α")


def _choices(key: str) -> list:
    """The values parameter ``key`` allows, as its declaration lists them."""
    return params_by_name()[key].constraint.widget()["choices"]


def _combo(names, tips, object_name):
    box = QComboBox()
    box.setObjectName(object_name)
    for i, name in enumerate(names):
        box.addItem(name)
        box.setItemData(i, tips.get(name, ""), Qt.ItemDataRole.ToolTipRole)
    return box


class Inspector(QWidget):
    """Shows and edits one node; every edit is an undoable document command."""

    statusMessage = Signal(str)
    doneEditing = Signal()  # Esc in a field: the keyboard goes back to the diagram

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("inspector")
        self.setAccessibleName("Layer inspector")
        self.document: Document | None = None
        self.node_id: str | None = None
        self._updating = 0
        self.columns: list[str] = []  # the data's column names: what the feature boxes read
        self.counts_hidden = False  # quiz mode: the Parameters row says so instead of the count

        self.title = QLabel()
        self.title.setObjectName("inspectorTitle")
        relative_font(self.title, 1.2, bold=True)  # (and at the UI scale)
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty = QLabel("Select a layer in the diagram to edit it.\n\n"
                            "Drag layers from the palette on the left; drag from a node's right "
                            "port to another node to connect them.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.name = QLineEdit()
        self.name.setObjectName("nameEdit")
        self.name.setMaxLength(MAX_NAME + 20)  # longer ones are refused with the reason
        self.name_tip = "The layer's name, as the diagram, the problems and the messages show it"
        self.name.setToolTip(self.name_tip)
        self.name.editingFinished.connect(self._name_edited)
        # Ctrl+Z / Ctrl+Shift+Z go to the window's undo, not to the field's own
        # (which undid the typing and then saved that as a new rename).
        pass_undo_to_window(self.name)

        self.features = QWidget()
        grid = QGridLayout(self.features)
        grid.setContentsMargins(0, 0, 0, 0)
        self.feature_checks = {}
        for i, name in enumerate(FEATURE_NAMES):
            cb = QCheckBox(name)
            cb.setObjectName(f"feature_{name}")
            cb.toggled.connect(self._features_edited)
            self.feature_checks[name] = cb
            grid.addWidget(cb, i // 2, i % 2)
        self.raw_columns = QSpinBox()
        self.raw_columns.setObjectName("rawColumnsSpin")
        self.raw_columns.setRange(0, MAX_UNITS)  # a 784-column table's x3 ... x784 too
        self.raw_columns.setToolTip("Further raw data columns x3, x4, ... (for data with more than "
                                    "two columns)")
        self.raw_columns.valueChanged.connect(self._features_edited)
        pass_undo_to_window(self.raw_columns)

        self.normalize = _combo(_choices("normalize"), NORMALIZE_TIPS["input"], "inspectorNormalizeCombo")
        self.normalize.currentTextChanged.connect(lambda t: self._edit(mergeable=False, normalize=t))

        self.units = self._field(CheckedSpinBox, "units", "Units", "unitsSpin")
        self.units.setToolTip("Number of units (neurons)")
        self.units.valueChanged.connect(lambda v: self._edit(units=v))
        self.activation = _combo(_choices("activation"), ACTIVATION_TIPS, "activationCombo")
        self.activation.currentTextChanged.connect(self._activation_edited)
        self.alpha = self._field(CheckedDoubleSpinBox, "alpha", "Slope α", "alphaSpin")
        self.alpha.setDecimals(4)
        self.alpha.setSingleStep(0.01)
        self.alpha.valueChanged.connect(lambda v: self._edit(alpha=v))
        self.initializer = _combo(_choices("initializer"), INITIALIZER_TIPS, "initializerCombo")
        self.initializer.currentTextChanged.connect(lambda t: self._edit(mergeable=False, initializer=t))
        self.init_value = self._field(CheckedDoubleSpinBox, "init_value", "Value", "initValueSpin")
        self.init_value.setDecimals(4)
        self.init_value.setSingleStep(0.1)
        self.init_value.valueChanged.connect(lambda v: self._edit(init_value=v))
        self.bias = QCheckBox("learn a bias b")
        self.bias.setObjectName("biasCheck")
        self.bias.toggled.connect(lambda b: self._edit(mergeable=False, bias=b))
        self.rate = self._field(CheckedDoubleSpinBox, "rate", "Drop rate", "rateSpin")
        self.rate.setSingleStep(0.05)
        self.rate.setToolTip("Probability of dropping a unit while training")
        self.rate.valueChanged.connect(lambda v: self._edit(rate=v))
        self.loss = _combo(_choices("loss"), {n: l.formula for n, l in LOSSES.items()}, "lossCombo")
        self.loss.currentTextChanged.connect(lambda t: self._edit(mergeable=False, loss=t))
        self.params = QLabel()
        self.params.setObjectName("paramsLabel")
        self.params.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.rows = {}
        for key, label, widget in [
            ("name", "Name", self.name), ("features", "Features", self.features),
            ("raw", "Raw columns", self.raw_columns),
            ("units", "Units", self.units), ("activation", "Activation", self.activation),
            ("alpha", "Slope α", self.alpha), ("initializer", "Initializer", self.initializer),
            ("init_value", "Value", self.init_value), ("bias", "Bias", self.bias),
            ("rate", "Drop rate", self.rate), ("loss", "Loss", self.loss),
            ("normalize", "Normalize", self.normalize),  # after the features or the loss
            ("params", "Parameters", self.params),
        ]:
            self.form.addRow(label, widget)
            self.rows[key] = widget

        # The layer's numbers; the window gives it their source (the run).
        self.weights_table = WeightsTable()
        self.weights_table.statusMessage.connect(self.statusMessage)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.formula)
        layout.addLayout(self.form)
        layout.addWidget(self.weights_table, 1)
        layout.addWidget(self.empty)
        layout.addStretch(1)
        self.show_node(None)

    def edit(self) -> None:
        """Put the keyboard in the shown node's first field (its name), selected."""
        if self.node_id is not None:
            self.name.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.name.selectAll()

    def keyPressEvent(self, event):
        if event.key() == Qt.Key.Key_Escape:  # a field left it to us: its own Esc did nothing
            self.doneEditing.emit()
            return
        super().keyPressEvent(event)

    def _field(self, cls, key: str, label: str, object_name: str):
        """A number field for parameter ``key`` of the shown node, checked by the registry."""
        field = cls(lambda v: self.node_id and param_refusal(self._node_type(), key, v), label)
        field.limit_to(params_by_name()[key].constraint)
        field.setObjectName(object_name)
        field.refused.connect(self.statusMessage)
        return field

    def _node_type(self) -> str:
        return self.document.graph.nodes[self.node_id].type

    @contextmanager
    def _quiet(self):
        self._updating += 1
        try:
            yield
        finally:
            self._updating -= 1

    def set_document(self, document: Document) -> None:
        if self.document is not None:
            self.document.graphChanged.disconnect(self.refresh)
        self.document = document
        document.graphChanged.connect(self.refresh)
        self.show_node(None)

    def show_node(self, node_id: str | None) -> None:
        if node_id != self.node_id:
            self._show_name_refusal(None, say=False)  # a refusal was about the node shown before
        self.node_id = node_id
        self.refresh()

    def set_counts_hidden(self, hidden: bool) -> None:
        self.counts_hidden = hidden
        self.refresh()

    def refresh(self) -> None:
        doc = self.document
        if doc is None or self.node_id not in doc.graph.nodes:
            self.node_id = None
        has = self.node_id is not None
        self.empty.setVisible(not has)
        self.title.setVisible(has)
        self.formula.setVisible(has)
        if not has:
            for key in self.rows:
                self.form.setRowVisible(self.rows[key], False)
            self.weights_table.show_node(None)
            return
        node = doc.graph.nodes[self.node_id]
        p = node.params
        spec = NODE_SPECS[node.type]
        self.title.setText(node.name)
        self.formula.setText(f"{spec.title}: {spec.formula_of(p)}")
        act = p.get("activation")
        # A row shows when the node's type has that parameter.
        visible = {key: key in spec.params for key in self.rows}
        visible.update(name=True, raw="features" in spec.params, alpha=act in DEFAULT_ALPHA,
                       init_value=p.get("initializer") == "constant", params=spec.weighted)
        for key, widget in self.rows.items():
            self.form.setRowVisible(widget, visible[key])
        self.form.labelForField(self.alpha).setText(alpha_label(act))
        with self._quiet():
            if self.name.text() != node.name:
                self.name.setText(node.name)
            for field in (self.units, self.alpha, self.init_value, self.rate):
                field.clear_refusal()
            if "features" in p:
                feats = p["features"]
                for name, cb in self.feature_checks.items():
                    cb.setChecked(name in feats)
                    cb.setText(feature_label(name, self.columns))
                    # Derived features are offered for 2-D data (or where the node uses one).
                    cb.setVisible(name in offered_features(len(self.columns)) or name in feats)
                extra = [f for f in feats if f not in FEATURE_NAMES]
                self.raw_columns.setValue(max((int(f[1:]) for f in extra), default=2) - 2)
            if "normalize" in p:
                self.normalize.setCurrentText(p["normalize"])
                for i in range(self.normalize.count()):  # what it does on this node: inputs or targets
                    self.normalize.setItemData(i, NORMALIZE_TIPS[node.type][self.normalize.itemText(i)],
                                               Qt.ItemDataRole.ToolTipRole)
            if "units" in p:
                self.units.setValue(p["units"])
            if act:
                self.activation.setCurrentText(act)
                self.alpha.setValue(node.alpha)
                self.alpha.setToolTip(ACTIVATIONS[act].formula)
            if "initializer" in p:
                self.initializer.setCurrentText(p["initializer"])
                self.init_value.setValue(p["init_value"])
                self.bias.setChecked(p["bias"])
            if "rate" in p:
                self.rate.setValue(p["rate"])
            if "loss" in p:
                self.loss.setCurrentText(p["loss"])
            self.params.setText(QUIZ_HIDDEN if self.counts_hidden else doc.graph.param_count(self.node_id)[1])
        self.weights_table.show_node(self.node_id if spec.weighted else None)

    def set_columns(self, names: list[str]) -> None:
        """The data's columns by name: the feature boxes read them."""
        if list(names) != self.columns:
            self.columns = list(names)
            self.refresh()

    # ---------------------------------------------------------------- edits
    def _edit(self, mergeable: bool = True, **changes) -> None:
        if self._updating or self.node_id is None:
            return
        reason = self.document.set_params(self.node_id, mergeable=mergeable, **changes)
        if reason:
            self.statusMessage.emit(reason)
            self.refresh()

    def _name_edited(self) -> None:
        if self._updating or self.node_id is None:
            return
        text, old = self.name.text(), self.document.graph.nodes[self.node_id].name
        reason = self.document.rename(self.node_id, text)
        if reason:
            self._show_name_refusal(f"Cannot rename {old} to '{text.strip()}': {reason}")
            self.name.setText(old)
            return
        self._show_name_refusal(None)

    def _show_name_refusal(self, message: str | None, say: bool = True) -> None:
        """Outline the name field in red with the reason (None: clear), and say it."""
        self.name.setProperty("refused", message is not None)
        self.name.setStyleSheet("" if message is None else refused_style("QLineEdit"))
        self.name.setToolTip(self.name_tip if message is None else f"{self.name_tip}\n\n{message}")
        if message and say:
            self.statusMessage.emit(message)

    def _activation_edited(self, name: str) -> None:
        if self._updating or self.node_id is None:
            return
        # A new activation starts from its own default slope/scale.
        self._edit(mergeable=False, activation=name, alpha=None)

    def _features_edited(self, *_):
        if self._updating or self.node_id is None:
            return
        feats = [n for n, cb in self.feature_checks.items() if cb.isChecked()]
        feats += [f"x{k}" for k in range(3, 3 + self.raw_columns.value())]
        if not feats:
            self.statusMessage.emit("The Input node needs at least one feature")
            self.refresh()
            return
        self._edit(mergeable=False, features=feats)
