"""What a healthy ``smtpdiag check`` loads (issue 14: start-up as fast as the work).

Not a timing test (those are in benchmarks/bench_startup.py): it runs a real check
of two loopback servers (STARTTLS and TLS on connect, verified certificates) in a
fresh interpreter and asserts *which* modules it imports and *where*.  Each module
named here cost milliseconds of every check's start-up once; this keeps them out.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller

# Modules a healthy check on Linux must not import, and what needs them instead.
NOT_ON_THE_HEALTHY_PATH = {
    "PySide6": "the window",
    "logging": "the run log has its own writer (smtpdiag.runlog)",
    "traceback": "only an internal error's traceback",
    "cryptography": "only a certificate that failed verification is read with it",
    "idna": "only a host name that is not plain ASCII",
    "encodings.idna": "host names are handed to socket/ssl as ASCII bytes",
    "hashlib": "the certificate's SHA-256 uses Python's built-in one; hmac only for CRAM-MD5",
    "platformdirs": "only Windows' log folder",
    "shutil": "argparse's formatter measures the terminal itself",
    "subprocess": "only the Windows and macOS readers of this computer's state",
    "tempfile": "only writing a report file",
    "uuid": "report ids are 6 random bytes",
    "configparser": "only a Thunderbird profiles.ini",
    "truststore": "only where the operating system verifies (Windows, macOS)",
    "platform": "the OS name comes from os.uname()",
    "_strptime": "certificate dates are read without strptime",
    "importlib.resources": "data files are opened by path",
    "dns": "an IP address needs no DNS library",
    "email": "nothing on this path parses mail",
    "dataclasses": "records are made by smtpdiag.frozen (dataclasses brings inspect, ast, dis: ~10 ms)",
    "inspect": "only through dataclasses",
    "datetime": "report times and certificate dates are read and written as text",
    "typing": "type names are imported for type checkers only (TYPE_CHECKING = False)",
    "smtpdiag.accounts.settings": "only mail programs found on this computer are judged",
}

RUNNER = r"""
import builtins, json, sys, threading
real_import, in_threads = builtins.__import__, []
def watching(name, *args, **kwargs):
    before = set(sys.modules)
    module = real_import(name, *args, **kwargs)
    if threading.current_thread() is not threading.main_thread():
        in_threads.extend(sorted(set(sys.modules) - before))
    return module
builtins.__import__ = watching
from smtpdiag import cli
code = cli.main(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules), "in_threads": in_threads}, fh)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_servers(ca: trustme.CA, tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    ports = [(_free_port(), "starttls"), (_free_port(), "implicit")]
    controllers = []
    for port, mode in ports:
        tls = {"ssl_context": ctx} if mode == "implicit" else {"tls_context": ctx}
        controllers.append(Controller(object(), hostname="127.0.0.1", port=port, **tls))  # type: ignore[arg-type]
        controllers[-1].start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    try:
        yield [f"{port}:{mode}" for port, mode in ports], ca_file
    finally:
        for c in controllers:
            c.stop()


@pytest.mark.skipif(sys.platform != "linux", reason="the list is Linux's (Windows and macOS read their own state)")
@pytest.mark.parametrize("fmt", ["text", "json"])  # text: what "smtpdiag check" prints by default
def test_a_healthy_check_imports_only_what_it_needs_and_all_of_it_before_the_probes_start(
        two_servers: tuple[list[str], Path], tmp_path: Path, fmt: str) -> None:
    ports, ca_file = two_servers
    result = tmp_path / "imports.json"
    args = ["check", "127.0.0.1", "--no-control", "--ca-file", str(ca_file), "--format", fmt]
    for port in ports:
        args += ["--port", port]
    env = {**os.environ, "SMTPDIAG_LOG_DIR": str(tmp_path / "logs")}
    done = subprocess.run([sys.executable, "-c", RUNNER, str(result), *args], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(result.read_text())
    assert seen["code"] == 0
    if fmt == "json":
        report = json.loads(done.stdout)
        assert report["overall"]["light"] == "green"
        assert [c["light"] for c in report["checks"]] == ["green", "green"]
        assert all(c["tls"]["chain"][0]["subject"] for c in report["checks"])  # the certificate was described
    else:
        assert "Overall: OK" in done.stdout and "verified" in done.stdout
    assert (tmp_path / "logs" / "smtpdiag.log").read_text(encoding="utf-8").count("light=green") == 2
    loaded = set(seen["modules"])
    unexpected = {name: why for name, why in NOT_ON_THE_HEALTHY_PATH.items() if name in loaded}
    assert unexpected == {}
    # Imports inside the probe threads would make them wait for each other (the import
    # lock and the GIL) and -X importtime's numbers meaningless.
    assert seen["in_threads"] == []
