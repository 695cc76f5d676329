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
