"""One translation system for the whole program: GNU gettext.

The command line must not import Qt, so the window uses the same gettext
catalogs (``resources/translations/<lang>/LC_MESSAGES/smtpdiag.mo``) as the
command line; only Qt's own ``qtbase`` catalog is loaded by the window for the
standard dialogs.

Usage::

    from smtpdiag.i18n import _, N_
    TEXT = N_("marked for extraction, translated later")  # at import time
    print(_(TEXT))                                       # at use time

Adding a language is translating ``resources/translations/smtpdiag.pot`` into
``<lang>/LC_MESSAGES/smtpdiag.po`` and running ``python scripts/i18n.py compile``
(``extract`` and ``merge`` keep the catalogs in step with the code).
"""

from __future__ import annotations

import gettext
import locale
import os
from collections.abc import Iterable

from .paths import translations_dir

DOMAIN = "smtpdiag"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
_explicit = False


def system_language() -> str:
    """The user's language as the operating system says it (``de``, ``en``...)."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            lang = value.split(":")[0].split(".")[0]
            if lang and lang not in ("C", "POSIX"):
                return lang
    try:
        found = locale.getlocale()[0]
    except ValueError:
        found = None
    return found or "en"


def available_languages() -> list[str]:
    """Languages with a compiled catalog, plus English (the source language)."""
    langs = {"en"}
    base = translations_dir()
    if base.is_dir():
        for child in base.iterdir():
            if (child / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
                langs.add(child.name)
    return sorted(langs)


def pick_language(tags: Iterable[str], available: Iterable[str] | None = None) -> str | None:
    """The first of *tags* (``de-DE``, ``de_AT``, ``zh-Hans-CN``: the system's UI
    languages, best first) that has a catalog in *available* (default: the
    installed ones): the tag with its region first, then the bare language."""
    have = {a.lower().replace("-", "_"): a
            for a in (available_languages() if available is None else available)}
    for tag in tags:
        parts = tag.replace("-", "_").lower().split("_")
        for n in range(len(parts), 0, -1):
            key = "_".join(parts[:n])
            if key in have:
                return have[key]
    return None


def set_language(lang: str | None = None, system_tags: Iterable[str] = ()) -> str:
    """Switch every later ``_()`` call to *lang*.

    Without *lang*: the first of *system_tags* (the system's UI languages, which
    the faces read: Windows' and macOS' own settings, ``QLocale.uiLanguages()``)
    that has a catalog, else the POSIX variables / locale.  Returns the language
    actually in use (``en`` when there is no catalog).
    """
    global _translation, _language, _explicit
    _explicit = lang is not None
    wanted = lang or pick_language(system_tags) or system_language()
    candidates = [wanted]
    if "_" in wanted:
        candidates.append(wanted.split("_")[0])
    _translation = gettext.translation(
        DOMAIN, localedir=str(translations_dir()), languages=candidates, fallback=True
    )
    _language = wanted.split("_")[0] if isinstance(_translation, gettext.GNUTranslations) else "en"
    return _language


def current_language() -> str:
    return _language


def language_is_explicit() -> bool:
    """Whether the language was chosen (``--lang``) rather than taken from the system."""
    return _explicit


def _(message: str) -> str:
    """Translate *message* into the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark *message* for translation without translating it yet."""
    return message
