"""OpenVPN's first control packet, over UDP and TCP.

A client opens with P_CONTROL_HARD_RESET_CLIENT_V2; a server without
``tls-auth``/``tls-crypt`` answers P_CONTROL_HARD_RESET_SERVER_V2:

    byte 0     opcode << 3 | key_id        (7 = client reset, 8 = server reset)
    8 bytes    the sender's session id
    1 byte     ack array length n, then n packet ids (4 bytes each) and, if n > 0,
               the peer's session id (8 bytes) the acks belong to
    4 bytes    message packet id
    ...        TLS payload (empty in a reset)

Over TCP each packet is preceded by its length (2 bytes, big-endian).

A server with ``tls-auth`` or ``tls-crypt`` silently drops packets that are
not signed with its key, so silence is ambiguous: the probe says so in its
detail and transcript.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from ...frozen import record
from ...net import Network
from .session import (
    ProbeOutcome,
    ProbeSession,
    connect_tcp,
    exchange_datagrams,
    open_udp,
)

P_CONTROL_HARD_RESET_CLIENT_V2 = 7
P_CONTROL_HARD_RESET_SERVER_V2 = 8
OPCODE_NAMES = {
    1: "P_CONTROL_HARD_RESET_CLIENT_V1", 2: "P_CONTROL_HARD_RESET_SERVER_V1",
    3: "P_CONTROL_SOFT_RESET_V1", 4: "P_CONTROL_V1", 5: "P_ACK_V1", 6: "P_DATA_V1",
    7: "P_CONTROL_HARD_RESET_CLIENT_V2", 8: "P_CONTROL_HARD_RESET_SERVER_V2", 9: "P_DATA_V2",
    10: "P_CONTROL_HARD_RESET_CLIENT_V3", 11: "P_CONTROL_WKC_V1",
}

SILENCE_IS_AMBIGUOUS = (
    "OpenVPN servers protected by tls-auth or tls-crypt stay silent to clients "
    "without their key, so silence does not prove that the way is blocked"
)


class OpenVpnParseError(ValueError):
    """The bytes are not an OpenVPN control packet."""


@record
class ControlPacket:
    opcode: int
    key_id: int
    session_id: bytes
    acks: tuple[int, ...] = ()
    remote_session_id: bytes | None = None
    packet_id: int = 0
    payload: bytes = b""

    @property
    def name(self) -> str:
        return OPCODE_NAMES.get(self.opcode, f"opcode {self.opcode}")

    def encode(self) -> bytes:
        out = bytes([self.opcode << 3 | self.key_id]) + self.session_id
        out += bytes([len(self.acks)]) + b"".join(struct.pack("!I", a) for a in self.acks)
        if self.acks:
            out += self.remote_session_id or bytes(8)
        return out + struct.pack("!I", self.packet_id) + self.payload

    def describe(self) -> str:
        text = f"{self.name}, session id {self.session_id.hex()}"
        if self.acks:
            text += f", acknowledges packet {', '.join(map(str, self.acks))}"
        return text


def client_hard_reset(session_id: bytes) -> ControlPacket:
    """P_CONTROL_HARD_RESET_CLIENT_V2, key id 0, no acks, packet id 0."""
    return ControlPacket(P_CONTROL_HARD_RESET_CLIENT_V2, 0, session_id)


def server_hard_reset(session_id: bytes, client: ControlPacket) -> ControlPacket:
    """The answer a server sends to *client*'s hard reset (used by the responders)."""
    return ControlPacket(P_CONTROL_HARD_RESET_SERVER_V2, client.key_id, session_id,
                         acks=(client.packet_id,), remote_session_id=client.session_id)


def parse_control_packet(data: bytes) -> ControlPacket:
    """Decode a plain (not tls-auth) control packet; raises :class:`OpenVpnParseError`."""
    if len(data) < 14:
        raise OpenVpnParseError(f"{len(data)} bytes is too short for a control packet")
    opcode, key_id = data[0] >> 3, data[0] & 0x07
    session_id = data[1:9]
    count = data[9]
    offset = 10
    acks = []
    for _ in range(count):
        if offset + 4 > len(data):
            raise OpenVpnParseError("ack array runs past the packet")
        acks.append(struct.unpack_from("!I", data, offset)[0])
        offset += 4
    remote = None
    if count:
        remote = data[offset : offset + 8]
        offset += 8
    if offset + 4 > len(data):
        raise OpenVpnParseError("packet id runs past the packet")
    packet_id = struct.unpack_from("!I", data, offset)[0]
    return ControlPacket(opcode, key_id, session_id, tuple(acks), remote, packet_id,
                         data[offset + 4 :])


def frame_tcp(packet: bytes) -> bytes:
    """An OpenVPN packet as sent over TCP: with its 2-byte length first."""
    return struct.pack("!H", len(packet)) + packet


def unframe_tcp(stream: bytes) -> bytes | None:
    """The first complete packet in a TCP stream, or None if it is not complete yet."""
    if len(stream) < 2:
        return None
    length = struct.unpack_from("!H", stream)[0]
    if len(stream) < 2 + length:
        return None
    return stream[2 : 2 + length]


def is_server_reset_for(packet: ControlPacket, session_id: bytes) -> bool:
    """Is *packet* a server's hard reset answering our session?"""
    if packet.opcode != P_CONTROL_HARD_RESET_SERVER_V2:
        return False
    return packet.remote_session_id in (None, session_id)


def _answer_decoder(session_id: bytes) -> Callable[[bytes], ControlPacket | None]:
    """A decoder for datagrams: the server's hard reset for *session_id*, else None."""
    def accept(datagram: bytes) -> ControlPacket | None:
        try:
            packet = parse_control_packet(datagram)
        except OpenVpnParseError:
            return None
        return packet if is_server_reset_for(packet, session_id) else None

    return accept


def probe_openvpn_udp(net: Network, address: str, port: int, timeout: float,
                      session: ProbeSession) -> ProbeOutcome:
    sock = open_udp(net, address, port, session)
    if isinstance(sock, ProbeOutcome):
        return sock
    session_id = os.urandom(8)
    request = client_hard_reset(session_id)
    with sock:
        session.note(f"{request.name}: session id {session_id.hex()}, packet id 0")
        result = exchange_datagrams(sock, request.encode(), timeout, session,
                                    _answer_decoder(session_id))
    if result.refused:
        return ProbeOutcome("refused", f"nothing listens on UDP {port}: the host answered "
                                       "with ICMP port unreachable")
    if result.answer is None:
        session.note(SILENCE_IS_AMBIGUOUS)
        return ProbeOutcome("no_answer", f"no OpenVPN answer within {timeout:g} s "
                                         f"({result.sends} requests sent); "
                                         f"{SILENCE_IS_AMBIGUOUS}")
    return _answered(result.answer)  # type: ignore[arg-type]


def probe_openvpn_tcp(net: Network, address: str, port: int, timeout: float,
                      session: ProbeSession) -> ProbeOutcome:
    sock = connect_tcp(net, address, port, timeout, session)
    if isinstance(sock, ProbeOutcome):
        return sock
    session_id = os.urandom(8)
    request = client_hard_reset(session_id)
    with sock:
        session.note(f"{request.name} (with 2-byte length): session id {session_id.hex()}, "
                     "packet id 0")
        framed = frame_tcp(request.encode())
        session.sent(framed)
        session.send_stream(sock, framed, timeout)
        received = session.receive_stream(sock, timeout,
                                          lambda data: unframe_tcp(data) is not None)
    if received.data:
        session.received(received.data)
    packet_bytes = unframe_tcp(received.data)
    if packet_bytes is not None:
        try:
            packet = parse_control_packet(packet_bytes)
        except OpenVpnParseError as exc:
            packet = None
            session.note(f"not an OpenVPN packet: {exc}")
        if packet is not None and is_server_reset_for(packet, session_id):
            return _answered(packet)
        if packet is not None:
            session.note(f"unexpected answer: {packet.describe()}")
    how = ("the server closed the connection without an answer" if received.closed
           else f"no OpenVPN answer within {timeout:g} s")
    if received.data and packet_bytes is None:
        how = "the answer is not an OpenVPN packet"
    session.note(SILENCE_IS_AMBIGUOUS)
    return ProbeOutcome("no_answer", f"{how}; {SILENCE_IS_AMBIGUOUS}")


def _answered(packet: ControlPacket) -> ProbeOutcome:
    return ProbeOutcome(None, f"an OpenVPN server answered: {packet.describe()}")
