"""Command-line interface: everything the engine does, without a screen.

Exit status: 0 done; 2 bad input of any kind (one line on stderr);
3 ``train`` diverged (one line on stderr saying at which step, with which
learning rate and why; the output model file is not written, so a file it
names is left as it was); 130 interrupted.
Each command lives in a module of this package with a ``register(sub)``
function (see ``build_parser``); ``common`` holds what commands share. The
``gui`` command, the default, stays here: it is the CLI's one way to the
window (the import contract names this module).
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import sys

__all__ = ["main"]

from nnbuilder.cli.common import EXIT_BAD_INPUT, CliError, Parser

#: The commands of a session's work, listed first in ``--help`` in this
#: order; then ``gui``, then every other command module by name.
WORKFLOW = ("new", "info", "datasets", "train", "predict")


def cmd_gui(args) -> int:
    from nnbuilder.gui.app import has_display, run

    if not has_display():
        print("nnbuilder: no display (DISPLAY/WAYLAND_DISPLAY unset): run it as "
              "'xvfb-run nnbuilder' for a virtual screen, or use the CLI (nnbuilder --help)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    return run(getattr(args, "file", None), self_test=getattr(args, "self_test", False))


def _register_gui(sub) -> None:
    s = sub.add_parser("gui", help="open the desktop app")
    s.add_argument("file", nargs="?", metavar="FILE")
    s.add_argument("--self-test", action="store_true",
                   help="open the window, train the example briefly in the worker process, "
                        "close; exit 0 when all of it worked (make dist runs it on the bundle)")
    s.set_defaults(func=cmd_gui)


# ----------------------------------------------------------------------- main
def build_parser() -> Parser:
    from nnbuilder import version

    p = Parser(prog="nnbuilder", description="Build, train and export small neural networks.")
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    # Every module of this package that defines ``register(sub)`` adds its
    # own command(s): a new command is a new module, nothing else changes.
    modules = {info.name: importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__)}
    for name in WORKFLOW:
        modules.pop(name).register(sub)
    _register_gui(sub)
    for name in sorted(modules):
        if hasattr(modules[name], "register"):
            modules[name].register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from nnbuilder.core.errors import NNBuilderError

    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            return cmd_gui(args)
        return args.func(args)
    except (CliError, NNBuilderError) as e:
        print(f"nnbuilder: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. piped into head: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("nnbuilder: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
