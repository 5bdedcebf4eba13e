"""What a report may say about this computer: OS, local VPN state, IP families."""

from __future__ import annotations

import platform
from typing import Any


def environment() -> dict[str, Any]:
    """What the report may say about this computer (shown to the user before saving)."""
    env: dict[str, Any] = {"os": f"{platform.system()} {platform.release()}".strip(),
                           "vpn_active": False, "ip_families": local_ip_families()}
    try:
        from .vpn import local_vpn_state

        state = local_vpn_state()
        env["vpn_active"] = bool(state.get("vpn_active"))
        env["vpn_interfaces"] = [str(i) for i in state.get("interfaces") or []]  # type: ignore[attr-defined]
        env["default_route_via_vpn"] = state.get("default_route_via_vpn")
    except ImportError:
        pass
    return env


def local_ip_families() -> list[str]:
    """Address families this computer has a default route for (Linux), else a guess."""
    fams = []
    try:
        with open("/proc/net/route", encoding="ascii") as fh:
            if any(line.split()[1:2] == ["00000000"] for line in fh.readlines()[1:]):
                fams.append("ipv4")
        with open("/proc/net/ipv6_route", encoding="ascii") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 10 and parts[0] == "0" * 32 and parts[1] == "00" and parts[9] != "lo":
                    fams.append("ipv6")
                    break
    except OSError:
        return ["ipv4"]
    return fams
