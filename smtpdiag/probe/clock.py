"""Is this computer's clock right?  One SNTP packet (RFC 4330, UDP 123) to a time server.

A certificate that is "expired or not valid yet" is often a computer whose clock is
wrong, not a server at fault.  When a run sees one, the engine asks a time server
once (within the run's timeout) and compares:

    sntp_request(now)                  the 48-byte client packet (version 4, mode 3)
    parse_sntp_reply(data, t1, t4)     the clock offset in seconds (pure; RFC 4330 section 5)
    query_offset(net, server, ...)     one request, one answer, through the run's Network

The server is configurable (``RunConfig.time_server``, ``HOST`` or ``HOST:PORT``);
tests and the demo point it at a loopback responder, never at a public server.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable

from ..net import Network, ProbeError, describe, failure_of

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01
DEFAULT_PORT = 123
SLICE = 0.1
# A clock this close to the time server's is right for certificates (they are valid
# for days to months; a few minutes of drift never make one look expired).
TOLERANCE_S = 300


def _to_ntp(t: float) -> bytes:
    seconds = int(t) + NTP_EPOCH_OFFSET
    fraction = int((t - int(t)) * (1 << 32)) & 0xFFFFFFFF
    return struct.pack("!II", seconds & 0xFFFFFFFF, fraction)


def _from_ntp(data: bytes) -> float:
    seconds, fraction = struct.unpack("!II", data)
    return seconds - NTP_EPOCH_OFFSET + fraction / (1 << 32)


def sntp_request(now: float) -> bytes:
    """LI 0, version 4, mode 3 (client); the transmit timestamp is *now*."""
    return bytes([0x23]) + bytes(39) + _to_ntp(now)


class BadReply(ValueError):
    def __init__(self, reason: str, foreign: bool = False) -> None:
        super().__init__(reason)
        self.foreign = foreign  # an answer to someone else's request: keep waiting


def parse_sntp_reply(data: bytes, request: bytes, t1: float, t4: float) -> float:
    """The offset (server clock minus this clock, seconds) from a reply.

    *t1* is when the request left, *t4* when the reply arrived (this clock).
    Raises :class:`BadReply` for anything that is not a usable server reply:
    too short, not mode 4 (server), stratum 0 (a "kiss of death"), not an answer
    to *request* (its originate timestamp must echo our transmit timestamp).
    """
    if len(data) < 48:
        raise BadReply(f"a reply of {len(data)} bytes (48 expected)")
    mode = data[0] & 0x07
    if mode != 4:
        raise BadReply(f"not a server reply (mode {mode})")
    stratum = data[1]
    if stratum == 0:
        raise BadReply("the server refused to give the time (stratum 0)")
    if data[24:32] != request[40:48]:
        raise BadReply("an answer to another request", foreign=True)
    t2 = _from_ntp(data[32:40])  # receive
    t3 = _from_ntp(data[40:48])  # transmit
    return ((t2 - t1) + (t3 - t4)) / 2


def split_server(server: str) -> tuple[str, int]:
    """ "time.example.net" or "time.example.net:1123" or "[::1]:1123"."""
    if server.startswith("["):
        host, _sep, rest = server[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else DEFAULT_PORT
    if server.count(":") == 1:
        host, port = server.split(":")
        return host, int(port)
    return server, DEFAULT_PORT


def query_offset(net: Network, server: str, timeout: float, cancel: threading.Event,
                 clock: Callable[[], float] = time.time) -> float:
    """One request to *server* and its answer: the clock offset in seconds.

    Raises :class:`ProbeError` (``nxdomain``, ``timeout``, ``refused``, ...) or
    :class:`BadReply`.
    """
    host, port = split_server(server)
    deadline = time.monotonic() + timeout
    addresses: list[str] = []
    for family in ("ipv4", "ipv6"):
        try:
            addresses = net.resolve(host, family, timeout, cancel)
        except ProbeError:
            continue
        if addresses:
            break
    if not addresses:
        raise ProbeError("nxdomain", f"{host}: no address")
    sock = net.open_udp(addresses[0], port)
    try:
        t1 = clock()
        request = sntp_request(t1)
        try:
            sock.send(request)
        except OSError as exc:
            raise ProbeError(failure_of(exc), describe(exc)) from None
        while True:
            if cancel.is_set():
                raise ProbeError("cancelled", "cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProbeError("timeout", f"no answer from {server} within {timeout:g} s")
            sock.settimeout(min(SLICE, remaining))
            try:
                data = sock.recv(512)
            except TimeoutError:
                continue
            except OSError as exc:
                raise ProbeError(failure_of(exc), describe(exc)) from None
            t4 = clock()
            try:
                return parse_sntp_reply(data, request, t1, t4)
            except BadReply as bad:
                if bad.foreign:
                    continue  # not ours: keep waiting until the deadline
                raise
    finally:
        sock.close()
