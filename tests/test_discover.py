"""Discovering the sending server of an e-mail domain (smtpdiag.probe.discover).

Every path runs twice: through a real :class:`~smtpdiag.net.Network` (dnspython,
real UDP) pointed at the loopback DNS server of ``tests/dns_server.py``, and
through the simulated network's tables.  No test asks real DNS: the loopback
network resolves host names with the test server too, and the simulated one
never leaves its tables.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from dns_server import DnsServer, LoopbackResolverNetwork

from smtpdiag.config import PortSpec
from smtpdiag.net import Network, ProbeError
from smtpdiag.paths import data_dir
from smtpdiag.probe.discover import (
    DISCOVERY_CHECK_ID,
    GRACE_SECONDS,
    Discovery,
    discover,
    discovery_check,
    planned_check,
)
from smtpdiag.probe.server_records import parse_srv, provider_for, providers
from smtpdiag.records import Check
from smtpdiag.report.discovery_words import check_words, explain_discovery
from smtpdiag.report.model import with_words
from smtpdiag.simnet.network import SimNetwork
from smtpdiag.verdict import classify

DOMAIN = "example.test"
TIMEOUT = 2.0  # generous: answers come at once; only the timeout tests wait


class World:
    """One DNS world, built the same way for both backends."""

    def __init__(self, kind: str, server: DnsServer | None) -> None:
        self.kind = kind
        self.server = server
        self.net: Network
        if server is not None:
            self.net = LoopbackResolverNetwork(nameservers=[server.address])
        else:
            self.sim = SimNetwork({})
            self.net = self.sim

    def add(self, name: str, rdtype: str, *values: str) -> World:
        if self.server is not None:
            # Zone-file syntax: TXT text in quotes, or every word becomes a string of its own.
            quoted = [f'"{v}"' for v in values] if rdtype == "TXT" else list(values)
            self.server.add(name, rdtype, *quoted)
        elif rdtype in ("A", "AAAA"):
            self.sim.add_host(name, *values)
        else:
            self.sim.add_records(name, rdtype, values)
        return self

    def host(self, name: str, address: str = "192.0.2.25") -> World:
        return self.add(name, "AAAA" if ":" in address else "A", address)

    def servfail(self, *names: str) -> World:
        if self.server is not None:
            self.server.servfail(*names)
        else:
            for name in names:
                self.sim.break_name(name)
        return self


@pytest.fixture(params=["loopback", "simnet"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    if request.param == "loopback":
        with DnsServer() as server:
            yield World("loopback", server)
    else:
        yield World("simnet", None)


@pytest.fixture
def server() -> Iterator[DnsServer]:
    with DnsServer() as s:
        yield s


def run(world: World, domain: str = DOMAIN, **kwargs: object) -> Discovery:
    return discover(world.net, domain, TIMEOUT, **kwargs)  # type: ignore[arg-type]


def details(d: Discovery) -> list[str]:
    return [s.detail for s in d.steps]


def assert_found(d: Discovery, host: str, source: str) -> None:
    assert (d.host, d.source, d.failure, d.cause) == (host, source, None, "ok"), details(d)
    last = d.steps[-1]
    assert last.ok and last.failure is None and host in last.detail
    # The verdict from the records alone agrees: no look-up that found nothing is a fault.
    verdict = classify([d.attempt], 0, family_partial=False)
    assert (verdict.light, verdict.cause, verdict.where) == ("green", "ok", "none")


# -- the sources, in order ----------------------------------------------------------------


def test_srv_submissions_comes_first_and_brings_both_ports(world: World) -> None:
    world.add(f"_submissions._tcp.{DOMAIN}", "SRV", "0 1 465 smtp.example.test")
    world.add(f"_submission._tcp.{DOMAIN}", "SRV", "0 1 587 smtp.example.test")
    world.host(f"smtp.{DOMAIN}").add(DOMAIN, "MX", "10 mx.example.test")
    d = run(world)
    assert_found(d, "smtp.example.test", "srv-submissions")
    assert d.ports == (PortSpec(465, "implicit"), PortSpec(587, "starttls"))
    assert details(d)[0] == "_submissions._tcp.example.test SRV -> 0 1 465 smtp.example.test"
    assert d.steps[0].ok and d.steps[0].step == "resolve"
    # Later sources are not consulted once SRV answered.
    assert not any("MX" in text for text in details(d))


def test_srv_submission_when_implicit_tls_is_not_published(world: World) -> None:
    world.add(f"_submission._tcp.{DOMAIN}", "SRV", "10 0 587 mail.example.test",
              "20 0 2525 backup.example.test")
    d = run(world)
    assert_found(d, "mail.example.test", "srv-submission")
    assert d.ports == (PortSpec(587, "starttls"),)
    first, second = d.steps[:2]
    assert not first.ok and first.failure is None  # no record: a normal answer, not a fault
    assert "_submissions._tcp.example.test SRV" in first.detail
    assert second.ok and second.detail.startswith("_submission._tcp.example.test SRV -> 10 0 587")


def test_srv_prefers_lowest_priority_then_highest_weight(world: World) -> None:
    world.add(f"_submissions._tcp.{DOMAIN}", "SRV", "20 0 465 late.example.test",
              "10 1 465 light.example.test", "10 9 465 heavy.example.test")
    assert run(world).host == "heavy.example.test"


def test_dot_target_means_not_offered(world: World) -> None:
    world.add(f"_submissions._tcp.{DOMAIN}", "SRV", "0 0 0 .")
    world.add(f"_submission._tcp.{DOMAIN}", "SRV", "0 1 587 mail.example.test")
    d = run(world)
    assert_found(d, "mail.example.test", "srv-submission")
    assert not d.steps[0].ok and d.steps[0].detail.endswith("0 0 0 . (not offered)")


def test_no_srv_at_all_falls_through_to_mx(world: World) -> None:
    world.add(f"_submissions._tcp.{DOMAIN}", "SRV", "0 0 0 .")
    world.add(f"_submission._tcp.{DOMAIN}", "SRV", "0 0 0 .")
    world.add(DOMAIN, "MX", "20 mx2.example.test", "10 mx1.example.test")
    d = run(world)
    assert_found(d, "mx1.example.test", "mx")
    assert d.ports is None
    mx_step = next(s for s in d.steps if " MX" in s.detail)
    assert mx_step.detail == ("example.test MX -> 10 mx1.example.test, 20 mx2.example.test "
                              "(the incoming mail server, tried for sending)")


@pytest.mark.parametrize("domain, host", [("gmail.com", "smtp.gmail.com"),
                                          ("GoogleMail.com.", "smtp.gmail.com"),
                                          ("hotmail.com", "smtp-mail.outlook.com"),
                                          ("t-online.de", "securesmtp.t-online.de")])
def test_known_provider(world: World, domain: str, host: str) -> None:
    world.host(f"smtp.{domain.lower().rstrip('.')}")  # a guess that must not win
    d = run(world, domain)
    assert_found(d, host, "provider")
    assert d.provider and d.provider in explain_discovery(d)
    assert "built-in list" in d.steps[-2].detail


def test_srv_beats_the_provider_list(world: World) -> None:
    world.add("_submission._tcp.gmail.com", "SRV", "5 0 587 smtp.gmail.com")
    d = run(world, "gmail.com")
    assert (d.host, d.source, d.ports) == ("smtp.gmail.com", "srv-submission", (PortSpec(587, "starttls"),))


def test_guess_smtp_before_mail(world: World) -> None:
    world.host(f"smtp.{DOMAIN}").host(f"mail.{DOMAIN}").add(DOMAIN, "MX", "10 mx.example.test")
    d = run(world)
    assert_found(d, "smtp.example.test", "guess")
    assert "smtp.example.test -> 192.0.2.25" in details(d)


def test_guess_mail_and_ipv6_only(world: World) -> None:
    world.host(f"mail.{DOMAIN}", "2001:db8::25").add(DOMAIN, "MX", "10 mx.example.test")
    d = run(world)
    assert_found(d, "mail.example.test", "guess")
    assert "mail.example.test -> 2001:db8::25" in details(d)
    smtp_step = next(s for s in d.steps if s.detail.startswith("smtp.example.test"))
    assert not smtp_step.ok and smtp_step.failure is None


def test_null_mx_falls_through_to_the_domain_itself(world: World) -> None:
    world.add(DOMAIN, "MX", "0 .").host(DOMAIN, "192.0.2.7")
    d = run(world)
    assert_found(d, DOMAIN, "domain")
    assert any(text.endswith("(null MX: this domain receives no mail)") for text in details(d))


def test_the_domain_itself_is_the_last_resort(world: World) -> None:
    world.host(DOMAIN, "192.0.2.7")
    d = run(world)
    assert_found(d, DOMAIN, "domain")
    # SRV x2, smtp., mail., MX, the domain, then the outcome: every look-up is on record.
    assert len(d.steps) == 7
    assert [s.ok for s in d.steps] == [False] * 5 + [True, True]


def test_ip_literal_needs_no_look_up(world: World) -> None:
    d = run(world, "[192.0.2.9]")
    assert_found(d, "192.0.2.9", "domain")
    assert d.steps[0].detail == "192.0.2.9 is an address: nothing to look up"


# -- nothing found ------------------------------------------------------------------------


def test_nxdomain_everywhere_is_dns_not_found(world: World) -> None:
    d = run(world, "exampel.test")
    assert (d.host, d.source, d.failure, d.cause) == (None, "none", "nxdomain", "dns_not_found")
    assert d.host_to_test == "exampel.test"
    last = d.steps[-1]
    assert (last.ok, last.failure) == (False, "nxdomain")
    assert all(s.failure is None for s in d.steps[:-1])  # only the outcome carries the failure
    verdict = classify([d.attempt], 0, family_partial=False)
    assert (verdict.light, verdict.cause, verdict.where) == ("red", "dns_not_found", "input")


def test_existing_domain_without_mail_or_address_is_dns_not_found(world: World) -> None:
    world.add(DOMAIN, "TXT", "v=spf1 -all")
    d = run(world)
    assert (d.failure, d.cause) == ("nxdomain", "dns_not_found")
    assert f"{DOMAIN} MX: no such record" in details(d)


def test_servfail_is_dns_failure(world: World) -> None:
    names = [f"_submissions._tcp.{DOMAIN}", f"_submission._tcp.{DOMAIN}", f"smtp.{DOMAIN}",
             f"mail.{DOMAIN}", DOMAIN]
    world.servfail(*names)
    t = time.monotonic()
    d = run(world)
    assert time.monotonic() - t < TIMEOUT + 0.5
    assert (d.host, d.failure, d.cause) == (None, "dns_error", "dns_failure")
    assert discovery_check(d).where == "network"


def test_one_failing_look_up_does_not_hide_a_found_server(world: World) -> None:
    world.servfail(f"_submissions._tcp.{DOMAIN}")
    world.add(f"_submission._tcp.{DOMAIN}", "SRV", "0 1 587 mail.example.test")
    d = run(world)
    assert_found(d, "mail.example.test", "srv-submission")
    assert "SERVFAIL" in d.steps[0].detail and not d.steps[0].ok


def test_timeout_is_dns_failure_within_the_timeout(server: DnsServer) -> None:
    for name in (f"_submissions._tcp.{DOMAIN}", f"_submission._tcp.{DOMAIN}", f"smtp.{DOMAIN}",
                 f"mail.{DOMAIN}", DOMAIN):
        server.silent(name)
    net = LoopbackResolverNetwork(nameservers=[server.address])
    t = time.monotonic()
    d = discover(net, DOMAIN, 0.5)
    elapsed = time.monotonic() - t
    assert 0.45 < elapsed < 0.5 + 0.5
    assert (d.failure, d.cause) == ("dns_error", "dns_failure")
    assert "did not answer within 0.5 s" in d.steps[0].detail


def test_an_answer_does_not_wait_for_slower_sources(server: DnsServer) -> None:
    server.add(f"_submissions._tcp.{DOMAIN}", "SRV", "0 1 465 smtp.example.test")
    server.add(f"_submission._tcp.{DOMAIN}", "SRV", "0 0 0 .")
    server.silent(f"smtp.{DOMAIN}", f"mail.{DOMAIN}", DOMAIN)
    net = LoopbackResolverNetwork(nameservers=[server.address])
    t = time.monotonic()
    d = discover(net, DOMAIN, 3.0)
    assert time.monotonic() - t < 1.0
    assert (d.host, d.ports) == ("smtp.example.test", (PortSpec(465, "implicit"),))


def test_once_decided_the_look_ups_still_out_are_given_up_on(server: DnsServer) -> None:
    """The SRV record answers; the usual names and the domain are silent.  The search's
    workers stop waiting for them at once instead of holding a worker each until the
    5 s timeout (the name service's own threads end on its timeout, outside the pool)."""
    server.add(f"_submissions._tcp.{DOMAIN}", "SRV", "0 1 465 smtp.example.test")
    server.add(f"_submission._tcp.{DOMAIN}", "SRV", "0 0 0 .")
    server.silent(f"smtp.{DOMAIN}", f"mail.{DOMAIN}", DOMAIN)
    net = LoopbackResolverNetwork(nameservers=[server.address])
    before = set(threading.enumerate())
    d = discover(net, DOMAIN, 5.0)
    assert d.host == "smtp.example.test"
    workers = [t for t in threading.enumerate() if t not in before and t.name.startswith("smtpdiag-discover")]
    assert workers
    until = time.monotonic() + 2.5  # half the timeout: a worker still waiting would be alive
    for t in workers:
        t.join(max(0.0, until - time.monotonic()))
    assert not any(t.is_alive() for t in workers)


def test_look_ups_run_concurrently(server: DnsServer) -> None:
    """Five silent sources in a row cost one timeout, not five."""
    server.silent(f"_submissions._tcp.{DOMAIN}", f"_submission._tcp.{DOMAIN}", f"smtp.{DOMAIN}",
                  f"mail.{DOMAIN}")
    server.add(DOMAIN, "A", "192.0.2.7")
    net = LoopbackResolverNetwork(nameservers=[server.address])
    t = time.monotonic()
    d = discover(net, DOMAIN, 0.5)
    assert time.monotonic() - t < 0.5 + GRACE_SECONDS + 0.3
    assert (d.host, d.source) == (DOMAIN, "domain")


def test_cancel_stops_the_search_at_once(server: DnsServer) -> None:
    server.silent(f"_submissions._tcp.{DOMAIN}")
    net = LoopbackResolverNetwork(nameservers=[server.address])
    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    try:
        d = discover(net, DOMAIN, 5.0, cancel)
        stopped = time.monotonic()
    finally:
        timer.cancel()
        timer.join()
    assert cancel.is_set()
    assert d.duration_ms < 200 + 300
    assert time.monotonic() - stopped < 1.0  # nothing waits out the 5 s timeout
    assert (d.host, d.failure, d.cause) == (None, "cancelled", "cancelled")
    check = discovery_check(d)
    assert (check.light, check.cause) == ("grey", "cancelled")


def test_cancelled_before_it_starts(world: World) -> None:
    cancel = threading.Event()
    cancel.set()
    world.add(f"_submissions._tcp.{DOMAIN}", "SRV", "0 1 465 smtp.example.test")
    d = run(world, cancel=cancel)
    assert d.cause == "cancelled" and d.steps[-1].failure == "cancelled"


# -- the records, the check and its words -------------------------------------------------


def test_discovery_check_round_trips_through_the_report(world: World) -> None:
    world.add(f"_submission._tcp.{DOMAIN}", "SRV", "0 1 587 mail.example.test")
    seen = []
    d = run(world, on_step=seen.append)
    assert seen == list(d.steps)
    check = discovery_check(d)
    assert not check.explanation and not check.advice  # the engine's checks carry no words
    check = with_words(check)
    assert (check.id, check.kind, check.role, check.host, check.port) == (
        DISCOVERY_CHECK_ID, "dns", "target", DOMAIN, 0)
    assert (check.light, check.cause, check.where) == ("green", "ok", "none")
    assert check.context == {"source": "srv-submission", "server": "mail.example.test"}
    assert check.explanation == explain_discovery(d)
    assert "mail.example.test" in check.advice
    again = Check.from_json(json.loads(json.dumps(check.to_json())))
    assert again == check
    assert check_words(again) == (check.explanation, check.advice)
    assert [t.ms for t in check.transcript] == sorted(t.ms for t in check.transcript)
    assert check.transcript[0].dir == "note"


def test_planned_check_is_grey_without_a_cause() -> None:
    check = planned_check("Example.TEST.")
    assert (check.id, check.kind, check.host, check.light, check.cause) == (
        "discover", "dns", DOMAIN, "grey", "")


@pytest.mark.parametrize("source, words", [
    ("srv-submissions", "published by your provider"),
    ("srv-submission", "published by your provider"),
    ("provider", "well-known server of Some Mail"),
    ("guess", "usual name"),
    ("mx", "receives the mail for example.test"),
    ("domain", "publishes no mail server"),
])
def test_explanations_name_the_server_and_where_it_came_from(source: str, words: str) -> None:
    d = Discovery(DOMAIN, "smtp.example.test", source, provider="Some Mail")  # type: ignore[arg-type]
    text = explain_discovery(d)
    assert words in text and text.endswith(".")
    assert "smtp.example.test" in text or source == "domain"


def test_explanation_sentence_for_srv() -> None:
    d = Discovery("example.com", "smtp.example.com", "srv-submissions")
    assert explain_discovery(d) == ("Your e-mail provider's sending server is smtp.example.com "
                                    "(published by your provider).")


@pytest.mark.parametrize("failure, cause, words", [
    ("nxdomain", "dns_not_found", "does not exist"),
    ("dns_error", "dns_failure", "did not answer"),
    ("cancelled", "cancelled", "was stopped"),
])
def test_explanations_when_nothing_was_found(failure: str, cause: str, words: str) -> None:
    d = Discovery(DOMAIN, None, "none", failure=failure)
    assert d.cause == cause and words in explain_discovery(d) and DOMAIN in explain_discovery(d)


# -- dns_query itself ---------------------------------------------------------------------


def test_dns_query_texts_and_order(world: World) -> None:
    world.add(DOMAIN, "MX", "20 B.example.test.", "10 a.example.test")
    world.add(f"_submission._tcp.{DOMAIN}", "SRV", "1 0 587 c.example.test", "0 1 587 b.example.test",
              "0 5 588 a.example.test")
    world.add(DOMAIN, "TXT", "v=spf1 -all")
    net = world.net
    assert net.dns_query(DOMAIN, "mx", 1.0) == ["10 a.example.test", "20 b.example.test"]
    assert net.dns_query(f"_submission._tcp.{DOMAIN}", "SRV", 1.0) == [
        "0 5 588 a.example.test", "0 1 587 b.example.test", "1 0 587 c.example.test"]
    assert net.dns_query(DOMAIN + ".", "TXT", 1.0) == ["v=spf1 -all"]
    with pytest.raises(ProbeError) as no_record:
        net.dns_query(DOMAIN, "SRV", 1.0)
    assert (no_record.value.failure, no_record.value.detail) == (
        "nxdomain", "example.test SRV: no such record")
    with pytest.raises(ProbeError) as no_name:
        net.dns_query("nothing.example.test", "MX", 1.0)
    assert no_name.value.failure == "nxdomain" and "NXDOMAIN" in no_name.value.detail
    with pytest.raises(ValueError):
        net.dns_query(DOMAIN, "CNAME", 1.0)


def test_dns_query_failures(world: World) -> None:
    world.servfail("broken.example.test")
    with pytest.raises(ProbeError) as failed:
        world.net.dns_query("broken.example.test", "MX", 1.0)
    assert failed.value.failure == "dns_error" and "SERVFAIL" in failed.value.detail
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ProbeError) as stopped:
        world.net.dns_query(DOMAIN, "MX", 1.0, cancel)
    assert stopped.value.failure == "cancelled"


def test_a_name_server_that_refuses_is_told_by_the_one_error_map(server: DnsServer) -> None:
    """A real failing look-up: the name server on loopback answers "truncated", so the
    library asks again over TCP, where the port refuses (a bound TCP socket that does not
    listen: the kernel answers with a reset).  The socket error is named by
    net.failure_of (contract section 5), and the look-up is a failed name service."""
    server.truncated("big.example.test")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(server.address)  # the same port over TCP: taken, never listening
        with pytest.raises(ProbeError) as refused:
            Network(nameservers=[server.address]).dns_query("big.example.test", "MX", 2.0)
    assert refused.value.failure == "dns_error"
    assert refused.value.detail == ("big.example.test MX: the name service failed "
                                    "(Truncated, refused (ConnectionRefusedError))")
    assert ("big.example.test", "MX") in server.queries


def test_dns_query_honours_timeout_and_cancel(server: DnsServer) -> None:
    server.silent("slow.example.test")
    net = Network(nameservers=[server.address])
    t = time.monotonic()
    with pytest.raises(ProbeError) as late:
        net.dns_query("slow.example.test", "MX", 0.3)
    assert late.value.failure == "dns_error" and time.monotonic() - t < 0.3 + 0.2
    cancel = threading.Event()
    timer = threading.Timer(0.1, cancel.set)
    timer.start()
    t = time.monotonic()
    try:
        with pytest.raises(ProbeError) as stopped:
            net.dns_query("slow.example.test", "MX", 5.0, cancel)
    finally:
        timer.join()
    assert stopped.value.failure == "cancelled" and time.monotonic() - t < 0.1 + 0.2
    assert ("slow.example.test", "MX") in server.queries


def test_default_network_uses_the_system_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Network() reads the system's resolver configuration (here: there is none)."""
    import dns.resolver

    def no_configuration(*args: object, **kwargs: object) -> None:
        raise dns.resolver.NoResolverConfiguration

    monkeypatch.setattr(dns.resolver, "Resolver", no_configuration)
    net = Network()
    assert net.nameservers is None
    with pytest.raises(ProbeError) as failed:
        net.dns_query(DOMAIN, "MX", 1.0)
    assert failed.value.failure == "dns_error" and "no name server" in failed.value.detail


def test_simnet_records_are_checked() -> None:
    sim = SimNetwork({})
    with pytest.raises(ValueError):
        sim.add_records("example.test", "A", ["192.0.2.1"])
    with pytest.raises(ValueError):
        sim.add_records("example.test", "SRV", ["0 1 mail.example.test"])
    with pytest.raises(ValueError):
        sim.add_records("example.test", "MX", ["ten mail.example.test"])
    sim.add_records("Example.TEST.", "MX", ["10 Mail.Example.Test.", "10 mail.example.test"])
    assert sim.dns_query("example.test", "MX", 1.0) == ["10 mail.example.test"]


# -- the provider list --------------------------------------------------------------------


def test_provider_list_is_well_formed() -> None:
    data = json.loads((data_dir() / "providers.json").read_text(encoding="utf-8"))
    seen: set[str] = set()
    for entry in data["providers"]:
        assert entry["name"] and entry["domains"]
        for domain in entry["domains"]:
            assert domain == domain.lower().strip() and domain not in seen
            seen.add(domain)
        assert entry["host"] == entry["host"].lower() and "." in entry["host"]
    assert len(providers()) == len(data["providers"])
    assert provider_for("GMAIL.com").host == "smtp.gmail.com"  # type: ignore[union-attr]
    assert provider_for("example.test") is None


def test_parse_srv() -> None:
    assert parse_srv("0 1 465 Smtp.Example.Test.") is not None
    assert parse_srv("0 1 465 smtp.example.test").target == "smtp.example.test"  # type: ignore[union-attr]
    assert parse_srv("0 0 0 .").offered is False  # type: ignore[union-attr]
    for bad in ("", "0 1 465", "a b c d", "0 1 70000 x.test"):
        assert parse_srv(bad) is None
