"""The architecture rules: the import-linter contracts in pyproject.toml hold,
and the core (and the CLI) really run without Qt."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORE = ROOT / "nnbuilder" / "core"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "nnbuilder.gui", "shiboken6")


def test_import_contracts_hold():
    # The same check as `make test`'s lint-imports, so plain pytest runs it too.
    r = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
                        "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout
    for contract in ("The core is NumPy only", "The core's concerns are layered", "The window's rooms point one way",
                     "The CLI reaches the window only through nnbuilder.gui.app"):
        assert contract in r.stdout


def test_importing_every_core_module_and_cli_loads_no_qt():
    # Contracts read import statements; this catches what they cannot see
    # (importlib, __import__, a dependency that pulls Qt in by itself).
    modules = sorted(".".join(p.relative_to(CORE).with_suffix("").parts) for p in CORE.rglob("*.py")
                     if p.stem != "__init__")
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module('nnbuilder.core.' + m)\n"
            "import nnbuilder.cli\n"
            "nnbuilder.cli.build_parser()\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m.startswith('nnbuilder.gui')]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(modules) >= 10
