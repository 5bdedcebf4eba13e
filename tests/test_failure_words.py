"""Failure words are one closed vocabulary (``records.Failure``), and the classifier knows
every (step, failure) pair a code path can produce.

The source of every probe is read (its syntax tree, not run): each failure word
written as a literal where a failure is made (``ProbeError``, ``ProbeOutcome``,
``Step``, the step recorder's ``record``) must be a :class:`Failure`, and each (step, word)
pair written together must be known to ``verdict.STEP_FAILURES``.  Words that
travel in a variable (``exc.failure``) come from the transport, whose range is
checked against every step that records them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from smtpdiag.records import STEP_ORDER, Failure, Step
from smtpdiag.verdict import STEP_FAILURES, classify_steps

SOURCE = Path(__file__).resolve().parents[1] / "smtpdiag"
# Words that end a step without being a fault: classified by verdict itself.
NOT_A_FAULT = {"not_tried", "cancelled", "internal_error"}
# What the transport (net.failure_of, the stream) can raise while reading or writing.
TRANSPORT = {"timeout", "reset", "eof", "unreachable", "local_blocked"}
CONVERSATION_STEPS = ("greeting", "ehlo", "starttls", "tls", "ehlo_tls", "auth")


def _literals(node: ast.AST | None) -> list[str]:
    """The strings *node* can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _produced() -> list[tuple[str, int, str | None, str]]:
    """(file, line, step or None, failure) for every failure written as a literal."""
    found: list[tuple[str, int, str | None, str]] = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "gui" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                node.func.id if isinstance(node.func, ast.Name) else ""
            kw = {k.arg: k.value for k in node.keywords}
            step: str | None = None
            words: list[str] = []
            if name in ("ProbeError", "ProbeOutcome") and node.args:
                words = _literals(node.args[0])
            elif name == "Step":
                step = _literal(node.args[0]) if node.args else _literal(kw.get("step"))
                words = _literals(node.args[4] if len(node.args) > 4 else kw.get("failure"))
            elif name == "record" and len(node.args) >= 5:  # probe.steps.StepRecorder.record
                step, words = _literal(node.args[0]), _literals(node.args[4])
            for word in words:
                found.append((str(path.relative_to(SOURCE.parent)), node.lineno, step, word))
    return found


def test_the_scan_finds_the_probes_failures() -> None:
    words = {w for _f, _l, _s, w in _produced()}
    assert {"rejected", "not_smtp", "no_answer", "stripped"} <= words  # it really reads the probes


def test_every_failure_word_written_anywhere_is_in_the_one_vocabulary() -> None:
    unknown = [(f, line, w) for f, line, _s, w in _produced() if w not in set(Failure)]
    assert unknown == []


def test_every_step_and_failure_written_together_is_known_to_the_classifier() -> None:
    unknown = [(f, line, s, w) for f, line, s, w in _produced()
               if s is not None and w not in NOT_A_FAULT and (s, w) not in STEP_FAILURES]
    assert unknown == []


@pytest.mark.parametrize("step", CONVERSATION_STEPS)
def test_every_transport_failure_is_known_in_every_step_that_records_it(step: str) -> None:
    missing = sorted(w for w in TRANSPORT if (step, w) not in STEP_FAILURES)
    assert missing == []


def test_connect_resolve_and_probe_know_all_their_words() -> None:
    for word in ("timeout", "refused", "reset", "eof", "unreachable", "no_route", "local_blocked"):
        assert ("connect", word) in STEP_FAILURES
    for word in ("nxdomain", "dns_error"):
        assert ("resolve", word) in STEP_FAILURES
    from smtpdiag.probe.vpn.session import PROBE_FAILURES

    for word in PROBE_FAILURES:
        assert word == "cancelled" or ("probe", word) in STEP_FAILURES


def test_every_mapped_word_is_in_the_vocabulary_and_every_step_is_a_step() -> None:
    for step, word in STEP_FAILURES:
        assert word in set(Failure), word
        assert step in STEP_ORDER, step


def test_what_the_classifier_does_not_know_is_internal_error() -> None:
    for word in sorted(set(Failure) - NOT_A_FAULT):
        for step in ("greeting", "certificate", "probe"):
            cause = classify_steps([Step("resolve", True, 1), Step(step, False, 1, "", word)], 587)
            assert cause == STEP_FAILURES.get((step, word), "internal_error")
