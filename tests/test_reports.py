"""Reports for support tickets: JSON schema, HTML, "copy for support", logs, PDF.

Reports come from three sources: a real check against loopback aiosmtpd servers
(one of which greets with hostile text), a hand-built report covering every
section (reference servers, VPN rows, IPv6 attempts, an active VPN, hostile
server text), and, when the simulated network exists, a few demo scenarios.
Every one of them must validate against smtpdiag/data/report.schema.json.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from smtpdiag.causes import CAUSES, LIGHT_WORDS, explain
from smtpdiag.config import PortSpec, RunConfig
from smtpdiag.records import Attempt, CertInfo, Check, Step, TlsInfo, TranscriptLine
from smtpdiag.report.html import PRINT_SHAPES, plain, render_html, render_print_html
from smtpdiag.report.model import Report, diagnose, render_text, summarise, with_words
from smtpdiag.report.support import support_summary
from smtpdiag.simnet.world import start_scenario
from smtpdiag.verdict import overall

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "smtpdiag" / "data" / "report.schema.json"  # the only copy
CONTRACT = ROOT / "docs" / "contract.md"  # the project's copy of the contract

HOSTILE = '<script>alert("owned")</script> </pre><img src=x onerror=alert(1)> & \u202eevil'


# -- helpers ---------------------------------------------------------------------------


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def assert_valid(data: object) -> None:
    errors = sorted(validator().iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(doc: str) -> TagCollector:
    p = TagCollector()
    p.feed(doc)
    p.close()
    return p


# -- a real check against loopback servers ---------------------------------------------------


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A STARTTLS server that greets with hostile text, an implicit-TLS server, a closed port."""
    trustme = pytest.importorskip("trustme")
    from aiosmtpd.controller import Controller

    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(tls)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    class Handler:
        pass

    starttls_port, implicit_port, closed = free_port(), free_port(), free_port()
    starttls = Controller(Handler(), hostname="127.0.0.1", port=starttls_port, tls_context=tls,
                          require_starttls=False, ident=HOSTILE)
    implicit = Controller(Handler(), hostname="127.0.0.1", port=implicit_port, ssl_context=tls)
    starttls.start()
    implicit.start()
    try:
        yield {"ca_file": str(ca_file), "starttls": starttls_port, "implicit": implicit_port, "closed": closed}
    finally:
        starttls.stop()
        implicit.stop()


@pytest.fixture(scope="module")
def real_report(loopback: dict[str, object]) -> Report:
    config = RunConfig(
        target="127.0.0.1", host="127.0.0.1",
        ports=(PortSpec(int(loopback["starttls"]), "starttls"), PortSpec(int(loopback["implicit"]), "implicit"),
               PortSpec(int(loopback["closed"]), "starttls")),
        controls=(), timeout=3.0, ca_file=str(loopback["ca_file"]))
    report = diagnose(config)
    assert [c.cause for c in report.checks] == ["ok", "ok", "tcp_refused"], [c.steps for c in report.checks]
    return report


# -- a hand-built report with every section --------------------------------------------------

LEAF = CertInfo("CN=mail.example.com,O=Example Mail", "CN=Example CA,O=Example", "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z", "ab" * 32, ("mail.example.com", "*.example.com"))
ROOT_CERT = CertInfo("CN=Example CA,O=Example", "CN=Example CA,O=Example", "2020-01-01T00:00:00Z",
                     "2040-01-01T00:00:00Z", "cd" * 32, (), True)


def _smtp(id_: str, role: str, host: str, port: int, mode: str, light: str, cause: str, where: str,
          address: str = "192.0.2.10", greeting: str = "220 mail.example.com ESMTP", **extra: object) -> Check:
    steps = (Step("resolve", True, 3, f"{host} -> {address}"), Step("connect", True, 20, f"connected to {address}:{port}"),
             Step("greeting", True, 40, greeting))
    transcript = (TranscriptLine(0, "note", f"connecting to {address}:{port} ({mode})"),
                  TranscriptLine(40, "recv", greeting), TranscriptLine(41, "send", "EHLO smtpdiag.invalid"),
                  TranscriptLine(60, "recv", "250-mail.example.com Hello [203.0.113.99]"),
                  TranscriptLine(61, "recv", "250 STARTTLS"),
                  TranscriptLine(90, "send", "EHLO smtpdiag.invalid", True),
                  TranscriptLine(95, "send", "AUTH PLAIN <redacted>", True),
                  TranscriptLine(99, "recv", "235 2.7.0 Authentication successful", True))
    check = Check(id_, "smtp", role, host, port, mode, None, address, light, cause, where, duration_ms=123,  # type: ignore[arg-type]
                  steps=steps, transcript=transcript, attempts=(Attempt("ipv4", address, steps, transcript),),
                  **extra)  # type: ignore[arg-type]
    return with_words(check)


def rich_report() -> Report:
    tls = TlsInfo("TLSv1.3", "TLS_AES_256_GCM_SHA384", True, None, (LEAF, ROOT_CERT))
    failed_v6 = Attempt("ipv6", "2001:db8::10", (Step("connect", False, 10000, "timed out", "timeout"),))
    checks = [
        _smtp("target-25", "target", "mail.example.com", 25, "starttls", "red", "tcp_timeout", "network"),
        _smtp("target-465", "target", "mail.example.com", 465, "implicit", "green", "ok", "none", tls=tls),
        _smtp("target-587", "target", "mail.example.com", 587, "starttls", "amber", "ip_family_partial", "network",
              greeting="220 " + HOSTILE),
        _smtp("target-2525", "target", "mail.example.com", 2525, "starttls", "amber", "tls_self_signed", "server",
              tls=TlsInfo("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", False, "self-signed certificate", (ROOT_CERT,))),
        _smtp("control1-587", "control", "smtp.gmail.com", 587, "starttls", "green", "ok", "none",
              address="198.51.100.20"),
        _smtp("control1-25", "control", "smtp.gmail.com", 25, "starttls", "red", "tcp_timeout", "network",
              address="198.51.100.20"),
    ]
    checks[2] = checks[2].with_(attempts=checks[2].attempts + (failed_v6,))
    for proto, port, light, cause in (("ike", 500, "green", "vpn_reachable"), ("wireguard", 51820, "grey", "vpn_unverifiable"),
                                      ("pptp", 1723, "red", "vpn_refused")):
        checks.append(with_words(Check(f"vpn-{proto}", "vpn", "target", "vpn.example.com", port, None, proto,
                                       "192.0.2.50", light, cause, "unknown" if cause != "vpn_reachable" else "none",  # type: ignore[arg-type]
                                       steps=(Step("probe", light == "green", 30, "probe sent"),))))
    summary, advice = summarise(checks)
    v = overall(checks)
    return Report(
        created="2026-11-28T10:00:00Z",
        input={"target": "mail.example.com", "ports": ["25:starttls", "465:implicit", "587:starttls", "2525:starttls"],
               "vpn": "vpn.example.com", "control": ["smtp.gmail.com"], "timeout": 10.0, "user": "alice@example.com"},
        environment={"os": "Windows 11", "vpn_active": True, "ip_families": ["ipv4", "ipv6"],
                     "vpn_interfaces": ["tun0"], "default_route_via_vpn": True},
        overall={"light": v.light, "cause": v.cause, "where": v.where, "summary": summary, "advice": advice},
        checks=checks, report_id="0123456789ab", language="en")


def scenario_report(name: str) -> Report:
    with start_scenario(name) as sim:
        return diagnose(sim.config(timeout=1.5), network=sim.network)


# -- the schema --------------------------------------------------------------------------------


def test_schema_is_draft_2020_12_and_knows_every_cause() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["$defs"]["cause"]["enum"]) == set(CAUSES)


def test_schema_allows_unknown_fields_and_refuses_broken_reports() -> None:
    data = rich_report().to_json()
    data["future_field"] = {"x": 1}
    data["overall"]["future"] = True
    data["checks"][0]["future"] = [1, 2]
    data["checks"][0]["steps"][0]["future"] = "y"
    data["environment"]["future"] = None
    assert_valid(data)
    v = validator()
    for breaks in (
        lambda d: d.pop("checks"),
        lambda d: d.__setitem__("schema", "smtpdiag.report/2"),
        lambda d: d["checks"][0].__setitem__("light", "blue"),
        lambda d: d["checks"][0].__setitem__("cause", "no_such_cause"),
        lambda d: d["checks"][0].__setitem__("port", 70000),
        lambda d: d["checks"][0].pop("explanation"),
        lambda d: d["input"].__setitem__("password", "secret"),
        lambda d: d["checks"][-1].pop("protocol"),  # a VPN check names its protocol
    ):
        broken = json.loads(json.dumps(data))
        breaks(broken)
        assert not v.is_valid(broken)


def test_contract_example_validates() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    block = text.split("## 4. Report (JSON)", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert_valid(json.loads(block))


def test_real_and_built_reports_validate(real_report: Report) -> None:
    from smtpdiag.report.privacy import anonymise

    for report in (real_report, rich_report()):
        assert_valid(json.loads(report.dumps()))
        assert_valid(json.loads(anonymise(report).dumps()))


# -- faithful record: JSON round trip -------------------------------------------------------------


def test_round_trip_keeps_rows_lights_and_words(real_report: Report) -> None:
    for report in (real_report, rich_report()):
        again = Report.loads(report.dumps())
        assert [(c.id, c.light, c.cause, c.where, c.explanation, c.advice) for c in again.checks] == \
               [(c.id, c.light, c.cause, c.where, c.explanation, c.advice) for c in report.checks]
        assert again.overall == report.overall
        assert again.checks == report.checks
        # What people see is the same, byte for byte.
        assert render_html(again) == render_html(report)
        assert render_text(again) == render_text(report)
        assert support_summary(again) == support_summary(report)


# -- HTML ---------------------------------------------------------------------------------------

ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "main", "footer", "h1", "h2", "h3",
                "h4", "p", "section", "div", "span", "strong", "code", "pre", "table", "thead", "tbody", "tr", "th",
                "td", "dl", "dt", "dd", "details", "summary", "a", "svg", "circle", "path"}


def assert_self_contained(doc: str) -> None:
    low = doc.lower()
    assert "<script" not in low
    assert "<link" not in low
    assert "<img" not in low and "<iframe" not in low and "<object" not in low and "<embed" not in low
    assert not re.search(r"""(src|href|action|xlink:href)\s*=\s*["']?\s*(https?:|//|file:|data:text)""", low)
    assert "@import" not in low and "url(" not in low
    tags = parse(doc).tags
    assert {t for t, _a in tags} <= ALLOWED_TAGS, {t for t, _a in tags} - ALLOWED_TAGS
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if "href" in attrs:
            assert (attrs["href"] or "").startswith("#"), attrs


def test_html_is_self_contained_and_shows_every_check(real_report: Report) -> None:
    for report in (real_report, rich_report()):
        doc = render_html(report)
        assert_self_contained(doc)
        assert doc.startswith("<!DOCTYPE html>")
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in doc
        assert "@media print" in doc and "prefers-color-scheme:dark" in doc
        assert "Content-Security-Policy" in doc and "default-src 'none'" in doc
        text = "".join(parse(doc).text)
        for c in report.checks:
            assert f"<code>{c.cause}</code>" in doc
            assert html.escape(plain(c.explanation)) in doc, c.id
            assert html.escape(plain(c.advice)) in doc, c.id
            assert f'id="check-{c.id}"' in doc
        for light in {c.light for c in report.checks}:
            assert f'class="light light-{light}"' in doc
            assert LIGHT_WORDS[light] in text
        assert html.escape(plain(report.overall["summary"])) in doc
        assert html.escape(plain(report.overall["advice"])) in doc
        assert report.report_id in doc


def test_html_order_summary_then_targets_then_references_then_vpn() -> None:
    doc = render_html(rich_report())
    positions = [doc.index(s) for s in ('class="verdict', 'id="check-target-25"', 'id="check-target-2525"',
                                        'id="check-control1-587"', 'id="check-vpn-ike"')]
    assert positions == sorted(positions)
    assert "a VPN was active on this computer" in doc
    assert "Windows 11" in doc and "2026-11-28 10:00:00 UTC" in doc


def test_html_escapes_hostile_server_text(real_report: Report) -> None:
    for report in (real_report, rich_report()):
        assert any("<script>" in t.text for c in report.checks for t in c.transcript), "the hostile greeting is recorded"
        doc = render_html(report)
        assert "<script" not in doc.lower() and "<img" not in doc.lower()
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in doc
        assert "&lt;/pre&gt;" in doc and "</pre><img" not in doc
        assert "\u202e" not in doc and "\\u202e" in doc  # a bidi override is shown, not obeyed
        assert_self_contained(doc)
        printable = render_print_html(report)
        assert "<script" not in printable.lower() and "<img" not in printable.lower()


def test_html_lang_follows_report_language() -> None:
    report = rich_report()
    report.language = "de"
    assert '<html lang="de">' in render_html(report)
    report.language = 'x"><script>'
    assert '<html lang="en">' in render_html(report)


def test_each_light_has_its_own_shape_and_its_word() -> None:
    from smtpdiag.report.html import light_badge, light_icon

    shapes = {}
    for light in ("green", "amber", "red", "grey"):
        icon = light_icon(light)
        assert icon.startswith("<svg") and 'aria-hidden="true"' in icon
        shapes[light] = re.sub(r'(fill|stroke)="#[0-9a-f]+"', "", icon.replace(light, "L"))
        assert LIGHT_WORDS[light] in light_badge(light)
    assert len(set(shapes.values())) == 4, "two lights differ only by colour"
    assert len(set(PRINT_SHAPES.values())) == 4


def test_plain_shows_control_characters() -> None:
    assert plain("a\x00b\x1bc\u202ed\u200be\tf\ng") == "a\\x00b\\x1bc\\u202ed\\u200be\tf\ng"


# -- "copy for support" ---------------------------------------------------------------------------


def test_support_summary_is_short_and_complete(real_report: Report) -> None:
    report = rich_report()
    text = support_summary(report)
    assert len(text) < 1000, len(text)
    lines = text.splitlines()
    assert report.report_id in lines[0]
    assert "PROBLEM" in lines[1] or "WARNING" in lines[1] or "OK" in lines[1]
    targets = [c for c in report.checks if c.role == "target" and c.kind == "smtp"]
    port_lines = [line for line in lines if line.startswith("- ")]
    assert len(port_lines) == len(targets) == 4
    for c, line in zip(targets, port_lines, strict=True):
        assert f"Port {c.port} " in line and f"({c.cause})" in line and LIGHT_WORDS[c.light] in line
    assert "smtpdiag 0.1.0" in text and "2026-11-28 10:00:00 UTC" in text and "VPN" in text
    assert "smtp.gmail.com" not in text and "vpn-ike" not in text  # only the target's ports
    assert support_summary(real_report).count("\n") == 3 + len(real_report.targets)


def test_support_summary_stays_short_with_the_longest_words() -> None:
    longest = max(CAUSES, key=lambda code: len(explain(code, "network", port=2525, host="x" * 40)[0]))
    report = rich_report()
    targets = [with_words(c.with_(cause=longest, light="red", where="network")) for c in report.targets[:4]]
    report.checks = targets
    report.overall["summary"] = " ".join(c.explanation for c in targets)
    text = support_summary(report)
    assert len(text) < 1000, (len(text), text)
    assert text.count(f"({longest})") == 4


# -- logs ----------------------------------------------------------------------------------------


@pytest.fixture
def log_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from smtpdiag.report import logs

    folder = tmp_path / "logs"
    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(folder))
    yield folder
    logs.stop_logging()


def test_logs_go_to_the_override_folder_and_rotate(log_folder: Path, real_report: Report,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from smtpdiag.report import logs

    path = logs.setup_logging()
    assert path == log_folder / "smtpdiag.log"
    assert logs.setup_logging() == path
    logs.log_report(real_report)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(real_report.checks)
    assert real_report.report_id in lines[0] and "overall=green" in lines[0]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO smtpdiag: run ", lines[0])
    for c, line in zip(real_report.checks, lines[1:], strict=True):
        assert c.id in line and f"cause={c.cause}" in line
    assert not any("<script>" in line for line in lines)  # server text is not logged
    # 1 MB (here 20 kB), then the file moves to .1 (and .1 to .2 ...), five old files at most.
    from smtpdiag import runlog

    assert (runlog.MAX_BYTES, runlog.BACKUP_COUNT) == (1_000_000, 5)
    monkeypatch.setattr(runlog, "MAX_BYTES", 20_000)
    size = path.stat().st_size
    for _ in range(6 * (20_000 // size + 1)):
        logs.log_report(real_report)
    assert sorted(p.name for p in log_folder.iterdir()) == [
        "smtpdiag.log", *(f"smtpdiag.log.{i}" for i in range(1, 6))]
    assert all(p.stat().st_size <= 20_000 for p in log_folder.iterdir())


@pytest.mark.parametrize("xdg_state", [None, "", "  ", "/tmp/state-here"])
def test_log_dir_defaults_to_the_platform_folder(monkeypatch: pytest.MonkeyPatch, xdg_state: str | None) -> None:
    """The log folder is platformdirs' user_log_dir, whose rule for Linux and macOS
    smtpdiag writes out itself (start-up time)."""
    import platformdirs
    import platformdirs.macos
    import platformdirs.unix

    from smtpdiag.report import logs

    monkeypatch.delenv("SMTPDIAG_LOG_DIR", raising=False)
    if xdg_state is None:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_STATE_HOME", xdg_state)
    assert logs.log_dir() == Path(platformdirs.user_log_dir("smtpdiag", "smtpdiag"))
    assert logs.log_dir("linux") == Path(platformdirs.unix.Unix("smtpdiag", "smtpdiag").user_log_dir)
    assert logs.log_dir("darwin") == Path(platformdirs.macos.MacOS("smtpdiag", "smtpdiag").user_log_dir)


def test_report_modules_import_without_qt() -> None:
    code = ("import sys; import smtpdiag.report.html, smtpdiag.report.support, smtpdiag.report.privacy, smtpdiag.report.logs; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=30)


# -- scenarios of the simulated network -------------------------------------------------------------


@pytest.mark.parametrize("name", ["healthy", "hostile", "antivirus-intercept", "captive-portal", "login"])
def test_scenario_reports_validate_and_render(name: str) -> None:
    from smtpdiag.report.privacy import anonymise

    report = scenario_report(name)
    for r in (report, anonymise(report)):
        assert_valid(json.loads(r.dumps()))
        doc = render_html(r)
        assert_self_contained(doc)
        for c in r.checks:
            assert f"<code>{c.cause}</code>" in doc and html.escape(plain(c.explanation)) in doc
        assert len(support_summary(r)) < 1000
    if name == "login":
        from smtpdiag.simnet.scenarios import DEMO_PASSWORD

        for text in (report.dumps(), render_html(report), render_text(report), support_summary(report)):
            assert DEMO_PASSWORD not in text


# -- rendering: a browser and a PDF viewer ------------------------------------------------------------


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def screenshot(html_file: Path, png: Path, size: str) -> None:
    browser = chromium()
    if not browser:
        pytest.skip("chromium is not installed: cannot render the HTML report")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--hide-scrollbars", f"--screenshot={png}", f"--window-size={size}", html_file.as_uri()],
            check=True, capture_output=True, timeout=60)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("size", ["1000,1600", "390,844"])
def test_html_renders_in_chromium(tmp_path: Path, size: str) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(rich_report()), encoding="utf-8")
    png = tmp_path / "report.png"
    screenshot(page, png, size)
    width, height = png_size(png)
    assert (width, height) == tuple(int(n) for n in size.split(","))
    assert png.stat().st_size > 20_000  # not a blank page


def test_pdf_is_written_atomically_and_reads_back(qapp: object, tmp_path: Path, real_report: Report) -> None:
    from smtpdiag.gui.pdf import write_pdf

    path = tmp_path / "report.pdf"
    path.write_bytes(b"old")
    report = rich_report()
    write_pdf(report, path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]  # no temporary file left
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True, timeout=30).stdout
        squashed = " ".join(text.split())
        for c in report.checks:
            assert c.cause in squashed, c.cause
        for word in ("Problem", "Warning", "OK", "Not tested", report.report_id, "page 1 of"):
            assert word in squashed, word
        assert "<script>" in squashed  # hostile text is shown as text
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                       check=True, timeout=30)
        pages = list(tmp_path.glob("page*.png"))
        assert pages and png_size(pages[0])[0] > 400
    else:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF was written but not rendered")


def test_pdf_of_the_real_report(qapp: object, tmp_path: Path, real_report: Report) -> None:
    from smtpdiag.gui.pdf import pdf_bytes

    data = pdf_bytes(real_report)
    assert data.startswith(b"%PDF-")


def test_cli_writes_html(loopback: dict[str, object], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    env = {k: v for k, v in os.environ.items() if k != "SMTPDIAG_PASSWORD"}
    env["SMTPDIAG_LOG_DIR"] = str(tmp_path / "logs")
    result = subprocess.run(
        [sys.executable, "-m", "smtpdiag", "check", "127.0.0.1", "--port", f"{loopback['implicit']}:implicit",
         "--no-control", "--timeout", "3", "--ca-file", str(loopback["ca_file"]), "--format", "html",
         "--output", str(out)], capture_output=True, text=True, check=False, timeout=60, env=env, cwd=ROOT,
        stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    doc = out.read_text(encoding="utf-8")
    assert_self_contained(doc)
    assert "<code>ok</code>" in doc and result.stdout == ""


def test_sparse_and_future_reports_still_render() -> None:
    """An old, partial or newer (1.x) report opens: unknown values are shown as they are."""
    from smtpdiag.report.privacy import anonymise, disclosure

    sparse = Report.from_json({"schema": "smtpdiag.report/1"})
    future = Report.from_json({
        "schema": "smtpdiag.report/1.7", "created": "2027-01-01T00:00:00Z", "new_top_level": 1,
        "input": {"target": "mail.example.com"}, "environment": {}, "overall": {"light": "purple"},
        "checks": [{"id": "target-587", "kind": "smtp", "role": "target", "host": "mail.example.com", "port": 587,
                    "light": "purple", "cause": "future_cause", "where": "elsewhere", "new_field": [1]}]})
    for report in (sparse, future):
        doc = render_html(report)
        assert_self_contained(doc)
        render_print_html(report)
        support_summary(report)
        disclosure(report)
        anonymise(report)
    assert "<code>future_cause</code>" in render_html(future)


def test_text_report_neutralises_terminal_escapes() -> None:
    report = rich_report()
    c = report.checks[0]
    report.checks[0] = c.with_(transcript=(*c.transcript, TranscriptLine(7, "recv", "220 \x1b]0;pwned\x07\x1b[2J")))
    text = render_text(report)
    assert "\x1b" not in text and "\x07" not in text
