"""The mail programs' own outgoing-server settings on this computer (contract section 6).

    find_accounts(home)  -> Found         every reader, on the home's system
    accounts_for(found, host, email)      the accounts that use a server, an address's first

One module per program, each a pure parser (tested on fixture files) plus a
thin reader that locates the files through :class:`home.Home`, the one door
that opens files: only inside the home folder, only for reading.  Nothing here
writes, sends, or reads a password.  Qt-free; imported only when needed, so
``smtpdiag check`` starts as fast as before.

    model.py        MailAccount, ProgramNote, Found
    home.py         Home (injectable: SMTPDIAG_HOME), the file door
    thunderbird.py  Thunderbird, Betterbird, SeaMonkey (profiles.ini, prefs.js)
    evolution.py    Evolution (sources/*.source)
    outlook.py      classic Outlook (registry values; `reg export` text)
    apple_mail.py   Apple Mail (Accounts.plist)
    settings.py     verdict and fix per account from a finished run; the program's own labels
    run.py          the faces' glue: read (never raises), add exact settings to a run, fill mail_programs
    text.py         ``smtpdiag accounts`` as text and JSON
"""

from __future__ import annotations

from ..config import host_key
from .home import HOME_ENV, Home
from .model import Found, MailAccount, ProgramNote, program_name

__all__ = ["HOME_ENV", "Found", "Home", "MailAccount", "ProgramNote", "accounts_for", "find_accounts",
           "program_name"]


def find_accounts(home: Home | None = None) -> Found:
    """Every outgoing server configured in the mail programs of *home* (default:
    the current user, or ``SMTPDIAG_HOME``)."""
    from . import apple_mail, evolution, outlook, thunderbird

    home = home or Home.of_user()
    found = Found()
    for reader in (thunderbird.read, evolution.read, outlook.read, apple_mail.read):
        found = found + reader(home)
    unique = tuple(dict.fromkeys(found.accounts))
    return Found(unique, found.notes, tuple(dict.fromkeys(home.opened)))


def accounts_for(accounts: tuple[MailAccount, ...] | list[MailAccount], host: str,
                 email: str | None = None) -> list[MailAccount]:
    """The accounts whose outgoing server is *host*; with *email*, that address's first."""
    key = host_key(host)
    mine = [a for a in accounts if host_key(a.host) == key]
    if email:
        mine.sort(key=lambda a: a.account.lower() != email.strip().lower())
    return mine
