"""What the standalone bundle relies on, checked without building it (`make
dist` builds it and runs packaging/smoke.sh on the result): a frozen app
starts its training worker through its own executable, the window's
self-test, the desktop entry and its installer, the icon."""
import configparser
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nnbuilder.core.run import worker
from nnbuilder.core.run.live import LiveProcess
from nnbuilder.core.resources import resource
from test_live import circle_spec
from conftest import wait_until

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def test_a_worker_runs_this_python_unless_frozen(monkeypatch):
    cmd = worker.worker_command(7)
    assert cmd[:2] == [sys.executable, "-c"] and cmd[-1] == "7"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/nnbuilder/nnbuilder")
    assert worker.worker_command(7) == ["/opt/nnbuilder/nnbuilder", worker.WORKER_FLAG, "7"]


def test_a_frozen_app_trains_in_a_worker_started_through_its_entry_point(tmp_path, monkeypatch):
    # The bundle's executable is packaging/entry.py frozen: stand in for it
    # with a script that runs entry.py, and make this process look frozen.
    app = tmp_path / "nnbuilder"
    app.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{PACKAGING / "entry.py"}" "$@"\n')
    app.chmod(app.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    lp = LiveProcess(circle_spec())
    try:
        assert lp._proc.args[:2] == [str(app), worker.WORKER_FLAG]
        lp.play()
        def twenty_steps():
            lp.request_snapshot()
            snap = lp.latest()
            assert lp.alive, f"the worker exited with status {lp.exit_code}"
            return snap if snap is not None and snap.step >= 20 else None
        snap = wait_until(twenty_steps, "the frozen worker's 20th step")
        assert snap.error is None
    finally:
        lp.close()


def test_the_entry_point_is_the_cli_otherwise(tmp_path):
    out = subprocess.run([sys.executable, str(PACKAGING / "entry.py"), "new", "2-3-1",
                          "-o", str(tmp_path / "m.json")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "m.json").is_file()


def test_the_window_self_test_opens_trains_and_closes_with_status_0(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-m", "nnbuilder", "gui", "--self-test"], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    assert "window shown" in out.stderr and "icon 256 px" in out.stderr
    assert "trained" in out.stderr and "steps in the worker process" in out.stderr


def test_the_self_test_fails_when_the_worker_cannot_start(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    # The worker's command runs a Python that cannot import nnbuilder.
    code = ("import sys; sys.argv[1:] = ['gui', '--self-test'];"
            "import nnbuilder.core.run.worker as w;"
            "w.worker_command = lambda fd: ['/bin/sh', '-c', 'exit 3'];"
            "import nnbuilder.core.run.live as l; l.worker_command = w.worker_command;"
            "from nnbuilder.cli import main; sys.exit(main())")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 1
    assert "FAILED: the training worker exited (status 3)" in out.stderr


def read_desktop(path: Path) -> dict:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_the_desktop_entry_names_the_command_and_the_icon():
    entry = read_desktop(PACKAGING / "nnbuilder.desktop")
    assert entry["Type"] == "Application" and entry["Name"] == "nnbuilder"
    assert entry["Exec"].split()[:2] == ["nnbuilder", "gui"]
    assert entry["Icon"] == "nnbuilder" and resource("icons", "nnbuilder.png").is_file()


@pytest.mark.parametrize("folder", ["nnbuilder", 'my "apps" $HOME 100%'])
def test_installing_the_desktop_entry_points_it_at_the_bundle(tmp_path, folder):
    bundle = tmp_path / folder
    bundle.mkdir()
    for name in ("install-desktop.sh", "nnbuilder.desktop"):
        shutil.copy(PACKAGING / name, bundle)
    shutil.copy(resource("icons", "nnbuilder.png"), bundle)
    data = tmp_path / "share"
    out = subprocess.run(["sh", str(bundle / "install-desktop.sh")], capture_output=True,
                         text=True, env={**os.environ, "XDG_DATA_HOME": str(data)})
    assert out.returncode == 0, out.stderr
    assert (data / "icons/hicolor/256x256/apps/nnbuilder.png").read_bytes() == \
        resource("icons", "nnbuilder.png").read_bytes()
    exec_line = read_desktop(data / "applications/nnbuilder.desktop")["Exec"]
    # Undo the entry's escapes as a desktop does: the string's, then the
    # quoted argument's (\" \` \$ \\), then %% -> %.
    arg = exec_line[1:exec_line.index('" gui')]
    arg = arg.replace("\\\\", "\\")
    for ch in '"`$\\':
        arg = arg.replace("\\" + ch, ch)
    assert arg.replace("%%", "%") == str(bundle / "nnbuilder")
    assert exec_line.endswith('" gui %f')


def test_the_icon_is_a_256_px_picture():
    from PySide6.QtGui import QImage

    image = QImage(str(resource("icons", "nnbuilder.png")))
    assert (image.width(), image.height()) == (256, 256)
    assert image.pixelColor(128, 128).alpha() == 255 and image.pixelColor(0, 0).alpha() == 0
