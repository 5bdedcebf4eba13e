"""What may name an e-mail domain's sending server, read: SRV and MX records (in the
text form :meth:`smtpdiag.net.Network.dns_query` gives them) and the built-in list of
large providers (``data/providers.json``).  Pure: nothing here looks anything up; the
search that asks is :mod:`smtpdiag.probe.discover`.

    Provider     one entry of data/providers.json; providers(), provider_for(domain)
    SrvRecord    one parsed SRV record (RFC 2782); parse_srv(text)
    parse_mx     "PREF HOST" -> (preference, host)
    canonical    a DNS name as compared here: lower case, no final dot
"""

from __future__ import annotations

import functools
import json

from ..frozen import record
from ..paths import data_dir


def canonical(name: str) -> str:
    """*name* lower-case without its final dot (the root stays ``"."``)."""
    name = name.strip().lower()
    return name if name == "." else name.rstrip(".")


# -- the provider list ---------------------------------------------------------------


@record
class Provider:
    """A large provider whose sending server is well known."""

    name: str  # for people, e.g. "Google Mail"
    domains: tuple[str, ...]  # lower-case A-labels
    host: str  # its submission server


@functools.cache
def providers() -> tuple[Provider, ...]:
    """The entries of ``data/providers.json``."""
    with open(data_dir() / "providers.json", encoding="utf-8") as fh:
        data = json.load(fh)
    return tuple(
        Provider(str(p["name"]), tuple(canonical(d) for d in p["domains"]), canonical(p["host"]))
        for p in data["providers"]
    )


def provider_for(domain: str) -> Provider | None:
    """The provider of addresses at *domain* (exact match), if it is in the list."""
    domain = canonical(domain)
    return next((p for p in providers() if domain in p.domains), None)


# -- SRV and MX records ---------------------------------------------------------------


@record
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str  # "." means the service is not offered

    @property
    def offered(self) -> bool:
        return self.target != "."


def parse_srv(text: str) -> SrvRecord | None:
    """``"PRIO WEIGHT PORT TARGET"`` (as :meth:`Network.dns_query` gives it), or None."""
    parts = text.split()
    if len(parts) != 4:
        return None
    try:
        priority, weight, port = (int(p) for p in parts[:3])
    except ValueError:
        return None
    if not 0 <= port <= 65535:
        return None
    return SrvRecord(priority, weight, port, canonical(parts[3]))


def parse_mx(text: str) -> tuple[int, str] | None:
    """``"PREF HOST"`` -> (preference, host); the host of a null MX is ``"."``."""
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    return int(parts[0]), canonical(parts[1])
