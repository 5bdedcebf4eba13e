"""What the operating system's certificate verifier said, as a certificate failure word.

    os_verification_failure(code, message, platform) -> "expired" | "name_mismatch"
                                                         | "untrusted" | None

On Windows and macOS, ``truststore`` lets the system verify the chain and raises
``ssl.SSLCertVerificationError`` with the system's own code and text
(``verify_code``, ``verify_message``):

* Windows: the ``CertVerifyCertificateChainPolicy`` status, an HRESULT such as
  ``CERT_E_EXPIRED`` (0x800B0101), and ``FormatMessageW``'s sentence in the
  system's language, or "Certificate chain policy error 0x800b0101 [0]" when
  there is none.
* macOS: the ``SecTrustEvaluateWithError`` OSStatus such as
  ``errSecCertificateExpired`` (-67818) and a sentence like "“host” certificate
  is expired"; macOS 10.13 and older give only a SecTrustResultType (0-7).

Neither text says "expired" or "hostname" the way OpenSSL's does, so without
these tables every expired or mismatched certificate read as merely
"untrusted".  The code decides; the English text is a fallback.  None means
"not known here": the caller then examines the certificate itself.  On Linux
the verifier is OpenSSL, whose ``X509_V_ERR_*`` codes ``smtpdiag.probe.tls`` maps.
"""

from __future__ import annotations

import re

# HRESULTs of CertVerifyCertificateChainPolicy (winerror.h), as unsigned 32-bit values.
WINDOWS_CODES: dict[int, str] = {
    0x800B0101: "expired",        # CERT_E_EXPIRED
    0x800B0102: "expired",        # CERT_E_VALIDITYPERIODNESTING
    0x800B010F: "name_mismatch",  # CERT_E_CN_NO_MATCH
    0x800B0109: "untrusted",      # CERT_E_UNTRUSTEDROOT (also a self-signed server certificate)
    0x800B010A: "untrusted",      # CERT_E_CHAINING
    0x800B010D: "untrusted",      # CERT_E_UNTRUSTEDTESTROOT
    0x800B010C: "untrusted",      # CERT_E_REVOKED
    0x80092010: "untrusted",      # CRYPT_E_REVOKED
    0x80092012: "untrusted",      # CRYPT_E_NO_REVOCATION_CHECK
    0x80092013: "untrusted",      # CRYPT_E_REVOCATION_OFFLINE
    0x800B0110: "untrusted",      # CERT_E_WRONG_USAGE
    0x800B0103: "untrusted",      # CERT_E_ROLE
    0x80096004: "untrusted",      # TRUST_E_CERT_SIGNATURE
    0x800B0111: "untrusted",      # TRUST_E_EXPLICIT_DISTRUST
    0x800B0112: "untrusted",      # CERT_E_UNTRUSTEDCA
    0x800B010E: "untrusted",      # CERT_E_REVOCATION_FAILURE
}

# OSStatus values of SecTrustEvaluateWithError (Security/SecBase.h).
MACOS_CODES: dict[int, str] = {
    -67818: "expired",        # errSecCertificateExpired
    -67819: "expired",        # errSecCertificateNotValidYet
    -67602: "name_mismatch",  # errSecHostNameMismatch
    -67843: "untrusted",      # errSecNotTrusted
    -67820: "untrusted",      # errSecCertificateRevoked
    -67826: "untrusted",      # errSecInvalidCertAuthority
    -67609: "untrusted",      # errSecInvalidExtendedKeyUsage
    -67654: "untrusted",      # errSecTrustSettingDeny
    -67688: "untrusted",      # errSecInvalidSignature
}

# The English sentences, for a code this table does not know.
_WINDOWS_TEXT = (
    (re.compile(r"not within its validity period", re.I), "expired"),
    (re.compile(r"CN name does not match", re.I), "name_mismatch"),
    (re.compile(r"not trusted by the trust provider|could not be built to a trusted root|"
                r"certificate is revoked", re.I), "untrusted"),
)
_MACOS_TEXT = (
    (re.compile(r"certificate is expired|certificate is not yet valid|has expired", re.I), "expired"),
    (re.compile(r"certificate name does not match", re.I), "name_mismatch"),
    (re.compile(r"certificate is not trusted|is revoked|not standards compliant|"
                r"do not meet pinning requirements", re.I), "untrusted"),
)
_POLICY_ERROR = re.compile(r"Certificate chain policy error (0x[0-9a-fA-F]+)")


def os_verification_failure(code: object, message: str, platform: str) -> str | None:
    """The failure word for the system verifier's *code* / *message* on *platform*.

    None when *platform*'s verifier is not the system's (Linux: OpenSSL) or when
    neither the code nor the text is known.
    """
    if platform == "win32":
        number = _as_int(code)
        if number is None:
            match = _POLICY_ERROR.search(message or "")
            number = int(match.group(1), 16) if match else None
        if number is not None and (number & 0xFFFFFFFF) in WINDOWS_CODES:
            return WINDOWS_CODES[number & 0xFFFFFFFF]
        return _by_text(_WINDOWS_TEXT, message)
    if platform == "darwin":
        number = _as_int(code)
        if number is not None and number in MACOS_CODES:
            return MACOS_CODES[number]
        return _by_text(_MACOS_TEXT, message)
    return None


def _as_int(code: object) -> int | None:
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    return code


def _by_text(table: tuple[tuple[re.Pattern[str], str], ...], message: str) -> str | None:
    for pattern, word in table:
        if pattern.search(message or ""):
            return word
    return None
