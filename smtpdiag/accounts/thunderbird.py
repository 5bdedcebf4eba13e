"""Thunderbird and its forks (Betterbird, SeaMonkey): ``profiles.ini`` and each
profile's ``prefs.js``.

The outgoing servers are the preferences (Thunderbird's ``OutgoingServerService``
and ``SmtpServer``, checked against Thunderbird's sources of 2026):

    mail.smtpservers                        "smtp1,smtp2"  (the server keys)
    mail.smtpserver.KEY.hostname / port / username
    mail.smtpserver.KEY.try_ssl             0 none, 1 "STARTTLS, if available" (old, migrated to 2),
                                            2 STARTTLS, 3 SSL/TLS
    mail.smtpserver.KEY.authMethod          nsMsgAuthMethod: 1 none, 3 normal password,
                                            4 encrypted password, 5 Kerberos, 6 NTLM,
                                            7 TLS certificate, 8/9 any, 10 OAuth2
    mail.smtpserver.KEY.type                "smtp" (since 2024; "ews" is Exchange, not SMTP)
    mail.smtp.defaultserver                 the key identities without their own server use
    mail.accountmanager.accounts            "account1,account2"
    mail.account.ACCOUNT.identities         "id1,id2"
    mail.identity.ID.useremail / smtpServer

Newer Thunderbird keeps the settings of non-SMTP outgoing servers (Exchange) under
``mail.outgoingserver.KEY.*``; the same names are read there too when the
``mail.smtpserver`` branch lacks them.  A port of 0 means the default: 465 for
SSL/TLS, else 587 (``SmtpClient``).
"""

from __future__ import annotations

import re
from pathlib import Path, PureWindowsPath

from ..frozen import record
from .home import Home, Refused
from .model import Found, MailAccount, ProgramNote

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from .model import Mode

TRY_SSL: dict[int, Mode] = {0: "none", 1: "starttls", 2: "starttls", 3: "implicit"}
AUTH_METHOD = {1: "none", 2: "password", 3: "password", 4: "password_encrypted", 5: "kerberos",
               6: "ntlm", 7: "tls_certificate", 8: "any", 9: "any", 10: "oauth2"}

# -- prefs.js --------------------------------------------------------------------------

_PREF = re.compile(r"""^\s*(?:user_)?pref\s*\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*,\s*(.*?)\s*\)\s*;""")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'"}

PrefValue = str | int | bool


def _unquote(token: str) -> str:
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 2:i + 4]):
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    # Surrogate pairs written as two \u escapes become one character.
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", errors="replace")


def parse_prefs(text: str) -> dict[str, PrefValue]:
    """The preferences of a ``prefs.js`` / ``user.js`` file (later lines win).

    Only ``user_pref("name", value);`` lines with a string, integer or boolean
    value are understood; anything else (comments, damage) is skipped."""
    prefs: dict[str, PrefValue] = {}
    for line in text.splitlines():
        m = _PREF.match(line)
        if not m:
            continue
        name, raw = _unquote(m.group(1)), m.group(2)
        value: PrefValue
        if raw in ("true", "false"):
            value = raw == "true"
        elif re.fullmatch(r"-?\d+", raw):
            value = int(raw)
        elif len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
            value = _unquote(raw)
        else:
            continue
        prefs[name] = value
    return prefs


def _int(value: PrefValue | None, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return default


def _str(value: PrefValue | None) -> str:
    return value if isinstance(value, str) else ""


def _keys(value: PrefValue | None) -> list[str]:
    return [k.strip() for k in _str(value).split(",") if k.strip()]


def accounts_from_prefs(prefs: dict[str, PrefValue], program: str = "thunderbird",
                        profile: str = "") -> list[MailAccount]:
    """Every (sending address, outgoing server) pair the preferences configure."""

    def server_pref(key: str, name: str) -> PrefValue | None:
        for branch in ("mail.smtpserver", "mail.outgoingserver"):
            full = f"{branch}.{key}.{name}"
            if full in prefs:
                return prefs[full]
        return prefs.get(f"mail.smtpserver.default.{name}")

    keys = _keys(prefs.get("mail.smtpservers"))
    if not keys:  # a hand-edited profile: take the servers that have a host name
        keys = sorted({n.split(".")[2] for n in prefs
                       if re.fullmatch(r"mail\.(smtpserver|outgoingserver)\.[^.]+\.hostname", n)
                       and n.split(".")[2] != "default"})
    servers: dict[str, MailAccount] = {}
    for key in keys:
        kind = _str(server_pref(key, "type")) or "smtp"
        host = _str(server_pref(key, "hostname")).strip()
        if kind.lower() != "smtp" or not host:
            continue  # Exchange (EWS) sends without SMTP; a server without a name sends nowhere
        mode = TRY_SSL.get(_int(server_pref(key, "try_ssl"), 0), "none")
        port = _int(server_pref(key, "port"), 0)
        if not 0 < port < 65536:
            port = 465 if mode == "implicit" else 587
        auth = AUTH_METHOD.get(_int(server_pref(key, "authMethod"), 3), "unknown")
        servers[key] = MailAccount(program, "", host, port, mode, auth,
                                   _str(server_pref(key, "username")), profile)
    if not servers:
        return []
    default = _str(prefs.get("mail.smtp.defaultserver"))
    if default not in servers:
        default = next(iter(servers))
    identities: list[str] = []
    for account in _keys(prefs.get("mail.accountmanager.accounts")):
        identities += _keys(prefs.get(f"mail.account.{account}.identities"))
    if not prefs.get("mail.accountmanager.accounts"):
        identities = sorted({n.split(".")[2] for n in prefs if re.fullmatch(r"mail\.identity\.[^.]+\.useremail", n)})
    out: list[MailAccount] = []
    used: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for ident in dict.fromkeys(identities):
        email = _str(prefs.get(f"mail.identity.{ident}.useremail")).strip()
        key = _str(prefs.get(f"mail.identity.{ident}.smtpServer")) or default
        if not email or key not in servers or (email.lower(), key) in seen:
            continue
        seen.add((email.lower(), key))
        used.add(key)
        s = servers[key]
        out.append(MailAccount(s.program, email, s.host, s.port, s.mode, s.auth, s.user, s.profile))
    # Servers no identity uses are still settings of this program: list them without an address.
    out += [s for k, s in servers.items() if k not in used]
    return out


# -- profiles.ini ----------------------------------------------------------------------

@record
class ProfileRef:
    name: str
    path: str          # as written in profiles.ini
    relative: bool
    default: bool = False


def parse_profiles_ini(text: str) -> list[ProfileRef]:
    """The profiles a ``profiles.ini`` lists (``[ProfileN]`` and ``[Install…]`` defaults)."""
    import configparser  # only where a profiles.ini exists: start-up of every check stays light

    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        cp.read_string(text)
    except configparser.Error:
        return []
    out: dict[str, ProfileRef] = {}
    for section in cp.sections():
        sec = cp[section]
        path = (sec.get("Path") or "").strip()
        if section.startswith("Profile") and path:
            relative = (sec.get("IsRelative") or "1").strip() != "0"
            is_default = (sec.get("Default") or "").strip() == "1"
            out.setdefault(path, ProfileRef((sec.get("Name") or path).strip(), path, relative, is_default))
    installed = set()
    for section in cp.sections():
        default = (cp[section].get("Default") or "").strip()
        if section.startswith("Install") and default:
            installed.add(default)
            if default not in out:
                out[default] = ProfileRef(default, default, not _is_absolute(default), True)
    # The profile the program opens first comes first.
    return sorted(out.values(), key=lambda r: not (r.default or r.path in installed))


def _is_absolute(path: str) -> bool:
    return path.startswith("/") or PureWindowsPath(path).is_absolute()


def profile_dir(root: Path, ref: ProfileRef) -> Path:
    if ref.relative:
        return root.joinpath(*[p for p in ref.path.replace("\\", "/").split("/") if p and p != ".."])
    return Path(ref.path)


# -- where each program keeps its profiles ---------------------------------------------------

def profile_roots(home: Home) -> list[tuple[str, Path]]:
    """(program, folder holding profiles.ini) for the home's system, most common first.

    Betterbird uses Thunderbird's folders (blog.betterbird.eu, 2025), except its Flatpak."""
    h = home.path
    if home.platform == "win32":
        appdata = home.appdata or h / "AppData" / "Roaming"
        return [("thunderbird", appdata / "Thunderbird"), ("seamonkey", appdata / "Mozilla" / "SeaMonkey")]
    if home.platform == "darwin":
        return [("thunderbird", h / "Library" / "Thunderbird"),
                ("seamonkey", h / "Library" / "Application Support" / "SeaMonkey")]
    return [("thunderbird", h / ".thunderbird"),
            ("thunderbird", h / "snap" / "thunderbird" / "common" / ".thunderbird"),
            ("thunderbird", h / ".var" / "app" / "org.mozilla.Thunderbird" / ".thunderbird"),
            ("betterbird", h / ".var" / "app" / "eu.betterbird.Betterbird" / ".thunderbird"),
            ("seamonkey", h / ".mozilla" / "seamonkey")]


def _program_of(home: Home, profile: Path, program: str) -> str:
    """Betterbird shares Thunderbird's profile folder; its profiles say who ran them last."""
    if program != "thunderbird":
        return program
    compat = profile / "compatibility.ini"
    if not home.exists(compat):
        return program
    try:
        text = home.open_text(compat)
    except (OSError, Refused):
        return program
    return "betterbird" if "betterbird" in text.lower() else program


def read(home: Home) -> Found:
    accounts: list[MailAccount] = []
    notes: list[ProgramNote] = []
    done: set[Path] = set()
    for program, root in profile_roots(home):
        ini = root / "profiles.ini"
        if not home.exists(ini):
            continue
        try:
            refs = parse_profiles_ini(home.open_text(ini))
        except (OSError, Refused) as exc:
            notes.append(ProgramNote(program, "unreadable", f"{ini}: {exc}"))
            continue
        for ref in refs:
            folder = profile_dir(root, ref)
            if not home.inside(folder):
                notes.append(ProgramNote(program, "outside_home", str(folder)))
                continue
            prefs_js = folder / "prefs.js"
            if folder.resolve() in done or not home.exists(prefs_js):
                continue
            done.add(folder.resolve())
            who = _program_of(home, folder, program)
            try:
                prefs = parse_prefs(home.open_text(prefs_js))
            except (OSError, Refused) as exc:
                notes.append(ProgramNote(who, "unreadable", f"{prefs_js}: {exc}"))
                continue
            accounts += accounts_from_prefs(prefs, who, ref.name)
    return Found(tuple(accounts), tuple(notes))
