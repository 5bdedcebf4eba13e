"""What the readers touch: only files inside the (fixture) home folder, only for
reading.  Watched twice: from inside with an audit hook on every ``open``, and
from outside with strace on a real ``smtpdiag accounts`` process."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import pytest

from smtpdiag.accounts import Home, find_accounts
from smtpdiag.accounts.outlook import decode_reg_file, parse_reg_export

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "accounts"

_events: list[tuple[str, str, object, object]] = []
_watching = threading.local()
_hooked = False


def _hook(event: str, args: tuple[object, ...]) -> None:
    if getattr(_watching, "on", False) and event in ("open", "os.listdir", "os.scandir"):
        path = args[0] if args else None
        if isinstance(path, (str, bytes, os.PathLike)):
            _events.append((event, os.fsdecode(path), args[1] if len(args) > 1 else None,
                            args[2] if len(args) > 2 else None))


def _watch(home: Home) -> list[tuple[str, str, object, object]]:
    global _hooked
    if not _hooked:
        sys.addaudithook(_hook)  # cannot be removed; it records only while _watching.on
        _hooked = True
    find_accounts(Home.at(home.path, home.platform, home.registry))  # warm-up: imports happen here
    _events.clear()
    _watching.on = True
    try:
        found = find_accounts(home)
    finally:
        _watching.on = False
    assert found.accounts
    return list(_events)


@pytest.mark.parametrize(("folder", "platform"), [("linux-home", "linux"), ("windows-home", "win32"),
                                                  ("mac-home", "darwin")])
def test_every_open_is_a_read_inside_the_home(folder: str, platform: str) -> None:
    home_dir = (FIXTURES / folder).resolve()
    registry = None
    if platform == "win32":
        text = decode_reg_file((FIXTURES / "outlook.reg").read_bytes())
        registry = lambda: parse_reg_export(text)  # noqa: E731
    events = _watch(Home.at(home_dir, platform, registry))
    opened = [(p, mode, flags) for ev, p, mode, flags in events if ev == "open"]
    assert opened, "the readers opened nothing: the hook saw nothing to judge"
    outside = [p for ev, p, *_ in events if not Path(p).resolve().is_relative_to(home_dir)]
    assert outside == []
    for path, mode, flags in opened:
        assert mode in ("r", "rb"), (path, mode)
        assert isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC) == 0
    # Exactly the settings files, nothing else from the profiles (no logins.json, no mail).
    names = sorted({Path(p).name for p, *_ in opened})
    expected = {"linux": ["1702812345.4001.1@laptop.source", "1702812345.4001.2@laptop.source",
                          "1702812345.4001.3@laptop.source", "1702899999.5001.1@laptop.source",
                          "1702899999.5001.2@laptop.source", "birthdays.source", "compatibility.ini",
                          "local-relay.source", "old-transport.source", "prefs.js", "profiles.ini"],
                "win32": ["prefs.js", "profiles.ini"],
                "darwin": ["Accounts.plist", "prefs.js", "profiles.ini"]}[platform]
    assert names == expected


def test_a_link_out_of_the_home_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(FIXTURES / "windows-home" / "AppData" / "Roaming" / "Thunderbird", outside)
    home = tmp_path / "home"
    (home / ".thunderbird").mkdir(parents=True)
    (home / ".thunderbird" / "profiles.ini").write_text(
        "[Profile0]\nName=linked\nIsRelative=1\nPath=linked\n")
    (home / ".thunderbird" / "linked").symlink_to(outside / "Profiles" / "w1n2d3s4.default-release")
    found = find_accounts(Home.at(home, "linux"))
    assert found.accounts == ()
    assert [(n.program, n.reason) for n in found.notes] == [("thunderbird", "outside_home")]
    assert all(Path(p).resolve().is_relative_to(home.resolve()) for p in found.read)


_WRITE = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")


@pytest.mark.skipif(shutil.which("strace") is None or sys.platform != "linux",
                    reason="strace is not installed (apt-get install strace)")
def test_strace_of_smtpdiag_accounts_reads_only_the_profiles(tmp_path: Path) -> None:
    home = (FIXTURES / "linux-home").resolve()
    log = tmp_path / "strace.log"
    env = dict(os.environ, SMTPDIAG_HOME=str(home), PYTHONDONTWRITEBYTECODE="1", LANGUAGE="en")
    result = subprocess.run(
        ["strace", "-f", "-qq", "-o", str(log), "-e", "trace=open,openat,openat2,creat,truncate,rename,"
         "renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,link,linkat,symlink,symlinkat",
         sys.executable, "-m", "smtpdiag", "accounts", "--format", "json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    if "Operation not permitted" in result.stderr and "ptrace" in result.stderr.lower():
        pytest.skip("this container does not allow ptrace")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert {a["account"] for a in listed} >= {"alice@example.com", "ivan@example.com", "grace@example.com"}
    calls = [line for line in log.read_text().splitlines() if "(" in line]
    # Nothing is written, created, renamed or removed anywhere.
    changing = [c for c in calls if not re.search(r"\bopen(at2?)?\(", c) or _WRITE.search(c)]
    changing = [c for c in changing if "/dev/" not in c]
    assert changing == []
    # Every file opened is the program itself (Python, its libraries, smtpdiag, the translations,
    # the system's locale data) or a settings file inside the home folder.
    system = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                           *sysconfig.get_paths().values(), ROOT / "smtpdiag",
                                           ROOT / "resources", "/usr/lib", "/lib", "/usr/share/locale",
                                           "/usr/lib/locale", "/etc/ld.so.cache", "/etc/localtime",
                                           "/usr/share/zoneinfo", "/dev")}
    opened = []
    for c in calls:
        m = re.search(r'open(?:at2?)?\((?:AT_FDCWD, )?"([^"]*)"', c)
        if m and "ENOENT" not in c:
            opened.append(m.group(1))
    assert opened
    in_home = [p for p in opened if Path(p).resolve().is_relative_to(home)]
    stray = [p for p in opened if p not in in_home
             and not any(Path(p).resolve().is_relative_to(s) or Path(p).is_relative_to(s) for s in system)
             and Path(p).resolve() not in {ROOT, ROOT / ".venv"}]
    assert stray == []
    assert any(p.endswith("k3x9w2ab.default-release/prefs.js") for p in in_home)
    assert not any("/srv/shared" in c for c in calls)
