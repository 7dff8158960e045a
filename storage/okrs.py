"""Objectives and key results as domain values, and the upsert behind `okrbot import okrs`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import KeyResult, Objective
from okrbot.bot.imports import ImportCounts, OkrFile
from okrbot.storage.convert import to_key_result, to_objective
from okrbot.storage.models import KeyResultRow, ObjectiveRow, PersonRow


async def get_objective(session: AsyncSession, objective_id: int) -> Objective | None:
    row = await session.get(ObjectiveRow, objective_id)
    return to_objective(row) if row is not None else None


async def get_key_result(session: AsyncSession, key_result_id: int) -> KeyResult | None:
    row = await session.get(KeyResultRow, key_result_id)
    return to_key_result(row) if row is not None else None


async def objectives_for_quarter(
    session: AsyncSession, quarter: str, owner_id: int | None = None
) -> list[Objective]:
    """The quarter's objectives with their key results, in their planned order.

    With `owner_id`, only the objectives that person owns or owns a key result of: that is what
    "my OKRs" means to someone who contributes one key result to a team objective.
    """
    query = select(ObjectiveRow).where(ObjectiveRow.quarter == quarter)
    if owner_id is not None:
        owns_a_key_result = select(KeyResultRow.objective_id).where(
            KeyResultRow.owner_id == owner_id
        )
        query = query.where(
            or_(ObjectiveRow.owner_id == owner_id, ObjectiveRow.id.in_(owns_a_key_result))
        )
    rows = await session.scalars(query.order_by(ObjectiveRow.position, ObjectiveRow.id))
    return [to_objective(row) for row in rows]


async def key_results_owned_by(
    session: AsyncSession, person_id: int, quarter: str
) -> list[KeyResult]:
    """A person's key results in a quarter, in the order of their objectives."""
    rows = await session.scalars(
        select(KeyResultRow)
        .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
        .where(ObjectiveRow.quarter == quarter, KeyResultRow.owner_id == person_id)
        .order_by(ObjectiveRow.position, ObjectiveRow.id, KeyResultRow.position, KeyResultRow.id)
    )
    return [to_key_result(row) for row in rows]


async def objective_parents(session: AsyncSession, quarter: str) -> dict[str, str | None]:
    """Title → parent title for a quarter's stored objectives, for checking an import."""
    rows = (
        await session.scalars(select(ObjectiveRow).where(ObjectiveRow.quarter == quarter))
    ).all()
    titles = {row.id: row.title for row in rows}
    return {row.title: titles.get(row.parent_id) if row.parent_id else None for row in rows}


def _assign(row: Any, **values: Any) -> bool:
    """Set the attributes that differ; report whether any did, for the import summary."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


async def upsert_okrs(session: AsyncSession, okrs: OkrFile) -> tuple[ImportCounts, ImportCounts]:
    """Create or update a checked OKR file (see `check_okrs`): objectives matched by quarter and
    title, key results by objective and title. Objectives and key results that the file does
    not mention are left alone. Returns the counts for objectives and for key results."""
    assert okrs.quarter is not None
    people = {
        email.lower(): person_id
        for person_id, email in (await session.execute(select(PersonRow.id, PersonRow.email)))
    }
    stored = {
        row.title: row
        for row in await session.scalars(
            select(ObjectiveRow).where(ObjectiveRow.quarter == okrs.quarter)
        )
    }
    objectives = [0, 0, 0]
    key_results = [0, 0, 0]
    rows: dict[str, ObjectiveRow] = {}
    changed_objectives: dict[str, bool] = {}
    for position, record in enumerate(okrs.objectives):
        row = stored.get(record.title)
        is_new = row is None
        if row is None:
            row = ObjectiveRow(quarter=okrs.quarter, title=record.title, key_results=[])
            session.add(row)
        rows[record.title] = row
        changed_objectives[record.title] = _assign(
            row,
            description=record.description,
            level=record.level.value,
            kind=record.kind.value,
            owner_id=people[record.owner_email],
            position=position,
        )
        objectives[0 if is_new else 2] += 1
        existing = {kr.title: kr for kr in row.key_results}
        for kr_position, kr in enumerate(record.key_results):
            kr_row = existing.get(kr.title)
            values: dict[str, Any] = {
                "owner_id": people[kr.owner_email],
                "type": kr.type.value,
                "start": kr.start,
                "target": kr.target,
                "unit": kr.unit,
                "position": kr_position,
            }
            if kr_row is None:
                row.key_results.append(KeyResultRow(title=kr.title, current=kr.start, **values))
                key_results[0] += 1
                continue
            if kr_row.type != kr.type.value:
                # A value measured in the old type's units means nothing in the new one.
                values["current"] = kr.start
            key_results[1 if _assign(kr_row, **values) else 2] += 1
    await session.flush()

    for record in okrs.objectives:
        parent = record.parent_title
        parent_id = (rows.get(parent) or stored[parent]).id if parent is not None else None
        if _assign(rows[record.title], parent_id=parent_id):
            changed_objectives[record.title] = True
    for title, changed in changed_objectives.items():
        if changed and title in stored:
            objectives[2] -= 1
            objectives[1] += 1
    await session.flush()
    return ImportCounts(*objectives), ImportCounts(*key_results)
