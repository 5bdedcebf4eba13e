"""The unverified second look, kept apart on purpose.

When verifying a server's certificate fails, the report should still show
*which* certificate was presented (who issued it, for which names, until
when), because that is how support staff recognise an antivirus program or a
firewall reading along.  This module is the only place in smtpdiag that
completes a handshake without verification, and it does nothing else: the
connection is closed right after the certificate is read.  No SMTP command,
login or mail is ever sent over it.
"""

from __future__ import annotations

import socket
import ssl

from ..net import is_ip_literal
from ..records import CertInfo
from .tls import cert_info


def _capture_only_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # this context only reads the certificate, see module doc
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED  # old versions too: we only look
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def capture_certificate(sock: socket.socket, server_name: str | None,
                        timeout: float) -> tuple[tuple[CertInfo, ...], str | None, str | None]:
    """Handshake on *sock* without verifying, return (chain, version, cipher), close."""
    sock.settimeout(timeout)
    ctx = _capture_only_context()
    sni = server_name if server_name and not is_ip_literal(server_name) else None
    tls_sock = ctx.wrap_socket(sock, server_hostname=sni)
    try:
        der = tls_sock.getpeercert(binary_form=True)
        chain = (cert_info(der),) if der else ()
        cipher = tls_sock.cipher()
        return chain, tls_sock.version(), cipher[0] if cipher else None
    finally:
        tls_sock.close()
