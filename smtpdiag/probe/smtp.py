"""One SMTP check of one address and port: connect, greeting, EHLO, STARTTLS,
TLS handshake, certificate, EHLO after TLS, and an optional login.

The probe records what it sees as :class:`~smtpdiag.records.Step` values with
failure/finding words; it does not decide causes (that is ``verdict``).  Every
read has a deadline and a size limit, and waits in short slices so that a
cancelled run stops within a fraction of a second.  No mail is ever sent:
the only commands are EHLO, STARTTLS, AUTH and QUIT.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..login_policy import oauth_only
from ..net import Network, ProbeError, describe, failure_of
from ..records import Attempt, CertInfo, Step, TlsInfo, TranscriptLine, internal_error_attempt
from . import tls as tlsmod
from .login import log_in
from .tls_inspect import capture_certificate

MAX_LINE = 2048  # RFC 5321 allows 512; be lenient, but bounded
MAX_REPLY_LINES = 200
SLICE = 0.1  # seconds between cancel checks while waiting
_REPLY_LINE = re.compile(rb"^(\d{3})([ -]|$)")
# The start of an SMTP reply (a slow server dripping "22"): still a greeting, just late.
_REPLY_PREFIX = re.compile(rb"^(\d{1,3}|\d{3}[ -][^\r\n]*)$")
# A Cisco PIX/ASA "mask-banner" greeting: asterisks, with a few digits left standing
# ("220 ******************2*0**0*0**0***0****"), nothing else.
_MASKED_BANNER = re.compile(r"^[\s*\d]*$")
_MASKED_EXTENSION = re.compile(r"^X{6,}A?$", re.IGNORECASE)


class Cancelled(Exception):
    pass


@dataclass
class Reply:
    code: int
    lines: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass
class Session:
    """One connection's reads and writes, with the transcript they leave."""

    sock: socket.socket
    started: float
    cancel: threading.Event
    timeout: float
    transcript: list[TranscriptLine] = field(default_factory=list)
    buffer: bytes = b""
    tls: bool = False

    def ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def note(self, text: str) -> None:
        self.transcript.append(TranscriptLine(self.ms(), "note", text, self.tls))

    def send_line(self, line: str, shown: str | None = None) -> None:
        """Send *line*; the transcript shows *shown* instead (for secrets)."""
        self.transcript.append(TranscriptLine(self.ms(), "send", shown or line, self.tls))
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(line.encode("utf-8") + b"\r\n")
        except OSError as exc:
            raise ProbeError(failure_of(exc), describe(exc)) from None

    def _recv_some(self, deadline: float) -> bytes:
        while True:
            if self.cancel.is_set():
                raise ProbeError("cancelled", "cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProbeError("timeout", f"no answer within {self.timeout:g} s")
            self.sock.settimeout(min(SLICE, remaining))
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except ssl.SSLWantReadError:
                continue
            except OSError as exc:
                raise ProbeError(failure_of(exc), describe(exc)) from None
            if not data:
                raise ProbeError("eof", "the other side closed the connection")
            return data

    def _record_raw(self, data: bytes) -> None:
        shown = data[:96]
        text = " ".join(f"{b:02x}" for b in shown)
        more = f" ... ({len(data)} bytes)" if len(data) > len(shown) else ""
        self.transcript.append(TranscriptLine(self.ms(), "recv", f"[binary] {text}{more}", self.tls))

    def read_reply(self, greeting: bool = False, wait: float | None = None) -> Reply:
        """Read one (possibly multi-line) SMTP reply within the step's timeout.

        Raises ProbeError: ``timeout``, ``eof``, ``reset``, ``too_long`` (a line
        over MAX_LINE or too many lines), ``malformed``; for the greeting also
        ``http`` and ``not_smtp`` when the first bytes are not an SMTP reply.
        """
        deadline = time.monotonic() + (self.timeout if wait is None else wait)
        lines: list[str] = []
        code = 0
        while True:
            while b"\n" not in self.buffer:
                if greeting and not lines:
                    self._check_first_bytes()
                if len(self.buffer) > MAX_LINE:
                    shown = self.buffer[:120].decode("utf-8", "replace")
                    self.transcript.append(TranscriptLine(
                        self.ms(), "recv", f"{shown}... (line longer than {MAX_LINE} bytes, stopped reading)", self.tls))
                    self.buffer = b""
                    raise ProbeError("too_long", f"a reply line longer than {MAX_LINE} bytes")
                try:
                    self.buffer += self._recv_some(deadline)
                except ProbeError as exc:
                    if self.buffer and exc.failure in ("eof", "timeout", "reset"):
                        if greeting and not lines and not _REPLY_PREFIX.match(self.buffer):
                            self._check_first_bytes(final=True)
                        self.transcript.append(TranscriptLine(
                            self.ms(), "recv", self.buffer[:200].decode("utf-8", "replace")
                            + " (incomplete line)", self.tls))
                    raise
            raw, self.buffer = self.buffer.split(b"\n", 1)
            raw = raw.rstrip(b"\r")
            if len(raw) > MAX_LINE:
                raise ProbeError("too_long", f"a reply line longer than {MAX_LINE} bytes")
            m = _REPLY_LINE.match(raw)
            if not m:
                if greeting and not lines:
                    self.buffer = raw + b"\n" + self.buffer
                    self._check_first_bytes(final=True)
                self.transcript.append(TranscriptLine(
                    self.ms(), "recv", raw[:200].decode("utf-8", "replace"), self.tls))
                raise ProbeError("malformed", "a reply line that is not an SMTP reply")
            text = raw.decode("utf-8", "replace")
            self.transcript.append(TranscriptLine(self.ms(), "recv", text[:1000], self.tls))
            this_code = int(m.group(1))
            if lines and this_code != code:
                raise ProbeError("malformed", "a multi-line reply whose codes differ")
            code = this_code
            lines.append(text[4:])
            if len(lines) > MAX_REPLY_LINES:
                raise ProbeError("too_long", f"a reply of more than {MAX_REPLY_LINES} lines")
            if m.group(2) != b"-":
                return Reply(code, lines)

    def _check_first_bytes(self, final: bool = False) -> None:
        """Recognise a greeting that is not SMTP at all: HTTP (a captive portal
        or proxy) or other bytes."""
        head = self.buffer[:16]
        if not head:
            return
        if len(head) < 4 and not final and head.isdigit():
            return
        if head.startswith(b"HTTP/") or b"<html" in self.buffer[:512].lower() or \
                head.upper().startswith((b"<!DOCTYPE", b"<HTML")):
            first = self.buffer.split(b"\n", 1)[0][:200].decode("utf-8", "replace").strip()
            self.transcript.append(TranscriptLine(self.ms(), "recv", first, self.tls))
            self.buffer = b""
            raise ProbeError("http", f"a web server answered: {first}")
        looks_like_reply = _REPLY_LINE.match(self.buffer[:4] + (b" " if len(self.buffer) == 3 else b""))
        if (len(head) >= 4 or final) and not looks_like_reply:
            printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in self.buffer[:256])
            if printable < 0.8 * min(len(self.buffer), 256):
                self._record_raw(self.buffer)
            else:
                self.transcript.append(TranscriptLine(
                    self.ms(), "recv", self.buffer.split(b"\n", 1)[0][:200].decode("utf-8", "replace"), self.tls))
            self.buffer = b""
            raise ProbeError("not_smtp", "the answer is not an SMTP greeting")


@dataclass
class ProbeSettings:
    host: str  # the name the certificate must match (A-label form or IP)
    port: int
    mode: str
    timeout: float
    ca_file: str | None = None
    ehlo_name: str | None = None  # None: our address literal, e.g. [192.0.2.7]
    user: str | None = None
    password: str | None = field(default=None, repr=False)


class _Recorder:
    def __init__(self, on_step: Callable[[Step], None] | None) -> None:
        self.steps: list[Step] = []
        self.on_step = on_step

    def add(self, step: str, ok: bool, started: float, detail: str = "",
            failure: str | None = None, findings: tuple[str, ...] = ()) -> Step:
        s = Step(step, ok, int((time.monotonic() - started) * 1000), detail, failure, findings)
        self.steps.append(s)
        if self.on_step:
            self.on_step(s)
        return s


def _sni(host: str) -> str:
    """Python checks IP literals against the certificate's IP names and sends no SNI for them."""
    return host


_NOT_TLS_MARKERS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
                    "HTTP_REQUEST", "UNKNOWN_PROTOCOL", "RECORD_TOO_LARGE", "BAD_RECORD_TYPE")
_VERSION_MARKERS = ("UNSUPPORTED_PROTOCOL", "PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE",
                    "WRONG_SSL_VERSION", "VERSION_TOO_LOW", "TLSV1_ALERT_PROTOCOL_VERSION")


def _handshake(session: Session, ctx: ssl.SSLContext, host: str) -> ssl.SSLSocket:
    """TLS handshake on the session's socket, waiting in slices (cancel, deadline).

    Returns the TLS socket; raises ssl.SSLCertVerificationError for certificate
    problems and ProbeError for everything else (``reset``, ``eof``,
    ``timeout``, ``not_tls``, ``version``, ``failed``, ``cancelled``).
    """
    if session.buffer:
        # The server spoke before our ClientHello (plain text on a TLS port).
        raise ProbeError("not_tls", "plain text arrived where encryption should start")
    try:
        # wrap_socket itself can meet the reset: on a socket the peer already cut,
        # it reads to learn why getpeername fails (the 2011/12 carrier did exactly this).
        tls_sock = ctx.wrap_socket(session.sock, server_hostname=_sni(host), do_handshake_on_connect=False)
    except OSError as exc:
        raise ProbeError(failure_of(exc), describe(exc)) from None
    session.sock = tls_sock
    deadline = time.monotonic() + session.timeout
    while True:
        if session.cancel.is_set():
            raise ProbeError("cancelled", "cancelled")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeError("timeout", f"the encryption handshake did not finish within {session.timeout:g} s")
        tls_sock.settimeout(min(SLICE, remaining))
        try:
            tls_sock.do_handshake()
            return tls_sock
        except ssl.SSLCertVerificationError:
            raise
        except (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            continue
        except ssl.SSLEOFError as exc:
            raise ProbeError("eof", describe(exc)) from None
        except ssl.SSLError as exc:
            text = f"{exc.reason or ''} {exc}".upper()
            if any(m in text for m in _NOT_TLS_MARKERS):
                raise ProbeError("not_tls", describe(exc)) from None
            if any(m in text for m in _VERSION_MARKERS):
                raise ProbeError("version", describe(exc)) from None
            raise ProbeError("failed", describe(exc)) from None
        except OSError as exc:
            raise ProbeError(failure_of(exc), describe(exc)) from None


def _banner_masked(text: str) -> bool:
    stars = text.count("*")
    others = sum(1 for ch in text if not ch.isspace())
    return bool(_MASKED_BANNER.match(text)) and stars >= 4 and stars >= 0.6 * others


def _ehlo(session: Session, name: str) -> tuple[Reply, list[str]]:
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


def _tls_failure_detail(exc: ProbeError) -> str:
    return exc.detail


class SmtpProbe:
    """Probe one (address, port) of an SMTP server."""

    def __init__(self, net: Network, address: str, settings: ProbeSettings,
                 cancel: threading.Event, on_step: Callable[[Step], None] | None = None) -> None:
        self.net = net
        self.address = address
        self.s = settings
        self.cancel = cancel
        self.rec = _Recorder(on_step)
        self.started = time.monotonic()
        self.transcript: list[TranscriptLine] = []
        self.tls_info: TlsInfo | None = None
        self._sessions: list[Session] = []  # every connection opened, closed at the end

    # -- helpers -----------------------------------------------------------------
    def _ehlo_name(self, session: Session) -> str:
        """The EHLO argument: the configured name, else our address literal (RFC 5321 4.1.3)."""
        if self.s.ehlo_name:
            return self.s.ehlo_name
        try:
            local = str(session.sock.getsockname()[0])
        except OSError:
            return "[127.0.0.1]"
        if local.startswith("::ffff:"):
            local = local[7:]
        return f"[IPv6:{local}]" if ":" in local else f"[{local}]"

    def _connect(self) -> Session:
        sock = self.net.open_tcp(self.address, self.s.port, self.s.timeout, self.cancel)
        session = Session(sock, self.started, self.cancel, self.s.timeout, self.transcript)
        self._sessions.append(session)
        return session

    def _context(self, legacy: bool = False) -> ssl.SSLContext:
        return tlsmod.make_context(self.s.ca_file, self.net.extra_ca_pem(), legacy=legacy)

    def _plain_until_tls(self, session: Session) -> None:
        """Greeting, EHLO, STARTTLS again on a fresh connection (for a second look)."""
        session.read_reply(greeting=True)
        _ehlo(session, self._ehlo_name(session))
        session.send_line("STARTTLS")
        reply = session.read_reply()
        if reply.code != 220:
            raise ProbeError("refused", reply.text)

    # -- the steps ---------------------------------------------------------------
    def run(self) -> Attempt:
        family: Literal["ipv4", "ipv6"] = "ipv6" if ":" in self.address else "ipv4"
        session: Session | None = None
        try:
            t = time.monotonic()
            self.transcript.append(TranscriptLine(
                int((t - self.started) * 1000), "note",
                f"connecting to {_fmt(self.address, self.s.port)} ({self.s.mode})"))
            if not self.net.has_route(self.address, self.s.port):
                detail = (f"this computer has no route to {self.address} "
                          f"(no {'IPv6' if family == 'ipv6' else 'IPv4'} connection here)")
                self.rec.add("connect", False, t, detail, "no_route")
                self.transcript.append(TranscriptLine(0, "note", detail))
                return self._attempt(family)
            try:
                session = self._connect()
            except ProbeError as exc:
                if exc.failure in ("reset", "eof"):
                    # A reset (not a refusal) means the connection was open and then cut
                    # before we looked: the cut belongs to the step that comes next.
                    self.rec.add("connect", True, t, f"connected to {_fmt(self.address, self.s.port)}")
                    nxt = "tls" if self.s.mode == "implicit" else "greeting"
                    self.rec.add(nxt, False, time.monotonic(), f"cut at once: {exc.detail}", exc.failure)
                    self.transcript.append(TranscriptLine(int((time.monotonic() - self.started) * 1000),
                                                          "note", f"connected, then cut at once: {exc.detail}"))
                    return self._attempt(family)
                self.rec.add("connect", False, t, exc.detail, exc.failure)
                self.transcript.append(TranscriptLine(int((time.monotonic() - self.started) * 1000), "note", exc.detail))
                return self._attempt(family)
            self.rec.add("connect", True, t, f"connected to {_fmt(self.address, self.s.port)}")
            session.note("connected")
            if self.s.mode == "implicit":
                self._implicit(session)
            else:
                self._starttls(session)
        except ProbeError as exc:  # cancelled in a step that does not record it
            if exc.failure == "cancelled":
                self.rec.add(self._current_step(), False, time.monotonic(), "cancelled", "cancelled")
        except Exception as exc:  # noqa: BLE001 - anything unexpected: internal_error, never a guess
            for opened in self._sessions:
                self._close(opened)
            return internal_error_attempt(
                f"{_fmt(self.address, self.s.port)}", exc, family, self.address,
                tuple(self.rec.steps), tuple(self.transcript))
        finally:
            for opened in self._sessions:
                self._close(opened)
        return self._attempt(family)

    def _current_step(self) -> str:
        return "greeting" if not self.rec.steps else self.rec.steps[-1].step

    def _attempt(self, family: Literal["ipv4", "ipv6"]) -> Attempt:
        return Attempt(family, self.address, tuple(self.rec.steps), tuple(self.transcript),
                       self.tls_info, int((time.monotonic() - self.started) * 1000))

    def _close(self, session: Session) -> None:
        try:
            session.sock.close()
        except OSError:
            pass

    def _greeting(self, session: Session) -> bool:
        t = time.monotonic()
        try:
            reply = session.read_reply(greeting=True)
        except ProbeError as exc:
            if exc.failure == "timeout":
                exc = self._probe_silent_server(session, exc)
            self.rec.add("greeting", False, t, exc.detail, exc.failure)
            return False
        if reply.code != 220:
            self.rec.add("greeting", False, t, f"{reply.code} {reply.text}", "rejected" if reply.code >= 400 else "malformed")
            return False
        findings: tuple[str, ...] = ()
        if _banner_masked(reply.lines[0]):
            findings = ("masked",)
        self.rec.add("greeting", True, t, f"{reply.code} {reply.lines[0]}"[:200], findings=findings)
        return True

    def _probe_silent_server(self, session: Session, exc: ProbeError) -> ProbeError:
        """No greeting: say something, in case a web proxy waits for a request."""
        try:
            session.send_line(f"EHLO {self._ehlo_name(session)}")
            session.read_reply(greeting=True, wait=min(1.0, self.s.timeout / 4))
        except ProbeError as second:
            if second.failure in ("http", "not_smtp"):
                return second
        return exc

    def _starttls(self, session: Session) -> None:
        if not self._greeting(session):
            return
        t = time.monotonic()
        try:
            _reply, extensions = _ehlo(session, self._ehlo_name(session))
        except ProbeError as exc:
            self.rec.add("ehlo", False, t, exc.detail, exc.failure)
            return
        findings: list[str] = []
        masked = [e for e in extensions if _MASKED_EXTENSION.match(e)]
        if _auth_mechanisms(extensions):
            findings.append("auth_plain")
        self.rec.add("ehlo", True, t, f"{len(extensions)} extensions: " + ", ".join(extensions)[:300],
                     findings=tuple(findings))
        advertised = _has(extensions, "STARTTLS")
        t = time.monotonic()
        try:
            session.send_line("STARTTLS")
            reply = session.read_reply()
        except ProbeError as exc:
            self.rec.add("starttls", False, t, exc.detail, exc.failure)
            return
        if reply.code != 220:
            if masked:
                self.rec.add("starttls", False, t,
                             f"STARTTLS was masked as {masked[0]} and the command answered {reply.code}", "masked")
            elif advertised:
                self.rec.add("starttls", False, t, f"STARTTLS answered {reply.code} {reply.text}", "refused")
            else:
                self.rec.add("starttls", False, t, f"STARTTLS not offered; the command answered {reply.code}", "missing")
            return
        if advertised:
            self.rec.add("starttls", True, t, "220 ready for encryption")
        else:
            self.rec.add("starttls", False, t,
                         "STARTTLS was not offered, yet the command succeeded: the offer was removed on the way",
                         "masked" if masked else "stripped")
        session.tls = True
        session.note("starting TLS")
        if self._tls(session, self._reconnect_starttls):
            self._after_tls(session)

    def _reconnect_starttls(self) -> Session:
        session = self._connect()
        self._plain_until_tls(session)
        return session

    def _reconnect_implicit(self) -> Session:
        return self._connect()

    def _implicit(self, session: Session) -> None:
        session.tls = True
        session.note("starting TLS (implicit)")
        if not self._tls(session, self._reconnect_implicit):
            return
        if not self._greeting(session):
            return
        self._after_tls(session)

    def _tls(self, session: Session, reconnect: Callable[[], Session]) -> bool:
        """Handshake + certificate steps.  True when SMTP may continue over it."""
        t = time.monotonic()
        try:
            tls_sock = _handshake(session, self._context(), self.s.host)
        except ssl.SSLCertVerificationError as cert_exc:
            self.rec.add("tls", True, t, "handshake completed; certificate not accepted")
            self._certificate_problem(cert_exc, reconnect)
            return False
        except ProbeError as exc:
            if exc.failure == "version":
                return self._legacy_tls(session, reconnect, t, exc)
            session.note(f"TLS failed: {exc.detail}")
            self.rec.add("tls", False, t, exc.detail, exc.failure)
            if exc.failure == "not_tls" and self.s.mode == "implicit":
                self._plain_look()
            return False
        self._tls_ok(tls_sock, t, ())
        return True

    def _plain_look(self) -> None:
        """Plain text where TLS was expected: listen once more without TLS to show
        what answers (a plain SMTP server, or a web page from a captive portal)."""
        t = time.monotonic()
        try:
            session = self._connect()
        except ProbeError:
            return
        try:
            session.note("second look without encryption, to see what answers on this port")
            try:
                reply = session.read_reply(greeting=True, wait=min(1.0, self.s.timeout / 4))
            except ProbeError as exc:
                if exc.failure == "timeout":
                    exc = self._probe_silent_server(session, exc)
                if exc.failure == "http":
                    self.rec.add("greeting", False, t, exc.detail, "http")
                return
            session.note(f"the server answered in plain text: {reply.code} {reply.text}"[:200])
        finally:
            self._close(session)

    def _legacy_tls(self, session: Session, reconnect: Callable[[], Session], t: float,
                    first: ProbeError) -> bool:
        """A handshake refused for its protocol version: try once allowing TLS 1.0/1.1."""
        session.note(f"TLS failed: {first.detail}; trying again allowing TLS 1.0/1.1")
        self._close(session)
        try:
            again = reconnect()
            again.tls = True
            tls_sock = _handshake(again, self._context(legacy=True), self.s.host)
        except ssl.SSLCertVerificationError as cert_exc:
            self.rec.add("tls", True, t, "only TLS 1.0/1.1 works", findings=("outdated",))
            self._certificate_problem(cert_exc, reconnect, legacy=True)
            return False
        except ProbeError as exc:
            self.rec.add("tls", False, t, f"{first.detail}; with TLS 1.0/1.1: {exc.detail}", "failed")
            return False
        session.sock = again.sock
        session.buffer = b""
        old = tls_sock.version() in ("TLSv1", "TLSv1.1", "SSLv3")
        self._tls_ok(tls_sock, t, ("outdated",) if old else ())
        return True

    def _tls_ok(self, tls_sock: ssl.SSLSocket, t: float, findings: tuple[str, ...]) -> None:
        cipher = tls_sock.cipher()
        version = tls_sock.version()
        self.rec.add("tls", True, t, f"{version} {cipher[0] if cipher else ''}".strip(), findings=findings)
        self.transcript.append(TranscriptLine(int((time.monotonic() - self.started) * 1000), "note",
                                              f"TLS established: {version}, {cipher[0] if cipher else '?'}", True))
        t2 = time.monotonic()
        chain = tlsmod.chain_of(tls_sock, verified=True)
        product = tlsmod.find_interceptor(chain)
        self.tls_info = TlsInfo(version, cipher[0] if cipher else None, True, None, chain,
                                product.product if product else None)
        leaf = chain[0] if chain else None
        detail = f"verified: {tlsmod.cn_of(leaf.subject)} issued by {tlsmod.cn_of(leaf.issuer)}" if leaf else "verified"
        self.rec.add("certificate", True, t2, detail, findings=("intercepted",) if product else ())

    def _certificate_problem(self, exc: ssl.SSLCertVerificationError,
                             reconnect: Callable[[], Session], legacy: bool = False) -> None:
        t = time.monotonic()
        verify_message = getattr(exc, "verify_message", "") or str(exc)
        self.transcript.append(TranscriptLine(int((t - self.started) * 1000), "note",
                                              f"certificate not accepted: {verify_message}", True))
        chain: tuple[CertInfo, ...] = ()
        version = cipher = None
        try:
            second = reconnect()
            self.transcript.append(TranscriptLine(int((time.monotonic() - self.started) * 1000), "note",
                                                  "second look without verification, only to read the certificate", True))
            chain, version, cipher = capture_certificate(second.sock, self.s.host, self.s.timeout)
        except (ProbeError, OSError, ssl.SSLError) as second_exc:
            self.transcript.append(TranscriptLine(int((time.monotonic() - self.started) * 1000), "note",
                                                  f"could not read the certificate: {describe(second_exc)}", True))
        product = tlsmod.find_interceptor(chain)
        failure = "intercepted" if product else tlsmod.certificate_failure(exc, chain, self.s.host)
        self.tls_info = TlsInfo(version, cipher, False, verify_message, chain,
                                product.product if product else None)
        leaf = chain[0] if chain else None
        detail = verify_message
        if leaf:
            detail += f" (certificate for {tlsmod.cn_of(leaf.subject)}, issued by {tlsmod.cn_of(leaf.issuer)})"
        self.rec.add("certificate", False, t, detail, failure)

    def _after_tls(self, session: Session) -> None:
        t = time.monotonic()
        try:
            _reply, extensions = _ehlo(session, self._ehlo_name(session))
        except ProbeError as exc:
            self.rec.add("ehlo_tls", False, t, exc.detail, exc.failure)
            return
        mechanisms = _auth_mechanisms(extensions)
        self.rec.add("ehlo_tls", True, t, f"{len(extensions)} extensions: " + ", ".join(extensions)[:300],
                     findings=("oauth_only",) if oauth_only(mechanisms) else ())
        if self.s.user:
            self._auth(session, _auth_mechanisms(extensions))
        try:
            session.send_line("QUIT")
            session.read_reply(wait=min(1.0, self.s.timeout))
        except ProbeError:
            pass

    def _auth(self, session: Session, mechanisms: list[str]) -> None:
        t = time.monotonic()
        if self.s.password is None:
            self.rec.add("auth", False, t, "no password given: login not tried", "not_tried")
            return
        result = log_in(session, mechanisms, self.s.user or "", self.s.password, ProbeError,
                        lambda exc: (exc.failure, exc.detail) if isinstance(exc, ProbeError) else ("failed", ""))
        self.rec.add("auth", result.ok, t, result.detail, result.failure)


def _fmt(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


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
