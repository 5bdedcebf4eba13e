"""This computer's OS name, IP families and UI languages, on every system.

    os_name(platform)           "Windows 11 (build 22631)", "macOS 14.5", "Linux 6.8.0-…"
    ip_families(platform)       ["ipv4", "ipv6"]: families with a route to the internet
    ui_languages(platform)      ["de-DE", "en-US"]: the user's display languages, best first
    families_from_sources()     source address per family -> families            (pure)
    posix_languages(environ)    LANGUAGE / LC_ALL / LC_MESSAGES / LANG -> tags   (pure)

IP families without /proc: a UDP socket ``connect()`` to a documentation address
(RFC 5737 / RFC 3849) makes the kernel choose a route and a source address
and sends no packet; a family without a route fails (ENETUNREACH on Linux and
Windows, EHOSTUNREACH on macOS) or gets only a link-local source.  Linux keeps
reading its routing tables (``/proc/net/route``, ``/proc/net/ipv6_route``).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping

from .addresses import is_routable

PROBE_ADDRESSES = {"ipv4": ("192.0.2.1", socket.AF_INET), "ipv6": ("2001:db8::1", socket.AF_INET6)}
PROBE_PORT = 9  # discard; nothing is sent


def families_from_sources(sources: Mapping[str, str | None]) -> list[str]:
    """Families whose probe got a usable source address (not link-local, loopback or unset)."""
    return [family for family in ("ipv4", "ipv6") if is_routable(sources.get(family) or "")]


def probe_source_addresses() -> dict[str, str | None]:
    """The source address the kernel picks toward the internet, per family (None: no route)."""
    out: dict[str, str | None] = {}
    for family, (address, af) in PROBE_ADDRESSES.items():
        try:
            with socket.socket(af, socket.SOCK_DGRAM) as sock:
                sock.connect((address, PROBE_PORT))  # UDP: chooses a route, sends nothing
                out[family] = str(sock.getsockname()[0])
        except OSError:
            out[family] = None
    return out


def linux_ip_families(route_text: str, ipv6_route_text: str) -> list[str]:
    """Families with a default route in ``/proc/net/route`` / ``/proc/net/ipv6_route``."""
    fams = []
    if any(line.split()[1:2] == ["00000000"] for line in route_text.splitlines()[1:]):
        fams.append("ipv4")
    for line in ipv6_route_text.splitlines():
        parts = line.split()
        if len(parts) >= 10 and parts[0] == "0" * 32 and parts[1] == "00" and parts[9] != "lo":
            fams.append("ipv6")
            break
    return fams


def ip_families(platform: str = sys.platform) -> list[str]:
    """Address families this computer can reach the internet with.  Never raises."""
    if platform.startswith("linux"):
        try:
            with open("/proc/net/route", encoding="ascii") as fh:
                v4 = fh.read()
            with open("/proc/net/ipv6_route", encoding="ascii") as fh:
                v6 = fh.read()
            return linux_ip_families(v4, v6)
        except OSError:
            pass
    return families_from_sources(probe_source_addresses())


def posix_languages(environ: Mapping[str, str]) -> list[str]:
    """Language tags from the POSIX variables, in gettext's order of precedence.

    ``LANGUAGE`` is a colon-separated list; ``C`` and ``POSIX`` mean "no language".
    """
    out: list[str] = []

    def add(item: str) -> None:
        tag = item.split(".")[0].split("@")[0]
        if tag and tag not in ("C", "POSIX") and tag not in out:
            out.append(tag)

    for item in environ.get("LANGUAGE", "").split(":"):
        add(item)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:  # the first one set decides (LC_ALL=C means "no language")
            add(value)
            break
    return out


def ui_languages(platform: str = sys.platform,
                 environ: Mapping[str, str] | None = None) -> list[str]:
    """The user's display languages, best first.  Never raises.

    An explicit ``LANGUAGE``/``LC_*``/``LANG`` wins everywhere (a terminal user
    chose it); otherwise Windows' GetUserPreferredUILanguages and macOS'
    AppleLanguages (a Mac app started from Finder has no LANG at all).
    """
    env = os.environ if environ is None else environ
    found = posix_languages(env)
    if found:
        return found
    if platform not in ("win32", "darwin"):
        return []
    import subprocess  # the readers of Windows and macOS run programs

    try:
        if platform == "win32":
            from . import windows

            return windows.read_ui_languages()
        from . import macos

        return macos.read_ui_languages()
    except (OSError, ValueError, subprocess.SubprocessError):
        return []


def os_name(platform: str = sys.platform) -> str:
    """The operating system as people know it.  Never raises."""
    if platform in ("win32", "darwin"):
        import subprocess  # the readers of Windows and macOS run programs

        try:
            if platform == "win32":
                from . import windows

                major, build, edition = windows.read_version()
                return windows.windows_name(major, build, edition)
            from . import macos

            return macos.read_os_name()
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    uname = getattr(os, "uname", None)
    if uname is not None:  # what platform.system() and .release() say, without importing it
        return f"{uname().sysname} {uname().release}".strip()
    import platform as _platform

    return f"{_platform.system()} {_platform.release()}".strip()
