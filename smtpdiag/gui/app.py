"""Start the window: the QApplication, Qt's own translations, and the four modes.

    run_app(mode, value) -> exit code
      main    an empty window
      check   value = TARGET: filled in and started
      view    value = REPORT path: the saved report, read-only
      demo    value = SCENARIO or None: the simulated network with a scenario picker

Set ``SMTPDIAG_EXIT_WHEN_SHOWN=1`` to print how long it took until the window
was shown (``shown_after_s=…``; for ``view`` also ``report=loaded`` or
``report=unreadable``) and quit at once (used by benchmarks/bench_gui.py and CI).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QWidget

from .. import APP_DISPLAY_NAME, APP_ID, APP_NAME, ORG_DOMAIN, ORG_NAME, __version__
from ..i18n import current_language, language_is_explicit, set_language
from . import lights

EXIT_WHEN_SHOWN = "SMTPDIAG_EXIT_WHEN_SHOWN"
WAKE_TIMER = "smtpdiag-wake-for-signals"
_FINISHED_WINDOWS: list[QWidget] = []


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once), named and with Qt's translations loaded."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    configure_application(app)
    return app


def configure_application(app: QApplication) -> None:
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(ORG_NAME)
    app.setOrganizationDomain(ORG_DOMAIN)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(lights.app_icon())
    if not language_is_explicit():
        # The window speaks the system's UI language (Qt reads Windows' display
        # languages and macOS' preferred languages), unless --lang chose one.
        set_language(None, QLocale.system().uiLanguages())
    install_qt_translations(app)


def install_qt_translations(app: QApplication) -> QTranslator | None:
    """Qt's own qtbase catalog, for the standard dialogs' buttons (OK, Cancel, Open…).

    Our own words come from gettext (smtpdiag.i18n), in the same language.
    """
    if getattr(app, "_smtpdiag_qt_translator", None) is not None:
        return app._smtpdiag_qt_translator  # type: ignore[attr-defined, no-any-return]
    lang = current_language()
    if lang == "en":
        return None
    QLocale.setDefault(QLocale(lang))  # numbers and dates in the same language as the words
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale(lang), "qtbase", "_", path):
        app.installTranslator(translator)
        app._smtpdiag_qt_translator = translator  # type: ignore[attr-defined]
        return translator
    return None


def run_app(mode: str, value: str | None = None) -> int:
    """Open the window in *mode* and run until it is closed; returns the exit code."""
    started = time.perf_counter()
    app = make_application()
    from .window import MainWindow

    window = MainWindow(mode=mode)
    window.show()
    opened = False
    if mode == "check" and value:
        window.set_target(value)
        QTimer.singleShot(0, window.start_check)
    elif mode == "view" and value:
        opened = window.open_report_path(value, interactive=False)
    elif mode == "demo" and window.select_scenario(value) and value:
        QTimer.singleShot(0, window.start_check)

    if os.environ.get(EXIT_WHEN_SHOWN):
        def report_shown() -> None:
            print(f"shown_after_s={time.perf_counter() - started:.3f}", flush=True)
            if mode == "view":  # CI checks that a saved report (cmd, PowerShell) opens
                print(f"report={'loaded' if opened else 'unreadable'}", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report_shown)

    interrupted = quit_on_interrupt(app, window)
    try:
        code = app.exec()
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.default_int_handler)
    # The window is closed; give demo servers a moment to stop, never longer.
    window.runner.shutdown(wait=0.5)
    # Keep it referenced: left to the garbage collector, a window (with its timers) may be
    # destroyed from whichever thread happens to collect ("Timers cannot be stopped from
    # another thread"), which crashes Qt.  The process ends soon after anyway.
    _FINISHED_WINDOWS.append(window)
    return 130 if interrupted.is_set() else int(code)


def quit_on_interrupt(app: QApplication, window: QWidget) -> threading.Event:
    """Ctrl+C in the console that started the window closes it (exit status 130), as
    the close button would (so the window stops its runs; the last window closed
    ends the event loop).

    Qt's event loop runs no Python code by itself, so a console's Ctrl+C would
    wait for the next mouse move (on Windows, forever): a timer lets the
    interpreter look at pending signals five times a second.
    """
    interrupted = threading.Event()

    def on_interrupt(_signum: int, _frame: object) -> None:
        interrupted.set()
        window.close()

    try:
        signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread (embedded use): leave signals alone
        return interrupted
    if app.findChild(QTimer, WAKE_TIMER) is None:  # one for the application's lifetime
        wake = QTimer(app)
        wake.setObjectName(WAKE_TIMER)
        wake.timeout.connect(_let_python_run)
        wake.start(200)
    return interrupted


def _let_python_run() -> None:
    """Nothing: returning to the interpreter is the point (see quit_on_interrupt)."""
