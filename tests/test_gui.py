"""The window as a customer and support staff use it, driven with pytest-qt.

Every test runs the real window (offscreen) against the simulated network of
``smtpdiag.simnet``: type a target, press Enter, wait for the runner's signals,
and check the lights, words and banner a person would see.  Settings go to a
temporary file per test, so nothing touches the user's settings and the tests
can run in parallel (pytest-xdist).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_windows import FAST, make_window_fixture, settings_fixture, wait_runs_gone  # noqa: F401 - fixtures
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from smtpdiag.causes import title
from smtpdiag.gui.app import configure_application
from smtpdiag.gui.dialogs import LightsHelpDialog
from smtpdiag.gui.results import (
    COL_CONNECTION,
    COL_MEANING,
    COL_OTHERS,
    COL_RESULT,
    LightRole,
    ResultsModel,
    SecondLineRole,
    step_words,
)
from smtpdiag.gui.window import MainWindow
from smtpdiag.records import Check, Step
from smtpdiag.report.model import Report
from smtpdiag.simnet.scenarios import CONTROLS, SCENARIOS, TARGET
from smtpdiag.simnet.world import start_scenario
from smtpdiag.target import BadInput, parse_port, parse_target

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when pytest-qt creates the QApplication

pytestmark = [
    pytest.mark.gui,
    # The offscreen platform warns whenever a top-level window's size limits change.
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
    # The engine allows TLS 1.0/1.1 to recognise outdated servers and to read an
    # interceptor's certificate; it silences Python's deprecation warning with
    # warnings.catch_warnings(), which is not thread-safe across its probe threads.
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]

ROLES = (Qt.ItemDataRole.DisplayRole, SecondLineRole, LightRole, Qt.ItemDataRole.AccessibleTextRole,
         Qt.ItemDataRole.ToolTipRole)


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def private_log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Runs are logged: into this test's folder, never the user's."""
    folder = tmp_path / "logs"
    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(folder))
    monkeypatch.setenv("SMTPDIAG_HOME", str(tmp_path / "home"))  # mail programs: an empty home, never the user's
    yield folder
    from smtpdiag.report.logs import stop_logging

    stop_logging()


def _wait_threads_gone(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Let this window's (cancelled) runs end."""
    wait_runs_gone(qtbot, list(window.runner._runs.values()))


def type_target(qtbot, window: MainWindow, text: str) -> None:  # type: ignore[no-untyped-def]
    edit = window.target.lineEdit()
    edit.clear()
    qtbot.keyClicks(edit, text)


def press_enter(qtbot, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def fast_options(window: MainWindow, ports: str = "") -> None:
    """Advanced options for the simulated world: its reference servers, a short time limit."""
    window.advanced.controls.setText(" ".join(CONTROLS))
    window.advanced.timeout.setValue(FAST)
    if ports:
        window.advanced.ports.setText(ports)


def rows(window: MainWindow) -> list[dict[str, object]]:
    model = window.model
    out = []
    for r in range(model.rowCount()):
        out.append({
            "connection": model.index(r, COL_CONNECTION).data(),
            "light": model.index(r, COL_RESULT).data(LightRole),
            "word": model.index(r, COL_RESULT).data(),
            "status": model.index(r, COL_RESULT).data(SecondLineRole),
            "name": model.index(r, COL_RESULT).data(Qt.ItemDataRole.AccessibleTextRole),
            "meaning": model.index(r, COL_MEANING).data(),
            "others": model.index(r, COL_OTHERS).data(),
        })
    return out


def everything_shown(window: MainWindow) -> list[object]:
    """Every value the results table shows, in every role a person or screen reader sees."""
    model = window.model
    return [model.index(r, c).data(role) for r in range(model.rowCount())
            for c in range(model.columnCount()) for role in ROLES]


def run_demo(qtbot, window: MainWindow, scenario: str) -> Report:  # type: ignore[no-untyped-def]
    assert window.select_scenario(scenario)
    with qtbot.waitSignal(window.runner.finished, timeout=15000) as blocker:
        qtbot.mouseClick(window.check_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert isinstance(report, Report)
    return report


# -- a live check, typed by the customer ------------------------------------------------
def test_typed_target_runs_live_and_shows_lights_words_and_banner(qtbot, make_window, settings,  # type: ignore[no-untyped-def]
                                                                   private_log_dir):
    with start_scenario("mobile-2012") as sim:
        window = make_window(network=sim.network)
        fast_options(window)
        type_target(qtbot, window, TARGET)
        with qtbot.waitSignal(window.runner.planned, timeout=5000):
            press_enter(qtbot, window.target.lineEdit())
        # Rows appear at once, before any result, and the button now cancels.
        assert [r["connection"] for r in rows(window)] == ["Port 25", "Port 465", "Port 587", "Port 2525"]
        assert all(r["light"] == "waiting" or r["word"] == "Problem" for r in rows(window))
        assert window.check_button.text() == "Cancel"
        assert window.banner.headline.text() == f"Checking {TARGET}…"
        assert window.banner.progress_row.isVisibleTo(window)
        with qtbot.waitSignal(window.runner.finished, timeout=10000) as blocker:
            pass
    report = blocker.args[0]
    shown = rows(window)
    assert [r["light"] for r in shown] == ["red", "red", "red", "red"]
    assert [r["status"] for r in shown] == [title("tcp_timeout"), title("tls_reset"), title("tls_reset"),
                                            title("tcp_refused")]
    assert shown[1]["name"] == "Port 465: Problem – Encryption cut off"
    assert shown[1]["meaning"] == "Your network cuts encrypted mail connections on port 465, for every mail server."
    assert [r["others"] for r in shown] == ["Also blocked", "Also blocked", "Also blocked", "Work"]
    assert window.banner.headline.text() == "Sending mail does not work from this network"
    assert window.banner.summary.text() == report.overall["summary"]
    assert window.banner.advice.text() == "What to do: " + report.overall["advice"]
    assert window.banner.icon.light == "red"
    assert window.banner.icon.accessibleName().startswith("Overall: Problem")
    assert not window.banner.progress_row.isVisibleTo(window)
    assert window.check_button.text() == "Check"
    assert window.save_button.isEnabled() and window.copy_button.isEnabled()
    # The target is remembered for next time.
    assert settings.value("recent/targets") in ([TARGET], TARGET)
    assert window.target.itemText(0) == TARGET
    # ... and the run is in the log support staff can ask for.
    log = (private_log_dir / "smtpdiag.log").read_text(encoding="utf-8")
    assert f"target={TARGET} overall=red cause=tls_reset" in log


def test_steps_show_in_plain_words_while_running(qtbot, make_window):  # type: ignore[no-untyped-def]
    seen: set[str] = set()
    with start_scenario("mobile-2012") as sim:
        window = make_window(network=sim.network)
        fast_options(window, "25 465")
        window.model.dataChanged.connect(lambda *a: seen.update(str(r["meaning"]) for r in rows(window)))
        type_target(qtbot, window, TARGET)
        with qtbot.waitSignal(window.runner.finished, timeout=10000):
            press_enter(qtbot, window.target.lineEdit())
    assert "Waiting for an answer…" in seen or "Checking encryption…" in seen


def test_demo_healthy_is_all_green(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    assert window.scenario.isVisible() and not window.target.isVisible()
    assert window.scenario_description.text()
    report = run_demo(qtbot, window, "healthy")
    shown = rows(window)
    assert [r["light"] for r in shown] == ["green"] * 4
    assert {r["word"] for r in shown} == {"OK"}
    assert {r["status"] for r in shown} == {"Works"}
    assert {r["others"] for r in shown} == {"Work"}
    assert shown[0]["name"] == "Port 25: OK – Works"
    assert window.banner.headline.text() == "Sending works: use port 465 with SSL/TLS (connection type)"
    assert window.banner.summary.text() == report.overall["summary"]


def test_demo_antivirus_shows_amber_with_the_product(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    run_demo(qtbot, window, "antivirus-intercept")
    shown = rows(window)
    assert [r["light"] for r in shown] == ["green", "amber", "amber"]
    assert shown[1]["name"] == "Port 465: Warning – Encrypted mail checked"
    assert "Avast" in str(shown[1]["meaning"])
    assert shown[1]["others"] == "Same warning"
    assert window.banner.headline.text() == ("Sending works with port 465 and SSL/TLS (connection type), but your "
                                             "security program Avast checks it on the way")


# -- cancel, close, restart ------------------------------------------------------------------
def test_escape_cancels_and_unfinished_rows_turn_grey_at_once(qtbot, make_window):  # type: ignore[no-untyped-def]
    with start_scenario("mobile-2012") as sim:
        window = make_window(network=sim.network)
        fast_options(window)
        window.advanced.timeout.setValue(10)  # port 25 would wait 10 s
        type_target(qtbot, window, TARGET)
        with qtbot.waitSignal(window.runner.planned, timeout=5000):
            press_enter(qtbot, window.target.lineEdit())
        qtbot.waitUntil(lambda: window.model.index(1, COL_RESULT).data(LightRole) == "red", timeout=5000)
        assert window.model.index(0, COL_RESULT).data(LightRole) == "waiting"
        started = time.monotonic()
        with qtbot.waitSignal(window.runner.finished, timeout=3000) as blocker:
            qtbot.keyClick(window.target.lineEdit(), Qt.Key.Key_Escape)
            # At once, before the engine has even answered:
            assert window.model.index(0, COL_RESULT).data(LightRole) == "grey"
            assert window.model.index(0, COL_RESULT).data() == "Not tested"
            assert window.check_button.text() == "Check"
        stopped_after = time.monotonic() - started
    assert stopped_after < 0.5, stopped_after  # the engine's probes notice a cancel within ~0.1 s
    report = blocker.args[0]
    assert report.overall["light"] in ("grey", "red")  # the ports that finished were red
    port25 = rows(window)[0]
    assert port25["light"] == "grey" and port25["status"] == "Not tested"
    assert rows(window)[1]["light"] == "red"  # what finished keeps its result


def test_close_mid_run_is_immediate_and_clean(qtbot, make_window):  # type: ignore[no-untyped-def]
    with start_scenario("mobile-2012") as sim:
        window = make_window(network=sim.network)
        fast_options(window)
        window.advanced.timeout.setValue(10)
        type_target(qtbot, window, TARGET)
        with qtbot.waitSignal(window.runner.planned, timeout=5000):
            press_enter(qtbot, window.target.lineEdit())
        started = time.monotonic()
        assert window.close()
        assert time.monotonic() - started < 0.5
        assert not window.isVisible()
        with qtbot.assertNotEmitted(window.runner.finished, wait=300):
            pass
        _wait_threads_gone(qtbot, window)


def test_restart_ignores_the_stale_run(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    window.demo_timeout = 5.0
    window.select_scenario("mobile-2012")
    with qtbot.waitSignal(window.runner.planned, timeout=5000):
        window.start_check()
    window.cancel_check()
    window.demo_timeout = FAST
    report = run_demo(qtbot, window, "healthy")
    assert report.overall["light"] == "green"
    # Whatever the cancelled run still reports must not reach the rows.
    with qtbot.assertNotEmitted(window.runner.checkFinished, wait=300):
        pass
    assert [r["light"] for r in rows(window)] == ["green"] * 4
    _wait_threads_gone(qtbot, window)


def test_second_run_after_a_finished_one(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    run_demo(qtbot, window, "healthy")
    assert window.banner.headline.text() == "Sending works: use port 465 with SSL/TLS (connection type)"
    run_demo(qtbot, window, "antivirus-intercept")
    assert [r["light"] for r in rows(window)] == ["green", "amber", "amber"]
    assert window.banner.headline.text() == ("Sending works with port 465 and SSL/TLS (connection type), but your "
                                             "security program Avast checks it on the way")


# -- saved reports --------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_view_mode_shows_the_same_rows_and_words_as_the_live_run(qtbot, make_window, tmp_path,  # type: ignore[no-untyped-def]
                                                                  scenario):
    live = make_window("demo")
    live.demo_timeout = 1.0
    report = run_demo(qtbot, live, scenario)
    path = tmp_path / "report.json"
    assert live.save_report_as(report, str(path), "json")
    viewer = make_window("view")
    assert viewer.open_report_path(str(path), interactive=False)
    assert not viewer.input_area.isVisible()
    assert viewer.details.isVisible()
    assert everything_shown(viewer) == everything_shown(live)
    for label in ("headline", "summary", "advice"):
        assert getattr(viewer.banner, label).text() == getattr(live.banner, label).text()
    assert "Saved report" in viewer.banner.context.text()


@pytest.mark.parametrize("content", [
    b"{ this is not json",
    b'{"schema": "something-else/1"}',
    b'{"schema": "smtpdiag.report/1", "checks": [{"port": "not a number"}]}',
    b'{"schema": "smtpdiag.report/9"}',
    b"\xff\xfe\x00garbage",
    b"",
])
def test_a_damaged_report_gives_a_clear_message(qtbot, make_window, tmp_path, content):  # type: ignore[no-untyped-def]
    path = tmp_path / "damaged.json"
    path.write_bytes(content)
    window = make_window("view")
    assert not window.open_report_path(str(path), interactive=False)
    assert window.banner.headline.text() == "This report cannot be opened"
    assert window.banner.summary.text()
    assert "\n" not in window.banner.summary.text()
    assert window.model.rowCount() == 0


def test_open_damaged_report_from_the_menu_shows_a_message_box(qtbot, make_window, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.json"
    path.write_text("[]", encoding="utf-8")
    window = make_window()
    assert not window.open_report_path(str(path))
    box = window.files.message_box
    assert box is not None and box.isVisible()
    assert "not an smtpdiag report" in box.text()
    box.close()


def test_dropping_a_report_opens_it(qtbot, make_window, tmp_path):  # type: ignore[no-untyped-def]
    live = make_window("demo")
    report = run_demo(qtbot, live, "healthy")
    path = tmp_path / "dropped.json"
    path.write_text(report.dumps(), encoding="utf-8")
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert [r["light"] for r in rows(window)] == ["green"] * 4
    assert window.report is not None and window.report.report_id == report.report_id


def test_save_every_format_and_copy_for_support(qtbot, make_window, tmp_path):  # type: ignore[no-untyped-def]
    from smtpdiag.gui.reportfiles import FORMATS

    window = make_window("demo")
    report = run_demo(qtbot, window, "antivirus-intercept")
    for fmt in FORMATS:
        path = tmp_path / f"report{FORMATS[fmt][1]}"
        assert window.save_report_as(report, str(path), fmt), fmt
        assert path.stat().st_size > 0
    saved = Report.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [c.cause for c in saved.targets] == [c.cause for c in report.targets]
    assert "tls_intercepted" in (tmp_path / "report.txt").read_text(encoding="utf-8")
    window.copy_action.trigger()
    assert TARGET in QGuiApplication.clipboard().text()


def test_saving_to_an_unwritable_place_says_so(qtbot, make_window, tmp_path):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    report = run_demo(qtbot, window, "healthy")
    assert not window.save_report_as(report, str(tmp_path / "missing-dir" / "r.json"), "json")
    assert window.files.message_box is not None
    assert "not saved" in window.files.message_box.windowTitle()
    window.files.message_box.close()


# -- input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["mail..example.com", "user@", "@example.com", "two words.example",
                                   "a" * 64 + ".example.com", "smtp://mail.example.com"])
def test_bad_input_shows_the_cli_one_line_message(qtbot, make_window, typed):  # type: ignore[no-untyped-def]
    window = make_window()
    type_target(qtbot, window, typed)
    with qtbot.assertNotEmitted(window.runner.planned, wait=50):
        press_enter(qtbot, window.target.lineEdit())
    with pytest.raises(BadInput) as expected:
        parse_target(typed)
    assert window.error_message() == str(expected.value)
    assert "\n" not in window.error_message()
    assert not window.running and window.check_button.text() == "Check"
    qtbot.keyClicks(window.target.lineEdit(), "x")  # typing again clears the message
    assert window.error_message() == ""


def test_empty_input_and_bad_advanced_options(qtbot, make_window, tmp_path):  # type: ignore[no-untyped-def]
    window = make_window()
    qtbot.mouseClick(window.check_button, Qt.MouseButton.LeftButton)
    assert window.error_message() == "Please enter a mail server name or an e-mail address."
    assert not window.advanced.isVisible()
    type_target(qtbot, window, "mail.example.com")
    window.advanced.ports.setText("465 70000")
    press_enter(qtbot, window.target.lineEdit())
    with pytest.raises(BadInput) as expected:
        parse_port("70000")
    assert window.error_message() == str(expected.value)
    assert window.advanced.isVisible()  # opened, so the user sees the field in question
    window.advanced.ports.setText("465:ssl")
    press_enter(qtbot, window.target.lineEdit())
    assert "'ssl' is not a mode" in window.error_message()
    window.advanced.ports.setText("465")
    window.advanced.ca_file.setText(str(tmp_path / "no-such.pem"))
    press_enter(qtbot, window.target.lineEdit())
    assert window.error_message()
    window.advanced.ca_file.clear()
    window.advanced.user.setText("alice@example.com")
    press_enter(qtbot, window.target.lineEdit())
    assert "password" in window.error_message()
    assert not window.running


def test_password_is_never_stored(qtbot, make_window, settings, tmp_path):  # type: ignore[no-untyped-def]
    secret = "smtpdiag-demo-2012"
    with start_scenario("login") as sim:
        window = make_window(network=sim.network)
        fast_options(window)
        window.advanced_toggle.click()
        window.advanced.user.setText("demo@example.net")
        window.advanced.password.setText(secret)
        type_target(qtbot, window, TARGET)
        with qtbot.waitSignal(window.runner.finished, timeout=10000) as blocker:
            press_enter(qtbot, window.target.lineEdit())
    report = blocker.args[0]
    assert [r["light"] for r in rows(window)] == ["green"] * 4
    window.close()
    settings.sync()
    stored = Path(settings.fileName()).read_text(encoding="utf-8")
    assert secret not in stored and "demo@example.net" not in stored
    assert secret not in report.dumps()
    window.save_report_as(report, str(tmp_path / "r.txt"), "text")
    assert secret not in (tmp_path / "r.txt").read_text(encoding="utf-8")


def test_a_refused_login_in_the_window(qtbot, make_window, settings):  # type: ignore[no-untyped-def]
    """One login per run (on 465): its row is red with the login's cause, the other ports stay
    green, and the headline names the login, not the server (issue 16)."""
    with start_scenario("login-switched-off") as sim:
        window = make_window(network=sim.network)
        fast_options(window)
        window.advanced_toggle.click()
        window.advanced.user.setText("demo@example.net")
        window.advanced.password.setText("smtpdiag-demo-2012")
        type_target(qtbot, window, TARGET)
        with qtbot.waitSignal(window.runner.finished, timeout=10000) as blocker:
            press_enter(qtbot, window.target.lineEdit())
    report = blocker.args[0]
    shown = rows(window)
    assert [r["light"] for r in shown] == ["green", "red", "green", "green"]
    assert shown[1]["word"] == "Problem" and "switched off" in str(shown[1]["meaning"])
    assert window.banner.headline.text() == ("Sending mail does not work: sending from mail programs is "
                                             "switched off for this mailbox")
    assert (report.overall["light"], report.overall["cause"]) == ("red", "auth_disabled")


def test_options_are_remembered_without_the_login(qtbot, make_window, settings):  # type: ignore[no-untyped-def]
    window = make_window()
    window.advanced.ports.setText("465 587")
    window.advanced.timeout.setValue(7)
    window.advanced.user.setText("someone@example.com")
    window.advanced.password.setText("hunter2")
    window.advanced.save(settings)
    again = make_window()
    assert again.advanced.ports.text() == "465 587"
    assert again.advanced.timeout.value() == 7
    assert again.advanced.user.text() == "" and again.advanced.password.text() == ""
    again.advanced.reset()
    assert again.advanced.is_default()


# -- keyboard and accessibility -----------------------------------------------------------------
def test_keyboard_only_tab_order_and_accessible_names(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window()
    window.advanced_toggle.setChecked(True)
    window.activateWindow()
    window.target.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)

    def owner(widget: QWidget | None) -> QWidget | None:
        return window.target if widget is window.target.lineEdit() else widget

    visited = [owner(QApplication.focusWidget())]
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(owner(QApplication.focusWidget()))
    assert visited == [window.target, window.check_button, window.advanced_toggle, window.advanced.ports,
                       window.advanced.compare, window.advanced.controls, window.advanced.timeout]
    for widget in window.findChildren(QWidget):
        if not (widget.isVisibleTo(window) and widget.isEnabled()
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            continue
        if widget.parent() in (window.target, window.advanced.timeout) or widget.parent() is None:
            continue  # a combo or spin box's own line edit: the box speaks for it
        if type(widget).__name__ in ("QTabBar", "QScrollBar"):
            continue
        assert widget.accessibleName(), f"{type(widget).__name__} {widget.objectName()} has no accessible name"


def test_every_light_has_a_name_and_help_explains_them(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    run_demo(qtbot, window, "mobile-2012")
    kinds = set()
    for r in rows(window):
        # "Port 465: Problem – …"; a VPN row also names its port: "PPTP, VPN, port 1723: OK – …"
        assert str(r["name"]).startswith(str(r["connection"]))
        assert ": " in str(r["name"]) and str(r["word"]) in str(r["name"])
        kinds.add("vpn" if "VPN" in str(r["name"]) else "smtp")
    assert kinds == {"smtp", "vpn"}  # the 2012 story includes the VPN rows
    dialog = LightsHelpDialog(window)
    qtbot.addWidget(dialog)
    names = [w.accessibleName() for w in dialog.findChildren(QWidget) if w.accessibleName()]
    for word in ("OK", "Warning", "Problem", "Not tested", "Waiting"):
        assert word in names


def test_details_pane_shows_steps_transcript_and_certificates(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    window.details_action.trigger()
    report = run_demo(qtbot, window, "antivirus-intercept")
    window.results.selectRow(1)
    text = window.details.plain_text()
    check = report.targets[1]
    assert "tls_intercepted" in text and "local" in text
    assert "connect" in text
    assert check.tls is not None and check.tls.chain
    assert check.tls.chain[0].sha256 in text
    assert "->" in window.details.conversation.toPlainText()
    assert window.details.conversation.isReadOnly()


def test_step_words_are_plain():  # type: ignore[no-untyped-def]
    check = Check("target-587", "smtp", "target", "mail.example.com", 587, "starttls")
    assert step_words(check, []) == "Connecting…"
    assert step_words(check, [Step("connect", True, 1)]) == "Waiting for the server to answer…"
    assert step_words(check, [Step("connect", True, 1), Step("greeting", True, 1), Step("ehlo", True, 1)]) \
        == "Asking to switch on encryption…"
    assert step_words(check, [Step("starttls", True, 1)]) == "Checking encryption…"
    implicit = Check("target-465", "smtp", "target", "mail.example.com", 465, "implicit")
    assert step_words(implicit, [Step("connect", True, 1)]) == "Checking encryption…"
    assert step_words(implicit, [Step("tls", True, 1)]) == "Checking the certificate…"


def test_report_json_round_trip_keeps_the_words(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    report = run_demo(qtbot, window, "antivirus-intercept")
    data = json.loads(report.dumps())
    assert data["schema"] == "smtpdiag.report/1"
    again = Report.from_json(data)
    assert [c.explanation for c in again.checks] == [c.explanation for c in report.checks]


def test_enter_on_the_practice_situation_starts_it(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    window.select_scenario("healthy")
    window.activateWindow()
    window.scenario.setFocus()
    qtbot.waitUntil(window.scenario.hasFocus)
    with qtbot.waitSignal(window.runner.finished, timeout=15000):
        qtbot.keyClick(window.scenario, Qt.Key.Key_Return)
    assert [r["light"] for r in rows(window)] == ["green"] * 4


def test_run_app_view_mode_returns_when_the_window_closes(qtbot, qapp, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer

    from smtpdiag.gui.app import run_app

    path = tmp_path / "damaged.json"
    path.write_text("not a report", encoding="utf-8")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):  # not the user's settings
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "config"))
    seen: list[str] = []

    def close_it() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen.append(widget.banner.headline.text())
                widget.close()

    QTimer.singleShot(200, close_it)
    started = time.monotonic()
    assert run_app("view", str(path)) == 0
    assert time.monotonic() - started < 5
    assert seen == ["This report cannot be opened"]
    assert qapp.applicationName() == "smtpdiag" and qapp.organizationDomain() == "smtpdiag.org"
    assert qapp.desktopFileName() == "org.smtpdiag.smtpdiag"


def test_save_shows_what_the_report_contains_and_can_hide_names(qtbot, make_window, tmp_path,  # type: ignore[no-untyped-def]
                                                                 monkeypatch):
    from PySide6.QtWidgets import QDialog, QFileDialog

    from smtpdiag.gui.dialogs import PrivacyDialog
    from smtpdiag.gui.reportfiles import format_filter
    from smtpdiag.report.privacy import disclosure

    window = make_window("demo")
    report = run_demo(qtbot, window, "mobile-2012")
    shown: list[list[str]] = []

    def accept_hiding_names(dialog: PrivacyDialog) -> int:
        shown.append([dialog.contents.item(i).text() for i in range(dialog.contents.count())])
        assert dialog.hide_names.isEnabled()
        dialog.hide_names.setChecked(True)
        return int(QDialog.DialogCode.Accepted)  # what exec() returns

    target = tmp_path / "for-support"
    monkeypatch.setattr(PrivacyDialog, "exec", accept_hiding_names)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), format_filter("json")))
    window.save_action.trigger()
    assert shown == [disclosure(report)]
    saved = (tmp_path / "for-support.json").read_text(encoding="utf-8")
    assert TARGET not in saved and "192.0.2.10" not in saved
    assert [c.cause for c in Report.loads(saved).targets] == [c.cause for c in report.targets]


def test_cancelling_the_privacy_question_saves_nothing(qtbot, make_window, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QDialog, QFileDialog

    from smtpdiag.gui.dialogs import PrivacyDialog

    window = make_window("demo")
    run_demo(qtbot, window, "healthy")
    monkeypatch.setattr(PrivacyDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    asked: list[object] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    window.save_action.trigger()
    assert asked == []
    assert list(tmp_path.glob("*.json")) == []


def test_an_active_vpn_is_named_in_the_banner(qtbot, make_window):  # type: ignore[no-untyped-def]
    with start_scenario("healthy") as sim:
        from smtpdiag.report.model import diagnose

        report = diagnose(sim.config(timeout=FAST), network=sim.network)
    report.environment.update(vpn_active=True, vpn_interfaces=["wg0"])
    window = make_window("main")
    window.show_report(report)
    assert "VPN on (wg0)" in window.banner.context.text()


def test_runs_with_and_without_a_vpn_say_who_blocks(qtbot, make_window, monkeypatch):  # type: ignore[no-untyped-def]
    import smtpdiag.report.model as reportmod

    real_environment = reportmod.environment
    window = make_window("demo")
    window.demo_timeout = FAST
    first = run_demo(qtbot, window, "mobile-2012")
    assert not first.environment.get("vpn_active")
    assert "With the VPN" not in window.banner.advice.text()
    # The customer switches a VPN on and checks the same server again: now it works.
    monkeypatch.setattr(reportmod, "environment",
                        lambda: {**real_environment(), "vpn_active": True, "vpn_interfaces": ["tun0"]})
    monkeypatch.setattr(window.run.previous, "input", {**first.input})
    second = run_demo(qtbot, window, "healthy")
    assert second.environment["vpn_active"]
    advice = window.banner.advice.text()
    assert "With the VPN, ports 25, 465, 587 and 2525 work" in advice and "provider" in advice
    assert "VPN on (tun0)" in window.banner.context.text()


def test_the_vpn_field_adds_rows_for_each_vpn_protocol(qtbot, make_window):  # type: ignore[no-untyped-def]
    from smtpdiag.simnet.scenarios import VPN_HOST

    with start_scenario("mobile-2012") as sim:
        window = make_window(network=sim.network)
        fast_options(window, ports="587")
        window.advanced.vpn.setText(f"{VPN_HOST}:pptp {VPN_HOST}:openvpn-udp")
        type_target(qtbot, window, TARGET)
        with qtbot.waitSignal(window.runner.finished, timeout=10000):
            press_enter(qtbot, window.target.lineEdit())
    shown = rows(window)
    assert [r["connection"] for r in shown] == ["Port 587", "PPTP", "OpenVPN over UDP"]
    assert [r["word"] for r in shown] == ["Problem", "OK", "Problem"]
    assert shown[1]["status"] == title("vpn_reachable")
    assert "stay silent to strangers" in str(shown[2]["meaning"])


def test_demo_switching_clears_results_header_and_title_stay(qtbot, make_window):  # type: ignore[no-untyped-def]
    """Another practice situation clears the last one's rows and disables Copy/Save; the
    header keeps one height in every state and the title never changes name."""
    window = make_window("demo")
    heights = {"idle": window.banner.height()}
    titles = {window.windowTitle()}
    assert window.select_scenario("mobile-2012")
    with qtbot.waitSignal(window.runner.finished, timeout=15000):
        qtbot.mouseClick(window.check_button, Qt.MouseButton.LeftButton)
        heights["running"] = window.banner.height()
        titles.add(window.windowTitle())
    heights["result"] = window.banner.height()
    titles.add(window.windowTitle())
    assert window.model.rowCount() > 0 and window.copy_button.isEnabled() and window.save_button.isEnabled()
    assert window.select_scenario("healthy")
    assert window.model.rowCount() == 0
    assert not window.copy_button.isEnabled() and not window.save_button.isEnabled()
    assert not window.copy_action.isEnabled() and not window.save_action.isEnabled()
    assert window.banner.headline.text() == "Practice mode"
    heights["switched"] = window.banner.height()
    titles.add(window.windowTitle())
    assert len(set(heights.values())) == 1, heights
    assert titles == {"Practice mode"}
    # the whole result stays readable in that height (it scrolls rather than being cut)
    window.banner.show_message("x", "word " * 400, "advice " * 100, light="red")
    assert window.banner.height() == heights["idle"]
    qtbot.waitUntil(lambda: window.banner.text_area.verticalScrollBar().maximum() > 0, timeout=2000)


def test_a_closed_window_is_freed_at_once_not_by_the_garbage_collector(qapp, settings) -> None:  # type: ignore[no-untyped-def]
    """No reference cycle through the window: else Python's collector frees it later, on
    whatever thread runs then, and Qt warns "Timers cannot be stopped from another thread"."""
    import gc
    import weakref

    configure_application(qapp)
    for mode in ("main", "demo", "view"):
        gc.disable()
        try:
            window = MainWindow(mode=mode, settings=settings)
            window.show()
            qapp.processEvents()
            alive = weakref.ref(window)
            window.close()
            qapp.processEvents()
            del window
            assert alive() is None, f"{mode}: something holds the window in a reference cycle"
        finally:
            gc.enable()


def test_other_servers_column_compares_the_same_port_and_mode(qtbot):  # type: ignore[no-untyped-def]
    """A port given in two modes (--port 9:starttls --port 9:implicit) has two rows; each is
    compared with the reference servers' check of its own mode, not the other one's."""
    starttls = Check("target-9-starttls", "smtp", "target", "mail.example.com", 9, "starttls")
    implicit = Check("target-9-implicit", "smtp", "target", "mail.example.com", 9, "implicit")
    ref_starttls = Check("control1-9-starttls", "smtp", "control", "smtp.example.org", 9, "starttls")
    ref_implicit = Check("control1-9-implicit", "smtp", "control", "smtp.example.org", 9, "implicit")
    model = ResultsModel()
    model.plan([starttls, implicit, ref_starttls, ref_implicit])
    model.finish_check(ref_starttls.with_(light="green", cause="ok", where="none"))
    model.finish_check(ref_implicit.with_(light="red", cause="tls_reset", where="unknown"))
    model.finish_check(starttls.with_(light="green", cause="ok", where="none"))
    model.finish_check(implicit.with_(light="red", cause="tls_reset", where="network"))
    model.flush()

    def others(check_id: str) -> str:
        return str(model.data(model.index(model.row_of(check_id), COL_OTHERS)))

    assert others("target-9-starttls") == "Work"
    assert others("target-9-implicit") == "Also blocked"
    assert [c.id for c in model.controls_for(implicit)] == ["control1-9-implicit"]


def _ref(n: int) -> Check:
    return Check(f"control{n}-465", "smtp", "control", f"smtp{n}.example.org", 465, "implicit")


@pytest.mark.parametrize(("target", "refs", "shown"), [
    (("red", "tcp_timeout", "network"), [], ""),
    (("green", "ok", "none"), [("green", "ok"), ("green", "ok")], "Work"),
    (("amber", "smtp_banner_masked", "network"), [("amber", "smtp_banner_masked")] * 2, "Same warning"),
    (("amber", "smtp_banner_masked", "network"), [("green", "ok"), ("amber", "tls_outdated")],
     "Work, with warnings"),
    (("red", "dns_not_found", "input"), [("red", "dns_not_found"), ("red", "dns_failure")], "Names not found"),
    (("red", "tcp_timeout", "network"), [("red", "tcp_timeout")] * 2, "Also blocked"),
    (("red", "tcp_timeout", "unknown"), [("red", "tcp_refused")] * 2, "Also fail"),
    (("green", "ok", "none"), [("red", "tcp_refused"), ("red", "offline")], "Fail"),
    (("red", "tcp_timeout", "server"), [("green", "ok"), ("red", "tcp_timeout")], "1 of 2 works"),
    (("red", "tcp_timeout", "server"), [("green", "ok"), ("amber", "tls_outdated"), ("red", "offline")],
     "2 of 3 work"),
    (("red", "tcp_timeout", "unknown"), [("grey", "cancelled"), ("grey", "internal_error")], "Not tested"),
])
def test_other_servers_column_words(qtbot, target, refs, shown):  # type: ignore[no-untyped-def]
    """What the "Other mail servers" cell says for each way the reference servers can fare
    (their checks compared by verdict.compare_references, the rule behind a row's where)."""
    row = Check("target-465", "smtp", "target", "mail.example.com", 465, "implicit")
    controls = [_ref(i + 1) for i in range(len(refs))]
    model = ResultsModel()
    model.plan([row, *controls])
    cell = model.index(model.row_of(row.id), COL_OTHERS)
    if controls:
        assert cell.data() == "Testing…"
    for c, (ref_light, ref_cause) in zip(controls, refs, strict=True):
        model.finish_check(c.with_(light=ref_light, cause=ref_cause, where="unknown"))
    light, cause, where = target
    model.finish_check(row.with_(light=light, cause=cause, where=where))
    model.flush()
    assert (cell.data() or "") == shown
