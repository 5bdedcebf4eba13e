"""The window's report files: open (menu, drag and drop, command line), save (with
the privacy choice), copy for support, the log folder, and the messages they show.

    ReportActions (QObject, owned by the MainWindow)
      choose() / open_path(path)   a damaged file gives a clear message, never a crash
      save() / save_as(report, path, fmt)
      copy_for_support()
      open_log_folder()
      accepts_drop(event) / drop(event)   a saved report dropped on the window

What is written is decided in :mod:`smtpdiag.gui.reportfiles` (formats, renderers);
this class asks the user and reports the outcome.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject, QStandardPaths, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox

from ..i18n import _
from ..report.files import safe_file_name
from ..report.model import Report, ReportError
from ..textsafe import file_name, one_line, plain
from .dialogs import PrivacyDialog
from .reportfiles import (
    FORMATS,
    format_filter,
    log_dir,
    support_text,
    write_report,
)

if TYPE_CHECKING:
    from .window import MainWindow

KEY_SAVE_DIR = "window/save_dir"


class ReportActions(QObject):
    @property
    def window(self) -> MainWindow:
        # The Qt parent, not a Python attribute: no reference cycle, so the window is
        # freed on the GUI thread when it closes, not later by the garbage collector.
        return cast("MainWindow", self.parent())

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.message_box: QMessageBox | None = None

    # -- open -------------------------------------------------------------------------------
    @Slot()
    def choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self.window, _("Open report"), self._save_dir(),
            _("smtpdiag reports (*.json);;All files (*)"))
        if path:
            self.open_path(path)

    def open_path(self, path: str, interactive: bool = True) -> bool:
        """Open a saved report through the one loader (smtpdiag.report.loader): a damaged or
        hostile file gives one plain line, never a crash; a partly readable one is shown and
        marked "Partly read"."""
        from ..report.loader import load_report

        try:
            loaded = load_report(path)
        except ReportError as exc:
            self._open_failed(path, str(exc), interactive)
            return False
        w = self.window
        w.show_report(loaded.report, path)
        note = loaded.partial_note()
        if note:
            w.banner.context.setText(one_line(f"{w.banner.context.text()} · {note}"))
            w.banner.context.setVisible(True)
            w.statusBar().showMessage(note, 20000)
        return True

    def _open_failed(self, path: str, reason: str, interactive: bool) -> None:
        w = self.window
        if interactive:
            self.message(QMessageBox.Icon.Warning, _("This report cannot be opened"), one_line(reason))
        else:
            w.banner.show_message(
                _("This report cannot be opened"), one_line(reason),
                _("Ask the person who sent it to save it again with smtpdiag, and send the .json file."),
                file_name(os.path.basename(path)), light="grey")
        w.statusBar().showMessage(one_line(reason), 10000)

    # -- drag and drop a saved report ---------------------------------------------------------
    def accepts_drop(self, event: QDragEnterEvent | QDropEvent) -> str | None:
        """The dropped report's path when the window can open it now, else None."""
        if self.window.running:
            return None
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(".json"):
                return url.toLocalFile()
        return None

    def drag_enter(self, event: QDragEnterEvent) -> None:
        if self.accepts_drop(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop(self, event: QDropEvent) -> None:
        path = self.accepts_drop(event)
        if path:
            event.acceptProposedAction()
            self.open_path(path)

    # -- save and copy ----------------------------------------------------------------------------
    @Slot()
    def save(self) -> None:
        w = self.window
        if w.report is None:
            return
        dialog = PrivacyDialog(w.report, w)
        if dialog.exec() != PrivacyDialog.DialogCode.Accepted:
            return
        report = dialog.chosen_report(w.report)
        formats = list(FORMATS)
        filters = [format_filter(f) for f in formats]
        stamp = report.created[:10] or time.strftime("%Y-%m-%d")
        name = safe_file_name(str(report.input.get("target") or "report"), stamp)
        suggested = os.path.join(self._save_dir(), name)
        path, chosen = QFileDialog.getSaveFileName(w, _("Save report"), suggested, ";;".join(filters))
        if not path:
            return
        fmt = formats[filters.index(chosen)] if chosen in filters else "json"
        for key in formats:  # the typed extension wins over the filter
            if path.lower().endswith(FORMATS[key][1]):
                fmt = key
                break
        else:
            path += FORMATS[fmt][1]
        self.save_as(report, path, fmt)

    def save_as(self, report: Report, path: str, fmt: str) -> bool:
        w = self.window
        try:
            write_report(report, path, fmt)
        except (OSError, ValueError) as exc:
            self.message(QMessageBox.Icon.Warning, _("The report was not saved"),
                         _("smtpdiag could not write {path}: {reason}").format(
                             path=path, reason=getattr(exc, "strerror", None) or exc))
            return False
        w.settings.setValue(KEY_SAVE_DIR, os.path.dirname(os.path.abspath(path)))
        w.statusBar().showMessage(_("Report saved as {path}.").format(path=path), 8000)
        return True

    @Slot()
    def copy_for_support(self) -> None:
        w = self.window
        if w.report is None:
            return
        QGuiApplication.clipboard().setText(support_text(w.report))
        w.statusBar().showMessage(_("Copied. Paste it into your message to support."), 8000)

    def _save_dir(self) -> str:
        saved = str(self.window.settings.value(KEY_SAVE_DIR, "") or "")
        if saved and os.path.isdir(saved):
            return saved
        return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or ""

    # -- the log folder ------------------------------------------------------------------------
    @Slot()
    def open_log_folder(self) -> None:
        folder = log_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.message(QMessageBox.Icon.Information, _("Log folder"),
                         _("The log files are in {folder}").format(folder=folder))

    # -- messages ---------------------------------------------------------------------------------
    def message(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        """A window-modal message that does not block the event loop.

        Plain text only (never AutoText, so a report's ``<a href>`` is no link and
        ``<h1>`` no headline), with every invisible or reordering character escaped."""
        box = QMessageBox(icon, one_line(title), plain(text), QMessageBox.StandardButton.Ok, self.window)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in box.findChildren(QLabel):  # QMessageBox's own label opens links by default
            label.setOpenExternalLinks(False)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.finished.connect(self._message_closed)
        box.open()

    @Slot()
    def _message_closed(self) -> None:
        self.message_box = None
