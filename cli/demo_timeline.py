"""The demo's clock: a simulated time that jumps from one due moment to the next.

Two things make a moment due: okrbot's own schedule (the ticker's next prompt, reminder, digest
or queued message) and what the sample people or an admin are going to do (`at`, `later`). The
loop sets the clock to the earliest, lets what is due happen, and goes on, so thirteen weeks of a
company take seconds.
"""

from __future__ import annotations

import heapq
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from okrbot.bot.clock import FakeClock
from okrbot.scheduler.ticker import Ticker


@dataclass(order=True)
class Action:
    at: datetime
    order: int  # ties run in the order they were planned
    run: Callable[[], Awaitable[None]] = field(compare=False)


class Timeline:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.actions: list[Action] = []
        self.order = 0

    def at(self, moment: datetime, run: Callable[[], Awaitable[None]]) -> None:
        self.order += 1
        heapq.heappush(self.actions, Action(moment, self.order, run))

    def later(self, delay: timedelta, run: Callable[[], Awaitable[None]]) -> None:
        self.at(self.clock.now() + delay, run)

    async def play(
        self,
        ticker: Ticker,
        end: datetime,
        after_each: Callable[[], None],
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        """Run okrbot's schedule and the planned actions until `end`, calling `after_each`
        after every action and every tick (to look at what okrbot sent, at that moment)."""
        await ticker.tick()  # everyone gets their first prompt time
        while True:
            due = await ticker.next_event()
            candidates = [t for t in (due, self.actions[0].at if self.actions else None) if t]
            moment = min(candidates) if candidates else None
            if moment is None or moment > end:
                break
            self.clock.set(max(moment, self.clock.now()))
            while self.actions and self.actions[0].at <= self.clock.now():
                await heapq.heappop(self.actions).run()
                after_each()
            await ticker.tick()
            after_each()
            if on_progress is not None:
                on_progress()
        self.clock.set(end)
