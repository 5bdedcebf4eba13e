"""The report as one self-contained HTML file, and a plainer variant for print/PDF.

    render_html(report)        the file a customer attaches to a ticket: inline CSS,
                               inline SVG lights, no scripts, no external anything;
                               readable on a phone, prints well, follows dark mode
    render_print_html(report)  the same content in the HTML subset Qt's
                               QTextDocument understands (no SVG, no CSS classes):
                               the source of the PDF (``smtpdiag.gui.pdf``)
    plain(text)                server-controlled text made safe to show: control
                               and bidi-override characters become visible escapes

Everything the servers sent is hostile until escaped: every value goes through
:func:`esc` (``one_line`` + ``html.escape``).  A Content-Security-Policy that allows
no scripts at all is a second line of defence.

A light is never colour alone: each has its own shape (circle with a check,
triangle with "!", octagon with a cross, circle with a dash) and its word.
"""

from __future__ import annotations

import html
import re

from ..causes import CAUSES, LIGHTS, light_word, title, where_word
from ..i18n import N_, _
from ..records import Check, Step
from ..textsafe import one_line
from ..textsafe import plain as plain  # re-exported: the neutraliser under its old name
from . import layout, mail_programs
from .model import Report, several_connections, transcript_line, transcript_lines
from .words import check_title, created_words, report_headline


def esc(text: object) -> str:
    """*text* safe inside HTML element content and quoted attribute values (one line:
    a line break inside a field cannot start a line that looks like the report's own)."""
    return html.escape(one_line(text), quote=True)


_LANG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def html_lang(language: str) -> str:
    lang = (language or "").replace("_", "-")
    return lang if _LANG.match(lang) else "en"


def cause_title(code: str) -> str:
    return title(code) if code in CAUSES else code


def sections(report: Report) -> list[tuple[str, str, list[Check]]]:
    """The report's checks in reading order as (key, heading, checks):
    the target's ports, the reference servers, the VPN protocols."""
    return [
        ("target", _("Your mail server"), [c for c in report.checks if c.role == "target" and c.kind != "vpn"]),
        ("control", _("Reference servers"), [c for c in report.checks if c.role == "control" and c.kind != "vpn"]),
        ("vpn", _("VPN"), [c for c in report.checks if c.kind == "vpn"]),
    ]


def step_result(step: Step) -> tuple[str, str]:
    """(light, word) for one step: ok, warning (findings), failed, or skipped."""
    if step.failure == "not_tried":
        return "grey", _("skipped")
    if not step.ok or step.failure:
        return "red", _("failed")
    if step.findings:
        return "amber", _("warning")
    return "green", _("ok")


def step_detail(step: Step) -> str:
    extra = []
    if step.failure:
        extra.append(f"[{step.failure}]")
    if step.findings:
        extra.append("{" + ", ".join(step.findings) + "}")
    return " ".join([step.detail, *extra]).strip()


def other_attempts(check: Check) -> list[str]:
    """One line for each address family's try that is not the one shown."""
    out = []
    for a in check.attempts:
        if a.address == check.address or a.family == "none":
            continue
        failed = [s for s in a.steps if s.failure and s.failure != "not_tried"]
        if failed:
            s = failed[0]
            out.append(f"{a.family} ({a.address}): {s.step} {s.failure}: {s.detail}")
        else:
            out.append(f"{a.family} ({a.address}): " + _("worked"))
    return out


def run_rows(report: Report) -> list[tuple[str, str]]:
    """(label, value) pairs saying what was checked, when and with what."""
    inp = report.input
    rows = [(_("Checked"), str(inp.get("target", "")))]
    if inp.get("ports"):
        rows.append((_("Ports"), ", ".join(str(p) for p in inp["ports"])))
    if inp.get("control"):
        rows.append((_("Reference servers"), ", ".join(str(c) for c in inp["control"])))
    if inp.get("vpn"):
        rows.append((_("VPN server"), str(inp["vpn"])))
    rows.append((_("Made"), created_words(report.created)))
    rows.append((_("Program"), f"{report.app.get('name', 'smtpdiag')} {report.app.get('version', '?')}"))
    return rows


def footer_words(report: Report) -> str:
    return " ".join((
        _("Made by smtpdiag {version}. Report ID {report_id}.").format(
            version=report.app.get("version", "?"), report_id=report.report_id or "?"),
        _("This report never contains a password.")))


TRANSCRIPT_LEGEND = N_("In the transcripts: -> sent, <- received, ~> and <~ sent and received inside "
                       "encryption, ** notes by smtpdiag. Passwords are never recorded.")
VPN_NOTE = N_("Note: a VPN was active on this computer; the results describe the VPN's network.")

# -- the screen/phone/print file ----------------------------------------------------------

_COLOURS = {  # fill, stroke, glyph (the same as resources/icons/light-*.svg)
    "green": ("#2e7d32", "#1b4d1f", "#ffffff"),
    "amber": ("#f9b51a", "#6b4a00", "#1f1f1f"),
    "red": ("#c62828", "#5c0b0b", "#ffffff"),
    "grey": ("#8a8a8a", "#4a4a4a", "#ffffff"),
}

_SHAPES = {
    "green": ('<circle class="bg" cx="32" cy="32" r="29" fill="{f}" stroke="{s}" stroke-width="2.5"/>'
              '<path class="fg" d="M18.5 33.5 L27.5 42.5 L46 22.5" fill="none" stroke="{g}" stroke-width="7" '
              'stroke-linecap="round" stroke-linejoin="round"/>'),
    "amber": ('<path class="bg" d="M32 4.5 C33.6 4.5 35 5.4 35.8 6.8 L61.2 52.6 C62.9 55.6 60.7 59.5 57.2 59.5 '
              'L6.8 59.5 C3.3 59.5 1.1 55.6 2.8 52.6 L28.2 6.8 C29 5.4 30.4 4.5 32 4.5 Z" fill="{f}" '
              'stroke="{s}" stroke-width="2.5" stroke-linejoin="round"/>'
              '<path d="M32 21 L32 38" fill="none" stroke="{g}" stroke-width="7" stroke-linecap="round"/>'
              '<circle cx="32" cy="49" r="4.2" fill="{g}"/>'),
    "red": ('<path class="bg" d="M20.4 3.5 L43.6 3.5 L60.5 20.4 L60.5 43.6 L43.6 60.5 L20.4 60.5 L3.5 43.6 '
            'L3.5 20.4 Z" fill="{f}" stroke="{s}" stroke-width="2.5" stroke-linejoin="round"/>'
            '<path class="fg" d="M21.5 21.5 L42.5 42.5 M42.5 21.5 L21.5 42.5" fill="none" stroke="{g}" '
            'stroke-width="7" stroke-linecap="round"/>'),
    "grey": ('<circle class="bg" cx="32" cy="32" r="29" fill="{f}" stroke="{s}" stroke-width="2.5"/>'
             '<path class="fg" d="M19 32 L45 32" fill="none" stroke="{g}" stroke-width="7" '
             'stroke-linecap="round"/>'),
}


def light_icon(light: str, size: str = "1.25em") -> str:
    """The inline SVG of one light.  Decorative: the word always stands next to it."""
    light = light if light in _SHAPES else "grey"
    f, s, g = _COLOURS[light]
    return (f'<svg class="icon icon-{light}" width="{size}" height="{size}" viewBox="0 0 64 64" '
            f'aria-hidden="true" focusable="false">' + _SHAPES[light].format(f=f, s=s, g=g) + "</svg>")


def light_badge(light: str, size: str = "1.25em") -> str:
    light = light if light in _SHAPES else "grey"
    return (f'<span class="light light-{light}">{light_icon(light, size)}'
            f'<span class="word">{esc(light_word(light))}</span></span>')


_CSS = """
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--card:#f6f8fa;--line:#d1d9e0;
--green:#1a7f37;--amber:#8a5a00;--red:#c62828;--grey:#59636e;--code:#eff2f5;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--card:#161b22;
--line:#3d444d;--green:#3fb950;--amber:#f2c14e;--red:#ff7b72;--grey:#9198a1;--code:#1f2630;--link:#4493f8}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:64rem;padding:1rem;background:var(--bg);color:var(--fg);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif}
h1{font-size:1.5rem;margin:.2rem 0 .8rem;line-height:1.25;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:2rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:0 0 .4rem;display:flex;flex-wrap:wrap;gap:.3rem .8rem;align-items:center}
h4{font-size:.95rem;margin:1rem 0 .3rem}
p{margin:.35rem 0}
code,pre,.mono{font-family:ui-monospace,"SF Mono",Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
code{font-size:.9em;background:var(--code);padding:0 .25em;border-radius:3px;overflow-wrap:anywhere}
.muted,.sep{color:var(--muted)}
a{color:var(--link)}
.light{display:inline-flex;align-items:center;gap:.35em;font-weight:700;white-space:nowrap}
.light .icon{flex:none}
.light-green .word{color:var(--green)}.light-amber .word{color:var(--amber)}
.light-red .word{color:var(--red)}.light-grey .word{color:var(--grey)}
.verdict{border:1px solid var(--line);border-left:.5rem solid var(--grey);border-radius:8px;
background:var(--card);padding:1rem 1.1rem;margin:0 0 1rem}
.verdict.light-green{border-left-color:var(--green)}.verdict.light-amber{border-left-color:var(--amber)}
.verdict.light-red{border-left-color:var(--red)}
.verdict .head{display:flex;align-items:center;gap:.8rem;flex-wrap:wrap;margin-bottom:.4rem}
.verdict .big{font-size:1.5rem}
.verdict .headline{font-size:1.25rem;margin:.4rem 0}.verdict .summary{font-size:1.1rem}
.advice{font-weight:600}
.note{border-left:4px solid var(--amber);padding:.3rem .7rem;margin:.6rem 0;background:var(--card)}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.detail{overflow-wrap:anywhere}
.scroll{overflow-x:auto}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0 0;font-size:.92rem}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
section.check{border:1px solid var(--line);border-radius:8px;padding:.9rem 1rem;margin:0 0 1rem}
.compact{padding:.45rem 0;border-bottom:1px solid var(--line)}
.compact p{margin:.1rem 0}.compact .light{margin-right:.25em;vertical-align:-.15em}.compact .line2{font-size:.92rem}
.compact details{margin:.2rem 0 .3rem}.compact summary{font-size:.9rem;color:var(--muted)}
table.steps{table-layout:fixed}
table.steps th.step{width:9.5em}table.steps th.result{width:7.5em}table.steps th.ms{width:4.5em;text-align:right}
.where{color:var(--muted);font-size:.92rem}
details{margin:.5rem 0}
summary{cursor:pointer;font-weight:600}
pre.transcript{margin:.3rem 0;padding:.6rem .7rem;background:var(--code);border-radius:6px;font-size:.82rem;
line-height:1.4;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-all}
.t-send{color:var(--fg)}.t-recv{color:var(--green)}.t-note{color:var(--muted)}
.cert{border-left:3px solid var(--line);padding-left:.7rem;margin:.5rem 0}
.cert dl.meta{font-size:.85rem}
footer{margin-top:2rem;font-size:.85rem;color:var(--muted)}
table.overview td:last-child{white-space:nowrap}
@media (max-width:600px){body{padding:.6rem;font-size:15px}h1{font-size:1.3rem}
dl.meta{grid-template-columns:1fr}dl.meta dt{margin-top:.3rem}
table.steps th.ms,table.steps td.num{display:none}
table.steps th.step{width:6.5em}table.steps th.result{width:6em}
table.overview code{font-size:.78em}}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--card:#fff;--line:#999;--code:#f3f3f3;
--green:#1a5e20;--amber:#6b4a00;--red:#9b1c1c;--grey:#444}
body{max-width:none;padding:0;font-size:10pt}
h2{break-after:avoid}h3,h4{break-after:avoid}
.compact{break-inside:avoid-page}
.verdict,section.check{border-color:#999}
pre.transcript{font-size:7.5pt;background:none;border:1px solid #ccc}
details>summary{list-style:none}
a{color:inherit;text-decoration:none}}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def render_html(report: Report) -> str:
    """The whole report as one self-contained HTML document (a ``str``)."""
    target = report.input.get("target", "")
    heading = esc(_("Mail connection report for {target}").format(target=target))
    out: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(html_lang(report.language))}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="color-scheme" content="light dark">',
        '<meta name="generator" content="smtpdiag">',
        f"<title>{heading}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{heading}</h1>",
        "</header>",
        "<main>",
    ]
    out += _verdict_html(report)
    out += _overview_html(report)
    out += mail_programs.html_block(report, esc, light_badge)
    out.append("<h2>" + esc(_("This computer and this run")) + "</h2>")
    out.append(_dl(layout.environment_rows(report) + run_rows(report)))
    repeats = layout.Repeats()
    for key, heading, checks in sections(report):
        if not checks:
            continue
        out.append(f"<h2>{esc(heading)}</h2>")
        if key == "target" and any(c.transcript for c in checks):
            out.append('<p class="muted">' + esc(_(TRANSCRIPT_LEGEND)) + "</p>")
        if key == "control":
            out.append('<p class="muted">' + esc(_("The same ports on well-known mail servers, to tell a problem "
                                                    "of your network from a problem of the server.")) + "</p>")
        for c in checks:
            out += _check_html(c, full=c.role == "target" and c.kind != "vpn", repeats=repeats)
    out += [
        "</main>",
        "<footer>",
        f"<p>{esc(footer_words(report))}</p>",
        "</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)


def _verdict_html(report: Report) -> list[str]:
    o = report.overall
    light = o.get("light", "grey")
    cause = str(o.get("cause", ""))
    result = esc(_("Result"))
    # TRANSLATORS: {where} is the place of the problem in words, e.g. "your network".
    where = esc(_("where: {where}").format(where=where_word(str(o.get("where", "unknown")))))
    advice = esc(_("What to do: {advice}").format(advice=o.get("advice", "")))
    made = esc(_("Made {created} by smtpdiag {version} on {os}.").format(
        created=created_words(report.created), version=report.app.get("version", "?"),
        os=report.environment.get("os", "?")))
    out = [
        f'<section class="verdict light-{esc(light if light in LIGHTS else "grey")}" aria-label="{result}">',
        '<div class="head">',
        f'<span class="big">{light_badge(light, "2.2rem")}</span>',
        (f"<span><strong>{esc(cause_title(cause))}</strong> <code>{esc(cause)}</code>"
        f' <span class="where">{where}</span></span>'),
        "</div>",
        f'<p class="headline"><strong>{esc(report_headline(o))}</strong></p>',
        f'<p class="summary">{esc(o.get("summary", ""))}</p>',
        f'<p class="advice">{advice}</p>',
    ]
    if report.environment.get("vpn_active"):
        out.append('<p class="note">' + esc(_(VPN_NOTE)) + "</p>")
    out.append(f'<p class="muted">{made}</p>')
    out.append("</section>")
    return out


def _overview_html(report: Report) -> list[str]:
    """The one-screen table: port x server x IP family, the last step passed, the result."""
    rows = layout.summary_rows(report.checks)
    if not rows:
        return []
    heads = [_("Port"), _("Type"), _("Server"), _("IP"), _("Address"), _("Last step passed"), _("Result")]
    out = [
        "<h2>" + esc(_("At a glance")) + "</h2>",
        '<div class="scroll"><table class="overview">',
        "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr></thead>",
        "<tbody>",
    ]
    for r in rows:
        result = (esc(r.result) if r.cause == "no_route"
                  else f"{light_badge(r.light)} <code>{esc(r.cause)}</code>")
        out.append(
            f'<tr><td><a href="#{esc(_anchor_id(r.check_id))}">{r.port}</a></td><td>{esc(r.mode)}</td>'
            f'<td>{esc(r.server)}</td><td>{esc(r.family)}</td><td class="mono">{esc(r.address)}</td>'
            f'<td class="mono">{esc(r.last_step)}</td><td>{result}</td></tr>')
    out.append("</tbody></table></div>")
    return out


def _anchor(c: Check) -> str:
    return _anchor_id(c.id)


def _anchor_id(check_id: str) -> str:
    return "check-" + re.sub(r"[^A-Za-z0-9_-]", "-", check_id)


def _dl(rows: list[tuple[str, str]]) -> str:
    return '<dl class="meta">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"


def _check_html(c: Check, full: bool, repeats: layout.Repeats | None = None) -> list[str]:
    """A target port as a full section; a reference or VPN check as a compact row."""
    light = c.light if c.light in LIGHTS else "grey"
    # TRANSLATORS: {where} is a place code such as network or server (shown as code), {where_words}
    # the same place in words ("your network").
    where = esc(_("where: {where} = {where_words}")).format(
        where=f"<code>{esc(c.where)}</code>", where_words=esc(where_word(c.where)))
    what_to_do = esc(_("What to do"))
    cause_line = (f"<strong>{esc(cause_title(c.cause))}</strong> <code>{esc(c.cause)}</code> "
                  f'<span class="where">{where}</span>')
    facts = []
    if c.address:
        facts.append((_("Address"), c.address))
    facts.append((_("Time"), f"{c.duration_ms} ms"))
    if not full:
        if c.role == "control":
            # A reference row is evidence for the target's row: no "where" or advice of its own.
            cause_line = f"<strong>{esc(cause_title(c.cause))}</strong> <code>{esc(c.cause)}</code>"
            line2 = f'<p class="line2">{esc(c.explanation)}</p>'
        else:
            line2 = (f'<p class="line2">{esc(c.explanation)} <span class="advice">{what_to_do}: '
                     f'{esc(c.advice)}</span></p>')
        out = [
            f'<div class="compact" id="{esc(_anchor(c))}">',
            (f'<p class="line1">{light_badge(light)} <strong>{esc(check_title(c))}</strong> '
            f'<span class="muted mono">{esc(c.host)}</span> <span class="sep">·</span> {cause_line}</p>'),
            line2,
        ]
        if c.steps or c.transcript:
            out.append("<details><summary>" + esc(_("Details")) + "</summary>")
            out.append(_dl(facts))
            out += _details_html(c, open_=True, repeats=repeats)
            out.append("</details>")
        out.append("</div>")
        return out
    out = [
        f'<section class="check" id="{esc(_anchor(c))}">',
        (f"<h3>{light_badge(light)}<span>{esc(check_title(c))}</span>"
        f'<span class="muted mono">{esc(c.host)}</span></h3>'),
        f"<p>{cause_line}</p>",
        f"<p>{esc(c.explanation)}</p>",
        f'<p class="advice">{what_to_do}: {esc(c.advice)}</p>',
        _dl(facts),
    ]
    out += _details_html(c, open_=True, repeats=repeats)
    out.append("</section>")
    return out


def _details_html(c: Check, open_: bool, repeats: layout.Repeats | None = None) -> list[str]:
    out: list[str] = []
    repeats = repeats if repeats is not None else layout.Repeats()
    here = layout.check_label(c)
    also_tried = esc(_("Also tried"))
    for line in other_attempts(c):
        out.append(f'<p class="muted">{also_tried}: <span class="mono">{esc(line)}</span></p>')
    if c.steps:
        step, result, detail = esc(_("Step")), esc(_("Result")), esc(_("Detail"))
        out += [
            "<h4>" + esc(_("Steps")) + "</h4>",
            '<div class="scroll"><table class="steps">',
            (f'<thead><tr><th class="step">{step}</th><th class="result">{result}</th>'
            f'<th class="ms">ms</th><th class="detail">{detail}</th></tr></thead><tbody>'),
        ]
        for s in c.steps:
            light, word = step_result(s)
            out.append(
                f'<tr><td><span class="mono">{esc(s.step)}</span></td>'
                f'<td><span class="light light-{light}">{light_icon(light, "1em")}<span class="word">{esc(word)}</span></span></td>'
                f'<td class="num">{int(s.ms)}</td><td class="detail mono">{esc(step_detail(s))}</td></tr>')
        out.append("</tbody></table></div>")
    if c.tls:
        t = c.tls
        verified = _("verified") if t.verified else _("NOT verified")
        line = f"{t.version or '?'} {t.cipher or ''} – {verified}"
        if t.error:
            line += f" ({t.error})"
        out.append("<h4>" + esc(_("Encryption")) + f'</h4><p class="mono">{esc(line)}</p>')
        if t.intercepted_by:
            out.append("<p><strong>" + esc(_("Checked on the way by")) + f":</strong> {esc(t.intercepted_by)}</p>")
        before = repeats.chain(t, here) if t.chain else None
        if before is not None:
            out.append("<h4>" + esc(_("Certificate chain")) + "</h4>")
            out.append(f'<p class="muted">{esc(layout.same_chain_words(before, t))}</p>')
        elif t.chain:
            out.append("<h4>" + esc(_("Certificate chain")) + "</h4>")
            for i, cert in enumerate(t.chain):
                rows = [
                    (_("Subject"), cert.subject),
                    (_("Issued by"), _("{issuer} (self-signed)").format(issuer=cert.issuer)
                     if cert.self_signed else cert.issuer),
                    (_("Valid"), f"{cert.not_before} – {cert.not_after}"),
                    ("SHA-256", cert.sha256),
                ]
                if cert.san:
                    rows.append((_("Names"), ", ".join(cert.san)))
                label = _("Server certificate") if i == 0 else _("Issuer certificate {n}").format(n=i)
                out.append(f'<div class="cert"><strong>{esc(label)}</strong>{_dl(rows)}</div>')
    if c.transcript:
        out.append(f"<details{' open' if open_ else ''}><summary>" + esc(_("Transcript")) + "</summary>")
        parts = []
        numbered = several_connections(c)
        for shown in layout.shown_transcript(c, repeats, here):
            parts.append(f'<span class="t-{esc(shown.line.dir)}">{esc(transcript_line(shown.line, numbered))}</span>')
            if shown.same_as:
                parts.append(f'<span class="t-same">{esc(" " * 13 + layout.same_reply_words(shown))}</span>')
        body = "\n".join(parts)
        out.append(f'<pre class="transcript">{body}</pre>')
        out.append("</details>")
    return out


# -- the QTextDocument (PDF) variant ------------------------------------------------------

# QTextDocument renders no SVG and few CSS rules: the shape is a character, the
# colour an inline style, and the word always follows.
PRINT_SHAPES = {"green": "\u2714", "amber": "\u25b2", "red": "\u2716", "grey": "\u25cb"}
_PRINT_COLOURS = {"green": "#1b5e20", "amber": "#8a5a00", "red": "#b71c1c", "grey": "#555555"}


def print_badge(light: str) -> str:
    light = light if light in PRINT_SHAPES else "grey"
    return (f'<span style="color:{_PRINT_COLOURS[light]}; font-weight:bold;">{PRINT_SHAPES[light]}&nbsp;'
            f"{esc(light_word(light))}</span>")


def render_print_html(report: Report) -> str:
    """The report in the HTML subset QTextDocument understands (for the PDF)."""
    o = report.overall
    target = report.input.get("target", "")
    cell = 'style="padding:2px 6px;"'
    heading = esc(_("Mail connection report for {target}").format(target=target))
    what_to_do = esc(_("What to do"))
    out = [
        (f'<html lang="{esc(html_lang(report.language))}"><head><meta charset="utf-8">'
        f"<title>{heading}</title></head><body>"),
        f'<h1 style="font-size:16pt;">{heading}</h1>',
        ('<table width="100%" cellspacing="0" cellpadding="8" style="border:1px solid #999999;">'
        f'<tr><td style="background-color:#f4f4f4;">'
        f'<p style="font-size:14pt;">{print_badge(o.get("light", "grey"))} &nbsp; '
        f'<b>{esc(cause_title(str(o.get("cause", ""))))}</b> <code>{esc(o.get("cause", ""))}</code></p>'
        f'<p style="font-size:11pt;">{esc(o.get("summary", ""))}</p>'
        f'<p><b>{what_to_do}:</b> {esc(o.get("advice", ""))}</p>'),
    ]
    if report.environment.get("vpn_active"):
        out.append("<p><i>" + esc(_(VPN_NOTE)) + "</i></p>")
    out.append("</td></tr></table>")
    targets = [c for c in report.checks if c.role == "target" and c.kind != "vpn"]
    if targets:
        port, result, cause = esc(_("Port")), esc(_("Result")), esc(_("Cause"))
        out.append(f'<table cellspacing="0" style="margin-top:8px;" width="100%"><tr>'
                   f"<th align=left {cell}>{port}</th><th align=left {cell}>{result}</th>"
                   f"<th align=left {cell}>{cause}</th></tr>")
        for c in targets:
            out.append(f"<tr><td {cell}>{esc(check_title(c))}</td><td {cell}>{print_badge(c.light)}</td>"
                       f"<td {cell}>{esc(cause_title(c.cause))} <code>{esc(c.cause)}</code></td></tr>")
        out.append("</table>")
    out += [line.replace("<h2>", '<h2 style="font-size:12pt;">')
            for line in mail_programs.html_block(report, esc, print_badge)]
    out.append('<h2 style="font-size:12pt;">' + esc(_("About this report")) + "</h2>")
    out.append(_print_rows(layout.environment_rows(report) + run_rows(report)))
    for _key, heading, checks in sections(report):
        if not checks:
            continue
        out.append(f'<h2 style="font-size:13pt;">{esc(heading)}</h2>')
        for c in checks:
            out += _print_check(c, full=c.role == "target" and c.kind != "vpn")
    out.append(f'<p style="color:#555555; font-size:8pt;">{esc(footer_words(report))}</p>')
    out.append("</body></html>")
    return "\n".join(out)


def _print_rows(rows: list[tuple[str, str]], size: str = "9pt") -> str:
    return (f'<table cellspacing="0" style="font-size:{size};">' + "".join(
        f'<tr><td style="padding:1px 10px 1px 0; color:#555555;">{esc(k)}</td>'
        f'<td style="padding:1px 0;">{esc(v)}</td></tr>' for k, v in rows) + "</table>")


def _print_check(c: Check, full: bool) -> list[str]:
    where = esc(_("where: {where} = {where_words}").format(where=c.where, where_words=where_word(c.where)))
    what_to_do = esc(_("What to do"))
    out = [
        (f'<h3 style="font-size:11pt; margin-top:12px;">{print_badge(c.light)} &nbsp; {esc(check_title(c))} &nbsp; '
        f'<span style="font-weight:normal; color:#555555;">{esc(c.host)}</span></h3>'),
        (f'<p><b>{esc(cause_title(c.cause))}</b> <code>{esc(c.cause)}</code> '
        f'<span style="color:#555555;">{where}</span></p>'),
        f"<p>{esc(c.explanation)}</p>",
        f"<p><b>{what_to_do}:</b> {esc(c.advice)}</p>",
    ]
    if not full:
        return out
    facts = []
    if c.address:
        facts.append((_("Address"), c.address))
    facts.append((_("Time"), f"{c.duration_ms} ms"))
    out.append(_print_rows(facts))
    also_tried = esc(_("Also tried"))
    for line in other_attempts(c):
        out.append(f'<p style="font-size:8pt;">{also_tried}: {esc(line)}</p>')
    if c.steps:
        cell = 'style="padding:1px 4px; border-bottom:1px solid #cccccc;"'
        step, result, detail = esc(_("Step")), esc(_("Result")), esc(_("Detail"))
        out.append('<p style="margin-top:6px;"><b>' + esc(_("Steps")) + "</b></p>")
        out.append('<table cellspacing="0" width="100%" style="font-size:8pt;">'
                   f'<tr><th align=left width="13%" {cell}>{step}</th>'
                   f'<th align=left width="11%" {cell}>{result}</th>'
                   f'<th align=right width="6%" {cell}>ms</th><th align=left width="70%" {cell}>{detail}</th></tr>')
        for s in c.steps:
            light, word = step_result(s)
            out.append(
                f"<tr><td {cell}>{esc(s.step)}</td>"
                f'<td {cell}><span style="color:{_PRINT_COLOURS[light]};">{PRINT_SHAPES[light]}</span>&nbsp;{esc(word)}</td>'
                f"<td align=right {cell}>{int(s.ms)}</td><td {cell}>{esc(step_detail(s))}</td></tr>")
        out.append("</table>")
    if c.tls:
        t = c.tls
        verified = _("verified") if t.verified else _("NOT verified")
        line = f"{t.version or '?'} {t.cipher or ''} – {verified}" + (f" ({t.error})" if t.error else "")
        out.append('<p style="margin-top:6px;"><b>' + esc(_("Encryption")) + f"</b>: {esc(line)}</p>")
        if t.intercepted_by:
            out.append("<p><b>" + esc(_("Read along by")) + f":</b> {esc(t.intercepted_by)}</p>")
        for i, cert in enumerate(t.chain):
            label = _("Server certificate") if i == 0 else _("Issuer certificate {n}").format(n=i)
            rows = [(_("Subject"), cert.subject),
                    (_("Issued by"), _("{issuer} (self-signed)").format(issuer=cert.issuer)
                     if cert.self_signed else cert.issuer),
                    (_("Valid"), f"{cert.not_before} – {cert.not_after}"),
                    ("SHA-256", cert.sha256)]
            if cert.san:
                rows.append((_("Names"), ", ".join(cert.san)))
            out.append(f'<p style="font-size:8pt; margin-top:4px;"><i>{esc(label)}</i></p>')
            out.append(_print_rows(rows, "8pt"))
    if c.transcript:
        out.append('<p style="margin-top:6px;"><b>' + esc(_("Transcript")) + "</b></p>")
        body = "\n".join(esc(line) for line in transcript_lines(c))
        out.append(f'<pre style="font-size:7pt; white-space:pre-wrap;">{body}</pre>')
    return out
