"""The simulated network: real software on loopback, shared by the demo and the tests.

Nothing here is a mock.  Real SMTP servers (aiosmtpd) with real certificates
(trustme), real hostile peers and a real fault-injecting TCP proxy listen on
127.0.0.1 / ::1; the probes reach them through :class:`SimNetwork`, a
:class:`smtpdiag.net.Network` that maps made-up names and documentation
addresses onto those listeners.  Only loopback is ever contacted.

    scenarios   the named worlds as data (healthy, mobile-2012, captive-portal, ...)
    behaviours  what a world's target server runs on each port
    world       start_scenario(name) -> RunningScenario (.network, .config()): a
                scenario built on loopback
    network     SimNetwork: names -> documentation addresses -> loopback endpoints
    servers     SimServers (one event loop thread) and the server specs/factories
    rules       ProxyRule: what the network does on a port (drop, reset, strip, mask,
                intercept...), and the interception products, as data
    proxy       the fault proxy that carries the rules out
    raw         non-SMTP behaviours (silent, endless greeting, HTTP, TLS alert...)
    certs       the simulated CA and every certificate variant
    sockets     loopback addresses, closed ports, black holes
    loop        the background event loop thread

Submodules are imported on use; ``smtpdiag.simnet`` itself stays cheap to import.
"""

from __future__ import annotations
