"""An engineer's trial leftovers of issue 20, through the real window: the
title names the data, a layer added with Output selected goes before it,
the plots follow an ONNX import, a divergence leaves the loss curve
readable, the many-classes confusion matrix, the output view for many
inputs."""
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from test_gui_wide_views import import_csv, write_images

WAIT = 20000


def test_the_title_names_the_file_and_the_data(qtbot, window, tmp_path, monkeypatch):
    w = window
    assert w.windowTitle() == "Example: circle · data: circle[*] — nnbuilder"
    write_images(tmp_path / "cancer.csv")
    import_csv(qtbot, w, tmp_path / "cancer.csv", monkeypatch)
    qtbot.waitUntil(lambda: w.data.dataset is not None and w.data.dataset.X.shape[1] == 64, timeout=WAIT)
    assert w.windowTitle() == "Example: circle · data: cancer.csv[*] — nnbuilder"
    w.document.undo_stack.undo()
    qtbot.waitUntil(lambda: "data: circle" in w.windowTitle(), timeout=WAIT)


def test_a_layer_added_with_output_selected_goes_before_it_in_one_step(qtbot, window):
    """Output feeds nothing: the new Dense layer lands between Output and its
    input, connected both ways, Output moved right; one undo puts it all back."""
    from test_gui_palette import boxes_overlap, press_enter_on

    w = window
    g = w.document.graph
    out = g.nodes_of_type("output")[0].id
    (before,) = g.inputs_of(out)
    edges, positions = sorted((e.source, e.target) for e in g.edges), {n: g.nodes[n].position for n in g.nodes}
    w.select_node(out)
    new = press_enter_on(qtbot, w, "dense")
    assert g.inputs_of(new) == [before] and g.inputs_of(out) == [new] and g.outputs_of(new) == [out]
    assert g.nodes[before].position[0] < g.nodes[new].position[0] < g.nodes[out].position[0]
    assert not any(boxes_overlap(g, new, n) for n in g.nodes if n != new)
    assert [p for p in g.validate() if p.severity == "error"] == []
    assert w.document.undo_stack.undoText() == "Insert Dense"
    w.document.undo_stack.undo()
    assert new not in g.nodes and sorted((e.source, e.target) for e in g.edges) == edges
    assert {n: g.nodes[n].position for n in g.nodes} == positions
