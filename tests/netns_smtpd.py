"""A real SMTP server for the network-namespace tests (run inside the namespace).

usage: python netns_smtpd.py CERT KEY ADDR:PORT:MODE [ADDR:PORT:MODE ...]
Prints "ready" once every listener accepts connections; stops on SIGTERM.
"""

from __future__ import annotations

import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class Handler:
    pass


def main() -> None:
    cert, key, *listeners = sys.argv[1:]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    controllers = []
    for spec in listeners:
        addr, port, mode = spec.rsplit(":", 2)
        addr = addr.strip("[]")
        if mode == "implicit":
            c = Controller(Handler(), hostname=addr, port=int(port), ssl_context=ctx)
        else:
            c = Controller(Handler(), hostname=addr, port=int(port), tls_context=ctx, require_starttls=False)
        c.start()
        controllers.append(c)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    for c in controllers:
        c.stop()


if __name__ == "__main__":
    main()
