"""The app's own files, installed as the package ``nnbuilder.resources``
(see setup.py); read them through ``nnbuilder.core.resources.resource``."""
