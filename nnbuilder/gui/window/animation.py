"""File > Export > Animation…: the output view over the run, from the
timeline's moments, as an animated GIF or a PNG sequence, with a progress
bar and Cancel.

The frames are the core's (:class:`~nnbuilder.core.run.frames.FrameScene`,
the renderer ``nnbuilder train --animate`` uses), so an animation looks the
same from the window and the command line; the diagram beside it, when
asked for, is the window's own, painted for each moment. Each moment's
weights come from the worker as the timeline slider gets them
(:meth:`RunController.fetch_moment`, answered in ``state.moment``): the
export asks for one, draws it when the live view has taken the answer
(``frameDrawn``), then asks for the next, so the window keeps responding and
Cancel is seen between frames. Cancel (or a new run meanwhile) removes
what was written (:meth:`AnimationFile.abort`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QProgressDialog, QSpinBox,
                               QWidget)

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.files.animation import (DEFAULT_FRAMES, AnimationFile, captioned, moment_caption, scene_for,
                                            widest_caption)
from nnbuilder.core.teaching.explain import explain_sample, sample_of
from nnbuilder.core.run.frames import FrameOptions
from nnbuilder.core.run.outputview import NEURON_RES

from . import exports
from ..widgets.colours import dark

ANIMATION_FILTER = "Animated GIF (*.gif);;PNG sequence (*.png)"


@dataclass(frozen=True)
class AnimationSettings:
    """What the dialog asks: frames at most, the loss curve, the diagram beside it, each frame's
    time, the output view's side in pixels."""

    frames: int = DEFAULT_FRAMES
    loss: bool = True
    diagram: bool = False
    frame_ms: int = 100
    size: int = 320


def pick_moments(steps: np.ndarray, frames: int) -> list[int]:
    """At most ``frames`` of the kept moments' ``steps``, evenly spread, first and last included."""
    steps = [int(s) for s in steps]
    if len(steps) <= frames:
        return steps
    idx = np.unique(np.round(np.linspace(0, len(steps) - 1, frames)).astype(int))
    return [steps[i] for i in idx]


class AnimationDialog(QDialog):
    """Frames, loss curve, diagram, frame time; :meth:`ask` gives the settings or None."""

    def __init__(self, parent: QWidget | None, moments: int):
        """``moments``: the frames there are to draw (the timeline's moments, and the run now)."""
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.setObjectName("animationDialog")
        form = QFormLayout(self)
        self.frames = QSpinBox()
        self.frames.setObjectName("animationFrames")
        self.frames.setRange(min(2, moments), max(1, moments))  # (asked for 11 of 10, it gave 10 and said nothing)
        self.frames.setValue(min(DEFAULT_FRAMES, moments))
        self.frames.setSuffix(f" of {moments:,}")
        self.frames.setToolTip(f"The timeline keeps {moments:,} moments of this run (with the run now): no more "
                               "frames than that; fewer are spread evenly over them, the last one the run now")
        self.frame_ms = QSpinBox()
        self.frame_ms.setObjectName("animationFrameMs")
        self.frame_ms.setRange(10, 5000)
        self.frame_ms.setSingleStep(10)
        self.frame_ms.setSuffix(" ms")
        self.frame_ms.setValue(100)
        self.size = QSpinBox()
        self.size.setObjectName("animationSize")
        self.size.setRange(160, 1600)
        self.size.setSingleStep(40)
        self.size.setSuffix(" px")
        self.size.setValue(320)
        self.size.setToolTip("The output view's side; its text grows with it (twice as large from 640 px)")
        self.loss = QCheckBox("with the loss curve")
        self.loss.setObjectName("animationLoss")
        self.loss.setChecked(True)
        self.diagram = QCheckBox("with the diagram")
        self.diagram.setObjectName("animationDiagram")
        form.addRow("&Frames (at most):", self.frames)
        form.addRow("Each frame &shows:", self.frame_ms)
        form.addRow("Output view &size:", self.size)
        form.addRow(self.loss)
        form.addRow(self.diagram)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def settings(self) -> AnimationSettings:
        return AnimationSettings(self.frames.value(), self.loss.isChecked(), self.diagram.isChecked(),
                                 self.frame_ms.value(), self.size.value())

    @classmethod
    def ask(cls, parent: QWidget | None, moments: int) -> AnimationSettings | None:
        d = cls(parent, moments)
        return d.settings() if d.exec() == QDialog.DialogCode.Accepted else None


def qimage_rgb(image: QImage) -> np.ndarray:
    """A QImage as an RGB array ``(h, w, 3)`` uint8 (a copy)."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return a[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


class AnimationExport(QObject):
    """Writes animations of ``run`` as ``live`` shows it; ``finished(paths)``
    when one ends (an empty list: cancelled or failed)."""

    finished = Signal(list)

    def __init__(self, run, live, timeline, data, options, scene, ask_path, error, status,
                 parent: QWidget | None = None, learn=None):
        """``learn``: the learn controller whose picked sample's numbers the
        diagram shows (each frame shows them for its moment's weights)."""
        super().__init__(parent)
        self.run, self.live, self.timeline, self.data = run, live, timeline, data
        self.learn = learn
        self.options, self.scene = options, scene
        self._ask_path, self._error, self._status = ask_path, error, status
        self._parent = parent
        self.progress: QProgressDialog | None = None
        self._file: AnimationFile | None = None
        self._frames: list = []  # the steps to draw (None: the run now)
        self._wanted = None
        self._busy = False

    # ------------------------------------------------------------- the menu
    def refusal(self) -> str | None:
        """Why no animation can be written now (None: it can)."""
        st = self.run.state
        if self._file is not None:
            return "An animation is being written"
        if st.snapshot is None or st.timeline is None or not len(st.timeline):
            return "Train first: the animation is made of the moments the timeline keeps of a run"
        if self.run.running:
            return "Pause training first: the animation is made of the run's moments so far"
        grid = self.live.grids()[0]
        if grid is None:
            return "The output view shows no data to animate"
        return None

    def export(self) -> bool:
        """Ask the settings and the file, then start; False if nothing starts."""
        why = self.refusal()
        if why:
            self._status(why, 8000)
            return False
        settings = AnimationDialog.ask(self._parent, len(self.moments(1 << 30)))
        if settings is None:
            return False
        path = self._ask_path("Export animation", "run.gif", ANIMATION_FILTER)
        if not path:
            return False
        if not path.lower().endswith((".gif", ".png")):
            path += ".gif"
        return self.start(path, settings)

    def moments(self, frames: int) -> list:
        """At most ``frames`` of the timeline's steps to draw, evenly spread, the
        run now last (None) if it is past the last moment kept."""
        steps = list(self.run.state.timeline[:, 0].astype(int))
        now = self.run.snapshot.step > steps[-1]
        return pick_moments(np.asarray(steps), frames - int(now)) + ([None] if now else [])

    # ------------------------------------------------------------ the frames
    def start(self, path: str, settings: AnimationSettings = AnimationSettings()) -> bool:
        """Write the animation to ``path`` (``.gif``, or ``.png`` for a sequence)."""
        why = self.refusal()
        if why:
            self._status(why, 8000)
            return False
        try:
            self._file = AnimationFile(path, settings.frame_ms)
        except ValueError as e:
            self._error("Cannot export", str(e))
            return False
        st = self.run.state
        self._frames = self.moments(settings.frames)
        self._settings = settings
        self._looked = self.timeline.step  # a moment looked at: shown again at the end
        c = st.curves
        options = FrameOptions(size=settings.size, loss=settings.loss, dark=dark(),
                               discretize=self.options.discretize.isChecked(),
                               show_test=self.options.show_test.isChecked())
        self._scene = scene_for(self.data.dataset, self.run.document.graph, self.data.split_indices(),
                                (c.column("epoch"), c.column("train_loss"), c.column("test_loss")), options,
                                grid=self.live.grids()[0])
        snap = self.run.snapshot
        self._widest = widest_caption(int(snap.step), float(snap.epoch))
        self._index = 0
        p = self.progress = QProgressDialog("Writing the animation…", "Cancel", 0, len(self._frames), self._parent)
        p.setObjectName("animationProgress")
        p.setWindowTitle("Export animation")
        p.setWindowModality(Qt.WindowModality.WindowModal)  # no Train, no edit meanwhile
        p.setMinimumDuration(0)
        p.setAutoClose(False)
        p.setAutoReset(False)
        p.canceled.connect(self.cancel)
        p.setValue(0)
        self.live.frameDrawn.connect(self._arrived)
        self.run.runReplaced.connect(self._replaced)
        self._status(f"Writing {len(self._frames)} frames to {path}…", 0)
        self._ask_next()
        return True

    def _ask_next(self) -> None:
        if self._file is None:
            return
        if self._index == len(self._frames):
            self._finish()
            return
        step = self._frames[self._index]
        self._wanted = step
        if step is None:  # the run now: its own weights, at once (after this event)
            QTimer.singleShot(0, self._draw_now)
        else:
            m = self.run.state.moment
            if m is not None and m.step == step:
                QTimer.singleShot(0, lambda: self._arrived(None))
            else:
                self.run.fetch_moment(step)

    def _arrived(self, _snap) -> None:
        """The live view took a snapshot: the moment asked for, if it came."""
        m = self.run.state.moment
        if self._file is None or self._busy or self._wanted is None or m is None or m.step != self._wanted:
            return
        if self.run.running:
            self.cancel("Training started: the animation was cancelled")
            return
        self._draw(m.weights, self._caption(m.step, m.at, m.train_loss), m.at, m.slopes)

    def _draw_now(self) -> None:
        snap = self.run.snapshot
        if self._file is None or snap is None:
            return
        last = snap.last or {}
        self._draw(snap.weights, self._caption(snap.step, float(snap.epoch), last.get("train_loss", np.nan)),
                   None, snap.slopes)

    def _caption(self, step: int, epoch: float, loss: float) -> str:
        """A frame's caption; the run now after a divergence holds the weights
        it went back to: their step, epoch and loss, as the toolbar says."""
        snap = self.run.snapshot
        restored = self.live.restored(snap) if snap is not None and step == snap.step else None
        if restored is not None:
            r_epoch, step = restored
            epoch = float(r_epoch) if r_epoch is not None else epoch
            loss = (snap.divergence or {}).get("restored_loss")
            loss = np.nan if loss is None else loss
        return moment_caption(step, epoch, loss)

    def _draw(self, weights: dict, caption: str, at, slopes: dict) -> None:
        self._busy = True
        try:
            outputs, maps = self.live.probe.evaluate(self.run.prepared(), weights, self.live.grids(),
                                                     maps=self._settings.diagram)
            rgb = self._scene.render(outputs, "", at)[self._scene.caption_h:]
            if self._settings.diagram:
                rgb = np.hstack([rgb, self._diagram(weights, slopes, maps, rgb.shape[0])])
            self._file.add(captioned(rgb, caption, self._scene.ink, self._scene.paper, self._widest))
        except (OSError, ValueError) as e:
            self._busy = False
            self.cancel("The animation was not written")
            self._error("Cannot export", str(e))
            return
        self._index += 1
        self._wanted = None  # drawn: a later answer with the same moment is not another frame
        if self.progress is not None:
            self.progress.setValue(self._index)  # (a modal dialog runs events here: Cancel among them)
        self._busy = False
        self._ask_next()

    def _diagram(self, weights: dict, slopes: dict, maps: dict, height: int) -> np.ndarray:
        """The diagram showing ``weights`` as the window paints it, as tall as
        the output view (at most four times as wide), centred in a column
        ``height`` pixels high: drawn as tall as the frame with its loss curve, a
        wide network made a frame 1529 px wide, mostly empty."""
        self.scene.show_live(weights, maps, NEURON_RES)
        self._sample_at(weights, slopes)
        rect = exports.diagram_rect(self.scene)
        tall = min(height, self._settings.size)
        width = max(1, min(int(round(tall * rect.width() / max(rect.height(), 1.0))), 4 * tall))
        tall = max(1, min(tall, int(round(width * rect.height() / max(rect.width(), 1.0)))))
        image = QImage(width, tall, QImage.Format.Format_RGB888)
        image.fill(QColor(*self._scene.paper))
        exports.render_scene(self.scene, image, rect)
        column = np.empty((height, width, 3), np.uint8)
        column[:] = self._scene.paper[:3]
        top = (height - tall) // 2
        column[top:top + tall] = qimage_rgb(image)
        return column

    def _sample_at(self, weights: dict, slopes: dict) -> None:
        """The picked sample's numbers on the diagram for ``weights`` and prelu
        ``slopes`` (those of the frame's moment), when the diagram shows them."""
        learn = self.learn
        if learn is None or learn.row is None or learn.explanation is None or learn.stepping is not None:
            return
        try:
            given = self.run.current_weights()  # (with the data's statistics)
            for nid, (W, b) in weights.items():
                given[nid] = {**given.get(nid, {}), "W": W, "b": b}
            for nid, alpha in (slopes or {}).items():
                given[nid]["alpha"] = alpha
            net = self.run.prepared().network_with(given)
            if net is None:
                return
            x_raw, target = sample_of(self.data.dataset, net, learn.row)
            ex = explain_sample(net, x_raw, target, row=learn.row + 1).to_dict()
        except NNBuilderError:
            return
        learn.show_values(ex, set(ex["nodes"]), learn.kind)

    # ------------------------------------------------------------- the end
    def _finish(self) -> None:
        f = self._file
        try:
            paths = f.finish()
        except (OSError, ValueError) as e:
            f.abort()
            self._end()
            self._error("Cannot export", str(e))
            self.finished.emit([])
            return
        self._end()
        what = paths[0] if len(paths) == 1 else f"{len(paths)} PNG files ({paths[0]}, …)"
        self._status(f"Exported an animation of {f.frames} frames: {what}", 8000)
        self.finished.emit(paths)

    def _replaced(self) -> None:
        self.cancel("A new run began: the animation was cancelled")

    def cancel(self, why: str = "Animation cancelled: nothing was written") -> None:
        """Stop and remove what was written."""
        if self._file is None:
            return
        self._file.abort()
        self._end()
        self._status(why, 8000)
        self.finished.emit([])

    def _end(self) -> None:
        self._file, self._wanted = None, None
        self.live.frameDrawn.disconnect(self._arrived)
        self.run.runReplaced.disconnect(self._replaced)
        p, self.progress = self.progress, None
        if p is not None:
            p.canceled.disconnect(self.cancel)
            p.close()
            p.deleteLater()
        # The window shows the run again as it was (the diagram drew the moments).
        snap = self.run.snapshot
        if self._settings.diagram and snap is not None:
            self.live.draw(snap)  # (and the learn controller shows its sample's numbers again)
        if self._looked is not None and self.timeline.step == self._looked:
            self.run.fetch_moment(self._looked)  # the moment looked at, drawn when it comes
