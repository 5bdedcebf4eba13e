"""Classic Outlook on Windows: the account values of its mail profiles in the
registry (``HKEY_CURRENT_USER``).

Each POP/IMAP account is one subkey of a profile's
``9375CFF0413111d3B88A00104B2A6676`` key, e.g.
``Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\9375CFF0413111d3B88A00104B2A6676\\00000002``,
with the values (text is REG_BINARY UTF-16LE in Outlook 2013 and later)

    SMTP Server              smtp.example.com
    SMTP Port                DWORD, default 25
    SMTP Secure Connection   DWORD: 0 none, 1 SSL/TLS, 2 STARTTLS (older Outlook: "TLS"), 3 Auto
    SMTP Use Auth            DWORD 1: "My outgoing server requires authentication"
    SMTP Use SPA             DWORD 1: Secure Password Authentication (NTLM)
    SMTP User                the login, when it differs from the incoming server's
    Email                    the account's address

The parser takes the text of ``reg export`` (what support staff can send) or the
same values read with ``winreg``.  Values whose name mentions a password are
dropped while parsing, never kept.  Microsoft 365/Exchange accounts and the new
Outlook keep no SMTP settings there and are not listed.
"""

from __future__ import annotations

import re
import sys

from .home import Home
from .model import Found, MailAccount, ProgramNote

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

    from .model import Mode

SECURE_CONNECTION: dict[int, tuple[Mode | None, str]] = {
    0: ("none", "None"), 1: ("implicit", "SSL/TLS"), 2: ("starttls", "STARTTLS"), 3: (None, "Auto")}
ACCOUNTS_KEY = "9375CFF0413111d3B88A00104B2A6676"
ROOTS = (r"Software\Microsoft\Office\16.0\Outlook\Profiles",
         r"Software\Microsoft\Office\15.0\Outlook\Profiles",
         r"Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem\Profiles")

# The only values read from the registry (a password value is never asked for).
VALUE_NAMES = ("SMTP Server", "SMTP Port", "SMTP Secure Connection", "SMTP Use Auth", "SMTP Use SPA",
               "SMTP User", "SMTP User Name", "Email", "SMTP Email Address", "IMAP User", "POP3 User",
               "POP3 User Name")

if TYPE_CHECKING:  # a name only type checkers read
    Registry = dict[str, dict[str, Any]]


def _secret(name: str) -> bool:
    return "password" in name.lower() or "pwd" in name.lower()


def _string(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _value(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return _string(raw)
    m = re.fullmatch(r"dword:([0-9a-fA-F]{1,8})", raw)
    if m:
        return int(m.group(1), 16)
    m = re.fullmatch(r"hex(?:\(([0-9a-fA-F]+)\))?:(.*)", raw, re.S)
    if m:
        kind = int(m.group(1), 16) if m.group(1) else 3
        data = bytes(int(b, 16) for b in re.findall(r"[0-9a-fA-F]{2}", m.group(2)))
        if kind in (1, 2):  # REG_SZ / REG_EXPAND_SZ written as hex
            return data.decode("utf-16-le", errors="replace").rstrip("\x00")
        if kind == 4 and len(data) == 4:
            return int.from_bytes(data, "little")
        return data
    return None


def parse_reg_export(text: str) -> Registry:
    """The keys and values of a ``reg export`` / regedit ``.reg`` file (REGEDIT4 or 5.00)."""
    keys: Registry = {}
    current: dict[str, Any] | None = None
    logical: list[str] = []
    lines: list[str] = []
    for raw in text.lstrip("\ufeff").splitlines():  # join continuation lines ("...,\" + indent)
        if logical:
            logical.append(raw.strip())
        else:
            logical = [raw.rstrip()]
        if logical[-1].endswith("\\") and not logical[-1].endswith('\\"'):
            logical[-1] = logical[-1][:-1]
            continue
        lines.append("".join(logical))
        logical = []
    if logical:
        lines.append("".join(logical))
    for line in lines:
        s = line.strip()
        if not s or s.startswith(";"):
            continue
        if s.startswith("[") and s.endswith("]"):
            name = s[1:-1]
            current = None if name.startswith("-") else keys.setdefault(name, {})
            continue
        if current is None:
            continue
        m = re.match(r'^(@|"((?:[^"\\]|\\.)*)")=(.*)$', s, re.S)
        if not m:
            continue
        name = "" if m.group(1) == "@" else re.sub(r"\\(.)", r"\1", m.group(2))
        if _secret(name):
            continue
        value = _value(m.group(3))
        if value is not None:
            current[name] = value
    return keys


def decode_reg_file(data: bytes) -> str:
    """``reg export`` writes UTF-16LE with a byte-order mark; REGEDIT4 files are ANSI."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    return data.decode("cp1252", errors="replace")


def _text(values: dict[str, Any], *names: str) -> str:
    for name in names:
        v = values.get(name)
        if isinstance(v, bytes):
            v = v.decode("utf-16-le", errors="replace").split("\x00", 1)[0]
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def _dword(values: dict[str, Any], name: str) -> int | None:
    v = values.get(name)
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, bytes) and len(v) == 4:
        return int.from_bytes(v, "little")
    return None


def _profile_of(key: str) -> str:
    parts = key.split("\\")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "profiles":
            return parts[i + 1]
    return ""


def accounts_from_registry(keys: Registry) -> list[MailAccount]:
    out: list[MailAccount] = []
    for key, values in keys.items():
        host = _text(values, "SMTP Server")
        if not host:
            continue
        secure = _dword(values, "SMTP Secure Connection") or 0
        mode, label = SECURE_CONNECTION.get(secure, (None, str(secure)))
        port = _dword(values, "SMTP Port") or 0
        if mode is None:  # "Auto": Outlook picks; on 465 that can only be SSL/TLS
            mode = "implicit" if port == 465 else "starttls"
        if not 0 < port < 65536:
            port = 465 if mode == "implicit" else 25
        if _dword(values, "SMTP Use Auth"):
            auth = "ntlm" if _dword(values, "SMTP Use SPA") else "password"
        else:
            auth = "none"
        user = _text(values, "SMTP User", "SMTP User Name") or (
            _text(values, "IMAP User", "POP3 User", "POP3 User Name") if auth != "none" else "")
        out.append(MailAccount(
            "outlook", _text(values, "Email", "SMTP Email Address"), host, port, mode, auth, user,
            _profile_of(key), security_setting=label if secure == 3 else ""))
    return out


def read_windows_registry() -> Registry:
    """The account keys of every Outlook profile of the current user (Windows only):
    only the values in VALUE_NAMES, so a password value is never read."""
    keys: Registry = {}
    if sys.platform == "win32":
        import winreg

        def subkeys(handle: Any) -> list[str]:
            names, i = [], 0
            while True:
                try:
                    names.append(winreg.EnumKey(handle, i))
                except OSError:
                    return names
                i += 1

        for root in ROOTS:
            try:
                profiles = winreg.OpenKey(winreg.HKEY_CURRENT_USER, root, 0, winreg.KEY_READ)
            except OSError:
                continue
            with profiles:
                for profile in subkeys(profiles):
                    path = f"{root}\\{profile}\\{ACCOUNTS_KEY}"
                    try:
                        accounts = winreg.OpenKey(winreg.HKEY_CURRENT_USER, path, 0, winreg.KEY_READ)
                    except OSError:
                        continue
                    with accounts:
                        for sub in subkeys(accounts):
                            values: dict[str, Any] = {}
                            try:
                                with winreg.OpenKey(accounts, sub, 0, winreg.KEY_READ) as h:
                                    for name in VALUE_NAMES:
                                        try:
                                            values[name] = winreg.QueryValueEx(h, name)[0]
                                        except OSError:
                                            continue
                            except OSError:
                                continue
                            keys[f"HKEY_CURRENT_USER\\{path}\\{sub}"] = values
    return keys


def read(home: Home) -> Found:
    if home.platform != "win32" or home.registry is None:
        return Found()
    try:
        keys = home.registry()
    except OSError as exc:
        return Found(notes=(ProgramNote("outlook", "unreadable", str(exc)),))
    return Found(tuple(accounts_from_registry(keys)))
