"""nnbuilder: build a neural network by drawing it, train it live, export it."""

# The one place the version is written: pyproject.toml reads it at build time.
__version__ = "0.1.0"


def version() -> str:
    """The installed distribution's version (what ``pip show nnbuilder`` says);
    ``__version__`` where there is no installed metadata (a clone run without
    installing it, a bundle built without the package's metadata)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("nnbuilder")
    except PackageNotFoundError:
        return __version__
