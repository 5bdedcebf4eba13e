#!/usr/bin/env python3
"""Speed and budget of the transport (not a test: prints numbers, exits 1 if a target is missed).

1. The carrier reset of 2011/12 on real sockets: every encrypted port cut at the
   start of TLS (465 right after the TCP handshake, 587 and 2525 right after the
   server's 220 to STARTTLS), the reference server cut the same way.  Wall time
   of the diagnosis after start-up (imports done), with the default --timeout 10:
   target under 0.5 s (the verdict needs no timeout to pass).
2. The same story on the simulated network's fault proxy (scenario mobile-2012,
   ports 465 and 587, reset at the ClientHello and after STARTTLS).
3. A server that drips every reply one byte at a time, each reply just inside the
   timeout, with a certificate this computer does not trust (so the second look
   must redo greeting, EHLO and STARTTLS): no step may exceed --timeout and the
   check must end under (number of its steps) x timeout.

usage: python benchmarks/bench_transport.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def bench_carrier_reset(runs: int) -> dict[str, float | str]:
    import trustme
    from hostile import HostileServer, reset, smtp_until_starttls

    from smtpdiag.config import PortSpec, RunConfig
    from smtpdiag.net import Network
    from smtpdiag.report.model import diagnose

    def at_accept(conn):  # type: ignore[no-untyped-def]
        reset(conn)

    def after_220(conn):  # type: ignore[no-untyped-def]
        smtp_until_starttls(conn)
        reset(conn)

    trustme.CA()  # warm the key generator like a started program would have
    times: list[float] = []
    verdicts = set()
    with HostileServer(at_accept) as p465, HostileServer(after_220) as p587, HostileServer(after_220) as p2525:
        ports = (PortSpec(p465.port, "implicit"), PortSpec(p587.port, "starttls"), PortSpec(p2525.port, "starttls"))
        config = RunConfig(target="127.0.0.1", host="127.0.0.1", ports=ports, controls=("127.0.0.1",),
                           timeout=10.0, families=("ipv4",))
        diagnose(config, network=Network())  # warm-up: first TLS context, first imports
        for _ in range(runs):
            t = time.perf_counter()
            report = diagnose(config, network=Network())
            times.append(time.perf_counter() - t)
            o = report.overall
            verdicts.add((o["light"], o["cause"], o["where"]))
    return {"median": statistics.median(times), "max": max(times),
            "verdict": " / ".join(sorted(map(str, verdicts)))}


def bench_mobile_2012(runs: int) -> dict[str, float | str]:
    from smtpdiag.config import PortSpec
    from smtpdiag.report.model import diagnose
    from smtpdiag.simnet.world import start_scenario

    times: list[float] = []
    verdicts = set()
    with start_scenario("mobile-2012") as sim:
        config = sim.config(timeout=10.0, ports=(PortSpec(465, "implicit"), PortSpec(587, "starttls")))
        diagnose(config, network=sim.network)
        for _ in range(runs):
            t = time.perf_counter()
            report = diagnose(config, network=sim.network)
            times.append(time.perf_counter() - t)
            o = report.overall
            verdicts.add((o["light"], o["cause"], o["where"]))
    return {"median": statistics.median(times), "max": max(times),
            "verdict": " / ".join(sorted(map(str, verdicts)))}


def bench_drip(timeout: float) -> dict[str, float | str]:
    import trustme
    from hostile import HostileServer
    from test_transport import drip_server

    from smtpdiag.net import Network
    from smtpdiag.probe.smtp import ProbeSettings, probe_smtp
    from smtpdiag.verdict import classify

    with HostileServer(drip_server(trustme.CA().issue_cert("127.0.0.1"), 0.04)) as server:
        settings = ProbeSettings(host="127.0.0.1", port=server.port, mode="starttls", timeout=timeout)
        t = time.perf_counter()
        attempt = probe_smtp(Network(), "127.0.0.1", settings, threading.Event())
        total = time.perf_counter() - t
    slowest = max(attempt.steps, key=lambda s: s.ms)
    return {"total": total, "steps": len(attempt.steps), "budget": len(attempt.steps) * timeout,
            "max_step": slowest.ms / 1000, "max_step_name": slowest.step,
            "cause": classify([attempt], server.port).cause}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1.6, help="--timeout of the drip check")
    args = parser.parse_args()
    failed = False

    r = bench_carrier_reset(args.runs)
    ok = float(r["max"]) < 0.5
    failed |= not ok
    print(f"carrier reset, real sockets (465/587/2525 + reference, --timeout 10): "
          f"median {float(r['median']):.3f} s, max {float(r['max']):.3f} s, overall {r['verdict']} "
          f"[{'ok' if ok else 'MISSED'}: < 0.5 s]")

    r = bench_mobile_2012(args.runs)
    ok = float(r["max"]) < 0.5
    failed |= not ok
    print(f"carrier reset, simulated network mobile-2012 (465/587 + 2 references, --timeout 10): "
          f"median {float(r['median']):.3f} s, max {float(r['max']):.3f} s, overall {r['verdict']} "
          f"[{'ok' if ok else 'MISSED'}: < 0.5 s]")

    d = bench_drip(args.timeout)
    ok = float(d["max_step"]) <= args.timeout + 0.15 and float(d["total"]) < float(d["budget"])
    failed |= not ok
    print(f"dripping server, --timeout {args.timeout:g}: check {float(d['total']):.2f} s for {d['steps']} steps "
          f"(budget {float(d['budget']):.1f} s), slowest step {d['max_step_name']} {float(d['max_step']):.2f} s, "
          f"cause {d['cause']} [{'ok' if ok else 'MISSED'}]")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
