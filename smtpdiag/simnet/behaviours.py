"""What a scenario's target mail server runs on each port.

A :data:`Behaviour` maps (host names, port) to a server spec from :mod:`.servers`,
or None for nothing listening.  The reference servers are always :func:`healthy`.
Small combinators build a scenario's behaviour from pieces: :func:`by_mode`
(STARTTLS ports vs implicit-TLS ports), :func:`by_port`, :func:`certificate`.

The servers (aiosmtpd, trustme) are imported when a behaviour is called, that is
when a world is built: the scenario catalogue stays cheap to list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..config import PortSpec

if TYPE_CHECKING:
    from .certs import CertKind
    from .servers import ServerSpec

# What the target runs on one port: (host names, port) -> server spec, or None.
Behaviour = Callable[[tuple[str, ...], PortSpec], "ServerSpec | None"]

# Microsoft 365's answer when the organisation has switched SMTP AUTH off.
TENANT_OFF = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
              "Visit https://aka.ms/smtp_auth_disabled for more information.")


def healthy(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    from .servers import smtp_server

    return smtp_server(names, port.mode)


def nothing(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return None


def certificate(kind: CertKind, outdated_tls: bool = False) -> Behaviour:
    def behaviour(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
        from .servers import smtp_server

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


def login_with(*users: tuple[str, str]) -> Behaviour:
    """A healthy server that knows *users* (name, password) and refuses any other login."""

    def behaviour(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
        from .servers import login_server

        return login_server(names, port.mode, users=users)

    return behaviour


def login_switched_off(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    from .servers import login_policy_server

    return login_policy_server(names, port.mode, TENANT_OFF)


def oauth_only(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    from .servers import oauth_only_server

    return oauth_only_server(names, port.mode)


def rejecting(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """554 to every connection."""
    from .servers import greeting_rejected_server

    return greeting_rejected_server(names, implicit_tls=port.mode == "implicit")


def silent(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Accepts (and on an implicit-TLS port encrypts) but never greets."""
    from .servers import silent_server

    return silent_server(names, implicit_tls=port.mode == "implicit")


def garbage(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Random bytes instead of a greeting."""
    from .servers import random_bytes_server

    return random_bytes_server()


def tls_alert(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Breaks off every TLS handshake with an alert."""
    from .servers import tls_alert_server

    return tls_alert_server()


# Servers that speak STARTTLS (by_mode says what the implicit-TLS ports run).


def auth_before_tls(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Offers AUTH PLAIN LOGIN before encryption is on."""
    from .servers import auth_before_tls_server

    return auth_before_tls_server(names)


def no_starttls(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Offers no STARTTLS at all."""
    from .servers import no_starttls_server

    return no_starttls_server(names)


def starttls_refused(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    """Offers STARTTLS and refuses it (454)."""
    from .servers import starttls_refused_server

    return starttls_refused_server(names)


def _endless_greeting(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    from .servers import endless_greeting_server

    return endless_greeting_server()


def _tls_close(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    from .servers import tls_close_server

    return tls_close_server()


def _drip_greeting(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    from .servers import drip_greeting_server

    return drip_greeting_server(names)


# A server that misbehaves differently on every port.
hostile = by_port({25: _endless_greeting, 465: _tls_close, 587: _drip_greeting, 2525: garbage})
