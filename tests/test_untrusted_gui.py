"""The window with hostile reports: plain-text dialogs, neutralised details pane, rows and banner."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel

from smtpdiag.gui.app import configure_application
from smtpdiag.gui.results import COL_CONNECTION, COL_MEANING, COL_RESULT
from smtpdiag.gui.window import MainWindow
from smtpdiag.textsafe import is_unsafe

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_textsafe import HOSTILE, hostile_report  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")]


@pytest.fixture
def window(qtbot, qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(tmp_path / "logs"))
    configure_application(qapp)
    w = MainWindow(mode="view", settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.files.message_box is not None:
        w.files.message_box.close()


def raw(text: str) -> list[str]:
    return [ch for ch in text if is_unsafe(ch) and ch not in "\n\t"]


def message_labels(window: MainWindow) -> list[QLabel]:
    box = window.files.message_box
    assert box is not None and box.isVisible()
    return [lab for lab in box.findChildren(QLabel) if lab.text()]


def assert_plain_dialog(window: MainWindow) -> str:
    box = window.files.message_box
    assert box is not None
    assert box.textFormat() == Qt.TextFormat.PlainText
    for label in message_labels(window):
        assert label.textFormat() == Qt.TextFormat.PlainText
        assert not label.openExternalLinks()
        assert not label.textInteractionFlags() & Qt.TextInteractionFlag.LinksAccessibleByMouse
    assert not raw(box.text() + box.windowTitle())
    return box.text()


def test_a_phishing_link_in_a_report_is_shown_as_text_never_as_a_link(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"schema": 'smtpdiag.report/2\u202e<a href="https://evil.example/update">'
                                          "Click here to download the update</a>"}), encoding="utf-8")
    assert not window.open_report_path(str(path))
    text = assert_plain_dialog(window)
    assert '<a href="https://evil.' in text  # visible as the characters it is, cut short
    assert "\\u202e" in text


@pytest.mark.skipif(sys.platform == "win32", reason="< and > are not allowed in Windows file names")
def test_a_file_name_with_markup_and_bidi_stays_plain(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "<h1 style=color:red>URGENT call 555-0100\u202e\x1b[2J.json"
    path.write_bytes(b"not json")
    assert not window.open_report_path(str(path))
    text = assert_plain_dialog(window)
    assert "<h1 style=color:red>URGENT" in text and "\\u202e\\x1b[2J" in text
    assert not raw(window.windowTitle())


def test_details_pane_rows_and_banner_show_hostile_fields_as_escapes(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.show_report(hostile_report(), "report.json")
    window.details_action.setChecked(True)
    window.results.selectRow(0)
    check = window.report.checks[0] if window.report else None
    assert check is not None
    window.details.show_check(check, list(check.steps), [], True)
    shown = window.details.plain_text()
    assert "\\u202etxt.exe" in shown and "\\x1b]52;c;" in shown
    assert not raw(shown)
    assert "\nOverall: OK" not in shown
    model = window.model
    for col in (COL_CONNECTION, COL_RESULT, COL_MEANING):
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            value = model.index(0, col).data(role)
            if isinstance(value, str):
                assert not raw(value), (col, role, value)
    assert not raw(window.banner.text())
    assert "\\u202e" in window.banner.text()
    assert HOSTILE not in window.banner.text()


def test_details_make_neutralised_html(window: MainWindow) -> None:
    from smtpdiag.gui.details import certificates_html, overview_html

    check = hostile_report().checks[0]
    for doc in (overview_html(check, list(check.steps), [check], True), certificates_html(check)):
        assert not raw(doc)
        assert "<h1" not in doc


def test_error_messages_are_single_plain_lines(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(b'{"schema": "smtpdiag.report/1", "created": "\x1b[2J"}')
    assert not window.open_report_path(str(path), interactive=False)
    assert not raw(window.banner.text())
    make: Callable[..., object] = window.files._open_failed
    make(str(path), "reason\nsecond line\x1b[2J", False)
    assert "\n" not in window.banner.summary.text() and not raw(window.banner.summary.text())


def test_a_partly_broken_report_is_shown_and_marked(window: MainWindow, tmp_path: Path) -> None:
    from test_reports import rich_report

    doc = json.loads(rich_report().dumps())
    doc["checks"][0]["light"] = "blue\u202e"
    doc["checks"][1]["duration_ms"] = -1
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert window.open_report_path(str(path))
    assert window.model.rowCount() > 0
    assert "Partly read" in window.banner.context.text() and "checks/0/light" in window.banner.context.text()
    assert window.banner.context.isVisible()


def test_a_huge_report_is_refused_at_once(window: MainWindow, tmp_path: Path) -> None:
    import time

    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:
        fh.truncate(100 * 1024 * 1024)
    start = time.perf_counter()
    assert not window.open_report_path(str(path))
    assert time.perf_counter() - start < 1.0
    assert "larger than 4 MB" in assert_plain_dialog(window)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_the_ca_field_with_a_fifo_or_a_device_answers_at_once(qtbot, qapp: QApplication, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import time

    w = MainWindow(mode="main", settings=QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        if not os.path.exists(path):
            continue
        w.target.setEditText("127.0.0.1")
        w.advanced.ca_file.setText(path)
        start = time.monotonic()
        assert not w.start_check()
        assert time.monotonic() - start < 2
        assert "not a regular file" in w.error_message()
        assert not raw(w.error_message())
    w.close()


def test_a_report_of_longest_allowed_texts_opens_without_stalling(window: MainWindow, tmp_path: Path) -> None:
    """Every text at the loader's 64 Ki limit (no spaces to wrap at): the window shows it
    cut short with "…" in rows, banner and details, in well under the seconds it once took."""
    import time

    from test_reports import rich_report

    doc = json.loads(rich_report().dumps())
    doc["overall"]["summary"] = doc["overall"]["advice"] = "s" * 65000
    for check in doc["checks"]:
        check["host"] = check["explanation"] = check["advice"] = "h" * 65000
    path = tmp_path / "long.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    start = time.perf_counter()
    assert window.open_report_path(str(path))
    window.details_action.setChecked(True)
    window.results.selectRow(0)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0, elapsed  # about 0.5 s on an idle machine; 9 s before the cut
    assert window.banner.summary.text().endswith("…") and len(window.banner.summary.text()) < 2000
    assert len(window.model.index(0, COL_CONNECTION).data()) < 1000
