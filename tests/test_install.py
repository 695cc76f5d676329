"""A real install: the wheel carries everything the app reads, and the app
runs from it in a fresh virtual environment, away from the source tree.

The wheel is built from a copy of what a build reads (a build writes build/
and *.egg-info beside the sources) and installed into a new virtualenv without
the system's site-packages. Installing its dependencies there would download
or copy a few hundred MB (PySide6, NumPy, onnx) for every run, so the new
environment borrows them instead: a .pth file adds a folder of links to this
environment's site-packages, leaving out nnbuilder itself (the editable
install, which points into the repository) and every .pth file (the editable
install's finder among them). nnbuilder is installed with --no-deps before
that folder is added, so pip sees no other nnbuilder in the target. Every
command then runs from a third folder, with neither the repository nor the
copy on sys.path, and the test checks that the code, the examples, Iris and
the schema come from the new environment's site-packages.

An editable install of the copy (what ``make`` does with the repository) is
checked the same way: there the files must come from the copy's resources/
folder itself, so an example added after installing is seen at once.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import nnbuilder

ROOT = Path(__file__).resolve().parents[1]
# What a build reads (pyproject.toml names README.md as the long description).
BUILD_INPUTS = ("nnbuilder", "resources", "setup.py", "pyproject.toml", "README.md")
NEW_FOLDER_FILE = ("added_by_test", "note.txt")  # a folder the repository does not have


def _copy_sources(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    dest.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, dest / name)
    # A folder and file that exist only in this copy: whole folders ship.
    added = dest / "resources" / NEW_FOLDER_FILE[0] / NEW_FOLDER_FILE[1]
    added.parent.mkdir()
    added.write_text("shipped too\n")
    return dest


def _run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=240, **kw)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _pip(*args):
    return _run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args])


def _venv(folder: Path) -> tuple[Path, Path]:
    """A new virtualenv without pip or the system's site-packages:
    (its python, its site-packages)."""
    _run([sys.executable, "-m", "venv", "--without-pip", folder])
    cfg = (folder / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in cfg
    python = folder / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    return python, Path(site)


def _borrow_dependencies(site: Path, links: Path) -> None:
    """Let the environment at ``site`` import this one's packages, but not nnbuilder."""
    here = Path(sysconfig.get_paths()["purelib"])
    links.mkdir()
    for entry in here.iterdir():
        name = entry.name
        if name.startswith(("nnbuilder", "__editable__")) or name.endswith(".pth"):
            continue
        (links / name).symlink_to(entry)
    (site / "borrowed_dependencies.pth").write_text(f"{links}\n")


def _env(tmp: Path, venv: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"), NNBUILDER_STATE_DIR=str(tmp / "state"),
               QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    return env


# What the installed app reports about itself, and a window opened offscreen
# on an example, its data loaded, then closed.
PROBE = r"""
import json, sys
from PySide6.QtWidgets import QApplication
import nnbuilder
from nnbuilder.core.data.datasets import DATA_DIR
from nnbuilder.core.files.modelfile import SCHEMA_PATH
from nnbuilder.core.resources import resource, resource_root
from nnbuilder.gui.diagram.document import EXAMPLES_DIR
from nnbuilder.gui.window.mainwindow import MainWindow

app = QApplication(sys.argv[:1])
window = MainWindow(str(resource("examples", "iris.json")), offer_restore=False)
window.show()
for _ in range(20):
    app.processEvents()
report = {
    "package": nnbuilder.__file__, "version": nnbuilder.version(), "root": str(resource_root()),
    "examples": str(EXAMPLES_DIR), "data": str(DATA_DIR), "schema": str(SCHEMA_PATH),
    "example_names": sorted(p.name for p in EXAMPLES_DIR.glob("*.json")),
    "added": resource("added_by_test", "note.txt").is_file(),
    "title": window.windowTitle(), "nodes": len(window.document.graph.nodes),
    "rows": None if window.data.dataset is None else len(window.data.dataset),
    "data_error": window.data.error, "sys_path": sys.path,
}
window.close()
app.processEvents()
print(json.dumps(report))
"""


def _probe(python: Path, cwd: Path, env: dict) -> dict:
    return json.loads(_run([python, "-c", PROBE], cwd=cwd, env=env).stdout.strip().splitlines()[-1])


def check_readme_size(wheel: Path) -> None:
    """The README's "The wheel (about N KB" is the size of the wheel built, within 10%."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    said = int(re.search(r"The wheel \(about (\d+) KB", text).group(1))
    size = wheel.stat().st_size / 1024
    assert abs(size - said) <= 0.1 * size, f"the README says about {said} KB; the wheel is {size:.0f} KB"


def test_wheel_installs_and_runs_away_from_the_source_tree(tmp_path):
    src = _copy_sources(tmp_path / "src")
    wheels = tmp_path / "wheels"
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", wheels, src)
    (wheel,) = wheels.glob("nnbuilder-*.whl")
    check_readme_size(wheel)
    python, site = _venv(tmp_path / "venv")
    _pip("--python", python, "install", "--no-deps", "--no-index", "-q", wheel)
    _borrow_dependencies(site, tmp_path / "borrowed")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _env(tmp_path, tmp_path / "venv")
    exe = tmp_path / "venv" / "bin" / "nnbuilder"

    def cli(*args):
        return _run([exe, *args], cwd=elsewhere, env=env).stdout

    assert cli("--version").strip() == f"nnbuilder {nnbuilder.__version__}"

    sets = {d["name"]: d for d in json.loads(cli("datasets", "--json"))}
    assert sets["iris"]["samples"] == 150 and sets["iris"]["columns"] == 4

    cli("new", "4-8-3", "-o", "net.json")
    # split 1: the reported accuracy is over every row, which predict can check.
    result = json.loads(cli("train", "net.json", "--dataset", "iris", "--fit", "--split", "1",
                            "--epochs", "200", "-o", "trained.json", "--json"))
    assert result["train_accuracy"] >= 0.9, result

    cli("export", "trained.json", "--format", "torch", "-o", "net.py")  # from a template among the app's files
    assert (elsewhere / "net.py").read_text().startswith('#!/usr/bin/env python3\n"""net: ')
    installed_iris = site / "nnbuilder" / "resources" / "data" / "iris.csv"
    shutil.copy(installed_iris, elsewhere / "flowers.csv")
    cli("predict", "trained.json", "flowers.csv", "-o", "predicted.csv")
    with open(elsewhere / "flowers.csv", newline="") as fh:
        truth = list(csv.DictReader(fh))
    with open(elsewhere / "predicted.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == ["sepal_length", "sepal_width", "petal_length", "petal_width",
                                 "output1", "output2", "output3", "class", "label"]
    assert len(rows) == len(truth) == 150
    outputs = np.array([[float(r[f"output{k}"]) for k in (1, 2, 3)] for r in rows])
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-12)  # softmax
    assert [int(r["class"]) for r in rows] == outputs.argmax(axis=1).tolist()
    correct = sum(r["label"] == t["species"] for r, t in zip(rows, truth))
    assert correct / 150 == pytest.approx(result["train_accuracy"], abs=1e-12)

    report = _probe(python, elsewhere, env)
    package_dir = site / "nnbuilder"
    assert Path(report["package"]) == package_dir / "__init__.py"
    assert Path(report["root"]) == package_dir / "resources"
    assert Path(report["examples"]) == package_dir / "resources" / "examples"
    assert Path(report["data"]) == package_dir / "resources" / "data"
    assert Path(report["schema"]) == package_dir / "resources" / "model.schema.json"
    assert report["example_names"] == sorted(p.name for p in (ROOT / "resources" / "examples").glob("*.json"))
    assert report["added"], "a file in a new folder of resources/ was not installed"
    assert report["version"] == nnbuilder.__version__
    assert report["nodes"] >= 3 and report["rows"] == 150, report
    assert "iris.json" in report["title"]
    for entry in report["sys_path"]:  # ("" is the folder it ran in)
        folder = (elsewhere / entry).resolve()
        assert not folder.is_relative_to(src) and not folder.is_relative_to(ROOT), entry
    assert not list(site.glob("__editable__*"))  # a real install, not a link to the copy


def test_editable_install_reads_the_repository_folder(tmp_path):
    src = _copy_sources(tmp_path / "src")
    python, site = _venv(tmp_path / "venv")
    # The editable build runs setuptools in the new environment: borrow first.
    _borrow_dependencies(site, tmp_path / "borrowed")
    _pip("--python", python, "install", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-e", src)
    example = src / "resources" / "examples" / "added_after_install.json"
    shutil.copy(src / "resources" / "examples" / "xor.json", example)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _env(tmp_path, tmp_path / "venv")
    report = _probe(python, elsewhere, env)
    assert Path(report["package"]) == src / "nnbuilder" / "__init__.py"
    assert Path(report["root"]) == src / "resources"  # the folder itself, not a copy
    assert Path(report["schema"]) == src / "resources" / "model.schema.json"
    assert "added_after_install.json" in report["example_names"]
    assert report["rows"] == 150, report
    out = _run([tmp_path / "venv" / "bin" / "nnbuilder", "--version"], cwd=elsewhere, env=env).stdout
    assert out.strip() == f"nnbuilder {nnbuilder.__version__}"


def test_version_falls_back_without_installed_metadata(monkeypatch):
    """A clone run without installing it, or a bundle without the package's
    metadata: --version says the version written in nnbuilder/__init__.py."""
    import importlib.metadata

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert nnbuilder.version() == nnbuilder.__version__


def test_resources_fall_back_to_the_source_tree_then_say_what_is_missing(monkeypatch, tmp_path):
    import importlib.resources

    from nnbuilder.core import resources
    from nnbuilder.core.errors import NNBuilderError

    def no_package(name):
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(importlib.resources, "files", no_package)
    resources.resource_root.cache_clear()
    try:
        assert resources.resource_root() == ROOT / "resources"  # a clone, not installed
        resources.resource_root.cache_clear()
        monkeypatch.setattr(resources, "_SOURCE_TREE", tmp_path / "resources")
        with pytest.raises(NNBuilderError, match="model.schema.json"):
            resources.resource_root()
    finally:
        monkeypatch.undo()
        resources.resource_root.cache_clear()
    assert (resources.resource_root() / "model.schema.json").is_file()
