"""The text and HTML reports start with the answer, a one-screen table and this
computer's block; details follow with repeated EHLO replies and certificate chains
printed once and referred to after (a real run on the simulated network)."""

from __future__ import annotations

import re

import pytest

from smtpdiag.i18n import set_language
from smtpdiag.report.html import render_html
from smtpdiag.report.model import Report, diagnose, render_text
from smtpdiag.simnet.world import start_scenario


@pytest.fixture(scope="module")
def report() -> Report:
    set_language("en")
    with start_scenario("antivirus-intercept") as sim:
        return diagnose(sim.config(timeout=1.5, user="alice@example.net", password=None),
                         network=sim.network)


def test_text_report_answers_first_then_the_table_then_this_computer(report: Report) -> None:
    text = render_text(report)
    lines = text.splitlines()
    assert lines[3] == report.overall["headline"]
    assert report.overall["headline"].startswith("Sending works with port 465 and SSL/TLS (connection type), but")
    order = [text.index(h) for h in ("At a glance", "This computer and this run", "Your mail server",
                                     "Reference servers")]
    assert order == sorted(order)
    table = text[text.index("At a glance"):text.index("This computer and this run")]
    smtp = [c for c in report.checks if c.kind == "smtp"]
    # one row per port x server x IP family tried, with the last step that passed
    assert len([line for line in table.splitlines() if re.match(r"^\d+\s", line)]) == \
        sum(len(c.attempts) for c in smtp)
    assert re.search(r"^465\s+SSL/TLS\s+mail\.example\.net\s+IPv4\s+192\.0\.2\.10\s+\S+\s+Warning tls_intercepted$",
                     table, re.M), table
    env = text[text.index("This computer and this run"):text.index("Your mail server")]
    for label in ("Operating system:", "This computer's addresses:", "DNS servers:", "Looked up:",
                  "VPN:", "Security program or proxy:", "User name tried:", "Report ID:"):
        assert label in env, label
    assert "Avast (on this computer): it checks encrypted mail" in env
    assert "alice@example.net (the password is never recorded)" in env
    assert f"Report ID:                 {report.report_id}" in env or report.report_id in env
    assert "mail.example.net -> 192.0.2.10" in env


def test_repeated_ehlo_replies_and_chains_are_printed_once(report: Report) -> None:
    text = render_text(report)
    targets = [c for c in report.checks if c.role == "target" and c.kind == "smtp"]
    replies = {tuple(t.text for t in c.transcript if t.dir == "recv" and t.text.startswith("250")) for c in targets}
    # every EHLO reply is there in full once; later ones keep their first line exactly ("250-") and refer back
    assert "the same reply as in port 25 (STARTTLS), mail.example.net" in text
    assert text.count("250-PIPELINING") < sum(1 for c in targets for t in c.transcript if t.text == "250-PIPELINING")
    assert replies
    chains = {tuple(x.sha256 for x in c.tls.chain) for c in targets if c.tls and c.tls.chain}
    assert text.count("SHA-256: ") == sum(len(ch) for ch in chains)
    assert "the same certificate chain as in port 465 (SSL/TLS), mail.example.net" in text
    for c in targets:
        for t in c.transcript:
            if t.dir == "send" and t.text.startswith("EHLO"):
                assert f"-> {t.text}" in text or f"~> {t.text}" in text


def test_html_report_has_the_same_order_and_blocks(report: Report) -> None:
    page = render_html(report)
    order = [page.index(h) for h in (report.overall["headline"].replace("'", "&#x27;"), ">At a glance<",
                                     ">This computer and this run<", ">Your mail server<")]
    assert order == sorted(order)
    assert page.count('<table class="overview">') == 1
    assert "the same certificate chain as in" in page
    assert "Avast (on this computer): it checks encrypted mail" in page
    # reference rows: evidence, no "where" or advice of their own
    control = page[page.index("<h2>Reference servers</h2>"):page.index("</main>")]
    assert "class=\"compact\"" in control
    assert "What to do" not in control and "where:" not in control
    assert "smtp.reference-one.test: same." in control or "works" in control


def test_last_step_passed_stops_at_the_first_failure() -> None:
    from smtpdiag.records import Attempt, Step
    from smtpdiag.report.layout import last_passed

    steps = (Step("resolve", True, 0), Step("connect", True, 1), Step("greeting", True, 1), Step("ehlo", True, 1),
             Step("starttls", False, 1, "", "stripped"), Step("tls", True, 1), Step("ehlo_tls", True, 1))
    assert last_passed(Attempt("ipv4", "192.0.2.10", steps)) == "ehlo"
    assert last_passed(Attempt("ipv4", "192.0.2.10", (Step("connect", False, 1, "", "timeout"),))) == "-"
