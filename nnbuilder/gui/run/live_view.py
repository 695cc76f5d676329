"""The live view: on a ~30 Hz timer, takes the run's newest snapshot and draws
it into the output view, the curves, the gradient plots, the diagram and the
counters. The timer runs only while a run trains or a snapshot is awaited
(after a command); at rest it stops, and a command sent starts it again. It
reads the run and the data; it writes neither the document nor the run
(trained weights reach the document through the run controller).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QToolButton

from nnbuilder.core.errors import NNBuilderError
from nnbuilder.core.run.classreport import class_report
from nnbuilder.core.run.snapshot import layer_stats
from nnbuilder.core.run.timeline import row_name
from nnbuilder.core.run.outputview import (NEURON_RES, DataExtent, evaluate_view, output_grids,
                                           output_scale, view_of, view_points)

from ..data.data_controller import DataController
from .curves import CurvesPanel
from .layer_plot import LayerPlot
from ..widgets.icons import icon
from ..widgets.plots import BoundaryPlot, title_size
from nnbuilder.core.run.prepared import Prepared
from nnbuilder.core.run.protocol import release
from .run_controller import RunController
from ..diagram.scene import NetworkScene
from ..data.output_panel import ViewOptions

FRAME_MS = 33  # ~30 Hz: the output map and the diagram
CURVE_EVERY = 8  # loss, then metric, on every 8th frame: they move slowly, their axes cost
STATS_EVERY = 6  # gradient norms and histograms at ~5 Hz, and only when shown
# The toolbar's loss while the paused run is of data no longer chosen (the
# new data does not fit the network yet): not the old data's number.
STALE_LOSS = "loss —"
MAX_POINTS = 5000  # points drawn per set (training, test): more only hide each other, and cost


def shown(indices: np.ndarray) -> np.ndarray:
    """At most MAX_POINTS of ``indices``, the same ones every time (a slice
    change redraws every point: 100,000 of them took seconds)."""
    if len(indices) <= MAX_POINTS:
        return indices
    pick = np.random.default_rng(0).choice(len(indices), MAX_POINTS, replace=False)
    return indices[np.sort(pick)]


def flush_paint() -> None:
    """Run pending scene updates and repaints now instead of in a later loop turn."""
    app = QApplication.instance()
    for _ in range(2):  # scene updates are queued calls that post the repaint
        app.sendPostedEvents(None, 0)


def loss_text(snap) -> str:
    """The toolbar's loss: the newest history row's (an epoch's end), and,
    while a long epoch runs past it, the mean loss of its recent training
    batches (the trainer's running loss), so the number moves. A run paused
    past the row without that says which row it is ("(end of epoch 19)"):
    not the loss of the weights shown, which looking back at that step
    reads. A big run's starting loss not evaluated yet reads "evaluating"."""
    last = {"step": 0, "epoch": 0, "train_loss": np.nan, "test_loss": np.nan, **snap.last}
    if snap.start_pending:
        text = "loss evaluating…"
    else:
        test = "" if not np.isfinite(last["test_loss"]) else f" · test {last['test_loss']:.4g}"
        text = f"loss {last['train_loss']:.4g}{test}"
        if snap.step > last["step"] and not snap.running and snap.running_loss is None:
            text += f" ({row_name(int(last['epoch']))})"
    if snap.running_loss is not None and snap.step > last["step"]:
        mean, n = snap.running_loss
        text += f" · batches {mean:.4g} (mean of last {n})"
    return text


def rate_text(steps_per_sec: float) -> str:
    """The toolbar's speed, "1 step/s" or "100 steps/s"."""
    n = f"{steps_per_sec:,.0f}"
    return f"{n} step/s" if n == "1" else f"{n} steps/s"


@dataclass
class Counters:
    """The toolbar's read-outs and the Train/Pause button."""

    epoch: QLabel
    rate: QLabel
    elapsed: QLabel
    loss: QLabel
    play: QToolButton

    def show(self, epoch=0, step=0, steps_per_sec=0.0, elapsed=0.0, loss="", running=False,
             restored: tuple | None = None) -> None:
        """``restored``: (epoch or None, step) of weights a divergence went back
        to, which are the ones shown (not those of ``epoch`` and ``step``).
        A paused run's speed reads "paused": the rate measured over its last
        frames (a Step's few steps after a rest) means nothing then."""
        if restored is None:
            self.epoch.setText(f"Epoch {epoch:,} · step {step:,}")  # a Step shows at once
        else:
            at, back = restored
            self.epoch.setText(f"Restored: epoch {at:,} · step {back:,}" if at is not None
                               else f"Restored weights of step {back:,}")
        if running:
            self.rate.setText(rate_text(steps_per_sec))
        elif step == 0:  # nothing trained yet (a new run)
            self.rate.setText(rate_text(0))
        else:
            self.rate.setText("paused")
        self.elapsed.setText(time.strftime("%H:%M:%S", time.gmtime(elapsed)))
        self.loss.setText(loss)
        self.show_running(running)

    def show_threads(self, threads: int) -> None:
        """How many BLAS threads the worker trains with, on the steps/s read-out's tooltip."""
        tip = f"Training on {threads} BLAS thread{'s' if threads != 1 else ''}"
        if self.rate.toolTip() != tip:
            self.rate.setToolTip(tip)

    def show_running(self, running: bool) -> None:
        """Train or Pause on the button: its text and icon, set when they change
        (a new icon repaints the toolbar: not on every frame)."""
        text = "Pause" if running else "Train"
        if self.play.text() != text or self.play.property("shownIcon") != text:
            self.play.setText(text)
            self.play.setIcon(icon("pause" if running else "play"))
            self.play.setProperty("shownIcon", text)


class ViewProbe:
    """The output view and neuron maps of a snapshot, evaluated in the window
    from the snapshot's weights (on the window's core: the worker only trains).

    Computes on its own copy of the run's prepared network (it loads every
    frame's weights into it; the prepared one stays as built) and keeps the
    grids' features, both made again only when the prepared value or the view
    change."""

    def __init__(self):
        self._prepared: Prepared | None = None
        self._net = None  # a copy of the prepared network (its buffers are the probe's)
        self._features_key = None
        self._features = (None, None)

    def network(self, prepared: Prepared, weights: dict, slopes: dict | None = None):
        """The probe's network holding ``weights`` (``{node_id: (W, b)}``) and
        the prelu layers' ``slopes`` (``{node_id: alpha}``), or None when
        they do not fit it."""
        if prepared is not self._prepared:
            self._prepared = prepared
            self._net = None if prepared.network is None else prepared.network.detached()
        net = self._net
        if net is None or not weights:
            return None
        slopes = slopes or {}
        loaded = net.set_weights({nid: {"W": W, "b": b, "alpha": slopes.get(nid)}
                                  for nid, (W, b) in weights.items()}, strict=False)
        return net if len(loaded) == len(net.params) else None  # else: of a structure being replaced

    def evaluate(self, prepared: Prepared, weights: dict, grids, outputs: bool = True,
                 maps: bool = True, slopes: dict | None = None) -> tuple[np.ndarray | None, dict]:
        """(outputs, maps) as :func:`~nnbuilder.core.run.outputview.evaluate_view`
        gives them for ``weights`` (``{node_id: (W, b)}``) and the prelu
        layers' ``slopes``; (None, {}) when the weights do not fit the network."""
        net = self.network(prepared, weights, slopes)
        if net is None:
            return None, {}
        key = (id(net), id(grids[0]), id(grids[1]))
        if key != self._features_key:
            self._features_key = key
            try:
                self._features = tuple(None if g is None else g.features(net) for g in grids)
            except NNBuilderError:  # the grid no longer fits the inputs
                self._features = (None, None)
        gf, nf = self._features
        return evaluate_view(net, gf if outputs else None, nf if maps else None)


class LiveView(QObject):
    """Draws ``run``'s snapshots and ``data``'s points into the given widgets;
    ``frameDrawn(snapshot)`` after each, ``weightsShown(weights)`` after
    weights of no snapshot (the document's, a moment of the timeline)."""

    frameDrawn = Signal(object)
    weightsShown = Signal(object)  # {node_id: (W, b)} drawn that are not a snapshot's (show_weights)
    momentShown = Signal(object)  # a moment of the timeline drawn instead of now (a MomentWeights)

    def __init__(self, run: RunController, data: DataController, options: ViewOptions,
                 boundary: BoundaryPlot, curves: CurvesPanel, layer_plot: LayerPlot,
                 scene: NetworkScene, counters: Counters, parent=None):
        super().__init__(parent)
        self.run, self.data, self.options = run, data, options
        self.boundary, self.curves, self.layer_plot = boundary, curves, layer_plot
        self.scene, self.counters = scene, counters
        self.frame_times: deque = deque(maxlen=4000)
        self.draw_ms: deque = deque(maxlen=4000)  # time each drawn frame took
        self.frames_drawn = 0
        self._frame = 0
        self.probe = ViewProbe()
        self._grids_key = None
        self._grids = (None, None)
        self._extent = (None, None)  # (data version, its DataExtent)
        run.runReplaced.connect(self.clear)
        run.runReplaced.connect(self.wake)
        run.commandSent.connect(self.wake)
        run.diverged.connect(curves.mark_divergence)
        run.readyChanged.connect(lambda _: self._show_running())
        data.dataChanged.connect(self.show_data)
        options.changed.connect(self.view_options_changed)
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.tick)
        self.wake()

    def wake(self) -> None:
        """Draw again: a command went to the run, or a new run began."""
        if not self.timer.isActive():
            self.timer.start()

    # ------------------------------------------------------------- a new run
    def clear(self) -> None:
        """A new run: nothing of the old one stays on screen."""
        c = self.curves
        c.loss.start_over()
        c.metric_plot.start_over()
        c.confusion.clear_counts()
        c.confusion.setVisible(False)  # until the new run's first counts
        if self.data.dataset is not None:
            self._name_metric(self._accuracy_shown())
        self.layer_plot.clear()
        self.boundary.clear_output()
        self.scene.clear_live()
        self.counters.show()
        self.show_document_weights()

    def show_document_weights(self) -> None:
        """Before a run has a snapshot: the document's trained weights, if it
        has some that fit (a reopened trained model shows its trained state),
        else the initial weights Train starts from (an untrained network, a
        lesson step that reset them: drawn, not an empty view)."""
        doc = self.run.document
        if doc is None or self.run.snapshot is not None or doc is not self.data.document:
            return
        trained = self.run.current_weights() if doc.weights else None
        prepared = self.run.prepared()
        net = prepared.network_with(trained) if trained else None
        if net is None and doc.fitting_weights() is None and prepared.network is not None:
            net = prepared.network.detached()
            # The Trainer's first draw from its generator (core/engine/trainer.py Trainer._bind),
            # as core/files/exports.py exported_network draws an untrained model's.
            net.init_params(np.random.default_rng(doc.seed))
        if net is None:
            return
        self.layer_plot.show_weights(layer_stats(net, np.zeros_like(net.theta)), doc.graph.label)
        theta = net.theta.copy()
        self.show_weights(net.unflatten(theta), net.unflatten_slopes(theta))

    def show_weights(self, weights: dict, slopes: dict | None = None) -> None:
        """The output view and the diagram for ``weights`` (``{node_id: (W, b)}``,
        prelu ``slopes`` ``{node_id: alpha}``) that are not the newest
        snapshot's: the document's, or a moment of the timeline."""
        outputs, maps = self.probe.evaluate(self.run.prepared(), weights, self.grids(), slopes=slopes)
        if self._grid_shown():
            self.boundary.set_output(outputs, *self._scale())
        self.scene.show_live(weights, maps, NEURON_RES, slopes)
        self.weightsShown.emit(weights)

    def show_moment(self, moment) -> None:
        """A kept moment of the timeline (a MomentWeights) instead of now: the
        output view and the diagram, and the read-outs that would otherwise
        show now: the counters, the confusion matrix and the weight histogram
        (and the step marked on the gradient norms, which are a history)."""
        self.show_weights(moment.weights, moment.slopes)
        self.momentShown.emit(moment)
        prepared = self.run.prepared()
        net = self.probe.network(prepared, moment.weights, moment.slopes)
        self.counters.epoch.setText(f"Looking back: epoch {moment.epoch:,} · step {moment.step:,}")
        if net is None or prepared.data is None:
            self.counters.loss.setText(STALE_LOSS)
            return
        d = prepared.data
        with np.errstate(all="ignore"):
            train, _ = net.evaluate(d.X_train, d.Y_train)
            test, _ = net.evaluate(d.X_test, d.Y_test) if len(d.X_test) else (np.nan, None)
            stats = layer_stats(net, np.zeros_like(net.theta)) if self.layer_plot.isVisible() else None
        # The loss of these weights; inside an epoch, not the row of its end the bar and the curves read.
        these = " (these weights)" if moment.at > moment.epoch else ""
        self.counters.loss.setText(f"loss {train:.4g}" + (f" · test {test:.4g}" if np.isfinite(test) else "")
                                   + these)
        confusion = self.curves.confusion
        if d.task == "classification" and confusion.counts is not None and self.data.dataset is not None:
            with np.errstate(all="ignore"):
                r = class_report(net.predict, d, net.loss.threshold)  # the worker's own report, of this moment
            confusion.set_counts(r.confusion, self.data.dataset.class_names, (r.precision, r.recall, r.f1),
                                 r.subset)
        release(d.X_train, d.X_test)  # read every row: the window keeps its table, not the worker's features too
        self.layer_plot.show_moment(moment.step, stats)

    def _show_running(self) -> None:
        self.counters.show_running(self.run.running)

    def show_data(self) -> None:
        """The data in the output view, with the network's output over it if
        there is one to show."""
        if not self.run.on_current_data():  # paused on the old data (the new one does not fit yet)
            self.counters.loss.setText(STALE_LOSS)
        if not self._show_points():
            return
        snap = self.run.snapshot
        if snap is not None:
            self.show_output(snap)
        else:
            self.show_document_weights()

    def _show_points(self) -> bool:
        """The current data's points and grid in the output view; False when
        there is no grid to draw an output over."""
        data, bp = self.data, self.boundary
        self.scene.set_data_columns(data.dataset.column_names if data.dataset is not None else [])
        if data.dataset is None:
            bp.set_data(None, None, None, None, None, "classification", 0)
            self.options.show_held([])
            return False
        grid, _ = self.grids()
        tr, te = (shown(ix) for ix in data.split_indices())
        ds = data.dataset
        self._name_metric(self._accuracy_shown())
        if not self._confusion_applies():  # a matrix of other data (the paused run's) is none of these
            self.curves.confusion.clear_counts()
            self.curves.confusion.setVisible(False)
        bp.set_data(grid, ds.X[tr], ds.y[tr], ds.X[te], ds.y[te], ds.task, ds.n_classes, ds.column_names,
                    rows=(tr, te))
        self.options.show_held([] if grid is None else [(ds.column_names[c], v) for c, v in grid.fixed])
        bp.set_show_test(self.options.show_test.isChecked())
        return grid is not None

    def _grid_shown(self) -> bool:
        """The output view shows the current data's grid (a new run can come
        before the data is drawn: then the data is drawn first)."""
        grid = self.grids()[0]
        return grid is not None and (self.boundary.grid is grid or self._show_points())

    def view_options_changed(self) -> None:
        axes = self.options.slice_axes()
        if self.boundary.grid is not None and self.boundary.grid.fixed and axes != self.boundary.grid.axes:
            self.show_data()
        self.boundary.discretize = self.options.discretize.isChecked()
        self.boundary.set_show_test(self.options.show_test.isChecked())
        snap = self.run.snapshot
        if snap is not None:
            self.show_output(snap)

    def grids(self):
        """(output grid, neuron grid) of the view shown now, made once per data and view."""
        axes = self.options.slice_axes()
        key = (self.data.version, view_of(self.data.dataset, axes))
        if key != self._grids_key:
            self._grids_key = key
            painted = "points" in self.data.spec
            if self._extent[0] != self.data.version:  # the data's extent, read once per data
                X = view_points(self.data.dataset, painted)
                self._extent = (self.data.version, None if X is None else DataExtent.of(X))
            self._grids = output_grids(self.data.dataset, axes, painted, self._extent[1])
        return self._grids

    def evaluate(self, snap, outputs: bool = True, maps: bool = True):
        """(outputs, neuron maps) of ``snap``'s weights over the view shown now."""
        return self.probe.evaluate(self.run.prepared(), snap.weights, self.grids(), outputs, maps,
                                   snap.slopes)

    def show_output(self, snap) -> None:
        if not self._grid_shown():
            return
        self.boundary.set_output(self.evaluate(snap, maps=False)[0], *self._scale(), exact=not snap.running)

    def _scale(self):
        return output_scale(self.run.document.graph, self.data.dataset) if self.run.document else \
            (0.5, (0.0, 1.0))

    # ------------------------------------------------------------------ draw
    def tick(self) -> None:
        self.frame_times.append(time.perf_counter())
        if self.run.worker is None:
            self.timer.stop()
            return
        snap = self.run.take_latest()
        if snap is not None:
            t0 = time.perf_counter()
            self._frame += 1
            # Frames take turns, the output plot and curves on even frames, the
            # diagram on odd ones, so no frame costs more than ~a third of the
            # 33 ms; painting happens here, inside the measured frame.
            plots = self._frame % 2 == 0 or not snap.running
            self.draw(snap, plots=plots, diagram=not plots or not snap.running)
            flush_paint()
            self.draw_ms.append((time.perf_counter() - t0) * 1000)
            self.frames_drawn += 1
        if self.run.settled:  # at rest until the next command
            self.timer.stop()
            return
        # The next one is ready by the next tick, with what that frame draws.
        nxt = self._frame + 1
        plots_next = nxt % 2 == 0
        # The worker sends weights and rows; of the rest only what needs the
        # trainer (gradients, the test set): the window evaluates the output
        # view and the neuron maps itself, so the worker spends its core training.
        parts = set()
        if plots_next and nxt % STATS_EVERY == 0 and self.layer_plot.isVisible():
            parts.add("stats")
        if plots_next and nxt % (CURVE_EVERY // 2) == 0:
            parts.add("confusion")  # drawn with the curves
        self.run.request(parts)

    def draw(self, snap, plots: bool = True, diagram: bool = True) -> None:
        final = not snap.running
        if plots:
            # The two curve plots take turns too (each costs ~10 ms with its axes).
            if final or self._frame % CURVE_EVERY == 0:
                self.draw_curves(snap, loss=True, metric=final)
            elif self._frame % CURVE_EVERY == CURVE_EVERY // 2:  # (both on even frames)
                self.draw_curves(snap, loss=False, metric=True)
            self.show_output(snap)
            if (final or self._frame % STATS_EVERY == 0) and self.layer_plot.isVisible():
                self.layer_plot.update_from(snap, self.run.document.graph.label)
        if diagram:
            self.scene.show_live(snap.weights, self.evaluate(snap, outputs=False)[1], NEURON_RES,
                                 snap.slopes)
        loss = loss_text(snap) if self.run.on_current_data() else STALE_LOSS
        self.counters.show(snap.epoch, snap.step, snap.steps_per_sec, snap.elapsed, loss, snap.running,
                           self.restored(snap))
        self.counters.show_threads(snap.blas_threads)
        if snap.running:
            self.counters.play.setEnabled(True)
        self.frameDrawn.emit(snap)

    def _accuracy_shown(self) -> bool:
        """The metric plot shows accuracy: the run's curves are a classifier's
        (a run paused on data no longer chosen: the curves are of its data),
        else the data is for classification."""
        snap, ds = self.run.snapshot, self.data.dataset
        if snap is not None and not self.run.on_current_data():
            return snap.metric_name == "accuracy"
        return ds is not None and ds.task == "classification"

    def _confusion_applies(self) -> bool:
        """A confusion matrix is of the data chosen: classification data, and
        the run trains on it (a run paused on the old data counts the old)."""
        ds = self.data.dataset
        return ds is not None and ds.task == "classification" and self.run.on_current_data()

    def restored(self, snap) -> tuple | None:
        """(epoch or None, step) of the weights ``snap`` holds when a divergence
        restored them (their epoch from the curves' row of that step), else None."""
        if snap.weights_step == snap.step:
            return None
        c = self.run.state.curves
        at = np.flatnonzero(c.column("step") == snap.weights_step)
        return (int(c.column("epoch")[at[0]]) if len(at) else None), snap.weights_step

    def _name_metric(self, classification: bool) -> None:
        """The metric plot's title (accuracy or R²); the confusion matrix only
        for classification."""
        plot = self.curves.metric_plot
        name = "accuracy" if classification else "R²"
        if plot.ylabel != name:
            plot.plotItem.setTitle(name.capitalize(), size=title_size())
            plot.apply_theme()  # the title in the theme's ink, the legend beside it again
            plot.ylabel = name
        if not classification:
            self.curves.confusion.setVisible(False)

    def draw_curves(self, snap, loss: bool = True, metric: bool = True) -> None:
        w, c = self.curves, self.run.state.curves
        self._name_metric(snap.metric_name == "accuracy")
        epochs = c.column("epoch")
        exact = not snap.running
        if loss:
            w.loss.set_data(epochs, c.column("train_loss"), c.column("test_loss"), exact)
        if metric:
            w.metric_plot.set_data(epochs, c.column("train_metric"), c.column("test_metric"), exact)
        dataset = self.data.dataset
        if not self._confusion_applies():
            w.confusion.setVisible(False)
        elif snap.confusion is not None and dataset is not None:
            w.confusion.setVisible(True)
            r = snap.report  # counted on the test rows, on the training rows when there are none
            w.confusion.set_counts(snap.confusion, dataset.class_names,
                                   None if r is None else (r.precision, r.recall, r.f1),
                                   "test" if r is None else r.subset)
        elif snap.metric_name != "accuracy":
            w.confusion.setVisible(False)
