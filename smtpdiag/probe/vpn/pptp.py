"""PPTP (RFC 2637): the Start-Control-Connection exchange on TCP 1723.

A client opens with a Start-Control-Connection-Request (156 bytes); a PPTP
server answers a Start-Control-Connection-Reply of the same layout, with a
result code where the request has a reserved field:

    length (2) = 156, message type (2) = 1 (control), magic cookie (4) 0x1A2B3C4D,
    control message type (2) 1 = request / 2 = reply, reserved (2),
    protocol version (2) 0x0100, reserved (2)  | reply: result code (1), error code (1),
    framing capabilities (4), bearer capabilities (4), maximum channels (2),
    firmware revision (2), host name (64), vendor string (64)

Any reply, whatever its result code, proves a PPTP server.  The probe then
says goodbye with a Stop-Control-Connection-Request so the server can free
the control connection at once.
"""

from __future__ import annotations

import struct

from ...frozen import record
from ...net import Network, ProbeError, Stream
from .session import ProbeOutcome, ProbeSession, connect_tcp

MAGIC_COOKIE = 0x1A2B3C4D
MESSAGE_CONTROL = 1
START_CONTROL_CONNECTION_REQUEST = 1
START_CONTROL_CONNECTION_REPLY = 2
STOP_CONTROL_CONNECTION_REQUEST = 3
PROTOCOL_VERSION = 0x0100
FRAMING_ASYNC_SYNC = 0x3
BEARER_ANALOG_DIGITAL = 0x3

RESULT_CODES = {
    1: "successful channel establishment",
    2: "general error",
    3: "command channel already exists",
    4: "requester is not authorized",
    5: "protocol version not supported",
}

# length, message type, cookie, control type, reserved0, version, result+error (or
# reserved1), framing, bearer, max channels, firmware, host name, vendor
_START_CONTROL = struct.Struct("!HHIHHHHIIHH64s64s")
_STOP_CONTROL = struct.Struct("!HHIHHBBH")
assert _START_CONTROL.size == 156


class PptpParseError(ValueError):
    """The bytes are not a PPTP Start-Control-Connection message."""


@record
class StartControlConnection:
    control_type: int
    version: int
    result_code: int  # 0 in a request
    error_code: int
    framing: int
    bearer: int
    max_channels: int
    firmware: int
    host_name: str
    vendor: str

    def encode(self) -> bytes:
        return _START_CONTROL.pack(
            _START_CONTROL.size, MESSAGE_CONTROL, MAGIC_COOKIE, self.control_type, 0,
            self.version, self.result_code << 8 | self.error_code, self.framing, self.bearer,
            self.max_channels, self.firmware, self.host_name.encode("ascii", "replace"),
            self.vendor.encode("ascii", "replace"))

    @property
    def result(self) -> str:
        return RESULT_CODES.get(self.result_code, f"result code {self.result_code}")

    def describe(self) -> str:
        return (f"Start-Control-Connection-Reply: {self.result} (result code {self.result_code}"
                f", error code {self.error_code}), protocol version "
                f"{self.version >> 8}.{self.version & 0xFF}, host name {self.host_name!r}, "
                f"vendor {self.vendor!r}, firmware {self.firmware:#06x}")


def start_control_connection_request(host_name: str = "smtpdiag",
                                     vendor: str = "smtpdiag") -> StartControlConnection:
    return StartControlConnection(START_CONTROL_CONNECTION_REQUEST, PROTOCOL_VERSION, 0, 0,
                                  FRAMING_ASYNC_SYNC, BEARER_ANALOG_DIGITAL, 0, 1,
                                  host_name, vendor)


def stop_control_connection_request() -> bytes:
    """Stop-Control-Connection-Request, reason 1 (general request to clear)."""
    return _STOP_CONTROL.pack(_STOP_CONTROL.size, MESSAGE_CONTROL, MAGIC_COOKIE,
                              STOP_CONTROL_CONNECTION_REQUEST, 0, 1, 0, 0)


def parse_start_control_connection(data: bytes) -> StartControlConnection:
    """Decode a Start-Control-Connection request or reply; raises :class:`PptpParseError`."""
    if len(data) < _START_CONTROL.size:
        raise PptpParseError(f"{len(data)} bytes is shorter than the 156-byte message")
    (length, message_type, cookie, control_type, _reserved, version, result_error, framing,
     bearer, max_channels, firmware, host, vendor) = _START_CONTROL.unpack_from(data)
    if cookie != MAGIC_COOKIE:
        raise PptpParseError(f"magic cookie {cookie:#010x} is not 0x1a2b3c4d")
    if length != _START_CONTROL.size or message_type != MESSAGE_CONTROL:
        raise PptpParseError(f"length {length}, message type {message_type}: not a "
                             "Start-Control-Connection message")
    return StartControlConnection(control_type, version, result_error >> 8, result_error & 0xFF,
                                  framing, bearer, max_channels, firmware, _c_string(host),
                                  _c_string(vendor))


def _c_string(field: bytes) -> str:
    return field.split(b"\x00", 1)[0].decode("ascii", "replace")


def probe_pptp(net: Network, address: str, port: int, timeout: float,
               session: ProbeSession) -> ProbeOutcome:
    sock = connect_tcp(net, address, port, timeout, session)
    if isinstance(sock, ProbeOutcome):
        return sock
    with sock:
        request = start_control_connection_request().encode()
        session.note("Start-Control-Connection-Request: protocol version 1.0, "
                     "magic cookie 0x1a2b3c4d")
        session.sent(request)
        session.send_stream(sock, request, timeout)
        received = session.receive_stream(sock, timeout,
                                          lambda data: len(data) >= _START_CONTROL.size)
        if received.data:
            session.received(received.data)
        try:
            reply = parse_start_control_connection(received.data)
        except PptpParseError as exc:
            return _no_reply(received.data, received.closed, timeout, str(exc))
        if reply.control_type != START_CONTROL_CONNECTION_REPLY:
            return _no_reply(received.data, received.closed, timeout,
                             f"control message type {reply.control_type} instead of a reply")
        _say_goodbye(sock, session)
    return ProbeOutcome(None, f"a PPTP server answered: {reply.describe()}")


def _say_goodbye(sock: Stream, session: ProbeSession) -> None:
    """Send Stop-Control-Connection-Request; the server's answer is not awaited."""
    stop = stop_control_connection_request()
    session.note("Stop-Control-Connection-Request (closing politely)")
    session.sent(stop)
    try:
        session.send_stream(sock, stop, 1.0)
    except ProbeError as exc:
        session.note("the server had already closed the connection" if exc.failure in ("reset", "eof")
                     else f"no goodbye sent: {exc.detail}")


def _no_reply(data: bytes, closed: bool, timeout: float, why: str) -> ProbeOutcome:
    if data:
        return ProbeOutcome("no_answer", f"the answer is not a PPTP reply ({why})")
    if closed:
        return ProbeOutcome("no_answer", "the server closed the connection without a PPTP reply")
    return ProbeOutcome("no_answer", f"no PPTP reply within {timeout:g} s")
