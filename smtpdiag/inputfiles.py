"""Reading a file someone gave us (a saved report, a CA file): never hang, never eat memory.

    read_limited(path, limit)   the bytes of a regular file of at most *limit* bytes

A FIFO would block ``open()`` until a writer appears, ``/dev/zero`` never ends, and a
100 MB "report" must not be read at all: the file is opened without blocking, checked
with ``fstat`` (regular file, size), and then read with a bound, so a file that grows
while it is read is still refused.
"""

from __future__ import annotations

import errno
import os
import stat

from .i18n import _


class InputFileError(ValueError):
    """The file cannot be used; the message is one line for the user (without the file name)."""


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"


def read_limited(path: str, limit: int) -> bytes:
    """The content of the regular file *path*, refused if it is larger than *limit* bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise InputFileError(_("it is a folder, not a file")) from None
    except FileNotFoundError:
        raise InputFileError(_("there is no such file")) from None
    except PermissionError:
        raise InputFileError(_("you have no permission to read it")) from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO without a writer, a socket
            raise InputFileError(_("it is not a regular file")) from None
        raise InputFileError(exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError(_("it is a folder, not a file"))
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(_("it is not a regular file"))
        if info.st_size > limit:
            raise InputFileError(_("it is larger than {limit} MB").format(limit=_megabytes(limit)))
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            except BlockingIOError:  # cannot happen for a regular file; never spin on it
                raise InputFileError(_("it is not a regular file")) from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise InputFileError(_("it is larger than {limit} MB").format(limit=_megabytes(limit)))
        return b"".join(chunks)
    except OSError as exc:
        raise InputFileError(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
