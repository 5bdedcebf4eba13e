"""Real SMTP servers and hostile peers on loopback, all on one event loop thread.

A server is described by a small frozen *spec* and started by :class:`SimServers`,
which owns the single background event loop (:mod:`.loop`) that runs every
server, raw peer and fault proxy of one simulated world::

    SimServers                      one loop thread; start(), start_proxy(), close()
    ├── SmtpServer spec             aiosmtpd: STARTTLS / implicit TLS / no TLS,
    │                               certificate variants, outdated TLS, 454 on
    │                               STARTTLS, AUTH before TLS, known logins
    ├── RawServer spec              a behaviour from :mod:`.raw` (silent, endless
    │                               greeting, drip, random bytes, HTTP, 554 greeting,
    │                               TLS alert, close mid-handshake), optionally
    │                               behind implicit TLS
    ├── closed_port(family)         a port that refuses (RST)
    ├── black_hole(family)          a port that drops SYNs (connect timeout)
    └── start_proxy(rule, ...)      a fault proxy (:mod:`.proxy`) in front of a server

The factories below (:func:`smtp_server`, :func:`starttls_server`,
:func:`implicit_tls_server`, ... :func:`tls_alert_server`) are the readable way
to write specs.

Healthy SMTP servers answer EHLO with PIPELINING, SIZE, 8BITMIME, STARTTLS and,
once TLS is on, ``AUTH CRAM-MD5 LOGIN PLAIN``.  They never accept mail: DATA is
refused (the diagnostic never sends any).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import logging
import os
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Self

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from . import raw
from .certs import CertKind, server_cert, server_context
from .loop import EventLoopThread
from .sockets import BlackHole, ClosedPort, Endpoint, Family, IPv6Mode, listening_socket

if TYPE_CHECKING:
    from .rules import ProxyRule

# aiosmtpd logs every unrecognised command at WARNING on "mail.log"; without a
# handler Python's last-resort handler would print that on the demo's stderr.
logging.getLogger("mail.log").addHandler(logging.NullHandler())

TlsMode = Literal["starttls", "implicit", "none"]
MECHANISMS = ("CRAM-MD5", "LOGIN", "PLAIN")
OAUTH_MECHANISMS = ("OAUTHBEARER", "XOAUTH2")  # offered only where a spec asks for them
IDLE_TIMEOUT = 60.0
TLS_HANDSHAKE_TIMEOUT = 10.0
SERVER_IDENT = "ESMTP smtpdiag simulated server"


@dataclass(frozen=True)
class SmtpServer:
    """A real SMTP server (aiosmtpd).  Build it with the factories below."""

    names: tuple[str, ...]
    tls: TlsMode = "starttls"
    certificate: CertKind = "good"
    outdated_tls: bool = False
    refuse_starttls: bool = False  # advertise STARTTLS, answer it with 454
    auth_before_tls: bool = False  # offer AUTH in the plain-text EHLO too
    users: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    mechanisms: tuple[str, ...] = MECHANISMS
    # Every login is refused with this reply (a provider's policy answer), whatever the password.
    login_reply: str | None = None

    def __post_init__(self) -> None:
        if not self.names:
            raise ValueError("a server needs at least one host name")
        if self.tls not in ("starttls", "implicit", "none"):
            raise ValueError(f"unknown TLS mode {self.tls!r}")
        if self.tls == "none" and (self.outdated_tls or self.refuse_starttls):
            raise ValueError("outdated_tls and refuse_starttls need TLS")
        unknown = set(self.mechanisms) - set(MECHANISMS) - set(OAUTH_MECHANISMS)
        if unknown:
            raise ValueError(f"unknown AUTH mechanism(s): {', '.join(sorted(unknown))}")

    @property
    def name(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class RawServer:
    """A peer that is not a working SMTP server: a behaviour from :mod:`.raw`."""

    behaviour: str
    names: tuple[str, ...] = ("mail.example.net",)
    implicit_tls: bool = False  # complete a TLS handshake first (465 semantics)
    certificate: CertKind = "good"
    interval: float = 1.0
    seed: int = 2012

    def __post_init__(self) -> None:
        if self.behaviour not in raw.BEHAVIOURS:
            raise ValueError(f"unknown raw behaviour {self.behaviour!r}")


ServerSpec = SmtpServer | RawServer


# -- factories ---------------------------------------------------------------


def starttls_server(names: tuple[str, ...], *, certificate: CertKind = "good",
                    outdated_tls: bool = False, users: tuple[tuple[str, str], ...] = (),
                    auth_before_tls: bool = False) -> SmtpServer:
    """A submission server with STARTTLS (port 25/587/2525 semantics)."""
    return SmtpServer(names, "starttls", certificate, outdated_tls, False, auth_before_tls,
                      users)


def implicit_tls_server(names: tuple[str, ...], *, certificate: CertKind = "good",
                        outdated_tls: bool = False,
                        users: tuple[tuple[str, str], ...] = ()) -> SmtpServer:
    """TLS from the first byte, then SMTP (port 465 semantics)."""
    return SmtpServer(names, "implicit", certificate, outdated_tls, users=users)


def smtp_server(names: tuple[str, ...], mode: str, **options: Any) -> SmtpServer:
    """A healthy server for a port *mode* (``starttls`` or ``implicit``), with options."""
    if mode == "implicit":
        return implicit_tls_server(names, **options)
    if mode == "starttls":
        return starttls_server(names, **options)
    raise ValueError(f"unknown port mode {mode!r}")


def no_starttls_server(names: tuple[str, ...]) -> SmtpServer:
    """A plain-text server that does not offer STARTTLS at all."""
    return SmtpServer(names, "none")


def starttls_refused_server(names: tuple[str, ...]) -> SmtpServer:
    """Advertises STARTTLS, answers the command with 454."""
    return SmtpServer(names, "starttls", refuse_starttls=True)


def auth_before_tls_server(names: tuple[str, ...]) -> SmtpServer:
    """Offers AUTH PLAIN LOGIN in the plain-text EHLO, before STARTTLS."""
    return SmtpServer(names, "starttls", auth_before_tls=True, mechanisms=("LOGIN", "PLAIN"))


def login_server(names: tuple[str, ...], mode: str,
                 users: tuple[tuple[str, str], ...]) -> SmtpServer:
    """A healthy server that knows the logins *users* ((name, password) pairs)."""
    return smtp_server(names, mode, users=users)


def login_policy_server(names: tuple[str, ...], mode: str, reply: str) -> SmtpServer:
    """A healthy server that answers every login with *reply* (e.g. Microsoft 365's
    ``535 5.7.139 ... SmtpClientAuthentication is disabled for the Tenant``)."""
    return dataclasses.replace(smtp_server(names, mode), login_reply=reply)


def oauth_only_server(names: tuple[str, ...], mode: str) -> SmtpServer:
    """A healthy server whose EHLO after TLS offers only ``AUTH OAUTHBEARER XOAUTH2``."""
    return dataclasses.replace(smtp_server(names, mode), mechanisms=OAUTH_MECHANISMS)


def greeting_rejected_server(names: tuple[str, ...], implicit_tls: bool = False) -> RawServer:
    """Greets with 554 (and answers 503 until QUIT)."""
    return RawServer("reject_greeting", names, implicit_tls)


def silent_server(names: tuple[str, ...] = ("mail.example.net",),
                  implicit_tls: bool = False) -> RawServer:
    """Accepts (after the TLS handshake if *implicit_tls*) and says nothing."""
    return RawServer("silent", names, implicit_tls)


def endless_greeting_server() -> RawServer:
    return RawServer("endless_greeting")


def drip_greeting_server(names: tuple[str, ...], interval: float = 1.0) -> RawServer:
    return RawServer("drip_greeting", names, interval=interval)


def random_bytes_server(seed: int = 2012) -> RawServer:
    return RawServer("random_bytes", seed=seed)


def http_server(on: Literal["connect", "data"] = "connect") -> RawServer:
    """A captive portal's redirect at connect, or an HTTP 400 once the client speaks."""
    return RawServer("http_redirect" if on == "connect" else "http_bad_request")


def tls_alert_server() -> RawServer:
    """Answers the ClientHello with a fatal handshake_failure alert (implicit port)."""
    return RawServer("tls_alert")


def tls_close_server() -> RawServer:
    """Reads the ClientHello and closes the connection (implicit port)."""
    return RawServer("tls_close")


# -- aiosmtpd glue -----------------------------------------------------------


class _Handler:
    """aiosmtpd handler: EHLO extras, logins and CRAM-MD5."""

    def __init__(self, users: tuple[tuple[str, str], ...], login_reply: str | None = None) -> None:
        self._users = {name.encode("utf-8"): pw.encode("utf-8") for name, pw in users}
        self._login_reply = login_reply

    async def handle_EHLO(self, server: SMTP, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        return [responses[0], "250-PIPELINING", *responses[1:]]

    async def handle_exception(self, error: Exception) -> str:
        return "421 4.3.0 Simulated server error"

    def authenticate(self, server: SMTP, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if self._login_reply:
            return AuthResult(success=False, handled=False, message=self._login_reply)
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        known = self._users.get(auth_data.login)
        ok = known is not None and hmac.compare_digest(known, auth_data.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    async def auth_CRAM__MD5(self, server: SMTP, args: list[str]) -> AuthResult:
        challenge = f"<{os.getpid()}.{time.time_ns()}@{server.hostname}>".encode("ascii")
        answer = await server.challenge_auth(challenge)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=True)  # 501 already sent
        login, _, digest = answer.rpartition(b" ")
        if self._login_reply:
            return AuthResult(success=False, handled=False, message=self._login_reply)
        password = self._users.get(login)
        if password is None:
            return AuthResult(success=False, handled=False)
        expected = hmac.new(password, challenge, "md5").hexdigest().encode("ascii")
        ok = hmac.compare_digest(expected, digest.lower())
        return AuthResult(success=ok, handled=False,
                          auth_data=LoginPassword(login, b"") if ok else None)


    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        return AuthResult(success=False, handled=False, message="535 5.7.8 The simulated network issues no OAuth2 tokens")

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        return AuthResult(success=False, handled=False, message="535 5.7.8 The simulated network issues no OAuth2 tokens")


class _SimSMTP(SMTP):
    """aiosmtpd's SMTP with connection tracking, an optional 454 for STARTTLS, no DATA."""

    def __init__(self, handler: _Handler, *, runtime: EventLoopThread,
                 refuse_starttls: bool, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._runtime = runtime
        self._refuse_starttls = refuse_starttls
        self._raw_transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._raw_transport is None:
            self._raw_transport = transport
            self._runtime.track(transport)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self._raw_transport is not None:
            self._runtime.untrack(self._raw_transport)
        super().connection_lost(error)

    async def smtp_DATA(self, arg: str) -> None:
        """No mail is ever accepted: refused before any content is sent."""
        await self.push("554 5.7.0 The simulated network delivers no mail")

    async def smtp_STARTTLS(self, arg: str) -> None:
        if self._refuse_starttls and not arg:
            await self.push("454 4.7.0 TLS not available due to temporary reason")
            return
        await super().smtp_STARTTLS(arg)


def _smtp_factory(spec: SmtpServer, runtime: EventLoopThread) -> tuple[Any, ssl.SSLContext | None]:
    """The protocol factory for *spec* and the context for implicit TLS (else None)."""
    context = None
    if spec.tls != "none":
        context = server_context(server_cert(spec.certificate, spec.names), spec.outdated_tls)
    handler = _Handler(spec.users, spec.login_reply)
    excluded = [m for m in (*MECHANISMS, *OAUTH_MECHANISMS) if m not in spec.mechanisms]
    implicit = spec.tls == "implicit"

    def factory() -> _SimSMTP:
        return _SimSMTP(
            handler,
            runtime=runtime,
            refuse_starttls=spec.refuse_starttls,
            hostname=spec.name,
            ident=SERVER_IDENT,
            tls_context=None if implicit else context,
            timeout=IDLE_TIMEOUT,
            # On an implicit-TLS port the whole connection is encrypted already.
            auth_require_tls=not (implicit or spec.auth_before_tls),
            auth_exclude_mechanism=excluded,
            authenticator=handler.authenticate,
            loop=runtime.loop,
        )

    return factory, context if implicit else None


def _raw_handler(spec: RawServer, runtime: EventLoopThread) -> Any:
    behaviour = raw.BEHAVIOURS[spec.behaviour]
    options = raw.RawOptions(name=spec.names[0], interval=spec.interval, seed=spec.seed)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = writer.transport
        runtime.track(transport)
        try:
            await behaviour(reader, writer, options)
        except (OSError, EOFError, asyncio.IncompleteReadError):
            pass  # the client went away: that is its right
        finally:
            runtime.untrack(transport)
            writer.close()

    return serve


# -- the world's servers ---------------------------------------------------------


class SimServers:
    """Owns the event loop thread and everything listening in one simulated world.

    Use as a context manager, or call :meth:`close`.  Every method may be called
    from any thread except the loop's own.
    """

    def __init__(self, ipv6: IPv6Mode | None = None) -> None:
        self.runtime = EventLoopThread()
        self._ipv6 = ipv6
        self._closed_ports: dict[Family, ClosedPort] = {}
        self._black_holes: dict[Family, BlackHole] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def errors(self) -> list[str]:
        """Unexpected errors seen on the loop (should stay empty)."""
        return list(self.runtime.errors)

    def start(self, spec: ServerSpec, family: Family = "ipv4") -> Endpoint:
        """Start a server for *spec* listening on loopback of *family*; its endpoint."""
        # Certificates and contexts are made here, not on the loop: key generation
        # would hold up every other simulated connection.
        if isinstance(spec, SmtpServer):
            factory, context = _smtp_factory(spec, self.runtime)
        else:
            factory = None
            context = (server_context(server_cert(spec.certificate, spec.names))
                       if spec.implicit_tls else None)
        sock, endpoint = listening_socket(family, mode=self._ipv6)
        try:
            self.runtime.call(self._serve(spec, sock, factory, context))
        except BaseException:
            sock.close()
            raise
        if isinstance(spec, SmtpServer) and spec.outdated_tls:
            return self._alert_gate(spec, endpoint, family)
        return endpoint

    def _alert_gate(self, spec: SmtpServer, server: Endpoint, family: Family) -> Endpoint:
        """Put a gate in front of an outdated server that sends the protocol_version
        alert its TLS library would send (asyncio's TLS layer just closes)."""
        from .proxy import FaultProxy
        from .rules import PASS

        gate = server_context(server_cert(spec.certificate, spec.names), outdated=True)
        proxy = FaultProxy(self, PASS, server, names=spec.names, mode=spec.tls, gate=gate)
        return proxy.listen(family)

    async def _serve(self, spec: ServerSpec, sock: Any, factory: Any,
                     context: ssl.SSLContext | None) -> None:
        handshake_timeout = TLS_HANDSHAKE_TIMEOUT if context else None
        server: asyncio.AbstractServer
        if isinstance(spec, SmtpServer):
            server = await asyncio.get_running_loop().create_server(
                factory, sock=sock, ssl=context, ssl_handshake_timeout=handshake_timeout)
        else:
            server = await asyncio.start_server(
                _raw_handler(spec, self.runtime), sock=sock, ssl=context, limit=raw.MAX_LINE,
                ssl_handshake_timeout=handshake_timeout)
        self.runtime.on_close(_closer(server))

    def start_proxy(self, rule: ProxyRule | str, upstream: Endpoint | None, *,
                    family: Family = "ipv4",
                    names: tuple[str, ...] = ("mail.example.net",),
                    mode: str = "starttls") -> Endpoint:
        """Put the network rule *rule* (a :class:`~.rules.ProxyRule` or fault name) in
        front of *upstream*; the endpoint clients connect to instead."""
        from .proxy import start_front
        from .rules import ProxyRule

        if isinstance(rule, str):
            rule = ProxyRule.of(rule)
        return start_front(self, rule, upstream, family=family, names=names, mode=mode)

    def listen(self, family: Family) -> tuple[Any, Endpoint]:
        """A fresh listening socket (for the proxy)."""
        return listening_socket(family, mode=self._ipv6)

    def closed_port(self, family: Family = "ipv4") -> Endpoint:
        """A loopback port that refuses connections, shared by this world."""
        if family not in self._closed_ports:
            self._closed_ports[family] = ClosedPort(family, self._ipv6)
        return self._closed_ports[family].endpoint

    def black_hole(self, family: Family = "ipv4") -> Endpoint:
        """A loopback port where connection attempts time out, shared by this world."""
        if family not in self._black_holes:
            self._black_holes[family] = BlackHole(family, self._ipv6)
        return self._black_holes[family].endpoint

    def close(self) -> None:
        """Stop every server and connection, then the loop thread (idempotent)."""
        self.runtime.close()
        for closed in self._closed_ports.values():
            closed.close()
        for hole in self._black_holes.values():
            hole.close()
        self._closed_ports.clear()
        self._black_holes.clear()


def _closer(server: asyncio.AbstractServer) -> Any:
    async def close() -> None:
        server.close()

    return close
