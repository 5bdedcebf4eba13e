#!/usr/bin/env python3
"""Render the window in its key states to docs/screenshots/*.png (used in the README).

    python scripts/screenshots.py            every state, plus one at 200 % scaling
    python scripts/screenshots.py --only healthy mobile-2012

Runs offscreen (no display needed) against the simulated network of ``smtpdiag
demo``, with throw-away settings, so the pictures never show the user's own
servers.  The 200 % picture is rendered in a child process with QT_SCALE_FACTOR=2.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SIZE = (920, 720)
sys.path.insert(0, str(ROOT))


def _window(mode: str, settings_dir: str):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    from smtpdiag.gui.window import MainWindow

    settings = QSettings(os.path.join(settings_dir, f"{mode}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(mode=mode, settings=settings)
    window.resize(*SIZE)
    window.show()
    return window


def _wait(app, condition: Callable[[], bool], timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    for _ in range(5):  # let layouts settle
        app.processEvents()


def _dark_palette():  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, "#2b2b2b"), (roles.WindowText, "#e8e8e8"), (roles.Base, "#1e1e1e"),
                         (roles.AlternateBase, "#262626"), (roles.Text, "#e8e8e8"), (roles.Button, "#353535"),
                         (roles.ButtonText, "#e8e8e8"), (roles.Highlight, "#3d6fb4"),
                         (roles.HighlightedText, "#ffffff"), (roles.PlaceholderText, "#9a9a9a"),
                         (roles.ToolTipBase, "#353535"), (roles.ToolTipText, "#e8e8e8"), (roles.Light, "#4a4a4a"),
                         (roles.Midlight, "#404040"), (roles.Mid, "#303030"), (roles.Dark, "#202020"),
                         (roles.Shadow, "#000000")):
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor("#7a7a7a"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor("#7a7a7a"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor("#7a7a7a"))
    return p


def _save(window, name: str) -> Path:  # type: ignore[no-untyped-def]
    OUT.mkdir(parents=True, exist_ok=True)
    if hasattr(window, "model"):  # show what the next repaint (within 60 ms) would show
        window.model.flush()
        window.results.fit()
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
    path = OUT / f"{name}.png"
    window.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return path


def _demo(app, settings_dir: str, scenario: str, select_row: int | None = None,  # type: ignore[no-untyped-def]
          details: bool = False):
    window = _window("demo", settings_dir)
    window.select_scenario(scenario)
    window._set_details_visible(details)
    window.start_check()
    _wait(app, lambda: not window.running and window.report is not None)
    if select_row is not None:
        window.results.selectRow(select_row)
    return window


def shoot(names: list[str] | None, suffix: str = "") -> None:
    from smtpdiag.gui.app import make_application
    from smtpdiag.i18n import set_language

    set_language()  # the system's language (LANGUAGE=de gives German pictures), as smtpdiag does
    app = make_application()
    settings_dir = tempfile.mkdtemp(prefix="smtpdiag-shots-")
    wanted = set(names or [])

    def want(name: str) -> bool:
        return not wanted or name in wanted

    if want("empty"):
        window = _window("main", settings_dir)
        _wait(app, lambda: True)
        _save(window, "empty" + suffix)
        window.close()

    if want("bad-input"):
        window = _window("main", settings_dir)
        window.set_target("mail..example.com")
        window.start_check()
        _wait(app, lambda: True)
        _save(window, "bad-input" + suffix)
        window.close()

    if want("advanced"):
        window = _window("main", settings_dir)
        window.set_target("you@example.com")
        window.advanced_toggle.setChecked(True)
        _wait(app, lambda: True)
        _save(window, "advanced" + suffix)
        window.close()

    if want("running"):
        window = _window("demo", settings_dir)
        window.select_scenario("mobile-2012")
        window.start_check()
        # Port 25 is silently dropped: it keeps testing while the others have finished.
        _wait(app, lambda: window.model.progress()[0] >= 4 and window.running)
        _save(window, "running" + suffix)
        window.close()

    for scenario in ("healthy", "mobile-2012", "antivirus-intercept", "mail-program-wrong"):
        if want(scenario):
            window = _demo(app, settings_dir, scenario)
            _save(window, scenario + suffix)
            window.close()

    if want("dark"):
        # The offscreen platform has no colour scheme of its own: imitate a dark desktop
        # with a dark palette (the window itself only ever uses palette roles).
        light_palette = app.palette()
        app.setPalette(_dark_palette())
        window = _demo(app, settings_dir, "antivirus-intercept", select_row=1, details=True)
        window.resize(SIZE[0], 940)
        window._set_details_visible(True)
        _wait(app, lambda: True)
        _save(window, "dark")
        window.close()
        app.setPalette(light_palette)

    if want("details"):
        window = _demo(app, settings_dir, "antivirus-intercept", select_row=1, details=True)
        window.resize(SIZE[0], 940)
        window._set_details_visible(True)
        window.details.setCurrentIndex(0)
        _wait(app, lambda: True)
        _save(window, "details" + suffix)
        window.details.setCurrentIndex(1)
        _wait(app, lambda: True)
        _save(window, "details-conversation" + suffix)
        window.details.setCurrentIndex(2)
        _wait(app, lambda: True)
        _save(window, "details-certificates" + suffix)
        window.close()

    if want("view"):
        window = _demo(app, settings_dir, "mobile-2012")
        report_path = os.path.join(settings_dir, "smtpdiag-mail.example.net.json")
        window.save_report_as(window.report, report_path, "json")
        window.close()
        viewer = _window("view", settings_dir)
        viewer.resize(SIZE[0], 900)
        viewer.open_report_path(report_path, interactive=False)
        viewer.results.selectRow(1)
        _wait(app, lambda: True)
        _save(viewer, "view")
        viewer.close()

    if want("lights-help"):
        from smtpdiag.gui.dialogs import LightsHelpDialog

        dialog = LightsHelpDialog()
        dialog.show()
        _wait(app, lambda: True)
        _save(dialog, "lights-help" + suffix)
        dialog.close()


def main() -> int:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="only these states")
    parser.add_argument("--no-scaled", action="store_true", help="skip the 200 %% picture")
    parser.add_argument("--suffix", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the pictures (default docs/screenshots; use another one "
                             "for other languages, e.g. LANGUAGE=de ... --out /tmp/shots-de)")
    args = parser.parse_args()
    OUT = args.out or OUT
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    shoot(args.only, args.suffix)
    if not args.no_scaled and not args.suffix:
        env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
        subprocess.run([sys.executable, __file__, "--only", "mobile-2012", "--no-scaled",
                        "--suffix", "@2x", "--out", str(OUT)], env=env, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
