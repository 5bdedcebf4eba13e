"""The report of one run: the records plus verdicts, as the contract's JSON
(``schema: smtpdiag.report/1``) and as plain text.

A saved report re-opens because it *is* the records: :meth:`Report.from_json`
gives back the same checks, lights and words.  The words (explanations,
summary) are stored as they were shown, in the language of the run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from .. import __version__
from ..causes import FINDING_TEXTS, explain, finding_words, port_list, port_words
from ..config import RunConfig, vpn_protocol_name
from ..frozen import field, record, replace
from ..host.environment import environment
from ..i18n import _, current_language, ngettext
from ..records import Check, TranscriptLine
from ..textsafe import one_line
from ..verdict import overall
from . import words
from .words import MODE_WORDS

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

    from ..engine import Event, RunResult
    from ..net import Network

__all__ = ["MODE_WORDS", "Report", "ReportError", "build", "render_text", "summarise", "with_words"]

SCHEMA = "smtpdiag.report/1"


class ReportError(ValueError):
    """A file that is not a readable smtpdiag report (one line for the user)."""




def with_words(check: Check) -> Check:
    """The check with its explanation and advice in the current language."""
    if not check.cause:
        return check
    if check.kind == "dns":
        from .discovery_words import check_words

        explanation, advice = check_words(check)
        return check.with_(explanation=explanation, advice=advice)
    context = dict(check.context)
    if check.tls and check.tls.intercepted_by:
        context["product"] = check.tls.intercepted_by
    if check.kind == "vpn" and "product" not in context:
        context["product"] = vpn_protocol_name(check.protocol)
    if check.cause == "ip_family_partial":
        # The families by name: the one shown worked, the other did not.
        failed = [a.family for a in check.attempts if a.family in ("ipv4", "ipv6") and a.address != check.address]
        if failed:
            context["family_failed"] = failed[0]
            context["family_ok"] = "ipv4" if failed[0] == "ipv6" else "ipv6"
    if check.cause.startswith("auth_") and "provider" not in context:
        from ..login_policy import login_policy_for, provider_from_reply

        policy = login_policy_for(check.host)
        # The provider by its server's name, else by the words of its answer to the login
        # (a company name pointing at Microsoft 365 answers like Microsoft 365).
        provider = policy.provider if policy is not None else provider_from_reply(
            " ".join(s.detail for s in check.steps if s.step == "auth"))
        if provider:
            context["provider"] = provider
    explanation, advice = explain(check.cause, check.where, port=check.port, host=check.host, **context)
    for finding in _row_findings(check):
        explanation += " " + finding_words(finding)
    return check.with_(explanation=explanation, advice=advice, context=context)


def _row_findings(check: Check) -> list[str]:
    """Findings that get a sentence on the row without changing its light: a server that
    takes OAuth2 sign-in only, when no login was tried (a tried login says more)."""
    if check.light not in ("green", "amber") or any(s.step == "auth" and s.failure != "not_tried"
                                                     for s in check.steps):
        return []
    seen = [f for s in check.steps for f in s.findings if f in FINDING_TEXTS]
    return list(dict.fromkeys(seen))


def summarise(checks: list[Check]) -> tuple[str, str]:
    """One or two sentences for the customer, and what to do next (see :mod:`words`)."""
    summary, advice, _settings = words.summarise(checks)
    return summary, advice


def _ports(checks: list[Check]) -> str:
    return port_list([c.port for c in checks])


def vpn_comparison(previous: Report | None, current: Report) -> str | None:
    """What changed between two runs for the same server, one with a VPN and one
    without: who blocks a port ("with the VPN port 465 works: your internet
    provider blocks it").  None when there is nothing to say."""
    if previous is None or previous.input.get("target") != current.input.get("target"):
        return None
    vpn_now = bool(current.environment.get("vpn_active"))
    if bool(previous.environment.get("vpn_active")) == vpn_now:
        return None
    before = {c.port: c.light for c in previous.checks if c.role == "target" and c.kind == "smtp"}
    fixed = [c for c in current.checks if c.role == "target" and c.kind == "smtp"
             and c.light in ("green", "amber") and before.get(c.port) == "red"]
    broken = [c for c in current.checks if c.role == "target" and c.kind == "smtp"
              and c.light == "red" and before.get(c.port) in ("green", "amber")]
    if fixed and vpn_now:
        return ngettext("With the VPN, {ports} works, without it it does not: your internet provider "
                        "or local network blocks it.",
                        "With the VPN, {ports} work, without it they do not: your internet provider "
                        "or local network blocks them.", len(fixed)).format(ports=port_words([c.port for c in fixed]))
    if fixed:
        return ngettext("Without the VPN, {ports} works, with it it does not: the VPN blocks it.",
                        "Without the VPN, {ports} work, with it they do not: the VPN blocks them.",
                        len(fixed)).format(ports=port_words([c.port for c in fixed]))
    if broken and vpn_now:
        # TRANSLATORS: {ports} is one port number ("465") or a list of them ("25, 465 and 587").
        return ngettext("Port {ports} worked without the VPN but not with it: the VPN blocks it.",
                        "Ports {ports} worked without the VPN but not with it: the VPN blocks them.",
                        len(broken)).format(ports=_ports(broken))
    if broken:
        # TRANSLATORS: {ports} is one port number ("465") or a list of them ("25, 465 and 587").
        return ngettext("Port {ports} worked with the VPN but not without it: your internet provider "
                        "or local network blocks it.",
                        "Ports {ports} worked with the VPN but not without it: your internet provider "
                        "or local network blocks them.", len(broken)).format(ports=_ports(broken))
    return None


@record(frozen=False)
class Report:
    created: str
    input: dict[str, Any]
    environment: dict[str, Any]
    overall: dict[str, Any]
    checks: list[Check]
    app: dict[str, Any] = field(default_factory=lambda: {"name": "smtpdiag", "version": __version__})
    schema: str = SCHEMA
    report_id: str = field(default_factory=lambda: os.urandom(6).hex())  # 12 random hex digits
    language: str = "en"
    # The mail programs on this computer that use the tested server (contract section 6).
    mail_programs: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "app": self.app,
            "created": self.created,
            "report_id": self.report_id,
            "language": self.language,
            "input": self.input,
            "environment": self.environment,
            "overall": self.overall,
            "mail_programs": self.mail_programs,
            "checks": [c.to_json() for c in self.checks],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: Any) -> Report:
        if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("smtpdiag.report/"):
            raise ReportError(_("This file is not an smtpdiag report."))
        major = str(data["schema"]).split("/", 1)[1].split(".")[0]
        if major != "1":
            raise ReportError(_("This report was made by a newer smtpdiag (format {schema}); "
                                "please update smtpdiag to open it.").format(schema=data["schema"]))
        try:
            checks = [Check.from_json(c) for c in data.get("checks") or []]
            return cls(
                created=str(data.get("created", "")),
                input=dict(data.get("input") or {}),
                environment=dict(data.get("environment") or {}),
                overall=dict(data.get("overall") or {}),
                checks=checks,
                app=dict(data.get("app") or {}),
                schema=str(data["schema"]),
                report_id=str(data.get("report_id") or ""),
                language=str(data.get("language") or "en"),
                mail_programs=[dict(e) for e in data.get("mail_programs") or [] if isinstance(e, dict)],
            )
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ReportError(_("This smtpdiag report is damaged ({reason}).").format(reason=exc)) from None

    @classmethod
    def loads(cls, text: str) -> Report:
        """A report from JSON text, checked in full by :mod:`smtpdiag.report.loader`
        (damaged parts are left out; use ``load_report`` to learn which)."""
        from .loader import check_structure, load_report_data, parse

        check_structure(text)
        return load_report_data(parse(text)).report

    @property
    def targets(self) -> list[Check]:
        return [c for c in self.checks if c.role == "target"]

    @property
    def controls(self) -> list[Check]:
        return [c for c in self.checks if c.role == "control"]


def with_clock(check: Check, clock: dict[str, Any] | None, created: str) -> Check:
    """A certificate-date check with the date and, when asked, the time server's word."""
    if check.cause != "tls_expired":
        return check
    context = dict(check.context)
    context.update(words.clock_context(check, clock, created))
    return with_words(check.with_(context=context))


def overall_block(checks: list[Check], env: dict[str, Any],
                  mail_programs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The ``overall`` block of checks that already have their run's words (:func:`overall_words`),
    with the mail programs on this computer that use the server (``mail_programs``)."""
    verdict = overall(checks)
    programs = mail_programs or []
    summary, advice, settings = words.summarise(checks, programs)
    if env.get("vpn_active"):
        summary += " " + _("A VPN is switched on: these results describe the VPN's network, not yours.")
        advice += " " + _("To test your own network, switch the VPN off and check again.")
    return {"light": verdict.light, "cause": verdict.cause, "where": verdict.where,
            "headline": words.headline(checks, programs), "summary": summary, "advice": advice,
            "settings": settings}


def overall_words(checks: list[Check], env: dict[str, Any],
                  mail_programs: list[dict[str, Any]] | None = None) -> tuple[list[Check], dict[str, Any]]:
    """The checks with the words that depend on the whole run, and the ``overall`` block."""
    checks = words.run_words(checks)
    return checks, overall_block(checks, env, mail_programs)


def reworded(report: Report) -> Report:
    """*report* with every word in the current language, computed again from its records
    (the mail programs' fix sentences stay as stored)."""
    checks, overall_ = overall_words([with_words(c) for c in report.checks], report.environment,
                                     report.mail_programs)
    return replace(report, checks=checks, overall=overall_, language=current_language())


def build(config: RunConfig, checks: list[Check], created: str,
          lookups: list[dict[str, object]] | None = None, clock: dict[str, Any] | None = None) -> Report:
    env = environment()
    if lookups is not None:
        env["lookups"] = lookups
    if clock is not None:
        env["clock"] = dict(clock, text=words.clock_text(clock))
    checks = [with_clock(c, clock, created) for c in checks]
    checks, overall_ = overall_words(checks, env)
    return Report(
        created=created,
        input={
            "target": config.target,
            "ports": [str(p) for p in config.ports],
            "vpn": config.vpn_host,
            "control": list(config.controls),
            "timeout": config.timeout,
            "user": config.user,
        },
        environment=env,
        overall=overall_,
        checks=checks,
        language=current_language(),
    )


def report_of(result: RunResult) -> Report:
    """The report of a run: the engine's checks with their words, the overall words,
    and what may be said about this computer (host/environment)."""
    checks = [with_words(c) for c in result.checks]
    lookups = list(result.lookups) if result.lookups is not None else None
    return build(result.config, checks, result.started_at, lookups=lookups,
                 clock=dict(result.clock) if result.clock is not None else None)


def diagnose(config: RunConfig, network: Network | None = None,
             on_event: Callable[[Event], None] | None = None) -> Report:
    """Run a diagnosis to its end and return its report (for scripts and tests; the
    faces start a :class:`smtpdiag.engine.Diagnosis` themselves to cancel it)."""
    from ..engine import Diagnosis

    return report_of(Diagnosis(config, network, on_event).run())


# -- plain text -----------------------------------------------------------------------

_TEXT_DIR = {"send": "->", "recv": "<-", "note": "**"}
_TLS_DIR = {"send": "~>", "recv": "<~", "note": "**"}


def _one_line_strings(node: Any) -> Any:
    if isinstance(node, str):
        return one_line(node)
    if isinstance(node, dict):
        return {k: _one_line_strings(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_one_line_strings(v) for v in node]
    return node


def for_display(report: Report) -> Report:
    """A copy of *report* whose every text went through :func:`smtpdiag.textsafe.one_line`:
    a certificate subject, server reply or report field with a line break, bidi override or
    escape sequence cannot start a line that looks like the report's own (``Overall: OK``)."""
    return Report.from_json(_one_line_strings(report.to_json()))


def several_connections(check: Check) -> bool:
    return len({line.conn for line in check.transcript if line.conn}) > 1


def transcript_line(line: TranscriptLine, numbered: bool = False) -> str:
    """One transcript line as the reports print it: time, (the connection when there
    were several: "#2"), direction, the text as recorded."""
    arrow = (_TLS_DIR if line.tls else _TEXT_DIR).get(line.dir, "**")
    conn = (f"#{line.conn} " if line.conn else "   ") if numbered else ""
    return f"{line.ms:>6} ms {conn}{arrow} {one_line(line.text)}"


def transcript_lines(check: Check) -> list[str]:
    numbered = several_connections(check)
    return [transcript_line(line, numbered) for line in check.transcript]


def render_text(report: Report, details: bool = True) -> str:
    """The plain-text report (see :mod:`smtpdiag.report.text`)."""
    from .text import render

    return render(report, details)
