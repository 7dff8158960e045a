"""One scheduler pass, run by APScheduler at least once a minute in every `okrbot serve`.

Every replica runs the same tick; only the database coordinates them (row locks when planning,
leases when sending), so N replicas send each message once, not N times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from okrbot.scheduler.cadence import PLAN_BATCH, Cadence
from okrbot.scheduler.outbox import (
    PENDING,
    SEND_CONCURRENCY,
    Courier,
    Outbox,
    database_unreachable,
)
from okrbot.storage.db import background
from okrbot.storage.events import forget_before
from okrbot.storage.models import DeliveryRow, ScheduleRow

log = logging.getLogger(__name__)

# Real time, not the business clock: how long one tick may send, and when it counts as hung.
SEND_BUDGET = timedelta(minutes=5)
TICK_TIMEOUT = timedelta(minutes=10)
# Slack retries an event three times within about five minutes, Teams within minutes too.
EVENT_MEMORY = timedelta(days=1)
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TickReport:
    scheduled: int
    queued: int
    sent: int


# Sends under way at once while people's requests are being handled in this process: the
# fan-out shares the event loop (and, on PostgreSQL, the cores) with their acks.
BUSY_CONCURRENCY = 2
# Schedules planned in one transaction meanwhile: on SQLite a planning transaction holds the
# one writer, and a click's replay key waits for its commit; a quarter of PLAN_BATCH's.
BUSY_PLAN_BATCH = 50


class Ticker:
    def __init__(
        self,
        cadence: Cadence,
        outbox: Outbox,
        courier: Courier,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self.cadence = cadence
        self.outbox = outbox
        self.courier = courier
        self.concurrency = SEND_CONCURRENCY
        # Whether people's requests are being handled, or were a moment ago: the fan-out
        # narrows meanwhile.
        self.busy = busy
        self._pruned_at: datetime | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def plan_batch(self) -> int:
        """How many schedules to plan in the next transaction."""
        return BUSY_PLAN_BATCH if self.busy() else PLAN_BATCH

    def width(self) -> int:
        """How many sends may be under way at once now."""
        return min(self.concurrency, BUSY_CONCURRENCY) if self.busy() else self.concurrency

    async def prune(self) -> int:
        """Forget inbound event ids older than EVENT_MEMORY, at most once per PRUNE_EVERY: the
        platforms retry an event within minutes, and the table would otherwise only grow."""
        now = self.outbox.clock.now()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return 0
        self._pruned_at = now
        return await forget_before(self.outbox.database, now - EVENT_MEMORY)

    async def tick(self, budget: timedelta = SEND_BUDGET) -> TickReport:
        """Plan what is due, then send until the outbox is empty or `budget` (real time) is
        spent; a large fan-out continues at the next tick instead of holding this one. Its
        writes are background work: people's requests take SQLite's writer first."""
        with background():
            scheduled = await self.cadence.schedule_new_people()
            queued = 0
            # A stopping server plans no more: the next replica's tick takes the rest.
            while not self.outbox.stopping and (
                planned := await self.cadence.plan_due(self.plan_batch())
            ):
                queued += planned
            sent = await self.outbox.deliver_for(self.courier, budget.total_seconds(), self.width)
            await self.prune()
        return TickReport(scheduled, queued, sent)

    async def next_event(self) -> datetime | None:
        """When the next thing is due: a scheduled prompt or a pending delivery.

        Simulations (the demo, tests) jump the clock straight there instead of ticking
        through every idle minute.
        """
        async with self.cadence.database.reading() as session:
            schedule = await session.scalar(select(func.min(ScheduleRow.next_at)))
            delivery = await session.scalar(
                select(func.min(DeliveryRow.due_at)).where(DeliveryRow.status == PENDING)
            )
        times = [t for t in (schedule, delivery) if t is not None]
        return min(times) if times else None

    async def safe_tick(self) -> None:
        """A tick for the background scheduler: a failure is logged and the next tick retries.

        A tick that hangs (a database that went away mid-query) is abandoned after
        TICK_TIMEOUT, so it cannot block every later tick; what it had claimed comes back when
        its lease runs out, and Slack posts are checked for before they are sent again.
        """
        self._idle.clear()
        try:
            await asyncio.wait_for(self.tick(), TICK_TIMEOUT.total_seconds())
        except TimeoutError:
            log.error("scheduler tick took over %s; abandoned, the next tick goes on", TICK_TIMEOUT)
        except Exception as error:
            if database_unreachable(error):
                log.error("scheduler tick failed, database unreachable (%s); retrying", error)
            else:
                log.exception("scheduler tick failed; the next tick tries again")
        finally:
            self._idle.set()

    async def finish(self, seconds: float) -> bool:
        """Wait up to `seconds` for a tick under way to end; whether it did. With the outbox
        stopped, a tick claims nothing more, so this is its sends in flight and their records:
        cancelled instead, a post already in Slack would stay "sending" until its lease ran
        out, and be looked for again before it is counted sent."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
