"""The team_channels table and its migration, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import delete, inspect

from okrbot.storage.db import Database
from okrbot.storage.migrate import alembic_config, current_revision, upgrade
from okrbot.storage.models import PersonRow
from okrbot.storage.team_channels import (
    set_team_channel,
    team_channel,
    team_channels,
    unset_team_channel,
)
from tests.test_storage_basics import unmigrated  # noqa: F401  (the fixture)
from tests.world import Seed

NOW = datetime(2026, 11, 20, 14, tzinfo=UTC)


async def test_one_channel_per_team_replaced_and_forgotten(database: Database) -> None:
    ids = await (
        Seed()
        .person("mia", "mia@example.com", "Mia Boss")
        .person("bob", "bob@example.com", "Bob Other")
        .write(database)
    )
    async with database.transaction() as session:
        await set_team_channel(
            session, ids["mia"], platform="slack", channel="C0AAAAAAAA", set_by="cli", now=NOW
        )
        await set_team_channel(
            session, ids["bob"], platform="slack", channel="C0BBBBBBBB", set_by="cli", now=NOW
        )
        await set_team_channel(
            session,
            ids["mia"],
            platform="teams",
            channel="19:abc@thread.tacv2",
            set_by="mia@example.com",
            now=NOW,
        )
    async with database.reading() as session:
        mia = await team_channel(session, ids["mia"])
        listed = await team_channels(session)
    assert mia is not None
    assert (mia.platform, mia.channel, mia.set_by, mia.set_at) == (
        "teams",
        "19:abc@thread.tacv2",
        "mia@example.com",
        NOW,
    )
    assert [team.manager_email for team in listed] == ["bob@example.com", "mia@example.com"]
    async with database.transaction() as session:
        assert await unset_team_channel(session, ids["bob"])
        assert not await unset_team_channel(session, ids["bob"])
        # A manager removed from the database takes their team's channel along.
        await session.execute(delete(PersonRow).where(PersonRow.id == ids["mia"]))
    async with database.reading() as session:
        assert await team_channels(session) == []


async def test_migration_0012_adds_the_table_and_takes_it_away_again(
    unmigrated: Database,  # noqa: F811
) -> None:
    await upgrade(unmigrated.engine, "0011")
    await upgrade(unmigrated.engine)

    async def tables() -> set[str]:
        async with unmigrated.engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))

    assert "team_channels" in await tables()
    async with unmigrated.engine.connect() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0011"))
        await conn.commit()
    assert "team_channels" not in await tables()
    assert await current_revision(unmigrated.engine) == "0011"
