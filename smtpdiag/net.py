"""The transport: real sockets, and the one place where socket errors become failures.

    Network              resolve names, look up DNS records, open connections
    └── open_stream()    -> Stream
    Stream               one connection: recv / send with a deadline, start_tls, close;
                         cancel-aware (waits in slices of SLICE seconds)
    failure_of(exc)      the one error map (docs/contract.md section 5): every OSError and
                         SSLError any probe meets becomes a failure word here, once
    ProbeError           what the transport raises: ``failure`` + ``detail``
    └── CertificateRejected   the verifier refused the certificate (keeps its error)

The simulated network (``smtpdiag.simnet``) subclasses :class:`Network` to map
its made-up public addresses onto loopback servers; everything else is the same
code path.  Failure words are :class:`~smtpdiag.records.Failure` members.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Sequence

from .records import Failure
from .target import ip_address_of

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Literal, Self, TypeVar

    T = TypeVar("T")

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}

# Record types :meth:`Network.dns_query` answers.
DNS_RECORD_TYPES = ("MX", "SRV", "TXT", "A", "AAAA")


def family_of(address: str) -> Literal["ipv4", "ipv6"]:
    """The family of an IP address literal (the one "is it IPv6" test; a name counts as IPv4)."""
    ip = ip_address_of(address)
    return "ipv6" if ip is not None and ip.version == 6 else "ipv4"


def socket_family(address: str) -> socket.AddressFamily:
    """The socket family for an IP address literal."""
    return socket.AF_INET6 if family_of(address) == "ipv6" else socket.AF_INET


def host_port(address: str, port: int) -> str:
    """``192.0.2.1:25`` or ``[2001:db8::1]:25``, as people and logs write it."""
    return f"[{address}]:{port}" if family_of(address) == "ipv6" else f"{address}:{port}"


def is_ip_literal(text: str) -> bool:
    """Whether *text* is an IPv4 or IPv6 address (not a name)."""
    return ip_address_of(text) is not None


class ProbeError(Exception):
    """A network operation failed; ``failure`` is a :class:`~smtpdiag.records.Failure` word."""

    def __init__(self, failure: str, detail: str = "") -> None:
        failure = str(Failure(failure))  # an unknown word is a bug: ValueError here, not a guess later
        super().__init__(detail or failure)
        self.failure = failure
        self.detail = detail or failure


class CertificateRejected(ProbeError):
    """The TLS handshake completed but the certificate was not accepted.

    ``failure`` is the verifier's word from :func:`failure_of`; ``error`` is the
    verifier's own exception, for the per-system tables that refine it
    (``probe.tls.certificate_failure``), and ``verify_message`` its sentence.
    """

    def __init__(self, error: ssl.SSLCertVerificationError) -> None:
        self.error = error
        self.verify_message = str(getattr(error, "verify_message", "") or error)
        super().__init__(failure_of(error), self.verify_message)


# Longest time any wait blocks before looking at the cancel event again.
SLICE = 0.1


class _Channel:
    """What a :class:`Stream` and :class:`Datagrams` share: a socket, closed once, quietly."""

    sock: socket.socket

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Stream(_Channel):
    """One connection a probe talks over: TCP, then perhaps TLS on the same socket.

    Every wait ends at the caller's *deadline* (a ``time.monotonic()`` value) and
    looks at *cancel* at least every :data:`SLICE` seconds.  Every OSError and
    SSLError becomes a :class:`ProbeError` through :func:`failure_of`, here and
    nowhere else: ``recv`` and ``send`` raise ``timeout``, ``reset``, ``eof``,
    ``unreachable``, ``local_blocked``, ``cancelled`` (or ``unknown``);
    ``start_tls`` also ``not_tls``, ``version``, ``failed``, and
    :class:`CertificateRejected`.
    """

    def __init__(self, sock: socket.socket, cancel: threading.Event | None = None) -> None:
        self.sock = sock
        self.cancel = cancel or threading.Event()
        self.tls = False

    # -- waiting -------------------------------------------------------------------
    def _remaining(self, deadline: float, what: str) -> float:
        if self.cancel.is_set():
            raise ProbeError("cancelled", "cancelled")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeError("timeout", what)
        return remaining

    @staticmethod
    def _mapped(exc: BaseException) -> ProbeError:
        return ProbeError(failure_of(exc), describe(exc))

    # -- reading and writing ---------------------------------------------------------
    def recv(self, deadline: float, size: int = 4096, what: str = "no answer in time") -> bytes:
        """Some bytes (at most *size*); ``eof`` when the other side closed."""
        while True:
            remaining = self._remaining(deadline, what)
            self.sock.settimeout(min(SLICE, remaining))
            try:
                data = self.sock.recv(size)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except (OSError, ssl.SSLError) as exc:  # SSLError is an OSError; named for the reader
                raise self._mapped(exc) from None
            if not data:
                raise ProbeError("eof", "the other side closed the connection")
            return data

    def send(self, data: bytes, deadline: float, what: str = "could not send in time") -> None:
        """Send all of *data* (small: a command line, a request) before *deadline*."""
        remaining = self._remaining(deadline, what)
        self.sock.settimeout(remaining)
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise ProbeError("timeout", what) from None
        except (OSError, ssl.SSLError) as exc:
            raise self._mapped(exc) from None

    # -- TLS -----------------------------------------------------------------------
    def start_tls(self, context: ssl.SSLContext, server_hostname: str | None, deadline: float) -> None:
        """The TLS handshake on this connection, in slices (cancel, *deadline*).

        A reset or close at any byte of it (even before the ClientHello could
        leave: ``wrap_socket`` itself reads to learn why a cut socket has no
        peer) is ``reset`` / ``eof``, never an exception that escapes.
        """
        self._raise_if_cut()
        try:
            tls_sock = context.wrap_socket(self.sock, server_hostname=_ascii(server_hostname),
                                           do_handshake_on_connect=False)
        except (OSError, ssl.SSLError) as exc:
            _close_dropped_tls_socket(exc)  # a cut in the moment after _raise_if_cut looked
            raise self._mapped(exc) from None
        self.sock = tls_sock
        self.tls = True
        what = "the encryption handshake did not finish in time"
        while True:
            remaining = self._remaining(deadline, what)
            tls_sock.settimeout(min(SLICE, remaining))
            try:
                tls_sock.do_handshake()
                return
            except ssl.SSLCertVerificationError as exc:
                raise CertificateRejected(exc) from None
            except (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (OSError, ssl.SSLError) as exc:
                raise self._mapped(exc) from None

    def _raise_if_cut(self) -> None:
        """A connection already cut (reset or closed) before the handshake: say how here.
        ``wrap_socket`` would find out too, but it raises after taking the socket over,
        and the half-made TLS socket it drops is never closed."""
        try:
            self.sock.getpeername()
            return
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:
                raise self._mapped(exc) from None
        timeout = self.sock.gettimeout()
        self.sock.settimeout(0)
        try:
            data = self.sock.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            raise self._mapped(exc) from None
        finally:
            self.sock.settimeout(timeout)
        if not data:
            raise ProbeError("eof", "the other side closed the connection")

    @property
    def tls_socket(self) -> ssl.SSLSocket | None:
        return self.sock if isinstance(self.sock, ssl.SSLSocket) else None

    def tls_version(self) -> str | None:
        tls = self.tls_socket
        return tls.version() if tls else None

    def cipher_name(self) -> str | None:
        tls = self.tls_socket
        cipher = tls.cipher() if tls else None
        return cipher[0] if cipher else None

    def local_address(self) -> str | None:
        try:
            return str(self.sock.getsockname()[0])
        except OSError:
            return None



class Datagrams(_Channel):
    """A connected UDP socket a probe sends requests over and waits for answers on.

    Errors are mapped by :func:`failure_of` with ``udp=True``: an ICMP port
    unreachable is ``refused`` on every system (Linux and macOS report it as
    ECONNREFUSED, Windows as WSAECONNRESET), a firewall rule on this computer
    ``local_blocked`` (EPERM on send).
    """

    def __init__(self, sock: socket.socket, cancel: threading.Event | None = None,
                 platform: str = sys.platform) -> None:
        self.sock = sock
        self.cancel = cancel or threading.Event()
        self.platform = platform  # whose numbers the errors carry (tests of other systems)

    def addresses(self) -> tuple[tuple[str, int], tuple[str, int]]:
        """((our address, port), (their address, port)) of this channel."""
        return tuple(self.sock.getsockname()[:2]), tuple(self.sock.getpeername()[:2])  # type: ignore[return-value]

    def send(self, data: bytes) -> None:
        if self.cancel.is_set():
            raise ProbeError("cancelled", "cancelled")
        try:
            self.sock.send(data)
        except OSError as exc:
            raise ProbeError(failure_of(exc, self.platform, udp=True), describe(exc)) from None

    def recv(self, deadline: float) -> bytes | None:
        """One datagram, or None when *deadline* passes in silence."""
        while True:
            if self.cancel.is_set():
                raise ProbeError("cancelled", "cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(min(SLICE, remaining))
            try:
                return self.sock.recv(65535)
            except TimeoutError:
                continue
            except OSError as exc:
                raise ProbeError(failure_of(exc, self.platform, udp=True), describe(exc)) from None



# Windows answers a TCP RST by sending the SYN again (twice, half a second and a
# second later) before it reports the refusal, so "refused" arrives about 2 s
# after the attempt.  A connect step there waits at least this long, or a
# closed port would read as a silent one (tcp_timeout instead of tcp_refused).
WINDOWS_REFUSAL_WAIT = 2.5


def connect_budget(timeout: float, platform: str = sys.platform) -> float:
    """How long a TCP connect may wait: the run's *timeout*, on Windows at least
    :data:`WINDOWS_REFUSAL_WAIT` so that a refusal can arrive."""
    if platform == "win32":
        return max(timeout, WINDOWS_REFUSAL_WAIT)
    return timeout


# -- the one error map (docs/contract.md section 5) ----------------------------------------
#
# Each system's own numbers, never this machine's ``errno`` module: the map must
# give the same answer for a Windows report read on Linux and in tests of every
# system on one machine.  Windows sockets raise OSError with the WSA code as
# ``errno`` and ``winerror``.

_ERRNO_FAILURES: dict[str, dict[int, Failure]] = {
    "linux": {
        111: Failure.REFUSED,  # ECONNREFUSED
        104: Failure.RESET,  # ECONNRESET
        32: Failure.RESET,  # EPIPE
        103: Failure.RESET,  # ECONNABORTED
        110: Failure.TIMEOUT,  # ETIMEDOUT
        113: Failure.UNREACHABLE,  # EHOSTUNREACH
        101: Failure.UNREACHABLE,  # ENETUNREACH
        100: Failure.UNREACHABLE,  # ENETDOWN
        112: Failure.UNREACHABLE,  # EHOSTDOWN
        64: Failure.UNREACHABLE,  # ENONET
        99: Failure.UNREACHABLE,  # EADDRNOTAVAIL (no address of that family here)
        13: Failure.LOCAL_BLOCKED,  # EACCES
        1: Failure.LOCAL_BLOCKED,  # EPERM (a firewall rule on this computer)
    },
    "win32": {
        10061: Failure.REFUSED,  # WSAECONNREFUSED
        10054: Failure.RESET,  # WSAECONNRESET (on a UDP socket: refused, see udp=)
        10053: Failure.RESET,  # WSAECONNABORTED
        10052: Failure.RESET,  # WSAENETRESET
        10060: Failure.TIMEOUT,  # WSAETIMEDOUT
        10065: Failure.UNREACHABLE,  # WSAEHOSTUNREACH
        10051: Failure.UNREACHABLE,  # WSAENETUNREACH
        10050: Failure.UNREACHABLE,  # WSAENETDOWN
        10064: Failure.UNREACHABLE,  # WSAEHOSTDOWN
        10049: Failure.UNREACHABLE,  # WSAEADDRNOTAVAIL
        10013: Failure.LOCAL_BLOCKED,  # WSAEACCES
    },
    "darwin": {
        61: Failure.REFUSED,  # ECONNREFUSED
        54: Failure.RESET,  # ECONNRESET
        32: Failure.RESET,  # EPIPE
        53: Failure.RESET,  # ECONNABORTED
        60: Failure.TIMEOUT,  # ETIMEDOUT
        65: Failure.UNREACHABLE,  # EHOSTUNREACH
        51: Failure.UNREACHABLE,  # ENETUNREACH
        50: Failure.UNREACHABLE,  # ENETDOWN
        64: Failure.UNREACHABLE,  # EHOSTDOWN
        49: Failure.UNREACHABLE,  # EADDRNOTAVAIL
        13: Failure.LOCAL_BLOCKED,  # EACCES
        1: Failure.LOCAL_BLOCKED,  # EPERM
    },
}

# getaddrinfo's codes (socket.gaierror.errno): "no such name" vs "the resolver failed".
_GAI_FAILURES: dict[str, dict[int, Failure]] = {
    "linux": {
        -2: Failure.NXDOMAIN,  # EAI_NONAME
        -5: Failure.NXDOMAIN,  # EAI_NODATA
        -9: Failure.NXDOMAIN,  # EAI_ADDRFAMILY (no address of that family)
        -3: Failure.DNS_ERROR,  # EAI_AGAIN
        -4: Failure.DNS_ERROR,  # EAI_FAIL
        -11: Failure.DNS_ERROR,  # EAI_SYSTEM
    },
    "win32": {
        11001: Failure.NXDOMAIN,  # WSAHOST_NOT_FOUND
        11004: Failure.NXDOMAIN,  # WSANO_DATA
        11002: Failure.DNS_ERROR,  # WSATRY_AGAIN
        11003: Failure.DNS_ERROR,  # WSANO_RECOVERY
    },
    "darwin": {
        8: Failure.NXDOMAIN,  # EAI_NONAME
        7: Failure.NXDOMAIN,  # EAI_NODATA
        1: Failure.NXDOMAIN,  # EAI_ADDRFAMILY
        2: Failure.DNS_ERROR,  # EAI_AGAIN
        4: Failure.DNS_ERROR,  # EAI_FAIL
        11: Failure.DNS_ERROR,  # EAI_SYSTEM
    },
}

# Certificate verification codes (ssl.SSLCertVerificationError.verify_code).  Linux
# and BSD: OpenSSL's X509_V_ERR_*.  On Windows and macOS truststore puts the
# system verifier's own code there (CERT_E_*, errSec*); those without an entry
# here are examined from the certificate itself (tls.certificate_failure).
_VERIFY_FAILURES: dict[str, dict[int, Failure]] = {
    "linux": {
        9: Failure.NOT_YET_VALID,  # X509_V_ERR_CERT_NOT_YET_VALID
        10: Failure.EXPIRED,  # X509_V_ERR_CERT_HAS_EXPIRED
        18: Failure.SELF_SIGNED,  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        19: Failure.UNTRUSTED,  # X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN (an unknown root)
        2: Failure.UNTRUSTED,  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
        20: Failure.UNTRUSTED,  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        21: Failure.UNTRUSTED,  # X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
        62: Failure.NAME_MISMATCH,  # X509_V_ERR_HOSTNAME_MISMATCH
        64: Failure.NAME_MISMATCH,  # X509_V_ERR_IP_ADDRESS_MISMATCH
    },
    "win32": {},
    "darwin": {},
}

# OpenSSL's reasons (ssl.SSLError.reason) for "this is not TLS at all" and for
# "we could not agree on a protocol version"; the same library on every system.
_NOT_TLS_REASONS = frozenset({
    "WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST",
    "UNKNOWN_PROTOCOL", "RECORD_TOO_LARGE", "BAD_RECORD_TYPE", "HTTPS_PROXY_REQUEST",
})
_VERSION_REASONS = frozenset({
    "UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE",
    "WRONG_SSL_VERSION", "VERSION_TOO_LOW", "TLSV1_ALERT_INSUFFICIENT_SECURITY",
})


def _system(platform: str) -> str:
    if platform.startswith("win") or platform == "cygwin":
        return "win32"
    if platform == "darwin" or platform.startswith("freebsd") or platform.startswith("openbsd"):
        return "darwin"  # the BSD numbers
    return "linux"


# What a UDP connect() toward an address raises when this computer has no route
# there at all.  macOS says EHOSTUNREACH (65) for an IPv6 address on an
# IPv4-only network, where Linux and Windows say ENETUNREACH; on Linux
# EHOSTUNREACH comes from routes that reject (a firewall's choice), so it stays
# a route there.
_NO_ROUTE_ERRNOS: dict[str, frozenset[int]] = {
    "linux": frozenset({101, 99, 97}),  # ENETUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT
    "win32": frozenset({10051, 10049, 10047}),  # WSAENETUNREACH, WSAEADDRNOTAVAIL, WSAEAFNOSUPPORT
    "darwin": frozenset({51, 65, 49, 47}),  # ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT
}


def means_no_route(code: int | None, platform: str = sys.platform) -> bool:
    """Whether a UDP connect() failing with errno *code* means "no route at all" on *platform*."""
    return code is not None and code in _NO_ROUTE_ERRNOS[_system(platform)]


def failure_of(exc: BaseException, platform: str = sys.platform, *, udp: bool = False) -> Failure:
    """The failure word for an exception as *platform* raises it.  The only such map.

    Pure: it looks at the exception's class and its numbers only, through the
    tables above for *platform* (``sys.platform`` values: ``linux``, ``win32``,
    ``darwin``).  *udp*: the exception came from a UDP socket, where a reset
    means the port is closed (Windows reports ICMP port unreachable as
    WSAECONNRESET 10054; Linux and macOS as ECONNREFUSED).

    Anything no table knows is ``unknown``, which the verdict turns into
    ``internal_error``: it never blames a party on a guess.
    """
    system = _system(platform)
    if isinstance(exc, ProbeError):
        return Failure(exc.failure)
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        return _VERIFY_FAILURES[system].get(code, Failure.UNTRUSTED) if isinstance(code, int) \
            else Failure.UNTRUSTED
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return Failure.EOF
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, (ssl.SSLWantReadError, ssl.SSLWantWriteError)):
        reason = str(getattr(exc, "reason", "") or "").upper()
        if reason in _NOT_TLS_REASONS:
            return Failure.NOT_TLS
        if reason in _VERSION_REASONS:
            return Failure.VERSION
        return Failure.FAILED
    if isinstance(exc, socket.gaierror):
        return _GAI_FAILURES[system].get(exc.errno, Failure.DNS_ERROR) if isinstance(exc.errno, int) \
            else Failure.DNS_ERROR
    if isinstance(exc, OSError):
        code = getattr(exc, "winerror", None) if system == "win32" else None
        if not isinstance(code, int):
            code = exc.errno
        failure = _ERRNO_FAILURES[system].get(code) if isinstance(code, int) else None
        if failure is None:
            failure = _failure_by_class(exc)
        if udp and failure == Failure.RESET:
            return Failure.REFUSED
        return failure
    return Failure.UNKNOWN


def _failure_by_class(exc: OSError) -> Failure:
    """An OSError without a known number: Python's own class says what it is."""
    if isinstance(exc, TimeoutError):  # also socket.timeout, raised without a number
        return Failure.TIMEOUT
    if isinstance(exc, ConnectionRefusedError):
        return Failure.REFUSED
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return Failure.RESET
    if isinstance(exc, PermissionError):
        return Failure.LOCAL_BLOCKED
    return Failure.UNKNOWN


def describe(exc: BaseException) -> str:
    """A short technical description for the transcript / details pane."""
    if isinstance(exc, ProbeError):
        return exc.detail
    name = type(exc).__name__
    text = str(exc) or getattr(exc, "strerror", "") or ""
    return f"{name}: {text}" if text else name


class Abandonable:
    """The one way to run a call that cannot be interrupted (getaddrinfo, a DNS query):
    in a daemon thread of its own, started at once.  The caller waits in short slices
    (:meth:`wait`) and may give up on it; the thread is then abandoned."""

    POLL = 0.05

    def __init__(self, fn: Callable[[], Any], name: str = "smtpdiag-call") -> None:
        self._fn = fn
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        self.started = time.monotonic()
        self.ended: float | None = None
        threading.Thread(target=self._work, daemon=True, name=name).start()

    def _work(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed over to the caller
            self._error = exc
        finally:
            self.ended = time.monotonic()
            self._done.set()

    def wait(self, deadline: float, cancel: threading.Event | None) -> bool:
        """Whether the call finished by *deadline*; ``cancelled`` when *cancel* is set
        while waiting."""
        while not self._done.wait(min(self.POLL, max(0.0, deadline - time.monotonic()))):
            if cancel is not None and cancel.is_set():
                raise ProbeError("cancelled", "cancelled")
            if time.monotonic() >= deadline:
                return False
        return True

    def result(self) -> Any:
        """The call's value, or its exception raised again (after :meth:`wait` said done)."""
        if self._error is not None:
            raise self._error
        return self._value


def run_abandonable(fn: Callable[[], T], timeout: float, cancel: threading.Event | None) -> T:
    """*fn* through :class:`Abandonable`: its value, or ``timeout`` after *timeout*
    seconds, or ``cancelled``."""
    if cancel is not None and cancel.is_set():
        raise ProbeError("cancelled", "cancelled")
    call = Abandonable(fn, name="smtpdiag-resolve")
    if not call.wait(call.started + timeout, cancel):
        raise ProbeError("timeout", f"no answer within {timeout:g} s")
    return call.result()  # type: ignore[no-any-return]  # fn's value: a T


class Network:
    """Real sockets and the operating system's resolver."""

    def __init__(self, nameservers: Sequence[tuple[str, int]] | None = None) -> None:
        """*nameservers* replaces the system's DNS servers for :meth:`dns_query`
        only (tests point it at a loopback server); host names are still
        resolved by the operating system (:meth:`resolve`), as mail programs do."""
        # Name servers for DNS record look-ups (:meth:`dns_query`) as (address, port);
        # None: the system's configuration.
        self.nameservers: tuple[tuple[str, int], ...] | None = (
            tuple((str(address), int(port)) for address, port in nameservers)
            if nameservers is not None else None
        )

    def resolve(self, host: str, family: str, timeout: float,
                cancel: threading.Event | None = None) -> list[str]:
        """Addresses of *host* in *family* ("ipv4"/"ipv6"), as the OS resolver gives them.

        Raises :class:`ProbeError` with ``nxdomain`` (no such name, or no address
        in this family) or ``dns_error`` (resolver failure, timeout).
        """
        af = FAMILIES[family]
        started = time.monotonic()
        try:
            infos = run_abandonable(
                lambda: socket.getaddrinfo(_ascii(host), None, af, socket.SOCK_STREAM), timeout, cancel)
        except ProbeError as exc:
            if exc.failure == "timeout":
                raise ProbeError("dns_error", f"the resolver did not answer within {timeout:g} s") from None
            raise
        except socket.gaierror as exc:
            failure = failure_of(exc)
            if failure == Failure.NXDOMAIN:
                failure = self._no_such_name_or_no_answer(host, family, timeout - (time.monotonic() - started),
                                                          cancel)
            raise ProbeError(failure, describe(exc)) from None
        except UnicodeError as exc:
            raise ProbeError("nxdomain", describe(exc)) from None
        out: list[str] = []
        for info in infos:
            addr = str(info[4][0])
            if addr not in out:
                out.append(addr)
        return out

    def _no_such_name_or_no_answer(self, host: str, family: str, timeout: float,
                                   cancel: threading.Event | None) -> Failure:
        """The OS resolver said "no such name"; ask the name service directly whether
        it really said so.  Some systems (macOS, Windows) say "no such name" when no
        name server answered at all, which is an offline computer, not a typo."""
        if timeout <= 0.05:
            return Failure.NXDOMAIN
        try:
            self.dns_query(host, "A" if family == "ipv4" else "AAAA", timeout, cancel)
        except ProbeError as exc:
            if exc.failure == "dns_error" and "no name server is configured" not in exc.detail:
                return Failure.DNS_ERROR
        return Failure.NXDOMAIN

    def dns_query(self, name: str, rdtype: str, timeout: float,
                  cancel: threading.Event | None = None) -> list[str]:
        """The records of type *rdtype* (MX, SRV, TXT; A and AAAA too) of *name*, as text.

        Asked with a DNS library (dnspython), not the operating system's
        resolver: ``getaddrinfo`` cannot look up MX or SRV records.  The name
        servers are the system's (``/etc/resolv.conf``, the Windows registry)
        unless this network was given ``nameservers``.  *name* is absolute
        (no search domains are appended).

        Each record is one string, in the order a client should use them:

        * MX  ``"PREF HOST"``, lowest preference first; a null MX (RFC 7505) is ``"0 ."``
        * SRV ``"PRIO WEIGHT PORT TARGET"``, lowest priority first, then highest
          weight; a target of ``"."`` means "service not offered" (RFC 2782)
        * TXT the record's strings joined, decoded as UTF-8
        * A, AAAA the addresses

        Host names are lower-case A-labels without the final dot.  The whole
        look-up (every retry) ends after *timeout*, and *cancel* is noticed
        within a twentieth of a second (the library call is abandoned, not
        interrupted).

        Raises :class:`ProbeError` with ``nxdomain`` (no such name, or no such
        record), ``dns_error`` (no answer in time, SERVFAIL or another error,
        no name server configured) or ``cancelled``.
        """
        rdtype = rdtype.upper()
        if rdtype not in DNS_RECORD_TYPES:
            raise ValueError(f"unsupported DNS record type {rdtype!r}")
        if cancel is not None and cancel.is_set():
            raise ProbeError("cancelled", "cancelled")
        nameservers = self.nameservers
        try:
            # dnspython's lifetime ends the abandoned thread; its last back-off can
            # overshoot by a tenth of a second, so the caller stops waiting first.
            return run_abandonable(lambda: _dns_lookup(name, rdtype, timeout, nameservers),
                                   timeout, cancel)
        except ProbeError as exc:
            if exc.failure == "timeout":
                raise ProbeError("dns_error", f"{name} {rdtype}: the name service did not "
                                              f"answer within {timeout:g} s") from None
            raise

    def open_tcp(self, address: str, port: int, timeout: float,
                 cancel: threading.Event | None = None) -> socket.socket:
        """A connected TCP socket (blocking, with *timeout* set).

        The connection attempt waits in short slices so that *cancel* is noticed
        within a tenth of a second, for :func:`connect_budget` (*timeout*, on
        Windows at least 2.5 s).  Raises :class:`ProbeError` with ``timeout``,
        ``refused``, ``unreachable``, ``reset`` or ``cancelled``.
        """
        if cancel is not None and cancel.is_set():
            raise ProbeError("cancelled", "cancelled")  # a queued attempt after a cancel: no connection
        real = self.sockaddr(address, port)
        family = socket_family(real[0])
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            err = sock.connect_ex(real)
            if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY,
                           getattr(errno, "WSAEWOULDBLOCK", 10035)):
                raise OSError(err, os.strerror(err))
            budget = connect_budget(timeout)
            deadline = time.monotonic() + budget
            while err != 0:
                if cancel is not None and cancel.is_set():
                    raise ProbeError("cancelled", "cancelled")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ProbeError("timeout", f"no answer within {budget:g} s")
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

    def open_stream(self, address: str, port: int, timeout: float,
                    cancel: threading.Event | None = None) -> Stream:
        """A :class:`Stream` over a new TCP connection (see :meth:`open_tcp`)."""
        return Stream(self.open_tcp(address, port, timeout, cancel), cancel)

    def open_datagrams(self, address: str, port: int,
                       cancel: threading.Event | None = None) -> Datagrams:
        """:class:`Datagrams` over a new connected UDP socket (see :meth:`open_udp`)."""
        return Datagrams(self.open_udp(address, port), cancel)

    def has_route(self, address: str, port: int) -> bool:
        """Whether this computer has a route toward *address* at all.

        A computer without IPv6 connectivity has no IPv6 route; its mail program
        then simply uses IPv4, so that is no fault to report.  Asked of the kernel
        by connecting a UDP socket, which sends nothing.
        """
        real = self.sockaddr(address, port)
        family = socket_family(real[0])
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect(real)
        except OSError as exc:
            return not means_no_route(exc.errno)
        return True

    def open_udp(self, address: str, port: int) -> socket.socket:
        """A connected UDP socket (so that ICMP port-unreachable is reported as refused)."""
        family = socket_family(address)
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.connect(self.sockaddr(address, port))
        except OSError as exc:
            sock.close()
            raise ProbeError(failure_of(exc, udp=True), describe(exc)) from None
        return sock

    def sockaddr(self, address: str, port: int) -> tuple[str, int]:
        """Where a connection to (address, port) really goes (overridden by simnet)."""
        return (address, port)

    def extra_ca_pem(self) -> str | None:
        """Additional trusted CA certificates (PEM text) this network brings (simnet's CA)."""
        return None


# -- DNS record look-ups (Network.dns_query) ----------------------------------------


def dns_record_order(rdtype: str, text: str) -> tuple[object, ...]:
    """Sort key for one record in :meth:`Network.dns_query`'s text form: MX by
    preference, SRV by priority then *highest* weight (RFC 2782's weighted
    choice, made deterministic), then by name; other types keep their order."""
    parts = text.split()
    try:
        if rdtype == "MX" and len(parts) == 2:
            return (int(parts[0]), parts[1])
        if rdtype == "SRV" and len(parts) == 4:
            return (int(parts[0]), -int(parts[1]), int(parts[2]), parts[3])
    except ValueError:
        pass
    return ()


def _dns_host_text(name: object) -> str:
    """A host name from a record: lower-case, no final dot; the root stays ``"."``."""
    text = name.to_text(omit_final_dot=True)  # type: ignore[attr-defined]
    return str(text).lower()


def _dns_record_texts(rdtype: str, rdatas: list[object]) -> list[str]:
    """dnspython's record objects in :meth:`Network.dns_query`'s text form, ordered."""
    texts: list[str] = []
    for r in rdatas:
        if rdtype == "MX":
            texts.append(f"{r.preference} {_dns_host_text(r.exchange)}")  # type: ignore[attr-defined]
        elif rdtype == "SRV":
            texts.append(f"{r.priority} {r.weight} {r.port} "  # type: ignore[attr-defined]
                         f"{_dns_host_text(r.target)}")  # type: ignore[attr-defined]
        elif rdtype == "TXT":
            texts.append(b"".join(r.strings).decode("utf-8", "replace"))  # type: ignore[attr-defined]
        else:
            texts.append(str(r.address))  # type: ignore[attr-defined]
    return sorted(texts, key=lambda t: dns_record_order(rdtype, t))


def _dns_resolver(nameservers: tuple[tuple[str, int], ...] | None) -> object:
    """A dnspython resolver: the system's configuration, or exactly *nameservers*."""
    import dns.nameserver
    import dns.resolver

    if nameservers is None:
        return dns.resolver.Resolver()  # NoResolverConfiguration when nothing is configured
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(a, p) for a, p in nameservers]
    return resolver


def _dns_lookup(name: str, rdtype: str, timeout: float,
                nameservers: tuple[tuple[str, int], ...] | None) -> list[str]:
    """One DNS look-up; the one place where dnspython's exceptions become failures."""
    import dns.exception
    import dns.name
    import dns.resolver

    question = f"{name} {rdtype}"
    try:
        qname = dns.name.from_text(name.rstrip(".") + ".")
        resolver = _dns_resolver(nameservers)
        answer = resolver.resolve(qname, rdtype, lifetime=timeout, search=False)  # type: ignore[attr-defined]
    except dns.resolver.NXDOMAIN:
        raise ProbeError("nxdomain", f"{question}: no such name (NXDOMAIN)") from None
    except dns.resolver.NoAnswer:
        raise ProbeError("nxdomain", f"{question}: no such record") from None
    except dns.resolver.NoNameservers as exc:
        raise ProbeError("dns_error", f"{question}: the name service failed ({_dns_errors(exc)})") from None
    except dns.exception.Timeout:
        raise ProbeError("dns_error", f"{question}: the name service did not answer "
                                      f"within {timeout:g} s") from None
    except dns.resolver.NoResolverConfiguration:
        raise ProbeError("dns_error", f"{question}: no name server is configured") from None
    except (dns.name.NameTooLong, dns.name.LabelTooLong, dns.name.EmptyLabel,
            dns.name.BadEscape, dns.name.IDNAException, UnicodeError) as exc:
        raise ProbeError("nxdomain", f"{question}: not a valid name ({describe(exc)})") from None
    except dns.exception.DNSException as exc:
        raise ProbeError("dns_error", f"{question}: {describe(exc)}") from None
    except OSError as exc:
        # A socket error the library let through: the one error map says what it was.  The
        # name servers could not be asked (refused, unreachable, blocked here...): to the
        # look-up that is its name service failing; what the map does not know is not
        # guessed at (internal_error, with its traceback in the log).
        failure = failure_of(exc)
        if failure in (Failure.NXDOMAIN, Failure.DNS_ERROR, Failure.CANCELLED):
            raise ProbeError(failure, f"{question}: {describe(exc)}") from None
        if failure == Failure.UNKNOWN:
            raise
        raise ProbeError("dns_error", f"{question}: the name service could not be asked "
                                      f"({failure}: {describe(exc)})") from None
    return _dns_record_texts(rdtype, list(answer))


def _dns_errors(exc: BaseException) -> str:
    """What each name server answered, short: ``SERVFAIL``, ``REFUSED``, or for a socket
    error the word of the one error map (``refused``, ``unreachable``, ``local_blocked``)."""
    errors = getattr(exc, "kwargs", {}).get("errors") or []
    words: list[str] = []
    for error in errors:
        what = error[3] if len(error) > 3 else error
        if isinstance(what, str):
            word = what
        elif isinstance(what, OSError) and failure_of(what) != Failure.UNKNOWN:
            word = f"{failure_of(what)} ({type(what).__name__})"
        else:
            word = type(what).__name__
        if word not in words:
            words.append(word)
    return ", ".join(words) or "no name server answered"


def _close_dropped_tls_socket(exc: BaseException) -> None:
    """Close the TLS socket ``wrap_socket`` made and dropped when it raised: it had
    already taken the connection's descriptor over (the plain socket is detached), so
    nothing else can close it, and it would stay open until the garbage collector."""
    tb = exc.__traceback__
    while tb is not None:
        made = tb.tb_frame.f_locals.get("self")
        if isinstance(made, ssl.SSLSocket):
            try:
                made.close()
            except OSError:
                pass
            return
        tb = tb.tb_next


def _ascii(host: str | None) -> str | bytes | None:
    """A host name already in its ASCII (IDNA) form as bytes, which the socket and ssl
    modules take as it is: given text, they run Python's "idna" codec on it, whose
    import (stringprep, unicodedata) costs about 2 ms of every check's start-up."""
    if host is not None and host.isascii():
        return host.encode("ascii")
    return host
