"""Windows: network adapters, the best route, the version and the UI languages.

    read_adapters()          GetAdaptersAddresses (ctypes) -> list of records (dicts)
    read_best_interfaces()   GetBestInterfaceEx toward documentation addresses
                             -> {"ipv4": IfIndex | None, "ipv6": IfIndex | None}
    adapters_from_records()  records -> [Adapter]            (pure)
    vpn_state()              adapters + best interfaces -> the report's VPN state (pure)
    windows_name()           build number and edition -> "Windows 11 (build 22631)" (pure)
    parse_multi_sz()         GetUserPreferredUILanguages' buffer -> ["de-DE", "en-US"] (pure)

A record carries the fields of ``IP_ADAPTER_ADDRESSES`` that matter here, under
their SDK names: ``IfIndex``, ``FriendlyName``, ``Description``, ``IfType``,
``OperStatus`` and ``Unicast`` (the adapter's unicast addresses as text).
Tests feed recorded lists (tests/fixtures/host/windows-*.json) to the pure
functions; the ctypes readers run only on Windows.

Why not ``socket.if_nameindex()``: it lists every interface in any state by
its NDIS name (``ppp_32768``, ``ethernet_32777``), and a stock Windows always
has the down ``ppp_32768`` of the WAN Miniport, so every PC looked "on a VPN"
while real VPN adapters (TAP ``ethernet_N``, Wintun, AnyConnect, GlobalProtect)
were missed.
"""

from __future__ import annotations

import ipaddress
import re
import struct
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from ..frozen import record
from .addresses import is_routable

# IANA ifType value (ipifcons.h) of a dial-up/PPP adapter (WAN Miniport)
IF_TYPE_PPP = 23
# IF_OPER_STATUS (ifdef.h)
IF_OPER_STATUS_UP = 1

# Windows' own address families (ws2def.h): AF_INET6 is 23 there, not 10 or 30.
WIN_AF_INET = 2
WIN_AF_INET6 = 23

# Interface descriptions of VPN clients' virtual adapters (as Device Manager and
# GetAdaptersAddresses' Description show them).
_VPN_DESCRIPTION = re.compile(
    r"TAP-Windows|TAP-NordVPN|TAP-ProtonVPN|Wintun|WireGuard|OpenVPN|ovpn-dco|"
    r"AnyConnect|Cisco Secure Client|PANGP|GlobalProtect|Fortinet|FortiClient|"
    r"Juniper|Pulse Secure|Ivanti|Check Point Virtual Network|SonicWall|"
    r"Tailscale|ZeroTier|Cloudflare WARP|NordLynx|Mullvad|ProtonVPN|Windscribe|"
    r"ExpressVPN|Surfshark|\bVPN\b",
    re.IGNORECASE,
)
# Tunnels Windows itself keeps for IPv6 transition: not a VPN.
_SYSTEM_TUNNEL = re.compile(r"Teredo|ISATAP|6to4|IP-HTTPS|IPHTTPS", re.IGNORECASE)
# RAS drivers, listed as adapters; a dialled connection is a separate PPP adapter
# named after the connection.
_WAN_MINIPORT = re.compile(r"^WAN Miniport", re.IGNORECASE)

# Where the best route toward "the internet" is asked for: documentation
# addresses (RFC 5737, RFC 3849).  GetBestInterfaceEx sends nothing.
PROBE_ADDRESSES = {"ipv4": "192.0.2.1", "ipv6": "2001:db8::1"}


@record
class Adapter:
    index: int
    name: str  # FriendlyName, as the user sees it in Settings ("Ethernet 2")
    description: str  # the driver's name ("TAP-Windows Adapter V9")
    if_type: int
    up: bool
    addresses: tuple[str, ...]

    @property
    def routable_addresses(self) -> tuple[str, ...]:
        """Addresses that are not link-local or loopback (an idle adapter has only those)."""
        return tuple(text for text in self.addresses if is_routable(text))


def adapters_from_records(records: Iterable[Mapping[str, Any]]) -> list[Adapter]:
    """Adapters from ``GetAdaptersAddresses`` records (see the module docstring)."""
    adapters = []
    for r in records:
        try:
            adapters.append(Adapter(
                index=int(r.get("IfIndex") or 0),
                name=str(r.get("FriendlyName") or ""),
                description=str(r.get("Description") or ""),
                if_type=int(r.get("IfType") or 0),
                up=int(r.get("OperStatus") or 0) == IF_OPER_STATUS_UP,
                addresses=tuple(str(a) for a in r.get("Unicast") or ()),
            ))
        except (TypeError, ValueError):
            continue
    return adapters


def is_vpn_adapter(adapter: Adapter) -> bool:
    """Is *adapter* a VPN connection that is up right now?

    Up, with an address beyond link-local, and either a dialled PPP connection
    (Windows' own VPN client: IKEv2, SSTP, L2TP, PPTP) or a VPN product's
    virtual adapter.  The RAS drivers themselves ("WAN Miniport (…)") and the
    IPv6 transition tunnels are never a VPN.
    """
    if not adapter.up or not adapter.routable_addresses:
        return False
    text = f"{adapter.description} {adapter.name}"
    if _WAN_MINIPORT.search(adapter.description) or _SYSTEM_TUNNEL.search(text):
        return False
    if adapter.if_type == IF_TYPE_PPP:
        return True
    return bool(_VPN_DESCRIPTION.search(text))


def vpn_state(adapters: Iterable[Adapter],
              best_interfaces: Mapping[str, int | None]) -> dict[str, object]:
    """The report's VPN state from the adapters and the best route's interface per family.

    ``default_route_via_vpn`` is None when no family has a route at all.
    """
    adapters = list(adapters)
    vpn = [a for a in adapters if is_vpn_adapter(a)]
    vpn_indexes = {a.index for a in vpn}
    best = [i for i in best_interfaces.values() if i]
    via_vpn = any(i in vpn_indexes for i in best) if best else None
    return {"vpn_active": bool(vpn) or bool(via_vpn),
            "interfaces": [a.name or a.description for a in vpn],
            "default_route_via_vpn": via_vpn}


def sockaddr_text(raw: bytes) -> str | None:
    """The address in a Windows ``SOCKADDR`` (``sockaddr_in`` / ``sockaddr_in6``) as text."""
    if len(raw) < 2:
        return None
    family = struct.unpack_from("<H", raw)[0]
    if family == WIN_AF_INET and len(raw) >= 8:
        return str(ipaddress.IPv4Address(raw[4:8]))
    if family == WIN_AF_INET6 and len(raw) >= 24:
        return str(ipaddress.IPv6Address(raw[8:24]))
    return None


def sockaddr_bytes(address: str) -> bytes:
    """A Windows ``SOCKADDR`` for *address* (port 0), for GetBestInterfaceEx."""
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return struct.pack("<HH4s8x", WIN_AF_INET, 0, ip.packed)
    return struct.pack("<HHI16sI", WIN_AF_INET6, 0, 0, ip.packed, 0)


def windows_name(major: int, build: int, edition: str = "") -> str:
    """The name people know: Windows 11 is still "10.0" to the API, build 22000 and later.

    Server editions (``win32_edition()`` contains "Server") keep their own name.
    """
    if edition and "server" in edition.lower():
        return f"Windows Server (build {build})"
    if major == 10:
        return f"Windows {'11' if build >= 22000 else '10'} (build {build})"
    return f"Windows {major} (build {build})"


def parse_multi_sz(text: str) -> list[str]:
    """A REG_MULTI_SZ-style buffer ("de-DE\\0en-US\\0\\0") as a list of strings."""
    return [part for part in text.split("\0") if part.strip()]


# -- thin readers (Windows only) ----------------------------------------------------


def read_adapters() -> list[dict[str, Any]]:  # pragma: no cover - runs on Windows only
    """GetAdaptersAddresses as records (see the module docstring)."""
    if sys.platform != "win32":
        raise OSError("GetAdaptersAddresses exists on Windows only")
    import ctypes
    from ctypes import wintypes

    class SocketAddress(ctypes.Structure):
        _fields_ = [("lpSockaddr", ctypes.c_void_p), ("iSockaddrLength", ctypes.c_int)]

    class Unicast(ctypes.Structure):
        pass

    Unicast._fields_ = [("Length", wintypes.ULONG), ("Flags", wintypes.DWORD),
                        ("Next", ctypes.POINTER(Unicast)), ("Address", SocketAddress)]

    class AdapterAddresses(ctypes.Structure):
        pass

    AdapterAddresses._fields_ = [
        ("Length", wintypes.ULONG), ("IfIndex", wintypes.DWORD),
        ("Next", ctypes.POINTER(AdapterAddresses)), ("AdapterName", ctypes.c_char_p),
        ("FirstUnicastAddress", ctypes.POINTER(Unicast)),
        ("FirstAnycastAddress", ctypes.c_void_p), ("FirstMulticastAddress", ctypes.c_void_p),
        ("FirstDnsServerAddress", ctypes.c_void_p), ("DnsSuffix", ctypes.c_wchar_p),
        ("Description", ctypes.c_wchar_p), ("FriendlyName", ctypes.c_wchar_p),
        ("PhysicalAddress", ctypes.c_ubyte * 8), ("PhysicalAddressLength", wintypes.ULONG),
        ("Flags", wintypes.ULONG), ("Mtu", wintypes.ULONG), ("IfType", wintypes.ULONG),
        ("OperStatus", ctypes.c_int),
    ]
    iphlpapi = ctypes.WinDLL("iphlpapi")
    flags = 0x2 | 0x4 | 0x8  # GAA_FLAG_SKIP_ANYCAST | SKIP_MULTICAST | SKIP_DNS_SERVER
    size = wintypes.ULONG(15000)
    for _attempt in range(4):
        buf = ctypes.create_string_buffer(size.value)
        rc = iphlpapi.GetAdaptersAddresses(0, flags, None, buf, ctypes.byref(size))
        if rc == 111:  # ERROR_BUFFER_OVERFLOW: size now holds what is needed
            continue
        if rc != 0:
            raise OSError(rc, "GetAdaptersAddresses failed")
        break
    else:
        raise OSError("GetAdaptersAddresses: the adapter list kept growing")
    records: list[dict[str, Any]] = []
    node = ctypes.cast(buf, ctypes.POINTER(AdapterAddresses))
    while node:
        a = node.contents
        addresses = []
        uni = a.FirstUnicastAddress
        while uni:
            sa = uni.contents.Address
            if sa.lpSockaddr and sa.iSockaddrLength > 0:
                text = sockaddr_text(ctypes.string_at(sa.lpSockaddr, sa.iSockaddrLength))
                if text:
                    addresses.append(text)
            uni = uni.contents.Next
        records.append({"IfIndex": a.IfIndex, "FriendlyName": a.FriendlyName or "",
                        "Description": a.Description or "", "IfType": a.IfType,
                        "OperStatus": a.OperStatus, "Unicast": addresses})
        node = a.Next
    return records


def read_best_interfaces() -> dict[str, int | None]:  # pragma: no cover - Windows only
    """GetBestInterfaceEx toward a documentation address per family (None: no route)."""
    if sys.platform != "win32":
        raise OSError("GetBestInterfaceEx exists on Windows only")
    import ctypes
    from ctypes import wintypes

    iphlpapi = ctypes.WinDLL("iphlpapi")
    out: dict[str, int | None] = {}
    for family, address in PROBE_ADDRESSES.items():
        raw = ctypes.create_string_buffer(sockaddr_bytes(address), 28)
        index = wintypes.DWORD(0)
        rc = iphlpapi.GetBestInterfaceEx(raw, ctypes.byref(index))
        out[family] = int(index.value) if rc == 0 else None
    return out


def read_ui_languages() -> list[str]:  # pragma: no cover - Windows only
    """GetUserPreferredUILanguages(MUI_LANGUAGE_NAME): the display languages, best first."""
    if sys.platform != "win32":
        raise OSError("GetUserPreferredUILanguages exists on Windows only")
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32")
    count = wintypes.ULONG(0)
    size = wintypes.ULONG(0)
    mui_language_name = 0x8
    if not kernel32.GetUserPreferredUILanguages(mui_language_name, ctypes.byref(count), None,
                                                ctypes.byref(size)):
        return []
    buf = ctypes.create_unicode_buffer(size.value)
    if not kernel32.GetUserPreferredUILanguages(mui_language_name, ctypes.byref(count), buf,
                                                ctypes.byref(size)):
        return []
    return parse_multi_sz(ctypes.wstring_at(buf, size.value))


def read_version() -> tuple[int, int, str]:  # pragma: no cover - Windows only
    """(major, build, edition) of the running Windows."""
    if sys.platform != "win32":
        raise OSError("Windows only")
    import platform

    ver = sys.getwindowsversion()
    return ver.major, ver.build, platform.win32_edition() or ""
