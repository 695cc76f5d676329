"""Guards against PySide6 6.12.0 on CPython 3.11, which drops a reference to
True on every Signal.emit() and aborts with "Fatal Python error: bool_dealloc"
after a few hundred to a few thousand emits (see pyproject.toml)."""
import subprocess
import sys
import textwrap

import PySide6


def test_installed_pyside6_is_not_the_broken_release():
    if sys.version_info[:2] == (3, 11):
        assert not PySide6.__version__.startswith("6.12."), PySide6.__version__


def test_100k_signal_emits_with_a_connected_slot_do_not_abort():
    # In a child process: the defect kills the interpreter, which would take
    # the whole test session with it.
    code = textwrap.dedent("""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QCoreApplication, QObject, Signal
        app = QCoreApplication([])
        class Source(QObject):
            changed = Signal(bool)
        got = []
        s = Source()
        s.changed.connect(lambda v: got.append(v))
        for i in range(100_000):
            s.changed.emit(i % 2 == 0)
        print(len(got), got.count(True))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["100000", "50000"]
