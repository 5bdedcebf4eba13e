#!/usr/bin/env python3
"""Speed of `smtpdiag check` (not a test: prints numbers, exits 1 if a target is missed).

1. A full check of 4 ports plus a reference server, where one port is silently
   dropped by a firewall (nftables in a network namespace of our own): target is
   the timeout plus under half a second, not 4 x timeout.
2. A healthy check on loopback (a real aiosmtpd server with a trustme
   certificate), wall time of the whole command including Python start-up:
   target under one second.
3. `python -X importtime` of a check: PySide6 must not be imported.

usage: python benchmarks/bench_check.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    return time.perf_counter() - t, result


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bench_dropped_port(timeout: float, runs: int) -> dict[str, float] | str:
    import trustme
    from netns import namespace_hosts, netns_unavailable, smtp_servers

    reason = netns_unavailable()
    if reason:
        return f"skipped: {reason}"
    ca = trustme.CA()
    times = []
    with tempfile.TemporaryDirectory() as tmp, namespace_hosts(2) as hosts:
        target, ref = hosts.addr(2), hosts.addr(3)
        leaf = ca.issue_cert(target, ref)
        cert, key, ca_file = f"{tmp}/c.pem", f"{tmp}/k.pem", f"{tmp}/ca.pem"
        leaf.cert_chain_pems[0].write_to_path(cert)
        leaf.private_key_pem.write_to_path(key)
        ca.cert_pem.write_to_path(ca_file)
        listeners = [f"{a}:{p}:{m}" for a in (target, ref)
                     for p, m in ((25, "starttls"), (465, "implicit"), (587, "starttls"), (2525, "starttls"))]
        with smtp_servers(hosts, cert, key, listeners):
            hosts.nft("tcp dport 465 drop")
            for _ in range(runs):
                seconds, result = timed([sys.executable, "-m", "smtpdiag", "check", target, "--timeout",
                                         str(timeout), "--ca-file", ca_file, "--control", ref, "--format", "json"])
                report = json.loads(result.stdout)
                causes = {c["port"]: c["cause"] for c in report["checks"] if c["role"] == "target"}
                assert causes[465] == "tcp_timeout", causes
                times.append(seconds)
    return {"timeout": timeout, "median_s": statistics.median(times), "max_s": max(times),
            "over_timeout_s": max(times) - timeout}


def bench_healthy(runs: int) -> dict[str, float]:
    import ssl

    import trustme
    from aiosmtpd.controller import Controller

    ca = trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    port = free_port()
    controller = Controller(object(), hostname="127.0.0.1", port=port, tls_context=ctx)
    controller.start()
    times = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ca_file = f"{tmp}/ca.pem"
            ca.cert_pem.write_to_path(ca_file)
            cmd = [sys.executable, "-m", "smtpdiag", "check", "127.0.0.1", "--port", f"{port}:starttls",
                   "--no-control", "--ca-file", ca_file, "--format", "json"]
            for _ in range(runs):
                seconds, result = timed(cmd)
                assert result.returncode == 0, result.stdout + result.stderr
                times.append(seconds)
            _s, imp = timed([sys.executable, "-X", "importtime", *cmd[1:]])
    finally:
        controller.stop()
    qt = [line for line in imp.stderr.splitlines() if "PySide6" in line or "shiboken" in line]
    return {"median_s": statistics.median(times), "max_s": max(times), "qt_modules_imported": len(qt)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args()
    ok = True
    healthy = bench_healthy(args.runs)
    print(f"healthy loopback check, whole command: median {healthy['median_s']:.3f} s, "
          f"max {healthy['max_s']:.3f} s (target < 1 s); Qt modules imported: {healthy['qt_modules_imported']}")
    ok &= healthy["max_s"] < 1.0 and healthy["qt_modules_imported"] == 0
    dropped = bench_dropped_port(args.timeout, max(1, args.runs // 2))
    if isinstance(dropped, str):
        print(f"dropped-port check: {dropped}")
    else:
        print(f"4 ports + reference, 465 dropped, timeout {dropped['timeout']:g} s: median "
              f"{dropped['median_s']:.3f} s, max {dropped['max_s']:.3f} s, "
              f"over the timeout {dropped['over_timeout_s']:.3f} s (target < 0.5 s)")
        ok &= dropped["over_timeout_s"] < 0.5
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
