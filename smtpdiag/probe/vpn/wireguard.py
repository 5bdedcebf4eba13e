"""WireGuard on UDP 51820: it never answers strangers, by design.

A WireGuard peer answers only a handshake initiation that is authenticated
with its public key (the ``mac1`` field), which a probe does not know.  So the
only thing a probe can learn is a negative: an ICMP port unreachable says
that nothing listens.  Otherwise the result is ``unverifiable``.

The probe sends a message of the right shape (type 1, 148 bytes: sender index,
ephemeral key, encrypted static key and timestamp, mac1, mac2) filled with
random bytes.  A WireGuard peer drops it silently after checking mac1; it
cannot be mistaken for a real peer's handshake.
"""

from __future__ import annotations

import os
import struct

from ...net import Network
from .session import ProbeOutcome, ProbeSession, exchange_datagrams, open_udp

MESSAGE_HANDSHAKE_INITIATION = 1
HANDSHAKE_INITIATION_LENGTH = 148
# How long to wait for an ICMP port unreachable, at most (it comes within a round trip).
ICMP_WAIT = 2.0

NEVER_ANSWERS = (
    "WireGuard never answers a stranger's handshake (it only answers peers that know its "
    "public key), so whether it is reachable cannot be tested from here"
)


def random_handshake_initiation() -> bytes:
    """A type-1 message of the right length, with random contents (and thus a bad mac1)."""
    header = struct.pack("<B3x", MESSAGE_HANDSHAKE_INITIATION)
    return header + os.urandom(HANDSHAKE_INITIATION_LENGTH - len(header))


def probe_wireguard(net: Network, address: str, port: int, timeout: float,
                    session: ProbeSession) -> ProbeOutcome:
    sock = open_udp(net, address, port, session)
    if isinstance(sock, ProbeOutcome):
        return sock
    wait = min(timeout, ICMP_WAIT)
    with sock:
        session.note("handshake initiation of random bytes (148 bytes): only an ICMP port "
                     "unreachable can come back")
        result = exchange_datagrams(sock, random_handshake_initiation(), wait, session,
                                    accept=lambda datagram: datagram, sends=2,
                                    label="handshake initiation")
    if result.refused:
        return ProbeOutcome("refused", f"nothing listens on UDP {port}: the host answered "
                                       "with ICMP port unreachable")
    if result.answer is not None:
        return ProbeOutcome("unverifiable", "something answered on this UDP port, which a "
                                            "WireGuard peer never does; " + NEVER_ANSWERS)
    return ProbeOutcome("unverifiable", NEVER_ANSWERS)
