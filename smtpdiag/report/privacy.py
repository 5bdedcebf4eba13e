"""What a report tells about the customer, and an anonymised copy to share.

    disclosure(report)  plain sentences for the person about to save or send a
                        report: what it contains (and that no password is in it)
    anonymise(report)   a copy in which every host name, IP address, e-mail
                        address, certificate fingerprint and the login name are
                        replaced by stand-ins: ``server-1``, ``address-1``,
                        ``user-1``, ``fingerprint-1`` ...

The same original always gets the same stand-in, everywhere in the report
(check fields, input, step details, transcripts, certificate subjects and
names, explanations), so an anonymised report still reads consistently:
``server-1`` is always the checked server, then the reference servers follow in
order.  Names are compared case-insensitively and in IDNA form, addresses in
their canonical form (``2001:DB8:0::1`` is ``2001:db8::1``).

Not replaced (see docs/reports.md): organisation names inside certificates,
server software named in greetings, port numbers, the operating system, times.
Names under ``.invalid`` (smtpdiag's own EHLO name) are kept: they name nobody.
"""

from __future__ import annotations

import re
from typing import Any

from ..i18n import _, ngettext
from ..target import ip_address_of
from .model import Report
from .words import created_words

# -- what a report contains ----------------------------------------------------------


def _join(items: list[str], limit: int = 6) -> str:
    items = [i for i in dict.fromkeys(items) if i]
    if len(items) > limit:
        rest = len(items) - limit
        # TRANSLATORS: the end of a shortened list: "a, b, c and 3 more".
        items = items[:limit] + [ngettext("{n} more", "{n} more", rest).format(n=rest)]
    if len(items) <= 1:
        return "".join(items)
    return _("{first} and {last}").format(first=", ".join(items[:-1]), last=items[-1])


def _family_words(families: list[str]) -> str:
    words = {"ipv4": "IPv4", "ipv6": "IPv6"}
    return _join([words.get(f, f) for f in families]) or _("none")


def disclosure(report: Report) -> list[str]:
    """Sentences saying what *report* contains, for the person about to share it."""
    inp, env = report.input, report.environment
    out = []
    target = str(inp.get("target") or "")
    if "@" in target:
        out.append(_("The e-mail address you entered: {target}.").format(target=target))
    elif target:
        out.append(_("The name of the mail server you checked: {target}.").format(target=target))
    addresses = [a.address or "" for c in report.checks if c.role == "target" and c.kind != "vpn"
                 for a in c.attempts] + [c.address or "" for c in report.targets if c.kind != "vpn"]
    if any(addresses):
        out.append(_("The internet addresses of that server: {addresses}.").format(addresses=_join(addresses)))
    controls = [str(c) for c in inp.get("control") or []] or [c.host for c in report.controls]
    if controls:
        out.append(_("The names of the reference servers it was compared with: {names}.").format(
            names=_join(controls)))
    vpn_hosts = [c.host for c in report.checks if c.kind == "vpn"]
    if inp.get("vpn") or vpn_hosts:
        out.append(_("The VPN server you named: {host}.").format(host=inp.get("vpn") or _join(vpn_hosts)))
    out.append(_("Everything the servers answered, including their certificates. A server's answer "
                 "can include the public internet address of your network."))
    out.append(_("This computer's operating system: {os}.").format(os=env.get("os") or _("unknown")))
    if env.get("dns_servers"):
        out.append(_("The name servers (DNS) this computer asks: {servers}.").format(
            servers=_join([str(s) for s in env["dns_servers"]])))
    out.append(_("Which kinds of internet address your network has: {families}.").format(
        families=_family_words(list(env.get("ip_families") or []))))
    if env.get("vpn_active"):
        interfaces = [str(i) for i in env.get("vpn_interfaces") or []]
        if interfaces:
            out.append(_("That a VPN was active on this computer (network adapter {names}).").format(
                names=_join(interfaces)))
        else:
            out.append(_("That a VPN was active on this computer."))
    else:
        out.append(_("That no VPN was active on this computer."))
    if inp.get("user"):
        out.append(_("The login name you entered: {user}. The password is not in the report.").format(
            user=inp["user"]))
    else:
        out.append(_("No login was tried, so there is no login name in the report."))
    if report.mail_programs:
        from .mail_programs import entries, who

        out.append(_("The outgoing-server settings of the mail programs on this computer that use this "
                     "server, with their login names but no passwords: {accounts}.").format(
            accounts=_join([who(e) for e in entries(report)])))
    out.append(_("When the check ran ({created}), the smtpdiag version ({version}) and a random "
                 "report ID ({report_id}).").format(created=created_words(report.created),
                                                    version=report.app.get("version", "?"),
                                                    report_id=report.report_id or "?"))
    out.append(_("It contains no password, none of your mail, and not the name of this computer."))
    return out


# -- the anonymised copy -------------------------------------------------------------

# Fields that are codes, numbers or times, never names: left exactly as they are.
_KEEP = frozenset({
    "schema", "created", "report_id", "language", "app", "light", "cause", "where", "kind", "role",
    "mode", "protocol", "dir", "step", "failure", "findings", "family", "not_before", "not_after",
    "version", "cipher", "id", "ports", "os", "ip_families", "intercepted_by",
})
_HOST_FIELDS = frozenset({"host", "address", "target", "control", "san", "server"})
# The server's own name in its greeting or first EHLO line ("220 mailhost ESMTP"):
# names with dots are found anyway, this catches single-label ones.
_GREETING_NAME = re.compile(r"^(?:220|250)[ -]([^\W_][\w-]*)(?=\s|$)")
_NOT_NAMES = frozenset({"esmtp", "smtp", "ready", "service", "hello", "welcome", "ok", "go"})

_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,63}|xn--[\w-]{1,59})"
_DOMAIN = rf"(?:{_LABEL}\.)+{_TLD}"
_IPV4 = r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)"
_IPV6 = (r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})"
         r"(?:%[\w.-]+)?(?![\w:])")
# A name starts after anything but a letter, digit, "@" or a hyphen that follows a
# letter: "250-mail.example.com" (a reply's continuation mark) starts a name,
# "my-mail.example.com" is one name.
_START = r"(?<![\w@])(?<![^\W\d]-)"
_REPLY_CODE = re.compile(r"^[2-5]\d\d-(?=[^\W\d_])")
_EMAIL = rf"(?<![\w.+-])([\w.+-]+)@({_DOMAIN}|\[[0-9A-Fa-f:.]+\])(?![\w-])"


class Anonymiser:
    """Hands out stand-ins, the same one for the same original every time."""

    def __init__(self, login: str | None = None) -> None:
        self.login = (login or "").strip()
        self._maps: dict[str, dict[str, str]] = {"server": {}, "address": {}, "user": {}, "fingerprint": {}}
        self._known: set[str] = set()  # names seen in host fields, matched literally in text
        self._pattern: re.Pattern[str] | None = None
        if self.login:
            self.user(self.login)

    # -- one kind each ---------------------------------------------------------------
    def _stand_in(self, kind: str, key: str) -> str:
        table = self._maps[kind]
        if key not in table:
            table[key] = f"{kind}-{len(table) + 1}"
        return table[key]

    def user(self, name: str) -> str:
        return self._stand_in("user", name.strip().lower())

    def fingerprint(self, value: str) -> str:
        return self._stand_in("fingerprint", value.strip().lower().replace(":", "")) if value else value

    def address(self, value: str) -> str | None:
        """The stand-in for an IP address, or None if *value* is not one."""
        text = value.strip().strip("[]")
        zone = ""
        if "%" in text:
            text, zone = text.split("%", 1)
        ip = ip_address_of(text)
        if ip is None:
            return None
        return self._stand_in("address", ip.compressed) + (f"%{zone}" if zone else "")

    def name(self, value: str) -> str:
        raw = value.strip().rstrip(".")
        if raw.lower().endswith(".invalid") or not raw:
            return value
        try:
            key = raw.encode("idna").decode("ascii").lower()
        except UnicodeError:
            key = raw.lower()
        return self._stand_in("server", key)

    def host(self, value: str) -> str:
        """A field that holds one host: an address, a name, or an e-mail address."""
        if not value:
            return value
        if self.login and value.strip().lower() == self.login.lower():
            return self.user(value)
        addr = self.address(value)
        if addr is not None:
            return addr
        if "@" in value:
            return self.text(value)
        if value.startswith("*."):  # a wildcard certificate name
            return "*." + self.host(value[2:])
        self._known.add(value.strip().rstrip("."))
        self._pattern = None
        return self.name(value)

    # -- free text -----------------------------------------------------------------------
    def _regex(self) -> re.Pattern[str]:
        if self._pattern is None:
            parts = []
            if len(self.login) >= 3:
                parts.append(rf"(?P<login>(?<![\w.+-]){re.escape(self.login)}(?![\w-]|@\w))")
            parts.append(rf"(?P<email>{_EMAIL})")
            known = sorted((k for k in self._known if k), key=len, reverse=True)
            if known:
                alternatives = "|".join(re.escape(k) for k in known)
                parts.append(rf"(?P<known>{_START}(?<!\.)(?:{alternatives})(?![\w-]))")
            parts.append(rf"(?P<ipv4>{_IPV4})")
            parts.append(rf"(?P<ipv6>{_IPV6})")
            parts.append(rf"(?P<domain>{_START}(?<![\w-]\.){_DOMAIN}(?![\w-]))")
            self._pattern = re.compile("|".join(parts), re.IGNORECASE)
        return self._pattern

    def text(self, value: str) -> str:
        def replace(m: re.Match[str]) -> str:
            found, kind = m.group(), m.lastgroup
            if kind == "login":
                return self.user(found)
            if kind == "email":
                local, _at, domain = found.rpartition("@")
                return f"{self.user(local)}@{self.address(domain) or self.name(domain)}"
            if kind in ("ipv4", "ipv6"):
                return self.address(found) or found
            code = _REPLY_CODE.match(found)  # "250-mail.example.com": keep the reply's code
            if code:
                return code.group() + self.name(found[code.end():])
            return self.name(found)

        return self._regex().sub(replace, value)


def _walk(node: Any, key: str | None, a: Anonymiser) -> Any:
    if isinstance(node, dict):
        return {k: node[k] if k in _KEEP else _walk(node[k], k, a) for k in node}
    if isinstance(node, list):
        return [_walk(v, key, a) for v in node]
    if not isinstance(node, str):
        return node
    if key in _HOST_FIELDS:
        return a.host(node)
    if key == "user":
        return a.user(node)
    if key == "sha256":
        return a.fingerprint(node)
    return a.text(node)


def _seed(data: dict[str, Any], a: Anonymiser) -> None:
    """Give every host the report names its stand-in, in reading order: the
    checked server first, then the reference servers, then the VPN server; and
    learn the single-label names (``localhost``) that free text may mention."""
    inp = data.get("input") or {}
    checks = [c for c in data.get("checks") or [] if isinstance(c, dict)]
    if inp.get("target"):
        a.host(str(inp["target"]))
    ordered = ([c for c in checks if c.get("role") == "target" and c.get("kind") != "vpn"]
               + [c for c in checks if c.get("role") != "target" and c.get("kind") != "vpn"]
               + [c for c in checks if c.get("kind") == "vpn"])
    for c in ordered:
        a.host(str(c.get("host") or ""))
    for c in ordered:
        for attempt in [c, *(c.get("attempts") or [])]:
            if attempt.get("address"):
                a.host(str(attempt["address"]))
            tls = attempt.get("tls") or {}
            for cert in tls.get("chain") or []:
                for name in cert.get("san") or []:
                    a.host(str(name))
            _greeting_names(attempt.get("transcript") or [], a)


def _greeting_names(transcript: list[dict[str, Any]], a: Anonymiser) -> None:
    after_ehlo = False
    seen_greeting = False
    for line in transcript:
        text = str(line.get("text") or "")
        if line.get("dir") == "send":
            after_ehlo = text.upper().startswith(("EHLO", "HELO"))
            continue
        if line.get("dir") != "recv":
            continue
        first = not seen_greeting or after_ehlo
        seen_greeting, after_ehlo = True, False
        m = _GREETING_NAME.match(text)
        if first and m and m.group(1).lower() not in _NOT_NAMES and any(ch.isalpha() for ch in m.group(1)):
            a.host(m.group(1))


def anonymise(report: Report) -> Report:
    """A copy of *report* with host names, addresses and the login name replaced."""
    data = report.to_json()
    a = Anonymiser(login=str(report.input.get("user") or "") or None)
    _seed(data, a)
    return Report.from_json(_walk(data, None, a))
