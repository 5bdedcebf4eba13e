"""The transport: real sockets, and the one place where socket errors become failures.

:class:`Network` is what the probes use to resolve names and open connections.
The simulated network (``smtpdiag.simnet``) subclasses it to map its made-up
public addresses onto loopback servers; everything else is the same code path.

Failure vocabulary produced here (see ``verdict.STEP_FAILURES``):
``timeout``, ``refused``, ``unreachable``, ``reset``, ``eof``, ``nxdomain``,
``dns_error``, ``cancelled``.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}


class ProbeError(Exception):
    """A network operation failed; ``failure`` is from the closed vocabulary."""

    def __init__(self, failure: str, detail: str = "") -> None:
        super().__init__(detail or failure)
        self.failure = failure
        self.detail = detail or failure


def failure_of(exc: BaseException) -> str:
    """Map a socket/ssl exception to a failure word.  The only such mapping."""
    if isinstance(exc, ProbeError):
        return exc.failure
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ssl.SSLEOFError):
        return "eof"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "reset"
    if isinstance(exc, socket.gaierror):
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            return "nxdomain"
        return "dns_error"
    if isinstance(exc, OSError):
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL,
                         getattr(errno, "ENONET", -1), errno.EACCES, errno.EPERM):
            return "unreachable"
        if exc.errno == errno.ECONNREFUSED:
            return "refused"
        if exc.errno in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED):
            return "reset"
        if exc.errno == errno.ETIMEDOUT:
            return "timeout"
    return "reset" if isinstance(exc, ConnectionError) else "unreachable"


def describe(exc: BaseException) -> str:
    """A short technical description for the transcript / details pane."""
    if isinstance(exc, ProbeError):
        return exc.detail
    name = type(exc).__name__
    text = str(exc) or getattr(exc, "strerror", "") or ""
    return f"{name}: {text}" if text else name


def run_abandonable(fn: Callable[[], T], timeout: float, cancel: threading.Event | None) -> T:
    """Run a call that cannot be interrupted (getaddrinfo) in a daemon thread and
    give up on it after *timeout* or when *cancel* is set (the thread is abandoned)."""
    box: dict[str, object] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed over to the caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, daemon=True, name="smtpdiag-resolve").start()
    step = 0.05
    waited = 0.0
    while not done.wait(step):
        waited += step
        if cancel is not None and cancel.is_set():
            raise ProbeError("cancelled", "cancelled")
        if waited >= timeout:
            raise ProbeError("timeout", f"no answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


class Network:
    """Real sockets and the operating system's resolver."""

    def resolve(self, host: str, family: str, timeout: float,
                cancel: threading.Event | None = None) -> list[str]:
        """Addresses of *host* in *family* ("ipv4"/"ipv6"), as the OS resolver gives them.

        AI_ADDRCONFIG, as mail programs use it: a computer without IPv6 gets no
        IPv6 addresses, so a missing IPv6 network is not reported as a fault.

        Raises :class:`ProbeError` with ``nxdomain`` (no such name, or no address
        in this family) or ``dns_error`` (resolver failure, timeout).
        """
        af = FAMILIES[family]
        try:
            infos = run_abandonable(
                lambda: socket.getaddrinfo(host, None, af, socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG),
                timeout, cancel
            )
        except ProbeError as exc:
            if exc.failure == "timeout":
                raise ProbeError("dns_error", f"the resolver did not answer within {timeout:g} s") from None
            raise
        except socket.gaierror as exc:
            raise ProbeError(failure_of(exc), describe(exc)) from None
        except UnicodeError as exc:
            raise ProbeError("nxdomain", describe(exc)) from None
        out: list[str] = []
        for info in infos:
            addr = str(info[4][0])
            if addr not in out:
                out.append(addr)
        return out

    def open_tcp(self, address: str, port: int, timeout: float,
                 cancel: threading.Event | None = None) -> socket.socket:
        """A connected TCP socket (blocking, with *timeout* set).

        The connection attempt waits in short slices so that *cancel* is noticed
        within a tenth of a second.  Raises :class:`ProbeError` with ``timeout``,
        ``refused``, ``unreachable``, ``reset`` or ``cancelled``.
        """
        real = self.sockaddr(address, port)
        family = socket.AF_INET6 if ":" in real[0] else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            err = sock.connect_ex(real)
            if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY,
                           getattr(errno, "WSAEWOULDBLOCK", 10035)):
                raise OSError(err, os.strerror(err))
            deadline = time.monotonic() + timeout
            while err != 0:
                if cancel is not None and cancel.is_set():
                    raise ProbeError("cancelled", "cancelled")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ProbeError("timeout", f"no answer within {timeout:g} s")
                _r, writable, failed = select.select([], [sock], [sock], min(0.1, remaining))
                if writable or failed:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    break
            sock.setblocking(True)
            sock.settimeout(timeout)
        except ProbeError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            raise ProbeError(failure_of(exc), describe(exc)) from None
        return sock

    def open_udp(self, address: str, port: int) -> socket.socket:
        """A connected UDP socket (so that ICMP port-unreachable is reported as refused)."""
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.connect(self.sockaddr(address, port))
        except OSError as exc:
            sock.close()
            raise ProbeError(failure_of(exc), describe(exc)) from None
        return sock

    def sockaddr(self, address: str, port: int) -> tuple[str, int]:
        """Where a connection to (address, port) really goes (overridden by simnet)."""
        return (address, port)

    def extra_ca_pem(self) -> str | None:
        """Additional trusted CA certificates (PEM text) this network brings (simnet's CA)."""
        return None
