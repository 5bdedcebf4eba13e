"""TLS for the probes: contexts that verify with the operating system's trust store,
certificate facts, and recognising interception products.

Verification always uses ``truststore`` (Windows/macOS certificate stores, the
distribution's bundle on Linux) plus the user's ``--ca-file``.  When it fails,
:mod:`smtpdiag.probe.tls_inspect` takes a separate, unverified second look only to
capture the certificate for the report; nothing else is ever sent over it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import truststore

from ..i18n import _
from ..net import failure_of
from ..paths import data_dir
from ..records import CertInfo
from ..target import ip_address_of
from .tls_codes import os_verification_failure

if TYPE_CHECKING:
    from cryptography import x509


@dataclass(frozen=True)
class Interceptor:
    match: str
    product: str
    kind: str  # "local" or "network"
    weak: bool = False


@functools.lru_cache(maxsize=1)
def interceptors() -> tuple[Interceptor, ...]:
    with open(data_dir() / "interceptors.json", encoding="utf-8") as fh:
        data = json.load(fh)
    return tuple(
        Interceptor(p["match"], p["product"], p["kind"], bool(p.get("weak", False)))
        for p in data["products"]
    )


def find_interceptor(chain: tuple[CertInfo, ...]) -> Interceptor | None:
    """The interception product that issued this chain, if its issuer is a known one.

    Strong names count anywhere among the chain's issuers; weak ones (names also
    seen on ordinary certificates) only as the direct issuer of the server's
    certificate.
    """
    if not chain:
        return None
    issuers = [c.issuer.lower() for c in chain]
    for item in interceptors():
        needle = item.match.lower()
        if item.weak:
            if needle in issuers[0] and needle not in chain[0].subject.lower():
                return item
        elif any(needle in issuer for issuer in issuers):
            return item
    return None


_contexts: dict[tuple[object, ...], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def _system_trust_context(platform: str = sys.platform) -> ssl.SSLContext:
    """A verifying client context that trusts what the operating system trusts.

    On Windows and macOS that is ``truststore`` (the system's own verifier).  On
    Linux and BSD truststore only points OpenSSL at the distribution's bundle, and
    does so again for every handshake (about 20 ms each, holding the GIL); here
    the same bundle is loaded once, exactly as truststore finds it.
    """
    if platform in OS_VERIFIER_PLATFORMS:
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # type: ignore[no-any-return]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    defaults = ssl.get_default_verify_paths()
    capath_ok = bool(defaults.capath and os.path.isdir(defaults.capath) and any(
        _HASHED_CERT.match(name) for name in os.listdir(defaults.capath)))
    if defaults.cafile or capath_ok:
        ctx.set_default_verify_paths()
    else:  # e.g. a frozen app whose OpenSSL was built for other paths
        for cafile in SYSTEM_CA_FILES:
            if os.path.isfile(cafile):
                ctx.load_verify_locations(cafile=cafile)
                break
    return ctx


# Where distributions keep their CA bundle (the list truststore uses on Linux).
SYSTEM_CA_FILES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)
_HASHED_CERT = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]$")


# Where the verifier is the operating system's (truststore): it holds the
# context's lock during the handshake and the OS verification (which may fetch
# intermediates or OCSP answers), so a shared context would make every
# connection wait for the slowest server.  There each connection gets its own.
OS_VERIFIER_PLATFORMS = ("win32", "darwin")


def make_context(ca_file: str | None = None, extra_ca_pem: str | None = None,
                 legacy: bool = False, platform: str = sys.platform) -> ssl.SSLContext:
    """A verifying client context for one connection.

    *legacy* also allows TLS 1.0/1.1 (used once to tell an outdated server from a
    broken one).  On Linux (OpenSSL verifies) a context is built once per CA set
    and shared while the CA file is unchanged: loading the bundle costs about
    20 ms.  On Windows and macOS every call builds a new one (see
    :data:`OS_VERIFIER_PLATFORMS`).
    """
    if platform in OS_VERIFIER_PLATFORMS:
        return _build_context(ca_file, extra_ca_pem, legacy, platform)
    stamp = None
    if ca_file:
        try:
            st = os.stat(ca_file)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
    key = (ca_file, stamp, extra_ca_pem, legacy, platform)
    with _contexts_lock:
        ctx = _contexts.get(key)
        if ctx is None:
            ctx = _build_context(ca_file, extra_ca_pem, legacy, platform)
            if len(_contexts) > 16:
                _contexts.clear()
            _contexts[key] = ctx
        return ctx


def _build_context(ca_file: str | None, extra_ca_pem: str | None, legacy: bool,
                   platform: str) -> ssl.SSLContext:
    ctx = _system_trust_context(platform)
    if ca_file:
        # Read with a bound, as a regular file only, and hand OpenSSL the text: it never
        # opens the path itself (a FIFO swapped in would hang it, /dev/zero exhaust it).
        ctx.load_verify_locations(cadata=read_ca_file(ca_file))
    if extra_ca_pem:
        ctx.load_verify_locations(cadata=extra_ca_pem)
    if legacy:
        # MINIMUM_SUPPORTED (not TLSv1) avoids Python's deprecation warning.
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


MAX_CA_FILE_BYTES = 4 * 1024 * 1024  # a full CA bundle is about 200 kB


def read_ca_file(path: str) -> str:
    """The PEM text of the CA file *path*: a regular file of at most 4 MB, read with a
    bound (never a FIFO, a device or /dev/zero).  Raises ValueError with one line."""
    from ..inputfiles import InputFileError, read_limited
    from ..textsafe import file_name

    try:
        data = read_limited(path, MAX_CA_FILE_BYTES)
    except InputFileError as exc:
        # TRANSLATORS: "CA file": the file of extra trusted root certificates (--ca-file);
        # {reason} says why, e.g. "there is no such file".
        raise ValueError(_("cannot read the CA file {path}: {reason}").format(
            path=file_name(path), reason=exc)) from None
    return data.decode("latin-1")  # PEM is ASCII; anything else is left to OpenSSL to refuse


def check_ca_file(path: str) -> None:
    """Raise ValueError with a one-line reason if *path* is not a usable PEM CA file."""
    from ..textsafe import file_name

    data = read_ca_file(path)
    if "-----BEGIN CERTIFICATE-----" not in data:
        # TRANSLATORS: PEM is the text format of certificates ("-----BEGIN CERTIFICATE-----").
        raise ValueError(_("{path} contains no PEM certificate").format(path=file_name(path)))
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=data)
    except (ssl.SSLError, ValueError) as exc:
        raise ValueError(_("{path} is not a valid certificate file ({reason})").format(
            path=file_name(path), reason=getattr(exc, "reason", None) or exc)) from None


def _name(name: x509.Name) -> str:
    return name.rfc4514_string()


def _utc(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


UNREADABLE = "(unreadable)"


def cert_info(der: bytes) -> CertInfo:
    """The facts of one certificate for the report.  A hostile or broken certificate
    (bytes that are not valid in a name, an extension that does not parse) gives
    ``(unreadable)`` for that part, never an exception: the certificate is only
    described here, the verifier has already judged it."""
    from cryptography import x509  # imported when a certificate is read: start-up stays light

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return CertInfo(UNREADABLE, UNREADABLE, "", "", hashlib.sha256(der).hexdigest())

    def read(part: Callable[[], str]) -> str:
        try:
            return part()
        except ValueError:
            return UNREADABLE

    try:
        san_ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        sans: list[str] = [str(v) for v in san_ext.value.get_values_for_type(x509.DNSName)]
        sans += [str(v) for v in san_ext.value.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        sans = []
    except ValueError:  # e.g. "error parsing asn1 value": non-ASCII bytes in a DNS name
        sans = [UNREADABLE]
    subject, issuer = read(lambda: _name(cert.subject)), read(lambda: _name(cert.issuer))
    return CertInfo(
        subject=subject,
        issuer=issuer,
        not_before=read(lambda: _utc(cert.not_valid_before_utc)),
        not_after=read(lambda: _utc(cert.not_valid_after_utc)),
        sha256=hashlib.sha256(der).hexdigest(),
        san=tuple(sans),
        self_signed=subject == issuer and subject != UNREADABLE,
    )


def chain_of(sock: ssl.SSLSocket, verified: bool) -> tuple[CertInfo, ...]:
    """The peer's chain as far as this Python can tell (the leaf at least)."""
    sslobj = getattr(sock, "_sslobj", None)
    getter = getattr(sslobj, "get_verified_chain" if verified else "get_unverified_chain", None)
    if getter is not None:  # Python 3.13+
        try:
            ders = [c.public_bytes(ssl._ssl.ENCODING_DER) for c in getter()]  # type: ignore[attr-defined]
            return tuple(cert_info(d) for d in ders)
        except Exception:  # noqa: BLE001 - fall back to the leaf
            pass
    der = sock.getpeercert(binary_form=True)
    return (cert_info(der),) if der else ()


def _name_matches(host: str, cert: CertInfo) -> bool:
    ip = ip_address_of(host)
    if ip is not None:
        return any(str(ip) == s for s in cert.san)
    host = host.lower().rstrip(".")
    for pattern in cert.san or ():
        pattern = pattern.lower()
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host and host.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def certificate_failure(exc: ssl.SSLCertVerificationError | None, chain: tuple[CertInfo, ...],
                        host: str, now: dt.datetime | None = None,
                        platform: str = sys.platform) -> str:
    """The certificate failure word for a failed verification.

    The verifier's own code decides when it is known: OpenSSL's through the one
    error map (``net.failure_of``, on Linux), the system's on Windows and macOS
    (:mod:`smtpdiag.probe.tls_codes`), except that an "untrusted" from the system
    is refined by the leaf (Windows and macOS call a self-signed certificate
    merely untrusted).  Otherwise the leaf is examined: expired or not yet valid,
    made by itself, for another name; anything else is untrusted.
    """
    if platform in OS_VERIFIER_PLATFORMS:
        code = getattr(exc, "verify_code", None)
        word = os_verification_failure(code, str(getattr(exc, "verify_message", "") or exc or ""),
                                       platform)
        if word in ("expired", "name_mismatch"):
            return _expired_which_way(chain, now) if word == "expired" else word
    elif exc is not None:
        word = failure_of(exc, platform)
        if word != "untrusted":
            return word
    if not chain:
        return "untrusted"
    leaf = chain[0]
    stamp = _utc(now or dt.datetime.now(dt.UTC))
    if leaf.not_after and leaf.not_after < stamp:
        return "expired"
    if leaf.not_before and leaf.not_before > stamp:
        return "not_yet_valid"
    if leaf.self_signed:
        return "self_signed"
    if leaf.san and UNREADABLE not in leaf.san and not _name_matches(host, leaf):
        return "name_mismatch"
    return "untrusted"


def _expired_which_way(chain: tuple[CertInfo, ...], now: dt.datetime | None) -> str:
    """A system verifier's "expired" also covers "not valid yet": the leaf says which."""
    if chain and chain[0].not_before and chain[0].not_before > _utc(now or dt.datetime.now(dt.UTC)):
        return "not_yet_valid"
    return "expired"


def cn_of(name: str) -> str:
    """The common name (or organisation) of an RFC 4514 name string, for people."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        parsed = x509.Name.from_rfc4514_string(name)
    except Exception:  # noqa: BLE001
        return name
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        attrs = parsed.get_attributes_for_oid(oid)
        if attrs:
            return str(attrs[0].value)
    return name
