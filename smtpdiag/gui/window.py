"""The main window: one box, one button, live traffic lights.

    MainWindow (QMainWindow)
      Banner             overall light, headline, summary, advice / progress
      input row          "Your mail server or e-mail address" + Check/Cancel
                         (demo: a practice-situation picker instead of the box)
      AdvancedOptions    collapsed; everything ``smtpdiag check`` offers
      ResultsView        one row per port, live
      DetailsPane        the selected row's records (for support staff)
      DiagnosisRunner    the bridge to the engine's worker threads
      RunView            follows a run: rows, banner, progress, Check/Cancel (gui/runview.py)
      ReportActions      open, save, copy for support, drag and drop, log folder
                         (gui/reportactions.py)

Modes: ``main`` (empty), ``check`` (target filled in and started), ``view`` (a
saved report, read-only) and ``demo`` (the simulated network).
"""

from __future__ import annotations

import itertools
import os

from PySide6.QtCore import (
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..i18n import _
from ..net import Network
from ..report.model import Report
from ..textsafe import one_line
from . import lights
from .banner import Banner
from .bridge import DiagnosisRunner
from .details import DetailsPane
from .dialogs import LightsHelpDialog, show_about
from .mailprograms import MailPrograms
from .options import AdvancedOptions
from .reportactions import ReportActions
from .reportfiles import format_created
from .results import COL_OTHERS, ResultsModel, ResultsView
from .runview import RunView

KEY_RECENT = "recent/targets"
KEY_GEOMETRY = "window/geometry"
KEY_SPLITTER = "window/splitter"
KEY_DETAILS = "window/details"
MAX_RECENT = 12
DEMO_TIMEOUT = 3.0

class MainWindow(QMainWindow):
    def __init__(self, mode: str = "main", settings: QSettings | None = None,
                 network: Network | None = None, parent: QWidget | None = None) -> None:
        """*settings*: where recent entries and options live (default: the user's);
        *network*: the transport for checks (default: the real network; tests pass
        a simulated one)."""
        super().__init__(parent)
        self.mode = mode
        self.settings = settings if settings is not None else QSettings()
        self.network = network
        self.demo_timeout = DEMO_TIMEOUT
        self.report: Report | None = None
        self.report_path: str | None = None
        self.runner = DiagnosisRunner(self)
        self.run = RunView(self)  # follows the run: rows, banner, progress, Check/Cancel
        self.files = ReportActions(self)  # open, save, copy, drag and drop, log folder
        self._closing = False
        self._scenarios: dict[str, object] = {}

        self.setWindowTitle("")  # Qt shows the application's name; titles below add what is shown
        if mode == "demo":
            self.setWindowTitle(_("Practice mode"))
        self.setWindowIcon(lights.app_icon())
        self.setAcceptDrops(True)
        self._build_actions()
        self._build_menus()
        self._build_central()
        self._restore()
        self._apply_mode()
        self.mail.load()
        self._show_idle()
        self.update_actions()

    # ======================================================================== building
    def _build_actions(self) -> None:
        def action(text: str, slot: object,
                   shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                   tip: str = "") -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            if tip:
                a.setStatusTip(tip)
                a.setToolTip(tip)
            a.triggered.connect(slot)
            return a

        self.open_action = action(_("&Open report…"), self.files.choose, QKeySequence.StandardKey.Open,
                                  _("Open a report saved by smtpdiag"))
        self.save_action = action(_("&Save report…"), self.files.save, QKeySequence.StandardKey.Save,
                                  _("Save the result as a file, to send to support"))
        self.copy_action = action(_("&Copy for support"), self.files.copy_for_support, "Ctrl+Shift+C",
                                  _("Copy a short summary, to paste into a message to support"))
        self.quit_action = action(_("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        self.details_action = action(_("Technical &details"), self._set_details_visible, "Ctrl+D",
                                     _("Show everything that was recorded for the selected row"))
        self.details_action.setCheckable(True)
        self.lights_action = action(_("What the &lights mean"), self.show_lights_help,
                                    QKeySequence.StandardKey.HelpContents)
        self.logs_action = action(_("Open &log folder"), self.files.open_log_folder)
        self.about_action = action(_("&About smtpdiag"), self.show_about)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(_("&File"))
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.copy_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu(_("&View"))
        view_menu.addAction(self.details_action)
        help_menu = self.menuBar().addMenu(_("&Help"))
        help_menu.addAction(self.lights_action)
        help_menu.addAction(self.logs_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)

    def _build_central(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(14, 12, 14, 10)
        layout.setSpacing(10)

        self.banner = Banner(central)
        layout.addWidget(self.banner)

        # -- the input: one box and one button (demo: a scenario picker) --------------------
        self.input_area = QWidget(central)
        input_layout = QVBoxLayout(self.input_area)
        input_layout.setContentsMargins(0, 0, 0, 0)
        input_layout.setSpacing(4)
        self.mail = MailPrograms(self, central)  # the mail programs on this computer (issue 15)
        input_layout.addWidget(self.mail.targets)
        self.target_label = QLabel(_("&Your mail server or e-mail address"), self.input_area)
        input_layout.addWidget(self.target_label)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.target = QComboBox(self.input_area)
        self.target.setEditable(True)
        self.target.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.target.setMaxCount(MAX_RECENT)
        self.target.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.target.setMinimumContentsLength(24)
        line = self.target.lineEdit()
        assert line is not None  # an editable combo box has one
        line.setPlaceholderText(_("for example mail.example.com or you@example.com"))
        line.setClearButtonEnabled(True)
        line.returnPressed.connect(self.start_check)
        line.textEdited.connect(self._clear_error)
        completer = QCompleter(self.target.model(), self.target)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.target.setCompleter(completer)
        self.target_label.setBuddy(self.target)
        self.target.setAccessibleName(_("Your mail server or e-mail address"))
        self.target.setAccessibleDescription(
            _("Type the name of your mail server or your e-mail address, then press Enter"))
        row.addWidget(self.target, 1)

        self.scenario = QComboBox(self.input_area)
        self.scenario.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.scenario.setAccessibleName(_("Practice situation"))
        self.scenario.setAccessibleDescription(_("A simulated situation to check; press Enter to start"))
        self.scenario.currentIndexChanged.connect(self._scenario_changed)
        row.addWidget(self.scenario, 1)

        self.check_button = QPushButton(_("Check"), self.input_area)
        self.check_button.setMinimumWidth(self.check_button.fontMetrics().horizontalAdvance(_("Cancel")) + 48)
        self.check_button.clicked.connect(self._check_button_clicked)
        self.check_button.setAccessibleName(_("Check"))
        self.check_button.setAccessibleDescription(_("Start the check (Enter); while it runs, stop it (Esc)"))
        row.addWidget(self.check_button)
        input_layout.addLayout(row)

        self.scenario_description = QLabel(self.input_area)
        self.scenario_description.setWordWrap(True)
        self.scenario_description.setTextFormat(Qt.TextFormat.PlainText)
        self.scenario_description.setAccessibleName(_("About this situation"))
        input_layout.addWidget(self.scenario_description)

        self.error_row = QWidget(self.input_area)
        error_layout = QHBoxLayout(self.error_row)
        error_layout.setContentsMargins(0, 0, 0, 0)
        error_layout.setSpacing(6)
        self.error_icon = QLabel(self.error_row)
        size = self.fontMetrics().height()
        self.error_icon.setPixmap(lights.light_icon("amber").pixmap(size, size))
        self.error_icon.setAccessibleName(lights.word("amber"))
        self.error_text = QLabel(self.error_row)
        self.error_text.setTextFormat(Qt.TextFormat.PlainText)
        self.error_text.setWordWrap(True)
        self.error_text.setAccessibleName(_("Problem with what you typed"))
        error_layout.addWidget(self.error_icon, 0, Qt.AlignmentFlag.AlignTop)
        error_layout.addWidget(self.error_text, 1)
        self.error_row.hide()
        input_layout.addWidget(self.error_row)

        self.advanced_toggle = QToolButton(self.input_area)
        self.advanced_toggle.setText(_("&Advanced"))
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAccessibleName(_("Advanced options"))
        self.advanced_toggle.setAccessibleDescription(
            _("Show or hide ports, reference servers, time limit, VPN, certificates and login"))
        self.advanced_toggle.toggled.connect(self._set_advanced_visible)
        input_layout.addWidget(self.advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        self.advanced = AdvancedOptions(self.input_area)
        self.advanced.hide()
        self.advanced.changed.connect(self._clear_error)
        self.advanced.submitted.connect(self.start_check)
        input_layout.addWidget(self.advanced)
        layout.addWidget(self.input_area)
        layout.addWidget(self.mail.panel)

        # -- results and details ------------------------------------------------------------------
        self.model = ResultsModel(self)
        self.results = ResultsView(central)
        self.results.setModel(self.model)
        self.results.setAccessibleName(_("Results"))
        self.results.setAccessibleDescription(_("One row for each way of connecting to the mail server"))
        self.results.selectionModel().currentRowChanged.connect(self._current_row_changed)
        self.model.dataChanged.connect(self._model_data_changed)
        self.details = DetailsPane(central)
        self.splitter = QSplitter(Qt.Orientation.Vertical, central)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.results)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.details.hide()
        self._splitter_moved = False
        self.splitter.splitterMoved.connect(self._splitter_was_moved)
        layout.addWidget(self.splitter, 1)

        bottom = QHBoxLayout()
        bottom.setSpacing(8)
        self.details_button = QToolButton(central)
        self.details_button.setDefaultAction(self.details_action)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.details_button.setAccessibleName(_("Technical details"))
        bottom.addWidget(self.details_button)
        bottom.addStretch(1)
        self.copy_button = QPushButton(_("Copy for support"), central)
        self.copy_button.clicked.connect(self.copy_action.trigger)
        self.copy_button.setAccessibleName(_("Copy for support"))
        self.copy_button.setAccessibleDescription(self.copy_action.statusTip())
        self.save_button = QPushButton(_("Save report…"), central)
        self.save_button.clicked.connect(self.save_action.trigger)
        self.save_button.setAccessibleName(_("Save report"))
        self.save_button.setAccessibleDescription(self.save_action.statusTip())
        bottom.addWidget(self.copy_button)
        bottom.addWidget(self.save_button)
        layout.addLayout(bottom)
        self.setCentralWidget(central)
        self.statusBar().setSizeGripEnabled(True)

        # -- keyboard: Enter starts, Esc cancels -------------------------------------------------
        self.cancel_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.cancel_shortcut.activated.connect(self.cancel_check)
        for widget in (self.check_button, self.scenario):
            for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                shortcut = QShortcut(QKeySequence(key), widget)
                shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
                shortcut.activated.connect(self._check_button_clicked)
        self._set_tab_order()

    def _set_tab_order(self) -> None:
        chain = [self.target, self.scenario, self.check_button, self.advanced_toggle,
                 *self.advanced.focus_chain(), self.results, self.details_button, self.copy_button,
                 self.save_button, self.details]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _restore(self) -> None:
        stored = self.settings.value(KEY_RECENT, [])
        recent = [stored] if isinstance(stored, str) else list(stored) if isinstance(stored, list) else []
        for text in recent[:MAX_RECENT]:
            self.target.addItem(str(text))
        self.target.setCurrentIndex(-1)
        self.target.setEditText("")
        self.advanced.load(self.settings)
        geometry = self.settings.value(KEY_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(920, 680)
        splitter = self.settings.value(KEY_SPLITTER)
        if splitter is not None:
            self._splitter_moved = bool(self.splitter.restoreState(splitter))
        details = self.settings.value(KEY_DETAILS, "view" if self.mode == "view" else "false")
        self._set_details_visible(str(details).lower() in ("true", "view"))

    def _apply_mode(self) -> None:
        demo = self.mode == "demo"
        self.target.setVisible(not demo)
        self.scenario.setVisible(demo)
        self.scenario_description.setVisible(demo)
        self.advanced_toggle.setVisible(not demo)
        if demo:
            self.target_label.setText(_("&Practice situation (simulated on this computer)"))
            self.target_label.setBuddy(self.scenario)
            self._load_scenarios()
        if self.mode == "view":
            self.input_area.hide()
            self.details_action.setChecked(True)
            self._set_details_visible(True)

    def _load_scenarios(self) -> None:
        from ..demo import scenarios

        SCENARIOS = scenarios()

        self._scenarios = dict(SCENARIOS)
        self.scenario.blockSignals(True)
        for name, scenario in SCENARIOS.items():
            self.scenario.addItem(_(getattr(scenario, "title", name)), name)
        self.scenario.blockSignals(False)
        self._scenario_changed(self.scenario.currentIndex())

    # ======================================================================== public API
    def set_target(self, text: str) -> None:
        self.target.setEditText(text)

    def select_scenario(self, name: str | None) -> bool:
        index = self.scenario.findData(name) if name else 0
        if index < 0:
            return False
        self.scenario.setCurrentIndex(index)
        return True

    @property
    def running(self) -> bool:
        return self.run.running

    @Slot()
    def start_check(self) -> bool:
        """Validate the input and start a check; returns False (with a message) on bad input."""
        if self.running or self._closing:
            return False
        self._clear_error()
        if self.mode == "demo":
            name = self.scenario.currentData()
            if not name:
                return False
            self.mail.begin_demo(str(name))
            self.runner.start_scenario(str(name), self.demo_timeout)
            self.run.begin(_(getattr(self._scenarios.get(name), "title", name)), has_controls=True)
            return True
        from ..options import UsageError

        text = self.target.currentText().strip()
        try:
            config = self.advanced.build_config(text)
        except UsageError as exc:
            self.show_error(str(exc), in_advanced=self._target_is_valid(text))
            return False
        config = self.mail.config_for(config)
        self._remember_target(text)
        self.advanced.save(self.settings)
        self.runner.start(config, self.network)
        self.run.begin(config.target, has_controls=bool(config.controls))
        return True

    @Slot()
    def cancel_check(self) -> None:
        """Stop the running check: unfinished rows turn grey "Not tested" at once."""
        if not self.running:
            return
        self.runner.cancel()
        self.run.end()
        self.model.cancel_unfinished()
        self.banner.show_message(
            _("Check stopped"),
            _("Tests that did not finish are marked “Not tested”."),
            _("Press Check to start again."), self.run.target, light="grey")
        self._refresh_details()
        self.statusBar().showMessage(_("Check stopped."), 5000)

    def show_error(self, message: str, in_advanced: bool = False) -> None:
        """A one-line message next to the box (bad input).  When the problem is in the
        advanced options, they are opened so the user sees what the message is about."""
        self.error_text.setText(one_line(message))
        self.error_row.show()
        self.target.setAccessibleDescription(message)
        if in_advanced:
            self.advanced_toggle.setChecked(True)
        elif self.mode != "demo":
            self.target.setFocus(Qt.FocusReason.OtherFocusReason)

    @staticmethod
    def _target_is_valid(text: str) -> bool:
        from ..target import BadInput, parse_target

        try:
            parse_target(text)
        except BadInput:
            return False
        return True

    def error_message(self) -> str:
        return self.error_text.text() if self.error_row.isVisibleTo(self) else ""

    def show_report(self, report: Report, path: str | None = None) -> None:
        """Show a finished report: the live run's, or one opened from a file."""
        if self.running:
            self.cancel_check()
        self.report = report
        self.report_path = path
        selected = self._selected_check_id()
        self.model.show_report(report)
        self.mail.show_report(report)
        self.results.setColumnHidden(COL_OTHERS, not self.model.has_controls())
        target = str(report.input.get("target", ""))
        created = format_created(report.created)
        if path:
            context = _("Saved report · {target} · made {created}").format(target=target, created=created)
            self.set_title(os.path.basename(path))
        else:
            context = _("{target} · checked {created}").format(target=target, created=created)
            self.set_title(target)
        if report.environment.get("vpn_active"):
            names = ", ".join(str(n) for n in report.environment.get("vpn_interfaces") or [])
            if names:
                context += " · " + _("VPN on ({interfaces}): results describe the VPN's network").format(
                    interfaces=names)
            else:
                context += " · " + _("VPN on: results describe the VPN's network")
        self.banner.show_report(report, context)
        self._reselect(selected)
        QTimer.singleShot(0, self._fit_splitter)  # once the rows have their heights
        self.update_actions()

    def open_report_path(self, path: str, interactive: bool = True) -> bool:
        """Open a saved report.  A damaged file gives a clear message, never a crash."""
        return self.files.open_path(path, interactive)

    def save_report_as(self, report: Report, path: str, fmt: str) -> bool:
        return self.files.save_as(report, path, fmt)

    # ======================================================================== UI slots
    @Slot()
    def _check_button_clicked(self) -> None:
        if self.running:
            self.cancel_check()
        else:
            self.start_check()

    @Slot()
    def _clear_error(self) -> None:
        if self.error_row.isVisibleTo(self):
            self.error_row.hide()
            self.error_text.clear()
            self.target.setAccessibleDescription(
                _("Type the name of your mail server or your e-mail address, then press Enter"))

    @Slot(bool)
    def _set_advanced_visible(self, visible: bool) -> None:
        self.advanced.setVisible(visible)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if visible else Qt.ArrowType.RightArrow)

    @Slot(bool)
    def _set_details_visible(self, visible: bool) -> None:
        if self.details_action.isChecked() != visible:
            self.details_action.setChecked(visible)
        self.details.setVisible(visible)
        if visible:
            self._fit_splitter()
            if self.results.currentIndex().row() < 0 and self.model.rowCount():
                self.results.selectRow(0)
            self._refresh_details()

    def set_title(self, text: str) -> None:
        """The window title: the checked server or the report file; in practice mode always
        "Practice mode", whichever situation runs (the title never flips between names)."""
        self.setWindowTitle(_("Practice mode") if self.mode == "demo" else one_line(text, 200))

    @Slot(int)
    def _scenario_changed(self, index: int) -> None:
        name = self.scenario.itemData(index)
        scenario = self._scenarios.get(name) if name else None
        description = _(getattr(scenario, "description", "")) if scenario else ""
        self.scenario_description.setText(description)
        if not self.running and self.mode == "demo":
            # Another situation: the previous one's results go, and so do Copy and Save.
            self.report = None
            self.report_path = None
            self.model.clear()
            self.details.show_nothing()
            self.statusBar().clearMessage()
            self._show_idle()
            self.update_actions()

    def _current_row_changed(self, *_args: object) -> None:
        self._refresh_details()

    def _model_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        row = self.results.currentIndex().row()
        if row >= 0 and top_left.row() <= row <= bottom_right.row():
            self._refresh_details()

    def _refresh_details(self) -> None:
        if not self.details.isVisible():
            return
        row = self.results.currentIndex().row()
        check = self.model.check_at(row)
        if check is None:
            self.details.show_nothing()
            return
        finished = self.model.state_at(row) == "done"
        self.details.show_check(check, self.model.live_steps(row), self.model.controls_for(check), finished)

    def _fit_splitter(self) -> None:
        """Give the details pane the room the results table does not need (until the
        user moves the splitter)."""
        if self._splitter_moved or not self.details.isVisible():
            return
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        table = self.results
        rows = sum(table.rowHeight(r) for r in range(self.model.rowCount()))
        wanted = table.horizontalHeader().height() + rows + 2 * table.frameWidth() + 4
        if self.model.rowCount() == 0:
            wanted = total // 2
        top = max(total * 3 // 10, min(wanted, total * 11 // 20))
        self.splitter.setSizes([top, total - top])

    @Slot(int, int)
    def _splitter_was_moved(self, _pos: int, _index: int) -> None:
        self._splitter_moved = True

    def _selected_check_id(self) -> str | None:
        check = self.model.check_at(self.results.currentIndex().row())
        return check.id if check else None

    def _reselect(self, check_id: str | None) -> None:
        row = self.model.row_of(check_id) if check_id else -1
        if row < 0 and self.model.rowCount() and self.details.isVisible():
            row = 0
        if row >= 0:
            self.results.selectRow(row)
        self._refresh_details()

    def _show_idle(self) -> None:
        if self.mode == "demo":
            self.banner.show_message(
                _("Practice mode"),
                _("The mail servers and networks here are simulated on this computer, so you can show "
                  "what each light means without touching a real server."),
                _("Choose a situation and press Check."))
        elif self.mode == "view":
            self.banner.show_message(_("No report open"), _("Open a report saved by smtpdiag."),
                                     _("Use File > Open report, or drop the file on this window."))
        else:
            self.banner.show_message(
                _("Can this computer send mail?"),
                _("Type the name of your mail server or your e-mail address and press Check. "
                  "smtpdiag tests how your mail program would connect; no e-mail is sent."))

    def update_actions(self) -> None:
        has_report = self.report is not None and not self.running
        for widget in (self.save_action, self.copy_action, self.save_button, self.copy_button):
            widget.setEnabled(has_report)
        self.open_action.setEnabled(not self.running)

    def _remember_target(self, text: str) -> None:
        recent = [self.target.itemText(i) for i in range(self.target.count())]
        recent = [text] + [r for r in recent if r.casefold() != text.casefold()]
        recent = recent[:MAX_RECENT]
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems(recent)
        self.target.setCurrentIndex(0)
        self.target.blockSignals(False)
        self.settings.setValue(KEY_RECENT, recent)

    # -- drag and drop a saved report -----------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.files.drag_enter(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.files.drop(event)

    # ======================================================================== help
    @Slot()
    def show_lights_help(self) -> None:
        LightsHelpDialog(self).open()

    @Slot()
    def show_about(self) -> None:
        show_about(self)

    # ======================================================================== closing
    def closeEvent(self, event: QCloseEvent) -> None:
        """Close at once: cancel the run and stop listening; never wait for a probe."""
        self._closing = True
        self.run.stop()
        self.runner.shutdown()
        try:
            self.settings.setValue(KEY_GEOMETRY, self.saveGeometry())
            if self._splitter_moved:
                self.settings.setValue(KEY_SPLITTER, self.splitter.saveState())
            if self.mode != "view":
                self.settings.setValue(KEY_DETAILS, "true" if self.details_action.isChecked() else "false")
            self.settings.sync()
        except Exception as exc:  # noqa: BLE001 - a settings problem must not keep the window open
            self.statusBar().showMessage(str(exc))
        event.accept()
