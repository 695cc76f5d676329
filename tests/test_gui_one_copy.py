"""One copy of the training data between the window and its worker
(issue 20): the window's prepared feature rows are the pages of the file
the worker maps, not a second copy; the file goes with the data."""
import gc
import os

import numpy as np
import pytest

from guitools import wait_drawn
from test_gui_import import click_import, open_import, write


def mappings(pid) -> list[tuple[int, int, int, str]]:
    """(start, end, inode, path) of each file mapping of process ``pid``, from /proc."""
    out = []
    with open(f"/proc/{pid}/maps") as fh:
        for line in fh:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and int(parts[4]):
                lo, hi = (int(v, 16) for v in parts[0].split("-"))
                out.append((lo, hi, int(parts[4]), parts[5].strip()))
    return out


def file_of(a: np.ndarray) -> tuple[int, str] | None:
    """(inode, path) of the file whose mapping in this process holds all of ``a``'s bytes, or None."""
    start = a.__array_interface__["data"][0]
    for lo, hi, inode, path in mappings(os.getpid()):
        if lo <= start and start + a.nbytes <= hi:
            return inode, path
    return None


def import_pixels(qtbot, w, tmp_path, monkeypatch, seed: int, name: str):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(2000, 100))
    path = write(tmp_path, ",".join(f"p{j}" for j in range(100)) + ",label\n" + "".join(
        ",".join(map(str, r)) + f",{int(r[0] > 127)}\n" for r in X.tolist()), name)
    click_import(qtbot, open_import(qtbot, w, path, monkeypatch))
    qtbot.waitUntil(lambda: w.imports.import_dialog is None and w.run.prepared().reason is None)
    return X


@pytest.mark.timeout(120)
def test_the_window_and_its_worker_hold_one_copy_of_the_training_data(qtbot, window, tmp_path, monkeypatch):
    """After an import, the window's X_train and X_test lie in one mapped
    file, the very file (same inode) the worker maps, and the worker maps no
    other data file; what the window holds besides (its table, the targets)
    is not the features again. Its numbers are the table's standardized with
    the training rows' statistics (NumPy here). Another import: the first
    file is gone."""
    w = window
    X = import_pixels(qtbot, w, tmp_path, monkeypatch, 2, "big.csv")
    data = w.run.prepared().data
    tr, te = w.data.split_indices()
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    np.testing.assert_allclose(data.X_train, (X[tr] - mean) / std, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(data.X_test, (X[te] - mean) / std, rtol=1e-9, atol=1e-9)

    train_file, test_file = file_of(data.X_train), file_of(data.X_test)
    assert train_file is not None and train_file == test_file  # one file-backed mapping, not anonymous memory
    inode, path = train_file
    w.run.step()
    wait_drawn(qtbot, w, lambda s: s.step == 1)
    worker_files = {m[2] for m in mappings(w.run.worker.pid) if "nnbuilder-data-" in m[3]}
    assert worker_files == {inode}  # the same pages, and no copy of them written for the worker
    # The window's own memory for the data: the table once (float32 here), the
    # targets and row numbers; the features only in the shared file.
    ds = w.data.dataset
    arrays = [v for v in vars(data).values() if isinstance(v, np.ndarray)]
    outside = sum(a.nbytes for a in arrays if file_of(a) is None)
    assert outside == sum(a.nbytes for a in arrays) - data.X_train.nbytes - data.X_test.nbytes
    assert outside < ds.X.nbytes < data.X_train.nbytes + data.X_test.nbytes
    assert not data.X_train.flags.writeable and not data.X_test.flags.writeable  # the worker reads the same pages

    import_pixels(qtbot, w, tmp_path, monkeypatch, 3, "other.csv")
    w.run.step()
    wait_drawn(qtbot, w, lambda s: s.step == 1 and s.applied >= w.run.worker.sent)
    new = w.run.prepared().data
    assert file_of(new.X_train) is not None and file_of(new.X_train)[0] != inode
    del data, arrays
    gc.collect()
    assert not os.path.exists(path.removesuffix(" (deleted)"))
    assert all(m[2] != inode for m in mappings(os.getpid()))  # the window let go of the first file's pages
