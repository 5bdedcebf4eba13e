"""The translation catalogs: the template matches the code, the German catalog is
complete and keeps every placeholder, the shipped .mo is the compiled .po, and the
program really speaks German when asked to.

After changing texts in the code, a translator runs::

    python scripts/i18n.py extract && python scripts/i18n.py merge
    # translate the new or "fuzzy" entries in resources/translations/de/LC_MESSAGES/smtpdiag.po
    python scripts/i18n.py compile
"""

from __future__ import annotations

import ast
import gettext
import importlib.util
import os
import re
import shutil
import socket
import string
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from smtpdiag import causes, i18n

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "resources" / "translations"
POT = TRANSLATIONS / "smtpdiag.pot"
DE_PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "smtpdiag.po"
DE_MO = DE_PO.with_suffix(".mo")
GERMAN_PLURALS = 2
UPDATE_HINT = ("update the catalogs: python scripts/i18n.py extract && python scripts/i18n.py merge, "
               "translate the new entries, then python scripts/i18n.py compile")


# -- a small .po reader (independent of scripts/i18n.py, which is under test) -----------------


@dataclass
class Entry:
    msgid: str
    plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str | None]:
        return self.msgid, self.plural

    def sources(self) -> list[str]:
        """The source text each msgstr translates (msgid, then msgid_plural for index >= 1)."""
        return [self.msgid if i == 0 or self.plural is None else self.plural for i in sorted(self.msgstr)]


def read_po(path: Path) -> dict[tuple[str, str | None], Entry]:
    """Every live entry of a .po/.pot (obsolete ``#~`` entries skipped), header excluded."""
    entries: dict[tuple[str, str | None], Entry] = {}
    current: Entry | None = None
    flags: set[str] = set()
    section: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current
        if current is not None and current.msgid != "":
            entries[current.key] = current
        current = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            flags, section = set(), None
        elif line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            assert current is not None
            current.plural = ast.literal_eval(line[13:])
            section = ("plural", 0)
        elif line.startswith("msgid "):
            finish()
            current = Entry(ast.literal_eval(line[6:]), flags=flags)
            section = ("id", 0)
        elif line.startswith("msgstr"):
            assert current is not None
            head, _sep, value = line.partition(" ")
            index = int(head[7:-1]) if head.startswith("msgstr[") else 0
            current.msgstr[index] = ast.literal_eval(value)
            section = ("str", index)
        elif line.startswith('"') and current is not None and section is not None:
            value = ast.literal_eval(line)
            if section[0] == "id":
                current.msgid += value
            elif section[0] == "plural":
                current.plural = (current.plural or "") + value
            else:
                current.msgstr[section[1]] += value
    finish()
    return entries


@pytest.fixture(scope="module")
def template() -> dict[tuple[str, str | None], Entry]:
    return read_po(POT)


@pytest.fixture(scope="module")
def german() -> dict[tuple[str, str | None], Entry]:
    return read_po(DE_PO)


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    """scripts/i18n.py, imported from its file (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("smtpdiag_i18n_tool", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def language() -> Iterator[None]:
    """Leave the process's language as the test found it (other tests expect English)."""
    before = i18n.current_language()
    try:
        yield
    finally:
        i18n.set_language(before)


# -- placeholders -----------------------------------------------------------------------------

_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
                      r"(?P<type>[a-zA-Z%])")
_FILE_FILTER = re.compile(r"\(\*[^)]*\)")


def brace_fields(text: str) -> set[tuple[str, str, str]] | str:
    """{name[!conv][:spec]} fields as (name, conversion, spec); "unparseable" if it is no format string."""
    try:
        return {(name, conv or "", spec or "")
                for _lit, name, spec, conv in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return "unparseable"


def percent_fields(text: str) -> list[str]:
    """%-style conversions in order (%s, %(name)d ...), without the literal %%."""
    return [m.group(0) for m in _PERCENT.finditer(text) if m.group("type") != "%"]


def mnemonics(text: str) -> list[str]:
    """Qt accelerator marks: "&F" in "&File" (a doubled "&&" is a literal ampersand)."""
    return re.findall(r"(?<!&)&(?!&)\S", text.replace("&&", ""))


# -- (a) the template is up to date ---------------------------------------------------------------


def test_template_matches_the_code(tool: ModuleType, template: dict, tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (GNU gettext tools) is not installed, so the template cannot be re-extracted")
    fresh = tmp_path / "smtpdiag.pot"
    tool.extract(fresh)
    extracted = set(read_po(fresh))
    committed = set(template)
    new, gone = sorted(extracted - committed), sorted(committed - extracted)
    assert not new, f"texts in the code missing from {POT.relative_to(ROOT)}: {new}; {UPDATE_HINT}"
    assert not gone, f"texts in {POT.relative_to(ROOT)} no longer in the code: {gone}; {UPDATE_HINT}"


# -- (b) every entry has a German translation ------------------------------------------------------


def test_german_header_declares_utf8_and_two_plural_forms() -> None:
    text = DE_PO.read_text(encoding="utf-8")
    assert '"Language: de\\n"' in text
    assert "charset=UTF-8" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in text


def test_every_template_entry_is_translated_into_german(template: dict, german: dict) -> None:
    missing = [msgid for msgid, plural in template if (msgid, plural) not in german]
    assert not missing, f"not in {DE_PO.relative_to(ROOT)}: {missing}; {UPDATE_HINT}"
    fuzzy = [e.msgid for e in german.values() if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy (unchecked) German translations: {fuzzy}"
    incomplete = []
    for key in template:
        entry = german[key]
        forms = GERMAN_PLURALS if entry.plural is not None else 1
        if sorted(entry.msgstr) != list(range(forms)) or not all(s.strip() for s in entry.msgstr.values()):
            incomplete.append(entry.msgid)
    assert not incomplete, f"empty or incomplete German translations: {incomplete}"
    stale = [msgid for msgid, plural in german if (msgid, plural) not in template]
    assert not stale, f"German entries the template no longer has: {stale}; run python scripts/i18n.py merge"


# -- (c) placeholders survive translation ---------------------------------------------------------


def test_german_keeps_every_placeholder(german: dict) -> None:
    wrong = []
    for entry in german.values():
        for source, translated in zip(entry.sources(), (entry.msgstr[i] for i in sorted(entry.msgstr)),
                                      strict=True):
            if brace_fields(source) != brace_fields(translated):
                wrong.append((source, translated, "{} fields differ"))
            if percent_fields(source) != percent_fields(translated):
                wrong.append((source, translated, "% conversions differ"))
    assert not wrong, "\n".join(f"{why}: {s!r} -> {t!r}" for s, t, why in wrong)


def test_german_keeps_accelerators_file_filters_and_edges(german: dict) -> None:
    wrong = []
    for entry in german.values():
        for source, translated in zip(entry.sources(), (entry.msgstr[i] for i in sorted(entry.msgstr)),
                                      strict=True):
            if len(mnemonics(source)) != len(mnemonics(translated)):
                wrong.append((source, translated, "keyboard accelerator (&) lost or added"))
            if _FILE_FILTER.findall(source) != _FILE_FILTER.findall(translated) \
                    or source.count(";;") != translated.count(";;"):
                wrong.append((source, translated, "file dialog filter changed"))
            if (source[:1].isspace(), source[-1:].isspace()) != (translated[:1].isspace(),
                                                                  translated[-1:].isspace()):
                wrong.append((source, translated, "leading/trailing space changed"))
            if source.count("\n") != translated.count("\n"):
                wrong.append((source, translated, "number of lines changed"))
    assert not wrong, "\n".join(f"{why}: {s!r} -> {t!r}" for s, t, why in wrong)


# -- (d) the shipped .mo is the compiled .po --------------------------------------------------------


def test_committed_mo_is_the_compiled_po(tool: ModuleType) -> None:
    expected = tool.mo_bytes(tool.parse_po(DE_PO))
    assert DE_MO.read_bytes() == expected, (
        f"{DE_MO.relative_to(ROOT)} is stale: run python scripts/i18n.py compile")


def test_mo_translates_every_entry_as_the_po_says(template: dict, german: dict) -> None:
    with DE_MO.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    wrong = []
    for msgid, plural in template:
        entry = german[(msgid, plural)]
        if plural is None:
            got = [catalog.gettext(msgid)]
        else:
            got = [catalog.ngettext(msgid, plural, 1), catalog.ngettext(msgid, plural, 2)]
        if got != [entry.msgstr[i] for i in sorted(entry.msgstr)]:
            wrong.append(msgid)
    assert not wrong, f"the compiled catalog does not give the .po's translation for: {wrong}"


# -- (e) switching the language at run time ----------------------------------------------------------


@pytest.mark.usefixtures("language")
def test_set_language_switches_causes_and_light_words(german: dict) -> None:
    assert i18n.set_language("de") == "de"
    words = {light: causes.light_word(light) for light in causes.LIGHTS}
    assert words == {"green": "OK", "amber": "Warnung", "red": "Problem", "grey": "Nicht getestet"}
    explanation, advice = causes.explain("tls_reset", "network", port=[465, 587])
    source_explanation, source_advice = causes._TEXTS[("tls_reset", "network")]
    ports = german[("port {ports}", "ports {ports}")].msgstr[1].format(
        ports=german[("{first} and {last}", None)].msgstr[0].format(first="465", last="587"))
    assert ports == "Ports 465 und 587"
    assert explanation == german[(source_explanation, None)].msgstr[0].format(port_words=ports)
    assert advice == german[(source_advice, None)].msgstr[0]
    assert causes.title("tls_intercepted") == german[("Encrypted mail checked", None)].msgstr[0]
    assert causes.where_word("network") == "Ihr Netzwerk"

    assert i18n.set_language("en") == "en"
    assert causes.light_word("amber") == "Warning"
    assert causes.explain("tls_reset", "network", port=465) == (
        "Your network cuts encrypted mail connections on port 465, for every mail server.", source_advice)


@pytest.mark.usefixtures("language")
def test_every_cause_text_reads_german(german: dict) -> None:
    from smtpdiag.report import words

    i18n.set_language("de")
    same_in_german = {"OK", "Problem", "STARTTLS", "SSL/TLS"}
    for msgid in [*causes.all_message_ids(), *words.message_ids()]:
        translated = german[(msgid, None)].msgstr[0]
        assert i18n._(msgid) == translated
        assert translated != msgid or msgid in same_in_german, msgid


# -- (f) the command line in German ------------------------------------------------------------------


def _closed_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_check_command_speaks_german(german: dict, tmp_path: Path) -> None:
    port = _closed_loopback_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SMTPDIAG_PASSWORD", "LANGUAGE", "LC_ALL")}
    env["SMTPDIAG_LOG_DIR"] = str(tmp_path / "logs")
    result = subprocess.run(
        [sys.executable, "-m", "smtpdiag", "check", "127.0.0.1", "--port", str(port), "--no-control",
         "--timeout", "1", "--lang", "de"],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    out = result.stdout
    port_words = german[("port {ports}", "ports {ports}")].msgstr[0].format(ports=port)
    refused = german[("The connection to {port_words} was refused.", None)].msgstr[0].format(
        port_words=port_words)
    assert refused in out
    for msgid in ("Your mail server", "What to do", "Refused", "smtpdiag report for {target}"):
        word = german[(msgid, None)].msgstr[0].split("{")[0].strip()
        assert word and word in out, (msgid, word)
    assert f"The connection to port {port} was refused." not in out
    assert "Traceback" not in result.stderr
