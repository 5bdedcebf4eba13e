"""Table-driven tests of the pure classification over the whole contract table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smtpdiag.causes import CAUSES, explain
from smtpdiag.records import Attempt, Check, Step, TlsInfo
from smtpdiag.verdict import (
    STEP_FAILURES,
    STEP_FINDINGS,
    classify,
    classify_steps,
    compare_references,
    overall,
)

ROOT = Path(__file__).resolve().parents[1]
# The project's copy of the contract; tests read it, never a file outside the repository.
CONTRACT = ROOT / "docs" / "contract.md"

# Contract causes (or their new lights) the code does not have yet.  Whoever implements
# one removes it here: the test fails while a listed cause is already implemented.
NOT_YET_IMPLEMENTED: set[str] = set()
# Causes whose light the contract changed (to red) and the code not yet: their light today.
LIGHT_NOT_YET_CHANGED: dict[str, str] = {}


def contract_table() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in CONTRACT.read_text().splitlines():
        m = re.match(r"^\| `([a-z0-9_]+)` \| ([^|]+) \| ([^|]+) \|", line)
        if m:
            rows[m.group(1)] = (m.group(2).strip(), m.group(3).strip())
    return rows


def test_every_contract_cause_is_known_with_its_light() -> None:
    table = contract_table()
    assert len(table) >= 30
    assert not set(CAUSES) - set(table), "causes the contract does not name"
    assert set(table) - set(CAUSES) == NOT_YET_IMPLEMENTED, "update NOT_YET_IMPLEMENTED"
    for code, (light, _where) in table.items():
        if code not in CAUSES:
            continue
        # "red on submission ports, amber on 25" or "amber when ..., red when ...": any one named
        allowed = set(re.findall(r"\b(green|amber|red|grey)\b", light))
        if code in LIGHT_NOT_YET_CHANGED:
            assert CAUSES[code].light == LIGHT_NOT_YET_CHANGED[code], f"{code}: update LIGHT_NOT_YET_CHANGED"
        elif code == "starttls_missing":
            assert CAUSES[code].light == "red"
        elif code == "tls_intercepted":  # amber when trusted, red when not: see its own test
            assert light.startswith("amber when") and "red when" in light
            assert CAUSES[code].light == "amber"
        else:
            assert CAUSES[code].light in allowed, code


def test_the_contract_copy_is_current() -> None:
    """docs/contract.md is a copy of the shared contract; refresh it when that one changes."""
    shared = ROOT.parent / "shared" / "CONTRACT.md"
    if not shared.is_file():
        pytest.skip("no shared contract beside this checkout: docs/contract.md is the contract")
    assert CONTRACT.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8"), \
        f"copy {shared} to docs/contract.md"


def test_every_cause_has_words_for_every_where() -> None:
    for code in CAUSES:
        for where in ("none", "input", "local", "network", "server", "unknown"):
            explanation, advice = explain(code, where, port=465, host="mail.example.com", product="Avast")
            assert explanation and advice
            assert "{" not in explanation + advice


OK_SMTP = [
    Step("resolve", True, 1), Step("connect", True, 1), Step("greeting", True, 1),
    Step("ehlo", True, 1), Step("starttls", True, 1), Step("tls", True, 1),
    Step("certificate", True, 1), Step("ehlo_tls", True, 1),
]


def steps_with(step: str, failure: str | None = None, findings: tuple[str, ...] = ()) -> list[Step]:
    out = []
    for s in OK_SMTP:
        if s.step == step:
            out.append(Step(step, failure is None, 1, "", failure, findings))
            if failure is not None and step not in ("starttls", "certificate"):
                break
        else:
            out.append(s)
    if step not in {s.step for s in OK_SMTP}:
        out.append(Step(step, failure is None, 1, "", failure, findings))
    return out


@pytest.mark.parametrize(("step", "failure"), sorted(STEP_FAILURES))
def test_each_step_failure_maps_to_its_cause(step: str, failure: str) -> None:
    if step == "probe":
        steps = [Step("resolve", True, 1), Step("probe", False, 1, "", failure)]
    else:
        steps = steps_with(step, failure)
    assert classify_steps(steps, 587) == STEP_FAILURES[(step, failure)]


@pytest.mark.parametrize(("step", "finding"), sorted(STEP_FINDINGS))
def test_each_finding_maps_to_its_cause(step: str, finding: str) -> None:
    cause = classify_steps(steps_with(step, None, (finding,)), 587)
    assert cause == STEP_FINDINGS[(step, finding)]
    # a finding does not stop the step; only outdated TLS is red (mail programs refuse it)
    assert CAUSES[cause].light == ("red" if cause == "tls_outdated" else "amber")


def test_interception_is_amber_when_trusted_and_red_when_not() -> None:
    trusted = steps_with("certificate", None, ("intercepted",))
    untrusted = steps_with("certificate", "intercepted")
    assert classify([attempt("ipv4", trusted)], 465).light == "amber"
    v = classify([attempt("ipv4", untrusted)], 465, intercept_kind="local")
    assert (v.light, v.cause, v.where) == ("red", "tls_intercepted", "local")


@pytest.mark.parametrize("cause", ["tls_expired", "tls_self_signed", "tls_untrusted", "tls_name_mismatch",
                                   "tls_outdated"])
def test_certificate_causes_and_outdated_tls_are_red(cause: str) -> None:
    assert CAUSES[cause].light == "red"


def test_an_unknown_step_failure_pair_is_internal_error_never_a_party_s_fault() -> None:
    for steps in (steps_with("greeting", "bogus"), steps_with("tls", "rejected"),
                  [Step("resolve", True, 1), Step("teleport", False, 1, "", "reset")]):
        v = classify([attempt("ipv4", steps)], 587)
        assert (v.light, v.cause, v.where) == ("grey", "internal_error", "unknown")


def test_one_family_that_could_not_be_judged_makes_the_check_internal_error() -> None:
    broken = [*OK_SMTP[:5], Step("tls", False, 1, "internal error: ValueError", "internal_error")]
    v = classify([attempt("ipv4", OK_SMTP), attempt("ipv6", broken)], 587)
    assert (v.light, v.cause, v.attempt) == ("grey", "internal_error", 1)


def test_all_ok_is_ok_and_vpn_answer_is_reachable() -> None:
    assert classify_steps(OK_SMTP, 465) == "ok"
    assert classify_steps([Step("resolve", True, 1), Step("probe", True, 1)], 500) == "vpn_reachable"


def test_red_beats_an_earlier_amber_and_first_red_wins() -> None:
    steps = steps_with("greeting", None, ("masked",))
    steps = [s if s.step != "tls" else Step("tls", False, 1, "", "reset") for s in steps][:6]
    assert classify_steps(steps, 587) == "tls_reset"
    stripped_then_expired = [
        *OK_SMTP[:4], Step("starttls", False, 1, "", "stripped"), Step("tls", True, 1),
        Step("certificate", False, 1, "", "expired"),
    ]
    assert classify_steps(stripped_then_expired, 587) == "starttls_stripped"


def test_starttls_missing_is_amber_on_port_25_only() -> None:
    steps = steps_with("starttls", "missing")[:5]
    a = [Attempt("ipv4", "192.0.2.1", tuple(steps))]
    assert classify(a, 25).light == "amber"
    assert classify(a, 587).light == "red"
    assert classify(a, 587).where == "server"


def attempt(family: str, steps: list[Step], tls: TlsInfo | None = None) -> Attempt:
    return Attempt(family, "2001:db8::1" if family == "ipv6" else "192.0.2.1", tuple(steps), (), tls)


def control(cause: str, light: str, port: int = 465) -> Check:
    return Check(f"control1-{port}", "smtp", "control", "ref.example", port, "implicit", light=light, cause=cause)


TIMEOUT = [Step("resolve", True, 1), Step("connect", False, 1, "", "timeout")]


@pytest.mark.parametrize(
    ("controls", "where"),
    [
        ([], "unknown"),
        ([control("tcp_timeout", "red")], "network"),
        ([control("tcp_timeout", "red"), control("tcp_timeout", "red")], "network"),
        ([control("ok", "green")], "server"),
        ([control("tcp_timeout", "red"), control("ok", "green")], "server"),
        ([control("tls_expired", "amber")], "server"),
        ([control("tcp_refused", "red")], "unknown"),
        ([control("dns_failure", "red")], "unknown"),
        ([control("cancelled", "grey")], "unknown"),
    ],
)
def test_by_control_where(controls: list[Check], where: str) -> None:
    v = classify([attempt("ipv4", TIMEOUT)], 465, controls)
    assert (v.light, v.cause, v.where) == ("red", "tcp_timeout", where)


def test_the_reference_comparison_counts_only_what_reached_a_light() -> None:
    refs = compare_references("tcp_timeout", [control("tcp_timeout", "red"), control("ok", "green"),
                                              control("tls_outdated", "amber"), control("cancelled", "grey"),
                                              control("offline", "red")])
    assert (refs.tested, refs.working, refs.green) == (4, 2, 1)
    assert not refs.same_cause and not refs.names_only
    assert refs.where == "server"  # the working ones got further; offline says nothing about the network
    names = compare_references("tcp_timeout", [control("dns_not_found", "red"), control("dns_failure", "red")])
    assert (names.tested, names.names_only, names.where) == (2, True, "unknown")
    same = compare_references("tcp_timeout", [control("tcp_timeout", "red"), control("offline", "red")])
    assert (same.same_cause, same.where) == (False, "network")
    none = compare_references("tcp_timeout", [])
    assert (none.tested, none.same_cause, none.names_only, none.where) == (0, False, False, "unknown")


def test_tls_reset_everywhere_is_the_network() -> None:
    steps = [Step("resolve", True, 1), Step("connect", True, 1), Step("tls", False, 1, "", "reset")]
    v = classify([attempt("ipv4", steps)], 465, [control("tls_reset", "red")])
    assert (v.cause, v.where) == ("tls_reset", "network")
    v = classify([attempt("ipv4", steps)], 465, [control("ok", "green")])
    assert v.where == "server"


def test_http_greeting_is_network_other_garbage_is_server() -> None:
    http = [Step("resolve", True, 1), Step("connect", True, 1), Step("greeting", False, 1, "", "http")]
    other = [Step("resolve", True, 1), Step("connect", True, 1), Step("greeting", False, 1, "", "not_smtp")]
    assert classify([attempt("ipv4", http)], 587).where == "network"
    assert classify([attempt("ipv4", other)], 587).where == "server"


def test_interception_where_follows_the_product_kind() -> None:
    steps = [*OK_SMTP[:6], Step("certificate", False, 1, "", "intercepted")]
    assert classify([attempt("ipv4", steps)], 465, intercept_kind="local").where == "local"
    assert classify([attempt("ipv4", steps)], 465, intercept_kind="network").where == "network"


def test_one_family_working_is_ip_family_partial() -> None:
    v = classify([attempt("ipv4", OK_SMTP), attempt("ipv6", TIMEOUT)], 587)
    assert (v.light, v.cause, v.where, v.attempt) == ("amber", "ip_family_partial", "network", 0)
    v = classify([attempt("ipv4", TIMEOUT), attempt("ipv6", OK_SMTP)], 587)
    assert (v.cause, v.attempt) == ("ip_family_partial", 1)
    # both fail: the IPv4 attempt speaks
    refused = [Step("resolve", True, 1), Step("connect", False, 1, "", "refused")]
    v = classify([attempt("ipv4", refused), attempt("ipv6", TIMEOUT)], 587)
    assert v.cause == "tcp_refused"
    # only one family exists: no partial
    assert classify([attempt("ipv4", OK_SMTP)], 587).cause == "ok"


def test_dns_failure_gives_the_dns_cause() -> None:
    nx = [Attempt("none", None, (Step("resolve", False, 1, "", "nxdomain"),))]
    assert classify(nx, 465).cause == "dns_not_found"
    assert classify(nx, 465).where == "input"
    servfail = [Attempt("none", None, (Step("resolve", False, 1, "", "dns_error"),))]
    assert (classify(servfail, 465).cause, classify(servfail, 465).where) == ("dns_failure", "network")


def test_cancelled_without_a_problem_is_grey() -> None:
    steps = [Step("resolve", True, 1), Step("connect", True, 1), Step("greeting", False, 1, "", "cancelled")]
    assert classify([attempt("ipv4", steps)], 587).light == "grey"


def target(port: int, light: str, cause: str = "ok", where: str = "none") -> Check:
    return Check(f"target-{port}", "smtp", "target", "mail.example", port, "starttls",
                 light=light, cause=cause, where=where)


def test_overall_ignores_port_25_and_controls() -> None:
    checks = [target(25, "green"), target(465, "red", "tls_reset", "network"),
              target(587, "red", "tls_reset", "network"), control("ok", "green")]
    o = overall(checks)
    assert (o.light, o.cause, o.where) == ("red", "tls_reset", "network")
    checks = [target(25, "red", "tcp_timeout"), target(465, "amber", "tls_expired", "server"),
              target(587, "green")]
    assert overall(checks).light == "green"
    checks = [target(25, "green"), target(465, "amber", "tls_expired", "server"),
              target(587, "red", "tcp_timeout", "network")]
    assert (overall(checks).light, overall(checks).cause) == ("amber", "tls_expired")
    assert overall([target(25, "green")]).light == "green"  # port 25 alone decides


def test_vpn_comparison_names_who_blocks() -> None:
    from smtpdiag.report.model import Report, vpn_comparison

    def run(vpn: bool, lights: dict[int, str]) -> Report:
        return Report("now", {"target": "mail.example"}, {"vpn_active": vpn}, {},
                      [target(p, light) for p, light in lights.items()])

    without = run(False, {25: "green", 465: "red", 587: "red"})
    with_vpn = run(True, {25: "green", 465: "green", 587: "amber"})
    assert vpn_comparison(without, with_vpn) == ("With the VPN, ports 465 and 587 work, without it they do "
                                                 "not: your internet provider or local network blocks them.")
    assert "the VPN blocks it" in str(vpn_comparison(run(True, {465: "red"}), run(False, {465: "green"})))
    assert vpn_comparison(without, run(False, {465: "green"})) is None  # no VPN change: nothing to say
    assert vpn_comparison(None, with_vpn) is None


@pytest.mark.parametrize(("greeting", "masked"), [
    ("****************************************", True),
    ("******************2*0**0*0**0***0****", True),  # Cisco leaves some digits standing
    ("mail.example.com ESMTP Postfix", False),
    ("2.0.0 ready", False),
    ("**", False),
])
def test_a_masked_banner_is_recognised(greeting: str, masked: bool) -> None:
    from smtpdiag.probe.smtp import _banner_masked

    assert _banner_masked(greeting) is masked


def test_a_family_without_a_route_here_is_not_a_partial_failure() -> None:
    no_route = [Step("resolve", True, 1), Step("connect", False, 0, "", "no_route")]
    v = classify([attempt("ipv4", OK_SMTP), attempt("ipv6", no_route)], 587)
    assert (v.light, v.cause, v.attempt) == ("green", "ok", 0)
    v = classify([attempt("ipv4", TIMEOUT), attempt("ipv6", no_route)], 587)
    assert (v.cause, v.attempt) == ("tcp_timeout", 0)
    assert classify([attempt("ipv6", no_route)], 587).cause == "tcp_unreachable"


def test_well_known_reference_servers_are_tested_only_on_ports_they_serve() -> None:
    from smtpdiag.config import DEFAULT_CONTROLS, DEFAULT_PORTS, RunConfig
    from smtpdiag.engine import Diagnosis
    from smtpdiag.target import parse_port

    config = RunConfig("mail.example", "mail.example", tuple(parse_port(p) for p in DEFAULT_PORTS),
                       controls=(*DEFAULT_CONTROLS, "ref.example"))
    planned = {(c.host, c.port) for c in Diagnosis(config).plan() if c.role == "control"}
    assert ("smtp.gmail.com", 2525) not in planned and ("smtp.gmail.com", 587) in planned
    assert {p for h, p in planned if h == "smtp.sendgrid.net"} == {25, 465, 587, 2525}
    assert {p for h, p in planned if h == "ref.example"} == {25, 465, 587, 2525}  # unknown: every port
    # every default port has at least two reference servers
    for port in (25, 465, 587, 2525):
        assert sum(1 for _h, p in planned if p == port) >= 3


def test_the_cause_reference_for_support_staff_is_current() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, str(root / "scripts" / "causes_doc.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, "docs/causes.md is out of date: run python scripts/causes_doc.py"
