"""Which DNS servers this computer asks (for the report's ``environment.dns_servers``).

    dns_servers() -> ["192.168.1.1", "2001:db8::53"]   in the order the system uses them

Support staff ask "which name servers answered?": a hotel's or a company's
resolver explains many a strange answer.  The readers are thin; the parsers are
pure functions of text (or registry values) so that tests feed them fixtures:

* Linux and other Unix: ``/etc/resolv.conf`` (``nameserver`` lines).  When it
  only names systemd-resolved's local stub (127.0.0.53), the servers behind it
  come from ``/run/systemd/resolve/resolv.conf``.
* macOS: the output of ``scutil --dns`` (``nameserver[N] : ADDRESS``), the
  resolver the system really uses (``/etc/resolv.conf`` there is informational).
* Windows: the registry values ``NameServer`` and ``DhcpNameServer`` of
  ``HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters`` and of each
  interface (``...\\Interfaces\\{GUID}``, and ``Tcpip6`` for IPv6); comma- or
  space-separated, the same in every language of Windows.

Never raises: an unreadable source gives ``[]``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from ..target import ip_address_of

RESOLV_CONF = Path("/etc/resolv.conf")
RESOLVED_UPSTREAM = Path("/run/systemd/resolve/resolv.conf")
STUBS = {"127.0.0.53", "127.0.0.54"}
MAX_SERVERS = 8


def _address(text: str) -> str | None:
    text = text.strip().strip("[]")
    base = text.split("%", 1)[0]  # fe80::1%eth0: keep the zone, check the address
    return text if ip_address_of(base) is not None else None


def _unique(addresses: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for a in addresses:
        if a and a not in out:
            out.append(a)
    return out[:MAX_SERVERS]


def parse_resolv_conf(text: str) -> list[str]:
    """The ``nameserver`` addresses of a resolv.conf, in order."""
    found = []
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            found.append(_address(parts[1]))
    return _unique(found)


_SCUTIL = re.compile(r"^\s*nameserver\[\d+\]\s*:\s*(\S+)\s*$")


def parse_scutil_dns(text: str) -> list[str]:
    """The name servers of ``scutil --dns`` (macOS), first resolver first."""
    return _unique(_address(m.group(1)) for line in text.splitlines() if (m := _SCUTIL.match(line)))


def parse_windows_values(values: Iterable[str]) -> list[str]:
    """The addresses in registry ``NameServer``/``DhcpNameServer`` values (comma or space separated)."""
    return _unique(_address(part) for value in values for part in re.split(r"[,\s]+", value or "") if part)


def _linux() -> list[str]:
    try:
        servers = parse_resolv_conf(RESOLV_CONF.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []
    if servers and set(servers) <= STUBS:
        try:
            upstream = parse_resolv_conf(RESOLVED_UPSTREAM.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            upstream = []
        return upstream or servers
    return servers


def _macos() -> list[str]:
    import subprocess  # macOS only

    try:
        result = subprocess.run(["scutil", "--dns"], capture_output=True, text=True, timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return _linux()
    return parse_scutil_dns(result.stdout) or _linux()


def _windows() -> list[str]:  # pragma: no cover - Windows only
    if sys.platform != "win32":
        return []
    import winreg

    values: list[str] = []
    for service in ("Tcpip", "Tcpip6"):
        base = rf"SYSTEM\CurrentControlSet\Services\{service}\Parameters"
        keys = [base]
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, base + r"\Interfaces") as ifaces:
                i = 0
                while True:
                    try:
                        keys.append(base + r"\Interfaces" + "\\" + winreg.EnumKey(ifaces, i))
                    except OSError:
                        break
                    i += 1
        except OSError:
            pass
        for key in keys:
            try:
                with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key) as k:
                    for name in ("NameServer", "DhcpNameServer"):
                        try:
                            values.append(str(winreg.QueryValueEx(k, name)[0]))
                        except OSError:
                            pass
            except OSError:
                continue
    return parse_windows_values(values)


def dns_servers(platform: str = sys.platform) -> list[str]:
    """The DNS servers this computer asks, best first; ``[]`` when they cannot be read."""
    try:
        if platform.startswith("win"):
            return _windows()
        if platform == "darwin":
            return _macos()
        return _linux()
    except Exception:  # noqa: BLE001 - the environment block must never break a report
        return []
