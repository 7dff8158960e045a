"""Listener runs that outlive their HTTP request, counted so that a shutdown can wait for them.

Slack must have its answer within three seconds, so okrbot's Bolt listeners ack first and then
write (a check-in, a snooze, kudos). Bolt runs that tail in a task nobody awaits; without this
count a SIGTERM during a rolling restart would cut it off, and a check-in Slack had already
closed the modal for would never be stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

Listener = TypeVar("Listener", bound=Callable[..., Awaitable[Any]])


class InFlight:
    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        return self._running

    def track(self, listener: Listener) -> Listener:
        """`listener`, counted while it runs. Bolt reads the argument names it injects through
        `functools.wraps`, so the wrapper takes them by keyword and passes them on."""

        @functools.wraps(listener)
        async def tracked(**kwargs: Any) -> Any:
            self._running += 1
            self._idle.clear()
            try:
                return await listener(**kwargs)
            finally:
                self._running -= 1
                if self._running == 0:
                    self._idle.set()

        return tracked  # type: ignore[return-value]

    async def drain(self, seconds: float) -> int:
        """Wait up to `seconds` for every tracked run to finish; return how many did not."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), seconds)
        return self._running
