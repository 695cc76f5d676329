"""The window driven by a real pointer: Xvfb, the app in its own process on
the xcb platform, and xdotool moving the mouse and typing.

The other GUI tests synthesize drop events and call methods, and passed while
a person's mouse could not drag a layer out of the palette: a real drag goes
through Qt's QDrag machinery, which runs its own event loop until the button
is released. So each gesture here is ONE xdotool process (press, glide,
release), and every check reads the model (graph, weights, dataset) that
tests/pointer_app.py reports, not pixels. CI has no display: this module
starts its own Xvfb and is never skipped.
"""
from __future__ import annotations

import json
import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nnbuilder.core.files.modelfile import load_model
from conftest import wait_until

DRIVER = Path(__file__).with_name("pointer_app.py")
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60.0  # generous: a loaded 2-core machine, never an assertion on speed


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:  # not a skip: `make test` installs it (Makefile QT_LIBS)
        pytest.fail(f"{tool} is not installed: run `make setup` as root, or apt-get install {tool}")
    return path


def start_xvfb(log, screen: str = "1600x1000") -> tuple[subprocess.Popen, str]:
    """Xvfb on a free display (a ``screen`` WxH): it picks the number and writes it to a pipe.
    It ends by itself when its last client (the app) goes, and the app when
    its stdin closes: nothing outlives a test run that is killed."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([need("Xvfb"), "-displayfd", str(write_end), "-screen", "0", f"{screen}x24",
                             "-nolisten", "tcp", "-terminate"], pass_fds=(write_end,), stdout=log,
                            stderr=log)
    os.close(write_end)
    text = b""
    deadline = time.monotonic() + TIMEOUT
    while not text.endswith(b"\n") and time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([read_end], [], [], 1.0)
        if ready:
            chunk = os.read(read_end, 64)
            if not chunk:
                break
            text += chunk
    os.close(read_end)
    if not text.strip().isdigit():
        stop(proc)
        pytest.fail(f"Xvfb did not report a display (got {text!r})")
    return proc, ":" + text.decode().strip()


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class App:
    """The window's process: ask it questions, move the pointer over it."""

    def __init__(self, proc: subprocess.Popen, display: str, log: Path):
        self.proc, self.display, self.log = proc, display, log
        self.answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("@@ "):
                self.answers.put(json.loads(line[3:]))

    def ask(self, cmd: str, **kwargs) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
        self.proc.stdin.flush()
        try:
            answer = self.answers.get(timeout=TIMEOUT)
        except queue.Empty:
            pytest.fail(f"the app did not answer {cmd!r}; its log:\n{self.log.read_text()[-3000:]}")
        assert "error" not in answer, answer["error"]
        return answer

    def wait_for(self, what: str, check, query: str = "state") -> dict:
        """The first answer to ``query`` ("state", "plots", ...) for which
        ``check(answer)`` is true (fails after TIMEOUT)."""
        last = {}

        def answer():
            last["state"] = self.ask(query)
            return last["state"] if check(last["state"]) else None
        return wait_until(answer, lambda: f"{what}; last state: {json.dumps(last['state'])[:2000]}",
                          timeout=TIMEOUT, interval=0.1)

    def xdotool(self, *args) -> None:
        """One xdotool process: a whole gesture, from press to release."""
        subprocess.run([need("xdotool"), *map(str, args)], check=True, timeout=TIMEOUT,
                       env={"DISPLAY": self.display, "PATH": os.environ.get("PATH", "")})

    @staticmethod
    def goto(x: int, y: int) -> list:
        """Move the pointer to (x, y) and wait until it is there. ``--sync``
        waits for the pointer to leave where it is (15 s if it is there
        already), so it first steps aside."""
        return ["mousemove", x + 1, y + 1, "mousemove", "--sync", x, y]

    def drag(self, start, end, steps: int = 8) -> None:
        (ax, ay), (bx, by) = start, end
        path = [(ax + 4, ay + 4), (ax + 12, ay + 12)]  # past the drag threshold
        path += [(ax + (bx - ax) * i // steps, ay + (by - ay) * i // steps) for i in range(1, steps + 1)]
        glide = []
        for (x, y), before in zip(path, [(ax, ay)] + path):
            if (x, y) != before:
                glide += ["mousemove", "--sync", x, y, "sleep", 0.05]
        self.xdotool(*self.goto(ax, ay), "sleep", 0.1, "mousedown", 1, "sleep", 0.1,
                     *glide, "sleep", 0.2, "mouseup", 1, "sleep", 0.1)

    def click(self, point, repeat: int = 1) -> None:
        self.xdotool(*self.goto(*point), "sleep", 0.1,
                     "click", "--repeat", repeat, "--delay", 80, 1, "sleep", 0.1)

    def wheel(self, point, button: int = 5, notches: int = 1) -> None:
        """Wheel down (button 5) or up (4) over ``point``."""
        self.xdotool(*self.goto(*point), "sleep", 0.1,
                     "click", "--repeat", notches, "--delay", 100, button, "sleep", 0.1)

    def key(self, *keys) -> None:
        self.xdotool("key", "--delay", 50, *keys)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    work = tmp_path_factory.mktemp("pointer")
    log_path = work / "app.log"
    xvfb = window = None
    with open(work / "xvfb.log", "wb") as xlog, open(log_path, "w") as log:
        try:
            xvfb, display = start_xvfb(xlog)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND"))}
            env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR="1",
                       PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
            window = subprocess.Popen([sys.executable, str(DRIVER), str(work)], cwd=ROOT, env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                      text=True)
            a = App(window, display, log_path)
            a.work = work
            a.wait_for("the window to be shown and active", lambda s: s["active"])
            yield a
        finally:
            stop(window)
            stop(xvfb)


@pytest.fixture(autouse=True)
def no_error_dialog(app):
    """An error dialog the window showed fails the test it showed in (or, shown
    at start or between tests, the next one)."""
    shown = app.ask("errors")["errors"]
    assert not shown, f"the window showed error dialogs: {shown}"
    yield
    shown = app.ask("errors")["errors"]
    assert not shown, f"the window showed error dialogs: {shown}"


def chain(*nodes, edges=()) -> dict:
    """A model file's graph: ``nodes`` as (id, type, x, y[, params])."""
    out = [{"id": n[0], "type": n[1], "params": n[4] if len(n) > 4 else {}, "position": [n[2], n[3]]}
           for n in nodes]
    return {"nodes": out, "edges": [{"source": s, "target": t} for s, t in edges]}


def inside(point, rect) -> bool:
    x, y, w, h = rect
    return x <= point[0] <= x + w and y <= point[1] <= y + h


TYPES = ["input", "dense", "activation", "dropout", "add", "concat", "output"]


def test_each_palette_entry_dragged_onto_the_diagram_becomes_a_node_there(app):
    app.ask("load", graph=chain())
    geo = app.ask("geometry")
    assert geo["palette_hidden"] == []
    vx, vy, vw, vh = geo["view"]
    for i, node_type in enumerate(TYPES):
        col, row = i % 4, i // 4
        target = (vx + vw * (2 * col + 1) // 8, vy + vh * (2 + 3 * row) // 8)
        before = app.ask("state")["nodes"]
        app.drag(geo["palette"][node_type], target)
        state = app.wait_for(f"a {node_type} node", lambda s: len(s["nodes"]) == len(before) + 1)
        (new,) = set(state["nodes"]) - set(before)
        assert state["nodes"][new]["type"] == node_type
        assert inside(target, app.ask("geometry")["nodes"][new]["rect"]), "not where it was dropped"
    state = app.ask("state")
    assert sorted(n["type"] for n in state["nodes"].values()) == sorted(TYPES)
    # The palette gave copies: every entry is still there.
    assert sorted(app.ask("geometry")["palette"]) == sorted(TYPES)
    app.ask("grab", path=str(app.work / "after-drags.png"))


def test_dragging_from_an_output_port_to_an_input_port_connects(app):
    app.ask("load", graph=chain(("in", "input", -400, -60), ("d", "dense", 0, -60)))
    nodes = app.ask("geometry")["nodes"]
    app.drag(nodes["in"]["out"], nodes["d"]["in"])
    state = app.wait_for("the connection", lambda s: s["edges"])
    assert state["edges"] == [["in", "d"]]
    assert state["undo_text"] == "Connect"


def test_moving_a_node_is_undone_by_ctrl_z(app):
    app.ask("load", graph=chain(("in", "input", -400, -60), ("d", "dense", 0, -60), edges=[("in", "d")]),
            zoom=0.5)
    start = app.ask("geometry")["nodes"]["d"]["header"]
    app.drag(start, (start[0] + 120, start[1] + 80))
    state = app.wait_for("the move", lambda s: s["nodes"]["d"]["position"] != [0.0, -60.0])
    # 120 x 80 screen pixels at zoom 0.5 are 240 x 160 scene units (give or take a pixel).
    x, y = state["nodes"]["d"]["position"]
    assert abs(x - 240) <= 4 and abs(y - 100) <= 4, (x, y)
    assert state["undo_text"] == "Move"
    app.wait_for("the window to have the keyboard", lambda s: s["active"])
    app.key("ctrl+z")
    state = app.wait_for("the undo", lambda s: s["nodes"]["d"]["position"] == [0.0, -60.0])
    assert state["edges"] == [["in", "d"]] and state["nodes"]["in"]["position"] == [-400.0, -60.0]


def test_rubber_band_selects_the_nodes_it_touches_and_delete_removes_them(app):
    app.ask("load", graph=chain(("a", "dense", -300, -220), ("b", "dense", 0, -220),
                                ("c", "dense", -300, 120), ("d", "dense", 0, 120),
                                edges=[("a", "b"), ("c", "d")]))
    # From empty space above-left of a to between the rows: a and b only.
    corner, between = app.ask("scene_to_global", points=[[-360, -280], [200, 20]])["points"]
    app.drag(corner, between)
    state = app.wait_for("a selection", lambda s: any(n["selected"] for n in s["nodes"].values()))
    assert {nid for nid, n in state["nodes"].items() if n["selected"]} == {"a", "b"}
    app.key("Delete")
    state = app.wait_for("the deletion", lambda s: len(s["nodes"]) == 2)
    assert set(state["nodes"]) == {"c", "d"} and state["edges"] == [["c", "d"]]
    app.key("ctrl+z")
    state = app.wait_for("the undo", lambda s: len(s["nodes"]) == 4)
    assert state["edges"] == [["a", "b"], ["c", "d"]]


def test_double_click_on_the_palette_adds_right_of_the_selection_connected_in_one_step(app):
    app.ask("load", graph=chain(("in", "input", -500, 0), ("d1", "dense", -250, 0),
                                ("d2", "dense", 0, 0), ("out", "output", 250, 0),
                                edges=[("in", "d1"), ("d1", "d2"), ("d2", "out")]))
    geo = app.ask("geometry")
    assert "dense" not in geo["palette_hidden"]
    app.click(geo["nodes"]["d1"]["header"])
    app.wait_for("d1 selected", lambda s: s["nodes"]["d1"]["selected"])
    before = app.ask("state")
    app.click(geo["palette"]["dense"], repeat=2)
    state = app.wait_for("a new node", lambda s: len(s["nodes"]) == 5)
    (new,) = set(state["nodes"]) - set(before["nodes"])
    assert state["nodes"][new]["type"] == "dense"
    assert ["d1", new] in state["edges"], "not connected from the selected node"
    rects = app.ask("geometry")["nodes"]
    x, y, w, h = rects[new]["rect"]
    for nid, other in rects.items():  # in free space: it covers no other node
        ox, oy, ow, oh = other["rect"]
        assert nid == new or x >= ox + ow or ox >= x + w or y >= oy + oh or oy >= y + h, nid
    assert x > rects["d1"]["rect"][0] + rects["d1"]["rect"][2], "not right of the selected node"
    assert state["undo_index"] == before["undo_index"] + 1, "placing and connecting are one step"
    app.key("ctrl+z")
    state = app.wait_for("the undo", lambda s: len(s["nodes"]) == 4)
    assert state["edges"] == before["edges"]


def test_the_wheel_over_an_unfocused_combo_box_scrolls_the_panel_and_changes_nothing(app):
    app.ask("example")
    geo = app.ask("geometry")
    assert geo["dataset_combo_visible"]
    app.click((geo["view"][0] + 20, geo["view"][1] + 20))  # the diagram has the focus
    before = app.wait_for("the diagram focused", lambda s: s["focus"] == "networkView")
    assert before["scroll"][1] > 0, "the Training panel must scroll at this window size"
    app.wheel(geo["dataset_combo"], notches=3)
    # The wheel reached the window (the panel scrolled) and changed no setting.
    after = app.wait_for("the panel to scroll", lambda s: s["scroll"][0] > before["scroll"][0])
    assert after["dataset"] == before["dataset"] and after["dataset"]["name"] == "circle"
    assert after["controls"] == before["controls"]
    assert after["focus"] == "networkView"


def test_a_combo_box_takes_the_wheel_once_clicked_and_not_before(app):
    app.ask("example")
    geo = app.ask("geometry")
    app.click((geo["view"][0] + 20, geo["view"][1] + 20))
    before = app.wait_for("the diagram focused", lambda s: s["focus"] == "networkView")
    (speed,) = [k for k in before["controls"] if k.startswith("speedCombo#")]
    app.wheel(geo["speed_combo"], notches=2)
    app.click(geo["speed_combo"])  # opens the list; Escape closes it, the focus stays
    app.key("Escape")
    # X delivers events in order: once the click has focused it, the wheel has been handled.
    state = app.wait_for("the speed box focused", lambda s: s["focus"] == "speedCombo")
    assert state["controls"] == before["controls"]
    app.wheel(geo["speed_combo"])
    app.wait_for("the focused box to take the wheel",
                 lambda s: s["controls"][speed] != before["controls"][speed])


def paused_example_with_weight_lines(app):
    """The example network after one Step: (its first two hidden layers' ids,
    the window's geometry once the Dense 1 -> Dense 2 weight lines are drawn)."""
    app.ask("example")
    order = list(app.ask("state")["nodes"])
    d1, d2 = order[1], order[2]
    app.ask("step")
    app.wait_for("a snapshot with weights", lambda s: d2 in s["weights"] and not s["running"])
    geo = app.wait_for("the weight lines drawn", lambda g: f"{d1}>{d2}" in g["weight_lines"] and g["samples"],
                       "geometry")  # the diagram draws them on its timer
    return d1, d2, geo


def test_double_click_on_a_weight_line_while_paused_types_a_new_weight(app):
    d1, d2, geo = paused_example_with_weight_lines(app)
    line = geo["weight_lines"][f"{d1}>{d2}"]
    row, col = line["row"], line["col"]
    app.click(line["point"], repeat=2)
    app.wait_for("the weight dialog", lambda s: s["modal"] == "QInputDialog")
    app.key("ctrl+a")
    app.xdotool("type", "--delay", 50, "0.75")
    app.key("Return")
    state = app.wait_for("the new weight", lambda s: s["modal"] is None and
                         s["weights"][d2]["W"][row][col] == 0.75)
    assert "0.75" in state["status"]
    saved = app.work / "edited.json"
    app.ask("save", path=str(saved))
    assert load_model(saved).weights[d2]["W"][row, col] == 0.75


def test_a_click_on_a_data_point_then_on_a_weight_line_explains_that_weight_for_that_sample(app):
    d1, d2, geo = paused_example_with_weight_lines(app)
    row, point = next(iter(geo["samples"].items()))
    app.click(point)
    # The ringed point is the one under the pointer (points may overlap: then one of them).
    chosen = app.wait_for("a clicked sample", lambda s: s["learn"]["row"] is not None)["learn"]["row"]
    at = app.ask("sample_at", row=chosen)["point"]
    assert at is not None and max(abs(a - b) for a, b in zip(at, point)) <= 4, (chosen, at, point)
    line = geo["weight_lines"][f"{d1}>{d2}"]
    app.click(line["point"])
    state = app.wait_for("the chain rule of the clicked weight",
                         lambda s: s["learn"]["weight"] == [d2, line["row"], line["col"]])
    assert f"Row {chosen + 1} " in state["learn"]["text"]
    assert "chain rule" in state["learn"]["text"] and "for this sample alone" in state["learn"]["text"]
    assert state["modal"] is None  # a single click opens no weight dialog


def test_keys_alone_select_connect_rename_and_undo_in_the_diagram(app):
    """The diagram from a real keyboard: Home and the arrows select, C and
    Enter connect, Enter opens the inspector, Esc comes back, Ctrl+Z undoes."""
    app.ask("load", graph=chain(("in", "input", -400, -60), ("d", "dense", -100, -60),
                                ("out", "output", 200, -60), edges=[("in", "d")]))
    geo = app.ask("geometry")
    app.click((geo["view"][0] + 20, geo["view"][1] + 20))  # empty space: the diagram has the focus
    app.wait_for("the diagram focused", lambda s: s["focus"] == "networkView")
    app.key("Home")
    app.wait_for("the Input selected", lambda s: s["nodes"]["in"]["selected"])
    app.key("Right", "Right")  # its connection, then the Dense layer
    app.wait_for("the Dense layer selected", lambda s: s["nodes"]["d"]["selected"]
                 and not s["nodes"]["in"]["selected"])
    app.key("c")
    app.wait_for("a connection offered", lambda s: "Connect Dense 1 → Output?" in s["status"])
    app.key("Return")
    state = app.wait_for("the connection", lambda s: len(s["edges"]) == 2)
    assert state["edges"] == [["in", "d"], ["d", "out"]] and state["undo_text"] == "Connect"
    assert state["nodes"]["out"]["selected"]
    app.key("Return")  # the Output's settings: the keyboard is in its name
    app.wait_for("the name field focused", lambda s: s["focus"] == "nameEdit")
    app.xdotool("type", "--delay", 50, "Scores")
    app.key("Escape")
    state = app.wait_for("the diagram focused again", lambda s: s["focus"] == "networkView")
    assert state["nodes"]["out"]["name"] == "Scores" and state["undo_text"] == "Rename Output to Scores"
    app.key("ctrl+z", "ctrl+z")
    state = app.wait_for("both undone", lambda s: len(s["edges"]) == 1)
    assert state["nodes"]["out"]["name"] == "Output"


def test_a_plots_hover_readout_follows_the_pointer_and_goes_when_it_leaves(app):
    """Issue 19: the read-out stayed after the pointer left, through New and every Open."""
    app.ask("example")
    app.ask("train", epochs=5)
    app.wait_for("a paused run of 5 epochs", lambda s: not s["running"] and s["weights"])
    plots = app.wait_for("the curves of 5 epochs, paused", lambda p: p["run"] and p["run"]["epoch"] >= 5
                         and not p["run"]["running"], "plots")  # drawn on the window's timer
    geo = app.ask("geometry")
    away = (geo["view"][0] + geo["view"][2] // 2, geo["view"][1] + geo["view"][3] // 2)  # the diagram
    for name in ("metric_plot", "loss"):
        x, y, w, h = plots[name]["rect"]
        app.xdotool(*app.goto(x + w * 3 // 4, y + h // 2), "sleep", 0.1, "mousemove", x + w * 3 // 4 + 3,
                    y + h // 2, "sleep", 0.1)
        shown = app.wait_for(f"the {name} read-out", lambda p: p[name]["readout"].startswith("epoch "), "plots")
        assert shown[name]["cross"]
        app.xdotool(*app.goto(*away), "sleep", 0.2)
        app.wait_for(f"the {name} read-out to go", lambda p: p[name]["readout"] == "" and not p[name]["cross"],
                     "plots")
    # Over the plot again, then File > New with the pointer still there, then Open.
    x, y, w, h = plots["metric_plot"]["rect"]
    app.xdotool(*app.goto(x + w // 2, y + h // 2), "sleep", 0.1, "mousemove", x + w // 2 + 3, y + h // 2)
    app.wait_for("the read-out", lambda p: p["metric_plot"]["readout"] != "", "plots")
    app.ask("new")
    assert app.ask("plots")["metric_plot"]["readout"] == ""
    app.ask("example")
    after = app.ask("plots")
    assert after["metric_plot"]["readout"] == "" and after["loss"]["readout"] == ""
    app.xdotool(*app.goto(*away))


def test_a_plots_hover_readout_follows_new_epochs_under_a_still_pointer(app):
    """Issue 19 trial: hovering the accuracy plot while a run went on, the
    read-out stayed on the first epoch shown. The pointer right of the curve
    stays still; the read-out follows the newest epoch as it is drawn."""
    app.ask("example")
    app.ask("train", epochs=3)
    plots = app.wait_for("a paused run of 3 epochs", lambda p: p["run"] and p["run"]["epoch"] >= 3
                         and not p["run"]["running"], "plots")
    x, y, w, h = plots["metric_plot"]["rect"]
    spot = (x + w * 97 // 100, y + h // 2)
    app.xdotool(*app.goto(*spot), "sleep", 0.1, "mousemove", spot[0] - 2, spot[1], "sleep", 0.1)
    shown = app.wait_for("the read-out", lambda p: p["metric_plot"]["readout"].startswith("epoch "), "plots")
    first = int(shown["metric_plot"]["readout"].split()[1])
    app.ask("train", epochs=first + 30)  # the pointer does not move
    app.wait_for("the read-out to follow the new epochs",
                 lambda p: p["metric_plot"]["readout"].startswith("epoch ")
                 and int(p["metric_plot"]["readout"].split()[1]) >= first + 10, "plots")
    app.wait_for("the run to pause", lambda p: not p["run"]["running"], "plots")
    geo = app.ask("geometry")
    app.xdotool(*app.goto(geo["view"][0] + geo["view"][2] // 2, geo["view"][1] + geo["view"][3] // 2))
    app.wait_for("the read-out to go", lambda p: p["metric_plot"]["readout"] == "", "plots")


def test_f10_hides_the_panels_and_brings_the_same_back_and_f11_presents(app):
    """The keys a teacher presses in front of a class, on a real keyboard."""
    app.ask("example")
    app.wait_for("the window to have the keyboard", lambda s: s["active"])
    before = app.ask("state")
    assert len(before["docks"]) > 3 and not before["presentation"]
    app.key("F10")
    app.wait_for("the panels hidden", lambda s: s["docks"] == ["outputDock"])
    app.key("F10")
    app.wait_for("the same panels back", lambda s: s["docks"] == before["docks"])
    app.key("F11")
    state = app.wait_for("presentation mode", lambda s: s["presentation"])
    assert state["font_pt"] == 1.5 * before["font_pt"]  # the default presentation scale
    app.wait_for("the window to have the keyboard", lambda s: s["active"])
    app.key("F11")
    state = app.wait_for("presentation mode off", lambda s: not s["presentation"])
    assert state["font_pt"] == before["font_pt"] and not state["full_screen"]
    assert state["docks"] == before["docks"]


def test_alt_keys_answer_the_unsaved_changes_box_on_a_real_keyboard(app):
    """Issue 19's trial: Alt+D did nothing in "Save changes?". The real box,
    the real keys: each button's Alt key gives its answer, Esc cancels."""
    app.ask("example")
    for keys, answer in ((["alt+d"], "discard"), (["alt+s"], "save"), (["alt+c"], "cancel"),
                         (["Escape"], "cancel")):
        app.ask("ask_unsaved")
        shown = app.wait_for("the box to have the keyboard", lambda d: d["box_active"], "dialogs")
        assert "&Don't save" in shown["box"], shown["box"]
        app.key(*keys)
        done = app.wait_for(f"the box to close after {keys}", lambda d: d["box"] is None and d["answer"],
                            "dialogs")
        assert done["answer"] == answer, (keys, done)
    geo = app.ask("geometry")  # no window manager gives the keyboard back: a click does
    app.click((geo["view"][0] + 20, geo["view"][1] + 20))
    app.wait_for("the window to have the keyboard", lambda s: s["active"])


def test_help_keyboard_shortcuts_from_the_keyboard_is_a_tool_window_that_esc_closes(app):
    """Alt+H, K opens Help > Keyboard shortcuts: a tool window of the main
    window (never one that stays on top of other applications), not modal;
    Esc closes it and the main window has the keyboard again."""
    app.ask("example")
    geo = app.ask("geometry")
    app.click((geo["view"][0] + 20, geo["view"][1] + 20))
    app.wait_for("the window to have the keyboard", lambda s: s["active"])
    app.key("alt+h", "k")
    shown = app.wait_for("the shortcuts window with the keyboard",
                         lambda d: d["shortcuts"] and d["shortcuts"]["visible"] and d["shortcuts"]["active"],
                         "dialogs")["shortcuts"]
    assert shown["tool"] and not shown["on_top"] and not shown["modal"], shown
    app.key("Escape")
    app.wait_for("the shortcuts window closed", lambda d: not d["shortcuts"]["visible"] and d["window_active"],
                 "dialogs")


def test_hovering_a_sample_value_label_tells_what_its_neuron_tells(app):
    """Issue 18's teacher: the number beside a neuron said only f(a) when
    hovered, the neuron itself its bias, a and f(a). Both say the same now."""
    app.ask("example")
    app.ask("step")
    app.wait_for("weights after one step", lambda s: not s["running"] and s["weights"])
    app.ask("pick_row", row=1)
    app.wait_for("row 2 chosen", lambda s: s["learn"]["row"] == 1)
    labels = app.wait_for("the sample's labels beside Dense 1", lambda a: len(a["labels"]) >= 2,
                          "sample_labels")["labels"][:2]
    geo = app.ask("geometry")
    away = (geo["view"][0] + 8, geo["view"][1] + 8)  # an empty corner of the diagram
    for lab in labels:
        want = lab["neuron_tip"]
        assert "bias b[" in want and "a = W x + b = " in want and "f(a) = " in want
        for where in ("label", "neuron"):
            x, y = lab[where]
            app.xdotool(*app.goto(*away), "sleep", 0.3)
            app.wait_for("no tool tip", lambda t: t["text"] == "", "tooltip")
            app.xdotool(*app.goto(x, y), "sleep", 0.1, "mousemove", x + 1, y, "sleep", 0.1)
            app.wait_for(f"the {where}'s tool tip", lambda t: t["text"] == want, "tooltip")
    app.xdotool(*app.goto(*away))
