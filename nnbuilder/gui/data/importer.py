"""Import a CSV file: read it in the background, then let the user choose
the feature and target columns in a dialog with a preview.

:class:`TableLoader` reads with :func:`~nnbuilder.core.data.csvfile.read_table_steps`
on a thread of its own and reports progress through signals; the window
shows a cancellable progress dialog. :class:`DataPreparer` prepares the
training data of a big table the same way (:class:`BackgroundSteps`). :class:`ImportDialog` works on
the :class:`~nnbuilder.core.data.table.Table` it gets: every choice re-checks the
cells and says which rows and columns are bad before anything is imported.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QFormLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.data.csvfile import read_table_steps
from nnbuilder.core.data.table import TASKS, Table
from nnbuilder.core.run.prepared import data_steps
from ..widgets.colours import ERROR_INK

__all__ = ["BackgroundSteps", "TableLoader", "DataPreparer", "ImportDialog", "DATA_SUFFIXES", "DATA_FILTER"]

DATA_SUFFIXES = (".csv", ".tsv", ".txt")
DATA_FILTER = "Data tables (*.csv *.tsv *.txt);;All files (*)"
PREVIEW_ROWS = 50
PREVIEW_CELLS = 10_000  # a wide table previews fewer rows (at least MIN_PREVIEW_ROWS)
MIN_PREVIEW_ROWS = 10
SHOWN_PROBLEMS = 200


class BackgroundSteps(QObject):
    """Runs a generator of steps (it yields the fraction done, and returns
    the result) on a thread of its own (``thread``), so the window keeps
    drawing and answering; progress and the result come back as signals,
    delivered in the window's thread. ``cancel()`` stops it: the work stops
    at its next step and its result is dropped; nothing of it reaches the
    window. ``what`` names the work in an unexpected error's message."""

    progressed = Signal(int)  # percent
    loaded = Signal(object)  # the result
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()
    _reported = Signal(str, object)  # from the working thread: (what, value)

    def __init__(self, make_steps, what: str, parent=None):
        super().__init__(parent)
        self.what = what
        self._make_steps = make_steps
        self.thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._running = False
        self._percent = -1
        self._reported.connect(self._on_report, Qt.ConnectionType.QueuedConnection)

    def start(self) -> None:
        """Start the work, unless it was cancelled already."""
        if self._stop.is_set():
            return
        self._running = True
        self.thread = threading.Thread(target=self._work, name=f"nnbuilder-{type(self).__name__}", daemon=True)
        self.thread.start()

    def isRunning(self) -> bool:
        return self._running

    def cancel(self) -> None:
        self._stop.set()
        if self._running:
            self._running = False
            self.cancelled.emit()
            self.finished.emit()

    def _work(self) -> None:
        """The working thread: steps until done, failed or cancelled; reports by signal."""
        steps = self._make_steps()
        try:
            while not self._stop.is_set():
                try:
                    fraction = next(steps)
                except StopIteration as done:
                    self._say("loaded", done.value)
                    return
                if int(fraction * 100) != self._percent:
                    self._percent = int(fraction * 100)
                    self._say("progressed", self._percent)
        except NNBuilderError as e:
            self._say("failed", str(e))
        except Exception as e:  # noqa: BLE001 - report, never take the window down
            self._say("failed", f"{self.what}: {type(e).__name__}: {e}")
        finally:
            steps.close()

    def _say(self, what: str, value) -> None:
        if self._stop.is_set():
            return
        try:
            self._reported.emit(what, value)
        except RuntimeError:  # the object was deleted (the window closed) meanwhile
            self._stop.set()

    def _on_report(self, what: str, value) -> None:
        """In the window's thread: pass on what the work said, unless cancelled."""
        if not self._running:
            return  # cancelled: its result is not wanted
        if what == "progressed":
            self.progressed.emit(value)
            return
        self._running = False
        (self.loaded if what == "loaded" else self.failed).emit(value)
        self.finished.emit()


class TableLoader(BackgroundSteps):
    """Reads a CSV file with :func:`~nnbuilder.core.data.csvfile.read_table_steps`
    in the background (:class:`BackgroundSteps`); ``loaded`` brings the Table.

    The reading holds the interpreter lock only between pandas' parses of a
    run of rows (pandas lets go of it while it tokenizes) and for storing a
    run, at most :data:`~nnbuilder.core.data.csvfile.ROWS_PER_STEP` rows:
    ``benchmarks/bench_import_gui.py`` measures the frames the window draws
    meanwhile.
    """

    def __init__(self, path: str, parent=None):
        super().__init__(lambda: read_table_steps(path), path, parent)
        self.path = path


class DataPreparer(BackgroundSteps):
    """Prepares training data (:func:`~nnbuilder.core.run.prepared.data_steps`:
    the Input's features, standardized, in split order, in memory the worker
    maps) in the background; ``loaded`` brings the
    TrainData, ``needs`` says what it was made from (see
    :func:`~nnbuilder.core.run.prepared.data_needs`)."""

    def __init__(self, dataset, network, split: tuple[float, int], needs: tuple, parent=None):
        super().__init__(lambda: data_steps(dataset, network, split), "preparing the data", parent)
        self.needs = needs


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

        rows = self.preview_rows = min(len(table), max(MIN_PREVIEW_ROWS, min(PREVIEW_ROWS, PREVIEW_CELLS // table.n_columns)))
        self._texts = [table.is_text(j) for j in range(table.n_columns)]
        self._styled: dict[int, tuple[bool, bool]] = {}  # column -> (target, used) as drawn
        self._marked: list = []  # the preview's cells marked bad
        kind = {",": "comma", ";": "semicolon", "\t": "tab"}.get(table.delimiter, repr(table.delimiter))
        self.summary = QLabel(f"{len(table):,} rows, {table.n_columns} columns, {kind}-separated "
                              f"{table.encoding} text, "
                              f"{'with a header row' if table.has_header else 'no header row (columns named x1, x2, ...)'}."
                              f" The first {rows} rows:")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)

        self.preview = QTableWidget(rows, table.n_columns)
        self.preview.setObjectName("previewTable")
        self.preview.setHorizontalHeaderLabels(table.names)
        self.preview.setVerticalHeaderLabels([str(int(n)) for n in table.lines[:rows]])
        self.preview.verticalHeader().setToolTip("line in the file")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for i, row in enumerate(table.rows(0, rows)):
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
        self.standardize = QCheckBox("Standardize the inputs and a regression target: "
                                     "(v - mean) / std of the training rows")
        self.standardize.setObjectName("standardizeCheck")
        self.standardize.setToolTip("The Input node standardizes the features; for regression the "
                                    "Output node trains on standardized targets too and answers in "
                                    "the data's units (predictions, losses and R²)")
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

        self.target.setCurrentIndex(table.default_target())
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
                text = self._texts[j]
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
        text_target = task == "regression" and self._texts[t]
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
        pal.setColor(self.status.foregroundRole(), QColor(f"{ERROR_INK}") if reason else self.palette().text().color())
        self.status.setPalette(pal)

    def _describe_target(self, t: int, task: str) -> None:
        table = self.table
        if task == "classification":
            if self._texts[t]:
                names = sorted({c for c in table.cells[t] if c})
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
        """Target header bold, unused columns grey, bad cells red. Only the
        columns whose part changed are drawn again (a table may have
        hundreds); the columns are sized to their contents once."""
        bold = QFont(self.preview.font())
        bold.setBold(True)
        grey = self.palette().placeholderText()
        chosen = set(feats)
        first = not self._styled
        changed = []
        for item in self._marked:  # the bad cells of the last choice
            item.setBackground(QBrush())
            item.setToolTip("")
        self._marked = []
        for j in range(self.table.n_columns):
            used = j == t or j in chosen
            if self._styled.get(j) == (j == t, used):
                continue
            self._styled[j] = (j == t, used)
            changed.append(j)
            head = self.preview.horizontalHeaderItem(j)
            head.setFont(bold if j == t else self.preview.font())
            head.setText(self.table.names[j] + ("  (target)" if j == t else ""))
            for i in range(self.preview.rowCount()):
                self.preview.item(i, j).setForeground(self.palette().text() if used else grey)
        names = self.table.names
        for p in problems:
            if p.row >= self.preview.rowCount():
                break
            item = self.preview.item(p.row, names.index(p.column))
            bad = QColor(f"{ERROR_INK}")
            item.setBackground(QBrush(QColor(bad.red(), bad.green(), bad.blue(), 90)))
            item.setToolTip(str(p))
            self._marked.append(item)
        if first:
            self.preview.resizeColumnsToContents()
        elif t in changed:  # the new target's bold "(target)" header: its whole title (it read "nd (targe")
            room = self.preview.horizontalHeader().sectionSizeHint(t) + 4  # (the hint leaves bold text no margin)
            self.preview.setColumnWidth(t, max(self.preview.columnWidth(t), room))

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
