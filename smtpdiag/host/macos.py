"""macOS: interfaces, the default route, the version and the UI languages.

    parse_route_get()      ``route -n get default`` -> the interface of that route  (pure)
    parse_scutil_nwi()     ``scutil --nwi`` -> interfaces per family, VPN servers   (pure)
    parse_ifconfig()       ``ifconfig`` -> [MacInterface]                           (pure)
    vpn_state()            the three above -> the report's VPN state                (pure)
    parse_sw_vers()        ``sw_vers`` -> {"ProductName": "macOS", ...}             (pure)
    macos_name()           "14.5" -> "macOS 14.5"                                   (pure)
    parse_apple_languages()  ``defaults read -g AppleLanguages`` -> ["de-DE", "en"] (pure)
    read_*()               run those commands (macOS only; they may raise OSError or
                           subprocess errors, which their callers in smtpdiag.host.system,
                           .vpn and .dns catch)

Every Mac has idle ``utun`` interfaces (iCloud, Continuity, Back to My Mac):
up, with only a link-local IPv6 address and no route.  A VPN's ``utun`` has an
IPv4 (or global IPv6) address, usually the default route (or the two half
routes that cover it) and, for VPNs configured in System Settings, a ``VPN
server`` line in ``scutil --nwi``.  Tests feed recorded outputs
(tests/fixtures/host/macos-*.txt) to the parsers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from ..frozen import field, record
from .addresses import is_routable

# Interface names of tunnels: utun (Network Extension VPNs, WireGuard, the
# system's own), ipsec (IKEv2/IPsec configured in System Settings), ppp (L2TP,
# PPTP), tun/tap (older OpenVPN drivers), gpd (GlobalProtect).
_TUNNEL_NAME = re.compile(r"^(utun|ipsec|ppp|tun|tap|gpd)\d+$")
COMMAND_TIMEOUT = 3.0  # seconds for each command
# Asked of `route get` besides "default": a documentation address (RFC 5737) is
# covered by the half routes (0/1, 128/1) full-tunnel VPNs put in front of the
# default route, so it shows where traffic to the internet really goes.
PROBE_ADDRESS = "192.0.2.1"


@record
class MacInterface:
    name: str
    up: bool
    addresses: tuple[str, ...] = ()

    @property
    def routable_addresses(self) -> tuple[str, ...]:
        """Addresses a VPN would give: IPv4 beyond link-local, IPv6 beyond link-local and
        unique-local (fc00::/7, which the system's own tunnels may carry)."""
        return tuple(text for text in self.addresses if is_routable(text, unique_local=False))


@record
class NetworkInfo:
    """``scutil --nwi``: the interfaces the system routes over, best first, per family."""

    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    vpn_servers: dict[str, str] = field(default_factory=dict)  # interface -> server


def parse_route_get(text: str) -> str | None:
    """The ``interface:`` of ``route -n get default`` (None: "not in table", no route)."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "interface" and value.strip():
            return value.strip()
    return None


_NWI_IFACE = re.compile(r"^\s*([A-Za-z0-9]+)\s*:\s*flags\s*:")
_NWI_VPN = re.compile(r"^\s*VPN server\s*:\s*(\S+)")


def parse_scutil_nwi(text: str) -> NetworkInfo:
    """The interfaces listed per family ("No IPv6 states found": none) and VPN servers."""
    families: dict[str, list[str]] = {"ipv4": [], "ipv6": []}
    servers: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in text.splitlines():
        if "IPv4 network interface information" in line:
            section, current = "ipv4", None
            continue
        if "IPv6 network interface information" in line:
            section, current = "ipv6", None
            continue
        if line.startswith("Network interfaces:"):
            section, current = None, None
            continue
        if section is None:
            continue
        match = _NWI_IFACE.match(line)
        if match:
            current = match.group(1)
            if current not in families[section]:
                families[section].append(current)
            continue
        vpn = _NWI_VPN.match(line)
        if vpn and current:
            servers[current] = vpn.group(1)
    return NetworkInfo(tuple(families["ipv4"]), tuple(families["ipv6"]), servers)


_IFCONFIG_HEAD = re.compile(r"^([A-Za-z0-9.]+): flags=[0-9a-fA-F]+<([^>]*)>")


def parse_ifconfig(text: str) -> list[MacInterface]:
    """Interfaces of ``ifconfig`` (all of them): name, UP and RUNNING, inet/inet6 addresses."""
    found: list[MacInterface] = []
    name: str | None = None
    up = False
    addresses: list[str] = []

    def flush() -> None:
        if name is not None:
            found.append(MacInterface(name, up, tuple(addresses)))

    for line in text.splitlines():
        head = _IFCONFIG_HEAD.match(line)
        if head:
            flush()
            name = head.group(1)
            flags = set(head.group(2).split(","))
            up = "UP" in flags and "RUNNING" in flags
            addresses = []
            continue
        parts = line.split()
        if name is not None and len(parts) >= 2 and parts[0] in ("inet", "inet6"):
            addresses.append(parts[1])
    flush()
    return found


def is_tunnel_name(name: str) -> bool:
    return bool(_TUNNEL_NAME.match(name))


def vpn_state(interfaces: list[MacInterface], nwi: NetworkInfo,
              route_interfaces: list[str | None]) -> dict[str, object]:
    """The report's VPN state.

    A VPN interface is a tunnel that is up and has an address beyond link-local,
    or that ``scutil`` names a VPN server for.  *route_interfaces* are the
    interfaces ``route get`` named (default route, the probe address); None
    entries mean "no route".
    """
    vpn: list[str] = []
    for iface in interfaces:
        if not iface.up or not is_tunnel_name(iface.name):
            continue
        if iface.routable_addresses or iface.name in nwi.vpn_servers:
            vpn.append(iface.name)
    for name in nwi.vpn_servers:
        if name not in vpn:
            vpn.append(name)
    routes = [r for r in route_interfaces if r]
    via_vpn = any(r in vpn for r in routes) if routes else None
    return {"vpn_active": bool(vpn), "interfaces": vpn, "default_route_via_vpn": via_vpn}


def parse_sw_vers(text: str) -> dict[str, str]:
    """``sw_vers`` output ("ProductName:\\tmacOS") as a dict."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def macos_name(product_version: str, product_name: str = "macOS") -> str:
    """"macOS 14.5"; an empty version gives plain "macOS"."""
    name = product_name or "macOS"
    return f"{name} {product_version}".strip() if product_version else name


def parse_apple_languages(text: str) -> list[str]:
    """``defaults read -g AppleLanguages``: an old-style plist array such as
    ``(\\n    "de-DE",\\n    en\\n)`` (quotes only around tags with a hyphen)."""
    body = text.strip()
    if body.startswith("("):
        body = body[1:]
    if body.endswith(")"):
        body = body[:-1]
    out = []
    for item in body.split(","):
        tag = item.strip().strip('"').strip()
        if tag and re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", tag):
            out.append(tag)
    return out


# -- thin readers (macOS only) -------------------------------------------------------


def _run(*argv: str) -> str:  # pragma: no cover - runs on macOS only
    if sys.platform != "darwin":
        raise OSError(f"{argv[0]} is read on macOS only")
    env = {"LC_ALL": "C", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": os.environ.get("HOME", "")}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                          check=False, env=env)
    return done.stdout


def read_vpn_state() -> dict[str, object]:  # pragma: no cover - macOS only
    interfaces = parse_ifconfig(_run("/sbin/ifconfig"))
    nwi = parse_scutil_nwi(_run("/usr/sbin/scutil", "--nwi"))
    routes = [parse_route_get(_run("/sbin/route", "-n", "get", "default")),
              parse_route_get(_run("/sbin/route", "-n", "get", PROBE_ADDRESS))]
    return vpn_state(interfaces, nwi, routes)


def read_os_name() -> str:  # pragma: no cover - macOS only
    """``macOS 14.5``.  sw_vers, because Python built with an old SDK sees "10.16"."""
    info = parse_sw_vers(_run("/usr/bin/sw_vers"))
    return macos_name(info.get("ProductVersion", ""), info.get("ProductName", "macOS"))


def read_ui_languages() -> list[str]:  # pragma: no cover - macOS only
    """The user's languages in System Settings, best first (also when started from
    Finder, which sets no LANG)."""
    return parse_apple_languages(_run("/usr/bin/defaults", "read", "-g", "AppleLanguages"))
