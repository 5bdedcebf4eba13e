"""SSL VPNs on TCP 443: Microsoft SSTP, and AnyConnect/OpenConnect-style servers.

Both run inside HTTPS, so the probe first completes a TLS handshake, then asks
in each VPN's own words:

1. SSTP: ``SSTP_DUPLEX_POST /sra_{BA195980-...}/`` with the fixed huge
   Content-Length a Windows client sends.  An SSTP server answers
   ``HTTP/1.1 200`` and then waits for SSTP packets.
2. Otherwise, on a new connection, the first request of an AnyConnect client
   (``POST /`` with ``X-Transcend-Version: 1``, ``X-Aggregate-Auth: 1`` and a
   ``config-auth`` XML body).  Cisco ASA, ocserv and compatible servers answer
   with ``X-Transcend-Version``/``X-CSTP-*``/``X-Aggregate-Auth`` headers, a
   ``webvpn`` cookie or a ``config-auth`` XML body.

A TLS server that answers HTTP but neither way counts as reachable (the way
to port 443 is open), and the detail says that it is not a known SSL VPN.

The handshake verifies the certificate first.  If only the verification
fails, that is written into the detail and the probe continues over a
connection made by :func:`smtpdiag.probe.tls_inspect.look_only_context`: nothing
but the fixed probe requests is ever sent over it.
"""

from __future__ import annotations

import ssl
import uuid

from ...frozen import record
from ...net import CertificateRejected, Network, ProbeError, Stream, family_of
from ..tls_inspect import look_only_context
from .session import Cancelled, ProbeOutcome, ProbeSession, connect_tcp, vpn_failure

SSTP_PATH = "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"
SSTP_CONTENT_LENGTH = "18446744073709551615"
HEAD_LIMIT = 65536


@record
class HttpAnswer:
    """The start of an HTTP response: status line, headers, and the body read so far."""

    status_line: str
    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


@record
class TlsConnection:
    """A completed TLS handshake, and what it showed about the certificate."""

    sock: Stream
    verified: bool
    version: str | None
    cipher: str | None
    certificate_problem: str | None = None

    def summary(self) -> str:
        text = f"{self.version or 'TLS'} ({self.cipher or 'unknown cipher'})"
        if self.verified:
            return f"{text}, certificate verified"
        return f"{text}, certificate not verified: {self.certificate_problem}"


def sstp_request(host: str, correlation_id: str | None = None) -> str:
    """The SSTP_DUPLEX_POST request a Windows SSTP client opens with."""
    correlation_id = correlation_id or "{" + str(uuid.uuid4()).upper() + "}"
    return (f"SSTP_DUPLEX_POST {SSTP_PATH} HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            f"SSTPCORRELATIONID: {correlation_id}\r\n"
            f"Content-Length: {SSTP_CONTENT_LENGTH}\r\n\r\n")


def anyconnect_request(host: str) -> str:
    """The first request of an AnyConnect/OpenConnect client (aggregate auth, init)."""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<config-auth client="vpn" type="init" aggregate-auth-version="2">'
            '<version who="vpn">smtpdiag</version><device-id>linux-64</device-id>'
            f'<group-access>https://{host}/</group-access></config-auth>')
    return ("POST / HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            "User-Agent: AnyConnect Linux_64 4.10.07061\r\n"
            "X-Transcend-Version: 1\r\n"
            "X-Aggregate-Auth: 1\r\n"
            "Accept: */*\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body.encode())}\r\n"
            "Connection: close\r\n\r\n" + body)


def parse_http_answer(data: bytes) -> HttpAnswer | None:
    """The HTTP response at the start of *data*, or None if it is not HTTP."""
    if not data.startswith(b"HTTP/"):
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    headers = tuple((k.strip(), v.strip()) for k, sep, v in
                    (line.partition(":") for line in lines[1:]) if sep)
    return HttpAnswer(lines[0], status, headers, body)


def http_message_complete(data: bytes) -> bool:
    """Has *data* a whole response head, and the body its Content-Length announces?

    SSTP's own answer announces a huge length and never sends a body, so a
    length over :data:`HEAD_LIMIT` counts as complete once the head is there.
    """
    if b"\r\n\r\n" not in data:
        return False
    answer = parse_http_answer(data)
    if answer is None:
        return True
    lengths = answer.header("Content-Length")
    if lengths and lengths[0].isdigit() and int(lengths[0]) <= HEAD_LIMIT:
        return len(answer.body) >= int(lengths[0])
    if any("chunked" in v.lower() for v in answer.header("Transfer-Encoding")):
        return answer.body.endswith(b"0\r\n\r\n")
    return True


def is_sstp_answer(answer: HttpAnswer) -> bool:
    """An SSTP server accepts SSTP_DUPLEX_POST with ``HTTP/1.1 200``."""
    return answer.status_line.startswith("HTTP/1.1 200")


def anyconnect_markers(answer: HttpAnswer) -> list[str]:
    """What in *answer* is typical of an AnyConnect/OpenConnect server."""
    found = []
    for name, value in answer.headers:
        lower = name.lower()
        if lower.startswith("x-cstp-") or lower in ("x-transcend-version", "x-aggregate-auth"):
            found.append(f"header {name}")
        elif lower == "set-cookie" and value.lower().startswith("webvpn"):
            found.append(f"cookie {value.split('=', 1)[0]}")
    if b"<config-auth" in answer.body:
        found.append("config-auth XML")
    return found


def verifying_context(net: Network) -> ssl.SSLContext:
    """The operating system's trust store (as for mail), plus any CA the network brings
    (the demo's own CA)."""
    from ..tls import make_context

    return make_context(None, net.extra_ca_pem())


def open_tls(net: Network, address: str, port: int, timeout: float, session: ProbeSession,
             server_name: str | None, context: ssl.SSLContext,
             record_step: bool = True) -> Stream | ProbeOutcome:
    """A TLS connection made with *context*, or the outcome that ends the probe.

    :class:`~smtpdiag.net.CertificateRejected` is left to the caller.
    """
    stream = connect_tcp(net, address, port, timeout, session, record_step)
    if isinstance(stream, ProbeOutcome):
        return stream
    session.note(f"TLS handshake (server name {server_name or address})")
    try:
        stream.start_tls(context, server_name or address, session.until(timeout))
    except CertificateRejected:
        stream.close()
        raise
    except ProbeError as exc:
        stream.close()
        if exc.failure == "cancelled":
            raise Cancelled() from None
        return ProbeOutcome(vpn_failure(exc.failure), _handshake_words(exc, timeout))
    return stream


def _handshake_words(exc: ProbeError, timeout: float) -> str:
    """What a failed handshake means for an SSL VPN, by the transport's failure word."""
    if exc.failure == "timeout":
        return f"the TLS handshake got no answer within {timeout:g} s"
    if exc.failure in ("reset", "eof"):
        return ("the connection was cut during the TLS handshake (often the sign of a "
                "firewall that inspects traffic): " + exc.detail)
    return f"the TLS handshake failed, so no SSL VPN can work here: {exc.detail}"


def establish_tls(net: Network, address: str, port: int, timeout: float,
                  session: ProbeSession, server_name: str | None, verify: bool = True,
                  record_step: bool = True) -> TlsConnection | ProbeOutcome:
    """TLS to the server: verified if possible, else unverified with the reason kept.

    With *verify* false (the certificate already failed once) the unverified
    context is used at once.  *record_step*: see :func:`~.session.connect_tcp`.
    """
    problem = "not trusted (see above)"
    if verify:
        try:
            tls_sock = open_tls(net, address, port, timeout, session, server_name,
                                verifying_context(net), record_step)
        except CertificateRejected as exc:
            problem = exc.verify_message
            session.note(f"certificate not trusted ({problem}); connecting again without "
                         "verification, only to see whether the server speaks SSTP")
            record_step = False
        else:
            if isinstance(tls_sock, ProbeOutcome):
                return tls_sock
            return _connection(tls_sock, verified=True, problem=None)
    tls_sock = open_tls(net, address, port, timeout, session, server_name,
                        look_only_context(), record_step)
    if isinstance(tls_sock, ProbeOutcome):
        return tls_sock
    return _connection(tls_sock, verified=False, problem=problem)


def _connection(stream: Stream, verified: bool, problem: str | None) -> TlsConnection:
    return TlsConnection(stream, verified, stream.tls_version(), stream.cipher_name(), problem)


def ask(connection: TlsConnection, request: str, timeout: float,
        session: ProbeSession) -> HttpAnswer | str:
    """Send an HTTP *request* over *connection*; the answer, or why there is none."""
    sock = connection.sock
    session.sent_text(request, tls=True)
    try:
        session.send_stream(sock, request.encode("latin-1"), timeout)
        received = session.receive_stream(sock, timeout, http_message_complete, HEAD_LIMIT)
    except ProbeError as exc:  # cancelled is raised as Cancelled by the session
        return f"the connection was cut: {exc.detail}"
    if received.data:
        session.received_text(received.data.decode("latin-1"), tls=True)
    answer = parse_http_answer(received.data)
    if answer is not None:
        return answer
    if received.data:
        return "the answer is not HTTP"
    if received.closed:
        return "the server closed the connection without an answer"
    return f"no answer within {timeout:g} s"


def probe_sstp(net: Network, address: str, port: int, timeout: float, session: ProbeSession,
               server_name: str | None = None) -> ProbeOutcome:
    host = server_name or (f"[{address}]" if family_of(address) == "ipv6" else address)
    connection = establish_tls(net, address, port, timeout, session, server_name)
    if isinstance(connection, ProbeOutcome):
        return connection
    tls_text = connection.summary()
    session.note(f"TLS established: {tls_text}")
    with connection.sock:
        session.note("asking for SSTP (SSTP_DUPLEX_POST)")
        sstp = ask(connection, sstp_request(host), timeout, session)
    if isinstance(sstp, HttpAnswer) and is_sstp_answer(sstp):
        return ProbeOutcome(None, f"an SSTP server answered ({sstp.status_line}); {tls_text}")
    session.note(f"not SSTP: {_what(sstp)}; asking as an AnyConnect/OpenConnect client")
    again = establish_tls(net, address, port, timeout, session, server_name,
                          verify=connection.verified, record_step=False)
    if isinstance(again, ProbeOutcome):
        anyconnect: HttpAnswer | str = again.detail
    else:
        with again.sock:
            anyconnect = ask(again, anyconnect_request(host), timeout, session)
    if isinstance(anyconnect, HttpAnswer) and (markers := anyconnect_markers(anyconnect)):
        return ProbeOutcome(None, "an AnyConnect/OpenConnect-compatible SSL VPN server "
                                  f"answered ({anyconnect.status_line}; "
                                  f"{', '.join(markers)}); {tls_text}")
    answers = [a for a in (sstp, anyconnect) if isinstance(a, HttpAnswer)]
    if answers:
        return ProbeOutcome(None, "a TLS web server answered on this port "
                                  f"({answers[0].status_line}), but it is neither SSTP nor "
                                  f"AnyConnect/OpenConnect: not a known SSL VPN; {tls_text}")
    return ProbeOutcome("no_answer", f"TLS works ({tls_text}), but no SSL VPN answered: "
                                     f"{_what(sstp)}")


def _what(answer: HttpAnswer | str) -> str:
    return f"the answer was {answer.status_line!r}" if isinstance(answer, HttpAnswer) else answer

