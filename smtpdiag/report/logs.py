"""A log of every run, for support: one line per check, kept in the user's log folder.

    log_dir()          where the log lives: $SMTPDIAG_LOG_DIR, else the platform's
                       user log folder (platformdirs: ~/.local/state/smtpdiag/log,
                       ~/Library/Logs/smtpdiag, %LOCALAPPDATA%\\smtpdiag\\smtpdiag\\Logs)
    setup_logging()    write the log there (rotating, 1 MB x 5, by smtpdiag.runlog,
                       which also keeps internal errors' tracebacks); returns the
                       log file's path; safe to call again
    log_report(report) one line for the run, one line per check
    stop_logging()     close the file again

The log holds codes and short facts only (host, address, port, light, cause,
time).  Never a password, never a transcript: the login is logged as "yes/no",
not even its name.  Importing this module is cheap and needs no Qt.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import runlog

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from .model import Report

LOG_FILE = "smtpdiag.log"
ENV_VAR = "SMTPDIAG_LOG_DIR"


def log_dir(platform: str = sys.platform) -> Path:
    """The folder for smtpdiag's log files (not created here): platformdirs'
    ``user_log_dir("smtpdiag", "smtpdiag")``.  Its rule for Linux and macOS is written
    out here (importing platformdirs costs about 3 ms of every check); Windows asks
    platformdirs (the Local AppData folder comes from the shell's known folders)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    if platform == "darwin":
        return Path(os.path.expanduser("~/Library/Logs")) / "smtpdiag"
    if platform != "win32":  # Linux and the BSDs: the XDG state folder
        state = os.environ.get("XDG_STATE_HOME", "")
        if not state.strip():
            state = os.path.expanduser("~/.local/state")
        return Path(state) / "smtpdiag" / "log"
    import platformdirs

    return Path(platformdirs.user_log_dir("smtpdiag", "smtpdiag"))


def setup_logging(level: int = runlog.INFO) -> Path:
    """Log to ``log_dir()/smtpdiag.log`` (rotating); return that path.

    Calling it again (or after SMTPDIAG_LOG_DIR changed) switches to the new file.
    A log folder that cannot be created is not an error: the run goes on without
    a log file.
    """
    path = log_dir() / LOG_FILE
    runlog.open_log(path, level)
    return path


def stop_logging() -> None:
    """Stop writing the log file (at exit, in tests)."""
    runlog.close_log()


def _clean(value: object) -> str:
    """One log line per record: no line breaks or control characters from servers."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


def log_report(report: Report) -> None:
    """One line for the run, then one line per check (codes and facts, no secrets)."""
    o = report.overall
    runlog.info("run {}: target={} overall={} cause={} where={} checks={} login={} lang={} version={}".format(
             _clean(report.report_id), _clean(report.input.get("target", "")), _clean(o.get("light")),
             _clean(o.get("cause")), _clean(o.get("where")), len(report.checks),
             "yes" if report.input.get("user") else "no", _clean(report.language),
             _clean(report.app.get("version", "?"))))
    for c in report.checks:
        what = f"{c.protocol}/{c.port}" if c.kind == "vpn" else f"{c.port}/{c.mode}"
        failed = next((s for s in c.steps if s.failure and s.failure != "not_tried"), None)
        step = f" step={failed.step}:{failed.failure}" if failed else ""
        runlog.info("run {}: check {} {} {} address={} light={} cause={} where={} ms={}{}".format(
            _clean(report.report_id), _clean(c.id), _clean(c.host), _clean(what), _clean(c.address or "-"),
            _clean(c.light), _clean(c.cause), _clean(c.where), c.duration_ms, _clean(step)))
