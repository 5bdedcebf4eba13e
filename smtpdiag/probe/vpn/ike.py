"""IKEv2 (RFC 7296): the IKE_SA_INIT exchange that opens every IKEv2/IPsec VPN.

The probe sends a real IKE_SA_INIT request, as a VPN client's first message:

    header   random initiator SPI, responder SPI 0, exchange 34, flag Initiator
    SA       one proposal: AES-CBC-256, PRF-HMAC-SHA2-256, HMAC-SHA2-256-128, DH group 19
    KE       a fresh ephemeral ECP-256 public key (group 19, 64 bytes)
    Nonce    32 random bytes
    Notify   NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP

Any IKE response carrying our initiator SPI proves an IKE daemon is there,
including refusals (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD) and a COOKIE
request.  On UDP 4500 (NAT traversal) every IKE message is preceded by the
4-byte non-ESP marker (RFC 3948).

This module also builds responses (for the loopback responders of the tests
and the demo) from the same encoders, so both sides share one definition.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import struct
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ...frozen import record
from ...net import Network
from .session import (
    ProbeOutcome,
    ProbeSession,
    exchange_datagrams,
    open_udp,
)

EXCHANGE_IKE_SA_INIT = 34
EXCHANGE_NAMES = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}
IKE_VERSION_2 = 0x20
FLAG_INITIATOR = 0x08
FLAG_RESPONSE = 0x20

PAYLOAD_NONE = 0
PAYLOAD_SA = 33
PAYLOAD_KE = 34
PAYLOAD_NONCE = 40
PAYLOAD_NOTIFY = 41
PAYLOAD_VENDOR_ID = 43
PAYLOAD_NAMES = {
    33: "SA", 34: "KE", 35: "IDi", 36: "IDr", 37: "CERT", 38: "CERTREQ", 39: "AUTH",
    40: "Nonce", 41: "Notify", 42: "Delete", 43: "Vendor ID", 44: "TSi", 45: "TSr",
    46: "Encrypted", 47: "Configuration", 48: "EAP", 53: "Encrypted Fragment",
}

NOTIFY_INVALID_KE_PAYLOAD = 17
NOTIFY_NO_PROPOSAL_CHOSEN = 14
NOTIFY_NAT_DETECTION_SOURCE_IP = 16388
NOTIFY_NAT_DETECTION_DESTINATION_IP = 16389
NOTIFY_COOKIE = 16390
NOTIFY_NAMES = {
    1: "UNSUPPORTED_CRITICAL_PAYLOAD", 4: "INVALID_IKE_SPI", 5: "INVALID_MAJOR_VERSION",
    7: "INVALID_SYNTAX", 9: "INVALID_MESSAGE_ID", 11: "INVALID_SPI",
    14: "NO_PROPOSAL_CHOSEN", 17: "INVALID_KE_PAYLOAD", 24: "AUTHENTICATION_FAILED",
    34: "SINGLE_PAIR_REQUIRED", 35: "NO_ADDITIONAL_SAS", 36: "INTERNAL_ADDRESS_FAILURE",
    37: "FAILED_CP_REQUIRED", 38: "TS_UNACCEPTABLE", 39: "INVALID_SELECTORS",
    43: "TEMPORARY_FAILURE", 44: "CHILD_SA_NOT_FOUND",
    16384: "INITIAL_CONTACT", 16385: "SET_WINDOW_SIZE", 16386: "ADDITIONAL_TS_POSSIBLE",
    16387: "IPCOMP_SUPPORTED", 16388: "NAT_DETECTION_SOURCE_IP",
    16389: "NAT_DETECTION_DESTINATION_IP", 16390: "COOKIE", 16391: "USE_TRANSPORT_MODE",
    16392: "HTTP_CERT_LOOKUP_SUPPORTED", 16393: "REKEY_SA",
    16394: "ESP_TFC_PADDING_NOT_SUPPORTED", 16395: "NON_FIRST_FRAGMENTS_ALSO",
    16404: "MULTIPLE_AUTH_SUPPORTED", 16406: "REDIRECT_SUPPORTED", 16407: "REDIRECT",
    16418: "CHILDLESS_IKEV2_SUPPORTED",
    16430: "IKEV2_FRAGMENTATION_SUPPORTED", 16431: "SIGNATURE_HASH_ALGORITHMS",
}

# Transform types and the IDs this probe knows by name (IANA "IKEv2 Parameters").
TRANSFORM_ENCR, TRANSFORM_PRF, TRANSFORM_INTEG, TRANSFORM_DH = 1, 2, 3, 4
ENCR_AES_CBC = 12
PRF_HMAC_SHA2_256 = 5
AUTH_HMAC_SHA2_256_128 = 12
DH_ECP256 = 19
DH_CURVE25519 = 31
ATTRIBUTE_KEY_LENGTH = 14
TRANSFORM_NAMES = {
    TRANSFORM_ENCR: {3: "3DES", 12: "AES-CBC", 13: "AES-CTR", 18: "AES-CCM-8", 19: "AES-GCM-8",
                     20: "AES-GCM-16", 28: "ChaCha20-Poly1305"},
    TRANSFORM_PRF: {2: "PRF-HMAC-SHA1", 4: "PRF-AES128-CMAC", 5: "PRF-HMAC-SHA2-256",
                    6: "PRF-HMAC-SHA2-384", 7: "PRF-HMAC-SHA2-512"},
    TRANSFORM_INTEG: {2: "HMAC-SHA1-96", 12: "HMAC-SHA2-256-128", 13: "HMAC-SHA2-384-192",
                      14: "HMAC-SHA2-512-256"},
    TRANSFORM_DH: {2: "MODP-1024", 14: "MODP-2048", 15: "MODP-3072", 16: "MODP-4096",
                   19: "ECP-256", 20: "ECP-384", 21: "ECP-521", 31: "Curve25519",
                   32: "Curve448"},
}
TRANSFORM_TYPE_NAMES = {1: "ENCR", 2: "PRF", 3: "INTEG", 4: "DH", 5: "ESN"}

# Length of the key exchange data for the groups this probe can generate.
KE_DATA_LENGTH = {DH_ECP256: 64, DH_CURVE25519: 32}

NON_ESP_MARKER = b"\x00\x00\x00\x00"
PROTOCOL_IKE = 1

_HEADER = struct.Struct("!8s8sBBBBII")
_GENERIC = struct.Struct("!BBH")


class IkeParseError(ValueError):
    """The bytes are not a well-formed IKEv2 message."""


# -- data model -------------------------------------------------------------


@record
class Transform:
    type: int
    id: int
    key_length: int | None = None

    def encode(self, last: bool) -> bytes:
        attributes = b""
        if self.key_length is not None:
            attributes = struct.pack("!HH", 0x8000 | ATTRIBUTE_KEY_LENGTH, self.key_length)
        return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attributes), self.type, 0,
                           self.id) + attributes

    def __str__(self) -> str:
        name = TRANSFORM_NAMES.get(self.type, {}).get(self.id)
        if name is None:
            name = f"{TRANSFORM_TYPE_NAMES.get(self.type, f'type {self.type}')} {self.id}"
        return f"{name}-{self.key_length}" if self.key_length else name


@record
class Proposal:
    number: int
    protocol: int
    transforms: tuple[Transform, ...]
    spi: bytes = b""

    def encode(self, last: bool) -> bytes:
        body = b"".join(t.encode(i == len(self.transforms) - 1)
                        for i, t in enumerate(self.transforms))
        length = 8 + len(self.spi) + len(body)
        return struct.pack("!BBHBBBB", 0 if last else 2, 0, length, self.number, self.protocol,
                           len(self.spi), len(self.transforms)) + self.spi + body

    def group(self) -> int | None:
        return next((t.id for t in self.transforms if t.type == TRANSFORM_DH), None)


@record
class Notify:
    type: int
    data: bytes = b""
    protocol: int = 0
    spi: bytes = b""

    @property
    def name(self) -> str:
        return NOTIFY_NAMES.get(self.type, f"notify type {self.type}")

    def encode(self) -> bytes:
        return struct.pack("!BBH", self.protocol, len(self.spi), self.type) + self.spi + self.data

    def __str__(self) -> str:
        if self.type == NOTIFY_INVALID_KE_PAYLOAD and len(self.data) == 2:
            group = struct.unpack("!H", self.data)[0]
            return f"{self.name} (the server wants DH group {group}, {_group_name(group)})"
        return self.name


@record
class Payload:
    type: int
    body: bytes
    critical: bool = False

    @property
    def name(self) -> str:
        return PAYLOAD_NAMES.get(self.type, f"payload {self.type}")


@record
class IkeMessage:
    spi_i: bytes
    spi_r: bytes
    version: int
    exchange: int
    flags: int
    message_id: int
    payloads: tuple[Payload, ...]

    @property
    def is_response(self) -> bool:
        return bool(self.flags & FLAG_RESPONSE)

    def first(self, payload_type: int) -> Payload | None:
        return next((p for p in self.payloads if p.type == payload_type), None)

    def notifies(self) -> list[Notify]:
        return [parse_notify(p.body) for p in self.payloads if p.type == PAYLOAD_NOTIFY]

    def encode(self) -> bytes:
        return encode_message(self.spi_i, self.spi_r, self.exchange, self.flags,
                              self.message_id, self.payloads, self.version)


# -- encoding ---------------------------------------------------------------


def encode_message(spi_i: bytes, spi_r: bytes, exchange: int, flags: int, message_id: int,
                   payloads: Sequence[Payload], version: int = IKE_VERSION_2) -> bytes:
    """An IKE message: the header, then the payload chain (each names the next)."""
    chain = b""
    for i, payload in enumerate(payloads):
        following = payloads[i + 1].type if i + 1 < len(payloads) else PAYLOAD_NONE
        flag = 0x80 if payload.critical else 0
        chain += _GENERIC.pack(following, flag, 4 + len(payload.body)) + payload.body
    first = payloads[0].type if payloads else PAYLOAD_NONE
    header = _HEADER.pack(spi_i, spi_r, first, version, exchange, flags, message_id,
                          _HEADER.size + len(chain))
    return header + chain


def sa_payload(proposals: Sequence[Proposal]) -> Payload:
    body = b"".join(p.encode(i == len(proposals) - 1) for i, p in enumerate(proposals))
    return Payload(PAYLOAD_SA, body)


def ke_payload(group: int, key_data: bytes) -> Payload:
    return Payload(PAYLOAD_KE, struct.pack("!HH", group, 0) + key_data)


def notify_payload(notify: Notify) -> Payload:
    return Payload(PAYLOAD_NOTIFY, notify.encode())


def ephemeral_public_key(group: int) -> bytes:
    """A fresh public key for *group* in IKE's encoding (RFC 5903 / RFC 8031)."""
    if group == DH_ECP256:
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)[1:]  # x || y
    if group == DH_CURVE25519:
        return x25519.X25519PrivateKey.generate().public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw)
    raise ValueError(f"cannot generate a key for DH group {group}")


def nat_detection_hash(spi_i: bytes, spi_r: bytes, address: str, port: int) -> bytes:
    """SHA-1(SPIi | SPIr | IP | port), the NAT_DETECTION_*_IP notify data (RFC 7296 2.23)."""
    packed = ipaddress.ip_address(address).packed
    return hashlib.sha1(spi_i + spi_r + packed + struct.pack("!H", port)).digest()


def client_proposal(group: int = DH_ECP256) -> Proposal:
    """The one proposal the probe offers: what current VPN clients offer first."""
    return Proposal(1, PROTOCOL_IKE, (
        Transform(TRANSFORM_ENCR, ENCR_AES_CBC, 256),
        Transform(TRANSFORM_PRF, PRF_HMAC_SHA2_256),
        Transform(TRANSFORM_INTEG, AUTH_HMAC_SHA2_256_128),
        Transform(TRANSFORM_DH, group),
    ))


def build_ike_sa_init(spi_i: bytes, local: tuple[str, int], remote: tuple[str, int],
                      group: int = DH_ECP256) -> bytes:
    """A complete IKE_SA_INIT request from *local* to *remote* (address, port)."""
    spi_r = bytes(8)
    payloads = [
        sa_payload([client_proposal(group)]),
        ke_payload(group, ephemeral_public_key(group)),
        Payload(PAYLOAD_NONCE, os.urandom(32)),
        notify_payload(Notify(NOTIFY_NAT_DETECTION_SOURCE_IP,
                              nat_detection_hash(spi_i, spi_r, *local))),
        notify_payload(Notify(NOTIFY_NAT_DETECTION_DESTINATION_IP,
                              nat_detection_hash(spi_i, spi_r, *remote))),
    ]
    return encode_message(spi_i, spi_r, EXCHANGE_IKE_SA_INIT, FLAG_INITIATOR, 0, payloads)


# -- decoding ---------------------------------------------------------------


def parse_message(data: bytes) -> IkeMessage:
    """Decode an IKE message (without the NAT-T marker); raises :class:`IkeParseError`."""
    if len(data) < _HEADER.size:
        raise IkeParseError(f"{len(data)} bytes is shorter than an IKE header")
    spi_i, spi_r, next_payload, version, exchange, flags, message_id, length = \
        _HEADER.unpack_from(data)
    if length != len(data):
        raise IkeParseError(f"header says {length} bytes, the datagram has {len(data)}")
    payloads: list[Payload] = []
    offset = _HEADER.size
    while next_payload != PAYLOAD_NONE:
        if offset + _GENERIC.size > len(data):
            raise IkeParseError(f"payload {next_payload} runs past the end of the message")
        following, flag, plen = _GENERIC.unpack_from(data, offset)
        if plen < _GENERIC.size or offset + plen > len(data):
            raise IkeParseError(f"payload {next_payload} has a bad length {plen}")
        payloads.append(Payload(next_payload, data[offset + 4 : offset + plen], bool(flag & 0x80)))
        offset += plen
        next_payload = following
    if offset != len(data):
        raise IkeParseError(f"{len(data) - offset} bytes after the last payload")
    return IkeMessage(spi_i, spi_r, version, exchange, flags, message_id, tuple(payloads))


def parse_notify(body: bytes) -> Notify:
    if len(body) < 4:
        raise IkeParseError("Notify payload too short")
    protocol, spi_size, notify_type = struct.unpack_from("!BBH", body)
    if 4 + spi_size > len(body):
        raise IkeParseError("Notify SPI runs past the payload")
    return Notify(notify_type, body[4 + spi_size :], protocol, body[4 : 4 + spi_size])


def parse_ke(body: bytes) -> tuple[int, bytes]:
    """(DH group, key exchange data) of a KE payload body."""
    if len(body) < 4:
        raise IkeParseError("KE payload too short")
    return struct.unpack_from("!H", body)[0], body[4:]


def parse_sa(body: bytes) -> list[Proposal]:
    """The proposals of an SA payload body."""
    proposals: list[Proposal] = []
    offset = 0
    more = True
    while more:
        if offset + 8 > len(body):
            raise IkeParseError("SA proposal runs past the payload")
        last, _, length, number, protocol, spi_size, count = \
            struct.unpack_from("!BBHBBBB", body, offset)
        if length < 8 + spi_size or offset + length > len(body):
            raise IkeParseError(f"SA proposal has a bad length {length}")
        spi = body[offset + 8 : offset + 8 + spi_size]
        transforms = _parse_transforms(body[offset + 8 + spi_size : offset + length], count)
        proposals.append(Proposal(number, protocol, transforms, spi))
        offset += length
        more = last == 2
    return proposals


def _parse_transforms(data: bytes, count: int) -> tuple[Transform, ...]:
    transforms: list[Transform] = []
    offset = 0
    for _ in range(count):
        if offset + 8 > len(data):
            raise IkeParseError("SA transform runs past the proposal")
        _last, _, length, ttype, _, tid = struct.unpack_from("!BBHBBH", data, offset)
        if length < 8 or offset + length > len(data):
            raise IkeParseError(f"SA transform has a bad length {length}")
        key_length = None
        attributes = data[offset + 8 : offset + length]
        if len(attributes) >= 4:
            atype, value = struct.unpack_from("!HH", attributes)
            if atype == 0x8000 | ATTRIBUTE_KEY_LENGTH:
                key_length = value
        transforms.append(Transform(ttype, tid, key_length))
        offset += length
    return tuple(transforms)


def strip_non_esp_marker(datagram: bytes) -> bytes | None:
    """The IKE message inside a UDP 4500 datagram, or None for ESP (no zero marker)."""
    if datagram[:4] != NON_ESP_MARKER:
        return None
    return datagram[4:]


def _group_name(group: int) -> str:
    return TRANSFORM_NAMES[TRANSFORM_DH].get(group, f"group {group}")


def describe_message(message: IkeMessage) -> str:
    """One line saying what an IKE message is, e.g. ``IKE_SA_INIT response,
    Notify INVALID_KE_PAYLOAD (the server wants DH group 14, MODP-2048)``."""
    kind = EXCHANGE_NAMES.get(message.exchange, f"exchange {message.exchange}")
    role = "response" if message.is_response else "request"
    parts = [f"{kind} {role}"]
    for payload in message.payloads:
        parts.append(_describe_payload(payload))
    return ", ".join(parts)


def _describe_payload(payload: Payload) -> str:
    try:
        if payload.type == PAYLOAD_NOTIFY:
            return f"Notify {parse_notify(payload.body)}"
        if payload.type == PAYLOAD_SA:
            chosen = parse_sa(payload.body)
            return "SA (" + "; ".join(" ".join(str(t) for t in p.transforms) for p in chosen) + ")"
        if payload.type == PAYLOAD_KE:
            group, _ = parse_ke(payload.body)
            return f"KE (group {group}, {_group_name(group)})"
    except IkeParseError as exc:
        return f"{payload.name} (malformed: {exc})"
    if payload.type == PAYLOAD_VENDOR_ID:
        return f"Vendor ID {payload.body[:16].hex()}"
    return payload.name


# -- the probe ----------------------------------------------------------------


def answer_to(spi_i: bytes, natt: bool) -> Callable[[bytes], IkeMessage | None]:
    """A decoder for datagrams: the :class:`IkeMessage` if it answers our SPI, else None."""

    def accept(datagram: bytes) -> IkeMessage | None:
        payload = strip_non_esp_marker(datagram) if natt else datagram
        if payload is None:
            return None
        try:
            message = parse_message(payload)
        except IkeParseError:
            return None
        if message.spi_i != spi_i or not message.is_response:
            return None
        return message

    return accept


def probe_ike(net: Network, address: str, port: int, timeout: float,
              session: ProbeSession, natt: bool = False) -> ProbeOutcome:
    """Send IKE_SA_INIT (with the non-ESP marker if *natt*) and read the answer."""
    sock = open_udp(net, address, port, session)
    if isinstance(sock, ProbeOutcome):
        return sock
    with sock:
        spi_i = os.urandom(8)
        local, remote = sock.addresses()
        request = build_ike_sa_init(spi_i, local, remote)
        session.note(f"IKE_SA_INIT request: initiator SPI {spi_i.hex()}, proposal "
                     f"{' '.join(str(t) for t in client_proposal().transforms)}, "
                     f"KE group {DH_ECP256} ({_group_name(DH_ECP256)}), 32-byte nonce, "
                     "NAT detection" + (", after the 4-byte non-ESP marker" if natt else ""))
        datagram = (NON_ESP_MARKER + request) if natt else request
        result = exchange_datagrams(sock, datagram, timeout, session, answer_to(spi_i, natt))
    if result.refused:
        return ProbeOutcome("refused", f"nothing listens on UDP {port}: the host answered "
                                       "with ICMP port unreachable")
    if result.answer is None:
        return ProbeOutcome("no_answer", f"no IKE answer within {timeout:g} s "
                                         f"({result.sends} requests sent)")
    message: IkeMessage = result.answer  # type: ignore[assignment]
    return ProbeOutcome(None, f"an IKEv2 server answered: {describe_message(message)}")

