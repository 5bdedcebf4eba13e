"""Test hosts in a network namespace of our own, with real firewall rules (nftables).

A namespace gets one veth link to this machine and several addresses (one per
simulated server); real SMTP servers run inside it; nftables rules inside it
drop, refuse or make unreachable chosen ports, as a firewall on the way would.
Only addresses inside that namespace are ever contacted.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


def netns_unavailable() -> str | None:
    """Why namespace tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root for ip netns"
    if not shutil.which("ip") or not shutil.which("nft"):
        return "needs iproute2 and nftables (apt-get install iproute2 nftables)"
    probe = subprocess.run(["ip", "netns", "add", f"sdgprobe{os.getpid()}"], capture_output=True)
    if probe.returncode != 0:
        return f"ip netns does not work here: {probe.stderr.decode().strip()}"
    subprocess.run(["ip", "netns", "del", f"sdgprobe{os.getpid()}"], capture_output=True)
    return None


def sh(*args: str, ns: str | None = None) -> None:
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    subprocess.run(cmd, check=True, capture_output=True)


@dataclass
class Hosts:
    ns: str
    prefix: str  # e.g. "10.213.7"
    prefix6: str  # e.g. "fd53:7"

    def addr(self, n: int) -> str:
        return f"{self.prefix}.{n}"

    def addr6(self, n: int) -> str:
        return f"{self.prefix6}::{n}"

    def nft(self, rule: str) -> None:
        sh("nft", "add", "rule", "inet", "fw", "input", *rule.split(), ns=self.ns)


@contextmanager
def namespace_hosts(n_hosts: int = 2) -> Iterator[Hosts]:
    ns = f"sdg{os.getpid() % 100000}{random.randrange(1000)}"
    host_if, ns_if = f"h{ns}"[:15], f"n{ns}"[:15]
    existing = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    while True:
        octet = random.randrange(1, 250)
        prefix = f"10.213.{octet}"
        if prefix + "." not in existing:
            break
    prefix6 = f"fd53:{octet:x}"
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        sh("ip", "link", "set", ns_if, "netns", ns)
        sh("ip", "addr", "add", f"{prefix}.1/24", "dev", host_if)
        sh("ip", "-6", "addr", "add", f"{prefix6}::1/64", "dev", host_if, "nodad")
        sh("ip", "link", "set", host_if, "up")
        for i in range(2, 2 + n_hosts):
            sh("ip", "addr", "add", f"{prefix}.{i}/24", "dev", ns_if, ns=ns)
            sh("ip", "-6", "addr", "add", f"{prefix6}::{i}/64", "dev", ns_if, "nodad", ns=ns)
        sh("ip", "link", "set", ns_if, "up", ns=ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("nft", "add", "table", "inet", "fw", ns=ns)
        sh("nft", "add", "chain", "inet", "fw", "input", "{ type filter hook input priority 0; }", ns=ns)
        yield Hosts(ns, prefix, prefix6)
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@contextmanager
def smtp_servers(hosts: Hosts, cert: str, key: str, listeners: list[str]) -> Iterator[None]:
    with _server(hosts, "netns_smtpd.py", cert, key, *listeners):
        yield


@contextmanager
def vpn_responders(hosts: Hosts, address: str) -> Iterator[None]:
    with _server(hosts, "netns_vpn.py", address):
        yield


@contextmanager
def _server(hosts: Hosts, script: str, *args: str) -> Iterator[None]:
    proc = subprocess.Popen(["ip", "netns", "exec", hosts.ns, sys.executable, str(HERE / script), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"server did not start: {line} {proc.stderr.read() if proc.stderr else ''}")
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


@dataclass
class Isolated:
    """A namespace with nothing but loopback: a computer without any network.

    ``run`` runs a command inside it; files given as *etc* replace the host's
    ``/etc/<name>`` for commands run there (``ip netns exec`` binds
    ``/etc/netns/<ns>/<name>`` over them), e.g. ``resolv.conf`` and ``hosts``.
    """

    ns: str

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.ns, *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def nft(self, *args: str) -> None:
        sh("nft", *args, ns=self.ns)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(["ip", "netns", "exec", self.ns, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


@contextmanager
def isolated_namespace(etc: dict[str, str] | None = None) -> Iterator[Isolated]:
    ns = f"sdgiso{os.getpid() % 100000}{random.randrange(1000)}"
    etc_dir = Path("/etc/netns") / ns
    sh("ip", "netns", "add", ns)
    try:
        if etc:
            etc_dir.mkdir(parents=True)
            for name, text in etc.items():
                (etc_dir / name).write_text(text)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        yield Isolated(ns)
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(etc_dir, ignore_errors=True)
