"""The one way to open a saved report: a file from a customer, or from anyone pretending to be one.

    load_report(path)        -> LoadedReport   (raises ReportError: one line for the user)
    load_report_bytes(data)  -> LoadedReport

In order, each refusal is one plain line:

1. size: at most ``MAX_BYTES`` (4 MB; real reports are a few hundred kB), regular files
   only (a FIFO or device is refused without blocking, a larger file without reading it);
2. text: UTF-8, with or without a byte-order mark, or UTF-16 with its mark (what
   PowerShell 5.1's ``>`` writes), or UTF-16 without one;
3. JSON: no ``NaN``/``Infinity``, nesting at most ``MAX_DEPTH`` (32) levels deep, at
   most ``MAX_CONTAINERS`` arrays and objects (checked on the text, before parsing: the
   memory for any accepted file stays under about 60 MB);
4. the format: ``schema`` ``smtpdiag.report/1`` (a newer major number says "update");
5. every field against ``smtpdiag/data/report.schema.json`` (the only copy; the
   docs link to it), every text at most ``MAX_STRING`` (64 Ki) characters.

A report with broken parts is still shown when its core (schema, input, overall) is
sound: each broken check, step, transcript line, certificate or optional field is left
out, and :attr:`LoadedReport.problems` says what, so the window and ``view`` can mark
the report as partly read.  Duplicate check ids keep the first check.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from ..frozen import field, record
from ..i18n import _
from ..inputfiles import InputFileError, read_limited
from ..textsafe import file_name, one_line
from .model import Report, ReportError
from .schema_check import Path, Problem, Validator

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_STRING = 1 << 16
MAX_CONTAINERS = 100_000  # arrays and objects; a real report has a few thousand
_RESERVED_CONTEXT = {"code", "where", "port", "host"}  # arguments of causes.explain()
_CONTEXT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_STAND_INS: dict[str, dict[str, str]] = {"app": {"name": "smtpdiag", "version": "?"}, "environment": {}}


@record(frozen=False)
class LoadedReport:
    report: Report
    problems: list[str] = field(default_factory=list)  # what was left out; empty when whole

    @property
    def partial(self) -> bool:
        return bool(self.problems)

    def partial_note(self) -> str:
        """One line naming what could not be read (empty for a whole report)."""
        if not self.problems:
            return ""
        shown = "; ".join(self.problems[:3])
        if len(self.problems) > 3:
            shown += " " + _("(and {n} more)").format(n=len(self.problems) - 3)
        return one_line(_("Partly read: some parts of this report are damaged and are not shown: {parts}").format(
            parts=shown))


@lru_cache(maxsize=1)
def validator() -> Validator:
    text = resources.files("smtpdiag.data").joinpath("report.schema.json").read_text(encoding="utf-8")
    return Validator(json.loads(text), max_string=MAX_STRING)


def load_report(path: str) -> LoadedReport:
    """Read and check the report at *path*.  ReportError's message includes the file name."""
    name = file_name(path)
    try:
        data = read_limited(path, MAX_BYTES)
    except InputFileError as exc:
        raise ReportError(_("{path}: cannot open this report: {reason}.").format(path=name, reason=exc)) from None
    try:
        return load_report_bytes(data)
    except ReportError as exc:
        raise ReportError(f"{name}: {exc}") from None


def decode(data: bytes) -> str:
    """The text of a report file: UTF-8 (BOM or not) or UTF-16 (BOM or not)."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, data = "utf-8", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # the BOM tells the byte order, and is dropped
    elif len(data) >= 2 and data[0] != 0 and data[1] == 0:
        encoding = "utf-16-le"
    elif len(data) >= 2 and data[0] == 0 and data[1] != 0:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ReportError(_("This file is not an smtpdiag report (it is not text).")) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(_("{value} is not allowed").format(value=name))


def parse(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ReportError(_("This file is not an smtpdiag report (nested too deeply).")) from None
    except json.JSONDecodeError as exc:
        raise ReportError(_("This file is not an smtpdiag report (not JSON: {reason}).").format(
            reason=exc.msg)) from None
    except ValueError as exc:  # NaN/Infinity, an integer with thousands of digits
        raise ReportError(_("This file is not an smtpdiag report (not JSON: {reason}).").format(
            reason=one_line(exc)[:80])) from None


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


def check_structure(text: str) -> None:
    """Refuse, before parsing, text with more than MAX_CONTAINERS arrays and objects or
    nested deeper than MAX_DEPTH: both bound the memory and time of everything after.
    Works on the text with regular expressions only (no Python loop per character)."""
    outside_strings = _STRING.sub("", text)
    if outside_strings.count("[") + outside_strings.count("{") > MAX_CONTAINERS:
        raise ReportError(_("This file is not an smtpdiag report (far too many parts)."))
    brackets = _NOT_BRACKET.sub("", outside_strings)
    for _level in range(MAX_DEPTH):
        if not brackets:
            return
        brackets = _INNERMOST.sub("", brackets)
    if brackets:
        raise ReportError(_("This file is not an smtpdiag report (nested too deeply)."))


def load_report_bytes(data: bytes) -> LoadedReport:
    if len(data) > MAX_BYTES:
        raise ReportError(_("This file is too large to be an smtpdiag report (over {limit} MB).").format(
            limit=MAX_BYTES // (1024 * 1024)))
    text = decode(data)
    check_structure(text)
    return load_report_data(parse(text))


def load_report_data(doc: Any) -> LoadedReport:
    """Check an already parsed document and build the report (what can be read of it)."""
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith("smtpdiag.report/"):
        raise ReportError(_("This file is not an smtpdiag report."))
    major = schema.split("/", 1)[1].split(".")[0]
    if major != "1":
        shown = one_line(schema[:40]) + ("…" if len(schema) > 40 else "")
        raise ReportError(_("This report was made by a newer smtpdiag (format {schema}); "
                            "please update smtpdiag to open it.").format(schema=shown))
    left_out: list[tuple[tuple[str, ...], str]] = []
    for _round in range(8):  # pruning a check can only remove problems; a few rounds at most
        problems = validator().problems(doc)
        if not problems:
            break
        fatal = [p for p in problems if p.prune is None]
        # Which program made it and on what computer are facts around the report, not the
        # report: a broken "app" or "environment" is replaced by an empty one, and marked.
        for problem in [p for p in fatal if p.path[:1] in (("app",), ("environment",))]:
            key = str(problem.path[0])
            if doc.get(key) != _STAND_INS[key]:
                doc[key] = dict(_STAND_INS[key])
                left_out.append(((key,), _describe(problem)))
        fatal = [p for p in fatal if p.path[:1] not in (("app",), ("environment",))]
        if fatal:
            raise ReportError(_("This smtpdiag report is damaged ({reason}).").format(reason=_describe(fatal[0])))
        # Deepest and last first, so earlier indices stay right (siblings differ in kind: all
        # int in a list, all str in an object, so the paths compare).
        for prune, problem in sorted({p.prune: p for p in problems if p.prune}.items(),
                                     key=lambda kv: kv[0], reverse=True):
            if _remove(doc, prune):
                left_out.append((tuple(f"{x:09d}" if isinstance(x, int) else x for x in prune),
                                 _describe(problem)))
    else:
        raise ReportError(_("This smtpdiag report is damaged."))
    notes = [text for _key, text in sorted(left_out)] + _tidy_checks(doc)
    try:
        report = Report.from_json(doc)
    except ReportError:
        raise
    except Exception as exc:  # noqa: BLE001 - a gap between schema and records: still one line
        raise ReportError(_("This smtpdiag report is damaged ({reason}).").format(
            reason=one_line(exc)[:120])) from None
    return LoadedReport(report, notes)


def _describe(problem: Problem) -> str:
    return one_line(f"{problem.where()} {_(problem.message)}")[:200]


def _remove(doc: Any, path: Path) -> bool:
    """Remove the item or property at *path*; False when it is already gone."""
    node = doc
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        del node[last]
        return True
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    return False


def _tidy_checks(doc: dict[str, Any]) -> list[str]:
    """What the schema cannot say: check ids are unique, context keys are plain names."""
    out = []
    seen: set[str] = set()
    kept = []
    for index, check in enumerate(doc.get("checks") or []):
        if check["id"] in seen:
            out.append(one_line(_("checks/{index} repeats the id {id}").format(index=index, id=check["id"][:60])))
            continue
        seen.add(check["id"])
        context = check.get("context")
        if isinstance(context, dict):
            bad = [k for k in context if k in _RESERVED_CONTEXT or not _CONTEXT_KEY.match(k)]
            for k in bad:
                del context[k]
            if bad:
                out.append(one_line(_("checks/{index}/context has unknown entries").format(index=index)))
        kept.append(check)
    if "checks" in doc:
        doc["checks"] = kept
    return out
