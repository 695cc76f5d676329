"""The autosave side files: each window writes its modified network to a
side file of its own every minute, and after a crash the next start finds
it and offers to restore it.

A window's side file is ``autosave-<pid>-<n>.json`` (with ``-source.txt``
naming the file it was opened from) in :func:`state_dir`, guarded by a
lock file the window holds while the side file exists. A living window's
lock stays held, so another window never offers its work; a process that
ended without cleaning up (a crash, SIGKILL) leaves a lock that names a
dead process, which the next window to start takes over (:func:`claim_leftover`):
offered once, by that window alone.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QStandardPaths

from nnbuilder.core.files.modelfile import ModelDocument, load_model, save_model

# A modified network is written this often (NNBUILDER_AUTOSAVE_MS overrides,
# e.g. in tests that kill the window): a crash loses at most this much work.
AUTOSAVE_MS = int(os.environ.get("NNBUILDER_AUTOSAVE_MS", "60000"))

_numbers = itertools.count(1)  # the windows of this process


def state_dir() -> Path:
    """Where autosaves live: ``NNBUILDER_STATE_DIR`` if set, else the
    application's folder in ``XDG_STATE_HOME`` (``~/.local/state/nnbuilder/nnbuilder``),
    so each user or session with folders of its own sees only its own."""
    d = os.environ.get("NNBUILDER_STATE_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.StateLocation) or str(Path.home() / ".nnbuilder")
    path = Path(d)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _legacy_dir() -> Path | None:
    """Where autosaves lived before (the application's folder in
    ``XDG_DATA_HOME``): a crash's side file left there is still offered."""
    if os.environ.get("NNBUILDER_STATE_DIR"):
        return None
    d = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(d) if d and Path(d).is_dir() else None


class SideFile:
    """One window's autosave: the model, its origin and the lock that says
    a living window owns them (held from the first write until ``clear``)."""

    def __init__(self, stem: str, folder: Path | None = None):
        self._stem, self._folder = stem, folder  # (the folder is made at the first use)
        self._lock: QLockFile | None = None

    @property
    def model_path(self) -> Path:
        return self.folder / f"{self._stem}.json"

    @property
    def source_path(self) -> Path:
        return self.folder / f"{self._stem}-source.txt"

    @property
    def folder(self) -> Path:
        """Raises OSError when it cannot be made."""
        if self._folder is None:
            self._folder = state_dir()
        return self._folder

    @classmethod
    def new(cls) -> "SideFile":
        """A side file of this window's own, named by process and window."""
        return cls(f"autosave-{os.getpid()}-{next(_numbers)}")

    def paths(self) -> tuple[Path, Path]:
        """(the model, a text file naming the file it was opened from)."""
        return self.model_path, self.source_path

    def _take(self) -> bool:
        """Hold the lock (True), unless another living window holds it."""
        if self._lock is None:
            self._lock = QLockFile(str(self.folder / f"{self._stem}.lock"))
            self._lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
        return self._lock.isLocked() or self._lock.tryLock(0)

    def write(self, model: ModelDocument, origin: str | None) -> None:
        """Raises NNBuilderError or OSError when it cannot write."""
        if not self._take():
            raise OSError(f"{self.model_path.name} belongs to another window")
        save_model(self.model_path, model)
        self.source_path.write_text(origin or "", encoding="utf-8")

    def origin(self) -> str:
        """The file the autosaved network was opened from ("" if untitled)."""
        try:
            return self.source_path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def read(self) -> ModelDocument:
        """Raises ModelFileError when the side file cannot be read."""
        return load_model(self.model_path)

    def clear(self) -> None:
        """Remove the side file, then let go of it (nothing, unless this holds it)."""
        if self._lock is None or not self._lock.isLocked():
            return
        for p in self.paths():
            p.unlink(missing_ok=True)
        self._lock.unlock()


def claim_leftover() -> SideFile | None:
    """The newest side file left by a window whose process ended without
    clearing it, now held by the caller (so no other window offers it too);
    None when there is none. A living window's side file is never claimed."""
    try:
        folders = [state_dir()]
    except OSError:  # nowhere to keep autosaves: none was left either
        folders = []
    legacy = _legacy_dir()
    if legacy is not None and legacy not in folders:
        folders.append(legacy)
    for folder in folders:
        side = _claim_in(folder)
        if side is not None:
            return side
    return None


def _claim_in(folder: Path) -> SideFile | None:
    """:func:`claim_leftover` in one folder."""
    found = []
    for path in folder.glob("autosave*.json"):
        try:
            found.append((path.stat().st_mtime, path.stem))
        except OSError:  # cleared meanwhile
            pass
    for _, stem in sorted(found, reverse=True):
        side = SideFile(stem, folder)
        if side._take():
            if side.model_path.exists():
                return side
            side.clear()  # its window cleared it and closed meanwhile
    for lock in folder.glob("autosave*.lock"):  # a crash between taking a lock and writing
        if not lock.with_suffix(".json").exists():
            side = SideFile(lock.stem, folder)
            if side._take():
                side.clear()
    return None


__all__ = ["AUTOSAVE_MS", "state_dir", "SideFile", "claim_leftover"]
