"""The built-in example mail programs of the demo scenario "the mail program is set
wrong": a Thunderbird profile and an Evolution account, as the programs write
them, read with the same parsers as real ones.  Never the user's own settings."""

from __future__ import annotations

from ..accounts.evolution import accounts_from_sources, parse_keyfile
from ..accounts.model import MailAccount
from ..accounts.thunderbird import accounts_from_prefs, parse_prefs

# demo@example.net: port 465 with STARTTLS (cannot work: 465 is SSL/TLS from the first byte).
# info@example.net: port 587 without encryption (the password would travel readable).
THUNDERBIRD_PREFS_JS = """\
// Mozilla User Preferences
user_pref("mail.account.account1.identities", "id1,id2");
user_pref("mail.account.account1.server", "server1");
user_pref("mail.accountmanager.accounts", "account1");
user_pref("mail.identity.id1.fullName", "Demo");
user_pref("mail.identity.id1.smtpServer", "smtp1");
user_pref("mail.identity.id1.useremail", "demo@example.net");
user_pref("mail.identity.id2.fullName", "Info");
user_pref("mail.identity.id2.smtpServer", "smtp2");
user_pref("mail.identity.id2.useremail", "info@example.net");
user_pref("mail.server.server1.hostname", "mail.example.net");
user_pref("mail.server.server1.type", "imap");
user_pref("mail.smtp.defaultserver", "smtp1");
user_pref("mail.smtpserver.smtp1.authMethod", 3);
user_pref("mail.smtpserver.smtp1.hostname", "mail.example.net");
user_pref("mail.smtpserver.smtp1.port", 465);
user_pref("mail.smtpserver.smtp1.try_ssl", 2);
user_pref("mail.smtpserver.smtp1.type", "smtp");
user_pref("mail.smtpserver.smtp1.username", "demo@example.net");
user_pref("mail.smtpserver.smtp2.authMethod", 3);
user_pref("mail.smtpserver.smtp2.hostname", "mail.example.net");
user_pref("mail.smtpserver.smtp2.port", 587);
user_pref("mail.smtpserver.smtp2.try_ssl", 0);
user_pref("mail.smtpserver.smtp2.type", "smtp");
user_pref("mail.smtpserver.smtp2.username", "info@example.net");
user_pref("mail.smtpservers", "smtp1,smtp2");
"""

# support@example.net in Evolution: set right (465, TLS on a dedicated port).
EVOLUTION_SOURCES = {
    "demo-identity": """\
[Data Source]
DisplayName=support@example.net
Enabled=true

[Mail Identity]
Address=support@example.net

[Mail Submission]
TransportUid=demo-transport
""",
    "demo-transport": """\
[Data Source]
DisplayName=support@example.net
Enabled=true

[Mail Transport]
BackendName=smtp

[Authentication]
Host=mail.example.net
Method=PLAIN
Port=465
User=support@example.net

[Security]
Method=ssl-on-alternate-port
""",
}


def demo_accounts() -> tuple[MailAccount, ...]:
    sources = {uid: parse_keyfile(text) for uid, text in EVOLUTION_SOURCES.items()}
    return (*accounts_from_prefs(parse_prefs(THUNDERBIRD_PREFS_JS), "thunderbird", "demo"),
            *accounts_from_sources(sources))
