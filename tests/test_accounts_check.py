"""A check tests exactly the settings of the mail programs on the computer and says,
per account, whether they work and which setting to change: end to end against the
simulated network (real servers, real TLS, the fault proxy), through the command line
against a real loopback server, and in every report format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import advice_scan
import jsonschema
import pytest

from smtpdiag.accounts import Home, find_accounts
from smtpdiag.accounts.model import MailAccount
from smtpdiag.accounts.run import with_accounts
from smtpdiag.accounts.settings import judge
from smtpdiag.i18n import set_language
from smtpdiag.records import Check
from smtpdiag.report.html import render_html, render_print_html
from smtpdiag.report.mail_programs import attach
from smtpdiag.report.model import Report, diagnose, render_text
from smtpdiag.simnet.certs import simulated_ca_pem
from smtpdiag.simnet.scenarios import TARGET
from smtpdiag.simnet.servers import SimServers, smtp_server
from smtpdiag.simnet.world import start_scenario

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "smtpdiag" / "data" / "report.schema.json").read_text(encoding="utf-8"))
TIMEOUT = 1.5


def thunderbird_home(home: Path, servers: list[tuple[str, str, int, int, int]]) -> Path:
    """A home folder with one Thunderbird profile: (address, host, port, try_ssl, authMethod) per account."""
    profile = home / ".thunderbird" / "t3st0000.default-release"
    profile.mkdir(parents=True)
    (home / ".thunderbird" / "profiles.ini").write_text(
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=t3st0000.default-release\nDefault=1\n")
    prefs = ['// Mozilla User Preferences']
    keys = []
    for n, (address, host, port, try_ssl, auth) in enumerate(servers, 1):
        keys.append(f"smtp{n}")
        prefs += [f'user_pref("mail.account.account{n}.identities", "id{n}");',
                  f'user_pref("mail.identity.id{n}.useremail", "{address}");',
                  f'user_pref("mail.identity.id{n}.smtpServer", "smtp{n}");',
                  f'user_pref("mail.smtpserver.smtp{n}.hostname", "{host}");',
                  f'user_pref("mail.smtpserver.smtp{n}.port", {port});',
                  f'user_pref("mail.smtpserver.smtp{n}.try_ssl", {try_ssl});',
                  f'user_pref("mail.smtpserver.smtp{n}.authMethod", {auth});',
                  f'user_pref("mail.smtpserver.smtp{n}.username", "{address}");']
    prefs += [f'user_pref("mail.accountmanager.accounts", "{",".join(f"account{i}" for i in range(1, len(servers) + 1))}");',
              f'user_pref("mail.smtpservers", "{",".join(keys)}");']
    (profile / "prefs.js").write_text("\n".join(prefs) + "\n")
    return home


def run_with_accounts(scenario: str, home: Path) -> Report:
    found = find_accounts(Home.at(home, "linux"))
    with start_scenario(scenario) as sim:
        config = with_accounts(sim.config(timeout=TIMEOUT), found.accounts)
        report = diagnose(config, network=sim.network)
        assert sim.errors == []
    attach(report, found.accounts)
    return report


pytestmark = pytest.mark.usefixtures("english")


def test_465_with_starttls_on_an_ssl_tls_server_gets_change_naming_ssl_tls(tmp_path: Path) -> None:
    home = thunderbird_home(tmp_path, [
        ("demo@example.net", TARGET, 465, 2, 3),        # STARTTLS on the SSL/TLS port: cannot work
        ("ok@example.net", TARGET, 587, 2, 3),          # right
        ("plain@example.net", TARGET, 587, 0, 3),       # no encryption
        ("other@example.org", "smtp.example.org", 465, 3, 3),  # another server: not this run's business
    ])
    report = run_with_accounts("healthy", home)
    by_account = {e["account"]: e for e in report.mail_programs}
    assert set(by_account) == {"demo@example.net", "ok@example.net", "plain@example.net"}
    wrong = by_account["demo@example.net"]
    assert (wrong["port"], wrong["mode"], wrong["verdict"]) == (465, "starttls", "change")
    assert wrong["fix"] == ("In Thunderbird: Account Settings > Outgoing Server (SMTP) > "
                            "Connection security: SSL/TLS.")
    # The exact setting was tested, in its own check, and failed there.
    tested = next(c for c in report.checks if c.id == wrong["check"])
    assert (tested.role, tested.port, tested.mode, tested.light) == ("account", 465, "starttls", "red")
    assert by_account["ok@example.net"]["verdict"] == "ok"
    assert by_account["ok@example.net"]["check"] == "target-587"
    assert by_account["plain@example.net"]["verdict"] == "change"
    assert by_account["plain@example.net"]["fix"].endswith("Connection security: STARTTLS.")
    # The extra check does not change what the run says about the server.
    assert report.overall["light"] == "green"
    assert [c.port for c in report.targets if c.kind == "smtp"] == [25, 465, 587, 2525]
    # Saved and re-opened, the block is the same; the JSON follows the schema.
    data = json.loads(report.dumps())
    jsonschema.validate(data, SCHEMA)
    assert Report.from_json(data).mail_programs == report.mail_programs
    # Before sharing, the customer is told it is there; the anonymised copy hides names and logins.
    from smtpdiag.report.privacy import anonymise, disclosure

    told = [line for line in disclosure(report) if "mail programs" in line]
    assert told and "demo@example.net in Thunderbird" in told[0] and "no passwords" in told[0]
    hidden = json.dumps(anonymise(report).to_json()["mail_programs"])
    assert "example.net" not in hidden and "demo@" not in hidden and "Connection security: SSL/TLS" in hidden
    # The overall words name the account too (summary, advice): hidden there as well.
    assert "demo@example.net" in report.overall["summary"]
    hidden_overall = json.dumps(anonymise(report).to_json()["overall"])
    assert "example.net" not in hidden_overall and "demo@" not in hidden_overall
    assert "Thunderbird is set differently" in hidden_overall
    # Every format carries the same words.
    for text in (render_text(report), render_html(report), render_print_html(report)):
        assert "Mail programs on this computer" in text
        assert "demo@example.net in Thunderbird" in text
        assert "Connection security: SSL/TLS" in text


def test_when_the_setting_s_port_is_cut_the_fix_names_a_port_that_worked(tmp_path: Path) -> None:
    # connection-reset: the network cuts 587 and 2525; 465 works.
    home = thunderbird_home(tmp_path, [("demo@example.net", TARGET, 587, 2, 3)])
    report = run_with_accounts("connection-reset", home)
    [entry] = report.mail_programs
    assert entry["verdict"] == "change"
    assert entry["fix"] == ("In Thunderbird: Account Settings > Outgoing Server (SMTP) > Port: 465, "
                            "Connection security: SSL/TLS.")


def test_when_nothing_works_the_verdict_is_fails_and_names_no_setting(tmp_path: Path) -> None:
    home = thunderbird_home(tmp_path, [("demo@example.net", TARGET, 465, 3, 3)])
    report = run_with_accounts("server-down", home)
    [entry] = report.mail_programs
    assert entry["verdict"] == "fails"
    assert "Port:" not in entry["fix"] and "SSL/TLS" not in entry["fix"]


def _check(port: int, mode: str, light: str, role: str = "target") -> Check:
    return Check(f"{role}-{port}-{mode}", "smtp", role, "smtp.example.com", port, mode, light=light)  # type: ignore[arg-type]


class _OAuthOnly:
    oauth_only = True

    @staticmethod
    def fix() -> str:
        return "Set the authentication method of the outgoing server to OAuth2."


@pytest.mark.parametrize(
    ("program", "words"),
    [("thunderbird", "In Thunderbird: Account Settings > Outgoing Server (SMTP) > Port: 587, Connection security: "
                     "STARTTLS."),
     ("seamonkey", "In SeaMonkey: Edit > Mail & Newsgroups Account Settings > Outgoing Server (SMTP) > Port: 587, "
                   "Connection security: STARTTLS."),
     ("evolution", "In Evolution: Edit > Accounts > Edit > Sending Email > Port: 587, Encryption method: "
                   "STARTTLS after connecting."),
     ("outlook", "In Outlook: File > Account Settings > Change > More Settings > Advanced > Outgoing server "
                 "(SMTP): 587, Use the following type of encrypted connection: STARTTLS."),
     ("apple_mail", "In Apple Mail: Mail > Settings > Accounts > Server Settings > Outgoing Mail Account > "
                    "Port: 587, Use TLS/SSL: on.")])
def test_each_program_s_fix_uses_its_own_labels(program: str, words: str) -> None:
    account = MailAccount(program, "a@example.com", "smtp.example.com", 25, "none", "password", "a")
    checks = [_check(25, "starttls", "red"), _check(465, "implicit", "red"), _check(587, "starttls", "green")]
    assert judge(account, checks)["fix"] == words


def test_normal_password_on_an_oauth_only_provider_is_change_naming_the_method() -> None:
    account = MailAccount("thunderbird", "a@example.com", "smtp.example.com", 587, "starttls", "password", "a")
    checks = [_check(587, "starttls", "green")]
    assert judge(account, checks)["verdict"] == "ok"
    entry = judge(account, checks, _OAuthOnly())
    assert entry["verdict"] == "change"
    assert entry["fix"] == ("In Thunderbird: Account Settings > Outgoing Server (SMTP) > "
                            "Authentication method: OAuth2.")
    oauth = MailAccount("thunderbird", "a@example.com", "smtp.example.com", 587, "starttls", "oauth2", "a")
    assert judge(oauth, checks, _OAuthOnly())["verdict"] == "ok"
    # A program without an authentication choice we can name gets the provider's own sentence.
    outlook = MailAccount("outlook", "a@example.com", "smtp.example.com", 587, "starttls", "password", "a")
    assert judge(outlook, checks, _OAuthOnly())["fix"] == _OAuthOnly.fix()


def test_outlook_auto_that_works_is_made_explicit() -> None:
    account = MailAccount("outlook", "a@example.com", "smtp.example.com", 587, "starttls", "password", "a",
                          security_setting="Auto")
    entry = judge(account, [_check(587, "starttls", "green")])
    assert entry["verdict"] == "change"
    assert entry["fix"].endswith("Use the following type of encrypted connection: STARTTLS.")


def test_german_fix_uses_the_german_program_s_labels() -> None:
    set_language("de")
    account = MailAccount("thunderbird", "a@example.com", "smtp.example.com", 465, "starttls", "password", "a")
    entry = judge(account, [_check(465, "implicit", "green"), _check(465, "starttls", "red", "account")])
    assert entry["fix"] == ("In Thunderbird: Konten-Einstellungen > Postausgang-Server (SMTP) > "
                            "Verbindungssicherheit: SSL/TLS.")


def test_check_command_tests_the_programs_settings_against_a_real_server(tmp_path: Path) -> None:
    """`smtpdiag check` with a fixture home: a real loopback STARTTLS server, a Thunderbird
    profile set to SSL/TLS on its port."""
    ca = tmp_path / "ca.pem"
    ca.write_text(simulated_ca_pem())
    with SimServers() as servers:
        endpoint = servers.start(smtp_server(("127.0.0.1",), "starttls"))
        host, port = endpoint.host, endpoint.port
        home = thunderbird_home(tmp_path / "home", [("alice@example.com", host, port, 3, 3)])
        env = dict(os.environ, SMTPDIAG_HOME=str(home), LANGUAGE="en")
        env.pop("SMTPDIAG_PASSWORD", None)
        command = [sys.executable, "-m", "smtpdiag", "check", host, "--port", f"{port}:starttls", "--no-control",
                   "--ca-file", str(ca), "--timeout", "3"]
        result = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, env=env, cwd=ROOT,
                                timeout=60, stdin=subprocess.DEVNULL)
        as_text = subprocess.run([*command, "--format", "text"], capture_output=True, text=True, env=env, cwd=ROOT,
                                 timeout=60, stdin=subprocess.DEVNULL)
        listed = subprocess.run([sys.executable, "-m", "smtpdiag", "accounts", "--format", "json"],
                                capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    [entry] = report["mail_programs"]
    assert (entry["account"], entry["port"], entry["mode"], entry["verdict"]) == (
        "alice@example.com", port, "implicit", "change")
    assert entry["fix"].endswith("Connection security: STARTTLS.")
    assert {c["id"]: c["light"] for c in report["checks"]} == {
        f"target-{port}": "green", f"account-{port}-implicit": "red"}
    assert not [key for key in entry if "password" in key.lower()]  # the method's name, never a password
    # The words on top say both: sending works (with the tested setting), and Thunderbird must change.
    fix = "In Thunderbird: Account Settings > Outgoing Server (SMTP) > Connection security: STARTTLS."
    headline = (f"Sending works with port {port} and STARTTLS (connection type), but Thunderbird is set "
                "differently: change Connection security to STARTTLS")
    o = report["overall"]
    assert (o["light"], o["cause"], o["settings"]) == ("green", "ok", {"host": host, "port": port, "mode": "starttls"})
    assert o["headline"] == headline
    assert o["summary"].endswith("A mail program on this computer is set differently: alice@example.com in "
                                 f"Thunderbird ({host}, port {port}, SSL/TLS).")
    assert o["advice"] == fix
    assert entry["use"] == {"host": host, "port": port, "mode": "starttls"}
    assert as_text.returncode == 0, as_text.stderr
    lines = as_text.stdout.splitlines()
    assert lines[3:6] == [headline, o["summary"], f"What to do: {fix}"]
    loaded = Report.from_json(report)
    assert advice_scan.mail_program_problems(loaded) == []
    assert advice_scan.problems(loaded, result.stdout + as_text.stdout) == []
    assert listed.returncode == 0
    assert json.loads(listed.stdout) == [{"program": "thunderbird", "account": "alice@example.com", "host": host,
                                          "port": port, "mode": "implicit", "auth": "password",
                                          "user": "alice@example.com"}]


def _demo(fmt: str, lang: str = "en") -> str:
    result = subprocess.run([sys.executable, "-m", "smtpdiag", "demo", "--text", "mail-program-wrong", "--format",
                             fmt, "--timeout", "1.5", "--lang", lang], capture_output=True, text=True, cwd=ROOT,
                            timeout=60, env=dict(os.environ, LANGUAGE="en"))
    assert result.returncode == 0, result.stderr
    return result.stdout


DEMO_FIX = "In Thunderbird: Account Settings > Outgoing Server (SMTP) > Connection security: SSL/TLS."
DEMO_HEADLINE = ("Sending works with port 465 and SSL/TLS (connection type), but Thunderbird is set differently "
                 "for 2 accounts: change Connection security")


def test_demo_scenario_shows_a_wrongly_set_mail_program() -> None:
    report = json.loads(_demo("json"))
    verdicts = {(e["program"], e["account"]): (e["verdict"], e["fix"]) for e in report["mail_programs"]}
    assert verdicts[("thunderbird", "demo@example.net")] == ("change", DEMO_FIX)
    assert verdicts[("evolution", "support@example.net")][0] == "ok"
    o = report["overall"]
    assert (o["light"], o["cause"], o["where"]) == ("green", "ok", "none")  # lights and causes unchanged
    # The headline no longer says only "use port 465" above two Thunderbird accounts set otherwise.
    assert o["headline"] == DEMO_HEADLINE
    assert o["summary"] == (
        "You can send mail securely through port 465 with SSL/TLS (connection type). Mail programs on this "
        "computer are set differently: demo@example.net in Thunderbird (mail.example.net, port 465, STARTTLS); "
        "info@example.net in Thunderbird (mail.example.net, port 587, no encryption).")
    assert o["advice"] == (f"demo@example.net: {DEMO_FIX} info@example.net: In Thunderbird: Account Settings > "
                           "Outgoing Server (SMTP) > Connection security: STARTTLS.")
    jsonschema.validate(report, SCHEMA)
    loaded = Report.from_json(report)
    assert advice_scan.mail_program_problems(loaded) == []
    assert advice_scan.problems(loaded, json.dumps(report)) == []


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_demo_scenario_s_report_leads_with_the_mail_program(fmt: str) -> None:
    page = _demo(fmt)
    if fmt == "html":
        assert f"<strong>{DEMO_HEADLINE}</strong>" in page
    else:
        lines = page.splitlines()
        assert DEMO_HEADLINE in lines
        assert lines.index(DEMO_HEADLINE) < lines.index("Mail programs on this computer")
        assert f"What to do: demo@example.net: {DEMO_FIX} info@example.net: In Thunderbird: Account Settings > " \
               "Outgoing Server (SMTP) > Connection security: STARTTLS." in lines
    assert "Sending works: use port" not in page


def test_no_word_of_the_demo_scenario_recommends_what_did_not_work_in_any_format_or_language() -> None:
    from smtpdiag.report.model import reworded
    from smtpdiag.report.support import support_summary

    with start_scenario("mail-program-wrong") as sim:
        report = diagnose(sim.demo_config(timeout=TIMEOUT), network=sim.network)
        assert sim.errors == []
        attach(report, sim.mail_accounts())
    for lang in ("en", "de"):
        set_language(lang)
        worded = reworded(report)
        assert worded.overall["headline"] != report.overall["headline"] or lang == "en"
        assert "Thunderbird" in worded.overall["headline"]
        assert advice_scan.mail_program_problems(worded) == []
        for fmt, text in {"json": worded.dumps(), "text": render_text(worded), "html": render_html(worded),
                          "print": render_print_html(worded), "support": support_summary(worded)}.items():
            assert advice_scan.problems(worded, text) == [], (lang, fmt)
    set_language("en")


def test_demo_scenario_s_headline_in_german() -> None:
    report = json.loads(_demo("json", "de"))
    assert report["overall"]["headline"] == (
        "Versand funktioniert mit Port 465 und SSL/TLS (Verbindungssicherheit), aber Thunderbird ist für 2 Konten "
        "anders eingestellt: Ändern Sie dort „Verbindungssicherheit“")
    assert report["overall"]["summary"].endswith(
        "E-Mail-Programme auf diesem Computer sind anders eingestellt: demo@example.net in Thunderbird "
        "(mail.example.net, Port 465, STARTTLS); info@example.net in Thunderbird (mail.example.net, Port 587, "
        "keine Verschlüsselung).")
    assert advice_scan.problems(Report.from_json(report), json.dumps(report, ensure_ascii=False)) == []


def test_an_e_mail_address_s_account_on_another_server_is_tested_there_and_told_the_found_one(
        tmp_path: Path) -> None:
    """The customer types their address; their program sends through a server name that does
    not exist (a typo): that exact setting is tested, fails, and the fix names the server the
    address's domain really uses, which worked."""
    from smtpdiag.simnet.scenarios import DEMO_USER, MAIL_DOMAIN

    home = thunderbird_home(tmp_path, [(DEMO_USER, "smtp.exampel.net", 465, 3, 3),
                                       ("someone@example.org", "smtp.elsewhere.example", 465, 3, 3)])
    found = find_accounts(Home.at(home, "linux"))
    with start_scenario("healthy") as sim:
        config = with_accounts(sim.config(timeout=TIMEOUT, target=DEMO_USER, host=MAIL_DOMAIN,
                                          email_domain=MAIL_DOMAIN, user=None), found.accounts)
        report = diagnose(config, network=sim.network)
    attach(report, found.accounts)
    [entry] = report.mail_programs  # the other address's account is not this run's business
    assert (entry["account"], entry["host"], entry["verdict"]) == (DEMO_USER, "smtp.exampel.net", "change")
    assert entry["fix"] == f"In Thunderbird: Account Settings > Outgoing Server (SMTP) > Server Name: {TARGET}."
    tested = next(c for c in report.checks if c.id == entry["check"])
    assert (tested.role, tested.host, tested.light, tested.cause) == (
        "account", "smtp.exampel.net", "red", "dns_not_found")
    assert not [c for c in report.checks if c.host == "smtp.elsewhere.example"]
    assert report.overall["light"] == "green"
