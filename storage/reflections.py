"""Quarter-end reflections: a person's self-scores and their look back, one per quarter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import Reflection
from okrbot.storage.models import KeyResultRow, ReflectionRow, ReflectionScoreRow


def _reflection(row: ReflectionRow) -> Reflection:
    return Reflection(
        id=row.id,
        person_id=row.person_id,
        quarter=row.quarter,
        self_scores={score.key_result_id: score.self_score for score in row.scores},
        went_well=row.went_well,
        do_differently=row.do_differently,
        updated_at=row.updated_at,
    )


async def get_reflection(session: AsyncSession, person_id: int, quarter: str) -> Reflection | None:
    row = await session.scalar(
        select(ReflectionRow).where(
            ReflectionRow.person_id == person_id, ReflectionRow.quarter == quarter
        )
    )
    return _reflection(row) if row is not None else None


async def save_reflection(
    session: AsyncSession,
    person_id: int,
    quarter: str,
    self_scores: Mapping[int, float],
    went_well: str | None,
    do_differently: str | None,
    now: datetime,
) -> Reflection:
    """Create or replace the person's reflection; self-scores only for key results they own."""
    owned = set(
        await session.scalars(
            select(KeyResultRow.id).where(
                KeyResultRow.id.in_(list(self_scores)), KeyResultRow.owner_id == person_id
            )
        )
    )
    if set(self_scores) - owned:
        raise PermissionError("a self-score names a key result this person does not own")
    if any(not 0.0 <= score <= 1.0 for score in self_scores.values()):
        raise ValueError("self-scores run from 0.0 to 1.0")
    row = await session.scalar(
        select(ReflectionRow).where(
            ReflectionRow.person_id == person_id, ReflectionRow.quarter == quarter
        )
    )
    if row is None:
        row = ReflectionRow(person_id=person_id, quarter=quarter, created_at=now, scores=[])
        session.add(row)
    row.went_well, row.do_differently, row.updated_at = went_well, do_differently, now
    # Update rows in place: replacing them would insert before deleting and collide on the key.
    existing = {score.key_result_id: score for score in row.scores}
    for kr_id, gone in existing.items():
        if kr_id not in self_scores:
            row.scores.remove(gone)
    for kr_id, value in sorted(self_scores.items()):
        if kr_id in existing:
            existing[kr_id].self_score = value
        else:
            row.scores.append(ReflectionScoreRow(key_result_id=kr_id, self_score=value))
    await session.flush()
    await session.refresh(row, ["scores"])
    return _reflection(row)
