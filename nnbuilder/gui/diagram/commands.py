"""Undo commands. Each changes the document only (the graph, or through a
Document ``apply_*`` method its settings, data or weights); the views follow
the graph's events and the document's signals."""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from nnbuilder.core.model.graph import Edge, Graph, new_node_id
from nnbuilder.core.model.nodetypes import NODE_SPECS

_MERGE_PARAMS_ID = 1001
_MERGE_TRAINING_ID = 1002
_MERGE_DATASET_ID = 1003
_MERGE_MOVE_ID = 1004


class AddNodeCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_type: str, position, params: dict | None = None,
                 node_id: str | None = None):
        super().__init__(f"Add {NODE_SPECS[node_type].title}")
        self.graph, self.node_type, self.position = graph, node_type, tuple(position)
        self.params = dict(params or {})
        self.node_id = node_id or new_node_id(node_type)
        self.name: str | None = None  # the first free name, taken on the first redo and kept

    def redo(self):
        node = self.graph.add_node(self.node_type, self.params, self.position, self.node_id, self.name)
        self.name = node.name

    def undo(self):
        self.graph.remove_node(self.node_id)


class RemoveNodeCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, parent: QUndoCommand | None = None):
        super().__init__(f"Remove {graph.nodes[node_id].name}", parent)
        self.graph, self.node_id, self.removed = graph, node_id, None

    def redo(self):
        self.removed = self.graph.remove_node(self.node_id)

    def undo(self):
        self.graph.restore_node(self.removed)


class ConnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, source: str, target: str):
        super().__init__("Connect")
        self.graph, self.edge = graph, Edge(source, target)

    def redo(self):
        self.graph.connect(self.edge.source, self.edge.target)

    def undo(self):
        self.graph.disconnect(self.edge.source, self.edge.target)


class DisconnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, edge: Edge, parent: QUndoCommand | None = None):
        super().__init__("Disconnect", parent)
        self.graph, self.edge, self.index = graph, edge, None

    def redo(self):
        self.index = self.graph.disconnect(self.edge.source, self.edge.target)

    def undo(self):
        self.graph.insert_edge(self.edge, self.index)


class RenameNodeCommand(QUndoCommand):
    """Give a node a new name (checked by the caller: Graph.name_refusal)."""

    def __init__(self, graph: Graph, node_id: str, name: str):
        self.graph, self.node_id = graph, node_id
        self.old, self.new = graph.nodes[node_id].name, name.strip()
        super().__init__(f"Rename {self.old} to {self.new}")

    def redo(self):
        self.graph.rename_node(self.node_id, self.new)

    def undo(self):
        self.graph.rename_node(self.node_id, self.old)


class MoveNodesCommand(QUndoCommand):
    """Moves of any number of nodes as one step: ``{node_id: (old_pos, new_pos)}``.
    ``mergeable`` moves of the same nodes in a row (nudges by key) are one step."""

    def __init__(self, graph: Graph, moves: dict, text: str = "Move", mergeable: bool = False):
        super().__init__(text)
        self.graph, self.moves, self.mergeable = graph, moves, mergeable

    def id(self) -> int:
        return _MERGE_MOVE_ID if self.mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, MoveNodesCommand) and other.mergeable and
                set(other.moves) == set(self.moves)):
            return False
        self.moves = {nid: (old, other.moves[nid][1]) for nid, (old, _) in self.moves.items()}
        if all(old == new for old, new in self.moves.values()):
            self.setObsolete(True)  # moved back to where the step started
        return True

    def redo(self):
        for nid, (_, new) in self.moves.items():
            self.graph.move_node(nid, new)

    def undo(self):
        for nid, (old, _) in self.moves.items():
            self.graph.move_node(nid, old)


class SetParamsCommand(QUndoCommand):
    """Change node parameters; consecutive edits of the same field merge into one step."""

    def __init__(self, graph: Graph, node_id: str, changes: dict, mergeable: bool = True):
        keys = ", ".join(changes)
        super().__init__(f"Change {keys} of {graph.nodes[node_id].name}")
        self.graph, self.node_id, self.changes = graph, node_id, dict(changes)
        self.old: dict = {}
        self.mergeable = mergeable

    def id(self) -> int:
        return _MERGE_PARAMS_ID if self.mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, SetParamsCommand) and other.mergeable and
                other.node_id == self.node_id and set(other.changes) == set(self.changes)):
            return False
        self.changes = dict(other.changes)
        return True

    def redo(self):
        # QUndoStack runs redo() before merging, so after a merge the first
        # command's ``old`` still holds the values from before the whole run.
        self.old = self.graph.set_params(self.node_id, **self.changes)

    def undo(self):
        self.graph.set_params(self.node_id, **self.old)


def changed_keys(old: dict, new: dict) -> set:
    return {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}


class _MergingSettings(QUndoCommand):
    """A change of a settings dict from ``old`` to ``new``; consecutive changes
    of the same keys merge into one step (one undo takes the field back to
    where it was before the run of edits; back there, the step goes)."""

    merge_id = -1

    def __init__(self, document, old, new, text: str, mergeable: bool):
        super().__init__(text)
        self.document, self.old, self.new, self.mergeable = document, old, new, mergeable

    def _keys(self) -> set:
        raise NotImplementedError

    def id(self) -> int:
        return self.merge_id if self.mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (type(other) is type(self) and other.mergeable and other._keys() == self._keys()):
            return False
        self.new = other.new
        self.setText(other.text())
        if not self._keys():  # edited back to where the step started
            self.setObsolete(True)
        return True


class SetDatasetCommand(_MergingSettings):
    """Replace the document's dataset settings (a new dataset, painted points...)."""

    merge_id = _MERGE_DATASET_ID

    def __init__(self, document, old: dict | None, new: dict, text: str, mergeable: bool = False):
        super().__init__(document, old, new, text, mergeable)

    def _keys(self) -> set:
        return changed_keys(self.old or {}, self.new or {})

    def redo(self):
        self.document.apply_dataset(self.new)

    def undo(self):
        self.document.apply_dataset(self.old)


class SetTrainingCommand(_MergingSettings):
    """New training settings (a TrainConfig): the learning rate, the optimizer..."""

    merge_id = _MERGE_TRAINING_ID

    def __init__(self, document, old, new, mergeable: bool = True):
        keys = sorted(changed_keys(old.to_dict(), new.to_dict()))
        text = (f"Set {keys[0]} to {getattr(new, keys[0])}" if len(keys) == 1
                else f"Set {', '.join(keys)}")
        super().__init__(document, old, new, text, mergeable)

    def _keys(self) -> set:
        return changed_keys(self.old.to_dict(), self.new.to_dict())

    def redo(self):
        self.document.apply_training(self.new)

    def undo(self):
        self.document.apply_training(self.old)


class SetSeedCommand(QUndoCommand):
    """The seed the network's weights start from (Reset with a new seed, a lesson)."""

    def __init__(self, document, old: int, new: int):
        super().__init__(f"New seed {new}")
        self.document, self.old, self.new = document, old, new

    def redo(self):
        self.document.apply_seed(self.new)

    def undo(self):
        self.document.apply_seed(self.old)


def weight_name(row: int, col: int) -> str:
    """``W[r, c]`` counted from 1 as users read it; ``row`` -1: the bias ``b[c]``."""
    return f"b[{col + 1}]" if row < 0 else f"W[{row + 1}, {col + 1}]"


class SetWeightCommand(QUndoCommand):
    """A weight typed by hand: ``W[row, col]`` of ``node_id`` (``row`` -1:
    the bias ``b[col]``) from ``old`` to ``new``. ``base`` is the run's
    weights when it was typed (the document takes them if it has none of its
    own that fit)."""

    def __init__(self, document, node_id: str, row: int, col: int, old: float, new: float,
                 base: dict, label: str):
        super().__init__(f"Set {label}: {weight_name(row, col)} to {new:g}")
        self.document, self.node_id, self.row, self.col = document, node_id, row, col
        self.old, self.new, self.base = old, new, base

    def redo(self):
        self.document.apply_weight(self.node_id, self.row, self.col, self.new, self.base)

    def undo(self):
        self.document.apply_weight(self.node_id, self.row, self.col, self.old, self.base)
