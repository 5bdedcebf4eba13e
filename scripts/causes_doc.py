#!/usr/bin/env python3
"""Write docs/causes.md: every cause code with its light, who is at fault, and the
exact words customers see (generated from smtpdiag/causes.py; a test keeps it current).

    python scripts/causes_doc.py          # rewrite docs/causes.md
    python scripts/causes_doc.py --check  # exit 1 if docs/causes.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smtpdiag.causes import _TEXTS, CAUSES, LIGHT_WORDS, WHERE_WORDS  # noqa: E402
from smtpdiag.verdict import STEP_FAILURES, STEP_FINDINGS  # noqa: E402

OUT = ROOT / "docs" / "causes.md"
WHERE_RULES = {
    "by_control": "by the reference servers: all fail the same way -> `network`; one gets further -> "
                  "`server`; none tested -> `unknown`",
    "special": "`smtp_not_smtp`: `network` when a web page answered (captive portal, proxy), else "
               "`server`; `tls_intercepted`: `local` for security software, `network` for an appliance",
}


def render() -> str:
    lines = [
        "# Cause codes",
        "",
        "Every check ends with exactly one cause code (docs/contract.md section 3). This page is",
        "generated from `smtpdiag/causes.py` by `scripts/causes_doc.py`; the words are the",
        "English ones customers see (placeholders in braces are filled in per check).",
        "",
        "| cause | light | where | seen in step (failure / finding) |",
        "| --- | --- | --- | --- |",
    ]
    for code, cause in CAUSES.items():
        seen = [f"{s}: `{f}`" for (s, f), c in STEP_FAILURES.items() if c == code]
        seen += [f"{s}: `{f}` (finding)" for (s, f), c in STEP_FINDINGS.items() if c == code]
        light = cause.light + (" (amber on port 25)" if code == "starttls_missing" else "")
        where = cause.where if cause.where not in WHERE_RULES else cause.where.replace("_", " ")
        lines.append(f"| `{code}` | {light} ({LIGHT_WORDS[cause.light]}) | {where} | {', '.join(seen) or '-'} |")
    lines += ["", "Where:", ""]
    lines += [f"- `{k}`: {v}" for k, v in WHERE_RULES.items()]
    lines += [f"- `{k}`: {v}" for k, v in WHERE_WORDS.items()]
    lines += ["", "## The words per cause", ""]
    for code, cause in CAUSES.items():
        lines += [f"### `{code}` — {cause.title}", ""]
        for (c, where), (explanation, advice) in _TEXTS.items():
            if c != code:
                continue
            label = ("any other place" if where == "*" else f"where = {where}" if where in WHERE_WORDS
                     else f"variant {where} (clock check)")
            lines += [f"- *{label}*: {explanation}", f"  - What to do: {advice}"]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if argv[:1] == ["--check"]:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        return 0 if current == text else 1
    OUT.write_text(text, encoding="utf-8")
    print(OUT.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
