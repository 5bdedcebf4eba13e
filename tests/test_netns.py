"""Verdicts against real servers behind real firewall rules in a network namespace.

This is how the outside checks test smtpdiag: `smtpdiag check HOST --port ...
--format json --timeout 3 --ca-file CA.pem --control REF` toward hosts whose
firewall drops, refuses or makes ports unreachable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trustme
from netns import namespace_hosts, netns_unavailable, smtp_servers, vpn_responders

pytestmark = pytest.mark.netns
REASON = netns_unavailable()
if REASON:
    pytest.skip(f"network namespace tests skipped: {REASON}", allow_module_level=True)


def check(*args: str) -> tuple[int, dict, float]:
    t = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "smtpdiag", "check", *args, "--format", "json"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout), time.monotonic() - t


def verdicts(report: dict) -> dict[int, tuple[str, str, str]]:
    return {c["port"]: (c["light"], c["cause"], c["where"])
            for c in report["checks"] if c["role"] == "target"}


@pytest.fixture
def certs(tmp_path: Path) -> tuple[str, str, str]:
    ca = trustme.CA()
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return str(ca_path), str(tmp_path), ca  # type: ignore[return-value]


def issue(ca: trustme.CA, tmp: str, *names: str) -> tuple[str, str]:
    leaf = ca.issue_cert(*names)
    cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    return str(cert), str(key)


def test_firewall_drop_reject_and_unreachable(certs) -> None:  # type: ignore[no-untyped-def]
    ca_file, tmp, ca = certs
    with namespace_hosts(2) as hosts:
        target, ref = hosts.addr(2), hosts.addr(3)
        cert, key = issue(ca, tmp, target, ref)
        listeners = [f"{a}:{p}:{m}" for a in (target, ref)
                     for p, m in ((465, "implicit"), (587, "starttls"), (2525, "starttls"), (25, "starttls"))]
        # (rules go in once the servers run.) The customer's network: 465 silently dropped, 2525 unreachable (ICMP),
        # 25 refused by the target host only (the reference server answers).
        with smtp_servers(hosts, cert, key, listeners):
            hosts.nft("tcp dport 465 drop")
            hosts.nft("tcp dport 2525 reject with icmp type host-unreachable")
            hosts.nft(f"ip daddr {target} tcp dport 25 reject with tcp reset")
            rc, report, seconds = check(target, "--port", "25", "--port", "465", "--port", "587",
                                        "--port", "2525", "--timeout", "2", "--ca-file", ca_file,
                                        "--control", ref)
    got = verdicts(report)
    assert got[465] == ("red", "tcp_timeout", "network")
    assert got[2525] == ("red", "tcp_unreachable", "network")
    assert got[25] == ("red", "tcp_refused", "server")
    assert got[587] == ("green", "ok", "none")
    assert rc == 0 and report["overall"]["light"] == "green"
    assert "465" in report["overall"]["summary"] and "587" in report["overall"]["advice"]
    # every port and the reference server ran at once: one timeout, not four
    assert seconds < 2 * 2 + 3


def test_dropped_everywhere_without_reference_is_unknown(certs) -> None:  # type: ignore[no-untyped-def]
    ca_file, tmp, ca = certs
    with namespace_hosts(1) as hosts:
        target = hosts.addr(2)
        cert, key = issue(ca, tmp, target)
        with smtp_servers(hosts, cert, key, [f"{target}:587:starttls"]):
            hosts.nft("tcp dport 587 drop")
            rc, report, _ = check(target, "--port", "587", "--timeout", "1", "--ca-file", ca_file, "--no-control")
    assert verdicts(report)[587] == ("red", "tcp_timeout", "unknown")
    assert rc == 2


def test_vpn_protocols_behind_a_firewall() -> None:
    with namespace_hosts(1) as hosts:
        server = hosts.addr(2)
        with vpn_responders(hosts, server):
            hosts.nft("udp dport 500 drop")
            hosts.nft("udp dport 1194 reject")  # ICMP port unreachable
            hosts.nft("tcp dport 1723 reject with tcp reset")
            rc, report, seconds = check(server, "--port", "587", "--no-control", "--timeout", "1.5",
                                        "--vpn", server)
    vpn = {c["protocol"]: (c["light"], c["cause"]) for c in report["checks"] if c["kind"] == "vpn"}
    assert vpn == {
        "ike": ("red", "vpn_no_answer"),
        "ike-natt": ("green", "vpn_reachable"),
        "openvpn-udp": ("red", "vpn_refused"),
        "openvpn-tcp": ("green", "vpn_reachable"),
        "pptp": ("red", "vpn_refused"),
        "sstp": ("red", "vpn_refused"),
        "wireguard": ("red", "vpn_refused"),
    }
    # VPN checks do not decide the overall light: the mail port does (nothing listens: red)
    assert report["overall"]["cause"] == "tcp_refused"
    assert seconds < 1.5 * 3 + 3


def test_ipv6_blocked_but_ipv4_works_through_the_system_resolver(certs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A name with an IPv4 and an IPv6 address (from /etc/hosts, in a private mount
    namespace), and a firewall that drops IPv6 to port 587: ip_family_partial."""
    if not shutil.which("unshare"):
        pytest.skip("needs unshare (util-linux) for a private /etc/hosts")
    ca_file, tmp, ca = certs
    with namespace_hosts(1) as hosts:
        v4, v6 = hosts.addr(2), hosts.addr6(2)
        cert, key = issue(ca, tmp, "dual.smtpdiag.test", v4)
        hosts_file = tmp_path / "hosts"
        hosts_file.write_text(f"127.0.0.1 localhost\n{v4} dual.smtpdiag.test\n{v6} dual.smtpdiag.test\n")
        with smtp_servers(hosts, cert, key, [f"{v4}:587:starttls", f"[{v6}]:587:starttls"]):
            hosts.nft("meta nfproto ipv6 tcp dport 587 drop")
            script = (f"mount --bind {hosts_file} /etc/hosts && exec {sys.executable} -m smtpdiag check "
                      f"dual.smtpdiag.test --port 587 --no-control --timeout 1.5 --ca-file {ca_file} --format json")
            result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                                    timeout=60, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    (check,) = [c for c in report["checks"] if c["role"] == "target"]
    assert (check["light"], check["cause"], check["where"]) == ("amber", "ip_family_partial", "network")
    assert check["address"] == v4  # the working family's records are shown
    families = {a["family"]: a for a in check["attempts"]}
    assert families["ipv6"]["steps"][-1]["failure"] == "timeout"
    assert result.returncode == 1
