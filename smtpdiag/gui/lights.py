"""The traffic lights: SVG icons with different shapes, and the words that go with them.

Every light is shown as an icon *and* a word (never colour alone):

    green   circle with a check mark   "OK"
    amber   triangle with "!"          "Warning"
    red     octagon with a cross       "Problem"
    grey    circle with a dash         "Not tested"
    waiting hourglass in a ring        "Waiting" / "Testing"

Icons are loaded from ``resources/icons`` through Qt's SVG icon engine, so they
are drawn crisp at any scale (200 %, 300 %) instead of being scaled bitmaps.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from ..causes import LIGHT_WORDS, LIGHTS, light_word
from ..i18n import N_, _
from ..paths import icons_dir

WAITING = "waiting"

# What each light means for the customer (docs/contract.md section 2), for the help dialog.
LIGHT_MEANINGS = {
    "green": N_("Works as a mail program needs it."),
    "amber": N_("Works, but something is wrong or risky: your mail program will warn, "
                "or someone can read along."),
    "red": N_("A mail program cannot use this."),
    "grey": N_("Not tested, stopped, or cannot be known from here."),
}


def icon_path(light: str) -> str:
    name = light if light in (*LIGHTS, WAITING) else "grey"
    return str(icons_dir() / f"light-{name}.svg")


def app_icon_path() -> str:
    return str(icons_dir() / "smtpdiag.svg")


@cache
def light_icon(light: str) -> QIcon:
    """The icon for *light* (``green``, ``amber``, ``red``, ``grey`` or ``waiting``)."""
    return QIcon(icon_path(light))


@cache
def app_icon() -> QIcon:
    return QIcon(app_icon_path())


def light_pixmap(light: str, size: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    """A pixmap of *size* logical pixels rendered for the screen's pixel ratio."""
    ratio = max(1.0, float(device_pixel_ratio))
    pixels = max(1, round(size * ratio))
    pixmap = QPixmap(QSize(pixels, pixels))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(icon_path(light)).render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def word(light: str) -> str:
    """The word shown next to a light: OK, Warning, Problem, Not tested."""
    if light == WAITING:
        return _("Waiting")
    return light_word(light if light in LIGHT_WORDS else "grey")


def meaning(light: str) -> str:
    return _(LIGHT_MEANINGS.get(light, LIGHT_MEANINGS["grey"]))
