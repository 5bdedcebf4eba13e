"""The records a probe produces.  Everything shown to people is computed from these.

    Check                 one port of one host (or one VPN protocol): the unit of a verdict
    ├── Attempt           one address family's try (IPv4, IPv6)
    │   ├── Step          resolve, connect, greeting, ehlo, starttls, tls, certificate, ehlo_tls, auth
    │   ├── TranscriptLine  bytes sent/received, notes (TLS-protected lines are marked)
    │   └── TlsInfo       version, cipher, verification, the certificate chain
    │       └── CertInfo
    └── verdict fields    light, cause, where, explanation, advice (from ``verdict``)

A step's ``failure`` and ``findings`` come from a closed vocabulary (see
``verdict.STEP_FAILURES``); ``verdict.classify`` turns them into the contract's
cause codes.  Records are plain frozen dataclasses that convert to and from the
report JSON (``to_json``/``from_json``), so a saved report *is* the records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

Light = Literal["green", "amber", "red", "grey"]
Where = Literal["none", "input", "local", "network", "server", "unknown"]

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


def _pick(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Only the keys *cls* knows: readers ignore fields they do not know."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class TranscriptLine:
    ms: int
    dir: Literal["send", "recv", "note"]
    text: str
    tls: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TranscriptLine:
        return cls(**_pick(cls, data))


@dataclass(frozen=True)
class Step:
    step: str
    ok: bool
    ms: int
    detail: str = ""
    failure: str | None = None  # closed vocabulary, see verdict.STEP_FAILURES
    findings: tuple[str, ...] = ()  # non-fatal observations, e.g. "masked", "outdated"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["findings"] = list(self.findings)
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        d = _pick(cls, data)
        d["findings"] = tuple(d.get("findings") or ())
        return cls(**d)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Check:
    """One check: one port of one host (kind smtp) or one VPN protocol (kind vpn)."""

    id: str
    kind: Literal["smtp", "vpn", "dns"]
    role: Literal["target", "control"]
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
