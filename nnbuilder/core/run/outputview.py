"""The output view's geometry and values: which slice of the data it shows
(:class:`View`, :func:`view_of`), the grids of points it evaluates the network
over (:class:`InputGrid`, :func:`output_grids`), and the network's output and
each narrow layer's activation map over them (:func:`evaluate_view`). The
window draws them; the worker only trains."""
from __future__ import annotations

import math

from dataclasses import dataclass

import numpy as np

from ..engine.network import Network
from ..functions.losses import LOSSES
from ..model.nodetypes import NODE_SPECS

__all__ = ["InputGrid", "DataExtent", "View", "input_grid", "view_points", "view_of", "output_grids",
           "default_axes", "evaluate_view", "MAX_MAP_UNITS", "BOUNDARY_RES", "NEURON_RES", "CURVE_RES",
           "PAINT_PLANE", "output_scale", "PROBABILITY_OUTPUTS"]

MAX_MAP_UNITS = 16  # layers up to this wide get per-neuron maps
BOUNDARY_RES = 100  # output view grid (points per side)
NEURON_RES = 32  # neuron thumbnails
CURVE_RES = 200  # 1-D data: points along the fitted curve
PAINT_PLANE = [[-6.0, -6.0], [6.0, 6.0]]  # painted data lives on TF Playground's plane
PROBABILITY_OUTPUTS = ("sigmoid", "softmax", "step")  # outputs in [0, 1]


# A slice through wide data is evaluated on a coarser grid: at most about this
# many input cells (points x columns), at least MIN_RES points a side. 784
# columns: 36 x 36 points; at 100 x 100 the window spent 1.3 s of each frame
# evaluating it (bench_import_gui.py).
VIEW_CELLS = 1 << 20
MIN_RES = 24
MEDIAN_ROWS = 10_000  # DataExtent's median reads at most about this many rows
MEDIAN_CELLS = 2_000_000  # ... and about this many cells (784 columns: 2,551 rows)


@dataclass(frozen=True)
class View:
    """What the output view looks at: a slice through raw columns ``axes``,
    the output over a ``resolution`` lattice and the neuron maps over a
    ``neuron_resolution`` one (None: no neuron maps), each spanning the data
    plus ``margin`` (:func:`input_grid`)."""

    axes: tuple[int, int] = (0, 1)
    resolution: int = 100
    neuron_resolution: int | None = 32
    margin: float = 0.1


@dataclass(frozen=True)
class InputGrid:
    """Points covering the data: ``raw`` ``(n_points, n_columns)``.

    For 2-D data the points are a ``resolution x resolution`` lattice, row
    by row from ``y_range[0]`` (so ``values.reshape(res, res)[j, i]`` is at
    ``x = xs[i], y = ys[j]``); for 1-D data they are ``resolution`` values of x.
    For wider data the lattice is a *slice*: columns ``axes`` vary, every other
    column is held at its median (``fixed``: ``((column, value), ...)``).
    """

    raw: np.ndarray
    xs: np.ndarray
    ys: np.ndarray | None
    resolution: int
    axes: tuple[int, int] = (0, 1)
    fixed: tuple = ()

    @property
    def x_range(self) -> tuple[float, float]:
        return float(self.xs[0]), float(self.xs[-1])

    @property
    def y_range(self) -> tuple[float, float] | None:
        return None if self.ys is None else (float(self.ys[0]), float(self.ys[-1]))

    def features(self, network: Network) -> np.ndarray:
        return network.prepare(self.raw)


def _lattice(xs: np.ndarray, ys: np.ndarray | None, axes: tuple[int, int] = (0, 1),
             fixed: tuple = (), n_columns: int = 1) -> InputGrid:
    """The grid whose points are every (xs, ys) pair in columns ``axes``,
    the other columns at their ``fixed`` values."""
    if ys is None:
        return InputGrid(xs[:, None], xs, None, len(xs))
    i, j = axes
    gx, gy = np.meshgrid(xs, ys)
    raw = np.empty((gx.size, n_columns))
    for c, value in fixed:
        raw[:, c] = value
    raw[:, i], raw[:, j] = gx.ravel(), gy.ravel()
    return InputGrid(raw, xs, ys, len(xs), (i, j), tuple(fixed))


@dataclass(frozen=True)
class DataExtent:
    """Per column of raw data ``(n, n_columns)``: minimum, maximum and median,
    each ``(n_columns,)``; all :func:`input_grid` needs to know of the data."""

    lo: np.ndarray
    hi: np.ndarray
    median: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray) -> "DataExtent | None":
        """The extent of ``X``; None for empty data. Beyond
        :data:`MEDIAN_ROWS` rows (fewer for a wide table, :data:`MEDIAN_CELLS`)
        the median is that of every k-th row (a
        slice's fixed value, not a figure read exactly: the exact one of a
        60,000 x 784 table took seconds)."""
        X = np.asarray(X)
        if X.dtype.kind != "f":
            X = X.astype(np.float64)
        if X.ndim != 2 or len(X) == 0 or X.shape[1] == 0:
            return None
        rows = max(1000, min(MEDIAN_ROWS, MEDIAN_CELLS // X.shape[1]))  # a wide table: fewer rows
        every = -(-len(X) // rows)
        median = np.median(X[::every], axis=0).astype(np.float64)
        return cls(X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64), median)

    @property
    def n_columns(self) -> int:
        return len(self.lo)


def input_grid(X: np.ndarray | DataExtent, resolution: int = 100, margin: float = 0.1,
               axes: tuple[int, int] = (0, 1)) -> InputGrid | None:
    """A grid over the bounding box of raw data ``X`` plus ``margin`` of its
    size on each side (for more than two columns, a slice through ``axes``
    with the other columns at their medians); None for empty data.

    ``X`` may be its :class:`DataExtent` (the same grid, without reading the
    data again)."""
    extent = X if isinstance(X, DataExtent) else DataExtent.of(X)
    if extent is None:
        return None

    def span(c):
        lo, hi = float(extent.lo[c]), float(extent.hi[c])
        pad = max(hi - lo, 1.0) * margin
        return np.linspace(lo - pad, hi + pad, resolution)

    if extent.n_columns == 1:
        return _lattice(span(0), None)
    i, j = axes
    fixed = tuple((c, float(extent.median[c])) for c in range(extent.n_columns) if c not in (i, j))
    return _lattice(span(i), span(j), (i, j), fixed, extent.n_columns)


def view_points(dataset, painted: bool = False) -> np.ndarray | None:
    """The points the output view spans: the data's raw columns (painted data
    also the corners of its plane); None without data."""
    if dataset is None:
        return None
    X = dataset.X
    return np.vstack([X.reshape(-1, 2), PAINT_PLANE]) if painted else X


def default_axes(X: np.ndarray) -> tuple[int, int]:
    """The two columns a slice through data ``X`` ``(n, n_columns)`` spans
    first: the first two, unless one of them holds one value (an image's
    corner pixels): then the first two that vary most."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] < 3 or len(X) == 0:
        return 0, 1
    spread = X.max(axis=0).astype(np.float64) - X.min(axis=0)
    if spread[0] > 0 and spread[1] > 0:
        return 0, 1
    i, j = sorted(np.argsort(-spread, kind="stable")[:2].tolist())
    return i, j


def view_of(dataset, axes: tuple[int, int]) -> View:
    """What the output view shows of ``dataset``, through ``axes`` for data of
    3+ columns (a curve for 1-D data, with no neuron maps; a coarser grid for
    a wide table, see :data:`VIEW_CELLS`)."""
    n = dataset.X.shape[1] if dataset is not None else 2
    res = BOUNDARY_RES if n >= 2 else CURVE_RES
    if n > 2:  # a slice: its points cost all their columns (see VIEW_CELLS)
        res = max(MIN_RES, min(res, math.isqrt(VIEW_CELLS // n)))
    return View(axes if n > 2 else (0, 1), res, NEURON_RES if n >= 2 else None)


def output_grids(dataset, axes: tuple[int, int], painted: bool = False, extent: DataExtent | None = None):
    """(output grid, neuron grid or None) of :func:`view_of` over
    :func:`view_points` (whose :class:`DataExtent` ``extent`` may be given:
    it is not read again); (None, None) without data."""
    if extent is None:
        X = view_points(dataset, painted)
        extent = None if X is None else DataExtent.of(X)
    if extent is None:
        return None, None
    v = view_of(dataset, axes)
    grid = input_grid(extent, v.resolution, v.margin, v.axes)
    neuron = input_grid(extent, v.neuron_resolution, v.margin, v.axes) if v.neuron_resolution else None
    return grid, neuron


def evaluate_view(net: Network, grid_features: np.ndarray | None = None,
                  neuron_features: np.ndarray | None = None) -> tuple[np.ndarray | None, dict]:
    """What the output view and the neuron thumbnails show for ``net`` as it
    is: (outputs over ``grid_features`` ``(n_points, n_outputs)`` float32 or
    None, ``{node_id: (units, n_points)}`` float32 over ``neuron_features``,
    for layers of at most :data:`MAX_MAP_UNITS`). The window evaluates them
    itself, on its own core (the worker only trains)."""
    outputs, maps = None, {}
    with np.errstate(all="ignore"):
        if grid_features is not None:
            outputs = net.predict(grid_features).astype(np.float32)
        if neuron_features is not None:
            for nid, a in net.activations(neuron_features).items():
                if NODE_SPECS[net.nodes[nid].type].own_width and a.shape[1] <= MAX_MAP_UNITS:
                    maps[nid] = np.ascontiguousarray(a.T, dtype=np.float32)
    return outputs, maps


def output_scale(graph, dataset) -> tuple[float, tuple[float, float]]:
    """(the level of the output view's contour, the range its colours span)."""
    outs = graph.nodes_of_type("output")
    if not outs or dataset is None:
        return 0.5, (0.0, 1.0)
    p = outs[0].params
    if dataset.task == "regression":
        y = np.asarray(dataset.y, dtype=float)
        lo, hi = float(y.min()), float(y.max())
        return (lo + hi) / 2, (lo, hi)
    threshold = LOSSES[p["loss"]].threshold
    if p["activation"] in PROBABILITY_OUTPUTS:
        return threshold, (0.0, 1.0)
    return threshold, (threshold - 1.0, threshold + 1.0)
