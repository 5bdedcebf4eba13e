"""The SMTP reply reader (probe/reply.SmtpSession.read_reply), tested directly over a
real connected socket pair: what the peer writes, byte for byte, and what the reader
makes of it (the reply, the failure word, the transcript line)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from smtpdiag.net import ProbeError, Stream
from smtpdiag.probe.reply import MAX_LINE, MAX_REPLY_LINES, SmtpSession


@pytest.fixture
def pair() -> Iterator[tuple[SmtpSession, socket.socket]]:
    """Our side as an SmtpSession (timeout 1 s), and the peer's socket to write with."""
    ours, peer = socket.socketpair()
    session = SmtpSession(Stream(ours), started=time.monotonic(), timeout=1.0)
    try:
        yield session, peer
    finally:
        session.close()
        peer.close()


def received(session: SmtpSession) -> list[str]:
    return [line.text for line in session.transcript if line.dir == "recv"]


def test_a_one_line_reply(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"220 mail.example.net ESMTP ready\r\n")
    reply = session.read_reply(greeting=True)
    assert (reply.code, reply.lines) == (220, ["mail.example.net ESMTP ready"])
    assert received(session) == ["220 mail.example.net ESMTP ready"]


def test_a_multi_line_reply_with_bare_line_feeds_and_dripped_bytes(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair

    def drip() -> None:
        for chunk in (b"250-mail.exa", b"mple.net\n250-STARTTLS\r", b"\n250 AUTH PLAIN LOGIN\r\n"):
            peer.sendall(chunk)
            time.sleep(0.02)

    writer = threading.Thread(target=drip)
    writer.start()
    reply = session.read_reply()
    writer.join()
    assert reply.code == 250
    assert reply.lines == ["mail.example.net", "STARTTLS", "AUTH PLAIN LOGIN"]
    assert reply.text == "mail.example.net STARTTLS AUTH PLAIN LOGIN"


def test_two_replies_in_one_packet_are_read_one_at_a_time(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"220 hello\r\n250 ok\r\n")
    assert session.read_reply(greeting=True).code == 220
    assert session.read_reply().code == 250


def test_a_multi_line_reply_whose_codes_differ_is_malformed(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"250-first\r\n550 second\r\n")
    with pytest.raises(ProbeError) as caught:
        session.read_reply()
    assert caught.value.failure == "malformed"


def test_a_line_without_a_code_is_malformed(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"hello there\r\n")
    with pytest.raises(ProbeError) as caught:
        session.read_reply()
    assert caught.value.failure == "malformed"
    assert received(session) == ["hello there"]


def test_an_endless_line_is_too_long_and_reading_stops(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"220 " + b"x" * (MAX_LINE + 100))
    with pytest.raises(ProbeError) as caught:
        session.read_reply()
    assert caught.value.failure == "too_long"
    assert received(session)[-1].endswith(f"(line longer than {MAX_LINE} bytes, stopped reading)")


def test_an_endless_reply_is_too_long(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"250-more\r\n" * (MAX_REPLY_LINES + 5))
    with pytest.raises(ProbeError) as caught:
        session.read_reply()
    assert caught.value.failure == "too_long"


def test_a_web_page_instead_of_a_greeting_is_http(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://portal.example/\r\n\r\n")
    with pytest.raises(ProbeError) as caught:
        session.read_reply(greeting=True)
    assert caught.value.failure == "http"
    assert received(session) == ["HTTP/1.1 302 Found"]


def test_binary_bytes_instead_of_a_greeting_are_not_smtp(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(bytes(range(0, 40)) + b"\n")
    with pytest.raises(ProbeError) as caught:
        session.read_reply(greeting=True)
    assert caught.value.failure == "not_smtp"
    assert received(session)[0].startswith("[binary] 00 01 02")


def test_bytes_that_are_not_utf8_are_kept_visibly_in_the_transcript(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"220 caf\xe9 server\r\n")
    reply = session.read_reply(greeting=True)
    assert reply.code == 220
    assert received(session) == ["220 caf\\xe9 server"]


def test_a_close_in_the_middle_of_a_line_is_eof_and_the_piece_is_shown(
        pair: tuple[SmtpSession, socket.socket]) -> None:
    session, peer = pair
    peer.sendall(b"220 half a gree")
    peer.shutdown(socket.SHUT_WR)
    with pytest.raises(ProbeError) as caught:
        session.read_reply(greeting=True)
    assert caught.value.failure == "eof"
    assert received(session) == ["220 half a gree (incomplete line)"]
    session.close()
    assert session.transcript[-1].text == "connection 1 closed by the server"


def test_silence_ends_at_the_steps_deadline_as_timeout(pair: tuple[SmtpSession, socket.socket]) -> None:
    session, _peer = pair
    session.begin_step(time.monotonic() + 0.3)
    with pytest.raises(ProbeError) as caught:
        session.read_reply(greeting=True)
    assert caught.value.failure == "timeout"
    session.close()
    assert session.transcript[-1].text == "connection 1: no answer in time; closed by smtpdiag"
