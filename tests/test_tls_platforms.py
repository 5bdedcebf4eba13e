"""Certificate verification per system: the OS verifier's codes and texts, contexts, truststore.

The verification errors in tests/fixtures/tls/verification-errors.json are the
codes and sentences Windows (CertVerifyCertificateChainPolicy + FormatMessageW)
and macOS (SecTrustEvaluateWithError) produce, as truststore hands them over
(its own test suite checks the same sentences against badssl.com).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
import trustme
import truststore
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from smtpdiag.probe import tls
from smtpdiag.probe.tls_codes import os_verification_failure

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tls"
ROWS = json.loads((FIXTURES / "verification-errors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['platform']}-{r['seen']}" for r in ROWS])
def test_os_verification_codes_and_texts(row: dict[str, object]) -> None:
    assert os_verification_failure(row["code"], str(row["message"]), str(row["platform"])) \
        == row["failure"]


def _os_error(code: int | None, message: str) -> ssl.SSLCertVerificationError:
    """The exception exactly as truststore raises it on Windows and macOS."""
    err = ssl.SSLCertVerificationError(message)
    err.verify_message = message
    err.verify_code = code  # type: ignore[assignment]
    return err


def _der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def test_certificate_failures_stay_distinct_on_windows_and_macos(ca: trustme.CA) -> None:
    server = ca.issue_cert("mail.example.test")
    leaf = tls.cert_info(_der(server.cert_chain_pems[0].bytes()))
    self_signed = tls.cert_info(_der(ca.cert_pem.bytes()))
    host = "mail.example.test"
    for platform, expired, mismatch, untrusted in (
        ("win32", 0x800B0101, 0x800B010F, 0x800B0109),
        ("darwin", -67818, -67602, -67843),
    ):
        # The leaf itself looks valid and matching: only the system's code can tell.
        assert tls.certificate_failure(_os_error(expired, "x"), (leaf,), host,
                                       platform=platform) == "expired"
        assert tls.certificate_failure(_os_error(mismatch, "x"), (leaf,), host,
                                       platform=platform) == "name_mismatch"
        assert tls.certificate_failure(_os_error(untrusted, "x"), (leaf,), host,
                                       platform=platform) == "untrusted"
        # Both systems call a self-signed server certificate merely untrusted.
        assert tls.certificate_failure(_os_error(untrusted, "x"), (self_signed,),
                                       self_signed.san[0] if self_signed.san else "x",
                                       platform=platform) == "self_signed"


def test_linux_keeps_openssls_codes(ca: trustme.CA) -> None:
    leaf = tls.cert_info(_der(ca.issue_cert("mail.example.test").cert_chain_pems[0].bytes()))
    err = ssl.SSLCertVerificationError(1, "certificate verify failed: certificate has expired")
    err.verify_code = 10
    assert tls.certificate_failure(err, (leaf,), "mail.example.test", platform="linux") == "expired"
    # A Windows HRESULT means nothing to OpenSSL's table.
    assert tls.certificate_failure(_os_error(0x800B010F, "x"), (leaf,), "mail.example.test",
                                   platform="linux") == "untrusted"


def test_one_context_per_connection_where_the_os_verifies() -> None:
    for platform in ("win32", "darwin"):
        first = tls.make_context(platform=platform)
        second = tls.make_context(platform=platform)
        assert first is not second
        assert isinstance(first, truststore.SSLContext)
    # Linux: OpenSSL verifies, and loading the bundle once per CA set was a measured win.
    assert tls.make_context(platform="linux") is tls.make_context(platform="linux")
    assert not isinstance(tls.make_context(platform="linux"), truststore.SSLContext)


def test_truststore_is_a_release_that_verifies_after_the_handshake() -> None:
    parts = tuple(int(p) for p in version("truststore").split(".")[:3])
    assert parts >= (0, 10, 5)
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"truststore>=0.10.5"' in pyproject


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[int]:
    """A loopback TLS server with a trustme certificate for "localhost"; answers each
    handshake, then closes."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls_conn:
                    tls_conn.settimeout(2)
                    tls_conn.recv(1)
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(5)


def _handshake_in_slices(ctx: ssl.SSLContext, port: int) -> None:
    """As smtp_probe does it: wrap without handshake, then handshake in short slices."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
    try:
        sock.settimeout(0.1)
        for _ in range(50):
            try:
                sock.do_handshake()
                return
            except (TimeoutError, ssl.SSLWantReadError):
                continue
        raise AssertionError("no handshake within 5 s")
    finally:
        sock.close()


def test_a_trustme_loopback_server_verifies_through_truststore(ca: trustme.CA, tls_server: int) -> None:
    """truststore's context (its OpenSSL backend here; the system's verifier on Windows and
    macOS) verifies after the handshake, not at wrap time, and still refuses a stranger."""
    trusted = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    trusted.load_verify_locations(cadata=ca.cert_pem.bytes().decode())
    _handshake_in_slices(trusted, tls_server)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake_in_slices(truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT), tls_server)
    # And the context smtpdiag builds on this system.
    _handshake_in_slices(tls.make_context(extra_ca_pem=ca.cert_pem.bytes().decode()), tls_server)
