"""Reading SMTP replies from a :class:`~smtpdiag.net.Stream`, and the transcript they leave.

    SmtpSession          one connection's SMTP side: send_line, read_reply, note
    ├── stream           the transport (net.Stream): every socket error is mapped there
    ├── deadline         the end of the current step: no read outlasts it
    └── transcript       what was sent and received (TLS-protected lines marked)
    Reply                one (possibly multi-line) reply: code and lines

Every reply is bounded (a line at most :data:`MAX_LINE` bytes, a reply at most
:data:`MAX_REPLY_LINES` lines); a greeting that is not SMTP at all (a web page
from a captive portal, binary bytes) is recognised from its first bytes.
"""

from __future__ import annotations

import re
import time

from ..frozen import record
from ..net import ProbeError, Stream
from ..records import TranscriptLine

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Literal

MAX_LINE = 2048  # RFC 5321 allows 512; be lenient, but bounded
MAX_REPLY_LINES = 200
_REPLY_LINE = re.compile(rb"^(\d{3})([ -]|$)")
# The start of an SMTP reply (a slow server dripping "22"): still a greeting, just late.
_REPLY_PREFIX = re.compile(rb"^(\d{1,3}|\d{3}[ -][^\r\n]*)$")


@record
class Reply:
    code: int
    lines: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


class SmtpSession:
    """One connection's reads and writes, with the transcript they leave.

    *deadline* is the end of the step under way (``time.monotonic()``); the
    probe moves it at the start of every step, so a step never waits longer
    than the run's timeout however many round trips it makes.  (A plain class:
    it changes as the conversation goes on, and a dataclass would cost start-up.)
    """

    def __init__(self, stream: Stream, started: float, timeout: float,
                 transcript: list[TranscriptLine] | None = None, buffer: bytes = b"", deadline: float = 0.0,
                 conn: int = 1, ended: str | None = None, closed: bool = False) -> None:
        self.stream = stream
        self.started = started
        self.timeout = timeout
        self.transcript: list[TranscriptLine] = [] if transcript is None else transcript
        self.buffer = buffer
        self.deadline = deadline
        self.conn = conn  # this connection's number in the attempt (the transcript's "#N")
        self.ended = ended  # how the other side ended it, when it did: eof, reset, timeout, ...
        self.closed = closed
        if not self.deadline:
            self.begin_step()

    @property
    def tls(self) -> bool:
        return self.stream.tls

    def begin_step(self, deadline: float | None = None) -> None:
        """A new step: it may wait until *deadline*, by default one timeout from now."""
        self.deadline = deadline if deadline is not None else time.monotonic() + self.timeout

    def ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def _line(self, direction: Literal["send", "recv", "note"], text: str) -> None:
        self.transcript.append(TranscriptLine(self.ms(), direction, text, self.tls, self.conn))

    def note(self, text: str) -> None:
        self._line("note", text)

    def failed(self, exc: ProbeError) -> None:
        """Remember how the connection broke (the first word counts)."""
        if self.ended is None and exc.failure in ("eof", "reset", "timeout", "unreachable", "unknown"):
            self.ended = exc.failure

    def send_line(self, line: str, shown: str | None = None) -> None:
        """Send *line*; the transcript shows *shown* instead (for secrets)."""
        self._line("send", shown or line)
        try:
            self.stream.send(line.encode("utf-8") + b"\r\n", self.deadline)
        except ProbeError as exc:
            self.failed(exc)
            raise

    def _record_raw(self, data: bytes) -> None:
        shown = data[:96]
        text = " ".join(f"{b:02x}" for b in shown)
        more = f" ... ({len(data)} bytes)" if len(data) > len(shown) else ""
        self._line("recv", f"[binary] {text}{more}")

    def read_reply(self, greeting: bool = False, wait: float | None = None) -> Reply:
        """Read one (possibly multi-line) SMTP reply before the step's deadline
        (or within *wait* seconds, if that ends sooner).

        Raises ProbeError: ``timeout``, ``eof``, ``reset`` (any transport word),
        ``too_long`` (a line over MAX_LINE or too many lines), ``malformed``; for
        the greeting also ``http`` and ``not_smtp`` when the first bytes are not
        an SMTP reply.
        """
        deadline = self.deadline if wait is None else min(self.deadline, time.monotonic() + wait)
        lines: list[str] = []
        code = 0
        while True:
            while b"\n" not in self.buffer:
                if greeting and not lines:
                    self._check_first_bytes()
                if len(self.buffer) > MAX_LINE:
                    shown = self.buffer[:120].decode("utf-8", "replace")
                    self._line("recv", f"{shown}... (line longer than {MAX_LINE} bytes, stopped reading)")
                    self.buffer = b""
                    raise ProbeError("too_long", f"a reply line longer than {MAX_LINE} bytes")
                try:
                    self.buffer += self.stream.recv(deadline, what=f"no answer within {self.timeout:g} s")
                except ProbeError as exc:
                    self.failed(exc)
                    if self.buffer and exc.failure in ("eof", "timeout", "reset"):
                        if greeting and not lines and not _REPLY_PREFIX.match(self.buffer):
                            self._check_first_bytes(final=True)
                        self._line("recv", _as_received(self.buffer[:MAX_LINE]) + " (incomplete line)")
                    raise
            raw, self.buffer = self.buffer.split(b"\n", 1)
            raw = raw.rstrip(b"\r")
            if len(raw) > MAX_LINE:
                raise ProbeError("too_long", f"a reply line longer than {MAX_LINE} bytes")
            m = _REPLY_LINE.match(raw)
            if not m:
                if greeting and not lines:
                    self.buffer = raw + b"\n" + self.buffer
                    self._check_first_bytes(final=True)
                self._line("recv", _as_received(raw))
                raise ProbeError("malformed", "a reply line that is not an SMTP reply")
            text = raw.decode("utf-8", "replace")
            # The transcript keeps the line exactly as received (bytes that are not UTF-8 as \xNN).
            self._line("recv", _as_received(raw))
            this_code = int(m.group(1))
            if lines and this_code != code:
                raise ProbeError("malformed", "a multi-line reply whose codes differ")
            code = this_code
            lines.append(text[4:])
            if len(lines) > MAX_REPLY_LINES:
                raise ProbeError("too_long", f"a reply of more than {MAX_REPLY_LINES} lines")
            if m.group(2) != b"-":
                return Reply(code, lines)

    def _check_first_bytes(self, final: bool = False) -> None:
        """Recognise a greeting that is not SMTP at all: HTTP (a captive portal
        or proxy) or other bytes."""
        head = self.buffer[:16]
        if not head:
            return
        if len(head) < 4 and not final and head.isdigit():
            return
        if head.startswith(b"HTTP/") or b"<html" in self.buffer[:512].lower() or \
                head.upper().startswith((b"<!DOCTYPE", b"<HTML")):
            first = self.buffer.split(b"\n", 1)[0][:200].decode("utf-8", "replace").strip()
            self._line("recv", _as_received(self.buffer.split(b"\n", 1)[0].rstrip(b"\r")[:MAX_LINE]))
            self.buffer = b""
            raise ProbeError("http", f"a web server answered: {first}")
        looks_like_reply = _REPLY_LINE.match(self.buffer[:4] + (b" " if len(self.buffer) == 3 else b""))
        if (len(head) >= 4 or final) and not looks_like_reply:
            printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in self.buffer[:256])
            if printable < 0.8 * min(len(self.buffer), 256):
                self._record_raw(self.buffer)
            else:
                self._line("recv", _as_received(self.buffer.split(b"\n", 1)[0].rstrip(b"\r")[:MAX_LINE]))
            self.buffer = b""
            raise ProbeError("not_smtp", "the answer is not an SMTP greeting")

    def close(self) -> None:
        """Close the connection, and say in the transcript how it ended."""
        if self.closed:
            return
        self.closed = True
        n = self.conn
        how = {
            "eof": f"connection {n} closed by the server",
            "reset": f"connection {n} reset by the other side",
            "timeout": f"connection {n}: no answer in time; closed by smtpdiag",
        }.get(self.ended or "", f"connection {n} closed by smtpdiag")
        self.transcript.append(TranscriptLine(self.ms(), "note", how, False, n))
        self.stream.close()


def _as_received(raw: bytes) -> str:
    """A received line as text, losing nothing: bytes that are not UTF-8 become \\xNN.
    (Control characters stay: the reports escape them through the neutraliser.)"""
    return raw.decode("utf-8", "backslashreplace")
