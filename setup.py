"""The package layout; everything else is in pyproject.toml.

The app's own files stay in ``resources/`` at the top of the repository, and
install as the package ``nnbuilder.resources`` (read through
``nnbuilder.core.resources``): every subfolder and every file in it, so new
examples, lessons or icons ship without touching this file. A wheel copies
them; an editable install (``pip install -e .``) maps the package onto the
repository's folder. pyproject.toml cannot list discovered packages plus one
mapped folder, hence this file.
"""
from setuptools import find_namespace_packages, find_packages, setup

RESOURCE_PACKAGES = ["nnbuilder.resources"] + [
    f"nnbuilder.resources.{sub}" for sub in find_namespace_packages("resources")
    if "__pycache__" not in sub.split(".")]

setup(
    packages=find_packages(include=["nnbuilder", "nnbuilder.*"]) + RESOURCE_PACKAGES,
    package_dir={"nnbuilder.resources": "resources"},
    package_data={package: ["*"] for package in RESOURCE_PACKAGES},
)
