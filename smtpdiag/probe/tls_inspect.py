"""The unverified second look, kept apart on purpose.

When verifying a server's certificate fails, the report should still show
*which* certificate was presented (who issued it, for which names, until
when), because that is how support staff recognise an antivirus program or a
firewall reading along.  This module holds the only TLS context in smtpdiag
that completes a handshake without verification (:func:`look_only_context`),
and its users do nothing else with it: here the connection is closed right
after the certificate is read; the SSTP/AnyConnect probe sends only its fixed
reachability requests over one.  No SMTP command, login or mail is ever sent
over such a connection.
"""

from __future__ import annotations

import ssl

from ..net import Stream, is_ip_literal
from ..records import CertInfo
from .tls import cert_info


def look_only_context() -> ssl.SSLContext:
    """A context that accepts any certificate and old protocol versions: for looking at
    what a server presents after the verifying handshake already failed (see module doc)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # this context only looks, see module doc
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED  # old versions too: we only look
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def capture_certificate(stream: Stream, server_name: str | None,
                        deadline: float) -> tuple[tuple[CertInfo, ...], str | None, str | None]:
    """Handshake on *stream* without verifying, before *deadline*; return (chain,
    version, cipher) and close.  Raises ProbeError (the stream's words)."""
    sni = server_name if server_name and not is_ip_literal(server_name) else None
    try:
        stream.start_tls(look_only_context(), sni, deadline)
        tls_sock = stream.tls_socket
        der = tls_sock.getpeercert(binary_form=True) if tls_sock else None
        chain = (cert_info(der),) if der else ()
        return chain, stream.tls_version(), stream.cipher_name()
    finally:
        stream.close()
