"""Host inspection: what a report may say about this computer (environment) and
whether it is itself connected through a VPN (vpn)."""
