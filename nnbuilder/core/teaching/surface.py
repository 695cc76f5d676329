"""The loss surface: the training loss as a function of one or two chosen
weights, every other weight held where it is.

:class:`LossSurface` evaluates a network on the training rows exactly as the
trainer does (:class:`~nnbuilder.core.engine.traindata.TrainData`'s ``X_train`` and
``Y_train``, the loss convention of :mod:`nnbuilder.core.functions.losses`, inference
mode), so a point of the curve at the current weight *is* the trainer's
``evaluate()["train_loss"]``: the data loss, without regularization, as the
history records it. With L1/L2 on, :attr:`Curve.objective` adds the penalty
the trainer's steps descend (``l1 * sum |W| + l2/2 * sum W^2`` over weights,
never biases), and :attr:`Curve.objective_slope` is the gradient the update
uses.

A weight is a :class:`~nnbuilder.core.teaching.weightref.WeightRef` (the one ``explain``
uses): node id, row (the input unit, as in the model file's ``W`` of shape
``(fan_in, units)``) or None for the bias, and column (the unit); indices are
0-based here and 1-based in :func:`weight_text`.

The surface works on its own copy of the network (dropout off, so the
training-mode backward pass gives the exact slope of the inference-mode
loss); the network it was made from is never written to. One value costs one
forward pass over the training rows: on a few hundred rows a curve of 201
values takes some tens of milliseconds, a 41 x 41 grid some tenths of a second
(the ``*_steps`` generators let a window spread that out).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..errors import NNBuilderError
from ..steps import finish
from .weightref import WeightRef
from ..engine.network import Network
from ..engine.traindata import TrainData

__all__ = ["WeightRef", "Curve", "Grid", "LossSurface", "weight_refs", "value_range", "weight_text",
           "weight_value"]

_ONE_PLAN = 8192  # up to this many rows one forward pass evaluates them all (Network._EVAL_CHUNK)


def weight_text(ref: WeightRef, name: str | None = None) -> str:
    """``Dense 1 W[1,2]`` or ``Dense 1 b[2]`` (1-based, as the window shows
    weights; ``name`` the layer's, its id without one)."""
    name = ref.node if name is None else name
    if ref.is_bias:
        return f"{name} b[{ref.col + 1}]"
    return f"{name} W[{ref.row + 1},{ref.col + 1}]"


def weight_value(ref: WeightRef, weights: dict) -> float:
    """``ref``'s value in ``weights`` (``{node_id: (W, b)}`` or ``{node_id: {"W", "b"}}``)."""
    W, b = _pair(weights[ref.node])
    return float(b[ref.col] if ref.is_bias else W[ref.row, ref.col])


def _pair(entry) -> tuple:
    return (entry["W"], entry.get("b")) if isinstance(entry, dict) else entry


def weight_refs(network: Network) -> list[WeightRef]:
    """Every weight and bias of ``network``, layer by layer (W row by row, then b)."""
    refs = []
    for nid, (_, fan_in, units, b_off) in network.layout.items():
        refs += [WeightRef(nid, r, c) for r in range(fan_in) for c in range(units)]
        if b_off is not None:
            refs += [WeightRef(nid, None, c) for c in range(units)]
    return refs


def value_range(current: float, path=(), least: float = 1.0) -> tuple[float, float]:
    """The weight values a curve spans: ``current`` +- max(``least``, |current|),
    widened to take in the finite ``path`` values within 50 such spans of it,
    plus 5% on each side."""
    half = max(least, abs(current))
    lo, hi = current - half, current + half
    p = np.asarray(path, dtype=np.float64).ravel()
    p = p[np.isfinite(p) & (np.abs(p - current) <= 50 * half)]
    if len(p):
        lo, hi = min(lo, float(p.min())), max(hi, float(p.max()))
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def _values(lo: float, hi: float, points: int, include) -> np.ndarray:
    """``points`` values evenly over [lo, hi] with the ``include`` values added, sorted, unique."""
    extra = np.asarray(include, dtype=np.float64).ravel()
    extra = extra[np.isfinite(extra)]
    return np.union1d(np.linspace(lo, hi, max(2, points)), extra)


def _lattice(lo: float, hi: float, points: int, at: float) -> np.ndarray:
    """About ``points`` evenly spaced values over [lo, hi], one of them exactly
    ``at`` (a grid drawn as an image needs even spacing)."""
    step = (hi - lo) / max(1, points - 1)
    if not step > 0:
        return np.array([at])
    k = np.arange(np.floor((lo - at) / step), np.ceil((hi - at) / step) + 1)
    values = at + k * step
    values[k == 0] = at
    return values


@dataclass(frozen=True)
class Curve:
    """The loss over one weight, the others fixed. Arrays ``(k,)``."""

    ref: WeightRef
    values: np.ndarray  # the weight's values, ascending; ``current`` is one of them
    loss: np.ndarray  # the data loss (what the trainer records as train_loss) at each
    objective: np.ndarray  # loss + the L1/L2 penalty the steps descend (= loss without it)
    current: float  # the weight's value now
    current_loss: float  # the data loss now
    slope: float  # dL/dw at ``current``: the engine's gradient of the data loss
    objective_slope: float  # slope + the penalty's gradient (what the update uses)
    next_value: float | None = None  # w - lr · objective_slope: plain SGD's step over the whole batch
    next_loss: float | None = None  # the data loss there (``next_value`` is one of ``values``)

    def loss_of(self, w) -> np.ndarray:
        """The loss at values ``w`` that were evaluated (exactly; others interpolated)."""
        return np.interp(np.asarray(w, dtype=np.float64), self.values, self.loss)


@dataclass(frozen=True)
class Grid:
    """The loss over two weights, the others fixed: ``loss[j, i]`` at
    (``a_values[i]``, ``b_values[j]``), so rows follow the second weight."""

    refs: tuple[WeightRef, WeightRef]
    a_values: np.ndarray  # (ka,) ascending, evenly spaced; the current value is one of them
    b_values: np.ndarray  # (kb,) likewise
    loss: np.ndarray  # (kb, ka) data loss
    objective: np.ndarray  # (kb, ka) loss + penalty
    current: tuple[float, float]
    current_loss: float
    gradient: tuple[float, float]  # (dL/da, dL/db) of the data loss, now


def _inference_twin(net: Network) -> Network:
    """A copy of ``net`` (its structure, loss, input statistics and weights,
    not compiled again), with every Dropout rate 0, so its training-mode
    passes are its inference-mode ones (the trainer's evaluate() never drops
    units). ``net`` itself is left as it is."""
    twin = net.detached()
    twin.nodes = {nid: dataclasses.replace(node, params={**node.params, **(
                      {"rate": 0.0} if "rate" in node.params else {})})
                  for nid, node in net.nodes.items()}
    twin.input_mean, twin.input_std = net.input_mean.copy(), net.input_std.copy()
    return twin


class LossSurface:
    """The training loss of ``network`` on ``data`` over chosen weights.

    ``config`` (a :class:`~nnbuilder.core.engine.config.TrainConfig` or anything
    with ``l1`` and ``l2``) gives the regularization of :attr:`Curve.objective`.
    The weights are ``network``'s now; :meth:`set_weights` moves them (e.g.
    to a snapshot's).
    """

    def __init__(self, network: Network, data: TrainData, config=None):
        if len(data.X_train) == 0:
            raise NNBuilderError("the loss surface needs training rows; there are none")
        self.net = _inference_twin(network)
        self.X, self.Y = data.X_train, data.Y_train
        self.l1 = float(getattr(config, "l1", 0.0) or 0.0)
        self.l2 = float(getattr(config, "l2", 0.0) or 0.0)
        self._grad_valid = False

    @classmethod
    def from_trainer(cls, trainer) -> "LossSurface":
        """The surface of a trainer's network, data and config as they are now."""
        return cls(trainer.network, trainer.data, trainer.config)

    # --------------------------------------------------------------- weights
    def set_weights(self, weights: dict, slopes: dict | None = None) -> None:
        """Take ``weights`` (``{node_id: (W, b)}`` as snapshots carry them, or
        ``{node_id: {"W", "b"}}`` as documents do) for every weighted node,
        and the prelu layers' ``slopes`` (``{node_id: alpha}``, or a
        document entry's ``"alpha"``; their initial value where not given)."""
        self.net.theta[...] = self.flatten(weights, slopes)
        self._grad_valid = False

    def flatten(self, weights: dict, slopes: dict | None = None) -> np.ndarray:
        """``weights`` and ``slopes`` (as :meth:`set_weights` takes them) as
        one vector in the network's parameter layout (index it with
        :meth:`index`); a copy. Raises NNBuilderError when a layer is missing
        or of another shape."""
        flat = np.empty_like(self.net.theta)
        for nid, alpha in self.net.unflatten_slopes(flat).items():
            entry = weights.get(nid)
            given = (slopes or {}).get(nid)
            if given is None and isinstance(entry, dict):
                given = entry.get("alpha")
            alpha[...] = self.net.nodes[nid].alpha if given is None or np.shape(given) != alpha.shape \
                else given
        for nid, (W, b) in self.net.unflatten(flat).items():
            if nid not in weights:
                raise NNBuilderError(f"no weights given for node '{nid}'")
            gW, gb = _pair(weights[nid])
            if np.shape(gW) != W.shape or (b is not None and np.shape(gb) != b.shape):
                raise NNBuilderError(f"the weights of node '{nid}' have shape {np.shape(gW)}, "
                                     f"expected {W.shape}")
            W[...] = gW
            if b is not None:
                b[...] = gb
        return flat

    def set_config(self, config) -> None:
        self.l1 = float(getattr(config, "l1", 0.0) or 0.0)
        self.l2 = float(getattr(config, "l2", 0.0) or 0.0)

    def index(self, ref: WeightRef) -> int:
        """The position of ``ref`` in the flat parameter vector; raises
        NNBuilderError naming what does not exist."""
        if ref.node not in self.net.layout:
            raise NNBuilderError(f"node '{ref.node}' has no weights")
        w_off, fan_in, units, b_off = self.net.layout[ref.node]
        if not 0 <= ref.col < units:
            raise NNBuilderError(f"node '{ref.node}' has {units} unit(s); there is no column {ref.col + 1}")
        if ref.is_bias:
            if b_off is None:
                raise NNBuilderError(f"node '{ref.node}' has no bias")
            return b_off + ref.col
        if not 0 <= ref.row < fan_in:
            raise NNBuilderError(f"node '{ref.node}' has {fan_in} input(s); there is no row {ref.row + 1}")
        return w_off + ref.row * units + ref.col

    def value(self, ref: WeightRef) -> float:
        return float(self.net.theta[self.index(ref)])

    def refs(self) -> list[WeightRef]:
        return weight_refs(self.net)

    # ------------------------------------------------------------ the losses
    def loss(self) -> float:
        """The data loss now (the trainer's ``evaluate()["train_loss"]``)."""
        return self.net.evaluate(self.X, self.Y)[0]

    def penalty(self) -> float:
        """The L1/L2 penalty of the weights now (biases are not regularized)."""
        w = self.net.theta[:self.net.n_weights]
        return self.l1 * float(np.abs(w).sum()) + 0.5 * self.l2 * float(w @ w)

    def _penalty_of(self, ref: WeightRef, values: np.ndarray) -> np.ndarray:
        """The penalty with ``ref`` at each of ``values``, the others as they are."""
        if ref.is_bias or not (self.l1 or self.l2):
            return np.full(values.shape, self.penalty())
        w = self.value(ref)
        rest = self.penalty() - self.l1 * abs(w) - 0.5 * self.l2 * w * w
        return rest + self.l1 * np.abs(values) + 0.5 * self.l2 * values * values

    def gradient(self, ref: WeightRef) -> float:
        """dL/dw of the data loss now, from the engine's backward pass over
        all training rows (one batch; above 8192 rows, the rows' share of the
        mean from each block of them, so no buffer outgrows the evaluation's)."""
        for _ in self._gradient_steps():
            pass
        return float(self._grad[self.index(ref)])

    def _gradient_steps(self):
        """Generator: the gradient of the data loss into ``_grad``, one block of rows per yield."""
        if self._grad_valid:
            return
        n, net = len(self.X), self.net
        self._grad = np.zeros_like(net.grad)
        for start in range(0, n, _ONE_PLAN):
            stop = min(n, start + _ONE_PLAN)
            with np.errstate(all="ignore"):
                net.loss_and_grad(self.X[start:stop], self.Y[start:stop])
            self._grad += net.grad * ((stop - start) / n) if stop - start < n else net.grad
            yield
        self._grad_valid = True

    def penalty_gradient(self, ref: WeightRef) -> float:
        """What the trainer adds to the gradient of a weight: ``l2 w + l1 sign(w)`` (0 for a bias)."""
        if ref.is_bias:
            return 0.0
        w = self.value(ref)
        return self.l2 * w + self.l1 * float(np.sign(w))

    def losses(self, refs, values: np.ndarray) -> np.ndarray:
        """The data loss with ``refs`` set to each row of ``values`` ``(k, len(refs))``
        and every other weight as it is: ``(k,)``. One forward pass per row."""
        idx = [self.index(r) for r in refs]
        values = np.asarray(values, dtype=np.float64).reshape(-1, len(idx))
        theta, net = self.net.theta, self.net
        kept = theta[idx].copy()
        out = np.empty(len(values))
        n = len(self.X)
        try:
            with np.errstate(all="ignore"):  # a far-off value may overflow: its loss is inf
                if n <= _ONE_PLAN:  # the rows stay in the plan's buffers: only the forward passes run
                    p = net.plan(n)
                    p.x[...] = self.X
                    p.y[...] = self.Y
                    for k, row in enumerate(values):
                        theta[idx] = row
                        p.forward(False)
                        out[k] = p.loss_value()
                else:
                    for k, row in enumerate(values):
                        theta[idx] = row
                        out[k] = net.evaluate(self.X, self.Y)[0]
        finally:
            theta[idx] = kept
        return out

    # ------------------------------------------------------ curves and grids
    def _losses_in_chunks(self, refs, values: np.ndarray, chunk: int | None):
        """Generator: :meth:`losses` in chunks of ``chunk`` rows, yielding the
        fraction done after each; returns the ``(k,)`` losses."""
        chunk = len(values) if not chunk else max(1, chunk)
        out = np.empty(len(values))
        for start in range(0, len(values), chunk):
            out[start:start + chunk] = self.losses(refs, values[start:start + chunk])
            yield min(1.0, (start + chunk) / len(values))
        return out

    def curve(self, ref: WeightRef, lo: float | None = None, hi: float | None = None,
              points: int = 201, include=(), lr: float | None = None) -> Curve:
        """The loss over ``ref`` from ``lo`` to ``hi`` (default :func:`value_range`
        around the current value and ``include``) at ``points`` even steps, plus
        the current value and the ``include`` values (e.g. a training path)
        within that range. With ``lr``, also where plain SGD over the whole
        batch steps next (``w - lr ·`` the objective's slope; the range grows
        to take it in unless it is more than 50 ranges away)."""
        return finish(self.curve_steps(ref, lo, hi, points, include, lr=lr))

    def curve_steps(self, ref: WeightRef, lo: float | None = None, hi: float | None = None,
                    points: int = 201, include=(), chunk: int | None = None, lr: float | None = None):
        """:meth:`curve` as a generator that yields the fraction done after
        every ``chunk`` values and returns the :class:`Curve` (so a window can
        spread the work over several turns of its event loop). The weights
        must not change until it is done."""
        w = self.value(ref)
        yield from self._gradient_steps()
        slope = self.gradient(ref)
        objective_slope = slope + self.penalty_gradient(ref)
        if lo is None or hi is None:
            lo, hi = value_range(w, include)
        extra = np.asarray(include, dtype=np.float64).ravel()
        extra = [w, *extra[(extra >= lo) & (extra <= hi)]]
        nxt = None if lr is None else w - lr * objective_slope
        if nxt is not None and np.isfinite(nxt) and abs(nxt - w) <= 50 * (hi - lo):
            pad = 0.05 * (hi - lo)
            lo, hi = min(lo, nxt - pad), max(hi, nxt + pad)
            extra.append(nxt)
        else:
            nxt = None
        values = _values(lo, hi, points, extra)
        loss = yield from self._losses_in_chunks([ref], values, chunk)
        w_loss, nxt_loss = (None if v is None else float(loss[np.searchsorted(values, v)]) for v in (w, nxt))
        return Curve(ref, values, loss, loss + self._penalty_of(ref, values), w, w_loss, slope,
                     objective_slope, nxt, nxt_loss)

    def grid(self, a: WeightRef, b: WeightRef, a_range: tuple | None = None,
             b_range: tuple | None = None, points: int = 41, include_a=(), include_b=()) -> Grid:
        """The loss over ``a`` (columns) and ``b`` (rows) on a ``points`` x
        ``points`` grid (ranges as for :meth:`curve`, about ``points`` values
        each, evenly spaced) through the current values, so the grid passes
        through the current loss."""
        return finish(self.grid_steps(a, b, a_range, b_range, points, include_a, include_b))

    def grid_steps(self, a: WeightRef, b: WeightRef, a_range: tuple | None = None,
                   b_range: tuple | None = None, points: int = 41, include_a=(), include_b=(),
                   chunk: int | None = None):
        """:meth:`grid` as a generator, as :meth:`curve_steps` is :meth:`curve`."""
        if self.index(a) == self.index(b):
            raise NNBuilderError(f"choose two different weights (both are {weight_text(a)})")
        wa, wb = self.value(a), self.value(b)
        yield from self._gradient_steps()
        gradient = (self.gradient(a), self.gradient(b))
        va = _lattice(*(a_range or value_range(wa, include_a)), points, wa)
        vb = _lattice(*(b_range or value_range(wb, include_b)), points, wb)
        A, B = np.meshgrid(va, vb)
        flat = yield from self._losses_in_chunks([a, b], np.column_stack([A.ravel(), B.ravel()]), chunk)
        loss = flat.reshape(B.shape)
        penalty = self.penalty()
        if self.l1 or self.l2:
            for ref, V, w in ((a, A, wa), (b, B, wb)):
                if not ref.is_bias:
                    penalty = penalty + self.l1 * (np.abs(V) - abs(w)) + 0.5 * self.l2 * (V * V - w * w)
        ia, ib = int(np.searchsorted(va, wa)), int(np.searchsorted(vb, wb))
        return Grid((a, b), va, vb, loss, loss + penalty, (wa, wb), float(loss[ib, ia]), gradient)


