"""What a report discloses, and the anonymised copy for sharing it."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import jsonschema
import pytest

from smtpdiag.records import Attempt, CertInfo, Check, Step, TlsInfo, TranscriptLine
from smtpdiag.report.html import render_html
from smtpdiag.report.model import Report, diagnose, render_text, with_words
from smtpdiag.report.privacy import Anonymiser, anonymise, disclosure
from smtpdiag.report.support import support_summary
from smtpdiag.simnet import scenarios
from smtpdiag.simnet.world import start_scenario

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "smtpdiag" / "data" / "report.schema.json").read_text())

TARGET = "Mail.Example.COM"
HOST = "mail.example.com"
V4, V6 = "192.0.2.10", "2001:db8::10"
CLIENT_IP = "203.0.113.99"  # the customer's public address, echoed by the server
CONTROL, CONTROL_V4 = "smtp.provider.test", "198.51.100.20"
USER = "alice@example.com"
ORIGINALS = [HOST, "example.com", V4, V6, "2001:0db8:0000::10", CLIENT_IP, CONTROL, CONTROL_V4, USER, "alice",
             "relay7", "vpn.example.org", "192.0.2.50", "bücher.example", "xn--bcher-kva.example", "ab" * 32]


def _check(id_: str, role: str, host: str, address: str, port: int, cause: str, light: str, where: str,
           transcript: tuple[TranscriptLine, ...] = (), tls: TlsInfo | None = None,
           extra_steps: tuple[Step, ...] = ()) -> Check:
    steps = (Step("resolve", True, 2, f"{host} -> {address}, {V6 if role == 'target' else address}"),
             Step("connect", True, 10, f"connected to {address}:{port}"), *extra_steps)
    attempts = (Attempt("ipv4", address, steps, transcript, tls),
                Attempt("ipv6", "2001:0db8:0000::10", (Step("connect", False, 5, "[2001:db8::10]:587 unreachable",
                                                             "unreachable"),)))
    return with_words(Check(id_, "smtp", role, host, port, "starttls", None, address, light, cause, where,  # type: ignore[arg-type]
                            steps=steps, transcript=transcript, tls=tls, attempts=attempts))


def private_report() -> Report:
    transcript = (
        TranscriptLine(0, "note", f"connecting to {V4}:587 (starttls)"),
        TranscriptLine(5, "recv", "220 relay7 ESMTP ready"),
        TranscriptLine(6, "send", "EHLO smtpdiag.invalid"),
        TranscriptLine(7, "recv", f"250-{HOST} Hello [{CLIENT_IP}]"),
        TranscriptLine(7, "recv", "250 STARTTLS"),
        TranscriptLine(30, "send", "AUTH PLAIN <redacted>", True),
        TranscriptLine(40, "recv", f"535 5.7.8 authentication failed for {USER} from {CLIENT_IP}", True),
    )
    leaf = CertInfo(f"CN={HOST},O=Example Mail", "CN=Example CA", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
                    "ab" * 32, (HOST, "*.example.com", V4, "Bücher.example"))
    tls = TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", False, f"Hostname mismatch, certificate is not valid for '{HOST}'.",
                  (leaf,))
    checks = [
        _check("target-587", "target", HOST, V4, 587, "auth_failed", "red", "input", transcript, tls,
               (Step("auth", False, 10, f"AUTH PLAIN answered 535 authentication failed for {USER}", "failed"),)),
        _check("target-465", "target", "xn--bcher-kva.example", V4, 465, "dns_not_found", "red", "input"),
        _check("control1-587", "control", CONTROL, CONTROL_V4, 587, "ok", "green", "none"),
        with_words(Check("vpn-ike", "vpn", "target", "vpn.example.org", 500, None, "ike", "192.0.2.50", "green",
                         "vpn_reachable", "none", steps=(Step("probe", True, 5, "answer from 192.0.2.50:500"),))),
    ]
    return Report(
        created="2026-11-28T10:00:00Z",
        input={"target": TARGET, "ports": ["587:starttls", "465:implicit"], "vpn": "vpn.example.org",
               "control": [CONTROL], "timeout": 10.0, "user": USER},
        environment={"os": "macOS 15.1", "vpn_active": True, "ip_families": ["ipv4"], "vpn_interfaces": ["utun3"]},
        overall={"light": "red", "cause": "auth_failed", "where": "input",
                 "summary": f"Login to {HOST} was refused.", "advice": "Check your user name."},
        checks=checks, report_id="feedc0ffee00", language="en")


def assert_nothing_private(text: str, originals: list[str]) -> None:
    low = text.lower()
    for original in originals:
        assert original.lower() not in low, f"{original!r} survived anonymising"


# -- disclosure --------------------------------------------------------------------------------


def test_disclosure_lists_what_the_report_contains() -> None:
    sentences = disclosure(private_report())
    text = "\n".join(sentences)
    assert all(s.endswith(".") and s[0].isupper() for s in sentences)
    for fact in (TARGET, V4, CONTROL, "vpn.example.org", "macOS 15.1", "IPv4", "utun3", USER):
        assert fact in text, fact
    assert "VPN was active" in text
    assert "password is not in the report" in text
    assert "public internet address" in text  # the server's answer can echo it


def test_disclosure_without_login_or_vpn() -> None:
    report = private_report()
    report.input["user"] = None
    report.environment.update(vpn_active=False, ip_families=["ipv4", "ipv6"])
    text = "\n".join(disclosure(report))
    assert "No login was tried" in text and USER not in text
    assert "no VPN was active" in text and "IPv4 and IPv6" in text


# -- anonymise -------------------------------------------------------------------------------------


def test_anonymised_copy_hides_every_name_address_and_the_login() -> None:
    report = private_report()
    before = report.dumps()
    anon = anonymise(report)
    assert report.dumps() == before, "the original report is left alone"
    jsonschema.validate(json.loads(anon.dumps()), SCHEMA)
    for rendering in (anon.dumps(), render_html(anon), render_text(anon), support_summary(anon),
                      "\n".join(disclosure(anon))):
        assert_nothing_private(rendering, ORIGINALS)
    # Structure, codes and words stay.
    assert [(c.id, c.kind, c.role, c.port, c.light, c.cause, c.where) for c in anon.checks] == \
           [(c.id, c.kind, c.role, c.port, c.light, c.cause, c.where) for c in report.checks]
    assert anon.report_id == report.report_id and anon.created == report.created
    assert anon.environment["os"] == "macOS 15.1"
    assert "EHLO smtpdiag.invalid" in anon.dumps()  # smtpdiag's own name is nobody's


def test_anonymised_names_are_consistent() -> None:
    anon = anonymise(private_report())
    target, idn, control = anon.checks[0], anon.checks[1], anon.checks[2]
    vpn = anon.checks[3]
    # The checked server is server-1 everywhere, whatever its spelling.
    assert anon.input["target"] == target.host == "server-1"
    assert anon.overall["summary"] == "Login to server-1 was refused."
    assert target.tls is not None
    leaf = target.tls.chain[0]
    assert leaf.subject == "CN=server-1,O=Example Mail"
    assert leaf.san[0] == "server-1" and leaf.san[2] == target.address
    assert re.fullmatch(r"\*\.server-\d+", leaf.san[1])
    assert leaf.sha256 == "fingerprint-1"
    assert "server-1" in (target.tls.error or "")
    # One address, one stand-in: in the check, its steps and its transcript.
    assert target.address == "address-1" and control.address != target.address
    assert "connected to address-1:587" in target.steps[1].detail
    assert target.transcript[0].text == "connecting to address-1:587 (starttls)"
    client = re.search(r"Hello \[(address-\d+)\]", target.transcript[3].text)
    assert client and client.group(1) not in ("address-1",)
    assert client.group(1) in target.transcript[6].text  # the same client address later on
    assert target.attempts[1].address == re.search(r"(address-\d+)", target.steps[0].detail.split(",")[1]).group(1)  # type: ignore[union-attr]
    # IDN: the typed Unicode name and its A-label are the same server.
    assert idn.host == leaf.san[3] == "server-2"
    # The reference server comes after the target's hosts; the VPN server after it.
    assert anon.input["control"] == [control.host] and control.host == "server-3"
    assert re.fullmatch(r"server-\d+", vpn.host) and vpn.host == anon.input["vpn"]
    # The login name is user-1, also where the server echoed it.
    assert anon.input["user"] == "user-1"
    assert "failed for user-1 from address-" in target.transcript[6].text
    assert "for user-1" in target.steps[-1].detail
    # The single-label name in the greeting is known from its place and replaced.
    assert re.fullmatch(r"220 server-\d+ ESMTP ready", target.transcript[1].text)


def test_anonymiser_text_rules() -> None:
    a = Anonymiser(login="bob")
    a.host("mx.example.net")
    cases = {
        "250-mx.example.net Hello": "250-server-1 Hello",
        "MX.Example.NET.": "server-1.",
        "[2001:DB8:0:0::1]:25": "[address-1]:25",
        "2001:db8::1 and 192.0.2.1": "address-1 and address-2",
        "::ffff:192.0.2.1": "address-3",
        "TLSv1.3 TLS_AES_256_GCM_SHA384 5.7.8 1.2.3.4.5": "TLSv1.3 TLS_AES_256_GCM_SHA384 5.7.8 1.2.3.4.5",
        "at 10:00:00Z, fingerprint aa:bb:cc:dd:ee:ff": "at 10:00:00Z, fingerprint aa:bb:cc:dd:ee:ff",
        "EHLO smtpdiag.invalid": "EHLO smtpdiag.invalid",
        "user bob logged in, bobby did not": "user user-1 logged in, bobby did not",
        "carol@mx.example.net": "user-2@server-1",
    }
    for text, expected in cases.items():
        assert a.text(text) == expected, text


# -- real reports of the simulated network -----------------------------------------------------------


@pytest.mark.parametrize("name", ["login", "antivirus-intercept", "ipv6-broken"])
def test_anonymised_scenario_reports_keep_nothing_private(name: str) -> None:
    with start_scenario(name) as sim:
        report = diagnose(sim.config(timeout=1.5), network=sim.network)
    originals = [scenarios.TARGET, *scenarios.CONTROLS, "example.net", "reference-one", "reference-two"]
    originals += [a for pair in scenarios.ADDRESSES.values() for a in pair]
    if report.input.get("user"):
        originals.append(str(report.input["user"]))
    anon = anonymise(report)
    jsonschema.validate(json.loads(anon.dumps()), SCHEMA)
    assert_nothing_private(anon.dumps(), originals)
    assert_nothing_private(render_html(anon), originals)
    assert [(c.id, c.light, c.cause) for c in anon.checks] == [(c.id, c.light, c.cause) for c in report.checks]
    assert anon.input["target"] == anon.checks[0].host == "server-1"
    # The report never names this computer.
    me = socket.gethostname()
    if len(me) > 3 and me.lower() not in ("localhost", "linux", "debian", "ubuntu"):
        assert me.lower() not in report.dumps().lower()
