#!/usr/bin/env python3
"""How responsive the window is.

    python benchmarks/bench_gui.py [--runs N] [--scenario NAME ...]

Measures, and compares with the targets:

* the GUI thread's longest stall while full checks run (a QTimer ticks every
  10 ms and records the largest gap between ticks; target < 50 ms), with the
  details pane open so every live step also redraws it;
* the time from launching ``python -m smtpdiag demo`` to a shown window (the
  child prints it when ``SMTPDIAG_EXIT_WHEN_SHOWN=1`` and quits; target < 1.5 s),
  both as seen from outside (process start to output) and inside (run_app to shown);
* peak memory (resource.getrusage max RSS) of this process and of the children.

Runs offscreen unless QT_QPA_PLATFORM says otherwise.  Exit status 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STALL_TARGET_MS = 50.0
SHOWN_TARGET_S = 1.5
TICK_MS = 10


class GapRecorder:
    """A QTimer that ticks every TICK_MS and records the gaps between its ticks."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        self.gaps.append(now - self._last)
        self._last = now

    @property
    def longest(self) -> float:
        """The longest gap (the first one includes the timer's own start-up)."""
        return max(self.gaps[1:] or [0.0])


def measure_stalls(scenarios: list[str], timeout: float) -> list[tuple[str, float, float, int]]:
    """(scenario, longest gap ms, run time s, ticks) for a full demo check of each scenario."""
    from PySide6.QtCore import QEventLoop, QSettings

    from smtpdiag.gui.app import make_application
    from smtpdiag.gui.window import MainWindow

    app = make_application()
    settings = QSettings(os.path.join(tempfile.mkdtemp(prefix="smtpdiag-bench-"), "s.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(mode="demo", settings=settings)
    window.demo_timeout = timeout
    window.resize(920, 860)
    window.show()
    window._set_details_visible(True)
    results = []
    for scenario in scenarios:
        window.select_scenario(scenario)
        recorder = GapRecorder()
        done: list[object] = []
        window.runner.finished.connect(done.append)
        recorder.start()
        started = time.perf_counter()
        window.start_check()
        deadline = started + 60
        while not done and time.perf_counter() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        # A little longer: showing the report and re-wrapping rows happen after Finished.
        settle = time.perf_counter() + 0.1
        while time.perf_counter() < settle:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        elapsed = time.perf_counter() - started
        recorder.stop()
        window.runner.finished.disconnect(done.append)
        if not done:
            raise RuntimeError(f"{scenario}: the check did not finish")
        results.append((scenario, recorder.longest, elapsed, len(recorder.gaps)))
    window.close()
    return results


# -- real servers in another process (as in real use: the servers are not in the window's process)
LOOPBACK_HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")  # the target and two reference servers


def serve_loopback() -> None:
    """Child process: real aiosmtpd servers (STARTTLS and implicit TLS) on three loopback
    addresses; prints the ports and the CA file, then serves until stdin closes."""
    import socket
    import ssl

    import trustme
    from aiosmtpd.controller import Controller

    ca = trustme.CA()
    cert = ca.issue_cert(*LOOPBACK_HOSTS)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    ca_file = os.path.join(tempfile.mkdtemp(prefix="smtpdiag-bench-ca-"), "ca.pem")
    ca.cert_pem.write_to_path(ca_file)

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    class Handler:
        pass

    ports = {"starttls": [free_port(), free_port()], "implicit": [free_port()]}
    controllers = []
    for host in LOOPBACK_HOSTS:
        for port in ports["starttls"]:
            controllers.append(Controller(Handler(), hostname=host, port=port, tls_context=context,
                                          require_starttls=False))
        for port in ports["implicit"]:
            controllers.append(Controller(Handler(), hostname=host, port=port, ssl_context=context))
    for controller in controllers:
        controller.start()
    spec = " ".join([f"{p}:starttls" for p in ports["starttls"]] + [f"{p}:implicit" for p in ports["implicit"]])
    print(f"{spec}|{ca_file}", flush=True)
    sys.stdin.read()
    for controller in controllers:
        controller.stop()


def measure_loopback_stalls(runs: int, timeout: float) -> list[tuple[str, float, float, int]]:
    """The same stall measurement for a check typed into the window, against real
    servers running in a child process."""
    from PySide6.QtCore import QEventLoop, QSettings

    from smtpdiag.gui.app import make_application
    from smtpdiag.gui.window import MainWindow

    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    ports, ca_file = server.stdout.readline().strip().split("|")
    app = make_application()
    settings = QSettings(os.path.join(tempfile.mkdtemp(prefix="smtpdiag-bench-"), "s.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(mode="main", settings=settings)
    window.resize(920, 860)
    window.show()
    window._set_details_visible(True)
    window.advanced.ports.setText(ports)
    window.advanced.controls.setText(" ".join(LOOPBACK_HOSTS[1:]))
    window.advanced.ca_file.setText(ca_file)
    window.advanced.timeout.setValue(timeout)
    window.set_target(LOOPBACK_HOSTS[0])
    results = []
    try:
        for n in range(runs):
            recorder = GapRecorder()
            done: list[object] = []
            window.runner.finished.connect(done.append)
            recorder.start()
            started = time.perf_counter()
            if not window.start_check():
                raise RuntimeError(window.error_message())
            while not done and time.perf_counter() < started + 60:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            elapsed = time.perf_counter() - started
            recorder.stop()
            window.runner.finished.disconnect(done.append)
            lights = [window.model.index(r, 1).data() for r in range(window.model.rowCount())]
            results.append((f"loopback run {n + 1} ({', '.join(lights)})", recorder.longest,
                            elapsed, len(recorder.gaps)))
    finally:
        window.close()
        server.stdin.close()
        server.wait(timeout=10)
    return results


def measure_launch(runs: int) -> tuple[list[float], list[float]]:
    """(outside, inside) seconds from launch to a shown window, *runs* times."""
    env = dict(os.environ, SMTPDIAG_EXIT_WHEN_SHOWN="1")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    outside, inside = [], []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "smtpdiag", "demo"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        line = ""
        for line in proc.stdout:
            if line.startswith("shown_after_s="):
                outside.append(time.perf_counter() - started)
                inside.append(float(line.split("=", 1)[1]))
                break
        proc.stdout.read()
        proc.wait(timeout=30)
        if not line.startswith("shown_after_s="):
            raise RuntimeError("the window was never shown")
    return outside, inside


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches to time (default 5)")
    parser.add_argument("--scenario", nargs="*", default=["healthy", "mobile-2012", "hostile"],
                        help="demo scenarios to run while measuring stalls")
    parser.add_argument("--timeout", type=float, default=3.0, help="time limit per step (default 3)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_loopback()
        return 0

    ok = True
    print(f"platform: {os.environ['QT_QPA_PLATFORM']}, python {sys.version.split()[0]}")
    print(f"\nGUI thread's longest stall during a full check (tick every {TICK_MS} ms, "
          f"target < {STALL_TARGET_MS:.0f} ms)")
    print("  real servers in another process (target + 2 reference servers, 3 ports each):")
    for name, worst, elapsed, _ticks in measure_loopback_stalls(3, args.timeout):
        verdict = "ok" if worst < STALL_TARGET_MS else "TOO SLOW"
        ok &= worst < STALL_TARGET_MS
        print(f"    {name:<44} longest gap {worst:6.1f} ms   run {elapsed:5.2f} s   {verdict}")
    print("  demo: the simulated servers and network run inside the window's process (worst case):")
    for scenario, worst, elapsed, _ticks in measure_stalls(args.scenario, args.timeout):
        verdict = "ok" if worst < STALL_TARGET_MS else "over target"
        print(f"    {scenario:<44} longest gap {worst:6.1f} ms   run {elapsed:5.2f} s   {verdict}")

    outside, inside = measure_launch(args.runs)
    worst_launch = max(outside)
    ok &= worst_launch < SHOWN_TARGET_S
    print(f"\nlaunch to shown window, `python -m smtpdiag demo`, {args.runs} runs "
          f"(target < {SHOWN_TARGET_S} s):")
    print(f"  from process start: median {statistics.median(outside):.3f} s, worst {worst_launch:.3f} s   "
          f"{'ok' if worst_launch < SHOWN_TARGET_S else 'TOO SLOW'}")
    print(f"  inside run_app:     median {statistics.median(inside):.3f} s, worst {max(inside):.3f} s")

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("\npeak memory (max RSS):")
    print(f"  this process (window + {len(args.scenario)} checks): {own:.0f} MiB")
    print(f"  largest launched window process:            {children:.0f} MiB")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
