"""Small loopback servers that speak each VPN protocol's first exchange.

For the tests and the demo's simulated network: each binds to 127.0.0.1 on a
free port (``.port``), serves in a daemon thread, is a context manager and
stops cleanly (every socket closed, every thread joined).

    UdpResponder              answers datagrams with :meth:`answer` (silent by default)
    ├── IkeResponder          IKE_SA_INIT response: accept / INVALID_KE_PAYLOAD / NO_PROPOSAL_CHOSEN
    └── OpenVpnUdpResponder   P_CONTROL_HARD_RESET_SERVER_V2, or silent (tls-auth style)
    TcpResponder              one thread per connection running :meth:`serve` (silent by default)
    ├── OpenVpnTcpResponder   the same over TCP, with the 2-byte length
    ├── PptpResponder         Start-Control-Connection-Reply
    └── SstpResponder         TLS, then "HTTP/1.1 200" to SSTP_DUPLEX_POST
                              (or an AnyConnect answer, or a plain web server)
    ClosedTcpPort             a bound, never-listening port: connections are refused
    closed_udp_port()         a port nothing listens on: ICMP port unreachable

The answers are built with the same encoders the probes use to decode them,
and follow the protocols closely enough that the probes' parsers and real
clients accept them; no responder goes further than the first exchange.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Self

from ..net import socket_family
from ..probe.vpn import ike, openvpn, pptp
from ..probe.vpn.sstp import HEAD_LIMIT

LOOPBACK = "127.0.0.1"
POLL = 0.05


class _Responder:
    """A server socket and the thread that serves it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._stop = threading.Event()
        self.address, self.port = sock.getsockname()[:2]
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"smtpdiag-{type(self).__name__}")
        self._thread.start()

    def _run(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class UdpResponder(_Responder):
    """Receives datagrams and sends back what :meth:`answer` returns (nothing here)."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        sock = socket.socket(socket_family(host),
                             socket.SOCK_DGRAM)
        sock.bind((host, port))
        sock.settimeout(POLL)
        self.received: list[bytes] = []
        super().__init__(sock)

    def answer(self, datagram: bytes, peer: tuple[str, int]) -> list[bytes]:
        return []

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                datagram, peer = self._sock.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            self.received.append(datagram)
            for reply in self.answer(datagram, peer):
                try:
                    self._sock.sendto(reply, peer)
                except OSError:
                    break  # the prober has gone


class IkeResponder(UdpResponder):
    """An IKEv2 responder's first answer.

    *reply*: ``accept`` (SA with the offered transforms, KE, Nonce, NAT detection),
    ``invalid_ke`` (INVALID_KE_PAYLOAD asking for *wanted_group*) or
    ``no_proposal`` (NO_PROPOSAL_CHOSEN).  With *natt*, messages carry the
    non-ESP marker as on UDP 4500.
    """

    def __init__(self, reply: str = "accept", natt: bool = False,
                 wanted_group: int = 14, host: str = LOOPBACK, port: int = 0) -> None:
        if reply not in ("accept", "invalid_ke", "no_proposal"):
            raise ValueError(f"unknown IKE reply {reply!r}")
        self.reply, self.natt, self.wanted_group = reply, natt, wanted_group
        super().__init__(host, port)

    def answer(self, datagram: bytes, peer: tuple[str, int]) -> list[bytes]:
        data = ike.strip_non_esp_marker(datagram) if self.natt else datagram
        if data is None:
            return []
        try:
            request = ike.parse_message(data)
        except ike.IkeParseError:
            return []
        if request.exchange != ike.EXCHANGE_IKE_SA_INIT or request.is_response:
            return []
        response = self._response(request, peer)
        return [ike.NON_ESP_MARKER + response if self.natt else response]

    def _response(self, request: ike.IkeMessage, peer: tuple[str, int]) -> bytes:
        flags = ike.FLAG_RESPONSE
        if self.reply == "invalid_ke":
            notify = ike.Notify(ike.NOTIFY_INVALID_KE_PAYLOAD,
                                self.wanted_group.to_bytes(2, "big"))
            return ike.encode_message(request.spi_i, bytes(8), ike.EXCHANGE_IKE_SA_INIT, flags,
                                      0, [ike.notify_payload(notify)])
        if self.reply == "no_proposal":
            notify = ike.Notify(ike.NOTIFY_NO_PROPOSAL_CHOSEN)
            return ike.encode_message(request.spi_i, bytes(8), ike.EXCHANGE_IKE_SA_INIT, flags,
                                      0, [ike.notify_payload(notify)])
        spi_r = os.urandom(8)
        sa = request.first(ike.PAYLOAD_SA)
        offered = ike.parse_sa(sa.body)[0] if sa else ike.client_proposal()
        chosen = ike.Proposal(1, ike.PROTOCOL_IKE, _first_of_each_type(offered.transforms))
        group = chosen.group() or ike.DH_ECP256
        payloads = [
            ike.sa_payload([chosen]),
            ike.ke_payload(group, ike.ephemeral_public_key(group)),
            ike.Payload(ike.PAYLOAD_NONCE, os.urandom(32)),
            ike.notify_payload(ike.Notify(ike.NOTIFY_NAT_DETECTION_SOURCE_IP,
                                          ike.nat_detection_hash(request.spi_i, spi_r,
                                                                 self.address, self.port))),
            ike.notify_payload(ike.Notify(ike.NOTIFY_NAT_DETECTION_DESTINATION_IP,
                                          ike.nat_detection_hash(request.spi_i, spi_r,
                                                                 peer[0], peer[1]))),
        ]
        return ike.encode_message(request.spi_i, spi_r, ike.EXCHANGE_IKE_SA_INIT, flags, 0,
                                  payloads)


def _first_of_each_type(transforms: tuple[ike.Transform, ...]) -> tuple[ike.Transform, ...]:
    chosen: dict[int, ike.Transform] = {}
    for transform in transforms:
        chosen.setdefault(transform.type, transform)
    return tuple(chosen.values())


def _openvpn_server_reset(data: bytes) -> bytes | None:
    try:
        packet = openvpn.parse_control_packet(data)
    except openvpn.OpenVpnParseError:
        return None
    if packet.opcode != openvpn.P_CONTROL_HARD_RESET_CLIENT_V2:
        return None
    return openvpn.server_hard_reset(os.urandom(8), packet).encode()


class OpenVpnUdpResponder(UdpResponder):
    """Answers a client hard reset with P_CONTROL_HARD_RESET_SERVER_V2; *silent*
    behaves like a server with tls-auth/tls-crypt (drops unsigned packets)."""

    def __init__(self, silent: bool = False, host: str = LOOPBACK, port: int = 0) -> None:
        self.silent = silent
        super().__init__(host, port)

    def answer(self, datagram: bytes, peer: tuple[str, int]) -> list[bytes]:
        reply = None if self.silent else _openvpn_server_reset(datagram)
        return [reply] if reply else []


class TcpResponder(_Responder):
    """Accepts connections and runs :meth:`serve` for each in its own thread
    (here: read and never answer)."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        sock = socket.socket(socket_family(host),
                             socket.SOCK_STREAM)
        sock.bind((host, port))
        sock.listen(8)
        sock.settimeout(POLL)
        self._workers: list[threading.Thread] = []
        super().__init__(sock)

    def serve(self, conn: socket.socket) -> None:
        self.read_until(conn, lambda data: False)

    def read_until(self, conn: socket.socket, done: Callable[[bytes], bool],
                   limit: int = HEAD_LIMIT) -> bytes:
        """Read until ``done(data)``, EOF, *limit* or the responder stops."""
        data = b""
        conn.settimeout(POLL)
        while not self._stop.is_set() and len(data) < limit:
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            data += chunk
            if done(data):
                break
        return data

    def wait_for_close(self, conn: socket.socket) -> None:
        """Keep the connection open (as a VPN server would) until the client leaves."""
        self.read_until(conn, lambda data: False)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            worker = threading.Thread(target=self._serve_and_close, args=(conn,), daemon=True)
            self._workers.append(worker)
            worker.start()

    def _serve_and_close(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self.serve(conn)

    def close(self) -> None:
        super().close()
        for worker in self._workers:
            worker.join(5)


class OpenVpnTcpResponder(TcpResponder):
    """OpenVPN over TCP: the server hard reset with its 2-byte length, or *silent*."""

    def __init__(self, silent: bool = False, host: str = LOOPBACK, port: int = 0) -> None:
        self.silent = silent
        super().__init__(host, port)

    def serve(self, conn: socket.socket) -> None:
        data = self.read_until(conn, lambda d: openvpn.unframe_tcp(d) is not None)
        packet = openvpn.unframe_tcp(data)
        reply = None if self.silent or packet is None else _openvpn_server_reset(packet)
        if reply:
            conn.sendall(openvpn.frame_tcp(reply))
        self.wait_for_close(conn)


class PptpResponder(TcpResponder):
    """Answers Start-Control-Connection-Request with a reply (result *result_code*)."""

    def __init__(self, result_code: int = 1, host_name: str = "pptp.example",
                 vendor: str = "smtpdiag responder", host: str = LOOPBACK, port: int = 0) -> None:
        self.result_code, self.host_name, self.vendor = result_code, host_name, vendor
        super().__init__(host, port)

    def serve(self, conn: socket.socket) -> None:
        data = self.read_until(conn, lambda d: len(d) >= 156)
        try:
            request = pptp.parse_start_control_connection(data)
        except pptp.PptpParseError:
            return
        if request.control_type != pptp.START_CONTROL_CONNECTION_REQUEST:
            return
        reply = pptp.StartControlConnection(
            pptp.START_CONTROL_CONNECTION_REPLY, pptp.PROTOCOL_VERSION, self.result_code, 0,
            pptp.FRAMING_ASYNC_SYNC, pptp.BEARER_ANALOG_DIGITAL, 1, 0x0600,
            self.host_name, self.vendor)
        conn.sendall(reply.encode())
        self.wait_for_close(conn)


SSTP_OK = ("HTTP/1.1 200\r\n"
           "Content-Length: 18446744073709551615\r\n"
           "Server: Microsoft-HTTPAPI/2.0\r\n\r\n")
NOT_FOUND = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
ANYCONNECT_BODY = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                   '<config-auth client="vpn" type="auth-request" aggregate-auth-version="2">'
                   '<auth id="main"><form><input type="text" name="username" label="Username:"/>'
                   '</form></auth></config-auth>')
WEB_PAGE = "<!doctype html><title>It works</title><p>It works."


class SstpResponder(TcpResponder):
    """HTTPS on loopback with *tls_context* (a server context holding a certificate).

    *kind* ``sstp``: answers SSTP_DUPLEX_POST with ``HTTP/1.1 200`` (a Windows RRAS);
    ``anyconnect``: 404 to SSTP, an aggregate-auth answer to AnyConnect's POST
    (ocserv, Cisco ASA); ``https``: an ordinary web server.
    """

    def __init__(self, tls_context: ssl.SSLContext, kind: str = "sstp") -> None:
        if kind not in ("sstp", "anyconnect", "https"):
            raise ValueError(f"unknown SSL VPN kind {kind!r}")
        self.tls_context, self.kind = tls_context, kind
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        conn.settimeout(2.0)
        try:
            tls = self.tls_context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client gave up on our certificate
        with tls:
            head = self.read_until(tls, lambda d: b"\r\n\r\n" in d)
            tls.settimeout(2.0)
            tls.sendall(self._response(head).encode())
            self.wait_for_close(tls)

    def _response(self, head: bytes) -> str:
        request_line = head.split(b"\r\n", 1)[0]
        if request_line.startswith(b"SSTP_DUPLEX_POST"):
            return SSTP_OK if self.kind == "sstp" else NOT_FOUND
        if self.kind == "anyconnect" and b"x-transcend-version" in head.lower():
            return ("HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/xml\r\n"
                    "X-Transcend-Version: 1\r\n"
                    "X-Aggregate-Auth: 1\r\n"
                    "Set-Cookie: webvpncontext=00@defaultvpn; path=/; Secure\r\n"
                    f"Content-Length: {len(ANYCONNECT_BODY)}\r\n\r\n{ANYCONNECT_BODY}")
        if self.kind == "https":
            return ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                    f"Content-Length: {len(WEB_PAGE)}\r\n\r\n{WEB_PAGE}")
        return NOT_FOUND


class ClosedTcpPort:
    """A TCP port that refuses connections: bound (so no one else takes it), never listening."""

    def __init__(self, host: str = LOOPBACK) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self.address, self.port = self._sock.getsockname()[:2]

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def closed_udp_port(host: str = LOOPBACK) -> int:
    """A UDP port nothing listens on (just freed): datagrams to it bring ICMP port
    unreachable on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
