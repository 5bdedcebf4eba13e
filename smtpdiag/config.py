"""What one run is asked to do: plain values, handed to worker threads as they are."""

from __future__ import annotations

from .frozen import field, record
from .i18n import N_, _

MODES = ("starttls", "implicit")
DEFAULT_PORTS = ("25:starttls", "465:implicit", "587:starttls", "2525:starttls")
DEFAULT_TIMEOUT = 10.0  # seconds, for each network step
# The submission ports in the order they are preferred: for the one login and for the
# port a report recommends (contract section 4); other ports come after, as asked for.
SUBMISSION_PORT_ORDER = (465, 587, 2525)

# Large public submission servers, tested on the same ports as the target to tell
# "your network" from "the server".  Tests always override these (--control/--no-control).
DEFAULT_TIME_SERVER = "pool.ntp.org"
DEFAULT_CONTROLS = ("smtp.gmail.com", "smtp.mail.yahoo.com", "smtp.sendgrid.net", "smtp.mailgun.org")

# The ports well-known reference servers serve.  A reference server is only tested
# on these (a closed port would say nothing about the customer's network);
# servers not listed here are tested on every port.
KNOWN_CONTROL_PORTS: dict[str, frozenset[int]] = {
    "smtp.gmail.com": frozenset({25, 465, 587}),
    "smtp.mail.yahoo.com": frozenset({465, 587}),
    "smtp.sendgrid.net": frozenset({25, 465, 587, 2525}),
    "smtp.mailgun.org": frozenset({25, 465, 587, 2525}),
    "smtp.office365.com": frozenset({587}),
    "smtp-mail.outlook.com": frozenset({587}),
}


@record
class PortSpec:
    port: int
    mode: str  # "starttls" or "implicit"

    def __str__(self) -> str:
        return f"{self.port}:{self.mode}"


@record
class VpnSpec:
    host: str
    protocol: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.protocol}:{self.port}"


@record
class AccountSetting:
    """A port and security a mail program on this computer uses for a server: the
    engine tests exactly these too (``mail_programs``; found by ``smtpdiag.accounts``)."""

    host: str
    port: int
    mode: str  # "starttls" or "implicit" ("none" is never probed)
    account: str = ""  # the e-mail address that sends with it ("" when the program names none)


@record
class RunConfig:
    target: str  # as the user typed it (for the report)
    host: str  # the host to test (IDNA-encoded A-label form, or an IP literal)
    ports: tuple[PortSpec, ...]
    controls: tuple[str, ...] = DEFAULT_CONTROLS
    timeout: float = DEFAULT_TIMEOUT
    ca_file: str | None = None
    vpn: tuple[VpnSpec, ...] = ()
    vpn_host: str | None = None  # as typed, for the report
    user: str | None = None
    # The password is held only in memory for the run; it is never serialised.
    password: str | None = field(default=None, repr=False, compare=False)
    # None: the address literal of our end of the connection, as mail programs send it.
    ehlo_name: str | None = None
    # The user typed an e-mail address: find this domain's sending server first.
    email_domain: str | None = None
    ports_given: bool = False  # the user chose the ports (else SRV records may add one)
    families: tuple[str, ...] = ("ipv4", "ipv6")
    # Asked once (SNTP, UDP 123) only when a certificate looks out of date, to tell a wrong
    # clock from an expired certificate; HOST or HOST:PORT, None: never ask.
    time_server: str | None = DEFAULT_TIME_SERVER
    # The mail programs' own settings for the target (see AccountSetting).
    account_settings: tuple[AccountSetting, ...] = ()


# -- VPN protocols ---------------------------------------------------------------------------
# name -> (transport, default port), in display order.
PROTOCOLS: dict[str, tuple[str, int]] = {
    "ike": ("udp", 500),
    "ike-natt": ("udp", 4500),
    "openvpn-udp": ("udp", 1194),
    "openvpn-tcp": ("tcp", 1194),
    "pptp": ("tcp", 1723),
    "sstp": ("tcp", 443),
    "wireguard": ("udp", 51820),
}

# The product names people know, for the explanation's {product}.
PROTOCOL_NAMES: dict[str, str] = {
    "ike": N_("IKEv2/IPsec (UDP 500)"),
    "ike-natt": N_("IKEv2/IPsec NAT-T (UDP 4500)"),
    "openvpn-udp": N_("OpenVPN over UDP"),
    "openvpn-tcp": N_("OpenVPN over TCP"),
    "pptp": N_("PPTP"),
    "sstp": N_("SSTP (Microsoft VPN over HTTPS)"),
    "wireguard": N_("WireGuard"),
}


def vpn_protocol_name(protocol: str | None, default: str = "") -> str:
    """The name people know for a VPN protocol code ("openvpn-udp" -> "OpenVPN over UDP"), translated."""
    if protocol in PROTOCOL_NAMES:
        return _(PROTOCOL_NAMES[protocol])
    return protocol or default


def host_key(host: str) -> str:
    """A host name as compared with another: lower case, no final dot, no brackets around an
    IPv6 address, a non-ASCII name in its IDNA (xn--) form."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return host
