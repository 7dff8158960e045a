"""Check-ins and each person's week: what they own, what they answered, what they asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from okrbot.bot.checkins import CheckInEntry, KeyResultStatus
from okrbot.bot.domain import CheckIn, Confidence, Platform
from okrbot.bot.scoring import is_stale_when_asked
from okrbot.storage.convert import to_checkin, to_key_result, to_objective
from okrbot.storage.db import dialect_insert
from okrbot.storage.models import CheckInRow, KeyResultRow, ObjectiveRow, PersonWeekRow
from okrbot.storage.okrs import approved


def _latest_per_key_result(key_result_ids: Sequence[int], before: str | None) -> Select[Any]:
    condition: ColumnElement[bool] = CheckInRow.key_result_id.in_(key_result_ids)
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


async def latest_confidences(
    session: AsyncSession, key_result_ids: Sequence[int]
) -> dict[int, Confidence]:
    """The confidence last reported on each key result, and nothing else of the check-in: what
    everyone may see of it (the note stays with its owner and their manager)."""
    if not key_result_ids:
        return {}
    rows = await session.scalars(_latest_per_key_result(key_result_ids, None))
    return {row.key_result_id: Confidence(row.confidence) for row in rows}


def _owned_this_quarter() -> Select[KeyResultRow, ObjectiveRow, CheckInRow, int]:
    earlier = aliased(CheckInRow)
    newest = (
        select(func.max(earlier.period))
        .where(earlier.key_result_id == KeyResultRow.id)
        .correlate(KeyResultRow)
        .scalar_subquery()
    )
    # Weeks the person was asked since the key result's last check-in: staleness counts these.
    asked_since = (
        select(func.count())
        .select_from(PersonWeekRow)
        .where(
            PersonWeekRow.person_id == bindparam("person_id"),
            PersonWeekRow.prompted_at.is_not(None),
            PersonWeekRow.period >= bindparam("quarter_start"),
            PersonWeekRow.period <= bindparam("period"),
            or_(newest.is_(None), PersonWeekRow.period > newest),
        )
        .correlate(KeyResultRow)
        .scalar_subquery()
    )
    return (
        select(KeyResultRow, ObjectiveRow, CheckInRow, asked_since)
        .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
        .outerjoin(
            CheckInRow,
            and_(CheckInRow.key_result_id == KeyResultRow.id, CheckInRow.period == newest),
        )
        .where(
            KeyResultRow.owner_id == bindparam("person_id"),
            ObjectiveRow.quarter == bindparam("quarter"),
            # Archived by `import okrs --prune` (an archived objective's are archived too).
            KeyResultRow.archived_at.is_(None),
            # A chat draft joins the weekly prompts once its owner's manager approves it.
            approved(),
        )
        .order_by(ObjectiveRow.position, ObjectiveRow.id, KeyResultRow.position, KeyResultRow.id)
        # The objective's own key-result list is not needed here; loading it is a query more.
        .options(lazyload(ObjectiveRow.key_results))
    )


# Built once: constructing it (an alias and its columns) cost more than running it.
OWNED_THIS_QUARTER = _owned_this_quarter()


async def owned_statuses(
    session: AsyncSession, person_id: int, quarter: str, period: str, quarter_start_period: str
) -> list[KeyResultStatus]:
    """The key results a person owns this quarter, in objective order, with their last check-in.

    One query: every Slack command, button and modal of a check-in starts here, so a second
    round trip for the check-ins would be paid on each of them.
    """
    parameters = {
        "person_id": person_id,
        "quarter": quarter,
        "quarter_start": quarter_start_period,
        "period": period,
    }
    rows = await session.execute(OWNED_THIS_QUARTER, parameters)
    statuses = []
    for kr_row, objective_row, checkin_row, asked_since in rows.all():
        last = to_checkin(checkin_row) if checkin_row is not None else None
        statuses.append(
            KeyResultStatus(
                key_result=to_key_result(kr_row),
                objective=to_objective(objective_row, with_key_results=False),
                last_checkin=last,
                stale=is_stale_when_asked(asked_since),
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
    for entry in entries:
        # The owner is part of the statement: no row moves unless this person owns it.
        moved = await session.execute(
            update(KeyResultRow)
            .where(KeyResultRow.id == entry.key_result_id, KeyResultRow.owner_id == person_id)
            .values(current=entry.value)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise PermissionError("a check-in names a key result this person does not own")
        await session.execute(_checkin_upsert(session, person_id, period, entry, platform, now))
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
        feedback_requested=entry.feedback,
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
            "feedback_requested": statement.excluded.feedback_requested,
            "platform": statement.excluded.platform,
            "updated_at": statement.excluded.updated_at,
        },
    )


async def get_week(session: AsyncSession, person_id: int, period: str) -> PersonWeekRow | None:
    return await session.get(PersonWeekRow, (person_id, period))


async def mark_week(session: AsyncSession, person_id: int, period: str, **fields: Any) -> None:
    """Set fields of a person's week, creating the row the first time (one statement)."""
    insert = dialect_insert(session)
    statement = insert(PersonWeekRow).values(
        person_id=person_id, period=period, **{"prompt_refs": [], **fields}
    )
    keys = ["person_id", "period"]
    await session.execute(
        statement.on_conflict_do_update(index_elements=keys, set_=fields)
        if fields
        else statement.on_conflict_do_nothing(index_elements=keys)
    )
    # A copy this session loaded earlier would still show the old values; bring it up to date
    # without a query (an expired attribute would need one, which async code cannot do lazily).
    loaded = session.identity_map.get(identity_key(PersonWeekRow, (person_id, period)))
    for name, value in fields.items() if loaded is not None else ():
        set_committed_value(loaded, name, value)


async def add_prompt_ref(
    session: AsyncSession, person_id: int, period: str, ref: dict[str, Any], now: datetime
) -> None:
    week = await session.get(PersonWeekRow, (person_id, period))
    known = week.prompt_refs if week else []
    refs = known if ref in known else [*known, ref]  # a retry reports parts sent before
    await mark_week(session, person_id, period, prompt_refs=refs, prompted_at=now)
