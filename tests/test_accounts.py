"""The mail programs' settings readers on fixture homes made from the programs'
documented formats: what `smtpdiag accounts` lists, exactly, and what it never does."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from smtpdiag.accounts import Home, accounts_for, find_accounts
from smtpdiag.accounts.apple_mail import accounts_from_plist
from smtpdiag.accounts.evolution import accounts_from_sources, parse_keyfile
from smtpdiag.accounts.outlook import accounts_from_registry, decode_reg_file, parse_reg_export
from smtpdiag.accounts.thunderbird import accounts_from_prefs, parse_prefs, parse_profiles_ini

FIXTURES = Path(__file__).parent / "fixtures" / "accounts"
LINUX, WINDOWS, MAC = FIXTURES / "linux-home", FIXTURES / "windows-home", FIXTURES / "mac-home"


def rows(accounts: object) -> list[tuple[object, ...]]:
    return [(a.program, a.account, a.host, a.port, a.mode, a.auth, a.user) for a in accounts]  # type: ignore[attr-defined]


def outlook_registry() -> dict[str, dict[str, object]]:
    return parse_reg_export(decode_reg_file((FIXTURES / "outlook.reg").read_bytes()))


# -- Thunderbird and forks ---------------------------------------------------------------

def test_thunderbird_profile_with_several_accounts_identities_and_each_security_value() -> None:
    text = (LINUX / ".thunderbird" / "k3x9w2ab.default-release" / "prefs.js").read_text()
    assert rows(accounts_from_prefs(parse_prefs(text))) == [
        # two identities on one server (try_ssl 2 = STARTTLS, authMethod 3 = normal password)
        ("thunderbird", "alice@example.com", "smtp.example.com", 587, "starttls", "password", "alice@example.com"),
        ("thunderbird", "vorstand@example.com", "smtp.example.com", 587, "starttls", "password", "alice@example.com"),
        # try_ssl 3 = SSL/TLS, authMethod 4 = encrypted password
        ("thunderbird", "bob@example.org", "mail.example.org", 465, "implicit", "password_encrypted", "bob"),
        # try_ssl 1 (old "STARTTLS, if available") is STARTTLS; authMethod 10 = OAuth2; no `type` pref (old profile)
        ("thunderbird", "carol@contoso.example", "smtp.office365.com", 587, "starttls", "oauth2",
         "carol@contoso.example"),
        # try_ssl 0 = none, authMethod 1 = no authentication
        ("thunderbird", "dave@example.net", "relay.example.net", 25, "none", "none", ""),
        # an identity without its own server uses mail.smtp.defaultserver
        ("thunderbird", "erin@example.com", "smtp.example.com", 587, "starttls", "password", "alice@example.com"),
        # the Exchange (EWS) "outgoing server" is not SMTP and is left out; a server no identity uses is
        # listed without an address, its port 0 meaning 465 for SSL/TLS; \u escapes are decoded
        ("thunderbird", "", "spare.example.com", 465, "implicit", "password", "jürgen"),
    ]


def test_prefs_js_parser_reads_what_mozilla_writes_and_skips_the_rest() -> None:
    prefs = parse_prefs('\n'.join([
        '// Mozilla User Preferences',
        'user_pref("a.string", "say \\"hi\\" \\\\ there");',
        'user_pref("a.int", -3);',
        'user_pref("a.bool", true);',
        'user_pref("a.unicode", "\\u00e9t\\u00e9 \\ud83d\\ude00");',
        'user_pref("a.single", \'x\');',
        'user_pref("broken", ',
        'pref("from.user.js", 7);',
        'user_pref("a.int", 4);',
        'garbage',
    ]))
    assert prefs == {"a.string": 'say "hi" \\ there', "a.int": 4, "a.bool": True, "a.unicode": "été 😀",
                     "a.single": "x", "from.user.js": 7}


def test_newer_outgoing_server_branch_is_read_where_the_smtpserver_branch_lacks_a_value() -> None:
    prefs = parse_prefs('\n'.join([
        'user_pref("mail.smtpservers", "smtp1");',
        'user_pref("mail.smtpserver.smtp1.type", "smtp");',
        'user_pref("mail.outgoingserver.smtp1.hostname", "smtp.example.com");',
        'user_pref("mail.outgoingserver.smtp1.port", 465);',
        'user_pref("mail.outgoingserver.smtp1.try_ssl", 3);',
        'user_pref("mail.outgoingserver.smtp1.username", "zed");',
    ]))
    assert rows(accounts_from_prefs(prefs)) == [
        ("thunderbird", "", "smtp.example.com", 465, "implicit", "password", "zed")]


def test_profiles_ini_default_profile_first_and_install_defaults() -> None:
    refs = parse_profiles_ini((LINUX / ".thunderbird" / "profiles.ini").read_text())
    assert [(r.name, r.path, r.relative) for r in refs] == [
        ("default-release", "k3x9w2ab.default-release", True),
        ("work", "q7m1z0cd.work", True),
        ("stray", "/srv/shared/thunderbird-profile", False)]
    assert parse_profiles_ini("not an ini [") == []


def test_linux_home_lists_every_program_exactly() -> None:
    found = find_accounts(Home.at(LINUX, "linux"))
    assert rows(found.accounts) == [
        ("thunderbird", "alice@example.com", "smtp.example.com", 587, "starttls", "password", "alice@example.com"),
        ("thunderbird", "vorstand@example.com", "smtp.example.com", 587, "starttls", "password", "alice@example.com"),
        ("thunderbird", "bob@example.org", "mail.example.org", 465, "implicit", "password_encrypted", "bob"),
        ("thunderbird", "carol@contoso.example", "smtp.office365.com", 587, "starttls", "oauth2",
         "carol@contoso.example"),
        ("thunderbird", "dave@example.net", "relay.example.net", 25, "none", "none", ""),
        ("thunderbird", "erin@example.com", "smtp.example.com", 587, "starttls", "password", "alice@example.com"),
        ("thunderbird", "", "spare.example.com", 465, "implicit", "password", "jürgen"),
        # second profile: 465 with STARTTLS (cannot work with an SSL/TLS port)
        ("thunderbird", "alice@work.example", "smtp.work.example", 465, "starttls", "password", "alice"),
        # Betterbird's Flatpak profile (it says so in compatibility.ini)
        ("betterbird", "grace@example.com", "smtp.example.com", 465, "implicit", "password", "grace@example.com"),
        # SeaMonkey, port not set: STARTTLS means 587
        ("seamonkey", "heidi@example.de", "mail.example.de", 587, "starttls", "password", "heidi"),
        ("evolution", "ivan@example.com", "smtp.example.com", 465, "implicit", "password", "ivan@example.com"),
        ("evolution", "judy@mail.example", "smtp.mail.example", 587, "starttls", "oauth2", "judy@mail.example"),
        ("evolution", "", "127.0.0.1", 25, "none", "none", ""),
    ]
    # A profile kept outside the home folder is named, not opened.
    assert [(n.program, n.reason, n.detail) for n in found.notes] == [
        ("thunderbird", "outside_home", "/srv/shared/thunderbird-profile")]


def test_betterbird_is_told_from_thunderbird_by_the_profile_that_ran_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(LINUX / ".thunderbird", home / ".thunderbird")
    compat = home / ".thunderbird" / "k3x9w2ab.default-release" / "compatibility.ini"
    compat.write_text(compat.read_text().replace("/usr/lib/thunderbird", "/opt/betterbird"))
    programs = {a.program for a in find_accounts(Home.at(home, "linux")).accounts if a.account == "bob@example.org"}
    assert programs == {"betterbird"}


def test_windows_and_macos_profile_folders() -> None:
    win = find_accounts(Home.at(WINDOWS, "win32"))
    assert rows(win.accounts) == [
        ("thunderbird", "mallory@example.com", "smtp.example.com", 587, "implicit", "password", "mallory@example.com")]
    mac = find_accounts(Home.at(MAC, "darwin"))
    assert rows(mac.accounts)[0] == (
        "thunderbird", "niaj@example.com", "smtp.example.com", 2525, "starttls", "password", "niaj@example.com")
    # Linux-only programs are not looked for on other systems (and the other way round).
    assert not [a for a in win.accounts + mac.accounts if a.program == "evolution"]
    assert not [a for a in find_accounts(Home.at(MAC, "linux")).accounts if a.program == "apple_mail"]


# -- Evolution -----------------------------------------------------------------------------

def test_evolution_key_files() -> None:
    groups = parse_keyfile("# comment\n[Data Source]\nDisplayName=A\\sB\nDisplayName[de]=X\n\n[Security]\nMethod=none\n")
    assert groups == {"Data Source": {"DisplayName": "A B"}, "Security": {"Method": "none"}}
    folder = LINUX / ".config" / "evolution" / "sources"
    sources = {p.stem: parse_keyfile(p.read_text()) for p in folder.glob("*.source")}
    # the disabled transport and the calendar are not mail settings
    assert rows(accounts_from_sources(sources)) == [
        ("evolution", "ivan@example.com", "smtp.example.com", 465, "implicit", "password", "ivan@example.com"),
        ("evolution", "judy@mail.example", "smtp.mail.example", 587, "starttls", "oauth2", "judy@mail.example"),
        ("evolution", "", "127.0.0.1", 25, "none", "none", ""),
    ]


# -- Outlook -------------------------------------------------------------------------------

def test_outlook_registry_export() -> None:
    keys = outlook_registry()
    # Password values are dropped while parsing: they are never kept in memory.
    assert not [name for values in keys.values() for name in values if "password" in name.lower()]
    accounts = accounts_from_registry(keys)
    assert rows(accounts) == [
        # "SMTP Secure Connection" 2 = STARTTLS, on port 465
        ("outlook", "quentin@example.com", "smtp.example.com", 465, "starttls", "password", "quentin@example.com"),
        # 3 = Auto: on 587 Outlook uses STARTTLS; the login is the incoming server's
        ("outlook", "rupert@example.net", "smtp.example.net", 587, "starttls", "password", "rupert"),
        # 0 = none, no port value: 25
        ("outlook", "sybil@example.org", "mail.example.org", 25, "none", "none", ""),
        # an older profile with REG_SZ values; 1 = SSL/TLS; Secure Password Authentication
        ("outlook", "trent@example.com", "smtp.example.com", 465, "implicit", "ntlm", "trent"),
    ]
    assert [a.security_setting for a in accounts] == ["", "Auto", "", ""]
    assert [a.profile for a in accounts] == ["Outlook", "Outlook", "Outlook", "Old"]
    win = find_accounts(Home.at(WINDOWS, "win32", registry=outlook_registry))
    assert [a.program for a in win.accounts] == ["thunderbird"] + ["outlook"] * 4


def test_reg_export_text_forms() -> None:
    text = ("REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\X\\Profiles\\P\\9375CFF0413111d3B88A00104B2A6676\\1]\r\n"
            '"SMTP Server"="smtp.\\"q\\".example"\r\n"SMTP Port"=dword:0000024b\r\n'
            '"Email"=hex(2):61,00,40,00,\\\r\n  62,00,00,00\r\n"SMTP Password2"="secret"\r\n'
            "[-HKEY_CURRENT_USER\\Gone]\r\n\"x\"=\"y\"\r\n")
    keys = parse_reg_export(text)
    assert keys == {"HKEY_CURRENT_USER\\X\\Profiles\\P\\9375CFF0413111d3B88A00104B2A6676\\1": {
        "SMTP Server": 'smtp."q".example', "SMTP Port": 587, "Email": "a@b"}}


# -- Apple Mail ----------------------------------------------------------------------------

def test_apple_mail_accounts_plist_newest_version_only() -> None:
    found = find_accounts(Home.at(MAC, "darwin"))
    assert rows([a for a in found.accounts if a.program == "apple_mail"]) == [
        ("apple_mail", "olivia@example.com", "smtp.example.com", 465, "implicit", "password", "olivia@example.com"),
        ("apple_mail", "info@example.com", "smtp.example.com", 465, "implicit", "password", "olivia@example.com"),
        # "Use TLS/SSL" on port 587 is STARTTLS
        ("apple_mail", "peggy@isp.example", "smtp.isp.example", 587, "starttls", "password_encrypted", "peggy"),
        ("apple_mail", "", "mail.old.example", 25, "none", "none", ""),
    ]
    assert not [a for a in found.accounts if a.host == "stale.example"]
    assert accounts_from_plist(["not", "a", "dict"]) == []


def test_apple_mail_without_accounts_plist_is_named_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "Library" / "Mail" / "V10" / "MailData").mkdir(parents=True)
    found = find_accounts(Home.at(tmp_path, "darwin"))
    assert found.accounts == ()
    assert [(n.program, n.reason) for n in found.notes] == [("apple_mail", "not_supported")]
    (tmp_path / "Library" / "Mail" / "V10" / "MailData" / "Accounts.plist").write_bytes(b"\x00garbage")
    assert [(n.program, n.reason) for n in find_accounts(Home.at(tmp_path, "darwin")).notes] == [
        ("apple_mail", "damaged")]


# -- matching a tested server ------------------------------------------------------------

def test_accounts_for_a_server_with_the_typed_address_first() -> None:
    found = find_accounts(Home.at(LINUX, "linux"))
    mine = accounts_for(found.accounts, "SMTP.Example.COM.", email="erin@example.com")
    assert [(a.program, a.account) for a in mine] == [
        ("thunderbird", "erin@example.com"), ("thunderbird", "alice@example.com"),
        ("thunderbird", "vorstand@example.com"), ("betterbird", "grace@example.com"),
        ("evolution", "ivan@example.com")]


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_an_empty_home_has_no_accounts_and_no_notes(tmp_path: Path, platform: str) -> None:
    found = find_accounts(Home.at(tmp_path, platform))
    assert (found.accounts, found.notes, found.read) == ((), (), ())


def _python_for_nobody() -> str | None:
    """A Python 3.11+ the unprivileged user can run (the test's own may sit under /root)."""
    import subprocess

    for candidate in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", candidate, "-c",
                                "import sys; assert sys.version_info >= (3, 11)"], capture_output=True)
        if probe.returncode == 0:
            return candidate
    return None


def test_apple_mail_protected_by_the_system_is_named_with_how_to_allow_it(tmp_path: Path) -> None:
    """macOS refuses ~/Library/Mail without Full Disk Access (EPERM); the same refusal here
    comes from the folder's permissions, met by an unprivileged user."""
    import os
    import stat
    import subprocess
    import tempfile

    from smtpdiag.accounts.text import note_sentence

    base = Path(tempfile.mkdtemp(dir="/tmp" if os.path.isdir("/tmp") else None))
    try:
        base.chmod(0o755)
        home = base / "home"
        shutil.copytree(MAC, home)
        for p in [home, *home.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        (home / "Library" / "Mail").chmod(0o700 if os.geteuid() == 0 else 0)
        if os.geteuid() != 0:
            found = find_accounts(Home.at(home, "darwin"))
            notes = [note_sentence(n) for n in found.notes]
            programs = {a.program for a in found.accounts}
        else:
            if shutil.which("setpriv") is None or (python := _python_for_nobody()) is None:
                pytest.skip("running as root without setpriv and a Python the unprivileged user can run")
            code = ("import json; from smtpdiag.accounts import find_accounts, Home; "
                    "from smtpdiag.accounts.text import note_sentence; "
                    f"f = find_accounts(Home.at({str(home)!r}, 'darwin')); "
                    "print(json.dumps([[note_sentence(n) for n in f.notes], sorted({a.program for a in f.accounts})]))")
            env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1]), "PYTHONDONTWRITEBYTECODE": "1",
                   "LANGUAGE": "en", "PATH": os.environ.get("PATH", "")}
            result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python,
                                     "-c", code], capture_output=True, text=True, env=env, cwd="/", timeout=60)
            assert result.returncode == 0, result.stderr
            import json

            notes, listed = json.loads(result.stdout)
            programs = set(listed)
        assert notes == ["Apple Mail: cannot read its settings without permission (Full Disk Access). To allow "
                         "it: System Settings > Privacy & Security > Full Disk Access, and add the program you "
                         "start smtpdiag from."]
        assert programs == {"thunderbird"}  # the rest of the home is still read
    finally:
        mail = base / "home" / "Library" / "Mail"
        if mail.exists():
            mail.chmod(stat.S_IRWXU)
        for p in [base, *base.rglob("*")]:
            try:
                p.chmod(stat.S_IRWXU)
            except OSError:
                pass
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize(("args", "words"), [(["--format", "xml"], "invalid choice"), (["extra"], "unrecognized")])
def test_accounts_command_bad_input_is_one_line_and_exit_64(args: list[str], words: str) -> None:
    import os
    import subprocess

    env = dict(os.environ, SMTPDIAG_HOME=str(FIXTURES / "empty-home"), LANGUAGE="en")
    result = subprocess.run([sys.executable, "-m", "smtpdiag", "accounts", *args], capture_output=True, text=True,
                            env=env, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 64 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr


def test_accounts_command_on_an_empty_home_says_so() -> None:
    import os
    import subprocess

    env = dict(os.environ, SMTPDIAG_HOME=str(FIXTURES / "empty-home"), LANGUAGE="en")
    run = subprocess.run([sys.executable, "-m", "smtpdiag", "accounts"], capture_output=True, text=True, env=env,
                         timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0 and "No outgoing server was found" in run.stdout
    assert "nothing was changed, nothing was sent anywhere" in run.stdout and "smtpdiag check" not in run.stdout
    listed = subprocess.run([sys.executable, "-m", "smtpdiag", "accounts", "--format", "json"], capture_output=True,
                            text=True, env=env, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "[]\n", "")
