"""File > Examples and the dataset gallery's descriptions (issue 12, point 3)."""
import json
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QMenu, QToolTip

from nnbuilder.core.data.datasets import DATASETS
from nnbuilder.core.files.examples import DESCRIPTIONS, shipped_examples
from nnbuilder.core.files.modelfile import load_model
from nnbuilder.gui.data.gallery import PAINTED
from nnbuilder.gui.window.mainwindow import MainWindow

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def examples_menu(w) -> QMenu:
    return w.findChild(QMenu, "examplesMenu")


def test_every_shipped_example_has_one_line_and_the_file_menu_lists_them(window):
    files = sorted(p.stem for p in EXAMPLES.glob("*.json"))
    assert sorted(DESCRIPTIONS) == files  # a new example needs its line; no line for a file gone
    assert all(d and "\n" not in d and len(d) <= 90 for d in DESCRIPTIONS.values())
    menu = examples_menu(window)
    file_menu = window.findChild(QMenu, "fileMenu")
    assert window.menuBar().actions()[0] == file_menu.menuAction() and file_menu.title() == "&File"
    assert menu.menuAction() in file_menu.actions()  # under File
    texts = [a.text() for a in menu.actions()]
    assert texts == [f"{e.name}  —  {e.description}" for e in shipped_examples()]
    assert len(texts) == len(files)


def test_choosing_an_example_opens_it_untitled_after_the_unsaved_question(qtbot, make_window,
                                                                         monkeypatch):
    w = make_window()
    asked = []
    answer = ["cancel"]

    def ask(self):
        asked.append(self.document_name())
        return answer[0]
    monkeypatch.setattr(MainWindow, "_ask_unsaved", ask)
    w.document.set_params("dense1", units=3)  # unsaved work
    before = w.document
    action = next(a for a in examples_menu(w).actions() if a.objectName() == "example_xor")
    action.trigger()
    assert asked == ["Example: circle"] and w.document is before  # cancelled: nothing changed
    assert w.document.graph.nodes["dense1"].params["units"] == 3

    answer[0] = "discard"
    action.trigger()
    assert len(asked) == 2 and w.document is not before
    shipped = load_model(EXAMPLES / "xor.json")
    assert w.document.graph.to_dict()["nodes"] == shipped.graph.to_dict()["nodes"]
    assert w.document.dataset == shipped.dataset and w.training_panel.dataset.currentText() == "xor_table"
    assert w.document.path is None and w.windowTitle().startswith("Example: xor")
    assert "the smallest network that learns XOR" in w.statusBar().currentMessage()
    assert not w.document.modified  # nothing to ask about until it is changed

    # Saving asks where: the shipped file is never written over.
    original = (EXAMPLES / "xor.json").read_bytes()
    where = []
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: where.append(a) or "")
    w.files.save()
    assert where and (EXAMPLES / "xor.json").read_bytes() == original


def test_every_example_in_the_menu_opens(qtbot, make_window):
    w = make_window()
    actions, shipped = examples_menu(w).actions(), shipped_examples()
    assert len(actions) == len(shipped) > 0  # each checked below
    for action, ex in zip(actions, shipped):
        action.trigger()
        assert w.document_name() == f"Example: {ex.name}"
        on_disk = json.loads(ex.path.read_text())
        assert sorted(w.document.graph.nodes) == sorted(n["id"] for n in on_disk["graph"]["nodes"])
        assert w.run.refresh_ready() is None, ex.name  # each can train as it opens
    assert not w.errors


def hover_text(qtbot, widget, pos: QPoint) -> str:
    """What a person sees after resting the pointer at ``pos`` of ``widget``."""
    QToolTip.hideText()
    event = QHelpEvent(QEvent.Type.ToolTip, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)
    return QToolTip.text()


def test_the_dataset_gallery_shows_each_sets_description_on_hover(qtbot, window):
    gallery = window.training_panel.gallery
    seen = {}
    for i in range(gallery.count()):
        item = gallery.item(i)
        gallery.scrollToItem(item)
        rect = gallery.visualItemRect(item)
        seen[item.data(0x0100)] = hover_text(qtbot, gallery.viewport(), rect.center())
    assert set(seen) == set(DATASETS) | {PAINTED}
    for name, info in DATASETS.items():
        assert seen[name].startswith(f"{name}: {info.description}\n"), (name, seen[name])
    assert "no straight line separates the classes" in seen["xor_table"]
    assert "a fixed table of 4 rows" in seen["and"] and "500 samples by default" in seen["circle"]
    assert seen[PAINTED].startswith("painted: your own points")
