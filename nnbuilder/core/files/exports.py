"""The formats a network leaves the app in, keyed by the names the CLI's
``--format`` and the window's File > Export menu use; each writes the whole
file atomically (a failed export leaves what was there).

A model with trained weights is exported with them; an untrained one with
the weights ``nnbuilder train`` would start from (:func:`exported_network`),
so a design can be trained elsewhere. What the network is for
(:func:`model_task`) comes from the model itself, never from its metrics."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..engine.network import Network
from ..errors import NNBuilderError
from ..functions.losses import LOSSES

__all__ = ["ExportFormat", "EXPORT_FORMATS", "write_export", "exported_network", "model_task"]


def exported_network(doc, what: str = "export") -> tuple[Network, bool]:
    """(the network of model document ``doc`` with the weights to export,
    whether they are trained). Without trained weights: the engine's own
    initialisation from the model's seed and each layer's initializer,
    exactly what ``nnbuilder train`` (and the window's Train) starts from,
    and no standardization yet (mean 0, std 1: training sets them from its
    rows). NNBuilderError when the network is not valid."""
    errors = doc.graph.errors()
    if errors:
        raise NNBuilderError(f"cannot {what}: the network is not valid: " + "; ".join(map(str, errors)))
    net = Network(doc.graph)
    if doc.weights is not None:
        net.set_weights(doc.weights)
        return net, True
    # the Trainer's first draw from its generator: core/engine/trainer.py Trainer._bind
    net.init_params(np.random.default_rng(doc.seed))
    return net, False


def model_task(doc, net: Network) -> str:
    """"classification" or "regression": what the model's loss and Output
    node are for (a classification loss, a softmax output, class names), else
    what its data entry says; never read from metric names."""
    out = net.nodes[net.output_id].params
    if LOSSES[net.loss.name].task == "classification" or out["activation"] == "softmax" or doc.labels:
        return "classification"
    data = doc.dataset or {}
    if data.get("task") in ("classification", "regression"):
        return data["task"]
    from ..data.datasets import DATASETS

    info = DATASETS.get(data.get("name"))
    return info.task if info is not None else "regression"


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
    render: Callable[[object, str], bytes]  # (ModelDocument, name) -> the file's bytes
    file_filter: str  # for a save dialog


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "onnx": ExportFormat("ONNX", ".onnx", _onnx, "ONNX models (*.onnx)"),
    "torch": ExportFormat("PyTorch script", ".py", _torch, "Python scripts (*.py)"),
}


def write_export(doc, fmt: str, path: str | os.PathLike) -> int:
    """Write the model document ``doc`` as ``fmt`` to ``path`` (its trained
    weights, or the initial ones: :func:`exported_network`); the number of
    bytes written. NNBuilderError when the network is not valid or the file
    cannot be written."""
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
