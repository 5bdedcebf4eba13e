"""The words of the discovery's row (``Check(kind="dns", id="discover")``): which
sending server was found for an e-mail domain and where from, or why none was.  From
the check's cause and context alone, so a saved or re-translated check gets the same
words as the run's.  The search itself is :mod:`smtpdiag.probe.discover`.
"""

from __future__ import annotations

from ..i18n import _
from ..probe.discover import Discovery
from ..records import Check


def check_words(check: Check) -> tuple[str, str]:
    """(explanation, advice) for a discovery check, translated."""
    ctx = check.context
    return _words(check.host, ctx.get("server") or None, ctx.get("source", "none"),
                  ctx.get("provider") or None, check.cause)


def discovery_words(d: Discovery) -> tuple[str, str]:
    """(explanation, advice) for a discovery, translated."""
    return _words(d.domain, d.host, d.source, d.provider, d.cause)


def explain_discovery(d: Discovery) -> str:
    """One plain sentence for the customer: which server was found, and from where."""
    return discovery_words(d)[0]


def _words(domain: str, host: str | None, source: str, provider: str | None,
           cause: str) -> tuple[str, str]:
    if cause == "ok" and host:
        return _found_words(domain, host, source, provider)
    if cause == "dns_failure":
        return (_("Your network could not look up where mail for {domain} is sent: its name "
                  "service did not answer.").format(domain=domain),
                _("Check that you are connected to the internet, then try again."))
    if cause == "cancelled":
        return (_("The search for the sending server of {domain} was stopped.").format(domain=domain),
                _("Start the check again."))
    return (_("The domain {domain} does not exist on the internet, or has no mail server.").format(
                domain=domain),
            _("Check the spelling of the e-mail address."))


def _found_words(domain: str, host: str, source: str, provider: str | None) -> tuple[str, str]:
    advice = _("If your mail program still fails, check that its outgoing (SMTP) server is "
               "{host}.").format(host=host)
    if source in ("srv-submissions", "srv-submission"):
        text = _("Your e-mail provider's sending server is {host} (published by your "
                 "provider).").format(host=host)
    elif source == "provider":
        text = _("Your e-mail provider's sending server is {host} (the well-known server of "
                 "{provider}).").format(host=host, provider=provider or domain)
    elif source == "guess":
        text = _("Your e-mail provider publishes no sending server; {host} exists and is the "
                 "usual name for one, so it is tested.").format(host=host)
        advice = _("If your provider's instructions name another outgoing server, check that "
                   "one instead.")
    elif source == "mx":
        text = _("Your e-mail provider publishes no sending server, so {host}, which receives "
                 "the mail for {domain}, is tested: small providers often use one server for "
                 "both.").format(host=host, domain=domain)
        advice = _("If your provider's instructions name another outgoing server, check that "
                   "one instead.")
    else:
        text = _("Your e-mail provider publishes no mail server, so {host} itself is "
                 "tested.").format(host=host)
        advice = _("If your provider's instructions name an outgoing server, check that one "
                   "instead.")
    return text, advice
