"""The words of a whole run (smtpdiag.words): the headline answers "can I send, and
how", overall.settings names the first working submission port, no advice recommends
what did not work in this run, reference rows read as evidence for the target row."""

from __future__ import annotations

import advice_scan
import pytest

from smtpdiag.records import Attempt, Check, Step
from smtpdiag.report.model import Report, overall_words, with_words
from smtpdiag.report.words import evidence, working_settings

pytestmark = pytest.mark.usefixtures("english")


def smtp(port: int, light: str, cause: str, where: str, mode: str | None = None, role: str = "target",
         host: str = "mail.example.net", attempts: tuple[Attempt, ...] = (), **context: str) -> Check:
    mode = mode or ("implicit" if port == 465 else "starttls")
    return with_words(Check(f"{role}-{host}-{port}", "smtp", role, host, port, mode, None, "192.0.2.10",  # type: ignore[arg-type]
                            light, cause, where, attempts=attempts, context=dict(context)))  # type: ignore[arg-type]


def run(*checks: Check) -> Report:
    worded, overall_ = overall_words(list(checks), {})
    return Report("2026-11-30T08:00:00Z", {"target": "mail.example.net"}, {}, overall_, worded)


def test_settings_follow_the_contracts_order_465_587_2525_then_others() -> None:
    checks = [smtp(2525, "green", "ok", "none"), smtp(587, "green", "ok", "none"),
              smtp(465, "red", "tls_reset", "network"), smtp(25, "green", "ok", "none"),
              smtp(1587, "green", "ok", "none")]
    best = working_settings(checks)
    assert best is not None and best.port == 587
    report = run(*checks)
    assert report.overall["settings"] == {"host": "mail.example.net", "port": 587, "mode": "starttls"}
    # a green port wins over an earlier amber one; port 25 is never the one to use
    assert working_settings([smtp(465, "amber", "auth_before_tls", "server"), smtp(2525, "green", "ok", "none")]).port == 2525
    assert working_settings([smtp(25, "green", "ok", "none"), smtp(587, "red", "tcp_refused", "server")]) is None
    assert run(smtp(465, "red", "tls_reset", "network"), smtp(587, "red", "tls_reset", "network")).overall["settings"] is None


def test_green_headline_names_the_setting_and_the_port_that_fails() -> None:
    report = run(smtp(465, "red", "tcp_refused", "server"), smtp(587, "green", "ok", "none"))
    o = report.overall
    assert o["headline"] == "Sending works with port 587 and STARTTLS (connection type), not with port 465"
    assert "refuses connections on port 465" in o["summary"]
    assert "port 587 with STARTTLS (connection type)" in o["summary"]
    assert o["advice"] == ("If your mail program is set to port 465, change it to outgoing server "
                           "mail.example.net, port 587, connection type STARTTLS.")
    # the failing row names the working alternative, from this run
    row465 = next(c for c in report.checks if c.port == 465)
    assert row465.advice.endswith("Port 587 with STARTTLS (connection type) works in this test: use it in your "
                                  "mail program's settings.")
    clean = run(smtp(465, "green", "ok", "none"), smtp(587, "green", "ok", "none"))
    assert clean.overall["headline"] == "Sending works: use port 465 with SSL/TLS (connection type)"


def test_amber_headline_says_what_is_wrong_and_who() -> None:
    report = run(smtp(465, "amber", "tls_intercepted", "local", product="Avast"), smtp(587, "red", "tls_reset", "network"))
    assert report.overall["headline"] == ("Sending works with port 465 and SSL/TLS (connection type), but your "
                                          "security program Avast checks it on the way")
    assert report.overall["summary"].startswith("Your security program Avast checks your encrypted mail")
    assert "Someone" not in report.overall["summary"] + report.overall["headline"]


def test_the_failing_ip_family_is_named() -> None:
    attempts = (Attempt("ipv4", "192.0.2.10", (Step("connect", True, 1),)),
                Attempt("ipv6", "2001:db8::10", (Step("connect", False, 1, "timeout", "timeout"),)))
    report = run(smtp(465, "amber", "ip_family_partial", "network", attempts=attempts))
    row = report.checks[0]
    assert "over IPv4 (the usual kind of internet address) but not over IPv6 (the newer kind" in row.explanation
    assert "IPv6 (the newer kind of internet address) does not work" in row.advice
    assert report.overall["headline"].endswith("but not over IPv6 (the newer kind of internet address)") or \
        "not over IPv6" in report.overall["headline"]


@pytest.mark.parametrize(("target", "control", "words"), [
    (("tls_reset", "red", "network"), ("tls_reset", "red"), "Gmail: same — so it is your network."),
    (("tcp_refused", "red", "server"), ("ok", "green"), "Gmail: works — so it is the mail server."),
    (("ok", "green", "none"), ("ok", "green"), "Gmail: works too."),
    (("tcp_timeout", "red", "network"), ("tcp_reset", "red"), "Gmail: fails too (Connection cut) — so it is your network."),
])
def test_reference_rows_are_evidence_for_the_target_row(target: tuple[str, str, str], control: tuple[str, str],
                                                        words: str) -> None:
    t = smtp(587, target[1], target[0], target[2])
    c = smtp(587, control[1], control[0], "unknown", role="control", host="smtp.gmail.com")
    assert evidence(c, t) == words
    report = run(t, c)
    row = next(x for x in report.checks if x.role == "control")
    assert row.explanation == words
    # no advice of its own that could contradict the target row
    assert row.advice == "Nothing to do with this server: it is only compared with yours."


def test_red_headline_names_who_and_advice_names_the_next_step() -> None:
    report = run(smtp(465, "red", "tls_reset", "network"), smtp(587, "red", "tls_reset", "network"),
                 smtp(25, "red", "tcp_timeout", "network"))
    o = report.overall
    assert o["headline"] == "Sending mail does not work from this network"
    assert "Port 25" in o["summary"]  # the failing port 25 is named too
    assert "another network" in o["advice"] and "internet provider (or mobile operator" in o["advice"]


def test_every_advice_names_who_acts() -> None:
    from smtpdiag.causes import _TEXTS, explain

    who = ("your internet provider", "your mail provider", "your security program", "your mail program",
           "whoever runs", "this computer", "your computer's", "your vpn program", "nothing to do",
           "start the check again", "can work from here", "mail can still be sent")
    for (code, where) in _TEXTS:
        _explanation, advice = explain(code, where if where != "*" else "unknown", port=465, host="h", product="P")
        assert any(w in advice.lower() for w in who), (code, where, advice)


def test_the_scan_finds_a_recommendation_that_did_not_work() -> None:
    """The mechanical check can fail: an advice naming an untested or broken port is caught."""
    report = run(smtp(465, "red", "tls_reset", "network"), smtp(587, "green", "ok", "none"))
    assert advice_scan.problems(report, report.dumps()) == []
    bad = "Use port 465 with SSL/TLS (connection type). Or try port 2525. Or use another port."
    found = advice_scan.problems(report, bad)
    assert len(found) == 4, found  # 465 twice (with its type, and "use port"), 2525, "another port"
    assert advice_scan.problems(report, "Verwenden Sie Port 2525 mit STARTTLS (Verbindungssicherheit).") != []
    assert advice_scan.problems(report, "port 587 with SSL/TLS") != []  # the right port, the wrong type


def test_port_25_is_named_with_what_happened_to_it() -> None:
    same = run(smtp(25, "red", "tls_expired", "server"), smtp(465, "red", "tls_expired", "server"))
    assert "Port 25 (used between mail servers, not needed by mail programs) fails the same way." in \
        same.overall["summary"]
    other = run(smtp(25, "red", "tcp_refused", "server"), smtp(465, "red", "tls_expired", "server"))
    assert "does not work either (Refused)" in other.overall["summary"]


def test_a_red_headline_names_a_login_or_offline_cause_itself() -> None:
    report = run(smtp(465, "red", "auth_oauth_required", "input"), smtp(587, "red", "auth_oauth_required", "input"))
    assert report.overall["headline"] == "Sending mail does not work: sign in with OAuth2 instead of a password"
    assert run(smtp(465, "red", "offline", "network")).overall["headline"] == \
        "Sending mail does not work: this computer is not connected to the internet"
