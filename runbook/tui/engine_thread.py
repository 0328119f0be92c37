"""A thread of its own for the walk engine, so the UI's event loop never waits on the record.

Every engine call writes to the record before it returns, and a SQLite writer waits up to the
busy timeout (15 s) while another responder's process holds the lock. Run on the UI's loop, that
wait freezes every key and every redraw. Here the engine lives on a second event loop in a daemon
thread: the screen awaits each call (``call`` for the engine's plain methods, ``run`` for its
coroutines such as ``run_checks``), calls run there one after another as the engine requires, and
cancelling the awaiting worker cancels the call in the engine's loop.

No Textual here: the observer the engine is given posts Messages, which Textual makes thread-safe.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


class EngineThread:
    """An event loop in a daemon thread, where one walk engine is built and used."""

    def __init__(self, name: str = "walk-engine") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the engine's loop; cancelling the caller cancels it there too."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``fn`` (a blocking engine method) on the engine's loop and await its result."""

        async def once() -> T:
            return fn(*args, **kwargs)

        return await self.run(once())

    def close(self) -> None:
        """Stop the loop once its pending calls are done (the thread is a daemon either way)."""
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
