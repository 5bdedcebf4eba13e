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

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ...net import Network, ProbeError, connect_budget, describe, failure_of
from ...records import Step, TranscriptLine

T = TypeVar("T")

# Longest time any single wait blocks before looking at the cancel event again.
SLICE = 0.1
# Bytes per line of a hex dump in the transcript.
HEX_BYTES_PER_LINE = 32

PROBE_FAILURES = ("no_answer", "refused", "unverifiable", "cancelled", "local_blocked")


class Cancelled(Exception):
    """The user stopped the check; unwinds a probe to :func:`ProbeSession.finish`."""


@dataclass(frozen=True)
class ProbeOutcome:
    """The conclusion of one protocol probe (``failure`` None means: it answered)."""

    failure: str | None
    detail: str

    def __post_init__(self) -> None:
        if self.failure is not None and self.failure not in PROBE_FAILURES:
            raise ValueError(f"not a probe failure word: {self.failure!r}")


@dataclass(frozen=True)
class Received:
    """What a TCP read loop got and why it stopped (``complete``, ``closed`` or time ran out)."""

    data: bytes
    complete: bool = False
    closed: bool = False

    @property
    def timed_out(self) -> bool:
        return not self.complete and not self.closed


def hex_lines(data: bytes, width: int = HEX_BYTES_PER_LINE) -> list[str]:
    """*data* as space-separated hex bytes, *width* bytes per line."""
    return [data[i : i + width].hex(" ") for i in range(0, len(data), width)] or ["(empty)"]


def probe_failure_of(exc: BaseException, udp: bool = False) -> str:
    """The probe failure word for a socket error: refused, local_blocked, cancelled,
    else no_answer (``net.failure_of`` decides; this only narrows its words).

    A VPN check only distinguishes "actively refused" (TCP RST, ICMP port
    unreachable; *udp*: on Windows a reset on a UDP socket) and "this computer
    forbids it" from "no answer"; unreachable hosts and cut connections are
    reported as no answer, with the technical reason in the step's detail.
    """
    failure = failure_of(exc, udp=udp)
    if failure in ("refused", "cancelled", "local_blocked"):
        return failure
    return "no_answer"


class ProbeSession:
    """The clock, steps and transcript of one VPN probe."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self._t0 = time.monotonic()
        self.steps: list[Step] = []
        self.transcript: list[TranscriptLine] = []

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
        self.steps.append(Step("connect", True, self.ms(), detail))
        self.note(detail)

    def finish(self, outcome: ProbeOutcome) -> tuple[tuple[Step, ...], tuple[TranscriptLine, ...]]:
        """Close the records with the single ``probe`` step carrying *outcome*."""
        self.note(outcome.detail)
        ok = outcome.failure is None
        self.steps.append(Step("probe", ok, self.ms(), outcome.detail, outcome.failure))
        return tuple(self.steps), tuple(self.transcript)

    # -- waiting -----------------------------------------------------------

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def receive_datagram(self, sock: socket.socket, seconds: float) -> bytes | None:
        """One datagram, or None when *seconds* pass in silence.

        An ICMP port unreachable on a connected UDP socket (``ConnectionRefusedError``,
        on Windows ``ConnectionResetError`` 10054) is left to the caller.
        """
        deadline = time.monotonic() + seconds
        while True:
            self.check_cancel()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            sock.settimeout(min(SLICE, remaining))
            try:
                return sock.recv(65535)
            except TimeoutError:
                continue

    def receive_stream(self, sock: socket.socket, seconds: float,
                       is_complete: Callable[[bytes], bool], limit: int = 65536) -> Received:
        """Read from a TCP (or TLS) socket until *is_complete*, EOF, *limit* or *seconds*.

        A reset after the connection was accepted counts as the server closing it.
        """
        deadline = time.monotonic() + seconds
        data = b""
        while True:
            self.check_cancel()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Received(data)
            sock.settimeout(min(SLICE, remaining))
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except (ConnectionResetError, ConnectionAbortedError):
                # Accepted, then cut: the server closed on us (tls-crypt servers do
                # this with strangers).  That is not a refusal.
                return Received(data, closed=True)
            if not chunk:
                return Received(data, closed=True)
            data += chunk
            if is_complete(data) or len(data) >= limit:
                return Received(data, complete=True)

    def send_stream(self, sock: socket.socket, data: bytes, seconds: float) -> None:
        """Send *data* on a TCP (or TLS) socket within *seconds* (small payloads only)."""
        self.check_cancel()
        sock.settimeout(max(seconds, SLICE))
        sock.sendall(data)

    def wait_for(self, work: Callable[[], T], seconds: float,
                 discard: Callable[[T], None]) -> T:
        """Run a call that cannot be interrupted (a TCP connect) in a helper thread.

        Returns its result or re-raises its exception; when the user cancels, the
        call is abandoned and its late result handed to *discard* (to close a
        socket nobody will use).  *seconds* only bounds the polling: *work* must
        carry its own timeout.
        """
        box: dict[str, object] = {}
        lock = threading.Lock()
        done = threading.Event()

        def run() -> None:
            try:
                result: object = work()
                key = "value"
            except BaseException as exc:  # noqa: BLE001 - handed over to the caller
                result, key = exc, "error"
            with lock:
                if box.get("abandoned"):
                    if key == "value":
                        discard(result)  # type: ignore[arg-type]
                else:
                    box[key] = result
                done.set()

        threading.Thread(target=run, daemon=True, name="smtpdiag-vpn-connect").start()
        deadline = time.monotonic() + seconds + 1.0
        while not done.wait(SLICE):
            if self.cancel.is_set() or time.monotonic() > deadline:
                with lock:
                    if not done.is_set():
                        box["abandoned"] = True
                        if self.cancel.is_set():
                            raise Cancelled()
                        raise ProbeError("timeout", f"no answer within {seconds:g} s")
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["value"]  # type: ignore[return-value]


# What a failed TCP connection means, by the failure word of ``net``.
_CONNECT_FAILURES = {
    "refused": "the TCP connection was refused (nothing listens there, or a firewall sent "
               "a reset)",
    "timeout": "the TCP connection got no answer",
    "unreachable": "the server cannot be reached from here (no route to it)",
    "reset": "the TCP connection was cut while it was being made",
}


def connect_tcp(net: Network, address: str, port: int, timeout: float,
                session: ProbeSession, record_step: bool = True) -> socket.socket | ProbeOutcome:
    """A connected TCP socket, or the outcome that ends the probe (refused, no answer).

    Records the connection in *session*: a ``connect`` step on success (unless
    *record_step* is false, for a probe's second connection), notes either way.
    """
    session.note(f"connecting to {hostport(address, port)} (TCP)")
    try:
        sock = session.wait_for(lambda: net.open_tcp(address, port, timeout),
                                connect_budget(timeout), discard=lambda s: s.close())
    except (ProbeError, OSError) as exc:
        failure = probe_failure_of(exc)
        if failure == "cancelled":
            raise Cancelled() from None
        reason = _CONNECT_FAILURES.get(failure_of(exc), "the TCP connection failed")
        return ProbeOutcome(failure, f"{reason}: {describe(exc)}")
    detail = f"TCP connection to {hostport(address, port)} established"
    if record_step:
        session.connected(detail)
    else:
        session.note(detail)
    return sock


def open_udp(net: Network, address: str, port: int,
             session: ProbeSession) -> socket.socket | ProbeOutcome:
    """A connected UDP socket, or the outcome that ends the probe (no route)."""
    session.note(f"sending to {hostport(address, port)} (UDP)")
    try:
        return net.open_udp(address, port)
    except ProbeError as exc:
        return ProbeOutcome(probe_failure_of(exc, udp=True), f"cannot send to {address}: {exc.detail}")


def hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


@dataclass(frozen=True)
class DatagramExchange:
    """The result of sending a UDP request (with retransmissions) and waiting."""

    answer: object | None  # what *accept* returned for the first acceptable datagram
    sends: int
    refused: bool = False


def exchange_datagrams(sock: socket.socket, request: bytes, timeout: float,
                       session: ProbeSession, accept: Callable[[bytes], object | None],
                       sends: int = 3, label: str = "request") -> DatagramExchange:
    """Send *request*, retransmit it evenly within *timeout*, return the first answer.

    *accept* decodes a datagram and returns None for one that is not an answer to
    this request (it is noted in the transcript and ignored).  An ICMP port
    unreachable on the connected socket (``ConnectionRefusedError``; on Windows
    ``ConnectionResetError`` 10054) ends the exchange with ``refused``.
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
        except (ConnectionRefusedError, ConnectionResetError) as exc:
            # Linux and macOS report the ICMP port unreachable as ECONNREFUSED,
            # Windows as WSAECONNRESET (10054): the one error map says which is which.
            if failure_of(exc, udp=True) != "refused":
                raise
            session.note(f"ICMP port unreachable: the system reports the port as closed ({describe(exc)})")
            return DatagramExchange(None, attempt, refused=True)
    return DatagramExchange(None, sends)
