"""The storage layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, DateTime, String, column, func, insert, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from okrbot.storage.db import Database
from okrbot.storage.events import first_time
from okrbot.storage.migrate import check, upgrade
from okrbot.storage.models import InboundEventRow, PersonRow
from okrbot.storage.people import get_person_by_teams_user_id
from tests.conftest import POSTGRES_URL_ENV, REQUIRE_POSTGRES_ENV


async def test_migrations_match_the_models(database: Database) -> None:
    await check(database.engine)


async def test_emails_are_unique(database: Database) -> None:
    async with database.transaction() as session:
        session.add(PersonRow(email="ana@example.com", name="Ana"))
    with pytest.raises(IntegrityError) as refused:
        async with database.transaction() as session:
            session.add(PersonRow(email="ana@example.com", name="Ana Again"))
    # Statement parameters (people's notes, in other statements) never reach an error or a log.
    assert "Ana Again" not in str(refused.value)
    async with database.reading() as session:
        assert await session.scalar(select(func.count()).select_from(PersonRow)) == 1


async def test_a_failed_transaction_writes_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            session.add(PersonRow(email="li@example.com", name="Li"))
            await session.flush()
            raise RuntimeError("boom")
    async with database.reading() as session:
        assert await session.scalar(select(func.count()).select_from(PersonRow)) == 0


async def test_concurrent_writers_all_succeed(database: Database) -> None:
    async def write(n: int) -> None:
        async with database.transaction() as session:
            count = await session.scalar(select(func.count()).select_from(PersonRow))
            session.add(PersonRow(email=f"p{n}@example.com", name=f"P{count}"))

    await asyncio.gather(*(write(n) for n in range(20)))
    async with database.reading() as session:
        assert await session.scalar(select(func.count()).select_from(PersonRow)) == 20


async def test_event_keys_longer_than_the_column_stay_distinct(database: Database) -> None:
    # A real Teams personal chat: `a:1` + ~128 characters, so the key passes 128 before the
    # activity id starts.
    conversation = "a:1" + "x" * 128
    first, second = f"teams:{conversation}:1:1001", f"teams:{conversation}:1:1002"
    now = datetime(2026, 11, 16, tzinfo=UTC)
    assert await first_time(database, first, now)
    assert await first_time(database, second, now)
    assert not await first_time(database, first, now)
    assert not await first_time(database, second, now)
    async with database.reading() as session:
        ids = list(await session.scalars(select(InboundEventRow.id)))
    assert len(ids) == 2 and all(i.startswith("teams:") and len(i) <= 128 for i in ids)


async def test_people_are_indexed_by_teams_user_id(database: Database) -> None:
    """Migration 0010: who an @mention names is found through an index, on either backend."""
    async with database.engine.connect() as conn:
        indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes("people"))
    by_name = {index["name"]: index for index in indexes}
    assert by_name["ix_people_teams_user_id"]["column_names"] == ["teams_user_id"]
    assert not by_name["ix_people_teams_user_id"]["unique"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database with no tables yet, on each backend, to migrate step by step."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
        yield database
        await database.dispose()
        return
    base = os.environ.get(POSTGRES_URL_ENV)
    if not base:
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{REQUIRE_POSTGRES_ENV}=1 but {POSTGRES_URL_ENV} is not set")
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    name = f"okrbot_migrate_{uuid.uuid4().hex[:12]}"
    server = Database(base, isolation_level="AUTOCOMMIT")
    async with server.engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(make_url(base).set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        await database.dispose()
        async with server.engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


async def test_migration_0010_fills_in_the_teams_user_id_of_stored_conversations(
    unmigrated: Database,
) -> None:
    await upgrade(unmigrated.engine, "0009")
    people = table(
        "people",
        column("email", String),
        column("name", String),
        column("teams_conversation", JSON),
        column("created_at", DateTime(timezone=True)),
        column("updated_at", DateTime(timezone=True)),
    )
    reference = {"conversation": {"id": "a:1ana"}, "user": {"id": "29:1ana"}}
    now = datetime(2026, 11, 16, tzinfo=UTC)
    async with unmigrated.engine.begin() as conn:
        for email, conversation in (("ana@example.com", reference), ("li@example.com", None)):
            await conn.execute(
                insert(people).values(
                    email=email,
                    name=email.split("@")[0],
                    teams_conversation=conversation,
                    created_at=now,
                    updated_at=now,
                )
            )
    await upgrade(unmigrated.engine)
    async with unmigrated.reading() as session:
        ana = await get_person_by_teams_user_id(session, "29:1ana")
        stored = dict(
            (await session.execute(select(PersonRow.email, PersonRow.teams_user_id))).all()
        )
    assert ana is not None and ana.email == "ana@example.com"
    assert stored == {"ana@example.com": "29:1ana", "li@example.com": None}
