"""The contract's cause table (docs/contract.md section 3) and the words people read for each cause.

This is the one place where explanation and advice texts live.  They are keyed
by cause code and, where the words depend on who is at fault, by ``where``.
Widgets, reports and the command line all call :func:`explain`.

Texts may use ``{port_words}`` ("port 465", or "ports 465 and 587" when several
ports fail the same way), ``{host}`` and ``{product}``; they are marked with
``N_`` so that gettext extracts them, and translated when :func:`explain` runs.
"""

from __future__ import annotations

from .frozen import record
from .i18n import N_, _, ngettext


@record
class Cause:
    code: str
    light: str
    where: str  # the default; "by_control" and "special" are resolved by verdict
    title: str  # a short status word or two, shown next to the light


CAUSES: dict[str, Cause] = {
    c.code: c
    for c in (
        Cause("ok", "green", "none", N_("Works")),
        Cause("dns_not_found", "red", "input", N_("Name not found")),
        Cause("dns_failure", "red", "network", N_("Name lookup failed")),
        Cause("offline", "red", "network", N_("Not connected")),
        Cause("local_blocked", "red", "local", N_("Blocked on this computer")),
        Cause("tcp_timeout", "red", "by_control", N_("No answer")),
        Cause("tcp_refused", "red", "by_control", N_("Refused")),
        Cause("tcp_unreachable", "red", "network", N_("Unreachable")),
        Cause("tcp_reset", "red", "by_control", N_("Connection cut")),
        Cause("smtp_silent", "red", "server", N_("Server silent")),
        Cause("smtp_not_smtp", "red", "special", N_("Not a mail server")),
        Cause("smtp_rejected", "red", "server", N_("Server refuses")),
        Cause("smtp_protocol_error", "red", "server", N_("Server error")),
        Cause("smtp_banner_masked", "amber", "network", N_("Firewall checks mail")),
        Cause("starttls_missing", "red", "server", N_("No encryption")),
        Cause("starttls_stripped", "red", "network", N_("Encryption removed")),
        Cause("starttls_failed", "red", "server", N_("Encryption refused")),
        Cause("tls_reset", "red", "by_control", N_("Encryption cut off")),
        Cause("tls_timeout", "red", "by_control", N_("Encryption stalled")),
        Cause("tls_not_tls", "red", "server", N_("No encryption here")),
        Cause("tls_handshake_failed", "red", "server", N_("Encryption failed")),
        Cause("tls_outdated", "red", "server", N_("Outdated encryption")),
        Cause("tls_untrusted", "red", "server", N_("Unknown certificate")),
        Cause("tls_self_signed", "red", "server", N_("Self-made certificate")),
        Cause("tls_expired", "red", "server", N_("Certificate expired")),
        Cause("tls_name_mismatch", "red", "server", N_("Wrong certificate")),
        Cause("tls_intercepted", "amber", "special", N_("Encrypted mail checked")),
        Cause("auth_before_tls", "amber", "server", N_("Unsafe login offered")),
        Cause("auth_failed", "red", "input", N_("Login refused")),
        Cause("auth_oauth_required", "red", "input", N_("OAuth2 sign-in needed")),
        Cause("auth_app_password_required", "red", "input", N_("App password needed")),
        Cause("auth_disabled", "red", "server", N_("Login switched off")),
        Cause("ip_family_partial", "amber", "network", N_("Partly working")),
        Cause("vpn_reachable", "green", "none", N_("VPN answers")),
        Cause("vpn_no_answer", "red", "unknown", N_("No answer")),
        Cause("vpn_refused", "red", "unknown", N_("Refused")),
        Cause("vpn_unverifiable", "grey", "unknown", N_("Cannot be tested")),
        Cause("cancelled", "grey", "unknown", N_("Not tested")),
        Cause("internal_error", "grey", "unknown", N_("Could not judge")),
    )
}

LIGHTS = ("green", "amber", "red", "grey")
LIGHT_WORDS = {
    "green": N_("OK"),
    "amber": N_("Warning"),
    "red": N_("Problem"),
    "grey": N_("Not tested"),
}
WHERE_WORDS = {
    "none": N_("nothing wrong"),
    "input": N_("the server name or login given"),
    "local": N_("this computer"),
    "network": N_("your network"),
    "server": N_("the mail server"),
    "unknown": N_("cannot tell from here"),
}
LIGHT_RANK = {"green": 0, "amber": 1, "red": 2, "grey": 3}

# (cause, where) -> (explanation, advice).  where "*" is the fallback.
#
# Rules for these words (issue 13): every advice names who acts, in the customer's
# words (WHO_* below); a technical word (port, STARTTLS, SSL/TLS, IPv6) only stands
# next to a plain one; no text here names a port or setting *to use*: the one
# sentence that does is built from the run's results (see smtpdiag.report.words).
_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("ok", "*"): (
        N_("Mail can be sent securely through {port_words}."),
        N_("Nothing to do."),
    ),
    ("dns_not_found", "*"): (
        N_("The name {host} does not exist on the internet, or has no address."),
        N_("Check the outgoing server name in your mail program's settings (or the e-mail address) "
           "for typing errors; your mail provider's help pages give the exact name."),
    ),
    ("dns_failure", "*"): (
        N_("Your network could not look up the name {host}: its name service (the internet's "
           "address book) did not answer."),
        N_("Check that this computer is connected to the internet. If web sites work, tell your "
           "internet provider (or mobile operator, or whoever runs this Wi-Fi) that its name service fails."),
    ),
    ("offline", "*"): (
        N_("This computer is not connected to the internet: neither {host} nor any of the well-known "
           "reference servers could be found or reached."),
        N_("Check this computer's Wi-Fi or network cable and that flight mode is off. In a hotel, "
           "train or café, open a web browser: the network may want you to log in first. Then try again."),
    ),
    ("local_blocked", "*"): (
        N_("This computer itself refused to open the connection on {port_words}: a firewall or "
           "security program here blocks it."),
        N_("Allow your mail program (and smtpdiag) in this computer's firewall or security program, "
           "or ask whoever manages this computer."),
    ),
    ("tcp_timeout", "network"): (
        N_("Your network silently blocks {port_words}: the reference mail servers get no answer there either."),
        N_("Your internet provider (or mobile operator, or whoever runs this Wi-Fi) blocks {port_words}: "
           "ask them to open it, or use another network."),
    ),
    ("tcp_timeout", "server"): (
        N_("The mail server does not answer on {port_words}, although the reference mail servers do."),
        N_("The mail server does not offer {port_words}, or it is down. Ask your mail provider (their "
           "help pages or support line) which outgoing server settings to use."),
    ),
    ("tcp_timeout", "*"): (
        N_("Nobody answers on {port_words}: the connection attempt got no reply at all."),
        N_("Try again on another network (a mobile hotspot, for example). If it works there, your "
           "internet provider (or mobile operator, or whoever runs this Wi-Fi) blocks it; if not, ask "
           "your mail provider."),
    ),
    ("tcp_refused", "network"): (
        N_("Your network refuses connections to {port_words}, for every mail server."),
        N_("Your internet provider (or mobile operator, or whoever runs this Wi-Fi) blocks {port_words}: "
           "ask them to open it, or use another network."),
    ),
    ("tcp_refused", "server"): (
        N_("The mail server refuses connections on {port_words}; the reference mail servers accept them."),
        N_("The mail server does not offer {port_words}. Ask your mail provider (their help "
           "pages or support line) which outgoing server settings to use."),
    ),
    ("tcp_refused", "*"): (
        N_("The connection to {port_words} was refused."),
        N_("The mail server may not offer {port_words}, or a firewall is in the way. Ask your mail "
           "provider (their help pages or support line) which outgoing server settings to use."),
    ),
    ("tcp_unreachable", "*"): (
        N_("Your network cannot reach {host}: there is no way to it from here."),
        N_("Check that this computer is connected to the internet. If web sites work, tell your "
           "internet provider (or mobile operator, or whoever runs this Wi-Fi)."),
    ),
    ("tcp_reset", "network"): (
        N_("Your network cuts connections on {port_words}, for every mail server."),
        N_("Your internet provider (or mobile operator, or whoever runs this Wi-Fi) cuts these "
           "connections: ask them to stop it, or use another network."),
    ),
    ("tcp_reset", "server"): (
        N_("The mail server cut the connection on {port_words} before it could be used."),
        N_("Tell your mail provider: their server closes connections on {port_words}."),
    ),
    ("tcp_reset", "*"): (
        N_("The connection on {port_words} was cut before the mail server could answer."),
        N_("Try again on another network (a mobile hotspot, for example). If it works there, your "
           "internet provider (or mobile operator, or whoever runs this Wi-Fi) cuts it; if not, tell "
           "your mail provider."),
    ),
    ("smtp_silent", "*"): (
        N_("Something answers on {port_words}, but it never greets like a mail server should."),
        N_("The mail server may be overloaded. Try again in a few minutes; if it stays like this, "
           "tell your mail provider."),
    ),
    ("smtp_not_smtp", "network"): (
        N_("A web page answered instead of the mail server: your network sends your connection to a "
           "login page or proxy."),
        N_("Open a web browser and log in on this network's page (hotel, train, café Wi-Fi), then "
           "check again. If no such page appears, ask whoever runs this Wi-Fi."),
    ),
    ("smtp_not_smtp", "*"): (
        N_("What answers on {port_words} is not a mail server."),
        N_("Check the outgoing server name and port in your mail program's settings; your mail "
           "provider's help pages give the right ones."),
    ),
    ("smtp_rejected", "*"): (
        N_("The mail server answered but refuses to talk to this computer right now."),
        N_("The server may be busy or may block your internet address. Try again later; if it stays "
           "like this, ask your mail provider."),
    ),
    ("smtp_protocol_error", "*"): (
        N_("The mail server's answers are garbled or far too long."),
        N_("Tell your mail provider: their server does not follow the mail rules."),
    ),
    ("smtp_banner_masked", "*"): (
        N_("A firewall on your network hides the mail server's greeting: it checks your mail connections."),
        N_("Mail may still work. If it does not, ask whoever runs this network (your company's IT, or "
           "your internet provider) to leave mail connections alone."),
    ),
    ("starttls_missing", "*"): (
        N_("The mail server does not offer encryption on {port_words}: your password and mail would be "
           "sent unprotected."),
        N_("Do not send mail through {port_words}. Ask your mail provider for settings with encryption."),
    ),
    ("starttls_stripped", "*"): (
        N_("Something on your network removes the mail server's offer to encrypt (STARTTLS), so your "
           "password and mail would be sent unprotected."),
        N_("Do not send mail through {port_words} on this network. Ask whoever runs this network (your "
           "company's IT, or your internet provider) to stop changing mail connections, or use another network."),
    ),
    ("starttls_failed", "*"): (
        N_("The mail server offers encryption on {port_words} but then refuses to start it."),
        N_("Tell your mail provider: their server's encryption does not start."),
    ),
    ("tls_reset", "network"): (
        N_("Your network cuts encrypted mail connections on {port_words}, for every mail server."),
        N_("The fault is your network's, not the mail server's. Use another network (another Wi-Fi or "
           "a mobile hotspot), and tell your internet provider (or mobile operator, or whoever runs "
           "this Wi-Fi) that it cuts encrypted mail connections."),
    ),
    ("tls_reset", "server"): (
        N_("The mail server cut the connection when encryption started on {port_words}; the reference "
           "mail servers work."),
        N_("Tell your mail provider: their server breaks off encrypted connections."),
    ),
    ("tls_reset", "*"): (
        N_("The connection on {port_words} was cut as soon as encryption started."),
        N_("Try again on another network (a mobile hotspot, for example). If it works there, tell your "
           "internet provider (or mobile operator, or whoever runs this Wi-Fi); if not, tell your mail provider."),
    ),
    ("tls_timeout", "network"): (
        N_("Encryption on {port_words} stalls on your network, for every mail server."),
        N_("Use another network, and tell your internet provider (or mobile operator, or whoever runs "
           "this Wi-Fi) that encrypted mail connections stall."),
    ),
    ("tls_timeout", "*"): (
        N_("Encryption on {port_words} started but never finished."),
        N_("Try again later, or on another network. If it works there, tell your internet provider (or "
           "mobile operator, or whoever runs this Wi-Fi); if not, tell your mail provider."),
    ),
    ("tls_not_tls", "*"): (
        N_("On {port_words} the mail server should encrypt from the start (connection type SSL/TLS), "
           "but it answered without encryption."),
        N_("Ask your mail provider which connection type belongs to {port_words}."),
    ),
    ("tls_handshake_failed", "*"): (
        N_("This computer and the mail server could not agree on encryption."),
        N_("Tell your mail provider: their server's encryption settings do not work with current mail programs."),
    ),
    ("tls_outdated", "*"): (
        N_("The mail server only offers old encryption (TLS 1.0 or 1.1) that is no longer safe."),
        N_("Current mail programs refuse this. Ask your mail provider to update their server."),
    ),
    ("tls_untrusted", "*"): (
        N_("The server's certificate (its proof of identity) comes from an issuer this computer does not trust."),
        N_("Your mail program will warn. Do not accept the warning; ask your mail provider whether this "
           "certificate is right."),
    ),
    ("tls_self_signed", "*"): (
        N_("The server's certificate (its proof of identity) was made by the server itself, so nobody "
           "vouches for it."),
        N_("Your mail program will warn. Do not accept the warning; ask your mail provider whether this "
           "is expected."),
    ),
    ("tls_expired", "*"): (
        N_("The server's certificate (its proof of identity) has expired or is not valid yet."),
        N_("Your mail program will warn. Check this computer's date and time; if they are right, tell "
           "your mail provider."),
    ),
    # tls_expired with the clock checked (smtpdiag.report.words.clock_context picks the variant)
    ("tls_expired", "expired_clock_right"): (
        N_("The server's certificate (its proof of identity) expired on {cert_date}. This computer's clock "
           "is right (a time server agrees), so the certificate really has expired."),
        N_("Your mail program will warn. Do not accept the warning; tell your mail provider that their "
           "certificate expired on {cert_date}."),
    ),
    ("tls_expired", "not_yet_valid_clock_right"): (
        N_("The server's certificate (its proof of identity) is only valid from {cert_date}. This computer's "
           "clock is right (a time server agrees), so the certificate really is not valid yet."),
        N_("Your mail program will warn. Do not accept the warning; tell your mail provider that their "
           "certificate is not valid before {cert_date}."),
    ),
    ("tls_expired", "clock_wrong"): (
        N_("This computer's clock is {clock_off} (a time server says today is {true_date}), so the server's "
           "certificate (its proof of identity) looks out of date although it may be fine."),
        N_("Set this computer's date and time right (in its date and time settings, best set "
           "automatically), then check again."),
    ),
    ("tls_expired", "expired"): (
        N_("The server's certificate (its proof of identity) expired on {cert_date}, by this computer's clock."),
        N_("Your mail program will warn. Check this computer's date and time; if they are right, tell "
           "your mail provider."),
    ),
    ("tls_expired", "not_yet_valid"): (
        N_("The server's certificate (its proof of identity) is only valid from {cert_date}, by this "
           "computer's clock."),
        N_("Your mail program will warn. Check this computer's date and time; if they are right, tell "
           "your mail provider."),
    ),
    ("tls_name_mismatch", "*"): (
        N_("The server's certificate (its proof of identity) is for a different name than {host}."),
        N_("Check the outgoing server name in your mail program's settings: use the exact name your "
           "mail provider gives. If it is already right, tell your mail provider."),
    ),
    ("tls_intercepted", "local"): (
        N_("Your security program {product} checks your encrypted mail: it opens the connection to "
           "look inside, then encrypts it again itself."),
        N_("If your mail program warns about a certificate, turn off mail scanning (\"mail shield\", "
           "\"SSL scanning\") in your security program {product}, or add an exception for your mail program."),
    ),
    ("tls_intercepted", "*"): (
        N_("A device on your network ({product}) checks your encrypted mail: it opens the connection "
           "to look inside, then encrypts it again itself."),
        N_("Ask whoever runs this network (your company's IT) to leave mail connections alone, or use "
           "another network."),
    ),
    ("auth_before_tls", "*"): (
        N_("The mail server offers to take your password before the connection is encrypted."),
        N_("Make sure your mail program's settings use an encrypted connection type for {port_words}, "
           "and tell your mail provider that their server offers an unprotected login."),
    ),
    ("auth_failed", "*"): (
        N_("The server refused this user name or password."),
        N_("Check the user name (often your full e-mail address) and password in your mail program's "
           "settings. If they are right, ask your mail provider."),
    ),
    ("auth_oauth_required", "*"): (
        N_("The server accepts no password from mail programs: it wants you to sign in with OAuth2 "
           "(your provider's own sign-in window) instead."),
        N_("In your mail program set the authentication method to OAuth2 (Thunderbird: Account Settings > "
           "Outgoing Server (SMTP) > Edit > Authentication method: OAuth2), then sign in when asked. If your "
           "mail program cannot do OAuth2, update it or use another one."),
    ),
    ("auth_app_password_required", "*"): (
        N_("The server refused your normal password: this account needs an app password, a separate "
           "password for mail programs (two-step sign-in is on)."),
        N_("Create an app password in your account's security settings and enter it in your mail program "
           "instead of your normal password, or set your mail program's authentication method to OAuth2."),
    ),
    ("auth_disabled", "*"): (
        N_("Sending from mail programs is switched off for this mailbox or organisation, so no password "
           "can work."),
        N_("Ask your mail provider (at work: your IT administrator) to allow login from mail programs "
           "(SMTP AUTH) for your mailbox."),
    ),
    ("ip_family_partial", "*"): (
        N_("Mail gets through {port_words} over {family_ok} but not over {family_failed}."),
        N_("Mail programs usually fall back on their own, but may be slow. Tell your internet provider "
           "(or mobile operator, or whoever runs this Wi-Fi) that {family_failed} does not work."),
    ),
    ("vpn_reachable", "*"): (
        N_("{product}: the VPN server answers on this network."),
        N_("A VPN of this kind can work from here."),
    ),
    ("vpn_no_answer", "*"): (
        N_("{product}: no answer to the VPN's first message. Some VPN servers stay silent to strangers "
           "on purpose, so this is not always a block."),
        N_("If your VPN does not connect, try another of its protocols, or ask whoever runs this "
           "network whether it blocks VPNs."),
    ),
    ("vpn_refused", "*"): (
        N_("{product}: the VPN connection was refused."),
        N_("The VPN server does not offer this protocol here, or your network blocks it. Ask whoever "
           "runs the VPN server which protocol to use."),
    ),
    ("vpn_unverifiable", "*"): (
        N_("{product} never answers strangers, by design, so it cannot be tested from here."),
        N_("Try connecting with your VPN program itself."),
    ),
    ("cancelled", "*"): (
        N_("This check did not run to the end."),
        N_("Start the check again."),
    ),
    ("internal_error", "*"): (
        N_("smtpdiag met something it does not understand here, so it cannot judge this check. "
           "This says nothing about your network or the mail server."),
        N_("Start the check again. If this stays, save the report and send it to smtpdiag's support "
           "together with the log file smtpdiag.log (in the window: Help > Open log folder)."),
    ),
}


# (cause, provider) -> (explanation, advice): the words for one provider's login policy
# (provider keys from data/login_policies.json), used before the general words above.
_PROVIDER_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("auth_oauth_required", "outlook_com"): (
        N_("Microsoft no longer accepts your password from mail programs (since 16 September 2024)."),
        N_("In your mail program set Authentication method to OAuth2; Thunderbird: Account Settings > "
           "Outgoing Server (SMTP) > Edit > Authentication method: OAuth2. Then sign in with your Microsoft "
           "account when asked."),
    ),
    ("auth_oauth_required", "microsoft_365"): (
        N_("Microsoft no longer accepts your password from mail programs for this mailbox."),
        N_("In your mail program set Authentication method to OAuth2; Thunderbird: Account Settings > "
           "Outgoing Server (SMTP) > Edit > Authentication method: OAuth2. Then sign in with your work "
           "account when asked."),
    ),
    ("auth_oauth_required", "gmail"): (
        N_("Google accepts no normal password from mail programs."),
        N_("In your mail program set the authentication method to OAuth2, or create an app password at "
           "myaccount.google.com/apppasswords and use it instead of your normal password."),
    ),
    ("auth_disabled", "microsoft_365"): (
        N_("Your organisation has switched off sending from mail programs (SMTP AUTH) for your Microsoft 365 "
           "mailbox, so no password can work."),
        N_("Your organisation has switched off sending from mail programs; ask your IT administrator to allow "
           "Authenticated SMTP for your mailbox, or use Outlook."),
    ),
    ("auth_app_password_required", "gmail"): (
        N_("Google refused your normal password: your account uses two-step sign-in, so mail programs need "
           "an app password."),
        N_("Create an app password at myaccount.google.com/apppasswords and use it instead of your normal "
           "password."),
    ),
    ("auth_app_password_required", "icloud"): (
        N_("Apple accepts only an app-specific password from mail programs for iCloud Mail."),
        N_("Create an app-specific password at account.apple.com (Sign-In and Security > App-Specific "
           "Passwords) and use it instead of your normal password."),
    ),
    ("auth_app_password_required", "yahoo"): (
        N_("Yahoo accepts only an app password from mail programs."),
        N_("Create an app password in your Yahoo Account Security settings and use it instead of your normal "
           "password."),
    ),
    ("auth_failed", "gmail"): (
        N_("Google refused this user name or password. Google accepts no normal password from mail programs: "
           "only an app password or OAuth2 sign-in."),
        N_("If you typed your normal Google password, create an app password at "
           "myaccount.google.com/apppasswords and use it instead. Otherwise check your user name (your full "
           "e-mail address) and the app password."),
    ),
    ("auth_failed", "icloud"): (
        N_("Apple refused this user name or password. iCloud Mail accepts only an app-specific password "
           "from mail programs."),
        N_("Create an app-specific password at account.apple.com (Sign-In and Security > App-Specific "
           "Passwords) and use it instead of your normal password. Check that the user name is your full "
           "e-mail address."),
    ),
    ("auth_failed", "yahoo"): (
        N_("Yahoo refused this user name or password. Yahoo accepts only an app password from mail "
           "programs."),
        N_("Create an app password in your Yahoo Account Security settings and use it instead of your normal "
           "password. Check that the user name is your full e-mail address."),
    ),
    ("auth_failed", "aol"): (
        N_("AOL refused this user name or password. AOL accepts only an app password from mail programs."),
        N_("Create an app password in your AOL Account Security settings and use it instead of your normal "
           "password. Check that the user name is your full e-mail address."),
    ),
    ("auth_failed", "outlook_com"): (
        N_("Microsoft refused this login. Outlook.com accepts no password from mail programs any more "
           "(since 16 September 2024)."),
        N_("In your mail program set Authentication method to OAuth2; Thunderbird: Account Settings > "
           "Outgoing Server (SMTP) > Edit > Authentication method: OAuth2."),
    ),
}

# Findings that do not change a check's light but are worth a sentence on its row.
FINDING_TEXTS: dict[str, str] = {
    "oauth_only": N_("This server takes OAuth2 sign-in only: set your mail program's authentication method "
                     "to OAuth2; a normal password will not work."),
}


def finding_words(finding: str) -> str:
    return _(FINDING_TEXTS[finding])


def cause(code: str) -> Cause:
    return CAUSES[code]


def light_word(light: str) -> str:
    return _(LIGHT_WORDS[light])


def where_word(where: str) -> str:
    return _(WHERE_WORDS.get(where, WHERE_WORDS["unknown"]))


def title(code: str) -> str:
    return _(CAUSES[code].title)


def port_list(ports: object) -> str:
    """ "465", or "25, 465 and 587" for a list of ports."""
    numbers = [str(p) for p in ports] if isinstance(ports, (list, tuple)) else [str(ports)]
    if len(numbers) == 1:
        return numbers[0]
    return _("{first} and {last}").format(first=", ".join(numbers[:-1]), last=numbers[-1])


def port_words(ports: object) -> str:
    """ "port 465", or "ports 465 and 587" for a list of ports."""
    count = len(ports) if isinstance(ports, (list, tuple)) else 1
    return ngettext("port {ports}", "ports {ports}", count).format(ports=port_list(ports))


FAMILY_WORDS = {
    "ipv4": N_("IPv4 (the usual kind of internet address)"),
    "ipv6": N_("IPv6 (the newer kind of internet address)"),
}


def family_words(family: str) -> str:
    """ "IPv6 (the newer kind of internet address)": the family next to a plain word."""
    return _(FAMILY_WORDS[family]) if family in FAMILY_WORDS else family


def explain(code: str, where: str, **context: object) -> tuple[str, str]:
    """The translated (explanation, advice) for *code* as found *where*.

    ``port`` may be one port number or a list of them.
    """
    variant = str(context.get("variant") or "")
    provider = str(context.get("provider") or "")
    texts = (_TEXTS.get((code, variant)) if variant else None) or _PROVIDER_TEXTS.get((code, provider)) \
        or _TEXTS.get((code, where)) or _TEXTS[(code, "*")]
    values = {"host": "", "product": "", "cert_date": "", "clock_off": "", "true_date": ""}
    values.update({k: str(v) for k, v in context.items() if k != "port"})
    # The IP families by name, each next to a plain word (from the attempts' records).
    ok_family = str(context.get("family_ok") or "ipv4")
    failed_family = str(context.get("family_failed") or ("ipv6" if ok_family == "ipv4" else "ipv4"))
    values["family_ok"] = family_words(ok_family)
    values["family_failed"] = family_words(failed_family)
    values["port_words"] = port_words(context.get("port", ""))
    return _(texts[0]).format(**values), _(texts[1]).format(**values)


def all_message_ids() -> list[str]:
    """Every text in this module (used by the tests to check the catalogs)."""
    ids = [c.title for c in CAUSES.values()]
    ids += list(LIGHT_WORDS.values()) + list(WHERE_WORDS.values()) + list(FAMILY_WORDS.values())
    for a, b in (*_TEXTS.values(), *_PROVIDER_TEXTS.values()):
        ids += [a, b]
    ids += list(FINDING_TEXTS.values())
    return ids
