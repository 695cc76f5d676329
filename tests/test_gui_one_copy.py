"""One copy of the training data between the window and its worker
(issue 20): the window's prepared feature rows are the pages of the file
the worker maps, not a second copy; the file goes with the data."""
import gc
import os

import numpy as np
import pytest

from guitools import slide_to, wait_drawn
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


def resident_kb(pid, inode: int) -> int:
    """kB of the file ``inode`` resident through process ``pid``'s mappings of
    it (its pages the process touched), from /proc/PID/smaps."""
    total, ours = 0, False
    with open(f"/proc/{pid}/smaps") as fh:
        for line in fh:
            head = line.split(maxsplit=5)
            if "-" in head[0] and len(head) >= 5 and head[0].replace("-", "").isalnum() and ":" in head[3]:
                ours = int(head[4]) == inode  # a mapping's header: address perms offset dev inode [path]
            elif ours and line.startswith("Rss:"):
                total += int(head[1])
    return total


@pytest.mark.timeout(120)
def test_the_window_holds_its_table_and_not_the_features_it_prepared(qtbot, window, tmp_path, monkeypatch):
    """The window makes the standardized features in the file its worker
    maps, then lets go of the pages it wrote them through: training, the
    worker has every page of the file resident (it evaluated every row for
    the step-0 row) and the window none, so the window's memory holds its
    table once, not the table and its features; the features are still
    there for the window to read, the same numbers (NumPy here)."""
    w = window
    X = import_pixels(qtbot, w, tmp_path, monkeypatch, 4, "pixels.csv")
    data = w.run.prepared().data
    inode, _ = file_of(data.X_train)
    size_kb = -(-(data.X_train.nbytes + data.X_test.nbytes) // 4096) * 4
    assert resident_kb(os.getpid(), inode) == 0  # made, and let go of
    w.run.step()
    wait_drawn(qtbot, w, lambda s: s.step == 1)
    qtbot.waitUntil(lambda: w.run.snapshot is not None and len(w.run.state.curves) > 0)
    qtbot.waitUntil(lambda: resident_kb(w.run.worker.pid, inode) >= size_kb)  # the worker read every row
    assert resident_kb(os.getpid(), inode) == 0  # and the window none: sending them, keying them read nothing
    assert file_of(data.X_train)[0] == inode and not data.X_train.flags.writeable
    # Looking back at step 0: the window computes that moment's loss on every row, then lets them go.
    bar = w.curves.timeline
    qtbot.waitUntil(bar.isEnabled)
    slide_to(qtbot, bar.slider, 0)
    qtbot.waitUntil(lambda: w.timeline._drawn == 0)
    assert w.loss_label.text().startswith("loss "), w.loss_label.text()
    assert resident_kb(os.getpid(), inode) == 0
    tr, te = w.data.split_indices()
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    np.testing.assert_allclose(data.X_test, (X[te] - mean) / std, rtol=1e-9, atol=1e-9)
