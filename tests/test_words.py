"""The words of a whole run (smtpdiag.report.words): the headline answers "can I send, and
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


# -- a mail program on this computer set differently (the headline must not contradict it) -------

def with_programs(report: Report, *accounts: object) -> Report:
    from smtpdiag.report.mail_programs import attach

    attach(report, list(accounts))  # type: ignore[arg-type]
    assert advice_scan.mail_program_problems(report) == []
    assert advice_scan.problems(report, report.dumps()) == []
    return report


def account(program: str, port: int, mode: str, address: str = "alice@mail.example.net") -> object:
    from smtpdiag.accounts.model import MailAccount

    return MailAccount(program, address, "mail.example.net", port, mode, "password", address)  # type: ignore[arg-type]


def test_a_program_set_to_a_failing_port_is_named_with_the_setting_to_change() -> None:
    report = with_programs(run(smtp(465, "red", "tcp_refused", "server"), smtp(587, "green", "ok", "none")),
                           account("thunderbird", 465, "implicit"))
    o = report.overall
    assert o["headline"] == ("Sending works with port 587 and STARTTLS (connection type), but Thunderbird is set "
                             "differently: change Port to 587 and Connection security to STARTTLS")
    assert "refuses connections on port 465" in o["summary"]  # the failing port is still explained
    assert o["summary"].endswith("A mail program on this computer is set differently: alice@mail.example.net in "
                                 "Thunderbird (mail.example.net, port 465, SSL/TLS).")
    assert o["advice"] == ("In Thunderbird: Account Settings > Outgoing Server (SMTP) > Port: 587, Connection "
                           "security: STARTTLS.")
    assert (o["light"], o["cause"], o["settings"]["port"]) == ("green", "ok", 587)
    # In German, from the same records; the scan reads the German form too.
    from smtpdiag.i18n import set_language
    from smtpdiag.report.model import reworded

    set_language("de")
    german = reworded(report)
    assert german.overall["headline"] == (
        "Versand funktioniert mit Port 587 und STARTTLS (Verbindungssicherheit), aber Thunderbird ist anders "
        "eingestellt: Stellen Sie „Port“ auf 587 und „Verbindungssicherheit“ auf STARTTLS")
    assert advice_scan.problems(german, german.dumps()) == []
    assert advice_scan.problems(german, "Stellen Sie „Port“ auf 465") != []


def test_amber_headline_keeps_its_warning_and_names_the_program() -> None:
    report = with_programs(run(smtp(465, "amber", "tls_intercepted", "local", product="Avast"),
                               smtp(587, "red", "tls_reset", "network")),
                           account("evolution", 587, "none"))
    o = report.overall
    assert o["headline"] == ("Sending works with port 465 and SSL/TLS (connection type), but your security "
                             "program Avast checks it on the way, and Evolution is set differently: change Port to "
                             "465 and Encryption method to TLS on a dedicated port")
    assert o["advice"].endswith("In Evolution: Edit > Accounts > Edit > Sending Email > Port: 465, Encryption "
                                "method: TLS on a dedicated port.")
    assert o["light"] == "amber"


def test_several_programs_are_named_with_their_settings_and_each_fix() -> None:
    report = with_programs(run(smtp(465, "green", "ok", "none"), smtp(587, "green", "ok", "none")),
                           account("thunderbird", 465, "starttls", "a@mail.example.net"),
                           account("evolution", 587, "none", "b@mail.example.net"),
                           account("outlook", 587, "starttls", "c@mail.example.net"))
    o = report.overall
    assert o["headline"] == ("Sending works with port 465 and SSL/TLS (connection type), but Thunderbird and "
                             "Evolution are set differently: change Connection security and Encryption method")
    assert o["advice"] == (
        "a@mail.example.net: In Thunderbird: Account Settings > Outgoing Server (SMTP) > Connection security: "
        "SSL/TLS. b@mail.example.net: In Evolution: Edit > Accounts > Edit > Sending Email > Encryption method: "
        "STARTTLS after connecting.")
    assert [e["verdict"] for e in report.mail_programs] == ["change", "change", "ok"]


def test_programs_set_right_or_a_run_that_fails_keep_the_headline() -> None:
    ok = with_programs(run(smtp(465, "green", "ok", "none")), account("thunderbird", 465, "implicit"))
    assert ok.overall["headline"] == "Sending works: use port 465 with SSL/TLS (connection type)"
    assert ok.mail_programs[0]["verdict"] == "ok" and ok.mail_programs[0]["use"] is None
    down = run(smtp(465, "red", "tcp_refused", "server"), smtp(587, "red", "tcp_refused", "server"))
    before = dict(down.overall)
    with_programs(down, account("thunderbird", 465, "starttls"))
    assert down.mail_programs[0]["verdict"] == "fails"
    assert down.overall == before


def test_a_sign_in_change_only_is_named_too() -> None:
    from smtpdiag.accounts.settings import mail_programs
    from smtpdiag.report.words import headline

    class OAuthOnly:
        oauth_only = True

        @staticmethod
        def fix() -> str:
            return "Sign in with OAuth2."

    checks = [smtp(587, "green", "ok", "none")]
    for program, words in (("thunderbird", "change Authentication method to OAuth2"),
                           ("outlook", "change sign-in method to OAuth2")):
        entries = mail_programs([account(program, 587, "starttls")], checks, lambda _host: OAuthOnly())  # type: ignore[list-item]
        assert entries[0]["use"] == {"host": "mail.example.net", "port": 587, "mode": "starttls", "auth": "oauth2"}
        program_name = "Thunderbird" if program == "thunderbird" else "Outlook"
        assert headline(checks, entries) == ("Sending works with port 587 and STARTTLS (connection type), but "
                                             f"{program_name} is set differently: {words}")


def test_the_scan_catches_a_program_told_to_use_what_did_not_work() -> None:
    report = with_programs(run(smtp(465, "red", "tcp_refused", "server"), smtp(587, "green", "ok", "none")),
                           account("thunderbird", 465, "implicit"))
    report.mail_programs[0]["use"] = {"host": "mail.example.net", "port": 465, "mode": "implicit"}
    assert advice_scan.mail_program_problems(report) == [
        "thunderbird/alice@mail.example.net: the fix names {'host': 'mail.example.net', 'port': 465, 'mode': "
        "'implicit'}, which did not work (or was not tested) in this run"]
    report.overall["headline"] = "Sending works: use port 587 with STARTTLS (connection type)"
    assert advice_scan.mail_program_problems(report)[-1].startswith("headline 'Sending works: use port 587")
    assert advice_scan.problems(report, "In Thunderbird: change Port to 465") != []
