"""The document being edited: a model file's contents, an undo stack, a path.

All edits go through :class:`Document` methods, which push undo commands:
the graph, the training settings, the seed, the data and hand-typed weights.
The commands change the graph (views follow its events) or call the
document's ``apply_*`` methods, which say so with a signal. Every edit is
undoable and makes the document modified.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from nnbuilder.core.data.datasource import embed_rows
from nnbuilder.core.errors import GraphError, NNBuilderError
from nnbuilder.core.model.graph import Graph, check_param
from nnbuilder.core.files.modelfile import ModelDocument, columns_for, load_model, save_model
from nnbuilder.core.engine.network import Network
from nnbuilder.core.model.nodetypes import NO_INPUT, NODE_SPECS
from nnbuilder.core.resources import resource
from nnbuilder.core.engine.config import TrainConfig

from .commands import (AddNodeCommand, ConnectCommand, DisconnectCommand, MoveNodesCommand,
                       RemoveNodeCommand, RenameNodeCommand, SetDatasetCommand, SetParamsCommand,
                       SetSeedCommand, SetTrainingCommand, SetWeightCommand)
from .node_geometry import node_size
from nnbuilder.core.run.prepared import structure_key

EXAMPLES_DIR = resource("examples")
DEFAULT_EXAMPLE = EXAMPLES_DIR / "circle.json"
#: The data of a document whose file names none (a new one).
DEFAULT_DATASET = {"name": "circle", "samples": 500, "noise": 0.0, "split": 0.5, "seed": 0}


def weight_value(weights: dict, node_id: str, row: int, col: int) -> float:
    """``W[row, col]`` of ``node_id`` in ``weights`` ({id: {"W", "b"}}); ``row`` -1: ``b[col]``."""
    return float(weights[node_id]["b"][col] if row < 0 else weights[node_id]["W"][row, col])


class Document(QObject):
    """A network being edited.

    ``graphChanged`` fires after every undo-stack step (an edit, an undo, a
    redo), once the graph and the scene are up to date, so panels can
    re-validate.
    """

    graphChanged = Signal()
    pathChanged = Signal(str)
    datasetChanged = Signal()
    trainingChanged = Signal(object)  # the settings before (a TrainConfig)
    seedChanged = Signal()
    weightEdited = Signal(str, int, int, float)  # node, row, column, value now

    def __init__(self, model: ModelDocument | None = None, path: str | None = None, parent=None):
        super().__init__(parent)
        model = model or ModelDocument(Graph())
        self.graph = model.graph
        self.weights = model.weights
        self.training: TrainConfig = model.training or TrainConfig()
        d = model.dataset
        self.dataset = d if d is not None and any(k in d for k in ("name", "csv", "points")) \
            else dict(DEFAULT_DATASET)
        self.seed = model.seed
        self.metrics = model.metrics
        self.labels = model.labels  # class names of the data the weights were trained on
        self.columns = model.columns  # names of that data's raw columns, as the file had them
        self.path = path
        self.example_name: str | None = None  # set when this is a built-in example
        self._forced_modified = False  # e.g. restored from an autosave
        self._fit = None  # (structure key, a network of it): what fitting_weights checks against
        self.undo_stack = QUndoStack(self)
        # Every edit is a command: announce it once the command (or macro) is
        # complete, after the scene has followed the graph's own events.
        self.undo_stack.indexChanged.connect(self._step_done)

    def _step_done(self, _index: int) -> None:
        self.graphChanged.emit()

    @classmethod
    def open(cls, path: str, parent=None) -> "Document":
        """Load a model file; raises ModelFileError (the caller keeps its document)."""
        return cls(load_model(path), str(path), parent)

    @property
    def title(self) -> str:
        return Path(self.path).name if self.path else "Untitled"

    @property
    def modified(self) -> bool:
        return self._forced_modified or not self.undo_stack.isClean()

    def mark_modified(self) -> None:
        """Treat the document as unsaved although nothing is on its undo stack."""
        self._forced_modified = True

    # --------------------------------------------------------------- editing
    def add_node(self, node_type: str, position, params: dict | None = None) -> str:
        cmd = AddNodeCommand(self.graph, node_type, position, params)
        self.undo_stack.push(cmd)
        return cmd.node_id

    def add_node_after(self, node_type: str, anchor: str) -> tuple[str, str | None]:
        """Add a node in free space to the right of ``anchor``, connected from
        it when the graph allows that connection, as ONE undo step.

        Returns (the new node's id, why it was not connected or None). A node
        type without inputs (Input) is placed and not connected, silently.
        When ``anchor`` feeds nothing (Output) the new layer goes before it
        instead, between it and its input (:meth:`_insert_before`)."""
        spec = NODE_SPECS[node_type]
        if not NODE_SPECS[self.graph.nodes[anchor].type].feeds and spec.inputs != NO_INPUT and spec.feeds:
            node_id = self._insert_before(node_type, anchor)
            if node_id is not None:
                return node_id, None
        position = self.free_position_right_of(anchor, node_type)
        self.undo_stack.beginMacro(f"Add {spec.title}")
        try:
            node_id = self.add_node(node_type, position)
            reason = None
            if spec.inputs != NO_INPUT:
                reason = self.connect(anchor, node_id)
        finally:
            self.undo_stack.endMacro()
        return node_id, reason

    def _insert_before(self, node_type: str, anchor: str) -> str | None:
        """A new ``node_type`` node in ``anchor``'s place, connected from its
        one input and feeding it, ``anchor`` (and what follows it) moved one
        column right, as ONE undo step; None (nothing done) when ``anchor``
        has not exactly one input or the graph refuses those connections."""
        sources = self.graph.inputs_of(anchor)
        if len(sources) != 1:
            return None
        source = sources[0]
        probe = Graph.from_dict(self.graph.to_dict())  # would the graph take it?
        new = probe.add_node(node_type).id
        probe.disconnect(source, anchor)
        if probe.connection_refusal(source, new) is not None:
            return None
        probe.connect(source, new)
        if probe.connection_refusal(new, anchor) is not None:
            return None
        x, y = self.graph.nodes[anchor].position
        shift = node_size(probe, new)[0] + 80.0
        moves = {nid: (self.graph.nodes[nid].position,
                       (self.graph.nodes[nid].position[0] + shift, self.graph.nodes[nid].position[1]))
                 for nid in {anchor, *self.graph.descendants(anchor)}}
        self.undo_stack.beginMacro(f"Insert {NODE_SPECS[node_type].title}")
        try:
            self.move(moves)
            node_id = self.add_node(node_type, (round(x), round(y)))
            self.undo_stack.push(DisconnectCommand(self.graph, next(
                e for e in self.graph.edges if (e.source, e.target) == (source, anchor))))
            self.connect(source, node_id)
            self.connect(node_id, anchor)
        finally:
            self.undo_stack.endMacro()
        return node_id

    def free_position_right_of(self, anchor: str, node_type: str, gap: float = 80.0):
        """Where a new ``node_type`` node goes right of ``anchor`` without
        covering another node: level with it, or lower down, one column
        (auto-layout's 250 units) to the right."""
        ax, ay = self.graph.nodes[anchor].position
        return self.free_position_at(node_type, (ax + node_size(self.graph, anchor)[0] + gap, ay))

    def free_position_at(self, node_type: str, at: tuple[float, float]):
        """Where a new ``node_type`` node goes at ``at`` (its top left) without
        covering another node: there, or as little lower down as it takes (a
        layer dropped on another landed on top of it)."""
        probe = Graph()  # the new node's size, from its defaults
        probe.add_node(node_type, node_id="new")
        w, h = node_size(probe, "new")
        x, y = at
        boxes = [(n.position, node_size(self.graph, nid)) for nid, n in self.graph.nodes.items()]
        margin = 20.0
        while True:
            below = [py + ph for (px, py), (pw, ph) in boxes
                     if px < x + w + margin and x < px + pw + margin
                     and py < y + h + margin and y < py + ph + margin]
            if not below:
                return (round(x), round(y))
            y = max(below) + 40.0

    def connect(self, source: str, target: str) -> str | None:
        """Connect two nodes; return the reason if the connection is refused."""
        reason = self.graph.connection_refusal(source, target)
        if reason is None:
            self.undo_stack.push(ConnectCommand(self.graph, source, target))
        return reason

    def remove(self, node_ids=(), edges=()) -> None:
        """Remove nodes (with their edges) and edges as one undo step."""
        node_ids = [n for n in node_ids if n in self.graph.nodes]
        edges = [e for e in edges if e in self.graph.edges and
                 e.source not in node_ids and e.target not in node_ids]
        if not node_ids and not edges:
            return
        self.undo_stack.beginMacro("Delete" if len(node_ids) + len(edges) > 1 else
                                   ("Remove " + self.graph.label(node_ids[0])
                                    if node_ids else "Disconnect"))
        for e in edges:
            self.undo_stack.push(DisconnectCommand(self.graph, e))
        for nid in node_ids:
            self.undo_stack.push(RemoveNodeCommand(self.graph, nid))
        self.undo_stack.endMacro()

    def move(self, moves: dict, text: str = "Move", mergeable: bool = False) -> None:
        """``{node_id: (old, new)}`` as one undo step (positions already differ);
        ``mergeable``: consecutive such moves of the same nodes are one step."""
        moves = {n: (tuple(o), tuple(p)) for n, (o, p) in moves.items() if tuple(o) != tuple(p)}
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.graph, moves, text, mergeable))

    def set_params(self, node_id: str, mergeable: bool = True, **changes) -> str | None:
        """Change parameters; return the reason if a value is refused."""
        node = self.graph.node(node_id)
        if all(node.params.get(k) == v for k, v in changes.items()):
            return None
        try:  # validate before pushing, so the stack never holds a failing command
            for k, v in changes.items():
                check_param(node.type, k, v)
        except GraphError as e:
            return str(e)
        self.undo_stack.push(SetParamsCommand(self.graph, node_id, changes, mergeable))
        return None

    def rename(self, node_id: str, name: str) -> str | None:
        """Give a node a new name; return the reason if it is refused."""
        if name.strip() == self.graph.nodes[node_id].name:
            return None
        reason = self.graph.name_refusal(name, node_id)
        if reason is None:
            self.undo_stack.push(RenameNodeCommand(self.graph, node_id, name))
        return reason

    @contextmanager
    def macro(self, text: str):
        """The edits made inside as one undo step (none at all: no step)."""
        stack = self.undo_stack
        stack.beginMacro(text)
        try:
            yield
        finally:
            stack.endMacro()
            if stack.index() > 0:
                step = stack.command(stack.index() - 1)
                if step.text() == text and step.childCount() == 0:
                    step.setObsolete(True)
                    stack.undo()  # an obsolete step is dropped, not undone

    def set_dataset(self, dataset: dict, text: str = "Change data", mergeable: bool = False) -> None:
        """New dataset settings, as an undoable step (the file stores them);
        ``mergeable``: consecutive edits of the same settings are one step."""
        if dataset != self.dataset:
            self.undo_stack.push(SetDatasetCommand(self, copy.deepcopy(self.dataset),
                                                   copy.deepcopy(dataset), text, mergeable))

    def apply_dataset(self, dataset: dict | None) -> None:
        """Used by the undo command only."""
        self.dataset = copy.deepcopy(dataset)
        self.datasetChanged.emit()

    def set_training(self, changes: dict, mergeable: bool = True) -> str | None:
        """Change training settings (keys of TrainConfig) as an undoable step;
        consecutive edits of the same settings merge into one. Returns the
        reason if ``TrainConfig.check`` refuses the result (nothing changes)."""
        try:
            cfg = TrainConfig(**{**self.training.to_dict(), **changes}).check()
        except (NNBuilderError, TypeError) as e:
            return str(e)
        if cfg != self.training:
            self.undo_stack.push(SetTrainingCommand(self, self.training, cfg, mergeable))
        return None

    def apply_training(self, cfg: TrainConfig) -> None:
        """Used by the undo command only."""
        old, self.training = self.training, cfg
        self.trainingChanged.emit(old)

    def set_seed(self, seed: int) -> None:
        """The seed new weights start from, as an undoable step."""
        if seed != self.seed:
            self.undo_stack.push(SetSeedCommand(self, self.seed, int(seed)))

    def apply_seed(self, seed: int) -> None:
        """Used by the undo command only."""
        self.seed = seed
        self.seedChanged.emit()

    def set_weight(self, node_id: str, row: int, col: int, value: float, weights: dict) -> None:
        """A weight typed by hand, as an undoable step (``row`` -1: the bias
        ``b[col]``). ``weights``: the network's weights now (the run's), which
        hold the old value."""
        old = weight_value(weights, node_id, row, col)
        if value != old:
            self.undo_stack.push(SetWeightCommand(self, node_id, row, col, old, float(value), weights,
                                                  self.graph.label(node_id)))

    def apply_weight(self, node_id: str, row: int, col: int, value: float, base: dict) -> None:
        """Used by the undo command only: the document's weights (``base``'s
        where it has none that fit) with ``W[row, col] = value`` (``row`` -1:
        ``b[col]``)."""
        mine, theirs = (self.weights or {}).get(node_id) or {}, base[node_id]
        if ("W" not in mine or np.shape(mine["W"]) != np.shape(theirs["W"])
                or np.shape(mine.get("b")) != np.shape(theirs.get("b"))):
            self.weights = {nid: dict(v) for nid, v in base.items()}
        key = "b" if row < 0 else "W"
        values = np.array(self.weights[node_id][key], dtype=float)
        values[(col,) if row < 0 else (row, col)] = value
        self.weights = {**self.weights, node_id: {**self.weights[node_id], key: values}}
        self.weightEdited.emit(node_id, row, col, value)

    def auto_layout(self, undoable: bool = True) -> None:
        """Layers left to right by depth from the input, centred in each column.

        ``undoable=False`` places the nodes directly (for a freshly opened
        example that has nothing to undo yet)."""
        order, cyclic = self.graph.topological_order()
        depth: dict[str, int] = {}
        for nid in order:
            ins = self.graph.inputs_of(nid)
            depth[nid] = 1 + max((depth[s] for s in ins if s in depth), default=-1)
        for nid in cyclic:
            depth[nid] = max(depth.values(), default=-1) + 1
        columns: dict[int, list[str]] = {}
        for nid in self.graph.nodes:
            columns.setdefault(depth.get(nid, 0), []).append(nid)
        moves = {}
        for d, ids in columns.items():
            heights = [node_size(self.graph, n)[1] for n in ids]
            total = sum(heights) + 40 * (len(ids) - 1)
            y = -total / 2
            for nid, h in zip(ids, heights):
                moves[nid] = (self.graph.nodes[nid].position, (d * 250.0, float(round(y))))
                y += h + 40
        if undoable:
            self.move(moves, "Auto-layout")
        else:
            for nid, (_, new) in moves.items():
                self.graph.move_node(nid, new)

    # ----------------------------------------------------------------- files
    def fitting_weights(self) -> dict | None:
        """The trained weights, if they still fit the (possibly edited) network
        (checked against a network compiled once per structure, not per call)."""
        if self.weights is None:
            return None
        key = structure_key(self.graph)
        try:
            if self._fit is None or self._fit[0] != key:
                self._fit = (key, None)
                self._fit = (key, Network(self.graph))
            if self._fit[1] is None:
                return None
            self._fit[1].set_weights(self.weights)
        except GraphError:
            return None
        return self.weights

    def to_model(self) -> ModelDocument:
        weights = self.fitting_weights()
        # The weights were trained on this document's data: its columns' names (or,
        # where the dataset entry does not tell, the ones the opened file had).
        columns = None if weights is None else columns_for(self.graph, self.dataset, self.columns)
        return ModelDocument(self.graph, weights, self.training, self.dataset, self.seed,
                             self.metrics if weights is not None else None,
                             self.labels if weights is not None else None, columns)

    def save(self, path: str | None = None, with_rows: bool = False) -> None:
        """Write atomically; raises ModelFileError. Marks the document clean.

        ``with_rows``: a CSV dataset's rows go into the file (and stay in the
        document: the same data, now carried by the file); raises
        NNBuilderError, writing nothing, when they cannot be read."""
        path = str(path or self.path)
        model = self.to_model()
        if with_rows and self.dataset:
            model.dataset = embed_rows(self.dataset)
        save_model(path, model)
        if with_rows:
            self.dataset = model.dataset
        if path != self.path:
            self.path = path
            self.pathChanged.emit(path)
        self._forced_modified = False
        self.undo_stack.setClean()
