"""The mail programs on this computer, in the window (issue 15).

    AccountTargets     above the input box: "alice@example.com in Thunderbird", one click
                       checks the outgoing server that account uses
    MailProgramsPanel  after a run (and in a saved report): one row per account that uses
                       the tested server, whether its settings work and what to change, in
                       the same words as the command line and the reports
    MailPrograms       ties both to the window: reads the accounts (never in view mode;
                       in the demo only the built-in examples), adds their exact settings
                       to a run, fills the report's ``mail_programs`` block
"""

from __future__ import annotations

import html
import weakref
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..accounts.model import MailAccount
from ..config import RunConfig
from ..i18n import _
from ..report import mail_programs as words
from ..report.model import Report
from ..textsafe import one_line
from . import lights

if TYPE_CHECKING:
    from .window import MainWindow

MAX_TARGETS = 6  # more would push the input box off a small screen
PER_ROW = 3


class AccountTargets(QWidget):
    """One button per found account; clicking one asks to check its outgoing server."""

    chosen = Signal(str)  # the host to check

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self.label = QLabel(_("Found in your mail programs:"), self)
        outer.addWidget(self.label)
        self._grid = QGridLayout()  # a few per row, so a long list never widens the window
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(0)
        outer.addLayout(self._grid)
        self.buttons: list[QPushButton] = []
        self.setAccessibleName(_("Accounts found in your mail programs"))
        self.hide()

    def set_accounts(self, accounts: tuple[MailAccount, ...]) -> None:
        for button in self.buttons:
            self._grid.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        seen: set[tuple[str, str, str]] = set()
        for account in accounts:
            key = (account.account or account.user, account.program, account.host.lower())
            if key in seen or len(self.buttons) >= MAX_TARGETS:
                continue
            seen.add(key)
            button = QPushButton(one_line(account.label(), 200), self)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            tip = _("Check {host}, the outgoing server set for this account").format(host=one_line(account.host, 300))
            button.setToolTip(f"<qt>{html.escape(tip)}</qt>")  # a tip that looks like HTML would be HTML
            button.setAccessibleDescription(tip)
            button.clicked.connect(lambda _checked=False, host=account.host: self.chosen.emit(host))
            row, column = divmod(len(self.buttons), PER_ROW)
            self._grid.addWidget(button, row, column, Qt.AlignmentFlag.AlignLeft)
            self.buttons.append(button)
        self._grid.setColumnStretch(PER_ROW, 1)
        self.setVisible(bool(self.buttons))


class MailProgramsPanel(QFrame):
    """The report's ``mail_programs`` block as rows: light, who, setting, verdict and fix."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 6)
        self._layout.setSpacing(4)
        self.heading = QLabel(_("Mail programs on this computer"), self)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self._layout.addWidget(self.heading)
        self.rows: list[QWidget] = []
        self.setAccessibleName(_("Mail programs on this computer"))
        self.hide()

    def row_texts(self) -> list[str]:
        """What each row says (light word, who, setting, verdict, fix), for tests and screen readers."""
        return [row.accessibleName() for row in self.rows]

    def show_report(self, report: Report | None) -> None:
        for row in self.rows:
            self._layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        items = words.entries(report) if report is not None else []
        size = self.fontMetrics().height()
        for entry in items:
            light = words.VERDICT_LIGHT.get(str(entry.get("verdict", "")), "grey")
            row = QWidget(self)
            layout = QHBoxLayout(row)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(8)
            icon = QLabel(row)
            icon.setPixmap(lights.light_pixmap(light, size, self.devicePixelRatioF()))
            icon.setAccessibleName(lights.word(light))
            text = QLabel(row)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            first = f"{words.who(entry)}: {words.setting(entry)}"
            second = f"{words.verdict_word(entry)} — {entry.get('fix', '')}"
            text.setText(one_line(first, 600) + "\n" + one_line(second, 1500))
            row.setAccessibleName(one_line(f"{lights.word(light)}. {first}. {second}", 2000))
            layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
            layout.addWidget(text, 1)
            self._layout.addWidget(row)
            self.rows.append(row)
        self.setVisible(bool(self.rows))


class MailPrograms:
    """The window's side of the mail programs: which accounts, what a run adds, what it shows."""

    def __init__(self, window: MainWindow, parent: QWidget) -> None:
        # A weak reference: the window owns this object, and a reference cycle would leave
        # the window to Python's garbage collector, which may free its timers on a worker
        # thread ("Timers cannot be stopped from another thread").
        self._window = weakref.ref(window)
        self.accounts: tuple[MailAccount, ...] = ()
        self._run_accounts: tuple[MailAccount, ...] = ()  # the current run's
        self.targets = AccountTargets(parent)
        self.panel = MailProgramsPanel(parent)
        self.targets.chosen.connect(self._chosen)

    @property
    def window(self) -> MainWindow:
        window = self._window()
        assert window is not None, "the window is gone"
        return window

    def load(self) -> None:
        """The accounts of this user's mail programs (main mode only; never in view or demo)."""
        if self.window.mode not in ("main", "check"):
            return
        from ..accounts.run import look

        self.accounts = look().accounts
        self.targets.set_accounts(self.accounts)

    def config_for(self, config: RunConfig) -> RunConfig:
        """*config* that also tests the exact settings of the accounts (a run starts)."""
        from ..accounts.run import with_accounts

        self._run_accounts = self.accounts
        self.panel.show_report(None)
        return with_accounts(config, self.accounts) if self.accounts else config

    def begin_demo(self, name: str) -> None:
        """A demo run starts: its scenario's built-in example accounts (never the user's)."""
        from ..demo import mail_accounts

        self.panel.show_report(None)
        self._run_accounts = mail_accounts(name)

    def finish(self, report: Report) -> None:
        """Fill the finished run's ``mail_programs`` (before the window shows it)."""
        if self._run_accounts:
            from ..report.mail_programs import attach

            attach(report, self._run_accounts)

    def show_report(self, report: Report | None) -> None:
        self.panel.show_report(report)

    @Slot(str)
    def _chosen(self, host: str) -> None:
        if self.window.running:
            return
        self.window.set_target(host)
        self.window.start_check()
