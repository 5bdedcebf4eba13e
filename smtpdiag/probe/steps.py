"""The one step recorder the probes share.

A probe (an SMTP attempt, the discovery of a domain's sending server) writes its
steps into a :class:`StepRecorder`: they stay in order for the check's records, and
each is handed at once to *on_step* (the engine's live ``StepRecorded`` event, which
the window shows while the check runs).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..records import Step


class StepRecorder:
    def __init__(self, on_step: Callable[[Step], None] | None = None) -> None:
        self.steps: list[Step] = []
        self.on_step = on_step

    def add(self, step: Step) -> Step:
        """Record *step* (made elsewhere, its time already measured)."""
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)
        return step

    def record(self, step: str, ok: bool, started: float, detail: str = "",
               failure: str | None = None, findings: tuple[str, ...] = ()) -> Step:
        """Record *step*, timed from *started* (a ``time.monotonic()`` value) to now."""
        return self.add(Step(step, ok, int((time.monotonic() - started) * 1000), detail, failure, findings))
