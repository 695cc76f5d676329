"""The core is pure NumPy: importing all of it loads no Qt."""
import ast
import pathlib
import subprocess
import sys

CORE = pathlib.Path(__file__).resolve().parents[1] / "nnbuilder" / "core"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "nnbuilder.gui", "shiboken6")


def test_core_modules_import_no_qt_statically():
    offenders = []
    for path in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in
                          {f.split(".")[0] for f in FORBIDDEN} and not n.startswith("nnbuilder.core")]
    assert offenders == []


def test_importing_every_core_module_and_cli_loads_no_qt():
    modules = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module('nnbuilder.core.' + m)\n"
            "import nnbuilder.cli\n"
            "nnbuilder.cli.build_parser()\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m.startswith('nnbuilder.gui')]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(modules) >= 10
