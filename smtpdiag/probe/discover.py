"""Find the sending (submission) server of an e-mail domain, as a mail program's
account wizard does.

An e-mail address does not say which server sends its mail, so when the user
types one, a :class:`Search` looks for it.  The sources, in the order they are
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

Every look-up a source needs is a task of its own, all submitted at once (into
the run's pool of workers, :mod:`smtpdiag.workers`), so the search takes about
as long as its slowest *needed* answer and never much more than *timeout*.  No
task waits for another: each answer that arrives moves the walk down the list
as far as the answers so far allow, and once a source gives a server the search
is decided; the look-ups still running are then given up on (they see it as a
cancel).  A known provider skips the look-ups of sources 4-6 altogether.
:func:`discover` runs one search with a small pool of its own and waits for it.

The result is a :class:`Discovery`: the host to test, the ports its SRV records
name, and the records of the ``Check(kind="dns", id="discover")`` that shows
the search in the report (:func:`discovery_check`; its words are
:mod:`smtpdiag.report.discovery_words`).  Its steps are one ``resolve`` step per
look-up consulted, then a last ``resolve`` step with the outcome.  Only that
last step may carry a failure word, because a missing SRV record is a normal
answer, not a fault; so :func:`smtpdiag.verdict.classify` gives the check's
cause from the records as for any other check:

    ok              a server was found
    dns_not_found   nothing was found and every answer was "no such name/record"
    dns_failure     nothing was found and the name service failed at least once
    cancelled       the user stopped the search

    Search                    the look-ups and the walk down the sources
    ├── start(submit, on_done)
    Discovery                 what the search found (host, source, ports) + records
    ├── steps, transcript     -> Attempt("none") -> Check(kind="dns", id="discover")
    discover()                one search, waited for (its own pool)

The records the sources give are read by :mod:`smtpdiag.probe.server_records`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any, Literal

from ..config import PortSpec
from ..frozen import record
from ..net import Network, ProbeError, is_ip_literal
from ..records import Attempt, Check, Step, TranscriptLine
from ..verdict import classify
from ..workers import Pool
from .server_records import SrvRecord, canonical, parse_mx, parse_srv, provider_for
from .steps import StepRecorder

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

# How long past *timeout* a search may take: starting the look-ups' threads, and
# the polling of the calls that cannot be interrupted (net.run_abandonable).
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


# -- the result -----------------------------------------------------------------------


@record
class Discovery:
    """What a search found, and the records of how.

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
    called with each step as it is recorded.  A bug in a look-up is raised here.
    """
    search = Search(net, domain, timeout, cancel, families, on_step)
    pool = Pool(max(1, search.lookups_needed), name="smtpdiag-discover")
    ended = threading.Event()
    outcome: list[Discovery | Exception] = []

    def done(result: Discovery | Exception) -> None:
        outcome.append(result)
        ended.set()

    search.start(pool.submit, done)
    pool.close()
    ended.wait()
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


@record
class _Found:
    host: str
    source: Source
    ports: tuple[PortSpec, ...] | None = None
    provider: str | None = None


class _Cancelled(Exception):
    """The user stopped the search (internal: never leaves this module)."""


class _StopWhen(threading.Event):
    """The cancel flag the look-ups see: set when the run is cancelled, or when the
    search is decided and the answers still out are no longer needed."""

    def __init__(self, cancel: threading.Event | None) -> None:
        super().__init__()
        self._cancel = cancel

    def is_set(self) -> bool:
        return super().is_set() or (self._cancel is not None and self._cancel.is_set())


@record(frozen=False)
class _Lookup:
    """One look-up: its question, the call that asks it, and (once done) its answer."""

    question: str
    ask: Callable[[], list[str]]
    ms: int = 0  # how long it took
    at_ms: int = 0  # when it ended, from the start of the search
    values: list[str] | None = None  # None until it ended
    error: ProbeError | None = None


Submit = Callable[..., Any]


class Search:
    """One search for the sending server of *domain*: its look-ups run as tasks
    (:meth:`start`), and each answer moves the walk down the sources (:meth:`_walk`)
    as far as the answers so far allow.  Answers arrive on any thread; the state is
    changed under the search's lock, and *on_step* / *on_done* are called outside it."""

    def __init__(self, net: Network, domain: str, timeout: float, cancel: threading.Event | None = None,
                 families: Sequence[str] = ("ipv4", "ipv6"),
                 on_step: Callable[[Step], None] | None = None) -> None:
        self.net, self.timeout, self.cancel = net, timeout, cancel
        self.domain = canonical(domain).strip("[]")
        self.families, self.on_step = tuple(families), on_step
        self.provider = provider_for(self.domain)
        self.t0 = time.monotonic()
        self._unsent: list[Step] = []  # steps recorded, not yet given to on_step
        # The one step recorder, used under the lock; its steps reach *on_step* from
        # _deliver, outside the lock, in the order they were recorded.
        self.recorder = StepRecorder(on_step=self._unsent.append)
        self.notes: list[TranscriptLine] = []
        self.errors: list[ProbeError] = []
        self._stop = _StopWhen(cancel)
        self.lookups = self._lookups()
        self.result: Discovery | Exception | None = None
        self._lock = threading.Lock()
        self._delivering = threading.Lock()  # steps reach on_step in the order they were made
        self._on_done: Callable[[Discovery | Exception], None] = lambda r: None
        self._walker = self._sources()

    @property
    def lookups_needed(self) -> int:
        return len(self.lookups)

    # -- the look-ups ---------------------------------------------------------------

    def _lookups(self) -> dict[str, _Lookup]:
        """Every look-up the sources may need (a known provider needs only SRV; an
        address typed after the @ needs none)."""
        if is_ip_literal(self.domain):
            return {}
        net, d, t, stop = self.net, self.domain, self.timeout, self._stop
        out: dict[str, _Lookup] = {}
        for source, label, _mode in SRV_SERVICES:
            name = f"{label}.{d}"
            out[source] = _Lookup(f"{name} SRV", functools.partial(_ask_dns, net, name, "SRV", t, stop))
        if self.provider is not None:
            return out
        for key, host in ((GUESS_PREFIXES[0], f"{GUESS_PREFIXES[0]}.{d}"),
                          (GUESS_PREFIXES[1], f"{GUESS_PREFIXES[1]}.{d}"), ("domain", d)):
            for family in self.families:  # one look-up per family, as the engine does
                out[f"{key} {family}"] = _Lookup(host, functools.partial(_ask_address, net, host, family, t, stop))
        out["mx"] = _Lookup(f"{d} MX", functools.partial(_ask_dns, net, d, "MX", t, stop))
        return out

    def start(self, submit: Submit, on_done: Callable[[Discovery | Exception], None]) -> None:
        """Submit every look-up (``submit(fn, *args)``, e.g. a pool's); *on_done* is
        called once with the :class:`Discovery` (or a look-up's bug), on the thread of
        the answer that decided it, or on this one when nothing needs looking up."""
        self._on_done = on_done
        self._note(0, f"looking for the sending server of {self.domain}: SRV records (RFC 6186), "
                      "the list of large providers, the usual names, MX, the domain itself")
        if is_ip_literal(self.domain):
            self._decide(_literal(self.domain))
        elif self.cancel is not None and self.cancel.is_set():
            self._decide(self._result(None, "cancelled"))
        else:
            for key in list(self.lookups):  # (the walk adds a name's combined answer under its own key)
                submit(self._look_up, key)
            return
        self._deliver()

    def _look_up(self, key: str) -> None:
        """Task: one look-up; then the walk goes as far as it can."""
        with self._lock:
            if self.result is not None:
                return  # decided while this one waited for a worker
            lookup = self.lookups[key]
        started = time.monotonic()
        values: list[str] = []
        error: ProbeError | Exception | None = None
        try:
            values = lookup.ask()
        except Exception as exc:  # noqa: BLE001 - a ProbeError is the answer; anything else a bug, handed on
            error = exc
        ended = time.monotonic()
        with self._lock:
            lookup.ms, lookup.at_ms = _ms(ended - started), _ms(ended - self.t0)
            if isinstance(error, ProbeError) or error is None:
                lookup.values, lookup.error = values, error
            elif self.result is None:
                self._decide(error)
            self._walk()
        self._deliver()

    def _walk(self) -> None:
        """(Under the lock.)  Go down the sources while the answers they need are in."""
        while self.result is None:
            try:
                waiting_for = next(self._walker)
            except StopIteration as found:
                value: _Found | None = found.value
                self._decide(self._result(value, None) if value else self._result(None, self._failure()))
                return
            except _Cancelled:
                self._decide(self._result(None, "cancelled"))
                return
            if self.lookups[waiting_for].values is None:
                return  # the walk resumes here when that answer arrives

    def _decide(self, result: Discovery | Exception) -> None:
        self.result = result
        self._stop.set()  # the answers still out are not needed

    def _deliver(self) -> None:
        """Outside the lock: the new steps, then (once) the result."""
        with self._delivering:
            with self._lock:
                steps = list(self._unsent)
                self._unsent.clear()
                result, done = self.result, self._on_done
                if result is not None:
                    self._on_done = lambda r: None
            if self.on_step is not None:
                for step in steps:
                    self.on_step(step)
            if result is not None:
                done(result)

    def _answer(self, key: str) -> Generator[str, None, tuple[list[str], ProbeError | None]]:
        """The answer of look-up *key*: waits (yields *key*) until it is in."""
        lookup = self.lookups[key]
        while lookup.values is None:
            yield key
        if lookup.error is not None:
            if lookup.error.failure == "cancelled":
                raise _Cancelled
            self.errors.append(lookup.error)
        return lookup.values, lookup.error

    def _addresses(self, key: str) -> Generator[str, None, tuple[list[str], ProbeError | None]]:
        """The addresses of a name in every family, or the most telling failure
        (cancelled, then dns_error, then the first family's)."""
        found: list[str] = []
        failures: list[ProbeError] = []
        for family in self.families:
            lookup = self.lookups[f"{key} {family}"]
            while lookup.values is None:
                yield f"{key} {family}"
            if lookup.error is not None and lookup.error.failure == "cancelled":
                raise _Cancelled
            found += lookup.values
            if lookup.error is not None:
                failures.append(lookup.error)
        self.lookups[key] = max((self.lookups[f"{key} {f}"] for f in self.families), key=lambda one: one.at_ms)
        if found:
            return found, None
        error = next((e for e in failures if e.failure == "dns_error"), None) \
            or (failures[0] if failures else ProbeError("nxdomain", f"{self.lookups[key].question}: no address"))
        self.errors.append(error)
        return [], error

    # -- the sources, in order ------------------------------------------------------

    def _sources(self) -> Generator[str, None, _Found | None]:
        """The walk down the sources; yields the key of each answer it waits for."""
        found = yield from self._from_srv()
        if found is None:
            found = self._from_provider()
        for prefix in GUESS_PREFIXES:
            if found is None:
                found = yield from self._from_guess(prefix)
        if found is None:
            found = yield from self._from_mx()
        if found is None:
            found = yield from self._from_domain()
        return found

    def _from_srv(self) -> Generator[str, None, _Found | None]:
        """Sources 1 and 2: both SRV answers are read (they give the ports); the
        implicit-TLS service wins, and its host's STARTTLS ports are added."""
        offered: dict[str, list[SrvRecord]] = {}
        for source, _label, _mode in SRV_SERVICES:
            values, error = yield from self._answer(source)
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

    def _from_guess(self, prefix: str) -> Generator[str, None, _Found | None]:
        """Source 4: ``smtp.DOMAIN`` / ``mail.DOMAIN``, when the name has an address."""
        values, error = yield from self._addresses(prefix)
        self._record(prefix, bool(values), self._detail(prefix, values, error))
        return _Found(f"{prefix}.{self.domain}", "guess") if values else None

    def _from_mx(self) -> Generator[str, None, _Found | None]:
        """Source 5: the most preferred MX host, unless the MX is null (RFC 7505)."""
        values, error = yield from self._answer("mx")
        hosts = [mx[1] for mx in (parse_mx(v) for v in values) if mx is not None and mx[1] != "."]
        if hosts:
            note = " (the incoming mail server, tried for sending)"
        else:
            note = " (null MX: this domain receives no mail)" if values else ""
        self._record("mx", bool(hosts), self._detail("mx", values, error, note))
        return _Found(hosts[0], "mx") if hosts else None

    def _from_domain(self) -> Generator[str, None, _Found | None]:
        """Source 6: the domain's own address."""
        values, error = yield from self._addresses("domain")
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
        self.recorder.add(step)
        self._note(at_ms, step.detail)

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
            steps=tuple(self.recorder.steps),
            transcript=tuple(sorted(self.notes, key=lambda line: line.ms)),
            duration_ms=ms,
        )


def _ask_dns(net: Network, name: str, rdtype: str, timeout: float, stop: threading.Event) -> list[str]:
    return net.dns_query(name, rdtype, timeout, stop)


def _ask_address(net: Network, host: str, family: str, timeout: float, stop: threading.Event) -> list[str]:
    return net.resolve(host, family, timeout, stop)


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


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))


# -- the check ----------------------------------------------------------------------------


def planned_check(domain: str) -> Check:
    """The discovery's row before it ran (grey, no cause), for the ``Planned`` event."""
    return Check(DISCOVERY_CHECK_ID, "dns", "target", canonical(domain), 0,
                 light="grey", cause="", where="unknown")


def discovery_check(d: Discovery) -> Check:
    """The finished ``Check(kind="dns", id="discover")``: verdict from the records
    by :func:`~smtpdiag.verdict.classify`; no words (the faces add them:
    :mod:`smtpdiag.report.discovery_words`)."""
    attempt = d.attempt
    verdict = classify([attempt], 0, family_partial=False)
    check = Check(DISCOVERY_CHECK_ID, "dns", "target", d.domain, 0,
                  duration_ms=d.duration_ms, steps=attempt.steps, transcript=attempt.transcript,
                  attempts=(attempt,), context=d.context())
    return check.with_(light=verdict.light, cause=verdict.cause, where=verdict.where)
