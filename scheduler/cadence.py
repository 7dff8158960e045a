"""The weekly cadence: turns each person's next due time into outbox rows, once per week.

The database holds every person's next due time (`schedules`, indexed), so one tick finds what
is due among 100,000 people with an index range scan; there is no scheduler job per person.
A tick that runs late (okrbot was down) still sends the prompt if that week is not over, and
never twice: the outbox key is (kind, person, week).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.cadence import next_weekly, same_local_time_later
from okrbot.bot.clock import Clock
from okrbot.bot.domain import Weekday
from okrbot.bot.quarters import week_key
from okrbot.bot.settings import Settings
from okrbot.scheduler.outbox import enqueue
from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow, ScheduleRow

log = logging.getLogger(__name__)

PROMPT = "prompt"
REMINDER = "reminder"
PLAN_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Rule:
    zone: ZoneInfo
    weekday: Weekday
    at: time


def prompt_rule(person: PersonRow, settings: Settings) -> Rule:
    zone = ZoneInfo(person.timezone or settings.default_timezone)
    weekday = (
        Weekday(person.checkin_day) if person.checkin_day is not None else settings.checkin_day
    )
    return Rule(zone, weekday, person.checkin_time or settings.checkin_time)


def is_paused(person: PersonRow, local_day: date) -> bool:
    return person.paused_until is not None and local_day <= person.paused_until


class Cadence:
    def __init__(self, database: Database, settings: Settings, clock: Clock) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    def next_prompt_after(self, person: PersonRow, after: datetime) -> datetime:
        rule = prompt_rule(person, self.settings)
        return next_weekly(after, rule.zone, rule.weekday, rule.at)

    async def schedule_new_people(self) -> int:
        """Give everyone without a schedule their next prompt time, counted from now.

        Someone imported after this week's prompt time is not caught up: their first prompt
        is at their next check-in time.
        """
        now = self.clock.now()
        async with self.database.transaction() as session:
            missing = await session.scalars(
                select(PersonRow)
                .outerjoin(
                    ScheduleRow,
                    (ScheduleRow.person_id == PersonRow.id) & (ScheduleRow.kind == PROMPT),
                )
                .where(ScheduleRow.person_id.is_(None))
            )
            added = 0
            for person in missing:
                session.add(
                    ScheduleRow(
                        person_id=person.id,
                        kind=PROMPT,
                        next_at=self.next_prompt_after(person, now),
                    )
                )
                added += 1
            return added

    async def reschedule(self, session: AsyncSession, person_ids: list[int]) -> int:
        """Move next prompt times for people whose day, time or time zone changed.

        A schedule whose moment still fits the person's rule is left alone, so re-importing
        an unchanged file a minute before a prompt is due never skips that prompt.
        """
        now = self.clock.now()
        moved = 0
        rows = await session.execute(
            select(PersonRow, ScheduleRow)
            .join(
                ScheduleRow, (ScheduleRow.person_id == PersonRow.id) & (ScheduleRow.kind == PROMPT)
            )
            .where(PersonRow.id.in_(person_ids))
        )
        for person, schedule in rows.all():
            if self.next_prompt_after(person, schedule.next_at - timedelta(microseconds=1)) != (
                schedule.next_at
            ):
                schedule.next_at = self.next_prompt_after(person, now)
                moved += 1
        return moved

    async def next_prompt(self, person_id: int) -> datetime | None:
        async with self.database.reading() as session:
            row = await session.get(ScheduleRow, (person_id, PROMPT))
            return row.next_at if row else None

    async def plan_due(self, limit: int = PLAN_BATCH) -> int:
        """Queue the prompts (and their reminders) that are due; return how many were queued."""
        now = self.clock.now()
        reminder_delay = timedelta(hours=self.settings.reminder_delay_hours)
        queued = 0
        async with self.database.transaction() as session:
            query = (
                select(ScheduleRow, PersonRow)
                .join(PersonRow, PersonRow.id == ScheduleRow.person_id)
                .where(ScheduleRow.kind == PROMPT, ScheduleRow.next_at <= now)
                .order_by(ScheduleRow.next_at)
                .limit(limit)
            )
            if not self.database.is_sqlite:
                query = query.with_for_update(of=ScheduleRow, skip_locked=True)
            for schedule, person in (await session.execute(query)).all():
                rule = prompt_rule(person, self.settings)
                due = schedule.next_at
                due_local, now_local = due.astimezone(rule.zone), now.astimezone(rule.zone)
                period = week_key(due_local.date())
                if period != week_key(now_local.date()):
                    log.info("missed %s's prompt for %s; that week is over", person.email, period)
                elif is_paused(person, now_local.date()):
                    log.info("%s is paused until %s", person.email, person.paused_until)
                else:
                    queued += await enqueue(
                        session,
                        key=f"{PROMPT}:{person.id}:{period}",
                        kind=PROMPT,
                        due_at=due,
                        person_id=person.id,
                        period=period,
                    )
                    await enqueue(
                        session,
                        key=f"{REMINDER}:{person.id}:{period}",
                        kind=REMINDER,
                        due_at=same_local_time_later(due, rule.zone, reminder_delay),
                        person_id=person.id,
                        period=period,
                    )
                schedule.next_at = next_weekly(now, rule.zone, rule.weekday, rule.at)
        return queued
