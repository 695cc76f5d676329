"""Exception types. Every message says what was wrong and where."""

__all__ = ["NNBuilderError", "GraphError", "ModelFileError", "DataError"]


class NNBuilderError(Exception):
    """Base of every error the engine raises on bad input."""


class GraphError(NNBuilderError):
    """An edit or a graph that cannot be accepted (the message says why)."""


class ModelFileError(NNBuilderError):
    """A model file that cannot be read or written.

    ``path`` is the JSON path of the offending field (``$.graph.nodes[2].params.units``)
    or None when the problem is the file itself.
    """

    def __init__(self, message: str, path: str | None = None, file: str | None = None):
        self.path = path
        self.file = file
        where = ", ".join(p for p in (file, f"at {path}" if path else None) if p)
        super().__init__(f"{where}: {message}" if where else message)


class DataError(NNBuilderError):
    """A dataset or CSV file that cannot be used (names the row and column)."""
