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

__all__ = ["resource", "resource_root"]

#: ``resources/`` of a source tree, for a clone run without installing it.
_SOURCE_TREE = Path(__file__).resolve().parents[2] / "resources"


@lru_cache(maxsize=1)
def resource_root() -> Path:
    """The folder holding the app's files (``examples/``, ``data/``, ...)."""
    try:
        root = importlib.resources.files("nnbuilder.resources")
    except ModuleNotFoundError:
        return _SOURCE_TREE
    if not isinstance(root, Path):  # e.g. imported from a zip file: readers need real files
        raise RuntimeError(f"nnbuilder's resources are not in a folder ({root}); "
                           "install nnbuilder as a wheel or from a source tree")
    return root


def resource(*parts: str) -> Path:
    """The path of one of the app's files or folders, e.g.
    ``resource("examples", "circle.json")`` or ``resource("model.schema.json")``."""
    return resource_root().joinpath(*parts)
