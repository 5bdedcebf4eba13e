"""Every cause, end to end: the engine against the simulated network's real servers
and fault proxy on loopback, compared with what each scenario is meant to show."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import advice_scan
import pytest
from scenario_expectations import EXPECTED

from smtpdiag.engine import CheckFinished, Diagnosis, Finished, Planned, StepRecorded
from smtpdiag.i18n import current_language, set_language
from smtpdiag.report.model import Report, diagnose, render_text, report_of, reworded, with_words
from smtpdiag.simnet.scenarios import SCENARIOS
from smtpdiag.simnet.world import start_scenario

TIMEOUT = 1.5


def assert_advice_only_from_results(report: Report) -> None:
    from smtpdiag.report.html import render_html
    from smtpdiag.report.support import support_summary

    assert advice_scan.settings_agree(report) == []
    original = current_language()
    try:
        for lang in ("en", "de"):
            set_language(lang)
            worded = reworded(report)
            texts = {"json": worded.dumps(), "text": render_text(worded), "html": render_html(worded),
                     "support": support_summary(worded)}
            for fmt, text in texts.items():
                assert advice_scan.problems(worded, text) == [], (lang, fmt)
    finally:
        set_language(original)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_verdicts(name: str) -> None:
    expected = EXPECTED[name]
    events: list[object] = []
    with start_scenario(name) as sim:
        t = time.monotonic()
        report = diagnose(sim.config(timeout=TIMEOUT), network=sim.network, on_event=events.append)
        seconds = time.monotonic() - t
        assert sim.errors == []
    got = {c.port: (c.light, c.cause, c.where) for c in report.targets if c.kind == "smtp"}
    want = {port: e.verdict for port, e in expected.ports.items()}
    assert got == want
    o = report.overall
    assert (o["light"], o["cause"], o["where"]) == expected.overall.verdict
    # every check says something a person can read, in the words of its cause
    for c in report.checks:
        assert c.explanation and c.advice and "{" not in c.explanation
    assert o["summary"] and o["advice"]
    # no word recommends a port or setting that was not tested and working, in any format or language
    assert_advice_only_from_results(report)
    # all ports and reference servers at once: never much more than a couple of timeouts
    assert seconds < 2 * TIMEOUT + 2.5
    # the live events a window needs: the plan first, the report last, one result per check
    assert isinstance(events[0], Planned) and isinstance(events[-1], Finished)
    finished = [e for e in events if isinstance(e, CheckFinished)]
    assert len(finished) == len(report.checks)
    assert any(isinstance(e, StepRecorded) for e in events)


def test_every_scenario_has_expectations_and_every_expectation_a_scenario() -> None:
    """tests/scenario_expectations.py and the product's scenarios name the same worlds, and
    each expectation covers exactly the target ports its scenario checks."""
    assert set(EXPECTED) == set(SCENARIOS), (
        f"without expectations: {sorted(set(SCENARIOS) - set(EXPECTED))}; "
        f"no such scenario: {sorted(set(EXPECTED) - set(SCENARIOS))}")
    for name, scenario in SCENARIOS.items():
        assert set(EXPECTED[name].ports) == {p.port for p in scenario.ports}, name


def test_cancel_stops_within_half_a_second() -> None:
    with start_scenario("server-silent") as sim:
        diagnosis = Diagnosis(sim.config(timeout=10), network=sim.network)
        diagnosis.start()
        time.sleep(0.3)
        t = time.monotonic()
        diagnosis.cancel()
        result = diagnosis.wait(5)
        assert result is not None
        assert time.monotonic() - t < 0.5
    report = report_of(result)
    # the silent target was still waiting: not tested; the quick reference servers had finished
    assert all(c.light == "grey" and c.cause == "cancelled" for c in report.targets)
    assert "did not run to the end" in report.targets[0].explanation
    assert report.overall["light"] == "grey"


def test_hostile_servers_never_outlast_the_timeout_or_grow_memory() -> None:
    import tracemalloc

    with start_scenario("hostile") as sim:
        tracemalloc.start()
        t = time.monotonic()
        report = diagnose(sim.config(timeout=2.0), network=sim.network)
        seconds = time.monotonic() - t
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert seconds < 2.0 + 1.5
    assert peak < 20 * 1024 * 1024
    endless = next(c for c in report.targets if c.port == 25)
    assert endless.cause == "smtp_protocol_error"
    assert sum(len(t.text) for t in endless.transcript) < 10_000


def test_login_with_the_right_and_a_wrong_password() -> None:
    """One login per run (contract section 3): on port 465, the first submission port whose
    TLS verified; every other port says it did not try again; a refused login makes the
    overall red with the login's cause although every port works."""
    with start_scenario("login") as sim:
        good = diagnose(sim.config(timeout=TIMEOUT), network=sim.network)
        bad = diagnose(sim.config(timeout=TIMEOUT, password="wrong"), network=sim.network)
    for report, ok in ((good, True), (bad, False)):
        auth = {c.port: next(s for s in c.steps if s.step == "auth") for c in report.targets}
        tried = [port for port, step in auth.items() if step.failure != "not_tried"]
        assert tried == [465], auth
        assert auth[465].ok is ok
        for port in (25, 587, 2525):
            assert auth[port].failure == "not_tried" and "not tried again" in auth[port].detail
            assert next(c for c in report.targets if c.port == port).cause == "ok"
    assert good.overall["light"] == "green"
    assert next(c for c in good.targets if c.port == 465).cause == "ok"
    refused = next(c for c in bad.targets if c.port == 465)
    assert (refused.light, refused.cause, refused.where) == ("red", "auth_failed", "input")
    assert "user name or password" in refused.explanation
    assert any("<redacted>" in t.text for t in refused.transcript)
    assert (bad.overall["light"], bad.overall["cause"], bad.overall["where"]) == ("red", "auth_failed", "input")


@pytest.mark.parametrize(("scenario", "light", "cause"), [
    ("healthy", "green", "ok"),
    ("mobile-2012", "red", "tls_reset"),
    ("dns-failure", "red", "offline"),
])
def test_an_email_address_finds_its_server_first(scenario: str, light: str, cause: str) -> None:
    from smtpdiag.simnet.scenarios import DEMO_USER, MAIL_DOMAIN, TARGET

    events: list[object] = []
    with start_scenario(scenario) as sim:
        config = sim.config(timeout=TIMEOUT, target=DEMO_USER, host=MAIL_DOMAIN, email_domain=MAIL_DOMAIN,
                            user=None)
        report = diagnose(config, network=sim.network, on_event=events.append)
    found = next(c for c in report.checks if c.kind == "dns")
    assert found.id == "discover" and found.host == MAIL_DOMAIN
    assert (report.overall["light"], report.overall["cause"]) == (light, cause)
    ports = [c for c in report.targets if c.kind == "smtp"]
    assert len(ports) == 4
    if cause == "offline":  # nothing resolves, the reference servers' names neither
        assert found.cause == "dns_failure" and all(c.cause == "offline" for c in ports)
    else:
        assert found.cause == "ok" and TARGET in found.explanation
        assert all(c.host == TARGET for c in ports)
    # the discovery row is planned first, and finished before any port of the target
    planned = next(e for e in events if isinstance(e, Planned))
    assert planned.checks[0].kind == "dns"
    first_target = next(i for i, e in enumerate(events)
                        if isinstance(e, CheckFinished) and e.check.role == "target" and e.check.kind == "smtp")
    discovered = next(i for i, e in enumerate(events)
                      if isinstance(e, CheckFinished) and e.check.kind == "dns")
    assert discovered < first_target


def test_every_cause_of_the_contract_is_reproduced_end_to_end() -> None:
    """A new cause cannot be added without a scenario (or a named real-socket test) for it."""
    from smtpdiag.causes import CAUSES

    by_scenario = {e.cause for x in EXPECTED.values() for e in x.ports.values()}
    # cause -> (test file, test function) that reproduces it with real sockets
    elsewhere = {
        "auth_failed": ("test_scenarios.py", "test_login_with_the_right_and_a_wrong_password"),
        "auth_oauth_required": ("test_login.py", "test_policy_replies_get_the_contracts_cause"),
        "auth_app_password_required": ("test_login.py", "test_policy_replies_get_the_contracts_cause"),
        "auth_disabled": ("test_login.py", "test_policy_replies_get_the_contracts_cause"),
        "cancelled": ("test_scenarios.py", "test_cancel_stops_within_half_a_second"),
        "tcp_unreachable": ("test_netns.py", "test_firewall_drop_reject_and_unreachable"),
        "vpn_reachable": ("test_vpn.py", "test_ike_answer_is_reachable"),
        "vpn_no_answer": ("test_vpn.py", "test_silent_udp_is_no_answer_after_retransmitting"),
        "vpn_refused": ("test_vpn.py", "test_closed_tcp_port_is_vpn_refused_not_tcp_refused"),
        "vpn_unverifiable": ("test_vpn.py", "test_wireguard_is_unverifiable_when_something_may_listen"),
        "offline": ("test_offline.py", "test_a_resolver_that_knows_no_name_is_offline_not_a_spelling_mistake"),
        "dns_failure": ("test_offline.py", "test_no_name_service_at_all_is_offline"),
        "local_blocked": ("test_offline.py", "test_a_program_that_may_not_connect_is_local_blocked"),
        "internal_error": ("test_transport.py",
                           "test_an_unexpected_exception_is_internal_error_with_its_traceback_in_the_log"),
    }
    assert set(CAUSES) - by_scenario - set(elsewhere) == set()
    here = Path(__file__).resolve().parent
    for cause, (file, name) in elsewhere.items():
        tree = ast.parse((here / file).read_text(encoding="utf-8"))
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert name in names, f"{cause}: {file} has no test {name}"


def test_a_rows_words_are_final_when_it_is_shown() -> None:
    """A port whose fault depends on the reference servers is reported once, with them."""
    events: list[object] = []
    with start_scenario("mobile-2012") as sim:
        report = diagnose(sim.config(timeout=TIMEOUT), network=sim.network, on_event=events.append)
    # The window puts the words on a finished row (the engine's checks carry none).
    live = {e.check.id: with_words(e.check) for e in events if isinstance(e, CheckFinished)}
    for check in report.targets:
        assert (live[check.id].cause, live[check.id].where, live[check.id].explanation) == \
            (check.cause, check.where, check.explanation)
