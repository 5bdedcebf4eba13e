"""Can a VPN work from here?  Probes that speak each VPN protocol's first message.

No Qt here.  :func:`probe_vpn` sends one protocol's real opening message to a
server and returns the records of what happened:

    probe_vpn(net, address, protocol, port, timeout, cancel) -> (steps, transcript)
    ├── ike, ike-natt     IKEv2 IKE_SA_INIT (UDP 4500: after the non-ESP marker)   ike.py
    ├── openvpn-udp/-tcp  P_CONTROL_HARD_RESET_CLIENT_V2                          openvpn.py
    ├── pptp              Start-Control-Connection-Request                        pptp.py
    ├── sstp              TLS, then SSTP_DUPLEX_POST (and an AnyConnect request)  sstp.py
    └── wireguard         never answers; only ICMP port unreachable is news      wireguard.py

The steps are an optional ``connect`` step (TCP protocols, only when the
connection was made) and always one final ``probe`` step whose ``failure``
is None (answered), ``no_answer``, ``refused``, ``unverifiable`` or
``cancelled``; ``verdict.classify_steps`` turns those into ``vpn_reachable``,
``vpn_no_answer``, ``vpn_refused``, ``vpn_unverifiable`` or ``cancelled``.
A failed TCP connection is reported in the ``probe`` step, never as a failed
``connect`` step (which would read as the SMTP cause ``tcp_refused``).

Whether this computer itself is connected through a VPN is host inspection
(``smtpdiag.host.vpn``); small loopback servers of each protocol for the tests
and the demo are part of the simulated network (``smtpdiag.simnet.vpn_responders``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ...config import PROTOCOL_NAMES, PROTOCOLS
from ...net import Network, ProbeError
from ...records import Step, TranscriptLine
from .ike import probe_ike
from .openvpn import probe_openvpn_tcp, probe_openvpn_udp
from .pptp import probe_pptp
from .session import Cancelled, ProbeOutcome, ProbeSession, vpn_failure
from .sstp import probe_sstp
from .wireguard import probe_wireguard

__all__ = ["PROTOCOLS", "PROTOCOL_NAMES", "probe_vpn"]

_SIMPLE_PROBES: dict[str, Callable[[Network, str, int, float, ProbeSession], ProbeOutcome]] = {
    "openvpn-udp": probe_openvpn_udp,
    "openvpn-tcp": probe_openvpn_tcp,
    "pptp": probe_pptp,
    "wireguard": probe_wireguard,
}


def _run_protocol_probe(net: Network, address: str, protocol: str, port: int, timeout: float,
                        session: ProbeSession, server_name: str | None) -> ProbeOutcome:
    if protocol in ("ike", "ike-natt"):
        return probe_ike(net, address, port, timeout, session, natt=protocol == "ike-natt")
    if protocol == "sstp":
        return probe_sstp(net, address, port, timeout, session, server_name)
    return _SIMPLE_PROBES[protocol](net, address, port, timeout, session)


def probe_vpn(net: Network, address: str, protocol: str, port: int, timeout: float,
              cancel: threading.Event, server_name: str | None = None,
              ) -> tuple[tuple[Step, ...], tuple[TranscriptLine, ...]]:
    """Send *protocol*'s first message to *address*:*port* and record the answer.

    *timeout* bounds each network step (the connection, the TLS handshake, the
    wait for an answer); UDP requests are sent again within it.  *cancel* is
    looked at at least every 0.1 s.  *server_name* is the host name for TLS
    (SNI, certificate check) and the HTTP Host header of SSTP.

    Never raises for network trouble: every outcome is in the ``probe`` step.
    Raises ``ValueError`` for a protocol not in :data:`PROTOCOLS`.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown VPN protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    session = ProbeSession(cancel, timeout)
    transport = PROTOCOLS[protocol][0].upper()
    session.note(f"probing {protocol} ({transport} {port}) at {address}")
    try:
        session.check_cancel()
        outcome = _run_protocol_probe(net, address, protocol, port, timeout, session,
                                      server_name)
    except Cancelled:
        outcome = ProbeOutcome("cancelled", "the check was stopped")
    except ProbeError as exc:  # already mapped by the transport (net.failure_of)
        outcome = ProbeOutcome(vpn_failure(exc.failure), f"the probe failed: {exc.detail}")
    return session.finish(outcome)
