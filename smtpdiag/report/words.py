"""The words of a whole run, built from its results: the headline, the summary, the
settings to use, and the sentences that tie rows together.

    working_settings(checks)   the check whose settings the customer should use (or None)
    summarise(checks, mail_programs)
                               (summary, advice, settings) for the overall verdict
    headline(checks, mail_programs)
                               one line: can I send, and how (and which mail program
                               on this computer must change which setting)
    run_words(checks)          every check's words in the light of the whole run:
                               target rows name the working alternative, reference
                               rows read as evidence for the target row on their port

The one rule behind all of it (docs/contract.md section 2): no sentence names a port or
setting *to use* unless that port was tested in this run and worked.  The cause texts
in :mod:`smtpdiag.causes` never name one; the only sentences that do are built here,
from :func:`working_settings`, with :func:`setting_words`, and from a mail program's
``use`` (``smtpdiag.accounts.settings.judge``: a setting tested and working in this run).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..causes import explain, port_words, title
from ..config import SUBMISSION_PORT_ORDER, vpn_protocol_name
from ..i18n import N_, _, ngettext
from ..records import Check
from ..verdict import LOGIN_REFUSALS, SUBMISSION_EXEMPT_PORTS, deciding_checks, overall

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any

# The order in which working submission ports are recommended (contract section 4).
SUBMISSION_ORDER = SUBMISSION_PORT_ORDER

MODE_WORDS = {"implicit": N_("SSL/TLS"), "starttls": N_("STARTTLS")}

# Reference servers by the name their customers know them by.
REFERENCE_NAMES = {
    "smtp.gmail.com": "Gmail",
    "smtp.mail.yahoo.com": "Yahoo Mail",
    "smtp.sendgrid.net": "SendGrid",
    "smtp.mailgun.org": "Mailgun",
    "smtp.office365.com": "Microsoft 365",
    "smtp-mail.outlook.com": "Outlook.com",
}


def mode_word(mode: str | None) -> str:
    """ "SSL/TLS" or "STARTTLS" (the names mail programs use for the connection type)."""
    return _(MODE_WORDS[mode]) if mode in MODE_WORDS else (mode or "")


def _order(check: Check) -> tuple[int, int]:
    port = check.port
    return (SUBMISSION_ORDER.index(port), port) if port in SUBMISSION_ORDER else (len(SUBMISSION_ORDER), port)


def _works(check: Check) -> bool:
    return check.light in ("green", "amber") and check.cause != "cancelled"


def working_settings(checks: Sequence[Check]) -> Check | None:
    """The check whose settings to recommend: the first green submission port in the
    order 465, 587, 2525, then the others; failing that the first amber one (it works,
    with a warning); None when none works."""
    deciding = [c for c in deciding_checks(checks) if _works(c)]
    for light in ("green", "amber"):
        found = sorted((c for c in deciding if c.light == light), key=_order)
        if found:
            return found[0]
    return None


def settings_of(check: Check | None) -> dict[str, Any] | None:
    """``overall.settings``: ``{"host", "port", "mode"}`` of the working check, or None."""
    if check is None:
        return None
    return {"host": check.host, "port": check.port, "mode": check.mode}


def setting_words(check: Check) -> str:
    """ "port 587 with STARTTLS (connection type)": the one phrase that recommends a setting."""
    # TRANSLATORS: {mode} is "SSL/TLS" or "STARTTLS", the name mail programs show for the
    # connection type (Thunderbird: "Connection security").
    return _("port {port} with {mode} (connection type)").format(port=check.port, mode=mode_word(check.mode))


def switch_sentence(best: Check) -> str:
    """Advice for a row that does not work, when another setting did in this run."""
    # TRANSLATORS: {mode} is "SSL/TLS" or "STARTTLS".
    return _("Port {port} with {mode} (connection type) works in this test: use it in your mail "
             "program's settings.").format(port=best.port, mode=mode_word(best.mode))


def _use_sentence(best: Check, failed: list[Check]) -> str:
    if failed:
        # TRANSLATORS: {ports} is "port 465" or "ports 465 and 2525"; {mode} "SSL/TLS" or "STARTTLS".
        return _("If your mail program is set to {ports}, change it to outgoing server {host}, "
                 "port {port}, connection type {mode}.").format(
            ports=port_words([c.port for c in failed]), host=best.host, port=best.port, mode=mode_word(best.mode))
    # TRANSLATORS: {mode} is "SSL/TLS" or "STARTTLS".
    return _("In your mail program's settings, use outgoing server {host}, port {port}, "
             "connection type {mode}.").format(host=best.host, port=best.port, mode=mode_word(best.mode))


def _groups(checks: list[Check]) -> list[list[Check]]:
    """Checks that failed the same way, together (in the order of their first port)."""
    groups: dict[tuple[str, str], list[Check]] = {}
    for c in sorted(checks, key=_order):
        groups.setdefault((c.cause, c.where), []).append(c)
    return list(groups.values())


def _group_words(group: list[Check]) -> tuple[str, str]:
    first = group[0]
    return explain(first.cause, first.where, port=[c.port for c in group], host=first.host, **first.context)


def _port25_sentence(checks: Sequence[Check], deciding: list[Check]) -> str:
    """A failing port 25 is named too (the engineer asked where it went), as what it is."""
    port25 = [c for c in checks if c.kind == "smtp" and c.role == "target" and c not in deciding
              and c.port in SUBMISSION_EXEMPT_PORTS and c.light == "red"]
    if not port25:
        return ""
    if port25[0].where == "network":
        return _("Port 25 (used between mail servers, not needed by mail programs) is blocked by your "
                 "network, as on most home and mobile networks.")
    if any(c.cause == port25[0].cause for c in deciding):
        return _("Port 25 (used between mail servers, not needed by mail programs) fails the same way.")
    # TRANSLATORS: {problem} is a short status such as "No answer" or "Refused".
    return _("Port 25 (used between mail servers, not needed by mail programs) does not work either "
             "({problem}).").format(problem=title(port25[0].cause))


def summarise(checks: Sequence[Check], mail_programs: Sequence[dict[str, Any]] = ()
              ) -> tuple[str, str, dict[str, Any] | None]:
    """What the customer reads under the headline: what works and what does not (one
    sentence per way of failing), what to do next and who does it, and the settings.

    *mail_programs*: the report's block (``mail_programs``); when sending works and a
    mail program on this computer is set differently, the summary says how it is set and
    the advice is that program's fix (it names a setting tested and working in this run)."""
    verdict = overall(checks)
    deciding = deciding_checks(checks)
    if verdict.light == "grey":
        return _("The check did not finish."), _("Start the check again."), None
    best = working_settings(checks)
    broken = [c for c in deciding if c.light == "red"]
    port25 = _port25_sentence(checks, deciding)
    # A refused login makes the run red, but the connection settings that worked still
    # work (contract: overall.settings is the first green submission port).
    login_settings = settings_of(best) if verdict.cause in LOGIN_REFUSALS else None
    if verdict.light == "red" and not broken:
        # Red although no port failed (a refused login decides the run): its check speaks.
        broken = [c for c in checks if c.id == verdict.check_id] or deciding[:1]
        best = None
    if best is not None and verdict.light != "red":
        parts = []
        if best.light == "green":
            parts.append(_("You can send mail securely through {setting}.").format(setting=setting_words(best)))
        else:
            parts.append(best.explanation)
            parts.append(_("Mail can still be sent through {setting}.").format(setting=setting_words(best)))
        parts += [_group_words(g)[0] for g in _groups(broken)]
        if port25:
            parts.append(port25)
        changes = program_changes(mail_programs)
        if changes:
            parts.append(_programs_set_differently(changes))
            advice = _program_fixes(changes)
        else:
            advice = _use_sentence(best, broken)
        if best.light == "amber":
            advice = best.advice + " " + advice
        return " ".join(parts), advice, settings_of(best)
    groups = _groups(broken)
    # The most common way of failing speaks first (the overall cause).
    groups.sort(key=lambda g: (g[0].cause != verdict.cause or g[0].where != verdict.where, _order(g[0])))
    words = [_group_words(g) for g in groups]
    summary = " ".join(w[0] for w in words) + (" " + port25 if port25 else "")
    advice_parts = [words[0][1]]
    # Another party's advice too, when another port fails for someone else.
    for g, w in zip(groups[1:], words[1:], strict=True):
        if g[0].where != groups[0][0].where and w[1] not in advice_parts:
            advice_parts.append(w[1])
    return summary, " ".join(advice_parts), login_settings


AMBER_PROBLEMS = {
    ("tls_intercepted", "local"): N_("your security program {product} checks it on the way"),
    ("tls_intercepted", "*"): N_("a device on your network checks it on the way"),
    ("smtp_banner_masked", "*"): N_("a firewall on your network checks it on the way"),
    ("auth_before_tls", "*"): N_("the mail server also offers an unprotected login"),
    ("ip_family_partial", "*"): N_("not over {family_failed}"),
}
# A refused login decides the run whatever the ports (the connection itself works).
LOGIN_HEADLINES = {
    "auth_failed": N_("Sending mail does not work: the login was refused"),
    "auth_oauth_required": N_("Sending mail does not work: sign in with OAuth2 instead of a password"),
    "auth_app_password_required": N_("Sending mail does not work: this account needs an app password"),
    "auth_disabled": N_("Sending mail does not work: sending from mail programs is switched off for this "
                        "mailbox"),
}
# Red runs whose cause says more than its place (no internet at all, a local block, an unknown name).
RED_CAUSE_HEADLINES = {
    "offline": N_("Sending mail does not work: this computer is not connected to the internet"),
    "local_blocked": N_("Sending mail does not work: a firewall or security program on this computer blocks it"),
    "dns_not_found": N_("Sending mail does not work: the server name is not known"),
}
RED_HEADLINES = {
    "network": N_("Sending mail does not work from this network"),
    "server": N_("Sending mail does not work: the mail server has a problem"),
    "local": N_("Sending mail does not work: something on this computer blocks it"),
    "input": N_("Sending mail does not work: check the server name or login"),
    "*": N_("Sending mail does not work"),
}


# -- the mail programs on this computer ---------------------------------------------------------

def program_changes(mail_programs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of a report's ``mail_programs`` whose settings must change."""
    return [e for e in mail_programs if isinstance(e, dict) and e.get("verdict") == "change"]


def and_list(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return _("{first} and {last}").format(first=", ".join(items[:-1]), last=items[-1])


def change_items(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of each setting *entry*'s program must change, as the program labels it,
    from the entry's ``use`` (a setting tested and working in this run); [] when it has none."""
    from ..accounts.settings import change_items as items

    use = entry.get("use")
    if not isinstance(use, dict):
        return []
    return items(str(entry.get("program", "")), entry, use, plain_auth=True)


def change_words(items: list[tuple[str, str]]) -> str:
    """ "Port to 465 and Connection security to SSL/TLS" ("" for no items)."""
    # TRANSLATORS: {label} is the mail program's own name for a setting ("Connection
    # security", "Port"), {value} the value to choose ("SSL/TLS", "465"); it follows "change".
    return and_list([_("{label} to {value}").format(label=label, value=value) for label, value in items])


def _program_clause(changes: list[dict[str, Any]]) -> str:
    """ "Thunderbird is set differently: change Connection security to SSL/TLS"."""
    from ..accounts.model import program_name

    programs = list(dict.fromkeys(program_name(str(e.get("program", ""))) for e in changes))
    each = [change_items(e) for e in changes]
    if len(programs) == 1 and all(items == each[0] for items in each):
        if each[0]:
            what = change_words(each[0])
            # TRANSLATORS: {program} is a mail program ("Thunderbird"); {changes} e.g.
            # "Connection security to SSL/TLS" or "Port to 465 and Connection security to SSL/TLS".
            return _("{program} is set differently: change {changes}").format(program=programs[0], changes=what)
        # TRANSLATORS: {program} is a mail program ("Thunderbird").
        return _("{program} is set differently: change its outgoing-server settings").format(program=programs[0])
    # TRANSLATORS: a mail program's own name for a setting, named in a sentence ("change
    # Connection security"); German quotes it: „{label}“.
    labels = and_list([_("{label}").format(label=label)
                       for label in dict.fromkeys(label for items in each for label, _value in items)])
    if not labels:
        labels = _("the outgoing-server settings")
    if len(programs) == 1:
        # TRANSLATORS: {program} is a mail program ("Thunderbird"); {labels} its names for the
        # settings to change ("Connection security", "Port and Connection security").
        return ngettext("{program} is set differently for {n} account: change {labels}",
                        "{program} is set differently for {n} accounts: change {labels}", len(changes)).format(
            program=programs[0], n=len(changes), labels=labels)
    # TRANSLATORS: {programs} are mail programs ("Thunderbird and Evolution"); {labels} their names
    # for the settings to change ("Connection security and Encryption method").
    return _("{programs} are set differently: change {labels}").format(programs=and_list(programs), labels=labels)


def _programs_set_differently(changes: list[dict[str, Any]]) -> str:
    """ "A mail program on this computer is set differently: demo@example.net in Thunderbird
    (mail.example.net, port 465, STARTTLS)." """
    from .mail_programs import setting, who

    listed = "; ".join(_("{who} ({setting})").format(who=who(e), setting=setting(e)) for e in changes)
    return ngettext("A mail program on this computer is set differently: {list}.",
                    "Mail programs on this computer are set differently: {list}.", len(changes)).format(list=listed)


def _program_fixes(changes: list[dict[str, Any]]) -> str:
    """Each program's fix sentence (with its account when there are several)."""
    if len(changes) == 1:
        return str(changes[0].get("fix") or "")
    out = []
    for e in changes:
        account = str(e.get("account") or e.get("user") or e.get("host") or "")
        # TRANSLATORS: {account} is an e-mail address; {fix} "In Thunderbird: Account Settings > ...".
        out.append(_("{account}: {fix}").format(account=account, fix=e.get("fix") or "") if account
                   else str(e.get("fix") or ""))
    return " ".join(out)


def headline(checks: Sequence[Check], mail_programs: Sequence[dict[str, Any]] = ()) -> str:
    """Can I send, and how: the one line at the top of the window and of every report.

    When sending works but a mail program on this computer (*mail_programs*, the report's
    block) is set differently, the line says both: what works, and which program must
    change which setting."""
    from ..causes import family_words

    verdict = overall(checks)
    if verdict.light == "grey":
        return _("Check stopped")
    best = working_settings(checks)
    if verdict.light == "red" and verdict.cause in LOGIN_HEADLINES:
        return _(LOGIN_HEADLINES[verdict.cause])
    if best is None or verdict.light == "red":
        if verdict.cause in RED_CAUSE_HEADLINES:
            return _(RED_CAUSE_HEADLINES[verdict.cause])
        return _(RED_HEADLINES.get(verdict.where, RED_HEADLINES["*"]))
    broken = [c for c in deciding_checks(checks) if c.light == "red"]
    mode = mode_word(best.mode)
    changes = program_changes(mail_programs)
    if best.light == "green" and changes:
        # TRANSLATORS: {mode} is "SSL/TLS" or "STARTTLS"; {programs} e.g. "Thunderbird is set
        # differently: change Connection security to SSL/TLS".
        return _("Sending works with port {port} and {mode} (connection type), but {programs}").format(
            port=best.port, mode=mode, programs=_program_clause(changes))
    if best.light == "green":
        if broken:
            # TRANSLATORS: {mode} is "SSL/TLS" or "STARTTLS"; {ports} "port 465" or "ports 465 and 2525".
            return _("Sending works with port {port} and {mode} (connection type), not with {ports}").format(
                port=best.port, mode=mode, ports=port_words(sorted(c.port for c in broken)))
        # TRANSLATORS: {mode} is "SSL/TLS" or "STARTTLS".
        return _("Sending works: use port {port} with {mode} (connection type)").format(port=best.port, mode=mode)
    key = (best.cause, best.where) if (best.cause, best.where) in AMBER_PROBLEMS else (best.cause, "*")
    failed = [a.family for a in best.attempts if a.family in ("ipv4", "ipv6") and a.address != best.address]
    problem = _(AMBER_PROBLEMS[key]) if key in AMBER_PROBLEMS else _("with a warning")
    problem = problem.format(product=best.context.get("product", ""),
                             family_failed=family_words(failed[0] if failed else "ipv6"))
    if changes:
        # TRANSLATORS: {mode} is "SSL/TLS" or "STARTTLS"; {problem} e.g. "your security program Avast
        # checks it on the way"; {programs} e.g. "Thunderbird is set differently: change Connection
        # security to SSL/TLS".
        return _("Sending works with port {port} and {mode} (connection type), but {problem}, and "
                 "{programs}").format(port=best.port, mode=mode, problem=problem, programs=_program_clause(changes))
    # TRANSLATORS: {mode} is "SSL/TLS" or "STARTTLS"; {problem} e.g. "your security program Avast
    # checks it on the way".
    return _("Sending works with port {port} and {mode} (connection type), but {problem}").format(
        port=best.port, mode=mode, problem=problem)


# -- rows in the light of the whole run -------------------------------------------------------

def reference_name(host: str) -> str:
    return REFERENCE_NAMES.get(host.lower().rstrip("."), host)


def evidence(control: Check, target: Check | None) -> str:
    """A reference server's row, as evidence for the target's row on the same port."""
    name = reference_name(control.host)
    works = _works(control)
    if target is None or target.light == "grey" or control.light == "grey":
        if works:
            return _("{name}: works on this port.").format(name=name)
        return _("{name}: {result} on this port.").format(name=name, result=title(control.cause))
    if _works(target):
        if works:
            return _("{name}: works too.").format(name=name)
        return _("{name}: {result} — your mail server works here all the same.").format(
            name=name, result=title(control.cause))
    same = control.cause == target.cause
    if target.where == "network":
        if same:
            return _("{name}: same — so it is your network.").format(name=name)
        return _("{name}: fails too ({result}) — so it is your network.").format(
            name=name, result=title(control.cause))
    if target.where == "server" and works:
        return _("{name}: works — so it is the mail server.").format(name=name)
    if same:
        return _("{name}: same.").format(name=name)
    if works:
        return _("{name}: works.").format(name=name)
    return _("{name}: {result}.").format(name=name, result=title(control.cause))


def run_words(checks: Sequence[Check]) -> list[Check]:
    """Every check with the words that depend on the rest of the run."""
    best = working_settings(checks)
    targets = {c.port: c for c in checks if c.kind == "smtp" and c.role == "target"}
    out = []
    for c in checks:
        if c.kind == "smtp" and c.role == "control":
            target = targets.get(c.port)
            c = c.with_(explanation=evidence(c, target),
                        advice=_("Nothing to do with this server: it is only compared with yours."))
        elif c.kind == "smtp" and c.role == "target" and best is not None and c.id != best.id \
                and c.light in ("red", "amber") and (c.port, c.mode) != (best.port, best.mode):
            c = c.with_(advice=f"{c.advice} {switch_sentence(best)}")
        out.append(c)
    return out


# -- the clock check ----------------------------------------------------------------------------

def _when(text: str) -> dt.datetime | None:
    import datetime as dt  # only a clock check needs dates (start-up of every check)

    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def clock_off_words(offset_s: float) -> str:
    """ "3 days behind", "2 hours ahead": how far this computer's clock is from the server's."""
    amount = abs(offset_s)
    if amount >= 86400:
        n = round(amount / 86400)
        size = ngettext("{n} day", "{n} days", n).format(n=n)
    elif amount >= 3600:
        n = round(amount / 3600)
        size = ngettext("{n} hour", "{n} hours", n).format(n=n)
    else:
        n = max(1, round(amount / 60))
        size = ngettext("{n} minute", "{n} minutes", n).format(n=n)
    # The server's clock is ahead of ours (offset > 0): ours is behind.
    if offset_s > 0:
        # TRANSLATORS: {size} is e.g. "3 days"; this computer's clock shows an earlier time.
        return _("{size} behind").format(size=size)
    # TRANSLATORS: {size} is e.g. "3 days"; this computer's clock shows a later time.
    return _("{size} ahead").format(size=size)


def clock_text(clock: dict[str, Any]) -> str:
    """The clock check in one line (the environment block)."""
    offset = clock.get("offset_s")
    server = str(clock.get("server") or "")
    if not isinstance(offset, (int, float)):
        return _("could not be checked ({reason})").format(reason=clock.get("error") or "?")
    from ..probe.clock import TOLERANCE_S

    if abs(offset) <= TOLERANCE_S:
        return _("right: the time server {server} agrees (within {seconds} s)").format(
            server=server, seconds=max(1, round(abs(offset))))
    return _("this computer's clock is {off} (time server {server})").format(off=clock_off_words(offset), server=server)


def clock_context(check: Check, clock: dict[str, Any] | None, created: str) -> dict[str, str]:
    """The words' context for a ``tls_expired`` check: which variant, the certificate's
    date, and the clock's offset when a time server was asked."""
    import datetime as dt

    from ..probe.clock import TOLERANCE_S

    leaf = check.tls.chain[0] if check.tls and check.tls.chain else None
    now = _when(created)
    if leaf is None or now is None:
        return {}
    not_before, not_after = _when(leaf.not_before), _when(leaf.not_after)
    state = "not_yet_valid" if not_before and now < not_before else "expired"
    date = (not_before if state == "not_yet_valid" else not_after) or now
    context = {"cert_date": date.strftime("%Y-%m-%d"), "variant": state}
    offset = (clock or {}).get("offset_s")
    if isinstance(offset, (int, float)):
        true_now = now + dt.timedelta(seconds=float(offset))
        valid_then = bool(not_before and not_after and not_before <= true_now <= not_after)
        if abs(offset) <= TOLERANCE_S:
            context["variant"] = f"{state}_clock_right"
        elif valid_then:
            context.update(variant="clock_wrong", clock_off=clock_off_words(float(offset)),
                           true_date=true_now.strftime("%Y-%m-%d"))
    return context


# The headlines of reports made before the headline was stored (by light only).
LIGHT_HEADLINES = {
    "green": N_("Sending mail works"),
    "amber": N_("Sending mail works, with a warning"),
    "red": N_("Sending mail does not work"),
    "grey": N_("Check stopped"),
}


def report_headline(overall_: dict[str, Any]) -> str:
    """The headline of a (live or saved) report: as stored, else from its light."""
    stored = overall_.get("headline")
    if isinstance(stored, str) and stored:
        return stored
    light = str(overall_.get("light") or "grey")
    return _(LIGHT_HEADLINES.get(light, LIGHT_HEADLINES["grey"]))


def message_ids() -> list[str]:
    """Every fixed text of this module (the catalog tests)."""
    return [*MODE_WORDS.values(), *AMBER_PROBLEMS.values(), *RED_HEADLINES.values(), *LIGHT_HEADLINES.values(),
            *LOGIN_HEADLINES.values(), *RED_CAUSE_HEADLINES.values()]


def created_words(created: str) -> str:
    """``2026-11-28T10:00:00Z`` as ``2026-11-28 10:00:00 UTC`` (anything else as it is)."""
    m = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$", created or "")
    return f"{m.group(1)} {m.group(2)} UTC" if m else created


def check_title(check: Check) -> str:
    """A check's name for people: ``Port 587 (STARTTLS)``, ``OpenVPN (UDP) port 1194``,
    ``Finding the sending server for example.com``."""
    if check.kind == "dns":
        return _("Finding the sending server for {domain}").format(domain=check.host)
    if check.kind == "vpn":
        name = vpn_protocol_name(check.protocol)
        if re.search(rf"\b{check.port}\b", name):  # "IKEv2/IPsec (UDP 500)" names its port
            return name
        return _("{protocol} port {port}").format(protocol=name, port=check.port)
    mode = MODE_WORDS.get(check.mode or "")
    if mode:
        return _("Port {port} ({mode})").format(port=check.port, mode=_(mode))
    return _("Port {port}").format(port=check.port)

