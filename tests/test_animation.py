"""A run's animation for slides, headless: ``nnbuilder train --animate``
writes the output view over the run as an animated GIF (or a PNG sequence)
drawn by the core alone.

The files are read back by decoders that are not nnbuilder's: the GIF's
blocks are walked here by hand (header, logical screen, one image descriptor
per frame), and its frames, like the PNGs, are decoded by Qt's image readers.
The colours are checked against the diverging map written out here in plain
NumPy, over outputs of the trained model computed by the independent forward
pass of tests/forward.py.
"""
import io
import json
import math
import struct

import numpy as np
import pytest

from forward import forward, read_model
from nnbuilder.cli import main
from nnbuilder.core.data.datasets import make_dataset
from nnbuilder.core.files.animation import AnimationFile, sequence_path
from nnbuilder.core.files.gif import GifWriter, lzw_encode
from nnbuilder.core.run.outputview import input_grid

ORANGE, MID, BLUE = np.array([245, 147, 34.]), np.array([232, 234, 235.]), np.array([8, 119, 189.])


def gif_blocks(data: bytes) -> dict:
    """The GIF's screen size, its frames' descriptors (x, y, w, h) and delays, walked block by block."""
    assert data[:6] == b"GIF89a"
    width, height, packed = struct.unpack("<HHB", data[6:11])
    i = 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
    frames, delays, loops = [], [], None
    while True:
        kind = data[i]
        if kind == 0x3B:
            assert i == len(data) - 1  # the trailer ends the file
            break
        if kind == 0x21:  # an extension: label, then sub-blocks
            label = data[i + 1]
            j = i + 2
            first = data[j + 1:j + 1 + data[j]]
            if label == 0xF9:
                delays.append(struct.unpack("<H", first[1:3])[0])
            if label == 0xFF and first == b"NETSCAPE2.0":
                loops = True
            while data[j]:
                j += data[j] + 1
            i = j + 1
            continue
        assert kind == 0x2C, f"unexpected block {kind:#x} at {i}"
        x, y, w, h, packed = struct.unpack("<HHHHB", data[i + 1:i + 10])
        frames.append((x, y, w, h))
        j = i + 10 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)
        j += 1  # the LZW minimum code size
        while data[j]:
            j += data[j] + 1
        i = j + 1
    return {"size": (width, height), "frames": frames, "delays": delays, "loops": loops}


def qt_frames(path_or_bytes):
    """Every frame of an image file as RGB arrays, decoded by Qt."""
    from PySide6.QtCore import QBuffer, QByteArray
    from PySide6.QtGui import QImage, QImageReader

    if isinstance(path_or_bytes, bytes):
        buf = QBuffer()
        buf.setData(QByteArray(path_or_bytes))
        buf.open(QBuffer.OpenModeFlag.ReadOnly)
        reader = QImageReader(buf, b"gif")
    else:
        reader = QImageReader(str(path_or_bytes))
    out = []
    for _ in range(max(reader.imageCount(), 1)):
        img = reader.read()
        assert not img.isNull(), reader.errorString()
        img = img.convertToFormat(QImage.Format.Format_RGB888)
        a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
        out.append(a[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy())
    return out


def diverging(t):
    """The window's map, by hand: orange at -1, light grey at 0, blue at +1."""
    t = np.clip(t, -1, 1)[..., None]
    return np.where(t < 0, MID + (ORANGE - MID) * -t, MID + (BLUE - MID) * t)


def test_the_tiny_gif_of_the_spec_decodes_in_qt_and_our_encoder_agrees_with_its_codes(qapp):
    # The GIF89a spec's sample (and Wikipedia's): a 3 x 5 image, black and white,
    # whose LZW codes 2 bits wide begin with a clear code. Our encoder's code
    # stream for those pixels is decoded by Qt to the same picture.
    pixels = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1], [1, 1, 1]], dtype=np.uint8)
    rgb = np.where(pixels[..., None] == 1, 255, 0).astype(np.uint8).repeat(3, axis=2)
    buf = io.BytesIO()
    writer = GifWriter(buf, 3, 5, delay_ms=250)
    writer.add(rgb)
    writer.close()
    data = buf.getvalue()
    blocks = gif_blocks(data)
    assert blocks["size"] == (3, 5) and len(blocks["frames"]) == 1 and blocks["delays"] == [25]
    np.testing.assert_array_equal(qt_frames(data)[0], rgb)
    # The code stream by hand: min code size 2 (clear 4, end 5), codes 3 bits wide.
    codes = lzw_encode(bytes([0, 1]), 2)
    # clear(4)=100, 0=000, 1=001, end(5)=101, LSB first: 0b[101][001][000][100] -> 0x44 0x0A
    assert codes == bytes([0b01000100, 0b00001010])


def test_a_gif_of_many_colours_and_long_runs_decodes_to_its_frames(qapp):
    # Every code width (3 to 12 bits) and a full table (4096 codes) start over:
    # frames with few colours come back exact, a noisy one within its quantisation.
    rng = np.random.default_rng(1)
    ramp = np.zeros((90, 140, 3), np.uint8)
    ramp[..., 0] = np.arange(140)[None, :] % 200
    ramp[..., 2] = 7
    few = rng.integers(0, 4, (90, 140, 1)).astype(np.uint8).repeat(3, axis=2) * 60
    noisy = rng.integers(0, 256, (90, 140, 3), dtype=np.uint8)
    buf = io.BytesIO()
    w = GifWriter(buf, 140, 90)
    for f in (ramp, few, noisy, noisy, ramp):  # (a frame as the one before: all of it transparent)
        w.add(f)
    w.close()
    decoded = qt_frames(buf.getvalue())
    assert len(decoded) == 5 == len(gif_blocks(buf.getvalue())["frames"])
    np.testing.assert_array_equal(decoded[0], ramp)
    np.testing.assert_array_equal(decoded[1], few)
    assert np.abs(decoded[2].astype(int) - noisy).mean() < 20  # 255 of 12,600 colours
    np.testing.assert_array_equal(decoded[3], decoded[2])
    np.testing.assert_array_equal(decoded[4], ramp)


def test_an_aborted_animation_leaves_no_file(tmp_path):
    frame = np.zeros((8, 8, 3), np.uint8)
    for name in ("a.gif", "a.png"):
        f = AnimationFile(str(tmp_path / name))
        f.add(frame)
        f.add(frame)
        f.abort()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        AnimationFile(str(tmp_path / "a.mp4"))


def expected_frames(steps: int, frames: int) -> int:
    """Moments at a stride giving at most ``frames`` of them, plus the end when off the stride."""
    stride = math.ceil(steps / (frames - 1))
    return steps // stride + 1 + (steps % stride != 0)


def test_train_animate_writes_a_gif_of_the_runs_moments(tmp_path, capsys, qapp):
    model, out, gif = tmp_path / "m.json", tmp_path / "out.json", tmp_path / "run.gif"
    assert main(["new", "2-6-1", "--activation", "tanh", "-o", str(model)]) == 0
    # circle, 200 samples, split 0.5: 100 training rows, batches of 10 -> 10 steps an epoch
    assert main(["train", str(model), "--dataset", "circle", "--samples", "200", "--epochs", "30",
                 "--split", "0.5", "--batch-size", "10", "--lr", "0.1", "--seed", "3", "-o", str(out),
                 "--animate", str(gif), "--frames", "13", "--frame-ms", "80", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    n = expected_frames(300, 13)
    assert result["frames"] == n == 13 and result["animation"] == str(gif)
    data = gif.read_bytes()
    blocks = gif_blocks(data)
    size = blocks["size"]
    assert size[0] == 320 and size[1] > 320 + 120  # the view, its caption and the loss curve
    assert blocks["frames"] == [(0, 0, *size)] * n and blocks["delays"] == [8] * n and blocks["loops"]
    frames = qt_frames(gif)
    assert len(frames) == n and frames[0].shape == (size[1], size[0], 3)

    # The last frame's view is the trained model's output, in the window's colours.
    m = read_model(out)
    ds = make_dataset("circle", 200, None, 3)
    grid = input_grid(ds.X, 100, 0.1)
    v = forward(m, grid.raw)[0][:, 0].reshape(100, 100)[::-1]  # top row first, as on screen
    cells = (np.arange(320) * 100) // 320
    expected = diverging(0.8 * (v - 0.5) / 0.5)[cells][:, cells]
    top = size[1] - 320 - 120  # under the caption
    view_last = frames[-1][top:top + 320].astype(int)
    close = (np.abs(view_last - expected).max(axis=2) <= 4).mean()
    assert close > 0.75  # the rest: points, the boundary line, the axis names
    # Where the boundary moved, the first and last frames take opposite sides.
    view_first = frames[0][top:top + 320].astype(int)
    blue_first = view_first[..., 2] > view_first[..., 0] + 30
    orange_first = view_first[..., 0] > view_first[..., 2] + 30
    inside = v[cells][:, cells] > 0.6
    outside = v[cells][:, cells] < 0.4
    moved = (inside & orange_first) | (outside & blue_first)
    assert moved.mean() > 0.05
    assert ((view_last[..., 2] > view_last[..., 0])[inside & orange_first]).mean() > 0.9


def test_train_animate_png_sequence_matches_the_gif(tmp_path, capsys, qapp):
    model = tmp_path / "m.json"
    assert main(["new", "2-4-1", "-o", str(model)]) == 0
    args = ["train", str(model), "--dataset", "xor", "--samples", "100", "--epochs", "20", "--split", "0.5",
            "--batch-size", "50", "--seed", "1", "-o", str(tmp_path / "o.json"), "--frames", "6", "--no-loss-curve", "--json"]
    assert main(args + ["--animate", str(tmp_path / "a.gif")]) == 0
    gif_result = json.loads(capsys.readouterr().out)
    assert main(args + ["--animate", str(tmp_path / "seq.png")]) == 0
    png_result = json.loads(capsys.readouterr().out)
    n = expected_frames(20, 6)
    assert gif_result["frames"] == png_result["frames"] == n
    assert png_result["animation"] == [sequence_path(str(tmp_path / "seq.png"), i) for i in range(n)]
    assert not (tmp_path / "seq.png").exists() and not (tmp_path / f"seq_{n + 1:04d}.png").exists()
    gif = qt_frames(tmp_path / "a.gif")
    for i, path in enumerate(png_result["animation"]):
        png = qt_frames(path)[0]
        assert png.shape == gif[i].shape == (gif[0].shape[0], 320, 3)
        assert gif[0].shape[0] < 320 + 40  # no loss curve
        assert np.abs(png.astype(int) - gif[i]).max() <= 12  # the GIF's palette of 256
    assert not np.array_equal(qt_frames(png_result["animation"][0])[0], qt_frames(png_result["animation"][-1])[0])


def test_train_animate_refuses_a_bad_path_before_training(tmp_path, capsys):
    model = tmp_path / "m.json"
    assert main(["new", "2-2-1", "-o", str(model)]) == 0
    capsys.readouterr()
    for bad in (["--animate", str(tmp_path / "a.mp4")], ["--animate", str(tmp_path / "no" / "a.gif")],
                ["--animate", str(tmp_path / "a.gif"), "--frames", "1"]):
        assert main(["train", str(model), "--dataset", "xor", "-o", str(tmp_path / "o.json")] + bad) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and ("--animate" in err or "--frames" in err)
    assert not (tmp_path / "o.json").exists()


def test_the_several_class_image_is_the_winners_colour_nearer_grey_the_less_sure():
    from nnbuilder.core.run.colours import output_rgba

    # Three classes (orange, blue, green as on screen); a sure, a torn and an unsure cell.
    outputs = np.array([[0.02, 0.96, 0.02], [0.5, 0.1, 0.4], [0.30, 0.30, 0.40], [0.1, 0.1, 0.8]])
    colours = np.array([[245, 147, 34], [8, 119, 189], [44, 160, 44]], dtype=float)  # #F59322 #0877BD #2CA02C
    rgba = output_rgba(outputs, 2, 0.5, (0, 1)).reshape(4, 4)
    for row, out in zip(rgba, outputs):
        k = out.argmax()
        sure = np.clip((out.max() - 1 / 3) / (2 / 3), 0, 1)
        expected = MID + (colours[k] - MID) * (0.25 + 0.75 * sure)
        assert np.abs(row[:3] - expected).max() <= 1 and row[3] == 235
    assert (output_rgba(outputs, 2, 0.5, (0, 1), discretize=True).reshape(4, 4)[:, :3]
            == colours[outputs.argmax(axis=1)]).all()
