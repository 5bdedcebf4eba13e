"""``smtpdiag accounts`` for people: what was found, what could not be read."""

from __future__ import annotations

import json

from ..i18n import N_, _
from ..textsafe import one_line
from .model import Found, MailAccount, ProgramNote, program_name

MODE_WORDS = {"implicit": N_("SSL/TLS"), "starttls": N_("STARTTLS"), "none": N_("no encryption")}
AUTH_WORDS = {
    "none": N_("no login"), "password": N_("password"), "password_encrypted": N_("encrypted password"),
    "oauth2": N_("OAuth2 sign-in"), "kerberos": N_("Kerberos"), "ntlm": N_("NTLM"),
    "tls_certificate": N_("TLS certificate"), "any": N_("any method"), "unknown": N_("unknown method"),
}


def mode_word(mode: str) -> str:
    return _(MODE_WORDS[mode]) if mode in MODE_WORDS else mode


def auth_word(auth: str) -> str:
    return _(AUTH_WORDS[auth]) if auth in AUTH_WORDS else auth


def note_sentence(note: ProgramNote) -> str:
    name = program_name(note.program)
    if note.reason == "unreadable" and note.detail == "full_disk_access":
        return _("{program}: cannot read its settings without permission (Full Disk Access). To allow it: "
                 "System Settings > Privacy & Security > Full Disk Access, and add the program you start "
                 "smtpdiag from.").format(program=name)
    if note.reason == "unreadable":
        return _("{program}: its settings could not be read ({detail}).").format(program=name, detail=note.detail)
    if note.reason == "damaged":
        return _("{program}: its settings file could not be understood ({detail}).").format(
            program=name, detail=note.detail)
    if note.reason == "outside_home":
        return _("{program}: a profile outside your home folder was not read ({detail}).").format(
            program=name, detail=note.detail)
    return _("{program}: keeps its settings where smtpdiag does not read them (the system's Internet "
             "Accounts).").format(program=name)


def account_line(a: MailAccount) -> str:
    # TRANSLATORS: one outgoing server setting: "smtp.example.com, port 587, STARTTLS, login alice (password)".
    line = _("{host}, port {port}, {security}").format(host=a.host, port=a.port, security=mode_word(a.mode))
    if a.security_setting:
        line += f" ({a.security_setting})"
    if a.auth != "none":
        line += ", " + _("login {user} ({method})").format(user=a.user or "-", method=auth_word(a.auth))
    return line


def render_text(found: Found) -> str:
    lines = [_("Mail programs on this computer"), ""]
    if not found.accounts:
        lines.append(_("No outgoing server was found in Thunderbird, Betterbird, SeaMonkey, Evolution, "
                       "Outlook or Apple Mail."))
    for a in found.accounts:
        lines.append(a.label() + (f"  [{a.profile}]" if a.profile and a.profile != a.account else ""))
        lines.append("    " + _("Outgoing server: {setting}").format(setting=account_line(a)))
    if found.notes:
        lines += ["", _("Not read:")]
        lines += ["  " + note_sentence(n) for n in found.notes]
    lines += ["", _("smtpdiag only read these settings: nothing was changed, nothing was sent anywhere.")]
    if found.accounts:
        lines.append(_("To test one of these servers: smtpdiag check SERVER"))
    lines.append("")
    # Each entry is one line: a line break inside a setting read from a profile is shown as \x0a.
    return "\n".join(one_line(line) for line in lines)


def render_json(found: Found) -> str:
    return json.dumps([a.to_json() for a in found.accounts], indent=2, ensure_ascii=False) + "\n"
