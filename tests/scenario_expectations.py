"""What each scenario of the simulated network should conclude: the tests' oracle.

The scenarios themselves (``smtpdiag.simnet.scenarios``) describe worlds; what the
diagnosis must say about each world lives here, beside the tests, and not in the
product.  ``EXPECTED[name]`` gives, for scenario *name*, the verdict (light, cause,
where; docs/contract.md section 3) of every target port and of the whole run.

Read by tests/test_scenarios.py, tests/test_simnet.py and scripts/ci_smoke.py (which
puts this folder on its path).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Expect:
    """The verdict a check (or a run) should reach."""

    light: str
    cause: str
    where: str

    def __str__(self) -> str:
        return f"{self.light} {self.cause} ({self.where})"

    @property
    def verdict(self) -> tuple[str, str, str]:
        return (self.light, self.cause, self.where)


@dataclass(frozen=True)
class Expectation:
    """One scenario's verdicts: per target port, and overall."""

    ports: Mapping[int, Expect]
    overall: Expect


GREEN = Expect("green", "ok", "none")
ALL_PORTS = (25, 465, 587, 2525)
STARTTLS_PORTS = (25, 587, 2525)


def _red(cause: str, where: str) -> Expect:
    return Expect("red", cause, where)


def _amber(cause: str, where: str) -> Expect:
    return Expect("amber", cause, where)


def _all(expect: Expect, ports: tuple[int, ...] = ALL_PORTS) -> dict[int, Expect]:
    return dict.fromkeys(ports, expect)


def _each(**by_port: Expect) -> dict[int, Expect]:
    """``_each(p25=..., p465=...)`` -> ``{25: ..., 465: ...}``."""
    return {int(k[1:]): v for k, v in by_port.items()}


def _same(expect: Expect, ports: tuple[int, ...] = ALL_PORTS) -> Expectation:
    """Every port and the run alike."""
    return Expectation(_all(expect, ports), expect)


EXPECTED: dict[str, Expectation] = {
    "healthy": _same(GREEN),
    "mail-program-wrong": _same(GREEN),
    "mobile-2012": Expectation(
        _each(p25=_red("tcp_timeout", "network"), p465=_red("tls_reset", "network"),
              p587=_red("tls_reset", "network"), p2525=_red("tcp_refused", "server")),
        _red("tls_reset", "network")),
    "port25-blocked": Expectation({**_all(GREEN), 25: _red("tcp_timeout", "network")}, GREEN),
    "starttls-stripped": Expectation({**_all(_red("starttls_stripped", "network")), 465: GREEN}, GREEN),
    "cisco-masked": Expectation(
        {**_all(GREEN), 25: _red("starttls_stripped", "network"), 587: _red("starttls_stripped", "network")},
        GREEN),
    "banner-masked": _same(_amber("smtp_banner_masked", "network"), STARTTLS_PORTS),
    "connection-reset": Expectation(
        {**_all(GREEN), 587: _red("tcp_reset", "network"), 2525: _red("tcp_reset", "network")}, GREEN),
    "captive-portal": _same(_red("smtp_not_smtp", "network")),
    "antivirus-intercept": Expectation(
        {25: GREEN, 465: _amber("tls_intercepted", "local"), 587: _amber("tls_intercepted", "local")},
        _amber("tls_intercepted", "local")),
    "firewall-intercept": _same(_red("tls_intercepted", "network")),
    "expired-certificate": _same(_red("tls_expired", "server")),
    "not-yet-valid": _same(_red("tls_expired", "server")),
    "wrong-name": _same(_red("tls_name_mismatch", "server")),
    "self-signed": _same(_red("tls_self_signed", "server")),
    "untrusted-ca": _same(_red("tls_untrusted", "server")),
    "outdated-tls": _same(_red("tls_outdated", "server")),
    "no-starttls": Expectation(
        _each(p25=_amber("starttls_missing", "server"), p465=_red("tcp_refused", "server"),
              p587=_red("starttls_missing", "server"), p2525=_red("starttls_missing", "server")),
        _red("starttls_missing", "server")),
    "starttls-refused": Expectation(
        _each(p25=_red("starttls_failed", "server"), p465=_red("tls_handshake_failed", "server"),
              p587=_red("starttls_failed", "server"), p2525=_red("starttls_failed", "server")),
        _red("starttls_failed", "server")),
    "server-rejects": _same(_red("smtp_rejected", "server")),
    "server-down": _same(_red("tcp_refused", "server")),
    "server-silent": _same(_red("smtp_silent", "server")),
    "not-smtp": Expectation(
        {**_all(_red("smtp_not_smtp", "server")), 465: _red("tls_not_tls", "server")},
        _red("smtp_not_smtp", "server")),
    "hostile": Expectation(
        _each(p25=_red("smtp_protocol_error", "server"), p465=_red("tls_reset", "server"),
              p587=_red("smtp_silent", "server"), p2525=_red("smtp_not_smtp", "server")),
        _red("tls_reset", "server")),
    "dns-not-found": _same(_red("dns_not_found", "input")),
    "dns-failure": _same(_red("offline", "network")),
    "ipv6-broken": _same(_amber("ip_family_partial", "network")),
    "auth-before-tls": Expectation(
        {**_all(_amber("auth_before_tls", "server")), 465: _red("tcp_refused", "server")},
        _amber("auth_before_tls", "server")),
    "login": _same(GREEN),
    "login-switched-off": Expectation({**_all(GREEN), 465: _red("auth_disabled", "server")},
                                      _red("auth_disabled", "server")),
    "oauth-only": Expectation({**_all(GREEN), 465: _red("auth_oauth_required", "input")},
                              _red("auth_oauth_required", "input")),
    "tls-stalled": Expectation(
        {**_all(GREEN), 465: _red("tls_timeout", "network"), 587: _red("tls_timeout", "network")}, GREEN),
}
