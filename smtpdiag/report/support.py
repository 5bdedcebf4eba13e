""""Copy for support": the report in a few lines for a support chat box or ticket field.

The full report (JSON or HTML) is what support staff open; this text is what a
customer pastes first.  It names the overall verdict, each port of the target
with its light word, cause code and explanation, each mail program on the
customer's computer that is set differently (program, port, security, what to
change; no account name), and enough to find the full report again (report ID,
time, app version).  Kept under about 1000 characters
for the default four ports: explanations are shortened when needed, cause codes
never.
"""

from __future__ import annotations

from ..causes import LIGHTS, light_word, where_word
from ..i18n import _
from ..records import Check
from ..textsafe import plain
from .model import Report
from .words import (
    change_items,
    change_words,
    check_title,
    created_words,
    program_changes,
    report_headline,
)

LIMIT = 1000  # characters, for four ports


def _one_line(text: object) -> str:
    return " ".join(plain(text).split())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def _light(light: object) -> str:
    return light if isinstance(light, str) and light in LIGHTS else "grey"


def _port_line(c: Check, explanation_limit: int) -> str:
    explanation = _shorten(_one_line(c.explanation), explanation_limit)
    return f"- {check_title(c)}: {light_word(_light(c.light))} ({_one_line(c.cause)}): {explanation}".rstrip()


def _program_line(entry: dict[str, object]) -> str:
    """ "- Thunderbird: port 465, STARTTLS: change Connection security to SSL/TLS"."""
    from ..accounts.model import program_name
    from .mail_programs import MODE_NAMES

    mode = str(entry.get("mode", ""))
    values = {"program": program_name(str(entry.get("program", ""))), "port": entry.get("port", ""),
              "security": _(MODE_NAMES[mode]) if mode in MODE_NAMES else mode}
    items = change_items(dict(entry))
    if not items:  # a report made before entries named the setting they use
        return _one_line(_("- {program}: port {port}, {security}: change the outgoing-server settings").format(
            **values))
    what = change_words(items)
    # TRANSLATORS: a mail program on the customer's computer that is set differently:
    # "- Thunderbird: port 465, STARTTLS: change Connection security to SSL/TLS".
    return _one_line(_("- {program}: port {port}, {security}: change {changes}").format(changes=what, **values))


def support_summary(report: Report) -> str:
    """A short plain text about *report* for a support chat (one line per target port)."""
    o = report.overall
    targets = [c for c in report.checks if c.role == "target" and c.kind != "vpn"]
    head = [
        _one_line(_("smtpdiag report {report_id} for {target}").format(
            report_id=report.report_id or "?", target=report.input.get("target", ""))),
        # TRANSLATORS: {light} is the light word in capitals (OK, WARNING, PROBLEM...), {cause} a
        # cause code such as tls_reset, {where} the place in words ("your network"), {summary}
        # one or two sentences.
        _one_line(_("Result: {light} ({cause}, {where}). {summary}").format(
            light=light_word(_light(o.get("light"))).upper(), cause=o.get("cause", ""),
            where=where_word(str(o.get("where", "unknown"))),
            summary=_shorten(_one_line(report_headline(o)), 250))),
    ]
    tail = [_program_line(e) for e in program_changes(report.mail_programs)]
    if report.environment.get("vpn_active"):
        tail.append(_("A VPN was active on this computer."))
    tail.append(_one_line(_("Made {created} with smtpdiag {version} on {os}.").format(
        created=created_words(report.created), version=report.app.get("version", "?"),
        os=report.environment.get("os", "?"))))
    # Give the explanations whatever room is left, evenly, but never less than 60.
    fixed = sum(len(line) + 1 for line in head + tail)
    fixed += sum(len(_port_line(c, 0)) + 2 for c in targets)
    room = (LIMIT - fixed) // max(1, len(targets)) if targets else 0
    limit = max(60, min(200, room))
    lines = head + [_port_line(c, limit) for c in targets] + tail
    return "\n".join(lines) + "\n"
