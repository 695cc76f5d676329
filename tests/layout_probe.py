"""The window laid out on an offscreen screen of a given size, for
tests/test_gui_presentation.py (run in its own process: the screen, and
QT_SCALE_FACTOR, are fixed when Qt starts).

``python tests/layout_probe.py WORK_DIR SCALE [PNG [SCENE]]``: the window as a first
start lays it out (presentation mode at SCALE if SCALE > 1); prints one JSON line: each panel in view (its rectangle in the
window), each plot in view (its size, and its data area's height), the window's and the screen's size, and
what screencheck finds wrong with the plots' tick labels and the tabs. SCENE "chain" is a teacher's:
the XOR lesson's trained network, a data point picked on the Output view and a hidden weight clicked
(the Learn panel's chain rule); "controls" that with the Learn panel's controls
opened; "select" a Dense layer selected; each adds the lines of that text in view, the diagram's scale, every
problem screencheck finds, the status message.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> int:
    work, scale = Path(sys.argv[1]), float(sys.argv[2])
    png = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    scene = sys.argv[4] if len(sys.argv) > 4 else ""
    os.environ["NNBUILDER_STATE_DIR"] = str(work / "state")
    from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication, QTabBar

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "config"))
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    import screencheck
    from nnbuilder.gui.widgets.plots import BasePlot
    from nnbuilder.gui.window.mainwindow import MainWindow

    MainWindow._ask_unsaved = lambda self: "discard"  # no one is there to answer
    w = MainWindow(offer_restore=False)
    w.training_panel.speed.setCurrentIndex(0)
    w.show()
    out = {}

    def in_view(widget) -> bool:  # a tab behind another is moved out of the window
        top_left = widget.mapTo(w, QPoint(0, 0))
        return widget.isVisible() and w.rect().contains(top_left)

    def settled(then, rounds=3):
        """``then`` once what is queued now (and what that queues) has run."""
        QTimer.singleShot(0, (lambda: settled(then, rounds - 1)) if rounds > 1 else then)

    def start():
        if scale > 1:
            then = {"chain": lambda: (chain_scene(w), settled(lambda: each_tab(list(TABS), report))),
                    "diverge": lambda: diverge_scene(w, lambda: settled(report)),
                    "controls": lambda: (chain_scene(w), w.learn_panel.set_controls_shown(True),
                                         w.docks["learnDock"].raise_(), settled(report)),
                    "select": lambda: (w.select_node(w.document.graph.nodes_of_type("dense")[0].id),
                                       settled(report))}.get(scene, lambda: settled(report))
            w.presentation.laidOut.connect(then, Qt.ConnectionType.SingleShotConnection)
            w.presentation.set_scale(scale)
            w.presentation.set_on(True)
        else:
            if scene == "chain":
                chain_scene(w)
            settled(report)

    def report():
        out["window"] = [w.width(), w.height()]
        screen = app.primaryScreen().geometry()
        out["screen"] = [screen.width(), screen.height()]
        out["font_pt"] = app.font().pointSizeF()
        out["docks"] = {n: [d.x(), d.y(), d.width(), d.height()] for n, d in w.docks.items() if in_view(d)}
        out["plots"] = {p.objectName(): [p.width(), p.height()] for p in w.findChildren(BasePlot) if in_view(p)}
        out["data"] = {p.objectName(): round(p.plotItem.vb.height()) for p in w.findChildren(BasePlot) if in_view(p)}
        image = w.grab().toImage()
        out["ticks"] = [t for p in w.findChildren(BasePlot) if in_view(p) for t in screencheck.tick_problems(p)]
        palette = w.palette_list  # its empty room under its last row of entries
        rows_end = max(palette.visualItemRect(palette.item(i)).bottom() for i in range(palette.count()))
        out["palette_spare"] = palette.viewport().height() - rows_end if in_view(palette) else 0
        out["palette_row"] = palette.gridSize().height()
        out["tabs"] = [t for bar in w.findChildren(QTabBar) if screencheck._shown(bar, w)
                       for t in screencheck.tab_problems(bar, w, image)]
        if scene:
            from PySide6.QtGui import QFontMetrics
            text = w.learn_panel.text
            spacing = QFontMetrics(text.document().defaultFont()).lineSpacing()
            out["learn_lines"] = text.viewport().height() / spacing if in_view(text) else 0
            out["inspector_in_view"] = in_view(w.inspector) and not w.inspector.visibleRegion().isEmpty()
            out["output_in_view"] = in_view(w.output_panel) and not w.output_panel.visibleRegion().isEmpty()
            out["learn_in_view"] = in_view(text) and not text.visibleRegion().isEmpty()
            out["diagram_scale"] = w.view.transform().m11()
            items = w.scene.itemsBoundingRect()
            out["diagram_fits"] = w.view.mapToScene(w.view.viewport().rect()).boundingRect().contains(items)
            out["problems"] = screencheck.problems(w, image)
            out["status"] = w.statusBar().currentMessage()
            out["status_shown"] = w.status_message.shown_text()
            out["status_room"] = w.status_message.room().width()
            out["status_width"] = w.statusBar().fontMetrics().horizontalAdvance(out["status_shown"])
            plot = w.curves.loss
            box = plot.plotItem.vb.sceneBoundingRect()
            # each mark's label inside the data area (but the few px of padding round its text)
            out["marks"] = [[m.label.isVisible(), box.adjusted(-6, -6, 6, 6).contains(m.label.sceneBoundingRect())]
                            for m in plot.marks]
        if png:
            w.grab().save(png)
        print("@@ " + json.dumps(out), flush=True)
        w.document.undo_stack.setClean()
        w.close()
        app.quit()

    def chain_scene(w):
        """The XOR lesson's two hidden units, trained; row 1 picked on the Output view; a hidden weight clicked."""
        w.show_lessons()
        w.lessons.start("02-xor")
        w.lessons.next()
        screencheck.train(w, 200)
        w.boundary.sampleClicked.emit(0)  # what a click on the point does
        hidden = w.document.graph.nodes_of_type("dense")[0]
        w.scene.weightClicked.emit(hidden.id, 0, 0)

    TABS = ("functionsDock", "surfaceDock", "curvesDock", "trainingDock", "lessonDock", "learnDock")
    out["in_front"] = {}

    def each_tab(names, then):
        """Each of ``names`` raised in turn: its plots' data heights and what screencheck finds
        wrong on it (the Functions, Loss surface, curves and Training panels at this size)."""
        if not names:
            then()
            return
        name = names[0]
        w.docks[name].raise_()

        def look():
            import pyqtgraph as pg
            from PySide6.QtWidgets import QLabel
            dock = w.docks[name]
            image = w.grab().toImage()
            found = [f for lab in dock.findChildren(QLabel) if screencheck._shown(lab, w)
                     for f in screencheck.label_problems(lab, w, image) if "contrast" not in f]
            plots = {}
            for plot in dock.findChildren(pg.GraphicsView):
                if screencheck._shown(plot, w):
                    item = getattr(plot, "plotItem", None)
                    plots[plot.objectName() or type(plot).__name__] = round(
                        item.vb.height() if item is not None else plot.height())
                    found += [f for f in screencheck.plot_text_problems(plot, w, image) if "contrast" not in f]
            from PySide6.QtWidgets import QScrollArea
            sideways = [a.accessibleName() or a.objectName() for a in dock.findChildren(QScrollArea)
                        if a.horizontalScrollBar().isVisible()]  # content wider than its room
            out["in_front"][name] = {"plots": plots, "problems": found, "window": [w.width(), w.height()],
                                     "sideways": sideways}
            if png:
                image.save(png[:-4] + f"-{name}.png")
            each_tab(names[1:], then)
        settled(look)

    def diverge_scene(w, then):
        """linear_regression at learning rate 0.5 (it diverges, as tests/test_gui_stale.py finds),
        trained until it does, with the curves in front."""
        from nnbuilder.core.resources import resource
        w.files.open_file(str(resource("examples", "linear_regression.json")), ask_to_save=False)
        w.training_panel.lr.setValue(0.5)
        w.docks["curvesDock"].raise_()
        w.run.toggle_play()
        screencheck.wait_until(lambda: w.run.snapshot is not None and w.run.snapshot.divergence is not None
                               and not w.run.snapshot.running and w.curves.loss.marks)
        then()

    QTimer.singleShot(0, lambda: QTimer.singleShot(0, start))  # after the first show's layout
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
