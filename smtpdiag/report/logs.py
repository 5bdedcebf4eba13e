"""A log of every run, for support: one line per check, kept in the user's log folder.

    log_dir()          where the log lives: $SMTPDIAG_LOG_DIR, else the platform's
                       user log folder (platformdirs: ~/.local/state/smtpdiag/log,
                       ~/Library/Logs/smtpdiag, %LOCALAPPDATA%\\smtpdiag\\smtpdiag\\Logs)
    setup_logging()    attach a rotating file handler (1 MB x 5) to the "smtpdiag"
                       logger; returns the log file's path; safe to call again
    log_report(report) one line for the run, one line per check
    stop_logging()     close the file again

The log holds codes and short facts only (host, address, port, light, cause,
time).  Never a password, never a transcript: the login is logged as "yes/no",
not even its name.  Importing this module is cheap and needs no Qt.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Report

LOGGER_NAME = "smtpdiag"
LOG_FILE = "smtpdiag.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
ENV_VAR = "SMTPDIAG_LOG_DIR"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger(LOGGER_NAME)


class _RunLogHandler(logging.handlers.RotatingFileHandler):
    """The one handler :func:`setup_logging` owns (so it is never added twice).

    It opens the file for each record and closes it again: a window left open
    for hours must not hold the log, because on Windows an open file can be
    neither renamed nor replaced, so another run's rotation would fail.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        finally:
            # Handler.handle() holds this handler's lock around emit().
            if self.stream is not None:
                stream, self.stream = self.stream, None  # type: ignore[assignment]
                try:
                    stream.close()  # flushes: a full disk must not end the run in a traceback
                except OSError:
                    pass


def log_dir() -> Path:
    """The folder for smtpdiag's log files (not created here)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_log_dir("smtpdiag", "smtpdiag"))


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to ``log_dir()/smtpdiag.log`` (rotating); return that path.

    Calling it again (or after SMTPDIAG_LOG_DIR changed) replaces the handler
    instead of adding a second one.  A log folder that cannot be created is not
    an error: the run goes on without a log file.
    """
    path = log_dir() / LOG_FILE
    for handler in list(log.handlers):
        if isinstance(handler, _RunLogHandler):
            if handler.baseFilename == os.path.abspath(path) and handler.level == level:
                return path
            log.removeHandler(handler)
            handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _RunLogHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8",
                                 delay=True)
    except OSError:
        return path
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(_FORMAT))
    log.addHandler(handler)
    if log.level == logging.NOTSET or log.level > level:
        log.setLevel(level)
    return path


def stop_logging() -> None:
    """Close and remove the handler :func:`setup_logging` added (at exit, in tests)."""
    for handler in list(log.handlers):
        if isinstance(handler, _RunLogHandler):
            log.removeHandler(handler)
            handler.close()


def _clean(value: object) -> str:
    """One log line per record: no line breaks or control characters from servers."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


def log_report(report: Report) -> None:
    """One line for the run, then one line per check (codes and facts, no secrets)."""
    o = report.overall
    log.info("run %s: target=%s overall=%s cause=%s where=%s checks=%d login=%s lang=%s version=%s",
             _clean(report.report_id), _clean(report.input.get("target", "")), _clean(o.get("light")),
             _clean(o.get("cause")), _clean(o.get("where")), len(report.checks),
             "yes" if report.input.get("user") else "no", _clean(report.language),
             _clean(report.app.get("version", "?")))
    for c in report.checks:
        what = f"{c.protocol}/{c.port}" if c.kind == "vpn" else f"{c.port}/{c.mode}"
        failed = next((s for s in c.steps if s.failure and s.failure != "not_tried"), None)
        step = f" step={failed.step}:{failed.failure}" if failed else ""
        log.info("run %s: check %s %s %s address=%s light=%s cause=%s where=%s ms=%d%s",
                 _clean(report.report_id), _clean(c.id), _clean(c.host), _clean(what), _clean(c.address or "-"),
                 _clean(c.light), _clean(c.cause), _clean(c.where), c.duration_ms, _clean(step))
