"""Host inspection: what a report may say about this computer (environment) and
whether it is itself connected through a VPN (vpn).

Every piece is a pure parser of the system's own data (tested on recorded
fixtures of real machines, on every system: windows, macos, system) behind a
thin reader that asks the operating system (``ctypes`` on Windows, a subprocess
on macOS, files on Linux) and is exercised only where that system exists.  A
reader never raises out of :func:`environment.environment` or
:func:`vpn.local_vpn_state`: the environment is a hint for the report, never a
reason for a check to fail.
"""
