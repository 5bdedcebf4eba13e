"""Run a whole diagnosis: every port of the target and of the reference servers,
and every VPN protocol, concurrently; report progress; stop at once on cancel.

    Diagnosis(config, network, on_event)
      .start()   starts the work in the run's pool of worker threads and returns at once
      .cancel()  asks every probe to stop (they notice within ~0.1 s)
      .wait()    -> RunResult once everything finished (or was cancelled)
      .run()     start + wait

The work is tasks in one bounded pool (:mod:`smtpdiag.workers`, at most
:data:`~smtpdiag.workers.WORKERS` threads): each host's look-up per address family,
each family's attempt of a check, the discovery of an e-mail domain's server, the one
login, the clock query.  No task waits for another; what depends on other work starts
when that work ends:

    start ─> Planned; for each check: look up its host (once per host and family)
    host's addresses known ─> one attempt per family of each of its checks
    last attempt of a check ─> its verdict ─> CheckFinished
        (a target whose cause is "by control": when the reference checks of its port and
         mode are all done; with --user: every target row after the login)
    discovery done ─> Planned again if it found more ports; its port checks begin
    every target SMTP check done ─> the one login (with --user)
    everything done ─> the result (and the clock query) ─> Finished

Shared state (the plan, the finished checks, the hosts' addresses) is changed under
one lock; events are made under it and delivered in that order, one at a time.

A RunResult is the checks with their lights, causes and "where" and the overall
verdict: no words for people and nothing about this computer.  The faces turn it
into a report (:func:`smtpdiag.report.model.report_of`), which adds the words and
the environment.

Events (plain values, delivered on worker threads one at a time, in order; the
window's bridge moves them to the GUI thread): :class:`Planned`, :class:`StepRecorded`,
:class:`CheckFinished`, :class:`Finished`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

from . import runlog
from .causes import CAUSES
from .config import KNOWN_CONTROL_PORTS, PortSpec, RunConfig, VpnSpec
from .frozen import record, replace
from .net import Network, ProbeError, family_of
from .probe.login import choose_login, encrypted_and_verified, login_secrets, scrub_after_login
from .probe.smtp import ProbeSettings, probe_smtp, skipped_auth_step
from .records import Attempt, Check, Step, TranscriptLine, internal_error_attempt, utc_now
from .target import ip_address_of
from .verdict import Overall, classify, is_offline, is_reference_for, overall
from .workers import WORKERS, Pool

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from .probe.discover import Discovery



@record
class Planned:
    checks: tuple[Check, ...]


@record
class StepRecorded:
    check_id: str
    step: Step


@record
class CheckFinished:
    check: Check


@record
class RunResult:
    """What a run found: every planned check, finished (or cancelled), in plan order."""

    config: RunConfig  # as run: after discovery, the server and ports that were tested
    checks: tuple[Check, ...]
    started_at: str  # UTC, ISO 8601 ("2026-11-30T09:00:00Z")
    lookups: tuple[dict[str, object], ...] | None = None  # every address each name resolved to
    clock: dict[str, object] | None = None  # the time server's answer, when one was asked

    @property
    def verdict(self) -> Overall:
        """The overall light, cause and where of the run."""
        return overall(list(self.checks))


@record
class Finished:
    result: RunResult


Event = Planned | StepRecorded | CheckFinished | Finished


def check_id(role: str, host: str, port: int, protocol: str | None = None, index: int = 0,
             mode: str | None = None) -> str:
    """``target-587``, ``control2-587``, ``vpn-HOST-ike``; a port given with two modes
    gets the mode too (``target-9-starttls``, ``target-9-implicit``)."""
    if protocol:
        return f"vpn-{host}-{protocol}"
    suffix = f"-{mode}" if mode else ""
    if role == "target":
        return f"target-{port}{suffix}"
    return f"control{index + 1}-{port}{suffix}"


def unique_ids(checks: list[Check]) -> list[Check]:
    """Make every id unique (a VPN protocol asked for twice on two ports gets its port)."""
    seen: dict[str, int] = {}
    out = []
    for c in checks:
        new_id = c.id
        if new_id in seen and c.kind == "vpn":
            new_id = f"{c.id}-{c.port}"
        while new_id in seen:
            seen[c.id] += 1
            new_id = f"{c.id}-{seen[c.id]}"
        seen.setdefault(new_id, 1)
        seen.setdefault(c.id, 1)
        out.append(c if new_id == c.id else c.with_(id=new_id))
    return out


def account_checks(config: RunConfig, host: str) -> list[Check]:
    """A check for each port and security a mail program on this computer uses for
    *host* that no target check tests already (role ``account``, id ``account-PORT-MODE``).
    With an e-mail address as the target, also the settings of that address's accounts
    on another server (id ``account-HOST-PORT-MODE``): the server the program really uses."""
    key = host.rstrip(".").lower()
    have = {(key, p.port, p.mode) for p in config.ports}
    email = config.target.strip().lower() if config.email_domain and "@" in config.target else None
    out: list[Check] = []
    for s in config.account_settings:
        other = s.host.rstrip(".").lower()
        if s.mode not in ("starttls", "implicit") or (other, s.port, s.mode) in have:
            continue
        if other != key and (email is None or s.account.strip().lower() != email):
            continue
        have.add((other, s.port, s.mode))
        ident = f"account-{s.port}-{s.mode}" if other == key else f"account-{other}-{s.port}-{s.mode}"
        out.append(Check(ident, "smtp", "account", s.host if other != key else host, s.port, s.mode,
                         cause="", light="grey", where="unknown"))
    return out


def _literal(host: str) -> str | None:
    """The address when *host* is an IP address literal (nothing to look up)."""
    ip = ip_address_of(host)
    return str(ip) if ip is not None else None


class _Host:
    """One host's addresses per family, looked up once (one task per family) and shared
    by its checks.  Read and changed under the run's lock; ``name`` and ``literal``
    never change, and ``ms`` is set once, before any attempt on the host begins."""

    def __init__(self, name: str, families: tuple[str, ...]) -> None:
        self.name = name
        self.literal = _literal(name)
        self.t0 = time.monotonic()
        self.ms = 0  # how long the look-ups took, once all are done
        self.families = families
        self.results: dict[str, list[str] | BaseException] = {}  # addresses, a ProbeError, or a bug
        self.waiting: list[Check] = []  # checks to start once every family is known
        if self.literal:
            self.families = (family_of(self.literal),)
            self.results = {self.families[0]: [self.literal]}

    @property
    def done(self) -> bool:
        return len(self.results) == len(self.families)


def _resolve_failure(res: dict[str, list[str] | BaseException]) -> ProbeError | None:
    """The DNS failure for a host none of whose families has an address."""
    errors = [v for v in res.values() if isinstance(v, ProbeError)]
    if len(errors) < len(res):
        return None
    for e in errors:
        if e.failure == "cancelled":
            return e
    for e in errors:
        if e.failure == "dns_error":
            return e
    return errors[0] if errors else ProbeError("nxdomain")


class Diagnosis:
    """One run.  Its work is tasks in one bounded pool (:mod:`smtpdiag.workers`): a
    host's look-up per family, one family's attempt of a check, the discovery, the one
    login, the clock query.  No task waits for another: what depends on other work
    starts when that work ends (see :meth:`_advance` and the ``_after_*`` methods)."""

    def __init__(self, config: RunConfig, network: Network | None = None,
                 on_event: Callable[[Event], None] | None = None, workers: int = WORKERS) -> None:
        self.config = config  # as run: replaced (under the lock) when discovery finds the server
        self._given = config  # as given: never replaced; the tasks read their settings here
        self.net = network or Network()
        self.on_event = on_event or (lambda e: None)
        self.cancel_event = threading.Event()
        self.started_at = ""
        self._pool = Pool(workers)
        self._done = threading.Event()
        self._result: RunResult | None = None
        # Shared by the tasks: read and changed under _lock only.
        self._lock = threading.Lock()
        self._planned: list[Check] = []
        self._results: dict[str, Check] = {}  # finished checks by id (rows held for the login too)
        self._hosts: dict[str, _Host] = {}
        self._began: dict[str, float] = {}  # when each check began (monotonic)
        self._running: dict[str, tuple[list[str], dict[str, Attempt]]] = {}  # id -> (families, attempts so far)
        self._awaiting: dict[str, tuple[Check, list[Attempt], int]] = {}  # by_control targets -> reference checks
        self._held: set[str] = set()  # finished target checks whose row waits for the login
        self._discovering = False
        self._login = "done"  # "waiting" (a user is given) -> "running" -> "done"
        self._finishing = False
        # Events leave one at a time, in the order they were made under _lock (_flush).
        self._outbox: list[Event] = []
        self._delivering = threading.Lock()

    # -- planning ------------------------------------------------------------------
    def plan(self) -> list[Check]:
        c = self.config
        checks: list[Check] = []
        for p in c.ports:
            checks.append(Check(check_id("target", c.host, p.port, mode=self._mode_in_id(p)), "smtp", "target",
                                c.host, p.port, p.mode, cause="", light="grey", where="unknown"))
        for i, ctrl in enumerate(c.controls):
            served = KNOWN_CONTROL_PORTS.get(ctrl)
            for p in c.ports:
                if served is not None and p.port not in served:
                    continue
                checks.append(Check(check_id("control", ctrl, p.port, index=i, mode=self._mode_in_id(p)), "smtp",
                                    "control", ctrl, p.port, p.mode, cause="", light="grey", where="unknown"))
        for v in c.vpn:
            checks.append(Check(check_id("target", v.host, v.port, v.protocol), "vpn", "target", v.host,
                                v.port, None, v.protocol, cause="", light="grey", where="unknown"))
        if not c.email_domain:  # with an e-mail address, the server is known after discovery
            checks += account_checks(c, c.host)
        return unique_ids(checks)

    def _mode_in_id(self, p: PortSpec) -> str | None:
        """The mode belongs in the id only when the same port is tested in two modes."""
        return p.mode if sum(1 for q in self.config.ports if q.port == p.port) > 1 else None

    # -- running -------------------------------------------------------------------
    def start(self) -> None:
        self.started_at = utc_now()
        planned = self.plan()
        domain = self._given.email_domain
        if domain:
            from .probe.discover import planned_check  # only an e-mail address needs discovery

            planned.insert(0, planned_check(domain))
        with self._lock:
            self._planned = planned
            self._outbox.append(Planned(tuple(planned)))
            self._login = "waiting" if self._given.user else "done"
            self._discovering = bool(domain)
            waiting = [c for c in planned if domain and c.role == "target" and c.kind == "smtp"]
        if domain:
            self._start_discovery(domain, waiting)  # first: its look-ups lead the queue
        with self._lock:
            for check in planned:
                if check.kind != "dns" and check not in waiting:  # the target's ports wait for discovery
                    self._begin(check)
            self._advance()
        self._flush()

    def cancel(self) -> None:
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        """The result once ``Finished`` has been delivered, or None after *timeout*."""
        self._done.wait(timeout)
        return self._result if self._done.is_set() else None

    def run(self) -> RunResult:
        self.start()
        result = self.wait()
        assert result is not None
        return result

    # -- events --------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        with self._lock:
            self._outbox.append(event)
        self._flush()

    def _flush(self) -> None:
        """Deliver the waiting events in order, one at a time: whichever thread finds
        nobody delivering delivers everything that is waiting, also for the others."""
        while self._delivering.acquire(blocking=False):
            try:
                while True:
                    with self._lock:
                        batch, self._outbox = self._outbox, []
                    if not batch:
                        break
                    for event in batch:
                        self._deliver(event)
            finally:
                self._delivering.release()
            with self._lock:
                if not self._outbox:
                    return

    def _deliver(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception as exc:  # noqa: BLE001 - a face's bug must not stop the run
            runlog.error(f"an event handler failed on {type(event).__name__}", exc)
        finally:
            if isinstance(event, Finished):
                self._done.set()

    def _on_step(self, check_id_: str) -> Callable[[Step], None]:
        return lambda step: self._emit(StepRecorded(check_id_, step))

    # -- the state machine (every method here runs under _lock) ----------------------
    def _begin(self, check: Check) -> None:
        """Start *check*: look up its host (once per host), then its attempts."""
        self._began[check.id] = time.monotonic()
        host = self._hosts.get(check.host)
        if host is None:
            host = self._hosts[check.host] = _Host(check.host, self._given.families)
            if not host.done:
                for family in host.families:
                    self._pool.submit(self._resolve, host, family)
        if host.done:
            self._launch(check, host)
        else:
            host.waiting.append(check)

    def _launch(self, check: Check, host: _Host) -> None:
        """The host's addresses are known: one attempt task per family (or the DNS failure)."""
        try:
            bug = next((v for v in host.results.values()
                        if isinstance(v, BaseException) and not isinstance(v, ProbeError)), None)
            if bug is not None:
                self._attempts_done(check, [internal_error_attempt(f"looking up {host.name}", bug)])
                return
            failure = _resolve_failure(host.results)
            if failure is not None:
                step = Step("resolve", False, host.ms, f"{check.host}: {failure.detail}", failure.failure)
                self._outbox.append(StepRecorded(check.id, step))
                note = TranscriptLine(0, "note", f"looking up {check.host}: {failure.detail}")
                self._attempts_done(check, [Attempt("none", None, (step,), (note,))])
                return
            by_family = {f: v for f, v in host.results.items() if isinstance(v, list) and v}
            families: list[str] = [f for f in ("ipv4", "ipv6") if f in by_family]
            if not families:
                self._attempts_done(check, [])
                return
            self._running[check.id] = (families, {})
            for family in families:
                self._pool.submit(self._attempt, check, host, family, by_family[family])
        except Exception as exc:  # noqa: BLE001 - a bug: this check is internal_error, the run goes on
            self._running.pop(check.id, None)
            self._attempts_done(check, [internal_error_attempt(check.id, exc)])

    def _attempts_done(self, check: Check, attempts: list[Attempt]) -> None:
        """Every family of *check* was tried: its verdict, now or when the reference
        servers' checks of its port and mode are done (a "by control" cause)."""
        duration = int((time.monotonic() - self._began.get(check.id, time.monotonic())) * 1000)
        done = self._finalise_safely(check, attempts, duration, None)
        if check.role == "target" and check.kind == "smtp" and CAUSES[done.cause].where == "by_control":
            # Who is at fault depends on the reference servers: the row is shown when
            # they are done, so that its words are final.
            self._awaiting[check.id] = (check, attempts, duration)
            self._answer_awaiting()
        else:
            self._check_done(done)

    def _controls_of(self, check: Check, partial: bool = False) -> list[Check] | None:
        """The reference servers' finished checks on the port and mode of *check*, or
        None while one is still running (*partial*: those finished so far)."""
        wanted = [c.id for c in self._planned if is_reference_for(c, check)]
        if not partial and any(i not in self._results for i in wanted):
            return None
        return [self._results[i] for i in wanted if i in self._results]

    def _answer_awaiting(self) -> None:
        for cid, (check, attempts, duration) in list(self._awaiting.items()):
            controls = self._controls_of(check)
            if controls is not None:
                del self._awaiting[cid]
                self._check_done(self._finalise_safely(check, attempts, duration, controls))

    def _check_done(self, done: Check) -> None:
        """*done* is final: its row is shown (a target's after the login, with a user)."""
        self._results[done.id] = done
        if self._given.user and done.role == "target" and done.kind == "smtp":
            self._held.add(done.id)  # its row is final only after the run's one login
        else:
            self._outbox.append(CheckFinished(done))
        if done.role == "control" and self._awaiting:
            self._answer_awaiting()

    def _advance(self) -> None:
        """Start what waited for the work that just ended: the login once every target
        SMTP check is done, the end of the run once everything is."""
        if self._finishing or self._discovering or self._login == "running":
            return
        if self._login == "waiting":
            targets = [c for c in self._planned if c.role == "target" and c.kind == "smtp"]
            if all(c.id in self._results for c in targets):
                self._login = "running"
                self._pool.submit(self._log_in)
            return
        if all(c.id in self._results for c in self._planned):
            self._finishing = True
            self._pool.submit(self._finish)

    # -- the tasks -----------------------------------------------------------------------
    def _resolve(self, host: _Host, family: str) -> None:
        """Task: *host*'s addresses in *family*."""
        value: list[str] | BaseException
        try:
            value = self.net.resolve(host.name, family, self._given.timeout, self.cancel_event)
        except Exception as exc:  # noqa: BLE001 - a ProbeError is the answer; anything else a bug (internal_error)
            value = exc
        with self._lock:
            host.results[family] = value
            if host.done:
                host.ms = int((time.monotonic() - host.t0) * 1000)
                waiting, host.waiting = host.waiting, []
                for check in waiting:
                    self._launch(check, host)
            self._advance()
        self._flush()

    def _attempt(self, check: Check, host: _Host, family: str, addresses: list[str]) -> None:
        """Task: one family's attempt of *check* (the first address of that family)."""
        address = addresses[0]
        try:
            if check.kind == "vpn":
                attempt = self._vpn_attempt(check, host, family, addresses)
            else:
                attempt = self._smtp_attempt(check, host, family, addresses)
        except Exception as exc:  # noqa: BLE001 - this family's internal_error; the other family stays
            attempt = internal_error_attempt(f"{family} {address}", exc, family, address)
        with self._lock:
            families, attempts = self._running[check.id]
            attempts[family] = attempt
            if len(attempts) == len(families):
                del self._running[check.id]
                self._attempts_done(check, [attempts[f] for f in families])
            self._advance()
        self._flush()

    def _smtp_attempt(self, check: Check, host: _Host, family: str, addresses: list[str]) -> Attempt:
        c = self._given
        # No login here: the run's one login is tried afterwards (_log_in).
        settings = ProbeSettings(
            host=check.host, port=check.port, mode=check.mode or "starttls", timeout=c.timeout,
            ca_file=c.ca_file, ehlo_name=c.ehlo_name)
        attempt = probe_smtp(self.net, addresses[0], settings, self.cancel_event, self._on_step(check.id))
        rstep = _resolve_step(host, addresses)
        return Attempt(attempt.family, attempt.address, (rstep, *attempt.steps),
                       attempt.transcript, attempt.tls, attempt.duration_ms)

    def _vpn_attempt(self, check: Check, host: _Host, family: str, addresses: list[str]) -> Attempt:
        from .probe.vpn import probe_vpn

        t = time.monotonic()
        steps, transcript = probe_vpn(self.net, addresses[0], check.protocol or "", check.port,
                                      self._given.timeout, self.cancel_event,
                                      server_name=None if host.literal else check.host)
        rstep = _resolve_step(host, addresses)
        return Attempt(family, addresses[0], (rstep, *steps), transcript, None,  # type: ignore[arg-type]
                       int((time.monotonic() - t) * 1000))

    def _start_discovery(self, domain: str, waiting: list[Check]) -> None:
        """Start the search for the domain's sending server: its look-ups are tasks
        (:class:`smtpdiag.probe.discover.Search`); :meth:`_discovered` follows."""
        from .probe.discover import DISCOVERY_CHECK_ID, Search

        c = self._given
        done = functools.partial(self._discovered, domain, waiting)
        try:
            search = Search(self.net, domain, c.timeout, self.cancel_event, c.families,
                            on_step=self._on_step(DISCOVERY_CHECK_ID))
            search.start(self._pool.submit, done)
        except Exception as exc:  # noqa: BLE001 - a bug: the search is internal_error
            done(exc)

    def _discovered(self, domain: str, waiting: list[Check], found: Discovery | Exception) -> None:
        """The search ended (on the thread of its deciding answer): its row, then the
        port checks that waited for it begin."""
        from .probe.discover import discovery_check, planned_check

        search: Discovery | None = None
        try:
            if isinstance(found, Exception):
                raise found
            done = discovery_check(found)
            search = found
        except Exception as exc:  # noqa: BLE001 - a bug: the search and the checks waiting for it are internal_error
            done = self._finalise_safely(planned_check(domain), [internal_error_attempt("the discovery", exc)],
                                         0, None)
        with self._lock:
            if not self._discovering:
                return  # already ended (a bug reported after the search had started)
            self._results[done.id] = done
            self._outbox.append(CheckFinished(done))
            self._discovering = False
            try:
                self._after_discovery(search, done, waiting)
            except Exception as exc:  # noqa: BLE001 - a bug: the waiting checks are internal_error
                attempt = internal_error_attempt("after the discovery", exc)
                for check in waiting:
                    if check.id not in self._results:
                        self._check_done(self._finalise_safely(check, [attempt], 0, None))
            self._advance()
        self._flush()

    def _after_discovery(self, found: Discovery | None, done: Check, waiting: list[Check]) -> None:
        """(Under the lock.)  The port checks that waited for the discovery begin on the
        server it found, with a new plan when it found more ports; or they all get the
        search's cause."""
        if found is None:  # the search met a bug: so do the checks that waited for it
            for check in waiting:
                self._check_done(self._finalise_safely(check, list(done.attempts), 0, None))
            return
        if self.cancel_event.is_set():
            for check in waiting:  # not tested: the report says so (no row event, as before the run)
                self._results[check.id] = check.with_(light="grey", cause="cancelled")
            return
        if found.host is None:
            # No server to test: every port check gets the discovery's DNS cause.
            attempt = Attempt("none", None, (found.steps[-1],), (), None, 0)
            for check in waiting:
                self._check_done(self._finalise_safely(check, [attempt], found.duration_ms, None))
            return
        c = self._given
        ports = list(c.ports)
        if not c.ports_given and found.ports:
            ports += [p for p in found.ports if p.port not in {q.port for q in ports}]
        targets = [chk.with_(host=found.host) for chk in waiting]
        extra = [Check(check_id("target", found.host, p.port), "smtp", "target", found.host, p.port, p.mode,
                       cause="", light="grey", where="unknown") for p in ports[len(c.ports):]]
        found_config = replace(c, host=found.host, ports=tuple(ports))
        extra += account_checks(found_config, found.host)
        self.config = found_config  # frozen: whoever took the old one keeps a consistent one
        rest = [chk for chk in self._planned if chk not in waiting and chk.kind != "dns"]
        self._planned = [self._planned[0], *targets, *extra, *rest]  # the discovery row stays first
        if extra:
            # A new row: plan again, and repeat what already finished so nothing is lost.
            self._outbox.append(Planned(tuple(self._planned)))
            self._outbox.extend(CheckFinished(r) for r in self._results.values() if r.id not in self._held)
        for check in (*targets, *extra):
            self._begin(check)

    def _log_in(self) -> None:
        """Task: the run's one login (every target SMTP check is done); then their rows."""
        try:
            self._log_in_once()
        except Exception as exc:  # noqa: BLE001 - the login could not be judged: internal_error
            runlog.error("the login failed unexpectedly", exc)
            step = Step("auth", False, 0, f"internal error: {type(exc).__name__}: {str(exc)[:200]}",
                        "internal_error")
            with self._lock:
                for cid in list(self._held):
                    check = self._results[cid]
                    attempts = [replace(a, steps=(*a.steps, step)) if a.address else a
                                for a in check.attempts]
                    self._results[cid] = self._finalise_safely(check, attempts, check.duration_ms,
                                                               self._controls_of(check, partial=True))
        with self._lock:
            held = [self._results[p.id] for p in self._planned if p.id in self._held]
            self._held.clear()
            self._outbox.extend(CheckFinished(done) for done in held)
            self._login = "done"
            self._advance()
        self._flush()

    def _finish(self) -> None:
        """Task: every check is done: the result (asking a time server when a certificate
        looks out of date), then ``Finished``."""
        try:
            result = self._build_result()
            if self._given.controls and is_offline(list(result.checks)):
                result = self._offline(result)
        except Exception as exc:  # noqa: BLE001 - a bug: the checks as they are, never a hung run
            runlog.error("the run's result could not be built", exc)
            with self._lock:
                checks = tuple(self._results.get(p.id) or p.with_(light="grey", cause="internal_error")
                               for p in self._planned)
                result = RunResult(self.config, checks, self.started_at)
        try:
            clock = self._clock_check(list(result.checks))
        except Exception as exc:  # noqa: BLE001 - a bug in the clock query: said, never hidden
            runlog.error("the clock query failed unexpectedly", exc)
            clock = {"server": self._given.time_server, "checked_at": utc_now(), "offset_s": None,
                     "error": f"internal error: {type(exc).__name__}"}
        result = replace(result, clock=clock)
        with self._lock:
            self._result = result
            self._outbox.append(Finished(result))
        self._pool.close()
        self._flush()

    # -- the one login ----------------------------------------------------------------
    def _log_in_once(self) -> None:
        """Try the login once, on the first submission port whose TLS verified (465, 587,
        2525, then the others), over a new connection; every other target check records an
        ``auth`` step saying why it did not log in.  A second wrong password can lock the
        account, so there is never a second try."""
        c = self._given
        if not c.user or c.password is None or self.cancel_event.is_set():
            return
        with self._lock:
            targets = [self._results[p.id] for p in self._planned
                       if p.role == "target" and p.kind == "smtp" and p.id in self._results]
        chosen = choose_login(targets)
        login_step: Step | None = None
        if chosen is None:
            skipped = skipped_auth_step("login not tried: no submission port's connection was encrypted "
                                        "with a verified certificate, so the password was not sent")
        else:
            check, index = chosen
            skipped = skipped_auth_step(f"not tried again: smtpdiag logs in once per run (on port {check.port}), "
                                        "because a second wrong password can lock the account")
            login_step, lines = self._login_attempt(check, check.attempts[index])
        for check in targets:
            attempts = list(check.attempts)
            for i, a in enumerate(attempts):
                if chosen is not None and check is chosen[0] and i == chosen[1]:
                    assert login_step is not None
                    note = TranscriptLine(a.duration_ms, "note",
                                          "logging in (once per run) over a new connection to this port")
                    shifted = tuple(replace(t, ms=t.ms + a.duration_ms) for t in lines)
                    attempts[i] = replace(a, steps=(*a.steps, login_step),
                                                      transcript=(*a.transcript, note, *shifted))
                elif a.address is not None:
                    attempts[i] = replace(a, steps=(*a.steps, skipped))
            with self._lock:
                # A by_control target's row waited for its reference checks: they are done.
                controls = self._controls_of(check, partial=True)
                self._results[check.id] = self._finalise(check, attempts, check.duration_ms, controls=controls)

    def _login_attempt(self, check: Check, attempt: Attempt) -> tuple[Step, tuple[TranscriptLine, ...]]:
        """Connect again to the address whose TLS verified and log in; the auth step and transcript."""
        c = self._given
        settings = ProbeSettings(
            host=check.host, port=check.port, mode=check.mode or "starttls", timeout=c.timeout,
            ca_file=c.ca_file, ehlo_name=c.ehlo_name, user=c.user, password=c.password)
        result = probe_smtp(self.net, attempt.address or "", settings, self.cancel_event)
        auth = next((s for s in result.steps if s.step == "auth"), None)
        if auth is None or (auth.failure == "not_tried" and not encrypted_and_verified(result.steps)):
            failed = next((s for s in result.steps if not s.ok and s.step != "auth"), None)
            why = f"{failed.step}: {failed.detail}" if failed else "it did not get that far"
            auth = skipped_auth_step(f"login not tried: the new connection for the login failed at {why}")
        self._emit(StepRecorded(check.id, auth))
        # A hostile server may echo the login after it too (in its answer to QUIT).
        return auth, scrub_after_login(result.transcript, login_secrets(c.user or "", c.password or ""))

    # -- verdicts --------------------------------------------------------------------
    def _offline(self, result: RunResult) -> RunResult:
        """Every name failed or nothing had a route, reference servers too: say
        that this computer is offline, on every row it explains.  The rows were
        already shown with their own causes; the window shows the final report."""
        final: list[Check] = []
        for check in result.checks:
            if check.kind == "smtp":
                check = check.with_(light="red", cause="offline", where="network")
            final.append(check)
        return replace(result, checks=tuple(final))  # what the look-ups found stays

    def _finalise(self, check: Check, attempts: list[Attempt], duration_ms: int,
                  controls: list[Check] | None) -> Check:
        verdict = classify(attempts, check.port, controls or [],
                           intercept_kind=_intercept_kind(attempts), family_partial=check.kind == "smtp")
        chosen = attempts[verdict.attempt] if attempts else None
        done = check.with_(
            light=verdict.light, cause=verdict.cause, where=verdict.where,
            address=chosen.address if chosen else None, duration_ms=duration_ms,
            steps=chosen.steps if chosen else (), transcript=chosen.transcript if chosen else (),
            tls=chosen.tls if chosen else None, attempts=tuple(attempts),
        )
        return done

    def _finalise_safely(self, check: Check, attempts: list[Attempt], duration_ms: int,
                         controls: list[Check] | None) -> Check:
        """:meth:`_finalise`, and a bug in it is the check's ``internal_error``."""
        try:
            return self._finalise(check, attempts, duration_ms, controls)
        except Exception as exc:  # noqa: BLE001 - never a hung run nor a silent cancelled
            attempt = internal_error_attempt(f"the verdict of {check.id}", exc)
            return check.with_(light="grey", cause="internal_error", where=CAUSES["internal_error"].where,
                               duration_ms=duration_ms, steps=attempt.steps, transcript=attempt.transcript,
                               attempts=(*attempts, attempt))

    def _build_result(self) -> RunResult:
        """The run's checks in plan order, the targets judged again against every
        reference check of their port and mode (all are done now)."""
        with self._lock:
            results = dict(self._results)
            planned_checks = list(self._planned)
            config = self.config
        final: list[Check] = []
        for planned in planned_checks:
            check = results.get(planned.id) or planned.with_(light="grey", cause="cancelled")
            if check.role == "target" and check.kind == "smtp" and check.attempts:
                controls = [results[c.id] for c in planned_checks
                            if is_reference_for(c, check) and c.id in results]
                check = self._finalise(check, list(check.attempts), check.duration_ms, controls)
            final.append(check)
        return RunResult(config, tuple(final), self.started_at, lookups=tuple(self._lookups()))

    def _clock_check(self, checks: list[Check]) -> dict[str, object] | None:
        """When a certificate looks out of date: ask a time server whether this clock is right."""
        server = self._given.time_server
        if not server or not any(c.cause == "tls_expired" for c in checks):
            return None
        from .probe.clock import BadReply, query_offset

        started = utc_now()
        try:
            offset = query_offset(self.net, server, min(self._given.timeout, 5.0), self.cancel_event)
        except ProbeError as exc:
            return {"server": server, "checked_at": started, "offset_s": None, "error": exc.detail or exc.failure}
        except BadReply as exc:
            return {"server": server, "checked_at": started, "offset_s": None, "error": str(exc)}
        return {"server": server, "checked_at": started, "offset_s": round(offset, 3), "error": None}

    def _lookups(self) -> list[dict[str, object]]:
        """Every address the resolver returned for each host name (for the report)."""
        out: list[dict[str, object]] = []
        with self._lock:
            for host in self._hosts.values():
                if host.literal or not host.done:
                    continue
                addresses: list[str] = []
                for family in ("ipv4", "ipv6"):
                    found = host.results.get(family)
                    if isinstance(found, list):
                        addresses += found
                out.append({"host": host.name, "addresses": addresses})
        return out


def _resolve_step(host: _Host, addresses: list[str]) -> Step:
    """The ``resolve`` step at the head of each attempt of a check on *host*."""
    detail = f"{host.name} -> {', '.join(addresses[:4])}" + (" ..." if len(addresses) > 4 else "")
    if host.literal:
        detail = f"{host.name} is an address: nothing to look up"
    return Step("resolve", True, host.ms, detail)


def _intercept_kind(attempts: list[Attempt]) -> str | None:
    from .probe.tls import interceptors

    for a in attempts:
        if a.tls and a.tls.intercepted_by:
            for item in interceptors():
                if item.product == a.tls.intercepted_by:
                    return item.kind
    return None


def run_diagnosis(config: RunConfig, network: Network | None = None,
                  on_event: Callable[[Event], None] | None = None) -> RunResult:
    return Diagnosis(config, network, on_event).run()


__all__ = ["Diagnosis", "run_diagnosis", "RunResult", "Planned", "StepRecorded", "CheckFinished", "Finished",
           "PortSpec", "VpnSpec", "RunConfig"]
