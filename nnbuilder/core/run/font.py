"""A small bitmap font for the frames drawn with NumPy (:mod:`.frames`):
7 x 14 pixel cells of a monospace face, rendered once from the system's
fixed font and stored here, so the core writes captions without a font engine."""
from __future__ import annotations

import base64
import zlib

import numpy as np

__all__ = ["CELL", "glyphs", "text_mask"]

CELL = (7, 14)  # (width, height) of one character, in pixels
_CHARS = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~·²'
_BITS = (
    "eNpVVD1MFEEU3j/uJuQC40KxEsONu6ui1YZQXHHRBRfEhPhDKIixuJALEqsrTLS4kF1OApcIyRoxsRACVEQtCKHRZg8MuTUY"
    "pbDA6nJEEzu4ykIT583sndxU3743773vve/tCMLpg4ntSQLCgFs7exp20Vl5cfnPmuNSTGqzsXhr57ENjh/31kvyp6VbgBPm"
    "cGb3bfgaLomS8j8r8aSEZhHbpR5C7IB+YuIKknJVu9O4JCkoT+wmNrYXgXiTOUpdgiyULZyjbLj0PluusB4qtAcFpQG36Qqy"
    "dhNJoBR3vVgK4Usuo1Sa7TKnMQGc9+Qg8GJPWCVsnzw3RxYZrng02i6wClVzcFF35lmFVFHte0CT1WfWoCTE0Kner2taos5Z"
    "rrS7dZwh1s+oL0pJIwJvs3Zh++G3bU+EEji3OvDFN3bA3q07xao5tcJ0+AgKyXIAuJodPlh3XlV4D1K8jEkecJJeqSlcRHkf"
    "k5Fih8ECVHN4hSZjjjxhU2IBcozKkyl1A1ZuvuzJbepZUEIscMcxOIY+f3j8Zmx1APDZ3uzGaDb0WfAz39hbUA2mes2cWiaR"
    "bKlQTU8d6CkNRz04Zd/llCxN4zqIv4EE5ro7RUrQ72Vjtdad+c2BAhskSj16N324NckodegF5VxPUWOU5jf7Z6JGkxLC/TOJ"
    "JJvSDstJR0I/PElSEghbLCtvGhM6DprlrkqE5nPNFTKZJkuF3PB1mBKNGg/VvpFlbm+36jogbJR9uhrH3HFk3v5qpZlWiA85"
    "CqAjUI3AS1NGLft+pAPCYlDXQZaEFKOtaBVqOmOOn6yZwIYvND7PK4i17StjG6M86/0QZsZxmz600GXwNWuhqjhhVUFss+gV"
    "PY3Ytk9T3lKy3gOxLP4/9M/tgdQ5XkFlAfzSUNGfmIt6IOH3v1uTAcPK4CJKHWIe0HVxsJX+jbtsszRSUHgF0MGm9WQaGk0e"
    "3hd4BDzxKYJHAM6vXNMTxLcHk0Ljt/8H6VHWDg=="
)
_GLYPHS: dict | None = None


def glyphs() -> dict:
    """``{character: (height, width) bool}``, decoded once."""
    global _GLYPHS
    if _GLYPHS is None:
        w, h = CELL
        bits = np.unpackbits(np.frombuffer(zlib.decompress(base64.b64decode("".join(_BITS))), np.uint8))
        cells = bits[:len(_CHARS) * w * h].astype(bool).reshape(len(_CHARS), h, w)
        _GLYPHS = dict(zip(_CHARS, cells))
    return _GLYPHS


def text_mask(text: str, scale: int = 1) -> np.ndarray:
    """The pixels of ``text`` on one line, ``(height, width)`` bool, each
    font pixel ``scale`` x ``scale``; characters the font lacks show as ``?``."""
    g = glyphs()
    w, h = CELL
    mask = np.zeros((h, w * len(text)), dtype=bool)
    for i, ch in enumerate(text):
        mask[:, i * w:(i + 1) * w] = g.get(ch, g["?"])
    if scale > 1:
        mask = mask.repeat(scale, axis=0).repeat(scale, axis=1)
    return mask
