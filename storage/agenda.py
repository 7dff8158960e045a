"""1:1 agendas: the items a manager and their direct report add, the 1:1s they held, and what
of the report's check-ins an agenda shows. Only the pair's own commands read these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.agenda import AgendaItem, FeedbackRequest, Note, Rhythm
from okrbot.bot.domain import Confidence, Weekday
from okrbot.storage.models import (
    AgendaItemRow,
    CheckInMessageRow,
    CheckInRow,
    KeyResultRow,
    OneOnOneRhythmRow,
    OneOnOneRow,
    PersonRow,
)


async def last_held(session: AsyncSession, manager_id: int, report_id: int) -> datetime | None:
    """When the pair last held a 1:1 (marked an agenda discussed), if ever."""
    held: datetime | None = await session.scalar(
        select(func.max(OneOnOneRow.held_at)).where(
            OneOnOneRow.manager_id == manager_id, OneOnOneRow.report_id == report_id
        )
    )
    return held


async def add_item(
    session: AsyncSession,
    *,
    manager_id: int,
    report_id: int,
    author_id: int,
    text: str,
    now: datetime,
    checkin_id: int | None = None,
) -> int:
    row = AgendaItemRow(
        manager_id=manager_id,
        report_id=report_id,
        author_id=author_id,
        text=text,
        checkin_id=checkin_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


async def open_items(session: AsyncSession, manager_id: int, report_id: int) -> list[AgendaItem]:
    """The pair's items not yet discussed, oldest first, with their author's name."""
    rows = await session.execute(
        select(AgendaItemRow, PersonRow.name)
        .outerjoin(PersonRow, AgendaItemRow.author_id == PersonRow.id)
        .where(
            AgendaItemRow.manager_id == manager_id,
            AgendaItemRow.report_id == report_id,
            AgendaItemRow.discussed_at.is_(None),
        )
        .order_by(AgendaItemRow.created_at, AgendaItemRow.id)
    )
    return [
        AgendaItem(row.id, name or "Someone who left", row.text, row.created_at)
        for row, name in rows
    ]


async def record_held(
    session: AsyncSession,
    *,
    manager_id: int,
    report_id: int,
    as_of: datetime,
    now: datetime,
    recorded_by_id: int,
) -> int:
    """The 1:1 held now: the items added up to `as_of` (what the agenda showed) are discussed.
    Returns how many items that marked."""
    marked = await session.execute(
        update(AgendaItemRow)
        .where(
            AgendaItemRow.manager_id == manager_id,
            AgendaItemRow.report_id == report_id,
            AgendaItemRow.discussed_at.is_(None),
            AgendaItemRow.created_at <= as_of,
        )
        .values(discussed_at=now)
    )
    session.add(
        OneOnOneRow(
            manager_id=manager_id, report_id=report_id, held_at=now, recorded_by_id=recorded_by_id
        )
    )
    await session.flush()
    return int(getattr(marked, "rowcount", 0) or 0)


async def notes_since(session: AsyncSession, report_id: int, since: datetime) -> list[Note]:
    """The notes and blockers the report wrote in check-ins since `since`, oldest first."""
    rows = await session.execute(
        select(CheckInRow, KeyResultRow.title)
        .join(KeyResultRow, CheckInRow.key_result_id == KeyResultRow.id)
        .where(
            CheckInRow.person_id == report_id,
            CheckInRow.updated_at >= since,
            CheckInRow.note.is_not(None),
            CheckInRow.note != "",
        )
        .order_by(CheckInRow.period, KeyResultRow.position, KeyResultRow.id)
    )
    return [
        Note(row.period, title, row.note or "", Confidence(row.confidence)) for row, title in rows
    ]


async def feedback_requests_since(
    session: AsyncSession, manager_id: int, report_id: int, since: datetime
) -> list[FeedbackRequest]:
    """The key results the report asked for feedback on in check-ins since `since`, oldest
    first, each answered when the manager replied or gave 👍 on that check-in after it was
    asked (as the quarter summary counts them)."""
    answered = exists().where(
        CheckInMessageRow.report_id == CheckInRow.person_id,
        CheckInMessageRow.period == CheckInRow.period,
        CheckInMessageRow.author_id == manager_id,
        CheckInMessageRow.created_at >= CheckInRow.created_at,
    )
    rows = await session.execute(
        select(CheckInRow.period, KeyResultRow.title, answered.label("answered"))
        .join(KeyResultRow, CheckInRow.key_result_id == KeyResultRow.id)
        .where(
            CheckInRow.person_id == report_id,
            CheckInRow.updated_at >= since,
            CheckInRow.feedback_requested.is_(True),
        )
        .order_by(CheckInRow.period, KeyResultRow.position, KeyResultRow.id)
    )
    return [FeedbackRequest(period, title, bool(done)) for period, title, done in rows]


async def discussed_when_held(
    session: AsyncSession, manager_id: int, report_id: int, held_at: datetime
) -> int:
    """How many of the pair's items the 1:1 held at `held_at` marked discussed."""
    count = await session.scalar(
        select(func.count()).where(
            AgendaItemRow.manager_id == manager_id,
            AgendaItemRow.report_id == report_id,
            AgendaItemRow.discussed_at == held_at,
        )
    )
    return int(count or 0)


async def week_notes(session: AsyncSession, person_id: int, period: str) -> list[tuple[int, str]]:
    """The notes a person wrote in their check-ins of a week: (check-in id, note), in order."""
    rows = await session.execute(
        select(CheckInRow.id, CheckInRow.note)
        .join(KeyResultRow, CheckInRow.key_result_id == KeyResultRow.id)
        .where(
            CheckInRow.person_id == person_id,
            CheckInRow.period == period,
            CheckInRow.note.is_not(None),
            CheckInRow.note != "",
        )
        .order_by(KeyResultRow.position, KeyResultRow.id)
    )
    return [(checkin_id, note or "") for checkin_id, note in rows]


async def get_rhythm(
    session: AsyncSession, manager_id: int, report_id: int
) -> OneOnOneRhythmRow | None:
    return await session.get(OneOnOneRhythmRow, (manager_id, report_id))


async def set_rhythm(
    session: AsyncSession,
    *,
    manager_id: int,
    report_id: int,
    rhythm: Rhythm,
    next_meeting: datetime,
    now: datetime,
) -> None:
    """The pair's rhythm from now on (replacing any earlier one)."""
    row = await get_rhythm(session, manager_id, report_id)
    if row is None:
        row = OneOnOneRhythmRow(manager_id=manager_id, report_id=report_id)
        session.add(row)
    row.weekday = int(rhythm.weekday)
    row.every_weeks = rhythm.every_weeks
    row.local_time = rhythm.at
    row.next_meeting = next_meeting
    row.set_at = now
    await session.flush()


async def stop_rhythm(session: AsyncSession, manager_id: int, report_id: int) -> bool:
    """No rhythm for the pair any more; whether they had one."""
    row = await get_rhythm(session, manager_id, report_id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


def rhythm_of(row: OneOnOneRhythmRow) -> Rhythm:
    return Rhythm(Weekday(row.weekday), row.local_time, row.every_weeks)
