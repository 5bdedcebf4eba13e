"""The login (SMTP AUTH) dialog on an open, encrypted SMTP session, and its redaction.

    log_in(session, mechanisms, user, password, error_type, failure_of_error) -> LoginResult

*session* is anything with ``send_line(line, shown)``, ``read_reply()`` (a
reply with ``code`` and ``lines``) and a ``transcript`` list it appends to:
the SMTP probe's session.  Nothing of the AUTH exchange stays readable in that
transcript, in either direction: what we send is written as ``<redacted>`` as
it is sent, and every line the server sends during the exchange is replaced
afterwards by its reply code and ``<redacted>`` (a server may echo the base64
token back).  The step's detail keeps the server's final answer -- its code,
enhanced status code and words -- with anything that could carry the password
taken out (:func:`scrub`).

The reply is classified by :func:`smtpdiag.login_policy.classify_auth_reply`;
a server whose EHLO after TLS offers only OAuth mechanisms gets
``oauth_required`` without the password ever being sent.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence

from ..config import SUBMISSION_PORT_ORDER
from ..frozen import record, replace
from ..login_policy import classify_auth_reply, enhanced_code, oauth_only

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Protocol

# What we try, in the order a mail program set to "Normal password" over TLS does.
MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")
REDACTED = "<redacted>"


if TYPE_CHECKING:  # what a login needs of a session: a type, for type checkers only
    class LoginSession(Protocol):
        transcript: Any  # a list of TranscriptLine the session appends to

        def send_line(self, line: str, shown: str | None = None) -> None: ...

        def read_reply(self) -> Any: ...


@record
class LoginResult:
    ok: bool
    failure: str | None  # a login_policy.LOGIN_FAILURES word, a transport failure word, or "not_tried"
    detail: str
    mechanism: str | None = None


class ProtocolTrouble(Exception):
    """The server's side of the dialog makes no sense (a malformed CRAM-MD5 challenge)."""


def password_is_text(password: str) -> bool:
    """False for a password that cannot be sent as UTF-8 (e.g. typed in Latin-1 and read
    with surrogate escapes)."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def choose_mechanism(mechanisms: Sequence[str]) -> str | None:
    offered = {m.upper() for m in mechanisms}
    return next((m for m in MECHANISMS if m in offered), None)


def log_in(session: LoginSession, mechanisms: Sequence[str], user: str, password: str,
           error_type: type[Exception], failure_of_error: Callable[[Exception], tuple[str, str]]) -> LoginResult:
    """Log in once on *session* and say how it went.  Never raises for what the server does.

    *error_type* is the transport's error (``ProbeError``); *failure_of_error* turns it into
    (failure word, detail).  Only *error_type* is caught: anything else is a bug.
    """
    offered = [m.upper() for m in mechanisms]
    if oauth_only(offered):
        return LoginResult(False, "oauth_required",
                           f"the server offers only OAuth2 sign-in ({', '.join(offered)}): "
                           "the password was not sent")
    mech = choose_mechanism(offered)
    if mech is None:
        return LoginResult(False, "not_tried", "the server offers no login method smtpdiag knows "
                           f"({', '.join(offered) or 'none'}): the password was not sent")
    if not password_is_text(password) or not password_is_text(user):
        return LoginResult(False, "not_tried", "the login name or password is not valid text (UTF-8): "
                           "nothing was sent", mech)
    secrets: list[str] = [password]
    start = len(session.transcript)
    try:
        try:
            reply = _dialog(session, mech, user, password, secrets)
        except ProtocolTrouble as exc:
            return LoginResult(False, "malformed", f"AUTH {mech}: {exc}", mech)
        except error_type as exc:
            failure, detail = failure_of_error(exc)
            return LoginResult(False, failure, f"AUTH {mech}: {scrub(detail, secrets)}", mech)
    finally:
        redact_transcript(session.transcript, start)
    answer = scrub(" ".join(reply.lines), secrets)
    if reply.code == 235:
        return LoginResult(True, None, f"logged in with {mech}", mech)
    failure = classify_auth_reply(reply.code, " ".join(reply.lines))
    return LoginResult(False, failure, f"AUTH {mech} answered {reply.code} {answer}"[:300], mech)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _dialog(session: LoginSession, mech: str, user: str, password: str, secrets: list[str]) -> Any:
    if mech == "PLAIN":
        token = _b64(f"\0{user}\0{password}".encode())
        secrets.append(token)
        session.send_line(f"AUTH PLAIN {token}", f"AUTH PLAIN {REDACTED}")
        return session.read_reply()
    if mech == "LOGIN":
        session.send_line("AUTH LOGIN")
        reply = session.read_reply()
        if reply.code == 334:
            session.send_line(_b64(user.encode()), REDACTED)
            reply = session.read_reply()
        if reply.code == 334:
            token = _b64(password.encode())
            secrets.append(token)
            session.send_line(token, REDACTED)
            reply = session.read_reply()
        return reply
    session.send_line("AUTH CRAM-MD5")
    reply = session.read_reply()
    if reply.code != 334:
        return reply
    if len(reply.lines) != 1:
        raise ProtocolTrouble("the CRAM-MD5 challenge is not one line")
    try:
        challenge = base64.b64decode(reply.lines[0].strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolTrouble("the CRAM-MD5 challenge is not valid base64") from None
    if not challenge:
        raise ProtocolTrouble("the CRAM-MD5 challenge is empty")
    import hashlib  # CRAM-MD5 only (hmac and hashlib load OpenSSL's digests: start-up)
    import hmac

    digest = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
    token = _b64(f"{user} {digest}".encode())
    secrets += [digest, token]
    session.send_line(token, REDACTED)
    return session.read_reply()


# -- redaction ---------------------------------------------------------------------------------

_REPLY_START = re.compile(r"^(\d{3})[ -]?")
_TOKEN = re.compile(r"\S+")
_B64ISH = re.compile(r"^[A-Za-z0-9+/=_-]{8,}$")


def redacted_line(text: str) -> str:
    """A line the server sent during AUTH: its reply code and enhanced code, nothing else."""
    m = _REPLY_START.match(text)
    if not m:
        return REDACTED
    enhanced = enhanced_code(text[m.end():])
    return f"{m.group(1)} {enhanced} {REDACTED}" if enhanced else f"{m.group(1)} {REDACTED}"


def redact_transcript(transcript: Any, start: int) -> None:
    """Replace what the server sent from index *start* on by :func:`redacted_line`."""
    for i in range(start, len(transcript)):
        line = transcript[i]
        if getattr(line, "dir", None) == "recv":
            transcript[i] = replace(line, text=redacted_line(line.text))


def _windows(secret: str, size: int = 6) -> set[str]:
    s = secret.casefold()
    if len(s) <= size:
        return {s} if len(s) >= 4 else set()
    return {s[i:i + size] for i in range(len(s) - size + 1)}


def _decodes_to_secret(token: str, secrets: Sequence[str]) -> bool:
    stripped = token.strip("<>()[]{},;:.'\"")
    for candidate in (stripped, stripped.replace("-", "+").replace("_", "/")):
        padded = candidate + "=" * (-len(candidate) % 4)
        try:
            raw = base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if b"\0" in raw:
            return True
        text = raw.decode("utf-8", "replace").casefold()
        if any(w in text for s in secrets for w in _windows(s)):
            return True
    return False


def login_secrets(user: str, password: str) -> list[str]:
    """What a login sends that could reveal the password: the password and its base64 forms."""
    return [password, _b64(password.encode("utf-8", "surrogateescape")),
            _b64(f"\0{user}\0{password}".encode("utf-8", "surrogateescape"))]


def scrub_after_login(transcript: Sequence[Any], secrets: Sequence[str]) -> tuple[Any, ...]:
    """The transcript with every line the server sent scrubbed (:func:`scrub`): a hostile
    server may echo the login later too (in its answer to QUIT)."""
    return tuple(replace(t, text=scrub(t.text, secrets)) if getattr(t, "dir", None) == "recv" else t
                 for t in transcript)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """*text* (a reply the server sent during AUTH) without anything that could carry a secret:
    a word containing part of the password or of a token we sent, a word that decodes
    (base64) to either, or any other long base64- or hex-looking word with digits or symbols.
    Plain words ("Authentication unsuccessful, basic authentication is disabled") stay."""
    windows = {w for s in secrets for w in _windows(s)}

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        folded = word.casefold()
        if any(w in folded for w in windows):
            return REDACTED
        core = word.strip("<>()[]{},;:.'\"")
        if _B64ISH.match(core):
            if _decodes_to_secret(core, secrets):
                return REDACTED
            if any(ch.isdigit() or ch in "+/=" for ch in core) and not enhanced_code(core):
                return REDACTED
        return word

    return _TOKEN.sub(one, text)


# -- one login per run -------------------------------------------------------------------------

# The ports a login is tried on first, in this order; then the others in the order asked for.
LOGIN_PORT_ORDER = SUBMISSION_PORT_ORDER


def encrypted_and_verified(steps: Sequence[Any]) -> bool:
    """True when these steps reached an encrypted session with a verified certificate and the
    server answered EHLO over it: the only place a password may be sent."""
    cert = any(s.step == "certificate" and s.ok for s in steps)
    ehlo = any(s.step == "ehlo_tls" and s.ok for s in steps)
    return cert and ehlo


def choose_login(checks: Sequence[Any]) -> tuple[Any, int] | None:
    """Where the run's one login is tried: (check, attempt index) of the first submission port
    whose TLS verified, in the order 465, 587, 2525, then the others; None when there is none.

    *checks* are the finished target SMTP checks in the order they were planned.
    """
    from ..verdict import deciding_checks

    deciding = deciding_checks(list(checks))
    ranked = sorted(enumerate(deciding), key=lambda ic: (
        LOGIN_PORT_ORDER.index(ic[1].port) if ic[1].port in LOGIN_PORT_ORDER else len(LOGIN_PORT_ORDER), ic[0]))
    for _i, check in ranked:
        attempts = list(check.attempts)
        # The attempt the row shows first, then the other address family.
        order = sorted(range(len(attempts)), key=lambda i: attempts[i].steps != check.steps)
        for i in order:
            if encrypted_and_verified(attempts[i].steps):
                return check, i
    return None
