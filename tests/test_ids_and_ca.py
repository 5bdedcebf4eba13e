"""Unique check ids (a port in two modes, two VPN servers with one protocol) and a
--ca-file that is never read without bound (FIFO, device, huge file), on loopback."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from smtpdiag.cli import UsageError, _check_parser, build_config, check_options
from smtpdiag.engine import Diagnosis
from smtpdiag.probe.tls import check_ca_file
from smtpdiag.report.loader import load_report_bytes

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "smtpdiag" / "data" / "report.schema.json").read_text(encoding="utf-8"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smtpdiag(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LANGUAGE="en")
    env.pop("SMTPDIAG_PASSWORD", None)
    return subprocess.run([sys.executable, "-m", "smtpdiag", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)


@pytest.fixture(autouse=True)
def private_log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(tmp_path / "logs"))


def config_of(*argv: str):  # type: ignore[no-untyped-def]
    args = _check_parser().parse_args(list(argv))
    return build_config(check_options(args), args.target)


# -- ids ---------------------------------------------------------------------------------------------


def test_a_port_in_two_modes_is_two_checks_with_their_own_ids() -> None:
    port = closed_port()
    result = smtpdiag("check", "127.0.0.1", "--port", f"{port}:starttls", "--port", f"{port}:implicit",
                      "--port", f"{port}:implicit", "--no-control", "--timeout", "2", "--format", "json")
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    checks = [c for c in report["checks"] if c["kind"] == "smtp"]
    assert [(c["id"], c["mode"], c["cause"]) for c in checks] == [
        (f"target-{port}-starttls", "starttls", "tcp_refused"), (f"target-{port}-implicit", "implicit", "tcp_refused")]
    loaded = load_report_bytes(result.stdout.encode())
    assert not loaded.partial and len(loaded.report.checks) == 2


def test_a_port_once_keeps_its_plain_id() -> None:
    config = config_of("127.0.0.1", "--port", "587", "--port", "465:implicit", "--no-control")
    assert [c.id for c in Diagnosis(config).plan()] == ["target-587", "target-465"]


def test_reference_servers_in_two_modes_are_told_apart() -> None:
    config = config_of("127.0.0.1", "--port", "9:starttls", "--port", "9:implicit", "--control", "127.0.0.2")
    ids = [c.id for c in Diagnosis(config).plan()]
    assert ids == ["target-9-starttls", "target-9-implicit", "control1-9-starttls", "control1-9-implicit"]


def test_two_vpn_servers_with_one_protocol_keep_both_results() -> None:
    port = closed_port()
    result = smtpdiag("check", "127.0.0.1", "--port", f"{closed_port()}", "--no-control", "--timeout", "2",
                      "--vpn", f"127.0.0.1:pptp:{port}", "--vpn", f"127.0.0.2:pptp:{port}",
                      "--vpn", f"127.0.0.1:pptp:{closed_port()}", "--format", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    vpn = [c for c in report["checks"] if c["kind"] == "vpn"]
    assert len(vpn) == 3
    assert len({c["id"] for c in report["checks"]}) == len(report["checks"])
    assert {c["host"] for c in vpn} == {"127.0.0.1", "127.0.0.2"}
    assert all(c["cause"] == "vpn_refused" for c in vpn), [c["cause"] for c in vpn]
    assert vpn[0]["id"] == "vpn-127.0.0.1-pptp"
    assert not load_report_bytes(result.stdout.encode()).partial


# -- --ca-file -------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_as_ca_file_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    start = time.monotonic()
    result = smtpdiag("check", "127.0.0.1", "--no-control", "--ca-file", str(fifo))
    assert result.returncode == 64
    assert "not a regular file" in result.stderr and result.stderr.count("\n") == 1
    assert time.monotonic() - start < 15


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_dev_zero_as_ca_file_is_refused() -> None:
    with pytest.raises(ValueError, match="not a regular file"):
        check_ca_file("/dev/zero")


def test_a_huge_ca_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "ca.pem"
    with open(big, "wb") as fh:
        fh.truncate(100 * 1024 * 1024)
    with pytest.raises(ValueError, match="larger than 4 MB"):
        check_ca_file(str(big))
    with pytest.raises(UsageError, match="larger than 4 MB"):
        config_of("127.0.0.1", "--ca-file", str(big))


def test_a_ca_file_name_with_escapes_is_shown_escaped(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("control characters are not allowed in Windows file names")
    path = tmp_path / "\x1b[2Jca.pem"
    path.write_text("not a certificate")
    with pytest.raises(ValueError) as info:
        check_ca_file(str(path))
    assert "\x1b" not in str(info.value) and "\\x1b[2J" in str(info.value)


def test_a_regular_ca_file_still_works(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    check_ca_file(str(path))
    from smtpdiag.probe.tls import make_context

    ctx = make_context(str(path))
    assert ctx.cert_store_stats()["x509_ca"] >= 1
    assert stat.S_ISREG(path.stat().st_mode)
