#!/usr/bin/env python3
"""Translation catalogs: extract the template, merge, compile.

    python scripts/i18n.py extract   # smtpdiag/**/*.py -> resources/translations/smtpdiag.pot (xgettext)
    python scripts/i18n.py merge     # update every <lang>/LC_MESSAGES/smtpdiag.po from the template (msgmerge)
    python scripts/i18n.py compile   # every .po -> .mo (pure Python, no gettext tools needed)

To add a language: `msginit -i resources/translations/smtpdiag.pot -l de -o
resources/translations/de/LC_MESSAGES/smtpdiag.po`, translate, then `compile`.
"""

from __future__ import annotations

import ast
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "resources" / "translations"
POT = TRANSLATIONS / "smtpdiag.pot"
KEYWORDS = ["--keyword=_", "--keyword=N_", "--keyword=ngettext:1,2"]


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "smtpdiag").rglob("*.py"))


def extract(output: Path = POT) -> None:
    subprocess.run(["xgettext", "--language=Python", "--from-code=UTF-8", "--add-comments=TRANSLATORS",
                    "--package-name=smtpdiag", "--msgid-bugs-address=https://smtpdiag.org/issues",
                    "--sort-by-file", "--add-location=file", "-o", str(output), *KEYWORDS, *sources()], check=True, cwd=ROOT)


def merge() -> None:
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/smtpdiag.po"):
        subprocess.run(["msgmerge", "--quiet", "--update", "--backup=none", "--add-location=file", str(po), str(POT)], check=True)


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def parse_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr (plural forms joined with NUL, as .mo files store them)."""
    entries: dict[str, str] = {}
    msgid = msgid_plural = None
    msgstr: dict[int, str] = {}
    section = None
    fuzzy = False

    def flush() -> None:
        nonlocal msgid, msgid_plural, msgstr, fuzzy
        if msgid is not None and msgstr and not fuzzy:
            key = msgid if msgid_plural is None else msgid + "\0" + msgid_plural
            value = "\0".join(msgstr[i] for i in sorted(msgstr))
            if value.replace("\0", "") or msgid == "":
                entries[key] = value
        msgid = msgid_plural = None
        msgstr = {}
        fuzzy = False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            flush()
            fuzzy = True
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid_plural "):
            msgid_plural = _unquote(line[13:])
            section = "plural"
        elif line.startswith("msgid "):
            if msgid is not None and section != "id":
                flush()  # the previous entry ends here (a "#, fuzzy" flag already flushed it)
            msgid = _unquote(line[6:])
            section = "id"
        elif line.startswith("msgstr["):
            index = int(line[7:line.index("]")])
            msgstr[index] = _unquote(line[line.index("]") + 1:].strip())
            section = ("str", index)
        elif line.startswith("msgstr "):
            msgstr[0] = _unquote(line[7:])
            section = ("str", 0)
        elif line.startswith('"'):
            value = _unquote(line)
            if section == "id":
                msgid = (msgid or "") + value
            elif section == "plural":
                msgid_plural = (msgid_plural or "") + value
            elif isinstance(section, tuple):
                msgstr[section[1]] += value
    flush()
    return entries


def mo_bytes(entries: dict[str, str]) -> bytes:
    """A GNU .mo file for *entries* (the format gettext.GNUTranslations reads)."""
    keys = sorted(entries)
    ids = b""
    strs = b""
    offsets = []
    for k in keys:
        kb, vb = k.encode("utf-8"), entries[k].encode("utf-8")
        offsets.append((len(ids), len(kb), len(strs), len(vb)))
        ids += kb + b"\0"
        strs += vb + b"\0"
    n = len(keys)
    key_table_start = 7 * 4
    value_table_start = key_table_start + n * 8
    ids_start = value_table_start + n * 8
    strs_start = ids_start + len(ids)
    key_table = b"".join(struct.pack("<II", length, ids_start + off) for off, length, _o, _l in offsets)
    value_table = b"".join(struct.pack("<II", length, strs_start + off) for _a, _b, off, length in offsets)
    header = struct.pack("<Iiiiiii", 0x950412DE, 0, n, key_table_start, value_table_start, 0, 0)
    return header + key_table + value_table + ids + strs


def compile_all() -> list[Path]:
    written = []
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/smtpdiag.po")):
        mo = po.with_suffix(".mo")
        data = mo_bytes(parse_po(po))
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
        written.append(mo)
    return written


def main(argv: list[str]) -> int:
    if argv[:1] == ["extract"]:
        extract()
    elif argv[:1] == ["merge"]:
        merge()
    elif argv[:1] == ["compile"]:
        for mo in compile_all():
            print(mo.relative_to(ROOT))
    else:
        print(__doc__)
        return 64
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
