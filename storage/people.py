"""People: lookups by id, email or chat id, and the upsert behind `okrbot import people`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import Person
from okrbot.bot.people_import import ImportCounts, PeopleFile
from okrbot.storage.convert import to_person
from okrbot.storage.models import PersonRow


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    row = await session.get(PersonRow, person_id)
    return to_person(row) if row is not None else None


async def get_person_by_email(session: AsyncSession, email: str) -> Person | None:
    """Emails are stored lowercased, but compare case-insensitively in case a row predates that."""
    row = await session.scalar(
        select(PersonRow).where(func.lower(PersonRow.email) == email.strip().lower())
    )
    return to_person(row) if row is not None else None


async def get_person_by_slack_id(session: AsyncSession, slack_user_id: str) -> Person | None:
    row = await session.scalar(select(PersonRow).where(PersonRow.slack_user_id == slack_user_id))
    return to_person(row) if row is not None else None


async def get_person_by_teams_id(session: AsyncSession, teams_aad_id: str) -> Person | None:
    row = await session.scalar(select(PersonRow).where(PersonRow.teams_aad_id == teams_aad_id))
    return to_person(row) if row is not None else None


async def list_people(session: AsyncSession) -> list[Person]:
    """Everyone, ordered by email so listings and exports are stable."""
    rows = await session.scalars(select(PersonRow).order_by(PersonRow.email))
    return [to_person(row) for row in rows]


async def direct_reports(session: AsyncSession, manager_id: int) -> list[Person]:
    rows = await session.scalars(
        select(PersonRow).where(PersonRow.manager_id == manager_id).order_by(PersonRow.email)
    )
    return [to_person(row) for row in rows]


async def lock_person(session: AsyncSession, person_id: int) -> None:
    """Hold the person's row until the transaction ends, so that decisions about one person
    (their daily kudos limit, their weekly budget) are taken one after another. SQLite has no
    row locks and writes one transaction at a time anyway."""
    if session.get_bind().dialect.name != "sqlite":
        await session.execute(
            select(PersonRow.id).where(PersonRow.id == person_id).with_for_update()
        )


async def deactivated_names(session: AsyncSession, person_ids: Iterable[int]) -> list[str]:
    """The names of those among `person_ids` who have left (are deactivated), sorted."""
    rows = await session.scalars(
        select(PersonRow.name)
        .where(PersonRow.id.in_(list(person_ids)), PersonRow.deactivated_at.is_not(None))
        .order_by(PersonRow.name)
    )
    return list(rows)


async def remember_slack_dm_channel(session: AsyncSession, person_id: int, channel: str) -> None:
    """Keep the person's Slack DM channel, so later sends need no conversations.open."""
    await session.execute(
        update(PersonRow).where(PersonRow.id == person_id).values(slack_dm_channel=channel)
    )


async def teams_reachable(session: AsyncSession, person_id: int) -> bool:
    """Whether okrbot can write to the person first on Teams: they installed it (there is a
    conversation to continue) and have not blocked or removed it since."""
    row = await session.get(PersonRow, person_id)
    return row is not None and bool(row.teams_conversation) and row.teams_unreachable_at is None


async def mark_teams_unreachable(session: AsyncSession, person_id: int, at: datetime) -> None:
    """The person blocked or removed okrbot in Teams: no proactive send can reach them until
    they write to it again."""
    await session.execute(
        update(PersonRow).where(PersonRow.id == person_id).values(teams_unreachable_at=at)
    )


def _assign(row: Any, **values: Any) -> bool:
    """Set the attributes that differ; report whether any did, for the import summary."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


async def upsert_people(session: AsyncSession, people: PeopleFile) -> ImportCounts:
    """Create or update everyone in a checked people file (see `check_people`), matched by
    email. Empty chat-id cells keep the stored id: the adapters fill those in by email, and an
    HR export without them should not unlink everyone."""
    rows = {row.email.lower(): row for row in await session.scalars(select(PersonRow))}
    created: set[str] = set()
    changed: set[str] = set()
    with_zone = "timezone" in people.columns
    with_manager = "manager_email" in people.columns
    with_checkin = "checkin_day" in people.columns
    with_time = "checkin_time" in people.columns
    for record in people.records:
        row = rows.get(record.email)
        if row is None:
            row = PersonRow(email=record.email, name=record.name)
            session.add(row)
            rows[record.email] = row
            created.add(record.email)
        values: dict[str, Any] = {"email": record.email, "name": record.name}
        if with_zone:
            values["timezone"] = record.timezone
        if with_checkin:
            day = record.checkin_day
            values["checkin_day"] = int(day) if day is not None else None
        if with_time:
            values["checkin_time"] = record.checkin_time
        if _assign(row, **values):
            changed.add(record.email)

    # Ids are unique, so free the ones that move before handing them out again, in case two
    # people swap theirs in one file.
    moving = []
    for record in people.records:
        row = rows[record.email]
        for column in ("slack_user_id", "teams_aad_id"):
            value = getattr(record, column)
            if value is not None and getattr(row, column) != value:
                moving.append((row, column, value))
                if getattr(row, column) is not None:
                    setattr(row, column, None)
    await session.flush()
    for row, column, value in moving:
        setattr(row, column, value)
        changed.add(row.email)

    for record in people.records if with_manager else ():
        manager = rows[record.manager_email] if record.manager_email else None
        if _assign(rows[record.email], manager_id=manager.id if manager else None):
            changed.add(record.email)
    await session.flush()
    updated = len(changed - created)
    return ImportCounts(len(created), updated, len(people.records) - len(created) - updated)
