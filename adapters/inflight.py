"""Listener runs that outlive their HTTP request, counted so that a shutdown can wait for them.

Slack must have its answer within three seconds, so okrbot's Bolt listeners ack first and then
write (a check-in, a snooze, kudos). Bolt runs that tail in a task nobody awaits; without this
count a SIGTERM during a rolling restart would cut it off, and a check-in Slack had already
closed the modal for would never be stored.

The same count over inbound HTTP requests tells the scheduler that people are being answered,
from the moment a request arrives (its replay key may be waiting for the database before any
listener runs), so that the fan-out narrows for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from aiohttp import web

from okrbot.adapters.server import Handler

Listener = TypeVar("Listener", bound=Callable[..., Awaitable[Any]])


class InFlight:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._clock = clock
        self._last_finished = -float("inf")

    @property
    def running(self) -> int:
        return self._running

    def busy(self, within: float) -> bool:
        """Whether a run is under way or one finished in the last `within` seconds: requests
        that come 40 ms apart leave this at zero runs more often than not, but they are still
        coming, and the next one should not find the fan-out at full width."""
        return self._running > 0 or self._clock() - self._last_finished < within

    def track(self, listener: Listener) -> Listener:
        """`listener`, counted while it runs. Bolt reads the argument names it injects through
        `functools.wraps`, so the wrapper takes them by keyword and passes them on."""

        @functools.wraps(listener)
        async def tracked(**kwargs: Any) -> Any:
            with self.one():
                return await listener(**kwargs)

        return tracked  # type: ignore[return-value]

    def counting(self, handler: Handler) -> Handler:
        """An HTTP handler, counted while it runs."""

        @functools.wraps(handler)
        async def counted(request: web.Request) -> web.StreamResponse:
            with self.one():
                return await handler(request)

        return counted

    @contextlib.contextmanager
    def one(self) -> Iterator[None]:
        """One run, counted from entering to leaving the block."""
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            self._last_finished = self._clock()
            if self._running == 0:
                self._idle.set()

    async def drain(self, seconds: float) -> int:
        """Wait up to `seconds` for every tracked run to finish; return how many did not."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), seconds)
        return self._running
