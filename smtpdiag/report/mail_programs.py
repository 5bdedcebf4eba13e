"""The ``mail_programs`` block of a report (contract section 4): the mail programs
on the customer's computer that use the tested server, whether their settings
work, and what to change, in the words stored at the run.  Shared by the text
and HTML reports and the window, so all say the same.

    attach(report, accounts)   fill the block after a run, and the overall words that
                               follow from it (a program set differently is named in
                               the headline, summary and advice)
"""

from __future__ import annotations

from collections.abc import Callable

from ..accounts.model import MailAccount, program_name
from ..i18n import N_, _

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

VERDICT_LIGHT = {"ok": "green", "change": "amber", "fails": "red"}
VERDICT_WORDS = {"ok": N_("These settings work"), "change": N_("Change a setting"),
                 "fails": N_("Does not work from here")}
MODE_NAMES = {"implicit": N_("SSL/TLS"), "starttls": N_("STARTTLS"), "none": N_("no encryption")}


def attach(report: Any, accounts: tuple[MailAccount, ...] | list[MailAccount]) -> None:
    """Fill ``report.mail_programs`` with the accounts of *accounts* that use the tested
    server (judged against the run's checks) and word ``report.overall`` again with them:
    "Sending works ..., but Thunderbird is set differently: change Connection security to
    SSL/TLS".  The light, cause and settings stay as they are."""
    if not accounts:  # no mail program on this computer: nothing to judge (or to import for it)
        report.mail_programs = []
        return
    from ..accounts.run import entries as judged
    from .model import overall_block

    found = judged(report, accounts)
    report.mail_programs = found
    if found:
        report.overall = {**report.overall, **overall_block(report.checks, report.environment, found)}


def entries(report: Any) -> list[dict[str, Any]]:
    return [e for e in getattr(report, "mail_programs", None) or [] if isinstance(e, dict)]


def who(entry: dict[str, Any]) -> str:
    account = str(entry.get("account") or entry.get("user") or entry.get("host") or "")
    return _("{account} in {program}").format(account=account, program=program_name(str(entry.get("program", ""))))


def setting(entry: dict[str, Any]) -> str:
    mode = str(entry.get("mode", ""))
    return _("{host}, port {port}, {security}").format(
        host=entry.get("host", ""), port=entry.get("port", ""), security=_(MODE_NAMES[mode]) if mode in MODE_NAMES else mode)


def verdict_word(entry: dict[str, Any]) -> str:
    v = str(entry.get("verdict", ""))
    return _(VERDICT_WORDS[v]) if v in VERDICT_WORDS else v


def text_lines(report: Any) -> list[str]:
    """The block for the plain-text report ([] when no mail program uses the server)."""
    items = entries(report)
    if not items:
        return []
    heading = _("Mail programs on this computer")
    lines = ["", heading, "-" * len(heading)]
    for e in items:
        lines.append(f"[{verdict_word(e)}] {who(e)}: {setting(e)}")
        lines.append("    " + str(e.get("fix", "")))
    return lines


def html_block(report: Any, esc: Callable[[object], str], badge: Callable[[str], str]) -> list[str]:
    items = entries(report)
    if not items:
        return []
    out = ["<h2>" + esc(_("Mail programs on this computer")) + "</h2>",
           '<p class="muted">' + esc(_("The outgoing-server settings of the mail programs on this computer "
                                       "that use this server, tested exactly as they are set.")) + "</p>",
           '<ul class="mail-programs">']
    for e in items:
        light = VERDICT_LIGHT.get(str(e.get("verdict", "")), "grey")
        out.append(f"<li>{badge(light)} <strong>{esc(who(e))}</strong>: {esc(setting(e))}<br>"
                   f"<strong>{esc(verdict_word(e))}</strong> &mdash; {esc(e.get('fix', ''))}</li>")
    out.append("</ul>")
    return out
