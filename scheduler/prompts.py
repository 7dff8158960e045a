"""Putting check-in prompts into the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.domain import Person
from okrbot.bot.quarters import week_key
from okrbot.scheduler.outbox import enqueue
from okrbot.storage.db import Database


def local_period(person: Person, now: datetime, default_timezone: str) -> str:
    return week_key(now.astimezone(ZoneInfo(person.timezone or default_timezone)).date())


def prompt_key(person_id: int, period: str) -> str:
    return f"prompt:{person_id}:{period}"


async def enqueue_prompts_now(
    database: Database, people: Sequence[Person], now: datetime, default_timezone: str
) -> int:
    """Queue this week's prompt for each person, due now.

    An explicit send always sends: where this week's prompt already went out, a second,
    forced delivery is queued. Either way the week's regular prompt key is taken, so the
    scheduler does not prompt again this week.
    """
    queued = 0
    async with database.transaction() as session:
        for person in people:
            period = local_period(person, now, default_timezone)
            key = prompt_key(person.id, period)
            if not await enqueue(
                session,
                key=key,
                kind=DeliveryKind.PROMPT,
                due_at=now,
                person_id=person.id,
                period=period,
                payload={"forced": True},
            ):
                await enqueue(
                    session,
                    key=f"{key}:now:{now.isoformat()}",
                    kind=DeliveryKind.PROMPT,
                    due_at=now,
                    person_id=person.id,
                    period=period,
                    payload={"forced": True},
                )
            queued += 1
    return queued
