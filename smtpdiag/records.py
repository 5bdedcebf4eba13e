"""The records a probe produces.  Everything shown to people is computed from these.

    Check                 one port of one host (or one VPN protocol): the unit of a verdict
    ├── Attempt           one address family's try (IPv4, IPv6)
    │   ├── Step          resolve, connect, greeting, ehlo, starttls, tls, certificate, ehlo_tls, auth
    │   ├── TranscriptLine  bytes sent/received, notes (TLS-protected lines are marked)
    │   └── TlsInfo       version, cipher, verification, the certificate chain
    │       └── CertInfo
    └── verdict fields    light, cause, where (from ``verdict.classify``); explanation and
                          advice (words: from ``report.model.with_words``)

A step's ``failure`` and ``findings`` come from a closed vocabulary (see
``verdict.STEP_FAILURES``); ``verdict.classify`` turns them into the contract's
cause codes.  Records are plain frozen dataclasses that convert to and from the
report JSON (``to_json``/``from_json``), so a saved report *is* the records.
"""

from __future__ import annotations

from enum import StrEnum

from .frozen import asdict, field, fields, record, replace

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Literal

if TYPE_CHECKING:  # names only type checkers read
    Light = Literal["green", "amber", "red", "grey"]
    Where = Literal["none", "input", "local", "network", "server", "unknown"]

def utc_now() -> str:
    """Now, as every time stamp in records and reports is written: ``2026-11-30T09:00:00Z``."""
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# The steps of an SMTP check, in the order a mail program goes through them.
STEP_ORDER = (
    "resolve",
    "connect",
    "greeting",
    "ehlo",
    "starttls",
    "tls",
    "certificate",
    "ehlo_tls",
    "auth",
    # VPN checks
    "probe",
)


class Failure(StrEnum):
    """Why a step could not complete: the one closed vocabulary of failure words.

    Members are strings (``Failure.RESET == "reset"``), so records and reports
    carry them as plain text.  ``verdict.STEP_FAILURES`` turns a (step, failure)
    pair into a cause; a pair it does not know is ``internal_error``.
    """

    # the transport (net.failure_of, contract section 5)
    TIMEOUT = "timeout"
    REFUSED = "refused"
    RESET = "reset"
    EOF = "eof"
    UNREACHABLE = "unreachable"
    NO_ROUTE = "no_route"  # this computer has no route of that address family at all
    LOCAL_BLOCKED = "local_blocked"
    NXDOMAIN = "nxdomain"
    DNS_ERROR = "dns_error"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # an operating-system error nobody mapped: never blames a party
    INTERNAL_ERROR = "internal_error"  # an unexpected exception (a bug): traceback in the run log
    OFFLINE = "offline"  # set by the engine when nothing at all resolves or is reachable
    # TLS (net.failure_of on ssl.SSLError)
    NOT_TLS = "not_tls"
    VERSION = "version"  # refused for its protocol version: tried again with TLS 1.0/1.1
    FAILED = "failed"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    SELF_SIGNED = "self_signed"
    UNTRUSTED = "untrusted"
    NAME_MISMATCH = "name_mismatch"
    INTERCEPTED = "intercepted"
    # the SMTP dialog
    HTTP = "http"
    NOT_SMTP = "not_smtp"
    REJECTED = "rejected"
    MALFORMED = "malformed"
    TOO_LONG = "too_long"
    MISSING = "missing"
    STRIPPED = "stripped"
    MASKED = "masked"
    NOT_TRIED = "not_tried"
    # the login (probe/login.py)
    OAUTH_REQUIRED = "oauth_required"
    APP_PASSWORD_REQUIRED = "app_password_required"
    DISABLED = "disabled"
    TEMPORARY = "temporary"
    # VPN probes
    NO_ANSWER = "no_answer"
    UNVERIFIABLE = "unverifiable"


def _pick(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Only the keys *cls* knows: readers ignore fields they do not know."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@record
class TranscriptLine:
    ms: int  # from the attempt's start, on the one clock of the attempt
    dir: Literal["send", "recv", "note"]
    text: str
    tls: bool = False
    # The connection the line belongs to: 1 the first, 2 a second look or a retry, ...;
    # 0 for lines of no connection (and in reports written before connections were numbered).
    conn: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TranscriptLine:
        return cls(**_pick(cls, data))


@record
class Step:
    step: str
    ok: bool
    ms: int
    detail: str = ""
    failure: str | None = None  # a Failure word; see verdict.STEP_FAILURES
    findings: tuple[str, ...] = ()  # non-fatal observations, e.g. "masked", "outdated"

    def __post_init__(self) -> None:
        if self.failure is not None:  # a Failure member is kept as its plain text
            object.__setattr__(self, "failure", str(self.failure))

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["findings"] = list(self.findings)
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        d = _pick(cls, data)
        d["findings"] = tuple(d.get("findings") or ())
        return cls(**d)


@record
class CertInfo:
    subject: str
    issuer: str
    not_before: str
    not_after: str
    sha256: str
    san: tuple[str, ...] = ()
    self_signed: bool = False

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["san"] = list(self.san)
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CertInfo:
        d = _pick(cls, data)
        d["san"] = tuple(d.get("san") or ())
        return cls(**d)


@record
class TlsInfo:
    version: str | None
    cipher: str | None
    verified: bool
    error: str | None = None
    chain: tuple[CertInfo, ...] = ()
    # Interception product recognised from the chain's issuers, if any.
    intercepted_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["chain"] = [c.to_json() for c in self.chain]
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> TlsInfo | None:
        if not data:
            return None
        d = _pick(cls, data)
        d["chain"] = tuple(CertInfo.from_json(c) for c in d.get("chain") or ())
        return cls(**d)


@record
class Attempt:
    """One address family's try at a check."""

    family: Literal["ipv4", "ipv6", "none"]
    address: str | None
    steps: tuple[Step, ...] = ()
    transcript: tuple[TranscriptLine, ...] = ()
    tls: TlsInfo | None = None
    duration_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "address": self.address,
            "steps": [s.to_json() for s in self.steps],
            "transcript": [t.to_json() for t in self.transcript],
            "tls": self.tls.to_json() if self.tls else None,
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        return cls(
            family=data.get("family", "none"),
            address=data.get("address"),
            steps=tuple(Step.from_json(s) for s in data.get("steps") or ()),
            transcript=tuple(TranscriptLine.from_json(t) for t in data.get("transcript") or ()),
            tls=TlsInfo.from_json(data.get("tls")),
            duration_ms=int(data.get("duration_ms") or 0),
        )


@record
class Check:
    """One check: one port of one host (kind smtp) or one VPN protocol (kind vpn)."""

    id: str
    kind: Literal["smtp", "vpn", "dns"]
    # "account": the exact port and security of a mail program on this computer
    # (``mail_programs``), when no target check already tested them.
    role: Literal["target", "control", "account"]
    host: str
    port: int
    mode: str | None = None  # "starttls" / "implicit" for smtp
    protocol: str | None = None  # VPN protocol name
    address: str | None = None
    light: Light = "grey"
    cause: str = "cancelled"
    where: Where = "unknown"
    explanation: str = ""
    advice: str = ""
    duration_ms: int = 0
    steps: tuple[Step, ...] = ()
    transcript: tuple[TranscriptLine, ...] = ()
    tls: TlsInfo | None = None
    attempts: tuple[Attempt, ...] = ()
    # Extra words for the explanation, e.g. the interception product's name.
    context: dict[str, str] = field(default_factory=dict)

    def with_(self, **changes: Any) -> Check:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "role": self.role,
            "host": self.host,
            "address": self.address,
            "port": self.port,
            "mode": self.mode,
        }
        if self.kind == "vpn":
            d["protocol"] = self.protocol
        d.update(
            light=self.light,
            cause=self.cause,
            where=self.where,
            explanation=self.explanation,
            advice=self.advice,
            duration_ms=self.duration_ms,
            steps=[s.to_json() for s in self.steps],
            transcript=[t.to_json() for t in self.transcript],
            tls=self.tls.to_json() if self.tls else None,
            attempts=[a.to_json() for a in self.attempts],
            context=dict(self.context),
        )
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Check:
        d = _pick(cls, data)
        d["steps"] = tuple(Step.from_json(s) for s in data.get("steps") or ())
        d["transcript"] = tuple(TranscriptLine.from_json(t) for t in data.get("transcript") or ())
        d["tls"] = TlsInfo.from_json(data.get("tls"))
        d["attempts"] = tuple(Attempt.from_json(a) for a in data.get("attempts") or ())
        d["context"] = {str(k): str(v) for k, v in (data.get("context") or {}).items()}
        d["port"] = int(d.get("port") or 0)
        d["duration_ms"] = int(d.get("duration_ms") or 0)
        return cls(**d)


def internal_error_attempt(where: str, exc: BaseException, family: str = "none",
                           address: str | None = None, steps: tuple[Step, ...] = (),
                           transcript: tuple[TranscriptLine, ...] = ()) -> Attempt:
    """The records of a check that met an unexpected exception: what it saw so far,
    then a step that says so.  The traceback goes to the run log (never to the
    report, which customers send around); the step names the exception only."""
    from . import runlog

    runlog.error(f"internal error in {where}", exc)
    last = steps[-1].step if steps else "connect"
    step = Step(last if steps and not steps[-1].ok else _next_step(steps), False, 0,
                f"internal error: {type(exc).__name__}: {str(exc)[:200]}", Failure.INTERNAL_ERROR)
    note = TranscriptLine(0, "note", f"smtpdiag could not go on: {type(exc).__name__} "
                                     "(the traceback is in the log file)")
    return Attempt(family, address, (*steps, step), (*transcript, note))  # type: ignore[arg-type]


def _next_step(steps: tuple[Step, ...]) -> str:
    if not steps:
        return "connect"
    i = STEP_ORDER.index(steps[-1].step) if steps[-1].step in STEP_ORDER else 0
    return STEP_ORDER[min(i + 1, len(STEP_ORDER) - 1)]
