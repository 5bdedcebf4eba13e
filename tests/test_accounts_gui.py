"""The mail programs in the window: found accounts as one-click targets above the
input box, and after a run one row per account with the same words as the reports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_windows import FAST, make_window_fixture, settings_fixture  # noqa: F401 - fixtures
from PySide6.QtCore import Qt

from smtpdiag.report.model import Report
from smtpdiag.simnet.scenarios import CONTROLS, TARGET
from smtpdiag.simnet.world import start_scenario

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
              pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")]

FIX_465 = "In Thunderbird: Account Settings > Outgoing Server (SMTP) > Connection security: SSL/TLS."


def fixture_home(home: Path) -> Path:
    profile = home / ".thunderbird" / "abcd1234.default-release"
    profile.mkdir(parents=True)
    (home / ".thunderbird" / "profiles.ini").write_text(
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd1234.default-release\nDefault=1\n")
    (profile / "prefs.js").write_text("\n".join([
        'user_pref("mail.accountmanager.accounts", "account1,account2");',
        'user_pref("mail.account.account1.identities", "id1");',
        'user_pref("mail.account.account2.identities", "id2");',
        'user_pref("mail.identity.id1.useremail", "demo@example.net");',
        'user_pref("mail.identity.id1.smtpServer", "smtp1");',
        'user_pref("mail.identity.id2.useremail", "bob@example.org");',
        'user_pref("mail.identity.id2.smtpServer", "smtp2");',
        f'user_pref("mail.smtpserver.smtp1.hostname", "{TARGET}");',
        'user_pref("mail.smtpserver.smtp1.port", 465);',
        'user_pref("mail.smtpserver.smtp1.try_ssl", 2);',
        'user_pref("mail.smtpserver.smtp2.hostname", "smtp.example.org");',
        'user_pref("mail.smtpserver.smtp2.port", 587);',
        'user_pref("mail.smtpserver.smtp2.try_ssl", 2);',
        'user_pref("mail.smtpservers", "smtp1,smtp2");']) + "\n")
    return home


@pytest.fixture(autouse=True)
def home_with_thunderbird(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's logs and a home folder whose Thunderbird uses the demo's mail server."""
    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(tmp_path / "logs"))
    home = fixture_home(tmp_path / "home")
    monkeypatch.setenv("SMTPDIAG_HOME", str(home))
    yield home
    from smtpdiag.report.logs import stop_logging

    stop_logging()


def test_found_accounts_are_one_click_targets_and_a_row_says_what_to_change(qtbot, make_window):  # type: ignore[no-untyped-def]
    with start_scenario("healthy") as sim:
        window = make_window(network=sim.network)
        targets = window.mail.targets
        assert targets.isVisible()
        # above the input box
        assert targets.mapTo(window, targets.rect().topLeft()).y() < window.target.mapTo(
            window, window.target.rect().topLeft()).y()
        assert [b.text() for b in targets.buttons] == ["demo@example.net in Thunderbird",
                                                      "bob@example.org in Thunderbird"]
        assert not window.mail.panel.isVisible()
        window.advanced.controls.setText(" ".join(CONTROLS))
        window.advanced.timeout.setValue(FAST)
        with qtbot.waitSignal(window.runner.finished, timeout=15000) as blocker:
            qtbot.mouseClick(targets.buttons[0], Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert isinstance(report, Report)
    assert window.target.currentText() == TARGET
    [entry] = report.mail_programs  # bob's account uses another server
    assert (entry["account"], entry["verdict"], entry["fix"]) == ("demo@example.net", "change", FIX_465)
    panel = window.mail.panel
    assert panel.isVisible()
    assert panel.row_texts() == [
        f"Warning. demo@example.net in Thunderbird: {TARGET}, port 465, STARTTLS. Change a setting — {FIX_465}"]
    # The banner above says both: what works, and what to change in Thunderbird (not only "use port ...").
    banner = window.banner
    assert banner.headline.text() == ("Sending works with port 465 and SSL/TLS (connection type), but Thunderbird "
                                      "is set differently: change Connection security to SSL/TLS")
    assert "A mail program on this computer is set differently: demo@example.net in Thunderbird " \
           f"({TARGET}, port 465, STARTTLS)." in banner.summary.text()
    assert banner.advice.text() == f"What to do: {FIX_465}"
    assert banner.icon.light == "green"  # the light stays the run's
    # Copy for support carries the headline and the program's line.
    from PySide6.QtGui import QGuiApplication

    window.copy_action.trigger()
    copied = QGuiApplication.clipboard().text()
    assert banner.headline.text() in copied
    assert "- Thunderbird: port 465, STARTTLS: change Connection security to SSL/TLS" in copied.splitlines()
    assert "demo@example.net" not in copied  # no account name in the short text
    # The row's light has its word for screen readers, not only a colour.
    icon = panel.rows[0].findChildren(type(window.mail.targets.label))[0]
    assert icon.accessibleName() == "Warning"


def test_demo_scenario_uses_its_built_in_example_not_the_user_s(qtbot, make_window):  # type: ignore[no-untyped-def]
    window = make_window("demo")
    assert window.mail.accounts == () and not window.mail.targets.isVisible()  # nothing read from the home
    assert window.select_scenario("mail-program-wrong")
    with qtbot.waitSignal(window.runner.finished, timeout=20000) as blocker:
        qtbot.mouseClick(window.check_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    texts = window.mail.panel.row_texts()
    assert len(texts) == 3 and texts == [
        f"{'Warning' if e['verdict'] == 'change' else 'OK'}. {e['account']} in "
        f"{'Thunderbird' if e['program'] == 'thunderbird' else 'Evolution'}: {TARGET}, port {e['port']}, "
        f"{ {'starttls': 'STARTTLS', 'implicit': 'SSL/TLS', 'none': 'no encryption'}[e['mode']] }. "
        f"{ {'change': 'Change a setting', 'ok': 'These settings work'}[e['verdict']] } — {e['fix']}"
        for e in report.mail_programs]
    assert FIX_465 in texts[0]
    assert window.banner.headline.text() == report.overall["headline"] == (
        "Sending works with port 465 and SSL/TLS (connection type), but Thunderbird is set differently for "
        "2 accounts: change Connection security")
    # Another scenario: no mail programs, the panel goes away.
    assert window.select_scenario("healthy")
    with qtbot.waitSignal(window.runner.finished, timeout=20000):
        qtbot.mouseClick(window.check_button, Qt.MouseButton.LeftButton)
    assert not window.mail.panel.isVisible()


def test_a_saved_report_shows_its_mail_programs_and_view_mode_reads_nothing(qtbot, make_window,  # type: ignore[no-untyped-def]
                                                                          tmp_path: Path):
    report = Report.from_json({
        "schema": "smtpdiag.report/1", "created": "2026-11-30T09:00:00Z", "input": {"target": TARGET},
        "environment": {}, "overall": {"light": "green", "cause": "ok", "where": "none", "summary": "s",
                                       "advice": "a"},
        "mail_programs": [{"program": "evolution", "account": "ivan@example.com", "host": TARGET, "port": 587,
                           "mode": "none", "verdict": "change",
                           "fix": "In Evolution: Edit > Accounts > Edit > Sending Email > Encryption method: "
                                  "STARTTLS after connecting."}],
        "checks": []})
    path = tmp_path / "saved.json"
    path.write_text(report.dumps(), encoding="utf-8")
    window = make_window("view")
    assert window.mail.accounts == ()
    assert window.open_report_path(str(path), interactive=False)
    assert window.mail.panel.row_texts() == [
        f"Warning. ivan@example.com in Evolution: {TARGET}, port 587, no encryption. Change a setting — "
        "In Evolution: Edit > Accounts > Edit > Sending Email > Encryption method: STARTTLS after connecting."]
