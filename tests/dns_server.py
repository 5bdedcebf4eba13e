"""A tiny authoritative DNS server on loopback, for tests that must never ask real DNS.

    with DnsServer() as dns:
        dns.add("_submission._tcp.example.test", "SRV", "0 1 587 mail.example.test")
        dns.add("mail.example.test", "A", "192.0.2.25")
        dns.servfail("broken.example.test")      # answers SERVFAIL
        dns.silent("slow.example.test")          # never answers: the client times out
        dns.truncated("big.example.test")        # answers "truncated": the client asks again over TCP
        net = Network(nameservers=[dns.address])

One UDP socket on 127.0.0.1 (port 0, so parallel tests never collide) served
by one thread; :meth:`DnsServer.close` (or leaving the ``with``) stops the
thread and closes the socket.  Records are written in zone-file syntax (host
names with or without the final dot).  A name with no record of any type gets
NXDOMAIN, a name with records of other types an empty NOERROR answer.

:class:`LoopbackResolverNetwork` is a :class:`~smtpdiag.net.Network` whose host
name resolution also asks this server instead of the operating system, so a
whole discovery runs against loopback only.
"""

from __future__ import annotations

import select
import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from smtpdiag.net import Network


def _key(name: str) -> str:
    return name.strip().lower().rstrip(".") + "."


class DnsServer:
    """Answers A, AAAA, MX, SRV and TXT questions from a table; see the module docstring."""

    def __init__(self, port: int = 0) -> None:
        self._records: dict[tuple[str, str], list[str]] = {}
        self._servfail: set[str] = set()
        self._silent: set[str] = set()
        self._truncated: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.queries: list[tuple[str, str]] = []  # (name, type) of every question received
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind(("127.0.0.1", port))
            self._thread = threading.Thread(target=self._serve, daemon=True, name="test-dns-server")
            self._thread.start()
        except BaseException:
            self._sock.close()
            raise

    @property
    def address(self) -> tuple[str, int]:
        """(address, port) to give ``Network(nameservers=[...])``."""
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    # -- the zone -----------------------------------------------------------------------

    def add(self, name: str, rdtype: str, *values: str) -> DnsServer:
        with self._lock:
            self._records.setdefault((_key(name), rdtype.upper()), []).extend(values)
        return self

    def servfail(self, *names: str) -> DnsServer:
        with self._lock:
            self._servfail.update(_key(n) for n in names)
        return self

    def silent(self, *names: str) -> DnsServer:
        with self._lock:
            self._silent.update(_key(n) for n in names)
        return self

    def truncated(self, *names: str) -> DnsServer:
        """Answer these names with the TC flag (the answer did not fit): a client then asks
        again over TCP, on the same address and port (where this server does not listen)."""
        with self._lock:
            self._truncated.update(_key(n) for n in names)
        return self

    # -- serving ------------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stop.is_set():
            readable, _w, _x = select.select([self._sock], [], [], 0.05)
            if not readable:
                continue
            try:
                wire, peer = self._sock.recvfrom(4096)
            except OSError:
                return  # closed under us
            reply = self._answer(wire)
            if reply is not None:
                try:
                    self._sock.sendto(reply, peer)
                except OSError:
                    return

    def _answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
            question = query.question[0]
        except Exception:  # noqa: BLE001 - garbage is ignored, like a real server's
            return None
        name = _key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries.append((name.rstrip("."), rdtype))
            if name in self._silent:
                return None
            values = list(self._records.get((name, rdtype), []))
            exists = any(n == name for n, _t in self._records)
            servfail = name in self._servfail
            truncated = name in self._truncated
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if truncated:
            response.flags |= dns.flags.TC
        elif servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif values:
            response.answer.append(dns.rrset.from_text_list(
                question.name, 300, "IN", rdtype, values, origin=dns.name.root,
                relativize=False))
        elif not exists:
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> DnsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LoopbackResolverNetwork(Network):
    """A real :class:`Network` (dnspython, real sockets) whose host names are
    resolved by the test DNS server too, never by the operating system."""

    def resolve(self, host: str, family: str, timeout: float,
                cancel: threading.Event | None = None) -> list[str]:
        return self.dns_query(host, "A" if family == "ipv4" else "AAAA", timeout, cancel)


if __name__ == "__main__":
    # python tests/dns_server.py PORT: a name service that knows no name at all
    # (NXDOMAIN for every question), as an offline network's resolver may answer;
    # run inside a test's own network namespace (tests/netns.py).
    import sys

    with DnsServer(int(sys.argv[1])):
        print("ready", flush=True)
        threading.Event().wait()
