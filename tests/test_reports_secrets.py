"""The login's password never reaches a report, a log, the terminal or a PDF.

A real check logs in (after STARTTLS, as aiosmtpd requires) with a known
password, once in this process (engine.Diagnosis) and once through the command
line; then every byte written is searched for the password in every form it
could travel in: as typed, JSON- or HTML-escaped, base64 (alone, inside the AUTH
PLAIN token, at any alignment), hex, UTF-16.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdiag.config import PortSpec, RunConfig
from smtpdiag.report.model import Report, diagnose, render_text

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
USER = "alice@example.com"
PASSWORD = "Tr0ub4dor&3-Pässwört<x>!"
WRONG = "not-the-password-&-Ünïcode"


def secret_forms(secret: str, user: str = USER) -> set[bytes]:
    """Every encoding of *secret* that could leak it."""
    raw = secret.encode("utf-8")
    forms = {raw, json.dumps(secret).strip('"').encode(), json.dumps(secret, ensure_ascii=False).strip('"').encode(),
             html.escape(secret).encode(), binascii.hexlify(raw), binascii.hexlify(raw).upper(),
             secret.encode("utf-16-le"), secret.encode("utf-16-be")}
    for blob in (raw, f"\0{user}\0{secret}".encode(), f"{user}\0{secret}".encode()):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            forms.add(enc(blob).rstrip(b"="))
    # The password inside any longer base64 text: its core at each of the three alignments.
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        skip = (shift * 4 + 2) // 3 + 1
        forms.add(encoded[skip:-4])
    return {f for f in forms if len(f) >= 8}


def assert_no_secret(data: bytes | str, where: str, secret: str = PASSWORD) -> None:
    blob = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    for form in secret_forms(secret):
        assert form not in blob, f"the password ({form!r}) is in {where}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def login_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """aiosmtpd offering AUTH only after STARTTLS, accepting USER/PASSWORD."""
    trustme = pytest.importorskip("trustme")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(tls)
    ca_file = tmp_path_factory.mktemp("login-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    tried: list[str] = []

    def authenticator(server: object, session: object, envelope: object, mechanism: str,
                      auth_data: object) -> AuthResult:
        tried.append(mechanism)
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
              and auth_data.password.decode() == PASSWORD)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    class Handler:
        pass

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        yield {"port": port, "ca_file": str(ca_file), "tried": tried}
    finally:
        controller.stop()


def run_check(server: dict[str, object], password: str) -> Report:
    config = RunConfig(target="127.0.0.1", host="127.0.0.1", ports=(PortSpec(int(server["port"]), "starttls"),),
                       controls=(), timeout=5.0, ca_file=str(server["ca_file"]), user=USER, password=password)
    return diagnose(config)


def every_rendering(report: Report, qapp: object | None) -> dict[str, bytes | str]:
    from smtpdiag.report.html import render_html, render_print_html
    from smtpdiag.report.privacy import anonymise, disclosure
    from smtpdiag.report.support import support_summary

    out: dict[str, bytes | str] = {
        "json": report.dumps(), "text": render_text(report), "html": render_html(report),
        "print html": render_print_html(report), "support text": support_summary(report),
        "disclosure": "\n".join(disclosure(report)), "anonymised json": anonymise(report).dumps(),
        "repr": repr(report),
    }
    if qapp is not None:
        from smtpdiag.gui.pdf import pdf_bytes

        out["pdf"] = pdf_bytes(report)
    return out


def test_login_password_is_nowhere(login_server: dict[str, object], qapp: object, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from smtpdiag.report import logs

    report = run_check(login_server, PASSWORD)
    check = report.checks[0]
    auth = [s for s in check.steps if s.step == "auth"]
    assert auth and auth[0].ok, check.steps
    assert (check.light, check.cause) == ("green", "ok")
    assert any(t.text == "AUTH PLAIN <redacted>" or t.text == "<redacted>" for t in check.transcript)
    assert report.input["user"] == USER

    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(tmp_path / "logs"))
    try:
        logs.setup_logging()
        logs.log_report(report)
    finally:
        logs.stop_logging()
    for name, data in every_rendering(report, qapp).items():
        assert_no_secret(data, name)
    if shutil.which("pdftotext"):
        from smtpdiag.gui.pdf import write_pdf

        pdf = tmp_path / "report.pdf"
        write_pdf(report, pdf)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, timeout=30).stdout
        assert b"alice@example.com" in text  # the extraction works ...
        assert_no_secret(text, "the PDF's text")  # ... and finds no password
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "smtpdiag.log" for p in written)
    for path in written:
        assert_no_secret(path.read_bytes(), str(path))


def test_wrong_password_is_auth_failed_red_input(login_server: dict[str, object], qapp: object) -> None:
    report = run_check(login_server, WRONG)
    check = report.checks[0]
    assert (check.light, check.cause, check.where) == ("red", "auth_failed", "input"), check.steps
    assert (report.overall["light"], report.overall["cause"]) == ("red", "auth_failed")
    assert any(t.text.startswith("535") for t in check.transcript), "the server's refusal is recorded"
    for name, data in every_rendering(report, qapp).items():
        assert_no_secret(data, name, WRONG)
        assert_no_secret(data, name, PASSWORD)


@pytest.mark.parametrize("fmt", ["json", "text", "html"])
def test_command_line_writes_no_password(login_server: dict[str, object], tmp_path: Path, fmt: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTPDIAG_")}
    env.update(SMTPDIAG_PASSWORD=PASSWORD, SMTPDIAG_LOG_DIR=str(tmp_path / "logs"), HOME=str(home),
               XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
    base = [sys.executable, "-m", "smtpdiag", "check", "127.0.0.1", "--port", f"{login_server['port']}:starttls",
            "--no-control", "--timeout", "5", "--ca-file", str(login_server["ca_file"]), "--user", USER,
            "--format", fmt]
    to_file = subprocess.run([*base, "--output", str(tmp_path / f"report.{fmt}")], capture_output=True, check=False,
                             timeout=60, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    to_stdout = subprocess.run(base, capture_output=True, check=False, timeout=60, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    for result in (to_file, to_stdout):
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        assert_no_secret(result.stdout, f"standard output ({fmt})")
        assert_no_secret(result.stderr, f"standard error ({fmt})")
    if fmt != "text":  # the text report does not show the login name
        assert USER.encode() in to_stdout.stdout  # the login name is reported, the password is not
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == f"report.{fmt}" for p in written)
    for path in written:
        assert_no_secret(path.read_bytes(), str(path))


def test_the_search_would_find_a_leak() -> None:
    """The detector itself: each way a password could slip out is caught."""
    token = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    leaks = [
        f"password={PASSWORD}",
        json.dumps({"password": PASSWORD}),  # \u00e4 escapes
        html.escape(f"<p>{PASSWORD}</p>"),
        f"AUTH PLAIN {token}",
        base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),  # any alignment
        base64.b64encode(PASSWORD.encode()).decode(),
        PASSWORD.encode("utf-16-be"),
    ]
    for leak in leaks:
        with pytest.raises(AssertionError):
            assert_no_secret(leak, "a leak")
    assert_no_secret("AUTH PLAIN <redacted>", "the redacted transcript")
