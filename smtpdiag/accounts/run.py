"""The mail programs in a run: which of their settings the engine tests too, and
the report's ``mail_programs`` block afterwards (``entries``).  Used by every face (``check``,
the window, the demo) so they all say the same."""

from __future__ import annotations

from ..config import AccountSetting, RunConfig
from ..frozen import replace
from .home import Home
from .model import Found, MailAccount

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any


def look(home: Home | None = None) -> Found:
    """The mail programs of *home* (default: this user, or SMTPDIAG_HOME).  Never
    raises: a reader's bug must not stop a diagnosis (it is logged, and the run
    goes on without mail programs)."""
    from . import find_accounts

    try:
        return find_accounts(home)
    except Exception as exc:  # noqa: BLE001 - logged with its traceback; the check itself goes on
        from .. import runlog

        runlog.error("reading the mail programs' settings failed", exc)
        return Found()


def with_accounts(config: RunConfig, accounts: tuple[MailAccount, ...] | list[MailAccount]) -> RunConfig:
    """*config* that also tests the exact settings of *accounts* (the engine keeps
    those whose server is the one tested)."""
    settings = tuple(dict.fromkeys(AccountSetting(a.host, a.port, a.mode, a.account) for a in accounts
                                   if a.mode in ("starttls", "implicit")))
    return replace(config, account_settings=settings)


def tested_host(report: object) -> str | None:
    for c in getattr(report, "checks", []):
        if c.kind == "smtp" and c.role == "target":
            return str(c.host)
    return None


def entries(report: object, accounts: tuple[MailAccount, ...] | list[MailAccount]) -> list[dict[str, Any]]:
    """The report's ``mail_programs`` block: the accounts that use the tested server
    (with an e-mail address as target, that address's accounts first), each judged
    against the run's checks.  ``smtpdiag.report.mail_programs.attach`` puts it into
    the report, with the overall words that follow from it."""
    from . import accounts_for
    from .settings import login_policy_lookup, mail_programs

    host = tested_host(report)
    if host is None:
        return []
    target = str(getattr(report, "input", {}).get("target") or "")
    email = target.strip().lower() if "@" in target else None
    mine = accounts_for(list(accounts), host, email=email)
    if email:  # that address's accounts on another server come first: the server it really uses
        elsewhere = [a for a in accounts if a.account.strip().lower() == email and a not in mine]
        mine = elsewhere + mine
    return mail_programs(mine, getattr(report, "checks", []), login_policy_lookup(), tested_host=host)
