"""The real window on a real X display, for tests/test_real_pointer.py.

``python tests/pointer_app.py WORK_DIR`` builds the MainWindow at a known
geometry and answers the test: one JSON command per line on stdin, one answer
per line on stdout, prefixed with ``@@ `` (anything else on stdout is not an
answer). The test moves the pointer and types with xdotool; this script only
reports what the window holds (the graph, weights, settings, where things are
on the screen, in global coordinates, the dialogs up) and sets up a starting
network (or shows the real unsaved-changes box, for its keys).
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

WINDOW_GEOMETRY = (0, 0, 1280, 720)


def main() -> int:
    work = Path(sys.argv[1])
    os.environ["NNBUILDER_STATE_DIR"] = str(work / "state")
    from PySide6.QtCore import QPointF, QSettings, QSocketNotifier
    from PySide6.QtWidgets import QApplication

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "config"))
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    from nnbuilder.gui.window.mainwindow import MainWindow

    real_ask_unsaved = MainWindow._ask_unsaved  # the real box, for cmd_ask_unsaved
    MainWindow._ask_unsaved = lambda self: "discard"
    errors = []  # error dialogs shown: the test reads them (cmd_errors) and fails on any
    MainWindow._error = lambda self, title, text: errors.append([title, text])
    window = MainWindow(offer_restore=False)
    window.setGeometry(*WINDOW_GEOMETRY)
    window.show()
    window.raise_()
    window.activateWindow()
    driver = Driver(app, window, QPointF)
    driver.errors = errors
    driver.real_ask_unsaved = real_ask_unsaved

    def on_stdin() -> None:
        line = sys.stdin.readline()
        if not line:
            app.quit()
            return
        try:
            answer = driver.handle(json.loads(line))
        except Exception:  # the test reads the reason instead of timing out
            answer = {"error": traceback.format_exc()}
        print("@@ " + json.dumps(answer), flush=True)

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(on_stdin)
    return app.exec()


class Driver:
    def __init__(self, app, window, QPointF):
        self.app, self.w, self.QPointF = app, window, QPointF

    def handle(self, msg: dict) -> dict:
        return getattr(self, "cmd_" + msg.pop("cmd"))(**msg)

    # -------------------------------------------------------------- set-up
    def _close_dialogs(self) -> None:
        for _ in range(5):  # a dialog left open by a failed gesture
            modal = self.app.activeModalWidget()
            if modal is None:
                return
            modal.reject()
            self.app.processEvents()

    def cmd_load(self, graph: dict, zoom: float = 0.6) -> dict:
        """A new document holding ``graph`` (a model file's graph), shown at
        ``zoom`` with the scene's origin in the middle of the diagram."""
        from nnbuilder.core.model.graph import Graph
        from nnbuilder.core.files.modelfile import ModelDocument
        from nnbuilder.gui.diagram.document import Document

        self._close_dialogs()
        self.w.run.shutdown()
        self.w.set_document(Document(ModelDocument(Graph.from_dict(graph))))
        self.app.processEvents()  # the queued fit runs now, then the fixed view below
        view = self.w.view
        view.resetTransform()
        view.scale(zoom, zoom)
        view.centerOn(0, 0)
        view.setFocus()
        return {"ok": True}

    def cmd_example(self) -> dict:
        self._close_dialogs()
        self.w.files.load_example()
        self.app.processEvents()
        self.w.view.fit()
        return {"ok": True}

    def cmd_errors(self) -> dict:
        """The error dialogs shown since the last time asked (then forgotten)."""
        shown, self.errors[:] = list(self.errors), []
        return {"errors": shown}

    def cmd_sample_at(self, row: int) -> dict:
        """Where data point ``row`` is on the screen (global), or None if not drawn."""
        plot = self.w.boundary
        for points in (plot.train_points, plot.test_points):
            for spot in points.points():
                if int(spot.data()) == row:
                    scene_pos = plot.plotItem.vb.mapViewToScene(spot.pos())
                    return {"point": self._global(plot.viewport(), plot.mapFromScene(scene_pos))}
        return {"point": None}

    def cmd_pick_row(self, row: int) -> dict:
        """Choose data row ``row`` (0-based) in the Learn panel, as its spin box does."""
        self.w.learn_panel.row.setValue(row + 1)
        return {"ok": True}

    def cmd_sample_labels(self, node: str = "dense1") -> dict:
        """The picked sample's value labels beside ``node``'s neurons (global
        centres), each neuron's centre and what hovering the neuron tells."""
        w = self.w
        item = w.scene.sample_items.get(node)
        if item is None or not item.isVisible():
            return {"labels": []}
        centers = w.scene.node_items[node].neuron_centers()
        return {"labels": [{"label": self._scene_global(item.mapToScene(r.center())),
                            "neuron": self._scene_global(c), "neuron_tip": w.scene.neuron_text(node, i)}
                           for i, (r, c) in enumerate(zip(item._label_rects(), centers))]}

    def cmd_tooltip(self) -> dict:
        """The tool tip on screen now ("" when none is shown)."""
        from PySide6.QtWidgets import QToolTip

        return {"text": QToolTip.text() if QToolTip.isVisible() else ""}

    def cmd_functions(self, values: list = ()) -> dict:
        """The Functions view, raised: the layer it shows and that layer's
        alpha, its curve f (x, f), the slider's value and where its handle
        is drawn at each of ``values`` (global)."""
        from PySide6.QtWidgets import QStyle, QStyleOptionSlider

        w = self.w
        w.docks["functionsDock"].raise_()
        fv, nid = w.functions_view, w.functions.layer()
        slider = fv.slider
        handles = []
        for v in values:
            opt = QStyleOptionSlider()
            slider.initStyleOption(opt)
            opt.sliderPosition = opt.sliderValue = int(v)
            rect = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                 QStyle.SubControl.SC_SliderHandle, slider)
            handles.append(self._global(slider, rect.center()))
        x, f = fv.f_curve.getData()
        return {"layer": nid, "alpha": None if nid is None else w.document.graph.nodes[nid].params.get("alpha"),
                "x": [] if x is None else list(map(float, x)), "f": [] if f is None else list(map(float, f)),
                "slider": slider.value(), "slider_shown": slider.isVisible(), "handles": handles,
                "inspector_alpha": w.inspector.alpha.value()}

    def cmd_step(self) -> dict:
        self.w.run.step(False)
        return {"ok": True}

    def cmd_train(self, epochs: int) -> dict:
        """Train (as the Train button does) until ``epochs`` epochs, then pause."""
        from PySide6.QtCore import QTimer

        run = self.w.run
        run.toggle_play()

        def check() -> None:
            snap = run.snapshot
            if snap is not None and snap.running and snap.epoch >= epochs:
                run.toggle_play()
            elif snap is None or snap.running or snap.epoch < epochs:
                QTimer.singleShot(20, check)
        QTimer.singleShot(20, check)
        return {"ok": True}

    def cmd_new(self) -> dict:
        self._close_dialogs()
        self.w.act_new.trigger()
        return {"ok": True}

    def cmd_plots(self) -> dict:
        """Each curve plot's data area (global, x y w h), what its read-out shows, and the run."""
        out = {}
        for name in ("loss", "metric_plot"):
            plot = getattr(self.w.curves, name)
            r = plot.plotItem.vb.sceneBoundingRect()
            tl = self._global(plot.viewport(), plot.mapFromScene(r.topLeft()))
            br = self._global(plot.viewport(), plot.mapFromScene(r.bottomRight()))
            out[name] = {"rect": [tl[0], tl[1], br[0] - tl[0], br[1] - tl[1]],
                         "readout": plot.readout.textItem.toPlainText() if plot.readout.isVisible() else "",
                         "cross": plot.cross.isVisible()}
        snap = self.w.run.snapshot
        out["run"] = None if snap is None else {"epoch": snap.epoch, "running": snap.running}
        return out

    def cmd_save(self, path: str) -> dict:
        self.w.document.save(path)
        return {"ok": True}

    def cmd_grab(self, path: str, screen: bool = False) -> dict:
        """The window as it paints itself, or the whole screen (dialogs too)."""
        pixmap = self.app.primaryScreen().grabWindow(0) if screen else self.w.grab()
        return {"ok": pixmap.save(path)}

    def cmd_ask_unsaved(self) -> dict:
        """Show the real unsaved-changes box (once this answer is sent); its
        answer is read with cmd_dialogs."""
        from PySide6.QtCore import QTimer

        self.unsaved_answer = None
        QTimer.singleShot(0, lambda: setattr(self, "unsaved_answer", self.real_ask_unsaved(self.w)))
        return {"ok": True}

    def cmd_dialogs(self) -> dict:
        """The modal box, if one is up (its buttons' texts, whether it has the
        keyboard), the unsaved box's last answer and the shortcuts window."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        modal = self.app.activeModalWidget()
        box = modal if isinstance(modal, QMessageBox) else None
        sc = self.w.shortcuts_dialog
        flags = sc.windowFlags() if sc is not None else None
        return {
            "box": None if box is None else [b.text() for b in box.buttons()],
            "box_active": box is not None and self.app.activeWindow() is box,
            "answer": getattr(self, "unsaved_answer", None),
            "shortcuts": None if sc is None else {
                "visible": sc.isVisible(), "active": self.app.activeWindow() is sc, "modal": sc.isModal(),
                "tool": flags & Qt.WindowType.WindowType_Mask == Qt.WindowType.Tool,
                "on_top": bool(flags & Qt.WindowType.WindowStaysOnTopHint)},
            "window_active": self.app.activeWindow() is self.w,
        }

    # ------------------------------------------------------------- queries
    def _global(self, widget, point) -> list[int]:
        g = widget.mapToGlobal(point)
        return [g.x(), g.y()]

    def _scene_global(self, scene_point) -> list[int]:
        view = self.w.view
        return self._global(view.viewport(), view.mapFromScene(scene_point))

    def cmd_scene_to_global(self, points: list) -> dict:
        return {"points": [self._scene_global(self.QPointF(x, y)) for x, y in points]}

    def cmd_state(self) -> dict:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QAbstractSpinBox, QComboBox

        w, doc = self.w, self.w.document
        g = doc.graph
        selected = set(w.scene.selected_node_ids())
        weights = {nid: {"W": v["W"].tolist()} for nid, v in w.run.current_weights().items() if "W" in v}
        controls = {}
        for i, c in enumerate(w.findChildren(QComboBox) + w.findChildren(QAbstractSpinBox)):
            controls[f"{c.objectName() or type(c).__name__}#{i}"] = (
                c.currentText() if isinstance(c, QComboBox) else c.text())
        bar = w.training_panel.parentWidget().parentWidget().verticalScrollBar()
        focus = self.app.focusWidget()
        modal = self.app.activeModalWidget()
        return {
            "nodes": {nid: {"type": n.type, "name": n.name, "position": list(n.position),
                            "selected": nid in selected}
                      for nid, n in g.nodes.items()},
            "edges": [[e.source, e.target] for e in g.edges],
            "undo_index": doc.undo_stack.index(),
            "undo_text": doc.undo_stack.text(doc.undo_stack.index() - 1),
            "weights": weights,
            "running": w.run.running,
            "dataset": doc.dataset,
            "controls": controls,
            "scroll": [bar.value(), bar.maximum()],
            "focus": None if focus is None else (focus.objectName() or type(focus).__name__),
            "active": self.app.activeWindow() is w,
            "modal": None if modal is None else type(modal).__name__,
            "status": w.statusBar().currentMessage(),
            "docks": sorted(n for n, d in w.docks.items() if d.isVisible()),
            "presentation": w.presentation.on,
            "full_screen": bool(w.windowState() & Qt.WindowState.WindowFullScreen),
            "font_pt": self.app.font().pointSizeF(),
            "learn": {"row": w.learn.row,
                      "weight": None if w.learn.weight is None else
                      [w.learn.weight.node, w.learn.weight.row, w.learn.weight.col],
                      "text": w.learn_panel.text.toPlainText()},
        }

    def cmd_geometry(self) -> dict:
        from PySide6.QtCore import Qt

        w = self.w
        pal = w.palette_list
        palette, hidden = {}, []
        for i in range(pal.count()):
            item = pal.item(i)
            rect = pal.visualItemRect(item)
            if not pal.viewport().rect().contains(rect):
                hidden.append(item.data(Qt.ItemDataRole.UserRole))
            palette[item.data(Qt.ItemDataRole.UserRole)] = self._global(pal.viewport(), rect.center())
        nodes = {}
        for nid, item in w.scene.node_items.items():
            r = item.mapRectToScene(item.shape().boundingRect())
            tl, br = self._scene_global(r.topLeft()), self._scene_global(r.bottomRight())
            nodes[nid] = {
                "rect": [tl[0], tl[1], br[0] - tl[0], br[1] - tl[1]],
                "header": self._scene_global(item.mapToScene(self.QPointF(item.size[0] / 2, 12))),
                "in": item.in_port and self._scene_global(item.in_port.scene_center()),
                "out": item.out_port and self._scene_global(item.out_port.scene_center()),
            }
        lines = {}
        for (src, dst), edge in w.scene.edge_items.items():
            if edge.weights is None or not edge.neuron_lines:
                continue
            p, q = edge.neuron_lines[0]
            mid = (p + q) / 2
            row, col, _ = edge.weight_at(mid)
            lines[f"{src}>{dst}"] = {"point": self._scene_global(mid), "row": row, "col": col}
        samples = {}
        plot = w.boundary
        for points in (plot.train_points, plot.test_points):
            for spot in points.points()[:3]:
                scene_pos = plot.plotItem.vb.mapViewToScene(spot.pos())
                samples[int(spot.data())] = self._global(plot.viewport(), plot.mapFromScene(scene_pos))
        vp = w.view.viewport()
        view_tl = self._global(vp, vp.rect().topLeft())
        combo, speed = w.training_panel.dataset, w.training_panel.speed
        return {
            "palette": palette, "palette_hidden": hidden, "samples": samples, "nodes": nodes, "weight_lines": lines,
            "view": [view_tl[0], view_tl[1], vp.width(), vp.height()],
            "dataset_combo": self._global(combo, combo.rect().center()),
            "dataset_combo_visible": combo.visibleRegion().boundingRect() == combo.rect(),
            "speed_combo": self._global(speed, speed.rect().center()),
        }


if __name__ == "__main__":
    sys.exit(main())
