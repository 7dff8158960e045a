"""What storage keeps about reaching people on their platform, on both database backends."""

from __future__ import annotations

from datetime import UTC, datetime

from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow
from okrbot.storage.people import (
    deactivated_names,
    get_person,
    link_slack_user,
    mark_teams_unreachable,
    remember_slack_dm_channel,
    teams_conversation,
    teams_reachable,
)

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
REFERENCE = {"conversation": {"id": "a:1"}, "user": {"id": "29:ana"}}


async def add(database: Database, **fields: object) -> int:
    async with database.transaction() as session:
        row = PersonRow(**fields)
        session.add(row)
        await session.flush()
        return row.id


async def test_a_learnt_slack_id_brings_slack_s_time_zone_only_where_okrbot_has_none(
    database: Database,
) -> None:
    ana = await add(database, email="ana@example.com", name="Ana")
    li = await add(database, email="li@example.com", name="Li", timezone="Europe/Berlin")
    async with database.transaction() as session:
        await link_slack_user(session, ana, "UANA", "America/New_York")
        await link_slack_user(session, li, "ULI", "America/New_York")
        await remember_slack_dm_channel(session, ana, "DANA")
    async with database.reading() as session:
        found_ana, found_li = await get_person(session, ana), await get_person(session, li)
    assert found_ana is not None and found_li is not None
    assert (found_ana.slack_user_id, found_ana.timezone) == ("UANA", "America/New_York")
    assert found_ana.slack_dm_channel == "DANA"
    assert (found_li.slack_user_id, found_li.timezone) == ("ULI", "Europe/Berlin")


async def test_teams_reaches_someone_who_installed_okrbot_until_they_remove_it(
    database: Database,
) -> None:
    ana = await add(database, email="ana@example.com", name="Ana", teams_conversation=REFERENCE)
    mia = await add(database, email="mia@example.com", name="Mia")
    async with database.reading() as session:
        assert await teams_conversation(session, ana) == REFERENCE
        assert await teams_conversation(session, mia) is None
        assert await teams_reachable(session, ana) and not await teams_reachable(session, mia)
    async with database.transaction() as session:
        await mark_teams_unreachable(session, ana, NOW)
    async with database.reading() as session:
        assert not await teams_reachable(session, ana)


async def test_deactivated_names_are_those_who_left_sorted(database: Database) -> None:
    ids = [
        await add(database, email="zoe@example.com", name="Zoe", deactivated_at=NOW),
        await add(database, email="ana@example.com", name="Ana"),
        await add(database, email="bo@example.com", name="Bo", deactivated_at=NOW),
    ]
    async with database.reading() as session:
        assert await deactivated_names(session, ids) == ["Bo", "Zoe"]
        assert await deactivated_names(session, []) == []
