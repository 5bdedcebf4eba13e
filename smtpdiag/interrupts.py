"""Ctrl+C before the program's own handling starts (while Python imports it) and after it
ended (interpreter shutdown): exit 130 with one line, never a KeyboardInterrupt traceback.

``smtpdiag/__init__.py`` calls :func:`install_early` when smtpdiag runs as a program
(the ``smtpdiag`` command, the packaged app, ``python -m smtpdiag``), never when it is
imported as a library (tests, the window's own modules).  ``cli.main`` replaces the
handler with Python's default (KeyboardInterrupt, caught there) and puts it back when it
returns.  Only signal-safe calls happen inside the handler.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_INTERRUPTED = 130
_installed = False


def _exit_now(signum: int, frame: FrameType | None) -> None:
    try:
        os.write(2, b"Interrupted.\n")
    except OSError:
        pass
    os._exit(EXIT_INTERRUPTED)


def running_as_program(argv0: str) -> bool:
    name = os.path.basename(argv0).lower()
    return name in ("smtpdiag", "smtpdiag.exe", "smtpdiag-script.py", "-m") or bool(
        getattr(sys, "frozen", False))


def install_early() -> None:
    """Make Ctrl+C an immediate, quiet exit 130 (from the main thread only)."""
    global _installed
    try:
        signal.signal(signal.SIGINT, _exit_now)
        _installed = True
    except (ValueError, OSError):  # not the main thread, or no signals here
        pass


def installed() -> bool:
    return _installed


def reinstall() -> None:
    if _installed:
        install_early()


@contextmanager
def ctrl_c_sets() -> Iterator[threading.Event]:
    """Within the block Ctrl+C sets the returned event instead of raising
    KeyboardInterrupt (outside the main thread: an event that is never set)."""
    event = threading.Event()
    try:
        previous = signal.signal(signal.SIGINT, lambda _signum, _frame: event.set())
    except (ValueError, OSError):
        yield event
        return
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)


def leave(code: int) -> None:
    """Exit now with *code* after flushing the output and the log (an interrupted run:
    waiting for probe threads and interpreter shutdown could end in a second signal)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    logging = sys.modules.get("logging")  # the demo's simulated servers use it; the run log does not
    if logging is not None:
        try:
            logging.shutdown()
        except Exception:  # noqa: BLE001 - leaving anyway
            pass
    os._exit(code)
