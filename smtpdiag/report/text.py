"""The plain-text report: the answer, a one-screen table, this computer, then details.

    headline, summary, what to do, overall light and cause
    At a glance         port x server x IP family: last step passed, result
    This computer       OS, addresses, DNS servers and what they returned, VPN /
                        proxy / security program seen, user name tried, report ID, clock
    Details             each check; repeated EHLO replies and certificate chains are
                        printed once and referred to after

Server-controlled text never reaches a terminal as escape sequences: every line
goes through the neutraliser (:func:`smtpdiag.textsafe.plain`).
"""

from __future__ import annotations

from ..causes import light_word, title, where_word
from ..i18n import _
from ..records import Check
from ..textsafe import plain
from . import layout, mail_programs
from .model import Report, for_display, several_connections, transcript_line
from .words import report_headline


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def _heading(text: str) -> list[str]:
    return ["", text, "-" * len(text)]


def render(report: Report, details: bool = True) -> str:
    report = for_display(report)  # every field one line, escapes visible (the one neutraliser)
    o = report.overall
    target = report.input.get("target", "")
    lines = [
        _("smtpdiag report for {target}").format(target=target),
        _("Report ID {report_id} · made {created} by smtpdiag {version}").format(
            report_id=report.report_id or "?", created=report.created, version=report.app.get("version", "?")),
        "",
        report_headline(o),
        str(o.get("summary", "")),
        _("What to do: {advice}").format(advice=o.get("advice", "")),
        # TRANSLATORS: {light} is the light word in capitals (OK, WARNING, PROBLEM...), {cause} a
        # cause code such as tls_reset, {where} a place code such as network or server.
        _("Overall: {light} ({cause}, where: {where})").format(
            light=light_word(o.get("light", "grey")).upper(), cause=o.get("cause", ""), where=o.get("where", "")),
    ]
    if report.environment.get("vpn_active"):
        lines.append(_("Note: a VPN was active on this computer; the results describe the VPN's network."))
    lines += mail_programs.text_lines(report)
    rows = layout.summary_rows(report.checks)
    if rows:
        lines += _heading(_("At a glance"))
        lines += _table([_("Port"), _("Type"), _("Server"), _("IP"), _("Address"), _("Last step passed"),
                         _("Result")],
                        [[str(r.port), r.mode, r.server, r.family, r.address, r.last_step, r.result] for r in rows])
    lines += _heading(_("This computer and this run"))
    env = layout.environment_rows(report)
    width = max(len(k) for k, _v in env) + 1
    lines += [f"{(k + ':').ljust(width)} {v}" for k, v in env]
    repeats = layout.Repeats()
    sections = [(_("Finding your mail server"), [c for c in report.checks if c.kind == "dns"]),
                (_("Your mail server"), [c for c in report.checks if c.role == "target" and c.kind == "smtp"]),
                (_("Reference servers"), report.controls),
                (_("VPN"), [c for c in report.checks if c.kind == "vpn"])]
    for heading, checks in sections:
        if not checks:
            continue
        lines += _heading(heading)
        for c in checks:
            what = {"vpn": f"{c.protocol} {c.port}", "dns": _("e-mail domain")}.get(c.kind, f"{c.port}/{c.mode}")
            status = title(c.cause) if c.cause else ""
            if c.role == "control":
                # A reference row is evidence for the target's row: no "where" of its own.
                lines.append(f"[{light_word(c.light).upper():<10}] {c.host} {what}: {status} ({c.cause})")
                lines.append(f"    {c.explanation}")
                continue
            # TRANSLATORS: {cause} is a cause code such as tls_reset, {where} a place code such as
            # network, {where_words} the same place in words ("your network").
            cause = _("({cause}, where: {where} = {where_words})").format(
                cause=c.cause, where=c.where, where_words=where_word(c.where))
            lines.append(f"[{light_word(c.light).upper():<10}] {c.host} {what}: {status} {cause}")
            lines.append(f"    {c.explanation}")
            lines.append("    " + _("What to do: {advice}").format(advice=c.advice))
            if details and c.role == "target":
                lines += _check_details(c, repeats)
    lines.append("")
    return "\n".join(plain(line) for line in "\n".join(lines).split("\n"))


def _check_details(c: Check, repeats: layout.Repeats) -> list[str]:
    out = []
    here = layout.check_label(c)
    if c.address:
        out.append("    " + "   ".join((_("Address: {address}").format(address=c.address),
                                        _("Time: {ms} ms").format(ms=c.duration_ms))))
    # TRANSLATORS: a step that worked (the mark in the text report, the word in the HTML report).
    passed = _("ok")
    # TRANSLATORS: the mark of a failed step in the plain-text report; keep it short.
    failed = _("FAIL")
    width = max(4, len(passed), len(failed))
    for s in c.steps:
        mark = passed if s.ok else failed
        extra = f" [{s.failure}]" if s.failure else ""
        extra += f" {{{', '.join(s.findings)}}}" if s.findings else ""
        out.append(f"      {mark:<{width}} {s.step:<12} {s.ms:>6} ms  {s.detail}{extra}")
    if c.tls:
        verified = _("verified") if c.tls.verified else _("NOT verified")
        out.append(f"    TLS: {c.tls.version or '?'} {c.tls.cipher or ''} {verified}"
                   + (f" ({c.tls.error})" if c.tls.error else ""))
        before = repeats.chain(c.tls, here)
        if before is not None:
            out.append("      " + _("certificates: {same}").format(same=layout.same_chain_words(before, c.tls)))
        else:
            for cert in c.tls.chain:
                out.append("      " + _("certificate: {subject}").format(subject=cert.subject))
                out.append("        " + _("issued by: {issuer}").format(issuer=cert.issuer))
                out.append("        " + _("valid: {start} .. {end}").format(start=cert.not_before, end=cert.not_after))
                out.append(f"        SHA-256: {cert.sha256}")
                if cert.san:
                    out.append("        " + _("names: {names}").format(names=", ".join(cert.san)))
    if c.transcript:
        out.append("    " + _("Transcript:"))
        numbered = several_connections(c)
        for shown in layout.shown_transcript(c, repeats, here):
            out.append("      " + transcript_line(shown.line, numbered))
            if shown.same_as:
                out.append("      " + " " * 13 + layout.same_reply_words(shown))
    for a in c.attempts:
        if a.address != c.address and a.family != "none":
            failures = [s for s in a.steps if s.failure]
            if failures:
                first = failures[0]
                out.append(f"    {a.family} ({a.address}): {first.step} {first.failure}: {first.detail}")
    return out
