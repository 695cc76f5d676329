"""What a live view shows of a network: its output over the input plane, each
neuron's activation map, and per-layer weight and gradient statistics."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network

__all__ = ["InputGrid", "input_grid", "layer_stats"]


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


def input_grid(X: np.ndarray, resolution: int = 100, margin: float = 0.1,
               axes: tuple[int, int] = (0, 1)) -> InputGrid | None:
    """A grid over the bounding box of raw data ``X`` plus ``margin`` of its
    size on each side (for more than two columns, a slice through ``axes``
    with the other columns at their medians); None for empty data."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0 or X.shape[1] == 0:
        return None

    def span(col):
        lo, hi = float(col.min()), float(col.max())
        pad = max(hi - lo, 1.0) * margin
        return np.linspace(lo - pad, hi + pad, resolution)

    if X.shape[1] == 1:
        xs = span(X[:, 0])
        return InputGrid(xs[:, None], xs, None, resolution)
    i, j = axes
    xs, ys = span(X[:, i]), span(X[:, j])
    gx, gy = np.meshgrid(xs, ys)
    medians = np.median(X, axis=0)
    raw = np.tile(medians, (resolution * resolution, 1))
    raw[:, i], raw[:, j] = gx.ravel(), gy.ravel()
    fixed = tuple((c, float(medians[c])) for c in range(X.shape[1]) if c not in (i, j))
    return InputGrid(raw, xs, ys, resolution, (i, j), fixed)


def layer_stats(network: Network, grad: np.ndarray | None = None, bins: int = 30) -> dict:
    """Per weighted layer: weight and gradient norms and a weight histogram.

    ``grad`` is a vector laid out like ``network.theta`` (default: the last
    computed gradient). Returns ``{node_id: {"w_norm", "g_norm", "hist",
    "edges"}}`` with fresh arrays.
    """
    grads = network.unflatten(network.grad if grad is None else grad)
    out = {}
    for nid, (W, _) in network.params.items():
        gW = grads[nid][0]
        lim = float(np.abs(W).max()) or 1.0
        hist, edges = np.histogram(W, bins=bins, range=(-lim, lim))
        out[nid] = {"w_norm": float(np.linalg.norm(W)), "g_norm": float(np.linalg.norm(gW)),
                    "hist": hist, "edges": edges}
    return out
