"""Apple Mail on macOS: ``~/Library/Mail/V*/MailData/Accounts.plist``.

    DeliveryAccounts   [{AccountType: SMTPAccount, Hostname, PortNumber, SSLEnabled,
                         Username, AuthenticationScheme, ShouldUseAuthentication}]
    MailAccounts       [{EmailAddresses: [...], SMTPIdentifier: "hostname:username"}]

macOS protects ``~/Library/Mail`` (TCC): without "Full Disk Access" for the
program that runs smtpdiag, opening it fails, and smtpdiag says so instead of
guessing.  Newer macOS versions keep the accounts in the system's Internet
Accounts database; when ``Accounts.plist`` is absent, that is said too.
Passwords are in the keychain, never in this file.
"""

from __future__ import annotations

import re
from pathlib import Path

from .home import Home, Refused
from .model import Found, MailAccount, ProgramNote

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

    from .model import Mode

_AUTH = {"": "none", "password": "password", "cram-md5": "password_encrypted", "ntlm": "ntlm",
         "gssapi": "kerberos", "xoauth2": "oauth2", "oauth2": "oauth2", "external": "tls_certificate"}


def _yes(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "true", "1")


def _port(value: Any) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        return 0
    return port if 0 < port < 65536 else 0


def accounts_from_plist(data: Any) -> list[MailAccount]:
    if not isinstance(data, dict):
        return []
    servers: dict[str, MailAccount] = {}
    for d in data.get("DeliveryAccounts") or []:
        if not isinstance(d, dict) or not str(d.get("Hostname") or "").strip():
            continue
        host = str(d["Hostname"]).strip()
        port = _port(d.get("PortNumber"))
        ssl = _yes(d.get("SSLEnabled", False))
        # "Use TLS/SSL": TLS from the start on 465, STARTTLS on the other ports.
        mode: Mode = "none" if not ssl else ("implicit" if port == 465 else "starttls")
        if not port:
            port = 465 if mode == "implicit" else 25
        user = str(d.get("Username") or "").strip()
        if "ShouldUseAuthentication" in d and not _yes(d["ShouldUseAuthentication"]):
            auth = "none"
        else:
            auth = _AUTH.get(str(d.get("AuthenticationScheme") or "password").strip().lower(), "unknown")
        servers[f"{host}:{user}"] = MailAccount("apple_mail", "", host, port, mode, auth, user)
    used: set[str] = set()
    out: list[MailAccount] = []
    for a in data.get("MailAccounts") or []:
        if not isinstance(a, dict):
            continue
        ident = str(a.get("SMTPIdentifier") or "")
        server = servers.get(ident)
        if server is None:
            continue
        used.add(ident)
        addresses = [str(x).strip() for x in a.get("EmailAddresses") or [] if str(x).strip()] or [""]
        for address in addresses:
            out.append(MailAccount(server.program, address, server.host, server.port, server.mode, server.auth,
                                   server.user, str(a.get("AccountName") or "")))
    out += [s for k, s in servers.items() if k not in used]
    return out


def mail_folders(home: Home) -> list[Path]:
    base = home.path / "Library" / "Mail"
    try:
        found = [p for p in base.iterdir() if re.fullmatch(r"V\d+", p.name)]
    except PermissionError:
        raise
    except OSError:
        return []
    return sorted(found, key=lambda p: int(p.name[1:]), reverse=True)


PERMISSION = "full_disk_access"


def read(home: Home) -> Found:
    if home.platform != "darwin":
        return Found()
    base = home.path / "Library" / "Mail"
    if not home.exists(base):
        return Found()
    try:
        folders = mail_folders(home)
    except PermissionError:
        return Found(notes=(ProgramNote("apple_mail", "unreadable", PERMISSION),))
    import plistlib  # only here: most computers have no Apple Mail folder

    for folder in folders:  # the newest version Mail wrote
        plist = folder / "MailData" / "Accounts.plist"
        try:
            if not plist.exists():
                continue
            data = plistlib.loads(home.open_bytes(plist))
        except PermissionError:
            return Found(notes=(ProgramNote("apple_mail", "unreadable", PERMISSION),))
        except (OSError, Refused) as exc:
            return Found(notes=(ProgramNote("apple_mail", "unreadable", f"{plist}: {exc}"),))
        except (plistlib.InvalidFileException, ValueError) as exc:
            return Found(notes=(ProgramNote("apple_mail", "damaged", f"{plist}: {exc}"),))
        return Found(tuple(accounts_from_plist(data)))
    return Found(notes=(ProgramNote("apple_mail", "not_supported", str(base)),))
