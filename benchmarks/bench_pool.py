#!/usr/bin/env python3
"""Threads and wall time of a big run (not a test: prints numbers).

A simulated world on loopback (smtpdiag.simnet: real aiosmtpd servers, trustme
certificates, the fault proxy) with many ports: the target over IPv4 and IPv6 and two
reference servers on every port, some ports cut by the "network" (reset on connect:
``tcp_reset``, whose "where" the reference servers decide) and some silently dropped
(``tcp_timeout``).  Measures the wall time of ``Diagnosis.run()`` and the most threads
alive at once during it (sampled every 5 ms), in total and by kind (pool workers,
abandonable look-ups, others).

With ``--scenario NAME`` the same is measured for a named scenario of the simulated
network (``healthy``: 4 ports, the target over IPv4 and IPv6, two reference servers).

usage: python benchmarks/bench_pool.py [--runs N] [--ports N] [--timeout S] [--scenario NAME]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def world(ports: int):  # type: ignore[no-untyped-def]
    """The world and the verdict (light, cause, where) each target port should get."""
    from smtpdiag.config import PortSpec
    from smtpdiag.simnet.rules import ProxyRule
    from smtpdiag.simnet.scenarios import Scenario

    specs = tuple(PortSpec(3000 + i, "starttls") for i in range(ports))
    reset = {p.port: ProxyRule.of("reset_on_connect") for p in specs[::4]}
    drop = {p.port: ProxyRule.of("drop") for p in specs[2::4]}
    expected = {p.port: ("green", "ok", "none") for p in specs}
    expected.update({port: ("red", "tcp_reset", "network") for port in reset})
    expected.update({port: ("red", "tcp_timeout", "network") for port in drop})
    return Scenario("big", "big", "big", ports=specs, network={**reset, **drop}, target_ipv6=True), expected


def kind(name: str) -> str:
    if name.startswith("smtpdiag-worker"):
        return "pool"
    if name.startswith(("smtpdiag-resolve", "smtpdiag-call", "smtpdiag-discover")):
        return "look-up"
    if name.startswith("smtpdiag"):
        return "other smtpdiag"
    return "not smtpdiag"


def one_run(ports: int, timeout: float, name: str | None = None) -> tuple[float, int, dict[str, int], bool]:
    from smtpdiag.engine import Diagnosis
    try:
        from smtpdiag.simnet.world import start_scenario
    except ImportError:  # before the scenarios split (2026-11-30)
        from smtpdiag.simnet.scenarios import start_scenario  # type: ignore[no-redef]

    scenario, expected = (name, None) if name else world(ports)
    with start_scenario(scenario) as sim:
        base = {t.ident for t in threading.enumerate()}
        peak, peak_kinds = 0, collections.Counter[str]()
        diagnosis = Diagnosis(sim.config(timeout=timeout, time_server=None), network=sim.network)
        t = time.perf_counter()
        diagnosis.start()
        while diagnosis.wait(0.005) is None:
            mine = [th for th in threading.enumerate() if th.ident not in base]
            if len(mine) > peak:
                peak, peak_kinds = len(mine), collections.Counter(kind(th.name) for th in mine)
        seconds = time.perf_counter() - t
        result = diagnosis.wait()
    assert result is not None
    got = {c.port: (c.light, c.cause, c.where) for c in result.checks if c.role == "target"}
    return seconds, peak, dict(peak_kinds), expected is None or got == expected


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ports", type=int, default=24)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--scenario", help="a named scenario instead of the big world")
    args = parser.parse_args()
    times, peaks, right = [], [], True
    for _ in range(args.runs):
        seconds, peak, kinds, ok = one_run(args.ports, args.timeout, args.scenario)
        times.append(seconds)
        peaks.append(peak)
        right &= ok
        print(f"run: {seconds:.3f} s, peak threads {peak} {kinds}, verdicts {'right' if ok else 'WRONG'}")
    if args.scenario:
        print(f"scenario {args.scenario}, timeout {args.timeout:g} s")
    else:
        print(f"{args.ports} ports x (target IPv4+IPv6, 2 reference servers) = {args.ports * 3} checks, "
              f"timeout {args.timeout:g} s")
    print(f"wall: median {statistics.median(times):.3f} s, min {min(times):.3f}, max {max(times):.3f}")
    print(f"peak threads: median {statistics.median(peaks):g}, max {max(peaks)}")
    return 0 if right else 1


if __name__ == "__main__":
    sys.exit(main())
