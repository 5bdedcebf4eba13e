"""How large providers let mail programs log in, and what a login refusal means.

Two pure parts, no I/O beyond reading the packaged data file once:

* :func:`login_policy_for` -- the provider login policy for an SMTP host, from
  ``data/login_policies.json`` (dated, versioned, each entry with its source).
  Used for the advice after a refused login and by the mail-program readers
  to flag an account set to a normal password on an OAuth2-only provider.
* :func:`classify_auth_reply` -- the server's answer to AUTH, by its enhanced
  status code and text, as one of the login failure words
  (``failed`` / ``oauth_required`` / ``app_password_required`` / ``disabled``
  / ``temporary`` / ``rejected``); :func:`oauth_only` -- whether the EHLO after
  TLS offers only OAuth mechanisms (then no password is sent at all).

The failure words are the probe's closed vocabulary; ``verdict`` turns them
into the contract's causes (``auth_failed``, ``auth_oauth_required``,
``auth_app_password_required``, ``auth_disabled``).
"""

from __future__ import annotations

import json
import re
from functools import cache

from .config import host_key
from .frozen import record
from .i18n import N_, _

# SASL mechanisms that carry an OAuth2 token instead of a password.
OAUTH_MECHANISMS = frozenset({"XOAUTH2", "OAUTHBEARER", "XOAUTH"})

PASSWORD_KINDS = ("none", "app_password", "admin", "password")

# The login failure words this module produces (see verdict.STEP_FAILURES).
LOGIN_FAILURES = ("failed", "oauth_required", "app_password_required", "disabled", "temporary", "rejected")


@record
class LoginPolicy:
    provider: str  # stable key: "outlook_com", "microsoft_365", "gmail", ...
    name: str  # the name people know (a product name: not translated)
    hosts: tuple[str, ...]
    password: str  # one of PASSWORD_KINDS
    mechanisms: tuple[str, ...]
    since: str | None  # ISO date the policy took (or takes) effect; None when not published
    source: str
    note: str = ""

    @property
    def oauth_only(self) -> bool:
        """True when the provider never accepts the account password from mail programs."""
        return self.password == "none"

    def fix(self) -> str:
        """One translated sentence: how to set up a mail program for this provider."""
        return _(_FIXES.get(self.provider) or _FIXES_BY_KIND[self.password])


_FIXES_BY_KIND = {
    "none": N_("Set the authentication method of the outgoing server to OAuth2."),
    "app_password": N_("Create an app password in your account's security settings and use it instead of your "
                       "normal password."),
    "admin": N_("Ask your IT administrator to allow sending from mail programs (Authenticated SMTP) for your "
                "mailbox, or set the authentication method to OAuth2."),
    "password": N_("Use your normal user name and password."),
}
_FIXES = {
    "gmail": N_("Create an app password at myaccount.google.com/apppasswords and use it instead of your "
                "normal password, or set the authentication method to OAuth2."),
    "icloud": N_("Create an app-specific password at account.apple.com (Sign-In and Security) and use it "
                 "instead of your normal password."),
    "yahoo": N_("Create an app password in your Yahoo Account Security settings and use it instead of your "
                "normal password."),
    "aol": N_("Create an app password in your AOL Account Security settings and use it instead of your "
              "normal password."),
}


class PolicyDataError(ValueError):
    """The packaged policy file is malformed (a bug in the package, caught by the tests)."""


def parse_policies(data: object) -> tuple[LoginPolicy, ...]:
    """Validate the JSON document of ``login_policies.json``."""
    if not isinstance(data, dict) or not isinstance(data.get("policies"), list):
        raise PolicyDataError("login policies: no 'policies' list")
    if not isinstance(data.get("version"), int) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(data.get("updated"))):
        raise PolicyDataError("login policies: 'version' (integer) and 'updated' (YYYY-MM-DD) are required")
    out: list[LoginPolicy] = []
    seen: set[str] = set()
    for item in data["policies"]:
        if not isinstance(item, dict):
            raise PolicyDataError("login policies: an entry is not an object")
        try:
            policy = LoginPolicy(
                provider=str(item["provider"]), name=str(item["name"]),
                hosts=tuple(str(h).lower() for h in item["hosts"]), password=str(item["password"]),
                mechanisms=tuple(str(m).upper() for m in item["mechanisms"]),
                since=None if item.get("since") is None else str(item["since"]),
                source=str(item["source"]), note=str(item.get("note") or ""))
        except (KeyError, TypeError) as exc:
            raise PolicyDataError(f"login policies: entry {item.get('provider')!r} lacks {exc}") from None
        if policy.password not in PASSWORD_KINDS:
            raise PolicyDataError(f"login policies: {policy.provider}: unknown password kind {policy.password!r}")
        if policy.since is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", policy.since):
            raise PolicyDataError(f"login policies: {policy.provider}: 'since' must be YYYY-MM-DD or null")
        if not policy.source.startswith("https://"):
            raise PolicyDataError(f"login policies: {policy.provider}: 'source' must be an https link")
        if not policy.hosts or policy.provider in seen:
            raise PolicyDataError(f"login policies: {policy.provider}: no hosts, or listed twice")
        seen.add(policy.provider)
        out.append(policy)
    return tuple(out)


@cache
def policies() -> tuple[LoginPolicy, ...]:
    from .paths import data_dir

    text = (data_dir() / "login_policies.json").read_text(encoding="utf-8")
    return parse_policies(json.loads(text))


def _matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def login_policy_for(host: str | None, table: tuple[LoginPolicy, ...] | None = None) -> LoginPolicy | None:
    """The login policy of the provider whose sending server *host* is, or None."""
    if not host:
        return None
    key = host_key(host)
    for policy in policies() if table is None else table:
        if any(_matches(p, key) for p in policy.hosts):
            return policy
    return None


# -- what a login reply means -------------------------------------------------------------

# Patterns (compiled by re on first use and kept in its cache: only a login needs them,
# and compiling them at import would cost every check about 2 ms of start-up).
_ENHANCED = r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b"

# Text that names the cause, whatever the code (checked in this order: the most specific first).
_DISABLED_TEXT = (
    r"smtpclientauthentication\s+is\s+disabled|smtp\s*auth\w*\s+(is\s+)?disabled|"
    r"security\s+defaults|did\s+not\s+meet\s+the\s+criteria|conditional\s+access")
_OAUTH_TEXT = (
    r"basic\s+auth\w*\s+(is\s+)?(disabled|not\s+supported|turned\s+off|no\s+longer)|"
    r"modern\s+auth\w*\s+(is\s+)?required|oauth\s*2?\s+(is\s+)?required|use\s+oauth")
_APP_PASSWORD_TEXT = r"app(lication)?[- ]?specific\s+password|app\s+password|apppasswords"


def enhanced_code(text: str) -> str | None:
    """The RFC 3463 enhanced status code at the start of a reply text ("5.7.139"), if any."""
    m = re.match(_ENHANCED, text)
    return ".".join(m.groups()) if m else None


def classify_auth_reply(code: int, text: str) -> str:
    """What the server's final answer to AUTH means, as a login failure word.

    ``disabled``               login by mail programs is switched off for this mailbox or
                               organisation (Microsoft 365 535 5.7.139 SmtpClientAuthentication
                               is disabled, security defaults)
    ``oauth_required``         no password accepted at all: basic authentication is disabled
                               or not supported (535 5.7.139 basic authentication is disabled,
                               550 5.7.30)
    ``app_password_required``  the account needs an app password (534 5.7.9 Application-specific
                               password required)
    ``temporary``              a 4xx answer: the server cannot check the login right now
    ``rejected``               the server does not understand the command or mechanism it offered
    ``failed``                 a real credentials refusal (535 5.7.8 and the like)
    """
    enhanced = enhanced_code(text) or ""
    if re.search(_DISABLED_TEXT, text, re.IGNORECASE):
        return "disabled"
    if enhanced == "5.7.30" or re.search(_OAUTH_TEXT, text, re.IGNORECASE):
        return "oauth_required"
    if re.search(_APP_PASSWORD_TEXT, text, re.IGNORECASE):
        return "app_password_required"
    if 400 <= code < 500:
        return "temporary"
    if code in (500, 501, 502, 504):
        return "rejected"
    return "failed"


_MICROSOFT_REPLY = r"\b5\.7\.(139|30)\b|smtpclientauthentication|aka\.ms/"
_GOOGLE_REPLY = r"support\.google\.com|\bgsmtp\b"


def provider_from_reply(text: str) -> str | None:
    """The provider whose own words these are, for a server not known by name (a company's
    own host name pointing at Microsoft 365 or Google): ``microsoft_365``, ``gmail`` or None."""
    if re.search(_MICROSOFT_REPLY, text, re.IGNORECASE):
        return "microsoft_365"
    if re.search(_GOOGLE_REPLY, text, re.IGNORECASE):
        return "gmail"
    return None


def oauth_only(mechanisms: list[str] | tuple[str, ...]) -> bool:
    """True when the server offers login mechanisms and every one of them is OAuth."""
    names = [m.upper() for m in mechanisms]
    return bool(names) and all(m in OAUTH_MECHANISMS for m in names)
