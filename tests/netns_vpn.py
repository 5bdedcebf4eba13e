"""VPN responders for the network-namespace tests (run inside the namespace).

usage: python netns_vpn.py ADDRESS
Answers IKEv2 on UDP 500 and 4500, OpenVPN on UDP and TCP 1194 and PPTP on TCP
1723 of ADDRESS; nothing listens on UDP 51820.  Prints "ready"; stops on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading

from smtpdiag.simnet.vpn_responders import (
    IkeResponder,
    OpenVpnTcpResponder,
    OpenVpnUdpResponder,
    PptpResponder,
)


def main() -> None:
    address = sys.argv[1]
    responders = [
        IkeResponder(host=address, port=500),
        IkeResponder(natt=True, host=address, port=4500),
        OpenVpnUdpResponder(host=address, port=1194),
        OpenVpnTcpResponder(host=address, port=1194),
        PptpResponder(host=address, port=1723),
    ]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    for r in responders:
        r.close()


if __name__ == "__main__":
    main()
