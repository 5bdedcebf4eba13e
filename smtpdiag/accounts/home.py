"""Where the mail programs keep their settings, and the one door through which
the readers open a file.

The home folder is injectable (``SMTPDIAG_HOME`` or :meth:`Home.at`), so tests
and the demo read fixture profiles, never the real user's.  :class:`Home.open_text`
opens only regular files inside the home folder (after resolving links), only
for reading, and only up to a size limit; it records every file it opened.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from ..frozen import field, record

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

HOME_ENV = "SMTPDIAG_HOME"
MAX_BYTES = 16 * 1024 * 1024  # a prefs.js of a large profile is a few hundred kB

# A registry view for Outlook: key path -> {value name: value}.  On Windows the
# reader walks HKEY_CURRENT_USER with winreg; tests hand in a parsed `reg export`.
if TYPE_CHECKING:  # a name only type checkers read
    RegistryRead = Callable[[], dict[str, dict[str, Any]]]


class Refused(Exception):
    """A file the door will not open (outside the home folder, not a file, too big)."""


@record
class Home:
    path: Path
    platform: str = sys.platform
    appdata: Path | None = None      # Windows: %APPDATA% (Roaming)
    xdg_config: Path | None = None   # Linux: $XDG_CONFIG_HOME
    registry: RegistryRead | None = None
    opened: list[str] = field(default_factory=list)

    @classmethod
    def at(cls, path: str | os.PathLike[str], platform: str = sys.platform,
           registry: RegistryRead | None = None) -> Home:
        """A home folder given explicitly (tests, the demo, ``SMTPDIAG_HOME``): every
        other place is derived from it, nothing from the real user's environment."""
        p = Path(path)
        return cls(p, platform, appdata=p / "AppData" / "Roaming", xdg_config=p / ".config", registry=registry)

    @classmethod
    def of_user(cls, env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Home:
        """The current user's home, or ``SMTPDIAG_HOME`` when set."""
        env = os.environ if env is None else env
        given = env.get(HOME_ENV)
        if given:
            return cls.at(given, platform)
        home = Path.home()
        appdata = Path(env["APPDATA"]) if platform == "win32" and env.get("APPDATA") else home / "AppData" / "Roaming"
        xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
        registry = None
        if platform == "win32" and sys.platform == "win32":
            from .outlook import read_windows_registry

            registry = read_windows_registry
        return cls(home, platform, appdata=appdata, xdg_config=xdg, registry=registry)

    # -- the one door --------------------------------------------------------------
    def roots(self) -> list[Path]:
        """The folders files may be opened in: the home folder, and the settings
        folders the system names for this user (they normally lie inside it)."""
        out = [self.path]
        for extra in (self.appdata, self.xdg_config):
            if extra is not None:
                out.append(extra)
        return out

    def inside(self, path: Path) -> bool:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            return False
        for root in self.roots():
            try:
                if real.is_relative_to(root.resolve()):
                    return True
            except (OSError, RuntimeError):
                continue
        return False

    def open_bytes(self, path: Path) -> bytes:
        """The contents of *path*, read-only.  Raises :class:`Refused` or ``OSError``."""
        if not self.inside(path):
            raise Refused(str(path))
        real = path.resolve()
        if not real.is_file():
            raise Refused(str(path))
        if real.stat().st_size > MAX_BYTES:
            raise Refused(str(path))
        with open(real, "rb") as fh:  # read-only; never created, never written
            data = fh.read(MAX_BYTES + 1)
        self.opened.append(str(real))
        return data

    def open_text(self, path: Path, encoding: str = "utf-8") -> str:
        return self.open_bytes(path).decode(encoding, errors="replace")

    def exists(self, path: Path) -> bool:
        try:
            return path.exists()
        except OSError:
            return False

    def is_dir(self, path: Path) -> bool:
        try:
            return path.is_dir()
        except OSError:
            return False
