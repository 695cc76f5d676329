"""The training timeline in the window: train, pause, drag the slider under
the curves with the keyboard, see that moment on the output view, the
diagram and the curves, Continue from here, Train on.

What the window shows is checked against a trainer of the core run here in
one go for the same number of steps (same network, data, settings and seed):
a moment is exactly the run's state after its step, and the run trained on
from it is exactly the original run.
"""
import numpy as np
from PySide6.QtCore import Qt

from nnbuilder.core.files.modelfile import load_model
from nnbuilder.core.engine.trainer import Trainer
from guitools import slide_to

WAIT = 30000


def snap(w):
    return w.run.snapshot


def pause(qtbot, w):
    if snap(w).running:
        qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not snap(w).running, timeout=WAIT)


def train_until(qtbot, w, step):
    qtbot.mouseClick(w.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(w) is not None and snap(w).step >= step, timeout=WAIT)
    pause(qtbot, w)
    return snap(w)


def reference(w, keep):
    """A trainer of the window's run, built from its document and data, not through the worker."""
    prepared = w.run.prepared()
    return Trainer(prepared.network.detached(), prepared.data, w.document.training, w.document.seed, keep=keep)


def edge_weights(w) -> dict:
    """The weights the diagram's lines show, by target node."""
    return {dst: edge.weights for (src, dst), edge in w.scene.edge_items.items() if edge.weights is not None}


def test_look_back_continue_from_a_moment_and_train_on(qtbot, window, tmp_path, monkeypatch):
    keep = window.document.fitting_weights()  # what the run starts from
    bar = window.curves.timeline
    assert not bar.isEnabled()  # no run yet
    live = train_until(qtbot, window, 300)
    qtbot.waitUntil(lambda: bar.isEnabled() and bar.now == len(window.run.state.timeline), timeout=WAIT)
    moments = window.run.state.timeline
    steps = moments[:, 0]
    assert steps[0] == 0 and live.step - steps[-1] < 25 and len(steps) >= 12  # the whole run
    assert np.ptp(np.diff(steps)) == 0  # evenly
    assert bar.at_now() and not bar.continue_here.isEnabled() and bar.readout.text().startswith("now")

    outputs = []
    set_output = window.boundary.set_output
    monkeypatch.setattr(window.boundary, "set_output", lambda o, *a, **k: (outputs.append(o), set_output(o, *a, **k)))
    index = len(steps) // 2 + 3
    slide_to(qtbot, bar.slider, index)
    target = int(steps[index])
    qtbot.waitUntil(lambda: window.timeline._drawn == target, timeout=WAIT)
    ref = reference(window, keep)
    ref.run(target)
    expected = ref.network.unflatten(ref.network.theta)
    # The diagram and the output view show the moment's weights ...
    shown = edge_weights(window)
    assert shown.keys() == expected.keys()
    for nid, W in shown.items():
        np.testing.assert_array_equal(W, expected[nid][0])
    grid, _ = window.live.grids()
    np.testing.assert_allclose(outputs[-1], ref.network.predict(grid.features(ref.network)), rtol=1e-6, atol=1e-7)
    # ... the curves mark it, the bar names it ...
    assert all(line.isVisible() and line.value() == moments[index, 2] for line in bar.marks)
    assert bar.readout.text().startswith(f"step {target:,} · epoch {int(moments[index, 1]):,}")
    assert bar.continue_here.isEnabled()
    # ... and the document (what Save writes) keeps the run's current weights.
    assert window.files.save_to(str(tmp_path / "looked.json"))
    saved = load_model(tmp_path / "looked.json").weights
    for nid, (W, b) in snap(window).weights.items():
        np.testing.assert_array_equal(saved[nid]["W"], W)
    assert any(not np.array_equal(saved[nid]["W"], expected[nid][0]) for nid in expected)

    # A divergence marked before the moment stays, one after it goes with the rows.
    before = moments[index, 2] / 2
    window.run.diverged.emit(before, "diverged (lr 9)", 9.0, 1.0)
    window.run.diverged.emit(float(live.epoch), "diverged (lr 9)", 9.0, 1.0)
    qtbot.mouseClick(bar.continue_here, Qt.MouseButton.LeftButton)
    assert [m.value() for m in window.curves.loss.marks] == [before]
    assert window.curves.loss.marked_points() == [(before, 9.0), (before, 1.0)]  # its points stay too
    qtbot.waitUntil(lambda: snap(window).step == target and snap(window).generation == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: window.epoch_label.text() == f"Epoch {ref.epoch:,} · step {target:,}", timeout=WAIT)
    assert window.run.state.curves.column("step").max() <= target  # the rows after it are gone
    assert not bar.marks[0].isVisible() and bar.at_now()
    assert window.run.state.timeline[-1, 0] == target
    for nid, (W, b) in snap(window).weights.items():
        np.testing.assert_array_equal(W, expected[nid][0])
        np.testing.assert_array_equal(window.document.weights[nid]["W"], W)  # now the current weights

    # Train goes on from there, and it is the same run: past where it was paused.
    on = train_until(qtbot, window, live.step + 50)
    assert on.step > live.step and window.epoch_label.text().endswith(f"step {on.step:,}")
    rows = window.run.state.curves.column("step")
    assert (np.diff(rows) > 0).all()  # no row of the dropped stretch came back
    ref.run(on.step - target)
    for nid, (W, b) in on.weights.items():
        np.testing.assert_array_equal(W, ref.network.params[nid][0])
        np.testing.assert_array_equal(b, ref.network.params[nid][1])


def test_the_end_of_the_slider_train_step_and_a_new_run_return_to_the_live_state(qtbot, window):
    bar = window.curves.timeline
    live = train_until(qtbot, window, 200)
    qtbot.waitUntil(bar.isEnabled, timeout=WAIT)
    slide_to(qtbot, bar.slider, 2)
    qtbot.waitUntil(lambda: window.timeline._drawn is not None, timeout=WAIT)
    assert edge_weights(window)["dense1"].tolist() != live.weights["dense1"][0].tolist()
    qtbot.keyClick(bar.slider, Qt.Key.Key_End)  # released at the end: now
    assert window.timeline.step is None and not bar.marks[0].isVisible()
    for nid, W in edge_weights(window).items():
        np.testing.assert_array_equal(W, live.weights[nid][0])
    # Train while looking back: the live run goes on (nothing rewound).
    slide_to(qtbot, bar.slider, 3)
    qtbot.waitUntil(lambda: window.timeline._drawn is not None, timeout=WAIT)
    on = train_until(qtbot, window, live.step + 30)
    assert on.generation == 0 and window.timeline.step is None and bar.at_now()
    # A Step while looking back: the live run takes one step and is shown.
    slide_to(qtbot, bar.slider, 1)
    qtbot.waitUntil(lambda: window.timeline._drawn is not None, timeout=WAIT)
    qtbot.mouseClick(window.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(window).step == on.step + 1 and window.timeline.step is None, timeout=WAIT)
    for nid, W in edge_weights(window).items():
        np.testing.assert_array_equal(W, snap(window).weights[nid][0])
    # Reset: a new run, a new timeline.
    qtbot.mouseClick(window.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: snap(window) is not None and snap(window).generation == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: window.run.state.timeline is not None, timeout=WAIT)
    assert window.run.state.timeline[:, 0].tolist() == [0.0] and bar.now == 1
    # New: no run, no timeline.
    window.files.new_document()
    assert window.run.state.timeline is None and not bar.isEnabled() and bar.now == 0
