"""What the window shows while a check runs: the run's lifecycle, from the first
planned row to the last light.

    RunView (QObject, owned by the MainWindow)
      begin()            rows cleared, banner "Checking …", Check becomes Cancel
      started/planned/step/check finished/finished/failed   the bridge's signals
      end()              Cancel becomes Check again
      progress           a 0.2 s tick updates the banner's progress line

The window validates the input and starts the runner (``MainWindow.start_check``);
this class only follows the run.  After two live runs, one with and one without a
VPN, it adds who blocks what to the advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Slot

from ..config import RunConfig
from ..i18n import _
from ..records import Check, Step
from ..report.model import Report
from . import lights
from .reportfiles import log_run
from .results import COL_OTHERS

if TYPE_CHECKING:
    from .window import MainWindow


class RunView(QObject):
    @property
    def window(self) -> MainWindow:
        # The Qt parent, not a Python attribute: no reference cycle, so the window is
        # freed on the GUI thread when it closes, not later by the garbage collector.
        return cast("MainWindow", self.parent())

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.running = False
        self.target = ""
        self.previous: Report | None = None  # the last live run, to compare with and without VPN
        self._elapsed = QElapsedTimer()
        self._tick = QTimer(self)
        self._tick.setInterval(200)
        self._tick.timeout.connect(self._update_progress)
        runner = window.runner
        runner.started.connect(self._run_started)
        runner.planned.connect(self._run_planned)
        runner.stepRecorded.connect(self._run_step)
        runner.checkFinished.connect(self._run_check_finished)
        runner.finished.connect(self._run_finished)
        runner.failed.connect(self._run_failed)

    def begin(self, target: str, has_controls: bool) -> None:
        w = self.window
        self.running = True
        self.target = target
        w.report = None
        w.report_path = None
        w.model.clear()
        w.results.setColumnHidden(COL_OTHERS, not has_controls)
        w.details.show_nothing()
        if has_controls:
            summary = _("Trying every way a mail program can connect, and comparing with other mail servers.")
        else:
            summary = _("Trying every way a mail program can connect.")
        w.banner.show_running(_("Checking {target}…").format(target=target), summary)
        w.set_title(target)
        w.check_button.setText(_("Cancel"))
        w.check_button.setAccessibleName(_("Cancel"))
        self._elapsed.start()
        self._tick.start()
        self._update_progress()
        w.update_actions()

    def end(self) -> None:
        w = self.window
        self.running = False
        self._tick.stop()
        w.check_button.setText(_("Check"))
        w.check_button.setAccessibleName(_("Check"))
        w.update_actions()

    def stop(self) -> None:
        """The window closes: stop the clock, never wait for a probe."""
        self._tick.stop()
        self.running = False

    @Slot(object)
    def _run_started(self, config: RunConfig) -> None:
        w = self.window
        self.target = config.target
        if w.mode == "demo":
            w.target.setEditText(config.target)
        w.banner.headline.setText(_("Checking {target}…").format(target=config.target))

    @Slot(object)
    def _run_planned(self, checks: tuple[Check, ...]) -> None:
        w = self.window
        w.model.plan(checks)
        w.results.setColumnHidden(COL_OTHERS, not w.model.has_controls())
        if w.details.isVisible() and w.model.rowCount():
            w.results.selectRow(0)
        self._update_progress()

    @Slot(str, object)
    def _run_step(self, check_id: str, step: Step) -> None:
        self.window.model.record_step(check_id, step)

    @Slot(object)
    def _run_check_finished(self, check: Check) -> None:
        self.window.model.finish_check(check)
        self._update_progress()

    def _compare_with_previous_run(self, report: Report) -> None:
        """After runs with and without a VPN, say who blocks what."""
        from ..report.model import vpn_comparison

        note = vpn_comparison(self.previous, report)
        self.previous = report
        banner = self.window.banner
        if note:
            banner.advice.setText(f"{banner.advice.text()} {note}".strip())

    @Slot(object)
    def _run_finished(self, report: Report | None) -> None:
        w = self.window
        was_running = self.running
        self.end()
        if report is None:
            w.model.cancel_unfinished()
            w.banner.show_message(_("Check stopped"), _("The check stopped before it began."),
                                  _("Press Check to start again."), self.target, light="grey")
            return
        w.mail.finish(report)  # the mail programs' block, before anything shows the report
        w.show_report(report)
        if was_running:
            self._compare_with_previous_run(report)
        if was_running and w.mode != "demo":
            log_run(report)
        if was_running:
            light = str(report.overall.get("light", "grey"))
            w.statusBar().showMessage(
                _("Check finished: {light}.").format(light=lights.word(light)), 8000)

    @Slot(str)
    def _run_failed(self, message: str) -> None:
        w = self.window
        self.end()
        w.model.cancel_unfinished()
        w.banner.show_message(_("The check could not run"), message,
                              _("Try again. If it happens again, tell support."), light="grey")

    @Slot()
    def _update_progress(self) -> None:
        if not self.running:
            return
        done, total = self.window.model.progress()
        self.window.banner.set_progress(done, total, self._elapsed.elapsed() / 1000.0)
