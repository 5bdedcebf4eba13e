"""The transport against hostile peers on real sockets: every way the start of TLS can be
cut, hostile certificates, servers that drip, and bugs that must not blame anyone.

Each test runs the real probe (real sockets, real OpenSSL) against a scripted
peer from ``tests/hostile.py`` on 127.0.0.1 and checks what a user would see:
the light, the cause and who is at fault.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from hostile import (
    HostileServer,
    hostile_san_certificate,
    read_line,
    read_record,
    reset,
    server_flight,
    smtp_until_starttls,
)

from smtpdiag.config import PortSpec, RunConfig
from smtpdiag.net import Network
from smtpdiag.probe.smtp import ProbeSettings, probe_smtp
from smtpdiag.records import Attempt
from smtpdiag.report.model import diagnose
from smtpdiag.verdict import classify

TIMEOUT = 2.0


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(key_type=trustme.KeyType.RSA)


class TrustingNetwork(Network):
    """Real sockets; additionally trusts the test CA (as ``--ca-file`` would)."""

    def __init__(self, ca_pem: str) -> None:
        super().__init__()
        self._ca_pem = ca_pem

    def extra_ca_pem(self) -> str | None:
        return self._ca_pem


def probe(port: int, mode: str, net: Network | None = None, timeout: float = TIMEOUT,
          host: str = "127.0.0.1") -> Attempt:
    settings = ProbeSettings(host=host, port=port, mode=mode, timeout=timeout)
    return probe_smtp(net or Network(), "127.0.0.1", settings, threading.Event())


def end(how: str) -> Callable[[socket.socket], None]:
    return reset if how == "reset" else (lambda conn: conn.close())


# -- a reset (or close) at any byte of the TLS start is tls_reset --------------------------


def cut_at(point: str, mode: str, how: str, cert: trustme.LeafCert) -> Callable[[socket.socket], None]:
    def script(conn: socket.socket) -> None:
        if mode == "starttls":
            smtp_until_starttls(conn)
            if point == "after_220":
                end(how)(conn)  # before the ClientHello can even leave
                return
        if point == "at_accept":
            end(how)(conn)
            return
        hello = read_record(conn)
        assert hello[:1] == b"\x16", hello[:16]
        if point == "mid_handshake":
            flight = server_flight(hello, cert)
            conn.sendall(flight[: len(flight) // 2])  # a real ServerHello, cut in the middle
            time.sleep(0.05)
        end(how)(conn)

    return script


POINTS = [("implicit", "at_accept"), ("implicit", "after_clienthello"), ("implicit", "mid_handshake"),
          ("starttls", "after_220"), ("starttls", "after_clienthello"), ("starttls", "mid_handshake")]


@pytest.mark.parametrize("how", ["reset", "close"])
@pytest.mark.parametrize(("mode", "point"), POINTS)
def test_a_cut_at_any_byte_of_the_tls_start_is_tls_reset(ca: trustme.CA, mode: str, point: str,
                                                          how: str) -> None:
    cert = ca.issue_cert("127.0.0.1")
    with HostileServer(cut_at(point, mode, how, cert)) as server:
        attempt = probe(server.port, mode, TrustingNetwork(ca.cert_pem.bytes().decode()))
        assert server.errors == []
    verdict = classify([attempt], server.port)
    assert (verdict.light, verdict.cause, verdict.where) == ("red", "tls_reset", "unknown"), attempt.steps
    # the connection itself worked: the cut is not blamed on TCP
    assert [s.ok for s in attempt.steps if s.step == "connect"] == [True]


def test_the_carrier_reset_of_2012_names_the_network_when_the_references_are_cut_too(
        ca: trustme.CA) -> None:
    """Every encrypted start cut, at the earliest moment, on the target and the reference
    server alike: red tls_reset, where network, on the implicit and the STARTTLS port."""
    cert = ca.issue_cert("127.0.0.1")
    with HostileServer(cut_at("at_accept", "implicit", "reset", cert)) as implicit, \
            HostileServer(cut_at("after_220", "starttls", "reset", cert)) as starttls:
        config = RunConfig(target="127.0.0.1", host="127.0.0.1",
                           ports=(PortSpec(implicit.port, "implicit"), PortSpec(starttls.port, "starttls")),
                           controls=("127.0.0.1",), timeout=TIMEOUT, families=("ipv4",))
        report = diagnose(config, network=TrustingNetwork(ca.cert_pem.bytes().decode()))
    got = {(c.role, c.port): (c.light, c.cause, c.where) for c in report.checks}
    for port in (implicit.port, starttls.port):
        assert got[("target", port)] == ("red", "tls_reset", "network")
    assert (report.overall["light"], report.overall["cause"], report.overall["where"]) == \
        ("red", "tls_reset", "network")
    assert "encrypted" in report.targets[0].explanation


def test_a_cut_that_wrap_socket_meets_itself_leaves_no_socket_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reset arrives in the moment between the stream's own look and wrap_socket's:
    wrap_socket has taken the descriptor over when it raises; the stream closes what it
    dropped (no ResourceWarning, which this suite turns into a failure) and says reset."""
    import gc
    import time

    from smtpdiag.net import ProbeError, Stream
    from smtpdiag.probe.tls import make_context

    monkeypatch.setattr(Stream, "_raise_if_cut", lambda self: None)  # miss the cut, as in the race
    with HostileServer(reset) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        time.sleep(0.2)  # the reset is here before the handshake starts
        stream = Stream(sock)
        with pytest.raises(ProbeError) as caught:
            stream.start_tls(make_context(), "127.0.0.1", time.monotonic() + 5)
        stream.close()
    assert caught.value.failure in ("reset", "eof")
    gc.collect()  # a dropped, unclosed SSLSocket would warn here


def test_a_reset_before_the_greeting_on_a_starttls_port_is_still_tcp_reset() -> None:
    with HostileServer(reset) as server:
        attempt = probe(server.port, "starttls")
    assert classify([attempt], server.port).cause == "tcp_reset"


# -- hostile certificates -------------------------------------------------------------------


def tls_server(cert_pem: bytes, key_pem: bytes, mode: str) -> Callable[[socket.socket], None]:
    """A mail server speaking TLS with the given certificate, then greeting and QUIT."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    import tempfile

    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as fh:
        fh.write(cert_pem + key_pem)
    ctx.load_cert_chain(fh.name)
    Path(fh.name).unlink()

    def script(conn: socket.socket) -> None:
        if mode == "starttls":
            smtp_until_starttls(conn)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            if mode == "implicit":
                tls.sendall(b"220 hostile.test ESMTP\r\n")
            while True:
                line = read_line(tls)  # type: ignore[arg-type]
                if not line or line.upper().startswith(b"QUIT"):
                    tls.sendall(b"221 bye\r\n")
                    return
                tls.sendall(b"250 hostile.test\r\n")

    return script


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_a_certificate_with_bytes_that_are_not_text_in_a_name(ca: trustme.CA, mode: str) -> None:
    """The verifier accepts it (the name that matters is right); describing it for the
    report must not crash the check: green, and the odd name shown as unreadable."""
    cert_pem, key_pem = hostile_san_certificate(ca)
    with HostileServer(tls_server(cert_pem, key_pem, mode)) as server:
        attempt = probe(server.port, mode, TrustingNetwork(ca.cert_pem.bytes().decode()))
        assert server.errors == []
    verdict = classify([attempt], server.port)
    assert (verdict.light, verdict.cause) == ("green", "ok"), attempt.steps
    assert attempt.tls is not None and "(unreadable)" in attempt.tls.chain[0].san


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_the_same_certificate_untrusted_is_a_red_certificate_cause(ca: trustme.CA, mode: str) -> None:
    cert_pem, key_pem = hostile_san_certificate(ca)
    with HostileServer(tls_server(cert_pem, key_pem, mode)) as server:
        attempt = probe(server.port, mode)  # this computer does not trust the test CA
        assert server.errors == []
    verdict = classify([attempt], server.port)
    assert (verdict.light, verdict.cause, verdict.where) == ("red", "tls_untrusted", "server")
    assert attempt.tls is not None and attempt.tls.chain  # the second look still read it


# -- bugs blame nobody ----------------------------------------------------------------------


class BrokenNetwork(Network):
    """A real network with a programming error in it (what a bug looks like from outside)."""

    def sockaddr(self, address: str, port: int) -> tuple[str, int]:
        raise ZeroDivisionError("division by zero")


def test_an_unexpected_exception_is_internal_error_with_its_traceback_in_the_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smtpdiag.report import logs

    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(tmp_path))
    path = logs.setup_logging(logging.INFO)
    try:
        with HostileServer(lambda conn: None) as server:
            config = RunConfig(target="127.0.0.1", host="127.0.0.1", ports=(PortSpec(server.port, "starttls"),),
                               controls=(), timeout=TIMEOUT, families=("ipv4",))
            report = diagnose(config, network=BrokenNetwork())
    finally:
        logs.stop_logging()
    check = report.targets[0]
    assert (check.light, check.cause, check.where) == ("grey", "internal_error", "unknown")
    assert "cannot judge" in check.explanation and "support" in check.advice
    assert "network" not in check.explanation.split(".")[0]
    log = path.read_text()
    assert "Traceback" in log and "ZeroDivisionError" in log
    assert report.overall["cause"] == "internal_error"


def test_an_internal_error_during_smtpdiag_check_reaches_the_log_file_not_the_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line chooses the log file after the run: the traceback of an error
    during the run is kept until then, and the terminal shows the report only."""
    from smtpdiag import cli
    from smtpdiag.report import logs

    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(Network, "sockaddr", BrokenNetwork.sockaddr)
    try:
        with HostileServer(lambda conn: None) as server:
            code = cli.main(["check", "127.0.0.1", "--port", f"{server.port}:starttls", "--no-control",
                             "--format", "json", "--timeout", str(TIMEOUT)])
    finally:
        logs.stop_logging()
    out, err = capsys.readouterr()
    assert code == 2 and json.loads(out)["overall"]["cause"] == "internal_error"
    assert "Traceback" not in err and "ZeroDivisionError" not in err
    log = (tmp_path / "smtpdiag.log").read_text(encoding="utf-8")
    assert "ERROR smtpdiag: internal error in" in log and "ZeroDivisionError: division by zero" in log
    assert log.index("ZeroDivisionError") < log.index("overall=grey")  # the error, then the run's lines


@pytest.mark.parametrize(("scenario", "words"), [("expired-certificate", r"expired on \d{4}-\d\d-\d\d"),
                                                 ("not-yet-valid", r"valid from \d{4}-\d\d-\d\d")])
def test_an_out_of_date_certificate_says_which_way_and_when(scenario: str, words: str) -> None:
    import re

    from smtpdiag.simnet.world import start_scenario

    with start_scenario(scenario) as sim:
        report = diagnose(sim.config(timeout=TIMEOUT), network=sim.network)
    check = next(c for c in report.targets if c.port == 465)
    assert (check.light, check.cause) == ("red", "tls_expired")
    assert re.search(words, check.explanation), check.explanation
    step = next(s for s in check.steps if s.step == "certificate")
    assert step.failure == ("expired" if "expired" in scenario else "not_yet_valid")
    leaf = check.tls.chain[0] if check.tls else None
    assert leaf is not None
    assert (leaf.not_after if "expired" in scenario else leaf.not_before)[:10] in check.explanation


# -- every step within the run's timeout ----------------------------------------------------


def drip_server(cert: trustme.LeafCert, interval: float) -> Callable[[socket.socket], None]:
    """A STARTTLS server that drips every reply one byte at a time, each reply still
    just inside the timeout, with a certificate this computer does not trust (so that
    the probe takes its second look, which must redo greeting, EHLO and STARTTLS)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)

    def script(conn: socket.socket) -> None:
        from hostile import drip

        drip(conn, b"220 drip.test ESMTP\r\n", interval)
        read_line(conn)
        drip(conn, b"250-drip.test\r\n250 STARTTLS\r\n", interval)
        read_line(conn)
        drip(conn, b"220 go ahead\r\n", interval)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            read_line(tls)  # type: ignore[arg-type]

    return script


def test_a_server_that_drips_every_reply_stays_within_the_budget() -> None:
    timeout, interval = 1.6, 0.04  # the EHLO reply alone takes about 1.2 s
    untrusted = trustme.CA()
    with HostileServer(drip_server(untrusted.issue_cert("127.0.0.1"), interval)) as server:
        t = time.monotonic()
        attempt = probe(server.port, "starttls", timeout=timeout)
        total = time.monotonic() - t
        assert server.errors == []
    steps = {s.step: s for s in attempt.steps}
    assert [s.step for s in attempt.steps] == ["connect", "greeting", "ehlo", "starttls", "tls", "certificate"]
    assert steps["ehlo"].ok and steps["ehlo"].ms > 900  # slow, but within the timeout: no fault
    # no step exceeds the timeout, the second look included (it would need about 3 s)
    assert max(s.ms for s in attempt.steps) <= timeout * 1000 + 150, attempt.steps
    assert total < len(attempt.steps) * timeout
    assert classify([attempt], server.port).cause == "tls_untrusted"
    assert any("could not read the certificate" in line.text for line in attempt.transcript)


def test_a_silent_server_is_spoken_to_within_the_greeting_s_own_time() -> None:
    """No greeting at all: the probe says EHLO (a web proxy may be waiting for a request)
    inside the greeting step, which still ends within the timeout."""
    def silent(conn: socket.socket) -> None:
        read_line(conn)  # the EHLO
        time.sleep(3)

    with HostileServer(silent) as server:
        attempt = probe(server.port, "starttls", timeout=1.0)
    greeting = next(s for s in attempt.steps if s.step == "greeting")
    assert greeting.failure == "timeout" and greeting.ms <= 1150
    assert any(line.dir == "send" and line.text.startswith("EHLO") for line in attempt.transcript)
    assert classify([attempt], server.port).cause == "smtp_silent"


def test_a_greeting_that_comes_late_is_still_a_greeting() -> None:
    """The greeting arrives after the probe has said EHLO: the EHLO is answered once."""
    def late(conn: socket.socket) -> None:
        time.sleep(0.85)
        conn.sendall(b"220 late.test ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"250-late.test\r\n250 STARTTLS\r\n")
        read_line(conn)
        conn.sendall(b"454 TLS not available\r\n")
        read_line(conn)

    with HostileServer(late) as server:
        attempt = probe(server.port, "starttls", timeout=1.0)
    assert [(s.step, s.ok) for s in attempt.steps][:3] == [("connect", True), ("greeting", True), ("ehlo", True)]
    assert sum(1 for line in attempt.transcript if line.dir == "send" and line.text.startswith("EHLO")) == 1
    assert classify([attempt], server.port).cause == "starttls_failed"


class BrokenForIPv6(Network):
    """Both families resolve; the IPv6 attempt meets a programming error."""

    def resolve(self, host: str, family: str, timeout: float,
                cancel: threading.Event | None = None) -> list[str]:
        return ["127.0.0.1"] if family == "ipv4" else ["::1"]

    def sockaddr(self, address: str, port: int) -> tuple[str, int]:
        if ":" in address:
            raise ValueError("error parsing asn1 value")
        return (address, port)


def test_a_dual_stack_host_whose_ipv6_attempt_breaks_is_internal_error_not_a_vanished_family() -> None:
    def greet(conn: socket.socket) -> None:
        conn.sendall(b"220 ok.test ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"250 ok.test\r\n")
        read_line(conn)

    with HostileServer(greet) as server:
        config = RunConfig(target="dual.test", host="dual.test", ports=(PortSpec(server.port, "starttls"),),
                           controls=(), timeout=TIMEOUT, families=("ipv4", "ipv6"))
        report = diagnose(config, network=BrokenForIPv6())
    check = report.targets[0]
    assert [a.family for a in check.attempts] == ["ipv4", "ipv6"]
    assert (check.light, check.cause, check.where) == ("grey", "internal_error", "unknown")
    assert "ValueError" in check.steps[-1].detail


def test_a_vpn_probe_step_stays_within_the_timeout_however_often_it_asks(ca: trustme.CA) -> None:
    """An SSL VPN port whose TLS works but which never answers: the SSTP probe asks, connects
    again and asks as AnyConnect, all inside one probe step of at most the timeout."""
    from smtpdiag.probe.vpn import probe_vpn

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)

    def silent_tls(conn: socket.socket) -> None:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(3)
            try:
                tls.recv(4096)
                time.sleep(3)
            except OSError:
                pass

    timeout = 1.0
    with HostileServer(silent_tls) as server:
        t = time.monotonic()
        steps, _transcript = probe_vpn(TrustingNetwork(ca.cert_pem.bytes().decode()), "127.0.0.1", "sstp",
                                       server.port, timeout, threading.Event())
        total = time.monotonic() - t
    assert [s.step for s in steps] == ["connect", "probe"]
    assert steps[-1].failure == "no_answer"
    assert max(s.ms for s in steps) <= timeout * 1000 + 150, steps
    assert total < len(steps) * timeout + 0.3
