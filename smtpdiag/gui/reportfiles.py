"""Reading and writing reports from the window, and the other files it touches.

    write_report()       one report to one file, atomically
    support_text()       the short text "Copy for support" puts on the clipboard
    log_dir()            where the logs are (Help > Open log folder)
    log_run()            add a finished check to that log (codes and facts, never a password)
    format_created()     a report's time stamp in local time, for people

The report renderers are other modules (``smtpdiag.report.html``,
``smtpdiag.report.support``, ``smtpdiag.gui.pdf``); they are imported when used, so the
window starts without them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..i18n import N_, _
from ..report.model import Report, render_text

# Report formats offered by File > Save report: key -> (name in the file dialog, extension).
FORMATS = {
    "json": (N_("Report for support"), ".json"),
    "html": (N_("Web page"), ".html"),
    "text": (N_("Plain text"), ".txt"),
    "pdf": (N_("PDF document"), ".pdf"),
}


def format_filter(fmt: str) -> str:
    """The file dialog's filter for *fmt*, e.g. "Web page (*.html)"."""
    name, ext = FORMATS[fmt]
    return f"{_(name)} (*{ext})"


def write_report(report: Report, path: str, fmt: str) -> None:
    """Write *report* to *path* as *fmt* (json, html, text, pdf).  Raises OSError."""
    from ..report.files import atomic_write_text

    if fmt == "json":
        atomic_write_text(path, report.dumps())
    elif fmt == "html":
        from ..report.html import render_html

        atomic_write_text(path, render_html(report))
    elif fmt == "text":
        atomic_write_text(path, render_text(report))
    elif fmt == "pdf":
        from .pdf import write_pdf

        write_pdf(report, path)
    else:
        raise ValueError(f"unknown report format {fmt!r}")


def support_text(report: Report) -> str:
    """The short text "Copy for support" puts on the clipboard."""
    from ..report.support import support_summary

    return support_summary(report)


def log_dir() -> Path:
    from ..report.logs import log_dir as engine_log_dir

    return Path(engine_log_dir())


def format_created(created: str) -> str:
    """The report's UTC time stamp in this computer's local time, for people."""
    try:
        stamp = dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return created
    return stamp.astimezone().strftime("%Y-%m-%d %H:%M")


def log_run(report: Report) -> None:
    """Add a finished check to the user's log, as ``smtpdiag check`` does."""
    from ..report.logs import log_report, setup_logging

    setup_logging()
    log_report(report)
