"""Storing check-ins and marking weeks, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from okrbot.bot.checkins import CheckInEntry
from okrbot.bot.domain import Confidence, Platform
from okrbot.storage.checkins import add_prompt_ref, get_week, mark_week, record_checkins
from okrbot.storage.db import Database
from okrbot.storage.models import CheckInRow, KeyResultRow, PersonWeekRow
from tests.test_faults import seed

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
WEEK = "2026-W47"


def entry(key_result_id: int, value: float) -> CheckInEntry:
    return CheckInEntry(key_result_id, value, Confidence.ON_TRACK, None)


async def test_a_check_in_naming_someone_elses_key_result_writes_nothing(
    database: Database,
) -> None:
    await seed(database, 2, NOW)  # person n owns key result n
    with pytest.raises(PermissionError):
        async with database.transaction() as session:
            entries = [entry(1, 5), entry(2, 9)]  # the first is theirs, the second is not
            await record_checkins(session, 1, WEEK, entries, Platform.SLACK, NOW)
    async with database.reading() as session:
        assert await session.scalar(select(func.count()).select_from(CheckInRow)) == 0
        assert await session.scalar(select(func.count()).select_from(PersonWeekRow)) == 0
        currents = (await session.execute(select(KeyResultRow.id, KeyResultRow.current))).all()
    assert sorted(currents) == [(1, 1), (2, 1)]  # as seeded


async def test_checking_in_again_the_same_week_amends_it(database: Database) -> None:
    await seed(database, 1, NOW)
    for value in (4, 6):
        async with database.transaction() as session:
            await record_checkins(session, 1, WEEK, [entry(1, value)], Platform.TEAMS, NOW)
    async with database.reading() as session:
        values = (await session.scalars(select(CheckInRow.value))).all()
        current = await session.scalar(select(KeyResultRow.current))
        week = await get_week(session, 1, WEEK)
    assert list(values) == [6] and current == 6
    assert week is not None and week.checked_in_at == NOW


async def test_marking_a_week_creates_it_then_changes_only_what_is_named(
    database: Database,
) -> None:
    await seed(database, 1, NOW)
    async with database.transaction() as session:
        await mark_week(session, 1, WEEK, skipped_at=NOW)
        await add_prompt_ref(session, 1, WEEK, {"platform": "slack", "ts": "1.0"}, NOW)
    async with database.transaction() as session:
        loaded = await get_week(session, 1, WEEK)  # a copy this session holds
        assert loaded is not None
        await add_prompt_ref(session, 1, WEEK, {"platform": "teams", "id": "a"}, NOW)
        assert [ref["platform"] for ref in loaded.prompt_refs] == ["slack", "teams"]
    async with database.reading() as session:
        week = await get_week(session, 1, WEEK)
    assert week is not None
    assert [ref["platform"] for ref in week.prompt_refs] == ["slack", "teams"]
    assert week.skipped_at == NOW and week.prompted_at == NOW and week.checked_in_at is None
