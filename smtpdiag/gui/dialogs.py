"""Small dialogs: what the lights mean, what a saved report contains, about.

    LightsHelpDialog   each light with its icon, its word and what it means
    PrivacyDialog      before saving or copying: what the report contains, and
                       "hide server names and addresses"
    show_about()       version and licence
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..i18n import _
from ..report.model import Report
from . import lights


class LightsHelpDialog(QDialog):
    """Help > What the lights mean."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("What the lights mean"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("Each test gets one light. The shape and the word say the same as the colour, "
                         "so you can tell them apart without colours."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(10)
        ratio = self.devicePixelRatioF()
        for row, light in enumerate((*lights.LIGHTS, lights.WAITING)):
            icon = QLabel(self)
            icon.setPixmap(lights.light_pixmap(light, 32, ratio))
            icon.setAccessibleName(lights.word(light))
            word = QLabel(f"<b>{lights.word(light)}</b>", self)
            text = _("The test is still running.") if light == lights.WAITING else lights.meaning(light)
            meaning = QLabel(text, self)
            meaning.setWordWrap(True)
            meaning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(icon, row, 0, Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(word, row, 1, Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(meaning, row, 2, Qt.AlignmentFlag.AlignVCenter)
        grid.setColumnStretch(2, 1)
        layout.addLayout(grid)
        overall = QLabel(_("The light at the top answers one question: can you send mail securely to "
                           "this server? Port 25 is shown but does not count, because most home and "
                           "mobile networks block it on purpose."), self)
        overall.setWordWrap(True)
        layout.addWidget(overall)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)


class PrivacyDialog(QDialog):
    """Shows what the report contains before it leaves the computer."""

    def __init__(self, report: Report, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("What the report contains"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("The report you are about to save contains:"), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.contents = QListWidget(self)
        from ..report.privacy import disclosure

        self.contents.addItems(list(disclosure(report)))
        self.contents.setWordWrap(True)
        self.contents.setAccessibleName(_("What the report contains"))
        layout.addWidget(self.contents)
        self.hide_names = QCheckBox(_("&Hide server names and addresses"), self)
        self.hide_names.setAccessibleDescription(
            _("Replace server names and addresses in the report with placeholders"))
        layout.addWidget(self.hide_names)
        note = QLabel(_("Passwords are never part of a report."), self)
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def chosen_report(self, report: Report) -> Report:
        """The report to write: anonymised if the user asked for it."""
        if self.hide_names.isChecked():
            from ..report.privacy import anonymise

            return anonymise(report)
        return report


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(
        parent, _("About smtpdiag"),
        "<h3>smtpdiag {version}</h3><p>{what}</p><p>{licence}</p>".format(
            version=__version__,
            what=_("Finds out why your mail program cannot send mail: your network, your computer, "
                   "or the mail server."),
            licence=_("Free software under the MIT licence."),
        ),
    )
