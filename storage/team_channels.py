"""Where each opted-in team's weekly OKR update goes: one channel per manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.storage.db import dialect_insert
from okrbot.storage.models import DeliveryRow, PersonRow, TeamChannelRow


@dataclass(frozen=True, slots=True)
class TeamChannel:
    manager_id: int
    manager_email: str
    manager_name: str
    platform: str
    channel: str
    set_by: str
    set_at: datetime


def _team_channel(row: TeamChannelRow, manager: PersonRow) -> TeamChannel:
    return TeamChannel(
        row.manager_id,
        manager.email,
        manager.name,
        row.platform,
        row.channel,
        row.set_by,
        row.set_at,
    )


async def set_team_channel(
    session: AsyncSession,
    manager_id: int,
    *,
    platform: str,
    channel: str,
    set_by: str,
    now: datetime,
) -> None:
    """Post the manager's team's weekly update to `channel` from now on (replacing any other)."""
    values = {"platform": platform, "channel": channel, "set_by": set_by, "set_at": now}
    statement = dialect_insert(session)(TeamChannelRow).values(manager_id=manager_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["manager_id"], set_=values)
    )


async def unset_team_channel(session: AsyncSession, manager_id: int) -> bool:
    """Stop posting the team's update; whether there was a channel to forget."""
    result = await session.execute(
        delete(TeamChannelRow).where(TeamChannelRow.manager_id == manager_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def team_channel(session: AsyncSession, manager_id: int) -> TeamChannel | None:
    found = (
        await session.execute(
            select(TeamChannelRow, PersonRow)
            .join(PersonRow, PersonRow.id == TeamChannelRow.manager_id)
            .where(TeamChannelRow.manager_id == manager_id)
        )
    ).first()
    return _team_channel(*found) if found is not None else None


async def team_channels(session: AsyncSession) -> list[TeamChannel]:
    """Every opted-in team, by the manager's email."""
    rows = await session.execute(
        select(TeamChannelRow, PersonRow)
        .join(PersonRow, PersonRow.id == TeamChannelRow.manager_id)
        .order_by(PersonRow.email)
    )
    return [_team_channel(row, manager) for row, manager in rows.all()]


async def last_team_updates(
    session: AsyncSession, kind: str, manager_ids: list[int]
) -> dict[int, DeliveryRow]:
    """The latest weekly-update delivery of each of these managers' teams (its status and, when
    it failed or waits, why), for the admin's list."""
    if not manager_ids:
        return {}
    rows = await session.scalars(
        select(DeliveryRow)
        .where(DeliveryRow.kind == kind, DeliveryRow.person_id.in_(manager_ids))
        .order_by(DeliveryRow.due_at, DeliveryRow.id)
    )
    latest: dict[int, DeliveryRow] = {}
    for row in rows:
        if row.person_id is not None:
            latest[row.person_id] = row
    return latest
