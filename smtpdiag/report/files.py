"""Writing reports safely: a crash or a full disk never leaves half a report over an old
one, and a special file is never replaced.

    check_output(path)         before a run: where ``--output`` goes, or OutputError
                               (a folder, a missing folder, "", no permission)
    write_output(target, data) after it: a regular file atomically (temporary file beside
                               it, flushed, renamed over; the old file's permissions
                               kept), anything else (FIFO, device, ``-``) written through
    atomic_write_bytes(path, data)   the atomic part, also used by the window's Save;
                               the rename is retried briefly on Windows
    FileInUseError             the target stayed locked: "close the file"
    safe_file_name(host, stamp)   a suggested file name valid on every system

A symbolic link is followed: the file it points to is replaced, the link stays.
``/dev/null``, ``/dev/full``, a FIFO or a terminal are opened and written, never renamed
over (as root, renaming over ``/dev/null`` would replace the system's device node).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import time
from collections.abc import Callable

from ..frozen import record
from ..i18n import _
from ..textsafe import file_name

# Windows refuses to replace a file another program has open (a report shown in
# a browser or editor) and antivirus or OneDrive hold new files for a moment:
# os.replace then raises PermissionError (WinError 5 or 32).  Retry this long.
SAVE_RETRY_SECONDS = 2.0
SAVE_RETRY_STEP = 0.1


class FileInUseError(PermissionError):
    """The target file stayed locked by another program; ``strerror`` says what to do."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.EACCES, _(
            "the file is open in another program. Close the file and try again."), path)


def replace_with_retry(source: str, target: str, platform: str = sys.platform,
                       replace: Callable[[str, str], None] = os.replace,
                       retry_for: float = SAVE_RETRY_SECONDS) -> None:
    """``os.replace`` that waits out a short lock on Windows (see SAVE_RETRY_SECONDS),
    then raises :class:`FileInUseError`.  Elsewhere a PermissionError is a real one."""
    deadline = time.monotonic() + (retry_for if platform == "win32" else 0.0)
    while True:
        try:
            replace(source, target)
            return
        except PermissionError:
            if platform != "win32":
                raise
            if time.monotonic() >= deadline:
                raise FileInUseError(target) from None
            time.sleep(SAVE_RETRY_STEP)


class OutputError(ValueError):
    """The report cannot go there: one line for the user."""


@record
class OutputTarget:
    path: str  # "-" for standard output; else the real path (symbolic links resolved)
    kind: str  # "stdout", "regular" (atomic replace), "new" (atomic create), "special" (written through)
    shown: str  # the name as the user typed it, neutralised for messages


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_output(path: str) -> OutputTarget:
    """Where a report may be written, found out before the run.  Raises OutputError."""
    if path == "-":
        if sys.stdout is None:
            raise OutputError(_("standard output is closed; use --output FILE"))
        return OutputTarget("-", "stdout", "-")
    shown = file_name(path)
    if not path.strip():
        raise OutputError(_("the --output file name is empty"))
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(_("cannot write the report to {path}: {reason}").format(path=shown, reason=_reason(exc))) \
            from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(_("{path} is a folder; name a file for the report").format(path=shown))
    if info is not None and not stat.S_ISREG(info.st_mode):
        if not os.access(real, os.W_OK):
            raise OutputError(_("no permission to write to {path}").format(path=shown))
        return OutputTarget(real, "special", shown)
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        raise OutputError(_("the folder for {path} does not exist").format(path=shown))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(_("no permission to write in the folder of {path}").format(path=shown))
    if info is not None and not os.access(real, os.W_OK):
        raise OutputError(_("no permission to write to {path}").format(path=shown))
    return OutputTarget(real, "regular" if info is not None else "new", shown)


def write_output(target: OutputTarget, data: bytes) -> None:
    """Write *data* to *target*.  Raises OutputError (the old file is then unchanged),
    or BrokenPipeError when standard output was closed by its reader."""
    if target.kind == "stdout":
        stream = sys.stdout
        if stream is None:
            raise OutputError(_("standard output is closed; use --output FILE"))
        buffer = getattr(stream, "buffer", None)
        stream.flush()
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:  # a replaced sys.stdout (tests, embedding): it takes text
            stream.write(data.decode("utf-8", "replace"))
            stream.flush()
        return
    if target.kind == "special":
        try:
            fd = os.open(target.path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(_("could not write the report to {path}: {reason}").format(
                path=target.shown, reason=_reason(exc))) from None
        return
    try:
        atomic_write_bytes(target.path, data)
    except OSError as exc:
        if target.kind == "regular":
            message = _("could not write the report to {path}: {reason}; the old file is unchanged")
        else:
            message = _("could not write the report to {path}: {reason}")
        raise OutputError(message.format(path=target.shown, reason=_reason(exc))) from None


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write *data* to a temporary file beside *path*, flush it to disk, then rename.

    An existing file keeps its permission bits (and, for root, its owner); a new one
    gets the usual ``0666 & ~umask``.  *path* must not be a special file: use
    :func:`write_output` for anything the user named."""
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    try:
        old = os.stat(path)
    except OSError:
        old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise OSError(errno.EINVAL, _("not a regular file"), path)
    import tempfile  # only a file needs it, not standard output

    fd, tmp = tempfile.mkstemp(prefix=".smtpdiag-", suffix=".tmp", dir=directory)
    try:
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            if hasattr(os, "chown") and hasattr(os, "geteuid") and os.geteuid() == 0:
                try:
                    os.chown(tmp, old.st_uid, old.st_gid)
                except OSError:
                    pass
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600; a saved report is an ordinary file
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        replace_with_retry(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


# Characters Windows forbids in file names (and '/' everywhere); control characters too.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
# Device names Windows reserves whatever the extension ("nul.json" is the null device).
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])$",
                       re.IGNORECASE)
MAX_STEM = 80


def safe_file_name(target: str, stamp: str, extension: str = ".json") -> str:
    """``smtpdiag-<target>-<stamp><extension>``, valid on Windows, macOS and Linux.

    An IPv6 target loses its colons and brackets (``2001-db8--1``), an e-mail
    address its ``@`` (``alice_at_example.com``); names Windows reserves (CON,
    NUL, COM1...) and trailing dots or spaces never reach the file system.
    """
    text = target.strip().strip("[]").replace("@", "_at_")
    text = _UNSAFE.sub("-", text).strip(" .-")[:MAX_STEM].rstrip(" .-") or "report"
    stamp = _UNSAFE.sub("-", stamp).strip(" .-")
    name = f"smtpdiag-{text}-{stamp}" if stamp else f"smtpdiag-{text}"
    if _RESERVED.match(name.split(".")[0]):  # cannot happen with the prefix; stays true if it changes
        name = f"_{name}"
    return name + extension
