"""One SMTP check of one address and port: connect, greeting, EHLO, STARTTLS,
TLS handshake, certificate, EHLO after TLS, and an optional login.

    SmtpProbe             the dialog, step by step (this module)
    ├── reply.SmtpSession replies and transcript over a net.Stream (one per connection)
    ├── second_look       the looks a failed step takes to say more (certificate, plain text)
    └── login.log_in      the login (owned by the login code; called from _auth below)

The probe records what it sees as :class:`~smtpdiag.records.Step` values with
failure/finding words; it does not decide causes (that is ``verdict``).  Socket
and TLS errors reach it only as :class:`~smtpdiag.net.ProbeError` from the
stream, already mapped by ``net.failure_of``.

Budget: every step may wait at most the run's timeout (``SmtpSession.deadline``,
moved at the start of each step), whatever it does inside: the silent-greeting
poke, the TLS 1.0/1.1 retry and the second looks all fit in the step they
belong to.  A check therefore ends within (number of its steps) x timeout.  No
mail is ever sent: the only commands are EHLO, STARTTLS, AUTH and QUIT.
"""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections.abc import Callable

from ..frozen import field, record
from ..login_policy import oauth_only
from ..net import CertificateRejected, Network, ProbeError, family_of, host_port
from ..records import Attempt, Step, TlsInfo, TranscriptLine, internal_error_attempt
from . import second_look
from . import tls as tlsmod
from .login import log_in
from .reply import Reply, SmtpSession
from .steps import StepRecorder

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Literal

# A Cisco PIX/ASA "mask-banner" greeting: asterisks, with a few digits left standing
# ("220 ******************2*0**0*0**0***0****"), nothing else.
_MASKED_BANNER = re.compile(r"^[\s*\d]*$")
_MASKED_EXTENSION = re.compile(r"^X{6,}A?$", re.IGNORECASE)
# How much of the greeting's time is kept to say EHLO to a silent server (a web
# proxy that waits for the client to speak first): a quarter, at most a second.
POKE_SHARE, POKE_MAX = 0.25, 1.0


@record
class ProbeSettings:
    host: str  # the name the certificate must match (A-label form or IP)
    port: int
    mode: str
    timeout: float
    ca_file: str | None = None
    ehlo_name: str | None = None  # None: our address literal, e.g. [192.0.2.7]
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def _banner_masked(text: str) -> bool:
    stars = text.count("*")
    others = sum(1 for ch in text if not ch.isspace())
    return bool(_MASKED_BANNER.match(text)) and stars >= 4 and stars >= 0.6 * others


def ehlo(session: SmtpSession, name: str, already_sent: bool = False) -> tuple[Reply, list[str]]:
    """EHLO and its extensions; ``rejected`` unless the answer is 250."""
    if not already_sent:
        session.send_line(f"EHLO {name}")
    reply = session.read_reply()
    if reply.code != 250:
        raise ProbeError("rejected", f"EHLO answered {reply.code} {reply.text}")
    return reply, [line.strip() for line in reply.lines[1:]]


def _has(extensions: list[str], keyword: str) -> bool:
    return any(e.upper().split(" ")[0] == keyword for e in extensions)


def _auth_mechanisms(extensions: list[str]) -> list[str]:
    for e in extensions:
        parts = e.replace("=", " ").split()
        if parts and parts[0].upper() == "AUTH":
            return [p.upper() for p in parts[1:]]
    return []


class SmtpProbe:
    """Probe one (address, port) of an SMTP server."""

    def __init__(self, net: Network, address: str, settings: ProbeSettings,
                 cancel: threading.Event, on_step: Callable[[Step], None] | None = None) -> None:
        self.net = net
        self.address = address
        self.s = settings
        self.cancel = cancel
        self.rec = StepRecorder(on_step)
        self.started = time.monotonic()
        self.transcript: list[TranscriptLine] = []
        self.tls_info: TlsInfo | None = None
        self._sessions: list[SmtpSession] = []  # every connection opened, closed at the end
        self._ehlo_sent = False  # the silent-greeting poke already said EHLO
        self._opening = 1  # the number of the connection under way, for notes

    # -- helpers -----------------------------------------------------------------
    def ehlo_name(self, session: SmtpSession) -> str:
        """The EHLO argument: the configured name, else our address literal (RFC 5321 4.1.3)."""
        if self.s.ehlo_name:
            return self.s.ehlo_name
        local = session.stream.local_address() or "127.0.0.1"
        if local.startswith("::ffff:"):
            local = local[7:]
        return f"[IPv6:{local}]" if family_of(local) == "ipv6" else f"[{local}]"

    def connect(self, deadline: float | None = None, why: str = "") -> SmtpSession:
        """A new connection to this address and port; *deadline*: the step it serves;
        *why*: what a second connection is for (the transcript says it)."""
        n = len(self._sessions) + 1
        self._opening = n
        timeout = self.s.timeout if deadline is None else deadline - time.monotonic()
        where = host_port(self.address, self.s.port)
        if timeout <= 0:
            raise ProbeError("timeout", "no time left in this step for another connection")
        if n > 1:
            self.note(f"connection {n}: connecting to {where} ({why or 'again'})")
        stream = self.net.open_stream(self.address, self.s.port, timeout, self.cancel)
        session = SmtpSession(stream, self.started, self.s.timeout, self.transcript, deadline=deadline or 0.0,
                              conn=n)
        self._sessions.append(session)
        local = stream.local_address()
        session.note(f"connection {n} opened to {where}" + (f" from {local}" if local else ""))
        return session

    def context(self, legacy: bool = False) -> ssl.SSLContext:
        return tlsmod.make_context(self.s.ca_file, self.net.extra_ca_pem(), legacy=legacy)

    def note(self, text: str, tls: bool = False) -> None:
        """A note on the connection under way (or about to open)."""
        self.transcript.append(TranscriptLine(int((time.monotonic() - self.started) * 1000), "note", text, tls,
                                              self._opening))

    def start_tls(self, session: SmtpSession, legacy: bool = False) -> None:
        """TLS on *session*, verifying, before the step's deadline."""
        if session.buffer:
            # The server spoke before our ClientHello (plain text on a TLS port).
            raise ProbeError("not_tls", "plain text arrived where encryption should start")
        # Python checks an IP literal against the certificate's IP names and sends no SNI for it.
        try:
            session.stream.start_tls(self.context(legacy), self.s.host, session.deadline)
        except ProbeError as exc:
            session.failed(exc)
            raise

    # -- the steps ---------------------------------------------------------------
    def run(self) -> Attempt:
        family = family_of(self.address)
        try:
            t = time.monotonic()
            self.note(f"connection 1: connecting to {host_port(self.address, self.s.port)} ({self.s.mode})")
            if not self.net.has_route(self.address, self.s.port):
                detail = (f"this computer has no route to {self.address} "
                          f"(no {'IPv6' if family == 'ipv6' else 'IPv4'} connection here)")
                self.rec.record("connect", False, t, detail, "no_route")
                self.note(detail)
                return self._attempt(family)
            try:
                session = self.connect()
            except ProbeError as exc:
                if exc.failure in ("reset", "eof"):
                    # A reset (not a refusal) means the connection was open and then cut
                    # before we looked: the cut belongs to the step that comes next.
                    self.rec.record("connect", True, t, f"connected to {host_port(self.address, self.s.port)}")
                    nxt = "tls" if self.s.mode == "implicit" else "greeting"
                    self.rec.record(nxt, False, time.monotonic(), f"cut at once: {exc.detail}", exc.failure)
                    self.note(f"connection 1 opened, then cut at once: {exc.detail}")
                    return self._attempt(family)
                self.rec.record("connect", False, t, exc.detail, exc.failure)
                self.note(f"connection 1 not opened: {exc.detail}")
                return self._attempt(family)
            self.rec.record("connect", True, t, f"connected to {host_port(self.address, self.s.port)}")
            if self.s.mode == "implicit":
                self._implicit(session)
            else:
                self._starttls(session)
        except ProbeError as exc:  # cancelled in a step that does not record it
            if exc.failure == "cancelled":
                self.rec.record(self._current_step(), False, time.monotonic(), "cancelled", "cancelled")
            else:  # a transport word no step expected to meet here: say so, never guess
                return internal_error_attempt(f"{host_port(self.address, self.s.port)}", exc, family,
                                              self.address, tuple(self.rec.steps), tuple(self.transcript))
        except Exception as exc:  # noqa: BLE001 - anything unexpected: internal_error, never a guess
            return internal_error_attempt(f"{host_port(self.address, self.s.port)}", exc, family, self.address,
                                          tuple(self.rec.steps), tuple(self.transcript))
        finally:
            for opened in self._sessions:
                opened.close()
        return self._attempt(family)

    def _current_step(self) -> str:
        return "greeting" if not self.rec.steps else self.rec.steps[-1].step

    def _attempt(self, family: Literal["ipv4", "ipv6"]) -> Attempt:
        return Attempt(family, self.address, tuple(self.rec.steps), tuple(self.transcript),
                       self.tls_info, int((time.monotonic() - self.started) * 1000))

    def _greeting(self, session: SmtpSession) -> bool:
        t = time.monotonic()
        session.begin_step()
        try:
            reply = self._read_greeting(session)
        except ProbeError as exc:
            self.rec.record("greeting", False, t, exc.detail, exc.failure)
            return False
        if reply.code != 220:
            self.rec.record("greeting", False, t, f"{reply.code} {reply.text}",
                         "rejected" if reply.code >= 400 else "malformed")
            return False
        findings: tuple[str, ...] = ()
        if _banner_masked(reply.lines[0]):
            findings = ("masked",)
        self.rec.record("greeting", True, t, f"{reply.code} {reply.lines[0]}"[:200], findings=findings)
        return True

    def _read_greeting(self, session: SmtpSession) -> Reply:
        """The greeting, within the greeting step.  A server that says nothing for
        most of it is spoken to (EHLO), in case a web proxy waits for a request;
        its greeting may still arrive late, and then the EHLO is already said."""
        if session.stream.tls:  # on an implicit-TLS port nobody waits for a request in clear
            return session.read_reply(greeting=True)
        reserve = min(POKE_MAX, self.s.timeout * POKE_SHARE)
        try:
            return session.read_reply(greeting=True, wait=self.s.timeout - reserve)
        except ProbeError as exc:
            if exc.failure != "timeout" or session.buffer:
                raise
            first = exc
        try:
            session.send_line(f"EHLO {self.ehlo_name(session)}")
            self._ehlo_sent = True
            reply = session.read_reply(greeting=True)
        except ProbeError as second:
            raise second if second.failure in ("http", "not_smtp") else first from None
        if reply.code != 220:
            raise first
        session.note("the greeting came late, after smtpdiag had said EHLO")
        return reply

    def _starttls(self, session: SmtpSession) -> None:
        if not self._greeting(session):
            return
        t = time.monotonic()
        session.begin_step()
        try:
            _reply, extensions = ehlo(session, self.ehlo_name(session), already_sent=self._ehlo_sent)
        except ProbeError as exc:
            self.rec.record("ehlo", False, t, exc.detail, exc.failure)
            return
        findings: list[str] = []
        masked = [e for e in extensions if _MASKED_EXTENSION.match(e)]
        if _auth_mechanisms(extensions):
            findings.append("auth_plain")
        self.rec.record("ehlo", True, t, f"{len(extensions)} extensions: " + ", ".join(extensions)[:300],
                     findings=tuple(findings))
        advertised = _has(extensions, "STARTTLS")
        t = time.monotonic()
        session.begin_step()
        try:
            session.send_line("STARTTLS")
            reply = session.read_reply()
        except ProbeError as exc:
            self.rec.record("starttls", False, t, exc.detail, exc.failure)
            return
        if reply.code != 220:
            if masked:
                self.rec.record("starttls", False, t,
                             f"STARTTLS was masked as {masked[0]} and the command answered {reply.code}", "masked")
            elif advertised:
                self.rec.record("starttls", False, t, f"STARTTLS answered {reply.code} {reply.text}", "refused")
            else:
                self.rec.record("starttls", False, t, f"STARTTLS not offered; the command answered {reply.code}",
                             "missing")
            return
        if advertised:
            self.rec.record("starttls", True, t, "220 ready for encryption")
        else:
            self.rec.record("starttls", False, t,
                         "STARTTLS was not offered, yet the command succeeded: the offer was removed on the way",
                         "masked" if masked else "stripped")
        self.note("starting TLS", True)
        if self._tls(session):
            self._after_tls(session)

    def reconnect_until_tls(self, deadline: float, why: str = "") -> SmtpSession:
        """A new connection, taken as far as the start of TLS, before *deadline*
        (for a second look or a retry; it records no steps)."""
        session = self.connect(deadline, why)
        if self.s.mode == "implicit":
            return session
        greeting = session.read_reply(greeting=True)
        if greeting.code != 220:
            raise ProbeError("rejected", f"{greeting.code} {greeting.text}")
        ehlo(session, self.ehlo_name(session))
        session.send_line("STARTTLS")
        reply = session.read_reply()
        if reply.code != 220:
            raise ProbeError("refused", reply.text)
        return session

    def _implicit(self, session: SmtpSession) -> None:
        self.note("starting TLS (implicit)", True)
        if not self._tls(session):
            return
        if not self._greeting(session):
            return
        self._after_tls(session)

    def _tls(self, session: SmtpSession) -> bool:
        """Handshake + certificate steps.  True when SMTP may continue over it."""
        t = time.monotonic()
        session.begin_step()
        try:
            self.start_tls(session)
        except CertificateRejected as rejected:
            self.rec.record("tls", True, t, "handshake completed; certificate not accepted")
            self._certificate_problem(rejected)
            return False
        except ProbeError as exc:
            if exc.failure == "version":
                return self._legacy_tls(session, t, exc)
            session.note(f"TLS failed: {exc.detail}")
            self.rec.record("tls", False, t, exc.detail, exc.failure)
            if exc.failure == "not_tls" and self.s.mode == "implicit":
                http = second_look.plain_text(self, session.deadline)
                if http is not None:
                    self.rec.record("greeting", False, t, http.detail, "http")
            return False
        self._tls_ok(session, t, ())
        return True

    def _legacy_tls(self, session: SmtpSession, t: float, first: ProbeError) -> bool:
        """A handshake refused for its protocol version: try once allowing TLS 1.0/1.1,
        on a new connection, within the same TLS step."""
        session.note(f"TLS failed: {first.detail}; trying again allowing TLS 1.0/1.1")
        session.close()
        try:
            again = self.reconnect_until_tls(session.deadline, "again, allowing TLS 1.0/1.1")
            self.start_tls(again, legacy=True)
        except CertificateRejected as rejected:
            self.rec.record("tls", True, t, "only TLS 1.0/1.1 works", findings=("outdated",))
            self._certificate_problem(rejected)
            return False
        except ProbeError as exc:
            if exc.failure == "cancelled":
                raise
            self.rec.record("tls", False, t, f"{first.detail}; with TLS 1.0/1.1: {exc.detail}", "failed")
            return False
        # The retry's connection carries on (its number stays in the transcript).
        session.stream, session.buffer, session.conn, session.closed = again.stream, b"", again.conn, False
        again.closed = True  # one close for the one stream, said once
        old = again.stream.tls_version() in ("TLSv1", "TLSv1.1", "SSLv3")
        self._tls_ok(session, t, ("outdated",) if old else ())
        return True

    def _tls_ok(self, session: SmtpSession, t: float, findings: tuple[str, ...]) -> None:
        stream = session.stream
        version, cipher = stream.tls_version(), stream.cipher_name()
        self.rec.record("tls", True, t, f"{version} {cipher or ''}".strip(), findings=findings)
        self.note(f"TLS established: {version}, {cipher or '?'}", True)
        t2 = time.monotonic()
        tls_socket = stream.tls_socket
        chain = tlsmod.chain_of(tls_socket, verified=True) if tls_socket else ()
        product = tlsmod.find_interceptor(chain)
        self.tls_info = TlsInfo(version, cipher, True, None, chain, product.product if product else None)
        leaf = chain[0] if chain else None
        detail = f"verified: {tlsmod.cn_of(leaf.subject)} issued by {tlsmod.cn_of(leaf.issuer)}" if leaf else "verified"
        self.rec.record("certificate", True, t2, detail, findings=("intercepted",) if product else ())

    def _certificate_problem(self, rejected: CertificateRejected) -> None:
        """The certificate was refused: read it once more without verifying (within
        the certificate step) to say whose it is, and name the reason."""
        t = time.monotonic()
        self.note(f"certificate not accepted: {rejected.verify_message}", True)
        if self._sessions:
            self._sessions[-1].close()  # a mail program would hang up here too
        seen = second_look.certificate(self, time.monotonic() + self.s.timeout)
        product = tlsmod.find_interceptor(seen.chain)
        failure = "intercepted" if product else tlsmod.certificate_failure(rejected.error, seen.chain, self.s.host)
        self.tls_info = TlsInfo(seen.version, seen.cipher, False, rejected.verify_message, seen.chain,
                                product.product if product else None)
        leaf = seen.chain[0] if seen.chain else None
        detail = rejected.verify_message
        if leaf:
            detail += f" (certificate for {tlsmod.cn_of(leaf.subject)}, issued by {tlsmod.cn_of(leaf.issuer)})"
        self.rec.record("certificate", False, t, detail, failure)

    def _after_tls(self, session: SmtpSession) -> None:
        t = time.monotonic()
        session.begin_step()
        try:
            _reply, extensions = ehlo(session, self.ehlo_name(session))
        except ProbeError as exc:
            self.rec.record("ehlo_tls", False, t, exc.detail, exc.failure)
            return
        mechanisms = _auth_mechanisms(extensions)
        self.rec.record("ehlo_tls", True, t, f"{len(extensions)} extensions: " + ", ".join(extensions)[:300],
                     findings=("oauth_only",) if oauth_only(mechanisms) else ())
        if self.s.user:
            session.begin_step()
            self._auth(session, mechanisms)
        try:
            session.begin_step(time.monotonic() + min(1.0, self.s.timeout))
            session.send_line("QUIT")
            session.read_reply()
        except ProbeError:
            pass

    # -- the login: the login code's entry point (probe/login.py) ---------------------
    def _auth(self, session: SmtpSession, mechanisms: list[str]) -> None:
        t = time.monotonic()
        if self.s.password is None:
            self.rec.record("auth", False, t, "no password given: login not tried", "not_tried")
            return
        result = log_in(session, mechanisms, self.s.user or "", self.s.password, ProbeError,
                        lambda exc: (exc.failure, exc.detail) if isinstance(exc, ProbeError) else ("failed", ""))
        self.rec.record("auth", result.ok, t, result.detail, result.failure)


def skipped_auth_step(reason: str) -> Step:
    return Step("auth", False, 0, reason, "not_tried")


def probe_smtp(net: Network, address: str, settings: ProbeSettings, cancel: threading.Event,
               on_step: Callable[[Step], None] | None = None) -> Attempt:
    """Run every SMTP step against one address; never raises for network trouble."""
    probe = SmtpProbe(net, address, settings, cancel, on_step)
    attempt = probe.run()
    if settings.user and not any(s.step == "auth" for s in attempt.steps) and not cancel.is_set():
        reason = ("login not tried: the connection was not encrypted and verified, "
                  "so the password was not sent")
        step = skipped_auth_step(reason)
        if on_step:
            on_step(step)
        attempt = Attempt(attempt.family, attempt.address, attempt.steps + (step,),
                          attempt.transcript + (TranscriptLine(attempt.duration_ms, "note", reason),),
                          attempt.tls, attempt.duration_ms)
    return attempt
