"""Does a mail program's outgoing-server setting work?  From a finished run's
records, per account: ``ok`` / ``change`` / ``fails`` and one ``fix`` sentence
that names the setting as the program labels it (contract section 4,
``mail_programs``).

Pure: no I/O.  The program's labels are marked for translation (the German
catalog uses the German programs' own words).

    ok       exactly these settings (port and security) worked in this run
    change   another tested setting works (or the provider refuses this way of
             signing in); ``fix`` names it
    fails    nothing tested works from here
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..frozen import record
from ..i18n import N_, _
from ..records import Check
from .model import MailAccount, program_name

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

WORKS = ("green", "amber")
# Settings suggested in the order the contract names working settings.
_ORDER = (465, 587, 2525)
NEVER_SUGGESTED = frozenset({25})  # most networks block it on purpose


@record
class Labels:
    """Where a program keeps the outgoing server, and its words for the settings."""

    path: tuple[str, ...]
    server: str
    port: str
    security: str
    security_values: dict[str, str]
    auth: str | None          # None: the program offers no choice we can name
    oauth2: str = "OAuth2"


_THUNDERBIRD = Labels(
    # TRANSLATORS: Thunderbird's own labels; German Thunderbird says "Konten-Einstellungen",
    # "Postausgang-Server (SMTP)", "Verbindungssicherheit", "Keine", "Authentifizierungsmethode".
    (N_("Account Settings"), N_("Outgoing Server (SMTP)")), N_("Server Name"), N_("Port"), N_("Connection security"),
    {"implicit": "SSL/TLS", "starttls": "STARTTLS", "none": N_("None")}, N_("Authentication method"))
LABELS: dict[str, Labels] = {
    "thunderbird": _THUNDERBIRD,
    "betterbird": _THUNDERBIRD,
    "seamonkey": Labels(
        (N_("Edit"), N_("Mail & Newsgroups Account Settings"), N_("Outgoing Server (SMTP)")), N_("Server Name"),
        N_("Port"),
        N_("Connection security"), {"implicit": "SSL/TLS", "starttls": "STARTTLS", "none": N_("None")},
        N_("Authentication method")),
    "evolution": Labels(
        # TRANSLATORS: Evolution's own labels (Bearbeiten > Konten > Bearbeiten > E-Mail-Versand).
        (N_("Edit"), N_("Accounts"), N_("Edit"), N_("Sending Email")), N_("Server"), N_("Port"),
        N_("Encryption method"),
        {"implicit": N_("TLS on a dedicated port"), "starttls": N_("STARTTLS after connecting"),
         "none": N_("No encryption")}, N_("Authentication")),
    "outlook": Labels(
        # TRANSLATORS: classic Outlook's own labels (Datei > Kontoeinstellungen > ...).
        (N_("File"), N_("Account Settings"), N_("Change"), N_("More Settings"), N_("Advanced")),
        N_("Outgoing mail server (SMTP)"), N_("Outgoing server (SMTP)"), N_("Use the following type of encrypted connection"),
        {"implicit": "SSL/TLS", "starttls": "STARTTLS", "none": N_("None")}, None),
    "apple_mail": Labels(
        # TRANSLATORS: Apple Mail's own labels (Mail > Einstellungen > Accounts > Servereinstellungen).
        (N_("Mail"), N_("Settings"), N_("Accounts"), N_("Server Settings"), N_("Outgoing Mail Account")),
        N_("Host Name"), N_("Port"), N_("Use TLS/SSL"), {"implicit": N_("on"), "starttls": N_("on"), "none": N_("off")}, None),
}


@record
class Setting:
    port: int
    mode: str
    host: str = ""  # "" : the account's own server


def _same_host(check: Check, host: str) -> bool:
    return check.host.rstrip(".").lower() == host.rstrip(".").lower()


def _working(checks: Sequence[Check], host: str) -> list[Setting]:
    """The tested settings of *host* that work, best first (465, 587, 2525, others)."""
    found = [c for c in checks if c.kind == "smtp" and c.role != "control" and _same_host(c, host)
             and c.light in WORKS and c.port not in NEVER_SUGGESTED and c.mode]
    found.sort(key=lambda c: (c.light != "green", _ORDER.index(c.port) if c.port in _ORDER else len(_ORDER),
                              c.port))
    return [Setting(c.port, c.mode or "", c.host) for c in found]


def exact_check(account: MailAccount, checks: Sequence[Check]) -> Check | None:
    """The check that tested exactly this account's port and security, if any."""
    for c in checks:
        if (c.kind == "smtp" and c.role != "control" and _same_host(c, account.host)
                and c.port == account.port and c.mode == account.mode):
            return c
    return None


def _fix_sentence(account: MailAccount, parts: list[str]) -> str:
    labels = LABELS.get(account.program, _THUNDERBIRD)
    path = " > ".join(_(p) for p in labels.path)
    # TRANSLATORS: where to change a mail program's setting: "In Thunderbird: Account Settings >
    # Outgoing Server (SMTP) > Connection security: SSL/TLS."
    return _("In {program}: {path} > {settings}.").format(
        program=program_name(account.program), path=path, settings=", ".join(parts))


# The sign-in method, for a program whose label for it we cannot name.
SIGN_IN_METHOD = N_("sign-in method")


def change_items(program: str, current: Mapping[str, Any], use: Mapping[str, Any],
                 plain_auth: bool = False) -> list[tuple[str, str]]:
    """What to change in *program*, as the program labels it: ``[("Connection security",
    "SSL/TLS")]`` (translated), from the account's *current* settings (``host``, ``port``,
    ``mode``, optionally ``security_setting``) to *use* (the ``use`` of its report entry:
    a tested, working ``host``/``port``/``mode``, and ``auth`` when the sign-in method must
    change).  The fix sentence and the report's headline both say it from here.

    *plain_auth*: name a sign-in change also for a program without a label for it
    ("sign-in method"); the fix sentence uses the provider's own sentence instead."""
    labels = LABELS.get(program, _THUNDERBIRD)
    items: list[tuple[str, str]] = []
    host, to_host = str(current.get("host") or ""), str(use.get("host") or "")
    if to_host and to_host.rstrip(".").lower() != host.rstrip(".").lower():
        items.append((_(labels.server), to_host))
    if use.get("port") != current.get("port"):
        items.append((_(labels.port), str(use.get("port"))))
    to_mode = str(use.get("mode") or "")
    security = (_(labels.security), _(labels.security_values.get(to_mode, to_mode)))
    if to_mode != current.get("mode") or current.get("security_setting"):
        items.append(security)
    auth = use.get("auth")
    if not items and not auth:
        items.append(security)  # "Auto" that works: name the exact choice
    if auth == "oauth2":
        if labels.auth:
            items.append((_(labels.auth), labels.oauth2))
        elif plain_auth:
            items.append((_(SIGN_IN_METHOD), labels.oauth2))
    return items


def _parts(items: list[tuple[str, str]]) -> list[str]:
    return [_("{label}: {value}").format(label=label, value=value) for label, value in items]


def judge(account: MailAccount, checks: Sequence[Check], policy: Any = None,
          tested_host: str | None = None) -> dict[str, Any]:
    """The ``mail_programs`` entry for *account* after a run whose checks are *checks*.

    *policy* is the provider's login policy for the account's server (``login_policy_for``),
    or None when none is known.  *tested_host*: the run's server, suggested when nothing
    on the account's own server works (an e-mail address's account on another server).

    Besides the contract's fields the entry has ``check`` (the id of the check that tested
    exactly these settings) and ``use``: for ``change``, the tested and working settings
    the fix names (``host``, ``port``, ``mode``; ``auth: "oauth2"`` when the sign-in method
    must change), else None."""
    exact = exact_check(account, checks)
    working = _working(checks, account.host)
    if not working and tested_host and tested_host.rstrip(".").lower() != account.host.rstrip(".").lower():
        working = _working(checks, tested_host)
    entry = account.to_json()
    entry["check"] = exact.id if exact else None
    entry["use"] = None
    wrong_login = bool(policy is not None and getattr(policy, "oauth_only", False)
                       and account.auth in ("password", "password_encrypted"))
    labels = LABELS.get(account.program, _THUNDERBIRD)
    current = dict(account.to_json(), security_setting=account.security_setting)
    if exact is not None and exact.light in WORKS and account.mode != "none" and not account.security_setting:
        if not wrong_login:
            entry.update(verdict="ok", fix=_("Nothing to change: these settings worked in this test."))
            return entry
        use = {"host": account.host, "port": account.port, "mode": account.mode, "auth": "oauth2"}
        fix = _fix_sentence(account, _parts(change_items(account.program, current, use))) if labels.auth \
            else policy.fix()
        entry.update(verdict="change", fix=fix, use=use)
        return entry
    if not working:
        entry.update(verdict="fails", fix=_("None of the tested settings works from here: solve the "
                                            "problem shown above first, then check again."))
        return entry
    # Prefer keeping the port and changing only the security, then the best working setting.
    same_port = [s for s in working if s.port == account.port and s.host.lower() == account.host.lower()]
    to = same_port[0] if same_port else working[0]
    if exact is not None and exact.light in WORKS:
        to = Setting(account.port, account.mode)  # "Auto" that works: name the exact choice
    use = {"host": to.host or account.host, "port": to.port, "mode": to.mode}
    if wrong_login:
        use["auth"] = "oauth2"
    fix = _fix_sentence(account, _parts(change_items(account.program, current, use)))
    if wrong_login and not labels.auth:
        fix += " " + policy.fix()
    entry.update(verdict="change", fix=fix, use=use)
    return entry


def mail_programs(accounts: Sequence[MailAccount], checks: Sequence[Check],
                  policy_for: Callable[[str], Any] | None = None,
                  tested_host: str | None = None) -> list[dict[str, Any]]:
    """Every account's entry, in the order given."""
    out = []
    for account in accounts:
        policy = None
        if policy_for is not None:
            try:
                policy = policy_for(account.host)
            except (ValueError, LookupError):
                policy = None
        out.append(judge(account, checks, policy, tested_host))
    return out


def login_policy_lookup() -> Callable[[str], Any]:
    """``login_policy_for`` from the providers' login-policy data (issue 16)."""
    from ..login_policy import login_policy_for

    return login_policy_for
