"""What the readers find: plain frozen values, no I/O.

    MailAccount    one outgoing (SMTP) server setting of one account in one mail program
    ProgramNote    a program that is there but could not be read (named, never guessed)
    Found          everything one look at the computer found
"""

from __future__ import annotations

from ..frozen import asdict, field, record

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Literal

# Security, in the contract's words: STARTTLS on a plain connection, TLS from the
# first byte ("SSL/TLS", "implicit"), or no encryption at all.
if TYPE_CHECKING:  # a name only type checkers read
    Mode = Literal["starttls", "implicit", "none"]

# Program keys (stable, in reports) and their names (product names: not translated).
PROGRAM_NAMES = {
    "thunderbird": "Thunderbird",
    "betterbird": "Betterbird",
    "seamonkey": "SeaMonkey",
    "evolution": "Evolution",
    "outlook": "Outlook",
    "apple_mail": "Apple Mail",
}

# Authentication methods, as one small vocabulary across programs.
AUTH_METHODS = (
    "none",                # no login
    "password",            # the password as typed (AUTH PLAIN/LOGIN): Thunderbird "Normal password"
    "password_encrypted",  # a hashed password (CRAM-MD5 ...): Thunderbird "Encrypted password"
    "oauth2",              # sign-in in a browser window (XOAUTH2 / OAUTHBEARER)
    "kerberos",
    "ntlm",
    "tls_certificate",
    "any",                 # the program picks one
    "unknown",
)


def program_name(key: str) -> str:
    return PROGRAM_NAMES.get(key, key)


@record
class MailAccount:
    program: str          # key of PROGRAM_NAMES
    account: str          # the e-mail address that sends through this server ("" when unknown)
    host: str
    port: int
    mode: Mode
    auth: str = "unknown"  # one of AUTH_METHODS
    user: str = ""         # login name as the program stores it (never a password)
    profile: str = ""      # which profile/registry profile it came from, for people
    # The program's own word for the security setting when it has one that the
    # three modes cannot say exactly (Outlook "Auto"); "" otherwise.
    security_setting: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"program": self.program, "account": self.account, "host": self.host, "port": self.port,
                "mode": self.mode, "auth": self.auth, "user": self.user}

    def label(self) -> str:
        """"alice@example.com in Thunderbird" (product names are not translated)."""
        from ..i18n import _

        who = self.account or self.user or self.host
        # TRANSLATORS: an account found in a mail program: "alice@example.com in Thunderbird".
        return _("{account} in {program}").format(account=who, program=program_name(self.program))


@record
class ProgramNote:
    """A mail program that is installed (its folder is there) but was not read, and why.

    ``reason``: ``unreadable`` (the system refused: permissions, Full Disk Access),
    ``damaged`` (a file that could not be understood), ``outside_home`` (a profile
    kept outside the home folder: not opened), ``not_supported`` (settings kept
    where smtpdiag does not read them).
    """

    program: str
    reason: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@record
class Found:
    accounts: tuple[MailAccount, ...] = ()
    notes: tuple[ProgramNote, ...] = ()
    # Every file the readers opened, for people who want to know (``smtpdiag accounts``).
    read: tuple[str, ...] = field(default=())

    def __add__(self, other: Found) -> Found:
        return Found(self.accounts + other.accounts, self.notes + other.notes, self.read + other.read)
