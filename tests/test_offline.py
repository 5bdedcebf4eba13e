"""A computer without internet, and a firewall on the computer itself, for real.

Each test runs ``smtpdiag check`` inside a network namespace of its own that has
nothing but loopback (``tests/netns.py``): the operating system's own resolver
and kernel give the answers, exactly as on an offline laptop.  Nothing leaves
the namespace: it has no link to anywhere.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from netns import isolated_namespace, netns_unavailable

pytestmark = pytest.mark.netns
REASON = netns_unavailable()
if REASON:
    pytest.skip(f"network namespace tests skipped: {REASON}", allow_module_level=True)

HERE = Path(__file__).resolve().parent
ROOT_DNS = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"


def check(iso, *args: str, wrap: bool = False) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    command = [sys.executable, "-m", "smtpdiag", "check", *args, "--format", "json", "--timeout", "2"]
    if wrap:  # under a filter that makes the kernel refuse every connect()
        command = [sys.executable, str(HERE / "refuse_connect.py"), *command]
    result = iso.run(*command)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def targets(report: dict) -> set[tuple[str, str, str]]:
    return {(c["light"], c["cause"], c["where"]) for c in report["checks"] if c["role"] == "target"}


def overall(report: dict) -> tuple[str, str, str]:
    o = report["overall"]
    return o["light"], o["cause"], o["where"]


def test_a_resolver_that_knows_no_name_is_offline_not_a_spelling_mistake() -> None:
    """The offline laptop of issue 10: its resolver says "no such name" for everything,
    gmail.com and the reference servers alike."""
    with isolated_namespace({"resolv.conf": ROOT_DNS}) as iso:
        server = iso.popen(sys.executable, str(HERE / "dns_server.py"), "53")
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            code, report = check(iso, "gmail.com", "--control", "smtp.example.org")
            code_alone, alone = check(iso, "gmail.com", "--no-control")
        finally:
            server.terminate()
            server.communicate(timeout=5)  # waits, and closes its pipes
    assert code == 2
    assert overall(report) == ("red", "offline", "network")
    assert targets(report) == {("red", "offline", "network")}
    assert "not connected to the internet" in report["overall"]["summary"] + report["checks"][0]["explanation"]
    assert "Check the spelling" not in json.dumps(report)
    # with no reference server it cannot be told from a wrong name: nothing changes
    assert code_alone == 2 and overall(alone) == ("red", "dns_not_found", "input")


def test_no_name_service_at_all_is_offline() -> None:
    """The resolver is configured but nothing answers (the cable is out)."""
    with isolated_namespace({"resolv.conf": ROOT_DNS}) as iso:
        code, report = check(iso, "gmail.com", "--control", "smtp.example.org")
        _code, alone = check(iso, "gmail.com", "--no-control")
    assert code == 2 and overall(report) == ("red", "offline", "network")
    assert overall(alone) == ("red", "dns_failure", "network")


def test_names_known_but_no_route_anywhere_is_offline() -> None:
    """Names come from the hosts file, but this computer has no route to anything."""
    hosts = "127.0.0.1 localhost\n192.0.2.25 mail.example.com\n198.51.100.7 smtp.example.org\n"
    with isolated_namespace({"resolv.conf": ROOT_DNS, "hosts": hosts}) as iso:
        code, report = check(iso, "mail.example.com", "--control", "smtp.example.org")
        _code, alone = check(iso, "mail.example.com", "--no-control")
    assert code == 2 and overall(report) == ("red", "offline", "network")
    assert overall(alone) == ("red", "tcp_unreachable", "network")
    # support staff still see what each name resolved to (the offline verdict keeps the evidence)
    looked_up = {entry["host"]: entry for entry in report["environment"]["lookups"]}
    assert "192.0.2.25" in json.dumps(looked_up["mail.example.com"])
    assert "198.51.100.7" in json.dumps(looked_up["smtp.example.org"])


def test_a_program_that_may_not_connect_is_local_blocked() -> None:
    """The operating system refuses connect() itself (EPERM, here from a seccomp filter, as
    a sandbox or security program does): this computer's doing, not the network's."""
    from refuse_connect import supported

    if not supported():
        pytest.skip("the seccomp helper knows x86-64 and arm64 Linux only")
    with isolated_namespace() as iso:
        code, report = check(iso, "127.0.0.1", "--port", "2525", "--no-control", wrap=True)
    got = {c["port"]: (c["light"], c["cause"], c["where"]) for c in report["checks"]}
    assert got[2525] == ("red", "local_blocked", "local")
    assert code == 2 and overall(report) == ("red", "local_blocked", "local")
    assert "this computer" in report["checks"][0]["explanation"].lower()


def test_a_firewall_rule_on_this_computer_is_local_blocked() -> None:
    """An nftables rule in this computer's OUTPUT chain drops UDP to port 500: the kernel
    answers the VPN probe's send with EPERM.  A port it lets through is refused as usual."""
    with isolated_namespace() as iso:
        iso.nft("add", "table", "inet", "fw")
        iso.nft("add", "chain", "inet", "fw", "output", "{ type filter hook output priority 0; }")
        iso.nft("add", "rule", "inet", "fw", "output", "udp", "dport", "500", "drop")
        _code, report = check(iso, "127.0.0.1", "--port", "2525", "--no-control",
                              "--vpn", "127.0.0.1:ike", "--vpn", "127.0.0.1:ike-natt")
    got = {c["protocol"]: (c["light"], c["cause"], c["where"]) for c in report["checks"] if c["kind"] == "vpn"}
    assert got["ike"] == ("red", "local_blocked", "local")
    assert got["ike-natt"] == ("red", "vpn_refused", "unknown")


def test_a_resolver_that_says_no_such_name_when_nobody_answered_is_told_apart() -> None:
    """Some systems' resolvers (macOS, Windows offline) say "no such name" when no name
    server answered at all.  Here the system looks names up only in its hosts file
    (nsswitch ``hosts: files``) while the configured name server is silent: smtpdiag asks
    the name service itself (dnspython) and reports a failed look-up, not a typo."""
    etc = {"resolv.conf": ROOT_DNS, "nsswitch.conf": "hosts: files\n"}
    with isolated_namespace(etc) as iso:
        code, alone = check(iso, "mail.example.com", "--no-control")
        _code, report = check(iso, "mail.example.com", "--control", "smtp.example.org")
    assert code == 2 and overall(alone) == ("red", "dns_failure", "network")
    assert overall(report) == ("red", "offline", "network")
