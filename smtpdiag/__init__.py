"""smtpdiag: find out why a mail program cannot send mail.

The package is layered; imports only point down (docs/design.md has the picture).
Everything outside ``smtpdiag.gui`` is free of Qt so that ``smtpdiag check`` and
the engine's tests need no display.

    records, causes, verdict, config, target, textsafe   the bottom: records, cause
              table, pure classification, input validation, the neutraliser
    net       the transport: real sockets, the one error map (net.failure_of)
    probe/    smtp (one SMTP(+TLS) check), tls, tls_inspect, discover, vpn/
    engine    runs every check concurrently, reports progress, cancels
    host/     inspection of this computer (environment, local VPN state)
    report/   model/JSON/text, html, support summary, privacy, files, logs
    cli, gui  the faces (gui is the only package that imports Qt)
    simnet    the simulated network used by the demo and the tests
"""

import sys as _sys

from . import interrupts as _interrupts

if _sys.argv and _interrupts.running_as_program(_sys.argv[0]):
    _interrupts.install_early()  # Ctrl+C while the rest is imported: exit 130, no traceback

__version__ = "0.1.0"

APP_NAME = "smtpdiag"
APP_DISPLAY_NAME = "smtpdiag"
ORG_NAME = "smtpdiag"
ORG_DOMAIN = "smtpdiag.org"
APP_ID = "org.smtpdiag.smtpdiag"
