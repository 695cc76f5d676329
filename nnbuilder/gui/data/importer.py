"""Import a CSV file: read it between the window's events, then let the
user choose the feature and target columns in a dialog with a preview.

:class:`TableLoader` reads with :func:`~nnbuilder.core.data.csvfile.read_table_steps`
one step (at most :data:`~nnbuilder.core.data.csvfile.ROWS_PER_STEP` rows) per turn
of the event loop and reports progress through signals; the window shows a cancellable progress dialog. :class:`ImportDialog` works on
the :class:`~nnbuilder.core.data.table.Table` it gets: every choice re-checks the
cells and says which rows and columns are bad before anything is imported.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QFormLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.data.csvfile import read_table_steps
from nnbuilder.core.data.table import TASKS, Table

__all__ = ["TableLoader", "ImportDialog", "DATA_SUFFIXES", "DATA_FILTER"]

DATA_SUFFIXES = (".csv", ".tsv", ".txt")
DATA_FILTER = "Data tables (*.csv *.tsv *.txt);;All files (*)"
PREVIEW_ROWS = 50
SHOWN_PROBLEMS = 200
BAD = QColor(220, 60, 60)


class TableLoader(QObject):
    """Reads a CSV file one step of :func:`~nnbuilder.core.data.csvfile.read_table_steps`
    (at most :data:`~nnbuilder.core.data.csvfile.ROWS_PER_STEP` rows) per turn of the
    event loop, so the window never waits longer than one step; ``cancel()``
    stops it. ``benchmarks/bench_csv.py`` measures the longest wait.

    Each step is a run of whole rows that pandas' C parser reads (the core
    parses the next run in a thread of its own meanwhile); storing a run is
    Python, which is why the steps, not a thread of the window's, keep the
    window answering (a whole read in a Python thread once starved it: 0.7 s
    without an event for 100,000 rows).
    """

    progressed = Signal(int)  # percent
    loaded = Signal(object)  # the Table
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, path: str, parent=None):
        super().__init__(parent)
        self.path = path
        self._steps = read_table_steps(path)
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run)
        self._percent = -1
        self._busy = False

    def start(self) -> None:
        self._timer.start()

    def isRunning(self) -> bool:
        return self._timer.isActive()

    def cancel(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._steps.close()
            self.cancelled.emit()
            self.finished.emit()

    def _run(self) -> None:
        if self._busy:  # a nested event loop (a dialog's) turned the timer again
            return
        self._busy = True
        try:
            self._step()
        finally:
            self._busy = False

    def _step(self) -> None:
        # One step per turn, not a time budget: how often the window gets a
        # turn then depends on the rows read, not on the machine's speed
        # (an idle turn of the loop costs microseconds; a step, milliseconds).
        try:
            fraction = next(self._steps)
            if int(fraction * 100) != self._percent:
                self._percent = int(fraction * 100)
                self.progressed.emit(self._percent)
        except StopIteration as done:
            self._finish(self.loaded, done.value)
        except NNBuilderError as e:
            self._finish(self.failed, str(e))
        except Exception as e:  # noqa: BLE001 - report, never take the window down
            self._finish(self.failed, f"{self.path}: {type(e).__name__}: {e}")

    def _finish(self, signal, value) -> None:
        self._timer.stop()
        signal.emit(value)
        self.finished.emit()


class ImportDialog(QDialog):
    """Choose feature columns, the target column and the task of a table.

    After ``accepted``, :meth:`spec` is the document's ``dataset`` entry and
    :attr:`dataset` the loaded :class:`~nnbuilder.core.data.datasets.Dataset`.
    """

    def __init__(self, table: Table, parent=None):
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.table = table
        self.dataset = None
        self._quiet = False
        self._shown_bad: set = set()
        self.setWindowTitle(f"Import data: {Path(table.path).name}")
        self.resize(980, 620)

        kind = {",": "comma", ";": "semicolon", "\t": "tab"}.get(table.delimiter, repr(table.delimiter))
        self.summary = QLabel(f"{len(table):,} rows, {table.n_columns} columns, {kind}-separated "
                              f"{table.encoding} text, "
                              f"{'with a header row' if table.has_header else 'no header row (columns named x1, x2, ...)'}."
                              f" The first {min(PREVIEW_ROWS, len(table))} rows:")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)

        self.preview = QTableWidget(min(PREVIEW_ROWS, len(table)), table.n_columns)
        self.preview.setObjectName("previewTable")
        self.preview.setHorizontalHeaderLabels(table.names)
        self.preview.setVerticalHeaderLabels([str(int(n)) for n in table.lines[:PREVIEW_ROWS]])
        self.preview.verticalHeader().setToolTip("line in the file")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for i, row in enumerate(table.rows(0, PREVIEW_ROWS)):
            for j, cell in enumerate(row):
                self.preview.setItem(i, j, QTableWidgetItem(cell))
        self.preview.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.preview.setAlternatingRowColors(True)

        self.target = QComboBox()
        self.target.setObjectName("targetCombo")
        self.target.addItems(table.names)
        self.target.setToolTip("The column the network learns to predict")
        self.features = QListWidget()
        self.features.setObjectName("featureList")
        self.features.setToolTip("The columns fed to the network (numbers only)")
        self.features.setMaximumHeight(150)
        for name in table.names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            self.features.addItem(item)
        self.task = QComboBox()
        self.task.setObjectName("taskCombo")
        self.task.setToolTip("Classification when the target is text or has few whole-number values; "
                             "override it here")
        self.task.addItem("detected", None)
        for t in TASKS:
            self.task.addItem(t.capitalize(), t)
        self.classes = QLabel()
        self.classes.setObjectName("classesLabel")
        self.classes.setWordWrap(True)
        self.problems = QPlainTextEdit()
        self.problems.setObjectName("problemsText")
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(110)
        self.drop_bad = QCheckBox()
        self.drop_bad.setObjectName("dropBadCheck")
        self.drop_bad.setToolTip("Import without the rows that have a missing or non-numeric cell "
                                 "in the chosen columns")
        self.fit_network = QCheckBox("Fit the network to the data (Input features, hidden widths, "
                                     "Output units and loss)")
        self.fit_network.setObjectName("fitNetworkCheck")
        self.fit_network.setToolTip("Hidden layers narrower than the data needs are widened, with relu: "
                                    "the power of two at or above sqrt(inputs × outputs), 4 to 128, "
                                    "at most rows / 8; the status bar says why")
        self.fit_network.setChecked(True)
        self.standardize = QCheckBox("Standardize the inputs: (x - mean) / std of the training rows")
        self.standardize.setObjectName("standardizeCheck")
        self.standardize.setChecked(True)
        self.status = QLabel()
        self.status.setObjectName("importStatus")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Target column", self.target)
        form.addRow("Task", self.task)
        form.addRow("", self.classes)
        form.addRow("Feature columns", self.features)
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addLayout(form)
        sl.addWidget(self.fit_network)
        sl.addWidget(self.standardize)
        sl.addStretch(1)
        split = QSplitter()
        split.addWidget(self.preview)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 360])

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        lay.addWidget(self.problems)
        bottom = QHBoxLayout()
        bottom.addWidget(self.drop_bad)
        bottom.addStretch(1)
        lay.addLayout(bottom)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)

        self.target.setCurrentIndex(table.n_columns - 1)
        self._target_changed()
        self.target.currentIndexChanged.connect(self._target_changed)
        self.task.currentIndexChanged.connect(self.refresh)
        self.features.itemChanged.connect(self.refresh)
        self.drop_bad.toggled.connect(self.refresh)

    # ------------------------------------------------------------ choices
    def target_index(self) -> int:
        return self.target.currentIndex()

    def feature_indices(self) -> list[int]:
        t = self.target_index()
        return [j for j in range(self.features.count())
                if j != t and self.features.item(j).checkState() == Qt.CheckState.Checked]

    def chosen_task(self) -> str:
        return self.task.currentData() or self.table.detect_task(self.target_index())

    def _target_changed(self, *_) -> None:
        """A new target: its column is no feature; numeric columns are, text ones are not."""
        t = self.target_index()
        self._quiet = True
        try:
            for j in range(self.features.count()):
                item = self.features.item(j)
                text = self.table.is_text(j)
                enabled = j != t and not text
                flags = item.flags()
                item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled if enabled else flags & ~Qt.ItemFlag.ItemIsEnabled)
                item.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
                item.setToolTip("the target" if j == t else "text: not a feature" if text else "")
            self.task.setItemText(0, f"Detected: {self.table.detect_task(t)}")
        finally:
            self._quiet = False
        self.refresh()

    def refresh(self, *_) -> None:
        """Re-check the chosen columns: classes, bad cells, whether Import can go."""
        if self._quiet:
            return
        table, t, feats, task = self.table, self.target_index(), self.feature_indices(), self.chosen_task()
        self._describe_target(t, task)
        text_target = task == "regression" and table.is_text(t)
        problems = [] if text_target else table.problems(feats, t, task, limit=SHOWN_PROBLEMS)
        bad_cells, bad_rows = table.count_problems(feats, t, task) if problems else (0, 0)
        self._mark_preview(t, feats, problems)
        self.problems.setVisible(bool(problems))
        self.drop_bad.setVisible(bool(problems))
        if problems:
            lines = [str(p) for p in problems]
            if bad_cells > len(problems):
                lines.append(f"... and {bad_cells - len(problems):,} more")
            self.problems.setPlainText("\n".join(lines))
            self.drop_bad.setText(f"Leave out the {bad_rows:,} row{'s' * (bad_rows != 1)} "
                                  f"with bad cells ({len(table) - bad_rows:,} remain)")
        reason = None
        if text_target:
            reason = f"The target '{table.names[t]}' holds text: a regression target must be numeric."
        elif not feats:
            reason = "Choose at least one feature column."
        elif problems and not self.drop_bad.isChecked():
            reason = (f"{bad_rows:,} row{'s' * (bad_rows != 1)} {'have' if bad_rows != 1 else 'has'} "
                      f"missing or non-numeric cells, first {problems[0]}. Leave those rows out, "
                      "or untick the column.")
        elif problems and bad_rows == len(table):
            reason = "Every row has a bad cell in the chosen columns."
        self.ok.setEnabled(reason is None)
        self.status.setText(reason or f"Ready: {len(table) - bad_rows:,} rows, {len(feats)} feature"
                            f"{'s' * (len(feats) != 1)}, {task}.")
        pal = self.status.palette()
        pal.setColor(self.status.foregroundRole(), BAD if reason else self.palette().text().color())
        self.status.setPalette(pal)

    def _describe_target(self, t: int, task: str) -> None:
        table = self.table
        cells = table.cells[t]
        if task == "classification":
            if table.is_text(t):
                names = sorted({c for c in cells if c})
            else:
                v = table.values(t)
                names = [str(int(x)) if float(x).is_integer() else str(x) for x in np.unique(v[~np.isnan(v)])]
            shown = ", ".join(f"{n} \u2192 {i}" for i, n in enumerate(names[:12]))
            more = f", ... ({len(names)} in all)" if len(names) > 12 else ""
            warn = " Many classes: is this really a classification target?" if len(names) > 20 else ""
            self.classes.setText(f"{len(names)} classes: {shown}{more}.{warn}")
        else:
            v = table.values(t)
            v = v[~np.isnan(v)]
            self.classes.setText(f"Numeric target from {v.min():.4g} to {v.max():.4g}" if len(v) else
                                 "The target has no numbers: choose classification.")

    def _mark_preview(self, t: int, feats: list[int], problems) -> None:
        """Target header bold, unused columns grey, bad cells red."""
        bold = QFont(self.preview.font())
        bold.setBold(True)
        grey = self.palette().placeholderText()
        for j in range(self.table.n_columns):
            head = self.preview.horizontalHeaderItem(j)
            head.setFont(bold if j == t else self.preview.font())
            head.setText(self.table.names[j] + ("  (target)" if j == t else ""))
            used = j == t or j in feats
            for i in range(self.preview.rowCount()):
                item = self.preview.item(i, j)
                item.setForeground(self.palette().text() if used else grey)
                item.setBackground(QBrush())
                item.setToolTip("")
        names = self.table.names
        for p in problems:
            if p.row >= self.preview.rowCount():
                break
            item = self.preview.item(p.row, names.index(p.column))
            item.setBackground(QBrush(QColor(BAD.red(), BAD.green(), BAD.blue(), 90)))
            item.setToolTip(str(p))
        self.preview.resizeColumnsToContents()

    # -------------------------------------------------------------- result
    def spec(self) -> dict:
        """The document's ``dataset`` entry for the choices made."""
        names = self.table.names
        return {"csv": str(Path(self.table.path).resolve()), "target": names[self.target_index()],
                "features": [names[j] for j in self.feature_indices()], "task": self.task.currentData(),
                "drop_bad": self.drop_bad.isChecked() and not self.drop_bad.isHidden()}

    def accept(self) -> None:
        s = self.spec()
        try:
            self.dataset = self.table.to_dataset(s["features"], s["target"], s["task"], s["drop_bad"])
        except NNBuilderError as e:
            self.status.setText(str(e))
            self.ok.setEnabled(False)
            return
        super().accept()
