"""smtpdiag: find out why a mail program cannot send mail.

The package is split by responsibility.  Everything outside ``smtpdiag.gui``
is free of Qt so that ``smtpdiag check`` and the engine's tests need no display
(``tests/test_layering.py`` enforces it).

    target    parse what the user typed (host, IDN, IP literal, e-mail address)
    records   the frozen records every probe returns (steps, transcript, TLS)
    resolve   OS resolver per address family, MX look-ups
    net       the transport: real sockets, one place that maps socket errors
    smtp_probe / tls   one SMTP(+TLS) check of one address and port
    vpn       VPN protocol probes
    causes    the contract's cause table and the words shown for each cause
    verdict   pure classification: records -> light, cause, where
    engine    runs every check concurrently, reports progress, cancels
    report    JSON / text / HTML renderings of one run
    simnet    the simulated network used by the demo and the tests
    cli       the command line
    gui       the window (the only package that imports Qt)
"""

__version__ = "0.1.0"

APP_NAME = "smtpdiag"
APP_DISPLAY_NAME = "smtpdiag"
ORG_NAME = "smtpdiag"
ORG_DOMAIN = "smtpdiag.org"
APP_ID = "org.smtpdiag.smtpdiag"
