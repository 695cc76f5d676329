"""A small animated-GIF writer (GIF89a, LZW), so the core writes animations
without an imaging library.

Each frame gets its own colour table (a local palette): the frame's exact
colours when it has at most 255, else the 255 most frequent colours of a
5-bit-per-channel histogram (their means), every pixel taking the nearest of
them. The frames of the output view are mostly one ramp of the diverging map
plus a few class colours, which this keeps nearly exact. The 256th entry is
transparent: after the first frame, pixels that look as they did stay
transparent over the frame before (a quarter smaller, for a run's frames).
The file loops forever (the NETSCAPE2.0 extension).
"""
from __future__ import annotations

import struct
from typing import BinaryIO

import numpy as np

__all__ = ["GifWriter", "quantize", "lzw_encode"]

MAX_CODES = 4096


def quantize(rgb: np.ndarray, colours: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(indices ``(h, w)`` uint8, palette ``(n, 3)`` uint8) of an RGB image, ``n <= colours``."""
    h, w, _ = rgb.shape
    flat = rgb.reshape(-1, 3)
    keys = (flat[:, 0].astype(np.int32) << 16) | (flat[:, 1].astype(np.int32) << 8) | flat[:, 2]
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    ucol = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], axis=1)
    if len(uniq) <= colours:
        return inverse.reshape(h, w).astype(np.uint8), ucol.astype(np.uint8)
    # Popularity over a 5-bit histogram; each chosen bin's colour is its pixels' mean.
    bins = ((ucol[:, 0] >> 3) << 10) | ((ucol[:, 1] >> 3) << 5) | (ucol[:, 2] >> 3)
    weight = np.bincount(bins, weights=counts, minlength=1 << 15)
    chosen = np.argsort(-weight, kind="stable")[:colours]
    chosen = chosen[weight[chosen] > 0]
    sums = np.stack([np.bincount(bins, weights=counts * ucol[:, c], minlength=1 << 15) for c in range(3)], 1)
    palette = np.rint(sums[chosen] / weight[chosen, None]).astype(np.float64)
    # The nearest palette colour of each distinct colour, in blocks (few thousand colours).
    nearest = np.empty(len(ucol), dtype=np.int64)
    uf = ucol.astype(np.float64)
    for start in range(0, len(uf), 4096):
        block = uf[start:start + 4096]
        d = ((block[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
        nearest[start:start + 4096] = d.argmin(axis=1)
    return nearest[inverse].reshape(h, w).astype(np.uint8), palette.astype(np.uint8)


def lzw_encode(indices: bytes, min_code_size: int) -> bytes:
    """The GIF LZW code stream of ``indices`` (each below ``2**min_code_size``),
    starting with a clear code and ending with the end code, packed LSB first."""
    clear = 1 << min_code_size
    end = clear + 1
    code_size = min_code_size + 1
    next_code = end + 1
    table: dict[int, int] = {}
    get = table.get
    # Each code emitted, with its width in bits above bit 16; packed at the end with NumPy.
    codes = [clear | code_size << 16]
    emit = codes.append
    if indices:
        prefix = indices[0]
        for b in indices[1:]:
            key = (prefix << 8) | b
            code = get(key)
            if code is not None:
                prefix = code
                continue
            emit(prefix | code_size << 16)
            if next_code < MAX_CODES:
                table[key] = next_code
                if next_code == 1 << code_size and code_size < 12:
                    code_size += 1
                next_code += 1
            else:  # the table is full: start a new one
                emit(clear | code_size << 16)
                table.clear()
                code_size, next_code = min_code_size + 1, end + 1
            prefix = b
        emit(prefix | code_size << 16)
    emit(end | code_size << 16)
    packed = np.array(codes, dtype=np.int64)
    values, sizes = packed & 0xFFFF, packed >> 16
    bits = (values[:, None] >> np.arange(12)) & 1
    return np.packbits(bits[np.arange(12) < sizes[:, None]].astype(np.uint8), bitorder="little").tobytes()


def _sub_blocks(data: bytes) -> bytes:
    parts = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        parts.append(len(chunk))
        parts += chunk
    parts.append(0)
    return bytes(parts)


class GifWriter:
    """Writes frames of one size to ``stream`` as they come; :meth:`close` ends the file.

    ``delay_ms``: how long each frame shows (GIF counts hundredths of a second)."""

    def __init__(self, stream: BinaryIO, width: int, height: int, delay_ms: int = 100, loop: int = 0):
        if not (0 < width < 65536 and 0 < height < 65536):
            raise ValueError(f"a GIF frame must be 1 to 65535 pixels a side, not {width} x {height}")
        self.stream, self.width, self.height = stream, width, height
        self.delay = max(1, round(delay_ms / 10))
        self.frames = 0
        self._shown: np.ndarray | None = None  # what the frames so far show, RGB
        stream.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0))
        stream.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")

    def add(self, rgb: np.ndarray) -> None:
        """One frame, ``(height, width, 3)`` uint8.

        After the first, the pixels that look as they did stay transparent
        (each frame is drawn over the last): they cost next to nothing, and
        between two moments of a run most of a frame stays the same."""
        if rgb.shape != (self.height, self.width, 3):
            raise ValueError(f"a frame of {rgb.shape} in a GIF of {self.height} x {self.width} x 3")
        indices, palette = quantize(np.ascontiguousarray(rgb, dtype=np.uint8), 255)
        shown = palette[indices]
        transparent = len(palette)  # the one index past the colours
        flags = 0x04  # "do not dispose": the next frame is drawn over this one
        if self._shown is not None:
            same = (shown == self._shown).all(axis=2)
            if same.any():
                indices[same] = transparent
                flags |= 0x01
        self._shown = shown
        bits = max(1, int(np.ceil(np.log2(transparent + 1))))  # the table has 2**bits colours
        table = np.zeros((1 << bits, 3), dtype=np.uint8)
        table[:len(palette)] = palette
        s = self.stream
        s.write(b"\x21\xf9\x04" + struct.pack("<BHBB", flags, self.delay, transparent if flags & 1 else 0, 0))
        s.write(b"\x2c" + struct.pack("<HHHHB", 0, 0, self.width, self.height, 0x80 | (bits - 1)))
        s.write(table.tobytes())
        min_code_size = max(2, bits)
        s.write(bytes([min_code_size]))
        s.write(_sub_blocks(lzw_encode(indices.tobytes(), min_code_size)))
        self.frames += 1

    def close(self) -> None:
        """The trailer (the stream stays open: its owner closes it)."""
        self.stream.write(b"\x3b")
