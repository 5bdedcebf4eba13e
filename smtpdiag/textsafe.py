"""The one neutraliser: text from servers, certificates, report files and file names is
hostile.  Everything of that kind goes through :func:`plain` or :func:`one_line` before it
reaches a terminal, a widget, an HTML page or a PDF.

    plain(text)      keeps line breaks (``\\n``) and tabs, escapes everything else invisible
    one_line(text)   for places that show one line: line breaks and tabs are escaped too

What is escaped, as a visible ``\\xNN`` / ``\\uNNNN`` / ``\\UNNNNNNNN``:

- every character of the Unicode categories Cc (C0/C1 controls: ESC, NUL, BEL, CR,
  DEL ...), Cf (format: bidi marks and overrides such as U+202E and U+061C, zero-width
  characters, the BOM, soft hyphen, the tag characters), Zl and Zp (U+2028, U+2029)
  and Cs (lone surrogates, which no encoder can write);
- the whole tag block U+E0000-U+E007F, including its unassigned code points.

A hostile server greeting, certificate subject or report field can therefore not
move the cursor, clear a screen, set a window title or the clipboard (OSC 52),
reorder a line (``"\\u202etxt.exe"`` shows as ``\\u202etxt.exe``), hide text, or start
a new line that looks like smtpdiag's own (``Overall: OK``).
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Candidates only: printable ASCII never needs a look-up, so the common case stays fast.
_CANDIDATES_MULTI = re.compile(r"[^\x20-\x7e\t\n]")
_CANDIDATES_ONE = re.compile(r"[^\x20-\x7e]")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_unsafe(ch: str) -> bool:
    """True for a character that :func:`plain` shows as an escape (tab and newline aside)."""
    if ch in "\t\n":
        return True
    code = ord(ch)
    return 0xE0000 <= code <= 0xE007F or unicodedata.category(ch) in _ESCAPED_CATEGORIES


def _visible(m: re.Match[str]) -> str:
    ch = m.group()
    return _escape(ch) if is_unsafe(ch) else ch


def _text(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    try:
        return str(text)
    except Exception:  # a hostile object's __str__: show its type, never raise
        return f"<{type(text).__name__}>"


def plain(text: object) -> str:
    """*text* safe to show: invisible, reordering and control characters as visible escapes.

    Newlines and tabs are kept (for multi-line places such as a transcript pane)."""
    return _CANDIDATES_MULTI.sub(_visible, _text(text))


def one_line(text: object, limit: int | None = None) -> str:
    """*text* safe to show where one line is expected: also ``\\n`` and tabs as escapes.

    With *limit*, at most that many characters (cut with "…"): a label or a table row
    laid out with 60,000 characters would stall the window for seconds."""
    s = _text(text)
    if limit is not None and len(s) > limit:
        s = s[:limit]
        return _CANDIDATES_ONE.sub(_visible, s)[:limit] + "…"
    return _CANDIDATES_ONE.sub(_visible, s)


def file_name(path: object) -> str:
    """A file name or path as the user may see it: one line, escapes visible.

    Bytes that were not valid in the file system's encoding (surrogate escapes) show
    as ``\\udcNN``."""
    return one_line(path)
