"""The clock check: one SNTP packet to a time server when a certificate looks out of
date, and the words "your computer's clock is N days off" / "your clock is right, the
certificate really expired on DATE".  Only loopback time servers (tests/sntp_server.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sntp_server import SntpServer

from smtpdiag.net import Network, ProbeError
from smtpdiag.probe.clock import BadReply, parse_sntp_reply, query_offset, sntp_request
from smtpdiag.report.layout import environment_rows
from smtpdiag.report.model import diagnose
from smtpdiag.simnet.network import Endpoint
from smtpdiag.simnet.world import start_scenario

DAY = 86400


pytestmark = pytest.mark.usefixtures("english")


def test_offset_from_a_reply_is_the_mean_of_both_ways() -> None:
    request = sntp_request(1000.0)
    assert request[0] == 0x23 and len(request) == 48  # version 4, client
    from sntp_server import ntp_timestamp

    # the server's clock is 50 s ahead; 0.2 s each way on the wire
    reply = bytes([0x24, 1, 0, 0]) + bytes(20) + request[40:48] + ntp_timestamp(1050.2) + ntp_timestamp(1050.3)
    assert parse_sntp_reply(reply, request, 1000.0, 1000.5) == pytest.approx(50.0, abs=1e-3)
    with pytest.raises(BadReply):
        parse_sntp_reply(reply[:30], request, 1000.0, 1000.5)
    with pytest.raises(BadReply):
        parse_sntp_reply(bytes([0x24, 0]) + reply[2:], request, 1000.0, 1000.5)  # kiss of death
    with pytest.raises(BadReply):
        parse_sntp_reply(bytes([0x23]) + reply[1:], request, 1000.0, 1000.5)  # not mode 4
    with pytest.raises(BadReply):
        parse_sntp_reply(reply, sntp_request(2000.0), 1000.0, 1000.5)  # someone else's answer


def test_one_packet_to_a_loopback_time_server() -> None:
    with SntpServer(offset_s=3 * DAY) as server:
        offset = query_offset(Network(), server.address, 2.0, threading.Event())
        assert len(server.requests) == 1
    assert offset == pytest.approx(3 * DAY, abs=2)


@pytest.mark.parametrize(("reply", "failure"), [("silent", "timeout"), ("kiss", "bad"), ("short", "bad")])
def test_a_time_server_that_does_not_help_ends_within_the_timeout(reply: str, failure: str) -> None:
    with SntpServer(reply=reply) as server:
        t = time.monotonic()
        with pytest.raises((ProbeError, BadReply)) as caught:
            query_offset(Network(), server.address, 0.5, threading.Event())
        assert time.monotonic() - t < 1.5
    if failure == "timeout":
        assert isinstance(caught.value, ProbeError) and caught.value.failure == "timeout"
    else:
        assert isinstance(caught.value, BadReply)


def _run_expired(scenario: str, offset_s: float | None) -> tuple[object, object]:
    """The scenario with its time server replaced by the tests' own (or none at all)."""
    with start_scenario(scenario) as sim, SntpServer(offset_s=offset_s or 0.0) as server:
        sim.network.add_host("clock.test.example", "192.0.2.124")
        sim.network.add_route("192.0.2.124", 123, Endpoint("127.0.0.1", server.port), "udp")
        config = sim.config(timeout=1.5, time_server="clock.test.example" if offset_s is not None else None)
        report = diagnose(config, network=sim.network)
        asked = len(server.requests)
    return report, asked


def test_clock_right_certificate_really_expired() -> None:
    report, asked = _run_expired("expired-certificate", 0.0)
    assert asked == 1  # one packet for the whole run
    check = next(c for c in report.targets if c.port == 465)  # type: ignore[attr-defined]
    expired_on = check.tls.chain[0].not_after[:10]
    assert check.explanation == (f"The server's certificate (its proof of identity) expired on {expired_on}. This "
                                 "computer's clock is right (a time server agrees), so the certificate really "
                                 "has expired.")
    assert f"tell your mail provider that their certificate expired on {expired_on}" in check.advice
    clock = report.environment["clock"]  # type: ignore[attr-defined]
    assert clock["text"].startswith("right: the time server clock.test.example agrees")
    assert ("Clock check", clock["text"]) in environment_rows(report)


def test_clock_wrong_says_how_many_days_off() -> None:
    now = dt.datetime.now(dt.UTC)
    # a time server whose "now" is inside the certificate's validity: this computer is 60 days ahead
    report, _asked = _run_expired("expired-certificate", -60 * DAY)
    check = next(c for c in report.targets if c.port == 465)  # type: ignore[attr-defined]
    true_date = (now - dt.timedelta(days=60)).strftime("%Y-%m-%d")
    assert check.explanation.startswith(f"This computer's clock is 60 days ahead (a time server says today is {true_date})")
    assert check.advice.startswith("Set this computer's date and time right")
    assert "60 days ahead" in report.environment["clock"]["text"]  # type: ignore[attr-defined]


def test_not_yet_valid_with_the_clock_right_and_without_a_time_server() -> None:
    report, _asked = _run_expired("not-yet-valid", 0.0)
    check = next(c for c in report.targets if c.port == 587)  # type: ignore[attr-defined]
    assert "really is not valid yet" in check.explanation
    report, asked = _run_expired("not-yet-valid", None)
    check = next(c for c in report.targets if c.port == 587)  # type: ignore[attr-defined]
    assert asked == 0 and "clock" not in report.environment  # type: ignore[attr-defined]
    assert check.explanation.endswith("by this computer's clock.")


def test_no_time_server_is_asked_when_no_certificate_looks_out_of_date() -> None:
    with start_scenario("healthy") as sim, SntpServer() as server:
        sim.network.add_host("clock.test.example", "192.0.2.124")
        sim.network.add_route("192.0.2.124", 123, Endpoint("127.0.0.1", server.port), "udp")
        report = diagnose(sim.config(timeout=1.5, time_server="clock.test.example"), network=sim.network)
        assert server.requests == []
    assert "clock" not in report.environment
