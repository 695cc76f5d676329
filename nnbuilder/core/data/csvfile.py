"""Reading a CSV file into a :class:`~.table.Table`.

:func:`read_table` reads a file once (reporting progress and letting the
caller cancel): one streaming pass finds its lines, encoding and delimiter,
then pandas' C parser parses runs of rows straight into the table's matrix;
only cells that are no finite number are kept as text. A file with a line
break inside quotes, or one read to keep every cell's text (to save the rows
in a model file), is read with the csv module instead.
"""
from __future__ import annotations

import csv
import io
import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Generator

import numpy as np

from ..errors import DataError
from .table import Table, narrow, number, to_numbers

__all__ = ["LoadCancelled", "read_table", "read_table_steps", "ROWS_PER_STEP"]

#: read_table_steps yields at least once every this many rows of each pass
#: over the data (the rows, then each column's numbers and empty cells).
ROWS_PER_STEP = 5000



class LoadCancelled(Exception):
    """The progress callback asked to stop reading."""


def _sniff(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_table(path: str, progress: Callable[[float], bool | None] | None = None,
               keep_text: bool = False) -> Table:
    """Read a CSV file (comma, semicolon or tab separated; header detected)
    and parse its numbers.

    ``progress(fraction)`` is called after each step; if it returns False
    reading stops with :class:`LoadCancelled`. Short rows are padded with
    empty (missing) cells; a row with too many cells is an error. With
    ``keep_text`` every cell's text is kept (for saving the rows exactly).
    """
    steps = read_table_steps(path, keep_text)
    while True:
        try:
            fraction = next(steps)
        except StopIteration as done:
            return done.value
        if progress is not None and progress(fraction) is False:
            steps.close()
            raise LoadCancelled(path)


#: Each step of the parse reads at most this many bytes of the file (and at
#: most ROWS_PER_STEP rows), so a wide table takes as short steps as a narrow one.
BYTES_PER_STEP = 16 << 20
#: Runs of rows parsed at once, each in a thread of its own.
PARSE_THREADS = 2


def read_table_steps(path: str, keep_text: bool = False) -> Generator[float, None, Table]:
    """:func:`read_table` in small steps: yields the fraction done (0 to 1)
    after each megabyte read and then after each block of at most
    :data:`ROWS_PER_STEP` rows (and :data:`BYTES_PER_STEP` bytes) parsed, and
    returns the :class:`Table`.

    Numbers are parsed by pandas' C parser, a block at a time, straight into
    the table's matrix; only cells that are no number are kept as text.
    A GUI can run a step at a time between events, so a big file never
    blocks it for long, and cancel by no longer asking for steps.
    """
    large_blocks_to_system()
    scan = yield from _scan(path)
    if b"\x00" in scan.head[:4096]:
        raise DataError(f"{path}: not a text file (it has zero bytes)")
    encoding = scan.encoding
    codec = "utf-8-sig" if encoding == "UTF-8" else "cp1252"
    head_text = scan.head.decode(codec, errors="ignore")
    delimiter = _sniff(head_text[:8192])
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter)
    head: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(c.strip() for c in row):
                head.append((reader.line_num, [c.strip() for c in row]))
                if len(head) == 2:
                    break
    except csv.Error as e:
        raise DataError(f"{path}: row {reader.line_num}: {e}") from None
    if not head:
        raise DataError(f"{path}: the file has no rows")
    has_header, names = _header(head)
    if keep_text or scan.quoted_breaks:
        # The csv module keeps each cell's text and numbers lines across quoted line breaks.
        table = yield from _read_cells(path, _read_text(path, codec), delimiter, has_header, names, encoding)
        return table
    table = yield from _read_fast(path, scan, head[0][0] if has_header else 0, delimiter,
                                  has_header, names, encoding)
    give_back_memory()
    return table


def large_blocks_to_system() -> None:
    """Have the C library give blocks of 1 MB or more back to the system as
    soon as they are freed (glibc's ``mallopt(M_MMAP_THRESHOLD)``; by itself
    it raises that threshold up to 32 MB after the first big block freed,
    and the blocks pandas parses then stay in the heap: measured on a 177 MB
    file, the process kept 264 MB for a 188 MB table, and 184 MB with this,
    its peak 603 MB, and 498 MB with it). Elsewhere it does nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def give_back_memory() -> None:
    """Return the heap the parse freed to the system where the C library can
    (glibc's ``malloc_trim``): pandas' blocks of a 177 MB file left about
    160 MB resident after they were freed, on top of which the window then
    prepares its training data. Elsewhere it does nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _read_text(path: str, codec: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode(codec, errors="replace")
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None


@dataclass
class _Scan:
    """What one pass over a file's bytes finds, without keeping them."""

    size: int
    head: bytes  # the first megabyte
    encoding: str
    starts: np.ndarray  # byte offset of each line's start
    first: np.ndarray  # each line's first byte (10 for a line at the end of the file)
    quoted_breaks: bool  # whether a line break may lie inside quotes


def _scan(path: str) -> Generator[float, None, _Scan]:
    """Reads the file a few megabytes a step (yielding 0 to 0.1) and finds
    its lines, encoding and whether a line break lies inside quotes (an odd
    number of quote characters before it, where lines and rows part ways)."""
    import codecs

    starts, firsts, pending = [np.zeros(1, dtype=np.int64)], [], True
    head, offset, quotes, quoted_breaks = b"", 0, 0, False
    utf8, text_seen = codecs.getincrementaldecoder("utf-8")(), False
    encoding = "UTF-8"
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            while block := fh.read(1 << 22):
                if len(head) < 1 << 20:
                    head += block[:(1 << 20) - len(head)]
                if encoding == "UTF-8" and (text_seen or not block.isascii()):
                    text_seen = True
                    try:
                        utf8.decode(block)
                    except UnicodeDecodeError:  # spreadsheet exports are often Windows-1252
                        encoding = "Windows-1252"
                buf = np.frombuffer(block, dtype=np.uint8)
                nl = np.flatnonzero(buf == 10)
                if b'"' in block:
                    q = np.flatnonzero(buf == 34)
                    quoted_breaks |= bool(((quotes + np.searchsorted(q, nl)) % 2).any())
                    quotes += len(q)
                if pending:  # a line began where this block begins
                    firsts.append(buf[:1])
                firsts.append(buf[nl[nl + 1 < len(buf)] + 1])
                pending = bool(len(nl)) and nl[-1] == len(buf) - 1
                starts.append(nl.astype(np.int64) + offset + 1)
                offset += len(block)
                yield 0.1 * offset / max(1, size)
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    if text_seen and encoding == "UTF-8":
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "Windows-1252"
    if pending:  # a last line with nothing in it
        firsts.append(np.full(1, 10, dtype=np.uint8))
    starts, firsts = np.concatenate(starts), np.concatenate(firsts)
    return _Scan(offset, head, encoding, starts, firsts, quoted_breaks)


def _header(head: list[tuple[int, list[str]]]) -> tuple[bool, list[str]]:
    """(whether the first row is a header, the column names) from the first
    two non-blank rows."""
    first = head[0][1]
    second = head[1][1] if len(head) > 1 else []
    # A header has a text cell above a number (a text label column alone is no header).
    has_header = any(number(c) is None and c.lower() not in ("nan", "inf", "-inf") and
                     (j >= len(second) or number(second[j]) is not None or len(head) == 1)
                     for j, c in enumerate(first))
    names = [c or f"column {j + 1}" for j, c in enumerate(first)] if has_header else \
        [f"x{j + 1}" for j in range(len(first))]
    for j, name in enumerate(names):  # columns are chosen by name: make each one unique
        k = 2
        while name in names[:j]:
            name, k = f"{names[j]} ({k})", k + 1
        names[j] = name
    return has_header, names


def _read_fast(path, scan: _Scan, header_lines: int, delimiter: str, has_header: bool,
               names: list[str], encoding: str) -> Generator[float, None, Table]:
    """The rows after the first ``header_lines`` lines of the file (with no
    line break inside quotes), parsed by pandas block by block."""
    import warnings

    import pandas as pd

    m = len(names)
    starts, size = scan.starts, scan.size
    start = int(starts[header_lines]) if header_lines < len(starts) else size
    if header_lines == 0 and scan.head.startswith(b"\xef\xbb\xbf"):
        start = 3
    # Data lines: those after the header with something besides white space.
    first = int(np.searchsorted(starts, start, side="right")) - 1
    begin = starts[first:]
    end = np.append(starts[first + 1:] - 1, size)
    keep = (end > begin) & (scan.first[first:] != 10)
    blankish = np.flatnonzero(keep & np.isin(scan.first[first:], (32, 9, 13)))
    if len(blankish):  # lines that begin with white space: are they all white space?
        with open(path, "rb") as fh:
            for k in blankish:
                fh.seek(int(begin[k]))
                keep[k] = bool(fh.read(int(end[k] - begin[k])).strip())
    lines = np.flatnonzero(keep) + first + 1
    n_max = len(lines)
    if n_max == 0:
        raise DataError(f"{path}: the file has a header but no data rows")
    row_start = begin[keep]  # each data row's first byte
    row_end = end[keep] + 1  # and the byte after its line break
    del begin, end, keep
    # Column-major: a parsed block's columns are copied in as they come, and
    # each column is one run of memory.
    M = np.empty((n_max, m), dtype=np.float32, order="F")
    text: dict[int, dict[int, str]] = {}
    blank_rows: list[np.ndarray] = []
    options = dict(sep=delimiter, header=None, names=range(m), index_col=False, na_filter=False,
                   engine="c", low_memory=False, encoding="utf-8" if encoding == "UTF-8" else "cp1252",
                   encoding_errors="replace")
    try:
        fh = open(path, "rb")
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None

    def parse(lo: int):
        """(rows lo..hi, their bytes, the parsed block or the error): a run of
        whole rows parsed on its own (pandas' own chunked reading measured
        ~1.8x slower than one read_csv of each run)."""
        hi = max(lo + 1, min(lo + ROWS_PER_STEP, int(np.searchsorted(row_start, row_start[lo] + BYTES_PER_STEP))))
        try:  # pread: the threads share the file without sharing a position
            block = os.pread(fh.fileno(), int(min(row_end[hi - 1], size) - row_start[lo]), int(row_start[lo]))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                df = pd.read_csv(io.BytesIO(block), **options)
            if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):  # a row too long
                raise pd.errors.ParserError("a row has too many cells")
            return lo, hi, block, df
        except (OSError, pd.errors.ParserError) as e:
            return lo, hi, block if "block" in locals() else b"", e

    def runs():
        lo = 0
        while lo < n_max:
            yield lo
            lo = max(lo + 1, min(lo + ROWS_PER_STEP,
                                 int(np.searchsorted(row_start, row_start[lo] + BYTES_PER_STEP))))

    n = 0
    # The next runs are parsed in two threads (pandas lets go of the GIL
    # while it tokenizes) while this one is stored.
    with fh, ThreadPoolExecutor(PARSE_THREADS) as pool:
        starts_of = runs()
        queue = [pool.submit(parse, lo) for lo in itertools.islice(starts_of, PARSE_THREADS)]
        while n < n_max:
            lo, hi, block, df = queue.pop(0).result()
            if isinstance(df, OSError):
                raise DataError(f"{path}: cannot read: {df.strerror or df}")
            if isinstance(df, Exception):
                raise DataError(_too_many_cells(path, block, int(lines[lo]), delimiter, m, encoding, str(df)))
            if len(df) != hi - lo:
                n = -1
                break
            queue.extend(pool.submit(parse, lo) for lo in itertools.islice(starts_of, 1))
            k = len(df)
            before = sum(map(len, text.values()))
            M = _store_block(df, M, n, text)
            del df
            if sum(map(len, text.values())) > before:  # rows of only empty cells (",,,") are no rows
                nan_rows = np.flatnonzero(np.isnan(M[n:n + k]).all(axis=1))
                empty = [r for r in nan_rows if all(not text.get(j, {}).get(n + int(r), "x")
                                                    for j in range(m))]
                if empty:
                    blank_rows.append(np.asarray(empty, dtype=np.int64) + n)
            n += k
            yield 0.1 + 0.9 * n / n_max
    if n != n_max:  # the lines and the parser's rows disagree: let the csv module read it
        del M
        text = _read_text(path, "utf-8-sig" if encoding == "UTF-8" else "cp1252")
        table = yield from _read_cells(path, text, delimiter, has_header, names, encoding)
        return table
    M = M[:n]
    if blank_rows:
        drop = np.concatenate(blank_rows)
        keep_rows = np.setdiff1d(np.arange(n), drop)
        M, lines = M[keep_rows], lines[keep_rows]
        renumber = np.full(n, -1)
        renumber[keep_rows] = np.arange(len(keep_rows))
        text = {j: {int(renumber[i]): c for i, c in t.items() if renumber[i] >= 0} for j, t in text.items()}
        if not len(lines):
            raise DataError(f"{path}: the file has a header but no data rows")
    yield 1.0
    return Table(path, names, M, text, lines.astype(np.int64), has_header, delimiter, encoding)


class _Mismatch(Exception):
    pass


def _store_block(df, M: np.ndarray, n: int, text: dict) -> np.ndarray:
    """Puts a parsed block's numbers into ``M[n:n + len(df)]`` (made float64
    when a number is no float32) and its cells that are no finite number
    into ``text``; returns ``M``."""
    import pandas as pd

    k = len(df)
    kinds = [dt.kind for dt in df.dtypes]
    numeric = [j for j, c in enumerate(kinds) if c in "iuf"]
    if M.dtype == np.float32 and all(c in "iu" for c in kinds):  # whole numbers: no float64 on the way
        ints = df.to_numpy()
        if ints.size == 0 or (ints.min() > -(1 << 24) and ints.max() < (1 << 24)):
            M[n:n + k] = ints
            return M
    if len(numeric) == len(kinds):
        block = df.to_numpy(dtype=np.float64)
    else:
        block = np.empty((k, len(kinds)))
        if numeric:
            block[:, numeric] = df.iloc[:, numeric].to_numpy(dtype=np.float64)
        for j in (j for j, c in enumerate(kinds) if c not in "iuf"):
            cells = df.iloc[:, j].astype(str).str.strip()
            codes, distinct = pd.factorize(cells)  # a label column repeats a few texts: each once
            v = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan)[codes]
            block[:, j] = v
            bad = np.flatnonzero(~np.isfinite(v))
            if len(bad):
                col = cells.to_numpy(dtype=object)
                text.setdefault(j, {}).update(zip((bad + n).tolist(), col[bad].tolist()))
    inf = ~np.isfinite(block)
    if inf.any():
        for r, j in zip(*np.nonzero(inf)):
            if kinds[j] in "iuf":  # e.g. 'inf' or '1e999' read as a number
                text.setdefault(int(j), {})[int(r) + n] = str(block[r, j])
        block[inf] = np.nan
    if M.dtype == np.float32:
        with np.errstate(over="ignore", invalid="ignore"):
            b32 = block.astype(np.float32)
        if np.array_equal(b32, block, equal_nan=True):
            M[n:n + k] = b32
            return M
        wide = np.empty(M.shape, order="F")  # the rows read so far, once, into float64
        wide[:n] = M[:n]
        M = wide
    M[n:n + k] = block
    return M


def _too_many_cells(path: str, block: bytes, line: int, delimiter: str, m: int, encoding: str,
                    why: str) -> str:
    """The message for a row with more cells than the header, in ``block``
    (whose first line is the file's line ``line``), found with the csv module."""
    text = block.decode("utf-8" if encoding == "UTF-8" else "cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row in reader:
        if len(row) > m:
            return f"{path}: row {line + reader.line_num - 1} has {len(row)} cells, expected {m}"
    return f"{path}: {why.strip()}"


def _read_cells(path, text: str, delimiter: str, has_header: bool, names: list[str],
                encoding: str) -> Generator[float, None, Table]:
    """The table of ``text`` read by the csv module, every cell's text kept."""
    total = max(1, text.count("\n"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    m = len(names)
    cells: list[list[str]] = [[] for _ in range(m)]
    lines: list[int] = []
    rows: list[list[str]] = []  # a chunk of rows, moved into the columns by flush()
    row_lines: list[int] = []

    def flush() -> None:
        if set(map(len, rows)) != {m}:
            for k, r in enumerate(rows):
                if len(r) > m:
                    raise DataError(f"{path}: row {row_lines[k]} has {len(r)} cells, expected {m}")
                rows[k] = r + [""] * (m - len(r))  # a short row: missing cells
        for j, col in enumerate(zip(*rows)):
            cells[j].extend(map(str.strip, col))
        lines.extend(row_lines)
        rows.clear()
        row_lines.clear()

    skip = has_header
    try:
        for row in reader:
            if "".join(row).strip():
                if skip:
                    skip = False
                    continue
                rows.append(row)
                row_lines.append(reader.line_num)
                if len(rows) == ROWS_PER_STEP:
                    flush()
                    yield 0.1 + 0.6 * min(1.0, reader.line_num / total)
        if rows:
            flush()
    except csv.Error as e:
        raise DataError(f"{path}: row {reader.line_num}: {e}") from None
    if not lines:
        raise DataError(f"{path}: the file has a header but no data rows")
    n = len(lines)
    M = np.empty((n, m))
    for j in range(m):  # parse the numbers now, in chunks, so nothing later waits for them
        for lo in range(0, n, ROWS_PER_STEP):
            M[lo:lo + ROWS_PER_STEP, j] = to_numbers(cells[j][lo:lo + ROWS_PER_STEP])
            yield 0.7 + 0.3 * (j + lo / n) / m
    yield 1.0
    return Table(path, names, narrow(M), {j: dict(enumerate(col)) for j, col in enumerate(cells)},
                 np.array(lines, dtype=np.int64), has_header, delimiter, encoding)
