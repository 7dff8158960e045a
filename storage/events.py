"""Inbound platform events already handled: a platform's retry must never act twice."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.storage.db import Database, dialect_insert
from okrbot.storage.models import InboundEventRow


def stored_key(key: str) -> str:
    """The row id for `key`: its platform prefix, then the SHA-256 of the whole key.

    Keys are built from platform ids of any length (a Teams personal conversation id alone is
    about 130 characters); cutting them to the column's 128 made every later activity of a
    chat look like a retry of the first. The digest keeps each key distinct at a fixed length.
    """
    prefix, _, _ = key.partition(":")
    return f"{prefix[:32]}:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


async def first_time(database: Database, key: str, now: datetime) -> bool:
    """Record `key`; True only the first time it is seen."""
    async with database.transaction() as session:
        return await first_time_in(session, key, now)


async def first_time_in(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record `key` in `session`'s transaction, so that it is seen only if the work done with
    it commits too; True only the first time. A concurrent transaction recording the same key
    waits for this one, then sees it."""
    insert = dialect_insert(session)
    result = await session.execute(
        insert(InboundEventRow)
        .values(id=stored_key(key), received_at=now)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(InboundEventRow.id)
    )
    return result.first() is not None


async def seen_in(session: AsyncSession, key: str) -> bool:
    """Whether `key` was recorded (and committed, or recorded in `session`)."""
    return await session.get(InboundEventRow, stored_key(key)) is not None


async def forget(database: Database, key: str) -> None:
    """Unrecord `key`: what it stood for failed, so that trying again must act."""
    async with database.transaction() as session:
        await session.execute(delete(InboundEventRow).where(InboundEventRow.id == stored_key(key)))


async def forget_before(database: Database, moment: datetime) -> int:
    """Drop the events recorded before `moment` (platforms retry within minutes); how many."""
    async with database.transaction() as session:
        result = await session.execute(
            delete(InboundEventRow).where(InboundEventRow.received_at < moment)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
