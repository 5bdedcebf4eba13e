"""The one neutraliser (smtpdiag.textsafe) and the places that must use it.

Hostile text is built here: escape sequences that clear the screen, set the title or
the clipboard (OSC 52), bidi overrides, tag characters, line breaks inside a certificate
field that would forge report lines.  What a person sees must hold none of it raw.
"""

from __future__ import annotations

import html
import re
import sys
import unicodedata

import pytest

from smtpdiag.records import CertInfo, Check, Step, TlsInfo, TranscriptLine
from smtpdiag.report.html import render_html, render_print_html
from smtpdiag.report.model import Report, render_text
from smtpdiag.report.support import support_summary
from smtpdiag.textsafe import is_unsafe, one_line, plain

ESC_CLEAR = "\x1b[2J\x1b[H"
OSC_TITLE = "\x1b]0;pwned\x07"
OSC52 = "\x1b]52;c;ZWNobyBoaQ==\x07"
RLO = "\u202e"
TAGS = "".join(chr(c) for c in range(0xE0041, 0xE0045))  # invisible "ABCD"
HOSTILE = f"{ESC_CLEAR}{OSC_TITLE}{OSC52}\x00\x07\r{RLO}txt.exe\u061c\u200b\ufeff{TAGS}\u2028\u2029\x85\ud800"


def raw_unsafe(text: str, newlines_allowed: bool = True) -> list[str]:
    """Characters of *text* a terminal or widget would act on instead of showing."""
    return [ch for ch in text if is_unsafe(ch) and not (newlines_allowed and ch == "\n")]


# -- the neutraliser itself ----------------------------------------------------------------------------


def test_every_cc_cf_zl_zp_character_and_every_tag_becomes_a_visible_escape() -> None:
    bad = [chr(c) for c in range(sys.maxunicode + 1)
           if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp", "Cs") or 0xE0000 <= c <= 0xE007F]
    assert len(bad) > 400  # the categories are big: a regex of a few ranges would miss most of them
    text = "".join(bad)
    for out in (one_line(text), plain(text.replace("\n", "").replace("\t", ""))):
        assert all(0x20 <= ord(ch) < 0x7F for ch in out), [ch for ch in out if not 0x20 <= ord(ch) < 0x7F][:5]
    assert one_line("\u202e") == "\\u202e"
    assert one_line("\U000e0041") == "\\U000e0041"
    assert one_line("\x1b") == "\\x1b"
    assert one_line("\ud800") == "\\ud800"  # a lone surrogate from a JSON file cannot be written: escape it


def test_ordinary_text_is_left_alone() -> None:
    for text in ("Grüße aus Köln – 5.7.8 «ok»", "mail.example.com", "日本語のメール", "Ελληνικά", "emoji 📧 ok",
                 "\u0645\u0631\u062d\u0628\u0627"):  # Arabic letters are letters, not bidi controls
        assert plain(text) == text == one_line(text)


def test_plain_keeps_line_breaks_and_tabs_one_line_does_not() -> None:
    assert plain("a\nb\tc") == "a\nb\tc"
    assert one_line("a\nb\tc") == "a\\x0ab\\x09c"
    assert plain("a\r\nb") == "a\\x0d\nb"  # a carriage return could overwrite what was shown before it
    assert "\n" not in one_line("Subject\nOverall: OK")


def test_hostile_text_becomes_inert() -> None:
    out = one_line(HOSTILE)
    assert not raw_unsafe(out, newlines_allowed=False)
    assert "\\x1b]52;c;" in out and "\\u202etxt.exe" in out and "\\U000e0041" in out
    assert one_line(None) == "" and one_line(465) == "465"


def test_an_object_whose_str_raises_does_not_raise() -> None:
    class Evil:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    assert one_line(Evil()) == "<Evil>"


# -- the reports -------------------------------------------------------------------------------------


def hostile_report() -> Report:
    """A report whose every server- or file-controlled field is hostile; a certificate
    subject tries to forge a whole line of the text report."""
    forged = "CN=mail.example.com\nOverall: OK (ok, where: none)\n"
    cert = CertInfo(forged + HOSTILE, "CN=CA\r\nissued by: Trusted Root" + HOSTILE, "2026" + HOSTILE,
                    "2027\n", "ab" * 32 + HOSTILE, ("a.example\nOverall: OK", HOSTILE), False)
    tls = TlsInfo("TLSv1.3" + HOSTILE, "AES\n" + HOSTILE, False, "error\nOverall: OK" + HOSTILE, (cert,),
                  "Product\n" + HOSTILE)
    check = Check(
        id="target-465", kind="smtp", role="target", host="mail.example.com" + HOSTILE, port=465,
        mode="implicit", address="192.0.2.1" + HOSTILE, light="red", cause="tls_untrusted", where="server",
        explanation="explained\nOverall: OK" + HOSTILE, advice="advice" + HOSTILE, duration_ms=5,
        steps=(Step("tls", False, 3, "detail\nOverall: OK" + HOSTILE, "untrusted", ("x\n" + HOSTILE,)),),
        transcript=(TranscriptLine(0, "recv", "220 hi\nOverall: OK" + HOSTILE),), tls=tls)
    return Report(created="2026-11-30T08:00:00Z", input={"target": "mail.example.com" + HOSTILE},
                  environment={"os": "Linux" + HOSTILE}, checks=[check],
                  overall={"light": "red", "cause": "tls_untrusted", "where": "server",
                           "summary": "summary\nOverall: OK" + HOSTILE, "advice": "advice" + HOSTILE})


def test_the_text_report_shows_hostile_fields_as_escapes_and_no_field_forges_a_line() -> None:
    text = render_text(hostile_report())
    assert not raw_unsafe(text)
    lines = text.split("\n")
    assert sum(1 for line in lines if line.lstrip().startswith("Overall:")) == 1, text
    assert not [line for line in lines if line.lstrip().startswith(("issued by: Trusted", "Overall: OK"))]
    assert "\\u202etxt.exe" in text


def test_html_and_print_html_hold_no_raw_controls_and_no_forged_lines() -> None:
    report = hostile_report()
    for doc in (render_html(report), render_print_html(report)):
        body = html.unescape(re.sub(r"<[^>]+>", "", doc))
        assert not raw_unsafe(body)
        assert "\\u202etxt.exe" in body
        assert not re.search(r"\nOverall: OK", body)


def test_copy_for_support_is_neutralised() -> None:
    text = support_summary(hostile_report())
    assert not raw_unsafe(text)


@pytest.mark.parametrize("value", [ESC_CLEAR, OSC52, RLO + "gpj.exe", TAGS])
def test_the_neutraliser_is_idempotent_for_display(value: str) -> None:
    once = one_line(value)
    assert one_line(once) == once


def test_the_display_copy_of_a_clean_report_is_the_same_report() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_reports import rich_report

    from smtpdiag.report.model import for_display

    clean = rich_report()
    del clean.checks[2]  # its greeting is hostile on purpose
    assert for_display(clean).to_json() == clean.to_json()


def test_mail_program_settings_cannot_forge_lines_of_smtpdiag_accounts() -> None:
    from smtpdiag.accounts.model import Found, MailAccount
    from smtpdiag.accounts.text import render_text as accounts_text

    hostile = MailAccount("thunderbird", "a@example.com\nNothing was found.", "smtp.example.com\n\x1b]0;x\x07", 587,
                          "starttls", user="\u202eeve", profile="p\r\nTo test one of these servers: smtpdiag check evil")
    text = accounts_text(Found((hostile,)))
    assert not raw_unsafe(text)
    assert not [line for line in text.split("\n") if line.startswith(("Nothing was found", "To test one of these servers: smtpdiag check evil"))]
