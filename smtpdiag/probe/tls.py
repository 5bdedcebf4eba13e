"""TLS for the probes: contexts that verify with the operating system's trust store,
certificate facts, and recognising interception products.

Verification always uses ``truststore`` (Windows/macOS certificate stores, the
distribution's bundle on Linux) plus the user's ``--ca-file``.  When it fails,
:mod:`smtpdiag.probe.tls_inspect` takes a separate, unverified second look only to
capture the certificate for the report; nothing else is ever sent over it.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import sys
import threading
from collections.abc import Callable, Mapping

from ..frozen import record
from ..i18n import _
from ..net import failure_of
from ..paths import data_dir
from ..records import CertInfo, utc_now
from ..target import ip_address_of

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    import datetime as dt

    from cryptography import x509


@record
class Interceptor:
    match: str
    product: str
    kind: str  # "local" or "network"
    weak: bool = False


@functools.lru_cache(maxsize=1)
def interceptors() -> tuple[Interceptor, ...]:
    import json

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
    Linux and BSD truststore only points OpenSSL at the distribution's certificates,
    and does so again for every handshake (about 20 ms each, holding the GIL).
    Here: where the distribution keeps a hashed certificate directory (Debian,
    Ubuntu, Arch, openSUSE, Alpine: the same certificates as its bundle, made by
    the same tool), OpenSSL reads from it only the issuer a handshake needs;
    otherwise the bundle is loaded (about 27 ms), once per CA set.
    """
    if platform in OS_VERIFIER_PLATFORMS:
        import truststore  # Linux needs it not (see above): it would only cost start-up there

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # type: ignore[no-any-return]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    defaults = ssl.get_default_verify_paths()
    capath_ok = bool(defaults.capath and os.path.isdir(defaults.capath) and any(
        _HASHED_CERT.match(name) for name in os.listdir(defaults.capath)))
    if capath_ok:
        ctx.load_verify_locations(capath=defaults.capath)
    elif defaults.cafile:
        ctx.load_verify_locations(cafile=defaults.cafile)
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


try:  # Python's built-in SHA-256 (hashlib would load OpenSSL's digests, ~3 ms of start-up)
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found]  # Python 3.12+
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef]  # Python 3.11
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment]  # a Python built without them


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of *data* in hex (the certificate's fingerprint)."""
    return str(_sha256(data).hexdigest())


def cert_info(der: bytes) -> CertInfo:
    """The facts of one certificate for the report.  A hostile or broken certificate
    (bytes that are not valid in a name, an extension that does not parse) gives
    ``(unreadable)`` for that part, never an exception: the certificate is only
    described here, the verifier has already judged it."""
    from cryptography import x509  # imported when a certificate is read: start-up stays light

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return CertInfo(UNREADABLE, UNREADABLE, "", "", sha256_hex(der))

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
        sha256=sha256_hex(der),
        san=tuple(sans),
        self_signed=subject == issuer and subject != UNREADABLE,
    )


def chain_of(sock: ssl.SSLSocket, verified: bool) -> tuple[CertInfo, ...]:
    """The peer's chain as far as this Python can tell (the leaf at least).

    A verified chain is read from what the ssl module already decoded
    (:func:`info_from_decoded`); the ``cryptography`` library (about 30 ms to
    import) is needed only for a certificate that failed verification, or one
    whose names use an attribute this reader does not know.
    """
    sslobj = getattr(sock, "_sslobj", None)
    getter = getattr(sslobj, "get_verified_chain" if verified else "get_unverified_chain", None)
    if getter is not None:  # Python 3.13+
        try:
            certs = getter()
            ders = [c.public_bytes(ssl._ssl.ENCODING_DER) for c in certs]  # type: ignore[attr-defined]
            if verified:
                fast = [info_from_decoded(_decoded(c.get_info), d) for c, d in zip(certs, ders, strict=True)]
                if fast and all(fast):
                    return tuple(f for f in fast if f is not None)
            return tuple(cert_info(d) for d in ders)
        except Exception:  # noqa: BLE001 - fall back to the leaf
            pass
    der = sock.getpeercert(binary_form=True)
    if not der:
        return ()
    if verified:
        fast_leaf = info_from_decoded(_decoded(sock.getpeercert), der)
        if fast_leaf is not None:
            return (fast_leaf,)
    return (cert_info(der),)


def _decoded(getter: Callable[[], Mapping[str, object] | None]) -> Mapping[str, object] | None:
    """The ssl module's decoding of a certificate, or None where it cannot decode it
    (bytes in a name that are not text: then cryptography reads what it can)."""
    try:
        return getter()
    except ValueError:
        return None


# The names cryptography's rfc4514_string() uses, by OpenSSL's long name (what the
# ssl module's decoded certificate says), and the dotted numbers it writes for the others.
_RFC4514_NAMES = {
    "commonName": "CN", "localityName": "L", "stateOrProvinceName": "ST", "organizationName": "O",
    "organizationalUnitName": "OU", "countryName": "C", "streetAddress": "STREET",
    "domainComponent": "DC", "userId": "UID",
}
_DOTTED = {
    "emailAddress": "1.2.840.113549.1.9.1", "serialNumber": "2.5.4.5", "surname": "2.5.4.4",
    "title": "2.5.4.12", "description": "2.5.4.13", "businessCategory": "2.5.4.15",
    "postalCode": "2.5.4.17", "name": "2.5.4.41", "givenName": "2.5.4.42", "initials": "2.5.4.43",
    "generationQualifier": "2.5.4.44", "dnQualifier": "2.5.4.46", "pseudonym": "2.5.4.65",
    "organizationIdentifier": "2.5.4.97",
    "jurisdictionLocalityName": "1.3.6.1.4.1.311.60.2.1.1",
    "jurisdictionStateOrProvinceName": "1.3.6.1.4.1.311.60.2.1.2",
    "jurisdictionCountryName": "1.3.6.1.4.1.311.60.2.1.3",
}


def _escape_dn_value(value: str) -> str:
    """RFC 4514 escaping, character for character as cryptography does it."""
    if not value:
        return ""
    for char in ("\\", '"', "+", ",", ";", "<", ">"):
        value = value.replace(char, "\\" + char)
    value = value.replace("\0", "\\00")
    if value[0] in ("#", " "):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


def _decoded_name(rdns: object) -> str | None:
    """An RFC 4514 string from the ssl module's decoded name (a tuple of RDNs, each a
    tuple of (long name, value)), or None for anything this reader does not know."""
    if not isinstance(rdns, tuple):
        return None
    parts: list[str] = []
    for rdn in reversed(rdns):
        if not isinstance(rdn, tuple) or not rdn:
            return None
        attrs: list[str] = []
        for pair in rdn:
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], str)):
                return None
            key = _RFC4514_NAMES.get(pair[0]) or _DOTTED.get(pair[0])
            if key is None:
                return None
            attrs.append(f"{key}={_escape_dn_value(pair[1])}")
        parts.append("+".join(attrs))
    return ",".join(parts)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _decoded_time(value: object) -> str | None:
    """``"Jan  5 09:34:43 2018 GMT"`` (the ssl module's form, always GMT, English
    month names) as ``2018-01-05T09:34:43Z``; what ssl.cert_time_to_seconds() reads,
    without its strptime (locale, calendar: start-up time)."""
    parts = value.split() if isinstance(value, str) else []
    if len(parts) != 5 or parts[4] != "GMT" or parts[0] not in _MONTHS:
        return None
    try:
        hour, minute, second = (int(x) for x in parts[2].split(":"))
        year, day = int(parts[3]), int(parts[1])
    except ValueError:
        return None
    if not (1 <= year <= 9999 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
        return None  # (OpenSSL checked the certificate's own encoding; this only reads its print)
    return f"{year:04d}-{_MONTHS.index(parts[0]) + 1:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"


def info_from_decoded(decoded: Mapping[str, object] | None, der: bytes) -> CertInfo | None:
    """The facts of a verified certificate from the ssl module's own decoding
    (``getpeercert()``), the same as :func:`cert_info` gives; None when the decoding is
    missing (a system verifier leaves it empty) or holds something only
    :func:`cert_info` reads exactly the same way."""
    if not decoded:
        return None
    subject, issuer = _decoded_name(decoded.get("subject")), _decoded_name(decoded.get("issuer"))
    not_before, not_after = _decoded_time(decoded.get("notBefore")), _decoded_time(decoded.get("notAfter"))
    if subject is None or issuer is None or not_before is None or not_after is None:
        return None
    dns: list[str] = []
    ips: list[str] = []
    for entry in decoded.get("subjectAltName") or ():  # type: ignore[attr-defined]
        kind, value = entry
        if kind == "DNS":
            if not (isinstance(value, str) and value.isascii() and value.isprintable()):
                return None
            dns.append(value)
        elif kind == "IP Address":
            ip = ip_address_of(str(value).strip())
            if ip is None:
                return None
            ips.append(str(ip))
    return CertInfo(subject=subject, issuer=issuer, not_before=not_before, not_after=not_after,
                    sha256=sha256_hex(der), san=(*dns, *ips),
                    self_signed=subject == issuer)


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
        from .tls_codes import os_verification_failure  # the tables of Windows and macOS

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
    stamp = _utc(now) if now else utc_now()
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
    if chain and chain[0].not_before and chain[0].not_before > (_utc(now) if now else utc_now()):
        return "not_yet_valid"
    return "expired"


def cn_of(name: str) -> str:
    """The common name (or organisation) of an RFC 4514 name string, for people."""
    attrs = _rfc4514_attributes(name)
    for key in ("CN", "O"):
        for k, v in attrs:
            if k.upper() == key:
                return v
    return name


def _rfc4514_attributes(name: str) -> list[tuple[str, str]]:
    """(type, value) pairs of an RFC 4514 string, escapes undone (``\\,`` and ``\\2C``)."""
    out: list[tuple[str, str]] = []
    key, value, in_value, i = "", "", False, 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            pair = name[i + 1:i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                char, i = chr(int(pair, 16)), i + 3
            else:
                char, i = name[i + 1], i + 2
            if in_value:
                value += char
            else:
                key += char
            continue
        if ch in ",+":
            out.append((key.strip(), value))
            key, value, in_value = "", "", False
        elif ch == "=" and not in_value:
            in_value = True
        elif in_value:
            value += ch
        else:
            key += ch
        i += 1
    if key or value:
        out.append((key.strip(), value))
    return out
