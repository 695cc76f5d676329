"""``nnbuilder train ... --animate OUT.gif``: the run's output view as an
animation, drawn headless by the core's frame renderer from the moments a
timeline keeps at a stride (about ``--frames`` of them, evenly spaced, plus
the end of the run)."""
from __future__ import annotations

import math
import os
import sys

from nnbuilder.core.files.animation import FORMATS, AnimationFile, moment_frames, scene_for
from nnbuilder.core.run.frames import FrameOptions
from nnbuilder.core.run.outputview import default_axes
from nnbuilder.core.run.timeline import Timeline, capture

__all__ = ["refusal", "attach", "write"]


def refusal(args) -> str | None:
    """Why ``--animate`` and its options cannot be done (None: they can), before training."""
    path = args.animate
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        return f"--animate writes {' or '.join(FORMATS)} ({', '.join(FORMATS.values())}), not {path!r}"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"--animate: the folder {folder} does not exist"
    if args.frames < 2:
        return f"--frames must be 2 or more, not {args.frames}"
    if not 32 <= args.frame_size <= 4096:
        return f"--frame-size must be 32 to 4096, not {args.frame_size}"
    if not 10 <= args.frame_ms <= 60_000:
        return f"--frame-ms must be 10 to 60000, not {args.frame_ms}"
    return None


def attach(trainer, frames: int, epochs: int) -> Timeline:
    """A timeline on ``trainer`` keeping a moment every ``stride`` steps, the
    stride chosen so that ``epochs`` more epochs give at most ``frames`` moments."""
    steps = max(1, (epochs - trainer.epoch) * trainer.steps_per_epoch)
    # (the stride keeps it at most ``frames``: it never thins)
    timeline = Timeline(capacity=frames + 1, stride=math.ceil(steps / max(frames - 1, 1)))
    trainer.timeline = timeline
    timeline.record(trainer)  # the start
    return timeline


def write(path: str, trainer, timeline: Timeline, dataset, graph, split_rows, loss_curve: bool,
          frame_ms: int, size: int, painted: bool = False, show_progress: bool = False) -> tuple[list[str], int]:
    """Draw the timeline's moments and the end of the run; (the paths written, frames).
    ``painted``: the data was painted (the view spans its plane, as in the window)."""
    moments = list(timeline.moments)
    if not moments or moments[-1].step < trainer.step:
        moments.append(capture(trainer))  # the end of the run, off the stride
    h = trainer.history
    history = (h.column("epoch"), h.column("train_loss"), h.column("test_loss"))
    scene = scene_for(dataset, graph, split_rows, history, FrameOptions(size=size, loss=loss_curve),
                      default_axes(dataset.X), painted)
    if scene is None:
        print("nnbuilder: --animate: the output view cannot show this data", file=sys.stderr)
        return [], 0
    out = AnimationFile(path, frame_ms)
    name, n = os.path.basename(path), len(moments)

    def progress(i: int) -> None:  # on a terminal only
        sys.stderr.write(f"\rwriting {name}: frame {i + 1}/{n}" + ("\n" if i + 1 == n else ""))
        sys.stderr.flush()

    try:
        for rgb in moment_frames(scene, trainer.network, moments, progress if show_progress else None):
            out.add(rgb)
        return out.finish(), out.frames
    except BaseException:
        out.abort()  # (an interrupted run leaves no half-written file)
        raise
