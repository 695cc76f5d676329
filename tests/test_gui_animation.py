"""File > Export > Animation… in the window: train, pause, export the run
as a GIF (with the loss curve and the diagram) from the timeline's moments,
with a progress bar; Cancel leaves no file.

The GIF is read back by the block walk and Qt's decoder of
tests/test_animation.py; the frame of the run now is compared with the image
the window's output view shows of the same weights.
"""
import re

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPushButton

from nnbuilder.gui.window.animation import AnimationDialog, AnimationSettings, pick_moments
from nnbuilder.gui.window.mainwindow import MainWindow
from test_animation import gif_blocks, qt_frames

WAIT = 60000


def train_until(qtbot, w, step):
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.run.snapshot is not None and w.run.snapshot.step >= step, timeout=WAIT)
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.run.snapshot.running and w.run.settled, timeout=WAIT)
    qtbot.waitUntil(lambda: w.curves.timeline.isEnabled(), timeout=WAIT)
    return w.run.snapshot


def test_export_animation_writes_the_runs_moments_in_the_windows_colours(qtbot, window, tmp_path, monkeypatch):
    w = window
    path = tmp_path / "run.gif"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    monkeypatch.setattr(AnimationDialog, "ask",
                        classmethod(lambda cls, parent, moments: AnimationSettings(frames=8, diagram=True)))
    w.act_export_animation.trigger()  # before any run: nothing to animate, and it says so
    assert "Train first" in w.statusBar().currentMessage() and not path.exists()

    snap = train_until(qtbot, w, 400)
    steps = w.run.state.timeline[:, 0]
    now = snap.step > steps[-1]
    expected = len(pick_moments(steps, 8 - now)) + now
    assert expected == 8
    window_rgba = w.boundary.last_rgba.copy()  # the output view of the run now, as the window draws it
    with qtbot.waitSignal(w.animation.finished, timeout=WAIT) as done:
        w.act_export_animation.trigger()
        assert w.animation.progress is not None and w.animation.progress.maximum() == expected
    assert done.args == [[str(path)]]
    assert f"Exported an animation of {expected} frames" in w.statusBar().currentMessage()
    blocks = gif_blocks(path.read_bytes())
    frames = qt_frames(path)
    assert len(blocks["frames"]) == len(frames) == expected
    width, height = blocks["size"]
    assert width > 320 + 100 and height > 320 + 120  # the view, the diagram beside it, the loss under it
    top = height - 320 - 120
    res = window_rgba.shape[0]
    cells = (np.arange(320) * res) // 320
    shown = window_rgba[::-1][cells][:, cells, :3].astype(int)
    last = frames[-1][top:top + 320, :320].astype(int)
    assert (np.abs(last - shown).max(axis=2) <= 4).mean() > 0.75  # but the points and the boundary line
    first = frames[0][top:top + 320, :320].astype(int)
    assert (np.abs(first - last).max(axis=2) > 30).mean() > 0.05  # the run moved the boundary
    diagram_first, diagram_last = frames[0][:, 320:], frames[-1][:, 320:]
    assert not np.array_equal(diagram_first, diagram_last)  # the diagram's weights moved too
    # The window shows the run as it is again, and it still trains.
    qtbot.waitUntil(lambda: w.run.settled, timeout=WAIT)
    for (src, dst), edge in w.scene.edge_items.items():
        if edge.weights is not None:
            np.testing.assert_array_equal(edge.weights, w.run.snapshot.weights[dst][0])
    assert w.play_button.isEnabled()


def test_cancel_removes_the_animation(qtbot, window, tmp_path, monkeypatch):
    w = window
    out = tmp_path / "out"  # a folder of its own: the window's settings live in tmp_path too
    out.mkdir()
    path = out / "cancelled.gif"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    train_until(qtbot, w, 400)

    def fill_dialog():  # what a person does in the dialog: 40 frames, OK
        d = QApplication.activeModalWidget()
        assert isinstance(d, AnimationDialog)
        d.frames.setValue(40)
        d.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, fill_dialog)
    w.act_export_animation.trigger()
    p = w.animation.progress
    assert p is not None and p.maximum() >= 30
    qtbot.waitUntil(lambda: p.value() >= 2, timeout=WAIT)
    assert list(out.iterdir()) == [out / "cancelled.gif.part"]  # written as it goes
    with qtbot.waitSignal(w.animation.finished, timeout=WAIT) as done:
        qtbot.mouseClick(p.findChild(QPushButton), Qt.MouseButton.LeftButton)
    assert done.args == [[]]
    assert list(out.iterdir()) == []
    assert "cancelled" in w.statusBar().currentMessage()
    assert w.animation.progress is None and w.animation.refusal() is None  # another can start


def test_a_moment_looked_at_is_shown_again_after_the_export(qtbot, window, tmp_path, monkeypatch):
    w = window
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(tmp_path / "seq.png"))
    monkeypatch.setattr(AnimationDialog, "ask",
                        classmethod(lambda cls, parent, moments: AnimationSettings(frames=4, loss=False)))
    train_until(qtbot, w, 300)
    slider = w.curves.timeline.slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    for _ in range(3):
        qtbot.keyClick(slider, Qt.Key.Key_Right)
    looked = int(w.run.state.timeline[3, 0])
    qtbot.waitUntil(lambda: w.timeline._drawn == looked, timeout=WAIT)
    moment_image = w.boundary.last_rgba.copy()
    with qtbot.waitSignal(w.animation.finished, timeout=WAIT) as done:
        w.act_export_animation.trigger()
    paths = done.args[0]
    assert len(paths) == 4 and all((tmp_path / f"seq_{i:04d}.png").exists() for i in range(1, 5))
    first = qt_frames(paths[0])[0]
    assert first.shape[1] == 320 and first.shape[0] < 320 + 40  # no loss curve
    # The moment looked at is back on the output view (the export's answers drew the live run).
    qtbot.waitUntil(lambda: w.timeline.step == looked and w.run.state.moment.step == looked
                    and np.array_equal(w.boundary.last_rgba, moment_image), timeout=WAIT)


def test_one_dimensional_data_animates_its_fitted_curve(qtbot, window, tmp_path, monkeypatch):
    from pathlib import Path

    w = window
    examples = Path(__file__).resolve().parents[1] / "resources" / "examples"
    assert w.files.open_file(str(examples / "sine.json"), ask_to_save=False)
    qtbot.waitUntil(lambda: w.data.dataset is not None and w.data.dataset.X.shape[1] == 1, timeout=WAIT)
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(tmp_path / "sine"))  # no suffix
    monkeypatch.setattr(AnimationDialog, "ask",
                        classmethod(lambda cls, parent, moments: AnimationSettings(frames=3, loss=False)))
    train_until(qtbot, w, 200)
    with qtbot.waitSignal(w.animation.finished, timeout=WAIT) as done:
        w.act_export_animation.trigger()
    assert done.args == [[str(tmp_path / "sine.gif")]]  # a GIF when the name says nothing
    frames = qt_frames(tmp_path / "sine.gif")
    assert len(frames) == 3
    curve = np.array([0x08, 0x77, 0xBD])  # the fitted curve's pen, as on screen
    blue = [(np.abs(f.astype(int) - curve).max(axis=2) <= 6) for f in frames]
    assert all(b.sum() > 300 for b in blue)  # a curve across the view in every frame
    assert (blue[0] != blue[-1]).sum() > 300  # that moved as the network learned the sine


def test_a_folder_that_does_not_exist_is_an_error_and_leaves_the_window_as_it_was(qtbot, window, tmp_path,
                                                                                   monkeypatch):
    w = window
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(tmp_path / "gone" / "run.gif"))
    monkeypatch.setattr(AnimationDialog, "ask",
                        classmethod(lambda cls, parent, moments: AnimationSettings(frames=3)))
    train_until(qtbot, w, 100)
    with w.expect_errors() as errors, qtbot.waitSignal(w.animation.finished, timeout=WAIT) as done:
        w.act_export_animation.trigger()
    assert done.args == [[]] and errors[-1][0] == "Cannot export" and "gone" in errors[-1][1]
    assert not (tmp_path / "gone").exists() and not list(tmp_path.rglob("*.gif*")) and w.animation.progress is None
    assert w.animation.refusal() is None and w.play_button.isEnabled()


def test_after_a_divergence_the_last_frame_is_captioned_with_the_restored_weights(qtbot, make_window, tmp_path,
                                                                                  monkeypatch):
    """A teacher's trial: the window said "Restored: epoch 6 · step 6 loss
    144.4", the GIF's last frame "epoch 9.0 · step 9 · loss 144.4". The frame
    of the run now names the step and loss of the weights it draws."""
    import re
    from pathlib import Path

    from PySide6.QtWidgets import QDoubleSpinBox

    import nnbuilder.gui.window.animation as animation
    from test_gui_stale import type_into
    from guitools import wait_drawn

    examples = Path(__file__).resolve().parents[1] / "resources" / "examples"
    w = make_window(str(examples / "linear_regression.json"))
    type_into(qtbot, w.findChild(QDoubleSpinBox, "learningRateSpin"), "0.5")
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    s = wait_drawn(qtbot, w, lambda s: s.divergence is not None and not s.running, running=None)
    qtbot.waitUntil(lambda: w.run.settled and w.curves.timeline.isEnabled(), timeout=WAIT)
    d = s.divergence
    assert d["restored_step"] < s.step
    captions = []
    real = animation.moment_caption
    monkeypatch.setattr(animation, "moment_caption", lambda *a: captions.append(real(*a)) or captions[-1])
    path = tmp_path / "run.gif"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    monkeypatch.setattr(AnimationDialog, "ask",
                        classmethod(lambda cls, parent, moments: AnimationSettings(frames=4)))
    with qtbot.waitSignal(w.animation.finished, timeout=WAIT):
        w.act_export_animation.trigger()
    last = captions[-1]
    assert f"step {d['restored_step']:,} ·" in last and f"loss {d['restored_loss']:.4g}" in last, last
    assert not re.search(rf"step {s.step:,}\b", last), last


def test_the_diagram_beside_the_animation_is_cropped_to_the_network_and_the_frames_are_as_asked(
        qtbot, window, tmp_path, monkeypatch):
    """A teacher's trial: the XOR lesson's network animated with the diagram
    gave a GIF 1529 px wide, mostly empty columns, and 10 frames where 11 were
    asked. The diagram is now as tall as the output view (at most), cropped to
    what it draws; the dialog offers no more frames than there are, and gives those asked."""
    w = window
    w.show_lessons()
    w.lessons.start("02-xor")
    w.lessons.next()  # two hidden units: a wide, flat diagram
    path = tmp_path / "xor.gif"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    monkeypatch.setattr(AnimationDialog, "ask",
                        classmethod(lambda cls, parent, moments: AnimationSettings(frames=11, diagram=True)))
    train_until(qtbot, w, 300)
    with qtbot.waitSignal(w.animation.finished, timeout=WAIT):
        w.act_export_animation.trigger()
    blocks = gif_blocks(path.read_bytes())
    frames = qt_frames(path)
    assert len(blocks["frames"]) == len(frames) == 11
    width, height = blocks["size"]
    assert width <= 320 + 4 * 320, (width, height)  # the diagram at most four times as wide as the view is tall
    paper = frames[-1][0, -1].astype(int)  # the frame's background (a corner)
    diagram = frames[-1][:, 320:].astype(int)
    empty = (np.abs(diagram - paper).max(axis=2) <= 8).all(axis=0)  # columns of the background alone
    assert empty.mean() < 0.15, (empty.mean(), width)
    rows = (np.abs(diagram - paper).max(axis=2) > 8).any(axis=1)
    assert rows.mean() > 0.2  # the network is drawn, not a thin strip

    # The dialog: no more frames than the timeline's moments and the run now.
    available = len(w.animation.moments(1 << 30))
    d = AnimationDialog(w, available)
    assert d.frames.maximum() == available and str(available) in d.frames.suffix()
    d.frames.setValue(available + 5)
    assert d.settings().frames == available
    d.deleteLater()


def test_each_frame_of_the_diagram_shows_the_picked_samples_numbers_of_its_moment(qtbot, window, tmp_path,
                                                                                monkeypatch):
    """A teacher's trial: the XOR lesson trained, a weight picked, the GIF's
    diagram showed the sample's end-of-run values (Output 0.9876) in every
    frame, though at epoch 0 that output was 0.4232. Each frame's badges are
    now a forward pass of that frame's weights; the caption is large enough
    for a slide and says whole epochs."""
    w = window
    w.show_lessons()
    w.lessons.start("02-xor")
    w.lessons.next()
    path = tmp_path / "xor.gif"
    monkeypatch.setattr(MainWindow, "_ask_save_path", lambda self, *a: str(path))
    monkeypatch.setattr(AnimationDialog, "ask",
                        classmethod(lambda cls, parent, moments: AnimationSettings(frames=6, diagram=True)))
    train_until(qtbot, w, 300)
    dense = next(n for n in w.run.document.graph.nodes if n not in ("input", "output")
                 and w.run.snapshot.weights.get(n, (None,))[0] is not None)
    w.learn.select_row(1)  # x1 = 0, x2 = 1 (the trial's sample is any: the numbers change with the weights)
    w.learn.select_weight(dense, 0, 0)
    qtbot.waitUntil(lambda: w.learn.explanation is not None, timeout=WAIT)
    drawn = []  # (weights, badge values) on the diagram as each frame was written
    from nnbuilder.core.files.animation import AnimationFile
    real_add = AnimationFile.add

    shown = []  # the weights the diagram was last given
    real_live = w.scene.show_live
    monkeypatch.setattr(w.scene, "show_live", lambda weights, *a, **k: (shown.append(weights),
                                                                        real_live(weights, *a, **k)))

    def add(self, rgb):
        drawn.append((shown[-1], {nid: item.values.copy() for nid, item in w.scene.sample_items.items()
                              if item.isVisible()}))
        return real_add(self, rgb)

    monkeypatch.setattr(AnimationFile, "add", add)
    captions = []
    import nnbuilder.gui.window.animation as animation
    real_caption = animation.moment_caption
    monkeypatch.setattr(animation, "moment_caption", lambda *a: captions.append(real_caption(*a)) or captions[-1])
    with qtbot.waitSignal(w.animation.finished, timeout=WAIT):
        w.act_export_animation.trigger()
    frames_drawn = drawn
    assert len(frames_drawn) == 6
    x = w.data.dataset.X[1].astype(float)
    outputs = []
    for weights, values in frames_drawn:
        (W1, b1), (W2, b2) = weights[dense], weights["output"]
        h = np.tanh(x @ W1 + b1)
        out = 1 / (1 + np.exp(-(h @ W2 + b2)))
        np.testing.assert_allclose(values[dense], h, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(values["output"], out, rtol=1e-6, atol=1e-9)
        outputs.append(float(out[0]))
    assert abs(outputs[0] - outputs[-1]) > 0.05  # the first frame's output is not the run's end
    frames = qt_frames(path)
    badge = [f[:, 320:] for f in frames]
    assert not np.array_equal(badge[0], badge[-1])
    # The caption: whole epochs, letters at least 12 px tall on a frame ~460 px tall.
    assert all(re.match(r"epoch \d[\d,]* · step", c) for c in captions), captions
    ink = (np.abs(frames[0].astype(int) - frames[0][-1, -1].astype(int)).max(axis=2) > 60)
    top_rows = np.flatnonzero(ink[:40, :200].any(axis=1))
    assert len(top_rows) and top_rows[-1] - top_rows[0] + 1 >= 12, top_rows
