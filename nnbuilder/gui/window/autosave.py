"""The autosave side file: a modified network is written every minute, and
after a crash the next start finds it and offers to restore it."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from nnbuilder.core.files.modelfile import ModelDocument, load_model, save_model

# A modified network is written this often (NNBUILDER_AUTOSAVE_MS overrides,
# e.g. in tests that kill the window): a crash loses at most this much work.
AUTOSAVE_MS = int(os.environ.get("NNBUILDER_AUTOSAVE_MS", "60000"))


def state_dir() -> Path:
    """Where autosaves live (``NNBUILDER_STATE_DIR`` overrides, e.g. in tests)."""
    d = os.environ.get("NNBUILDER_STATE_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or str(Path.home() / ".nnbuilder")
    path = Path(d)
    path.mkdir(parents=True, exist_ok=True)
    return path


def autosave_paths() -> tuple[Path, Path]:
    """(the model, a text file naming the file it was opened from)."""
    d = state_dir()
    return d / "autosave.json", d / "autosave-source.txt"


def write_autosave(model: ModelDocument, origin: str | None) -> None:
    """Raises NNBuilderError or OSError when it cannot write."""
    data, source = autosave_paths()
    save_model(data, model)
    source.write_text(origin or "", encoding="utf-8")


def pending_autosave() -> str | None:
    """The origin of an autosave left by a session that did not close ("" if
    it was untitled), or None when there is none."""
    data, source = autosave_paths()
    if not data.exists():
        return None
    return source.read_text(encoding="utf-8").strip() if source.exists() else ""


def read_autosave() -> ModelDocument:
    """Raises ModelFileError when the side file cannot be read."""
    return load_model(autosave_paths()[0])


def clear_autosave() -> None:
    for p in autosave_paths():
        p.unlink(missing_ok=True)


__all__ = ["AUTOSAVE_MS", "state_dir", "autosave_paths", "write_autosave", "pending_autosave",
           "read_autosave", "clear_autosave"]
