"""A graph compiled for computation: forward and backward passes over the DAG.

All weights and biases live in one flat vector :attr:`Network.theta` (all
weight matrices first, in topological order, then all biases, then the
slopes of the layers whose activation learns them, prelu) and their
gradients in :attr:`Network.grad` with the same layout; each layer's ``W``
(shape ``(fan_in, units)``, so ``y = x @ W + b``), ``b`` (``(units,)``) and
slopes ``alpha`` (``(units,)``, in :attr:`Network.slopes`) are views into it.
An optimizer step is then a few calls on two vectors; regularization reads
``theta[:n_weights]``, the weights only (never biases or slopes).

Work buffers are preallocated per batch size in a :class:`Plan` and reused
with ``out=`` arguments, so a training step allocates (almost) nothing. Each
node runs the op its type's registry entry builds (:mod:`nnbuilder.core.functions.ops`).
"""
from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np

from ..errors import GraphError
from ..functions.features import apply_features, standardize
from ..model.graph import Graph, Node
from ..functions.initializers import INITIALIZERS
from ..functions.activations import ACTIVATIONS
from ..functions.losses import LOSSES
from ..model.nodetypes import INPUT, NODE_SPECS, OUTPUT
from ..functions.ops import OpSlots

__all__ = ["Network", "Plan"]

_EVAL_CHUNK = 8192
_MAX_PLANS = 6


class Network:
    """Parameters and computation of a valid :class:`Graph`.

    The network keeps its own copy of what it needs from the graph, so
    editing the graph afterwards does not change a network in use.
    """

    def __init__(self, graph: Graph, dtype=np.float64):
        errors = graph.errors()
        if errors:
            raise GraphError("the network cannot be built: " + "; ".join(map(str, errors)))
        self.dtype = np.dtype(dtype)
        self.order, _ = graph.topological_order()
        self.widths = graph.widths()
        self.inputs = {nid: graph.inputs_of(nid) for nid in self.order}
        self.nodes = {nid: Node(nid, graph.nodes[nid].type, copy.deepcopy(graph.nodes[nid].params),
                                graph.nodes[nid].position, graph.label(nid)) for nid in self.order}
        self.input_id = next(n for n in self.order if self.nodes[n].type == INPUT)
        self.output_id = next(n for n in self.order if self.nodes[n].type == OUTPUT)
        self.features = list(self.nodes[self.input_id].params["features"])
        # Input normalization: fixed statistics, set from the training rows.
        self.standardize = self.nodes[self.input_id].params.get("normalize", "none") == "standardize"
        self.input_mean = np.zeros(len(self.features))
        self.input_std = np.ones(len(self.features))
        self.n_outputs = self.widths[self.output_id]
        # Target normalization (regression): the network computes in
        # standardized units, (y - mean) / std, and answers in the data's
        # (evaluate, predict, activations, the loss); the trainer's data holds
        # standardized targets. Mean 0 and std 1 until set: no change.
        self.standardize_target = self.nodes[self.output_id].params.get("normalize", "none") == "standardize"
        self.target_mean = np.zeros(self.n_outputs)
        self.target_std = np.ones(self.n_outputs)

        # Flat parameter layout: all W blocks, then all b blocks.
        weighted = [n for n in self.order if NODE_SPECS[self.nodes[n].type].weighted]
        self.layout: dict[str, tuple[int, int, int, int | None]] = {}
        offset = 0
        for nid in weighted:
            fan_in, units = self.widths[self.inputs[nid][0]], self.widths[nid]
            self.layout[nid] = (offset, fan_in, units, None)
            offset += fan_in * units
        self.n_weights = offset
        for nid in weighted:
            w_off, fan_in, units, _ = self.layout[nid]
            if self.nodes[nid].params["bias"]:
                self.layout[nid] = (w_off, fan_in, units, offset)
                offset += units
        # Learned activation slopes (prelu), one per unit: {node_id: (offset, units)}.
        self.slope_layout: dict[str, tuple[int, int]] = {}
        for nid in weighted:
            if ACTIVATIONS[self.nodes[nid].params["activation"]].learned:
                self.slope_layout[nid] = (offset, self.widths[nid])
                offset += self.widths[nid]
        self.theta = np.zeros(offset, dtype=self.dtype)
        self.grad = np.zeros(offset, dtype=self.dtype)
        self.params = self.unflatten(self.theta)
        self.grads = self.unflatten(self.grad)
        self.slopes, self.slope_grads = self.unflatten_slopes(self.theta), self.unflatten_slopes(self.grad)
        for nid, alpha in self.slopes.items():  # the initial slope until weights are drawn or loaded
            alpha.fill(self.nodes[nid].alpha)
        self.loss = LOSSES[self.nodes[self.output_id].params["loss"]]
        self.rng = np.random.default_rng(0)  # replaced by the trainer's generator; dropout draws from it
        self._plans: OrderedDict[int, Plan] = OrderedDict()

    # ------------------------------------------------------------ parameters
    @property
    def n_params(self) -> int:
        return self.theta.size

    def unflatten(self, flat: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """Views ``{node_id: (W, b or None)}`` into a vector laid out like :attr:`theta`."""
        out = {}
        for nid, (w_off, fan_in, units, b_off) in self.layout.items():
            W = flat[w_off:w_off + fan_in * units].reshape(fan_in, units)
            b = None if b_off is None else flat[b_off:b_off + units]
            out[nid] = (W, b)
        return out

    def unflatten_slopes(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Views ``{node_id: alpha (units,)}`` of the learned slopes (prelu
        layers only) into a vector laid out like :attr:`theta`."""
        return {nid: flat[off:off + units] for nid, (off, units) in self.slope_layout.items()}

    def init_params(self, rng: np.random.Generator) -> None:
        """Draw initial weights with each layer's initializer; biases start at
        0, learned slopes at the node's alpha (prelu: 0.25, as PyTorch)."""
        for nid, (W, b) in self.params.items():
            p = self.nodes[nid].params
            _, fan_in, units, _ = self.layout[nid]
            INITIALIZERS[p["initializer"]](rng, fan_in, units, p["init_value"], W)
            if b is not None:
                b.fill(0.0)
        for nid, alpha in self.slopes.items():
            alpha.fill(self.nodes[nid].alpha)

    def prepare(self, raw: np.ndarray) -> np.ndarray:
        """The network's input ``(n, n_features)`` from raw data columns
        ``(n, n_columns)``: the Input node's features, standardized if it says so."""
        F = apply_features(raw, self.features)
        if self.standardize:
            standardize(F, self.input_mean, self.input_std)
        return F.astype(self.dtype, copy=False)

    def set_input_stats(self, mean, std) -> None:
        """The mean and std ``(n_features,)`` that standardizing uses."""
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        n = len(self.features)
        if mean.shape != (n,) or std.shape != (n,):
            raise GraphError(f"the input statistics of node '{self.input_id}' must have {n} entries "
                             f"(one per feature), have {mean.shape[0] if mean.ndim else 1}")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise GraphError(f"the input statistics of node '{self.input_id}' must be finite, "
                             "with std above 0")
        self.input_mean, self.input_std = mean.copy(), std.copy()

    def set_target_stats(self, mean, std) -> None:
        """The mean and std ``(n_outputs,)`` of the targets the Output node
        standardizes (regression): outputs are ``y_hat * std + mean``."""
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        n = self.n_outputs
        if mean.shape != (n,) or std.shape != (n,):
            raise GraphError(f"the target statistics of node '{self.output_id}' must have {n} entries "
                             f"(one per unit), have {mean.shape[0] if mean.ndim else 1}")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise GraphError(f"the target statistics of node '{self.output_id}' must be finite, "
                             "with std above 0")
        self.target_mean, self.target_std = mean.copy(), std.copy()

    def to_data_units(self, Y: np.ndarray) -> np.ndarray:
        """Outputs or targets ``(n, n_outputs)`` in the units the network
        computes in, in the data's (``Y * std + mean`` when the Output node
        standardizes; ``Y`` itself otherwise)."""
        if not self.standardize_target:
            return Y
        return (Y * self.target_std + self.target_mean).astype(Y.dtype, copy=False)

    def from_data_units(self, Y: np.ndarray) -> np.ndarray:
        """Targets ``(n, n_outputs)`` in the data's units, in those the network
        computes in (``(Y - mean) / std`` when the Output node standardizes)."""
        if not self.standardize_target:
            return Y
        return ((Y - self.target_mean) / self.target_std).astype(Y.dtype, copy=False)

    def data_loss(self, z: np.ndarray | None, a: np.ndarray, y: np.ndarray) -> float:
        """The loss of outputs ``a`` (``z`` before the output activation, for
        a fused loss) against targets ``y``, all in the units the network
        computes in, measured in the data's units: what every loss read-out
        says, whether or not the Output node standardizes its targets."""
        if self.standardize_target:
            a, y = self.to_data_units(a), self.to_data_units(y)
            z = None if z is None else self.to_data_units(z)
        return self.loss.value(z, a, y)

    def get_weights(self) -> dict[str, dict[str, np.ndarray | None]]:
        """Copies ``{node_id: {"W": (fan_in, units), "b": (units,) or None}}``
        (and ``"alpha": (units,)``, the learned slopes of a prelu layer),
        plus ``{input_id: {"mean", "std"}}`` when the Input node standardizes
        and ``"mean"``, ``"std"`` ``(units,)`` in the Output node's entry when
        it standardizes its targets."""
        out = {nid: {"W": W.copy(), "b": None if b is None else b.copy()}
               for nid, (W, b) in self.params.items()}
        for nid, alpha in self.slopes.items():
            out[nid]["alpha"] = alpha.copy()
        if self.standardize:
            out[self.input_id] = {"mean": self.input_mean.copy(), "std": self.input_std.copy()}
        if self.standardize_target:
            out[self.output_id].update(mean=self.target_mean.copy(), std=self.target_std.copy())
        return out

    def set_weights(self, weights: dict, strict: bool = True) -> list[str]:
        """Load weights by node id; return the ids whose shapes fitted.

        With ``strict`` every weighted node must be given with the right
        shapes (and the Output node's target mean and std when it standardizes);
        otherwise nodes that are missing or changed shape keep their
        current values, and so do input statistics of another width (used to
        keep training after a structural edit or on data of another width).
        A prelu layer's slopes (``"alpha"``) load when given with one per
        unit; without them (a layer just switched to prelu) they keep their
        current values, strict or not.
        """
        loaded = []
        if self.standardize:
            stats = weights.get(self.input_id)
            fits = stats is not None and "mean" in stats and np.shape(stats["mean"]) == (len(self.features),)
            if fits or (strict and stats is not None and "mean" in stats):
                self.set_input_stats(stats["mean"], stats["std"])  # strict: a misfit is an error
            elif strict:
                raise GraphError(f"node '{self.input_id}' standardizes its inputs but no input "
                                 "statistics (mean, std) are given")
        if self.standardize_target:
            stats = weights.get(self.output_id)
            given = isinstance(stats, dict) and "mean" in stats
            if given and (strict or np.shape(stats["mean"]) == (self.n_outputs,)):
                self.set_target_stats(stats["mean"], stats["std"])  # strict: a misfit is an error
            elif strict:
                raise GraphError(f"node '{self.output_id}' standardizes its targets but no target "
                                 "statistics (mean, std) are given")
        for nid, (W, b) in self.params.items():
            given = weights.get(nid)
            if given is None:
                if strict:
                    raise GraphError(f"no weights given for node '{nid}'")
                continue
            gW = np.asarray(given["W"], dtype=self.dtype)
            gb = given.get("b")
            ok = gW.shape == W.shape and ((b is None and gb is None) or
                                           (b is not None and gb is not None and
                                            np.shape(gb) == b.shape))
            if not ok:
                if strict:
                    raise GraphError(
                        f"weights of node '{nid}' have shape {gW.shape}"
                        f"{'' if gb is None else ' + ' + str(np.shape(gb))}, expected {W.shape}"
                        f"{'' if b is None else ' + ' + str(b.shape)}")
                continue
            alpha, ga = self.slopes.get(nid), given.get("alpha")
            if alpha is not None and ga is not None and np.shape(ga) != alpha.shape:
                if strict:
                    raise GraphError(f"the slopes (alpha) of node '{nid}' have shape "
                                     f"{np.shape(ga)}, expected {alpha.shape}")
                ga = None
            W[...] = gW
            if b is not None:
                b[...] = np.asarray(gb, dtype=self.dtype)
            if alpha is not None and ga is not None:
                alpha[...] = np.asarray(ga, dtype=self.dtype)
            loaded.append(nid)
        return loaded

    def detached(self, dtype=None) -> "Network":
        """The same network with its own copy of the parameters (in ``dtype``,
        default this one's), a zero gradient and no plans: for computing (e.g.
        one sample's gradient) without touching this network's buffers."""
        other = copy.copy(self)
        other.dtype = self.dtype if dtype is None else np.dtype(dtype)
        other.theta = self.theta.astype(other.dtype, copy=True)
        other.grad = np.zeros_like(other.theta)
        other.params, other.grads = other.unflatten(other.theta), other.unflatten(other.grad)
        other.slopes, other.slope_grads = other.unflatten_slopes(other.theta), other.unflatten_slopes(other.grad)
        other.rng = np.random.default_rng(0)
        other._plans = OrderedDict()
        return other

    def set_loss(self, name: str) -> None:
        """Switch the loss (e.g. while training); the caller validated the pairing."""
        self.loss = LOSSES[name]
        self.nodes[self.output_id].params["loss"] = name
        self._plans.clear()

    # ----------------------------------------------------------- computation
    def plan(self, n: int) -> "Plan":
        """Buffers and bound operations for batches of ``n`` rows (cached)."""
        p = self._plans.get(n)
        if p is None:
            p = Plan(self, n)
            self._plans[n] = p
            if len(self._plans) > _MAX_PLANS:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(n)
        return p

    def loss_and_grad(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Forward in training mode, loss, backward: fills :attr:`grad`.

        ``X`` ``(n, n_features)`` already has the input features applied;
        ``Y`` ``(n, n_outputs)`` is the encoded target.
        """
        p = self.plan(len(X))
        p.x[...] = X
        p.y[...] = Y
        p.train_step()
        return p.loss_value()

    def evaluate(self, X: np.ndarray, Y: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """(mean loss or nan without ``Y``, outputs ``(n, n_outputs)``) in inference mode.

        ``Y`` is in the units the network computes in (standardized when the
        Output node standardizes, as :class:`TrainData` holds it); the loss
        and the outputs are in the data's units (:meth:`data_loss`)."""
        n = len(X)
        outputs = np.empty((n, self.n_outputs), dtype=self.dtype)
        total = 0.0
        for start in range(0, n, _EVAL_CHUNK):
            stop = min(n, start + _EVAL_CHUNK)
            p = self.plan(stop - start)
            p.x[...] = X[start:stop]
            p.forward(False)
            outputs[start:stop] = p.a_out
            if Y is not None:
                p.y[...] = Y[start:stop]
                total += p.loss_value() * (stop - start)
        return (total / n if Y is not None and n else float("nan")), self._answer(outputs)

    def _answer(self, outputs: np.ndarray) -> np.ndarray:
        """``outputs`` (a fresh array) turned into the data's units in place."""
        if self.standardize_target:
            outputs *= self.target_std.astype(outputs.dtype)
            outputs += self.target_mean.astype(outputs.dtype)
        return outputs

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network outputs ``(n, n_outputs)`` for features ``X`` ``(n, n_features)``,
        in the data's units."""
        return self.evaluate(X)[1]

    def activations(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Every node's output for ``X`` (copies), e.g. for per-neuron maps;
        the Output node's in the data's units."""
        p = self.plan(len(X))
        p.x[...] = X
        p.forward(False)
        out = {nid: buf.copy() for nid, buf in p.out.items()}
        self._answer(out[self.output_id])
        return out


class Plan:
    """Preallocated buffers for one batch size and the ops that use them.

    ``x`` ``(n, n_features)`` and ``y`` ``(n, n_outputs)`` are the batch to
    fill; after a forward pass ``out[node_id]`` ``(n, width)`` holds each
    node's output (in training mode, a Dropout node's output shows which
    units it dropped).
    """

    def __init__(self, net: Network, n: int, input_grad: bool = False):
        """``input_grad`` also computes the gradient with respect to the
        network's input (``g[input_id]``), which training never needs."""
        dt = net.dtype
        self.n = n
        self.out: dict[str, np.ndarray] = {}
        self.forward_ops = []
        self.backward_ops = []
        nodes, inputs = net.nodes, net.inputs
        requires_grad: dict[str, bool] = {}
        consumers: dict[str, list[str]] = {nid: [] for nid in net.order}
        for nid in net.order:
            for s in inputs[nid]:
                consumers[s].append(nid)
            requires_grad[nid] = NODE_SPECS[nodes[nid].type].weighted or any(
                requires_grad[s] for s in inputs[nid]) or (input_grad and nid == net.input_id)
        # Gradient buffer of each node's output; the first consumer to run
        # backward (the last in topological order) writes it, the others add.
        self.g = {nid: np.zeros((n, net.widths[nid]), dtype=dt)
                  for nid in net.order if requires_grad[nid]}
        first_writer = {nid: cons[-1] for nid, cons in consumers.items() if cons}

        def grad_target(src, dst):
            """(buffer, accumulate) for the gradient dst sends to src, or (None, False)."""
            if not requires_grad[src]:
                return None, False
            return self.g[src], first_writer[src] != dst

        self.ops = ops = {}  # each node's op, by id (z and dz of the weighted ones)
        for nid in net.order:
            node, srcs = nodes[nid], inputs[nid]
            op = ops[nid] = NODE_SPECS[node.type].op(OpSlots(
                net, n, net.widths[nid], dt, node.params, node.alpha,
                [self.out[s] for s in srcs], self.g.get(nid), [grad_target(s, nid) for s in srcs],
                net.params.get(nid), net.grads.get(nid),
                (net.slopes[nid], net.slope_grads[nid]) if nid in net.slopes else None))
            self.out[nid] = op.out
            if op.forward is not None:
                self.forward_ops.append(op.forward)
            if requires_grad[nid] and op.backward is not None:
                self.backward_ops.append(op.backward)
        self.backward_ops.reverse()
        self.x = self.out[net.input_id]
        self.y = np.zeros((n, net.n_outputs), dtype=dt)
        out = ops[net.output_id]  # the loss step reads and writes its buffers
        self.z_out, self.a_out, self.dz_out, self.output_act = out.z, out.a, out.dz, out.act
        self.loss = net.loss
        self.fused = net.loss.fused == self.output_act.name
        self.output_alpha = out.alpha  # a prelu Output's learned slopes
        self.g_out = self.g[net.output_id]
        self.net = net  # its loss in the data's units (Network.data_loss)

    def forward(self, train: bool) -> None:
        for f in self.forward_ops:
            f(train)

    def train_step(self) -> None:
        """Forward (training mode), loss gradient, backward into the flat grad."""
        for f in self.forward_ops:
            f(True)
        self.backward()

    def backward(self) -> None:
        """The loss gradient of ``y`` and the last forward pass, back through
        every op into the flat grad (and ``g``)."""
        if self.fused:
            self.loss.grad_logits(self.z_out, self.a_out, self.y, self.dz_out)
        else:
            self.loss.grad(self.z_out, self.a_out, self.y, self.g_out)
            if self.output_act.name != "linear":
                self.output_act.backward(self.z_out, self.a_out, self.g_out,
                                         self.output_alpha, self.dz_out)
        for f in self.backward_ops:
            f()

    def loss_value(self) -> float:
        """The loss of the last forward pass against ``y``, in the data's units."""
        z = self.z_out if self.fused else None
        return self.net.data_loss(z, self.a_out, self.y)

