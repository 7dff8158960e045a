"""The storage layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from okrbot.storage.db import Database
from okrbot.storage.events import first_time
from okrbot.storage.migrate import check
from okrbot.storage.models import InboundEventRow, PersonRow


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
