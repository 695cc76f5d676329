"""Guards against PySide6 releases with defects the app meets (see
pyproject.toml): 6.12.0 on CPython 3.11 drops a reference to True on every
Signal.emit() and aborts with "Fatal Python error: bool_dealloc" after a few
hundred to a few thousand emits; 6.10 and 6.11 leave a stale tab bar of a
dock area's second tab group on screen."""
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


def test_a_second_tab_group_in_a_dock_area_leaves_no_stale_tab_bar(qapp):
    """Plain Qt, no nnbuilder: five docks in the bottom area, two of them
    tabbed, then two more. PySide6 6.10 and 6.11 keep a third tab bar, the
    second group's first one, visible with its old tabs (the window showed
    pieces of it over its panels); each group has one."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTabBar

    w = QMainWindow()
    w.setCentralWidget(QLabel("centre"))
    docks = []
    for name in "abcde":
        dock = QDockWidget(name, w)
        dock.setObjectName(name)
        dock.setWidget(QLabel(name))
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        docks.append(dock)
    w.tabifyDockWidget(docks[0], docks[1])
    w.tabifyDockWidget(docks[2], docks[3])
    w.tabifyDockWidget(docks[3], docks[4])
    w.resize(900, 600)
    w.show()
    qapp.processEvents()
    w.restoreState(w.saveState())  # as Reset layout does
    qapp.processEvents()
    bars = [b for b in w.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if b.isVisibleTo(w) and b.count()]
    assert sorted([b.tabText(i) for i in range(b.count())] for b in bars) == [["a", "b"], ["c", "d", "e"]]
    w.close()
