"""People: lookups by id, email, name or chat id, what the adapters learn about them (chat ids,
the Teams conversation, whether Teams can reach them), their own check-in settings, and the
upsert behind `okrbot import people`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import Person, Weekday
from okrbot.bot.people_import import ImportCounts, PeopleFile
from okrbot.bot.working_hours import WorkingHours, format_days
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


async def get_person_by_teams_user_id(session: AsyncSession, teams_user_id: str) -> Person | None:
    """The person whose stored 1:1 conversation is with this Teams user id (what a mention
    names); the first imported if two ever shared it."""
    row = await session.scalar(
        select(PersonRow)
        .where(PersonRow.teams_user_id == teams_user_id)
        .order_by(PersonRow.id)
        .limit(1)
    )
    return to_person(row) if row is not None else None


async def people_named(session: AsyncSession, name: str, most: int = 2) -> list[Person]:
    """Up to `most` people whose email or full name is `name`, ignoring case: a caller that
    asks for two can tell a unique match from an ambiguous one."""
    wanted = name.strip().lower()
    rows = await session.scalars(
        select(PersonRow)
        .where(or_(func.lower(PersonRow.email) == wanted, func.lower(PersonRow.name) == wanted))
        .order_by(PersonRow.id)
        .limit(most)
    )
    return [to_person(row) for row in rows]


async def link_teams_aad_id(
    session: AsyncSession, emails: Collection[str], aad_id: str
) -> Person | None:
    """First contact from someone imported by email only: keep their Azure AD object id. None
    if no one has these emails, or the one who has is already linked to another id."""
    row = await session.scalar(
        select(PersonRow).where(func.lower(PersonRow.email).in_([e.lower() for e in emails]))
    )
    if row is None or row.teams_aad_id not in (None, aad_id):
        return None
    row.teams_aad_id = aad_id
    await session.flush()
    return to_person(row)


async def keep_teams_conversation(
    session: AsyncSession, person_id: int, reference: Mapping[str, Any]
) -> bool | None:
    """Store the person's 1:1 Teams conversation reference (and its user id) and mark them
    reachable. True when the conversation is new to okrbot: the first, another one than the
    stored one, or the same one after Teams could not reach them. None if there is no such
    person."""
    row = await session.get(PersonRow, person_id)
    if row is None:
        return None
    before = row.teams_conversation or {}
    newly = (
        not before
        or row.teams_unreachable_at is not None
        or _conversation_id(before) != _conversation_id(reference)
    )
    if before != reference or row.teams_unreachable_at is not None:
        row.teams_conversation = dict(reference)
        row.teams_unreachable_at = None
    if row.teams_user_id != (user_id := teams_user_id_of(reference)):
        row.teams_user_id = user_id
    return newly


def teams_user_id_of(reference: Mapping[str, Any] | None) -> str | None:
    """The Teams user id a stored conversation reference is with, if it names one."""
    user = (reference or {}).get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    return str(user_id) if user_id else None


def _conversation_id(reference: Mapping[str, Any]) -> Any:
    conversation = reference.get("conversation")
    return conversation.get("id") if isinstance(conversation, dict) else None


async def save_checkin_settings(
    session: AsyncSession, person_id: int, day: Weekday, at: time, away_until: date | None
) -> None:
    """The person's own check-in day and time, and the day their time away ends."""
    await session.execute(
        update(PersonRow)
        .where(PersonRow.id == person_id)
        .values(checkin_day=int(day), checkin_time=at, paused_until=away_until)
    )


async def save_working_hours(
    session: AsyncSession, person_id: int, hours: WorkingHours | None
) -> None:
    """The person's own working hours; None: the company's, following any later change to them."""
    await session.execute(
        update(PersonRow)
        .where(PersonRow.id == person_id)
        .values(
            work_start=hours.start if hours else None,
            work_end=hours.end if hours else None,
            work_days=hours.days_text if hours else None,
        )
    )


async def list_people(session: AsyncSession) -> list[Person]:
    """Everyone, ordered by email so listings and exports are stable."""
    rows = await session.scalars(select(PersonRow).order_by(PersonRow.email))
    return [to_person(row) for row in rows]


async def people_by_id(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, Person]:
    """These people, by id (ids nobody has are left out)."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(PersonRow).where(PersonRow.id.in_(wanted)))
    return {row.id: to_person(row) for row in rows}


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


async def link_slack_user(
    session: AsyncSession, person_id: int, slack_user_id: str, slack_timezone: str | None
) -> None:
    """Keep the Slack user id learnt for the person (by their email), and Slack's time zone for
    them where okrbot has none of its own."""
    values: dict[str, Any] = {"slack_user_id": slack_user_id}
    if slack_timezone:
        values["timezone"] = func.coalesce(PersonRow.timezone, slack_timezone)
    await session.execute(update(PersonRow).where(PersonRow.id == person_id).values(**values))


async def remember_slack_dm_channel(session: AsyncSession, person_id: int, channel: str) -> None:
    """Keep the person's Slack DM channel, so later sends need no conversations.open."""
    await session.execute(
        update(PersonRow).where(PersonRow.id == person_id).values(slack_dm_channel=channel)
    )


async def teams_conversation(session: AsyncSession, person_id: int) -> dict[str, Any] | None:
    """The person's stored 1:1 Teams conversation reference, which a proactive send continues;
    None before they installed okrbot."""
    row = await session.get(PersonRow, person_id)
    return dict(row.teams_conversation) if row is not None and row.teams_conversation else None


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
    with_hours = "work_hours" in people.columns
    with_days = "work_days" in people.columns
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
        if with_hours:
            start, end = record.work_hours or (None, None)
            values.update(work_start=start, work_end=end)
        if with_days:
            values["work_days"] = format_days(record.work_days) if record.work_days else None
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
