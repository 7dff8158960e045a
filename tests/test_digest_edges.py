"""Digests at the edges of a quarter and of a team: the week a digest is about, in that week's
quarter; no digest for a week nobody was asked; only people who were asked are listed; a nudge
never claims a reminder it will not send."""

from __future__ import annotations

from datetime import UTC, datetime

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.reports_flow import Reports
from okrbot.bot.clock import FakeClock
from okrbot.bot.domain import Person
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.messages import Actions
from okrbot.bot.settings import Settings
from okrbot.storage.convert import to_person
from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow, PersonWeekRow
from tests.world import Seed

NEW_YEARS_DAY = datetime(2027, 1, 1, 15, 0, tzinfo=UTC)  # Friday of ISO week 2026-W53


async def seed(database: Database, asked: dict[str, str]) -> dict[str, Person]:
    """Mia manages Ana (who owns a 2026-Q4 key result) and Bo (who owns none); `asked` maps
    emails to the week they were prompted in."""
    seed = (
        Seed()
        .person("mia@example.com", "mia@example.com", "Mia Manager", timezone="UTC")
        .person("ana@example.com", "ana@example.com", "Ana Lima", manager="mia@example.com")
        .person("bo@example.com", "bo@example.com", "Bo Builder", manager="mia@example.com")
        .objective("goal", "Customers stay", owner="ana@example.com", level="team")
        .key_result(
            None,
            "Churn from 3.5% to 2%",
            objective="goal",
            owner="ana@example.com",
            type="percent",
            start=3.5,
            target=2,
            current=3,
        )
    )
    for email, period in asked.items():
        seed.row(
            None,
            lambda ids, email=email, period=period: PersonWeekRow(
                person_id=ids[email], period=period, prompted_at=NEW_YEARS_DAY
            ),
        )
    ids = await seed.write(database)
    emails = ("mia@example.com", "ana@example.com", "bo@example.com")
    async with database.reading() as session:
        return {email: to_person(await session.get(PersonRow, ids[email])) for email in emails}


def reports(database: Database, now: datetime = NEW_YEARS_DAY) -> Reports:
    settings = Settings(database_url=database.url)
    return Reports(database, CheckIns(database, settings, FakeClock(now)))


async def test_the_week_53_digest_reports_the_last_week_of_q4(database: Database) -> None:
    people = await seed(database, {"ana@example.com": "2026-W53"})
    digest = messages_markdown(
        await reports(database).digest(people["mia@example.com"], "2026-W53")
    )
    assert "week 53 · 2026-Q4" in digest
    assert "Churn from 3.5% to 2%" in digest
    assert "2027-Q1" not in digest and "No key results" not in digest


async def test_a_key_result_is_not_stale_in_the_first_week_its_owner_is_asked(
    database: Database,
) -> None:
    """A mid-quarter rollout: Ana's first prompt is in week 53; nothing reads as neglected."""
    people = await seed(database, {"ana@example.com": "2026-W53"})
    digest = messages_markdown(
        await reports(database).digest(people["mia@example.com"], "2026-W53")
    )
    assert "0 key results at risk" in digest
    assert "no check-in for two weeks" not in digest


async def test_no_digest_for_a_week_in_which_nobody_was_asked(database: Database) -> None:
    people = await seed(database, {})
    early = datetime(2026, 10, 2, 15, 0, tzinfo=UTC)  # Friday of week 40, before any prompt
    assert await reports(database, early).digest(people["mia@example.com"], "2026-W40") == []


async def test_only_people_who_were_asked_are_listed_and_nudged(database: Database) -> None:
    people = await seed(database, {"ana@example.com": "2026-W53"})
    flow = reports(database)
    messages = await flow.digest(people["mia@example.com"], "2026-W53")
    digest = messages_markdown(messages)
    buttons = [
        b.label
        for m in messages
        for block in m.blocks
        if isinstance(block, Actions)
        for b in block.buttons
    ]
    assert "**Not checked in yet:** Ana Lima" in digest and buttons == ["Nudge Ana"]
    assert "Bo Builder" not in digest
    assert "Checked in 0 of 1" in digest

    mia, bo, ana = people["mia@example.com"], people["bo@example.com"], people["ana@example.com"]
    answer = messages_markdown([await flow.nudge(mia, bo.id)])
    assert "Bo was not asked to check in this week" in answer and "Reminding" not in answer
    assert "Reminding Ana to check in now" in messages_markdown([await flow.nudge(mia, ana.id)])
