"""Inbound platform events already handled: a platform's retry must never act twice."""

from __future__ import annotations

from datetime import datetime

from okrbot.storage.db import Database, dialect_insert
from okrbot.storage.models import InboundEventRow

MAX_KEY = 128


async def first_time(database: Database, key: str, now: datetime) -> bool:
    """Record `key`; True only the first time it is seen."""
    async with database.transaction() as session:
        insert = dialect_insert(session)
        result = await session.execute(
            insert(InboundEventRow)
            .values(id=key[:MAX_KEY], received_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(InboundEventRow.id)
        )
        return result.first() is not None
