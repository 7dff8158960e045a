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
from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.domain import Weekday
from okrbot.bot.holidays import Holidays
from okrbot.bot.quarters import Quarter, week_key
from okrbot.bot.reflections import reflection_window
from okrbot.bot.settings import Settings
from okrbot.scheduler.outbox import DeliveryBatch
from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow, ScheduleRow
from okrbot.storage.reports import reflections_missing
from okrbot.storage.team_channels import team_channel

log = logging.getLogger(__name__)

# Schedules planned in one transaction: on SQLite it holds the one writer, so people's clicks
# wait for its commit; 200 take about 0.1 s on two cores.
PLAN_BATCH = 200


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

    @property
    def holidays(self) -> Holidays:
        return self.settings.holiday_calendar

    def zone(self, person: PersonRow) -> ZoneInfo:
        return ZoneInfo(person.timezone or self.settings.default_timezone)

    def next_prompt_after(self, person: PersonRow, after: datetime) -> datetime:
        """The person's next check-in moment after `after`, moved off holidays."""
        rule = prompt_rule(person, self.settings)
        return self._next_clear(after, rule.zone, rule.weekday, rule.at)

    def next_digest_after(self, person: PersonRow, after: datetime) -> datetime:
        zone = self.zone(person)
        return self._next_clear(after, zone, self.settings.digest_day, self.settings.digest_time)

    def _next_clear(self, after: datetime, zone: ZoneInfo, weekday: Weekday, at: time) -> datetime:
        """The first weekly moment, moved off holidays, strictly after `after`.

        Starts a few weeks back: a moment moved off a holiday may still lie ahead when its
        regular slot has passed (Monday's prompt moved to Tuesday, asked on Monday afternoon).
        """
        regular = next_weekly(after - timedelta(weeks=5), zone, weekday, at)
        while (moved := self.holidays.keep_clear(regular, zone)) <= after:
            regular = next_weekly(regular, zone, weekday, at)
        return moved

    def first_due(self, person: PersonRow, kind: str, now: datetime) -> datetime:
        if kind == DeliveryKind.PROMPT:
            return self.next_prompt_after(person, now)
        if kind == DeliveryKind.DIGEST:
            return self.next_digest_after(person, now)
        zone = self.zone(person)
        quarter = Quarter.containing(now.astimezone(zone).date(), self.fiscal_start)
        return self.summary_moment(quarter, zone)

    def summary_moment(self, quarter: Quarter, zone: ZoneInfo) -> datetime:
        """The earliest a quarter summary goes out; it waits there for the reflections."""
        window = reflection_window(quarter)
        return window.summary_earliest(self.holidays, self.settings.digest_time, zone)

    def summary_deadline(self, quarter: Quarter, zone: ZoneInfo) -> datetime:
        """When the reflection window closes: the summary goes out whatever is missing."""
        window = reflection_window(quarter)
        return window.summary_deadline(self.holidays, self.settings.digest_time, zone)

    @property
    def fiscal_start(self) -> int:
        return self.settings.fiscal_year_start_month

    async def schedule_new_people(self) -> int:
        """Give everyone without a schedule their next prompt time, counted from now; managers
        also get their weekly digest and quarter-end summary times. Deactivated people get none
        (deactivating deletes their schedules; reactivating lets this add them again).

        Someone imported after this week's prompt time is not caught up: their first prompt
        is at their next check-in time.
        """
        now = self.clock.now()
        added = 0
        async with self.database.transaction() as session:
            managers = select(PersonRow.manager_id).where(PersonRow.manager_id.is_not(None))
            for kind, who in (
                (DeliveryKind.PROMPT, None),
                (DeliveryKind.DIGEST, PersonRow.id.in_(managers)),
                (DeliveryKind.SUMMARY, PersonRow.id.in_(managers)),
            ):
                query = (
                    select(PersonRow)
                    .outerjoin(
                        ScheduleRow,
                        (ScheduleRow.person_id == PersonRow.id) & (ScheduleRow.kind == kind),
                    )
                    .where(ScheduleRow.person_id.is_(None), PersonRow.deactivated_at.is_(None))
                )
                if who is not None:
                    query = query.where(who)
                for person in await session.scalars(query):
                    session.add(
                        ScheduleRow(
                            person_id=person.id,
                            kind=kind,
                            next_at=self.first_due(person, kind, now),
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
                ScheduleRow,
                (ScheduleRow.person_id == PersonRow.id) & (ScheduleRow.kind == DeliveryKind.PROMPT),
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
            row = await session.get(ScheduleRow, (person_id, DeliveryKind.PROMPT))
            return row.next_at if row else None

    async def plan_due(self, limit: int = PLAN_BATCH) -> int:
        """Queue what the schedules say is due; return how many deliveries were queued."""
        now = self.clock.now()
        batch = DeliveryBatch()
        async with self.database.transaction() as session:
            query = (
                select(ScheduleRow, PersonRow)
                .join(PersonRow, PersonRow.id == ScheduleRow.person_id)
                .where(ScheduleRow.next_at <= now)
                .order_by(ScheduleRow.next_at)
                .limit(limit)
            )
            if not self.database.is_sqlite:
                query = query.with_for_update(of=ScheduleRow, skip_locked=True)
            for schedule, person in (await session.execute(query)).all():
                if person.deactivated_at is not None:
                    await session.delete(schedule)  # deactivated while this tick ran
                elif schedule.kind == DeliveryKind.PROMPT:
                    self._plan_prompt(batch, schedule, person, now)
                elif schedule.kind == DeliveryKind.DIGEST:
                    await self._plan_digest(session, batch, schedule, person, now)
                elif schedule.kind == DeliveryKind.SUMMARY:
                    await self._plan_summary(session, batch, schedule, person, now)
                else:
                    log.error("unknown schedule kind %r; dropping it", schedule.kind)
                    await session.delete(schedule)
            return await batch.write(session)

    def _kept_off_holiday(self, schedule: ScheduleRow, zone: ZoneInfo) -> bool:
        """Move a moment planned before its day was declared a holiday (the holidays were
        configured later) to the next working day; whether it was moved."""
        moved = self.holidays.keep_clear(schedule.next_at, zone)
        if moved == schedule.next_at:
            return False
        schedule.next_at = moved
        return True

    def _plan_prompt(
        self, batch: DeliveryBatch, schedule: ScheduleRow, person: PersonRow, now: datetime
    ) -> None:
        rule = prompt_rule(person, self.settings)
        reminder_delay = timedelta(hours=self.settings.reminder_delay_hours)
        due = schedule.next_at
        if self._kept_off_holiday(schedule, rule.zone):
            return
        schedule.next_at = self.next_prompt_after(person, now)
        # Down for more than a week: this week's prompt moment has passed too, and is the one
        # to catch up on (the week the schedule remembered is over).
        latest = self.next_prompt_after(person, now - timedelta(weeks=1))
        due = max(due, latest if latest <= now else due)
        due_local, now_local = due.astimezone(rule.zone), now.astimezone(rule.zone)
        period = week_key(due_local.date())
        if period != week_key(now_local.date()):
            log.info("missed %s's prompt for %s; that week is over", person.email, period)
            return
        if is_paused(person, now_local.date()):
            log.info("%s is paused until %s", person.email, person.paused_until)
            return
        batch.add(
            counted=True,
            key=f"{DeliveryKind.PROMPT}:{person.id}:{period}",
            kind=DeliveryKind.PROMPT,
            due_at=due,
            person_id=person.id,
            period=period,
        )
        regular_reminder = same_local_time_later(due, rule.zone, reminder_delay)
        reminder_at = self.holidays.keep_clear(regular_reminder, rule.zone)
        moved_week = week_key(reminder_at.astimezone(rule.zone).date())
        if reminder_at == regular_reminder or moved_week == period:
            # A reminder a holiday pushes into next week would remind of the wrong week.
            batch.add(
                key=f"{DeliveryKind.REMINDER}:{person.id}:{period}",
                kind=DeliveryKind.REMINDER,
                due_at=reminder_at,
                person_id=person.id,
                period=period,
            )
        quarter = Quarter.of_week(period, self.fiscal_start)
        if period in reflection_window(quarter).weeks:
            # Two weeks before the quarter ends: time to look back, right after the check-in.
            # The key keeps it to one prompt; the last week catches someone away the first.
            batch.add(
                key=f"{DeliveryKind.REFLECTION}:{person.id}:{quarter.id}",
                kind=DeliveryKind.REFLECTION,
                due_at=due + timedelta(minutes=5),
                person_id=person.id,
                period=period,
                payload={"quarter": quarter.id},
            )

    async def _plan_digest(
        self,
        session: AsyncSession,
        batch: DeliveryBatch,
        schedule: ScheduleRow,
        person: PersonRow,
        now: datetime,
    ) -> None:
        zone = self.zone(person)
        due = schedule.next_at
        if self._kept_off_holiday(schedule, zone):
            return
        schedule.next_at = self.next_digest_after(person, now)
        if week_key(due.astimezone(zone).date()) != week_key(now.astimezone(zone).date()):
            return  # a digest sent a week late helps nobody
        # The week it is about is that of its regular slot, even when a holiday moved it on.
        regular = next_weekly(
            due - timedelta(weeks=1), zone, self.settings.digest_day, self.settings.digest_time
        )
        period = week_key(regular.astimezone(zone).date())
        if await team_channel(session, person.id) is not None:
            # The team's update in its channel goes out when the week's check-ins close, with
            # the digest; the key keeps it to one post per team and week.
            batch.add(
                key=f"{DeliveryKind.TEAM_UPDATE}:{person.id}:{period}",
                kind=DeliveryKind.TEAM_UPDATE,
                due_at=due,
                person_id=person.id,
                period=period,
            )
        batch.add(
            counted=True,
            key=f"{DeliveryKind.DIGEST}:{person.id}:{period}",
            kind=DeliveryKind.DIGEST,
            due_at=due,
            person_id=person.id,
            period=period,
        )

    async def _plan_summary(
        self,
        session: AsyncSession,
        batch: DeliveryBatch,
        schedule: ScheduleRow,
        person: PersonRow,
        now: datetime,
    ) -> None:
        """The summary of the quarter just ended, once every direct report with key results
        has reflected on it, or when the reflection window closes."""
        zone = self.zone(person)
        due = schedule.next_at
        ended = Quarter.containing(due.astimezone(zone).date(), self.fiscal_start).previous()
        deadline = self.summary_deadline(ended, zone)
        if now < deadline and await reflections_missing(session, person.id, ended.id):
            schedule.next_at = deadline
            return
        schedule.next_at = self.summary_moment(ended.next(), zone)
        batch.add(
            counted=True,
            key=f"{DeliveryKind.SUMMARY}:{person.id}:{ended.id}",
            kind=DeliveryKind.SUMMARY,
            due_at=due,
            person_id=person.id,
            payload={"quarter": ended.id},
        )


async def bring_forward(
    session: AsyncSession, person_id: int, kind: str, *, planned: datetime, to: datetime
) -> None:
    """Move a person's next `kind` from `planned` to `to`, if it is still planned for then
    (a schedule moved since is left alone)."""
    schedule = await session.get(ScheduleRow, (person_id, kind))
    if schedule is not None and schedule.next_at == planned:
        schedule.next_at = to
