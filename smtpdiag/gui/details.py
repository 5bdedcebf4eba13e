"""The details pane for support staff: everything recorded about the selected row.

    DetailsPane (QTabWidget)
      Overview      cause code, where, address, time, every step with timing and outcome,
                    the reference servers on the same port, the other address family
      Conversation  the full transcript, monospace (-> sent, <- received, ~> <~ encrypted)
      Certificates  TLS version and cipher, each certificate of the chain

All text is selectable and copyable (read-only text widgets).  Nothing here is
coloured by hand: the widgets follow the system palette.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QTabWidget, QTextBrowser, QWidget

from ..causes import CAUSES, where_word
from ..i18n import _
from ..records import Check, Step
from ..report.model import transcript_lines
from ..textsafe import one_line
from . import lights
from .results import connection_words, status_word

# Longer fields are cut (with "…") in this pane: Qt lays out a 60,000-character word for
# seconds.  A saved report keeps them whole.
DETAIL_TEXT_LIMIT = 4000


def escape(text: object) -> str:
    """*text* for the pane's HTML: one line, escapes visible, at most DETAIL_TEXT_LIMIT."""
    return html.escape(one_line(text, DETAIL_TEXT_LIMIT), quote=True)


def _row(*cells: str, header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f'<{tag} align="left" valign="top">{c}</{tag}>' for c in cells) + "</tr>"


def steps_html(steps: list[Step]) -> str:
    if not steps:
        return "<p><i>" + escape(_("No step has finished yet.")) + "</i></p>"
    rows = [_row(escape(_("Step")), escape(_("Result")), escape(_("Time")), escape(_("What happened")),
                 header=True)]
    for s in steps:
        outcome = _("skipped") if s.failure == "not_tried" else _("done") if s.ok else _("failed")
        notes = escape(s.detail)
        if s.failure and s.failure != "not_tried":
            notes += f" <code>[{escape(s.failure)}]</code>"
        if s.findings:
            notes += f" <code>{{{escape(', '.join(s.findings))}}}</code>"
        rows.append(_row(f"<code>{escape(s.step)}</code>", escape(outcome),
                         escape(_("{ms} ms").format(ms=s.ms)), notes))
    return '<table cellspacing="0" cellpadding="3">' + "".join(rows) + "</table>"


def overview_html(check: Check, steps: list[Step], controls: list[Check], finished: bool) -> str:
    first, second = connection_words(check)
    parts = [f"<h3>{escape(check.host)} – {escape(first)} ({escape(second)})</h3>"]
    facts: list[tuple[str, str]] = []
    if finished:
        facts.append((_("Result"), f"{escape(lights.word(check.light))} – {escape(status_word(check))}"))
        cause_text = f"<code>{escape(check.cause)}</code>"
        facts.append((_("Cause code"), cause_text))
        facts.append((_("Where"), f"<code>{escape(check.where)}</code> – {escape(where_word(check.where))}"))
        if check.explanation:
            facts.append((_("Explanation"), escape(check.explanation)))
        if check.advice:
            facts.append((_("What to do"), escape(check.advice)))
    else:
        facts.append((_("Result"), escape(_("still testing"))))
    if check.address:
        facts.append((_("Address"), f"<code>{escape(check.address)}</code>"))
    if finished:
        facts.append((_("Time"), escape(_("{ms} ms").format(ms=check.duration_ms))))
    facts.append((_("Check id"), f"<code>{escape(check.id)}</code>"))
    parts.append('<table cellspacing="0" cellpadding="2">'
                 + "".join(_row(f"<b>{escape(k)}</b>", v) for k, v in facts) + "</table>")
    parts.append("<h4>" + escape(_("Steps")) + "</h4>")
    parts.append(steps_html(steps))
    others = [a for a in check.attempts if a.address != check.address and a.family != "none"]
    if others:
        parts.append("<h4>" + escape(_("Other addresses tried")) + "</h4><ul>")
        for a in others:
            failed = [s for s in a.steps if s.failure and s.failure != "not_tried"]
            what = (f"{escape(failed[0].step)}: <code>{escape(failed[0].failure or '')}</code> "
                    f"{escape(failed[0].detail)}") if failed else escape(_("worked"))
            parts.append(f"<li>{escape(a.family)} <code>{escape(a.address or '')}</code>: {what}</li>")
        parts.append("</ul>")
    if controls:
        heading = _("Other mail servers on port {port}").format(port=check.port)
        parts.append(f"<h4>{escape(heading)}</h4><ul>")
        for c in controls:
            status = status_word(c) if c.cause in CAUSES else c.cause
            parts.append(f"<li>{escape(c.host)}: {escape(lights.word(c.light))} – {escape(status)} "
                         f"<code>({escape(c.cause)})</code></li>")
        parts.append("</ul>")
    return "".join(parts)


def certificates_html(check: Check) -> str:
    tls = check.tls
    if tls is None:
        return "<p>" + escape(_("No encrypted connection was made, so there is no certificate to show.")) + "</p>"
    facts = [
        (_("Encryption"), escape(f"{tls.version or '?'} {tls.cipher or ''}".strip())),
        (_("Certificate accepted"), escape(_("yes") if tls.verified else _("no"))),
    ]
    if tls.error:
        facts.append((_("Problem"), escape(tls.error)))
    if tls.intercepted_by:
        facts.append((_("Read along by"), escape(tls.intercepted_by)))
    parts = ['<table cellspacing="0" cellpadding="2">'
             + "".join(_row(f"<b>{escape(k)}</b>", v) for k, v in facts) + "</table>"]
    for n, cert in enumerate(tls.chain, 1):
        heading = _("Certificate {n} (the server's own)") if n == 1 else _("Certificate {n}")
        rows = [
            (_("Subject"), escape(cert.subject)),
            (_("Issued by"), escape(cert.issuer)),
            (_("Valid"), escape(_("{start} to {end}").format(start=cert.not_before, end=cert.not_after))),
            ("SHA-256", f"<code>{escape(cert.sha256)}</code>"),
        ]
        if cert.san:
            rows.append((_("Names"), escape(", ".join(cert.san))))
        if cert.self_signed:
            rows.append((_("Self-signed"), escape(_("yes"))))
        parts.append(f"<h4>{escape(heading.format(n=n))}</h4>")
        parts.append('<table cellspacing="0" cellpadding="2">'
                     + "".join(_row(f"<b>{escape(k)}</b>", v) for k, v in rows) + "</table>")
    if not tls.chain:
        parts.append("<p>" + escape(_("The server sent no certificate.")) + "</p>")
    return "".join(parts)


class DetailsPane(QTabWidget):
    """The selected row's records, for support staff."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.overview = QTextBrowser(self)
        self.overview.setOpenLinks(False)
        self.conversation = QPlainTextEdit(self)
        self.conversation.setReadOnly(True)
        self.conversation.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.conversation.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.certificates = QTextBrowser(self)
        self.certificates.setOpenLinks(False)
        self.addTab(self.overview, _("Overview"))
        self.addTab(self.conversation, _("Conversation"))
        self.addTab(self.certificates, _("Certificates"))
        for widget, name, description in (
            (self.overview, _("Overview of the selected test"),
             _("Cause code, where the problem is, and every step with its time")),
            (self.conversation, _("Conversation with the server"),
             _("Every line sent (->) and received (<-); ~> and <~ are encrypted lines")),
            (self.certificates, _("Certificates"),
             _("The encryption used and the server's certificate chain")),
        ):
            widget.setAccessibleName(name)
            widget.setAccessibleDescription(description)
        self.setAccessibleName(_("Technical details"))
        self.show_nothing()

    def show_nothing(self) -> None:
        hint = escape(_("Select a row above to see everything that was recorded for it."))
        self.overview.setHtml(f"<p><i>{hint}</i></p>")
        self.conversation.setPlainText("")
        self.certificates.setHtml("")

    def show_check(self, check: Check, steps: list[Step], controls: list[Check], finished: bool) -> None:
        self.overview.setHtml(overview_html(check, steps, controls, finished))
        if finished:
            lines = transcript_lines(check)
            legend = _("-> sent   <- received   ~> <~ encrypted   ** note")
            self.conversation.setPlainText("\n".join([legend, ""] + lines) if lines else
                                           _("Nothing was sent or received."))
            self.certificates.setHtml(certificates_html(check))
        else:
            self.conversation.setPlainText(_("The conversation is shown when this test has finished."))
            self.certificates.setHtml("")

    def plain_text(self) -> str:
        """Everything the pane shows, as text (for tests and copying)."""
        parts = (self.overview.toPlainText(), self.conversation.toPlainText(),
                 self.certificates.toPlainText())
        return "\n".join(parts)
