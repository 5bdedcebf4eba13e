"""The one error map (docs/contract.md section 5): what each system really raises -> failure word.

The exceptions below are built as Linux, Windows and macOS raise them (class,
errno, and on Windows the WSA code in ``winerror`` too), so every system's row
is tested on every system.  The live half, what this machine's kernel really
raises through real sockets, is in ``test_transport.py``.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl

import pytest

from smtpdiag.net import ProbeError, failure_of
from smtpdiag.records import Failure


def windows(cls: type[OSError], code: int, text: str) -> OSError:
    """An OSError as Python on Windows raises it for a Winsock error."""
    exc = cls(code, text)
    exc.winerror = code  # type: ignore[attr-defined]
    return exc


# (system, exception, udp socket?, failure): the contract's table, then more.
CASES: list[tuple[str, BaseException, bool, str]] = [
    # refused
    ("linux", ConnectionRefusedError(111, "Connection refused"), False, "refused"),
    ("win32", windows(ConnectionRefusedError, 10061, "No connection could be made because the target "
                      "machine actively refused it"), False, "refused"),
    ("darwin", ConnectionRefusedError(61, "Connection refused"), False, "refused"),
    # reset
    ("linux", ConnectionResetError(104, "Connection reset by peer"), False, "reset"),
    ("win32", windows(ConnectionResetError, 10054, "An existing connection was forcibly closed by the "
                      "remote host"), False, "reset"),
    ("darwin", ConnectionResetError(54, "Connection reset by peer"), False, "reset"),
    # Windows reports an ICMP port unreachable on a UDP socket as a reset
    ("win32", windows(ConnectionResetError, 10054, "An existing connection was forcibly closed by the "
                      "remote host"), True, "refused"),
    ("linux", ConnectionRefusedError(111, "Connection refused"), True, "refused"),
    ("darwin", ConnectionRefusedError(61, "Connection refused"), True, "refused"),
    # timeout
    ("linux", TimeoutError(110, "Connection timed out"), False, "timeout"),
    ("win32", windows(TimeoutError, 10060, "A connection attempt failed because the connected party did "
                      "not properly respond after a period of time"), False, "timeout"),
    ("darwin", TimeoutError(60, "Operation timed out"), False, "timeout"),
    ("linux", TimeoutError("timed out"), False, "timeout"),
    ("win32", TimeoutError("timed out"), False, "timeout"),
    # unreachable
    ("linux", OSError(113, "No route to host"), False, "unreachable"),
    ("linux", OSError(101, "Network is unreachable"), False, "unreachable"),
    ("win32", windows(OSError, 10065, "A socket operation was attempted to an unreachable host"),
     False, "unreachable"),
    ("win32", windows(OSError, 10051, "A socket operation was attempted to an unreachable network"),
     False, "unreachable"),
    ("darwin", OSError(65, "No route to host"), False, "unreachable"),
    ("darwin", OSError(51, "Network is unreachable"), False, "unreachable"),
    # local_blocked: a firewall or security program on this computer
    ("linux", PermissionError(13, "Permission denied"), False, "local_blocked"),
    ("linux", PermissionError(1, "Operation not permitted"), False, "local_blocked"),
    ("win32", windows(PermissionError, 10013, "An attempt was made to access a socket in a way "
                      "forbidden by its access permissions"), False, "local_blocked"),
    ("win32", windows(OSError, 10013, "An attempt was made to access a socket in a way forbidden by "
                      "its access permissions"), False, "local_blocked"),
    ("darwin", PermissionError(13, "Permission denied"), False, "local_blocked"),
    ("darwin", PermissionError(1, "Operation not permitted"), False, "local_blocked"),
    # nxdomain
    ("linux", socket.gaierror(-2, "Name or service not known"), False, "nxdomain"),
    ("linux", socket.gaierror(-5, "No address associated with hostname"), False, "nxdomain"),
    ("win32", socket.gaierror(11001, "getaddrinfo failed"), False, "nxdomain"),
    ("win32", socket.gaierror(11004, "getaddrinfo failed"), False, "nxdomain"),
    ("darwin", socket.gaierror(8, "nodename nor servname provided, or not known"), False, "nxdomain"),
    # dns_error
    ("linux", socket.gaierror(-3, "Temporary failure in name resolution"), False, "dns_error"),
    ("linux", socket.gaierror(-4, "Non-recoverable failure in name resolution"), False, "dns_error"),
    ("win32", socket.gaierror(11002, "getaddrinfo failed"), False, "dns_error"),
    ("win32", socket.gaierror(11003, "getaddrinfo failed"), False, "dns_error"),
    ("darwin", socket.gaierror(2, "temporary failure in name resolution"), False, "dns_error"),
    ("darwin", socket.gaierror(4, "non-recoverable failure in name resolution"), False, "dns_error"),
    # cancelled, and what the transport itself raises
    ("linux", ProbeError("cancelled"), False, "cancelled"),
    ("win32", ProbeError("cancelled"), False, "cancelled"),
    # the other side closed: EOF in the middle of TLS, on every system
    ("linux", ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:992)"), False, "eof"),
    ("win32", ssl.SSLZeroReturnError(6, "TLS/SSL connection has been closed (EOF)"), False, "eof"),
    ("darwin", ConnectionAbortedError(53, "Software caused connection abort"), False, "reset"),
    ("win32", windows(ConnectionAbortedError, 10053, "An established connection was aborted by the "
                      "software in your host machine"), False, "reset"),
    ("linux", BrokenPipeError(32, "Broken pipe"), False, "reset"),
]


@pytest.mark.parametrize(("system", "exc", "udp", "want"), CASES,
                         ids=[f"{c[0]}-{type(c[1]).__name__}-{getattr(c[1], 'errno', '')}"
                              f"{'-udp' if c[2] else ''}" for c in CASES])
def test_each_system_s_exception_maps_to_its_failure(system: str, exc: BaseException, udp: bool,
                                                     want: str) -> None:
    assert failure_of(exc, platform=system, udp=udp) == want
    assert isinstance(failure_of(exc, platform=system, udp=udp), Failure)


def test_another_system_s_numbers_are_not_this_one_s() -> None:
    # 10054 is nothing on Linux, 111 nothing on Windows, 54 on macOS is ECONNRESET but on
    # Linux it is EXFULL: numbers only mean something for the system that raised them.
    assert failure_of(OSError(10054, "x"), platform="linux") == "unknown"
    assert failure_of(OSError(54, "Exchange full"), platform="linux") == "unknown"
    assert failure_of(OSError(54, "Connection reset by peer"), platform="darwin") == "reset"
    assert failure_of(socket.gaierror(-2, "x"), platform="win32") == "dns_error"
    assert failure_of(socket.gaierror(8, "x"), platform="linux") == "dns_error"
    assert failure_of(socket.gaierror(8, "x"), platform="darwin") == "nxdomain"


def test_an_error_nobody_mapped_is_unknown_never_a_party_s_fault() -> None:
    assert failure_of(OSError(28, "No space left on device"), platform="linux") == "unknown"
    assert failure_of(ValueError("error parsing asn1 value"), platform="linux") == "unknown"


@pytest.mark.parametrize(("reason", "want"), [
    ("WRONG_VERSION_NUMBER", "not_tls"), ("HTTP_REQUEST", "not_tls"),
    ("UNSUPPORTED_PROTOCOL", "version"), ("TLSV1_ALERT_PROTOCOL_VERSION", "version"),
    ("SSLV3_ALERT_HANDSHAKE_FAILURE", "failed"), ("NO_SHARED_CIPHER", "failed"),
])
def test_tls_errors_by_their_reason(reason: str, want: str) -> None:
    exc = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()} (_ssl.c:1006)")
    exc.reason = reason  # type: ignore[misc]
    for system in ("linux", "win32", "darwin"):
        assert failure_of(exc, platform=system) == want


@pytest.mark.parametrize(("code", "want"), [(9, "not_yet_valid"), (10, "expired"), (18, "self_signed"),
                                            (19, "untrusted"), (20, "untrusted"), (62, "name_mismatch"),
                                            (64, "name_mismatch"), (999, "untrusted")])
def test_certificate_verification_codes(code: int, want: str) -> None:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_code = code
    assert failure_of(exc, platform="linux") == want


def test_the_current_system_is_the_default() -> None:
    # On the machine running the tests, what its own kernel says maps without naming it.
    exc = ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))
    assert failure_of(exc) == "refused"


def test_an_unknown_failure_word_is_a_bug_at_once() -> None:
    with pytest.raises(ValueError):
        ProbeError("refusd")
