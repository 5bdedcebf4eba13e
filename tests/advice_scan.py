"""The contract's rule, checked mechanically on finished reports: no sentence names a
port or setting *to use* unless it was tested in this run and worked (CONTRACT.md
section 2).  Used on every demo scenario's report, in every format and language."""

from __future__ import annotations

import html
import re

from smtpdiag.records import Check
from smtpdiag.report.model import Report

MODES = {"SSL/TLS": "implicit", "STARTTLS": "starttls"}

# A port with the connection type to put into the mail program: the only form that
# recommends a setting (smtpdiag.words.setting_words and its sentences).
_SETTING = [
    re.compile(r"\bport (\d+) (?:with|and) (SSL/TLS|STARTTLS)\b", re.I),
    re.compile(r"\bport (\d+), connection type (SSL/TLS|STARTTLS)\b", re.I),
    re.compile(r"\bPort (\d+) (?:mit|und) (SSL/TLS|STARTTLS)\b"),
    re.compile(r"\bPort (\d+), Verbindungssicherheit (SSL/TLS|STARTTLS)\b"),
]
# A port recommended without its connection type.
_USE_PORT = [
    re.compile(r"\b(?:use|prefer|try|switch to|change (?:it|them) to) ports? (\d+)\b", re.I),
    re.compile(r"\b(?:verwenden|nutzen|probieren) Sie (?:den |die )?Ports? (\d+)\b", re.I),
    re.compile(r"\bauf Port (\d+) (?:um|wechseln)\b", re.I),
]
# Advice that names no setting at all where one must be named, or none exists.
_VAGUE = [
    re.compile(r"\banother port\b", re.I),
    re.compile(r"\banderen Port\b", re.I),
    re.compile(r"\bthe (?:right|correct) port\b", re.I),
]


def working(report: Report) -> set[tuple[int, str]]:
    """(port, mode) of every target port tested in this run that worked."""
    return {(c.port, c.mode or "") for c in report.checks
            if c.kind == "smtp" and c.role == "target" and c.light in ("green", "amber") and c.cause != "cancelled"}


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
    ok = working(report)
    ok_ports = {p for p, _m in ok}
    out = []
    for port, mode, words in recommendations(text):
        if (mode is None and port not in ok_ports) or (mode is not None and (port, mode) not in ok):
            out.append(f"recommends {words!r}, which did not work (or was not tested) in this run")
    clean = html.unescape(re.sub(r"<[^>]+>", " ", text))
    for pattern in _VAGUE:
        out += [f"vague advice {m.group(0)!r}" for m in pattern.finditer(clean)]
    return out


def advice_texts(report: Report) -> list[str]:
    """The words of a report where advice lives (for messages that point at the culprit)."""
    parts = [str(report.overall.get(k) or "") for k in ("headline", "summary", "advice")]
    for c in report.checks:
        parts += [c.explanation, c.advice]
    return parts


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
