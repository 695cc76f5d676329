"""Big training data made for a worker (prepared.data_steps): its features
are a shared file the maker lets go of once they are made (issue 20: one
copy of the table per process), with the same numbers, key and lifetime as
before."""
import gc
import os

import numpy as np

from nnbuilder.core.data.dataset import Dataset
from nnbuilder.core.engine.network import Network
from nnbuilder.core.engine.traindata import TrainData
from nnbuilder.core.model.graph import Graph
from nnbuilder.core.run.prepared import data_steps
from nnbuilder.core.run.protocol import MappedData, data_key, release
from nnbuilder.core.steps import finish


def resident_kb(path: str) -> int:
    """kB of the file ``path`` resident through this process's mappings of it."""
    total, ours = 0, False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and ":" in head[3]:  # a mapping's header
                ours = len(head) >= 6 and head[5] == path
            elif ours and line.startswith("Rss:"):
                total += int(head[1])
    return total


def test_prepared_features_are_let_go_of_and_read_back_the_same():
    rng = np.random.default_rng(5)
    X = rng.normal(3.0, 2.0, size=(20_000, 12)).astype(np.float32)
    ds = Dataset(np.asfortranarray(X), (X[:, 0] > 3).astype(np.int64), "classification", n_classes=2)
    g = Graph.chain([12, 5, 1])
    g.set_params("input", normalize="standardize")
    net = Network(g)
    data = finish(data_steps(ds, net, (0.7, 2)))
    shared = MappedData.sharing(data)
    assert shared is not None and os.path.exists(shared.path)
    assert resident_kb(shared.path) == 0  # none of the pages it wrote through are the maker's any more
    assert not data.X_train.flags.writeable and not data.X_test.flags.writeable

    # The key, kept from when the rows were made: reading it pages nothing in, and it is the content's.
    key = data_key(data)
    assert resident_kb(shared.path) == 0
    plain = TrainData.from_dataset(ds, Network(g), 0.7, 2)
    assert key == data_key(plain)
    # The same numbers as the table standardized with the training rows' statistics (NumPy here).
    tr = plain.rows_train
    mean, std = X[tr].astype(np.float64).mean(axis=0), X[tr].astype(np.float64).std(axis=0)
    np.testing.assert_array_equal(data.X_train, plain.X_train)
    np.testing.assert_array_equal(data.X_test, plain.X_test)
    np.testing.assert_allclose(data.X_train, (X[tr] - mean) / std, rtol=1e-12, atol=1e-12)

    # The file lives as long as the data (or a view of its rows), and goes with it.
    path, rows = shared.path, data.X_test[:3]
    del data, shared
    gc.collect()
    assert os.path.exists(path)
    del rows
    gc.collect()
    assert not os.path.exists(path)


def test_rows_read_by_a_view_are_let_go_of_again_and_read_back_the_same():
    """A window view that reads every row (a moment's loss, a full-batch
    preview) pages the shared features in; release lets them go again
    without losing a number, and leaves arrays that are not such a file alone."""
    rng = np.random.default_rng(6)
    X = rng.normal(1.0, 3.0, size=(20_000, 12)).astype(np.float32)
    ds = Dataset(np.asfortranarray(X), (X[:, 1] > 1).astype(np.int64), "classification", n_classes=2)
    g = Graph.chain([12, 4, 1])
    g.set_params("input", normalize="standardize")
    data = finish(data_steps(ds, Network(g), (0.8, 3)))
    path = MappedData.sharing(data).path
    before = data.X_train.sum(axis=0), data.X_test.sum(axis=0)  # a view reading every row
    assert resident_kb(path) > 1000
    release(data.X_train[:5], data.X_test)  # a view of the rows finds their file too
    assert resident_kb(path) == 0
    np.testing.assert_array_equal(data.X_train.sum(axis=0), before[0])  # the same numbers, paged in again
    np.testing.assert_array_equal(data.X_test.sum(axis=0), before[1])
    plain = np.arange(6.0)
    release(plain, plain[2:])
    np.testing.assert_array_equal(plain, np.arange(6.0))
