"""The named scenarios of the simulated network: the worlds the demo and the tests use.

A scenario is a small world: the target mail server ``mail.example.net``, two
reference servers (``smtp.reference-one.test``, ``smtp.reference-two.test``)
and the customer's network between them and the probe.  It is described by:

* ``network``: rules per logical port (a :class:`~.rules.ProxyRule`), applied
  to *every* server on that port, target and reference servers alike, because
  a fault in the customer's network hits them all; ``family_network`` does the
  same per address family (a broken IPv6);
* ``target_servers``: what the target runs on each port (a behaviour from
  :mod:`.behaviours`); reference servers are always healthy;
* ``dns``: the target's name resolves, is unknown, or the resolver fails.

This module is data only: :mod:`.world` builds a scenario on loopback and runs it
(``start_scenario(name)``).  What the diagnosis should conclude about each world
is the tests' business (tests/scenario_expectations.py), not the product's.

Titles and descriptions are marked with ``N_`` and translated where shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from ..config import DEFAULT_PORTS, PortSpec
from ..i18n import N_
from .behaviours import (
    Behaviour,
    auth_before_tls,
    by_mode,
    by_port,
    certificate,
    garbage,
    healthy,
    hostile,
    login_switched_off,
    login_with,
    no_starttls,
    nothing,
    oauth_only,
    rejecting,
    silent,
    starttls_refused,
    tls_alert,
)
from .rules import PASS, ProxyRule

if TYPE_CHECKING:
    from .certs import CertKind
    from .sockets import Family

# -- the world's names and addresses -------------------------------------------------

TARGET = "mail.example.net"
MISSPELLED_TARGET = "mail.exampel.net"
CONTROLS = ("smtp.reference-one.test", "smtp.reference-two.test")
ADDRESSES: dict[str, tuple[str, str]] = {
    TARGET: ("192.0.2.10", "2001:db8::10"),
    CONTROLS[0]: ("198.51.100.20", "2001:db8:100::20"),
    CONTROLS[1]: ("203.0.113.30", "2001:db8:113::30"),
}
# Every world also has a VPN server (type it in the window's VPN field, or
# `sim.config(vpn=sim.vpn_specs())`): it answers each protocol unless the
# scenario's network silences it (``vpn_silent``).
VPN_HOST = "vpn.example.net"
TIME_HOST = "time.example.net"  # the world's time server (the clock check asks it, not a public one)
TIME_ADDRESS = "192.0.2.123"
VPN_ADDRESS = "192.0.2.50"
DEMO_USER = "demo@example.net"
MAIL_DOMAIN = "example.net"  # DEMO_USER's domain: `demo@example.net` discovers TARGET
DEMO_PASSWORD = "smtpdiag-demo-2012"


def _port(text: str) -> PortSpec:
    port, mode = text.split(":")
    return PortSpec(int(port), mode)


PORTS: tuple[PortSpec, ...] = tuple(_port(p) for p in DEFAULT_PORTS)


# -- scenarios ---------------------------------------------------------------------


def _frozen(mapping: Mapping[Any, Any] | None = None) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, eq=False)
class Scenario:
    """One simulated world; see the module docstring."""

    name: str
    title: str  # N_()-marked, translate with _() where shown
    description: str  # N_()-marked
    ports: tuple[PortSpec, ...] = PORTS  # the target ports the demo checks
    target: str = TARGET
    network: Mapping[int, ProxyRule] = field(default_factory=_frozen)
    family_network: Mapping[str, ProxyRule] = field(default_factory=_frozen)
    target_servers: Behaviour = healthy
    target_ipv6: bool = False
    dns: Literal["ok", "not_found", "failure"] = "ok"
    demo_user: str | None = None
    demo_password: str | None = field(default=None, repr=False)
    vpn_silent: frozenset[str] = frozenset()  # VPN protocols the network swallows
    vpn_in_demo: bool = False  # the demo also tests the world's VPN server (part of the story)
    # Interception products whose root this computer trusts (an antivirus installs
    # its own); a root it does not trust makes the mail program warn: red.
    trusted_roots: tuple[str, ...] = ()
    mail_programs: bool = False  # the demo's example mail programs use the target (issue 15)

    def __post_init__(self) -> None:
        object.__setattr__(self, "network", _frozen(self.network))
        object.__setattr__(self, "family_network", _frozen(self.family_network))

    def rule_for(self, port: int, family: Family) -> ProxyRule:
        """The customer network's rule for *port* over *family* (the same for every host)."""
        return self.family_network.get(family) or self.network.get(port) or PASS

    @property
    def controls(self) -> tuple[str, ...]:
        return CONTROLS


def _on(ports: tuple[int, ...], rule: ProxyRule) -> dict[int, ProxyRule]:
    return {p: rule for p in ports}


STARTTLS_PORTS = (25, 587, 2525)
ALL_PORTS = (25, 465, 587, 2525)
STARTTLS_ONLY = tuple(p for p in PORTS if p.port in STARTTLS_PORTS)
INTERCEPT_PORTS = tuple(p for p in PORTS if p.port != 2525)


def _scenarios() -> list[Scenario]:
    return [
        Scenario(
            "healthy", N_("Everything works"),
            N_("A well-run mail server on a normal network: every port answers, "
               "encryption starts, the certificate is valid. This is what a "
               "healthy result looks like, over IPv4 and IPv6."),
            target_ipv6=True,
        ),
        Scenario(
            "mail-program-wrong", N_("The mail program is set wrong"),
            N_("The network and the mail server are fine, but the mail program is set to port 465 "
               "with STARTTLS, which cannot work: port 465 speaks SSL/TLS from the first byte. "
               "smtpdiag reads the mail programs' settings (here built-in examples, not yours), tests "
               "exactly them and says which setting to change."),
            mail_programs=True,
        ),
        Scenario(
            "mobile-2012", N_("Mobile network cuts encryption"),
            N_("A mobile operator's equipment (as seen in 2012) cuts every encrypted "
               "mail connection the moment encryption starts: port 465 at once, "
               "port 587 right after STARTTLS. Port 25 is blocked silently, and the "
               "mail server does not offer port 2525. The reference servers fail the "
               "same way, so the network is at fault. OpenVPN gets no answer either, "
               "as users reported at the time."),
            network={25: ProxyRule.of("drop"), 465: ProxyRule.of("reset_on_clienthello"),
                     587: ProxyRule.of("reset_on_clienthello")},
            target_servers=by_port({2525: None}),
            vpn_silent=frozenset({"openvpn-udp", "openvpn-tcp"}),
            vpn_in_demo=True,
        ),
        Scenario(
            "port25-blocked", N_("Port 25 blocked"),
            N_("The internet provider silently drops connections to port 25, as most "
               "consumer networks do against spam. The submission ports work."),
            network={25: ProxyRule.of("drop")},
        ),
        Scenario(
            "starttls-stripped", N_("Encryption offer removed"),
            N_("Something on the network removes STARTTLS from the server's list of "
               "features on ports 25, 587 and 2525, so that mail programs would send "
               "unencrypted. Port 465 is encrypted from the start and still works."),
            network=_on(STARTTLS_PORTS, ProxyRule.of("strip_starttls")),
        ),
        Scenario(
            "cisco-masked", N_("Firewall masks the mail dialogue"),
            N_("A Cisco PIX/ASA firewall with \"ESMTP inspection\" on ports 25 and 587 "
               "hides the server's greeting behind asterisks and replaces STARTTLS "
               "with XXXXXXXA, which makes encryption impossible there."),
            network=_on((25, 587), ProxyRule.of("mask_starttls", "mask_banner")),
        ),
        Scenario(
            "banner-masked", N_("Firewall hides the greeting"),
            N_("A firewall that inspects mail replaces the server's greeting with "
               "asterisks but lets STARTTLS through: mail works, but someone on "
               "the network looks into the mail traffic. (Port 465 is encrypted from "
               "the first byte, so a firewall cannot see its greeting; it is left out.)"),
            ports=STARTTLS_ONLY,
            network=_on(STARTTLS_PORTS, ProxyRule.of("mask_banner")),
        ),
        Scenario(
            "connection-reset", N_("Network cuts connections"),
            N_("Equipment on the network cuts connections to ports 587 and 2525: at "
               "once on 587, right after the server's greeting on 2525. The reference "
               "servers are cut the same way. Ports 25 and 465 work."),
            network={587: ProxyRule.of("reset_on_connect"), 2525: ProxyRule.of("reset_after_greeting")},
        ),
        Scenario(
            "captive-portal", N_("Hotel Wi-Fi login page"),
            N_("The network has not been unlocked yet: every connection is answered "
               "by the Wi-Fi's login web page instead of the mail server."),
            network=_on(ALL_PORTS, ProxyRule.of("captive_portal")),
        ),
        Scenario(
            "antivirus-intercept", N_("Antivirus reads encrypted mail"),
            N_("The antivirus program on this computer (avast! Mail Shield) opens the "
               "encrypted connections on ports 465 and 587 with its own certificate "
               "to scan the mail, and encrypts them again toward the server."),
            ports=INTERCEPT_PORTS,
            network=_on((465, 587), ProxyRule.of("intercept_tls", product="avast")),
            trusted_roots=("avast",),  # the antivirus put its root into this computer's store
        ),
        Scenario(
            "firewall-intercept", N_("Firewall reads encrypted mail"),
            N_("A FortiGate firewall inspects all encrypted mail traffic: it presents "
               "its own certificate (\"FortiGate CA\") on every port and re-encrypts "
               "toward the server."),
            network=_on(ALL_PORTS, ProxyRule.of("intercept_tls", product="fortigate")),
        ),
        _certificate_scenario(
            "expired-certificate", N_("Certificate expired"),
            N_("The mail server's certificate expired a month ago. Mail programs "
               "warn about it on every port."),
            "expired"),
        _certificate_scenario(
            "not-yet-valid", N_("Certificate not valid yet"),
            N_("The mail server's certificate only becomes valid next month (or this "
               "computer's clock is wrong). Mail programs warn about it."),
            "not_yet_valid"),
        _certificate_scenario(
            "wrong-name", N_("Certificate for another name"),
            N_("The mail server presents the certificate of its hosting provider's "
               "shared name instead of one for mail.example.net."),
            "wrong_name"),
        _certificate_scenario(
            "self-signed", N_("Self-made certificate"),
            N_("The mail server's certificate was made by the server itself: nobody "
               "vouches for it."),
            "self_signed"),
        _certificate_scenario(
            "untrusted-ca", N_("Certificate from an unknown issuer"),
            N_("The mail server's certificate comes from a certificate authority this "
               "computer does not know."),
            "untrusted"),
        Scenario(
            "outdated-tls", N_("Outdated encryption"),
            N_("The mail server only speaks TLS 1.0 and 1.1, which current mail "
               "programs refuse."),
            target_servers=certificate("good", outdated_tls=True),
        ),
        Scenario(
            "no-starttls", N_("Server without encryption"),
            N_("An old mail server that does not offer encryption at all: no STARTTLS "
               "on ports 25, 587 and 2525, and nothing on port 465."),
            target_servers=by_mode(no_starttls, None),
        ),
        Scenario(
            "starttls-refused", N_("Server's encryption broken"),
            N_("The mail server offers STARTTLS but refuses it when asked (454), and "
               "its port 465 breaks off every TLS handshake: its encryption setup is "
               "broken."),
            target_servers=by_mode(starttls_refused, tls_alert),
        ),
        Scenario(
            "server-rejects", N_("Server refuses to talk"),
            N_("The mail server answers every connection with 554: it refuses "
               "service, for example because it has blocked this address."),
            target_servers=rejecting,
        ),
        Scenario(
            "server-down", N_("Server down"),
            N_("Nothing runs on the mail server: every port refuses the connection, "
               "while the reference servers answer normally."),
            target_servers=nothing,
        ),
        Scenario(
            "server-silent", N_("Server does not greet"),
            N_("The mail server accepts connections (and on port 465 the encryption) "
               "but never says hello, as an overloaded server does."),
            target_servers=silent,
        ),
        Scenario(
            "not-smtp", N_("Not a mail server"),
            N_("Something that is not a mail server answers on every port with binary "
               "garbage, as if the name pointed to the wrong machine."),
            target_servers=garbage,
        ),
        Scenario(
            "hostile", N_("Broken and hostile server"),
            N_("A server that misbehaves differently on every port: an endless "
               "greeting line on 25, a connection closed in the middle of the TLS "
               "handshake on 465, a greeting dripped one byte per second on 587, and "
               "random bytes on 2525."),
            target_servers=hostile,
        ),
        Scenario(
            "dns-not-found", N_("Server name misspelled"),
            N_("The server name was typed wrong (mail.exampel.net): it does not exist."),
            target=MISSPELLED_TARGET, dns="not_found",
        ),
        Scenario(
            "dns-failure", N_("Name service down"),
            N_("The network's name service does not answer, so no server name can be "
               "looked up, not even the reference servers': as far as mail can tell, "
               "this computer is offline."),
            dns="failure",
        ),
        Scenario(
            "ipv6-broken", N_("Broken IPv6"),
            N_("The mail server has an IPv6 address, but this network's IPv6 silently "
               "drops everything. IPv4 works, so mail programs get through, slowly."),
            family_network={"ipv6": ProxyRule.of("drop")}, target_ipv6=True,
        ),
        Scenario(
            "auth-before-tls", N_("Password accepted unencrypted"),
            N_("The mail server offers to take the password before encryption is on "
               "(AUTH PLAIN LOGIN in plain text) and has no port 465."),
            target_servers=by_mode(auth_before_tls, None),
        ),
        Scenario(
            "login", N_("Login"),
            N_("A healthy mail server that knows one user, to try the login check: "
               "demo@example.net with the password smtpdiag-demo-2012. Any other "
               "login is refused."),
            target_servers=login_with((DEMO_USER, DEMO_PASSWORD)), demo_user=DEMO_USER, demo_password=DEMO_PASSWORD,
        ),
        Scenario(
            "login-switched-off", N_("Login switched off"),
            N_("Every port works, but the organisation has switched off sending from mail "
               "programs (SMTP AUTH): the one login (on port 465) gets Microsoft 365's answer "
               "535 5.7.139 SmtpClientAuthentication is disabled for the Tenant."),
            target_servers=login_switched_off, demo_user=DEMO_USER, demo_password=DEMO_PASSWORD,
        ),
        Scenario(
            "oauth-only", N_("OAuth2 sign-in only"),
            N_("Every port works, but once encryption is on the server offers only OAuth2 sign-in "
               "(XOAUTH2, OAUTHBEARER), as Outlook.com does since September 2024: the demo's "
               "password is never sent."),
            target_servers=oauth_only, demo_user=DEMO_USER, demo_password=DEMO_PASSWORD,
        ),
        Scenario(
            "tls-stalled", N_("Encryption stalls"),
            N_("A network device swallows the start of every encrypted connection on "
               "ports 465 and 587: nothing comes back, the handshake never ends. "
               "Ports 25 and 2525 work."),
            network=_on((465, 587), ProxyRule.of("stall_on_clienthello")),
        ),
    ]


def _certificate_scenario(name: str, title: str, description: str, kind: CertKind) -> Scenario:
    return Scenario(name, title, description, target_servers=certificate(kind))


SCENARIOS: dict[str, Scenario] = {s.name: s for s in _scenarios()}


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"no scenario {name!r}; known: {', '.join(SCENARIOS)}") from None


def mail_accounts(scenario: Scenario) -> tuple[Any, ...]:
    """The built-in example mail programs of *scenario*'s computer (never the user's own)."""
    if not scenario.mail_programs:
        return ()
    from .demo_mail_programs import demo_accounts

    return demo_accounts()
