#!/usr/bin/env python3
"""Render the app icon (resources/icons/smtpdiag.svg) for every platform:

    resources/icons/smtpdiag-256.png     Linux (hicolor 256x256), README, AppStream
    packaging/windows/smtpdiag.ico       Windows executables and installer: 16-256 px
    packaging/macos/smtpdiag.icns        macOS .app: 16-1024 px

    python packaging/make_icons.py       (in an environment with PySide6 and Pillow,
                                          e.g. build/venv after packaging/build.sh)

Run it after the SVG changes and commit the results.  Every size is rendered from
the SVG by Qt's SVG renderer (offscreen, no display needed), so small sizes are
drawn, not scaled down; Pillow only writes the ICO/ICNS containers.  The output
does not depend on the time or the machine beyond the Qt and Pillow versions.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "smtpdiag.svg"
PNG_256 = ROOT / "resources" / "icons" / "smtpdiag-256.png"
ICO = ROOT / "packaging" / "windows" / "smtpdiag.ico"
ICNS = ROOT / "packaging" / "macos" / "smtpdiag.icns"

ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 96, 128, 256)  # Windows shell sizes at 100-200 %
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # what Pillow's ICNS writer stores


def render(svg: Path, sizes: tuple[int, ...]):  # type: ignore[no-untyped-def]
    """size -> PIL.Image (RGBA) of *svg* drawn at that size."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - keeps Qt alive
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {svg}")
    images = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        images[size] = Image.open(io.BytesIO(bytes(data))).convert("RGBA")
    return images


def main() -> int:
    images = render(SVG, tuple(sorted(set(ICO_SIZES) | set(ICNS_SIZES))))

    PNG_256.parent.mkdir(parents=True, exist_ok=True)
    images[256].save(PNG_256, format="PNG", optimize=True)

    ICO.parent.mkdir(parents=True, exist_ok=True)
    images[256].save(ICO, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                     append_images=[images[s] for s in ICO_SIZES if s != 256])

    ICNS.parent.mkdir(parents=True, exist_ok=True)
    images[1024].save(ICNS, format="ICNS", append_images=[images[s] for s in ICNS_SIZES if s != 1024])

    for path in (PNG_256, ICO, ICNS):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
