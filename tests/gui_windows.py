"""Real windows for the window tests: one per call of ``make_window``, private settings,
and every run they started ended before the next test (keeps tests independent).

Import the fixtures into a test module (``from gui_windows import make_window_fixture,
settings_fixture``: pytest finds them by their names ``make_window`` and ``settings``);
Qt stays out of conftest.py, so the engine's tests never load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from smtpdiag.gui.app import configure_application
from smtpdiag.gui.window import MainWindow

FAST = 0.5  # seconds: the time limit for each step in tests (silent drops wait this long)


@pytest.fixture(name="settings")
def settings_fixture(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def wait_runs_gone(qtbot, runs: list) -> None:  # type: ignore[no-untyped-def, type-arg]
    qtbot.waitUntil(lambda: all(r.thread is None or not r.thread.is_alive() for r in runs), timeout=5000)


@pytest.fixture(name="make_window")
def make_window_fixture(qtbot, qapp: QApplication, settings: QSettings) -> Iterator[Callable[..., MainWindow]]:  # type: ignore[no-untyped-def]
    configure_application(qapp)
    windows: list[MainWindow] = []

    def make(mode: str = "main", **kwargs: object) -> MainWindow:
        window = MainWindow(mode=mode, settings=settings, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.demo_timeout = FAST
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    # pytest-qt closes (and deletes) the windows; first collect their runs, then let
    # those end before the next test starts.
    runs = [run for window in windows if shiboken6.isValid(window) for run in window.runner._runs.values()]
    for window in windows:
        if shiboken6.isValid(window):
            window.close()
    wait_runs_gone(qtbot, runs)
