"""What the text and HTML reports show first, and how their details avoid repeating
themselves.  Pure functions of a :class:`~smtpdiag.report.model.Report`; the two
renderers only format what these return.

    summary_rows(report)     one row per port x server x IP family: the last step that
                             passed and the result (the one-screen table at the top)
    environment_rows(report) this computer and this run: OS, addresses, DNS servers and
                             what they returned, VPN / proxy / security program seen,
                             the user name tried, the report ID, the clock check
    Repeats                  remembers EHLO replies and certificate chains already
                             printed, so later checks refer to them instead
    connections(check)       the transcript split into its connections
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..causes import LIGHTS, family_words, light_word
from ..frozen import field, record
from ..i18n import _
from ..records import STEP_ORDER, Attempt, Check, TlsInfo, TranscriptLine
from ..verdict import cause_light, classify_steps
from .words import mode_word, reference_name

_LEVEL = {name: i for i, name in enumerate(STEP_ORDER)}


@record
class SummaryRow:
    check_id: str
    port: int
    mode: str  # "STARTTLS" / "SSL/TLS", or the VPN protocol
    server: str  # "mail.example.net" or "Gmail (reference)"
    family: str  # "IPv4" / "IPv6" / "-"
    address: str
    last_step: str  # the last step that passed ("connect"), "-" for none
    light: str
    result: str  # the light word and the cause code: "Problem tls_reset"
    cause: str


def _family(attempt: Attempt) -> str:
    return {"ipv4": "IPv4", "ipv6": "IPv6"}.get(attempt.family, "-")


def last_passed(attempt: Attempt) -> str:
    """The last step that passed before the first one that failed (in step order)."""
    last = "-"
    for s in sorted(attempt.steps, key=lambda s: _LEVEL.get(s.step, len(_LEVEL))):
        if s.ok:
            last = s.step
        elif s.failure != "not_tried":
            break
    return last


def attempt_result(check: Check, attempt: Attempt) -> tuple[str, str]:
    """(light, cause) of one address family's try on its own."""
    if any(s.step == "connect" and s.failure == "no_route" for s in attempt.steps):
        return "grey", "no_route"
    if check.kind != "smtp":
        return check.light, check.cause
    cause = classify_steps(attempt.steps, check.port)
    return cause_light(cause, check.port), cause


def server_label(check: Check) -> str:
    if check.role == "control":
        return _("{name} (reference)").format(name=reference_name(check.host))
    return check.host


def summary_rows(report_checks: Sequence[Check]) -> list[SummaryRow]:
    """The one-screen table: every SMTP port of every server, per IP family tried."""
    rows = []
    smtp = [c for c in report_checks if c.kind == "smtp"]
    ordered = sorted(smtp, key=lambda c: (c.port, c.role != "target", c.host))
    for c in ordered:
        attempts = list(c.attempts) or [Attempt("none", c.address, c.steps, c.transcript, c.tls, c.duration_ms)]
        for a in attempts:
            light, cause = attempt_result(c, a) if c.attempts else (c.light, c.cause)
            if light == "grey" and cause == "no_route":
                result = _("not tried (no route of this kind here)")
            else:
                light = light if light in LIGHTS else "grey"  # a newer report's light: shown as unknown
                result = f"{light_word(light)} {cause}"
            rows.append(SummaryRow(c.id, c.port, mode_word(c.mode), server_label(c), _family(a),
                                   a.address or "-", last_passed(a), light, result, cause))
    return rows


def _local_addresses(checks: Sequence[Check]) -> list[str]:
    """This computer's addresses as its connections used them (the EHLO address literal)."""
    found: list[str] = []
    for c in checks:
        for a in c.attempts or ():
            for line in a.transcript:
                if line.dir == "send":
                    m = re.match(r"^(?:EHLO|HELO) \[(?:IPv6:)?([0-9A-Fa-f:.]+)\]$", line.text)
                else:
                    m = re.match(r"^connection \d+ opened to \S+ from (\S+)$", line.text) if line.dir == "note" else None
                if m and m.group(1) not in found:
                    found.append(m.group(1))
    return found


def security_seen(checks: Sequence[Check]) -> list[str]:
    """Interception products and proxies seen in this run, in words."""
    seen: list[str] = []
    for c in checks:
        product = c.tls.intercepted_by if c.tls else None
        if product:
            where = (_("on this computer") if c.where == "local" else _("on the network")) \
                if c.cause == "tls_intercepted" else _("seen in a certificate")
            # TRANSLATORS: e.g. "Avast (on this computer): it checks encrypted mail".
            text = _("{product} ({where}): it checks encrypted mail").format(product=product, where=where)
            if text not in seen:
                seen.append(text)
        if c.cause == "smtp_not_smtp" and c.where == "network":
            text = _("a web proxy or login page answered instead of mail servers")
            if text not in seen:
                seen.append(text)
        if c.cause in ("smtp_banner_masked", "starttls_stripped"):
            text = _("a firewall that changes mail connections")
            if text not in seen:
                seen.append(text)
    return seen


def environment_rows(report: object) -> list[tuple[str, str]]:
    """(label, value) pairs of the environment block."""
    env: dict = getattr(report, "environment", {}) or {}
    inp: dict = getattr(report, "input", {}) or {}
    checks: list[Check] = list(getattr(report, "checks", []) or [])
    none = _("none seen")
    rows = [(_("Operating system"), str(env.get("os") or "?"))]
    local = [str(a) for a in env.get("local_addresses") or []] or _local_addresses(checks)
    rows.append((_("This computer's addresses"), ", ".join(local) or "?"))
    families = [family_words(str(f)) for f in env.get("ip_families") or []]
    rows.append((_("Kinds of internet address"), ", ".join(families) or "?"))
    servers = [str(s) for s in env.get("dns_servers") or []]
    rows.append((_("DNS servers"), ", ".join(servers) or _("not known")))
    for item in env.get("lookups") or []:
        if isinstance(item, dict):
            addresses = ", ".join(str(a) for a in item.get("addresses") or []) or _("no address")
            rows.append((_("Looked up"), f"{item.get('host', '')} -> {addresses}"))
    if env.get("vpn_active"):
        names = ", ".join(str(i) for i in env.get("vpn_interfaces") or [])
        rows.append((_("VPN"), _("active ({names})").format(names=names) if names else _("active")))
    else:
        rows.append((_("VPN"), none))
    if env.get("proxy"):
        rows.append((_("Proxy"), str(env["proxy"])))
    rows.append((_("Security program or proxy"), "; ".join(security_seen(checks)) or none))
    user = inp.get("user")
    rows.append((_("User name tried"), _("{user} (the password is never recorded)").format(user=user)
                 if user else _("none (no login tried)")))
    clock = env.get("clock")
    if isinstance(clock, dict) and clock.get("text"):
        rows.append((_("Clock check"), str(clock["text"])))
    rows.append((_("Report ID"), str(getattr(report, "report_id", "") or "?")))
    return rows


# -- printed once, referred to after ----------------------------------------------------------

def check_label(check: Check) -> str:
    """ "port 587 (STARTTLS), mail.example.net": how a detail refers to another check."""
    if check.kind == "vpn":
        return f"{check.protocol} {check.port}, {check.host}"
    return _("port {port} ({mode}), {server}").format(port=check.port, mode=mode_word(check.mode),
                                                      server=server_label(check))


@record(frozen=False)
class Repeats:
    """EHLO replies and certificate chains already printed, by what they contain."""

    replies: dict[tuple[str, ...], str] = field(default_factory=dict)
    chains: dict[tuple[str, ...], str] = field(default_factory=dict)

    def chain(self, tls: TlsInfo, where: str) -> str | None:
        """Where this chain was printed before (None: print it now, and remember it)."""
        key = tuple(c.sha256 for c in tls.chain)
        if not key:
            return None
        if key in self.chains:
            return self.chains[key]
        self.chains[key] = where
        return None

    def reply(self, lines: Sequence[str], where: str) -> str | None:
        key = tuple(lines)
        if key in self.replies:
            return self.replies[key]
        self.replies[key] = where
        return None


@record
class Shown:
    """One transcript line as a report prints it; ``same_as`` replaces a repeated EHLO reply."""

    line: TranscriptLine
    same_as: str | None = None
    hidden: int = 0  # lines of the repeated reply not printed


def shown_transcript(check: Check, repeats: Repeats, where: str) -> list[Shown]:
    """The transcript with every repeated multi-line EHLO reply cut to its first line
    (kept exactly as received, "250-" and all) and a reference to where it was printed."""
    out: list[Shown] = []
    lines = list(check.transcript)
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(Shown(line))
        i += 1
        if line.dir == "send" and line.text.upper().startswith(("EHLO", "HELO")):
            block = []
            j = i
            while j < len(lines) and lines[j].dir == "recv" and lines[j].text[:4] == "250-":
                block.append(lines[j])
                j += 1
            if j < len(lines) and lines[j].dir == "recv" and lines[j].text[:4] == "250 ":
                block.append(lines[j])
                j += 1
            else:
                continue
            if len(block) < 3:
                continue
            before = repeats.reply([b.text for b in block], where)
            if before is None:
                continue
            out.append(Shown(block[0], before, len(block) - 1))
            i = j
    return out


def same_reply_words(shown: Shown) -> str:
    # TRANSLATORS: {n} lines of a server's reply not printed again; {where} e.g. "port 587 (STARTTLS), mail.example.net".
    return _("... {n} more lines, the same reply as in {where}").format(n=shown.hidden, where=shown.same_as)


def same_chain_words(where: str, tls: TlsInfo) -> str:
    leaf = tls.chain[0].sha256 if tls.chain else ""
    return _("the same certificate chain as in {where} (server certificate SHA-256 {sha})").format(
        where=where, sha=leaf[:16] + "…" if len(leaf) > 16 else leaf)
