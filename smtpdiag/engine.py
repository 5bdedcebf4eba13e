"""Run a whole diagnosis: every port of the target and of the reference servers,
and every VPN protocol, concurrently; report progress; stop at once on cancel.

    Diagnosis(config, network, on_event)
      .start()   starts the work in daemon threads and returns at once
      .cancel()  asks every probe to stop (they notice within ~0.1 s)
      .wait()    -> RunResult once everything finished (or was cancelled)
      .run()     start + wait

A RunResult is the checks with their lights, causes and "where" and the overall
verdict: no words for people and nothing about this computer.  The faces turn it
into a report (:func:`smtpdiag.report.model.report_of`), which adds the words and
the environment.

Events (plain values, delivered on worker threads; the window's bridge moves
them to the GUI thread): :class:`Planned`, :class:`StepRecorded`,
:class:`CheckFinished`, :class:`Finished`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .causes import CAUSES
from .config import KNOWN_CONTROL_PORTS, PortSpec, RunConfig, VpnSpec
from .net import Network, ProbeError, family_of, per_family
from .probe.login import choose_login, encrypted_and_verified, login_secrets, scrub_after_login
from .probe.smtp import ProbeSettings, probe_smtp, skipped_auth_step
from .records import Attempt, Check, Step, TranscriptLine, internal_error_attempt
from .verdict import Overall, classify, is_offline, overall


@dataclass(frozen=True)
class Planned:
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class StepRecorded:
    check_id: str
    step: Step


@dataclass(frozen=True)
class CheckFinished:
    check: Check


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


class HostResolution:
    """The addresses of one host per family, resolved once and shared by its checks."""

    def __init__(self, net: Network, host: str, timeout: float, cancel: threading.Event,
                 families: tuple[str, ...]) -> None:
        self.host = host
        self.done = threading.Event()
        self.results: dict[str, list[str] | ProbeError] = {}
        self.ms = 0
        self._net, self._timeout, self._cancel, self._families = net, timeout, cancel, families
        self._lock = threading.Lock()
        self._started = False

    def literal(self) -> str | None:
        import ipaddress

        try:
            return str(ipaddress.ip_address(self.host))
        except ValueError:
            return None

    def get(self) -> dict[str, list[str] | ProbeError]:
        with self._lock:
            start = not self._started
            self._started = True
        if start:
            self._resolve()
        else:
            while not self.done.wait(0.1):
                if self._cancel.is_set():
                    return {f: ProbeError("cancelled") for f in self._families}
        return self.results

    def _resolve(self) -> None:
        t = time.monotonic()
        literal = self.literal()
        if literal:
            fam = family_of(literal)
            self.results = {fam: [literal]}
        else:
            out: dict[str, list[str] | ProbeError] = {}

            def one(family: str) -> None:
                try:
                    out[family] = self._net.resolve(self.host, family, self._timeout, self._cancel)
                except ProbeError as exc:
                    out[family] = exc

            per_family(self._families, one)
            self.results = {f: out[f] for f in self._families}
        self.ms = int((time.monotonic() - t) * 1000)
        self.done.set()


def _resolve_failure(res: dict[str, list[str] | ProbeError]) -> ProbeError | None:
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
    def __init__(self, config: RunConfig, network: Network | None = None,
                 on_event: Callable[[Event], None] | None = None) -> None:
        self.config = config
        self.net = network or Network()
        self.on_event = on_event or (lambda e: None)
        self.cancel_event = threading.Event()
        self.started_at = ""
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._results: dict[str, Check] = {}
        self._planned: list[Check] = []
        self._result: RunResult | None = None
        self._resolutions: dict[str, HostResolution] = {}
        self._threads: list[threading.Thread] = []
        self._target_threads: list[threading.Thread] = []  # target SMTP checks: the login waits for them
        self._held: set[str] = set()  # finished target checks whose row waits for the login
        self._coordinator: threading.Thread | None = None
        self._check_done = threading.Event()  # pulsed whenever a check finishes
        self._t0 = 0.0

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

    def _resolution(self, host: str) -> HostResolution:
        with self._lock:
            if host not in self._resolutions:
                self._resolutions[host] = HostResolution(
                    self.net, host, self.config.timeout, self.cancel_event, self.config.families)
            return self._resolutions[host]

    # -- running -------------------------------------------------------------------
    def start(self) -> None:
        self._t0 = time.monotonic()
        self.started_at = utc_now()
        self._planned = self.plan()
        domain = self.config.email_domain
        waiting: list[Check] = []
        if domain:
            # The target's ports wait for discovery; reference servers and VPN start now.
            from .probe.discover import planned_check  # only an e-mail address needs discovery

            self._planned.insert(0, planned_check(domain))
            waiting = [c for c in self._planned if c.role == "target" and c.kind == "smtp"]
        self.on_event(Planned(tuple(self._planned)))
        for check in self._planned:
            if check in waiting or check.kind == "dns":
                continue
            self._spawn(check)
        if domain:
            self._coordinator = threading.Thread(target=self._discover_then_probe, args=(domain, waiting),
                                                 daemon=True, name="smtpdiag-discover")
            self._coordinator.start()
        threading.Thread(target=self._finish_when_done, daemon=True, name="smtpdiag-finish").start()

    def _spawn(self, check: Check) -> None:
        th = threading.Thread(target=self._run_check, args=(check,), daemon=True, name=f"smtpdiag-{check.id}")
        with self._lock:
            self._threads.append(th)
            if check.role == "target" and check.kind == "smtp":
                self._target_threads.append(th)
        th.start()

    def _discover_then_probe(self, domain: str, waiting: list[Check]) -> None:
        """Find the domain's sending server, then probe it on every port."""
        from .probe.discover import DISCOVERY_CHECK_ID, discover, discovery_check

        c = self.config
        found = discover(self.net, domain, c.timeout, self.cancel_event, c.families,
                         on_step=self._on_step(DISCOVERY_CHECK_ID))
        done = discovery_check(found)
        with self._lock:
            self._results[done.id] = done
        self.on_event(CheckFinished(done))
        if self.cancel_event.is_set():
            return
        if found.host is None:
            # No server to test: every port check gets the discovery's DNS cause.
            for check in waiting:
                attempt = Attempt("none", None, (found.steps[-1],), (), None, 0)
                result = self._finalise(check, [attempt], found.duration_ms, controls=None)
                with self._lock:
                    self._results[check.id] = result
                self.on_event(CheckFinished(result))
            return
        ports = list(c.ports)
        if not c.ports_given and found.ports:
            ports += [p for p in found.ports if p.port not in {q.port for q in ports}]
        targets = [chk.with_(host=found.host) for chk in waiting]
        extra = [Check(check_id("target", found.host, p.port), "smtp", "target", found.host, p.port, p.mode,
                       cause="", light="grey", where="unknown") for p in ports[len(c.ports):]]
        found_config = dataclasses.replace(c, host=found.host, ports=tuple(ports))
        extra += account_checks(found_config, found.host)
        with self._lock:
            # The config is frozen: a thread that took `c = self.config` keeps a consistent
            # one; the plan and the config change together, under the lock.
            self.config = found_config
            rest = [chk for chk in self._planned if chk not in waiting and chk.kind != "dns"]
            self._planned = [self._planned[0], *targets, *extra, *rest]  # the discovery row stays first
            planned = tuple(self._planned)
            finished = list(self._results.values())
        if extra:
            # A new row: plan again, and repeat what already finished so nothing is lost.
            self.on_event(Planned(planned))
            for result in finished:
                self.on_event(CheckFinished(result))
        for check in (*targets, *extra):
            self._spawn(check)

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        self._done.wait(timeout)
        return self._result

    def run(self) -> RunResult:
        self.start()
        result = self.wait()
        assert result is not None
        return result

    def _finish_when_done(self) -> None:
        if self._coordinator is not None:
            self._coordinator.join()
        if self.config.user:
            with self._lock:
                targets = list(self._target_threads)
            for th in targets:
                th.join()
            try:
                self._log_in_once()
            except Exception:  # noqa: BLE001 - a bug must not hang the run; the checks stay as they were
                import logging

                logging.getLogger(__name__).exception("the login failed unexpectedly")
            with self._lock:
                held = [self._results[p.id] for p in self._planned if p.id in self._held and p.id in self._results]
                self._held.clear()
            for done in held:
                self.on_event(CheckFinished(done))
        while True:
            with self._lock:
                pending = [th for th in self._threads if th.is_alive()]
            if not pending:
                break
            for th in pending:
                th.join()
        result = self._build_result()
        if self.config.controls and is_offline(list(result.checks)):
            result = self._offline(result)
        self._result = result
        self._done.set()
        self.on_event(Finished(result))

    def _run_check(self, check: Check) -> None:
        t = time.monotonic()
        try:
            if check.kind == "vpn":
                attempts = self._vpn_attempts(check)
            else:
                attempts = self._smtp_attempts(check)
        except Exception as exc:  # noqa: BLE001 - a bug must not hang the run, nor blame anyone
            attempts = [internal_error_attempt(check.id, exc)]
        duration = int((time.monotonic() - t) * 1000)
        done = self._finalise(check, attempts, duration, controls=None)
        if check.role == "target" and check.kind == "smtp" and CAUSES[done.cause].where == "by_control":
            # Who is at fault depends on the reference servers: wait for them on this
            # port, so that the row's words are final when it is shown.
            done = self._finalise(check, attempts, duration, controls=self._controls_for(check.port, check.mode))
        hold = bool(self.config.user) and check.role == "target" and check.kind == "smtp"
        with self._lock:
            self._results[check.id] = done
            if hold:  # its row is final only after the run's one login (_log_in_once)
                self._held.add(check.id)
        self._check_done.set()
        if not hold:
            self.on_event(CheckFinished(done))

    def _controls_for(self, port: int, mode: str | None = None) -> list[Check]:
        """The reference servers' finished checks on *port*, once all of them are done."""
        with self._lock:  # the discovery thread may replace the plan
            wanted = [c.id for c in self._planned if c.role == "control" and c.port == port
                      and (mode is None or c.mode == mode)]
        while not self.cancel_event.is_set():
            with self._lock:
                if all(i in self._results for i in wanted):
                    return [self._results[i] for i in wanted]
                self._check_done.clear()
            self._check_done.wait(0.1)
        with self._lock:
            return [self._results[i] for i in wanted if i in self._results]

    def _on_step(self, check_id_: str) -> Callable[[Step], None]:
        return lambda step: self.on_event(StepRecorded(check_id_, step))

    def _resolve_step(self, res: HostResolution, family: str, addresses: list[str]) -> Step:
        detail = f"{res.host} -> {', '.join(addresses[:4])}" + (" ..." if len(addresses) > 4 else "")
        if res.literal():
            detail = f"{res.host} is an address: nothing to look up"
        return Step("resolve", True, res.ms, detail)

    def _addresses(self, check: Check) -> tuple[dict[str, list[str]], Attempt | None]:
        res = self._resolution(check.host)
        results = res.get()
        failure = _resolve_failure(results)
        if failure is not None:
            step = Step("resolve", False, res.ms, f"{check.host}: {failure.detail}", failure.failure)
            self.on_event(StepRecorded(check.id, step))
            note = TranscriptLine(0, "note", f"looking up {check.host}: {failure.detail}")
            return {}, Attempt("none", None, (step,), (note,))
        return {f: v for f, v in results.items() if isinstance(v, list) and v}, None

    def _smtp_attempts(self, check: Check) -> list[Attempt]:
        by_family, dns_attempt = self._addresses(check)
        if dns_attempt is not None:
            return [dns_attempt]
        res = self._resolution(check.host)
        c = self.config
        # No login here: the run's one login is tried afterwards (_log_in_once).
        settings = ProbeSettings(
            host=check.host, port=check.port, mode=check.mode or "starttls", timeout=c.timeout,
            ca_file=c.ca_file, ehlo_name=c.ehlo_name)
        out: dict[str, Attempt] = {}

        def one(family: str, address: str) -> None:
            attempt = probe_smtp(self.net, address, settings, self.cancel_event, self._on_step(check.id))
            rstep = self._resolve_step(res, family, by_family[family])
            out[family] = Attempt(attempt.family, attempt.address, (rstep, *attempt.steps),
                                  attempt.transcript, attempt.tls, attempt.duration_ms)

        return self._per_family(by_family, one, out)

    def _per_family(self, by_family: dict[str, list[str]], one: Callable[[str, str], None],
                    out: dict[str, Attempt]) -> list[Attempt]:
        families = [f for f in ("ipv4", "ipv6") if f in by_family]

        def guarded(family: str, address: str) -> None:
            # A bug in one family's attempt must not vanish (a thread's traceback on
            # stderr) nor take the other family down: it is that family's internal_error.
            try:
                one(family, address)
            except Exception as exc:  # noqa: BLE001 - recorded, with the traceback in the log
                out[family] = internal_error_attempt(f"{family} {address}", exc, family, address)

        per_family(families, lambda family: guarded(family, by_family[family][0]))
        return [out[f] for f in families if f in out]

    def _vpn_attempts(self, check: Check) -> list[Attempt]:
        from .probe.vpn import probe_vpn

        by_family, dns_attempt = self._addresses(check)
        if dns_attempt is not None:
            return [dns_attempt]
        res = self._resolution(check.host)
        out: dict[str, Attempt] = {}

        def one(family: str, address: str) -> None:
            t = time.monotonic()
            steps, transcript = probe_vpn(self.net, address, check.protocol or "", check.port,
                                          self.config.timeout, self.cancel_event,
                                          server_name=None if res.literal() else check.host)
            rstep = self._resolve_step(res, family, by_family[family])
            out[family] = Attempt(family, address, (rstep, *steps), transcript, None,  # type: ignore[arg-type]
                                  int((time.monotonic() - t) * 1000))

        return self._per_family(by_family, one, out)

    # -- the one login ----------------------------------------------------------------
    def _log_in_once(self) -> None:
        """Try the login once, on the first submission port whose TLS verified (465, 587,
        2525, then the others), over a new connection; every other target check records an
        ``auth`` step saying why it did not log in.  A second wrong password can lock the
        account, so there is never a second try."""
        c = self.config
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
                    shifted = tuple(dataclasses.replace(t, ms=t.ms + a.duration_ms) for t in lines)
                    attempts[i] = dataclasses.replace(a, steps=(*a.steps, login_step),
                                                      transcript=(*a.transcript, note, *shifted))
                elif a.address is not None:
                    attempts[i] = dataclasses.replace(a, steps=(*a.steps, skipped))
            controls = self._controls_for(check.port) if CAUSES[check.cause].where == "by_control" else None
            done = self._finalise(check, attempts, check.duration_ms, controls=controls)
            with self._lock:
                self._results[check.id] = done

    def _login_attempt(self, check: Check, attempt: Attempt) -> tuple[Step, tuple[TranscriptLine, ...]]:
        """Connect again to the address whose TLS verified and log in; the auth step and transcript."""
        c = self.config
        settings = ProbeSettings(
            host=check.host, port=check.port, mode=check.mode or "starttls", timeout=c.timeout,
            ca_file=c.ca_file, ehlo_name=c.ehlo_name, user=c.user, password=c.password)
        result = probe_smtp(self.net, attempt.address or "", settings, self.cancel_event)
        auth = next((s for s in result.steps if s.step == "auth"), None)
        if auth is None or (auth.failure == "not_tried" and not encrypted_and_verified(result.steps)):
            failed = next((s for s in result.steps if not s.ok and s.step != "auth"), None)
            why = f"{failed.step}: {failed.detail}" if failed else "it did not get that far"
            auth = skipped_auth_step(f"login not tried: the new connection for the login failed at {why}")
        self.on_event(StepRecorded(check.id, auth))
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
        return dataclasses.replace(result, checks=tuple(final))  # what the look-ups found stays

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

    def _build_result(self) -> RunResult:
        with self._lock:
            results = dict(self._results)
        final: list[Check] = []
        for planned in self._planned:
            check = results.get(planned.id) or planned.with_(light="grey", cause="cancelled")
            if check.role == "target" and check.kind == "smtp" and check.attempts:
                controls = [results[c.id] for c in self._planned
                            if c.role == "control" and c.port == check.port and c.mode == check.mode
                            and c.id in results]
                check = self._finalise(check, list(check.attempts), check.duration_ms, controls)
            final.append(check)
        return RunResult(self.config, tuple(final), self.started_at, lookups=tuple(self._lookups()),
                         clock=self._clock_check(final))

    def _clock_check(self, checks: list[Check]) -> dict[str, object] | None:
        """When a certificate looks out of date: ask a time server whether this clock is right."""
        server = self.config.time_server
        if not server or not any(c.cause == "tls_expired" for c in checks):
            return None
        from .probe.clock import BadReply, query_offset

        started = utc_now()
        try:
            offset = query_offset(self.net, server, min(self.config.timeout, 5.0), self.cancel_event)
        except ProbeError as exc:
            return {"server": server, "checked_at": started, "offset_s": None, "error": exc.detail or exc.failure}
        except BadReply as exc:
            return {"server": server, "checked_at": started, "offset_s": None, "error": str(exc)}
        return {"server": server, "checked_at": started, "offset_s": round(offset, 3), "error": None}

    def _lookups(self) -> list[dict[str, object]]:
        """Every address the resolver returned for each host name (for the report)."""
        with self._lock:
            resolutions = list(self._resolutions.values())
        out: list[dict[str, object]] = []
        for res in resolutions:
            if res.literal() or not res.done.is_set():
                continue
            addresses: list[str] = []
            for family in ("ipv4", "ipv6"):
                found = res.results.get(family)
                if isinstance(found, list):
                    addresses += found
            out.append({"host": res.host, "addresses": addresses})
        return out

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


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


__all__ = ["Diagnosis", "run_diagnosis", "RunResult", "Planned", "StepRecorded", "CheckFinished", "Finished",
           "PortSpec", "VpnSpec", "RunConfig"]
