"""Weekly cadence in local time: DST, reminders, snooze/skip/pause, catch-up, budget, no doubles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.courier import Courier
from okrbot.adapters.kudos_flow import Recipient, give
from okrbot.adapters.reports_flow import Reports
from okrbot.bot.cadence import local_moment, next_weekly, same_local_time_later
from okrbot.bot.clock import FakeClock
from okrbot.bot.domain import Person, Platform, Weekday
from okrbot.bot.messages import Message
from okrbot.bot.settings import Settings
from okrbot.scheduler.cadence import Cadence
from okrbot.scheduler.outbox import Delivery, Outbox, enqueue
from okrbot.scheduler.ticker import Ticker
from okrbot.storage.checkins import mark_week
from okrbot.storage.db import Database
from okrbot.storage.models import (
    DeliveryRow,
    PersonRow,
    ScheduleRow,
)
from okrbot.storage.people import get_person
from tests.world import Seed

NY, BERLIN, TOKYO, KOLKATA = (
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Asia/Tokyo"),
    ZoneInfo("Asia/Kolkata"),
)


# -- pure cadence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "zone", "day", "at", "expected_local"),
    [
        # Monday 10:00 in several zones, from a Sunday.
        (
            datetime(2026, 11, 15, 12, tzinfo=UTC),
            NY,
            Weekday.MON,
            time(10),
            datetime(2026, 11, 16, 10),
        ),
        (
            datetime(2026, 11, 15, 12, tzinfo=UTC),
            TOKYO,
            Weekday.MON,
            time(10),
            datetime(2026, 11, 16, 10),
        ),
        (
            datetime(2026, 11, 15, 12, tzinfo=UTC),
            KOLKATA,
            Weekday.MON,
            time(10),
            datetime(2026, 11, 16, 10),
        ),
        # Exactly at the moment: the next one is a week later.
        (
            datetime(2026, 11, 16, 15, tzinfo=UTC),
            NY,
            Weekday.MON,
            time(10),
            datetime(2026, 11, 23, 10),
        ),
        # Spring forward in New York (2026-03-08): 02:30 never happens; it goes out at 03:30.
        (
            datetime(2026, 3, 7, 12, tzinfo=UTC),
            NY,
            Weekday.SUN,
            time(2, 30),
            datetime(2026, 3, 8, 3, 30),
        ),
        # Fall back in New York (2026-11-01): 01:30 happens twice; the first one is used.
        (
            datetime(2026, 10, 31, 12, tzinfo=UTC),
            NY,
            Weekday.SUN,
            time(1, 30),
            datetime(2026, 11, 1, 1, 30),
        ),
        # Berlin's own change (2026-10-25), a Sunday 02:30 that happens twice.
        (
            datetime(2026, 10, 24, 12, tzinfo=UTC),
            BERLIN,
            Weekday.SUN,
            time(2, 30),
            datetime(2026, 10, 25, 2, 30),
        ),
    ],
)
def test_next_weekly(
    after: datetime, zone: ZoneInfo, day: Weekday, at: time, expected_local: datetime
) -> None:
    moment = next_weekly(after, zone, day, at)
    assert moment.astimezone(zone).replace(tzinfo=None) == expected_local


def test_fall_back_moment_fires_once() -> None:
    first = next_weekly(datetime(2026, 10, 31, 12, tzinfo=UTC), NY, Weekday.SUN, time(1, 30))
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first of the two
    again = next_weekly(first, NY, Weekday.SUN, time(1, 30))
    assert again.astimezone(NY).date() == date(2026, 11, 8)  # not the second 01:30 (06:30 UTC)


def test_spring_forward_gap_goes_out_once_at_a_sensible_time() -> None:
    moment = local_moment(date(2026, 3, 8), time(2, 30), NY)
    assert moment == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT
    assert next_weekly(moment, NY, Weekday.SUN, time(2, 30)).astimezone(NY).date() == date(
        2026, 3, 15
    )


def test_reminder_is_two_days_later_at_the_same_local_time_across_dst() -> None:
    prompt = local_moment(date(2026, 10, 30), time(10), NY)  # Friday, before fall-back
    reminder = same_local_time_later(prompt, NY, timedelta(days=2))
    assert reminder.astimezone(NY).replace(tzinfo=None) == datetime(2026, 11, 1, 10)
    assert reminder - prompt == timedelta(days=2, hours=1)


# -- the scheduler against a database ----------------------------------------------------------


@dataclass
class RecordingMessenger:
    """Stands in for a platform: records who got what, when."""

    clock: FakeClock
    sent: list[tuple[str, datetime, str]] = field(default_factory=list)
    kudos_pointer: str = "Your kudos are on your okrbot home."

    async def send(self, person: Person, messages: list[Message]) -> list[dict[str, Any]]:
        self.sent.append((person.email, self.clock.now(), messages[0].summary))
        return [{"platform": "slack", "channel": "D1", "ts": str(len(self.sent))}]

    async def send_parts(
        self, person: Person, messages: list[Message], *_: Any, **__: Any
    ) -> list[dict[str, Any]]:
        return await self.send(person, messages)

    async def update(self, ref: dict[str, Any], message: Message) -> None:
        pass

    async def attach(self, person: Person, filename: str, title: str, png: bytes) -> None:
        pass  # a quarter summary's charts

    def to(self, email: str) -> list[datetime]:
        return [when for who, when, _ in self.sent if who == email]


@dataclass
class World:
    database: Database
    clock: FakeClock
    ticker: Ticker
    cadence: Cadence
    messenger: RecordingMessenger
    checkins: CheckIns

    async def run_until(self, end: datetime) -> None:
        """Tick at every moment something is due, as a minute-by-minute scheduler would."""
        await self.ticker.tick()
        while (due := await self.ticker.next_event()) is not None and due <= end:
            self.clock.set(max(due, self.clock.now()))
            await self.ticker.tick()
        self.clock.set(end)
        await self.ticker.tick()

    async def person(self, email: str) -> PersonRow:
        async with self.database.reading() as session:
            return (await session.scalars(select(PersonRow).where(PersonRow.email == email))).one()


START = datetime(2026, 10, 18, 0, 0, tzinfo=UTC)  # Sunday, a week before Berlin's fall-back


def make_world(database: Database, start: datetime = START, **settings: Any) -> World:
    clock = FakeClock(start)
    config = Settings(database_url=database.url, **settings)
    checkins = CheckIns(database, config, clock)
    messenger = RecordingMessenger(clock)
    courier = Courier(database, checkins, slack=messenger)
    cadence = Cadence(database, config, clock)
    ticker = Ticker(cadence, Outbox(database, clock), courier)
    return World(database, clock, ticker, cadence, messenger, checkins)


async def add_people(database: Database, *people: dict[str, Any]) -> None:
    """Add people, each owning one key result this quarter (people with none are not asked)."""
    seed = Seed()
    for fields in people:
        email = fields["email"]
        seed.person(email, slack_user_id=f"U{email[:3].upper()}", **fields)
        seed.objective(f"objective of {email}", f"Objective of {email}", owner=email)
        seed.key_result(
            None,
            "Signups from 10 to 20",
            objective=f"objective of {email}",
            owner=email,
            start=10,
            target=20,
            current=10,
        )
    await seed.write(database)


@pytest.fixture
async def world(database: Database) -> World:
    await add_people(
        database,
        {"email": "ny@example.com", "name": "New York", "timezone": "America/New_York"},
        {"email": "berlin@example.com", "name": "Berlin", "timezone": "Europe/Berlin"},
        {
            "email": "tokyo@example.com",
            "name": "Tokyo",
            "timezone": "Asia/Tokyo",
            "checkin_day": Weekday.TUE,
            "checkin_time": time(9, 15),
        },
    )
    return make_world(database)


async def test_prompts_arrive_at_each_persons_local_time_across_dst(world: World) -> None:
    await world.ticker.tick()
    await world.run_until(START + timedelta(weeks=3))
    prompts = {
        email: [
            when
            for who, when, summary in world.messenger.sent
            if who == email and summary.startswith("Time for your weekly check-in")
        ]
        for email in ("ny@example.com", "berlin@example.com", "tokyo@example.com")
    }
    ny = [when.astimezone(NY) for when in prompts["ny@example.com"]]
    berlin = [when.astimezone(BERLIN) for when in prompts["berlin@example.com"]]
    tokyo = [when.astimezone(TOKYO) for when in prompts["tokyo@example.com"]]
    # Three weeks, one prompt per week, each on time (ticks every 15 minutes), through
    # Berlin's (Oct 25) and New York's (Nov 1) fall-back.
    assert [(d.date(), d.hour, d.minute) for d in ny] == [
        (date(2026, 10, 19), 10, 0),
        (date(2026, 10, 26), 10, 0),
        (date(2026, 11, 2), 10, 0),
    ]
    assert [(d.date(), d.hour, d.minute) for d in berlin] == [
        (date(2026, 10, 19), 10, 0),
        (date(2026, 10, 26), 10, 0),
        (date(2026, 11, 2), 10, 0),
    ]
    assert [(d.weekday(), d.hour, d.minute) for d in tokyo] == [(1, 9, 15)] * 3


async def test_one_reminder_two_days_later_unless_answered_or_skipped(world: World) -> None:
    await world.ticker.tick()
    await world.run_until(datetime(2026, 10, 19, 15, tzinfo=UTC))  # NY and Berlin prompted
    berlin = await world.person("berlin@example.com")
    async with world.database.transaction() as session:
        await mark_week(session, berlin.id, "2026-W43", checked_in_at=world.clock.now())
    await world.run_until(datetime(2026, 10, 25, 0, tzinfo=UTC))
    ny = [when.astimezone(NY) for when in world.messenger.to("ny@example.com")]
    assert [(d.date(), d.hour) for d in ny] == [(date(2026, 10, 19), 10), (date(2026, 10, 21), 10)]
    assert len(world.messenger.to("berlin@example.com")) == 1  # checked in: no reminder
    async with world.database.reading() as session:
        statuses = dict((await session.execute(select(DeliveryRow.key, DeliveryRow.status))).all())
    assert statuses[f"reminder:{berlin.id}:2026-W43"] == "suppressed"


async def test_skip_and_pause_suppress_prompts(world: World) -> None:
    ny = await world.person("ny@example.com")
    tokyo = await world.person("tokyo@example.com")
    async with world.database.transaction() as session:
        await mark_week(session, ny.id, "2026-W43", skipped_at=START)
        await session.execute(
            update(PersonRow)
            .where(PersonRow.id == tokyo.id)
            .values(paused_until=date(2026, 10, 28))
        )
    await world.run_until(datetime(2026, 11, 4, tzinfo=UTC))
    assert [d.astimezone(NY).date() for d in world.messenger.to("ny@example.com")][:2] == [
        date(2026, 10, 26),
        date(2026, 10, 28),  # week 43 skipped: week 44's prompt and reminder
    ]
    # Away until Wednesday Oct 28: the Tuesday prompts of Oct 20 and 27 are not sent.
    tokyo = [d.astimezone(TOKYO).date() for d in world.messenger.to("tokyo@example.com")]
    assert tokyo == [date(2026, 11, 3)]


async def test_catch_up_after_downtime_within_the_week_only(world: World) -> None:
    await world.ticker.tick()  # schedules everyone from Sunday
    world.clock.set(datetime(2026, 10, 21, 12, tzinfo=UTC))  # down from Sunday to Wednesday
    await world.ticker.tick()
    assert len(world.messenger.to("ny@example.com")) == 1  # this week's prompt, late but sent
    world.clock.set(datetime(2026, 11, 3, 12, tzinfo=UTC))  # down again, across a whole week
    await world.ticker.tick()
    ny = [d.astimezone(NY).date() for d in world.messenger.to("ny@example.com")]
    assert date(2026, 10, 26) not in ny  # week 44 is over: not sent late
    assert date(2026, 11, 3) in ny  # week 45's prompt (due Monday) is caught up on Tuesday
    await world.ticker.tick()
    assert len(world.messenger.to("ny@example.com")) == len(ny)  # and never twice


async def test_people_imported_after_the_due_time_start_next_week(world: World) -> None:
    await world.ticker.tick()
    world.clock.set(datetime(2026, 10, 19, 20, tzinfo=UTC))
    await add_people(
        world.database, {"email": "late@example.com", "name": "Late", "timezone": "UTC"}
    )
    await world.ticker.tick()
    await world.run_until(datetime(2026, 10, 26, 12, tzinfo=UTC))
    assert [d.date() for d in world.messenger.to("late@example.com")] == [date(2026, 10, 26)]


async def test_the_notification_budget_holds(database: Database) -> None:
    await add_people(
        database, {"email": "ny@example.com", "name": "NY", "timezone": "America/New_York"}
    )
    world = make_world(database, notification_budget=1)
    await world.ticker.tick()
    await world.run_until(datetime(2026, 10, 24, tzinfo=UTC))
    assert len(world.messenger.to("ny@example.com")) == 1  # the prompt; the reminder waits
    async with database.reading() as session:
        reminder = (
            await session.scalars(select(DeliveryRow).where(DeliveryRow.kind == "reminder"))
        ).one()
    assert reminder.status == "suppressed" and "budget 1" in (reminder.last_error or "")


async def test_ticking_twice_sends_nothing_twice(world: World) -> None:
    await world.ticker.tick()
    world.clock.set(datetime(2026, 10, 19, 16, tzinfo=UTC))
    for _ in range(3):
        await world.ticker.tick()
    assert len(world.messenger.to("ny@example.com")) == 1
    assert len(world.messenger.to("berlin@example.com")) == 1


async def test_changing_the_checkin_day_moves_the_next_prompt_only_for_that_person(
    world: World,
) -> None:
    await world.ticker.tick()
    ny, berlin = await world.person("ny@example.com"), await world.person("berlin@example.com")
    before = await world.cadence.next_prompt(berlin.id)
    async with world.database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.id == ny.id).values(checkin_day=Weekday.THU)
        )
        moved = await world.cadence.reschedule(session, [ny.id, berlin.id])
    assert moved == 1
    assert await world.cadence.next_prompt(berlin.id) == before
    ny_next = await world.cadence.next_prompt(ny.id)
    assert ny_next is not None
    assert ny_next.astimezone(NY).replace(tzinfo=None) == datetime(2026, 10, 22, 10)


# -- quiet hours and the weekly budget ----------------------------------------------------------


async def person_named(database: Database, email: str) -> Person:
    async with database.reading() as session:
        row = (await session.scalars(select(PersonRow).where(PersonRow.email == email))).one()
        found = await get_person(session, row.id)
    assert found is not None
    return found


async def delivery(database: Database, kind: str) -> DeliveryRow:
    async with database.reading() as session:
        return (await session.scalars(select(DeliveryRow).where(DeliveryRow.kind == kind))).one()


async def test_a_managers_nudge_waits_for_the_start_of_the_reports_working_day(
    world: World,
) -> None:
    ny = await person_named(world.database, "ny@example.com")
    tokyo = await person_named(world.database, "tokyo@example.com")
    async with world.database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.id == tokyo.id).values(manager_id=ny.id)
        )
    # Wednesday 15:00 in New York is Thursday 04:00 in Tokyo.
    await world.run_until(datetime(2026, 10, 21, 19, 0, tzinfo=UTC))
    assert len(world.messenger.to("tokyo@example.com")) == 1  # Tuesday's prompt
    answer = await Reports(world.database, world.checkins).nudge(ny, tokyo.id)
    assert answer.summary == (
        "👋 Tokyo will be reminded at the start of their working day, Thu 08:00 (Asia/Tokyo)."
    )
    await world.ticker.tick()
    assert len(world.messenger.to("tokyo@example.com")) == 1  # nothing at 04:00
    nudge = await delivery(world.database, "nudge")
    assert (nudge.status, nudge.attempts) == ("pending", 0)
    assert nudge.last_error == "quiet hours until Thu 08:00 (Asia/Tokyo)"
    assert nudge.due_at == datetime(2026, 10, 21, 23, 0, tzinfo=UTC)
    await world.run_until(datetime(2026, 10, 22, 0, 0, tzinfo=UTC))
    assert world.messenger.to("tokyo@example.com")[1:] == [datetime(2026, 10, 21, 23, tzinfo=UTC)]


async def test_working_hours_are_configurable_and_a_late_snooze_comes_back_next_morning(
    database: Database,
) -> None:
    await add_people(
        database, {"email": "ny@example.com", "name": "NY", "timezone": "America/New_York"}
    )
    world = make_world(database, work_start="09:30", work_end="17:00", work_days="mon-thu")
    await world.run_until(datetime(2026, 10, 22, 21, 30, tzinfo=UTC))  # Thu 17:30 in New York
    ny = await person_named(database, "ny@example.com")
    async with database.transaction() as session:
        await enqueue(
            session,
            key=f"snoozed_prompt:{ny.id}:2026-W43:1",
            kind="snoozed_prompt",
            due_at=world.clock.now(),
            person_id=ny.id,
            period="2026-W43",
        )
    await world.ticker.tick()
    snoozed = await delivery(database, "snoozed_prompt")
    # Friday is not a working day here: the prompt comes back on Monday, 09:30 New York time,
    # in a new week, where it is no longer wanted (the new week has its own prompt).
    assert snoozed.last_error == "quiet hours until Mon 09:30 (America/New_York)"
    await world.run_until(datetime(2026, 10, 26, 13, 31, tzinfo=UTC))
    assert (await delivery(database, "snoozed_prompt")).status == "suppressed"


async def test_a_person_with_their_own_hours_is_nudged_in_those_not_the_companys(
    database: Database,
) -> None:
    await add_people(
        database,
        {"email": "ny@example.com", "name": "NY", "timezone": "America/New_York"},
        {
            "email": "dubai@example.com",
            "name": "Dubai",
            "timezone": "Asia/Dubai",
            "work_start": time(10, 0),
            "work_end": time(18, 0),
            "work_days": "sun-thu",
        },
    )
    world = make_world(database)
    ny = await person_named(database, "ny@example.com")
    dubai = await person_named(database, "dubai@example.com")
    async with database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.id == dubai.id).values(manager_id=ny.id)
        )
    assert world.checkins.working_hours(dubai).days_text == "sun-thu"
    assert world.checkins.working_hours(ny).hours_text == "08:00-19:00"  # the company's
    # Friday 09:00 in New York is Friday 17:00 in Dubai: inside the company's hours, but Friday
    # is Dubai's weekend, so the nudge waits for Sunday 10:00 there.
    await world.run_until(datetime(2026, 10, 23, 13, 0, tzinfo=UTC))
    answer = await Reports(world.database, world.checkins).nudge(ny, dubai.id)
    assert answer.summary == (
        "👋 Dubai will be reminded at the start of their working day, Sun 10:00 (Asia/Dubai)."
    )
    await world.ticker.tick()
    nudge = await delivery(database, "nudge")
    assert nudge.last_error == "quiet hours until Sun 10:00 (Asia/Dubai)"
    assert nudge.due_at == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)


@dataclass
class RecordingKudos:
    """Stands in for the kudos sender (its platform side is tested in test_kudos_slack)."""

    clock: FakeClock
    messenger: RecordingMessenger
    emails: dict[int, str]

    async def deliver(self, sent: Delivery) -> None:
        email = self.emails[sent.person_id or 0]
        self.messenger.sent.append((email, self.clock.now(), "kudos DM"))


async def test_every_unsolicited_message_counts_and_kudos_past_the_budget_wait_together(
    database: Database,
) -> None:
    await add_people(
        database,
        {"email": "ny@example.com", "name": "NY", "timezone": "America/New_York"},
        {"email": "li@example.com", "name": "Li", "timezone": "America/New_York"},
    )
    world = make_world(database)
    ny = await person_named(database, "ny@example.com")
    li = await person_named(database, "li@example.com")
    world.ticker.courier.kudos = RecordingKudos(  # type: ignore[attr-defined]
        world.clock, world.messenger, {ny.id: ny.email, li.id: li.email}
    )
    await world.run_until(datetime(2026, 10, 19, 16, tzinfo=UTC))  # Monday, noon in New York
    for n in range(6):
        given = await give(
            database,
            giver=li,
            giver_platform_id="ULI",
            now_local=world.clock.now().astimezone(NY),
            recipients=[Recipient(ny.id, "UNY", "NY")],
            message=f"thanks for launch {n}",
            values=[],
            platform=Platform.SLACK,
            source="command",
            post_to=None,
            daily_limit=10,
        )
        assert given.ok
    await world.run_until(datetime(2026, 10, 25, 23, tzinfo=UTC))  # the week is over
    week = [what for who, _, what in world.messenger.sent if who == "ny@example.com"]
    assert len(week) == 5 and week.count("kudos DM") == 4  # the prompt, then four kudos
    async with database.reading() as session:
        held = {
            row.kind: row
            for row in await session.scalars(
                select(DeliveryRow).where(DeliveryRow.status == "suppressed")
            )
        }
    assert "budget 5" in (held["reminder"].last_error or "")
    assert "over this week's budget (5 of 5 sent); folded into kudos_roundup:" in (
        held["kudos_dm"].last_error or ""
    )
    assert (held["kudos_dm"].last_error or "").endswith("due Mon 08:00 (America/New_York)")
    await world.run_until(datetime(2026, 10, 26, 15, tzinfo=UTC))
    monday = [(when, what) for who, when, what in world.messenger.sent if who == ny.email][5:]
    assert monday == [
        (datetime(2026, 10, 26, 12, tzinfo=UTC), "You received 2 kudos"),
        (datetime(2026, 10, 26, 14, tzinfo=UTC), "Time for your weekly check-in"),
    ]


async def test_a_monday_fan_out_is_queued_in_one_insert_and_never_twice(
    database: Database,
) -> None:
    """Planning used to add each prompt and reminder with an INSERT of its own, a round trip
    each while the planning transaction held SQLite's one writer (1.4 s for 200 people)."""
    people = 30
    await add_people(
        database,
        *(
            {"email": f"p{n}@example.com", "name": f"P {n}", "timezone": "UTC"}
            for n in range(people)
        ),
    )
    world = make_world(database)
    await world.cadence.schedule_new_people()
    inserts: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO DELIVERIES"):
            inserts.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    monday_morning = datetime(2026, 10, 19, 10, 1, tzinfo=UTC)
    world.clock.set(monday_morning)
    assert await world.cadence.plan_due() == people
    assert len(inserts) == 1
    # A second planner (a replica that read the schedules first) queues nothing again.
    async with database.transaction() as session:
        await session.execute(update(ScheduleRow).values(next_at=monday_morning))
    assert await world.cadence.plan_due() == 0
    async with database.reading() as session:
        kinds = list(await session.scalars(select(DeliveryRow.kind)))
    assert sorted(set(kinds)) == ["prompt", "reminder"]
    assert kinds.count("prompt") == kinds.count("reminder") == people
