"""What differs per system outside the host parsers: the Windows connect budget, saving
over a locked file, file names, the run log, Ctrl+C in the window.

Each system-specific rule is a function of an explicit ``platform`` argument, so
the Windows and macOS branches run here too; the real-socket tests run on every
CI runner (a refusal on loopback must be "refused" within the budget everywhere).
"""

from __future__ import annotations

import gc
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from smtpdiag import cli
from smtpdiag.i18n import set_language
from smtpdiag.net import WINDOWS_REFUSAL_WAIT, Network, ProbeError, connect_budget
from smtpdiag.report import files, logs


@pytest.mark.parametrize("timeout, platform, budget", [
    (1.0, "win32", WINDOWS_REFUSAL_WAIT), (2.0, "win32", WINDOWS_REFUSAL_WAIT),
    (10.0, "win32", 10.0), (1.0, "linux", 1.0), (1.0, "darwin", 1.0), (0.3, "linux", 0.3),
])
def test_connect_budget(timeout: float, platform: str, budget: float) -> None:
    assert connect_budget(timeout, platform) == budget


def test_a_refused_loopback_port_is_refused_even_with_a_short_timeout() -> None:
    """On Windows the RST arrives only after SYN retries (~2 s): with --timeout 1 this
    was tcp_timeout there.  The budget lets it arrive."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ProbeError) as caught:
            Network().open_tcp("127.0.0.1", port, 1.0)
    assert caught.value.failure == "refused"
    assert time.monotonic() - started < connect_budget(1.0)


def test_the_command_line_says_when_the_timeout_is_too_short_for_windows() -> None:
    set_language("en")
    note = cli.connect_budget_note(1.0, "win32")
    assert note is not None and "2.5 s" in note and "--timeout 1 " in note
    assert cli.connect_budget_note(5.0, "win32") is None
    assert cli.connect_budget_note(1.0, "linux") is None
    set_language("de")
    try:
        german = cli.connect_budget_note(1.0, "win32")
        assert german is not None and "Windows" in german and german != note
    finally:
        set_language("en")


# -- saving ----------------------------------------------------------------------------


class LockedFor:
    """os.replace as Windows behaves while another program holds the target open."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, source: str, target: str) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise PermissionError(13, "The process cannot access the file because it is being "
                                      "used by another process", target)
        os.replace(source, target)


def test_a_save_waits_out_a_short_lock_on_windows(tmp_path: Path) -> None:
    source, target = tmp_path / "new", tmp_path / "report.json"
    source.write_text("new")
    target.write_text("old")
    locked = LockedFor(3)  # antivirus holding the file for 0.3 s
    files.replace_with_retry(str(source), str(target), platform="win32", replace=locked)
    assert target.read_text() == "new" and locked.calls == 4


def test_a_save_over_a_file_that_stays_open_says_close_the_file(tmp_path: Path) -> None:
    source, target = tmp_path / "new", tmp_path / "report.html"
    source.write_text("new")
    target.write_text("old")
    started = time.monotonic()
    with pytest.raises(files.FileInUseError) as caught:
        files.replace_with_retry(str(source), str(target), platform="win32",
                                 replace=LockedFor(1000), retry_for=0.3)
    assert 0.3 <= time.monotonic() - started < 1.0
    assert "Close the file" in caught.value.strerror and caught.value.filename == str(target)
    assert isinstance(caught.value, PermissionError)  # callers that catch OSError still do
    assert target.read_text() == "old"


def test_elsewhere_a_permission_error_is_not_waited_for(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(PermissionError) as caught:
        files.replace_with_retry("a", "b", platform="linux", replace=LockedFor(1))
    assert not isinstance(caught.value, files.FileInUseError)
    assert time.monotonic() - started < 1.0  # not the 2 s Windows retry


def test_atomic_write_still_writes(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    files.atomic_write_text(str(target), "über")
    assert target.read_text(encoding="utf-8") == "über"
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


WINDOWS_FORBIDDEN = set('<>:"/\\|?*')


@pytest.mark.parametrize("target, name", [
    ("mail.example.com", "smtpdiag-mail.example.com-2026-11-30.json"),
    ("2001:db8::1", "smtpdiag-2001-db8-1-2026-11-30.json"),
    ("[2001:db8::25]", "smtpdiag-2001-db8-25-2026-11-30.json"),
    ("alice@example.com", "smtpdiag-alice_at_example.com-2026-11-30.json"),
    ("nul", "smtpdiag-nul-2026-11-30.json"),
    ("bad\x07name\n", "smtpdiag-bad-name-2026-11-30.json"),
    ("...", "smtpdiag-report-2026-11-30.json"),
])
def test_suggested_file_names_are_valid_everywhere(target: str, name: str) -> None:
    made = files.safe_file_name(target, "2026-11-30")
    assert made == name
    assert not WINDOWS_FORBIDDEN & set(made) and made == made.strip(" .")
    assert made.split(".")[0].lower() not in {"con", "prn", "aux", "nul", "com1", "lpt1"}


def test_a_long_target_gives_a_bounded_name() -> None:
    assert len(files.safe_file_name("a" * 300 + ".example", "2026-11-30")) < 120


# -- the run log -------------------------------------------------------------------------


def test_the_log_file_is_not_held_open_between_records(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from smtpdiag import runlog

    monkeypatch.setenv(logs.ENV_VAR, str(tmp_path))
    path = logs.setup_logging()
    try:
        runlog.info("first")
        runlog.info("second")
        if sys.platform.startswith("linux"):
            open_files = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
            assert str(path.resolve()) not in open_files
        # What another process's rotation does: possible on Windows only when nobody holds it.
        path.rename(tmp_path / "rotated.log")
        runlog.info("third")
        assert path.read_text(encoding="utf-8").count("\n") == 1
        assert (tmp_path / "rotated.log").read_text(encoding="utf-8").count("\n") == 2
    finally:
        logs.stop_logging()


# -- Ctrl+C in the console that started the window ------------------------------------------


@pytest.mark.gui
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_ctrl_c_closes_the_window(qtbot, qapp, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from smtpdiag.gui.app import run_app
    from smtpdiag.gui.window import MainWindow

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):  # not the user's
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "config"))
    # From another thread, as a console delivers it: Python runs the handler only when the
    # main thread next runs Python code, which inside Qt's event loop needs the wake-up timer.
    # (started once the event loop runs, so the window's handler is in place).
    sender = threading.Timer(0.3, signal.raise_signal, args=(signal.SIGINT,))
    QTimer.singleShot(0, sender.start)
    safety_net = QTimer()  # the test fails, it does not hang (stopped before other tests run)
    safety_net.setSingleShot(True)
    safety_net.timeout.connect(qapp.quit)
    safety_net.start(20000)
    started = time.monotonic()
    try:
        assert run_app("main") == 130
    finally:
        safety_net.stop()
        sender.cancel()
        # Delete the window here, on the GUI thread: left to the garbage collector it may
        # be destroyed from a worker thread of a later test ("Timers cannot be stopped").
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow):
                widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
    assert time.monotonic() - started < 15  # the window's start-up is slow under load
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# -- the CI workflow -------------------------------------------------------------------------


def test_the_ci_workflow_covers_every_system_and_the_supported_pythons() -> None:
    root = Path(__file__).resolve().parents[1]
    workflow = (root / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    for runner in ("ubuntu-", "windows-", "macos-15,", "macos-15-intel"):
        assert runner in workflow, runner
    oldest = re.search(r'requires-python = ">=(3\.\d+)"',
                       (root / "pyproject.toml").read_text(encoding="utf-8"))
    assert oldest and f'"{oldest.group(1)}"' in workflow
    assert 'python: ["3.11", "3.x"]' in workflow
    assert "scripts/ci_smoke.py system" in workflow and "scripts/ci_smoke.py app" in workflow
    assert "shell: cmd" in workflow and "shell: powershell" in workflow
    assert "upload-artifact" in workflow


# -- a closed UDP port as Windows reports it --------------------------------------------------


class WindowsClosedUdpPort:
    """What recv() on a connected UDP socket does on Windows after an ICMP port
    unreachable: WSAECONNRESET, not ECONNREFUSED (a scripted socket: no loopback on
    Linux or macOS can make a kernel answer this way)."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> int:
        self.sent.append(data)
        return len(data)

    def settimeout(self, _seconds: float) -> None:
        pass

    def recv(self, _size: int) -> bytes:
        err = ConnectionResetError(10054, "An existing connection was forcibly closed by the "
                                          "remote host")
        err.winerror = 10054  # type: ignore[attr-defined]
        raise err


def test_a_udp_probe_reads_windows_wsaeconnreset_as_refused() -> None:
    from smtpdiag.net import Datagrams
    from smtpdiag.probe.vpn.session import ProbeSession, exchange_datagrams

    session = ProbeSession(threading.Event())
    sock = Datagrams(WindowsClosedUdpPort(), platform="win32")  # type: ignore[arg-type]
    exchange = exchange_datagrams(sock, b"\x01handshake", 3.0, session,  # type: ignore[arg-type]
                                  accept=lambda data: data)
    assert exchange.refused and exchange.answer is None and exchange.sends == 1
    assert any("port unreachable" in line.text and "10054" in line.text
               for line in session.transcript)


@pytest.mark.parametrize("code, platform, no_route", [
    (101, "linux", True), (113, "linux", False),  # Linux: EHOSTUNREACH comes from reject routes
    (51, "darwin", True), (65, "darwin", True),  # an IPv4-only Mac answers IPv6 with EHOSTUNREACH
    (10051, "win32", True), (10065, "win32", False), (None, "linux", False),
])
def test_what_means_no_route_per_system(code: int | None, platform: str, no_route: bool) -> None:
    from smtpdiag.net import means_no_route

    assert means_no_route(code, platform) is no_route


def test_loopback_has_a_route() -> None:
    assert Network().has_route("127.0.0.1", 25)


@pytest.mark.gui
def test_the_window_says_when_the_time_limit_is_too_short_for_windows(qtbot):  # type: ignore[no-untyped-def]
    from smtpdiag.gui.options import AdvancedOptions

    set_language("en")
    windows, linux = AdvancedOptions(platform="win32"), AdvancedOptions(platform="linux")
    for widget in (windows, linux):
        qtbot.addWidget(widget)
        widget.show()
        widget.timeout.setValue(1.0)
    assert windows.timeout_hint.isVisible() and "2.5 seconds" in windows.timeout_hint.text()
    assert not linux.timeout_hint.isVisible()
    windows.timeout.setValue(3.0)
    assert not windows.timeout_hint.isVisible()


def _workflow_steps(text: str) -> list[dict[str, str]]:
    """The steps of the workflow's job, each as {"name", "if", "run", "text"} (the text of
    the step as written; a small reader of the one shape ci.yml uses, no YAML library)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "steps:")
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip())
    steps: list[list[str]] = []
    for line in lines[start + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break  # the end of the steps
        if line[indent:].startswith("- "):
            steps.append([])
        if steps:
            steps[-1].append(line)
    out = []
    for step in steps:
        body = "\n".join(step)
        fields = {key: (m.group(1).strip() if (m := re.search(rf"^\s*-?\s*{key}:\s*(.*)$", body, re.M)) else "")
                  for key in ("name", "if", "run")}
        fields["text"] = body
        out.append(fields)
    return out


def test_the_linux_ci_installs_its_system_packages_with_setup_sh_only() -> None:
    """The list of system packages lives in scripts/setup.sh alone: the Linux job calls it,
    and no workflow has an apt-get list of its own."""
    root = Path(__file__).resolve().parents[1]
    workflows = sorted((root / ".github" / "workflows").glob("*.y*ml"))
    assert workflows
    steps = _workflow_steps((root / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    linux = [s for s in steps if "runner.os == 'Linux'" in s["if"] and "setup.sh" in s["text"]]
    assert [s["run"] for s in linux] == ["bash scripts/setup.sh system test"], linux
    # before the test suite runs
    names = [s["name"] for s in steps]
    assert names.index(linux[0]["name"]) < names.index("Test suite")
    for path in workflows:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(apt-get|apt|dpkg)\b", text), f"{path.name} installs packages itself"
    # What the Linux job used to install itself is in setup.sh's list (nothing lost in the move).
    listed = subprocess.run(["bash", str(root / "scripts" / "setup.sh"), "list", "test"], capture_output=True,
                            text=True, timeout=30, check=True).stdout.split()
    for package in ("libegl1", "libgl1", "libopengl0", "libxkbcommon0", "libxkbcommon-x11-0", "libfontconfig1",
                    "libdbus-1-3", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-shape0",
                    "libxcb-xinerama0", "fonts-dejavu-core", "poppler-utils", "gettext", "desktop-file-utils",
                    "appstream"):
        assert package in listed, package
    run_only = subprocess.run(["bash", str(root / "scripts" / "setup.sh"), "list", "run"], capture_output=True,
                              text=True, timeout=30, check=True).stdout.split()
    assert run_only and set(run_only) < set(listed)


def test_setup_sh_refuses_an_unknown_kind_in_one_line() -> None:
    root = Path(__file__).resolve().parents[1]
    for args in (["list", "everything"], ["system", "tset"], ["bogus"]):
        result = subprocess.run(["bash", str(root / "scripts" / "setup.sh"), *args], capture_output=True,
                                text=True, timeout=30)
        assert (result.returncode, result.stdout) == (64, "")
        assert result.stderr == "usage: bash scripts/setup.sh run|test, or system|list run|test\n"
