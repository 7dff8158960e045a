"""Kudos: stored once per recipient, so each person's received recognition is one query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import Kudos, Platform
from okrbot.storage.convert import to_kudos
from okrbot.storage.models import KudosRow


async def add_kudos(
    session: AsyncSession,
    *,
    giver_id: int | None,
    giver_platform_id: str | None,
    recipients: Sequence[tuple[int | None, str | None]],
    message: str,
    values: Sequence[str],
    platform: Platform,
    source: str,
    now: datetime,
) -> list[Kudos]:
    """Store one kudos per recipient, given as (person id, platform user id) pairs."""
    rows = [
        KudosRow(
            giver_id=giver_id,
            giver_platform_id=giver_platform_id,
            recipient_id=person_id,
            recipient_platform_id=platform_id,
            message=message,
            values=list(values),
            platform=platform.value,
            source=source,
            created_at=now,
        )
        for person_id, platform_id in recipients
    ]
    session.add_all(rows)
    await session.flush()
    return [to_kudos(row) for row in rows]
