"""The one place where the diagnosis's worker threads meet the window.

    DiagnosisRunner  (QObject, lives on the GUI thread)
      start(config) / start_scenario(name) -> run id
      cancel()     stop the current run (probes notice within ~0.1 s)
      shutdown()   stop everything, accept no more events (window closing)
      signals, always delivered on the GUI thread and only for the current run:
        started(RunConfig)  planned(tuple[Check])  stepRecorded(str, Step)
        checkFinished(Check)  finished(Report | None)  failed(str)
    _Relay           (QObject, lives on the GUI thread)
      forward(int, object)   the ONLY signal emitted from worker threads

Rules (threads and the window):

* A run's worker thread gets plain values (a RunConfig, a scenario name), never
  widgets.  Its ``on_event`` callback only emits ``_Relay.forward`` with the run
  id; the queued connection moves the event to the GUI thread, where the
  ``@Slot`` :meth:`DiagnosisRunner._on_event` drops events of stale runs (after
  cancel + restart) and re-emits the rest as typed signals.
* Every live run (its thread and its :class:`~smtpdiag.engine.Diagnosis`) is
  kept referenced in ``_runs`` until its thread has ended.
* The engine uses daemon threads, so closing the window only cancels and stops
  listening; it never waits for a probe.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from ..config import RunConfig
from ..engine import CheckFinished, Diagnosis, Finished, Planned, StepRecorded
from ..i18n import _
from ..net import Network
from ..report.model import Report, report_of


# -- events the run thread adds to the engine's own ------------------------------------
@dataclass(frozen=True)
class _Started:
    config: RunConfig


@dataclass(frozen=True)
class _Failed:
    message: str


@dataclass(frozen=True)
class _NotStarted:
    """Cancelled before the diagnosis started (e.g. while the demo servers started)."""


@dataclass(frozen=True)
class _ThreadEnded:
    pass


@dataclass(frozen=True)
class _Reported:
    """The run's report: the engine's result with words and environment."""

    report: Report


Setup = Callable[[], contextlib.AbstractContextManager[tuple[RunConfig, Network | None]]]


class _Relay(QObject):
    """Worker threads emit this object's signal, and nothing else."""

    forward = Signal(int, object)  # (run id, engine event); not "event": that is QObject.event()


class _Run:
    """One run: its id, its cancel flag, and (once started) its Diagnosis."""

    def __init__(self, run_id: int) -> None:
        self.id = run_id
        self.cancel = threading.Event()
        self.lock = threading.Lock()
        self.diagnosis: Diagnosis | None = None
        self.thread: threading.Thread | None = None

    def request_cancel(self) -> None:
        with self.lock:
            self.cancel.set()
            if self.diagnosis is not None:
                self.diagnosis.cancel()


class DiagnosisRunner(QObject):
    started = Signal(object)  # RunConfig
    planned = Signal(object)  # tuple[Check, ...]
    stepRecorded = Signal(str, object)  # check id, Step
    checkFinished = Signal(object)  # Check
    finished = Signal(object)  # Report, or None when cancelled before anything ran
    failed = Signal(str)  # a one-line message: the run could not start

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # No parent: Python owns the relay, and every worker callback holds a
        # reference to it, so it cannot be deleted under a running thread.
        self._relay = _Relay()
        self._relay.forward.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self._closed = threading.Event()
        self._runs: dict[int, _Run] = {}
        self._current = 0
        self._next_id = 0

    # -- public API (GUI thread) ----------------------------------------------------------
    @property
    def running(self) -> bool:
        run = self._runs.get(self._current)
        return run is not None and not run.cancel.is_set()

    def start(self, config: RunConfig, network: Network | None = None) -> int:
        """Start a diagnosis of *config*; any current run is cancelled first."""

        @contextlib.contextmanager
        def setup() -> Iterator[tuple[RunConfig, Network | None]]:
            yield config, network

        return self._start(setup)

    def start_scenario(self, name: str, timeout: float = 3.0) -> int:
        """Start a diagnosis on the simulated network of scenario *name*.

        The simulated servers start (and stop) in the run's own thread, so the
        window never waits for them.
        """

        @contextlib.contextmanager
        def setup() -> Iterator[tuple[RunConfig, Network | None]]:
            from ..demo import start_scenario

            with start_scenario(name) as sim:
                yield sim.demo_config(timeout=timeout), sim.network

        return self._start(setup)

    def cancel(self) -> None:
        run = self._runs.get(self._current)
        if run is not None:
            run.request_cancel()

    def shutdown(self, wait: float = 0.0) -> None:
        """Cancel every run and ignore whatever they still report.

        *wait* bounds the total time spent joining run threads (0: do not wait);
        the engine's threads are daemons, so nothing keeps the process alive.
        """
        self._closed.set()
        self._current = -1
        runs = list(self._runs.values())
        for run in runs:
            run.request_cancel()
        if wait > 0:
            import time

            deadline = time.monotonic() + wait
            for run in runs:
                if run.thread is not None:
                    run.thread.join(max(0.0, deadline - time.monotonic()))

    # -- the worker side ----------------------------------------------------------------
    def _start(self, setup: Setup) -> int:
        if self._closed.is_set():
            raise RuntimeError("the runner was shut down")
        self.cancel()
        self._next_id += 1
        run = _Run(self._next_id)
        self._runs[run.id] = run
        self._current = run.id
        emit = _emitter(self._relay, run.id, self._closed)
        run.thread = threading.Thread(target=_run_thread, args=(run, setup, emit), daemon=True,
                                      name=f"smtpdiag-run-{run.id}")
        run.thread.start()
        return run.id

    # -- back on the GUI thread -----------------------------------------------------------
    @Slot(int, object)
    def _on_event(self, run_id: int, event: Any) -> None:
        if isinstance(event, _ThreadEnded):
            self._runs.pop(run_id, None)
            return
        if run_id != self._current or self._closed.is_set():
            return  # a stale run (cancelled and replaced) or the window is closing
        if isinstance(event, StepRecorded):
            self.stepRecorded.emit(event.check_id, event.step)
        elif isinstance(event, CheckFinished):
            self.checkFinished.emit(event.check)
        elif isinstance(event, Planned):
            self.planned.emit(event.checks)
        elif isinstance(event, _Started):
            self.started.emit(event.config)
        elif isinstance(event, _Reported):
            self._current_done()
            self.finished.emit(event.report)
        elif isinstance(event, _NotStarted):
            self._current_done()
            self.finished.emit(None)
        elif isinstance(event, _Failed):
            self._current_done()
            self.failed.emit(event.message)

    def _current_done(self) -> None:
        run = self._runs.get(self._current)
        if run is not None:
            run.cancel.set()  # nothing left to cancel; `running` is now False


def _emitter(relay: _Relay, run_id: int, closed: threading.Event) -> Callable[[object], None]:
    """The engine's on_event callback: it only emits the relay's signal."""

    def on_event(event: object) -> None:
        if closed.is_set():
            return
        if isinstance(event, Finished):
            return  # the run's thread makes the report of it (_run_thread)
        try:
            relay.forward.emit(run_id, event)
        except RuntimeError:  # the application is being torn down
            pass

    return on_event


def _run_thread(run: _Run, setup: Setup, emit: Callable[[object], None]) -> None:
    """Body of a run's thread: set up (demo servers), run, wait, tear down."""
    try:
        with setup() as (config, network):
            emit(_Started(config))
            diagnosis = Diagnosis(config, network=network, on_event=emit)
            with run.lock:
                if run.cancel.is_set():
                    emit(_NotStarted())
                    return
                run.diagnosis = diagnosis  # a Cancel from now on reaches it, also before start()
            diagnosis.start()  # outside the lock: a Cancel click never waits for the planning
            # Keep the (simulated) network alive until the last probe has reported.
            result = None
            while result is None:
                result = diagnosis.wait(0.2)
            # The words and this computer's environment are added here, on the run's
            # thread (reading the host's state may take a moment), not on the GUI thread.
            emit(_Reported(report_of(result)))
    except Exception as exc:  # noqa: BLE001 - reported to the window as a value
        emit(_Failed(_("The check could not start: {reason}").format(reason=_one_line(exc))))
    finally:
        emit(_ThreadEnded())


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
