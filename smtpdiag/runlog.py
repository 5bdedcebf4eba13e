"""The run log's writer: one line per record in the user's log folder (for support),
with the traceback of any internal error.

    open_log(path)         write to *path* from now on (rotating: 1 MB x 5 old files);
                           records made before are written first (the window opens the
                           log after its first run); False when the folder cannot be made
    close_log()            stop writing to the file
    forget()               stop, and drop the records not written yet
    info(text)             one record
    error(text, exc=None)  one record, then the exception's traceback

A few lines of its own instead of the logging module: that module and its rotating
handler cost about 8 ms of start-up on every check.  Each record opens the file,
appends and closes it again: a window left open for hours must not hold the log (on
Windows an open file can be neither renamed nor replaced, so another run's rotation
would fail).  A write that fails (a full disk, no permission) is dropped: the log
never ends a run.  Where the file is and what goes into it: :mod:`smtpdiag.report.logs`.

Limits: records made before a file is opened are kept in memory, the first 200 of
them, and are lost if the program ends before one is opened (the command line opens
it before a check starts).  Times are local, without the offset, as the logging
module's default format wrote them.  Rotation assumes one writer at a time: two
smtpdiag processes rotating the same folder at the same moment may lose a record.
"""

from __future__ import annotations

import os
import threading
import time

MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
KEPT_BEFORE_OPEN = 200  # records kept in memory until a file is opened
INFO, ERROR = 20, 40
_LEVEL_NAMES = {INFO: "INFO", ERROR: "ERROR"}

_lock = threading.Lock()
_path: str | None = None
_level = INFO
_pending: list[str] = []


def open_log(path: str | os.PathLike[str], level: int = INFO) -> bool:
    """Write records to *path* from now on (and those recorded before)."""
    global _path, _level
    path = os.path.abspath(path)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    except OSError:
        return False
    with _lock:
        _path, _level = path, level
        pending, _pending[:] = list(_pending), []
        if pending:
            _append("".join(pending))
    return True


def close_log() -> None:
    global _path
    with _lock:
        _path = None


def forget() -> None:
    """Stop writing and drop the records not written yet (each test starts clean)."""
    global _path
    with _lock:
        _path = None
        _pending.clear()


def info(text: str) -> None:
    _record(INFO, text)


def error(text: str, exc: BaseException | None = None) -> None:
    if exc is not None:
        import traceback  # only an error needs it

        text += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip("\n")
    _record(ERROR, text)


def _record(level: int, text: str) -> None:
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f",{int(now * 1000) % 1000:03d}"
    line = f"{stamp} {_LEVEL_NAMES.get(level, str(level))} smtpdiag: {text}\n"
    with _lock:
        if _path is None:
            if len(_pending) < KEPT_BEFORE_OPEN:
                _pending.append(line)
            return
        if level >= _level:
            _append(line)


def _append(text: str) -> None:
    """Append under the lock; rotate first when the file would pass MAX_BYTES."""
    assert _path is not None
    data = text.encode("utf-8", "backslashreplace")
    try:
        try:
            size = os.path.getsize(_path)
        except OSError:
            size = 0
        if size and size + len(data) > MAX_BYTES:
            _rotate(_path)
        with open(_path, "ab") as fh:
            fh.write(data)
    except OSError:
        pass  # a full disk or a locked file: the run goes on without this line


def _rotate(path: str) -> None:
    for i in range(BACKUP_COUNT - 1, 0, -1):
        older = f"{path}.{i}"
        if os.path.exists(older):
            os.replace(older, f"{path}.{i + 1}")
    os.replace(path, f"{path}.1")
