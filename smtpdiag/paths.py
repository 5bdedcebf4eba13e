"""Where the program's own files are: from a source tree, an install, or a frozen app."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding ``icons/`` and ``translations/``."""
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        candidate = Path(frozen_base) / "smtpdiag" / "resources"
        if candidate.is_dir():
            return candidate
    try:
        import smtpdiag.resources as res  # installed: package-dir maps resources/ here

        return Path(res.__file__).resolve().parent
    except ImportError:
        return Path(__file__).resolve().parent.parent / "resources"


def icons_dir() -> Path:
    return resources_dir() / "icons"


def translations_dir() -> Path:
    return resources_dir() / "translations"


def data_dir() -> Path:
    """Data files that belong to the engine (e.g. the interception product list)."""
    return Path(__file__).resolve().parent / "data"
