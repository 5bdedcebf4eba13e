"""Writing files safely: a crash or a full disk never leaves half a report over an old one.

    atomic_write_bytes / atomic_write_text   temporary file beside the target, then rename;
                                             the rename is retried briefly on Windows
    FileInUseError                           the target stayed locked: "close the file"
    safe_file_name(host, stamp)              a suggested file name valid on every system
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable

from ..i18n import _

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


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write *data* to a temporary file beside *path*, flush it to disk, then rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".smtpdiag-", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); a saved report is an ordinary file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
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
