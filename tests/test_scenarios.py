"""Every cause, end to end: the engine against the simulated network's real servers
and fault proxy on loopback, compared with what each scenario is meant to show."""

from __future__ import annotations

import time

import pytest

from smtpdiag.engine import CheckFinished, Diagnosis, Finished, Planned, StepRecorded
from smtpdiag.simnet.scenarios import SCENARIOS, start_scenario

TIMEOUT = 1.5


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_verdicts(name: str) -> None:
    scenario = SCENARIOS[name]
    events: list[object] = []
    with start_scenario(name) as sim:
        t = time.monotonic()
        report = Diagnosis(sim.config(timeout=TIMEOUT), network=sim.network, on_event=events.append).run()
        seconds = time.monotonic() - t
        assert sim.errors == []
    got = {c.port: (c.light, c.cause, c.where) for c in report.targets if c.kind == "smtp"}
    want = {port: (e.light, e.cause, e.where) for port, e in scenario.expected.items()}
    assert got == want
    o = report.overall
    assert (o["light"], o["cause"], o["where"]) == (scenario.overall.light, scenario.overall.cause,
                                                    scenario.overall.where)
    # every check says something a person can read, in the words of its cause
    for c in report.checks:
        assert c.explanation and c.advice and "{" not in c.explanation
    assert o["summary"] and o["advice"]
    # all ports and reference servers at once: never much more than a couple of timeouts
    assert seconds < 2 * TIMEOUT + 2.5
    # the live events a window needs: the plan first, the report last, one result per check
    assert isinstance(events[0], Planned) and isinstance(events[-1], Finished)
    finished = [e for e in events if isinstance(e, CheckFinished)]
    assert len(finished) == len(report.checks)
    assert any(isinstance(e, StepRecorded) for e in events)


def test_cancel_stops_within_half_a_second() -> None:
    with start_scenario("server-silent") as sim:
        diagnosis = Diagnosis(sim.config(timeout=10), network=sim.network)
        diagnosis.start()
        time.sleep(0.3)
        t = time.monotonic()
        diagnosis.cancel()
        report = diagnosis.wait(5)
        assert report is not None
        assert time.monotonic() - t < 0.5
    # the silent target was still waiting: not tested; the quick reference servers had finished
    assert all(c.light == "grey" and c.cause == "cancelled" for c in report.targets)
    assert "did not run to the end" in report.targets[0].explanation
    assert report.overall["light"] == "grey"


def test_hostile_servers_never_outlast_the_timeout_or_grow_memory() -> None:
    import tracemalloc

    with start_scenario("hostile") as sim:
        tracemalloc.start()
        t = time.monotonic()
        report = Diagnosis(sim.config(timeout=2.0), network=sim.network).run()
        seconds = time.monotonic() - t
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert seconds < 2.0 + 1.5
    assert peak < 20 * 1024 * 1024
    endless = next(c for c in report.targets if c.port == 25)
    assert endless.cause == "smtp_protocol_error"
    assert sum(len(t.text) for t in endless.transcript) < 10_000


def test_login_with_the_right_and_a_wrong_password() -> None:
    with start_scenario("login") as sim:
        good = Diagnosis(sim.config(timeout=TIMEOUT), network=sim.network).run()
        bad = Diagnosis(sim.config(timeout=TIMEOUT, password="wrong"), network=sim.network).run()
    for check in good.targets:
        auth = next(s for s in check.steps if s.step == "auth")
        assert auth.ok, auth
        assert check.cause == "ok"
    for check in bad.targets:
        assert (check.light, check.cause, check.where) == ("red", "auth_failed", "input")
        assert "user name or password" in check.explanation
        assert any("<redacted>" in t.text for t in check.transcript)
