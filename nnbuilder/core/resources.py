"""Where the app's own files are: the package ``nnbuilder.resources``.

The repository keeps them in ``resources/`` at its top (examples, data, the
model schema, lessons, icons). ``setup.py`` installs that folder as the
package ``nnbuilder.resources``: a wheel copies it (every file of every
subfolder, so a new file ships without a packaging change), an editable
install (``pip install -e .``) maps the package name onto the repository's
folder. Every reader asks :func:`resource` for a path, so the same code works
from a clone, an installed wheel and a PyInstaller bundle (which collects the
package like any other). A clone that is not installed at all
(``PYTHONPATH=. python -m nnbuilder``) falls back to the repository's folder.
"""
from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

from .errors import NNBuilderError

__all__ = ["resource", "resource_root"]

MARKER = "model.schema.json"  # every installation has it
#: ``resources/`` of a source tree, for a clone run without installing it.
_SOURCE_TREE = Path(__file__).resolve().parents[2] / "resources"


@lru_cache(maxsize=1)
def resource_root() -> Path:
    """The folder holding the app's files (``examples/``, ``data/``, ...)."""
    try:
        root = importlib.resources.files("nnbuilder.resources")
    except ModuleNotFoundError:
        root = None
    for folder in (root, _SOURCE_TREE):
        # A real folder (not a zip file's), holding the files: a bundle may
        # carry the package's code without its files, or the reverse.
        if isinstance(folder, Path) and (folder / MARKER).is_file():
            return folder
    raise NNBuilderError(f"nnbuilder's own files are missing: no {MARKER} in {root or 'nnbuilder.resources'} "
                       f"or {_SOURCE_TREE}; reinstall nnbuilder")


def resource(*parts: str) -> Path:
    """The path of one of the app's files or folders, e.g.
    ``resource("examples", "circle.json")`` or ``resource("model.schema.json")``."""
    return resource_root().joinpath(*parts)
