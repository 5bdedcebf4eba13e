"""What a scenario's target mail server runs on each port.

A :data:`Behaviour` maps (host names, port) to a server spec from :mod:`.servers`,
or None for nothing listening.  The reference servers are always :func:`healthy`.
Small combinators build a scenario's behaviour from pieces: :func:`by_mode`
(STARTTLS ports vs implicit-TLS ports), :func:`by_port`, :func:`certificate`,
:func:`spec`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..config import PortSpec
from .certs import CertKind
from .servers import (
    ServerSpec,
    auth_before_tls_server,
    drip_greeting_server,
    endless_greeting_server,
    greeting_rejected_server,
    login_policy_server,
    login_server,
    no_starttls_server,
    oauth_only_server,
    random_bytes_server,
    silent_server,
    smtp_server,
    starttls_refused_server,
    tls_alert_server,
    tls_close_server,
)

# What the target runs on one port: (host names, port) -> server spec, or None.
Behaviour = Callable[[tuple[str, ...], PortSpec], ServerSpec | None]

# Microsoft 365's answer when the organisation has switched SMTP AUTH off.
TENANT_OFF = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
              "Visit https://aka.ms/smtp_auth_disabled for more information.")


def healthy(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return smtp_server(names, port.mode)


def nothing(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return None


def certificate(kind: CertKind, outdated_tls: bool = False) -> Behaviour:
    def behaviour(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
        return smtp_server(names, port.mode, certificate=kind, outdated_tls=outdated_tls)

    return behaviour


def by_mode(starttls: Behaviour | None, implicit: Behaviour | None) -> Behaviour:
    """One behaviour for STARTTLS ports, another for implicit-TLS ports (None: closed)."""

    def behaviour(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
        chosen = implicit if port.mode == "implicit" else starttls
        return chosen(names, port) if chosen is not None else None

    return behaviour


def by_port(ports: Mapping[int, Behaviour | None], default: Behaviour | None = healthy) -> Behaviour:
    """Behaviours per port number; other ports get *default* (None: closed)."""

    def behaviour(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
        chosen = ports.get(port.port, default)
        return chosen(names, port) if chosen is not None else None

    return behaviour


def spec(make: Callable[[tuple[str, ...]], ServerSpec]) -> Behaviour:
    """A behaviour from a factory that only needs the host names."""
    return lambda names, port: make(names)


def login_with(*users: tuple[str, str]) -> Behaviour:
    """A healthy server that knows *users* (name, password) and refuses any other login."""

    def behaviour(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
        return login_server(names, port.mode, users=users)

    return behaviour


def login_switched_off(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return login_policy_server(names, port.mode, TENANT_OFF)


def oauth_only(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return oauth_only_server(names, port.mode)


def rejecting(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """554 to every connection."""
    return greeting_rejected_server(names, implicit_tls=port.mode == "implicit")


def silent(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Accepts (and on an implicit-TLS port encrypts) but never greets."""
    return silent_server(names, implicit_tls=port.mode == "implicit")


def garbage(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Random bytes instead of a greeting."""
    return random_bytes_server()


def tls_alert(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Breaks off every TLS handshake with an alert."""
    return tls_alert_server()


# Factories that need only the host names (these servers speak STARTTLS; by_mode says
# what the implicit-TLS ports run).
auth_before_tls = spec(auth_before_tls_server)
no_starttls = spec(no_starttls_server)
starttls_refused = spec(starttls_refused_server)

# A server that misbehaves differently on every port.
hostile = by_port({
    25: lambda names, port: endless_greeting_server(),
    465: lambda names, port: tls_close_server(),
    587: lambda names, port: drip_greeting_server(names),
    2525: garbage,
})
