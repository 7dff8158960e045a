"""The check-in conversation as both platforms run it: load, decide, store, answer.

Slack and Teams differ in how a prompt looks and how answers arrive; what a prompt contains,
which answers are accepted, and what gets stored is decided once, here, for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from okrbot.bot.checkins import (
    KEY_RESULTS_PER_FORM,
    CheckInEntry,
    KeyResultStatus,
    KudosDraft,
    checkin_form,
    form_pages,
    parse_checkin,
    skipped_message,
    snoozed_message,
    summary_message,
)
from okrbot.bot.clock import Clock
from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.domain import CheckIn, Person, Platform
from okrbot.bot.messages import Form, Message
from okrbot.bot.quarters import Quarter, week_key
from okrbot.bot.settings import Settings
from okrbot.bot.working_hours import WorkingHours
from okrbot.scheduler.outbox import enqueue
from okrbot.storage import checkins as store
from okrbot.storage.db import Database, Session

SNOOZE_FOR = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Moment:
    """Where a person is in time: their local now, week and quarter."""

    local: datetime
    period: str
    quarter: Quarter

    @property
    def quarter_start_period(self) -> str:
        return week_key(self.quarter.start)

    @property
    def local_date(self) -> date:
        return self.local.date()


Standing = tuple[Moment, list[KeyResultStatus]]
"""A person's key results as they stand at a moment: what every check-in step starts from."""


@dataclass(frozen=True, slots=True)
class Submitted:
    """The result of a form submission: field errors, the next page, or what was recorded."""

    errors: Mapping[str, str]
    next_form: Form | None = None
    next_page: int = 0
    done: bool = False
    kudos: KudosDraft | None = None
    period: str = ""
    entries: tuple[CheckInEntry, ...] = ()


class CheckIns:
    def __init__(self, database: Database, settings: Settings, clock: Clock) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    def zone(self, person: Person) -> ZoneInfo:
        return ZoneInfo(person.timezone or self.settings.default_timezone)

    def working_hours(self, person: Person) -> WorkingHours:
        """When okrbot may reach the person with something it timed for them: their own hours
        where they have them, else the company's."""
        return self.settings.working_hours.for_person(person)

    def moment(self, person: Person) -> Moment:
        local = self.clock.now().astimezone(self.zone(person))
        quarter = Quarter.containing(local.date(), self.settings.fiscal_year_start_month)
        return Moment(local=local, period=week_key(local.date()), quarter=quarter)

    async def statuses(self, person: Person, session: Session | None = None) -> Standing:
        """The person's key results as they stand now (in `session`, or a new read)."""
        moment = self.moment(person)
        if session is None:
            async with self.database.reading() as own:
                return await self.statuses(person, own)
        statuses = await store.owned_statuses(
            session, person.id, moment.quarter.id, moment.period, moment.quarter_start_period
        )
        return moment, statuses

    async def form(self, person: Person, page: int = 0, standing: Standing | None = None) -> Form:
        moment, statuses = standing or await self.statuses(person)
        return checkin_form(moment.period, statuses, page)

    async def submit(
        self, person: Person, answers: Mapping[str, object], platform: Platform, page: int = 0
    ) -> Submitted:
        """Validate and store one submitted page; ids of others' key results are ignored."""
        result = await self.validate(person, answers, page)
        if not result.errors:
            await self.store(person, result, platform)
        return result

    async def validate(
        self,
        person: Person,
        answers: Mapping[str, object],
        page: int = 0,
    ) -> Submitted:
        """Read and check one submitted page, without writing anything.

        Slack waits at most three seconds for an answer to a modal; validating needs only a
        read, so the modal can close before the write queues behind other writers.
        """
        moment, statuses = await self.statuses(person)
        pages = form_pages(statuses)
        page = min(max(page, 0), pages - 1)
        shown = statuses[page * KEY_RESULTS_PER_FORM : (page + 1) * KEY_RESULTS_PER_FORM]
        parsed = parse_checkin(
            [s.key_result for s in statuses], answers, [s.key_result.id for s in shown]
        )
        if not parsed.ok:
            return Submitted(errors=parsed.errors, period=moment.period)
        if page + 1 < pages:
            return Submitted(
                errors={},
                next_form=checkin_form(moment.period, statuses, page + 1),
                next_page=page + 1,
                period=moment.period,
                entries=parsed.entries,
            )
        return Submitted(
            errors={}, done=True, kudos=parsed.kudos, period=moment.period, entries=parsed.entries
        )

    async def store(self, person: Person, result: Submitted, platform: Platform) -> None:
        """Record a validated page for the week it was validated in."""
        async with self.database.transaction() as session:
            await store.record_checkins(
                session, person.id, result.period, result.entries, platform, self.clock.now()
            )

    async def summary(self, person: Person, kudos_note: str | None = None) -> Message:
        """This week's answers as recorded, with progress (shown in place of the prompt)."""
        async with self.database.reading() as session:
            moment, statuses = await self.statuses(person, session)
            ids = [s.key_result.id for s in statuses]
            before = await store.latest_checkins(session, ids, before=moment.period)
        recorded = []
        for status in statuses:
            last = status.last_checkin
            if last is None or last.period != moment.period:
                continue
            entry = _entry(last)
            previous = before[last.key_result_id].value if last.key_result_id in before else None
            start = status.key_result.start if previous is None else previous
            recorded.append((status, entry, start))
        return summary_message(moment.period, recorded, kudos_note, person.manager_id is not None)

    async def snooze(self, person: Person) -> Message:
        """Record the snooze and queue the prompt again for then; what to show instead."""
        moment = self.moment(person)
        period, now = moment.period, self.clock.now()
        # Back in two hours, or at the start of the person's next working day if that is later.
        until = self.working_hours(person).next_working_moment(now + SNOOZE_FOR, self.zone(person))
        async with self.database.transaction() as session:
            week = await store.get_week(session, person.id, period)
            if week is not None and week.snoozed_until is not None and week.snoozed_until > now:
                # A second click on the same prompt (a double click, a retried request): the
                # snooze already running stands, so its prompt comes back once, not twice.
                until = week.snoozed_until
            await store.mark_week(session, person.id, period, snoozed_until=until)
            await enqueue(
                session,
                key=f"snooze:{person.id}:{period}:{until.isoformat()}",
                kind=DeliveryKind.SNOOZED_PROMPT,
                due_at=until,
                person_id=person.id,
                period=period,
            )
        return snoozed_message(period, until.astimezone(self.zone(person)))

    async def skip(self, person: Person) -> Message:
        """Record that the person skips this week; the answer replaces the prompt."""
        moment = self.moment(person)
        async with self.database.transaction() as session:
            await store.mark_week(session, person.id, moment.period, skipped_at=self.clock.now())
        return skipped_message(moment.period)


def _entry(checkin: CheckIn) -> CheckInEntry:
    return CheckInEntry(checkin.key_result_id, checkin.value, checkin.confidence, checkin.note)
