"""Certificates of the simulated world, all made on the fly with ``trustme``.

One certificate authority stands for "the public web PKI" of the simulated
world: :func:`simulated_ca`.  The probe trusts it through
``SimNetwork.extra_ca_pem()``, exactly as it would trust a company CA given
with ``--ca-file``.  Everything else is deliberately *not* trusted:

    simulated_ca()            trusted      issues the good, expired, not-yet-valid
                                           and wrong-name server certificates
    untrusted_ca()            not trusted  an unknown hosting provider's own CA
    self-signed               not trusted  a leaf that signs itself
    interception_ca(product)  not trusted  a root named like a known interception
                                           product (antivirus, firewall); the
                                           fault proxy forges certificates with it

Every certificate is made once per process and cached (key generation is the
slow part), keyed by its kind and host names; the caches are bounded by the
finite set of kinds and names the scenarios use.  Server certificates are
ECDSA P-256, which also works with the TLS 1.0/1.1 ciphers of the "outdated"
server.

:func:`server_context` turns a certificate into an ``ssl.SSLContext`` for a
server; :func:`client_context` is what a well-behaved client of the simulated
world uses (the fault proxy toward its upstream, and the tests).
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
import warnings
from collections.abc import Callable
from typing import Literal, TypeVar

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .rules import INTERCEPTION_PRODUCTS, InterceptionProduct

CA_ORGANIZATION = "smtpdiag simulated CA"
UNTRUSTED_CA_ORGANIZATION = "Hosting Provider Internal CA"
# A name no scenario host has: the certificate of the "wrong name" server.
WRONG_NAME = "shared.hosting-provider.test"

CertKind = Literal["good", "expired", "not_yet_valid", "wrong_name", "self_signed", "untrusted"]
CERT_KINDS: tuple[CertKind, ...] = (
    "good", "expired", "not_yet_valid", "wrong_name", "self_signed", "untrusted",
)


_lock = threading.RLock()  # re-entrant: a leaf's maker asks for its CA
_cache: dict[tuple[object, ...], object] = {}
T = TypeVar("T")


def _cached(key: tuple[object, ...], make: Callable[[], T]) -> T:
    """Make each certificate once per process; thread-safe (tests start servers
    from several threads, and the CA must be one and the same for all)."""
    with _lock:
        if key not in _cache:
            _cache[key] = make()
        return _cache[key]  # type: ignore[return-value]


def simulated_ca() -> trustme.CA:
    """The one CA of the simulated world (trusted by the probe via extra_ca_pem)."""
    return _cached(("ca",), lambda: trustme.CA(organization_name=CA_ORGANIZATION))


def simulated_ca_pem() -> str:
    return simulated_ca().cert_pem.bytes().decode("ascii")


def untrusted_ca() -> trustme.CA:
    """A CA nobody trusts: a hosting provider's internal CA."""
    return _cached(("untrusted-ca",),
                   lambda: trustme.CA(organization_name=UNTRUSTED_CA_ORGANIZATION))


def interception_ca(product: str) -> trustme.CA:
    """The root certificate an interception product generates for itself."""
    info = INTERCEPTION_PRODUCTS[product]
    return _cached(("interception-ca", product), lambda: _make_interception_ca(info))


def _self_issued(name: x509.Name, key: ec.EllipticCurvePrivateKey,
                 days_before: int) -> x509.CertificateBuilder:
    """A certificate that names itself as issuer, valid from *days_before* days ago for ten years."""
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=days_before))
        .not_valid_after(now + dt.timedelta(days=3650))
    )


def _make_interception_ca(info: InterceptionProduct) -> trustme.CA:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, info.common_name),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, info.unit),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, info.organization),
    ])
    cert = (
        _self_issued(name, key, days_before=365)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(key, hashes.SHA256())
    )
    return trustme.CA.from_pem(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()),
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )


def server_cert(kind: CertKind, names: tuple[str, ...]) -> trustme.LeafCert:
    """A server certificate of *kind* for the host *names* (the first is the CN)."""
    if kind not in CERT_KINDS:
        raise ValueError(f"unknown certificate kind {kind!r}")
    return _cached(("leaf", kind, names), lambda: _make_server_cert(kind, names))


def forged_cert(product: str, names: tuple[str, ...]) -> trustme.LeafCert:
    """The certificate an interception product shows in place of the server's."""
    return _cached(
        ("forged", product, names),
        lambda: interception_ca(product).issue_cert(*names, common_name=names[0]),
    )


def _make_server_cert(kind: CertKind, names: tuple[str, ...]) -> trustme.LeafCert:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    day = dt.timedelta(days=1)
    ca = simulated_ca()
    if kind == "good":
        return ca.issue_cert(*names, common_name=names[0])
    if kind == "expired":
        return ca.issue_cert(*names, common_name=names[0],
                             not_before=now - 400 * day, not_after=now - 30 * day)
    if kind == "not_yet_valid":
        return ca.issue_cert(*names, common_name=names[0],
                             not_before=now + 30 * day, not_after=now + 400 * day)
    if kind == "wrong_name":
        return ca.issue_cert(WRONG_NAME, common_name=WRONG_NAME)
    if kind == "untrusted":
        return untrusted_ca().issue_cert(*names, common_name=names[0])
    return _make_self_signed(names)


def _make_self_signed(names: tuple[str, ...]) -> trustme.LeafCert:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        _self_issued(name, key, days_before=30)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                       critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return trustme.LeafCert(key_pem, cert.public_bytes(serialization.Encoding.PEM), [])


def server_context(cert: trustme.LeafCert, outdated: bool = False) -> ssl.SSLContext:
    """A server context presenting *cert*.

    *outdated* limits it to TLS 1.0/1.1 with the lowest security level, like a
    mail server nobody has touched since 2015.  (Python flags the old version
    constants as deprecated; that warning is about *using* them, which is the
    point here, so it is silenced for these two lines only.)
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    if outdated:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def client_context(legacy: bool = False) -> ssl.SSLContext:
    """A verifying client context that trusts the simulated CA (and nothing else).

    *legacy* also allows TLS 1.0/1.1, as a client must to talk to the outdated server.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    simulated_ca().configure_trust(ctx)
    if legacy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx
