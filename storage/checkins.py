"""Check-ins and each person's week: what they own, what they answered, what they asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, lazyload

from okrbot.bot.checkins import CheckInEntry, KeyResultStatus
from okrbot.bot.domain import CheckIn, Platform
from okrbot.bot.scoring import is_stale
from okrbot.storage.convert import to_checkin, to_key_result, to_objective
from okrbot.storage.db import dialect_insert
from okrbot.storage.models import CheckInRow, KeyResultRow, ObjectiveRow, PersonWeekRow


def _latest_per_key_result(key_result_ids: Sequence[int], before: str | None) -> Select[Any]:
    condition = CheckInRow.key_result_id.in_(key_result_ids)
    if before is not None:
        condition = and_(condition, CheckInRow.period < before)
    latest = (
        select(CheckInRow.key_result_id, func.max(CheckInRow.period).label("period"))
        .where(condition)
        .group_by(CheckInRow.key_result_id)
        .subquery()
    )
    return select(CheckInRow).join(
        latest,
        and_(
            CheckInRow.key_result_id == latest.c.key_result_id,
            CheckInRow.period == latest.c.period,
        ),
    )


async def latest_checkins(
    session: AsyncSession, key_result_ids: Sequence[int], before: str | None = None
) -> dict[int, CheckIn]:
    """The most recent check-in of each key result (optionally before a week)."""
    if not key_result_ids:
        return {}
    rows = await session.scalars(_latest_per_key_result(key_result_ids, before))
    return {row.key_result_id: to_checkin(row) for row in rows}


async def owned_statuses(
    session: AsyncSession, person_id: int, quarter: str, period: str, quarter_start_period: str
) -> list[KeyResultStatus]:
    """The key results a person owns this quarter, in objective order, with their last check-in.

    One query: every Slack command, button and modal of a check-in starts here, so a second
    round trip for the check-ins would be paid on each of them.
    """
    earlier = aliased(CheckInRow)
    newest = (
        select(func.max(earlier.period))
        .where(earlier.key_result_id == KeyResultRow.id)
        .correlate(KeyResultRow)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(KeyResultRow, ObjectiveRow, CheckInRow)
        .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
        .outerjoin(
            CheckInRow,
            and_(CheckInRow.key_result_id == KeyResultRow.id, CheckInRow.period == newest),
        )
        .where(KeyResultRow.owner_id == person_id, ObjectiveRow.quarter == quarter)
        .order_by(ObjectiveRow.position, ObjectiveRow.id, KeyResultRow.position, KeyResultRow.id)
        # The objective's own key-result list is not needed here; loading it is a query more.
        .options(lazyload(ObjectiveRow.key_results))
    )
    statuses = []
    for kr_row, objective_row, checkin_row in rows.all():
        last = to_checkin(checkin_row) if checkin_row is not None else None
        statuses.append(
            KeyResultStatus(
                key_result=to_key_result(kr_row),
                objective=to_objective(objective_row, with_key_results=False),
                last_checkin=last,
                stale=is_stale(last.period if last else None, period, quarter_start_period),
            )
        )
    return statuses


async def record_checkins(
    session: AsyncSession,
    person_id: int,
    period: str,
    entries: Sequence[CheckInEntry],
    platform: Platform,
    now: datetime,
) -> None:
    """Store (or amend) this week's check-ins and move each key result's current value.

    Callers pass entries already filtered to the person's own key results; ownership is checked
    again here because a write to someone else's key result must be impossible, not unlikely.
    """
    ids = [entry.key_result_id for entry in entries]
    owned_only = and_(KeyResultRow.id.in_(ids), KeyResultRow.owner_id == person_id)
    owned = set(await session.scalars(select(KeyResultRow.id).where(owned_only)))
    if owned != set(ids):
        raise PermissionError("a check-in names a key result this person does not own")
    for entry in entries:
        await session.execute(_checkin_upsert(session, person_id, period, entry, platform, now))
        row = await session.get(KeyResultRow, entry.key_result_id)
        assert row is not None
        row.current = entry.value
    await mark_week(session, person_id, period, checked_in_at=now)


def _checkin_upsert(
    session: AsyncSession,
    person_id: int,
    period: str,
    entry: CheckInEntry,
    platform: Platform,
    now: datetime,
) -> Any:
    insert = dialect_insert(session)
    statement = insert(CheckInRow).values(
        key_result_id=entry.key_result_id,
        person_id=person_id,
        period=period,
        value=entry.value,
        confidence=entry.confidence.value,
        note=entry.note,
        platform=platform.value,
        created_at=now,
        updated_at=now,
    )
    return statement.on_conflict_do_update(
        index_elements=["key_result_id", "period"],
        set_={
            "value": statement.excluded.value,
            "confidence": statement.excluded.confidence,
            "note": statement.excluded.note,
            "platform": statement.excluded.platform,
            "updated_at": statement.excluded.updated_at,
        },
    )


async def get_week(session: AsyncSession, person_id: int, period: str) -> PersonWeekRow | None:
    return await session.get(PersonWeekRow, (person_id, period))


async def mark_week(session: AsyncSession, person_id: int, period: str, **fields: Any) -> None:
    """Set fields of a person's week, creating the row the first time."""
    week = await session.get(PersonWeekRow, (person_id, period))
    if week is None:
        week = PersonWeekRow(person_id=person_id, period=period, prompt_refs=[])
        session.add(week)
    for name, value in fields.items():
        setattr(week, name, value)
    await session.flush()


async def add_prompt_ref(
    session: AsyncSession, person_id: int, period: str, ref: dict[str, Any], now: datetime
) -> None:
    week = await session.get(PersonWeekRow, (person_id, period))
    refs = [*(week.prompt_refs if week else []), ref]
    await mark_week(session, person_id, period, prompt_refs=refs, prompted_at=now)
