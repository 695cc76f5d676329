"""A run's prepared value: a graph's network compiled once, its training data
and input statistics, for one (structure, data version, optimizer).

The training data's feature rows of big data are made in memory a worker
maps (:func:`data_steps`): the window and its worker hold one copy, and
the window's pages of it are let go once made (it reads its table).

The window's run controller builds it (:func:`prepare`) and hands it out; the
Learn controller, the loss surface, the lessons, the output view and the saved
file's weights all read this one value and never build their own.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..errors import NNBuilderError
from ..steps import finish
from ..engine.network import Network
from ..engine.optimizers import OPTIMIZERS
from ..engine.traindata import TrainData, encode_targets
from .protocol import MAP_BYTES, let_go, shared_empty


def structure_key(graph) -> str:
    """Everything about a graph that changes the computation (not positions)."""
    return json.dumps({"n": [(n.id, n.type, n.params) for n in graph.nodes.values()],
                       "e": [(e.source, e.target) for e in graph.edges]}, sort_keys=True)


@dataclass(frozen=True, eq=False)
class Prepared:
    """The network (its input statistics set, no weights), the training data
    and why it cannot train (``reason``; None when it can).

    Read only: the network is shared, so whoever computes with weights takes
    :meth:`network_with`, a copy of its own."""

    key: tuple
    network: Network | None = None
    data: TrainData | None = None
    reason: str | None = None
    data_key: tuple | None = None  # what ``data`` was made from (see :func:`data_needs`)

    @property
    def input_stats(self):
        """(mean, std) the Input node standardizes with, or None."""
        return None if self.data is None else self.data.input_stats

    def network_with(self, weights: dict | None) -> Network | None:
        """A copy of the network holding ``weights`` (``{node_id: {"W", "b"}}``),
        or None when there is no network or they do not fill every layer."""
        if self.network is None or not weights:
            return None
        net = self.network.detached()
        if len(net.set_weights(weights, strict=False)) < len(net.params):
            return None
        return net


def data_needs(net: Network, data_version, split: tuple[float, int]) -> tuple:
    """Everything :class:`TrainData` is made from besides the dataset (known
    by its version): the Input node's features and normalization, the
    Output's width, loss and normalization, the dtype, the split. Layers in between do not
    change the data, so an edit of them keeps it."""
    return (data_version, tuple(split), tuple(net.features), net.standardize, net.dtype.str,
            net.n_outputs, net.loss.name, net.standardize_target)


#: New training data of at least this many bytes is prepared in the background
#: (the window's :class:`~nnbuilder.gui.data.importer.DataPreparer`; 60,000 x 784
#: in float64 is 376 MB, seconds of work), not in the query.
BACKGROUND_BYTES = 32 << 20
#: Why a Prepared whose data is being prepared in the background cannot train yet.
PREPARING = "the data is being prepared"


def data_steps(dataset, net: Network, split: tuple[float, int]):
    """:meth:`TrainData.steps` for a run: features of :data:`MAP_BYTES` or
    more made in a shared file (:func:`shared_empty`) that a worker maps as
    they are (:meth:`MappedData.sharing
    <nnbuilder.core.run.protocol.MappedData.sharing>`), never a second copy,
    and let go of by this process (:func:`let_go`: it holds its table, not
    the features too, until it reads rows of them); read only once made
    (the worker's pages are the same)."""
    big = len(dataset) * len(net.features) * net.dtype.itemsize >= MAP_BYTES
    data = yield from TrainData.steps(dataset, net, *split, empty=shared_empty if big else np.empty)
    return let_go(data)


def compiled(graph) -> Network | None:
    """``graph``'s Network, or None when it has errors or does not compile
    (:func:`prepare` says why): compiled once, handed to both functions below."""
    if graph.errors():
        return None
    try:
        return Network(graph)
    except NNBuilderError:
        return None


def data_to_build(key: tuple, net: Network | None, dataset, data_error: str | None, split: tuple[float, int],
                  previous: Prepared | None = None) -> tuple[tuple, Network] | None:
    """``(needs, net)`` when :func:`prepare` would make new training data
    of :data:`BACKGROUND_BYTES` or more for the network ``net`` (:func:`compiled`)
    and these (another table, or other Input features, normalization or
    Output); None when it would reuse ``previous``'s, make a small one, or
    cannot make any (it says why)."""
    if data_error or dataset is None or net is None:
        return None
    needs = data_needs(net, key[1], split)
    if previous is not None and previous.data is not None and previous.data_key == needs:
        return None
    if len(dataset) * len(net.features) * net.dtype.itemsize < BACKGROUND_BYTES:
        return None
    try:
        encode_targets(dataset, net)  # a misfit of the Output is said at once, by prepare()
    except NNBuilderError:
        return None
    return needs, net


def prepare(key: tuple, graph, dataset, data_error: str | None, split: tuple[float, int],
            optimizer: str, previous: Prepared | None = None, net: Network | None = None) -> Prepared:
    """Compile ``graph`` and fit ``dataset`` (split ``(fraction, seed)``, its
    version ``key[1]``) to it; a Prepared that says why not when they do not
    go together. The training data of ``previous`` is taken as it is (the
    same object) when it was made from the same things (:func:`data_needs`):
    a structural edit of the hidden layers never copies the table again, and
    data prepared in the background comes in as a ``previous``
    (:func:`prepared_data`). ``net``: ``graph`` compiled already (:func:`compiled`)."""
    if data_error or dataset is None:
        return Prepared(key, reason=data_error or "there is no data")
    errors = graph.errors()
    if errors:
        return Prepared(key, reason="; ".join(map(str, errors[:3])))
    try:
        net = net if net is not None else Network(graph)
        needs = data_needs(net, key[1], split)
        if previous is not None and previous.data is not None and previous.data_key == needs:
            data = previous.data
        else:
            data = finish(data_steps(dataset, net, split))
        if data.input_stats is not None:
            net.set_input_stats(*data.input_stats)
        if data.target_stats is not None and net.standardize_target:
            net.set_target_stats(*data.target_stats)
    except NNBuilderError as e:  # the data does not fit the network (it still draws weights)
        return Prepared(key, net, reason=str(e))
    if len(data.X_train) == 0:  # said here, before a run is asked to start (the trainer would refuse)
        return Prepared(key, net, data, "there are no training samples: add data, or raise the train "
                                        "fraction", needs)
    # The chosen optimizer may refuse (the perceptron rule's demands).
    return Prepared(key, net, data, OPTIMIZERS[optimizer].refusal(net, data) or None, needs)


def prepared_data(key: tuple, data: TrainData, needs: tuple) -> Prepared:
    """Training data made elsewhere (in the background) from ``needs``, as
    the ``previous`` :func:`prepare` takes it from (``key``: any key of the
    same data version)."""
    return Prepared(key, data=data, data_key=needs)
