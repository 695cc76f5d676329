"""One autosave side file per window: a second window never offers to restore
the first one's work while it lives; a side file left by a process that
ended without cleaning up (a crash) is offered once, to one window."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnbuilder.core.files.modelfile import load_model
from nnbuilder.gui.window.mainwindow import MainWindow

# A process that writes a side file as a window does, then dies by SIGKILL:
# no clean-up, its lock names a process that no longer runs.
CRASHED = r"""
import os, signal, sys
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.files.modelfile import ModelDocument
from nnbuilder.gui.window.autosave import SideFile
side = SideFile.new()
side.write(ModelDocument(Graph.chain([3, 5, 1])), sys.argv[1])
print(side.paths()[0], flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def crashed_window(origin: str = ""):
    """The path of the side file a killed process left (a 3-5-1 network)."""
    r = subprocess.run([sys.executable, "-c", CRASHED, origin], capture_output=True, text=True,
                       env=dict(os.environ), timeout=120)
    assert r.returncode == -9, r.stderr
    path = r.stdout.strip()
    assert os.path.exists(path)
    return path


class Questions(list):
    answer = True


@pytest.fixture
def asked(monkeypatch):
    """The origins every restore question was asked about; answered by ``asked.answer``."""
    questions = Questions()

    def ask(self, origin):
        questions.append(origin)
        return questions.answer
    monkeypatch.setattr(MainWindow, "_ask_restore", ask)
    return questions


def widths(w):
    return sorted(w.document.graph.widths().values())


def test_a_second_window_never_offers_the_first_ones_work(make_window, asked):
    first = make_window(offer_restore=True)
    assert asked == []
    first.document.add_node("dropout", (800, 0))
    assert first.files.autosave()
    first_file = first.files.autosave_paths()[0]
    saved = first_file.read_text()

    second = make_window(offer_restore=True)
    assert second.files.offer_restore() is False  # asked again, not only at its start
    assert asked == []
    assert "dropout" not in {n.type for n in second.document.graph.nodes.values()}
    assert first_file.read_text() == saved  # the first window's work is as it was

    # Each window writes its own side file; closing one removes only its own.
    second.document.add_node("dense", (800, 0))
    assert second.files.autosave()
    second_file = second.files.autosave_paths()[0]
    assert second_file != first_file and second_file.exists() and first_file.read_text() == saved
    second.close()
    assert not second_file.exists() and first_file.exists()
    third = make_window(offer_restore=True)
    assert third.files.offer_restore() is False and asked == []
    first.close()
    assert not first_file.exists()


def test_a_crashed_process_side_file_is_offered_once_and_becomes_the_restorers(make_window, asked, qtbot):
    living = make_window()
    living.document.add_node("dropout", (800, 0))
    assert living.files.autosave()
    leftover = crashed_window(origin="/somewhere/mine.json")

    restorer = make_window(offer_restore=True)
    qtbot.waitUntil(lambda: len(asked) == 1)
    assert restorer.files.autosave_paths()[0] == Path(leftover)
    assert asked == ["/somewhere/mine.json"]  # the crashed one only, not the living window's
    assert widths(restorer) == [1, 3, 5] and restorer.document.modified and restorer.isWindowModified()
    assert restorer.document.path == "/somewhere/mine.json"
    # Offered once: the restorer holds it now, no later window asks about it.
    later = make_window(offer_restore=True)
    assert later.files.offer_restore() is False and asked == ["/somewhere/mine.json"]
    # The restored network's next autosave goes where it came from; a clean close removes it.
    restorer.document.add_node("dropout", (800, 0))
    assert restorer.files.autosave()
    assert "dropout" in {n.type for n in load_model(leftover).graph.nodes.values()}
    restorer.close()
    assert not os.path.exists(leftover) and living.files.autosave_paths()[0].exists()


def test_a_declined_leftover_goes_and_the_newest_comes_first(make_window, asked, qtbot):
    older = crashed_window()
    newer = crashed_window(origin="/somewhere/newer.json")
    os.utime(older, (1, 1))  # whatever the clock's resolution: this one is older
    asked.answer = False
    w = make_window(offer_restore=True)
    qtbot.waitUntil(lambda: len(asked) == 1)
    assert asked == ["/somewhere/newer.json"] and not os.path.exists(newer)
    assert widths(w) != [1, 3, 5] and not w.document.modified
    asked.answer = True
    again = make_window(offer_restore=True)
    qtbot.waitUntil(lambda: len(asked) == 2)
    assert asked == ["/somewhere/newer.json", ""] and widths(again) == [1, 3, 5]
    assert again.document.path is None and again.files.autosave_paths()[0] == Path(older)
    assert make_window(offer_restore=True).files.offer_restore() is False
    assert len(asked) == 2


def test_nowhere_to_autosave_is_a_status_message_not_a_broken_window(make_window, gui_env, monkeypatch):
    blocker = gui_env / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NNBUILDER_STATE_DIR", str(blocker / "state"))
    w = make_window(offer_restore=True)
    assert w.files.offer_restore() is False
    w.document.add_node("dropout", (800, 0))
    assert w.files.autosave() is False
    assert w.statusBar().currentMessage().startswith("Autosave failed: ")
    w.close()  # and closes without trouble
    assert not w.isVisible()


def left_behind(folder: Path) -> Path:
    """A side file a crashed window left in ``folder`` (a 3-5-1 network, no lock held)."""
    from nnbuilder.core.files.modelfile import ModelDocument, save_model
    from nnbuilder.core.model.graph import Graph

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "autosave-999999-1.json"
    save_model(path, ModelDocument(Graph.chain([3, 5, 1])))
    return path


def test_each_user_sees_only_the_autosaves_in_their_own_state_folder(make_window, asked, gui_env, monkeypatch, qtbot):
    """Autosaves go to XDG_STATE_HOME (NNBUILDER_STATE_DIR overrides it): two
    sessions with folders of their own never offer each other's work."""
    from nnbuilder.gui.window.autosave import state_dir

    monkeypatch.delenv("NNBUILDER_STATE_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(gui_env / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(gui_env / "alice"))
    alice = state_dir()
    assert alice.is_relative_to(gui_env / "alice")
    monkeypatch.setenv("XDG_STATE_HOME", str(gui_env / "bob"))
    assert state_dir().is_relative_to(gui_env / "bob")
    leftover = left_behind(alice)

    bob = make_window(offer_restore=True)  # Bob's start never sees Alice's crash
    assert bob.files.offer_restore() is False and asked == [] and leftover.exists()
    bob.document.add_node("dropout", (800, 0))
    assert bob.files.autosave()
    assert bob.files.autosave_paths()[0].is_relative_to(gui_env / "bob")

    monkeypatch.setenv("XDG_STATE_HOME", str(gui_env / "alice"))
    again = make_window(offer_restore=True)  # Alice's next start offers hers
    qtbot.waitUntil(lambda: len(asked) == 1)
    assert widths(again) == [1, 3, 5] and again.files.autosave_paths()[0] == leftover

    monkeypatch.setenv("NNBUILDER_STATE_DIR", str(gui_env / "mine"))
    assert state_dir() == gui_env / "mine"


def test_an_autosave_left_where_they_lived_before_is_still_offered(make_window, asked, gui_env, monkeypatch, qtbot):
    """Before XDG_STATE_HOME, autosaves lived in XDG_DATA_HOME: a crash's side
    file left there is offered at the first start after the change."""
    from PySide6.QtCore import QStandardPaths

    monkeypatch.delenv("NNBUILDER_STATE_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(gui_env / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(gui_env / "state-home"))
    old = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    assert old.is_relative_to(gui_env / "data")
    leftover = left_behind(old)
    w = make_window(offer_restore=True)
    qtbot.waitUntil(lambda: len(asked) == 1)
    assert widths(w) == [1, 3, 5] and w.files.autosave_paths()[0] == leftover
