"""Connection behaviours that are not a working SMTP server: hostile and broken peers.

Each behaviour is an ``async def behaviour(reader, writer, options)`` serving one
accepted connection through asyncio streams.  They are used by the simulated
servers (``servers.RawServer``) and by the fault proxy (``silent``,
``captive_portal``).  All of them are bounded: they read in chunks of at most
:data:`CHUNK` bytes and throw input away, and they write with ``drain()`` so
that a client that stops reading stops them too (the endless greeting never
holds more than the transport's write buffer in memory).

    silent             accept, say nothing, read and discard
    endless_greeting   "220 " followed by 'a' without end (no line break)
    drip_greeting      a greeting dripped one byte per interval
    random_bytes       binary garbage ending in CRLF, again for every input
    http_redirect      a captive portal: "HTTP/1.1 302 Found" at once
    http_bad_request   an HTTP server: silent until the client speaks, then 400
    reject_greeting    "554" at connect, 503 to everything but QUIT (RFC 5321 3.1)
    tls_alert          a TLS handshake_failure alert in answer to the ClientHello
    tls_close          reads the ClientHello and closes: EOF in mid-handshake

Closing helpers: :func:`lingering_close` (FIN, then discard the client's input
until it closes, so that unread input does not turn the close into a reset) and
:func:`reset` (SO_LINGER 0: a TCP RST).
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

CHUNK = 16384
MAX_LINE = 4096
LINGER_GRACE = 2.0
# The endless greeting ends after this much, in case a client reads forever.
ENDLESS_LIMIT = 64 * 1024 * 1024
MAX_COMMANDS = 50

TLS_HANDSHAKE = 0x16
TLS_ALERT = 0x15
ALERT_FATAL = 2
ALERT_HANDSHAKE_FAILURE = 40

PORTAL_URL = "http://login.example/portal?continue=mail"
PORTAL_BODY = (
    "<html><head><title>Welcome</title></head><body>"
    f'<p>Please <a href="{PORTAL_URL}">log in</a> to use this network.</p></body></html>'
)


@dataclass(frozen=True)
class RawOptions:
    """What a raw behaviour needs to know about its server."""

    name: str = "mail.example.net"
    interval: float = 1.0
    seed: int = 2012


Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, RawOptions], Awaitable[None]]


# -- helpers ---------------------------------------------------------------


async def discard_input(reader: asyncio.StreamReader) -> None:
    """Read and throw away until the client closes."""
    while await reader.read(CHUNK):
        pass


async def lingering_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                          grace: float = LINGER_GRACE) -> None:
    """Close politely: FIN (or TLS close), then wait a little for the client to close."""
    try:
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        await asyncio.wait_for(discard_input(reader), grace)
    except (OSError, TimeoutError):
        pass
    finally:
        writer.close()


def reset(writer: asyncio.StreamWriter) -> None:
    """End the connection with a TCP RST (SO_LINGER on, zero seconds)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def read_command(reader: asyncio.StreamReader) -> bytes | None:
    """One line from the client (None at EOF); an overlong line is cut at MAX_LINE."""
    line = bytearray()
    while len(line) < MAX_LINE:
        data = await reader.read(1)
        if not data:
            return None
        line += data
        if data == b"\n":
            return bytes(line)
    return bytes(line)


def looks_like_tls(data: bytes) -> bool:
    """Does *data* start with a TLS handshake record (a ClientHello)?"""
    return len(data) >= 2 and data[0] == TLS_HANDSHAKE and data[1] == 0x03


# -- behaviours ---------------------------------------------------------------


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 options: RawOptions) -> None:
    await discard_input(reader)


async def endless_greeting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           options: RawOptions) -> None:
    writer.write(b"220 ")
    block = b"a" * CHUNK
    sent = 0
    while sent < ENDLESS_LIMIT and not writer.is_closing():
        writer.write(block)
        await writer.drain()  # waits while the client does not read: bounded memory
        sent += len(block)
    await lingering_close(reader, writer)


async def drip_greeting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        options: RawOptions) -> None:
    for byte in f"220 {options.name} ESMTP\r\n".encode("ascii"):
        if writer.is_closing():
            return
        writer.write(bytes((byte,)))
        await writer.drain()
        await asyncio.sleep(options.interval)
    await discard_input(reader)


def garbage(seed: int, size: int = 200) -> bytes:
    """Deterministic binary junk ending in CRLF: no line breaks inside, and a first
    byte that is neither a digit nor a TLS record type."""
    data = bytearray(random.Random(seed).randbytes(size))
    for i, byte in enumerate(data):
        if byte in (0x0A, 0x0D):
            data[i] = 0x2E
    data[0] = 0xC3
    return bytes(data) + b"\r\n"


async def random_bytes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       options: RawOptions) -> None:
    junk = garbage(options.seed)
    writer.write(junk)
    await writer.drain()
    while await reader.read(CHUNK) and not writer.is_closing():
        writer.write(junk)
        await writer.drain()


def http_response(status: str, headers: dict[str, str], body: str) -> bytes:
    payload = body.encode("utf-8")
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {len(payload)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("ascii") + payload


REDIRECT = http_response("302 Found", {"Location": PORTAL_URL, "Content-Type": "text/html"},
                         PORTAL_BODY)
BAD_REQUEST = http_response("400 Bad Request", {"Content-Type": "text/html"},
                            "<html><body><h1>400 Bad Request</h1></body></html>")


async def http_redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        options: RawOptions) -> None:
    writer.write(REDIRECT)
    await lingering_close(reader, writer)


async def http_bad_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           options: RawOptions) -> None:
    if await reader.read(CHUNK):
        writer.write(BAD_REQUEST)
    await lingering_close(reader, writer)


async def reject_greeting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                          options: RawOptions) -> None:
    writer.write(f"554 5.3.2 {options.name} ESMTP service not available\r\n".encode("ascii"))
    await writer.drain()
    for _ in range(MAX_COMMANDS):
        line = await read_command(reader)
        if line is None:
            break
        if line.strip().upper() == b"QUIT":
            writer.write(b"221 2.0.0 Bye\r\n")
            break
        writer.write(b"503 5.5.1 Bad sequence of commands: service not available\r\n")
        await writer.drain()
    await lingering_close(reader, writer)


async def tls_alert(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    options: RawOptions) -> None:
    hello = await reader.read(CHUNK)
    if looks_like_tls(hello):
        version = hello[1:3] if len(hello) >= 3 else b"\x03\x01"
        writer.write(bytes((TLS_ALERT,)) + version
                     + bytes((0, 2, ALERT_FATAL, ALERT_HANDSHAKE_FAILURE)))
    await lingering_close(reader, writer)


async def tls_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    options: RawOptions) -> None:
    await reader.read(CHUNK)
    await lingering_close(reader, writer)


BEHAVIOURS: dict[str, Behaviour] = {
    "silent": silent,
    "endless_greeting": endless_greeting,
    "drip_greeting": drip_greeting,
    "random_bytes": random_bytes,
    "http_redirect": http_redirect,
    "http_bad_request": http_bad_request,
    "reject_greeting": reject_greeting,
    "tls_alert": tls_alert,
    "tls_close": tls_close,
}
