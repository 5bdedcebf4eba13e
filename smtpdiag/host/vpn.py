"""Is this computer itself connected through a VPN?  (For the report's ``environment``.)

    local_vpn_state() -> {"vpn_active": bool,
                          "interfaces": [VPN-looking interfaces that are up],
                          "default_route_via_vpn": bool | None}

A VPN on the customer's side changes what every other check means (the mail
traffic leaves somewhere else), so support staff want to see it.

Linux: the interfaces come from ``/sys/class/net`` (name, up flag, operstate,
link type), the routes from ``/proc/net/route`` and ``/proc/net/ipv6_route``
(main table only: a VPN that routes through policy rules, such as wg-quick's
own table, is seen as an interface but not as the default route).  VPN clients
that replace the default route with two halves (OpenVPN's ``0.0.0.0/1`` and
``128.0.0.0/1``; ``::/3``, ``2000::/4`` for IPv6) are recognised.

Windows: the adapters of ``GetAdaptersAddresses`` (up or down, interface type,
description, addresses) and the best route's interface (:mod:`.windows`).
macOS: ``ifconfig``, ``scutil --nwi`` and ``route -n get`` (:mod:`.macos`).
Other systems: a best effort from the interface names of
``socket.if_nameindex()`` (no up/down state there); ``default_route_via_vpn``
is None.

Linux reads local files only and takes a few milliseconds; macOS runs three
small commands.  Nothing here raises.  The parsers are pure functions of the
system's data so that tests can feed them recorded data of real machines.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Collection, Iterable
from pathlib import Path

from ..frozen import record

PLATFORM = sys.platform
SYS_CLASS_NET = Path("/sys/class/net")
PROC_ROUTE = Path("/proc/net/route")
PROC_IPV6_ROUTE = Path("/proc/net/ipv6_route")

_VPN_NAME = re.compile(
    r"^(tun|tap|wg|ppp|utun|ipsec|tailscale|zt|vti|ip_vti|xfrm|gpd|cscotun|nordlynx|nordtun|"
    r"proton|mullvad|nebula|vpn|pvpn|ovpn|sstp|l2tp|ztun)|vpn",
    re.IGNORECASE,
)
ARPHRD_PPP = 512
ARPHRD_NONE = 65534  # tun devices, WireGuard: layer-3 links without hardware addresses
IFF_UP = 0x1
RTF_UP = 0x0001
RTF_REJECT = 0x0200
# Routes at most this wide (prefix length) count as "the way to the internet".
WIDE_PREFIX = {4: 1, 6: 4}
MACOS_SYSTEM_UTUN = 4  # utun0 .. utun3 exist on every Mac


@record
class Route:
    interface: str
    prefix_length: int
    family: int  # 4 or 6


def looks_like_vpn_interface(name: str, link_type: int | None = None,
                             is_tun: bool = False) -> bool:
    """Is *name* (with its link type and tun flag, where known) a VPN's interface?"""
    if name == "lo":
        return False
    if is_tun or link_type in (ARPHRD_PPP, ARPHRD_NONE):
        return True
    return bool(_VPN_NAME.search(name))


def interface_is_up(operstate: str, flags: str) -> bool:
    """From ``/sys/class/net/IF/operstate`` and ``flags`` (hex): administratively up and
    not known to be down (tun devices report ``unknown`` while working)."""
    try:
        up = int(flags.strip(), 16) & IFF_UP
    except ValueError:
        return False
    return bool(up) and operstate.strip() in ("up", "unknown", "dormant")


def parse_ipv4_routes(text: str) -> list[Route]:
    """Usable routes of ``/proc/net/route`` (the mask is in host byte order; only its
    number of one bits matters here)."""
    routes = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            flags = int(fields[3], 16)
            mask = int(fields[7], 16)
        except ValueError:
            continue
        if flags & RTF_UP and not flags & RTF_REJECT:
            routes.append(Route(fields[0], (mask).bit_count(), 4))
    return routes


def parse_ipv6_routes(text: str) -> list[Route]:
    """Usable routes of ``/proc/net/ipv6_route`` (unreachable and loopback ones skipped)."""
    routes = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 10:
            continue
        try:
            prefix = int(fields[1], 16)
            flags = int(fields[8], 16)
        except ValueError:
            continue
        interface = fields[9]
        if interface == "lo" or flags & RTF_REJECT or not flags & RTF_UP:
            continue
        routes.append(Route(interface, prefix, 6))
    return routes


def default_route_via_vpn(routes: Iterable[Route], vpn_interfaces: Collection[str]) -> bool | None:
    """Does the way to the internet go through one of *vpn_interfaces*?

    The "way to the internet" is the default route or the wide routes VPN
    clients put in front of it.  None when there is no such route at all.
    """
    wide = [r for r in routes if r.prefix_length <= WIDE_PREFIX[r.family]]
    if not wide:
        return None
    return any(r.interface in vpn_interfaces for r in wide)


@record
class InterfaceInfo:
    name: str
    up: bool
    link_type: int | None
    is_tun: bool


def linux_interfaces(base: Path = SYS_CLASS_NET) -> list[InterfaceInfo]:
    """The network interfaces listed in ``/sys/class/net``."""
    found = []
    for entry in sorted(os.listdir(base)):
        path = base / entry
        operstate = _read(path / "operstate")
        flags = _read(path / "flags")
        link_type = _read(path / "type").strip()
        found.append(InterfaceInfo(
            entry,
            interface_is_up(operstate, flags),
            int(link_type) if link_type.isdigit() else None,
            (path / "tun_flags").exists(),
        ))
    return found


def vpn_interface_names(interfaces: Iterable[InterfaceInfo]) -> list[str]:
    return [i.name for i in interfaces
            if i.up and looks_like_vpn_interface(i.name, i.link_type, i.is_tun)]


def other_system_vpn_interfaces(names: Iterable[str], platform: str) -> list[str]:
    """VPN-looking names among *names* (from ``if_nameindex``) where no better source
    is read (the BSDs; macOS when its commands fail).  Never used on Windows: there
    every PC has a down ``ppp_32768`` and VPN adapters are named ``ethernet_N``."""
    found = []
    for name in names:
        if platform == "darwin":
            match = re.fullmatch(r"utun(\d+)", name)
            if match and int(match.group(1)) < MACOS_SYSTEM_UTUN:
                continue
        if looks_like_vpn_interface(name):
            found.append(name)
    return found


def local_vpn_state() -> dict[str, object]:
    """Whether this computer uses a VPN right now.  Never raises."""
    try:
        if PLATFORM.startswith("linux") and SYS_CLASS_NET.is_dir():
            return _linux_state()
        if PLATFORM == "win32":
            from . import windows

            return windows.vpn_state(windows.adapters_from_records(windows.read_adapters()),
                                     windows.read_best_interfaces())
        if PLATFORM == "darwin":
            import subprocess

            from . import macos

            try:
                return macos.read_vpn_state()
            except (OSError, subprocess.SubprocessError):
                pass  # the interface names below are better than nothing
        names = [name for _, name in socket.if_nameindex()]
        interfaces = other_system_vpn_interfaces(names, PLATFORM)
        return {"vpn_active": bool(interfaces), "interfaces": interfaces,
                "default_route_via_vpn": None}
    except Exception:  # noqa: BLE001 - the environment is a hint, never a reason to fail
        return {"vpn_active": False, "interfaces": [], "default_route_via_vpn": None}


def _linux_state() -> dict[str, object]:
    interfaces = vpn_interface_names(linux_interfaces(SYS_CLASS_NET))
    routes = parse_ipv4_routes(_read(PROC_ROUTE)) + parse_ipv6_routes(_read(PROC_IPV6_ROUTE))
    via_vpn = default_route_via_vpn(routes, interfaces)
    return {"vpn_active": bool(interfaces) or bool(via_vpn), "interfaces": interfaces,
            "default_route_via_vpn": via_vpn}


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
