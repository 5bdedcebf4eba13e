"""A loopback SNTP server for the clock-check tests (RFC 4330 server side, written
independently of smtpdiag's client), with a chosen clock offset and bad replies."""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Self

NTP_EPOCH = 2208988800


def ntp_timestamp(t: float) -> bytes:
    return struct.pack("!II", (int(t) + NTP_EPOCH) & 0xFFFFFFFF, int((t - int(t)) * 2**32) & 0xFFFFFFFF)


class SntpServer:
    """Answers every SNTP request on 127.0.0.1 with its clock *offset_s* away from ours.

    *reply*: ``ok``, ``kiss`` (stratum 0, "RATE"), ``short`` (20 bytes), ``silent`` (no answer).
    """

    def __init__(self, offset_s: float = 0.0, reply: str = "ok") -> None:
        self.offset_s, self.reply = offset_s, reply
        self.requests: list[bytes] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(1024)
            except (TimeoutError, OSError):
                continue
            self.requests.append(data)
            if self.reply == "silent":
                continue
            now = time.time() + self.offset_s
            stratum = 0 if self.reply == "kiss" else 1
            packet = (bytes([0x24, stratum, 6, 0xEC]) + bytes(8) + (b"RATE" if stratum == 0 else b"GPS\0")
                      + ntp_timestamp(now) + data[40:48] + ntp_timestamp(now) + ntp_timestamp(now))
            self.sock.sendto(packet[:20] if self.reply == "short" else packet, peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
