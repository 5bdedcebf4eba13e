"""Hostile and broken peers on loopback, made of plain sockets, for the transport tests.

    with HostileServer(script) as server:      # 127.0.0.1, a free port
        ... connect to server.port ...

*script* serves one accepted connection (a blocking socket, in its own thread)
and may end it any way a middlebox or a broken server would:

    reset(conn)                 TCP RST (SO_LINGER 0)
    conn.close()                FIN
    read_line(conn)             one line, up to CRLF
    read_record(conn)           one TLS record (the ClientHello)
    server_flight(hello, cert)  what a real TLS server answers to that ClientHello

:func:`smtp_until_starttls` plays a mail server up to its ``220`` to STARTTLS;
:func:`hostile_san_certificate` makes a certificate with bytes in a DNS name
that are not even text.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

Script = Callable[[socket.socket], None]


class HostileServer:
    """A TCP listener on 127.0.0.1 serving each connection with *script* in a thread."""

    def __init__(self, script: Script, address: str = "127.0.0.1") -> None:
        self.script = script
        self.listener = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((address, 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            th = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(th)
            th.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            self.script(conn)
        except (OSError, ssl.SSLError):
            pass  # the client went away first: that is its right
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        self._accepter.join(2)
        for th in self._threads:
            th.join(5)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def reset(conn: socket.socket) -> None:
    """End the connection with a TCP RST, as the 2011/12 carrier did."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def read_line(conn: socket.socket, limit: int = 4096) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def read_record(conn: socket.socket) -> bytes:
    """One TLS record (5-byte header and body), e.g. the ClientHello."""
    head = _read_exactly(conn, 5)
    if len(head) < 5:
        return head
    return head + _read_exactly(conn, struct.unpack("!H", head[3:5])[0])


def _read_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def server_flight(client_hello: bytes, cert: trustme.LeafCert) -> bytes:
    """The bytes a real TLS server sends in answer to *client_hello* (ServerHello and
    what follows), made by OpenSSL itself on memory buffers."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(client_hello)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def smtp_until_starttls(conn: socket.socket, name: str = "hostile.test") -> None:
    """Greeting, EHLO with STARTTLS offered, and ``220`` to STARTTLS."""
    conn.sendall(f"220 {name} ESMTP\r\n".encode())
    read_line(conn)  # EHLO
    conn.sendall(f"250-{name}\r\n250-PIPELINING\r\n250 STARTTLS\r\n".encode())
    read_line(conn)  # STARTTLS
    conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")


def hostile_san_certificate(ca: trustme.CA, host: str = "127.0.0.1") -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM): a leaf for *host* whose other DNS name holds bytes
    that are not text (0xE4 0xFF), correctly signed by *ca*.  ``cryptography``
    refuses to parse it ("error parsing asn1 value"); OpenSSL verifies it."""
    leaf = ca.issue_cert("mxxil.test", host)
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    tbs = cert.tbs_certificate_bytes
    hostile_tbs = tbs.replace(b"mxxil.test", b"m\xe4\xffil.test")
    assert hostile_tbs != tbs
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)
    signature = ca_key.sign(hostile_tbs, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    assert len(signature) == len(cert.signature)  # RSA: same length, so no length field changes
    hostile = der.replace(tbs, hostile_tbs).replace(cert.signature, signature)
    return ssl.DER_cert_to_PEM_cert(hostile).encode(), leaf.private_key_pem.bytes()


def drip(conn: socket.socket, data: bytes, interval: float) -> None:
    """Send *data* one byte at a time, *interval* seconds apart."""
    for i in range(len(data)):
        conn.sendall(data[i:i + 1])
        time.sleep(interval)
