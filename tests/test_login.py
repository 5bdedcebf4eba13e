"""Logins that fail for today's reasons (issue 16) and the one login per run (issue 10).

Real aiosmtpd servers on loopback, behind real TLS (trustme certificates), answer the
login with each policy reply that providers send today, to PLAIN, LOGIN and CRAM-MD5
clients; one server offers only OAuth mechanisms after TLS and records every byte it
receives, so the test can show the password never reached it.  What is checked is what
a user sees: the light, the cause, who is at fault, the words -- and that the password
appears in no report format.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_reports_secrets import assert_no_secret, every_rendering  # tests/ is on sys.path

from smtpdiag.config import PortSpec, RunConfig
from smtpdiag.engine import CheckFinished
from smtpdiag.login_policy import (
    PolicyDataError,
    classify_auth_reply,
    login_policy_for,
    oauth_only,
    parse_policies,
    policies,
    provider_from_reply,
)
from smtpdiag.probe.login import choose_login, redacted_line, scrub
from smtpdiag.records import Attempt, Check, Step
from smtpdiag.report.model import Report, diagnose

ROOT = Path(__file__).resolve().parents[1]
USER = "alice@example.com"
PASSWORD = "Sommer-Pässwort-2026!"


# The replies providers send today (issue 16), with the cause and where the contract gives them.
POLICY_REPLIES = {
    "m365-basic-disabled": ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
                            "auth_oauth_required", "input"),
    "m365-client-submission": ("550 5.7.30 Basic authentication is not supported for Client Submission.",
                               "auth_oauth_required", "input"),
    "gmail-app-password": ("534-5.7.9 Application-specific password required. Learn more at\r\n"
                           "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor "
                           "d9443c01a7336-21c2d4e3f5fsm12345b3a.42 - gsmtp",
                           "auth_app_password_required", "input"),
    "m365-tenant-off": ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
                        "the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
                        "auth_disabled", "server"),
    "m365-mailbox-off": ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
                         "the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.",
                         "auth_disabled", "server"),
    "wrong-password": ("535 5.7.8 Username and Password not accepted.", "auth_failed", "input"),
}
MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")
ALL_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LoginServer:
    """What one server should answer, and what it received."""

    mechanisms: tuple[str, ...]
    reply: str | None = None  # None: accept USER/PASSWORD with 235
    echo: bool = False  # put what the client sent into the refusal
    bad_challenge: bool = False  # a CRAM-MD5 challenge that is not base64
    received: bytearray = field(default_factory=bytearray)
    auth_commands: list[str] = field(default_factory=list)
    port: int = 0
    ca_file: str = ""


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    ca_file = tmp_path_factory.mktemp("login-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    other = trustme.CA()  # a certificate nobody here trusts
    untrusted = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    other.issue_cert("localhost", "127.0.0.1").configure_cert(untrusted)
    return {"context": context, "ca_file": str(ca_file), "untrusted": untrusted}


class _Handler:
    def __init__(self, spec: LoginServer) -> None:
        self.spec = spec

    def _answer(self, login: bytes, secret: bytes, sent: bytes) -> Any:
        from aiosmtpd.smtp import AuthResult

        if not self.spec.echo and self.spec.reply is None and login.decode() == USER \
                and secret.decode() == PASSWORD:
            return AuthResult(success=True)
        message = self.spec.reply or "535 5.7.8 Authentication credentials invalid"
        if self.spec.echo:
            message = f"535 5.7.8 Authentication failed for {sent.decode('ascii', 'replace')} " \
                      f"({base64.b64encode(secret).decode()}, {secret.decode('utf-8', 'replace')})"
        return AuthResult(success=False, handled=False, message=message)

    async def auth_PLAIN(self, server: Any, args: list[str]) -> Any:
        from aiosmtpd.smtp import MISSING, AuthResult

        self.spec.auth_commands.append("PLAIN")
        if len(args) > 1:
            sent = args[1].encode()
            blob = base64.b64decode(sent)
        else:
            got = await server.challenge_auth("", encode_to_b64=False)
            if got is MISSING:
                return AuthResult(success=False, handled=True)
            blob, sent = got, base64.b64encode(got)
        _authz, login, secret = blob.split(b"\0", 2)
        return self._answer(login, secret, sent)

    async def auth_LOGIN(self, server: Any, args: list[str]) -> Any:
        from aiosmtpd.smtp import MISSING, AuthResult

        self.spec.auth_commands.append("LOGIN")
        login = await server.challenge_auth("Username:")
        if login is MISSING:
            return AuthResult(success=False, handled=True)
        secret = await server.challenge_auth("Password:")
        if secret is MISSING:
            return AuthResult(success=False, handled=True)
        return self._answer(login, secret, base64.b64encode(secret))

    async def auth_CRAM__MD5(self, server: Any, args: list[str]) -> Any:
        from aiosmtpd.smtp import MISSING, AuthResult

        self.spec.auth_commands.append("CRAM-MD5")
        if self.spec.bad_challenge:
            await server.challenge_auth(b"%%not*base64%%", encode_to_b64=False)
            return AuthResult(success=False, handled=True)
        challenge = b"<1896.697170952@postoffice.example.net>"
        answer = await server.challenge_auth(challenge)
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        login, digest = answer.rsplit(b" ", 1)
        right = hmac.new(PASSWORD.encode(), challenge, hashlib.md5).hexdigest().encode()
        secret = PASSWORD.encode() if digest == right else b"?"
        return self._answer(login, secret, base64.b64encode(answer))

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> Any:
        from aiosmtpd.smtp import AuthResult

        self.spec.auth_commands.append("XOAUTH2")
        return AuthResult(success=False, handled=False, message="535 5.7.8 OAuth token invalid")

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> Any:
        from aiosmtpd.smtp import AuthResult

        self.spec.auth_commands.append("OAUTHBEARER")
        return AuthResult(success=False, handled=False, message="535 5.7.8 OAuth token invalid")


@pytest.fixture
def serve(tls_files: dict[str, Any]) -> Iterator[Any]:
    """Start login servers on loopback: serve(LoginServer(...)) -> the spec with port and ca_file."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    controllers: list[Any] = []

    def start(spec: LoginServer, trusted: bool = True) -> LoginServer:
        class RecordingSMTP(SMTP):
            def data_received(self, data: bytes) -> None:
                spec.received.extend(data)
                super().data_received(data)

            async def smtp_QUIT(self, arg: str) -> None:
                if spec.echo and spec.auth_commands:  # a hostile server echoes the login again at goodbye
                    token = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
                    await self.push(f"221 Bye {token} {PASSWORD}")
                    self.transport.close()  # type: ignore[union-attr]
                    return
                await super().smtp_QUIT(arg)

        class RecordingController(Controller):
            def factory(self) -> SMTP:
                return RecordingSMTP(self.handler, **self.SMTP_kwargs)

        spec.port = free_port()
        spec.ca_file = tls_files["ca_file"]
        controller = RecordingController(
            _Handler(spec), hostname="127.0.0.1", port=spec.port,
            tls_context=tls_files["context" if trusted else "untrusted"], require_starttls=True,
            auth_require_tls=True, authenticator=lambda *a: None,
            auth_exclude_mechanism=[m for m in ALL_MECHANISMS if m not in spec.mechanisms])
        controller.start()
        controllers.append(controller)
        return spec

    try:
        yield start
    finally:
        for c in controllers:
            c.stop()


def run(servers: list[LoginServer], user: str | None = USER, password: str | None = PASSWORD,
        events: list[object] | None = None) -> Report:
    config = RunConfig(target="127.0.0.1", host="127.0.0.1",
                       ports=tuple(PortSpec(s.port, "starttls") for s in servers), controls=(),
                       timeout=5.0, ca_file=servers[0].ca_file, user=user, password=password)
    return diagnose(config, on_event=events.append if events is not None else None)


def assert_password_nowhere(report: Report, *secrets: str) -> None:
    for name, data in every_rendering(report, None).items():
        for secret in secrets:
            assert_no_secret(data, name, secret)


# -- each policy reply, to each kind of client ----------------------------------------------------

@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("name", sorted(POLICY_REPLIES))
def test_policy_replies_get_the_contracts_cause(serve: Any, name: str, mechanism: str) -> None:
    reply, cause, where = POLICY_REPLIES[name]
    server = serve(LoginServer((mechanism,), reply=reply))
    report = run([server])
    check = report.targets[0]
    assert server.auth_commands == [mechanism]
    assert (check.light, check.cause, check.where) == ("red", cause, where), check.steps
    assert (report.overall["light"], report.overall["cause"], report.overall["where"]) == ("red", cause, where)
    headline = str(report.overall.get("headline") or "")
    assert "login" in headline or "OAuth2" in headline or "app password" in headline or \
        "mail programs is switched off" in headline, headline
    assert "mail server has a problem" not in headline  # the server works; the login is the problem
    auth = next(s for s in check.steps if s.step == "auth")
    # the server's words are kept in the step (the password never is)
    code = reply[:3]
    assert auth.detail.startswith(f"AUTH {mechanism} answered {code}")
    if name != "gmail-app-password":
        assert reply[4:40] in auth.detail
    assert check.explanation and check.advice and "{" not in check.explanation
    assert_password_nowhere(report, PASSWORD)


def test_the_words_say_what_to_do(serve: Any) -> None:
    """Per cause, the words name the next step (not 'check your password')."""
    words = {}
    for name in ("m365-basic-disabled", "gmail-app-password", "m365-tenant-off", "wrong-password"):
        server = serve(LoginServer(("PLAIN",), reply=POLICY_REPLIES[name][0]))
        check = run([server]).targets[0]
        words[name] = (check.explanation + " " + check.advice).lower()
    assert "oauth2" in words["m365-basic-disabled"] and "check your user name" not in words["m365-basic-disabled"]
    assert "app password" in words["gmail-app-password"]
    assert "administrator" in words["m365-tenant-off"]
    assert "user name or password" in words["wrong-password"]


def test_provider_words_from_the_reply(serve: Any) -> None:
    """A company's own server name that is really Microsoft 365 or Google answers in their
    words: the advice is theirs too (the issue's sentences)."""
    words = {}
    for name in ("m365-tenant-off", "m365-basic-disabled", "gmail-app-password"):
        check = run([serve(LoginServer(("LOGIN",), reply=POLICY_REPLIES[name][0]))]).targets[0]
        words[name] = (check.explanation, check.advice)
    assert words["m365-tenant-off"][1] == ("Your organisation has switched off sending from mail programs; ask your "
                                           "IT administrator to allow Authenticated SMTP for your mailbox, or use "
                                           "Outlook.")
    assert words["m365-basic-disabled"][0].startswith("Microsoft no longer accepts your password from mail programs")
    assert "Authentication method: OAuth2" in words["m365-basic-disabled"][1]
    assert words["gmail-app-password"][1].startswith("Create an app password at myaccount.google.com/apppasswords "
                                                     "and use it instead of your normal password")


def test_provider_words_for_known_hosts() -> None:
    """The same causes on a provider's own host name get that provider's words."""
    from smtpdiag.report.model import with_words

    def words(host: str, cause: str, where: str) -> str:
        check = with_words(Check("target-587", "smtp", "target", host, 587, "starttls", light="red",
                                 cause=cause, where=where))  # type: ignore[arg-type]
        return check.explanation + " " + check.advice

    assert "Microsoft" in words("smtp-mail.outlook.com", "auth_oauth_required", "input")
    assert "Thunderbird" in words("smtp-mail.outlook.com", "auth_oauth_required", "input")
    assert "myaccount.google.com/apppasswords" in words("smtp.gmail.com", "auth_app_password_required", "input")
    assert "Authenticated SMTP" in words("smtp.office365.com", "auth_disabled", "server")
    assert "app-specific password" in words("smtp.mail.me.com", "auth_failed", "input")
    assert provider_from_reply("AUTH PLAIN answered 535 5.7.8 Username and Password not accepted.") is None
    generic = words("mail.example.net", "auth_oauth_required", "input")
    assert "Microsoft" not in generic and "OAuth2" in generic


# -- the OAuth-only server ------------------------------------------------------------------------

def test_oauth_only_server_never_receives_the_password(serve: Any) -> None:
    server = serve(LoginServer(("XOAUTH2", "OAUTHBEARER")))
    report = run([server])
    check = report.targets[0]
    assert (check.light, check.cause, check.where) == ("red", "auth_oauth_required", "input")
    assert "OAuth2" in check.advice
    auth = next(s for s in check.steps if s.step == "auth")
    assert "not sent" in auth.detail
    assert server.auth_commands == []
    assert b"AUTH" not in bytes(server.received).upper()
    assert bytes(server.received), "the server recorded the session (EHLO, STARTTLS, QUIT)"
    assert_no_secret(bytes(server.received), "what the OAuth-only server received")
    assert_password_nowhere(report, PASSWORD)


def test_without_a_login_an_oauth_only_server_is_a_finding_on_a_green_row(serve: Any) -> None:
    server = serve(LoginServer(("XOAUTH2", "OAUTHBEARER")))
    report = run([server], user=None, password=None)
    check = report.targets[0]
    assert (check.light, check.cause) == ("green", "ok")
    assert "OAuth2 sign-in only" in check.explanation
    assert any("oauth_only" in s.findings for s in check.steps)
    assert report.overall["light"] == "green"
    # a server that takes passwords says nothing of the kind
    plain = run([serve(LoginServer(("PLAIN", "LOGIN", "XOAUTH2")))], user=None, password=None).targets[0]
    assert plain.cause == "ok" and "OAuth2" not in plain.explanation


# -- redaction -------------------------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_a_server_echoing_the_login_puts_no_password_into_any_report(serve: Any, mechanism: str) -> None:
    server = serve(LoginServer((mechanism,), echo=True))
    report = run([server])
    check = report.targets[0]
    assert (check.light, check.cause) == ("red", "auth_failed")
    received = [t for t in check.transcript if t.dir == "recv" and t.text.startswith("535")]
    assert received and all(t.text == "535 5.7.8 <redacted>" for t in received)
    goodbye = [t for t in check.transcript if t.dir == "recv" and t.text.startswith("221")]
    assert goodbye[-1].text == "221 Bye <redacted> <redacted>"  # the echo in the answer to QUIT is scrubbed too
    assert_password_nowhere(report, PASSWORD)


def test_scrub_keeps_words_and_drops_what_could_carry_a_secret() -> None:
    token = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    kept = "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit " \
           "https://aka.ms/smtp_auth_disabled for more information."
    assert scrub(kept, [PASSWORD, token]) == kept
    for echoed in (token, token[5:40], PASSWORD, PASSWORD.upper(), base64.b64encode(PASSWORD.encode()).decode(),
                   PASSWORD.encode().hex()):
        cleaned = scrub(f"5.7.8 bad login {echoed} here", [PASSWORD, token])
        assert echoed not in cleaned and "<redacted>" in cleaned
    assert redacted_line("334 VXNlcm5hbWU6") == "334 <redacted>"
    assert redacted_line("535 5.7.8 " + token) == "535 5.7.8 <redacted>"
    assert redacted_line(token) == "<redacted>"


# -- malformed CRAM-MD5 challenge ------------------------------------------------------------------

def test_a_malformed_cram_md5_challenge_is_a_named_cause(serve: Any) -> None:
    server = serve(LoginServer(("CRAM-MD5",), bad_challenge=True))
    report = run([server])
    check = report.targets[0]
    assert (check.light, check.cause, check.where) == ("red", "smtp_protocol_error", "server")
    auth = next(s for s in check.steps if s.step == "auth")
    assert auth.failure == "malformed" and "challenge" in auth.detail
    assert_password_nowhere(report, PASSWORD)


# -- one login per run -----------------------------------------------------------------------------

def test_one_login_per_run_on_the_first_port_whose_tls_verified(serve: Any) -> None:
    """Three ports: the first has a certificate nobody trusts, so the login goes to the
    second; the third never sees an AUTH command and says it did not try again."""
    first = serve(LoginServer(("PLAIN",)), trusted=False)
    second = serve(LoginServer(("PLAIN",), reply=POLICY_REPLIES["wrong-password"][0]))
    third = serve(LoginServer(("PLAIN",)))
    events: list[object] = []
    report = run([first, second, third], events=events)
    by_port = {c.port: c for c in report.targets}
    assert [s.auth_commands for s in (first, second, third)] == [[], ["PLAIN"], []]
    assert by_port[first.port].cause == "tls_untrusted"
    assert (by_port[second.port].light, by_port[second.port].cause) == ("red", "auth_failed")
    third_auth = next(s for s in by_port[third.port].steps if s.step == "auth")
    assert third_auth.failure == "not_tried" and "not tried again" in third_auth.detail
    assert by_port[third.port].cause == "ok"  # the port works; only the login was refused
    # a refused login makes the overall red with the login's cause, whatever the ports
    assert (report.overall["light"], report.overall["cause"]) == ("red", "auth_failed")
    # each row is finished once, with its final words
    finished = [e.check.id for e in events if isinstance(e, CheckFinished)]
    assert sorted(finished) == sorted(c.id for c in report.checks)


def test_one_login_on_a_dual_stack_server_decides_the_check() -> None:
    """IPv4 and IPv6 are tried separately, but the login only once (on the shown family): a
    refused login is the account's answer, never 'works over IPv6 only'."""
    import dataclasses

    from smtpdiag.simnet.scenarios import SCENARIOS
    from smtpdiag.simnet.world import start_scenario

    with start_scenario(dataclasses.replace(SCENARIOS["login"], target_ipv6=True)) as sim:
        good = diagnose(sim.config(timeout=3.0), network=sim.network)
        bad = diagnose(sim.config(timeout=3.0, password="not-the-password"), network=sim.network)
    for report in (good, bad):
        tried = [(c.port, a.family) for c in report.targets for a in c.attempts
                 for s in a.steps if s.step == "auth" and s.failure != "not_tried"]
        assert tried == [(465, "ipv4")], tried
        assert len({a.family for c in report.targets for a in c.attempts}) == 2  # both families were checked
    assert (good.overall["light"], good.overall["cause"]) == ("green", "ok")
    refused = next(c for c in bad.targets if c.port == 465)
    assert (refused.light, refused.cause, refused.where) == ("red", "auth_failed", "input")
    assert (bad.overall["light"], bad.overall["cause"]) == ("red", "auth_failed")


def test_no_login_when_no_port_verified(serve: Any) -> None:
    server = serve(LoginServer(("PLAIN",)), trusted=False)
    report = run([server])
    check = report.targets[0]
    assert server.auth_commands == []
    assert check.cause == "tls_untrusted"
    auth = next(s for s in check.steps if s.step == "auth")
    assert auth.failure == "not_tried" and "password was not sent" in auth.detail


def _check(port: int, verified: bool, index: int = 0) -> Check:
    steps = (Step("tls", True, 1), Step("certificate", verified, 1), Step("ehlo_tls", verified, 1))
    attempt = Attempt("ipv4", "192.0.2.1", steps)
    return Check(f"target-{port}", "smtp", "target", "mail.example.net", port, "starttls",
                 light="green" if verified else "red", cause="ok" if verified else "tls_untrusted",
                 where="none" if verified else "server", steps=steps, attempts=(attempt,))


@pytest.mark.parametrize(("ports", "verified", "chosen"), [
    ((25, 465, 587, 2525), {25, 465, 587, 2525}, 465),
    ((25, 587, 465, 2525), {25, 587, 2525}, 587),
    ((25, 465, 587, 2525), {25, 2525}, 2525),
    ((8025, 2525, 9587), {8025, 9587}, 8025),
    ((25, 465, 587), {25}, None),  # port 25 is not a submission port
    ((25,), {25}, 25),  # ... unless it is the only port asked for
])
def test_login_port_order(ports: tuple[int, ...], verified: set[int], chosen: int | None) -> None:
    picked = choose_login([_check(p, p in verified) for p in ports])
    assert (picked[0].port if picked else None) == chosen


# -- a password that is not UTF-8 ----------------------------------------------------------------

def test_a_latin1_password_is_bad_input_before_any_network_step(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    secret = "Kennwort-ä-geheim".encode("latin-1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTPDIAG_")}
    env.update(HOME=str(tmp_path), SMTPDIAG_LOG_DIR=str(tmp_path / "logs"), LC_ALL="C.UTF-8", LANG="C.UTF-8")
    envb = {k.encode(): v.encode() for k, v in env.items()}
    envb[b"SMTPDIAG_PASSWORD"] = secret
    try:
        result = subprocess.run(
            [sys.executable, "-m", "smtpdiag", "check", "127.0.0.1", "--port", f"{port}:starttls",
             "--no-control", "--user", USER, "--lang", "en"],
            capture_output=True, check=False, timeout=60, env=envb, cwd=ROOT, stdin=subprocess.DEVNULL)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody connected: refused before any network step
    finally:
        listener.close()
    assert result.returncode == 64, result.stderr
    err = result.stderr.decode("utf-8", "replace").strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "UTF-8" in err
    assert result.stdout == b""
    for leak in (secret, b"geheim", b"Kennwort", "Kennwort-ä".encode(), b"\\xe4", b"\\udce4"):
        assert leak not in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_password_typed_in_latin1_at_the_terminal_is_bad_input(tmp_path: Path) -> None:
    """The password prompt on a real (pseudo-)terminal, typed in Latin-1 on a UTF-8 terminal."""
    import pty
    import select
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTPDIAG_")}
    env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8", HOME=str(tmp_path), SMTPDIAG_LOG_DIR=str(tmp_path / "logs"))
    typed = "Kennwort-ä-geheim".encode("latin-1")
    pid, fd = pty.fork()
    if pid == 0:  # the child: smtpdiag on the terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "smtpdiag", "check", "127.0.0.1", "--port",
                                   f"{port}:starttls", "--no-control", "--user", USER, "--lang", "en"], env)
    seen, sent = b"", False
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            if not select.select([fd], [], [], 0.2)[0]:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            seen += data
            if b"Password for" in seen and not sent:
                os.write(fd, typed + b"\r")
                sent = True
        _, status = os.waitpid(pid, 0)
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing was sent anywhere
    finally:
        os.close(fd)
        listener.close()
    assert sent and os.waitstatus_to_exitcode(status) == 64, seen
    assert b"not valid UTF-8" in seen and b"Traceback" not in seen
    for leak in (typed, b"geheim", b"Kennwort", b"\\xe4", b"\\udce4"):
        assert leak not in seen


def test_a_latin1_login_name_is_bad_input_too(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTPDIAG_")}
    env.update(HOME=str(tmp_path), SMTPDIAG_LOG_DIR=str(tmp_path / "logs"), LC_ALL="C.UTF-8", LANG="C.UTF-8",
               SMTPDIAG_PASSWORD="geheim-2026")
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"smtpdiag", b"check", b"127.0.0.1", b"--port", b"9:starttls",
         b"--no-control", b"--user", "jörg@example.com".encode("latin-1"), b"--lang", b"en"],
        capture_output=True, check=False, timeout=60, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert result.returncode == 64, result.stderr
    err = result.stderr.decode("utf-8", "replace").strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "login name" in err


# -- the policy table and the reply classifier (pure) -------------------------------------------

@pytest.mark.parametrize(("code", "text", "failure"), [
    (535, "5.7.139 Authentication unsuccessful, basic authentication is disabled.", "oauth_required"),
    (550, "5.7.30 Basic authentication is not supported for Client Submission.", "oauth_required"),
    (534, "5.7.9 Application-specific password required. Learn more at", "app_password_required"),
    (535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", "disabled"),
    (535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.", "disabled"),
    (535, "5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults "
          "policy. Contact your administrator.", "disabled"),
    (535, "5.7.139 Authentication unsuccessful, the user credentials were incorrect.", "failed"),
    (535, "5.7.8 Username and Password not accepted.", "failed"),
    (535, "5.7.3 Authentication unsuccessful", "failed"),
    (535, "Authentication failed", "failed"),
    (454, "4.7.0 Temporary authentication failure", "temporary"),
    (504, "5.5.4 Unrecognized authentication type", "rejected"),
])
def test_reply_classifier(code: int, text: str, failure: str) -> None:
    assert classify_auth_reply(code, text) == failure


def test_a_normal_password_account_on_an_oauth2_only_provider_is_flagged_without_a_login() -> None:
    """The policy file and the mail-program readers together (issue 16): Thunderbird set to
    "Normal password" for Outlook.com is told to change to OAuth2, although its port works."""
    from smtpdiag.accounts.model import MailAccount
    from smtpdiag.accounts.settings import login_policy_lookup, mail_programs

    checks = [Check("target-587", "smtp", "target", "smtp-mail.outlook.com", 587, "starttls", light="green",
                    cause="ok", where="none")]
    accounts = [MailAccount("thunderbird", "bob@outlook.com", "smtp-mail.outlook.com", 587, "starttls", auth)
                for auth in ("password", "oauth2")]
    normal, oauth = mail_programs(accounts, checks, login_policy_lookup())
    assert normal["verdict"] == "change" and "OAuth2" in normal["fix"]
    assert oauth["verdict"] == "ok"
    # Gmail takes an app password through "Normal password": nothing to flag from the settings alone
    gmail = MailAccount("thunderbird", "eve@gmail.com", "smtp.gmail.com", 587, "starttls", "password")
    checks = [c.with_(host="smtp.gmail.com") for c in checks]
    assert mail_programs([gmail], checks, login_policy_lookup())[0]["verdict"] == "ok"


def test_every_login_failure_word_has_a_cause() -> None:
    from smtpdiag.login_policy import LOGIN_FAILURES
    from smtpdiag.records import Failure
    from smtpdiag.verdict import STEP_FAILURES

    for word in (*LOGIN_FAILURES, "malformed"):
        assert word in {f.value for f in Failure}
        assert ("auth", word) in STEP_FAILURES


def test_oauth_only() -> None:
    assert oauth_only(["XOAUTH2", "OAUTHBEARER"]) and oauth_only(["xoauth2"])
    assert not oauth_only([]) and not oauth_only(["LOGIN", "XOAUTH2"])


def test_policy_file_is_dated_versioned_and_sourced() -> None:
    table = policies()
    keys = {p.provider for p in table}
    assert {"outlook_com", "microsoft_365", "gmail", "yahoo", "icloud"} <= keys
    for p in table:
        assert p.source.startswith("https://")
        assert p.since is None or len(p.since) == 10
    outlook = login_policy_for("SMTP-Mail.Outlook.com.")
    assert outlook is not None and outlook.oauth_only and outlook.since == "2024-09-16"
    assert "OAuth2" in outlook.fix()
    gmail = login_policy_for("smtp.gmail.com")
    assert gmail is not None and gmail.password == "app_password" and not gmail.oauth_only
    assert "apppasswords" in gmail.fix()
    assert login_policy_for("smtp.office365.com").password == "admin"  # type: ignore[union-attr]
    assert login_policy_for("smtp.mail.me.com").provider == "icloud"  # type: ignore[union-attr]
    assert login_policy_for("mail.example.net") is None and login_policy_for("") is None
    assert login_policy_for("gmail.com") is None  # the mail domain is not the sending server


@pytest.mark.parametrize("broken", [
    {},
    {"version": 1, "updated": "2026-11-30"},
    {"version": 1, "updated": "30.11.2026", "policies": []},
    {"version": 1, "updated": "2026-11-30", "policies": [{"provider": "x"}]},
    {"version": 1, "updated": "2026-11-30", "policies": [
        {"provider": "x", "name": "X", "hosts": ["a"], "password": "maybe", "mechanisms": [], "since": None,
         "source": "https://example.net"}]},
    {"version": 1, "updated": "2026-11-30", "policies": [
        {"provider": "x", "name": "X", "hosts": ["a"], "password": "none", "mechanisms": [], "since": "2024",
         "source": "https://example.net"}]},
    {"version": 1, "updated": "2026-11-30", "policies": [
        {"provider": "x", "name": "X", "hosts": ["a"], "password": "none", "mechanisms": [], "since": None,
         "source": "http://example.net"}]},
])
def test_a_broken_policy_file_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(PolicyDataError):
        parse_policies(broken)


def test_host_patterns() -> None:
    table = parse_policies({"version": 1, "updated": "2026-11-30", "policies": [
        {"provider": "x", "name": "X", "hosts": ["*.smtp.example.net"], "password": "none", "mechanisms": [],
         "since": None, "source": "https://example.net"}]})
    assert login_policy_for("eu.smtp.example.net", table) is not None
    assert login_policy_for("smtp.example.net", table) is None
    assert login_policy_for("evil-smtp.example.net", table) is None
