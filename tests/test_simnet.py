"""The simulated network, observed from outside through real sockets.

Every server kind and every proxy fault is looked at with plain Python
(socket, ssl, smtplib) and short timeouts, as a mail program would see it.
Everything listens on loopback, on ports the kernel picks (parallel-safe).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Self

import pytest
from cryptography import x509
from scenario_expectations import EXPECTED

from smtpdiag.net import ProbeError, connect_budget
from smtpdiag.simnet import certs, raw
from smtpdiag.simnet.certs import CertKind
from smtpdiag.simnet.network import SimNetwork
from smtpdiag.simnet.proxy import (
    MAX_LINE,
    ReplyAssembler,
    mask_extension,
    mask_text,
    strip_extension,
    tls_refusal,
)
from smtpdiag.simnet.rules import PASS, ProxyRule
from smtpdiag.simnet.scenarios import (
    ADDRESSES,
    CONTROLS,
    DEMO_PASSWORD,
    DEMO_USER,
    SCENARIOS,
    TARGET,
)
from smtpdiag.simnet.servers import (
    SimServers,
    auth_before_tls_server,
    drip_greeting_server,
    endless_greeting_server,
    greeting_rejected_server,
    http_server,
    implicit_tls_server,
    login_server,
    no_starttls_server,
    random_bytes_server,
    silent_server,
    starttls_refused_server,
    starttls_server,
    tls_alert_server,
    tls_close_server,
)
from smtpdiag.simnet.sockets import Endpoint, ipv6_mode
from smtpdiag.simnet.world import start_scenario

NAMES = ("mail.example.net",)
NAME = NAMES[0]
TIMEOUT = 2.0


# -- a tiny SMTP client over a real socket -------------------------------------------


class Client:
    """Just enough SMTP to look at what a simulated server or proxy sends."""

    def __init__(self, endpoint: Endpoint, timeout: float = TIMEOUT,
                 tls: ssl.SSLContext | None = None) -> None:
        family = socket.AF_INET6 if ":" in endpoint.host else socket.AF_INET
        self.sock: socket.socket = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(endpoint.sockaddr)
            if tls is not None:
                self.sock = tls.wrap_socket(self.sock, server_hostname=NAME)
        except BaseException:
            self.sock.close()
            raise
        self.buffer = b""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    @property
    def tls(self) -> ssl.SSLSocket:
        assert isinstance(self.sock, ssl.SSLSocket)
        return self.sock

    def line(self) -> bytes:
        while b"\n" not in self.buffer:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError(self.buffer)
            self.buffer += data
            assert len(self.buffer) < 100_000
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r")

    def reply(self) -> list[bytes]:
        lines = [self.line()]
        while lines[-1][3:4] == b"-":
            lines.append(self.line())
        return lines

    def command(self, text: str) -> list[bytes]:
        self.sock.sendall(text.encode("ascii") + b"\r\n")
        return self.reply()

    def ehlo(self) -> list[bytes]:
        return self.command("EHLO client.invalid")

    def starttls(self, context: ssl.SSLContext | None = None) -> None:
        assert self.command("STARTTLS")[0].startswith(b"220")
        self.sock = (context or certs.client_context()).wrap_socket(self.sock, server_hostname=NAME)


def keywords(reply: list[bytes]) -> list[str]:
    return [line[4:].decode().split(" ")[0] for line in reply[1:]]


def issuer_of(sock: ssl.SSLSocket) -> str:
    der = sock.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).issuer.rfc4514_string()


def unverified() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def handshake(endpoint: Endpoint, context: ssl.SSLContext, timeout: float = TIMEOUT) -> str:
    """Connect, handshake, return the TLS version (raises what the handshake raises)."""
    with (socket.create_connection(endpoint.sockaddr, timeout=timeout) as sock,
          context.wrap_socket(sock, server_hostname=NAME) as tls):
        return str(tls.version())


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "smtpdiag-simnet"]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def world() -> Iterator[SimServers]:
    servers = SimServers()
    yield servers
    errors = servers.errors
    servers.close()
    assert not servers.runtime.alive
    assert errors == []


# -- SMTP servers ---------------------------------------------------------------------


def test_starttls_server_offers_extensions_then_auth_after_tls(world: SimServers) -> None:
    with Client(world.start(starttls_server(NAMES))) as c:
        assert c.reply() == [b"220 mail.example.net ESMTP smtpdiag simulated server"]
        plain = c.ehlo()
        assert plain[0] == b"250-mail.example.net"
        assert keywords(plain) == ["PIPELINING", "SIZE", "8BITMIME", "STARTTLS", "HELP"]
        c.starttls()
        assert c.tls.version() == "TLSv1.3"
        encrypted = keywords(c.ehlo())
        assert "STARTTLS" not in encrypted
        assert "AUTH" in encrypted
        assert b"AUTH CRAM-MD5 LOGIN PLAIN" in b"\n".join(c.command("EHLO again.invalid"))


def test_implicit_tls_server_speaks_tls_first(world: SimServers) -> None:
    endpoint = world.start(implicit_tls_server(NAMES))
    with Client(endpoint, tls=certs.client_context()) as c:
        assert issuer_of(c.tls).endswith("O=smtpdiag simulated CA")
        assert c.reply()[0].startswith(b"220 mail.example.net")
        assert "AUTH" in keywords(c.ehlo()) and "STARTTLS" not in keywords(c.ehlo())
    with pytest.raises(socket.timeout), Client(endpoint, timeout=0.3) as c:
        c.reply()  # a plain-text client hears nothing: the server waits for a ClientHello


@pytest.mark.parametrize(("kind", "verify_code"), [
    ("expired", 10), ("not_yet_valid", 9), ("wrong_name", 62), ("self_signed", 18),
    ("untrusted", 20),
])
def test_certificate_variants_fail_verification_as_expected(world: SimServers, kind: CertKind,
                                                            verify_code: int) -> None:
    endpoint = world.start(implicit_tls_server(NAMES, certificate=kind))
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        handshake(endpoint, certs.client_context())
    assert caught.value.verify_code == verify_code
    assert handshake(endpoint, unverified()) == "TLSv1.3"


def test_good_certificate_verifies_on_both_tls_modes(world: SimServers) -> None:
    assert handshake(world.start(implicit_tls_server(NAMES)), certs.client_context()) == "TLSv1.3"
    with Client(world.start(starttls_server(NAMES))) as c:
        c.reply()
        c.ehlo()
        c.starttls()


def test_outdated_tls_server_sends_protocol_version_alert(world: SimServers) -> None:
    implicit = world.start(implicit_tls_server(NAMES, outdated_tls=True))
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
        handshake(implicit, certs.client_context())
    assert handshake(implicit, certs.client_context(legacy=True)) in ("TLSv1", "TLSv1.1")

    with Client(world.start(starttls_server(NAMES, outdated_tls=True))) as c:
        c.reply()
        c.ehlo()
        with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):
            c.starttls()
    with Client(world.start(starttls_server(NAMES, outdated_tls=True))) as c:
        c.reply()
        c.ehlo()
        c.starttls(certs.client_context(legacy=True))
        assert c.tls.version() in ("TLSv1", "TLSv1.1")


def test_no_starttls_server(world: SimServers) -> None:
    with Client(world.start(no_starttls_server(NAMES))) as c:
        c.reply()
        offered = keywords(c.ehlo())
        assert "STARTTLS" not in offered and "AUTH" not in offered
        assert c.command("STARTTLS")[0].startswith(b"454")


def test_starttls_refused_server_answers_454(world: SimServers) -> None:
    with Client(world.start(starttls_refused_server(NAMES))) as c:
        c.reply()
        assert "STARTTLS" in keywords(c.ehlo())
        assert c.command("STARTTLS")[0].startswith(b"454 4.7.0")
        assert c.command("NOOP") == [b"250 OK"]  # still talking, in plain text


@pytest.mark.parametrize("implicit", [False, True])
def test_greeting_rejected_server(world: SimServers, implicit: bool) -> None:
    endpoint = world.start(greeting_rejected_server(NAMES, implicit_tls=implicit))
    with Client(endpoint, tls=certs.client_context() if implicit else None) as c:
        assert c.reply()[0].startswith(b"554 ")
        assert c.ehlo()[0].startswith(b"503")
        assert c.command("QUIT")[0].startswith(b"221")


def test_auth_before_tls_server_offers_plain_login_in_plain_text(world: SimServers) -> None:
    with Client(world.start(auth_before_tls_server(NAMES))) as c:
        c.reply()
        ehlo = c.ehlo()
        assert b"250-AUTH LOGIN PLAIN" in ehlo and "STARTTLS" in keywords(ehlo)
        secret = base64.b64encode(b"\0someone\0something").decode()
        assert c.command(f"AUTH PLAIN {secret}")[0].startswith(b"535")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_login_server_knows_its_user(world: SimServers, mechanism: str) -> None:
    endpoint = world.start(login_server(NAMES, "implicit", users=(("alice", "s3cret"),)))
    ctx = certs.client_context()
    ctx.check_hostname = False  # smtplib sends the connect address as server name
    method = {"PLAIN": "auth_plain", "LOGIN": "auth_login", "CRAM-MD5": "auth_cram_md5"}[mechanism]
    for password, code in (("s3cret", 235), ("wrong", 535)):
        with smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=TIMEOUT, context=ctx) as smtp:
            smtp.ehlo("client.invalid")
            smtp.user, smtp.password = "alice", password
            try:
                result = smtp.auth(mechanism, getattr(smtp, method))[0]
            except smtplib.SMTPAuthenticationError as exc:
                result = exc.smtp_code
            assert result == code


def test_login_server_refuses_auth_before_tls(world: SimServers) -> None:
    with Client(world.start(login_server(NAMES, "starttls", users=(("a", "b"),)))) as c:
        c.reply()
        assert "AUTH" not in keywords(c.ehlo())
        assert c.command("AUTH PLAIN AGEAYg==")[0].startswith(b"538")


def test_data_is_never_accepted(world: SimServers) -> None:
    with Client(world.start(starttls_server(NAMES))) as c:
        c.reply()
        c.ehlo()
        assert c.command("MAIL FROM:<a@example.net>")[0].startswith(b"250")
        assert c.command("RCPT TO:<b@example.net>")[0].startswith(b"250")
        assert c.command("DATA")[0].startswith(b"554")


# -- hostile peers -----------------------------------------------------------------------


def test_silent_server_says_nothing(world: SimServers) -> None:
    with Client(world.start(silent_server()), timeout=0.3) as c, pytest.raises(socket.timeout):
        c.reply()
    with Client(world.start(silent_server(implicit_tls=True)), timeout=0.3,
                tls=certs.client_context()) as c, pytest.raises(socket.timeout):
        c.reply()  # the handshake works, the greeting never comes


def test_endless_greeting_has_no_line_end_and_bounded_server_memory(world: SimServers) -> None:
    with Client(world.start(endless_greeting_server())) as c:
        received = b""
        while len(received) < 1_000_000:
            received += c.sock.recv(65536)
        assert received.startswith(b"220 aaaa") and set(received[4:]) == {ord("a")}
        time.sleep(0.3)  # stop reading: the server must stop writing

        async def largest_write_buffer() -> int:
            return max(t.get_write_buffer_size() for t in world.runtime.transports()
                       if isinstance(t, asyncio.WriteTransport))

        assert world.runtime.call(largest_write_buffer()) <= 256 * 1024


def test_drip_greeting_arrives_byte_by_byte(world: SimServers) -> None:
    with Client(world.start(drip_greeting_server(NAMES, interval=0.02))) as c:
        started = time.monotonic()
        first = c.sock.recv(100)
        assert first == b"2"
        assert c.reply() == [b"20 mail.example.net ESMTP"]
        assert time.monotonic() - started >= 0.02 * 25


def test_random_bytes_are_not_smtp(world: SimServers) -> None:
    with Client(world.start(random_bytes_server())) as c:
        line = c.line()
        assert len(line) == 200 and not line[:3].isdigit() and line[0] not in (0x15, 0x16)
        assert c.command("EHLO x") == [line]  # more garbage for every line


def test_http_servers(world: SimServers) -> None:
    with Client(world.start(http_server("connect"))) as c:
        assert c.line() == b"HTTP/1.1 302 Found"
        assert c.line() == f"Location: {raw.PORTAL_URL}".encode()
    with Client(world.start(http_server("data")), timeout=0.3) as c:
        with pytest.raises(socket.timeout):
            c.line()
        assert c.command("EHLO x") == [b"HTTP/1.1 400 Bad Request"]


def test_tls_alert_server(world: SimServers) -> None:
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE"):
        handshake(world.start(tls_alert_server()), certs.client_context())


def test_tls_close_server_ends_mid_handshake(world: SimServers) -> None:
    with pytest.raises((ssl.SSLEOFError, ConnectionResetError)):
        handshake(world.start(tls_close_server()), certs.client_context())


# -- the fault proxy ------------------------------------------------------------------------


def proxied(world: SimServers, *faults: str, mode: str = "starttls",
            product: str = "avast") -> Endpoint:
    server = implicit_tls_server(NAMES) if mode == "implicit" else starttls_server(NAMES)
    return world.start_proxy(ProxyRule.of(*faults, product=product), world.start(server),
                             names=NAMES, mode=mode)


def test_pass_through_proxy_is_transparent(world: SimServers) -> None:
    upstream = world.start(starttls_server(NAMES))
    front = world.start_proxy(ProxyRule.of("reset_after_greeting", "mask_banner"), upstream,
                              names=NAMES)
    assert world.start_proxy(PASS, upstream) == upstream  # no proxy needed at all
    assert front != upstream
    with Client(upstream) as direct, Client(proxied(world, "strip_starttls")) as via:
        assert direct.reply() == via.reply()
        assert direct.command("NOOP") == via.command("NOOP")


def test_drop_times_out_quickly(world: SimServers) -> None:
    """A dropped port gets no answer through the simulated network, on every system
    (Windows answers SYNs to a full backlog with a reset, so no kernel trick is used)."""
    front = proxied(world, "drop")
    assert front.drops
    net = SimNetwork({"ipv4": world.closed_port("ipv4")})
    net.add_route("192.0.2.25", 25, front)
    started = time.monotonic()
    with pytest.raises(ProbeError) as caught:
        net.open_tcp("192.0.2.25", 25, 0.5)
    assert caught.value.failure == "timeout"
    budget = connect_budget(0.5)  # on Windows at least 2.5 s, as a real connect there
    assert budget - 0.05 < time.monotonic() - started < budget + 0.5
    # cancelling is noticed at once
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(ProbeError) as caught:
        net.open_tcp("192.0.2.25", 25, 5.0, cancel)
    assert caught.value.failure == "cancelled" and time.monotonic() - started < 0.5


def test_refuse_is_a_real_refusal(world: SimServers) -> None:
    with pytest.raises(ConnectionRefusedError):
        Client(proxied(world, "refuse"))


def test_reset_on_connect(world: SimServers) -> None:
    # The RST may even beat connect() back to the client: both are a reset.
    with pytest.raises(ConnectionResetError), Client(proxied(world, "reset_on_connect")) as c:
        c.reply()


def test_reset_after_greeting(world: SimServers) -> None:
    with Client(proxied(world, "reset_after_greeting")) as c:
        assert c.reply()[0].startswith(b"220 mail.example.net")
        with pytest.raises(ConnectionResetError):
            c.ehlo()


def test_reset_on_clienthello_implicit_resets_at_once(world: SimServers) -> None:
    with pytest.raises(ConnectionResetError):
        handshake(proxied(world, "reset_on_clienthello", mode="implicit"), certs.client_context())


def test_reset_on_clienthello_starttls_resets_after_starttls(world: SimServers) -> None:
    with Client(proxied(world, "reset_on_clienthello")) as c:
        c.reply()
        assert "STARTTLS" in keywords(c.ehlo())
        with pytest.raises(ConnectionResetError):
            c.starttls()


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_stall_on_clienthello_is_a_tls_timeout(world: SimServers, mode: str) -> None:
    front = proxied(world, "stall_on_clienthello", mode=mode)
    with Client(front, timeout=0.5) as c:
        if mode == "starttls":
            c.reply()
            c.ehlo()
        started = time.monotonic()
        with pytest.raises((socket.timeout, TimeoutError)):
            c.starttls() if mode == "starttls" else certs.client_context().wrap_socket(
                c.sock, server_hostname=NAME)
        assert time.monotonic() - started < 1.0


def test_strip_starttls_removes_the_line_but_starttls_still_works(world: SimServers) -> None:
    with Client(proxied(world, "strip_starttls")) as c:
        c.reply()
        ehlo = c.ehlo()
        assert "STARTTLS" not in keywords(ehlo)
        assert ehlo[-1] == b"250 HELP" and all(line[3:4] == b"-" for line in ehlo[:-1])
        c.starttls()  # not advertised, yet accepted: the sign of stripping
        assert "AUTH" in keywords(c.ehlo())


def test_mask_starttls_like_cisco(world: SimServers) -> None:
    with Client(proxied(world, "mask_starttls")) as c:
        c.reply()
        assert "XXXXXXXA" in keywords(c.ehlo())
        assert c.command("STARTTLS")[0].startswith(b"500")


def test_mask_banner_keeps_length_and_the_rest_working(world: SimServers) -> None:
    with Client(world.start(starttls_server(NAMES))) as direct:
        original = direct.reply()[0]
    with Client(proxied(world, "mask_banner")) as c:
        masked = c.reply()[0]
        assert masked == b"220 " + b"*" * (len(original) - 4)
        assert "STARTTLS" in keywords(c.ehlo())
        c.starttls()


def test_captive_portal_and_silent_faults(world: SimServers) -> None:
    with Client(proxied(world, "captive_portal")) as c:
        assert c.line().startswith(b"HTTP/1.1 302")
    with Client(proxied(world, "silent"), timeout=0.3) as c, pytest.raises(socket.timeout):
        c.reply()


@pytest.mark.parametrize(("product", "issuer_part"), [
    ("avast", "CN=avast! Mail Shield Root"), ("fortigate", "CN=FortiGate CA"),
])
def test_intercept_tls_implicit(world: SimServers, product: str, issuer_part: str) -> None:
    front = proxied(world, "intercept_tls", mode="implicit", product=product)
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        handshake(front, certs.client_context())
    assert caught.value.verify_code == 20  # the product's root is not trusted
    trusting = ssl.create_default_context(cadata=certs.interception_ca(product).cert_pem.bytes().decode())
    with Client(front, tls=trusting) as c:
        assert issuer_part in issuer_of(c.tls)
        assert c.reply()[0].startswith(b"220 mail.example.net")  # from the real server
        assert "AUTH" in keywords(c.ehlo())


def test_intercept_tls_after_starttls(world: SimServers) -> None:
    front = proxied(world, "intercept_tls", product="avast")
    with Client(front) as c:
        assert c.reply()[0].startswith(b"220 mail.example.net")
        c.ehlo()
        c.starttls(unverified())
        assert "O=avast! Web/Mail Shield" in issuer_of(c.tls)
        # The server now sees TLS too (it offers AUTH): the proxy re-encrypted.
        assert "AUTH" in keywords(c.ehlo())


def test_faults_without_a_server_pass_the_refusal_on(world: SimServers) -> None:
    for faults in (("strip_starttls",), ("intercept_tls",), ()):
        front = world.start_proxy(ProxyRule.of(*faults), None, names=NAMES)
        with pytest.raises(ConnectionRefusedError):
            Client(front)


def test_proxy_rule_validation() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        ProxyRule.of("teleport")
    with pytest.raises(ValueError, match="cannot be combined"):
        ProxyRule.of("drop", "mask_banner")
    with pytest.raises(ValueError, match="at most one"):
        ProxyRule.of("intercept_tls", "reset_on_clienthello")
    with pytest.raises(ValueError, match="product"):
        ProxyRule.of("intercept_tls", product="nobody")
    assert ProxyRule.of("pass").passthrough
    assert str(ProxyRule.of("mask_starttls", "mask_banner")) == "mask_banner+mask_starttls"


# -- pure pieces of the proxy ----------------------------------------------------------------


def test_reply_surgery() -> None:
    ehlo = [b"250-mail.example.net\r\n", b"250-PIPELINING\r\n", b"250 STARTTLS\r\n"]
    assert strip_extension(ehlo, b"STARTTLS") == [b"250-mail.example.net\r\n", b"250 PIPELINING\r\n"]
    assert strip_extension(ehlo[:2], b"STARTTLS") == ehlo[:2]
    assert mask_extension(b"250-STARTTLS\r\n") == b"250-XXXXXXXA\r\n"
    assert mask_extension(b"250 STARTTLS\r\n") == b"250 XXXXXXXA\r\n"
    assert mask_extension(b"250-SIZE 100\r\n") == b"250-SIZE 100\r\n"
    assert mask_text(b"220 mx ESMTP\r\n") == b"220 ********\r\n"


def test_reply_assembler_is_bounded() -> None:
    replies = ReplyAssembler()
    assert replies.feed(b"250-a\r\n250-b\r\n") == []
    assert replies.feed(b"250 c\r\n") == [([b"250-a\r\n", b"250-b\r\n", b"250 c\r\n"], True)]
    fed = passed = 0
    for _ in range(100):  # a 400 KB line is passed on as it comes, never held
        fed += 4000
        out = replies.feed(b"x" * 4000)
        assert all(not complete for _, complete in out)
        passed += sum(len(b"".join(lines)) for lines, _ in out)
        assert fed - passed <= MAX_LINE
    assert replies.feed(b"end\r\n220 ok\r\n") == [([b"end\r\n"], False), ([b"220 ok\r\n"], True)]


def test_tls_refusal_is_the_servers_own_alert() -> None:
    server = certs.server_context(certs.server_cert("good", NAMES), outdated=True)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = certs.client_context().wrap_bio(incoming, outgoing, server_hostname=NAME)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    assert tls_refusal(server, outgoing.read()) == bytes.fromhex("15030300020246")
    assert tls_refusal(certs.server_context(certs.server_cert("good", NAMES)), b"\x16\x03\x01") == b""


# -- SimNetwork -------------------------------------------------------------------------------


@pytest.fixture
def network(world: SimServers) -> SimNetwork:
    net = SimNetwork({"ipv4": world.closed_port("ipv4")}, certs.simulated_ca_pem())
    net.add_host("mail.example.net", "192.0.2.10", "2001:DB8::10")
    net.add_host("broken.example.net", "192.0.2.11")
    net.break_name("broken.example.net")
    net.add_route("192.0.2.10", 25, world.start(starttls_server(NAMES)))
    return net


def test_sim_network_resolves_only_its_own_names(network: SimNetwork) -> None:
    assert network.resolve("Mail.Example.NET.", "ipv4", 1.0) == ["192.0.2.10"]
    assert network.resolve("mail.example.net", "ipv6", 1.0) == ["2001:db8::10"]
    with pytest.raises(ProbeError) as caught:
        network.resolve("mail.example.org", "ipv4", 1.0)
    assert caught.value.failure == "nxdomain"
    with pytest.raises(ProbeError) as caught:
        network.resolve("broken.example.net", "ipv4", 1.0)
    assert caught.value.failure == "dns_error"
    assert network.resolve("192.0.2.99", "ipv4", 1.0) == ["192.0.2.99"]
    assert network.resolve("[2001:db8::1]", "ipv6", 1.0) == ["2001:db8::1"]
    with pytest.raises(ProbeError):
        network.resolve("192.0.2.99", "ipv6", 1.0)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ProbeError) as caught:
        network.resolve("mail.example.net", "ipv4", 1.0, cancel)
    assert caught.value.failure == "cancelled"


def test_sim_network_only_knows_documentation_addresses(network: SimNetwork) -> None:
    for address in ("8.8.8.8", "127.0.0.1", "2a00::1"):
        with pytest.raises(ValueError):
            network.add_host("real.example", address)
        with pytest.raises(ValueError):
            network.add_route(address, 25, Endpoint("127.0.0.1", 1))


def test_sim_network_routes_and_refuses_the_rest(network: SimNetwork) -> None:
    with network.open_tcp("192.0.2.10", 25, TIMEOUT) as sock:
        assert sock.recv(100).startswith(b"220 mail.example.net")
    for address, port in (("192.0.2.10", 587), ("198.51.100.1", 25), ("192.0.2.10", 2525)):
        host, real_port = network.sockaddr(address, port)
        assert host == "127.0.0.1" and real_port > 0  # never the documentation address
        with pytest.raises(ProbeError) as caught:
            network.open_tcp(address, port, TIMEOUT)
        assert caught.value.failure == "refused"


def test_sim_network_udp_routes(network: SimNetwork) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as responder:
        responder.bind(("127.0.0.1", 0))
        responder.settimeout(TIMEOUT)
        network.add_route("192.0.2.10", 500, Endpoint(*responder.getsockname()), protocol="udp")
        with network.open_udp("192.0.2.10", 500) as sock:
            sock.send(b"hello")
            data, peer = responder.recvfrom(100)
            assert data == b"hello"
            responder.sendto(b"back", peer)
            assert sock.recv(100) == b"back"
    with network.open_udp("192.0.2.10", 4500) as sock:  # unmapped: port unreachable
        sock.settimeout(TIMEOUT)
        sock.send(b"hello")
        with pytest.raises(ConnectionRefusedError):
            sock.recv(100)


def test_sim_network_trusts_only_the_simulated_ca(network: SimNetwork) -> None:
    pem = network.extra_ca_pem()
    assert pem == certs.simulated_ca().cert_pem.bytes().decode()
    for other in (certs.untrusted_ca(), certs.interception_ca("avast"), certs.interception_ca("fortigate")):
        assert other.cert_pem.bytes().decode() not in (pem or "")


@pytest.mark.skipif(ipv6_mode() != "native", reason="no ::1 on this computer")
def test_ipv6_loopback_listeners(world: SimServers) -> None:
    endpoint = world.start(starttls_server(NAMES), "ipv6")
    assert endpoint.host == "::1"
    with Client(endpoint) as c:
        assert c.reply()[0].startswith(b"220")
    with pytest.raises(ConnectionRefusedError):
        Client(world.closed_port("ipv6"))


def test_ipv6_fallback_through_v4_mapped_addresses() -> None:
    with SimServers(ipv6="mapped") as servers:
        endpoint = servers.start(starttls_server(NAMES), "ipv6")
        assert endpoint.host == "::ffff:127.0.0.1"
        with Client(endpoint) as c:
            assert c.reply()[0].startswith(b"220")


# -- scenarios --------------------------------------------------------------------------------


def test_listing_the_scenarios_loads_no_server_machinery() -> None:
    """The practice list (``smtpdiag demo --list``, the window) reads the catalogue only:
    the servers, the fault proxy and the certificates load when a world is built."""
    code = ("import sys; from smtpdiag import demo; assert len(demo.scenarios()) > 20; "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('asyncio', 'aiosmtpd', 'trustme', 'cryptography') or m in "
            "('smtpdiag.simnet.servers', 'smtpdiag.simnet.proxy', 'smtpdiag.simnet.certs'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_starts_and_stops_quickly_and_cleanly(name: str) -> None:
    fds, threads = open_fds(), len(loop_threads())
    started = time.monotonic()
    with start_scenario(name) as sim:
        config = sim.config(timeout=3.0)
        scenario = sim.scenario
        assert config.host == scenario.target and config.controls == CONTROLS
        assert {p.port for p in config.ports} == set(EXPECTED[name].ports)
        if scenario.dns == "ok":
            assert sim.network.resolve(config.host, "ipv4", 1.0)
        errors = sim.errors
    assert time.monotonic() - started < 1.0
    assert errors == []
    assert len(loop_threads()) == threads
    # Other tests in this process may still be closing abandoned sockets (a DNS
    # look-up given up on, say): give the count a moment to settle.
    deadline = time.monotonic() + 2.0
    while open_fds() > fds and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_fds() <= fds


def test_scenario_expectations_follow_the_overall_rule() -> None:
    rank = {"green": 0, "amber": 1, "red": 2}
    for name, scenario in SCENARIOS.items():
        assert scenario.title and scenario.description
        expected = EXPECTED[name]
        deciding = [e for port, e in expected.ports.items() if port != 25]
        if expected.overall.cause.startswith("auth_") and expected.overall.light == "red":
            # a refused login makes the overall red with its cause, whatever the ports
            assert expected.overall in deciding, name
            continue
        best = min(rank[e.light] for e in deciding)
        assert rank[expected.overall.light] == best, name
        if best < 2:
            assert any(e == expected.overall for e in deciding), name


def test_mobile_2012_hits_every_server_the_same_way() -> None:
    with start_scenario("mobile-2012") as sim:
        for host in (TARGET, *CONTROLS):
            with pytest.raises(ConnectionResetError):
                handshake(sim.endpoint(host, 465), certs.client_context())
            with Client(sim.endpoint(host, 587)) as c:
                c.reply()
                c.ehlo()
                with pytest.raises(ConnectionResetError):
                    c.starttls()
            assert sim.endpoint(host, 25).drops
            started = time.monotonic()
            with pytest.raises(ProbeError) as caught:
                sim.network.open_tcp(ADDRESSES[host][0], 25, 0.3)
            assert caught.value.failure == "timeout"
            assert time.monotonic() - started < connect_budget(0.3) + 0.7
        with pytest.raises(ConnectionRefusedError):
            Client(sim.endpoint(TARGET, 2525))
        with Client(sim.endpoint(CONTROLS[0], 2525)) as c:
            assert c.reply()[0].startswith(b"220 smtp.reference-one.test")


def test_network_rules_apply_to_reference_servers_too() -> None:
    with start_scenario("starttls-stripped") as sim:
        for host in (TARGET, *CONTROLS):
            with Client(sim.endpoint(host, 587)) as c:
                c.reply()
                assert "STARTTLS" not in keywords(c.ehlo())
        assert handshake(sim.endpoint(TARGET, 465), certs.client_context()) == "TLSv1.3"


def test_ipv6_broken_scenario_drops_only_ipv6() -> None:
    if ipv6_mode() == "none":
        pytest.skip("no IPv6 on this computer")
    with start_scenario("ipv6-broken") as sim:
        net = sim.network
        assert net.resolve(TARGET, "ipv6", 1.0) == ["2001:db8::10"]
        with pytest.raises(ProbeError) as caught:
            net.open_tcp("2001:db8::10", 587, 0.3)
        assert caught.value.failure == "timeout"
        with net.open_tcp("192.0.2.10", 587, TIMEOUT) as sock:
            assert sock.recv(100).startswith(b"220")
        with pytest.raises(ProbeError):
            net.resolve(CONTROLS[0], "ipv6", 1.0)


def test_dns_scenarios() -> None:
    with start_scenario("dns-not-found") as sim:
        with pytest.raises(ProbeError) as caught:
            sim.network.resolve(sim.config().host, "ipv4", 1.0)
        assert caught.value.failure == "nxdomain"
        assert sim.network.resolve(CONTROLS[0], "ipv4", 1.0) == ["198.51.100.20"]
    with start_scenario("dns-failure") as sim:
        for host in (TARGET, *CONTROLS):
            with pytest.raises(ProbeError) as caught:
                sim.network.resolve(host, "ipv4", 1.0)
            assert caught.value.failure == "dns_error"


def test_login_scenario_knows_the_demo_user() -> None:
    with start_scenario("login") as sim:
        config = sim.config()
        assert (config.user, config.password) == (DEMO_USER, DEMO_PASSWORD)
        assert sim.config(user=None, password=None).user is None
        assert DEMO_PASSWORD not in repr(config)
        with Client(sim.endpoint(TARGET, 587)) as c:
            c.reply()
            c.ehlo()
            c.starttls()
            c.ehlo()
            for password, code in ((DEMO_PASSWORD, b"235"), ("wrong", b"535")):
                secret = base64.b64encode(f"\0{DEMO_USER}\0{password}".encode()).decode()
                assert c.command(f"AUTH PLAIN {secret}")[0].startswith(code)
                if code == b"235":
                    break
        with Client(sim.endpoint(TARGET, 465), tls=certs.client_context()) as c:
            c.reply()
            c.ehlo()
            challenge = base64.b64decode(c.command("AUTH CRAM-MD5")[0][4:])
            digest = hmac.new(b"wrong", challenge, "md5").hexdigest()
            answer = base64.b64encode(f"{DEMO_USER} {digest}".encode()).decode()
            assert c.command(answer)[0].startswith(b"535")


def test_interception_scenarios_present_the_products_certificates() -> None:
    with start_scenario("firewall-intercept") as sim:
        for port in (25, 587):
            with Client(sim.endpoint(CONTROLS[1], port)) as c:
                c.reply()
                c.ehlo()
                c.starttls(unverified())
                assert "CN=FortiGate CA" in issuer_of(c.tls)
    with start_scenario("antivirus-intercept") as sim:
        with Client(sim.endpoint(TARGET, 465), tls=unverified()) as c:
            assert "avast!" in issuer_of(c.tls)
        with Client(sim.endpoint(TARGET, 25)) as c:
            c.reply()
            c.ehlo()
            c.starttls()  # port 25 is not scanned: the real certificate verifies


def test_cisco_scenario_masks_only_25_and_587() -> None:
    with start_scenario("cisco-masked") as sim:
        for port, masked in ((25, True), (587, True), (2525, False)):
            with Client(sim.endpoint(TARGET, port)) as c:
                assert c.reply()[0].startswith(b"220 ****") == masked
                assert ("XXXXXXXA" in keywords(c.ehlo())) == masked


def test_captive_portal_scenario_answers_every_port_with_http() -> None:
    with start_scenario("captive-portal") as sim:
        for port in (25, 465, 587, 2525):
            with Client(sim.endpoint(CONTROLS[0], port)) as c:
                assert c.line() == b"HTTP/1.1 302 Found"
