"""Entry point of the frozen app (PyInstaller): the same ``main`` as the installed
``smtpdiag`` command (``smtpdiag = smtpdiag.cli:main`` in pyproject.toml).

Kept apart from the package so that PyInstaller analyses the *installed* smtpdiag
(site-packages of the build environment), exactly what ``pip install`` gives a user.

``SMTPDIAG_BUNDLE_SELFTEST=1 smtpdiag`` prints, as JSON, what the bundle found at run
time (certificate paths, resources, Qt's folders) and exits; tests/test_packaging.py
and support staff use it to see inside a frozen app, which has no Python prompt.
"""

import multiprocessing
import os
import sys


def _ensure_streams() -> None:
    # A windowed Windows executable (smtpdiagw.exe) has no console: PyInstaller sets
    # sys.stdout/sys.stderr to None, and a stray write would raise.  Nothing reads
    # them there, so send them nowhere.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def _selftest() -> int:
    import json
    import ssl

    import smtpdiag
    from smtpdiag import i18n, paths
    from smtpdiag.probe import tls

    verify = ssl.get_default_verify_paths()
    context = ssl.create_default_context()  # loads OpenSSL's default paths, as truststore does
    facts = {
        "version": smtpdiag.__version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "bundle": getattr(sys, "_MEIPASS", None),
        "executable": sys.executable,
        "openssl": ssl.OPENSSL_VERSION,
        "utf8_mode": sys.flags.utf8_mode,
        "stdout_encoding": getattr(sys.stdout, "encoding", None),
        "filesystem_encoding": sys.getfilesystemencoding(),
        "verify_paths": {
            "cafile": verify.cafile,
            "capath": verify.capath,
            "openssl_cafile": verify.openssl_cafile,
            "openssl_capath": verify.openssl_capath,
        },
        "SSL_CERT_FILE": os.environ.get("SSL_CERT_FILE"),
        "SSL_CERT_DIR": os.environ.get("SSL_CERT_DIR"),
        "default_context_cas": context.cert_store_stats()["x509_ca"],
        "resources_dir": str(paths.resources_dir()),
        "icons": sorted(p.name for p in paths.icons_dir().glob("*")),
        "data_dir": str(paths.data_dir()),
        "interceptors": len(tls.interceptors()),
        "languages": i18n.available_languages(),
        "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH"),
        "LD_LIBRARY_PATH_ORIG": os.environ.get("LD_LIBRARY_PATH_ORIG"),
    }
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import QByteArray, QCollator, QLibraryInfo, QLocale, QTimeZone

        # what Qt asks ICU for (collation, time-zone names): the Linux bundle's ICU is trimmed
        collator = QCollator(QLocale("de_DE"))
        berlin = QTimeZone(QByteArray(b"Europe/Berlin"))
        facts["qt"] = {
            "pyside": pyside_version,
            "plugins": QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath),
            "translations": QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
            "collation_de": sorted(["Zebra", "Äpfel", "apfel", "Bär"], key=collator.sortKey),
            "timezone_name_de": berlin.displayName(QTimeZone.TimeType.StandardTime,
                                                   QTimeZone.NameType.LongName, QLocale("de_DE")),
        }
    except ImportError as exc:
        facts["qt"] = {"error": str(exc)}
    print(json.dumps(facts, indent=2))
    return 0


if __name__ == "__main__":
    # Must come first: a frozen child process started by multiprocessing (spawn)
    # re-runs this executable and must not start the program a second time.
    multiprocessing.freeze_support()
    _ensure_streams()
    if os.environ.get("SMTPDIAG_BUNDLE_SELFTEST") == "1":
        sys.exit(_selftest())
    from smtpdiag.cli import main

    sys.exit(main())
