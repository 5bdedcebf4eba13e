"""Classification: from records to (light, cause, where).  Pure: no I/O, no clock.

The probe writes what it *saw* into each :class:`~smtpdiag.records.Step` as a
``failure`` (the step could not complete) or ``findings`` (it completed, with
something worth a warning), both from the closed vocabulary below.  This module
is the only place that turns those observations into the contract's causes:

* :func:`classify_steps`  one attempt's steps -> its cause
* :func:`classify`        a check's attempts (IPv4/IPv6) + the reference
                          servers' checks on the same port -> light, cause, where
* :func:`overall`         every target check -> the run's overall verdict
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .causes import CAUSES, LIGHT_RANK
from .frozen import record
from .records import STEP_ORDER, Attempt, Check, Step, TlsInfo

# (step, failure) -> cause.  A failure ends the step unsuccessfully.
STEP_FAILURES: dict[tuple[str, str], str] = {
    ("resolve", "nxdomain"): "dns_not_found",
    ("resolve", "dns_error"): "dns_failure",
    ("connect", "timeout"): "tcp_timeout",
    ("connect", "refused"): "tcp_refused",
    ("connect", "unreachable"): "tcp_unreachable",
    ("connect", "no_route"): "tcp_unreachable",  # this computer has no route of that family
    ("connect", "reset"): "tcp_reset",
    ("connect", "eof"): "tcp_reset",
    ("greeting", "timeout"): "smtp_silent",
    ("greeting", "reset"): "tcp_reset",
    ("greeting", "eof"): "tcp_reset",
    ("greeting", "http"): "smtp_not_smtp",
    ("greeting", "not_smtp"): "smtp_not_smtp",
    ("greeting", "rejected"): "smtp_rejected",
    ("greeting", "malformed"): "smtp_protocol_error",
    ("greeting", "too_long"): "smtp_protocol_error",
    ("ehlo", "timeout"): "smtp_protocol_error",
    ("ehlo", "reset"): "tcp_reset",
    ("ehlo", "eof"): "tcp_reset",
    ("ehlo", "rejected"): "smtp_protocol_error",
    ("ehlo", "malformed"): "smtp_protocol_error",
    ("ehlo", "too_long"): "smtp_protocol_error",
    ("starttls", "missing"): "starttls_missing",
    ("starttls", "stripped"): "starttls_stripped",
    ("starttls", "masked"): "starttls_stripped",
    ("starttls", "refused"): "starttls_failed",
    # Cut in answer to STARTTLS, before or just after its 220 (a reset can
    # overtake the 220 and the kernel then drops it): the encrypted start was cut.
    ("starttls", "reset"): "tls_reset",
    ("starttls", "eof"): "tls_reset",
    ("starttls", "timeout"): "smtp_protocol_error",
    ("starttls", "malformed"): "smtp_protocol_error",
    ("starttls", "too_long"): "smtp_protocol_error",
    ("tls", "reset"): "tls_reset",
    ("tls", "eof"): "tls_reset",
    ("tls", "timeout"): "tls_timeout",
    ("tls", "not_tls"): "tls_not_tls",
    ("tls", "failed"): "tls_handshake_failed",
    ("certificate", "intercepted"): "tls_intercepted",
    ("certificate", "expired"): "tls_expired",
    ("certificate", "not_yet_valid"): "tls_expired",
    ("certificate", "name_mismatch"): "tls_name_mismatch",
    ("certificate", "self_signed"): "tls_self_signed",
    ("certificate", "untrusted"): "tls_untrusted",
    ("ehlo_tls", "reset"): "tls_reset",
    ("ehlo_tls", "eof"): "tls_reset",
    ("ehlo_tls", "timeout"): "smtp_protocol_error",
    ("ehlo_tls", "rejected"): "smtp_protocol_error",
    ("ehlo_tls", "malformed"): "smtp_protocol_error",
    ("ehlo_tls", "too_long"): "smtp_protocol_error",
    ("auth", "failed"): "auth_failed",
    ("auth", "oauth_required"): "auth_oauth_required",
    ("auth", "app_password_required"): "auth_app_password_required",
    ("auth", "disabled"): "auth_disabled",
    # 454 "temporary authentication failure": not a wrong password, the server cannot check it now.
    ("auth", "temporary"): "smtp_rejected",
    # The server does not understand the login method it offered itself.
    ("auth", "rejected"): "smtp_protocol_error",
    # No answer to a login is the server's fault, not a wrong password.
    ("auth", "timeout"): "smtp_protocol_error",
    ("auth", "eof"): "smtp_protocol_error",
    ("auth", "reset"): "smtp_protocol_error",
    ("auth", "malformed"): "smtp_protocol_error",
    ("auth", "too_long"): "smtp_protocol_error",
    ("resolve", "offline"): "offline",  # set by the engine, never by a probe
    ("connect", "offline"): "offline",
    ("probe", "no_answer"): "vpn_no_answer",
    ("probe", "refused"): "vpn_refused",
    ("probe", "unverifiable"): "vpn_unverifiable",
}

# No route any more, in the middle of a conversation (an ICMP error arriving late).
for _step in ("greeting", "ehlo", "starttls", "tls", "ehlo_tls", "auth"):
    STEP_FAILURES[(_step, "unreachable")] = "tcp_unreachable"

# The operating system refused to open or use the connection: a firewall on this computer.
for _step in ("connect", "greeting", "ehlo", "starttls", "tls", "ehlo_tls", "auth", "probe"):
    STEP_FAILURES[(_step, "local_blocked")] = "local_blocked"

# (step, finding) -> cause.  A finding does not stop the check.
STEP_FINDINGS: dict[tuple[str, str], str] = {
    ("greeting", "masked"): "smtp_banner_masked",
    ("ehlo", "auth_plain"): "auth_before_tls",
    ("tls", "outdated"): "tls_outdated",
    ("certificate", "intercepted"): "tls_intercepted",
}

# The step each cause belongs to, to compare how far two checks got.
CAUSE_STEP: dict[str, str] = {}
for (_step, _f), _cause in list(STEP_FAILURES.items()) + list(STEP_FINDINGS.items()):
    CAUSE_STEP.setdefault(_cause, _step)
CAUSE_STEP.update({"ok": "end", "vpn_reachable": "end", "ip_family_partial": "connect",
                   "internal_error": "resolve", "cancelled": "resolve"})
_LEVEL = {name: i for i, name in enumerate((*STEP_ORDER, "end"))}

SUBMISSION_EXEMPT_PORTS = frozenset({25})


@record
class Verdict:
    light: str
    cause: str
    where: str
    attempt: int = 0  # index of the attempt whose records the check shows


def cause_light(cause: str, port: int, untrusted: bool = False) -> str:
    """The light of *cause* on *port*; *untrusted*: a ``tls_intercepted`` whose
    interception root this computer does not trust (the mail program warns)."""
    if cause == "starttls_missing" and port == 25:
        return "amber"
    if cause == "tls_intercepted" and untrusted:
        return "red"
    return CAUSES[cause].light


def step_causes(step: Step) -> list[tuple[str, str | None]]:
    """(cause, light override) this one step shows, failure first, then findings.

    A (step, failure) pair the table does not know is ``internal_error``: the
    program met something it does not understand, which blames no party.
    """
    found: list[tuple[str, str | None]] = []
    if step.failure and step.failure != "not_tried":
        if step.failure == "cancelled":
            found.append(("cancelled", None))
        elif step.failure == "internal_error":
            found.append(("internal_error", None))
        else:
            cause = STEP_FAILURES.get((step.step, step.failure), "internal_error")
            untrusted = step.step == "certificate" and step.failure == "intercepted"
            found.append((cause, "red" if untrusted else None))
    for f in step.findings:
        c = STEP_FINDINGS.get((step.step, f))
        if c:
            found.append((c, None))
    return found


def classify_attempt(steps: Sequence[Step], port: int) -> tuple[str, str]:
    """(cause, light) for one attempt: the first problem that stops a mail program,
    in the order of the steps; failing that, the first warning; else ``ok``.
    ``internal_error`` anywhere wins: what the program did not understand must not
    be hidden behind a verdict it cannot stand behind."""
    ordered = sorted(steps, key=lambda s: _LEVEL.get(s.step, len(_LEVEL)))  # stable: same step keeps order
    causes = [(c, light or cause_light(c, port)) for s in ordered for c, light in step_causes(s)]
    if any(c == "internal_error" for c, _light in causes):
        return "internal_error", "grey"
    if any(c == "cancelled" for c, _light in causes) and not any(light == "red" for _c, light in causes):
        return "cancelled", "grey"
    for wanted in ("red", "amber"):
        for c, light in causes:
            if c != "cancelled" and light == wanted:
                return c, light
    for c, light in causes:
        if c == "vpn_unverifiable":
            return c, light
    if steps and steps[-1].step == "probe":
        return "vpn_reachable", "green"
    return "ok", "green"


def classify_steps(steps: Sequence[Step], port: int) -> str:
    """The cause for one attempt (see :func:`classify_attempt`)."""
    return classify_attempt(steps, port)[0]


def _works(cause: str, light: str) -> bool:
    return light in ("green", "amber") and cause != "cancelled"


# A reference check ending so never met this network's mail traffic: its own name was not
# found, there was no name service, this computer is offline or may not connect.
_NEVER_REACHED_NETWORK = frozenset({"dns_not_found", "dns_failure", "offline", "local_blocked"})


@record
class References:
    """How the reference servers fared on one check's port and mode, compared with its
    *cause*: the one comparison behind a "by control" where (:func:`where_for`) and the
    window's "Other mail servers" column.  Counts are of *tested* reference checks: those
    that reached a light (not grey: not cancelled, not an internal error)."""

    tested: int
    working: int  # green or amber
    green: int
    same_cause: bool  # every tested one ended with *cause* (and at least one was tested)
    names_only: bool  # every tested one failed to look up a name (and at least one was tested)
    where: str  # network (all failed the same way), server (one got further), unknown


def is_reference_for(reference: Check, check: Check) -> bool:
    """Whether *reference* is a reference server's check that *check* is compared with: the
    same port and mode (a port given in two modes is compared twice, once per mode)."""
    return reference.role == "control" and (reference.port, reference.mode) == (check.port, check.mode)


def compare_references(cause: str, controls: Iterable[Check]) -> References:
    """The reference servers' finished checks on the same port and mode, against *cause*."""
    tested = [c for c in controls if c.light != "grey" and c.cause != "cancelled"]
    informative = [c for c in tested if c.cause not in _NEVER_REACHED_NETWORK]
    if not informative:
        where = "unknown"
    elif all(c.cause == cause for c in informative):
        where = "network"
    elif cause in CAUSE_STEP and any(_LEVEL[CAUSE_STEP.get(c.cause, "end")] > _LEVEL[CAUSE_STEP[cause]]
                                     for c in informative):
        where = "server"
    else:
        where = "unknown"
    return References(
        tested=len(tested),
        working=sum(1 for c in tested if c.light in ("green", "amber")),
        green=sum(1 for c in tested if c.light == "green"),
        same_cause=bool(tested) and all(c.cause == cause for c in tested),
        names_only=bool(tested) and all(c.cause.startswith("dns_") for c in tested),
        where=where,
    )


def where_for(cause: str, tls: TlsInfo | None, steps: Sequence[Step],
              controls: Iterable[Check], intercept_kind: str | None = None) -> str:
    """Who is at fault for *cause*: the table's default, or decided by the controls."""
    default = CAUSES[cause].where
    if default == "special":
        if cause == "smtp_not_smtp":
            http = any(s.step == "greeting" and s.failure == "http" for s in steps)
            return "network" if http else "server"
        if cause == "tls_intercepted":
            return intercept_kind or "network"
    if default != "by_control":
        return default
    return compare_references(cause, controls).where


# A login the server refused: the run's overall is red with this cause, whatever the ports.
LOGIN_REFUSALS = frozenset({"auth_failed", "auth_oauth_required", "auth_app_password_required", "auth_disabled"})


def classify(attempts: Sequence[Attempt], port: int, controls: Iterable[Check] = (),
             intercept_kind: str | None = None, family_partial: bool = True) -> Verdict:
    """Light, cause and where for one check.

    Each address family's attempt is classified on its own.  The verdict comes
    from the working one if any (``ip_family_partial`` when exactly one of two
    works, and *family_partial* is on: VPN checks turn it off), else from the
    IPv4 attempt.
    """
    controls = list(controls)
    if not attempts:
        return Verdict("grey", "cancelled", "unknown")
    judged = [classify_attempt(a.steps, port) for a in attempts]
    per = [cause for cause, _light in judged]
    # A family this computer has no route for is not tried, as a mail program would not.
    usable = [i for i, a in enumerate(attempts)
              if not any(s.step == "connect" and s.failure == "no_route" for s in a.steps)]
    broken = [i for i, cause in enumerate(per) if cause == "internal_error"]
    if broken:  # an attempt the program could not judge: the check cannot be judged either
        return Verdict("grey", "internal_error", "unknown", broken[0])
    refused = [i for i, cause in enumerate(per) if cause in LOGIN_REFUSALS]
    if refused:
        # The run's one login went over one family and was refused: that is the account's
        # answer, not a difference between IPv4 and IPv6.
        i = refused[0]
        a = attempts[i]
        return Verdict(judged[i][1], per[i], where_for(per[i], a.tls, a.steps, controls, intercept_kind), i)
    working = [i for i in usable if _works(*judged[i])]
    tried = [i for i in usable if attempts[i].family in ("ipv4", "ipv6")]
    if family_partial and len(tried) == 2 and len(working) == 1 and \
            per[next(i for i in tried if i != working[0])] != "cancelled":
        # One family works, the other does not: the working one's records are
        # shown (with any warning kept in its steps); the cause is the partial reach.
        return Verdict("amber", "ip_family_partial", "network", working[0])
    if working:
        i = working[0]
    else:
        ipv4 = [i for i in usable if attempts[i].family == "ipv4"]
        i = ipv4[0] if ipv4 else (usable[0] if usable else 0)
    c, light = judged[i]
    a = attempts[i]
    return Verdict(light, c, where_for(c, a.tls, a.steps, controls, intercept_kind), i)


@record
class Overall:
    light: str
    cause: str
    where: str
    check_id: str | None  # the check the overall cause comes from


def deciding_checks(checks: Sequence[Check]) -> list[Check]:
    """The target SMTP checks that decide the overall light (port 25 only if alone)."""
    smtp = [c for c in checks if c.kind == "smtp" and c.role == "target"]
    deciding = [c for c in smtp if c.port not in SUBMISSION_EXEMPT_PORTS]
    return deciding or smtp




def refused_login(checks: Sequence[Check]) -> Check | None:
    """The target check whose login the server refused, if a login was tried and refused."""
    for c in checks:
        if c.kind == "smtp" and c.role == "target" and c.cause in LOGIN_REFUSALS:
            return c
    return None


def overall(checks: Sequence[Check]) -> Overall:
    """Can this customer send mail securely to this server?

    Green if at least one submission port is green, amber if the best is amber,
    red if none works; port 25, VPN checks and reference servers do not decide.
    A login that was tried and refused makes it red with the login's cause.
    """
    deciding = deciding_checks(checks)
    if not deciding:
        return Overall("grey", "cancelled", "unknown", None)
    refused = refused_login(checks)
    if refused is not None:
        return Overall("red", refused.cause, refused.where, refused.id)
    if all(c.light == "grey" for c in deciding):
        return Overall("grey", deciding[0].cause, deciding[0].where, deciding[0].id)
    best = min(deciding, key=lambda c: LIGHT_RANK[c.light])
    if best.light in ("green", "amber"):
        return Overall(best.light, best.cause, best.where, best.id)
    reds = [c for c in deciding if c.light == "red"]
    # The most common red cause speaks for the run; ties go to the first port.
    counts: dict[str, int] = {}
    for c in reds:
        counts[c.cause] = counts.get(c.cause, 0) + 1
    top = max(reds, key=lambda c: counts[c.cause])
    return Overall("red", top.cause, top.where, top.id)


# What an attempt ends in when this computer has no internet at all.
_NO_INTERNET = {("resolve", "nxdomain"), ("resolve", "dns_error"), ("connect", "unreachable"),
                ("connect", "no_route")}


def is_offline(checks: Sequence[Check]) -> bool:
    """Whether this computer is offline: it has reference servers, and the target's
    and every reference server's names failed to resolve, or none of their
    addresses had a route.  Without reference servers it cannot be told apart
    from a wrong name, so it is never offline (docs/contract.md section 3)."""
    smtp = [c for c in checks if c.kind == "smtp"]
    if not any(c.role == "control" for c in smtp) or not any(c.role == "target" for c in smtp):
        return False
    for check in smtp:
        if not check.attempts:
            return False
        for attempt in check.attempts:
            failed = [s for s in attempt.steps if s.failure]
            if not failed or (failed[0].step, failed[0].failure) not in _NO_INTERNET:
                return False
    return True
