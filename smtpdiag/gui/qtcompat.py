"""Work-arounds for bugs in the Qt bindings, applied once when ``smtpdiag.gui`` is imported.

PySide6 6.12.0 on CPython 3.11 returns *borrowed* references to the singletons
``None``, ``True`` and ``False``: every call of a Qt method that returns nothing
(``label.setText(...)``, ``app.processEvents()``) drops one reference to
``None`` it never took, and every ``SignalInstance.emit()`` one to ``True``.
After a while the interpreter aborts with "Fatal Python error: none_dealloc:
deallocating None" (or ``bool_dealloc``).  CPython 3.12+ is not affected:
these singletons are immortal there.

:func:`protect_singletons` detects the leak with a few probe calls and, only if
it is present, gives ``None``, ``True`` and ``False`` a reference count so large
that the leak can never bring it to zero, which is what CPython 3.12 does for
them.  Nothing else in the interpreter changes.
"""

from __future__ import annotations

import ctypes
import platform
import sys

_PROBES = 16
_RESERVE = 1 << 40  # calls needed to exhaust it: about 35 years at a million per second

_protected = False


def _add_references(obj: object, n: int) -> None:
    ctypes.c_ssize_t.from_address(id(obj)).value += n


def singleton_leaks() -> bool:
    """Whether this PySide6 drops references to None or True it never took."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    lost_none = sys.getrefcount(None)
    for _ in range(_PROBES):
        probe.setObjectName("probe")
    lost_none -= sys.getrefcount(None)
    lost_true = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.ping.emit()
    lost_true -= sys.getrefcount(True)
    # Give back what the probes took.
    if lost_none > 0:
        _add_references(None, lost_none)
    if lost_true > 0:
        _add_references(True, lost_true)
    return lost_none >= _PROBES // 2 or lost_true >= _PROBES // 2


def protect_singletons() -> bool:
    """Apply the work-around if this PySide6 needs it; returns whether it is in effect."""
    global _protected
    if _protected:
        return True
    if platform.python_implementation() != "CPython" or sys.version_info >= (3, 12):
        return False
    if not singleton_leaks():
        return False
    for singleton in (None, True, False):
        _add_references(singleton, _RESERVE)
    _protected = True
    return True
