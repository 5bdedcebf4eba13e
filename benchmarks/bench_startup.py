#!/usr/bin/env python3
"""Start-up and a healthy 3-port check, side by side with sequential swaks (not a test:
prints numbers; exits 1 if a target is missed).

smtpdiag is measured as a customer has it: installed from a wheel into a fresh
virtual environment (``pip install .``, which compiles the bytecode) and started
from a folder that is not the source tree.  (Run from the source tree with
PYTHONDONTWRITEBYTECODE set, as on the project machine, Python would compile every
module at every start: about 90 ms more.)

1. ``python -X importtime -m smtpdiag check ...`` of a healthy check: the sum of the
   imports' own times (target: under 80 ms), and the CPU time the same imports take
   (less sensitive to a busy machine than wall time).
2. A healthy check of 3 ports on loopback (aiosmtpd with a trustme certificate:
   STARTTLS, implicit TLS, STARTTLS), the whole command including Python start-up,
   median of N runs (target: at most 0.25 s).
3. The same three ports with swaks, one process after the other (connect, EHLO,
   STARTTLS or TLS on connect with verification, EHLO, QUIT): what an admin's
   script does.  smtpdiag should be faster.

On Linux with two or more CPUs the loopback servers (in this process) keep to the
first CPU and every measured command (smtpdiag, swaks) to the second, so the two do
not take turns on one CPU (sched_setaffinity; elsewhere nothing is pinned).

usage: python benchmarks/bench_startup.py [--runs N] [--python PATH]
   (needs swaks: apt-get install swaks libnet-ssleay-perl libio-socket-ssl-perl;
    --python: an interpreter that already has smtpdiag installed, to skip the install)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def installed_python(workdir: str) -> str:
    """A fresh virtual environment with smtpdiag installed from this tree (not editable)."""
    venv = f"{workdir}/venv"
    # Without pip and setuptools in it, as an installed app has them (setuptools' .pth hook
    # would otherwise run at every start): this interpreter's pip installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = f"{venv}/bin/python"
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--disable-pip-version-check",
                    str(ROOT)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def three_servers() -> Iterator[tuple[list[tuple[int, str]], str]]:
    """Ports (STARTTLS, implicit, STARTTLS) on 127.0.0.1 and the CA file that trusts them."""
    import trustme
    from aiosmtpd.controller import Controller

    ca = trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    ports = [(free_port(), "starttls"), (free_port(), "implicit"), (free_port(), "starttls")]
    controllers = []
    for port, mode in ports:
        if mode == "implicit":
            c = Controller(object(), hostname="127.0.0.1", port=port, ssl_context=ctx)
        else:
            c = Controller(object(), hostname="127.0.0.1", port=port, tls_context=ctx)
        c.start()
        controllers.append(c)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ca_file = f"{tmp}/ca.pem"
            ca.cert_pem.write_to_path(ca_file)
            yield ports, ca_file
    finally:
        for c in controllers:
            c.stop()


def _pinning() -> tuple[set[int], set[int]] | None:
    """(the servers' CPUs, the measured commands' CPUs), or None where that is not possible."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return ({cpus[0]}, set(cpus[1:])) if len(cpus) >= 2 else None


PIN = _pinning()


def _on_measuring_cpus() -> None:
    if PIN is not None:
        os.sched_setaffinity(0, PIN[1])


def timed(cmd: list[str], cwd: str | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, cwd=cwd,
                            preexec_fn=_on_measuring_cpus if PIN else None)
    return time.perf_counter() - t, result


def import_ms(importtime_stderr: str) -> float:
    total = 0
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            total += int(line.split("|")[0].split(":")[1])
    return total / 1000


def import_cpu_ms(python: str, modules: list[str], cwd: str) -> float:
    code = ("import importlib, time; t = time.process_time()\n"
            f"for m in {modules!r}:\n"
            "    try: importlib.import_module(m)\n"
            "    except Exception: pass\n"
            "print(time.process_time() - t)")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60, cwd=cwd,
                         preexec_fn=_on_measuring_cpus if PIN else None).stdout
    return float(out) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--python", help="an interpreter with smtpdiag installed (default: install into a new venv)")
    args = parser.parse_args()
    swaks = shutil.which("swaks")
    venv_dir = tempfile.mkdtemp(prefix="smtpdiag-bench-")
    try:
        return measure(args.runs, args.python or installed_python(venv_dir), swaks)
    finally:
        shutil.rmtree(venv_dir, ignore_errors=True)


def measure(runs: int, python: str, swaks: str | None) -> int:
    ok = True
    if PIN is not None:
        os.sched_setaffinity(0, PIN[0])  # this process: the servers' threads (started below) keep to it
        print(f"pinned: loopback servers on CPU {sorted(PIN[0])}, measured commands on CPUs {sorted(PIN[1])}")
    with three_servers() as (ports, ca_file), tempfile.TemporaryDirectory() as work:
        cmd = [python, "-m", "smtpdiag", "check", "127.0.0.1", "--no-control", "--ca-file", ca_file,
               "--format", "json"]
        for port, mode in ports:
            cmd += ["--port", f"{port}:{mode}"]
        ours: list[float] = []
        theirs: list[float] = []
        imports: list[float] = []
        cpu: list[float] = []
        for _ in range(runs):
            seconds, result = timed(cmd, cwd=work)
            assert result.returncode == 0, result.stdout + result.stderr  # green: every port works
            ours.append(seconds)
            _s, imp = timed([python, "-X", "importtime", *cmd[1:]], cwd=work)
            imports.append(import_ms(imp.stderr))
            modules = [line.split("|")[2].strip() for line in imp.stderr.splitlines()
                       if line.startswith("import time:") and "self [us]" not in line]
            cpu.append(import_cpu_ms(python, [m for m in modules if "__main__" not in m], work))
            if swaks:
                t = time.perf_counter()
                for port, mode in ports:
                    tls = ["--tls-on-connect"] if mode == "implicit" else ["--tls"]
                    r = subprocess.run([swaks, "--server", f"127.0.0.1:{port}", *tls, "--tls-verify",
                                        "--tls-ca-path", ca_file, "--quit-after", "HELO", "--helo", "bench.test",
                                        "--to", "nobody@example.com", "--hide-all"],
                                       capture_output=True, text=True, timeout=60,
                                       preexec_fn=_on_measuring_cpus if PIN else None)
                    assert r.returncode == 0, r.stdout + r.stderr
                theirs.append(time.perf_counter() - t)
    print(f"runs: {runs}; 3 ports on loopback (STARTTLS, implicit TLS, STARTTLS), verified TLS")
    print(f"smtpdiag check, whole command: median {statistics.median(ours):.3f} s, "
          f"min {min(ours):.3f} s, max {max(ours):.3f} s (target <= 0.25 s median)")
    if theirs:
        print(f"swaks x3 sequential:          median {statistics.median(theirs):.3f} s, "
              f"min {min(theirs):.3f} s, max {max(theirs):.3f} s")
    print(f"imports (-X importtime, sum of self): median {statistics.median(imports):.0f} ms, "
          f"min {min(imports):.0f} ms (target < 80 ms)")
    print(f"the same imports, CPU time: median {statistics.median(cpu):.0f} ms, min {min(cpu):.0f} ms")
    from smtpdiag.host.vpn import local_vpn_state

    host: list[float] = []
    for _ in range(runs):
        t = time.perf_counter()
        local_vpn_state()
        host.append((time.perf_counter() - t) * 1000)
    print(f"this computer's VPN state (host.vpn.local_vpn_state): median {statistics.median(host):.1f} ms "
          f"(target < 50 ms on Linux)")
    ok &= statistics.median(ours) <= 0.25 and statistics.median(imports) < 80
    if theirs:
        ok &= statistics.median(ours) < statistics.median(theirs)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
