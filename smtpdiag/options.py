"""Validating what the user asked for, for both faces: the command line and the window
call :func:`build_config` with the same :class:`CheckOptions` and get a RunConfig or one
line for the user (:class:`UsageError`).  No argparse, no Qt.
"""

from __future__ import annotations

from .config import DEFAULT_CONTROLS, DEFAULT_PORTS, DEFAULT_TIMEOUT, RunConfig
from .frozen import record
from .i18n import _
from .target import BadInput, check_login_name, check_password, parse_port, parse_target, parse_vpn


class UsageError(Exception):
    """Bad input: one line for the user (the command line exits with 64)."""


@record
class CheckOptions:
    """The options of ``smtpdiag check`` (and of the window's advanced options), as typed."""

    port: list[str] | None = None
    vpn: list[str] | None = None
    control: list[str] | None = None
    no_control: bool = False
    timeout: float = DEFAULT_TIMEOUT
    ca_file: str | None = None
    user: str | None = None


def build_config(args: CheckOptions, target_text: str, password: str | None = None) -> RunConfig:
    """Validate everything the user typed into a RunConfig.  Raises UsageError."""
    from .probe.tls import check_ca_file  # loads ssl/truststore: only when a check is made

    try:
        target = parse_target(target_text)
        ports = tuple(parse_port(p) for p in (args.port or DEFAULT_PORTS))
        # The same port in two modes is two checks (ids target-9-starttls, target-9-implicit);
        # the same port and mode twice is one.
        unique = list(dict.fromkeys(ports))
        if args.no_control and args.control:
            raise BadInput(_("--control and --no-control cannot be used together."))
        controls: tuple[str, ...] = ()
        if not args.no_control:
            controls = tuple(parse_target(c).host for c in (args.control or DEFAULT_CONTROLS))
        vpn_specs = []
        vpn_host = None
        for v in args.vpn or []:
            vpn_host, specs = parse_vpn(v)
            vpn_specs += list(specs)
        if args.vpn:
            vpn_host = ", ".join(args.vpn)
        if not (0 < args.timeout <= 600):
            raise BadInput(_("The timeout must be between 0 and 600 seconds."))
        if args.ca_file:
            try:
                check_ca_file(args.ca_file)
            except ValueError as exc:
                raise BadInput(str(exc)) from None
        if args.user is not None and not args.user.strip():
            raise BadInput(_("The login name is empty."))
        if args.user is not None:
            check_login_name(args.user)
        if password is not None:
            check_password(password)
    except BadInput as exc:
        raise UsageError(str(exc)) from None
    return RunConfig(
        target=target.typed.strip(), host=target.host, ports=tuple(unique), controls=controls,
        timeout=args.timeout, ca_file=args.ca_file, vpn=tuple(vpn_specs), vpn_host=vpn_host,
        user=args.user, password=password,
        email_domain=target.host if target.email and not target.is_ip else None,
        ports_given=bool(args.port),
    )
