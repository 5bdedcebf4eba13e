"""One background asyncio event loop thread for every simulated server and proxy.

:class:`EventLoopThread` owns the loop; other threads hand it coroutines with
:meth:`~EventLoopThread.call` and wait for the result.  Every connection a
simulated server or proxy accepts is registered with :meth:`track`, so that
:meth:`~EventLoopThread.close` can end all of them:

    close()
      1. runs the registered closers (listening servers stop accepting)
      2. aborts every tracked transport (live connections end at once)
      3. cancels every task still running and waits for it
      4. shuts down async generators and the default executor, closes the loop,
         joins the thread

Errors that reach the loop's exception handler (a task that failed without
anyone waiting for it) are logged at debug level and kept, at most
``MAX_ERRORS`` of them, in :attr:`~EventLoopThread.errors`, so tests can insist
that a clean run produced none.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("smtpdiag.simnet")

MAX_ERRORS = 100
CALL_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0


class EventLoopThread:
    """A private event loop running in a daemon thread until :meth:`close`."""

    def __init__(self, name: str = "smtpdiag-simnet") -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(self._on_loop_error)
        self.errors: list[str] = []
        self._transports: set[asyncio.BaseTransport] = set()
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        exc = context.get("exception")
        text = f"{message}: {exc!r}" if exc is not None else message
        log.debug("simulated network: %s", text)
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text)

    # -- used from other threads ------------------------------------------

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
        """Run *coro* on the loop and wait for its result."""
        if self._closed:
            coro.close()
            raise RuntimeError("the simulated network has been stopped")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"the simulated network did not answer within {timeout:g} s") from None

    def close(self) -> None:
        """End every connection and task, then stop and close the loop (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
            try:
                future.result(CLOSE_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - shut down regardless
                log.debug("simulated network shutdown: %r", exc)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(CLOSE_TIMEOUT)
        if not self._thread.is_alive():
            self.loop.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- used on the loop ---------------------------------------------------

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Register an async callable run first when the loop closes (server.close...)."""
        self._closers.append(closer)

    def transports(self) -> list[asyncio.BaseTransport]:
        """The live connections' transports (call on the loop; for tests and debugging)."""
        return list(self._transports)

    def track(self, transport: asyncio.BaseTransport) -> None:
        self._transports.add(transport)

    def untrack(self, transport: asyncio.BaseTransport) -> None:
        self._transports.discard(transport)

    async def _shutdown(self) -> None:
        for closer in reversed(self._closers):
            try:
                await closer()
            except Exception as exc:  # noqa: BLE001 - keep closing the rest
                log.debug("simulated network closer: %r", exc)
        for transport in list(self._transports):
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()
            else:
                transport.close()
        self._transports.clear()
        me = asyncio.current_task()
        # Cancel every task and wait for it, again until none is left: a connection
        # accepted in the moment the listeners closed starts its handler task only now,
        # and a task left pending when the loop closes is destroyed mid-await.
        for _ in range(5):
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            if not tasks:
                break
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # Let connection_lost callbacks of the aborted transports run.
            for _ in range(3):
                await asyncio.sleep(0)
        await self.loop.shutdown_asyncgens()
        await self.loop.shutdown_default_executor()
