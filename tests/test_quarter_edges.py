"""The quarter's edges: the reflection window and its summary, and holidays moving messages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from okrbot.adapters.reports_flow import Reports
from okrbot.bot.messages import Form, Message
from okrbot.bot.settings import SettingsError, load_settings
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow, ObjectiveRow, PersonRow
from okrbot.storage.people import get_person
from tests.test_cadence import World, add_people, make_world

NY, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")


@dataclass
class Company(World):
    """Everything a cadence test has, and the reports flow people reflect through."""

    reports: Reports = field(kw_only=True)

    async def as_person(self, email: str) -> Any:
        async with self.database.reading() as session:
            row = await session.scalar(select(PersonRow).where(PersonRow.email == email))
            assert row is not None
            found = await get_person(session, row.id)
        assert found is not None
        return found

    def said(self, email: str, starting: str) -> list[datetime]:
        return [
            when
            for who, when, summary in self.messenger.sent
            if who == email and summary.startswith(starting)
        ]

    async def reflect(self, email: str, went_well: str) -> None:
        person = await self.as_person(email)
        result = await self.reports.submit_reflection(person, None, {"went-well": went_well})
        assert not result.errors and result.message is not None
        assert result.message.summary == "Reflection on 2026-Q4 saved"


async def make_company(database: Database, start: datetime, **settings: Any) -> Company:
    """Mia (Berlin) manages Ana (New York, a committed objective) and Li (Berlin)."""
    async with database.transaction() as session:
        mia = PersonRow(email="mia@example.com", name="Mia Boss", timezone="Europe/Berlin")
        session.add(mia)
    await add_people(
        database,
        {"email": "ana@example.com", "name": "Ana Lima", "timezone": "America/New_York"},
        {"email": "li@example.com", "name": "Li Wei", "timezone": "Europe/Berlin"},
    )
    async with database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.id != mia.id).values(manager_id=mia.id)
        )
        await session.execute(
            update(ObjectiveRow)
            .where(ObjectiveRow.title == "Objective of ana@example.com")
            .values(kind="committed")
        )
    return company_view(database, start, **settings)


def company_view(database: Database, start: datetime, **settings: Any) -> Company:
    """The company in `database` as okrbot sees it, started at `start` with `settings`."""
    world = make_world(database, start, **settings)
    parts = {part.name: getattr(world, part.name) for part in fields(World)}
    return Company(**parts, reports=Reports(database, world.checkins))


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


# -- item 7: the reflection window -------------------------------------------------------------


async def test_the_reflection_opens_two_weeks_before_the_quarter_ends(database: Database) -> None:
    company = await make_company(database, datetime(2026, 12, 13, tzinfo=UTC))
    await company.run_until(datetime(2026, 12, 23, tzinfo=UTC))
    asked = company.said("ana@example.com", "Time to look back on 2026-Q4")
    # Monday 21 December, right after Ana's 10:00 check-in prompt in New York.
    assert [when.astimezone(NY).replace(tzinfo=None) for when in asked] == [
        datetime(2026, 12, 21, 10, 5)
    ]
    await company.run_until(datetime(2027, 1, 1, tzinfo=UTC))
    assert len(company.said("ana@example.com", "Time to look back")) == 1  # once


async def test_committed_owners_are_told_that_1_0_is_expected(database: Database) -> None:
    company = await make_company(database, datetime(2026, 12, 21, 16, tzinfo=UTC))
    ana, li = await company.as_person("ana@example.com"), await company.as_person("li@example.com")
    quarter = company.reports.reflection_quarter(ana, "2026-Q4")
    prompt = await company.reports.reflection_prompt(ana, quarter)
    form = await company.reports.reflection_form(ana, "2026-Q4")
    assert isinstance(form, Form)
    for shown in (str(prompt.blocks), form.intro or ""):
        assert "1.0 is expected" in shown and "0.6–0.7" not in shown
    aspirational = str((await company.reports.reflection_prompt(li, quarter)).blocks)
    assert "0.7 is a good result" in aspirational and "1.0 is expected" not in aspirational
    assert "until Thursday 7 January" in str(prompt.blocks)


async def test_a_reflection_can_be_written_until_a_week_after_the_quarter(
    database: Database,
) -> None:
    company = await make_company(database, datetime(2027, 1, 7, 20, tzinfo=UTC))
    ana = await company.as_person("ana@example.com")
    # Thursday 7 January in New York: the just-ended quarter is still open, unasked too.
    form = await company.reports.reflection_form(ana, None)
    assert isinstance(form, Form) and form.title == "Reflect on 2026-Q4"
    await company.reflect("ana@example.com", "Landed it")
    company.clock.set(at(NY, 2027, 1, 8, 0, 1))
    closed = await company.reports.reflection_form(ana, "2026-Q4")
    assert isinstance(closed, Message) and "reflection on 2026-Q4 is closed" in str(closed.blocks)
    late = await company.reports.submit_reflection(ana, "2026-Q4", {"went-well": "Too late"})
    assert late.message is not None and "closed" in late.message.summary


async def test_the_summary_goes_out_when_the_last_reflection_is_in(database: Database) -> None:
    company = await make_company(database, datetime(2026, 12, 20, tzinfo=UTC))
    await company.run_until(at(BERLIN, 2026, 12, 22, 12, 0))
    await company.reflect("ana@example.com", "Shipped the onboarding")
    await company.run_until(at(BERLIN, 2027, 1, 4, 9, 0))
    # Not on Friday 1 January (the first weekday after the quarter): Li has not reflected.
    assert company.said("mia@example.com", "Quarter summary") == []
    await company.reflect("li@example.com", "Calls with every churned customer")
    await company.run_until(at(BERLIN, 2027, 1, 4, 9, 1))
    assert company.said("mia@example.com", "Quarter summary") == [at(BERLIN, 2027, 1, 4, 9, 0)]
    async with database.reading() as session:
        summary = await session.scalar(select(DeliveryRow).where(DeliveryRow.kind == "summary"))
    assert summary is not None and summary.key.endswith(":2026-Q4") and summary.status == "sent"
    await company.run_until(at(BERLIN, 2027, 1, 10))
    assert len(company.said("mia@example.com", "Quarter summary")) == 1


async def test_the_summary_goes_out_when_the_window_closes_whatever_is_missing(
    database: Database,
) -> None:
    company = await make_company(database, datetime(2026, 12, 27, tzinfo=UTC))
    await company.run_until(at(BERLIN, 2027, 1, 7, 14, 59))
    assert company.said("mia@example.com", "Quarter summary") == []
    await company.run_until(at(BERLIN, 2027, 1, 7, 15, 1))
    # The last day of the window, Thursday 7 January, at Mia's digest time (15:00 in Berlin).
    assert company.said("mia@example.com", "Quarter summary") == [at(BERLIN, 2027, 1, 7, 15, 0)]


# -- item 8: holidays ----------------------------------------------------------------------------


async def test_nobody_is_prompted_on_a_company_holiday(database: Database) -> None:
    company = await make_company(
        database, datetime(2026, 11, 22, tzinfo=UTC), holidays="2026-11-23,2026-11-26"
    )
    await company.run_until(datetime(2026, 11, 30, tzinfo=UTC))
    # Monday's prompt moves to Tuesday at the same local time; Wednesday's reminder (two days
    # after Monday) stays, and Thursday's holiday would have moved a Thursday reminder.
    sent = company.messenger.sent
    ana = [when.astimezone(NY) for who, when, _ in sent if who.startswith("ana")]
    assert [(d.date(), d.hour) for d in ana] == [(date(2026, 11, 24), 10), (date(2026, 11, 27), 10)]
    assert not any(d.date() in (date(2026, 11, 23), date(2026, 11, 26)) for d in ana)


async def test_a_digest_on_a_holiday_goes_out_the_next_working_day_about_its_own_week(
    database: Database,
) -> None:
    company = await make_company(
        database, datetime(2026, 11, 22, tzinfo=UTC), holidays="2026-11-27"
    )
    await company.run_until(datetime(2026, 12, 1, tzinfo=UTC))
    async with database.reading() as session:
        digests = list(
            await session.scalars(select(DeliveryRow).where(DeliveryRow.kind == "digest"))
        )
    assert [(d.period, d.due_at.astimezone(BERLIN).replace(tzinfo=None)) for d in digests] == [
        ("2026-W48", datetime(2026, 11, 30, 15, 0))  # Monday, about the week of the holiday
    ]


async def test_regional_holidays_follow_the_persons_time_zone(database: Database) -> None:
    company = await make_company(
        database,
        datetime(2026, 10, 2, tzinfo=UTC),
        regional_holidays={"Europe/Berlin": "2026-10-05"},
    )
    await company.run_until(datetime(2026, 10, 7, tzinfo=UTC))
    li = [
        when.astimezone(BERLIN) for who, when, _ in company.messenger.sent if who.startswith("li")
    ]
    ana = [when.astimezone(NY) for who, when, _ in company.messenger.sent if who.startswith("ana")]
    assert li[0].date() == date(2026, 10, 6) and li[0].time() == time(10)
    assert ana[0].date() == date(2026, 10, 5)  # New York works that day


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example Corp//Holidays//EN\r
BEGIN:VEVENT\r
UID:thanksgiving-2026@example.com\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261126\r
DTEND;VALUE=DATE:20261128\r
SUMMARY:Thanksgiving break\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:xmas-2026@example.com\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261225\r
SUMMARY:Christmas Day\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_holidays_come_from_dates_or_an_icalendar_file(tmp_path: Path) -> None:
    calendar = tmp_path / "holidays.ics"
    calendar.write_text(ICS, "utf-8")
    assert load_settings(holidays=str(calendar)).holidays == {
        date(2026, 11, 26),
        date(2026, 11, 27),
        date(2026, 12, 25),
    }
    assert load_settings(holidays="2026-12-24, 2026-12-31").holidays == {
        date(2026, 12, 24),
        date(2026, 12, 31),
    }


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-12-24,Christmas", "'Christmas' is not a date"),
        ("{missing}/holidays.ics", "cannot read the calendar"),
        ("{timed}", "is not a whole-day event"),
        ("{garbage}", "is not an iCalendar file"),
    ],
)
def test_a_bad_holiday_calendar_stops_okrbot_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    timed, garbage = tmp_path / "timed.ics", tmp_path / "garbage.ics"
    timed.write_text(ICS.replace("DTSTART;VALUE=DATE:20261225", "DTSTART:20261225T090000Z"))
    garbage.write_text("not a calendar")
    text = value.format(missing=tmp_path / "nope", timed=timed, garbage=garbage)
    monkeypatch.setenv("OKRBOT_HOLIDAYS", text)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "OKRBOT_HOLIDAYS: " in str(error.value) and problem in str(error.value)
    monkeypatch.delenv("OKRBOT_HOLIDAYS")
    monkeypatch.setenv("OKRBOT_REGIONAL_HOLIDAYS", json.dumps({"Europe/Berlin": text}))
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "OKRBOT_REGIONAL_HOLIDAYS: Europe/Berlin: " in str(error.value)


async def test_a_reminder_a_holiday_pushes_into_next_week_is_dropped(database: Database) -> None:
    # Ana checks in on Fridays: her reminder two days later falls on Sunday 29 November, a
    # holiday; moved to Monday it would be next week's: it is dropped, not misfiled.
    company = await make_company(
        database, datetime(2026, 11, 22, tzinfo=UTC), holidays="2026-11-29"
    )
    async with database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.email == "ana@example.com").values(checkin_day=4)
        )
    await company.run_until(datetime(2026, 12, 2, tzinfo=UTC))
    sent = company.messenger.sent
    ana = [
        (when.astimezone(NY).date(), what) for who, when, what in sent if who == "ana@example.com"
    ]
    assert [day for day, _ in ana] == [date(2026, 11, 27)]  # the Friday prompt, no reminder


async def test_holidays_configured_after_planning_still_move_the_next_prompt(
    database: Database,
) -> None:
    company = await make_company(database, datetime(2026, 12, 18, tzinfo=UTC))
    await company.run_until(datetime(2026, 12, 20, tzinfo=UTC))  # Monday 21st is planned
    # okrbot restarts with 21 December declared a holiday.
    later = company_view(database, company.clock.now(), holidays="2026-12-21")
    await later.run_until(datetime(2026, 12, 23, tzinfo=UTC))
    ana = [when.astimezone(NY) for who, when, _ in later.messenger.sent if who.startswith("ana")]
    assert ana and ana[0].date() == date(2026, 12, 22) and ana[0].hour == 10
