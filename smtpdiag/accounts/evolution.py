"""Evolution (GNOME) on Linux: its ``sources/*.source`` key files.

Each account is several sources that point at each other by file name (the uid):

    UID.source            [Mail Account]   IdentityUid=ID
    ID.source             [Mail Identity]  Address=alice@example.com
                          [Mail Submission] TransportUid=TR
    TR.source             [Mail Transport] BackendName=smtp
                          [Authentication] Host= Port= User= Method=PLAIN
                          [Security]       Method=none | ssl-on-alternate-port | starttls-on-standard-port

Passwords are in the system keyring, never in these files.
"""

from __future__ import annotations

from pathlib import Path

from .home import Home, Refused
from .model import Found, MailAccount, ProgramNote

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from .model import Mode

SECURITY: dict[str, Mode] = {"none": "none", "ssl-on-alternate-port": "implicit",
                             "starttls-on-standard-port": "starttls"}
_AUTH = {"": "none", "plain": "password", "login": "password", "cram-md5": "password_encrypted",
         "digest-md5": "password_encrypted", "xoauth2": "oauth2", "oauthbearer": "oauth2",
         "google": "oauth2", "outlook": "oauth2", "yahoo": "oauth2", "gssapi": "kerberos", "ntlm": "ntlm"}

KeyFile = dict[str, dict[str, str]]


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_keyfile(text: str) -> KeyFile:
    """A GLib key file: ``[Group]`` then ``Key=value`` lines; ``Key[de]=`` translations are skipped."""
    groups: KeyFile = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = groups.setdefault(line[1:-1], {})
            continue
        if current is None or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        if "[" in key:
            continue
        current[key] = _unescape(value.strip())
    return groups


def auth_method(method: str) -> str:
    return _AUTH.get(method.strip().lower(), "unknown")


def accounts_from_sources(sources: dict[str, KeyFile]) -> list[MailAccount]:
    """Every SMTP transport with the addresses whose identity submits through it."""
    addresses: dict[str, list[str]] = {}
    for groups in sources.values():
        identity, submission = groups.get("Mail Identity"), groups.get("Mail Submission")
        if identity and submission and identity.get("Address") and submission.get("TransportUid"):
            addresses.setdefault(submission["TransportUid"], []).append(identity["Address"].strip())
    out: list[MailAccount] = []
    for uid, groups in sorted(sources.items()):
        transport = groups.get("Mail Transport")
        if not transport or transport.get("BackendName", "").lower() != "smtp":
            continue
        if groups.get("Data Source", {}).get("Enabled", "true").lower() == "false":
            continue
        auth = groups.get("Authentication", {})
        host = auth.get("Host", "").strip()
        if not host:
            continue
        mode = SECURITY.get(groups.get("Security", {}).get("Method", "none").strip().lower(), "none")
        try:
            port = int(auth.get("Port", "0"))
        except ValueError:
            port = 0
        if not 0 < port < 65536:
            port = 465 if mode == "implicit" else 25  # Evolution's defaults: "smtps", else "smtp"
        label = groups.get("Data Source", {}).get("DisplayName", "")
        for address in addresses.get(uid, [""]):
            out.append(MailAccount("evolution", address, host, port, mode, auth_method(auth.get("Method", "")),
                                   auth.get("User", "").strip(), label))
    return out


def source_dirs(home: Home) -> list[Path]:
    config = home.xdg_config or home.path / ".config"
    return [config / "evolution" / "sources",
            home.path / ".var" / "app" / "org.gnome.Evolution" / "config" / "evolution" / "sources"]


def read(home: Home) -> Found:
    if home.platform in ("win32", "darwin"):
        return Found()
    accounts: list[MailAccount] = []
    notes: list[ProgramNote] = []
    for folder in source_dirs(home):
        if not home.is_dir(folder):
            continue
        try:
            files = sorted(p for p in folder.iterdir() if p.suffix == ".source")
        except OSError as exc:
            notes.append(ProgramNote("evolution", "unreadable", f"{folder}: {exc}"))
            continue
        sources: dict[str, KeyFile] = {}
        for path in files:
            try:
                sources[path.stem] = parse_keyfile(home.open_text(path))
            except (OSError, Refused) as exc:
                notes.append(ProgramNote("evolution", "unreadable", f"{path}: {exc}"))
        accounts += accounts_from_sources(sources)
    return Found(tuple(accounts), tuple(notes))
