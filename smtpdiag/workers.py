"""The run's threads: one bounded pool of daemon workers.

    Pool(size)            at most *size* worker threads, started only when work waits
    ├── submit(fn, *args) queue ``fn(*args)``; returns at once
    └── close()           no more work; idle workers end, queued work is still done

A run (:class:`smtpdiag.engine.Diagnosis`) has one pool of :data:`WORKERS`
threads.  Its tasks are the units of work: one host's look-up in one address
family, one family's attempt of a check, the discovery of an e-mail domain's
server, the one login, the clock query.  **A task never waits for another task**:
with every worker waiting for work still in the queue, nothing would run again.
What depends on other work is started when that work ends (the engine submits a
check's attempts when its host's addresses are known, and so on).

A task may wait for things outside the pool: the network (in slices that look at
the run's cancel flag) and the calls that cannot be interrupted (``getaddrinfo``,
dnspython), which run in threads of their own through
:func:`smtpdiag.net.run_abandonable` and are given up on at a deadline or a
cancel.  So a run has at most :data:`WORKERS` worker threads plus one thread per
look-up in progress (or abandoned, until the operating system answers).

Workers are daemon threads: a run that is cancelled or abandoned (the window
closes) never keeps the program alive.  A task's exception never ends its
worker; it is logged with its traceback (the engine's tasks catch their own
exceptions and turn them into ``internal_error`` first).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

from . import runlog

TYPE_CHECKING = False  # typing's constant, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

# Most worker threads one run uses.  A run's work is mostly waiting on the network,
# so this is about how many attempts may wait at once, not about CPU.  The default
# run is 4 ports x (the target + the 4 reference servers on the ports they serve) =
# 17 checks, x 2 families = 34 attempts, and with --vpn 7 protocols x 2 more = 48: all
# of them fit, so even a network that silently drops every port costs one timeout,
# not two.  A bigger run (many ports) queues the rest; every attempt ends within its
# steps' timeouts, so the queue moves.  The bound keeps a run of 100 ports from
# starting 500 threads.
WORKERS = 64



class Pool:
    """At most *size* daemon threads that run submitted tasks, first come first served."""

    def __init__(self, size: int = WORKERS, name: str = "smtpdiag-worker") -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.size = size
        self._name = name
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: collections.deque[tuple[Callable[..., object], tuple[Any, ...]]] = collections.deque()
        self._threads = 0  # workers alive
        self._idle = 0  # workers waiting for work
        self._started = 0  # workers ever started (names)
        self._closed = False

    def submit(self, fn: Callable[..., object], *args: Any) -> None:
        """Run ``fn(*args)`` on a worker, now or when one is free."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is closed")
            self._queue.append((fn, args))
            if self._idle >= len(self._queue):
                self._wake.notify()
            elif self._threads < self.size:
                self._threads += 1
                self._started += 1
                threading.Thread(target=self._work, daemon=True, name=f"{self._name}-{self._started}").start()
            # else: every worker is busy; the first one free takes it

    def close(self) -> None:
        """No more tasks: workers end once the queue is empty."""
        with self._lock:
            self._closed = True
            self._wake.notify_all()

    @property
    def threads(self) -> int:
        """Workers alive now."""
        with self._lock:
            return self._threads

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    if self._closed:
                        self._threads -= 1
                        return
                    self._idle += 1
                    self._wake.wait()
                    self._idle -= 1
                fn, args = self._queue.popleft()
            try:
                fn(*args)
            except BaseException as exc:  # noqa: BLE001 - a task's bug must not end the worker
                runlog.error(f"a task failed unexpectedly: {fn!r}", exc)
