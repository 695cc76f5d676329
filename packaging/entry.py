"""The bundle's entry point (PyInstaller runs this file as __main__).

The frozen executable is the ``nnbuilder`` command; it also serves as the
live-training worker when the window starts it with ``WORKER_FLAG FD`` (a
frozen app has no interpreter to run ``python -c``): see
:func:`nnbuilder.core.run.worker.worker_command`. The worker's modules are
imported only then, so the commands start no slower than the CLI's own.
"""
import sys

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1].startswith("--") and sys.argv[2].isdigit():
        from nnbuilder.core.run.worker import WORKER_FLAG, serve_fd

        if sys.argv[1] == WORKER_FLAG:
            serve_fd(int(sys.argv[2]))
            sys.exit(0)
    from nnbuilder.cli import main

    sys.exit(main())
