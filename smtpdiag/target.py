"""Understand what the user typed: a host name (IDN allowed), an IP literal, or an e-mail address.

Everything here is checked before any network step; bad input raises
:class:`BadInput` with one line that says what is wrong.
"""

from __future__ import annotations

import ipaddress
import re

from .config import MODES, PROTOCOLS, PortSpec, VpnSpec
from .frozen import record
from .i18n import N_, _


class BadInput(ValueError):
    """The user's input can never work; the message is one line for the user."""


PASSWORD_NOT_TEXT = N_("The password is not valid UTF-8 text (was it typed in another encoding, such as "
                       "Latin-1?). Type it again in a UTF-8 terminal or set SMTPDIAG_PASSWORD in UTF-8.")


def check_login_name(user: str) -> None:
    """A login name that cannot be sent as UTF-8 (bytes of another encoding on the command line)."""
    try:
        user.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(_("The login name is not valid UTF-8 text (was it typed in another encoding, such as "
                         "Latin-1?).")) from None


def check_password(password: str) -> None:
    """A password that cannot be sent as UTF-8 (read with surrogate escapes from a Latin-1
    terminal or environment) is bad input.  The message never repeats any of it."""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(_(PASSWORD_NOT_TEXT)) from None


@record
class Target:
    typed: str  # as the user typed it
    host: str  # ASCII host name (A-labels) or IP address text
    display: str  # Unicode host name for people
    is_ip: bool
    email: str | None = None  # the address, if the user typed one


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_address_of(text: str) -> IPAddress | None:
    """The IP address *text* is (``192.0.2.1``, ``2001:db8::1``, ``fe80::1%eth0``), or None
    when it is not one (a name).  The one test of "address or name?" in smtpdiag; its
    ``.version`` is the one test of the family (``smtpdiag.net.family_of``)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _ip_literal(text: str) -> str | None:
    """A typed address, also in brackets (``[2001:db8::1]``, as in a mail address)."""
    bracketed = text.startswith("[")
    ip = ip_address_of(text[1:-1] if bracketed and text.endswith("]") else text)
    if ip is None and bracketed:
        raise BadInput(_("'{text}' is not a valid IPv6 address.").format(text=text))
    return str(ip) if ip is not None else None


def normalise_host(text: str) -> tuple[str, str]:
    """(ASCII form, display form) of a host name, or BadInput."""
    name = text.strip()
    if not name:
        raise BadInput(_("Please enter a mail server name or an e-mail address."))
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise BadInput(_("'{text}' contains a space or control character.").format(text=text))
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if any(not label for label in labels):
        raise BadInput(_("'{text}' has an empty part between dots.").format(text=text))
    if any(len(label.encode("utf-8")) > 63 and label.isascii() for label in labels):
        raise BadInput(_("'{text}' has a part longer than 63 characters.").format(text=text))
    if all(_PLAIN_LABEL.fullmatch(label) and not label.lower().startswith("xn--") for label in labels):
        # Plain ASCII (letters, digits, "-", "_"): what the IDNA path below gives, without
        # importing it: the name in lower case (IDNA's hyphen rules refuse "a-" or "ab--c",
        # and the fallback below then accepts them all the same).
        return _checked_length(text, name.lower()), name.lower()
    import idna  # only a name with other characters needs IDNA

    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        # Names with underscores or other LDH exceptions: allow plain ASCII that
        # the resolver accepts, refuse the rest.
        if name.isascii() and all(
            0 < len(lbl) <= 63 and all(c.isalnum() or c in "-_" for c in lbl) for lbl in labels
        ):
            ascii_name = name.lower()
        else:
            raise BadInput(_("'{text}' is not a valid server name ({reason}).").format(
                text=text, reason=str(exc))) from None
    _checked_length(text, ascii_name)
    try:
        display = idna.decode(ascii_name)
    except idna.IDNAError:
        display = ascii_name
    return ascii_name, display


_PLAIN_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")


def _checked_length(text: str, ascii_name: str) -> str:
    for label in ascii_name.split("."):
        if len(label) > 63:
            raise BadInput(_("'{text}' has a part longer than 63 characters.").format(text=text))
    if len(ascii_name) > 253:
        raise BadInput(_("'{text}' is longer than 253 characters.").format(text=text))
    return ascii_name


def parse_target(text: str) -> Target:
    """Parse a host name, IP literal or e-mail address.  Raises BadInput."""
    typed = text
    text = (text or "").strip()
    if not text:
        raise BadInput(_("Please enter a mail server name or an e-mail address."))
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise BadInput(_("'{text}' contains a space or control character.").format(text=typed))
    if "@" in text and not text.startswith("["):
        local, _sep, domain = text.rpartition("@")
        if not local or not domain:
            raise BadInput(_("'{text}' is not a complete e-mail address.").format(text=typed))
        ip = _ip_literal(domain)
        if ip:
            return Target(typed, ip, ip, True, email=text)
        ascii_name, display = normalise_host(domain)
        return Target(typed, ascii_name, display, False, email=text)
    ip = _ip_literal(text)
    if ip:
        return Target(typed, ip, ip, True)
    if "/" in text or ":" in text:
        raise BadInput(_("'{text}' is not a server name: enter only the name, without "
                         "'smtp://' or a port.").format(text=typed))
    ascii_name, display = normalise_host(text)
    return Target(typed, ascii_name, display, False)


def parse_port(text: str) -> PortSpec:
    """``PORT[:MODE]`` -> PortSpec; 465 defaults to implicit TLS, others to STARTTLS."""
    port_text, _sep, mode = text.strip().partition(":")
    try:
        port = int(port_text)
    except ValueError:
        raise BadInput(_("'{text}' is not a port number.").format(text=text)) from None
    if not 1 <= port <= 65535:
        raise BadInput(_("Port {port} does not exist: ports go from 1 to 65535.").format(port=port))
    mode = mode.strip().lower() or ("implicit" if port == 465 else "starttls")
    if mode not in MODES:
        raise BadInput(_("'{mode}' is not a mode: use 'starttls' or 'implicit'.").format(mode=mode))
    return PortSpec(port, mode)


def parse_vpn(text: str) -> tuple[str, tuple[VpnSpec, ...]]:
    """``HOST`` (every protocol on its usual port) or ``HOST:PROTOCOL[:PORT]``."""

    text = text.strip()
    host_part, protocol, port_text = text, "", ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise BadInput(_("'{text}' is not a valid IPv6 address.").format(text=text))
        host_part, rest = text[: end + 1], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise BadInput(_("'{text}' is not a VPN server.").format(text=text))
            protocol, _sep, port_text = rest[1:].partition(":")
    elif text.count(":") in (1, 2):
        host_part, _sep, rest = text.partition(":")
        protocol, _sep, port_text = rest.partition(":")
    host = parse_target(host_part)
    if host.email:
        raise BadInput(_("'{text}' is not a VPN server name.").format(text=text))
    if not protocol:
        return host.host, tuple(VpnSpec(host.host, p, port) for p, (_t, port) in PROTOCOLS.items())
    protocol = protocol.lower()
    if protocol not in PROTOCOLS:
        raise BadInput(_("'{protocol}' is not a VPN protocol: use one of {names}.").format(
            protocol=protocol, names=", ".join(PROTOCOLS)))
    port = PROTOCOLS[protocol][1]
    if port_text:
        port = parse_port(port_text).port
    return host.host, (VpnSpec(host.host, protocol, port),)
