"""A verified certificate is described from the ssl module's own decoding (no
``cryptography`` import on the healthy path): it must say exactly what the
cryptography-based reader says, for every kind of name a real certificate carries.
Names this fast reader does not know make it step aside (None), never guess."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from smtpdiag.probe import tls

A = x509.NameAttribute
RDN = x509.RelativeDistinguishedName

NAMES: dict[str, list[RDN]] = {
    "plain": [RDN([A(NameOID.COMMON_NAME, "mail.example.test")])],
    "usual": [RDN([A(NameOID.COUNTRY_NAME, "DE")]), RDN([A(NameOID.STATE_OR_PROVINCE_NAME, "Bayern")]),
              RDN([A(NameOID.LOCALITY_NAME, "München")]), RDN([A(NameOID.ORGANIZATION_NAME, "Müller & Söhne GmbH")]),
              RDN([A(NameOID.ORGANIZATIONAL_UNIT_NAME, "IT")]), RDN([A(NameOID.COMMON_NAME, "smtp.müller.test")])],
    "escapes": [RDN([A(NameOID.ORGANIZATION_NAME, 'Acme, Inc. "Mail" +<1>; back\\slash')]),
                RDN([A(NameOID.COMMON_NAME, "#leading hash ")]), RDN([A(NameOID.ORGANIZATIONAL_UNIT_NAME, " sp")])],
    "multi-valued": [RDN([A(NameOID.ORGANIZATION_NAME, "Org"), A(NameOID.ORGANIZATIONAL_UNIT_NAME, "Unit")]),
                     RDN([A(NameOID.COMMON_NAME, "multi.example.test")])],
    "ev": [RDN([A(NameOID.JURISDICTION_COUNTRY_NAME, "US")]),
           RDN([A(NameOID.JURISDICTION_STATE_OR_PROVINCE_NAME, "Delaware")]),
           RDN([A(NameOID.BUSINESS_CATEGORY, "Private Organization")]), RDN([A(NameOID.SERIAL_NUMBER, "1234567")]),
           RDN([A(NameOID.POSTAL_CODE, "10115")]), RDN([A(NameOID.STREET_ADDRESS, "Main St 1")]),
           RDN([A(NameOID.ORGANIZATION_NAME, "Big Mail Corp")]), RDN([A(NameOID.COMMON_NAME, "mail.big.test")])],
    "email and people": [RDN([A(NameOID.EMAIL_ADDRESS, "postmaster@example.test")]),
                         RDN([A(NameOID.GIVEN_NAME, "Ada")]), RDN([A(NameOID.SURNAME, "Lovelace")]),
                         RDN([A(NameOID.TITLE, "Admin")]), RDN([A(NameOID.DOMAIN_COMPONENT, "example")]),
                         RDN([A(NameOID.USER_ID, "ada")]), RDN([A(NameOID.COMMON_NAME, "Ada's server")])],
    "other scripts": [RDN([A(NameOID.COMMON_NAME, "почта.пример.test")]),
                      RDN([A(NameOID.ORGANIZATION_NAME, "郵便局 📮")])],
    "empty subject": [],
}


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(tmp_path: Path, name: list[RDN], sans: list[x509.GeneralName],
                 not_before: dt.datetime, not_after: dt.datetime) -> tuple[bytes, Path]:
    key = _key()
    subject = x509.Name(name)
    issuer = x509.Name([RDN([A(NameOID.ORGANIZATION_NAME, "Test CA, \"quoted\"")]),
                        RDN([A(NameOID.COMMON_NAME, "Test Root")])])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=not name)
    cert = builder.sign(_key(), hashes.SHA256())
    path = tmp_path / "cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert.public_bytes(serialization.Encoding.DER), path


def _decoded(path: Path) -> dict[str, object]:
    # What getpeercert() returns for this certificate, without a handshake (CPython's own test helper).
    return ssl._ssl._test_decode_cert(str(path))  # type: ignore[attr-defined,no-any-return]


SANS = [x509.DNSName("mail.example.test"), x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
        x509.DNSName("*.example.test"), x509.IPAddress(ipaddress.ip_address("2001:db8::25")),
        x509.RFC822Name("postmaster@example.test"), x509.UniformResourceIdentifier("https://example.test/")]


@pytest.mark.parametrize("label", sorted(NAMES))
def test_the_fast_reader_says_what_cryptography_says(tmp_path: Path, label: str) -> None:
    start = dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=dt.UTC)
    der, path = _certificate(tmp_path, NAMES[label], SANS, start, dt.datetime(2999, 12, 31, 0, 0, 1, tzinfo=dt.UTC))
    fast = tls.info_from_decoded(_decoded(path), der)
    assert fast is not None
    assert fast == tls.cert_info(der)


def test_names_the_reader_does_not_know_are_left_to_cryptography(tmp_path: Path) -> None:
    odd = [RDN([A(ObjectIdentifier("1.3.6.1.4.1.99999.1"), "private attribute")]),
           RDN([A(NameOID.COMMON_NAME, "odd.example.test")])]
    der, path = _certificate(tmp_path, odd, SANS[:1], dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                             dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert tls.info_from_decoded(_decoded(path), der) is None
    assert tls.cert_info(der).subject.startswith("CN=odd.example.test,1.3.6.1.4.1.99999.1=")


def test_an_empty_decoding_is_left_to_cryptography() -> None:
    # Where the operating system verifies (Windows, macOS), getpeercert() may be empty.
    assert tls.info_from_decoded({}, b"") is None


def test_common_name_for_people_from_an_escaped_name() -> None:
    assert tls.cn_of('CN=Acme\\, Inc. \\"Mail\\",O=Big') == 'Acme, Inc. "Mail"'
    assert tls.cn_of("OU=Testing cert #3,O=trustme v1.2.1") == "trustme v1.2.1"
    assert tls.cn_of("1.2.840.113549.1.9.1=a@b.test") == "1.2.840.113549.1.9.1=a@b.test"
    assert tls.cn_of("CN=\\#leading hash\\ ") == "#leading hash "


@pytest.fixture
def served(ca: trustme.CA) -> Iterator[int]:
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost", organization_name="Example, Ltd.").configure_cert(server_ctx)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls_conn:
                tls_conn.recv(1)
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    thread.join(5)
    listener.close()


def test_a_verified_handshake_is_described_without_cryptography(ca: trustme.CA, served: int,
                                                                tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = tls.make_context(str(ca_file))
    with socket.create_connection(("127.0.0.1", served), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
        chain = tls.chain_of(sock, verified=True)
        der = sock.getpeercert(binary_form=True)
        assert der is not None
        assert chain[0] == tls.cert_info(der)
        assert chain[0].san == ("localhost", "127.0.0.1")
        assert "O=Example\\, Ltd." in chain[0].subject
        assert tls.info_from_decoded(sock.getpeercert(), der) == chain[0]
        assert tls.cn_of(chain[0].issuer) == "trustme v1.2.1"


def _verifies(ctx: ssl.SSLContext, port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                return True
        except ssl.SSLCertVerificationError:
            return False


@pytest.mark.parametrize("store", ["hashed directory", "bundle", "nothing"])
def test_the_systems_certificates_on_linux(store: str, ca: trustme.CA, served: int, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The distribution's hashed directory is read lazily (only the issuer a handshake
    needs; nothing loaded up front); without one, its bundle file is loaded."""
    import shutil
    import subprocess

    certs = tmp_path / "certs"
    certs.mkdir()
    bundle = tmp_path / "bundle.pem"
    if store == "hashed directory":
        if shutil.which("openssl") is None:
            pytest.skip("needs the openssl command (apt-get install openssl)")
        ca.cert_pem.write_to_path(str(certs / "test-ca.pem"))
        subprocess.run(["openssl", "rehash", str(certs)], check=True, capture_output=True)
    elif store == "bundle":
        ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(certs))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    ctx = tls._system_trust_context("linux")
    if store != "nothing":  # (nothing: the fallback list of usual bundle paths is tried)
        assert len(ctx.get_ca_certs()) == (1 if store == "bundle" else 0)
    assert _verifies(ctx, served) == (store != "nothing")
