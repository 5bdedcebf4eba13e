"""Text from servers is hostile: make it safe to show in a terminal, a widget or a page."""

from __future__ import annotations

import re

# C0/C1 controls (but tab and newline), and the invisible characters that reorder
# or hide text (bidi overrides, zero-width marks): a hostile greeting must not be
# able to make a line read differently from what was received.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def plain(text: object) -> str:
    """*text* as a string with invisible or reordering characters shown as escapes."""
    s = "" if text is None else str(text)

    def visible(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return _UNSAFE.sub(visible, s)


