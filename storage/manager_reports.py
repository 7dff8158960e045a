"""The data behind managers' weekly digests and quarter summaries, loaded in bulk.

Every loader issues a fixed number of statements however many people there are (people, key
results, check-ins, weeks, kudos, reflections: one query each), then groups in Python, so that
building every manager's summary for a 10,000-person company is not 10,000 round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from okrbot.bot.digests import DigestData, KeyResultWeek, ReportWeek, TeamCounts, WeekStatus
from okrbot.bot.domain import CheckIn, Confidence, KeyResult, Objective, Person
from okrbot.bot.overview import ReceivedKudos
from okrbot.bot.quarters import Quarter, week_key, week_start
from okrbot.bot.scoring import is_stale
from okrbot.bot.summaries import (
    KeyResultQuarter,
    ObjectiveQuarter,
    PersonQuarter,
    SummaryData,
    WeekCheckIn,
)
from okrbot.storage.convert import to_checkin, to_key_result, to_objective, to_person
from okrbot.storage.models import (
    CheckInRow,
    KeyResultRow,
    KudosRow,
    ObjectiveRow,
    PersonRow,
    PersonWeekRow,
    ReflectionRow,
)
from okrbot.storage.reflections import _reflection


@dataclass
class _Org:
    people: dict[int, Person]
    reports: dict[int, list[Person]]

    def tree(self, person_id: int) -> list[Person]:
        """Everyone below `person_id`, at any depth."""
        below, stack = [], list(self.reports.get(person_id, []))
        while stack:
            person = stack.pop()
            below.append(person)
            stack.extend(self.reports.get(person.id, []))
        return below


async def _org(session: AsyncSession) -> _Org:
    people = {row.id: to_person(row) for row in await session.scalars(select(PersonRow))}
    reports: dict[int, list[Person]] = defaultdict(list)
    for person in sorted(people.values(), key=lambda p: p.name.lower()):
        if person.manager_id is not None:
            reports[person.manager_id].append(person)
    return _Org(people, reports)


async def _key_results(
    session: AsyncSession, quarter: str
) -> tuple[dict[int, list[tuple[KeyResult, Objective]]], dict[int, Objective]]:
    """Each owner's key results of the quarter with their objective, in objective order."""
    rows = await session.execute(
        select(KeyResultRow, ObjectiveRow)
        .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
        .where(ObjectiveRow.quarter == quarter)
        .order_by(ObjectiveRow.position, ObjectiveRow.id, KeyResultRow.position, KeyResultRow.id)
        .options(lazyload(ObjectiveRow.key_results))
    )
    owned: dict[int, list[tuple[KeyResult, Objective]]] = defaultdict(list)
    objectives: dict[int, Objective] = {}
    for kr_row, objective_row in rows.all():
        objective = objectives.setdefault(
            objective_row.id, to_objective(objective_row, with_key_results=False)
        )
        owned[kr_row.owner_id].append((to_key_result(kr_row), objective))
    return owned, objectives


async def _checkins(
    session: AsyncSession, key_result_ids: Sequence[int], until: str | None = None
) -> dict[int, list[CheckIn]]:
    query = select(CheckInRow).where(CheckInRow.key_result_id.in_(key_result_ids))
    if until is not None:
        query = query.where(CheckInRow.period <= until)
    by_kr: dict[int, list[CheckIn]] = defaultdict(list)
    for row in await session.scalars(query.order_by(CheckInRow.period)):
        by_kr[row.key_result_id].append(to_checkin(row))
    return by_kr


async def _kudos(
    session: AsyncSession, org: _Org, recipients: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[ReceivedKudos]]:
    rows = await session.scalars(
        select(KudosRow)
        .where(
            KudosRow.recipient_id.in_(recipients),
            KudosRow.created_at >= start,
            KudosRow.created_at < end,
        )
        .order_by(KudosRow.created_at)
    )
    received: dict[int, list[ReceivedKudos]] = defaultdict(list)
    for row in rows:
        giver = org.people.get(row.giver_id) if row.giver_id else None
        name = giver.name if giver else f"<@{row.giver_platform_id}>"
        received[row.recipient_id].append(ReceivedKudos(giver=name, message=row.message))
    return received


def _local_day(person: Person, now: datetime, default_timezone: str) -> datetime:
    return now.astimezone(ZoneInfo(person.timezone or default_timezone))


async def digest_data(
    session: AsyncSession,
    manager_ids: Sequence[int],
    period: str,
    quarter: Quarter,
    now: datetime,
    default_timezone: str = "UTC",
) -> dict[int, DigestData]:
    """Every listed manager's digest for the week `period`."""
    org = await _org(session)
    owned, _objectives = await _key_results(session, quarter.id)
    relevant = {p.id for m in manager_ids for p in org.tree(m)}
    kr_ids = [kr.id for pid in relevant for kr, _o in owned.get(pid, [])]
    checkins = await _checkins(session, kr_ids, until=period)
    weeks = {
        row.person_id: row
        for row in await session.scalars(
            select(PersonWeekRow).where(
                PersonWeekRow.period == period, PersonWeekRow.person_id.in_(relevant)
            )
        )
    }
    start = datetime.combine(week_start(period), time(0), tzinfo=UTC)
    kudos = await _kudos(session, org, list(relevant), start, start + timedelta(days=7))
    first_period = week_key(quarter.start)

    def report_week(person: Person) -> ReportWeek:
        items = []
        answered = False
        for kr, objective in owned.get(person.id, []):
            history = checkins.get(kr.id, [])
            this_week = next((c for c in history if c.period == period), None)
            before = [c for c in history if c.period < period]
            previous = before[-1] if before else None
            last = this_week or previous
            answered = answered or this_week is not None
            items.append(
                KeyResultWeek(
                    key_result=kr,
                    objective_title=objective.title,
                    this_week=this_week,
                    previous=previous,
                    stale=is_stale(last.period if last else None, period, first_period),
                )
            )
        week = weeks.get(person.id)
        local = _local_day(person, now, default_timezone).date()
        if answered or (week is not None and week.checked_in_at is not None):
            status = WeekStatus.CHECKED_IN
        elif week is not None and week.skipped_at is not None:
            status = WeekStatus.SKIPPED
        elif person.paused_until is not None and local <= person.paused_until:
            status = WeekStatus.PAUSED
        else:
            status = WeekStatus.NOT_YET
        return ReportWeek(person, status, tuple(items), tuple(kudos.get(person.id, [])))

    result = {}
    for manager_id in manager_ids:
        manager = org.people.get(manager_id)
        if manager is None:
            continue
        directs = org.reports.get(manager_id, [])
        rollup = []
        for lead in directs:
            team = org.tree(lead.id)
            if not team:
                continue
            weeks_of_team = [report_week(member) for member in team]
            confidences = [item.confidence for w in weeks_of_team for item in w.key_results]
            rollup.append(
                TeamCounts(
                    lead=lead,
                    people=len(team),
                    checked_in=sum(w.status is WeekStatus.CHECKED_IN for w in weeks_of_team),
                    at_risk=sum(c is Confidence.AT_RISK for c in confidences),
                    off_track=sum(c is Confidence.OFF_TRACK for c in confidences),
                    paused=sum(w.status is WeekStatus.PAUSED for w in weeks_of_team),
                )
            )
        result[manager_id] = DigestData(
            manager=manager,
            period=period,
            quarter=quarter,
            reports=tuple(report_week(p) for p in directs),
            rollup=tuple(rollup),
        )
    return result


async def summary_data(
    session: AsyncSession, manager_ids: Sequence[int] | None, quarter: Quarter
) -> tuple[dict[int, SummaryData], dict[int, dict[int, dict[str, float]]]]:
    """Every listed manager's (or every manager's) quarter summary, and each person's weekly
    values per key result (for the charts)."""
    org = await _org(session)
    ids = list(manager_ids) if manager_ids is not None else list(org.reports)
    owned, _objectives = await _key_results(session, quarter.id)
    relevant = {p.id for m in ids for p in org.reports.get(m, [])}
    kr_ids = [kr.id for pid in relevant for kr, _o in owned.get(pid, [])]
    checkins = await _checkins(session, kr_ids)
    weeks_of_quarter = set(quarter.weeks())
    asked: dict[int, int] = defaultdict(int)
    answered: dict[int, int] = defaultdict(int)
    for row in await session.scalars(
        select(PersonWeekRow).where(
            PersonWeekRow.person_id.in_(relevant),
            PersonWeekRow.period.in_(weeks_of_quarter),
        )
    ):
        asked[row.person_id] += row.prompted_at is not None
        answered[row.person_id] += row.prompted_at is not None and row.checked_in_at is not None
    start = datetime.combine(quarter.start, time(0), tzinfo=UTC)
    end = datetime.combine(quarter.end + timedelta(days=1), time(0), tzinfo=UTC)
    kudos = await _kudos(session, org, list(relevant), start, end)
    reflections = {
        row.person_id: _reflection(row)
        for row in await session.scalars(
            select(ReflectionRow).where(
                ReflectionRow.person_id.in_(relevant), ReflectionRow.quarter == quarter.id
            )
        )
    }
    values: dict[int, dict[int, dict[str, float]]] = {}

    def person_quarter(person: Person) -> PersonQuarter:
        by_objective: dict[int, list[KeyResultQuarter]] = defaultdict(list)
        objective_of: dict[int, Objective] = {}
        values[person.id] = {}
        for kr, objective in owned.get(person.id, []):
            history = checkins.get(kr.id, [])
            values[person.id][kr.id] = {c.period: c.value for c in history}
            objective_of[objective.id] = objective
            by_objective[objective.id].append(
                KeyResultQuarter(
                    key_result=kr,
                    checkins=tuple(WeekCheckIn(c.period, c.value, c.confidence) for c in history),
                )
            )
        return PersonQuarter(
            person=person,
            objectives=tuple(
                ObjectiveQuarter(objective_of[oid], tuple(items))
                for oid, items in by_objective.items()
            ),
            weeks_asked=asked.get(person.id, 0),
            weeks_answered=answered.get(person.id, 0),
            kudos=tuple(kudos.get(person.id, [])),
            reflection=reflections.get(person.id),
        )

    summaries = {
        manager_id: SummaryData(
            manager=org.people[manager_id],
            quarter=quarter,
            reports=tuple(person_quarter(p) for p in org.reports.get(manager_id, [])),
        )
        for manager_id in ids
        if manager_id in org.people
    }
    return summaries, values
