"""The screenshot check (issue 19): the window rendered offscreen as people
see it, after Open of a trained 2-D classifier (circle), Iris and a
regression (sine) and one lesson step, in both themes at 1024x700 and
1440x900, and at 1920x1080 at 200% scale (Qt's scale is set per process:
that one runs in a process of its own). On each image: no text cut short
where it was not meant to be, no dock over another, no plot under 120 px
tall, every text colour at a WCAG contrast of 4.5 or more with its
background (see screencheck.py).

The images go to the folder the test prints (``nnbuilder-screenshots`` in
the temporary folder, or ``$NNBUILDER_SCREENSHOTS``): look at them.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from screencheck import check_window
from test_gui_window_sizes import settle

HERE = Path(__file__).resolve().parent
SCALED = {"QT_SCALE_FACTOR": "2"}, ("1920x1080",)


def folder() -> Path:
    """``$NNBUILDER_SCREENSHOTS``, else ``nnbuilder-screenshots`` in the system's
    temporary folder (pytest's own are removed after three runs), emptied."""
    chosen = os.environ.get("NNBUILDER_SCREENSHOTS")
    out = Path(chosen) if chosen else Path(tempfile.gettempdir()) / "nnbuilder-screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    return out


def test_the_window_as_people_see_it(qtbot, make_window, tmp_path_factory, capsys):
    out = folder()
    with capsys.disabled():
        print(f"\nscreenshots: {out}")
    env = dict(os.environ, **SCALED[0], QT_QPA_PLATFORM="offscreen",
               NNBUILDER_STATE_DIR=str(tmp_path_factory.mktemp("scaled-state")),
               PYTHONPATH=os.pathsep.join([str(HERE.parent), str(HERE), os.environ.get("PYTHONPATH", "")]))
    # The 200% window in its own process, while this one renders the others.
    scaled = subprocess.Popen([sys.executable, str(HERE / "screencheck.py"), str(out), *SCALED[1]],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        w = make_window()
        settle(qtbot)
        found = check_window(w, out, sizes=((1024, 700), (1440, 900)))
        stdout, stderr = scaled.communicate(timeout=600)
    finally:
        if scaled.poll() is None:
            scaled.kill()
    assert scaled.returncode == 0, stderr[-3000:]
    found += json.loads(stdout.strip().splitlines()[-1])
    images = sorted(p.name for p in out.glob("*.png"))
    assert len(images) >= 4 * 2 * 3, images  # every scene, theme and size was drawn
    assert not found, f"{len(found)} problems (images in {out}):\n" + "\n".join(found)
