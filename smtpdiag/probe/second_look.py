"""The second looks a failed step takes, to say more about what it met.

    certificate(probe, deadline)   the certificate was refused: connect again and read
                                   it without verifying (tls_inspect), only to show it
    plain_text(probe, deadline)    plain text where TLS was expected: listen once more
                                   without TLS, to show what answers (a web page?)

Each look shares the budget of the step it belongs to (*deadline*): it never
makes a step longer than the run's timeout.  A look that fails says so in the
transcript and changes no verdict.
"""

from __future__ import annotations

import time

from ..frozen import record
from ..net import ProbeError
from ..records import CertInfo
from .tls_inspect import capture_certificate

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from .smtp import SmtpProbe


@record
class SeenCertificate:
    chain: tuple[CertInfo, ...] = ()
    version: str | None = None
    cipher: str | None = None


def certificate(probe: SmtpProbe, deadline: float) -> SeenCertificate:
    """Connect again (as far as the start of TLS) and read the certificate unverified."""
    session = None
    try:
        session = probe.reconnect_until_tls(
            deadline, "second look without verification, only to read the certificate")
        chain, version, cipher = capture_certificate(session.stream, probe.s.host, deadline)
    except ProbeError as exc:
        if exc.failure == "cancelled":
            raise
        probe.note(f"could not read the certificate: {exc.detail}", True)
        return SeenCertificate()
    finally:
        if session is not None:
            session.close()
    return SeenCertificate(chain, version, cipher)


def plain_text(probe: SmtpProbe, deadline: float) -> ProbeError | None:
    """Listen without TLS; the ``http`` failure when a web server answers, else None."""
    try:
        session = probe.connect(deadline, "second look without encryption, to see what answers on this port")
    except ProbeError as exc:
        if exc.failure == "cancelled":
            raise
        return None
    try:
        wait = min(1.0, probe.s.timeout / 4, max(0.0, deadline - time.monotonic()))
        try:
            reply = session.read_reply(greeting=True, wait=wait)
        except ProbeError as exc:
            if exc.failure == "timeout" and not session.buffer:
                try:  # a web proxy may wait for the client to speak first
                    session.send_line(f"EHLO {probe.ehlo_name(session)}")
                    session.read_reply(greeting=True)
                except ProbeError as second:
                    exc = second
            return exc if exc.failure == "http" else None
        session.note(f"the server answered in plain text: {reply.code} {reply.text}"[:200])
        return None
    finally:
        session.close()
