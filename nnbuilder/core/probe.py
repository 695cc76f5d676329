"""What a live view shows of a network: its output over the input plane, each
neuron's activation map, and per-layer weight and gradient statistics."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import apply_features
from .network import Network

__all__ = ["InputGrid", "input_grid", "layer_stats"]


@dataclass(frozen=True)
class InputGrid:
    """Points covering the data: ``raw`` ``(n_points, n_columns)``.

    For 2-D data the points are a ``resolution x resolution`` lattice, row
    by row from ``y_range[0]`` (so ``values.reshape(res, res)[j, i]`` is at
    ``x = xs[i], y = ys[j]``); for 1-D data they are ``resolution`` values of x.
    """

    raw: np.ndarray
    xs: np.ndarray
    ys: np.ndarray | None
    resolution: int

    @property
    def x_range(self) -> tuple[float, float]:
        return float(self.xs[0]), float(self.xs[-1])

    @property
    def y_range(self) -> tuple[float, float] | None:
        return None if self.ys is None else (float(self.ys[0]), float(self.ys[-1]))

    def features(self, network: Network) -> np.ndarray:
        return apply_features(self.raw, network.features).astype(network.dtype)


def input_grid(X: np.ndarray, resolution: int = 100, margin: float = 0.1) -> InputGrid | None:
    """A grid over the bounding box of raw data ``X`` plus ``margin`` of its
    size on each side; None for data that is not 1-D or 2-D."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] not in (1, 2) or len(X) == 0:
        return None

    def span(col):
        lo, hi = float(col.min()), float(col.max())
        pad = max(hi - lo, 1.0) * margin
        return np.linspace(lo - pad, hi + pad, resolution)

    xs = span(X[:, 0])
    if X.shape[1] == 1:
        return InputGrid(xs[:, None], xs, None, resolution)
    ys = span(X[:, 1])
    gx, gy = np.meshgrid(xs, ys)
    return InputGrid(np.c_[gx.ravel(), gy.ravel()], xs, ys, resolution)


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
