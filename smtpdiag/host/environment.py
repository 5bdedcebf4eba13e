"""What a report may say about this computer: OS, local VPN state, IP families.

The OS name comes from :func:`.system.os_name` (Windows 11 by its build number,
macOS by its product version), the IP families from :func:`.system.ip_families`
(Linux: the routing tables; Windows and macOS: where a UDP connect would go).
"""

from __future__ import annotations

from . import system

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any


def environment() -> dict[str, Any]:
    """What the report may say about this computer (shown to the user before saving)."""
    env: dict[str, Any] = {"os": system.os_name(),
                           "vpn_active": False, "ip_families": local_ip_families()}
    from .vpn import local_vpn_state

    state = local_vpn_state()
    env["vpn_active"] = bool(state.get("vpn_active"))
    env["vpn_interfaces"] = [str(i) for i in state.get("interfaces") or []]  # type: ignore[attr-defined]
    env["default_route_via_vpn"] = state.get("default_route_via_vpn")
    from .dns import dns_servers

    env["dns_servers"] = dns_servers()
    return env


def local_ip_families() -> list[str]:
    """Address families this computer can reach the internet with (see :mod:`.system`)."""
    return system.ip_families()
