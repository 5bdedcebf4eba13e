"""The report as a PDF, made by Qt itself (QPdfWriter + QTextDocument): no extra library.

    write_pdf(report, path)   A4, 15 mm margins, a footer with the report ID and page
                              numbers on every page; written atomically
    pdf_bytes(report)         the same PDF in memory

The content is :func:`smtpdiag.report.html.render_print_html`: the HTML report
in the subset QTextDocument understands.  QTextDocument draws no SVG, so each
light is a Unicode shape (✔ ▲ ✖ ○) in its colour, always followed by its word.

A QGuiApplication (or QApplication) must exist before calling these: Qt needs
it for fonts.  The window has one; scripts and tests create one first (tests:
pytest-qt's ``qapp`` fixture, with ``QT_QPA_PLATFORM=offscreen`` when there is
no display).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
    QTextOption,
)

from ..i18n import _
from ..report.files import atomic_write_bytes
from ..report.html import render_print_html
from ..report.model import Report
from ..report.words import created_words

MARGIN_MM = 15.0
RESOLUTION_DPI = 300


def pdf_bytes(report: Report) -> bytes:
    """The PDF of *report* (A4) as bytes.  Needs a QGuiApplication."""
    if QGuiApplication.instance() is None:
        raise RuntimeError("smtpdiag.gui.pdf needs a QGuiApplication (or QApplication) to exist")
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                                     QPageLayout.Unit.Millimeter))
    target = report.input.get("target", "")
    writer.setTitle(_("Mail connection report for {target}").format(target=target))
    writer.setCreator(f"smtpdiag {report.app.get('version', '')}".strip())

    # The document is laid out directly in the writer's device pixels, so font
    # sizes in points come out right on paper.
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)
    doc.setDocumentMargin(0)
    doc.setDefaultFont(_font(9.5))
    # Long unbroken server text (hex dumps, fingerprints) wraps instead of running off the page.
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    doc.setDefaultTextOption(option)
    doc.setDefaultStyleSheet(
        "code, pre { font-family: 'DejaVu Sans Mono', 'Noto Sans Mono', Consolas, Menlo, monospace; }"
        "h1, h2, h3 { margin-bottom: 4px; } p { margin-top: 2px; margin-bottom: 2px; }")
    doc.setHtml(render_print_html(report))
    area = writer.pageLayout().paintRectPixels(RESOLUTION_DPI)
    footer_height = RESOLUTION_DPI // 4  # a quarter inch for "report ID ... page n / m"
    body = QRectF(0, 0, area.width(), area.height() - footer_height)
    doc.setPageSize(QSizeF(body.width(), body.height()))
    pages = doc.pageCount()
    footer = _("smtpdiag report {report_id}, made {created}").format(
        report_id=report.report_id or "?", created=created_words(report.created))

    painter = QPainter(writer)
    try:
        for page in range(pages):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(0, -page * body.height())
            doc.drawContents(painter, body.translated(0, page * body.height()))
            painter.restore()
            painter.setFont(_font(7.5))
            painter.setPen(QColor("#555555"))
            line = QRectF(0, body.height(), body.width(), footer_height)
            align = Qt.AlignmentFlag.AlignBottom
            painter.drawText(line, align | Qt.AlignmentFlag.AlignLeft, footer)
            painter.drawText(line, align | Qt.AlignmentFlag.AlignRight,
                             _("page {page} of {pages}").format(page=page + 1, pages=pages))
    finally:
        painter.end()
    del writer  # finishes the PDF
    buffer.close()
    return bytes(QByteArray(buffer.data()).data())


def _font(points: float) -> QFont:
    font = QFont()
    font.setFamilies(["DejaVu Sans", "Noto Sans", "Segoe UI", "Helvetica Neue", "Arial", "sans-serif"])
    font.setPointSizeF(points)
    return font


def write_pdf(report: Report, path: str | os.PathLike[str]) -> None:
    """Write *report* as a PDF to *path*: a temporary file beside it, then a rename."""
    atomic_write_bytes(os.fspath(path), pdf_bytes(report))
