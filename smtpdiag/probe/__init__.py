"""The probes: SMTP (smtp), TLS (tls, tls_inspect), server discovery (discover), VPN (vpn/).

They sit above records/causes/verdict/net and below the engine; they know no words
for people beyond step details, and never inspect the host.
"""
