"""Whatever the loader accepts (whole or partly read), every output renders it: text, HTML,
print HTML, copy for support, the privacy disclosure, the anonymised copy and the PDF.

The reports are a real hand-built report with one field at a time replaced by a wrong or
hostile value (the loader drops what it cannot read); nothing here may raise."""

from __future__ import annotations

import copy
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from smtpdiag.report.html import render_html, render_print_html
from smtpdiag.report.loader import load_report_bytes
from smtpdiag.report.model import ReportError, render_text
from smtpdiag.report.privacy import anonymise, disclosure
from smtpdiag.report.support import support_summary
from smtpdiag.textsafe import is_unsafe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_reports import rich_report  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HOSTILE_VALUES: list[Any] = [None, -1, 1.5, "\x1b]52;c;aGk=\x07\u202e<b>x</b>\n", [], {"k": "\x00"}, 10**40]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:2]):
            out += _paths(v, (*path, i))
    return out


def mutated_reports() -> list[bytes]:
    base = json.loads(rich_report().dumps())
    base["checks"] = base["checks"][1:4] + base["checks"][-1:]
    out = []
    for path in _paths(base)[1:]:
        for value in HOSTILE_VALUES:
            doc = copy.deepcopy(base)
            node = doc
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
            out.append(json.dumps(doc).encode())
    return random.Random(12).sample(out, 250)  # a fixed sample: the whole set takes minutes


def test_every_output_renders_whatever_the_loader_accepts() -> None:
    accepted = refused = 0
    for data in mutated_reports():
        try:
            loaded = load_report_bytes(data)
        except ReportError:
            refused += 1
            continue
        accepted += 1
        report = loaded.report
        text = render_text(report)
        assert not [ch for ch in text if is_unsafe(ch) and ch != "\n"]
        render_html(report)
        render_print_html(report)
        support_summary(report)
        disclosure(report)
        render_html(anonymise(report))
    assert accepted > 100 and refused > 5, (accepted, refused)


@pytest.mark.gui
def test_the_pdf_of_a_partly_read_hostile_report(qapp) -> None:  # type: ignore[no-untyped-def]
    from smtpdiag.gui.pdf import pdf_bytes

    doc = json.loads(rich_report().dumps())
    doc["checks"][0]["explanation"] = "\u202e" + "x" * 60000
    doc["checks"][1]["light"] = "blue"
    doc["overall"]["summary"] = "\x1b[2J<h1>URGENT</h1>\n" * 100
    loaded = load_report_bytes(json.dumps(doc).encode())
    assert loaded.partial
    assert pdf_bytes(loaded.report).startswith(b"%PDF")
