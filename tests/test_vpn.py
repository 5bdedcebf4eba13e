"""The VPN probes end to end over loopback, their wire formats, and the local-VPN parsers.

Every protocol is run against a real loopback responder for each outcome
(answered, silent, refused) and the records are classified with
``verdict.classify_steps`` as the engine will.  At the end, real daemons from
Debian (OpenVPN, strongSwan's charon) answer the probes when they are installed.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives.asymmetric import ec

from smtpdiag.host import vpn as local
from smtpdiag.net import Network, ProbeError
from smtpdiag.probe.vpn import PROTOCOL_NAMES, PROTOCOLS, ike, openvpn, pptp, probe_vpn, sstp
from smtpdiag.probe.vpn.session import hex_lines
from smtpdiag.probe.vpn.wireguard import HANDSHAKE_INITIATION_LENGTH, random_handshake_initiation
from smtpdiag.records import Step, TranscriptLine
from smtpdiag.simnet.vpn_responders import (
    ClosedTcpPort,
    IkeResponder,
    OpenVpnTcpResponder,
    OpenVpnUdpResponder,
    PptpResponder,
    SstpResponder,
    TcpResponder,
    UdpResponder,
    closed_udp_port,
)
from smtpdiag.verdict import classify_steps

LOOPBACK = "127.0.0.1"
SERVER_NAME = "vpn.example"
SHORT = 0.5  # seconds: the timeout for "no answer" cases
ENOUGH = 3.0  # seconds: the timeout where an answer is expected (never waited out)

UDP_PROTOCOLS = [p for p, (t, _) in PROTOCOLS.items() if t == "udp"]
TCP_PROTOCOLS = [p for p, (t, _) in PROTOCOLS.items() if t == "tcp"]


class TrustingNetwork(Network):
    """Real sockets, and the test CA trusted as the demo's simnet trusts its own."""

    def __init__(self, ca: trustme.CA) -> None:
        super().__init__()
        self._pem = ca.cert_pem.bytes().decode()

    def extra_ca_pem(self) -> str | None:
        return self._pem


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(SERVER_NAME).configure_cert(context)
    return context


def run(protocol: str, port: int, timeout: float = ENOUGH, net: Network | None = None,
        cancel: threading.Event | None = None, server_name: str | None = None,
        ) -> tuple[tuple[Step, ...], tuple[TranscriptLine, ...], str]:
    steps, transcript = probe_vpn(net or Network(), LOOPBACK, protocol, port, timeout,
                                  cancel or threading.Event(), server_name)
    assert_well_formed(steps, transcript)
    return steps, transcript, classify_steps(steps, port)


def assert_well_formed(steps: tuple[Step, ...], transcript: tuple[TranscriptLine, ...]) -> None:
    """The record shape the engine relies on."""
    assert steps[-1].step == "probe"
    assert all(s.step == "connect" and s.ok and s.failure is None for s in steps[:-1])
    assert steps[-1].failure in (None, "no_answer", "refused", "unverifiable", "cancelled")
    assert steps[-1].ok == (steps[-1].failure is None)
    assert steps[-1].detail
    times = [line.ms for line in transcript]
    assert times == sorted(times)
    assert {line.dir for line in transcript} <= {"send", "recv", "note"}
    for line in transcript:
        if line.dir in ("send", "recv") and not line.tls:
            assert len(bytes.fromhex(line.text)) <= 32, line.text


def sent_bytes(transcript: tuple[TranscriptLine, ...]) -> bytes:
    """The first run of hex ``send`` lines of a transcript, as bytes."""
    out = b""
    for line in transcript:
        if line.dir == "send":
            out += bytes.fromhex(line.text)
        elif out:
            break
    return out


# -- the catalogue --------------------------------------------------------------


def test_protocols_are_the_contracts_in_display_order() -> None:
    assert PROTOCOLS == {
        "ike": ("udp", 500), "ike-natt": ("udp", 4500), "openvpn-udp": ("udp", 1194),
        "openvpn-tcp": ("tcp", 1194), "pptp": ("tcp", 1723), "sstp": ("tcp", 443),
        "wireguard": ("udp", 51820),
    }
    assert list(PROTOCOLS) == ["ike", "ike-natt", "openvpn-udp", "openvpn-tcp", "pptp", "sstp",
                               "wireguard"]
    assert set(PROTOCOL_NAMES) == set(PROTOCOLS)


def test_unknown_protocol_is_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown VPN protocol"):
        probe_vpn(Network(), LOOPBACK, "l2tp", 1701, 1.0, threading.Event())


# -- reachable ------------------------------------------------------------------


@pytest.mark.parametrize("protocol, natt", [("ike", False), ("ike-natt", True)])
def test_ike_answer_is_reachable(protocol: str, natt: bool) -> None:
    with IkeResponder("accept", natt=natt) as server:
        steps, transcript, cause = run(protocol, server.port)
    assert cause == "vpn_reachable"
    assert "IKE_SA_INIT response, SA (AES-CBC-256" in steps[-1].detail
    assert "KE (group 19, ECP-256), Nonce" in steps[-1].detail
    assert [s.step for s in steps] == ["probe"]
    assert any(line.dir == "recv" for line in transcript)


@pytest.mark.parametrize("reply, words", [
    ("invalid_ke", "Notify INVALID_KE_PAYLOAD (the server wants DH group 14, MODP-2048)"),
    ("no_proposal", "Notify NO_PROPOSAL_CHOSEN"),
])
@pytest.mark.parametrize("protocol, natt", [("ike", False), ("ike-natt", True)])
def test_ike_refusal_notify_still_means_reachable(protocol: str, natt: bool, reply: str,
                                                  words: str) -> None:
    with IkeResponder(reply, natt=natt) as server:
        steps, _, cause = run(protocol, server.port)
    assert cause == "vpn_reachable"
    assert f"IKE_SA_INIT response, {words}" in steps[-1].detail


def test_openvpn_udp_server_reset_is_reachable() -> None:
    with OpenVpnUdpResponder() as server:
        steps, _, cause = run("openvpn-udp", server.port)
        request = server.received[0]
    assert cause == "vpn_reachable"
    assert "P_CONTROL_HARD_RESET_SERVER_V2" in steps[-1].detail
    assert "acknowledges packet 0" in steps[-1].detail
    # opcode 7 << 3 | key id 0, 8-byte session id, no acks, packet id 0
    assert len(request) == 14 and request[0] == 0x38 and request[9] == 0
    assert request[10:] == bytes(4)


def test_openvpn_tcp_server_reset_is_reachable() -> None:
    with OpenVpnTcpResponder() as server:
        steps, transcript, cause = run("openvpn-tcp", server.port)
    assert cause == "vpn_reachable"
    assert [s.step for s in steps] == ["connect", "probe"]
    assert "P_CONTROL_HARD_RESET_SERVER_V2" in steps[-1].detail
    framed = sent_bytes(transcript)
    assert framed[:2] == b"\x00\x0e" and framed[2] == 0x38 and len(framed) == 16


def test_pptp_reply_is_reachable_and_decoded() -> None:
    with PptpResponder(result_code=1, host_name="gw.example", vendor="Example RAS") as server:
        steps, transcript, cause = run("pptp", server.port)
    assert cause == "vpn_reachable"
    detail = steps[-1].detail
    assert "Start-Control-Connection-Reply: successful channel establishment" in detail
    assert "'gw.example'" in detail and "'Example RAS'" in detail
    request = pptp.parse_start_control_connection(sent_bytes(transcript))
    assert request.control_type == pptp.START_CONTROL_CONNECTION_REQUEST
    assert request.version == 0x0100


def test_pptp_reply_with_an_error_code_is_still_a_pptp_server() -> None:
    with PptpResponder(result_code=5) as server:
        steps, _, cause = run("pptp", server.port)
    assert cause == "vpn_reachable"
    assert "protocol version not supported" in steps[-1].detail


def test_sstp_server_is_reachable_with_verified_certificate(
        ca: trustme.CA, server_tls: ssl.SSLContext) -> None:
    with SstpResponder(server_tls, "sstp") as server:
        steps, transcript, cause = run("sstp", server.port, net=TrustingNetwork(ca),
                                       server_name=SERVER_NAME)
    assert cause == "vpn_reachable"
    assert "an SSTP server answered (HTTP/1.1 200)" in steps[-1].detail
    assert "certificate verified" in steps[-1].detail
    sent = [line.text for line in transcript if line.dir == "send"]
    assert sent[0] == ("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ "
                       "HTTP/1.1")
    assert f"Host: {SERVER_NAME}" in sent
    assert all(line.tls for line in transcript if line.dir != "note")


def test_sstp_with_untrusted_certificate_is_reachable_and_says_so(
        server_tls: ssl.SSLContext) -> None:
    with SstpResponder(server_tls, "sstp") as server:
        steps, _, cause = run("sstp", server.port, server_name=SERVER_NAME)
    assert cause == "vpn_reachable"
    assert "an SSTP server answered" in steps[-1].detail
    assert "certificate not verified" in steps[-1].detail
    assert "unable to get local issuer certificate" in steps[-1].detail
    assert [s.step for s in steps] == ["connect", "probe"]


def test_anyconnect_server_is_recognised(ca: trustme.CA, server_tls: ssl.SSLContext) -> None:
    with SstpResponder(server_tls, "anyconnect") as server:
        steps, _, cause = run("sstp", server.port, net=TrustingNetwork(ca),
                              server_name=SERVER_NAME)
    assert cause == "vpn_reachable"
    detail = steps[-1].detail
    assert "AnyConnect/OpenConnect-compatible SSL VPN server" in detail
    assert "header X-Transcend-Version" in detail and "cookie webvpncontext" in detail
    assert [s.step for s in steps] == ["connect", "probe"]  # later connections are notes


def test_plain_https_server_is_reachable_but_not_a_known_vpn(
        ca: trustme.CA, server_tls: ssl.SSLContext) -> None:
    with SstpResponder(server_tls, "https") as server:
        steps, _, cause = run("sstp", server.port, net=TrustingNetwork(ca),
                              server_name=SERVER_NAME)
    assert cause == "vpn_reachable"
    assert "neither SSTP nor AnyConnect/OpenConnect: not a known SSL VPN" in steps[-1].detail


def test_wireguard_is_unverifiable_when_something_may_listen() -> None:
    with UdpResponder() as server:
        steps, _, cause = run("wireguard", server.port, timeout=SHORT)
        sent = server.received
    assert cause == "vpn_unverifiable"
    assert "never answers" in steps[-1].detail
    assert sent and all(len(d) == HANDSHAKE_INITIATION_LENGTH and d[0] == 1 for d in sent)


# -- no answer ----------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["ike", "ike-natt", "openvpn-udp"])
def test_silent_udp_is_no_answer_after_retransmitting(protocol: str) -> None:
    with UdpResponder() as server:
        started = time.monotonic()
        steps, transcript, cause = run(protocol, server.port, timeout=SHORT)
        elapsed = time.monotonic() - started
        received = list(server.received)
    assert cause == "vpn_no_answer"
    assert SHORT - 0.05 <= elapsed < SHORT + 0.5
    assert len(received) == 3 and len(set(received)) == 1  # the same request, retransmitted
    assert "3 requests sent" in steps[-1].detail
    assert any("sending the request again (2 of 3)" in line.text for line in transcript)


@pytest.mark.parametrize("protocol", ["openvpn-udp", "openvpn-tcp"])
def test_silent_openvpn_says_silence_is_ambiguous(protocol: str) -> None:
    responder = OpenVpnUdpResponder if protocol == "openvpn-udp" else OpenVpnTcpResponder
    with responder(silent=True) as server:
        steps, transcript, cause = run(protocol, server.port, timeout=SHORT)
    assert cause == "vpn_no_answer"
    assert "tls-auth or tls-crypt" in steps[-1].detail
    assert any("tls-auth or tls-crypt" in line.text for line in transcript
               if line.dir == "note")


@pytest.mark.parametrize("protocol", TCP_PROTOCOLS)
def test_silent_tcp_server_is_no_answer(protocol: str) -> None:
    with TcpResponder() as server:
        steps, _, cause = run(protocol, server.port, timeout=SHORT)
    assert cause == "vpn_no_answer"
    assert [s.step for s in steps] == ["connect", "probe"]
    expected = {"openvpn-tcp": "no OpenVPN answer", "pptp": "no PPTP reply",
                "sstp": "the TLS handshake got no answer"}[protocol]
    assert expected in steps[-1].detail


def test_tls_server_that_never_answers_http_is_no_answer(
        ca: trustme.CA, server_tls: ssl.SSLContext) -> None:
    class SilentTlsResponder(SstpResponder):
        def serve(self, conn: socket.socket) -> None:
            conn.settimeout(2.0)
            with self.tls_context.wrap_socket(conn, server_side=True) as tls:
                self.wait_for_close(tls)

    with SilentTlsResponder(server_tls) as server:
        steps, _, cause = run("sstp", server.port, timeout=SHORT, net=TrustingNetwork(ca),
                              server_name=SERVER_NAME)
    assert cause == "vpn_no_answer"
    assert steps[-1].detail.startswith("TLS works (TLSv1.3")
    assert "no SSL VPN answered: no answer within 0.5 s" in steps[-1].detail


def test_tcp_connect_timeout_is_no_answer_not_tcp_timeout() -> None:
    class BlackholeNetwork(Network):
        def open_tcp(self, address: str, port: int, timeout: float,
                     cancel: threading.Event | None = None) -> socket.socket:
            raise ProbeError("timeout", f"no answer within {timeout:g} s")

    steps, _, cause = run("pptp", 1723, timeout=SHORT, net=BlackholeNetwork())
    assert cause == "vpn_no_answer"
    assert [s.step for s in steps] == ["probe"]
    assert "the TCP connection got no answer" in steps[-1].detail


# -- refused ------------------------------------------------------------------


@pytest.mark.parametrize("protocol", UDP_PROTOCOLS)
def test_icmp_port_unreachable_is_refused(protocol: str) -> None:
    steps, _, cause = run(protocol, closed_udp_port(), timeout=SHORT)
    assert cause == "vpn_refused"
    assert "ICMP port unreachable" in steps[-1].detail


@pytest.mark.parametrize("protocol", TCP_PROTOCOLS)
def test_closed_tcp_port_is_vpn_refused_not_tcp_refused(protocol: str) -> None:
    with ClosedTcpPort() as closed:
        steps, _, cause = run(protocol, closed.port, timeout=SHORT)
    assert cause == "vpn_refused"
    assert [s.step for s in steps] == ["probe"]
    assert "refused" in steps[-1].detail


# -- cancellation ---------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["ike", "openvpn-tcp", "sstp", "wireguard"])
def test_cancel_stops_a_long_wait_promptly(protocol: str) -> None:
    cancel = threading.Event()
    server = UdpResponder() if PROTOCOLS[protocol][0] == "udp" else TcpResponder()
    with server:
        timer = threading.Timer(0.2, cancel.set)
        timer.start()
        started = time.monotonic()
        steps, _, cause = run(protocol, server.port, timeout=20.0, cancel=cancel)
        elapsed = time.monotonic() - started
        timer.join()
    assert cause == "cancelled"
    assert steps[-1].failure == "cancelled"
    assert elapsed < 1.0  # the timeout is 20 s: cancel works within a few slices


def test_cancel_abandons_a_hanging_connect() -> None:
    release = threading.Event()

    class HangingNetwork(Network):
        def open_tcp(self, address: str, port: int, timeout: float,
                     cancel: threading.Event | None = None) -> socket.socket:
            # A connect that hangs, honouring cancel as net.Network.open_tcp does
            # (in slices): the probe must hand the check's cancel down to it.
            while not release.wait(0.05):
                if cancel is not None and cancel.is_set():
                    raise ProbeError("cancelled", "cancelled")
            raise ProbeError("timeout", "released")

    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    started = time.monotonic()
    try:
        _steps, _, cause = run("pptp", 1723, timeout=20.0, net=HangingNetwork(), cancel=cancel)
    finally:
        release.set()
        timer.join()
    assert cause == "cancelled"
    assert time.monotonic() - started < 1.0


def test_already_cancelled_probe_sends_nothing() -> None:
    cancel = threading.Event()
    cancel.set()
    with UdpResponder() as server:
        _steps, _, cause = run("ike", server.port, cancel=cancel)
        time.sleep(0.1)
        assert server.received == []
    assert cause == "cancelled"


# -- wire formats ---------------------------------------------------------------


def test_ike_request_is_a_valid_ike_sa_init() -> None:
    with IkeResponder("no_proposal") as server:
        run("ike", server.port)
        datagram = server.received[0]
    message = ike.parse_message(datagram)  # checks the length and the payload chain
    # header: SPIi, SPIr, next payload, version 2.0, exchange 34, flags, message id, length
    assert datagram[16:20] == bytes([ike.PAYLOAD_SA, 0x20, 34, ike.FLAG_INITIATOR])
    assert int.from_bytes(datagram[24:28], "big") == len(datagram)
    assert message.version == 0x20
    assert message.exchange == ike.EXCHANGE_IKE_SA_INIT
    assert message.flags == ike.FLAG_INITIATOR
    assert message.message_id == 0
    assert message.spi_r == bytes(8) and message.spi_i != bytes(8)
    assert [p.type for p in message.payloads] == [
        ike.PAYLOAD_SA, ike.PAYLOAD_KE, ike.PAYLOAD_NONCE, ike.PAYLOAD_NOTIFY, ike.PAYLOAD_NOTIFY]

    (proposal,) = ike.parse_sa(message.payloads[0].body)
    assert proposal.protocol == ike.PROTOCOL_IKE and proposal.spi == b""
    assert [(t.type, t.id, t.key_length) for t in proposal.transforms] == [
        (1, 12, 256), (2, 5, None), (3, 12, None), (4, 19, None)]

    group, key = ike.parse_ke(message.payloads[1].body)
    assert group == proposal.group() == 19
    assert len(key) == ike.KE_DATA_LENGTH[19] == 64
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + key)  # on the curve

    assert len(message.payloads[2].body) == 32
    source, destination = message.notifies()
    assert source.type == ike.NOTIFY_NAT_DETECTION_SOURCE_IP and len(source.data) == 20
    assert destination.data == ike.nat_detection_hash(message.spi_i, bytes(8), LOOPBACK,
                                                      server.port)


def test_ike_natt_request_has_the_non_esp_marker() -> None:
    with IkeResponder("accept", natt=True) as server:
        run("ike-natt", server.port)
        datagram = server.received[0]
    assert datagram[:4] == ike.NON_ESP_MARKER
    assert ike.parse_message(datagram[4:]).exchange == ike.EXCHANGE_IKE_SA_INIT


def test_ike_answer_for_another_spi_is_ignored() -> None:
    class StrangerResponder(UdpResponder):
        def answer(self, datagram: bytes, peer: tuple[str, int]) -> list[bytes]:
            other = ike.encode_message(os.urandom(8), bytes(8), ike.EXCHANGE_IKE_SA_INIT,
                                       ike.FLAG_RESPONSE, 0,
                                       [ike.notify_payload(ike.Notify(ike.NOTIFY_COOKIE))])
            return [other, b"garbage"]

    with StrangerResponder() as server:
        _steps, transcript, cause = run("ike", server.port, timeout=SHORT)
    assert cause == "vpn_no_answer"
    assert any(line.text.startswith("ignored") for line in transcript)


@pytest.mark.parametrize("group", [ike.DH_ECP256, ike.DH_CURVE25519])
def test_ike_key_lengths_match_their_group(group: int) -> None:
    assert len(ike.ephemeral_public_key(group)) == ike.KE_DATA_LENGTH[group]


def test_ike_parser_rejects_truncated_messages() -> None:
    request = ike.build_ike_sa_init(os.urandom(8), (LOOPBACK, 500), (LOOPBACK, 500))
    with pytest.raises(ike.IkeParseError):
        ike.parse_message(request[:-1])
    with pytest.raises(ike.IkeParseError):
        ike.parse_message(request[:20])


def test_openvpn_control_packets_round_trip() -> None:
    client = openvpn.client_hard_reset(b"\x01" * 8)
    assert client.encode() == b"\x38" + b"\x01" * 8 + b"\x00" + bytes(4)
    server = openvpn.server_hard_reset(b"\x02" * 8, client)
    parsed = openvpn.parse_control_packet(server.encode())
    assert parsed == server
    assert openvpn.is_server_reset_for(parsed, b"\x01" * 8)
    assert not openvpn.is_server_reset_for(parsed, b"\x03" * 8)
    assert openvpn.unframe_tcp(openvpn.frame_tcp(b"abc")) == b"abc"
    assert openvpn.unframe_tcp(b"\x00\x05ab") is None


def test_pptp_request_layout() -> None:
    data = pptp.start_control_connection_request("host", "vendor").encode()
    assert len(data) == 156
    assert data[:4] == b"\x00\x9c\x00\x01"
    assert data[4:8] == b"\x1a\x2b\x3c\x4d"
    assert data[8:10] == b"\x00\x01" and data[12:14] == b"\x01\x00"
    parsed = pptp.parse_start_control_connection(data)
    assert (parsed.host_name, parsed.vendor) == ("host", "vendor")
    with pytest.raises(pptp.PptpParseError):
        pptp.parse_start_control_connection(b"HTTP/1.1 400 Bad Request\r\n" + bytes(140))
    assert len(pptp.stop_control_connection_request()) == 16


def test_sstp_request_and_http_answers() -> None:
    request = sstp.sstp_request("vpn.example", "{00000000-0000-0000-0000-000000000000}")
    assert request == (
        "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
        "Host: vpn.example\r\n"
        "SSTPCORRELATIONID: {00000000-0000-0000-0000-000000000000}\r\n"
        "Content-Length: 18446744073709551615\r\n\r\n")
    answer = sstp.parse_http_answer(b"HTTP/1.1 200\r\nContent-Length: 18446744073709551615\r\n\r\n")
    assert answer is not None and sstp.is_sstp_answer(answer)
    assert sstp.http_message_complete(b"HTTP/1.1 200\r\nContent-Length: 18446744073709551615"
                                      b"\r\n\r\n")
    assert not sstp.http_message_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    cisco = sstp.parse_http_answer(b"HTTP/1.1 200 OK\r\nX-CSTP-Version: 1\r\n"
                                   b"Set-Cookie: webvpnlogin=1\r\n\r\n")
    assert cisco is not None and sstp.anyconnect_markers(cisco) == [
        "header X-CSTP-Version", "cookie webvpnlogin"]
    assert sstp.parse_http_answer(b"\x16\x03\x01") is None


def test_wireguard_probe_message_has_the_initiation_shape() -> None:
    message = random_handshake_initiation()
    assert len(message) == 148 and message[:4] == b"\x01\x00\x00\x00"


def test_hex_dump_wraps_at_32_bytes() -> None:
    lines = hex_lines(bytes(range(70)))
    assert [len(bytes.fromhex(line)) for line in lines] == [32, 32, 6]
    assert lines[0].startswith("00 01 02")


# -- this computer's own VPN ----------------------------------------------------

ROUTE_PLAIN = """\
Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	0102A8C0	0003	0	0	100	00000000	0	0	0
eth0	0002A8C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
"""
ROUTE_OPENVPN_DEF1 = ROUTE_PLAIN + """\
tun0	00000000	0100080A	0003	0	0	0	00000080	0	0	0
tun0	00000080	0100080A	0003	0	0	0	00000080	0	0	0
tun0	0000080A	00000000	0001	0	0	0	00FFFFFF	0	0	0
"""
ROUTE_WIREGUARD_DEFAULT = """\
Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
wg0	00000000	00000000	0001	0	0	0	00000000	0	0	0
eth0	0002A8C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
"""
def ipv6_route(destination: str, prefix: int, next_hop: str, flags: int, interface: str) -> str:
    """One line of /proc/net/ipv6_route (source prefix, metric and counters filled in)."""
    zero = "0" * 32
    return (f"{destination:0<32} {prefix:02x} {zero} 00 {next_hop:0<32} 00000400 00000001 "
            f"00000000 {flags:08x} {interface:>8}\n")


IPV6_ROUTE = (ipv6_route("fe80", 64, "", 0x1, "eth0")
              + ipv6_route("", 0, "fe80" + "0" * 27 + "1", 0x450003, "eth0")
              + ipv6_route("", 0, "", 0x200200, "lo"))  # the kernel's "unreachable" route
IPV6_ROUTE_VPN = IPV6_ROUTE + ipv6_route("2", 4, "", 0x1, "tun0")  # OpenVPN's 2000::/4


def test_plain_default_route_is_not_via_vpn() -> None:
    routes = local.parse_ipv4_routes(ROUTE_PLAIN) + local.parse_ipv6_routes(IPV6_ROUTE)
    assert local.default_route_via_vpn(routes, ["tun0"]) is False


def test_openvpn_split_default_routes_are_via_vpn() -> None:
    routes = local.parse_ipv4_routes(ROUTE_OPENVPN_DEF1)
    assert {(r.interface, r.prefix_length) for r in routes if r.prefix_length <= 1} == {
        ("eth0", 0), ("tun0", 1)}
    assert local.default_route_via_vpn(routes, ["tun0"]) is True


def test_wireguard_default_route_and_ipv6_wide_route_are_via_vpn() -> None:
    assert local.default_route_via_vpn(local.parse_ipv4_routes(ROUTE_WIREGUARD_DEFAULT),
                                       ["wg0"]) is True
    assert local.default_route_via_vpn(local.parse_ipv6_routes(IPV6_ROUTE_VPN), ["tun0"]) is True


def test_no_route_at_all_is_unknown() -> None:
    header_only = ROUTE_PLAIN.splitlines()[0]
    assert local.default_route_via_vpn(local.parse_ipv4_routes(header_only), []) is None
    assert local.parse_ipv6_routes(IPV6_ROUTE.splitlines()[2]) == []  # the lo reject route


@pytest.mark.parametrize("name, link_type, is_tun, expected", [
    ("tun0", None, False, True), ("wg-mullvad", None, False, True),
    ("tailscale0", None, False, True), ("ppp0", 512, False, True),
    ("corp0", 65534, False, True), ("x", 1, True, True),
    ("nordlynx", None, False, True), ("eth0", 1, False, False), ("wlp3s0", 1, False, False),
    ("docker0", 1, False, False), ("lo", 772, False, False), ("veth12ab", 1, False, False),
])
def test_vpn_interface_names(name: str, link_type: int | None, is_tun: bool,
                             expected: bool) -> None:
    assert local.looks_like_vpn_interface(name, link_type, is_tun) is expected


@pytest.mark.parametrize("operstate, flags, up", [
    ("up\n", "0x1003\n", True), ("unknown\n", "0x1091\n", True), ("down\n", "0x1003\n", False),
    ("up\n", "0x1002\n", False), ("unknown", "garbage", False),
])
def test_interface_up(operstate: str, flags: str, up: bool) -> None:
    assert local.interface_is_up(operstate, flags) is up


def test_other_systems_by_interface_name() -> None:
    mac = ["lo0", "en0", "utun0", "utun1", "utun2", "utun3", "utun4", "ipsec0"]
    assert local.other_system_vpn_interfaces(mac, "darwin") == ["utun4", "ipsec0"]
    bsd = ["lo0", "em0", "tun0", "wg0"]
    assert local.other_system_vpn_interfaces(bsd, "freebsd14") == ["tun0", "wg0"]


def _fake_interface(base: Path, name: str, operstate: str, flags: str, link_type: int,
                    tun: bool = False) -> None:
    path = base / name
    path.mkdir()
    (path / "operstate").write_text(operstate + "\n")
    (path / "flags").write_text(flags + "\n")
    (path / "type").write_text(f"{link_type}\n")
    if tun:
        (path / "tun_flags").write_text("0x1001\n")


def test_local_state_from_a_fake_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = tmp_path / "net"
    net.mkdir()
    _fake_interface(net, "eth0", "up", "0x1003", 1)
    _fake_interface(net, "tun0", "unknown", "0x1091", 65534, tun=True)
    _fake_interface(net, "wg1", "down", "0x1090", 65534)
    (tmp_path / "route").write_text(ROUTE_OPENVPN_DEF1)
    (tmp_path / "ipv6_route").write_text(IPV6_ROUTE)
    monkeypatch.setattr(local, "SYS_CLASS_NET", net)
    monkeypatch.setattr(local, "PROC_ROUTE", tmp_path / "route")
    monkeypatch.setattr(local, "PROC_IPV6_ROUTE", tmp_path / "ipv6_route")
    monkeypatch.setattr(local, "PLATFORM", "linux")
    state = local.local_vpn_state()
    assert state == {"vpn_active": True, "interfaces": ["tun0"], "default_route_via_vpn": True}


def test_local_state_of_this_machine_is_fast_and_well_formed() -> None:
    started = time.perf_counter()
    state = local.local_vpn_state()
    # Linux reads a few files; macOS runs four small commands (ifconfig, scutil, route x2).
    # Only "it does not hang" here: how fast it is is measured in benchmarks/bench_startup.py.
    assert time.perf_counter() - started < 5.0
    assert set(state) == {"vpn_active", "interfaces", "default_route_via_vpn"}
    assert isinstance(state["vpn_active"], bool) and isinstance(state["interfaces"], list)
    assert state["default_route_via_vpn"] in (True, False, None)


def test_local_state_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(local, "_linux_state", broken)
    monkeypatch.setattr(local.socket, "if_nameindex", broken)
    assert local.local_vpn_state() == {"vpn_active": False, "interfaces": [],
                                       "default_route_via_vpn": None}


# -- real VPN daemons from Debian ---------------------------------------------------

OPENVPN = shutil.which("openvpn")
CHARON = shutil.which("charon", path="/usr/lib/ipsec:/usr/libexec/ipsec:/usr/lib/strongswan")
SWANCTL = shutil.which("swanctl")


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class Daemon:
    """A VPN daemon started for one test; its output is collected for failure messages."""

    def __init__(self, argv: list[str], ready: str, env: dict[str, str] | None = None,
                 ready_path: Path | None = None, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        self.output = b""
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            if ready and ready.encode() in self.output:
                return
            if ready_path is not None and ready_path.exists():
                return
            if self.proc.poll() is not None:
                self.output += self.proc.stdout.read()
                return
            readable, _, _ = select.select([self.proc.stdout], [], [], 0.05)
            if readable:
                self.output += os.read(self.proc.stdout.fileno(), 65536)
        self.stop()
        pytest.fail(f"{argv[0]} did not start within {timeout:g} s:\n{self.text()}")

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def text(self) -> str:
        return self.output.decode(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def openvpn_keys(tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA) -> Path:
    """A CA, a server certificate and a tls-auth/tls-crypt key for openvpn."""
    if OPENVPN is None:
        pytest.skip("openvpn is not installed (Debian package 'openvpn'); the OpenVPN daemon "
                    "tests need it")
    keys = tmp_path_factory.mktemp("openvpn")
    server = ca.issue_cert(SERVER_NAME)
    ca.cert_pem.write_to_path(str(keys / "ca.pem"))
    server.cert_chain_pems[0].write_to_path(str(keys / "server.pem"))
    server.private_key_pem.write_to_path(str(keys / "server.key"))
    os.chmod(keys / "server.key", 0o600)
    subprocess.run([OPENVPN, "--genkey", "secret", str(keys / "ta.key")], check=True,
                   capture_output=True, timeout=10)
    return keys


def wait_for_tcp_listener(port: int, seconds: float = 5.0) -> None:
    """Until /proc/net/tcp shows a socket in LISTEN state on *port* (Linux)."""
    deadline = time.monotonic() + seconds
    needle = f":{port:04X} 00000000:0000 0A"
    while time.monotonic() < deadline:
        try:
            with open("/proc/net/tcp", encoding="ascii") as fh:
                if needle in fh.read():
                    return
        except OSError:
            return
        time.sleep(0.02)


@pytest.fixture
def openvpn_server(openvpn_keys: Path) -> Iterator[object]:
    """Start a point-to-point TLS OpenVPN server on loopback, without a tun device."""
    started: list[Daemon] = []

    def start(transport: str, extra: list[str]) -> tuple[Daemon, int]:
        assert OPENVPN is not None
        for _ in range(3):  # the free port may be taken in between: try another
            kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
            port = free_port(kind)
            proto = "udp4" if transport == "udp" else "tcp4-server"
            ready = "link local (bound)" if transport == "udp" else "Listening for incoming TCP"
            daemon = Daemon([OPENVPN, "--dev", "null", "--proto", proto, "--local", LOOPBACK,
                             "--lport", str(port), "--tls-server", "--dh", "none",
                             "--ca", str(openvpn_keys / "ca.pem"),
                             "--cert", str(openvpn_keys / "server.pem"),
                             "--key", str(openvpn_keys / "server.key"),
                             "--verb", "3", *extra], ready)
            started.append(daemon)
            if daemon.running and transport == "tcp":
                # OpenVPN logs "Listening" a moment before listen(): wait for the
                # socket itself (without connecting: the server takes one client only).
                wait_for_tcp_listener(port)
            if daemon.running:
                return daemon, port
            if "Address already in use" not in daemon.text():
                pytest.fail(f"openvpn did not start:\n{daemon.text()}")
        pytest.fail("openvpn found no free port on loopback")

    yield start
    for daemon in started:
        daemon.stop()


@pytest.mark.parametrize("protocol", ["openvpn-udp", "openvpn-tcp"])
def test_real_openvpn_server_answers_the_probe(openvpn_server: object, protocol: str) -> None:
    transport = PROTOCOLS[protocol][0]
    daemon, port = openvpn_server(transport, [])  # type: ignore[operator]
    steps, _, cause = run(protocol, port)
    assert cause == "vpn_reachable", daemon.text()
    assert "P_CONTROL_HARD_RESET_SERVER_V2" in steps[-1].detail


@pytest.mark.parametrize("protocol, option", [("openvpn-udp", ["--tls-auth", "KEY", "0"]),
                                              ("openvpn-tcp", ["--tls-crypt", "KEY"])])
def test_real_openvpn_server_with_a_static_key_stays_silent(
        openvpn_server: object, openvpn_keys: Path, protocol: str, option: list[str]) -> None:
    extra = [str(openvpn_keys / "ta.key") if o == "KEY" else o for o in option]
    daemon, port = openvpn_server(PROTOCOLS[protocol][0], extra)  # type: ignore[operator]
    steps, _, cause = run(protocol, port, timeout=SHORT)
    assert cause == "vpn_no_answer", (steps, daemon.text())
    assert "tls-auth or tls-crypt" in steps[-1].detail


STRONGSWAN_CONF = """\
charon {{
  port = {port}
  port_nat_t = {port_nat_t}
  # Answer IKE only: touch neither routes nor routing rules of this machine.
  install_routes = no
  install_virtual_ip = no
  routing_table = 0
  load = random nonce openssl pem pkcs1 x509 pubkey socket-default kernel-netlink vici
  plugins {{
    vici {{
      socket = unix://{vici}
    }}
  }}
  filelog {{
    probe {{
      path = {log}
      default = 1
      flush_line = yes
    }}
  }}
}}
"""
SWANCTL_CONF = """\
connections {
  probe {
    version = 2
    local_addrs = 127.0.0.1
    proposals = aes256-sha256-ecp256
    local { auth = psk }
    remote { auth = psk }
    children { probe { } }
  }
}
"""


def _charon_running_elsewhere() -> bool:
    try:
        pid = int(Path("/var/run/charon.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else "(none written)"


def test_real_strongswan_charon_answers_ike_sa_init(tmp_path: Path) -> None:
    if CHARON is None or SWANCTL is None:
        pytest.skip("strongSwan's charon/swanctl are not installed (Debian packages "
                    "'strongswan-charon' and 'strongswan-swanctl')")
    if os.geteuid() != 0:
        pytest.skip("charon needs root (its kernel interface opens netlink sockets)")
    if _charon_running_elsewhere():
        pytest.skip("another charon runs on this machine (/var/run/charon.pid is taken)")
    vici = tmp_path / "charon.vici"
    port, port_nat_t = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    conf = tmp_path / "strongswan.conf"
    conf.write_text(STRONGSWAN_CONF.format(port=port, port_nat_t=port_nat_t, vici=vici,
                                           log=tmp_path / "charon.log"))
    (tmp_path / "swanctl.conf").write_text(SWANCTL_CONF)
    env = {**os.environ, "STRONGSWAN_CONF": str(conf)}
    daemon = Daemon([CHARON], "", env=env, ready_path=vici)
    log_file = tmp_path / "charon.log"
    try:
        if not daemon.running:
            log = _read(log_file)
            if "already running" in daemon.text() + log:
                pytest.skip("another charon runs on this machine")
            pytest.fail(f"charon did not start:\n{daemon.text()}\n{log}")
        loaded = subprocess.run([SWANCTL, "--load-conns", "--file", str(tmp_path / "swanctl.conf"),
                                 "--uri", f"unix://{vici}"], env=env, capture_output=True,
                                text=True, timeout=10)
        if loaded.returncode != 0:
            daemon.stop()
            pytest.fail(f"swanctl --load-conns exited {loaded.returncode}: {loaded.stdout}{loaded.stderr}\n"
                        f"charon's output:\n{daemon.text()}\n"
                        f"charon's log ({log_file}):\n{_read(log_file)}")
        # charon expects the non-ESP marker on every port but 500, so a loopback charon on
        # free ports is probed as on UDP 4500.
        steps, _, cause = run("ike-natt", port_nat_t)
    finally:
        daemon.stop()
    assert cause == "vpn_reachable", _read(log_file)
    detail = steps[-1].detail
    assert "IKE_SA_INIT response, SA (AES-CBC-256 HMAC-SHA2-256-128 PRF-HMAC-SHA2-256 ECP-256)" \
        in detail
    assert "KE (group 19, ECP-256), Nonce, Notify NAT_DETECTION_SOURCE_IP" in detail
