"""The network summary panel and the problems list."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QListWidget, QListWidgetItem, QStyle, QWidget

from .document import Document


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

    def update_from(self, document: Document, problems) -> None:
        g = document.graph
        self.total.setText(f"<b>{g.total_params():,}</b>&nbsp;&nbsp;<small>{g.param_arithmetic()}</small>")
        outs = g.nodes_of_type("output")
        self.loss.setText(outs[0].params["loss"] if outs else "— (no Output node)")
        errors = [p for p in problems if p.severity == "error"]
        warnings = [p for p in problems if p.severity == "warning"]
        if errors:
            text = f"<span style='color:#E03131'>✗ {len(errors)} error{'s' * (len(errors) > 1)}</span>"
        else:
            text = "<span style='color:#2B9348'>✓ ready to train</span>"
        if warnings:
            text += f", <span style='color:#C77C02'>{len(warnings)} warning{'s' * (len(warnings) > 1)}</span>"
        self.state.setText(text)


class ProblemsList(QListWidget):
    """Every validation problem; activating one emits ``nodeRequested(id)``."""

    nodeRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("problemsList")
        self.setAccessibleName("Problems")
        self.itemActivated.connect(self._activated)
        self.itemClicked.connect(self._activated)

    def set_problems(self, problems) -> None:
        self.clear()
        style = self.style()
        for p in problems:
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical if p.severity == "error"
                                      else QStyle.StandardPixmap.SP_MessageBoxWarning)
            where = f"{p.node_id}: " if p.node_id else ""
            item = QListWidgetItem(icon, f"{where}{p.message}")
            item.setData(Qt.ItemDataRole.UserRole, p.node_id)
            item.setToolTip(str(p))
            self.addItem(item)
        if not problems:
            item = QListWidgetItem("No problems: the network can be trained.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        nid = item.data(Qt.ItemDataRole.UserRole)
        if nid:
            self.nodeRequested.emit(nid)
