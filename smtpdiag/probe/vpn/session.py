"""What every VPN probe shares: one clock, one transcript, and waits that honour cancel.

    ProbeSession          the records of one probe while it runs
    ├── steps             Step("connect", ok=True) for TCP, then exactly one Step("probe")
    └── transcript        hex dumps of what was sent/received, plus decoded notes
    ProbeOutcome          what a protocol probe concluded: failure word + detail
    Cancelled             raised inside a probe when the user stops the check
    Received              what a TCP read loop got: bytes, and why it stopped

Every socket wait is cut into slices of at most :data:`SLICE` seconds; between
slices the ``cancel`` event is checked, so stopping a check takes effect within a
fraction of a second even with a long timeout.  The failure words a probe may
end with are those of ``verdict.STEP_FAILURES`` for the step ``probe``:
``None`` (answered), ``no_answer``, ``refused``, ``unverifiable``, ``cancelled``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ...frozen import record
from ...net import Datagrams, Network, ProbeError, Stream, host_port
from ...records import Step, TranscriptLine
from ..steps import StepRecorder

# Longest time any single wait blocks before looking at the cancel event again.
SLICE = 0.1
# Bytes per line of a hex dump in the transcript.
HEX_BYTES_PER_LINE = 32

PROBE_FAILURES = ("no_answer", "refused", "unverifiable", "cancelled", "local_blocked")
# Longest time any single wait blocks before looking at the cancel event again (net.SLICE).


class Cancelled(Exception):
    """The user stopped the check; unwinds a probe to :func:`ProbeSession.finish`."""


@record
class ProbeOutcome:
    """The conclusion of one protocol probe (``failure`` None means: it answered)."""

    failure: str | None
    detail: str

    def __post_init__(self) -> None:
        if self.failure is not None and self.failure not in PROBE_FAILURES:
            raise ValueError(f"not a probe failure word: {self.failure!r}")


@record
class Received:
    """What a TCP read loop got and why it stopped (``complete``, ``closed`` or time ran out)."""

    data: bytes
    complete: bool = False
    closed: bool = False


def hex_lines(data: bytes, width: int = HEX_BYTES_PER_LINE) -> list[str]:
    """*data* as space-separated hex bytes, *width* bytes per line."""
    return [data[i : i + width].hex(" ") for i in range(0, len(data), width)] or ["(empty)"]


def vpn_failure(failure: str) -> str:
    """The probe failure word for a transport failure word (``net.failure_of`` made it).

    A VPN check only distinguishes "actively refused" (TCP RST, ICMP port
    unreachable) and "this computer forbids it" from "no answer"; unreachable
    hosts and cut connections are reported as no answer, with the technical
    reason in the step's detail.
    """
    if failure in ("refused", "cancelled", "local_blocked"):
        return failure
    return "no_answer"


class ProbeSession:
    """The clock, steps and transcript of one VPN probe."""

    def __init__(self, cancel: threading.Event, timeout: float | None = None) -> None:
        self.cancel = cancel
        self._t0 = time.monotonic()
        self.rec = StepRecorder()
        self.transcript: list[TranscriptLine] = []
        # The probe step's budget: one *timeout* from the start of the probe, or from
        # the TCP connection when there is one (the connect is a step of its own).
        # Every wait (a second connection, TLS, a read) ends by it at the latest.
        self.timeout = timeout
        self._probe_t0 = self._t0
        self.deadline = self._t0 + timeout if timeout is not None else None

    def until(self, seconds: float) -> float:
        """The deadline of a wait of *seconds*, cut at the probe step's budget."""
        end = time.monotonic() + seconds
        return min(end, self.deadline) if self.deadline is not None else end

    def left(self, seconds: float) -> float:
        """*seconds*, or what is left of the probe step's budget if that is less."""
        return max(0.0, self.until(seconds) - time.monotonic())

    # -- clock and records -------------------------------------------------

    def ms(self) -> int:
        """Milliseconds since the probe started."""
        return int((time.monotonic() - self._t0) * 1000)

    def note(self, text: str, tls: bool = False) -> None:
        self.transcript.append(TranscriptLine(self.ms(), "note", text, tls))

    def sent(self, data: bytes, tls: bool = False) -> None:
        self._dump("send", data, tls)

    def received(self, data: bytes, tls: bool = False) -> None:
        self._dump("recv", data, tls)

    def sent_text(self, text: str, tls: bool = False) -> None:
        self._lines("send", text, tls)

    def received_text(self, text: str, tls: bool = False) -> None:
        self._lines("recv", text, tls)

    def _dump(self, direction: str, data: bytes, tls: bool) -> None:
        ms = self.ms()
        for line in hex_lines(data):
            self.transcript.append(TranscriptLine(ms, direction, line, tls))  # type: ignore[arg-type]

    def _lines(self, direction: str, text: str, tls: bool) -> None:
        ms = self.ms()
        for line in text.splitlines() or [""]:
            self.transcript.append(TranscriptLine(ms, direction, line, tls))  # type: ignore[arg-type]

    def connected(self, detail: str) -> None:
        """Record a successful TCP connection (a failed one ends the probe instead)."""
        self.rec.record("connect", True, self._t0, detail)
        self.note(detail)
        self._probe_t0 = time.monotonic()
        if self.timeout is not None:
            self.deadline = self._probe_t0 + self.timeout

    def finish(self, outcome: ProbeOutcome) -> tuple[tuple[Step, ...], tuple[TranscriptLine, ...]]:
        """Close the records with the single ``probe`` step carrying *outcome*."""
        self.note(outcome.detail)
        ok = outcome.failure is None
        self.rec.record("probe", ok, self._probe_t0, outcome.detail, outcome.failure)
        return tuple(self.rec.steps), tuple(self.transcript)

    # -- waiting -----------------------------------------------------------

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def receive_datagram(self, channel: Datagrams, seconds: float) -> bytes | None:
        """One datagram, or None when *seconds* pass in silence.

        A refusal (ICMP port unreachable) arrives as ProbeError ``refused``.
        """
        try:
            return channel.recv(self.until(seconds))
        except ProbeError as exc:
            if exc.failure == "cancelled":
                raise Cancelled() from None
            raise

    def receive_stream(self, stream: Stream, seconds: float,
                       is_complete: Callable[[bytes], bool], limit: int = 65536) -> Received:
        """Read from a TCP (or TLS) stream until *is_complete*, EOF, *limit* or *seconds*.

        A reset after the connection was accepted counts as the server closing it.
        """
        deadline = self.until(seconds)
        data = b""
        while True:
            try:
                chunk = stream.recv(deadline)
            except ProbeError as exc:
                if exc.failure == "cancelled":
                    raise Cancelled() from None
                if exc.failure == "timeout":
                    return Received(data)
                if exc.failure in ("eof", "reset"):
                    # Accepted, then cut: the server closed on us (tls-crypt servers do
                    # this with strangers).  That is not a refusal.
                    return Received(data, closed=True)
                raise
            data += chunk
            if is_complete(data) or len(data) >= limit:
                return Received(data, complete=True)

    def send_stream(self, stream: Stream, data: bytes, seconds: float) -> None:
        """Send *data* on a TCP (or TLS) stream within *seconds* (small payloads only)."""
        try:
            stream.send(data, self.until(max(seconds, SLICE)))
        except ProbeError as exc:
            if exc.failure == "cancelled":
                raise Cancelled() from None
            raise


# What a failed TCP connection means, by the failure word of ``net``.
_CONNECT_FAILURES = {
    "refused": "the TCP connection was refused (nothing listens there, or a firewall sent "
               "a reset)",
    "timeout": "the TCP connection got no answer",
    "unreachable": "the server cannot be reached from here (no route to it)",
    "reset": "the TCP connection was cut while it was being made",
    "local_blocked": "this computer refused to open the connection (a firewall or security "
                     "program here)",
}


def connect_tcp(net: Network, address: str, port: int, timeout: float,
                session: ProbeSession, record_step: bool = True) -> Stream | ProbeOutcome:
    """A connected TCP stream, or the outcome that ends the probe (refused, no answer).

    Records the connection in *session*: a ``connect`` step on success (unless
    *record_step* is false, for a probe's second connection), notes either way.
    """
    session.note(f"connecting to {hostport(address, port)} (TCP)")
    if not record_step:  # a probe's second connection: within the probe step's budget
        timeout = session.left(timeout)
    try:
        if timeout <= 0:
            raise ProbeError("timeout", "no time left in this step for another connection")
        stream = net.open_stream(address, port, timeout, session.cancel)
    except ProbeError as exc:
        if exc.failure == "cancelled":
            raise Cancelled() from None
        reason = _CONNECT_FAILURES.get(exc.failure, "the TCP connection failed")
        return ProbeOutcome(vpn_failure(exc.failure), f"{reason}: {exc.detail}")
    detail = f"TCP connection to {hostport(address, port)} established"
    if record_step:
        session.connected(detail)
    else:
        session.note(detail)
    return stream


def open_udp(net: Network, address: str, port: int,
             session: ProbeSession) -> Datagrams | ProbeOutcome:
    """A connected UDP channel, or the outcome that ends the probe (no route)."""
    session.note(f"sending to {hostport(address, port)} (UDP)")
    try:
        return net.open_datagrams(address, port, session.cancel)
    except ProbeError as exc:
        return ProbeOutcome(vpn_failure(exc.failure), f"cannot send to {address}: {exc.detail}")


def hostport(address: str, port: int) -> str:
    return host_port(address, port)


@record
class DatagramExchange:
    """The result of sending a UDP request (with retransmissions) and waiting."""

    answer: object | None  # what *accept* returned for the first acceptable datagram
    sends: int
    refused: bool = False


def exchange_datagrams(sock: Datagrams, request: bytes, timeout: float,
                       session: ProbeSession, accept: Callable[[bytes], object | None],
                       sends: int = 3, label: str = "request") -> DatagramExchange:
    """Send *request*, retransmit it evenly within *timeout*, return the first answer.

    *accept* decodes a datagram and returns None for one that is not an answer to
    this request (it is noted in the transcript and ignored).  An ICMP port
    unreachable on the connected socket (``refused`` from the one error map:
    ECONNREFUSED on Linux and macOS, WSAECONNRESET 10054 on Windows) ends the
    exchange with ``refused``; other transport failures are raised.
    """
    interval = timeout / sends
    for attempt in range(1, sends + 1):
        try:
            if attempt == 1:
                session.sent(request)
            else:
                session.note(f"no answer yet, sending the {label} again ({attempt} of {sends})")
            session.check_cancel()
            sock.send(request)
            deadline = time.monotonic() + interval
            while (remaining := deadline - time.monotonic()) > 0:
                data = session.receive_datagram(sock, remaining)
                if data is None:
                    break
                session.received(data)
                answer = accept(data)
                if answer is not None:
                    return DatagramExchange(answer, attempt)
                session.note("ignored: this datagram is not an answer to our request")
        except ProbeError as exc:
            if exc.failure == "cancelled":
                raise Cancelled() from None
            if exc.failure != "refused":
                raise
            session.note(f"ICMP port unreachable: the system reports the port as closed ({exc.detail})")
            return DatagramExchange(None, attempt, refused=True)
    return DatagramExchange(None, sends)
