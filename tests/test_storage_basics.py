"""The storage layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from okrbot.storage.db import Database
from okrbot.storage.migrate import check
from okrbot.storage.models import PersonRow


async def test_migrations_match_the_models(database: Database) -> None:
    await check(database.engine)


async def test_emails_are_unique(database: Database) -> None:
    async with database.transaction() as session:
        session.add(PersonRow(email="ana@example.com", name="Ana"))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            session.add(PersonRow(email="ana@example.com", name="Ana Again"))
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
