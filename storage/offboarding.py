"""Deactivating and reactivating people: offboarding that keeps their history.

A deactivated person gets nothing from okrbot (their schedules are deleted and the courier drops
anything still queued for them) and cannot be given kudos, but their check-ins, kudos and
reflections stay, so exports and past quarters' summaries still show them. Their key results
of this quarter and later move to a successor so that the plan keeps an owner who is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.storage.models import KeyResultRow, ObjectiveRow, PersonRow, ScheduleRow


class OffboardingError(Exception):
    """The command cannot run as asked; nothing was changed."""


@dataclass(slots=True)
class Offboarded:
    """What deactivating someone did, for the command's report."""

    person: PersonRow
    successor: PersonRow | None
    key_results: list[str] = field(default_factory=list)  # "'KR' of 'Objective' (2026-Q4)"
    objectives: list[str] = field(default_factory=list)
    reports: list[PersonRow] = field(default_factory=list)
    reports_manager: PersonRow | None = None


async def _person(session: AsyncSession, email: str, what: str = "") -> PersonRow:
    row = await session.scalar(
        select(PersonRow).where(func.lower(PersonRow.email) == email.strip().lower())
    )
    if row is None:
        raise OffboardingError(f"{what}no person with email {email}; see `okrbot people list`")
    return row


def _active_manager(row: PersonRow, people: dict[int, PersonRow]) -> PersonRow | None:
    manager = people.get(row.manager_id) if row.manager_id else None
    return manager if manager is not None and manager.deactivated_at is None else None


async def deactivate(
    session: AsyncSession, email: str, successor_email: str | None, quarter: str, now: datetime
) -> Offboarded:
    """Deactivate a person. Their key results and objectives of `quarter` and later go to
    `successor_email`, else to their manager; with neither (or only deactivated ones) they stay
    with the person, and so are asked about by nobody until someone takes them over. Their
    direct reports move up to the person's own manager (or to none)."""
    row = await _person(session, email)
    if row.deactivated_at is not None:
        raise OffboardingError(
            f"{row.email} is already deactivated (since {row.deactivated_at:%Y-%m-%d})"
        )
    people = {person.id: person for person in await session.scalars(select(PersonRow))}
    successor = _active_manager(row, people)
    if successor_email is not None:
        successor = await _person(session, successor_email, "--to: ")
        if successor.id == row.id:
            raise OffboardingError("--to: someone cannot hand their key results to themselves")
        if successor.deactivated_at is not None:
            raise OffboardingError(f"--to: {successor.email} is deactivated too")
    report = Offboarded(row, successor)

    key_results = await session.execute(
        select(KeyResultRow, ObjectiveRow)
        .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
        .where(
            KeyResultRow.owner_id == row.id,
            ObjectiveRow.quarter >= quarter,
            KeyResultRow.archived_at.is_(None),
        )
        .order_by(ObjectiveRow.quarter, ObjectiveRow.position, KeyResultRow.position)
    )
    for kr, objective in key_results.all():
        report.key_results.append(f"{kr.title!r} of {objective.title!r} ({objective.quarter})")
        if successor is not None:
            kr.owner_id = successor.id
    objectives = await session.scalars(
        select(ObjectiveRow)
        .where(
            ObjectiveRow.owner_id == row.id,
            ObjectiveRow.quarter >= quarter,
            ObjectiveRow.archived_at.is_(None),
        )
        .order_by(ObjectiveRow.quarter, ObjectiveRow.position)
    )
    for objective in objectives:
        report.objectives.append(f"{objective.title!r} ({objective.quarter})")
        if successor is not None:
            objective.owner_id = successor.id

    report.reports_manager = _active_manager(row, people)
    for person in sorted(people.values(), key=lambda p: p.email):
        if person.manager_id == row.id:
            person.manager_id = report.reports_manager.id if report.reports_manager else None
            report.reports.append(person)

    row.deactivated_at = now
    await session.execute(delete(ScheduleRow).where(ScheduleRow.person_id == row.id))
    return report


async def reactivate(session: AsyncSession, email: str) -> PersonRow:
    """Let okrbot write to the person again; their schedules come back on the next tick.
    What deactivating moved (key results, reports) stays where it went."""
    row = await _person(session, email)
    if row.deactivated_at is None:
        raise OffboardingError(f"{row.email} is not deactivated")
    row.deactivated_at = None
    return row
