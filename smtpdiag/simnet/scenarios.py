"""Named scenarios of the simulated network, for the demo and the tests.

A scenario is a small world: the target mail server ``mail.example.net``, two
reference servers (``smtp.reference-one.test``, ``smtp.reference-two.test``)
and the customer's network between them and the probe.  It is described by:

* ``network``: rules per logical port (a :class:`~.proxy.ProxyRule`), applied
  to *every* server on that port, target and reference servers alike, because
  a fault in the customer's network hits them all; ``family_network`` does the
  same per address family (a broken IPv6);
* ``target_servers``: what the target runs on each port (a spec from
  :mod:`.servers`, or None for nothing listening); reference servers are
  always healthy;
* ``dns``: the target's name resolves, is unknown, or the resolver fails;
* ``expected``/``overall``: the verdict the diagnosis should reach (light,
  cause, where per target port, and overall), from docs/contract.md section 3.

:func:`start_scenario` builds the world on loopback and returns a
:class:`RunningScenario`::

    with start_scenario("mobile-2012") as sim:
        report = diagnose(sim.config(timeout=3.0), network=sim.network)  # smtpdiag.report.model

Titles and descriptions are marked with ``N_`` and translated where shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Self

from ..config import DEFAULT_PORTS, PortSpec, RunConfig, VpnSpec
from ..i18n import N_
from .certs import CertKind, interception_ca, simulated_ca_pem
from .network import SimNetwork, family_of
from .proxy import PASS, ProxyRule
from .servers import (
    ServerSpec,
    SimServers,
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
from .sockets import FAMILIES, Endpoint, Family, ipv6_mode

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
DEFAULT_TIMEOUT = 3.0


def _port(text: str) -> PortSpec:
    port, mode = text.split(":")
    return PortSpec(int(port), mode)


PORTS: tuple[PortSpec, ...] = tuple(_port(p) for p in DEFAULT_PORTS)

# What the target runs on one port: (host names, port) -> server spec, or None.
Behaviour = Callable[[tuple[str, ...], PortSpec], ServerSpec | None]


@dataclass(frozen=True)
class Expect:
    """The verdict a check should reach."""

    light: str
    cause: str
    where: str

    def __str__(self) -> str:
        return f"{self.light} {self.cause} ({self.where})"


GREEN = Expect("green", "ok", "none")


# -- target behaviours -------------------------------------------------------------


def healthy(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return smtp_server(names, port.mode)


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


def nothing(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return None


def _login(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return login_server(names, port.mode, users=((DEMO_USER, DEMO_PASSWORD),))


TENANT_OFF = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
              "Visit https://aka.ms/smtp_auth_disabled for more information.")


def _login_switched_off(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return login_policy_server(names, port.mode, TENANT_OFF)


def _oauth_only(names: tuple[str, ...], port: PortSpec) -> ServerSpec | None:
    return oauth_only_server(names, port.mode)


# -- scenarios ---------------------------------------------------------------------


def _frozen(mapping: Mapping[Any, Any] | None = None) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, eq=False)
class Scenario:
    """One simulated world; see the module docstring."""

    name: str
    title: str  # N_()-marked, translate with _() where shown
    description: str  # N_()-marked
    expected: Mapping[int, Expect]  # per target port
    overall: Expect
    ports: tuple[PortSpec, ...] = PORTS
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
        object.__setattr__(self, "expected", _frozen(self.expected))
        object.__setattr__(self, "network", _frozen(self.network))
        object.__setattr__(self, "family_network", _frozen(self.family_network))
        missing = {p.port for p in self.ports} ^ set(self.expected)
        if missing:
            raise ValueError(f"scenario {self.name}: expectations do not match the ports")

    def rule_for(self, port: int, family: Family) -> ProxyRule:
        """The customer network's rule for *port* over *family* (the same for every host)."""
        return self.family_network.get(family) or self.network.get(port) or PASS

    @property
    def controls(self) -> tuple[str, ...]:
        return CONTROLS


def _on(ports: tuple[int, ...], rule: ProxyRule) -> dict[int, ProxyRule]:
    return {p: rule for p in ports}


def _all(expect: Expect, ports: tuple[PortSpec, ...] = PORTS) -> dict[int, Expect]:
    return {p.port: expect for p in ports}


def _each(**by_port: Expect) -> dict[int, Expect]:
    """``_each(p25=..., p465=...)`` -> ``{25: ..., 465: ...}``."""
    return {int(k[1:]): v for k, v in by_port.items()}


def _red(cause: str, where: str) -> Expect:
    return Expect("red", cause, where)


def _amber(cause: str, where: str) -> Expect:
    return Expect("amber", cause, where)


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
            _all(GREEN), GREEN, target_ipv6=True,
        ),
        Scenario(
            "mail-program-wrong", N_("The mail program is set wrong"),
            N_("The network and the mail server are fine, but the mail program is set to port 465 "
               "with STARTTLS, which cannot work: port 465 speaks SSL/TLS from the first byte. "
               "smtpdiag reads the mail programs' settings (here built-in examples, not yours), tests "
               "exactly them and says which setting to change."),
            _all(GREEN), GREEN, mail_programs=True,
        ),
        Scenario(
            "mobile-2012", N_("Mobile network cuts encryption"),
            N_("A mobile operator's equipment (as seen in 2012) cuts every encrypted "
               "mail connection the moment encryption starts: port 465 at once, "
               "port 587 right after STARTTLS. Port 25 is blocked silently, and the "
               "mail server does not offer port 2525. The reference servers fail the "
               "same way, so the network is at fault. OpenVPN gets no answer either, "
               "as users reported at the time."),
            _each(p25=_red("tcp_timeout", "network"), p465=_red("tls_reset", "network"),
                  p587=_red("tls_reset", "network"), p2525=_red("tcp_refused", "server")),
            _red("tls_reset", "network"),
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
            {**_all(GREEN), 25: _red("tcp_timeout", "network")}, GREEN,
            network={25: ProxyRule.of("drop")},
        ),
        Scenario(
            "starttls-stripped", N_("Encryption offer removed"),
            N_("Something on the network removes STARTTLS from the server's list of "
               "features on ports 25, 587 and 2525, so that mail programs would send "
               "unencrypted. Port 465 is encrypted from the start and still works."),
            {**_all(_red("starttls_stripped", "network")), 465: GREEN}, GREEN,
            network=_on(STARTTLS_PORTS, ProxyRule.of("strip_starttls")),
        ),
        Scenario(
            "cisco-masked", N_("Firewall masks the mail dialogue"),
            N_("A Cisco PIX/ASA firewall with \"ESMTP inspection\" on ports 25 and 587 "
               "hides the server's greeting behind asterisks and replaces STARTTLS "
               "with XXXXXXXA, which makes encryption impossible there."),
            {**_all(GREEN), 25: _red("starttls_stripped", "network"),
             587: _red("starttls_stripped", "network")}, GREEN,
            network=_on((25, 587), ProxyRule.of("mask_starttls", "mask_banner")),
        ),
        Scenario(
            "banner-masked", N_("Firewall hides the greeting"),
            N_("A firewall that inspects mail replaces the server's greeting with "
               "asterisks but lets STARTTLS through: mail works, but someone on "
               "the network looks into the mail traffic. (Port 465 is encrypted from "
               "the first byte, so a firewall cannot see its greeting; it is left out.)"),
            _all(_amber("smtp_banner_masked", "network"), STARTTLS_ONLY),
            _amber("smtp_banner_masked", "network"),
            ports=STARTTLS_ONLY,
            network=_on(STARTTLS_PORTS, ProxyRule.of("mask_banner")),
        ),
        Scenario(
            "connection-reset", N_("Network cuts connections"),
            N_("Equipment on the network cuts connections to ports 587 and 2525: at "
               "once on 587, right after the server's greeting on 2525. The reference "
               "servers are cut the same way. Ports 25 and 465 work."),
            {**_all(GREEN), 587: _red("tcp_reset", "network"), 2525: _red("tcp_reset", "network")},
            GREEN,
            network={587: ProxyRule.of("reset_on_connect"), 2525: ProxyRule.of("reset_after_greeting")},
        ),
        Scenario(
            "captive-portal", N_("Hotel Wi-Fi login page"),
            N_("The network has not been unlocked yet: every connection is answered "
               "by the Wi-Fi's login web page instead of the mail server."),
            _all(_red("smtp_not_smtp", "network")), _red("smtp_not_smtp", "network"),
            network=_on(ALL_PORTS, ProxyRule.of("captive_portal")),
        ),
        Scenario(
            "antivirus-intercept", N_("Antivirus reads encrypted mail"),
            N_("The antivirus program on this computer (avast! Mail Shield) opens the "
               "encrypted connections on ports 465 and 587 with its own certificate "
               "to scan the mail, and encrypts them again toward the server."),
            {25: GREEN, 465: _amber("tls_intercepted", "local"),
             587: _amber("tls_intercepted", "local")},
            _amber("tls_intercepted", "local"),
            ports=INTERCEPT_PORTS,
            network=_on((465, 587), ProxyRule.of("intercept_tls", product="avast")),
            trusted_roots=("avast",),  # the antivirus put its root into this computer's store
        ),
        Scenario(
            "firewall-intercept", N_("Firewall reads encrypted mail"),
            N_("A FortiGate firewall inspects all encrypted mail traffic: it presents "
               "its own certificate (\"FortiGate CA\") on every port and re-encrypts "
               "toward the server."),
            _all(_red("tls_intercepted", "network")), _red("tls_intercepted", "network"),
            network=_on(ALL_PORTS, ProxyRule.of("intercept_tls", product="fortigate")),
        ),
        _certificate_scenario(
            "expired-certificate", N_("Certificate expired"),
            N_("The mail server's certificate expired a month ago. Mail programs "
               "warn about it on every port."),
            "expired", "tls_expired"),
        _certificate_scenario(
            "not-yet-valid", N_("Certificate not valid yet"),
            N_("The mail server's certificate only becomes valid next month (or this "
               "computer's clock is wrong). Mail programs warn about it."),
            "not_yet_valid", "tls_expired"),
        _certificate_scenario(
            "wrong-name", N_("Certificate for another name"),
            N_("The mail server presents the certificate of its hosting provider's "
               "shared name instead of one for mail.example.net."),
            "wrong_name", "tls_name_mismatch"),
        _certificate_scenario(
            "self-signed", N_("Self-made certificate"),
            N_("The mail server's certificate was made by the server itself: nobody "
               "vouches for it."),
            "self_signed", "tls_self_signed"),
        _certificate_scenario(
            "untrusted-ca", N_("Certificate from an unknown issuer"),
            N_("The mail server's certificate comes from a certificate authority this "
               "computer does not know."),
            "untrusted", "tls_untrusted"),
        Scenario(
            "outdated-tls", N_("Outdated encryption"),
            N_("The mail server only speaks TLS 1.0 and 1.1, which current mail "
               "programs refuse."),
            _all(_red("tls_outdated", "server")), _red("tls_outdated", "server"),
            target_servers=certificate("good", outdated_tls=True),
        ),
        Scenario(
            "no-starttls", N_("Server without encryption"),
            N_("An old mail server that does not offer encryption at all: no STARTTLS "
               "on ports 25, 587 and 2525, and nothing on port 465."),
            _each(p25=_amber("starttls_missing", "server"), p465=_red("tcp_refused", "server"),
                  p587=_red("starttls_missing", "server"),
                  p2525=_red("starttls_missing", "server")),
            _red("starttls_missing", "server"),
            target_servers=by_mode(spec(no_starttls_server), None),
        ),
        Scenario(
            "starttls-refused", N_("Server's encryption broken"),
            N_("The mail server offers STARTTLS but refuses it when asked (454), and "
               "its port 465 breaks off every TLS handshake: its encryption setup is "
               "broken."),
            _each(p25=_red("starttls_failed", "server"),
                  p465=_red("tls_handshake_failed", "server"),
                  p587=_red("starttls_failed", "server"),
                  p2525=_red("starttls_failed", "server")),
            _red("starttls_failed", "server"),
            target_servers=by_mode(spec(starttls_refused_server),
                                   lambda names, port: tls_alert_server()),
        ),
        Scenario(
            "server-rejects", N_("Server refuses to talk"),
            N_("The mail server answers every connection with 554: it refuses "
               "service, for example because it has blocked this address."),
            _all(_red("smtp_rejected", "server")), _red("smtp_rejected", "server"),
            target_servers=lambda names, port: greeting_rejected_server(
                names, implicit_tls=port.mode == "implicit"),
        ),
        Scenario(
            "server-down", N_("Server down"),
            N_("Nothing runs on the mail server: every port refuses the connection, "
               "while the reference servers answer normally."),
            _all(_red("tcp_refused", "server")), _red("tcp_refused", "server"),
            target_servers=nothing,
        ),
        Scenario(
            "server-silent", N_("Server does not greet"),
            N_("The mail server accepts connections (and on port 465 the encryption) "
               "but never says hello, as an overloaded server does."),
            _all(_red("smtp_silent", "server")), _red("smtp_silent", "server"),
            target_servers=lambda names, port: silent_server(
                names, implicit_tls=port.mode == "implicit"),
        ),
        Scenario(
            "not-smtp", N_("Not a mail server"),
            N_("Something that is not a mail server answers on every port with binary "
               "garbage, as if the name pointed to the wrong machine."),
            {**_all(_red("smtp_not_smtp", "server")), 465: _red("tls_not_tls", "server")},
            _red("smtp_not_smtp", "server"),
            target_servers=lambda names, port: random_bytes_server(),
        ),
        Scenario(
            "hostile", N_("Broken and hostile server"),
            N_("A server that misbehaves differently on every port: an endless "
               "greeting line on 25, a connection closed in the middle of the TLS "
               "handshake on 465, a greeting dripped one byte per second on 587, and "
               "random bytes on 2525."),
            _each(p25=_red("smtp_protocol_error", "server"), p465=_red("tls_reset", "server"),
                  p587=_red("smtp_silent", "server"), p2525=_red("smtp_not_smtp", "server")),
            _red("tls_reset", "server"),
            target_servers=by_port({
                25: lambda names, port: endless_greeting_server(),
                465: lambda names, port: tls_close_server(),
                587: lambda names, port: drip_greeting_server(names),
                2525: lambda names, port: random_bytes_server(),
            }),
        ),
        Scenario(
            "dns-not-found", N_("Server name misspelled"),
            N_("The server name was typed wrong (mail.exampel.net): it does not exist."),
            _all(_red("dns_not_found", "input")), _red("dns_not_found", "input"),
            target=MISSPELLED_TARGET, dns="not_found",
        ),
        Scenario(
            "dns-failure", N_("Name service down"),
            N_("The network's name service does not answer, so no server name can be "
               "looked up, not even the reference servers': as far as mail can tell, "
               "this computer is offline."),
            _all(_red("offline", "network")), _red("offline", "network"),
            dns="failure",
        ),
        Scenario(
            "ipv6-broken", N_("Broken IPv6"),
            N_("The mail server has an IPv6 address, but this network's IPv6 silently "
               "drops everything. IPv4 works, so mail programs get through, slowly."),
            _all(_amber("ip_family_partial", "network")), _amber("ip_family_partial", "network"),
            family_network={"ipv6": ProxyRule.of("drop")}, target_ipv6=True,
        ),
        Scenario(
            "auth-before-tls", N_("Password accepted unencrypted"),
            N_("The mail server offers to take the password before encryption is on "
               "(AUTH PLAIN LOGIN in plain text) and has no port 465."),
            {**_all(_amber("auth_before_tls", "server")), 465: _red("tcp_refused", "server")},
            _amber("auth_before_tls", "server"),
            target_servers=by_mode(spec(auth_before_tls_server), None),
        ),
        Scenario(
            "login", N_("Login"),
            N_("A healthy mail server that knows one user, to try the login check: "
               "demo@example.net with the password smtpdiag-demo-2012. Any other "
               "login is refused."),
            _all(GREEN), GREEN,
            target_servers=_login, demo_user=DEMO_USER, demo_password=DEMO_PASSWORD,
        ),
        Scenario(
            "login-switched-off", N_("Login switched off"),
            N_("Every port works, but the organisation has switched off sending from mail "
               "programs (SMTP AUTH): the one login (on port 465) gets Microsoft 365's answer "
               "535 5.7.139 SmtpClientAuthentication is disabled for the Tenant."),
            {**_all(GREEN), 465: _red("auth_disabled", "server")}, _red("auth_disabled", "server"),
            target_servers=_login_switched_off, demo_user=DEMO_USER, demo_password=DEMO_PASSWORD,
        ),
        Scenario(
            "oauth-only", N_("OAuth2 sign-in only"),
            N_("Every port works, but once encryption is on the server offers only OAuth2 sign-in "
               "(XOAUTH2, OAUTHBEARER), as Outlook.com does since September 2024: the demo's "
               "password is never sent."),
            {**_all(GREEN), 465: _red("auth_oauth_required", "input")}, _red("auth_oauth_required", "input"),
            target_servers=_oauth_only, demo_user=DEMO_USER, demo_password=DEMO_PASSWORD,
        ),
        Scenario(
            "tls-stalled", N_("Encryption stalls"),
            N_("A network device swallows the start of every encrypted connection on "
               "ports 465 and 587: nothing comes back, the handshake never ends. "
               "Ports 25 and 2525 work."),
            {**_all(GREEN), 465: _red("tls_timeout", "network"),
             587: _red("tls_timeout", "network")}, GREEN,
            network=_on((465, 587), ProxyRule.of("stall_on_clienthello")),
        ),
    ]


def _certificate_scenario(name: str, title: str, description: str, kind: CertKind,
                          cause: str) -> Scenario:
    return Scenario(name, title, description, _all(_red(cause, "server")),
                    _red(cause, "server"), target_servers=certificate(kind))


SCENARIOS: dict[str, Scenario] = {s.name: s for s in _scenarios()}


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"no scenario {name!r}; known: {', '.join(SCENARIOS)}") from None


# -- running a scenario -------------------------------------------------------------


class RunningScenario:
    """A scenario's world, listening on loopback until :meth:`close`."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.servers = SimServers()
        self._responders: list[Any] = []
        try:
            self.network = SimNetwork(
                {f: self.servers.closed_port(f) for f in _usable_families()},
                simulated_ca_pem() + "".join(
                    interception_ca(p).cert_pem.bytes().decode("ascii") for p in scenario.trusted_roots),
            )
            _build(scenario, self.servers, self.network)
            self._responders = _build_vpn(scenario, self.network)
            self._responders.append(_build_time_server(self.network))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for responder in self._responders:
            responder.close()
        self._responders = []
        self.servers.close()

    vpn_host = VPN_HOST

    def demo_config(self, timeout: float = DEFAULT_TIMEOUT) -> RunConfig:
        """What the demo runs: :meth:`config`, plus the VPN server where the scenario's
        story includes it (a VPN check always waits a full timeout for WireGuard), plus
        the exact settings of the scenario's example mail programs."""
        if self.scenario.vpn_in_demo:
            config = self.config(timeout=timeout, vpn=self.vpn_specs(), vpn_host=VPN_HOST)
        else:
            config = self.config(timeout=timeout)
        if self.mail_accounts():
            from ..accounts.run import with_accounts

            config = with_accounts(config, self.mail_accounts())
        return config

    def mail_accounts(self) -> tuple[Any, ...]:
        """The mail programs of the demo's example computer (never the user's own)."""
        if not self.scenario.mail_programs:
            return ()
        from .demo_mail_programs import demo_accounts

        return demo_accounts()

    def vpn_specs(self) -> tuple[VpnSpec, ...]:
        """Every VPN protocol toward the world's VPN server, on its usual port."""
        from ..probe.vpn import PROTOCOLS

        return tuple(VpnSpec(VPN_HOST, p, port) for p, (_t, port) in PROTOCOLS.items())

    def config(self, timeout: float = DEFAULT_TIMEOUT, **changes: Any) -> RunConfig:
        """The run configuration for this world (target, ports, reference servers).

        The ``login`` scenario logs in with its demo user unless *changes* say
        otherwise (``user=None``, or another ``password``).
        """
        s = self.scenario
        values: dict[str, Any] = {"target": s.target, "host": s.target, "ports": s.ports,
                                  "controls": s.controls, "timeout": timeout, "time_server": TIME_HOST}
        if s.demo_user:
            values.update(user=s.demo_user, password=s.demo_password)
        values.update(changes)
        return RunConfig(**values)

    def endpoint(self, host: str, port: int, family: Family = "ipv4") -> Endpoint:
        """The real loopback endpoint behind *host*:*port* (for tests and details)."""
        address = next(a for a in ADDRESSES[host] if family_of(a) == family)
        return self.network.tcp_endpoint(address, port)

    @property
    def errors(self) -> list[str]:
        return self.servers.errors


def start_scenario(name: str | Scenario) -> RunningScenario:
    """Build scenario *name* on loopback; use as a context manager (or call close())."""
    scenario = name if isinstance(name, Scenario) else get_scenario(name)
    return RunningScenario(scenario)


def _usable_families() -> tuple[Family, ...]:
    return FAMILIES if ipv6_mode() != "none" else ("ipv4",)


def _build_time_server(network: SimNetwork) -> Any:
    """The world's time server (SNTP on loopback), so the clock check never leaves this computer."""
    from .time_server import SntpResponder

    responder = SntpResponder()
    network.add_host(TIME_HOST, TIME_ADDRESS)
    network.add_route(TIME_ADDRESS, 123, Endpoint(responder.address, responder.port), "udp")
    return responder


def _build_vpn(scenario: Scenario, network: SimNetwork) -> list[Any]:
    """The world's VPN server: one real responder per protocol (see smtpdiag.simnet.vpn_responders).

    A protocol in ``scenario.vpn_silent`` is routed to a responder that never
    answers, as a network that swallows it would; WireGuard never answers anyway.
    """
    from ..probe.vpn import PROTOCOLS
    from . import vpn_responders as r
    from .certs import server_cert, server_context

    network.add_host(VPN_HOST, VPN_ADDRESS)
    made: list[Any] = []
    try:
        for protocol, (transport, port) in PROTOCOLS.items():
            silent = protocol in scenario.vpn_silent or protocol == "wireguard"
            if silent:
                responder = r.UdpResponder() if transport == "udp" else r.TcpResponder()
            elif protocol in ("ike", "ike-natt"):
                responder = r.IkeResponder(natt=protocol == "ike-natt")
            elif protocol == "openvpn-udp":
                responder = r.OpenVpnUdpResponder()
            elif protocol == "openvpn-tcp":
                responder = r.OpenVpnTcpResponder()
            elif protocol == "pptp":
                responder = r.PptpResponder(host_name=VPN_HOST)
            else:
                context = server_context(server_cert("good", (VPN_HOST,)))
                responder = r.SstpResponder(context)
            made.append(responder)
            network.add_route(VPN_ADDRESS, port, Endpoint(responder.address, responder.port),
                              "udp" if transport == "udp" else "tcp")
    except BaseException:
        for responder in made:
            responder.close()
        raise
    return made


def _build(scenario: Scenario, servers: SimServers, network: SimNetwork) -> None:
    """Names, servers, network rules and routes of *scenario*."""
    families = _usable_families()
    hosts: list[tuple[str, Behaviour, bool]] = [
        (scenario.target, scenario.target_servers, scenario.target_ipv6),
        *((control, healthy, False) for control in CONTROLS),
    ]
    for host, behaviour, with_ipv6 in hosts:
        if host not in ADDRESSES:
            continue  # a name that does not exist
        addresses = [a for a in ADDRESSES[host]
                     if family_of(a) == "ipv4" or (with_ipv6 and "ipv6" in families)]
        network.add_host(host, *addresses)
        if scenario.dns == "failure":
            network.break_name(host)
            continue
        for address in addresses:
            family = family_of(address)
            for port in scenario.ports:
                server = behaviour((host,), port)
                upstream = servers.start(server, family) if server is not None else None
                front = servers.start_proxy(scenario.rule_for(port.port, family), upstream,
                                            family=family, names=(host,), mode=port.mode)
                network.add_route(address, port.port, front)
    _build_mail_domain(scenario, network)


def _build_mail_domain(scenario: Scenario, network: SimNetwork) -> None:
    """The demo user's domain publishes its sending server (RFC 6186, RFC 8314), as a
    well-run provider does, so typing demo@example.net finds mail.example.net."""
    if scenario.target != TARGET:
        return  # the misspelled world: exampel.net has no records -> dns_not_found
    if scenario.dns == "failure":
        for name in (MAIL_DOMAIN, f"_submissions._tcp.{MAIL_DOMAIN}",
                     f"_submission._tcp.{MAIL_DOMAIN}", f"smtp.{MAIL_DOMAIN}"):
            network.break_name(name)  # mail.example.net is already broken as TARGET
        return
    network.add_records(f"_submissions._tcp.{MAIL_DOMAIN}", "SRV", [f"0 1 465 {TARGET}"])
    network.add_records(f"_submission._tcp.{MAIL_DOMAIN}", "SRV", [f"0 1 587 {TARGET}"])
    network.add_records(MAIL_DOMAIN, "MX", [f"10 {TARGET}"])
