"""The formats a trained network leaves the app in, keyed by the names the
CLI's ``--format`` and the window's File > Export menu use; each writes
the whole file atomically (a failed export leaves what was there)."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import NNBuilderError

__all__ = ["ExportFormat", "EXPORT_FORMATS", "write_export"]


def _onnx(doc, name: str) -> bytes:
    from .export_onnx import to_onnx

    return to_onnx(doc, name).SerializeToString()


def _torch(doc, name: str) -> bytes:
    from .export_torch import torch_script

    return torch_script(doc, name).encode("utf-8")


@dataclass(frozen=True)
class ExportFormat:
    title: str  # what the window's menu and dialogs call it
    suffix: str  # the file name's ending
    render: Callable[[object, str], bytes]  # (trained ModelDocument, name) -> the file's bytes
    file_filter: str  # for a save dialog


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "onnx": ExportFormat("ONNX", ".onnx", _onnx, "ONNX models (*.onnx)"),
    "torch": ExportFormat("PyTorch script", ".py", _torch, "Python scripts (*.py)"),
}


def write_export(doc, fmt: str, path: str | os.PathLike) -> int:
    """Write the trained model document ``doc`` as ``fmt`` to ``path``; the
    number of bytes written. NNBuilderError when the model is untrained or
    not valid, or the file cannot be written."""
    path = Path(path)
    data = EXPORT_FORMATS[fmt].render(doc, path.stem)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        raise NNBuilderError(f"{path}: cannot write: {e.strerror or e}") from None
    return len(data)
