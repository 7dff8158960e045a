"""Objectives drafted in chat: stored as `source = chat`, pending until the owner's manager
approves them (approval is one conditional UPDATE, so two clicks approve once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import Approval, Level, Objective, Source
from okrbot.bot.drafts import Draft
from okrbot.storage.convert import to_objective
from okrbot.storage.models import KeyResultRow, ObjectiveRow
from okrbot.storage.okrs import approved


async def parent_choices(session: AsyncSession, quarter: str) -> list[Objective]:
    """The quarter's live company and team objectives, company first: what a draft may
    support."""
    rows = await session.scalars(
        select(ObjectiveRow)
        .where(
            ObjectiveRow.quarter == quarter,
            ObjectiveRow.level.in_([Level.COMPANY.value, Level.TEAM.value]),
            ObjectiveRow.archived_at.is_(None),
            approved(),
        )
        .order_by(ObjectiveRow.level, ObjectiveRow.position, ObjectiveRow.id)
    )
    return [to_objective(row, with_key_results=False) for row in rows]


async def pending_drafts(session: AsyncSession, owner_id: int, quarter: str) -> list[Objective]:
    """A person's drafts of the quarter still waiting for their manager."""
    rows = await session.scalars(
        select(ObjectiveRow)
        .where(
            ObjectiveRow.owner_id == owner_id,
            ObjectiveRow.quarter == quarter,
            ObjectiveRow.approval == Approval.PENDING.value,
            ObjectiveRow.archived_at.is_(None),
        )
        .order_by(ObjectiveRow.id)
    )
    return [to_objective(row) for row in rows]


async def title_taken(session: AsyncSession, quarter: str, title: str) -> bool:
    """Objective titles are unique in a quarter, archived ones included."""
    count = await session.scalar(
        select(func.count())
        .select_from(ObjectiveRow)
        .where(ObjectiveRow.quarter == quarter, ObjectiveRow.title == title)
    )
    return bool(count)


async def add_draft(
    session: AsyncSession,
    *,
    owner_id: int,
    quarter: str,
    draft: Draft,
    now: datetime,
    approved_by_id: int | None = None,
) -> Objective:
    """Store a draft as the owner's personal objective and its key results (owned by them,
    current = start): pending, or approved at once when `approved_by_id` is given (someone with
    no manager approves their own)."""
    position = await session.scalar(
        select(func.coalesce(func.max(ObjectiveRow.position), -1) + 1).where(
            ObjectiveRow.quarter == quarter
        )
    )
    row = ObjectiveRow(
        quarter=quarter,
        title=draft.title,
        level=Level.PERSONAL.value,
        kind=draft.kind.value,
        owner_id=owner_id,
        parent_id=draft.parent_id,
        position=position or 0,
        source=Source.CHAT.value,
        approval=(Approval.PENDING if approved_by_id is None else Approval.APPROVED).value,
        approved_by_id=approved_by_id,
        approved_at=now if approved_by_id is not None else None,
        created_at=now,
        key_results=[
            KeyResultRow(
                title=kr.title,
                owner_id=owner_id,
                type=kr.type.value,
                start=kr.start,
                target=kr.target,
                current=kr.start,
                unit=kr.unit,
                position=index,
            )
            for index, kr in enumerate(draft.key_results)
        ],
    )
    session.add(row)
    await session.flush()
    return to_objective(row)


async def approve_draft(
    session: AsyncSession, objective_id: int, approver_id: int, now: datetime
) -> bool:
    """Approve a pending chat draft; False when it was not pending (approved already)."""
    result = await session.execute(
        update(ObjectiveRow)
        .where(
            ObjectiveRow.id == objective_id,
            ObjectiveRow.source == Source.CHAT.value,
            ObjectiveRow.approval == Approval.PENDING.value,
        )
        .values(approval=Approval.APPROVED.value, approved_by_id=approver_id, approved_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
