"""Exports: a quarter's OKRs with check-ins and kudos (CSV or JSON), and the people file.

Exports are for spreadsheets, BI tools and backups, so they name people by email and objectives
by title, never by database id, and the people export is exactly what `import people` reads.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.domain import KeyResult, Objective
from okrbot.bot.people_import import PersonRecord, people_csv
from okrbot.bot.quarters import Quarter
from okrbot.bot.scoring import key_result_progress, objective_score
from okrbot.bot.spreadsheet import safe_cell
from okrbot.storage.kudos import quarter_bounds
from okrbot.storage.models import CheckInRow, KudosRow
from okrbot.storage.okrs import objectives_for_quarter
from okrbot.storage.people import list_people

OKR_CSV_COLUMNS = (
    "quarter",
    "objective",
    "key_result",
    "owner_email",
    "type",
    "start",
    "target",
    "current",
    "score",
    "confidence",
    "checkins",
    "last_checkin_at",
    "archived",
    "source",
    "approval",
)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _number(value: float) -> int | float:
    """Whole numbers as integers, so a CSV says 100 rather than 100.0."""
    return int(value) if value.is_integer() else value


async def export_people(session: AsyncSession) -> str:
    """Everyone as a people CSV, ordered by email."""
    people = await list_people(session)
    email_of = {person.id: person.email for person in people}
    records = [
        PersonRecord(
            line=0,
            email=person.email,
            name=person.name,
            manager_email=email_of.get(person.manager_id) if person.manager_id else None,
            timezone=person.timezone,
            slack_user_id=person.slack_user_id,
            teams_aad_id=person.teams_aad_id,
            checkin_day=person.checkin_day,
            checkin_time=person.checkin_time,
            work_hours=(person.work_start, person.work_end)
            if person.work_start is not None and person.work_end is not None
            else None,
            work_days=person.work_days,
        )
        for person in people
    ]
    return people_csv(records)


@dataclass(frozen=True, slots=True)
class _Stats:
    """What the check-ins say about one key result."""

    count: int = 0
    confidence: str | None = None
    last_at: datetime | None = None


def _kr_value(kr: KeyResult) -> float:
    # A milestone is done or not; an in-between value stored by hand exports as not done.
    return key_result_progress(kr) if kr.is_milestone else kr.current


async def _quarter_data(
    session: AsyncSession, quarter: Quarter
) -> tuple[list[Objective], dict[int, str], list[CheckInRow], dict[int, _Stats]]:
    objectives = await objectives_for_quarter(
        session, quarter.id, include_archived=True, include_pending=True
    )
    email_of = {person.id: person.email for person in await list_people(session)}
    kr_ids = [kr.id for objective in objectives for kr in objective.key_results]
    checkins = (
        list(
            await session.scalars(
                select(CheckInRow)
                .where(CheckInRow.key_result_id.in_(kr_ids))
                .order_by(CheckInRow.key_result_id, CheckInRow.period, CheckInRow.id)
            )
        )
        if kr_ids
        else []
    )
    by_kr: dict[int, list[CheckInRow]] = defaultdict(list)
    for checkin in checkins:
        by_kr[checkin.key_result_id].append(checkin)
    stats = {}
    for kr_id, rows in by_kr.items():
        latest = max(rows, key=lambda row: (row.period, row.updated_at))
        stats[kr_id] = _Stats(
            count=len(rows),
            confidence=latest.confidence,
            last_at=max(row.updated_at for row in rows),
        )
    return objectives, email_of, checkins, stats


async def export_okrs_csv(session: AsyncSession, quarter: Quarter) -> str:
    """One row per key result, in plan order."""
    objectives, email_of, _checkins, stats = await _quarter_data(session, quarter)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OKR_CSV_COLUMNS)
    for objective in objectives:
        for kr in objective.key_results:
            stat = stats.get(kr.id, _Stats())
            writer.writerow(
                [
                    quarter.id,
                    safe_cell(objective.title),
                    safe_cell(kr.title),
                    safe_cell(email_of[kr.owner_id]),
                    kr.type.value,
                    _number(kr.start),
                    _number(kr.target),
                    _number(_kr_value(kr)),
                    f"{key_result_progress(kr):.2f}",
                    stat.confidence or "",
                    stat.count,
                    iso_utc(stat.last_at) if stat.last_at else "",
                    "yes" if kr.archived else "",
                    objective.source.value,
                    objective.approval.value,
                ]
            )
    return out.getvalue()


async def export_okrs_json(session: AsyncSession, quarter: Quarter) -> str:
    """The quarter's objectives, key results, check-ins and kudos, as one JSON document."""
    objectives, email_of, checkins, stats = await _quarter_data(session, quarter)
    title_of = {objective.id: objective.title for objective in objectives}
    kr_titles = {
        kr.id: (objective.title, kr.title)
        for objective in objectives
        for kr in objective.key_results
    }
    document: dict[str, Any] = {
        "quarter": quarter.id,
        "objectives": [_objective_json(o, email_of, title_of, stats) for o in objectives],
        "checkins": [
            {
                "objective": kr_titles[row.key_result_id][0],
                "key_result": kr_titles[row.key_result_id][1],
                "person_email": email_of.get(row.person_id),
                "period": row.period,
                "value": _number(row.value),
                "confidence": row.confidence,
                "note": row.note,
                "platform": row.platform,
                "created_at": iso_utc(row.created_at),
                "updated_at": iso_utc(row.updated_at),
            }
            for row in checkins
        ],
        "kudos": await _kudos_json(session, quarter, email_of),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _objective_json(
    objective: Objective,
    email_of: dict[int, str],
    title_of: dict[int, str],
    stats: dict[int, _Stats],
) -> dict[str, Any]:
    score = objective_score([kr for kr in objective.key_results if not kr.archived])
    return {
        "title": objective.title,
        "archived": objective.archived,
        "description": objective.description,
        "level": objective.level.value,
        "kind": objective.kind.value,
        "owner_email": email_of[objective.owner_id],
        # A parent in another quarter cannot be named by title alone; imports never create one.
        "parent": title_of.get(objective.parent_id) if objective.parent_id else None,
        "score": round(score, 2) if score is not None else None,
        # `import okrs` leaves `source: chat` objectives alone (their owners drafted them).
        "source": objective.source.value,
        "approval": objective.approval.value,
        "approved_by": email_of.get(objective.approved_by_id) if objective.approved_by_id else None,
        "approved_at": iso_utc(objective.approved_at) if objective.approved_at else None,
        "key_results": [
            {
                "title": kr.title,
                "owner_email": email_of[kr.owner_id],
                "type": kr.type.value,
                "start": _number(kr.start),
                "target": _number(kr.target),
                "current": _number(_kr_value(kr)),
                "unit": kr.unit,
                "score": round(key_result_progress(kr), 2),
                "confidence": stats.get(kr.id, _Stats()).confidence,
                "checkins": stats.get(kr.id, _Stats()).count,
                "last_checkin_at": (
                    iso_utc(last) if (last := stats.get(kr.id, _Stats()).last_at) else None
                ),
                "archived": kr.archived,
            }
            for kr in objective.key_results
        ],
    }


async def _kudos_json(
    session: AsyncSession, quarter: Quarter, email_of: dict[int, str]
) -> list[dict[str, Any]]:
    """Kudos given during the quarter (UTC dates). A kudos to several people is stored as one
    row per recipient; rows sharing giver, message and moment are merged back into one."""
    start, end = quarter_bounds(quarter)
    rows = await session.scalars(
        select(KudosRow)
        .where(KudosRow.created_at >= start, KudosRow.created_at < end)
        .order_by(KudosRow.created_at, KudosRow.id)
    )
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        giver = email_of.get(row.giver_id) if row.giver_id else row.giver_platform_id
        recipient = (
            email_of.get(row.recipient_id) if row.recipient_id else row.recipient_platform_id
        )
        key = (giver, row.message, row.created_at, row.platform)
        entry = merged.setdefault(
            key,
            {
                "giver": giver,
                "recipients": [],
                "message": row.message,
                "values": list(row.values or []),
                "platform": row.platform,
                "created_at": iso_utc(row.created_at),
            },
        )
        entry["recipients"].append(recipient)
    return list(merged.values())
