"""Find the sending (submission) server of an e-mail domain, as a mail program's
account wizard does.

An e-mail address does not say which server sends its mail, so when the user
types one, :func:`discover` looks for it.  The sources, in the order they are
believed (the first that gives a server wins):

1. ``_submissions._tcp.DOMAIN`` SRV (RFC 6186, RFC 8314): submission with
   implicit TLS, normally port 465.  RFC 8314 prefers it to STARTTLS, so it
   comes first.
2. ``_submission._tcp.DOMAIN`` SRV (RFC 6186): submission with STARTTLS,
   normally port 587.  For both, a record whose target is ``"."`` is the
   provider saying "not offered here" (RFC 2782) and is skipped.
3. The built-in list of large providers (``data/providers.json``): most of
   them publish no SRV records, but their server is well known
   (gmail.com -> smtp.gmail.com).  Nothing is looked up.
4. The usual names ``smtp.DOMAIN``, then ``mail.DOMAIN``, if they resolve
   (with the operating system's resolver, like the mail program would):
   account wizards guess these too.
5. The domain's MX.  That is its *incoming* server, but small domains often
   take submission on the same machine; the step's detail says so.
6. The domain itself, if it has an address.

Every look-up a source needs starts at once, each in its own thread, so the
search takes about as long as its slowest *needed* answer and never much more
than *timeout*.  The walk down the list waits only for the answers it needs:
once a source gives a server, the later ones are not waited for (their
threads end on their own timeouts).  A known provider skips the look-ups of
sources 4-6 altogether.

The result is a :class:`Discovery`: the host to test, the ports its SRV records
name, and the records of the ``Check(kind="dns", id="discover")`` that shows
the search in the report (:func:`discovery_check`).  Its steps are one
``resolve`` step per look-up consulted, then a last ``resolve`` step with the
outcome.  Only that last step may carry a failure word, because a missing SRV
record is a normal answer, not a fault; so :func:`smtpdiag.verdict.classify`
gives the check's cause from the records as for any other check:

    ok              a server was found
    dns_not_found   nothing was found and every answer was "no such name/record"
    dns_failure     nothing was found and the name service failed at least once
    cancelled       the user stopped the search

    Discovery                 what discover() found (host, source, ports) + records
    ├── steps, transcript     -> Attempt("none") -> Check(kind="dns", id="discover")
    Provider                  one entry of data/providers.json
    SrvRecord                 one parsed SRV record
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..config import PortSpec
from ..i18n import _
from ..net import Abandonable, Network, ProbeError, is_ip_literal
from ..paths import data_dir
from ..records import Attempt, Check, Step, TranscriptLine
from ..verdict import classify

Source = Literal["srv-submissions", "srv-submission", "provider", "guess", "mx", "domain", "none"]

DISCOVERY_CHECK_ID = "discover"

# The SRV services of RFC 6186 in the order they are preferred (RFC 8314: implicit
# TLS first): (source, service label, mode of the ports they name).
SRV_SERVICES: tuple[tuple[Source, str, str], ...] = (
    ("srv-submissions", "_submissions._tcp", "implicit"),
    ("srv-submission", "_submission._tcp", "starttls"),
)
# The names account wizards try when nothing is published, in this order.
GUESS_PREFIXES = ("smtp", "mail")

# How long past *timeout* the search still waits for a look-up that should have
# ended by itself (thread start-up, the polling of an abandonable call).
GRACE_SECONDS = 0.2

# Where a found server came from, for the technical details (not translated, like
# every step detail).
_SOURCE_DETAILS: dict[str, str] = {
    "srv-submissions": "from the _submissions._tcp SRV record: implicit TLS",
    "srv-submission": "from the _submission._tcp SRV record: STARTTLS",
    "provider": "from the built-in list of large providers",
    "guess": "the usual name for a sending server, and it exists",
    "mx": "the domain's incoming server (MX), tried for sending too",
    "domain": "the domain itself",
}


# -- the provider list ---------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """A large provider whose sending server is well known."""

    name: str  # for people, e.g. "Google Mail"
    domains: tuple[str, ...]  # lower-case A-labels
    host: str  # its submission server


@functools.cache
def providers() -> tuple[Provider, ...]:
    """The entries of ``data/providers.json``."""
    with open(data_dir() / "providers.json", encoding="utf-8") as fh:
        data = json.load(fh)
    return tuple(
        Provider(str(p["name"]), tuple(_canonical(d) for d in p["domains"]), _canonical(p["host"]))
        for p in data["providers"]
    )


def provider_for(domain: str) -> Provider | None:
    """The provider of addresses at *domain* (exact match), if it is in the list."""
    domain = _canonical(domain)
    return next((p for p in providers() if domain in p.domains), None)


# -- SRV and MX records ---------------------------------------------------------------


@dataclass(frozen=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str  # "." means the service is not offered

    @property
    def offered(self) -> bool:
        return self.target != "."


def parse_srv(text: str) -> SrvRecord | None:
    """``"PRIO WEIGHT PORT TARGET"`` (as :meth:`Network.dns_query` gives it), or None."""
    parts = text.split()
    if len(parts) != 4:
        return None
    try:
        priority, weight, port = (int(p) for p in parts[:3])
    except ValueError:
        return None
    if not 0 <= port <= 65535:
        return None
    return SrvRecord(priority, weight, port, _canonical(parts[3]))


def parse_mx(text: str) -> tuple[int, str] | None:
    """``"PREF HOST"`` -> (preference, host); the host of a null MX is ``"."``."""
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    return int(parts[0]), _canonical(parts[1])


# -- the result -----------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found, and the records of how.

    ``host`` is None when nothing was found; ``failure`` then says why
    (``nxdomain``, ``dns_error`` or ``cancelled``, the step vocabulary).
    ``ports`` are the ports the SRV records name for ``host``, implicit-TLS
    ones first, or None when the server did not come from SRV.
    """

    domain: str
    host: str | None
    source: Source
    ports: tuple[PortSpec, ...] | None = None
    failure: str | None = None
    provider: str | None = None  # the provider's name when source is "provider"
    steps: tuple[Step, ...] = ()
    transcript: tuple[TranscriptLine, ...] = ()
    duration_ms: int = 0

    @property
    def host_to_test(self) -> str:
        """The host the port checks should use: the server found, else the domain
        itself (its checks then fail with the same DNS cause as the search)."""
        return self.host or self.domain

    @property
    def cause(self) -> str:
        """The search's cause code (the same as ``classify`` gives its records)."""
        if self.host:
            return "ok"
        return {"cancelled": "cancelled", "dns_error": "dns_failure"}.get(self.failure or "",
                                                                           "dns_not_found")

    @property
    def attempt(self) -> Attempt:
        """The records as one attempt (no address family: nothing was connected)."""
        return Attempt("none", None, self.steps, self.transcript, None, self.duration_ms)

    def context(self) -> dict[str, str]:
        """What the check's words need, kept in ``Check.context`` (and the report)."""
        out = {"source": self.source, "server": self.host or ""}
        if self.provider:
            out["provider"] = self.provider
        return out


# -- searching ------------------------------------------------------------------------


def discover(net: Network, domain: str, timeout: float, cancel: threading.Event | None = None,
             families: Sequence[str] = ("ipv4", "ipv6"),
             on_step: Callable[[Step], None] | None = None) -> Discovery:
    """Find the sending server of the e-mail domain *domain* (A-label form, as
    :attr:`smtpdiag.target.Target.host`), in the order of the module docstring.

    Takes at most about *timeout* (+ :data:`GRACE_SECONDS`), and returns within
    a tenth of a second once *cancel* is set.  *families* are the address
    families tried for the guessed names and the domain itself; *on_step* is
    called with each step as it is recorded (on the calling thread).
    """
    name = _canonical(domain).strip("[]")
    if is_ip_literal(name):
        return _literal(name)
    return _Search(net, name, timeout, cancel, tuple(families), on_step).run()


@dataclass(frozen=True)
class _Found:
    host: str
    source: Source
    ports: tuple[PortSpec, ...] | None = None
    provider: str | None = None


class _Cancelled(Exception):
    """The user stopped the search (internal: never leaves this module)."""


class _Lookup:
    """One look-up, started at once in its own daemon thread (:class:`~smtpdiag.net.Abandonable`)."""

    def __init__(self, question: str, run: Callable[[], list[str]], t0: float) -> None:
        self.question = question
        self.ms = 0  # how long the look-up took
        self.at_ms = 0  # when it ended, from the start of the search
        self._t0 = t0
        self._call = Abandonable(run, name="smtpdiag-discover")

    def outcome(self, deadline: float, cancel: threading.Event | None,
                timeout: float) -> tuple[list[str], ProbeError | None]:
        """(records, None) or ([], the failure), waiting until *deadline* at most.

        Raises :class:`_Cancelled` when *cancel* is set while waiting; a bug in
        the look-up (not a :class:`ProbeError`) is raised again here.
        """
        try:
            done = self._call.wait(deadline, cancel)
        except ProbeError:  # cancelled while waiting
            raise _Cancelled from None
        if not done:
            self.at_ms = self.ms = _ms(time.monotonic() - self._t0)
            return [], ProbeError("dns_error", f"{self.question}: no answer within {timeout:g} s")
        ended = self._call.ended or time.monotonic()
        self.ms, self.at_ms = _ms(ended - self._call.started), _ms(ended - self._t0)
        try:
            return self._call.result(), None
        except ProbeError as exc:
            if exc.failure == "cancelled":
                raise _Cancelled from None
            return [], exc


class _Search:
    """One run of :func:`discover`: starts the look-ups, then walks the sources."""

    def __init__(self, net: Network, domain: str, timeout: float, cancel: threading.Event | None,
                 families: tuple[str, ...], on_step: Callable[[Step], None] | None) -> None:
        self.net, self.domain, self.timeout, self.cancel = net, domain, timeout, cancel
        self.families, self.on_step = families, on_step
        self.provider = provider_for(domain)
        self.t0 = time.monotonic()
        self.deadline = self.t0 + timeout + GRACE_SECONDS
        self.steps: list[Step] = []
        self.notes: list[TranscriptLine] = []
        self.errors: list[ProbeError] = []
        self.lookups: dict[str, _Lookup] = {}

    def run(self) -> Discovery:
        self._note(0, f"looking for the sending server of {self.domain}: SRV records (RFC 6186), "
                      "the list of large providers, the usual names, MX, the domain itself")
        try:
            if self.cancel is not None and self.cancel.is_set():
                raise _Cancelled
            self._start_lookups()
            found = (self._from_srv() or self._from_provider() or self._from_guess(GUESS_PREFIXES[0])
                     or self._from_guess(GUESS_PREFIXES[1]) or self._from_mx() or self._from_domain())
        except _Cancelled:
            return self._result(None, "cancelled")
        if found is None:
            return self._result(None, self._failure())
        return self._result(found, None)

    # -- the look-ups ---------------------------------------------------------------

    def _start_lookups(self) -> None:
        """Every look-up the sources may need, at once (a known provider needs only SRV)."""
        net, d, t, c = self.net, self.domain, self.timeout, self.cancel
        for source, label, _mode in SRV_SERVICES:
            name = f"{label}.{d}"
            self._start(source, f"{name} SRV", functools.partial(net.dns_query, name, "SRV", t, c))
        if self.provider is not None:
            return
        for key, host in ((GUESS_PREFIXES[0], f"{GUESS_PREFIXES[0]}.{d}"),
                          (GUESS_PREFIXES[1], f"{GUESS_PREFIXES[1]}.{d}"), ("domain", d)):
            for family in self.families:  # one look-up per family, as the engine does
                self._start(f"{key} {family}", host, functools.partial(net.resolve, host, family, t, c))
            self.lookups[key] = self.lookups[f"{key} {self.families[0]}"]  # its question and times
        self._start("mx", f"{d} MX", functools.partial(net.dns_query, d, "MX", t, c))

    def _start(self, key: str, question: str, run: Callable[[], list[str]]) -> None:
        self.lookups[key] = _Lookup(question, run, self.t0)

    def _outcome(self, key: str) -> tuple[list[str], ProbeError | None]:
        values, error = self.lookups[key].outcome(self.deadline, self.cancel, self.timeout)
        if error is not None:
            self.errors.append(error)
        return values, error

    def _addresses(self, key: str) -> tuple[list[str], ProbeError | None]:
        """The addresses of a name in every family, or the most telling failure
        (cancelled, then dns_error, then the first family's)."""
        outcomes = [self.lookups[f"{key} {family}"].outcome(self.deadline, self.cancel, self.timeout)
                    for family in self.families]
        lookup = self.lookups[key] = max((self.lookups[f"{key} {f}"] for f in self.families),
                                         key=lambda one: one.at_ms)
        found = [a for values, _error in outcomes for a in values]
        if found:
            return found, None
        failures = [error for _values, error in outcomes if error is not None]
        error = next((e for e in failures if e.failure == "dns_error"), None) \
            or (failures[0] if failures else ProbeError("nxdomain", f"{lookup.question}: no address"))
        self.errors.append(error)
        return [], error

    # -- the sources, in order ------------------------------------------------------

    def _from_srv(self) -> _Found | None:
        """Sources 1 and 2: both SRV answers are read (they give the ports); the
        implicit-TLS service wins, and its host's STARTTLS ports are added."""
        offered: dict[str, list[SrvRecord]] = {}
        for source, _label, _mode in SRV_SERVICES:
            values, error = self._outcome(source)
            records = [r for r in (parse_srv(v) for v in values) if r is not None]
            offered[source] = [r for r in records if r.offered]
            note = "" if offered[source] or not records else " (not offered)"
            self._record(source, bool(offered[source]), self._detail(source, values, error, note))
        for source, _label, _mode in SRV_SERVICES:
            if offered[source]:
                host = offered[source][0].target
                ports: list[PortSpec] = []
                for other, _l, mode in SRV_SERVICES:
                    for r in offered[other]:
                        if r.target == host and PortSpec(r.port, mode) not in ports:
                            ports.append(PortSpec(r.port, mode))
                return _Found(host, source, tuple(ports))
        return None

    def _from_provider(self) -> _Found | None:
        """Source 3: the built-in list (no look-up; the step records the decision)."""
        if self.provider is None:
            return None
        p = self.provider
        step = Step("resolve", True, 0,
                    f"{self.domain}: a large provider ({p.name}) -> {p.host} (built-in list)")
        self._add(step, _ms(time.monotonic() - self.t0))
        return _Found(p.host, "provider", None, p.name)

    def _from_guess(self, prefix: str) -> _Found | None:
        """Source 4: ``smtp.DOMAIN`` / ``mail.DOMAIN``, when the name has an address."""
        values, error = self._addresses(prefix)
        self._record(prefix, bool(values), self._detail(prefix, values, error))
        return _Found(f"{prefix}.{self.domain}", "guess") if values else None

    def _from_mx(self) -> _Found | None:
        """Source 5: the most preferred MX host, unless the MX is null (RFC 7505)."""
        values, error = self._outcome("mx")
        hosts = [mx[1] for mx in (parse_mx(v) for v in values) if mx is not None and mx[1] != "."]
        if hosts:
            note = " (the incoming mail server, tried for sending)"
        else:
            note = " (null MX: this domain receives no mail)" if values else ""
        self._record("mx", bool(hosts), self._detail("mx", values, error, note))
        return _Found(hosts[0], "mx") if hosts else None

    def _from_domain(self) -> _Found | None:
        """Source 6: the domain's own address."""
        values, error = self._addresses("domain")
        self._record("domain", bool(values), self._detail("domain", values, error))
        return _Found(self.domain, "domain") if values else None

    # -- records --------------------------------------------------------------------

    def _detail(self, key: str, values: list[str], error: ProbeError | None, note: str = "") -> str:
        """``QUESTION -> ANSWERS (note)``, or the failure's description."""
        question = self.lookups[key].question
        if error is not None:
            text = error.detail
            return text if text.startswith(question) else f"{question}: {text}"
        shown = ", ".join(values[:4]) + (" ..." if len(values) > 4 else "")
        return f"{question} -> {shown}{note}"

    def _record(self, key: str, ok: bool, detail: str) -> None:
        lookup = self.lookups[key]
        self._add(Step("resolve", ok, lookup.ms, detail), lookup.at_ms)

    def _add(self, step: Step, at_ms: int) -> None:
        self.steps.append(step)
        self._note(at_ms, step.detail)
        if self.on_step is not None:
            self.on_step(step)

    def _note(self, at_ms: int, text: str) -> None:
        self.notes.append(TranscriptLine(at_ms, "note", text))

    def _failure(self) -> str:
        """Why nothing was found: a failed name service beats "no such name"."""
        words = {e.failure for e in self.errors}
        return "dns_error" if "dns_error" in words else "nxdomain"

    def _result(self, found: _Found | None, failure: str | None) -> Discovery:
        ms = _ms(time.monotonic() - self.t0)
        if found is not None:
            step = Step("resolve", True, ms, f"sending server for {self.domain}: {found.host} "
                                             f"({_SOURCE_DETAILS[found.source]})")
        else:
            step = Step("resolve", False, ms, _failure_detail(self.domain, failure or "nxdomain"),
                        failure)
        self._add(step, ms)
        return Discovery(
            domain=self.domain,
            host=found.host if found else None,
            source=found.source if found else "none",
            ports=found.ports if found else None,
            failure=failure,
            provider=found.provider if found else None,
            steps=tuple(self.steps),
            transcript=tuple(sorted(self.notes, key=lambda line: line.ms)),
            duration_ms=ms,
        )


def _failure_detail(domain: str, failure: str) -> str:
    if failure == "cancelled":
        return f"the search for the sending server of {domain} was stopped"
    if failure == "dns_error":
        return f"no sending server found for {domain}: the name service failed"
    return (f"no sending server found for {domain}: the domain does not exist, or has "
            "no mail server and no address")


def _literal(address: str) -> Discovery:
    """An address typed after the @: nothing to look up, it is the server."""
    step = Step("resolve", True, 0, f"{address} is an address: nothing to look up")
    return Discovery(address, address, "domain", steps=(step,),
                     transcript=(TranscriptLine(0, "note", step.detail),))


def _canonical(name: str) -> str:
    name = name.strip().lower()
    return name if name == "." else name.rstrip(".")


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))


# -- the check and its words ----------------------------------------------------------


def planned_check(domain: str) -> Check:
    """The discovery's row before it ran (grey, no cause), for the ``Planned`` event."""
    return Check(DISCOVERY_CHECK_ID, "dns", "target", _canonical(domain), 0,
                 light="grey", cause="", where="unknown")


def discovery_check(d: Discovery) -> Check:
    """The finished ``Check(kind="dns", id="discover")``: verdict from the records
    by :func:`~smtpdiag.verdict.classify`, words from :func:`check_words`."""
    attempt = d.attempt
    verdict = classify([attempt], 0, family_partial=False)
    check = Check(DISCOVERY_CHECK_ID, "dns", "target", d.domain, 0,
                  duration_ms=d.duration_ms, steps=attempt.steps, transcript=attempt.transcript,
                  attempts=(attempt,), context=d.context())
    check = check.with_(light=verdict.light, cause=verdict.cause, where=verdict.where)
    explanation, advice = check_words(check)
    return check.with_(explanation=explanation, advice=advice)


def explain_discovery(d: Discovery) -> str:
    """One plain sentence for the customer: which server was found, and from where."""
    return discovery_words(d)[0]


def discovery_words(d: Discovery) -> tuple[str, str]:
    """(explanation, advice) for a discovery, translated."""
    return _words(d.domain, d.host, d.source, d.provider, d.cause)


def check_words(check: Check) -> tuple[str, str]:
    """(explanation, advice) for a discovery check, from its cause and context,
    so a saved or re-translated check gets the same words as the run's."""
    ctx = check.context
    return _words(check.host, ctx.get("server") or None, ctx.get("source", "none"),
                  ctx.get("provider") or None, check.cause)


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
