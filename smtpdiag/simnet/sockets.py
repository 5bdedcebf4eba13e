"""Loopback addresses and the two kinds of "nothing there" made of real sockets.

Everything in the simulated network listens on loopback only:

* IPv4 on ``127.0.0.1``;
* IPv6 on ``::1`` when this machine has it, else (``::1`` not assignable but
  IPv6 sockets work) on ``127.0.0.1`` reached through the v4-mapped address
  ``::ffff:127.0.0.1``, so that an IPv6 client socket still has somewhere real
  to go.  :func:`ipv6_mode` says which (``native``, ``mapped`` or ``none``).

"Nothing there" comes in two kinds, both real kernel behaviour:

:class:`ClosedPort`
    a socket bound to a port but never listening: connections are refused with
    a TCP RST.  Holding the port bound keeps other programs (and parallel test
    workers) from taking it, so it stays closed for as long as it is needed.

:class:`BlackHole`
    a reserved port whose endpoint is marked ``drops``: :class:`SimNetwork`
    (the one way probes reach the simulated world) lets a connection attempt
    to it wait out the connect budget and end in ``timeout``, exactly what a
    firewall that silently drops does to a client.  No kernel can be asked to
    do that on loopback everywhere: Linux drops SYNs to a full backlog, but
    Windows answers them with a reset, so the simulation does not rely on it.
"""

from __future__ import annotations

import functools
import socket
from dataclasses import dataclass
from typing import Literal

from ..net import host_port

Family = Literal["ipv4", "ipv6"]
FAMILIES: tuple[Family, ...] = ("ipv4", "ipv6")
IPv6Mode = Literal["native", "mapped", "none"]


@dataclass(frozen=True)
class Endpoint:
    """Where a simulated listener really is: a loopback address and a real port."""

    host: str
    port: int
    drops: bool = False  # a black hole: connection attempts get no answer at all

    @property
    def sockaddr(self) -> tuple[str, int]:
        return (self.host, self.port)

    def __str__(self) -> str:
        return host_port(self.host, self.port)


@dataclass(frozen=True)
class Loopback:
    """How to listen for one address family, and what clients connect to."""

    bind_family: socket.AddressFamily
    bind_host: str
    connect_host: str


@functools.cache
def ipv6_mode() -> IPv6Mode:
    """Whether IPv6 loopback is usable here: on ``::1``, only v4-mapped, or not at all."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return "native"
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        return "mapped"
    except (OSError, AttributeError):
        return "none"


def loopback(family: Family, mode: IPv6Mode | None = None) -> Loopback:
    """The loopback listening address for *family* (see the module docstring)."""
    if family == "ipv4":
        return Loopback(socket.AF_INET, "127.0.0.1", "127.0.0.1")
    mode = mode or ipv6_mode()
    if mode == "native":
        return Loopback(socket.AF_INET6, "::1", "::1")
    if mode == "mapped":
        return Loopback(socket.AF_INET, "127.0.0.1", "::ffff:127.0.0.1")
    raise OSError("IPv6 is not available on this computer")


def listening_socket(family: Family, backlog: int = 64,
                     mode: IPv6Mode | None = None) -> tuple[socket.socket, Endpoint]:
    """A non-blocking socket listening on a free loopback port (port 0: parallel-safe)."""
    lo = loopback(family, mode)
    sock = socket.socket(lo.bind_family, socket.SOCK_STREAM)
    try:
        sock.bind((lo.bind_host, 0))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock, Endpoint(lo.connect_host, sock.getsockname()[1])


class ClosedPort:
    """A loopback port that refuses connections (RST), reserved while this object lives."""

    def __init__(self, family: Family, mode: IPv6Mode | None = None) -> None:
        lo = loopback(family, mode)
        self._sock = socket.socket(lo.bind_family, socket.SOCK_STREAM)
        try:
            self._sock.bind((lo.bind_host, 0))
        except OSError:
            self._sock.close()
            raise
        self.endpoint = Endpoint(lo.connect_host, self._sock.getsockname()[1])

    def close(self) -> None:
        self._sock.close()


class BlackHole:
    """A loopback port where connection attempts get no answer (see the module docstring).

    The port is bound (never listening) so that nothing else takes it; its
    endpoint has ``drops`` set, which :meth:`SimNetwork.open_tcp` honours.
    """

    def __init__(self, family: Family, mode: IPv6Mode | None = None) -> None:
        self._port = ClosedPort(family, mode)
        self.endpoint = Endpoint(self._port.endpoint.host, self._port.endpoint.port, drops=True)

    def close(self) -> None:
        self._port.close()
