"""Rows to domain values: the one place that knows how each table maps to `bot.domain`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from okrbot.bot.domain import (
    Approval,
    CheckIn,
    Confidence,
    KeyResult,
    KeyResultType,
    Kudos,
    Level,
    Objective,
    ObjectiveKind,
    Person,
    Platform,
    Source,
    Weekday,
)
from okrbot.bot.working_hours import parse_days
from okrbot.storage.models import CheckInRow, KeyResultRow, KudosRow, ObjectiveRow, PersonRow


def to_person(row: PersonRow) -> Person:
    return Person(
        id=row.id,
        email=row.email,
        name=row.name,
        manager_id=row.manager_id,
        timezone=row.timezone,
        checkin_day=Weekday(row.checkin_day) if row.checkin_day is not None else None,
        checkin_time=row.checkin_time,
        slack_user_id=row.slack_user_id,
        teams_aad_id=row.teams_aad_id,
        paused_until=row.paused_until,
        slack_dm_channel=row.slack_dm_channel,
        deactivated=row.deactivated_at is not None,
        work_start=row.work_start,
        work_end=row.work_end,
        work_days=parse_days(row.work_days) if row.work_days else None,
    )


def to_key_result(row: KeyResultRow | Row[*tuple[Any, ...]]) -> KeyResult:
    """From the ORM row, or from a Core row that selected the same columns by the same names."""
    return KeyResult(
        id=row.id,
        objective_id=row.objective_id,
        title=row.title,
        owner_id=row.owner_id,
        type=KeyResultType(row.type),
        start=row.start,
        target=row.target,
        current=row.current,
        unit=row.unit,
        position=row.position,
        archived=row.archived_at is not None,
    )


def to_objective(
    row: ObjectiveRow, with_key_results: bool = True, include_archived: bool = False
) -> Objective:
    """Archived key results are left out unless `include_archived` (exports want them)."""
    key_results = (
        [kr for kr in row.key_results if include_archived or kr.archived_at is None]
        if with_key_results
        else []
    )
    return Objective(
        id=row.id,
        quarter=row.quarter,
        title=row.title,
        owner_id=row.owner_id,
        level=Level(row.level),
        kind=ObjectiveKind(row.kind),
        description=row.description,
        parent_id=row.parent_id,
        key_results=tuple(to_key_result(kr) for kr in key_results),
        archived=row.archived_at is not None,
        source=Source(row.source or Source.IMPORT),
        approval=Approval(row.approval or Approval.APPROVED),
        approved_by_id=row.approved_by_id,
        approved_at=row.approved_at,
    )


def to_checkin(row: CheckInRow) -> CheckIn:
    return CheckIn(
        id=row.id,
        key_result_id=row.key_result_id,
        person_id=row.person_id,
        period=row.period,
        value=row.value,
        confidence=Confidence(row.confidence),
        note=row.note,
        platform=Platform(row.platform),
        created_at=row.created_at,
        updated_at=row.updated_at,
        feedback_requested=bool(row.feedback_requested),
    )


def to_kudos(row: KudosRow) -> Kudos:
    return Kudos(
        id=row.id,
        giver_id=row.giver_id,
        recipient_id=row.recipient_id,
        message=row.message,
        values=tuple(row.values or ()),
        platform=Platform(row.platform),
        created_at=row.created_at,
        giver_platform_id=row.giver_platform_id,
        recipient_platform_id=row.recipient_platform_id,
        source=row.source,
    )
