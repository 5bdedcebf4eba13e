"""The banner at the top of the window: the overall light, one headline, the summary
and the advice from the report, or the progress of a running check.

    LightLabel   a light icon drawn from its SVG at the screen's pixel ratio
    Banner       idle / running / result / stopped / error
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..i18n import _, ngettext
from ..report.model import Report
from ..report.words import report_headline
from ..textsafe import one_line
from . import lights

SHOWN_LIMIT = 1500  # characters in a banner line; a saved report may hold far longer texts


class LightLabel(QLabel):
    """A light (or the app icon), painted from SVG so it is crisp at any scale."""

    def __init__(self, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self._light = "grey"
        self._app_icon = True
        self.setFixedSize(size, size)

    def set_light(self, light: str, accessible_name: str) -> None:
        self._light, self._app_icon = light, False
        self.setAccessibleName(accessible_name)
        self.update()

    def set_app_icon(self, accessible_name: str) -> None:
        self._app_icon = True
        self.setAccessibleName(accessible_name)
        self.update()

    @property
    def light(self) -> str:
        return "app" if self._app_icon else self._light

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def paintEvent(self, event: QPaintEvent) -> None:
        icon = lights.app_icon() if self._app_icon else lights.light_icon(self._light)
        painter = QPainter(self)
        icon.paint(painter, self.rect(), Qt.AlignmentFlag.AlignCenter)
        painter.end()


class _TextColumn(QWidget):
    """The banner's text: as tall as its wrapped lines need at its real width.

    Word-wrapped labels report a minimum height as if they had to wrap one word per
    line; the scroll area would then always scroll.  This column asks for the height
    its text needs at the width it has."""

    def minimumSizeHint(self) -> QSize:
        layout = self.layout()
        if layout is None or not layout.hasHeightForWidth():
            return super().minimumSizeHint()
        return QSize(0, layout.totalHeightForWidth(max(1, self.width())))


class Banner(QFrame):
    """Overall light + headline + summary + advice, or progress while running."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.setAccessibleName(_("Overall result"))

        self.icon = LightLabel(56, self)
        self.headline = QLabel(self)
        font = QFont(self.headline.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.context = QLabel(self)
        self.context.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.context.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice = QLabel(self)
        self.advice.setWordWrap(True)
        self.advice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.progress.setAccessibleName(_("Progress"))
        self.progress_text = QLabel()
        for label in (self.headline, self.summary, self.advice, self.context, self.progress_text):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        text = QVBoxLayout()
        text.setSpacing(4)
        text.addWidget(self.headline)
        text.addWidget(self.context)
        text.addSpacing(2)
        text.addWidget(self.summary)
        text.addWidget(self.advice)
        # The progress row lives in a widget: hiding a widget removes it from the layout,
        # while a layout of hidden widgets would still cap the column's width.
        self.progress_row = QWidget(self)
        progress_row = QHBoxLayout(self.progress_row)
        progress_row.setContentsMargins(0, 4, 0, 0)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.progress_text)
        text.addWidget(self.progress_row)

        # The header keeps one height in every state (idle, running, result, error): the
        # text column scrolls in the rare case it needs more room than that.
        text.addStretch(1)
        column = _TextColumn()
        column.setLayout(text)
        column.setAutoFillBackground(False)
        self.text_area = QScrollArea(self)
        self.text_area.setWidget(column)
        self.text_area.setWidgetResizable(True)
        self.text_area.setFrameShape(QFrame.Shape.NoFrame)
        self.text_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.text_area.viewport().setAutoFillBackground(False)
        self.text_area.setAccessibleName(_("Overall result"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(16)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text_area, 1)
        self._set_progress_visible(False)
        self.setFixedHeight(self.fixed_height())

    def fixed_height(self) -> int:
        """Room for a two-line headline, the context line and eight lines of summary and advice."""
        body = self.fontMetrics().lineSpacing()
        head = self.headline.fontMetrics().lineSpacing()
        return 14 + 2 * head + 4 + body + 2 + 8 * body + 3 * 4 + 14 + 4

    # -- states ------------------------------------------------------------------------------
    def show_message(self, headline: str, summary: str, advice: str = "", context: str = "",
                     light: str | None = None) -> None:
        """A plain message: idle, demo introduction, an error."""
        if light is None:
            self.icon.set_app_icon(headline)
        else:
            self.icon.set_light(light, _("Overall: {light}").format(light=lights.word(light)))
        self._set_texts(headline, context, summary, advice)
        self._set_progress_visible(False)

    def show_running(self, headline: str, summary: str, context: str = "") -> None:
        self.icon.set_light(lights.WAITING, _("Overall: testing"))
        self._set_texts(headline, context, summary, "")
        self.progress.setRange(0, 0)  # busy until the plan is known
        self.progress_text.setText("")
        self._set_progress_visible(True)

    def set_progress(self, done: int, total: int, seconds: float) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            text = ngettext("{done} of {total} test done · {seconds:.0f} s",
                            "{done} of {total} tests done · {seconds:.0f} s", total).format(
                done=done, total=total, seconds=seconds)
        else:
            text = _("Starting · {seconds:.0f} s").format(seconds=seconds)
        self.progress_text.setText(text)
        self.progress.setAccessibleDescription(text)

    def show_report(self, report: Report, context: str = "") -> None:
        overall = report.overall or {}
        light = str(overall.get("light") or "grey")
        if light not in lights.LIGHTS:
            light = "grey"
        headline = report_headline(overall)
        self.icon.set_light(light, _("Overall: {light} – {headline}").format(
            light=lights.word(light), headline=headline))
        advice = str(overall.get("advice") or "")
        self._set_texts(headline, context, str(overall.get("summary") or ""),
                        _("What to do: {advice}").format(advice=advice) if advice else "")
        self._set_progress_visible(False)

    # -- reading (tests, screen readers) -----------------------------------------------------
    def text(self) -> str:
        return " ".join(w.text() for w in (self.headline, self.context, self.summary, self.advice)
                        if w.text())

    # -- helpers -------------------------------------------------------------------------------
    def _set_texts(self, headline: str, context: str, summary: str, advice: str) -> None:
        # Plain-text labels, and every value through the one neutraliser: a report's
        # summary or a file name may hold bidi overrides or line breaks.
        headline, context, summary, advice = (one_line(x, SHOWN_LIMIT) for x in (headline, context, summary, advice))
        self.headline.setText(headline)
        for label, value in ((self.context, context), (self.summary, summary), (self.advice, advice)):
            label.setText(value)
            label.setVisible(bool(value))
        self.setAccessibleDescription(" ".join(x for x in (headline, summary, advice) if x))

    def _set_progress_visible(self, visible: bool) -> None:
        self.progress_row.setVisible(visible)
