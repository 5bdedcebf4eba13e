"""A small fault-injecting TCP proxy: what a customer's network does to mail traffic.

A :class:`ProxyRule` names one or more faults; :func:`start_front` puts the rule
in front of an upstream server and returns the endpoint clients connect to.
Some faults need no proxy at all and are made of plain sockets:

    fault                  what the client sees                  made of
    pass                   the server itself                     (the server's own port)
    drop                   connect times out                     sockets.BlackHole
    refuse                 connection refused (RST)              sockets.ClosedPort
    silent                 connected, nothing ever said          raw.silent
    captive_portal         an HTTP 302 to a login page           raw.http_redirect
    reset_on_connect       connected, then reset at once         FaultProxy
    reset_after_greeting   the greeting, then a reset            FaultProxy
    reset_on_clienthello   reset when the TLS ClientHello        FaultProxy
                           passes (465 at once, 587 after
                           STARTTLS: the 2012 mobile firmware)
    stall_on_clienthello   the ClientHello is swallowed          FaultProxy
    strip_starttls         EHLO without STARTTLS                 FaultProxy (replies)
    mask_starttls          EHLO shows XXXXXXXA, the STARTTLS     FaultProxy (both ways)
                           command reaches the server as
                           XXXXXXXX (Cisco PIX/ASA inspection)
    mask_banner            "220 ******..." greeting              FaultProxy (replies)
    intercept_tls          TLS terminated with a certificate     FaultProxy (TLS both ways)
                           from an interception product's CA,
                           re-encrypted toward the server

The rewriting faults (strip/mask) combine with each other and with one TLS
fault; drop, refuse, silent, captive_portal and reset_on_connect stand alone.

How :class:`FaultProxy` relays one connection (``_Relay``):

* implicit-TLS ports: bytes are relayed as they are (a firewall cannot read
  TLS); the first client bytes are checked for a ClientHello.  With
  ``intercept_tls`` the proxy's listener itself speaks TLS with the forged
  certificate and opens TLS toward the server.
* STARTTLS ports: the plain-text phase is relayed line by line.  Server
  replies are reassembled (multi-line EHLO answers) so they can be rewritten;
  client commands are watched for STARTTLS.  When the server answers STARTTLS
  with 220 the relay switches to raw bytes (or, for ``intercept_tls``, to TLS on
  both sides).  This assumes, as RFC 3207 demands, that a client sends nothing
  after STARTTLS before its reply.

Memory is bounded everywhere: reads are at most ``CHUNK`` bytes, a line longer
than ``MAX_LINE`` or a reply longer than ``MAX_REPLY_LINES`` is passed on
unmodified instead of being held, and every write waits for ``drain()``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import raw
from .certs import client_context, forged_cert, server_context
from .rules import ProxyRule
from .sockets import Endpoint, Family

if TYPE_CHECKING:
    from .servers import SimServers

CHUNK = raw.CHUNK
MAX_LINE = 4096
MAX_REPLY_LINES = 100
CONNECT_TIMEOUT = 5.0
TLS_TIMEOUT = 10.0

STARTTLS = b"STARTTLS"
MASKED_EXTENSION = b"XXXXXXXA"
MASKED_COMMAND = b"XXXXXXXX"


def start_front(servers: SimServers, rule: ProxyRule, upstream: Endpoint | None, *,
                family: Family = "ipv4", names: tuple[str, ...] = ("mail.example.net",),
                mode: str = "starttls") -> Endpoint:
    """The endpoint that puts *rule* in front of *upstream* (None: no server there).

    Faults that need a server but have none pass the server's absence on: the
    client is refused, as by a transparent middlebox in front of a closed port.
    """
    from .servers import http_server, silent_server

    faults = rule.faults
    if "drop" in faults:
        return servers.black_hole(family)
    if "refuse" in faults:
        return servers.closed_port(family)
    if "silent" in faults:
        return servers.start(silent_server(), family)
    if "captive_portal" in faults:
        return servers.start(http_server("connect"), family)
    if upstream is None and "reset_on_connect" not in faults:
        return servers.closed_port(family)
    if rule.passthrough:
        assert upstream is not None
        return upstream
    proxy = FaultProxy(servers, rule, upstream, names=names, mode=mode)
    return proxy.listen(family)


class FaultProxy:
    """Relays each accepted connection to *upstream*, applying *rule* on the way.

    *gate*, a server context, answers a ClientHello that this context would
    refuse with the alert OpenSSL produces for it (see :func:`tls_refusal`).
    The simulated servers use it for their outdated-TLS variant: asyncio's TLS
    layer closes without sending the server's alert, a real server sends it.
    """

    def __init__(self, servers: SimServers, rule: ProxyRule, upstream: Endpoint | None, *,
                 names: tuple[str, ...], mode: str, gate: ssl.SSLContext | None = None) -> None:
        if mode not in ("starttls", "implicit"):
            raise ValueError(f"unknown port mode {mode!r}")
        self.gate = gate
        self.servers = servers
        self.runtime = servers.runtime
        self.rule = rule
        self.upstream = upstream
        self.names = names
        self.mode = mode
        self.intercepting = "intercept_tls" in rule.faults
        self.forged_context: ssl.SSLContext | None = None
        self.upstream_context: ssl.SSLContext | None = None
        if self.intercepting:
            self.forged_context = server_context(forged_cert(rule.product, names))
            self.upstream_context = client_context()

    def listen(self, family: Family) -> Endpoint:
        sock, endpoint = self.servers.listen(family)
        try:
            self.runtime.call(self._serve(sock))
        except BaseException:
            sock.close()
            raise
        return endpoint

    async def _serve(self, sock: Any) -> None:
        # On an implicit-TLS port the interceptor's listener itself speaks TLS:
        # handing the stream over to TLS later could lose an early ClientHello.
        tls_now = self.forged_context if (self.intercepting and self.mode == "implicit") else None
        server = await asyncio.start_server(
            self._handle, sock=sock, ssl=tls_now, limit=MAX_LINE,
            ssl_handshake_timeout=TLS_TIMEOUT if tls_now else None)

        async def close() -> None:
            server.close()

        self.runtime.on_close(close)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = writer.transport
        self.runtime.track(transport)
        relay = _Relay(self, reader, writer)
        try:
            await relay.run()
        finally:
            relay.close()
            self.runtime.untrack(transport)


class _Ended(Exception):
    """A fault ended the connection on purpose."""


class _Relay:
    """One client connection through a :class:`FaultProxy`."""

    def __init__(self, proxy: FaultProxy, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.faults = proxy.rule.faults
        self.client_r = reader
        self.client_w = writer
        self.up_r: asyncio.StreamReader | None = None
        self.up_w: asyncio.StreamWriter | None = None
        self.server_spoke = False  # the upstream has sent something
        self.greeting_seen = False
        self.starttls_pending = False  # the client sent STARTTLS, its reply is due
        self.raw_mode = False  # the client started TLS without STARTTLS
        self.stalled = False
        self.alert = b""  # what the gate answers to a refused ClientHello

    # -- the life of a connection ---------------------------------------------

    async def run(self) -> None:
        if "reset_on_connect" in self.faults:
            raw.reset(self.client_w)
            return
        if not await self._connect_upstream():
            raw.reset(self.client_w)
            return
        try:
            if self.proxy.mode == "implicit":
                if self.proxy.intercepting:
                    await self._upstream_tls()
                await self._relay_raw()
            elif await self._relay_smtp():
                if self.proxy.intercepting:
                    await self._client_tls()
                    await self._upstream_tls()
                await self._relay_raw()
        except (_Ended, OSError, EOFError, TimeoutError):
            self._abort_both()

    async def _connect_upstream(self) -> bool:
        upstream = self.proxy.upstream
        if upstream is None:
            return False
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(upstream.host, upstream.port, limit=MAX_LINE),
                CONNECT_TIMEOUT)
        except (OSError, TimeoutError):
            return False
        self.up_r, self.up_w = reader, writer
        self.proxy.runtime.track(writer.transport)
        return True

    def close(self) -> None:
        if self.up_w is not None:
            self.proxy.runtime.untrack(self.up_w.transport)
            self.up_w.close()
        self.client_w.close()

    def _abort_both(self) -> None:
        if self.up_w is not None:
            self.up_w.transport.abort()
        self.client_w.transport.abort()

    # -- TLS interception --------------------------------------------------------

    async def _client_tls(self) -> None:
        assert self.proxy.forged_context is not None
        await self.client_w.start_tls(self.proxy.forged_context, ssl_handshake_timeout=TLS_TIMEOUT)

    async def _upstream_tls(self) -> None:
        assert self.up_w is not None and self.proxy.upstream_context is not None
        await self.up_w.start_tls(self.proxy.upstream_context,
                                  server_hostname=self.proxy.names[0],
                                  ssl_handshake_timeout=TLS_TIMEOUT)

    # -- what to do with client bytes ----------------------------------------------

    def _client_action(self, data: bytes, at_boundary: bool) -> str:
        """``forward``, ``reset`` or ``stall`` for a chunk from the client."""
        if at_boundary and raw.looks_like_tls(data):
            if self.proxy.gate is not None:
                self.alert = tls_refusal(self.proxy.gate, data)
                if self.alert:
                    return "alert"
            if "reset_on_clienthello" in self.faults:
                return "reset"
            if "stall_on_clienthello" in self.faults:
                return "stall"
        if "reset_after_greeting" in self.faults and self.server_spoke:
            return "reset"
        return "forward"

    async def _act(self, action: str) -> None:
        """Carry out ``reset``, ``stall`` or ``alert``; each ends the relay."""
        assert self.up_w is not None
        if action == "reset":
            raw.reset(self.client_w)
            self.up_w.transport.abort()
        elif action == "alert":
            self.up_w.close()
            self.client_w.write(self.alert)
            await raw.lingering_close(self.client_r, self.client_w)
        else:
            self.stalled = True
            self.up_w.close()
            await raw.discard_input(self.client_r)
        raise _Ended(action)

    @staticmethod
    def _send_eof(writer: asyncio.StreamWriter) -> None:
        if writer.can_write_eof():
            writer.write_eof()
        else:
            writer.close()

    # -- raw relaying ------------------------------------------------------------

    async def _relay_raw(self) -> None:
        await _pair(self._raw_client_to_upstream, self._raw_upstream_to_client, self)

    async def _raw_client_to_upstream(self) -> None:
        assert self.up_w is not None
        first = True
        while data := await self.client_r.read(CHUNK):
            action = self._client_action(data, at_boundary=first)
            first = False
            if action != "forward":
                await self._act(action)
            if self.up_w.is_closing():
                break
            self.up_w.write(data)
            await self.up_w.drain()
        self._send_eof(self.up_w)

    async def _raw_upstream_to_client(self) -> None:
        assert self.up_r is not None
        while data := await self.up_r.read(CHUNK):
            self.server_spoke = True
            if self.client_w.is_closing():
                break
            self.client_w.write(data)
            await self.client_w.drain()
        if not self.stalled:
            self._send_eof(self.client_w)

    # -- the plain-text SMTP phase ---------------------------------------------------

    async def _relay_smtp(self) -> bool:
        """Relay until the server accepts STARTTLS (True) or either side ends (False)."""
        client_side = asyncio.create_task(self._smtp_client_to_upstream())
        try:
            upgraded = await self._smtp_upstream_to_client(client_side)
        except BaseException as exc:
            client_side.cancel()
            if not isinstance(exc, GeneratorExit):  # a coroutine being destroyed may not wait
                await asyncio.gather(client_side, return_exceptions=True)
            raise
        if not upgraded:
            await client_side  # the client may still be talking (or stalled)
        return upgraded

    async def _smtp_client_to_upstream(self) -> None:
        assert self.up_w is not None
        pending = bytearray()
        while data := await self.client_r.read(CHUNK):
            action = self._client_action(data, at_boundary=not pending)
            if action != "forward":
                await self._act(action)
            if self.raw_mode or (not pending and raw.looks_like_tls(data)):
                self.raw_mode = True  # TLS without STARTTLS: nothing left to read
                self.up_w.write(bytes(pending) + data)
                pending.clear()
            else:
                pending += data
                self.up_w.write(self._client_lines(pending))
            await self.up_w.drain()
        if pending:
            self.up_w.write(bytes(pending))
        self._send_eof(self.up_w)

    def _client_lines(self, pending: bytearray) -> bytes:
        """Complete command lines taken from *pending*, rewritten; overlong data as is."""
        out = bytearray()
        while (end := pending.find(b"\n")) >= 0:
            line = bytes(pending[: end + 1])
            del pending[: end + 1]
            out += self._rewrite_command(line)
        if len(pending) > MAX_LINE:
            out += pending
            pending.clear()
        return bytes(out)

    def _rewrite_command(self, line: bytes) -> bytes:
        if line.strip().upper() != STARTTLS:
            return line
        if "mask_starttls" in self.faults:
            return MASKED_COMMAND + line[len(line.rstrip(b"\r\n")):]
        self.starttls_pending = True
        return line

    async def _smtp_upstream_to_client(self, client_side: asyncio.Task[None]) -> bool:
        assert self.up_r is not None
        replies = ReplyAssembler()
        while data := await self.up_r.read(CHUNK):
            self.server_spoke = True
            if self.raw_mode:
                self.client_w.write(replies.drain() + data)
                await self.client_w.drain()
                continue
            out = bytearray()
            for lines, complete in replies.feed(data):
                if complete and self.starttls_pending:
                    self.starttls_pending = False
                    if lines[0].startswith(b"220"):
                        await self._begin_tls(client_side, bytes(out) + b"".join(lines)
                                              + replies.drain())
                        return True
                out += self._rewrite_reply(lines) if complete else b"".join(lines)
            self.client_w.write(bytes(out))
            await self.client_w.drain()
        if not self.stalled:
            self._send_eof(self.client_w)
        return False

    async def _begin_tls(self, client_side: asyncio.Task[None], last_words: bytes) -> None:
        """The server said 220 to STARTTLS: stop the plain-text relay, then pass it on."""
        client_side.cancel()
        await asyncio.gather(client_side, return_exceptions=True)
        transport = self.client_w.transport
        if self.proxy.intercepting and isinstance(transport, asyncio.ReadTransport):
            # Nothing of the coming ClientHello may land in the plain-text reader.
            transport.pause_reading()
        self.client_w.write(last_words)
        await self.client_w.drain()

    def _rewrite_reply(self, lines: list[bytes]) -> bytes:
        if not self.greeting_seen:
            self.greeting_seen = True
            if "mask_banner" in self.faults:
                lines = [mask_text(line) for line in lines]
        elif lines[0].startswith(b"250") and len(lines) > 1:
            if "strip_starttls" in self.faults:
                lines = strip_extension(lines, STARTTLS)
            if "mask_starttls" in self.faults:
                lines = [mask_extension(line) for line in lines]
        return b"".join(lines)


async def _pair(to_upstream: Callable[[], Awaitable[None]],
                to_client: Callable[[], Awaitable[None]], relay: _Relay) -> None:
    """Run both directions; an error in one aborts both sides (a reset propagates)."""

    async def guarded(direction: Callable[[], Awaitable[None]]) -> None:
        try:
            await direction()
        except (_Ended, OSError, EOFError):
            relay._abort_both()

    await asyncio.gather(guarded(to_upstream), guarded(to_client))


def tls_refusal(context: ssl.SSLContext, hello: bytes) -> bytes:
    """The alert a server with *context* sends in answer to *hello*, or b"" if it
    would go on with the handshake.  A trial handshake in memory: nothing is sent."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    trial = context.wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(hello)
    try:
        trial.do_handshake()
    except ssl.SSLWantReadError:
        return b""
    except ssl.SSLError:
        return outgoing.read()
    return b""


# -- SMTP reply surgery (pure functions) -------------------------------------------


class ReplyAssembler:
    """Cuts the server's byte stream into SMTP replies (lists of lines), bounded.

    :meth:`feed` returns ``(lines, complete)`` pairs: ``complete`` replies may be
    rewritten; incomplete ones (an overlong line or reply) must be passed on as
    they are.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._lines: list[bytes] = []
        self._overlong = False

    def feed(self, data: bytes) -> list[tuple[list[bytes], bool]]:
        self._buffer += data
        out: list[tuple[list[bytes], bool]] = []
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[: end + 1])
            del self._buffer[: end + 1]
            if self._overlong:  # the rest of a line already passed on
                self._overlong = False
                out.append(([line], False))
                continue
            self._lines.append(line)
            final = is_final_line(line)
            if final or len(self._lines) >= MAX_REPLY_LINES:
                out.append((self._lines, final))
                self._lines = []
        if len(self._buffer) > MAX_LINE:
            out.append((self._lines + [bytes(self._buffer)], False))
            self._lines = []
            self._buffer.clear()
            self._overlong = True
        return out

    def drain(self) -> bytes:
        """Everything held so far, unmodified."""
        held = b"".join(self._lines) + bytes(self._buffer)
        self._lines = []
        self._buffer.clear()
        return held


def is_final_line(line: bytes) -> bool:
    """The last line of a reply: ``250 text`` (not ``250-text``), or not SMTP at all."""
    return not (len(line) >= 4 and line[:3].isdigit() and line[3:4] == b"-")


def _split_ending(line: bytes) -> tuple[bytes, bytes]:
    body = line.rstrip(b"\r\n")
    return body, line[len(body):]


def mask_text(line: bytes) -> bytes:
    """``220 mail.example.net ESMTP`` -> ``220 ********************`` (same length)."""
    body, ending = _split_ending(line)
    if len(body) <= 4:
        return line
    return body[:4] + b"*" * (len(body) - 4) + ending


def extension_of(line: bytes) -> bytes:
    """The EHLO keyword of a reply line (``250-STARTTLS`` -> ``STARTTLS``)."""
    body, _ = _split_ending(line)
    return body[4:].split(b" ", 1)[0].upper()


def strip_extension(lines: list[bytes], keyword: bytes) -> list[bytes]:
    """The EHLO reply without *keyword*, its last line turned final (``250 ``)."""
    kept = [line for line in lines if extension_of(line) != keyword.upper()]
    if kept and len(kept) < len(lines):
        last = kept[-1]
        kept[-1] = last[:3] + b" " + last[4:]
    return kept


def mask_extension(line: bytes) -> bytes:
    """``250-STARTTLS`` -> ``250-XXXXXXXA`` (what Cisco's ESMTP inspection sends)."""
    if extension_of(line) != STARTTLS:
        return line
    return line[:4] + MASKED_EXTENSION + line[4 + len(STARTTLS):]
