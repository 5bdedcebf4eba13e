"""The simulated network as the probes see it: :class:`SimNetwork`.

It is a :class:`smtpdiag.net.Network` whose resolver and routing are a small
table, so that the probes, the engine and the verdict run their ordinary code
against real loopback servers:

* **names** map to *logical* addresses from the documentation ranges
  (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), which can
  never belong to anyone real.  Unknown names fail with ``nxdomain``, names of a
  broken resolver with ``dns_error``; the operating system's resolver is never
  asked, so no test name ever leaks into real DNS.
* **routes** map a (logical address, logical port) pair to the loopback
  endpoint that plays it: a server, a fault proxy, a black hole...
  An unmapped pair goes to a closed loopback port of the same address family,
  a real refusal, and never to the documentation address itself.
* **trust**: :meth:`SimNetwork.extra_ca_pem` hands the probe the simulated
  world's CA, like a company CA given with ``--ca-file``.  The "untrusted" CA
  and the interception products' CAs are not included.

UDP has its own routes (``add_route(..., protocol="udp")``, for the VPN
probes); an unmapped UDP pair goes to the closed TCP port's number, where
nothing of ours listens for UDP, so the kernel answers "port unreachable".

The tables are filled before the network is handed to the engine and only read
afterwards, so one :class:`SimNetwork` may be used from many worker threads.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Literal

from ..net import (
    DNS_RECORD_TYPES,
    FAMILIES,
    Network,
    ProbeError,
    connect_budget,
    describe,
    dns_record_order,
    failure_of,
    family_of,
    is_ip_literal,
    socket_family,
)
from ..target import ip_address_of
from .sockets import Endpoint, Family

DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


def is_documentation_address(address: str) -> bool:
    ip = ip_address_of(address)
    return ip is not None and any(ip in net for net in DOCUMENTATION_NETWORKS)


def _canonical_address(address: str) -> str:
    ip = ip_address_of(address.strip("[]"))
    return ip.compressed if ip is not None else address.lower()


def _canonical_name(name: str) -> str:
    return name.strip().lower().rstrip(".")


class SimNetwork(Network):
    """Names, routes and trust of a simulated world (see the module docstring)."""

    def __init__(self, closed_ports: Mapping[Family, Endpoint], ca_pem: str | None = None) -> None:
        super().__init__()
        self._closed = dict(closed_ports)
        self._ca_pem = ca_pem
        self._hosts: dict[str, list[str]] = {}
        self._broken: set[str] = set()
        self._routes: dict[tuple[str, int], Endpoint] = {}
        self._udp_routes: dict[tuple[str, int], Endpoint] = {}

    # -- building the tables --------------------------------------------------------

    def add_host(self, name: str, *addresses: str) -> None:
        """Make *name* resolve to *addresses* (documentation addresses only)."""
        for address in addresses:
            if not is_documentation_address(address):
                raise ValueError(f"{address} is not a documentation address")
        known = self._hosts.setdefault(_canonical_name(name), [])
        known.extend(_canonical_address(a) for a in addresses if _canonical_address(a) not in known)

    def break_name(self, name: str) -> None:
        """Make looking up *name* fail like a resolver that does not answer."""
        self._broken.add(_canonical_name(name))

    def add_route(self, address: str, port: int, endpoint: Endpoint,
                  protocol: Literal["tcp", "udp"] = "tcp") -> None:
        """Connections (or datagrams) to (*address*, *port*) go to *endpoint*."""
        if not is_documentation_address(address):
            raise ValueError(f"{address} is not a documentation address")
        table = self._udp_routes if protocol == "udp" else self._routes
        table[(_canonical_address(address), int(port))] = endpoint

    def add_records(self, name: str, rdtype: str, values: Iterable[str]) -> None:
        """Publish DNS records of *name* for :meth:`dns_query`, written as it returns
        them: MX ``"PREF HOST"``, SRV ``"PRIO WEIGHT PORT TARGET"`` (target ``"."``:
        not offered), TXT the text.  Addresses come from :meth:`add_host` instead.
        """
        rdtype = rdtype.upper()
        if rdtype not in _RECORD_FIELDS:
            raise ValueError(f"add_records takes MX, SRV or TXT records, not {rdtype!r}"
                             " (addresses: add_host)")
        texts = [_record_text(rdtype, value) for value in values]
        known = self._dns_table().setdefault((_canonical_name(name), rdtype), [])
        known.extend(t for t in texts if t not in known)

    def _dns_table(self) -> dict[tuple[str, str], list[str]]:
        """(name, type) -> records; made on first use (filled before the network is shared)."""
        table: dict[tuple[str, str], list[str]] | None = getattr(self, "_dns_records", None)
        if table is None:
            table = {}
            self._dns_records = table
        return table

    def routes(self) -> dict[tuple[str, int], Endpoint]:
        """A copy of the routing table (for the demo's details and for tests)."""
        return dict(self._routes)

    # -- Network -------------------------------------------------------------------

    def resolve(self, host: str, family: str, timeout: float,
                cancel: threading.Event | None = None) -> list[str]:
        if family not in FAMILIES:
            raise ValueError(f"unknown address family {family!r}")
        if cancel is not None and cancel.is_set():
            raise ProbeError("cancelled", "cancelled")
        if is_ip_literal(host.strip("[]")):
            literal = _canonical_address(host)
            if family_of(literal) == family:
                return [literal]
            raise ProbeError("nxdomain", f"{host} is not an {family} address")
        name = _canonical_name(host)
        if name in self._broken:
            raise ProbeError("dns_error", f"the resolver did not answer for {host} (SERVFAIL)")
        addresses = self._hosts.get(name)
        if addresses is None:
            raise ProbeError("nxdomain", f"{host}: name not known (NXDOMAIN)")
        found = [a for a in addresses if family_of(a) == family]
        if not found:
            raise ProbeError("nxdomain", f"{host} has no {family} address")
        return found

    def dns_query(self, name: str, rdtype: str, timeout: float,
                  cancel: threading.Event | None = None) -> list[str]:
        """Records from the table (:meth:`add_records`; A/AAAA from :meth:`add_host`),
        in the same text form and order as :meth:`Network.dns_query`.

        A broken name (:meth:`break_name`) fails with ``dns_error``; a name with
        no record at all with ``nxdomain`` "no such name", a known name without
        this type with ``nxdomain`` "no such record".  Real DNS is never asked.
        """
        rdtype = rdtype.upper()
        if rdtype not in DNS_RECORD_TYPES:
            raise ValueError(f"unsupported DNS record type {rdtype!r}")
        if cancel is not None and cancel.is_set():
            raise ProbeError("cancelled", "cancelled")
        key = _canonical_name(name)
        question = f"{name} {rdtype}"
        if key in self._broken:
            raise ProbeError("dns_error", f"{question}: the name service failed (SERVFAIL)")
        if rdtype in ("A", "AAAA"):
            family = "ipv4" if rdtype == "A" else "ipv6"
            values = [a for a in self._hosts.get(key, []) if family_of(a) == family]
        else:
            values = list(self._dns_table().get((key, rdtype), []))
        if values:
            return sorted(values, key=lambda text: dns_record_order(rdtype, text))
        known = key in self._hosts or any(n == key for n, _t in self._dns_table())
        if known:
            raise ProbeError("nxdomain", f"{question}: no such record")
        raise ProbeError("nxdomain", f"{question}: no such name (NXDOMAIN)")

    def sockaddr(self, address: str, port: int) -> tuple[str, int]:
        return self.tcp_endpoint(address, port).sockaddr

    def tcp_endpoint(self, address: str, port: int) -> Endpoint:
        """The loopback endpoint that plays (*address*, *port*) for TCP."""
        endpoint = self._routes.get((_canonical_address(address), int(port)))
        return endpoint if endpoint is not None else self._closed_port_for(address)

    def open_tcp(self, address: str, port: int, timeout: float,
                 cancel: threading.Event | None = None) -> socket.socket:
        """As :meth:`Network.open_tcp`; a route to a black hole gets no answer at all:
        the attempt waits out the same connect budget and ends in ``timeout``
        (on every system, without relying on how a kernel treats a full backlog)."""
        if not self.tcp_endpoint(address, port).drops:
            return super().open_tcp(address, port, timeout, cancel)
        budget = connect_budget(timeout)
        deadline = time.monotonic() + budget
        while True:
            if cancel is not None and cancel.is_set():
                raise ProbeError("cancelled", "cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProbeError("timeout", f"no answer within {budget:g} s")
            if cancel is not None:
                cancel.wait(min(0.1, remaining))
            else:
                time.sleep(min(0.1, remaining))

    def open_udp(self, address: str, port: int) -> socket.socket:
        endpoint = self._udp_routes.get((_canonical_address(address), int(port)))
        if endpoint is None:
            endpoint = self._closed_port_for(address)
        family = socket_family(endpoint.host)
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.connect(endpoint.sockaddr)
        except OSError as exc:
            sock.close()
            raise ProbeError(failure_of(exc), describe(exc)) from None
        return sock

    def extra_ca_pem(self) -> str | None:
        return self._ca_pem

    def _closed_port_for(self, address: str) -> Endpoint:
        family: Family = family_of(address)
        # Without IPv6 on this computer an IPv6 client socket cannot even be made,
        # so the other family's closed port is never really used for it.
        return self._closed.get(family) or next(iter(self._closed.values()))


# Fields of the record types add_records takes (None: free text).
_RECORD_FIELDS: dict[str, int | None] = {"MX": 2, "SRV": 4, "TXT": None}


def _record_text(rdtype: str, value: str) -> str:
    """One record in dns_query's text form, checked: numbers where numbers belong,
    host names lower-case without the final dot."""
    count = _RECORD_FIELDS[rdtype]
    if count is None:
        return value
    parts = value.split()
    if len(parts) != count or not all(p.isdigit() for p in parts[:-1]):
        raise ValueError(f"{value!r} is not an {rdtype} record")
    host = parts[-1].lower()
    host = host if host == "." else host.rstrip(".")
    return " ".join([*(str(int(p)) for p in parts[:-1]), host])
