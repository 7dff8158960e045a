"""Kudos: stored once per recipient, so each person's received recognition is one query."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import Kudos, Platform
from okrbot.bot.quarters import Quarter
from okrbot.storage.convert import to_kudos
from okrbot.storage.models import KudosRow, PersonRow


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


async def existing_kudos_ids(session: AsyncSession, kudos_ids: Iterable[int]) -> set[int]:
    """Which of these kudos still exist (an admin may have deleted one before it was sent)."""
    rows = await session.scalars(select(KudosRow.id).where(KudosRow.id.in_(list(kudos_ids))))
    return set(rows)


async def given_since(session: AsyncSession, giver_id: int, since: datetime) -> int:
    """How many people the giver has recognised since `since` (one row per recipient)."""
    count = await session.scalar(
        select(func.count())
        .select_from(KudosRow)
        .where(KudosRow.giver_id == giver_id, KudosRow.created_at >= since)
    )
    return int(count or 0)


async def same_words_since(
    session: AsyncSession, giver_id: int, message: str, since: datetime
) -> list[tuple[int | None, str | None, datetime]]:
    """Who the giver recognised with exactly these words after `since`: (person id, platform
    user id, when) each, newest first."""
    rows = await session.execute(
        select(KudosRow.recipient_id, KudosRow.recipient_platform_id, KudosRow.created_at)
        .where(
            KudosRow.giver_id == giver_id,
            KudosRow.message == message,
            KudosRow.created_at > since,
        )
        .order_by(KudosRow.created_at.desc())
    )
    return [(row[0], row[1], row[2]) for row in rows]


@dataclass(frozen=True, slots=True)
class Received:
    """A kudos someone received, with the giver's name when the giver is an imported person."""

    kudos: Kudos
    giver_name: str | None


async def received_in(
    session: AsyncSession, person_id: int, start: datetime, end: datetime
) -> list[Received]:
    """Kudos the person received in [start, end), newest first."""
    rows = await session.execute(
        select(KudosRow, PersonRow.name)
        .outerjoin(PersonRow, KudosRow.giver_id == PersonRow.id)
        .where(
            KudosRow.recipient_id == person_id,
            KudosRow.created_at >= start,
            KudosRow.created_at < end,
        )
        .order_by(KudosRow.created_at.desc(), KudosRow.id.desc())
    )
    return [Received(to_kudos(row), name) for row, name in rows]


async def received_in_quarter(
    session: AsyncSession, person_id: int, quarter: Quarter
) -> list[Received]:
    """Kudos the person received during the quarter, newest first (what Home and `okr` show)."""
    return await received_in(session, person_id, *quarter_bounds(quarter))


def quarter_bounds(quarter: Quarter) -> tuple[datetime, datetime]:
    """The quarter as stored times are compared: from UTC midnight on its first day up to,
    not including, UTC midnight on the next quarter's first day."""
    return (
        datetime.combine(quarter.start, time(), tzinfo=UTC),
        datetime.combine(quarter.next().start, time(), tzinfo=UTC),
    )
