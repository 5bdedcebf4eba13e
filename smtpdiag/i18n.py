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

from .paths import translations_dir

DOMAIN = "smtpdiag"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


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


def set_language(lang: str | None = None) -> str:
    """Switch every later ``_()`` call to *lang* (None: the system's language).

    Returns the language actually in use (``en`` when there is no catalog).
    """
    global _translation, _language
    wanted = lang or system_language()
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


def _(message: str) -> str:
    """Translate *message* into the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark *message* for translation without translating it yet."""
    return message
