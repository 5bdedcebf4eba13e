"""The one report loader: every hostile file is one plain line, never a traceback, a hang
or a flood of memory.  The files are built here, in temporary folders (sparse files for
the big ones, so nothing large is ever written to disk or kept in the repository)."""

from __future__ import annotations

import copy
import json
import os
import re
import stat
import subprocess
import sys
import time
import tracemalloc
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from smtpdiag.inputfiles import InputFileError, read_limited
from smtpdiag.report.html import render_html
from smtpdiag.report.loader import MAX_DEPTH, load_report, load_report_bytes, validator
from smtpdiag.report.model import Report, ReportError, render_text
from smtpdiag.report.schema_check import SchemaError, Validator
from smtpdiag.textsafe import is_unsafe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_reports import rich_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "smtpdiag" / "data" / "report.schema.json"  # the only copy


def good() -> dict[str, Any]:
    return json.loads(rich_report().dumps())


def dumps(doc: object) -> bytes:
    return json.dumps(doc).encode()


def refused(data: bytes) -> str:
    with pytest.raises(ReportError) as info:
        load_report_bytes(data)
    message = str(info.value)
    assert "\n" not in message and not [ch for ch in message if is_unsafe(ch)], message
    assert "Traceback" not in message
    return message


# -- the schema the program ships is the documented one -----------------------------------------


def test_there_is_one_report_schema_the_docs_link_to_and_the_loader_reads() -> None:
    """One schema, no copies to keep equal: the packaged file is what the docs link to and
    what the loader checks reports with."""
    skipped = {"build", "dist", "node_modules", "__pycache__"}
    copies = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*schema*.json")
                    if not any(part.startswith(".") or part in skipped or part.endswith(".egg-info")
                               for part in p.relative_to(ROOT).parts[:-1]))
    assert copies == ["smtpdiag/data/report.schema.json"]
    docs = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]*report\.schema\.json)\)", docs)
    assert links and all((ROOT / "docs" / link).resolve() == SCHEMA_FILE for link in links)
    shipped = resources.files("smtpdiag.data").joinpath("report.schema.json").read_bytes()
    assert shipped == SCHEMA_FILE.read_bytes()


def test_the_checker_refuses_a_schema_keyword_it_does_not_know() -> None:
    with pytest.raises(SchemaError):
        Validator({"type": "object", "oneOf": [{"type": "string"}]})
    with pytest.raises(SchemaError):
        Validator({"$ref": "https://example.com/elsewhere.json"})


# -- the same answers as the jsonschema package, on thousands of mutations ------------------------


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


def _delete(doc: Any, path: tuple[Any, ...]) -> None:
    for part in path[:-1]:
        doc = doc[part]
    del doc[path[-1]]


def test_the_hand_written_checker_agrees_with_jsonschema_on_every_mutation() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    reference = jsonschema.Draft202012Validator(schema)
    ours = Validator(schema)
    base = good()  # one check of each kind, each list cut to its first item: every field once
    base["checks"] = [c for c in base["checks"] if c["id"] in ("target-587", "target-2525", "vpn-ike")]
    for check in base["checks"]:
        for key in ("steps", "transcript"):
            check[key] = check[key][:1]
        check["attempts"] = [{**a, "steps": a["steps"][:1], "transcript": a["transcript"][:1]}
                             for a in check["attempts"][-1:] if check["id"] == "target-587"]
        if check["tls"]:
            check["tls"]["chain"] = check["tls"]["chain"][:1]
    assert reference.is_valid(base) and ours.is_valid(base)
    replacements: list[Any] = [None, True, -1, 1.5, "x", [], {"k": 1}]
    compared = disagreements = 0
    # Every field of every check, but of nested lists only the first item (same schema).
    for path in _paths(base)[1:]:
        variants = []
        for value in replacements:
            doc = copy.deepcopy(base)
            _set(doc, path, value)
            variants.append(doc)
        doc = copy.deepcopy(base)
        _delete(doc, path)
        variants.append(doc)
        for doc in variants:
            compared += 1
            if reference.is_valid(doc) != ours.is_valid(doc):
                disagreements += 1
                assert disagreements < 0, (path, reference.is_valid(doc), [p.message for p in ours.problems(doc)])
    assert compared > 1000


# -- whole-file refusals --------------------------------------------------------------------------

HOSTILE_FILES: dict[str, bytes] = {
    "deep_list": b"[" * 100000 + b"]" * 100000,
    "deep_dict": b'{"a":' * 100000 + b"1" + b"}" * 100000,
    "deep_inside_a_report": dumps({**good(), "future": json.loads("[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2))}),
    "infinity": dumps(good()).replace(b'"duration_ms": 123', b'"duration_ms": Infinity', 1),
    "nan": b'{"schema": "smtpdiag.report/1", "x": NaN}',
    "huge_integer": b'{"schema": "smtpdiag.report/1", "x": ' + b"9" * 5000 + b"}",
    "not_json": b"\x1b[2J\x1b]52;c;aGk=\x07 hello",
    "not_text": b"\xff\xfe\x00\xd8garbage\xff",
    "empty": b"",
    "a_list": b"[]",
    "no_schema": b'{"checks": []}',
    "other_schema": b'{"schema": "something-else/1"}',
    "schema_not_a_string": b'{"schema": ["smtpdiag.report/1"]}',
    "overall_light_unknown": dumps({**good(), "overall": {**good()["overall"], "light": "blue"}}),
    "overall_missing": dumps({k: v for k, v in good().items() if k != "overall"}),
    "checks_not_a_list": dumps({**good(), "checks": {"0": {}}}),
    "input_target_number": dumps({**good(), "input": {"target": 5}}),
    "many_parts": b'{"schema": "smtpdiag.report/1", "x": [' + b"[]," * 200000 + b"0]}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_files_are_one_plain_line(name: str) -> None:
    refused(HOSTILE_FILES[name])


def test_the_messages_say_what_is_wrong() -> None:
    assert "nested too deeply" in refused(HOSTILE_FILES["deep_list"])
    assert "not JSON" in refused(HOSTILE_FILES["infinity"])
    assert "not an smtpdiag report" in refused(HOSTILE_FILES["other_schema"])
    assert "overall/light" in refused(HOSTILE_FILES["overall_light_unknown"])
    newer = refused(dumps({"schema": "smtpdiag.report/2\x1b[2J" + "x" * 500}))
    assert "newer smtpdiag" in newer and "\\x1b[2J" in newer and len(newer) < 200


def test_a_file_too_large_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:  # sparse: 100 MB that take no disk space
        fh.truncate(100 * 1024 * 1024)
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(ReportError, match="larger than 4 MB"):
        load_report(str(big))
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 1024 * 1024, peak


MEASURE = """
import resource, sys
from smtpdiag.report.model import ReportError
from smtpdiag.report.loader import MAX_BYTES, load_report_bytes, validator
validator()
unit = sys.argv[1].encode()
body = b'{"schema": "smtpdiag.report/1", "x": ['
data = body + unit * ((MAX_BYTES - len(body) - 10) // len(unit)) + b"0]}"
assert len(data) <= MAX_BYTES
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_report_bytes(data)
except ReportError:
    pass
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in kB on Linux")
@pytest.mark.parametrize("unit", ["[],", '"ab",', "0.5,", "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],", '{"k":"v"},'])
def test_the_worst_file_under_the_limit_stays_small_in_memory(unit: str) -> None:
    """A file just under the size limit made of the smallest JSON values (the most objects
    per byte): the extra memory of checking it stays far below the 400 MB bound."""
    result = subprocess.run([sys.executable, "-c", MEASURE, unit], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 80, f"{unit}: {result.stdout.strip()} MB"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_refused_at_once_and_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(ReportError, match="not a regular file"):
        load_report(str(fifo))
    assert time.perf_counter() - start < 1.0


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_an_endless_device_is_refused() -> None:
    with pytest.raises(InputFileError, match="not a regular file"):
        read_limited("/dev/zero", 1024)


def test_folders_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="folder"):
        load_report(str(tmp_path))
    with pytest.raises(ReportError, match="no such file"):
        load_report(str(tmp_path / "missing.json"))


# -- encodings (Windows) --------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_reports_with_a_bom_or_in_utf16_open(encoding: str) -> None:
    """PowerShell 5.1's ``>`` writes UTF-16 with a BOM; Notepad may add a UTF-8 BOM."""
    report = rich_report()
    loaded = load_report_bytes(report.dumps().encode(encoding))
    assert not loaded.partial
    assert loaded.report.to_json() == report.to_json()


# -- partly readable reports ------------------------------------------------------------------------


def test_a_broken_check_is_left_out_and_the_rest_is_shown_marked() -> None:
    doc = good()
    doc["checks"][1]["port"] = "465; DROP"
    doc["checks"][2]["steps"][0]["ms"] = -5
    doc["checks"][3]["tls"]["chain"][0]["san"] = 7
    doc["environment"]["os"] = {"evil": True}
    doc["input"]["password"] = "hunter2"
    loaded = load_report_bytes(dumps(doc))
    assert loaded.partial
    ids = [c.id for c in loaded.report.checks]
    assert "target-465" not in ids and "target-587" in ids and len(ids) == len(doc["checks"]) - 1
    c587 = next(c for c in loaded.report.checks if c.id == "target-587")
    assert len(c587.steps) == len(doc["checks"][2]["steps"]) - 1
    c2525 = next(c for c in loaded.report.checks if c.id == "target-2525")
    assert c2525.tls is not None and c2525.tls.chain[0].san == ()  # the broken field went, the rest stayed
    assert "os" not in loaded.report.environment
    assert "password" not in loaded.report.input
    note = loaded.partial_note()
    assert note.startswith("Partly read") and "checks/1/port" in note and "\n" not in note
    render_text(loaded.report)
    render_html(loaded.report)


def test_repeated_check_ids_and_reserved_context_keys() -> None:
    doc = good()
    doc["checks"].append(copy.deepcopy(doc["checks"][0]))
    doc["checks"][0]["context"] = {"port": "x", "host": "y", "code": "z", "where": "w", "Bad Key": "v",
                                   "product": "Product"}
    loaded = load_report_bytes(dumps(doc))
    assert len(loaded.report.checks) == len(doc["checks"]) - 1
    assert loaded.report.checks[0].context == {"product": "Product"}
    from smtpdiag.report.model import with_words

    with_words(loaded.report.checks[0])  # no "got multiple values for keyword argument"
    assert "repeats the id" in loaded.partial_note()


@pytest.mark.parametrize("field, value", [("ms", "5"), ("ms", 1.5), ("step", None), ("ok", "yes")])
def test_a_step_with_a_wrong_required_field_is_left_out(field: str, value: object) -> None:
    doc = good()
    doc["checks"][0]["steps"][0][field] = value
    loaded = load_report_bytes(dumps(doc))
    assert loaded.partial and len(loaded.report.checks[0].steps) == len(doc["checks"][0]["steps"]) - 1


@pytest.mark.parametrize("value", ["masked", [1], {"x": 1}])
def test_a_wrong_optional_field_is_left_out_alone(value: object) -> None:
    doc = good()
    doc["checks"][0]["steps"][0]["findings"] = value
    loaded = load_report_bytes(dumps(doc))
    assert loaded.partial and loaded.report.checks[0].steps[0].findings == ()
    assert len(loaded.report.checks[0].steps) == len(doc["checks"][0]["steps"])


@pytest.mark.parametrize("mutate", [
    lambda c: c.__setitem__("attempts", {"a": 1}),
    lambda c: c.__setitem__("transcript", [{"ms": 0, "dir": "sideways", "text": "x"}]),
    lambda c: c.__setitem__("cause", "no_such_cause"),
    lambda c: c.__setitem__("duration_ms", -1),
    lambda c: c.__setitem__("explanation", "x" * 70000),
    lambda c: c.pop("host"),
])
def test_a_check_with_a_bad_field_is_left_out(mutate: Any) -> None:
    doc = good()
    mutate(doc["checks"][0])
    loaded = load_report_bytes(dumps(doc))
    assert loaded.partial and loaded.partial_note().count("checks/0") == 1
    render_text(loaded.report)
    render_html(loaded.report)


def test_a_whole_report_is_not_marked() -> None:
    loaded = load_report_bytes(rich_report().dumps().encode())
    assert not loaded.partial and loaded.partial_note() == ""
    assert Report.loads(rich_report().dumps()).to_json() == rich_report().to_json()


def test_checking_a_real_report_is_fast() -> None:
    data = rich_report().dumps().encode()
    validator()
    start = time.perf_counter()
    for _ in range(20):
        load_report_bytes(data)
    assert (time.perf_counter() - start) / 20 < 0.5  # about 15 ms each on an idle machine


# -- smtpdiag view, without a screen ------------------------------------------------------------------


def run_view(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["SMTPDIAG_LOG_DIR"] = str(tmp_path / "logs")
    return subprocess.run([sys.executable, "-m", "smtpdiag", "view", str(path)], capture_output=True, text=True,
                          env=env, timeout=60, encoding="utf-8", errors="surrogateescape")


@pytest.mark.skipif(sys.platform == "win32", reason="control characters are not allowed in Windows file names")
def test_view_of_a_hostile_file_is_one_plain_line_and_exit_64(tmp_path: Path) -> None:
    path = tmp_path / "\x1b]0;owned\x07\x1b[2J\u202ereport.json"
    path.write_bytes(dumps({"schema": "smtpdiag.report/7", "created": "\x1b]52;c;aGk=\x07"}))
    result = run_view(path, tmp_path)
    assert result.returncode == 64, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]0;owned\\x07" in result.stderr and "newer smtpdiag" in result.stderr


def test_view_of_a_huge_file_is_quick_and_small(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(100 * 1024 * 1024)
    result = run_view(big, tmp_path)
    assert result.returncode == 64 and "larger than 4 MB" in result.stderr
    assert result.stderr.count("\n") == 1


def test_view_of_a_partly_broken_report_shows_the_rest_marked(tmp_path: Path) -> None:
    doc = good()
    doc["checks"][0]["light"] = "blue"
    path = tmp_path / "partial.json"
    path.write_bytes(dumps(doc))
    result = run_view(path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Partly read") and "checks/0/light" in result.stdout
    assert "Partly read" in result.stderr
    assert "mail.example.com" in result.stdout


def test_file_permissions_are_not_needed_to_be_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0 if hasattr(os, "geteuid") else True:
        pytest.skip("root reads everything")
    path = tmp_path / "secret.json"
    path.write_bytes(b"{}")
    path.chmod(0)
    try:
        with pytest.raises(ReportError, match="permission"):
            load_report(str(path))
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_a_broken_app_or_environment_is_replaced_and_marked() -> None:
    doc = good()
    doc["app"] = {}
    doc["environment"] = "Windows"
    loaded = load_report_bytes(dumps(doc))
    assert loaded.partial and "app/name" in loaded.partial_note()
    assert loaded.report.app == {"name": "smtpdiag", "version": "?"} and loaded.report.environment == {}
    assert len(loaded.report.checks) == len(doc["checks"])


@pytest.mark.parametrize("record, definition", [
    ("TranscriptLine", "transcript_line"), ("Step", "step"), ("CertInfo", "certificate"), ("TlsInfo", "tls"),
    ("Attempt", "attempt"), ("Check", "check")])
def test_every_record_field_is_in_the_schema(record: str, definition: str) -> None:
    """The loader checks each field's type only if the schema names it: a new record field
    must be described there too (a dict in TranscriptLine.conn once crashed the text view)."""
    import dataclasses

    from smtpdiag import records

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    fields = {f.name for f in dataclasses.fields(getattr(records, record))}
    assert fields <= set(schema["$defs"][definition]["properties"]), fields - set(schema["$defs"][definition]["properties"])
