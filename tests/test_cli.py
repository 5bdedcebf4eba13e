"""The command line as scripts and people use it: exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.pop("SMTPDIAG_PASSWORD", None)
    full_env["LANGUAGE"] = "en"  # the words asserted below are the English ones
    full_env["SMTPDIAG_HOME"] = str(ROOT / "tests" / "fixtures" / "accounts" / "empty-home")  # never the user's
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "smtpdiag", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, stdin=subprocess.DEVNULL, cwd=ROOT)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["check", ""], "enter a mail server"),
        (["check", "   "], "enter a mail server"),
        (["check", "mail example.com"], "space"),
        (["check", "mail..example"], "empty part"),
        (["check", "user@"], "e-mail address"),
        (["check", "@example.com"], "e-mail address"),
        (["check", "a" * 64 + ".example"], "63"),
        (["check", "mail.example", "--port", "0"], "65535"),
        (["check", "mail.example", "--port", "70000"], "65535"),
        (["check", "mail.example", "--port", "abc"], "not a port"),
        (["check", "mail.example", "--port", "587:tls"], "not a mode"),
        (["check", "mail.example", "--format", "xml"], "invalid choice"),
        (["check", "mail.example", "--bogus"], "unrecognized"),
        (["check", "mail.example", "--ca-file", "/nonexistent/ca.pem"], "CA file"),
        (["check", "mail.example", "--timeout", "0"], "timeout"),
        (["check", "mail.example", "--vpn", "vpn.example:nosuch"], "not a VPN protocol"),
        (["check", "mail.example", "--user", "alice"], "password"),
        (["check"], "required"),
        (["--bogus"], "unknown option"),
        (["demo", "--text", "no-such-scenario"], "no scenario"),
    ],
)
def test_bad_input_is_one_line_and_exit_64(args: list[str], words: str) -> None:
    result = run(*args)
    assert result.returncode == 64, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert words.lower() in lines[0].lower()
    assert result.stdout == ""


def test_unreadable_ca_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    result = run("check", "mail.example", "--ca-file", str(bad))
    assert result.returncode == 64
    assert "no PEM certificate" in result.stderr


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip().startswith("smtpdiag 0.")


def test_refused_port_is_red_json_exit_2_and_never_imports_qt() -> None:
    port = closed_port()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "smtpdiag", "check", "127.0.0.1", "--port",
         f"{port}:starttls", "--no-control", "--timeout", "2", "--format", "json"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert "PySide6" not in result.stderr and "shiboken" not in result.stderr
    report = json.loads(result.stdout)
    assert report["schema"] == "smtpdiag.report/1"
    (check,) = report["checks"]
    assert (check["light"], check["cause"], check["where"]) == ("red", "tcp_refused", "unknown")
    assert check["port"] == port and check["role"] == "target" and check["kind"] == "smtp"
    assert report["overall"]["light"] == "red"
    assert "refused" in check["explanation"]


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    out = tmp_path / "r.txt"
    result = run("check", "127.0.0.1", "--port", str(closed_port()), "--no-control", "--timeout", "1",
                 "--output", str(out))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Refused" in out.read_text()


def test_no_module_outside_gui_imports_qt() -> None:
    offenders = []
    for path in (ROOT / "smtpdiag").rglob("*.py"):
        if "gui" in path.relative_to(ROOT / "smtpdiag").parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(from|import)\s+(PySide6|shiboken6)", text, re.M):
            offenders.append(str(path))
    assert offenders == []


def test_without_a_screen_the_demo_prints_text_and_the_window_says_why() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["LANGUAGE"] = "en"
    demo = subprocess.run([sys.executable, "-m", "smtpdiag", "demo", "healthy"], capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert demo.returncode == 0
    assert "no screen" in demo.stderr and "Everything works" in demo.stdout
    window = subprocess.run([sys.executable, "-m", "smtpdiag", "mail.example.com"], capture_output=True,
                            text=True, timeout=60, env=env, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert window.returncode == 64 and "Traceback" not in window.stderr
    assert "smtpdiag check" in window.stderr


def test_without_a_screen_plain_demo_shows_the_2012_story_and_how_to_see_more() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["LANGUAGE"] = "en"
    demo = subprocess.run([sys.executable, "-m", "smtpdiag", "demo"], capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert demo.returncode == 0, demo.stderr
    # one report, the story smtpdiag was built for, not all scenarios
    assert demo.stdout.count("=== Scenario:") == 1 and "mobile-2012" in demo.stdout
    assert "tls_reset" in demo.stdout
    hint = demo.stderr.strip().splitlines()
    assert len(hint) == 1, demo.stderr
    assert "smtpdiag demo --text" in hint[0] and "smtpdiag demo --list" in hint[0] and "window" in hint[0]


def test_help_lists_every_command_the_readme_lists() -> None:
    shown = run("--help")
    assert shown.returncode == 0
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"^ {4}(smtpdiag(?: [a-z]+(?: --[a-z]+)?)?)(?= {2,}| [A-Z\[])", readme, re.M))
    assert {"smtpdiag check", "smtpdiag view", "smtpdiag demo", "smtpdiag demo --list"} <= commands
    for command in commands:
        assert command in shown.stdout, f"'{command}' is in the README but not in 'smtpdiag --help'"


def test_view_without_a_screen_prints_the_saved_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["LANGUAGE"] = "en"
    saved = tmp_path / "r.json"
    made = run("check", "127.0.0.1", "--port", str(closed_port()), "--no-control", "--timeout", "1",
               "--format", "json", "--output", str(saved))
    assert made.returncode == 2
    shown = subprocess.run([sys.executable, "-m", "smtpdiag", "view", str(saved)], capture_output=True, text=True,
                           timeout=60, env=env, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert shown.returncode == 0 and "tcp_refused" in shown.stdout and "Refused" in shown.stdout
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    bad = subprocess.run([sys.executable, "-m", "smtpdiag", "view", str(broken)], capture_output=True, text=True,
                         timeout=60, env=env, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert bad.returncode == 64 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "not an smtpdiag report" in bad.stderr


def test_demo_text_shows_every_light_without_internet() -> None:
    result = run("demo", "--text", "--format", "json", "--timeout", "0.4", timeout=120)
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert len(reports) >= 25
    lights = {c["light"] for r in reports for c in r["checks"]}
    assert lights == {"green", "amber", "red", "grey"}
    assert {r["overall"]["light"] for r in reports} >= {"green", "amber", "red"}


@pytest.mark.parametrize("command", ["demo", "view"])
def test_subcommand_help_is_help_not_a_scenario_or_a_file(command: str) -> None:
    shown = run(command, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: smtpdiag {command}")
    assert "There is no" not in shown.stdout + shown.stderr
