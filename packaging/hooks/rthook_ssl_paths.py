"""PyInstaller runtime hook (runs before smtpdiag starts): find the system's CA certificates.

smtpdiag verifies certificates with ``truststore``, which on Linux means OpenSSL's
default verify paths.  A frozen app carries the OpenSSL of the machine it was built
on, and with it that distribution's compiled-in paths (Debian: /usr/lib/ssl/cert.pem
and /usr/lib/ssl/certs).  On another distribution (Fedora: /etc/pki/tls, openSUSE:
/etc/ssl/ca-bundle.pem, Alpine: /etc/ssl/cert.pem) those may not exist, and every
server would look "untrusted".

When the user has set neither SSL_CERT_FILE nor SSL_CERT_DIR and OpenSSL's defaults
do not lead to certificates, point SSL_CERT_FILE / SSL_CERT_DIR at the system's
bundle.  OpenSSL reads them each time a context loads its default paths, so this
reaches truststore, ``ssl.create_default_context()`` and anything else alike.  It
never adds certificates of its own (no certifi): the trust store stays the system's.

Only Linux and other non-Apple Unix systems need it; on Windows and macOS truststore
asks the operating system directly.
"""

from __future__ import annotations

import os
import re
import ssl
import sys
from collections.abc import Mapping

# The CA bundles of the common distributions, most common first.
CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Gentoo, Arch (compat link)
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL, CentOS
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora, RHEL 7+
    "/etc/ssl/ca-bundle.pem",  # openSUSE, SLES
    "/etc/ssl/cert.pem",  # Alpine, Arch, Void
    "/etc/pki/tls/cacert.pem",  # OpenELEC
)
# Directories of hashed certificates (``<hash>.0`` files, c_rehash/update-ca-certificates).
CA_DIRS = (
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/system/etc/security/cacerts",
)

_HASHED = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]+$")


def has_hashed_certs(path: str) -> bool:
    try:
        return any(_HASHED.match(name) for name in os.listdir(path))
    except OSError:
        return False


def defaults_usable(paths: ssl.DefaultVerifyPaths) -> bool:
    """True when OpenSSL's own defaults (or SSL_CERT_* already set) lead to certificates.

    ``cafile``/``capath`` are None when the path does not exist.
    """
    return bool(paths.cafile) or bool(paths.capath and has_hashed_certs(paths.capath))


def ssl_cert_env(environ: Mapping[str, str], paths: ssl.DefaultVerifyPaths,
                 ca_files: tuple[str, ...] = CA_FILES,
                 ca_dirs: tuple[str, ...] = CA_DIRS) -> dict[str, str]:
    """The SSL_CERT_FILE / SSL_CERT_DIR variables to set (empty: leave everything as it is)."""
    if environ.get("SSL_CERT_FILE") or environ.get("SSL_CERT_DIR"):
        return {}  # the user (or the system) chose: respect it
    if defaults_usable(paths):
        return {}
    found: dict[str, str] = {}
    for path in ca_files:
        if os.path.isfile(path):
            found["SSL_CERT_FILE"] = path
            break
    for path in ca_dirs:
        if os.path.isdir(path) and has_hashed_certs(path):
            found["SSL_CERT_DIR"] = path
            break
    return found


def _apply() -> None:
    if sys.platform in ("win32", "darwin"):
        return
    os.environ.update(ssl_cert_env(os.environ, ssl.get_default_verify_paths()))


if getattr(sys, "frozen", False):
    _apply()
