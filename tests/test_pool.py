"""The run's bounded pool of worker threads (smtpdiag.workers) under the engine: more
work than workers, reference checks that decide a target's row, cancel with every
worker busy, and a bug inside a task.  Real servers on loopback (the simulated network:
aiosmtpd, trustme certificates, the fault proxy)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from dns_server import DnsServer, LoopbackResolverNetwork
from scenario_expectations import GREEN, Expect

from smtpdiag.config import PortSpec, RunConfig
from smtpdiag.engine import CheckFinished, Diagnosis, Event, Finished, Planned, StepRecorded
from smtpdiag.net import Network, ProbeError
from smtpdiag.simnet.behaviours import by_port
from smtpdiag.simnet.rules import ProxyRule
from smtpdiag.simnet.scenarios import Scenario
from smtpdiag.simnet.world import start_scenario
from smtpdiag.workers import Pool

TIMEOUT = 1.5

CUT, DROPPED, CLOSED = 3002, 3003, 3004


def big_world(ports: int = 6) -> tuple[Scenario, dict[int, Expect]]:
    """*ports* ports on the target (IPv4 and IPv6) and on both reference servers: one cut
    by the network for everybody (the reference servers decide: ``network``), one where
    only the target has nothing listening (``server``), one silently dropped; the rest work.
    Returns the world and the verdict each target port should get."""
    specs = tuple(PortSpec(3000 + i, "implicit" if i % 2 else "starttls") for i in range(ports))
    expected = {p.port: GREEN for p in specs}
    expected[CUT] = Expect("red", "tcp_reset", "network")
    expected[CLOSED] = Expect("red", "tcp_refused", "server")
    expected[DROPPED] = Expect("red", "tcp_timeout", "network")
    return Scenario("pool", "pool", "pool", ports=specs, target_ipv6=True,
                    network={CUT: ProxyRule.of("reset_on_connect"), DROPPED: ProxyRule.of("drop")},
                    target_servers=by_port({CLOSED: None})), expected


def test_more_checks_than_workers_with_reference_checks_deciding_rows_finishes_right() -> None:
    """18 checks (27 attempts with the target's IPv6) on 3 workers: the targets whose cause
    the reference servers decide wait for them without holding a worker, so no deadlock,
    and each row is shown once, after the reference rows of its port."""
    scenario, expected = big_world()
    events: list[Event] = []
    with start_scenario(scenario) as sim:
        diagnosis = Diagnosis(sim.config(timeout=TIMEOUT, time_server=None), network=sim.network,
                              on_event=events.append, workers=3)
        diagnosis.start()
        result = diagnosis.wait(60)
    assert result is not None, "the run did not finish: a task waited for a queued one"
    got = {c.port: (c.light, c.cause, c.where) for c in result.checks if c.role == "target"}
    assert got == {port: e.verdict for port, e in expected.items()}
    assert len(result.checks) == 18
    assert [a.family for a in next(c for c in result.checks if c.id == "target-3000").attempts] == ["ipv4", "ipv6"]
    # the events a window relies on: the plan first, one row event per check, Finished last
    assert isinstance(events[0], Planned) and isinstance(events[-1], Finished)
    assert sum(isinstance(e, (Planned, Finished)) for e in events) == 2
    finished = [e.check for e in events if isinstance(e, CheckFinished)]
    assert sorted(c.id for c in finished) == sorted(c.id for c in result.checks)
    order = {c.id: i for i, c in enumerate(finished)}
    for row in finished:
        if row.role == "target" and row.port in (CUT, CLOSED, DROPPED):
            # shown with its final words: after every reference row of its port
            refs = [c.id for c in result.checks if c.role == "control" and c.port == row.port]
            assert len(refs) == 2 and all(order[r] < order[row.id] for r in refs)
            final = next(c for c in result.checks if c.id == row.id)
            assert (row.light, row.cause, row.where) == (final.light, final.cause, final.where)
    # no step of a check after its row
    for i, e in enumerate(events):
        if isinstance(e, StepRecorded):
            assert i < events.index(next(f for f in events if isinstance(f, CheckFinished)
                                         and f.check.id == e.check_id))


def test_the_threads_of_a_big_run_stay_within_the_pool_and_end_with_it() -> None:
    scenario, _expected = big_world(8)
    before = set(threading.enumerate())
    seen: set[threading.Thread] = set()
    most = 0

    def sample(event: Event) -> None:
        nonlocal most
        mine = [t for t in threading.enumerate() if t not in before]
        seen.update(mine)
        most = max(most, len(mine))

    with start_scenario(scenario) as sim:
        before = set(threading.enumerate())
        result = Diagnosis(sim.config(timeout=TIMEOUT, time_server=None), network=sim.network,
                           on_event=sample, workers=4).run()
        assert len(result.checks) == 24
    workers = {t for t in seen if t.name.startswith("smtpdiag-worker")}
    # at most 4 workers; besides them only look-ups of names (3 hosts x 2 families)
    assert 1 <= len(workers) <= 4
    assert most <= 4 + 3 * 2
    assert all(t.name.startswith(("smtpdiag-worker", "smtpdiag-resolve")) for t in seen), seen
    # the run's pool is closed when it finishes: its workers end
    for t in workers:
        t.join(10)
    assert not any(t.is_alive() for t in workers)


def test_cancel_with_every_worker_busy_and_work_queued_returns_at_once() -> None:
    """Every port silently dropped, a timeout of 60 s and 2 workers for 12 checks: a run of
    minutes.  Cancelled, the busy workers stop waiting and the queued attempts connect
    nowhere, so the result comes back (bounded here by far less than one timeout)."""
    specs = tuple(PortSpec(3100 + i, "starttls") for i in range(4))
    dropped = Scenario("dropped", "dropped", "dropped", ports=specs,
                       network={p.port: ProxyRule.of("drop") for p in specs})
    events: list[Event] = []
    with start_scenario(dropped) as sim:
        diagnosis = Diagnosis(sim.config(timeout=60, time_server=None), network=sim.network,
                              on_event=events.append, workers=2)
        diagnosis.start()
        assert diagnosis.wait(0.5) is None  # both workers are in a connect that gets no answer
        diagnosis.cancel()
        result = diagnosis.wait(20)
    assert result is not None
    assert all((c.light, c.cause) == ("grey", "cancelled") for c in result.checks)
    assert isinstance(events[-1], Finished)


def test_cancel_while_the_discovery_waits_for_a_silent_name_server() -> None:
    """An e-mail address whose name server never answers (a real DNS server on loopback),
    timeout 60: cancelled, the search's look-ups stop waiting, its row and the ports that
    waited for it are grey "cancelled", and Finished comes last."""
    with DnsServer() as dns_server:
        dns_server.silent("_submissions._tcp.silent.test", "_submission._tcp.silent.test", "smtp.silent.test",
                          "mail.silent.test", "silent.test")
        config = RunConfig(target="someone@silent.test", host="silent.test", email_domain="silent.test",
                           ports=(PortSpec(587, "starttls"),), controls=(), timeout=60, families=("ipv4",))
        events: list[Event] = []
        diagnosis = Diagnosis(config, network=LoopbackResolverNetwork(nameservers=[dns_server.address]),
                              on_event=events.append)
        diagnosis.start()
        assert diagnosis.wait(0.3) is None
        diagnosis.cancel()
        result = diagnosis.wait(20)
    assert result is not None
    assert [(c.id, c.light, c.cause) for c in result.checks] == [
        ("discover", "grey", "cancelled"), ("target-587", "grey", "cancelled")]
    assert isinstance(events[0], Planned) and isinstance(events[-1], Finished)


class BrokenResolver(Network):
    """A real network whose resolver has a programming error in it."""

    def resolve(self, host: str, family: str, timeout: float,
                cancel: threading.Event | None = None) -> list[str]:
        raise KeyError("a bug in the look-up")


class BrokenDns(Network):
    """A real network whose DNS record look-ups have a programming error in them."""

    def dns_query(self, name: str, rdtype: str, timeout: float,
                  cancel: threading.Event | None = None) -> list[str]:
        raise ZeroDivisionError("a bug in the DNS look-up")

    def resolve(self, host: str, family: str, timeout: float,
                cancel: threading.Event | None = None) -> list[str]:
        raise ProbeError("nxdomain", f"{host}: no such name")


def test_a_bug_in_a_look_up_task_is_internal_error_with_its_traceback(run_log: Callable[[], str]) -> None:
    config = RunConfig(target="mail.broken.test", host="mail.broken.test", ports=(PortSpec(587, "starttls"),),
                       controls=(), timeout=TIMEOUT, families=("ipv4", "ipv6"))
    result = Diagnosis(config, network=BrokenResolver()).run()
    check = result.checks[0]
    assert (check.light, check.cause, check.where) == ("grey", "internal_error", "unknown")
    assert "KeyError" in check.steps[-1].detail
    assert "Traceback (most recent call last)" in run_log() and "\nKeyError" in run_log()


def test_a_bug_in_the_discovery_task_is_internal_error_for_it_and_the_ports_waiting(
        run_log: Callable[[], str]) -> None:
    config = RunConfig(target="someone@broken.test", host="broken.test", email_domain="broken.test",
                       ports=(PortSpec(587, "starttls"), PortSpec(465, "implicit")), controls=(),
                       timeout=TIMEOUT, families=("ipv4",))
    events: list[Event] = []
    result = Diagnosis(config, network=BrokenDns(), on_event=events.append).run()
    assert [(c.id, c.cause) for c in result.checks] == [
        ("discover", "internal_error"), ("target-587", "internal_error"), ("target-465", "internal_error")]
    assert "ZeroDivisionError: a bug in the DNS look-up" in run_log()
    assert isinstance(events[-1], Finished)
    assert sorted(e.check.id for e in events if isinstance(e, CheckFinished)) == \
        ["discover", "target-465", "target-587"]


def test_a_face_whose_event_handler_breaks_does_not_stop_the_run(run_log: Callable[[], str]) -> None:
    def broken(event: Event) -> None:
        if isinstance(event, StepRecorded):
            raise RuntimeError("a bug in the window")

    with start_scenario("port25-blocked") as sim:
        diagnosis = Diagnosis(sim.config(timeout=TIMEOUT, time_server=None), network=sim.network, on_event=broken)
        diagnosis.start()
        result = diagnosis.wait(60)
    assert result is not None
    assert {c.port: c.cause for c in result.checks if c.role == "target"} == {
        25: "tcp_timeout", 465: "ok", 587: "ok", 2525: "ok"}
    assert "event handler failed on StepRecorded" in run_log() and "RuntimeError: a bug in the window" in run_log()


def test_the_pool_never_starts_more_workers_than_its_size_and_runs_everything() -> None:
    pool = Pool(3, name="smtpdiag-worker-test")
    gate = threading.Event()
    ran: list[int] = []
    lock = threading.Lock()

    def task(i: int) -> None:
        gate.wait(10)
        with lock:
            ran.append(i)

    before = set(threading.enumerate())
    for i in range(20):
        pool.submit(task, i)
    started = [t for t in threading.enumerate() if t not in before]
    assert len(started) == 3 and pool.threads == 3
    gate.set()
    pool.close()
    for t in started:
        t.join(10)
    assert sorted(ran) == list(range(20))
    assert pool.threads == 0
    with pytest.raises(RuntimeError):
        pool.submit(task, 0)


def test_a_task_that_raises_does_not_end_its_worker(run_log: Callable[[], str]) -> None:
    pool = Pool(1, name="smtpdiag-worker-test")
    done = threading.Event()

    def broken() -> None:
        raise ValueError("a bug")

    pool.submit(broken)
    pool.submit(done.set)
    assert done.wait(10)
    pool.close()
    assert "a task failed unexpectedly" in run_log() and "ValueError: a bug" in run_log()
