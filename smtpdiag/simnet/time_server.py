"""A time server for the simulated world: answers SNTP (RFC 4330) on loopback.

The demo's clock check asks it instead of a public time server.  *offset_s* makes
it say a time that far from this computer's clock (to show a wrong clock).
"""

from __future__ import annotations

import struct
import time

from .vpn_responders import UdpResponder

NTP_EPOCH_OFFSET = 2208988800


def _ntp(t: float) -> bytes:
    return struct.pack("!II", (int(t) + NTP_EPOCH_OFFSET) & 0xFFFFFFFF, int((t % 1) * (1 << 32)) & 0xFFFFFFFF)


class SntpResponder(UdpResponder):
    def __init__(self, offset_s: float = 0.0, host: str = "127.0.0.1") -> None:
        self.offset_s = offset_s
        super().__init__(host)

    def answer(self, datagram: bytes, peer: tuple[str, int]) -> list[bytes]:
        if len(datagram) < 48 or datagram[0] & 0x07 != 3:
            return []
        now = time.time() + self.offset_s
        head = bytes([0x24, 2, datagram[2], 0xEC]) + bytes(8) + b"SIMN"
        return [head + _ntp(now) + datagram[40:48] + _ntp(now) + _ntp(now)]
