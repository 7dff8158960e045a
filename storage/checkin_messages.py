"""The private conversation on a check-in: a manager's replies and reactions, the person's
answers, and where each check-in's summary is so that answers can be threaded under it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.storage.checkins import mark_week
from okrbot.storage.db import dialect_insert
from okrbot.storage.models import CheckInMessageRow, CheckInRow, PersonWeekRow

REACTION, REPLY = "reaction", "reply"


@dataclass(frozen=True, slots=True)
class CheckInMessage:
    id: int
    report_id: int
    period: str
    author_id: int
    recipient_id: int
    kind: str
    text: str | None
    created_at: datetime
    delivered_at: datetime | None


def _message(row: CheckInMessageRow) -> CheckInMessage:
    return CheckInMessage(
        row.id,
        row.report_id,
        row.period,
        row.author_id,
        row.recipient_id,
        row.kind,
        row.text,
        row.created_at,
        row.delivered_at,
    )


def thread_key(ref: dict[str, Any]) -> str | None:
    """One string for where a message is, to find its thread again from an answer in it."""
    if ref.get("platform") == "slack" and ref.get("channel") and ref.get("ts"):
        return f"slack:{ref['channel']}:{ref['ts']}"
    if ref.get("platform") == "teams" and ref.get("activity_id"):
        return f"teams:{ref['activity_id']}"
    return None


async def remember_summary(
    session: AsyncSession, person_id: int, period: str, ref: dict[str, Any]
) -> None:
    await mark_week(session, person_id, period, summary_ref=ref, summary_thread=thread_key(ref))


async def add_message(
    session: AsyncSession,
    *,
    key: str,
    report_id: int,
    period: str,
    author_id: int,
    recipient_id: int,
    kind: str,
    text: str | None,
    now: datetime,
) -> int | None:
    """Store a reply or reaction unless one with `key` exists; its id when it was added."""
    insert = dialect_insert(session)
    statement = (
        insert(CheckInMessageRow)
        .values(
            key=key,
            report_id=report_id,
            period=period,
            author_id=author_id,
            recipient_id=recipient_id,
            kind=kind,
            text=text,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(CheckInMessageRow.id)
    )
    found = (await session.execute(statement)).first()
    return int(found[0]) if found is not None else None


async def get_message(session: AsyncSession, message_id: int) -> CheckInMessage | None:
    row = await session.get(CheckInMessageRow, message_id)
    return _message(row) if row is not None else None


async def mark_delivered(
    session: AsyncSession, message_id: int, at: datetime, ref: dict[str, Any] | None
) -> None:
    thread = thread_key(ref) if ref else None
    await session.execute(
        update(CheckInMessageRow)
        .where(CheckInMessageRow.id == message_id)
        .values(delivered_at=at, delivered_thread=thread)
    )


async def thread_owner(session: AsyncSession, key: str) -> tuple[int, str] | None:
    """The check-in (person, week) whose conversation the message at `key` belongs to: its
    summary, or a reply okrbot delivered in it."""
    week = await session.scalar(select(PersonWeekRow).where(PersonWeekRow.summary_thread == key))
    if week is not None:
        return week.person_id, week.period
    row = await session.scalar(
        select(CheckInMessageRow).where(CheckInMessageRow.delivered_thread == key).limit(1)
    )
    return (row.report_id, row.period) if row is not None else None


async def conversation_of(
    session: AsyncSession, report_ids: Sequence[int], since: str, until: str | None = None
) -> list[CheckInMessage]:
    """The messages on these people's check-ins from week `since` (to `until`), oldest first."""
    if not report_ids:
        return []
    query = select(CheckInMessageRow).where(
        CheckInMessageRow.report_id.in_(report_ids), CheckInMessageRow.period >= since
    )
    if until is not None:
        query = query.where(CheckInMessageRow.period <= until)
    rows = await session.scalars(query.order_by(CheckInMessageRow.id))
    return [_message(row) for row in rows]


async def checkin_notes(session: AsyncSession, person_id: int, period: str) -> list[str]:
    """The notes of someone's check-in that week, in the order of their key results."""
    rows = await session.scalars(
        select(CheckInRow.note)
        .where(CheckInRow.person_id == person_id, CheckInRow.period == period)
        .order_by(CheckInRow.key_result_id)
    )
    return [note for note in rows if note and note.strip()]
