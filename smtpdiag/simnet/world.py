"""A scenario's world on loopback: build it, run checks against it, take it down.

    with start_scenario("mobile-2012") as sim:
        report = diagnose(sim.config(timeout=3.0), network=sim.network)  # smtpdiag.report.model

:func:`start_scenario` starts, for the scenario's data (:mod:`.scenarios`), the real
servers (:mod:`.servers`) of the target and the reference servers behind the fault
proxy (:mod:`.proxy`), the world's VPN server (:mod:`.vpn_responders`) and time
server, and a :class:`~.network.SimNetwork` that maps the world's names and
addresses onto them.
"""

from __future__ import annotations

from typing import Any, Self

from ..config import RunConfig, VpnSpec
from .behaviours import Behaviour, healthy
from .certs import interception_ca, simulated_ca_pem
from .network import SimNetwork, family_of
from .scenarios import (
    ADDRESSES,
    CONTROLS,
    MAIL_DOMAIN,
    TARGET,
    TIME_ADDRESS,
    TIME_HOST,
    VPN_ADDRESS,
    VPN_HOST,
    Scenario,
    get_scenario,
    mail_accounts,
)
from .servers import SimServers
from .sockets import FAMILIES, Endpoint, Family, ipv6_mode

DEFAULT_TIMEOUT = 3.0


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
        return mail_accounts(self.scenario)

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
