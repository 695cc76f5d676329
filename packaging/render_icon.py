"""Render resources/icons/nnbuilder.svg to nnbuilder.png beside it (256 px).

Run it after editing the SVG: ``.venv/bin/python packaging/render_icon.py``.
The window and the .desktop entry use the PNG, so the bundle needs no SVG
icon engine to show its icon.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZE = 256


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 (QSvgRenderer needs one)
    renderer = QSvgRenderer(str(ICONS / "nnbuilder.svg"))
    if not renderer.isValid():
        print(f"{ICONS / 'nnbuilder.svg'}: not a valid SVG", file=sys.stderr)
        return 1
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    out = ICONS / "nnbuilder.png"
    if not image.save(str(out)):
        print(f"{out}: cannot write", file=sys.stderr)
        return 1
    print(f"wrote {out} ({SIZE}x{SIZE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
