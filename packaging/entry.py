"""The bundle's entry point (PyInstaller runs this file as __main__).

The frozen executable is the ``nnbuilder`` command; it also serves as the
live-training worker when the window starts it with ``WORKER_FLAG`` (a frozen
app has no interpreter to run ``python -c``): see
:func:`nnbuilder.core.worker.worker_command`.
"""
import sys

from nnbuilder.core.worker import WORKER_FLAG, serve_fd

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == WORKER_FLAG:
        serve_fd(int(sys.argv[2]))
        sys.exit(0)
    from nnbuilder.cli import main

    sys.exit(main())
