"""Which of this computer's own addresses count: one rule for every system's parser."""

from __future__ import annotations

import ipaddress

from ..target import ip_address_of

_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def is_routable(text: str, *, unique_local: bool = True) -> bool:
    """Whether *text* (an address, possibly with a ``%zone``) can carry traffic beyond this
    computer's own links: not link-local, loopback or unspecified, nor unparseable.  With
    ``unique_local=False`` IPv6 unique-local addresses (fc00::/7, which a system's own tunnels
    may carry) do not count either."""
    ip = ip_address_of(text.split("%")[0])
    if ip is None:
        return False
    if ip.is_link_local or ip.is_loopback or ip.is_unspecified:
        return False
    return unique_local or not (ip.version == 6 and ip in _UNIQUE_LOCAL)
