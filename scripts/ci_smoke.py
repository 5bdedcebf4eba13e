"""Smoke tests on a real Windows, macOS or Linux machine (CI's runners), beside the test suite.

    python scripts/ci_smoke.py system REPORTS_DIR       the installed smtpdiag on this system
    python scripts/ci_smoke.py app PROGRAM REPORTS_DIR  the packaged app (PyInstaller folder)

``system`` checks what only a real system can show: a closed loopback UDP port
gives ``vpn_refused`` (Windows reports it as WSAECONNRESET), ``nonexistent.invalid``
gives ``dns_not_found`` through the system's resolver, a trustme server on
loopback verifies through the context smtpdiag builds here (truststore on Windows
and macOS), this clean machine has no VPN, and every demo scenario reaches its
expected verdicts.  ``app`` runs the bundle: ``--version``, ``check`` to JSON, and
``view`` of that JSON (offscreen, quitting once shown).  Reports and the host
state go to REPORTS_DIR for the workflow to upload.  Exit status 1 on the first
failed expectation, with one line saying which.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class SmokeFailure(Exception):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeFailure(what)
    print(f"ok: {what}", flush=True)


def run(argv: list[str], out: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=600,
                          env={**os.environ, **env})
    if out is not None:
        out.write_text(done.stdout, encoding="utf-8")
    return done


def closed_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again once this socket is


def checks_of(path: Path) -> list[dict[str, object]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["checks"])


def smoke_system(reports: Path) -> None:
    smtpdiag = [sys.executable, "-m", "smtpdiag"]

    port = closed_udp_port()
    report = reports / "vpn-refused.json"
    run([*smtpdiag, "check", "127.0.0.1", "--port", "9", "--no-control", "--timeout", "3",
         "--vpn", f"127.0.0.1:wireguard:{port}", "--format", "json"], report)
    vpn = [c for c in checks_of(report) if c.get("kind") == "vpn"]
    expect(bool(vpn) and vpn[0]["cause"] == "vpn_refused",
           f"a closed loopback UDP port is vpn_refused (got {[c['cause'] for c in vpn]})")

    report = reports / "dns-not-found.json"
    run([*smtpdiag, "check", "nonexistent.invalid", "--no-control", "--timeout", "5",
         "--format", "json"], report)
    causes = {c["cause"] for c in checks_of(report)}
    expect(causes == {"dns_not_found"}, f"nonexistent.invalid is dns_not_found (got {causes})")

    trustme_through_system_verifier()

    from smtpdiag.host.environment import environment
    from smtpdiag.host.vpn import local_vpn_state

    state = local_vpn_state()
    env = environment()
    (reports / "host.json").write_text(json.dumps({"vpn": state, "environment": env}, indent=1),
                                       encoding="utf-8")
    expect(state["vpn_active"] is False, f"no VPN on a clean runner (got {state})")
    expect(bool(env["ip_families"]) and "ipv4" in env["ip_families"],
           f"IPv4 is available here (got {env['ip_families']}; OS {env['os']})")

    demo_scenarios(smtpdiag, reports)


def trustme_through_system_verifier() -> None:
    """A trustme CA given as extra trust: the handshake verifies with the context smtpdiag
    builds on this system (truststore's OS verifier on Windows and macOS)."""
    import trustme

    from smtpdiag.probe.tls import make_context

    ca = trustme.CA()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    ctx = make_context(extra_ca_pem=ca.cert_pem.bytes().decode())
    with socket.create_connection(listener.getsockname()[:2], timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        version = tls.version()
    listener.close()
    expect(version is not None, f"a trustme loopback server verifies through {type(ctx).__module__}")


def demo_scenarios(smtpdiag: list[str], reports: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))  # the tests' expectations, from this clone
    from scenario_expectations import EXPECTED

    from smtpdiag.simnet.scenarios import SCENARIOS

    out = reports / "demo.json"
    run([*smtpdiag, "demo", "--text", "--format", "json"], out)
    found = json.loads(out.read_text(encoding="utf-8"))
    expect(len(found) == len(SCENARIOS), f"the demo ran all {len(SCENARIOS)} scenarios")
    wrong = []
    for name, report in zip(SCENARIOS, found, strict=True):
        for check in report["checks"]:
            if check["kind"] != "smtp" or check["role"] != "target":
                continue
            want = EXPECTED[name].ports.get(check["port"])
            got = (check["light"], check["cause"], check["where"])
            if want is not None and got != want.verdict:
                wrong.append(f"{name} port {check['port']}: {got} instead of {want}")
    expect(not wrong, "every demo scenario shows its expected causes" + "".join(
        f"\n  {w}" for w in wrong))


def smoke_app(program: str, reports: Path) -> None:
    from smtpdiag import __version__

    done = run([program, "--version"])
    expect(done.stdout.strip() == f"smtpdiag {__version__}",
           f"the app says its version (got {done.stdout.strip()!r})")
    report = reports / "app-check.json"
    with socket.socket() as closed:  # bound, never listening: refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        done = run([program, "check", "127.0.0.1", "--port", str(port), "--no-control",
                    "--timeout", "3", "--format", "json", "--output", str(report)])
    expect(done.returncode == 2 and checks_of(report)[0]["cause"] == "tcp_refused",
           f"the app's check finds the closed port refused (exit {done.returncode}: {done.stderr.strip()})")
    # Windows and macOS runners have a desktop session; a Linux runner has no display.
    screen = {"QT_QPA_PLATFORM": "offscreen"} if sys.platform.startswith("linux") else {}
    done = run([program, "view", str(report)], SMTPDIAG_EXIT_WHEN_SHOWN="1", **screen)
    expect("report=loaded" in done.stdout or "tcp_refused" in done.stdout,
           f"the app's view opens that report (got {done.stdout.strip()!r} {done.stderr.strip()!r})")


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 2 and argv[0] == "system":
            reports = Path(argv[1])
            reports.mkdir(parents=True, exist_ok=True)
            smoke_system(reports)
        elif len(argv) == 3 and argv[0] == "app":
            reports = Path(argv[2])
            reports.mkdir(parents=True, exist_ok=True)
            smoke_app(argv[1], reports)
        else:
            print(__doc__.strip().splitlines()[2:4], file=sys.stderr)
            return 64
    except SmokeFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
