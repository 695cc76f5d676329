"""Titles that say what is shown and show all of it (issue 19, point 4):
the confusion matrix names the rows it counts, its title is not cut, and
the panels' tabs keep their titles when the Problems tab counts problems."""
from PySide6.QtWidgets import QApplication, QTabBar

from nnbuilder.core.resources import resource
from screencheck import plot_text_problems, tab_problems
from test_gui_window_sizes import resize, settle

WAIT = 20000


def train_to(qtbot, w, epochs):
    w.run.toggle_play()
    qtbot.waitUntil(lambda: w.run.snapshot is not None and w.run.snapshot.epoch >= epochs, timeout=WAIT)
    w.run.toggle_play()
    qtbot.waitUntil(lambda: w.drawn is not None and w.drawn is w.run.snapshot and not w.drawn.running,
                    timeout=WAIT)


def test_the_confusion_matrix_says_train_when_there_is_no_test_set(qtbot, make_window):
    w = make_window(str(resource("examples", "iris.json")))
    resize(qtbot, w, 1024, 700)
    w.training_panel.split.setValue(1.0)  # every row trains: no test set
    QApplication.processEvents()
    train_to(qtbot, w, 3)
    title = w.curves.confusion.plotItem.titleLabel.text
    assert "train" in title and "test" not in title
    settle(qtbot)  # the panel laid out again for the new title
    image = w.grab().toImage()
    assert plot_text_problems(w.curves.confusion, w, image) == []  # all of it on the plot
    w.training_panel.split.setValue(0.5)
    QApplication.processEvents()
    train_to(qtbot, w, w.run.snapshot.epoch + 2)
    assert "test" in w.curves.confusion.plotItem.titleLabel.text
    settle(qtbot)
    assert plot_text_problems(w.curves.confusion, w, w.grab().toImage()) == []


def test_tab_titles_are_whole_with_problems_counted(qtbot, make_window):
    w = make_window()
    resize(qtbot, w, 1024, 700)
    graph = w.document.graph
    out = graph.nodes_of_type("output")[0].id
    w.document.remove(edges=[e for e in graph.edges if e.target == out])  # the output is cut off: a problem
    settle(qtbot)
    assert "(" in w.docks["problemsDock"].windowTitle()
    image = w.grab().toImage()
    bars = [b for b in w.findChildren(QTabBar) if b.isVisible() and b.count()]
    assert bars
    for bar in bars:
        assert tab_problems(bar, w, image) == []
