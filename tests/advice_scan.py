"""The contract's rule, checked mechanically on finished reports: no sentence names a
port or setting *to use* unless it was tested in this run and worked (docs/contract.md
section 2).  Used on every demo scenario's report, in every format and language."""

from __future__ import annotations

import html
import re

from smtpdiag.records import Check
from smtpdiag.report.model import Report

MODES = {"SSL/TLS": "implicit", "STARTTLS": "starttls"}

# A port with the connection type to put into the mail program: the only form that
# recommends a setting (smtpdiag.report.words.setting_words and its sentences).
_SETTING = [
    re.compile(r"\bport (\d+) (?:with|and) (SSL/TLS|STARTTLS)\b", re.I),
    re.compile(r"\bport (\d+), connection type (SSL/TLS|STARTTLS)\b", re.I),
    re.compile(r"\bPort (\d+) (?:mit|und) (SSL/TLS|STARTTLS)\b"),
    re.compile(r"\bPort (\d+), Verbindungssicherheit (SSL/TLS|STARTTLS)\b"),
]
# A port recommended without its connection type (also a mail program's own setting:
# "change Port to 465", "Port: 465", "Outgoing server (SMTP): 465").
_USE_PORT = [
    re.compile(r"\b(?:use|prefer|try|switch to|change (?:it|them) to) ports? (\d+)\b", re.I),
    re.compile(r"\b(?:verwenden|nutzen|probieren) Sie (?:den |die )?Ports? (\d+)\b", re.I),
    re.compile(r"\bauf Port (\d+) (?:um|wechseln)\b", re.I),
    re.compile(r"\bPort“? (?:to|auf) (\d+)\b"),
    re.compile(r"\b(?:Port|Outgoing server \(SMTP\)|Postausgangsserver \(SMTP\)): (\d+)\b"),
]
# Advice that names no setting at all where one must be named, or none exists.
_VAGUE = [
    re.compile(r"\banother port\b", re.I),
    re.compile(r"\banderen Port\b", re.I),
    re.compile(r"\bthe (?:right|correct) port\b", re.I),
]


def working(report: Report, roles: tuple[str, ...] = ("target",)) -> set[tuple[int, str]]:
    """(port, mode) of every target port tested in this run that worked (with *roles*
    ``("target", "account")`` also a mail program's exact setting tested as its own check)."""
    return {(c.port, c.mode or "") for c in report.checks
            if c.kind == "smtp" and c.role in roles and c.light in ("green", "amber") and c.cause != "cancelled"}


def recommendations(text: str) -> list[tuple[int, str | None, str]]:
    """Every (port, mode or None, the matched words) *text* recommends."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    found: list[tuple[int, str | None, str]] = []
    for pattern in _SETTING:
        found += [(int(m.group(1)), MODES[m.group(2).upper()], m.group(0)) for m in pattern.finditer(text)]
    for pattern in _USE_PORT:
        found += [(int(m.group(1)), None, m.group(0)) for m in pattern.finditer(text)]
    return found


def problems(report: Report, text: str) -> list[str]:
    """What in *text* breaks the rule for *report* (empty when nothing does)."""
    ok = working(report, ("target", "account"))
    ok_ports = {p for p, _m in ok}
    out = []
    for port, mode, words in recommendations(text):
        if (mode is None and port not in ok_ports) or (mode is not None and (port, mode) not in ok):
            out.append(f"recommends {words!r}, which did not work (or was not tested) in this run")
    clean = html.unescape(re.sub(r"<[^>]+>", " ", text))
    for pattern in _VAGUE:
        out += [f"vague advice {m.group(0)!r}" for m in pattern.finditer(clean)]
    return out


def mail_program_problems(report: Report) -> list[str]:
    """A mail program's verdict follows from this run: ``ok`` only when its exact setting was
    tested and worked; ``change`` names (``use``) a setting of the same server tested in this
    run that worked, never port 25; and when sending works but a program must change, the
    headline says so (it never says only "use port ..." above a program set otherwise)."""
    out = []
    tested = {(c.host.lower().rstrip("."), c.port, c.mode or ""): c for c in report.checks
              if c.kind == "smtp" and c.role in ("target", "account")}
    for e in report.mail_programs:
        who = f"{e.get('program')}/{e.get('account')}"
        if e.get("verdict") == "ok":
            exact = tested.get((str(e["host"]).lower().rstrip("."), e["port"], e["mode"]))
            if exact is None or exact.light not in ("green", "amber"):
                out.append(f"{who}: ok, but its exact setting did not work (or was not tested)")
        elif e.get("verdict") == "change":
            use = e.get("use")
            if not isinstance(use, dict):
                out.append(f"{who}: change without the setting it names (use)")
                continue
            used = tested.get((str(use["host"]).lower().rstrip("."), use["port"], use["mode"]))
            if used is None or used.light not in ("green", "amber") or used.port == 25:
                out.append(f"{who}: the fix names {use}, which did not work (or was not tested) in this run")
    headline = str(report.overall.get("headline") or "")
    if (report.overall.get("light") in ("green", "amber")
            and any(e.get("verdict") == "change" for e in report.mail_programs)):
        programs = {e["program"] for e in report.mail_programs if e.get("verdict") == "change"}
        from smtpdiag.accounts.model import program_name

        if not any(program_name(p) in headline for p in programs):
            out.append(f"headline {headline!r} does not name the mail program set differently")
    return out


def settings_agree(report: Report) -> list[str]:
    """overall.settings names the first working submission port in the contract's order."""
    settings = report.overall.get("settings")
    targets: list[Check] = [c for c in report.checks if c.kind == "smtp" and c.role == "target"]
    ok = working(report)
    if settings is None:
        sub = {(p, m) for p, m in ok if p != 25}
        return [f"settings null although {sorted(sub)} worked"] if sub and any(c.port != 25 for c in targets) else []
    if (settings["port"], settings["mode"]) not in ok:
        return [f"settings {settings} did not work in this run"]
    return []
