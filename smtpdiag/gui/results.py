"""The results: one row per port of the target (and per VPN protocol), live.

    ResultsModel (QAbstractTableModel)    rows built from engine events or a saved report
      columns: connection | result (light + word + status) | what it means | other servers
    TwoLineDelegate (QStyledItemDelegate)  icon, a bold first line, a plain second line
    ResultsView (QTableView)               the table as the window shows it

A row starts as "Waiting…", shows the step in progress in plain words while it
runs ("Connecting…", "Checking encryption…"), and shows its light, status word
and one plain sentence when its check finishes.  The reference servers are not
rows: their results for the same port fill the "Other mail servers" column.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ..causes import CAUSES, title
from ..config import vpn_protocol_name
from ..i18n import N_, _, ngettext
from ..records import Check, Step
from ..report.model import MODE_WORDS, Report, with_words
from ..textsafe import one_line
from ..verdict import compare_references, is_reference_for
from . import lights

ROW_TEXT_LIMIT = 600  # characters per cell; the details pane shows everything

SecondLineRole = Qt.ItemDataRole.UserRole + 1
CheckRole = Qt.ItemDataRole.UserRole + 2
LightRole = Qt.ItemDataRole.UserRole + 3  # green/amber/red/grey/waiting
StateRole = Qt.ItemDataRole.UserRole + 4  # waiting/running/done

COL_CONNECTION, COL_RESULT, COL_MEANING, COL_OTHERS = range(4)
HEADERS = (N_("Connection"), N_("Result"), N_("What this means"), N_("Other mail servers"))

Index = QModelIndex | QPersistentModelIndex

# What is happening now, given the last step that finished (StepRecorded is sent
# when a step ends).  Plain words for people who have never seen a mail setting.
_NEXT_STEP_WORDS = {
    "resolve": N_("Connecting…"),
    "greeting": N_("Talking to the server…"),
    "ehlo": N_("Talking to the server…"),
    "starttls": N_("Checking encryption…"),
    "tls": N_("Checking the certificate…"),
    "certificate": N_("Talking to the server…"),
    "ehlo_tls": N_("Almost done…"),
    "auth": N_("Almost done…"),
    "probe": N_("Almost done…"),
}


def step_words(check: Check, steps: list[Step]) -> str:
    """What a running check is doing now, in plain words."""
    if not steps:
        return _("Contacting the VPN server…") if check.kind == "vpn" else _("Connecting…")
    last = steps[-1].step
    if last == "connect":
        if check.kind == "vpn":
            return _("Waiting for an answer…")
        return _("Checking encryption…") if check.mode == "implicit" else _("Waiting for the server to answer…")
    if last == "ehlo" and check.mode == "starttls" and not any(s.step == "starttls" for s in steps):
        return _("Asking to switch on encryption…")
    if last == "certificate" and check.mode == "implicit" and not any(s.step == "greeting" for s in steps):
        return _("Waiting for the server to answer…")
    return _(_NEXT_STEP_WORDS.get(last, N_("Testing…")))


def connection_words(check: Check) -> tuple[str, str]:
    """(first line, second line) naming what a row tests: "Port 465", "SSL/TLS"."""
    if check.kind == "dns":
        return _("Mail server"), _("found from your address")
    if check.kind == "vpn":
        name = vpn_protocol_name(check.protocol, "VPN")
        return name, _("VPN, port {port}").format(port=check.port)
    mode = _(MODE_WORDS.get(check.mode or "", check.mode or ""))
    return _("Port {port}").format(port=check.port), mode


def status_word(check: Check) -> str:
    """The short status next to the light: causes.title (e.g. "Encryption cut off")."""
    if check.cause in CAUSES:
        return title(check.cause)
    return check.cause


@dataclass
class _Row:
    check: Check
    state: str = "waiting"  # waiting / running / done
    steps: list[Step] = field(default_factory=list)
    # Everything data() answers for this row, built once per change: views ask for
    # many roles of every cell on each repaint, and each question is a call into Python.
    cells: dict[tuple[int, int], Any] | None = None

    @property
    def light(self) -> str:
        return self.check.light if self.state == "done" else lights.WAITING


class ResultsModel(QAbstractTableModel):
    """Rows are the target's checks; reference server checks feed the last column."""

    NOTIFY_MS = 60  # live changes are announced to views at most this often

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._controls: dict[str, _Row] = {}
        self._multi_host = False
        self._dirty: set[int] = set()
        self._notify_timer = QTimer(self)
        self._notify_timer.setSingleShot(True)
        self._notify_timer.setInterval(self.NOTIFY_MS)
        self._notify_timer.timeout.connect(self.flush)

    # -- filling ------------------------------------------------------------------------
    def clear(self) -> None:
        self.beginResetModel()
        self._dirty.clear()
        self._rows, self._controls = [], {}
        self.endResetModel()

    def plan(self, checks: tuple[Check, ...] | list[Check]) -> None:
        """The planned checks of a run: every row "Waiting…"."""
        self.beginResetModel()
        self._dirty.clear()
        self._rows = [_Row(c) for c in checks if c.role == "target"]
        self._controls = {c.id: _Row(c) for c in checks if c.role == "control"}
        self._multi_host = len({r.check.host for r in self._rows if r.check.kind == "smtp"}) > 1
        self.endResetModel()

    def show_report(self, report: Report) -> None:
        """Every row from a finished (live or saved) report, as it was recorded."""
        self.beginResetModel()
        self._dirty.clear()
        self._rows = [_Row(c, "done") for c in report.checks if c.role == "target"]
        self._controls = {c.id: _Row(c, "done") for c in report.checks if c.role == "control"}
        self._multi_host = len({r.check.host for r in self._rows if r.check.kind == "smtp"}) > 1
        self.endResetModel()

    def record_step(self, check_id: str, step: Step) -> None:
        row = self._find(check_id)
        if row is None:
            control = self._controls.get(check_id)
            if control is not None and control.state != "done":
                control.state = "running"
                control.steps.append(step)
            return
        i, item = row
        if item.state == "done":
            return
        item.state = "running"
        item.steps.append(step)
        self._changed(i)

    def finish_check(self, check: Check) -> None:
        check = with_words(check)  # the engine's checks carry no words
        found = self._find(check.id)
        if found is not None:
            i, item = found
            item.check, item.state = check, "done"
            self._changed(i)
            return
        control = self._controls.get(check.id)
        if control is None:
            return
        control.check, control.state = check, "done"
        for i, item in enumerate(self._rows):
            if item.check.kind == "smtp" and is_reference_for(check, item.check):
                self._changed(i)

    def cancel_unfinished(self) -> int:
        """Mark every unfinished row "Not tested" (grey) at once; returns how many."""
        n = 0
        for item in self._rows:
            if item.state != "done":
                item.check = with_words(item.check.with_(light="grey", cause="cancelled", where="unknown"))
                item.state = "done"
                n += 1
        for control in self._controls.values():
            if control.state != "done":
                control.check = control.check.with_(light="grey", cause="cancelled", where="unknown")
                control.state = "done"
        for i in range(len(self._rows)):
            self._changed(i)
        self.flush()  # at once: the user just pressed Cancel
        return n

    # -- reading --------------------------------------------------------------------------
    def progress(self) -> tuple[int, int]:
        """(finished, total) over every check of the run, reference servers included."""
        every = self._rows + list(self._controls.values())
        return sum(r.state == "done" for r in every), len(every)

    def has_controls(self) -> bool:
        return bool(self._controls)

    def check_at(self, row: int) -> Check | None:
        return self._rows[row].check if 0 <= row < len(self._rows) else None

    def live_steps(self, row: int) -> list[Step]:
        if not 0 <= row < len(self._rows):
            return []
        item = self._rows[row]
        return list(item.check.steps) if item.state == "done" else list(item.steps)

    def state_at(self, row: int) -> str:
        return self._rows[row].state if 0 <= row < len(self._rows) else ""

    def controls_for(self, check: Check) -> list[Check]:
        """Finished reference server checks on the same port and mode as *check*."""
        if check.kind != "smtp":
            return []
        return [c.check for c in self._controls.values() if is_reference_for(c.check, check) and c.state == "done"]

    def row_of(self, check_id: str) -> int:
        found = self._find(check_id)
        return found[0] if found else -1

    # -- Qt model API ---------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(HEADERS[section])
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._rows):
            return None
        item = self._rows[row]
        if role == CheckRole:
            return item.check
        if item.cells is None:
            item.cells = self._cells(item)
        return item.cells.get((index.column(), role))

    def _cells(self, item: _Row) -> dict[tuple[int, int], Any]:
        """Every (column, role) -> value the views and screen readers ask for."""
        display, second = Qt.ItemDataRole.DisplayRole, SecondLineRole
        accessible, tooltip = Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole
        first_line, second_line = self._connection(item.check)
        light_sentence = self._light_sentence(item)
        meaning = self._meaning(item)
        others, others_sentence = self._others(item)
        cells: dict[tuple[int, int], Any] = {
            (COL_CONNECTION, display): first_line,
            (COL_CONNECTION, second): second_line,
            (COL_CONNECTION, accessible): f"{first_line}, {second_line}",
            (COL_RESULT, display): self._result_word(item),
            (COL_RESULT, second): status_word(item.check) if item.state == "done" else "",
            (COL_RESULT, Qt.ItemDataRole.DecorationRole): lights.light_icon(item.light),
            (COL_RESULT, accessible): light_sentence,
            (COL_RESULT, tooltip): light_sentence,
            (COL_MEANING, display): meaning,
            (COL_MEANING, accessible): meaning,
            (COL_OTHERS, display): others,
            (COL_OTHERS, accessible): others_sentence,
            (COL_OTHERS, tooltip): others_sentence,
        }
        if item.state == "done" and item.check.advice:
            cells[(COL_MEANING, tooltip)] = _("What to do: {advice}").format(advice=item.check.advice)
        if item.state != "done":
            font = QFont()
            font.setItalic(True)
            cells[(COL_MEANING, Qt.ItemDataRole.FontRole)] = font
        for key, value in cells.items():
            if isinstance(value, str):  # host names, words and codes may come from a report file
                value = one_line(value, ROW_TEXT_LIMIT)
                # A tool tip that looks like HTML is shown as HTML: make it HTML, escaped.
                cells[key] = f"<qt>{html.escape(value)}</qt>" if key[1] == tooltip else value
        for col in range(len(HEADERS)):
            cells[(col, LightRole)] = item.light
            cells[(col, StateRole)] = item.state
        return cells

    # -- words ------------------------------------------------------------------------------
    def _connection(self, check: Check) -> tuple[str, str]:
        first, second = connection_words(check)
        if self._multi_host and check.kind == "smtp":
            first = f"{check.host} · {first}"
        return first, second

    def _result_word(self, item: _Row) -> str:
        if item.state == "waiting":
            return _("Waiting")
        if item.state == "running":
            return _("Testing")
        return lights.word(item.check.light)

    def _light_sentence(self, item: _Row) -> str:
        """E.g. "Port 465: Problem – Encryption cut off" (accessible name of the light)."""
        name = ", ".join(x for x in self._connection(item.check) if x) if item.check.kind == "vpn" \
            else self._connection(item.check)[0]
        if item.state == "done":
            return _("{name}: {light} – {status}").format(
                name=name, light=lights.word(item.check.light), status=status_word(item.check))
        if item.state == "running":
            return _("{name}: Testing – {step}").format(name=name, step=step_words(item.check, item.steps))
        return _("{name}: Waiting").format(name=name)

    def _meaning(self, item: _Row) -> str:
        if item.state == "waiting":
            return _("Waiting for an answer…")
        if item.state == "running":
            return step_words(item.check, item.steps)
        return item.check.explanation

    def _others(self, item: _Row) -> tuple[str, str]:
        """(cell text, full sentence) on how the reference servers fared on this port."""
        check = item.check
        if check.kind != "smtp":
            return "", ""
        same_port = [c for c in self._controls.values() if is_reference_for(c.check, check)]
        if not same_port:
            return "", ""
        if any(c.state != "done" for c in same_port):
            return _("Testing…"), _("Other servers: still testing")
        refs = compare_references(check.cause, [c.check for c in same_port])
        if not refs.tested:
            return _("Not tested"), _("Other servers: not tested")
        if refs.working == refs.tested:
            if refs.green == refs.tested:
                return _("Work"), _("Other servers: work")
            if item.state == "done" and refs.same_cause:
                return _("Same warning"), _("Other servers: same warning")
            return _("Work, with warnings"), _("Other servers: work, with warnings")
        if not refs.working:
            if refs.names_only:
                return _("Names not found"), _("Other servers: their names cannot be looked up either")
            if item.state == "done" and check.light == "red":
                if check.where == "network":
                    return _("Also blocked"), _("Other servers: also blocked")
                return _("Also fail"), _("Other servers: also fail")
            return _("Fail"), _("Other servers: fail")
        # TRANSLATORS: how many of the other mail servers work on this port, e.g. "2 of 3 work".
        text = ngettext("{working} of {total} works", "{working} of {total} work", refs.working).format(
            working=refs.working, total=refs.tested)
        return text, _("Other servers: {text}").format(text=text)

    # -- helpers --------------------------------------------------------------------------
    def _find(self, check_id: str) -> tuple[int, _Row] | None:
        for i, item in enumerate(self._rows):
            if item.check.id == check_id:
                return i, item
        return None

    def _changed(self, row: int) -> None:
        """Row *row* changed: forget its cached cells, tell the views soon (coalesced)."""
        self._rows[row].cells = None
        self._dirty.add(row)
        if not self._notify_timer.isActive():
            self._notify_timer.start()

    @Slot()
    def flush(self) -> None:
        """Announce every pending change now, as one dataChanged."""
        self._notify_timer.stop()
        dirty = [r for r in self._dirty if r < len(self._rows)]
        self._dirty.clear()
        if dirty:
            self.dataChanged.emit(self.index(min(dirty), 0), self.index(max(dirty), len(HEADERS) - 1))


class TwoLineDelegate(QStyledItemDelegate):
    """An icon, a bold first line and a plain second line (light + word + status)."""

    ICON = 32
    PAD = 8

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        first, second = opt.text, index.data(SecondLineRole) or ""
        icon = QIcon(opt.icon)  # a copy: opt.icon is a view of the option's member
        opt.text = ""
        opt.icon = QIcon()  # the style draws background, selection and focus only
        style = opt.widget.style() if opt.widget else None
        if style is None:
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = opt.rect.adjusted(self.PAD, self.PAD // 2, -self.PAD, -self.PAD // 2)
        if not icon.isNull():
            size = self.ICON
            icon_rect = QRect(rect.left(), rect.center().y() - size // 2 + 1, size, size)
            icon.paint(painter, icon_rect, Qt.AlignmentFlag.AlignCenter)
            rect.setLeft(icon_rect.right() + self.PAD + 1)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = opt.palette.ColorRole.HighlightedText if selected else opt.palette.ColorRole.Text
        painter.save()
        painter.setPen(opt.palette.color(role))
        bold = QFont(opt.font)
        bold.setBold(True)
        fm_bold, fm = QFontMetrics(bold), QFontMetrics(opt.font)
        lines_height = fm_bold.height() + (fm.height() if second else 0)
        top = rect.top() + max(0, (rect.height() - lines_height) // 2)
        painter.setFont(bold)
        painter.drawText(QRect(rect.left(), top, rect.width(), fm_bold.height()),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         fm_bold.elidedText(first, Qt.TextElideMode.ElideRight, rect.width()))
        if second:
            painter.setFont(opt.font)
            painter.drawText(QRect(rect.left(), top + fm_bold.height(), rect.width(), fm.height()),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             fm.elidedText(second, Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        bold = QFont(opt.font)
        bold.setBold(True)
        fm_bold, fm = QFontMetrics(bold), QFontMetrics(opt.font)
        first, second = opt.text or "", index.data(SecondLineRole) or ""
        width = max(fm_bold.horizontalAdvance(first), fm.horizontalAdvance(second))
        height = fm_bold.height() + fm.height()
        if not opt.icon.isNull():
            width += self.ICON + self.PAD
            height = max(height, self.ICON)
        return QSize(width + 2 * self.PAD + 4, height + self.PAD + 4)


class ResultsView(QTableView):
    """The results table: whole rows selectable, wrapped explanations, no grid.

    Column widths and row heights are fitted to the contents when the model
    announces changes (which it does at most every ResultsModel.NOTIFY_MS), not
    by Qt's automatic ResizeToContents, which would measure every cell again on
    every change.  During a run the columns only grow, so nothing jumps around.
    """

    FITTED = (COL_CONNECTION, COL_RESULT, COL_OTHERS)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._delegate = TwoLineDelegate(self)
        self.setItemDelegateForColumn(COL_CONNECTION, self._delegate)
        self.setItemDelegateForColumn(COL_RESULT, self._delegate)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setShowGrid(False)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setCornerButtonEnabled(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.sectionResized.connect(self._column_resized)
        self._widths: dict[int, int] = {}
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit)

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        self.horizontalHeader().setSectionResizeMode(COL_MEANING, QHeaderView.ResizeMode.Stretch)
        model.dataChanged.connect(self._schedule_fit)
        model.modelReset.connect(self._model_reset)

    @Slot()
    def _model_reset(self) -> None:
        self._widths.clear()
        self._schedule_fit()

    @Slot()
    def _schedule_fit(self) -> None:
        if not self._fit_timer.isActive():
            self._fit_timer.start()

    @Slot()
    def fit(self) -> None:
        """Fit the narrow columns (never shrinking them within a run) and every row."""
        self._fit_timer.stop()
        model = self.model()
        if model is None:
            return
        header = self.horizontalHeader()
        for col in self.FITTED:
            if self.isColumnHidden(col):
                continue
            wanted = max(self.sizeHintForColumn(col), header.sectionSizeHint(col))
            if wanted > self._widths.get(col, 0):
                self._widths[col] = wanted
                header.resizeSection(col, wanted)
        self.resizeRowsToContents()

    def _column_resized(self, logical: int, _old: int, _new: int) -> None:
        if logical == COL_MEANING:  # the explanations wrap anew
            self._schedule_fit()
