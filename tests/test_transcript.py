"""Transcripts are the wire: every line as received, every connection opened and closed
with how it ended, second looks as separate connections, times from one clock.
Real servers on loopback (the simulated world, and a raw socket server here)."""

from __future__ import annotations

import socket
import threading

import pytest

from smtpdiag.engine import Diagnosis
from smtpdiag.net import Network
from smtpdiag.probe.smtp import ProbeSettings, probe_smtp
from smtpdiag.records import TranscriptLine
from smtpdiag.report.model import render_text, report_of
from smtpdiag.simnet.world import start_scenario


def _one_clock(lines: tuple[TranscriptLine, ...]) -> None:
    times = [t.ms for t in lines]
    assert times == sorted(times), times


def _opened_and_closed(lines: tuple[TranscriptLine, ...]) -> dict[int, str]:
    """Every connection that opened has exactly one close note; returns how each ended."""
    opened = {t.conn for t in lines if t.dir == "note" and " opened to " in t.text}
    closes = [t for t in lines if t.dir == "note" and t.text.startswith("connection ")
              and (" closed " in t.text or " reset " in t.text or "closed by smtpdiag" in t.text)]
    ended = {t.conn: t.text for t in closes}
    assert len(ended) == len(closes), "a connection closed twice"
    assert set(ended) == opened
    for t in lines:
        assert t.conn in opened or t.conn in (0, max(opened, default=0) + 1) or not opened, t
    return ended


def test_the_2012_carrier_reset_is_recorded_as_received() -> None:
    with start_scenario("mobile-2012") as sim:
        report = report_of(Diagnosis(sim.config(timeout=1.5), network=sim.network).run())
    c = next(c for c in report.targets if c.port == 587)
    texts = [t.text for t in c.transcript]
    _one_clock(c.transcript)
    # the server's words, not a paraphrase; the first EHLO line keeps its "250-"
    assert "220 Ready to start TLS" in texts
    assert next(t for t in texts if t.startswith("250")) == "250-mail.example.net"
    assert _opened_and_closed(c.transcript) == {1: "connection 1 reset by the other side"}


def test_a_second_look_is_its_own_connection() -> None:
    with start_scenario("expired-certificate") as sim:
        report = report_of(Diagnosis(sim.config(timeout=1.5, time_server=None), network=sim.network).run())
    c = next(c for c in report.targets if c.port == 587)
    _one_clock(c.transcript)
    ended = _opened_and_closed(c.transcript)
    assert ended == {1: "connection 1 closed by smtpdiag", 2: "connection 2 closed by smtpdiag"}
    second = next(t for t in c.transcript if t.conn == 2)
    assert second.text.startswith("connection 2: connecting to") and "second look without verification" in second.text
    # the second connection's own EHLO is recorded on it
    assert any(t.conn == 2 and t.dir == "send" and t.text.startswith("EHLO") for t in c.transcript)
    text = render_text(report)
    assert "#2 ** connection 2 opened to 192.0.2.10:587 from 127.0.0.1" in text


class _RawServer:
    """Sends *script* (raw bytes) to each connection, then closes it."""

    def __init__(self, script: bytes) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _addr = self.sock.accept()
        with conn:
            conn.sendall(self.script)
            try:
                conn.recv(1024)  # the EHLO
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()
        self.thread.join(2)


@pytest.mark.parametrize("script", [b"554 5.7.1 go away \xff\xfe\r\n", b"220-first\r\n220 mail.test \xe9t\xe9\r\n"])
def test_raw_bytes_and_a_close_by_the_server(script: bytes) -> None:
    server = _RawServer(script)
    try:
        attempt = probe_smtp(Network(), "127.0.0.1", ProbeSettings("127.0.0.1", server.port, "starttls", 1.5),
                             threading.Event())
    finally:
        server.close()
    received = [t.text for t in attempt.transcript if t.dir == "recv"]
    # bytes that are not UTF-8 are kept as \\xNN, never replaced
    expected = script.split(b"\r\n")[0].decode("utf-8", "backslashreplace")
    assert received[0] == expected
    ended = _opened_and_closed(attempt.transcript)
    if script.startswith(b"554"):
        assert ended == {1: "connection 1 closed by smtpdiag"}  # a refusal: smtpdiag hangs up
    else:
        assert ended == {1: "connection 1 closed by the server"}  # it closed after the greeting
    _one_clock(attempt.transcript)
