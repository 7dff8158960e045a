"""What managers get and what people reflect: digests, nudges, reflections, quarter summaries.

Shared by Slack and Teams. Privacy is decided here, once: a nudge only reaches the clicker's
own direct report, and a reflection only ever belongs to the person who writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from okrbot.adapters.conversations import CheckIns
from okrbot.bot.charts import person_chart
from okrbot.bot.checkins import KeyResultStatus
from okrbot.bot.clock import Clock
from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.digests import build_digest
from okrbot.bot.domain import Person
from okrbot.bot.messages import Form, Message, Text
from okrbot.bot.quarters import Quarter, week_key
from okrbot.bot.reflections import (
    parse_reflection,
    reflection_closed,
    reflection_form,
    reflection_prompt,
    reflection_saved,
    reflection_window,
)
from okrbot.bot.summaries import build_summary
from okrbot.bot.working_hours import describe
from okrbot.scheduler.cadence import bring_forward
from okrbot.scheduler.outbox import SENT, delivery_status, enqueue
from okrbot.storage import checkins as store
from okrbot.storage.db import Database, Session
from okrbot.storage.people import get_person
from okrbot.storage.reports import digest_data, reflection_for, save_reflection, summary_data


@dataclass(frozen=True, slots=True)
class ReflectionResult:
    errors: Mapping[str, str]
    message: Message | None = None


class Reports:
    def __init__(self, database: Database, checkins: CheckIns) -> None:
        self.database = database
        self.checkins = checkins

    @property
    def clock(self) -> Clock:
        return self.checkins.clock

    def reflection_quarter(self, person: Person, requested: str | None) -> Quarter:
        """The quarter a reflection is about: the one asked for if it is this quarter or the
        one just ended (a forged value cannot reach further back); unasked, the one just
        ended while its window is open, else this quarter."""
        moment = self.checkins.moment(person)
        current = moment.quarter
        if requested in (current.id, current.previous().id):
            return Quarter.parse(requested, current.fiscal_start_month)
        if reflection_window(current.previous()).is_open(moment.local_date):
            return current.previous()
        return current

    async def closed(self, person: Person, quarter: Quarter) -> bool:
        """A reflection is editable until a week after the quarter ends, or until the
        manager's quarter summary has gone out, whichever comes first."""
        if not reflection_window(quarter).is_open(self.checkins.moment(person).local_date):
            return True
        if person.manager_id is None:
            return False
        key = f"summary:{person.manager_id}:{quarter.id}"
        return await delivery_status(self.database, key) == SENT

    async def reflection_prompt(self, person: Person, quarter: Quarter) -> Message:
        first = person.name.split()[0] if person.name.strip() else person.email
        statuses = await self._statuses(person, quarter)
        return reflection_prompt(first, reflection_window(quarter), statuses)

    async def reflection_form(self, person: Person, requested: str | None) -> Form | Message:
        quarter = self.reflection_quarter(person, requested)
        if await self.closed(person, quarter):
            return reflection_closed(quarter.id)
        statuses = await self._statuses(person, quarter)
        async with self.database.reading() as session:
            existing = await reflection_for(session, person.id, quarter.id)
        return reflection_form(reflection_window(quarter), statuses, existing)

    async def submit_reflection(
        self, person: Person, requested: str | None, answers: Mapping[str, object]
    ) -> ReflectionResult:
        quarter = self.reflection_quarter(person, requested)
        if await self.closed(person, quarter):
            return ReflectionResult({}, reflection_closed(quarter.id))
        statuses = await self._statuses(person, quarter)
        parsed = parse_reflection(statuses, answers)
        if parsed.errors:
            return ReflectionResult(parsed.errors)
        async with self.database.transaction() as session:
            await save_reflection(
                session,
                person.id,
                quarter.id,
                parsed.self_scores,
                parsed.went_well,
                parsed.do_differently,
                self.clock.now(),
            )
            if person.manager_id is not None:
                await self._summary_may_be_ready(session, person.manager_id, quarter)
        return ReflectionResult({}, reflection_saved(quarter.id))

    async def _summary_may_be_ready(
        self, session: Session, manager_id: int, quarter: Quarter
    ) -> None:
        """A manager's summary waiting for reflections is looked at again now: this one may
        have been the last it waited for (the scheduler decides, on its next tick)."""
        manager = await get_person(session, manager_id)
        if manager is None:
            return
        settings = self.checkins.settings
        zone = ZoneInfo(manager.timezone or settings.default_timezone)
        deadline = reflection_window(quarter).summary_deadline(
            settings.holiday_calendar, settings.digest_time, zone
        )
        now = self.clock.now()
        if now < deadline:
            await bring_forward(session, manager_id, DeliveryKind.SUMMARY, planned=deadline, to=now)

    async def _statuses(self, person: Person, quarter: Quarter) -> list[KeyResultStatus]:
        moment = self.checkins.moment(person)
        async with self.database.reading() as session:
            return await store.owned_statuses(
                session, person.id, quarter.id, moment.period, week_key(quarter.start)
            )

    async def nudge(self, manager: Person, report_id: int) -> Message:
        """Send a direct report this week's reminder now, at their manager's request."""
        async with self.database.reading() as session:
            report = await get_person(session, report_id)
        if report is None or report.manager_id != manager.id:
            return Message(
                "You can only nudge your own direct reports",
                (Text("You can only nudge your own direct reports."),),
            )
        period = self.checkins.moment(report).period
        first = report.name.split()[0] if report.name else report.email
        async with self.database.reading() as session:
            week = await store.get_week(session, report.id, period)
        if week is None or week.prompted_at is None:
            text = f"{first} was not asked to check in this week, so there is nothing to remind."
            return Message.plain(text)
        if week.checked_in_at is not None or week.skipped_at is not None:
            done = "checked in" if week.checked_in_at is not None else "skipped this week"
            text = f"{first} has already {done}; no reminder needed."
            return Message.plain(text)
        now = self.clock.now()
        zone = self.checkins.zone(report)
        opens = self.checkins.working_hours(report).next_working_moment(now, zone)
        if week_key(opens.astimezone(zone).date()) != period:
            text = (
                f"It is outside {first}'s working hours until {describe(opens, zone)}, after "
                f"this week's check-in has closed, so okrbot will not remind {first} now."
            )
            return Message.plain(text)
        async with self.database.transaction() as session:
            queued = await enqueue(
                session,
                key=f"{DeliveryKind.NUDGE}:{report.id}:{period}",
                kind=DeliveryKind.NUDGE,
                due_at=now,
                person_id=report.id,
                period=period,
                wake=True,
            )
        if not queued:
            text = f"{first} was already nudged this week; one reminder is enough."
        elif opens > now:
            text = (
                f"👋 {first} will be reminded at the start of their working day, "
                f"{describe(opens, zone)}."
            )
        else:
            text = f"👋 Reminding {first} to check in now."
        return Message.plain(text)

    async def digest(self, manager: Person, period: str) -> list[Message]:
        """The digest of the week `period`, in that week's quarter; nothing when nobody
        reporting to `manager` was asked to check in that week."""
        quarter = Quarter.of_week(period, self.checkins.settings.fiscal_year_start_month)
        async with self.database.reading() as session:
            data = await digest_data(session, [manager.id], period, quarter)
        found = data.get(manager.id)
        if found is None or not any(report.asked for report in found.reports):
            return []
        return build_digest(found)

    async def summary(
        self, manager: Person, quarter_id: str
    ) -> tuple[list[Message], list[tuple[str, str, bytes]]]:
        """The quarter summary, plus one progress chart (PNG) per direct report."""
        fiscal = self.checkins.settings.fiscal_year_start_month
        try:
            quarter = Quarter.parse(quarter_id, fiscal)
        except ValueError:
            quarter = self.checkins.moment(manager).quarter.previous()
        async with self.database.reading() as session:
            summaries = await summary_data(session, quarter, [manager.id])
        data = summaries.get(manager.id)
        if data is None or not any(report.objectives for report in data.reports):
            return [], []  # nobody had OKRs that quarter: nothing to summarise
        charts = []
        for report in data.reports:
            png = person_chart(report, quarter)
            if png is None:
                continue  # no key results that quarter: nothing to draw
            name = f"{report.person.email.split('@')[0]}-{quarter.id}.png"
            charts.append((name, f"{report.person.name} · {quarter.id}", png))
        return build_summary(data), charts
