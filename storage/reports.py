"""The data behind manager digests and quarter-end summaries, for every manager at once.

Digests go out to every manager in the same hour and summaries to every manager at quarter end,
so each loader reads each table once (people, the quarter's objectives and key results, its
check-ins, person weeks, kudos, reflections) and groups the rows in Python: the number of SQL
statements stays the same whether the company has ten people or ten thousand. Rows are read as
plain columns, not ORM objects, which keeps tens of thousands of check-ins cheap to load.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.bot.digests import DigestData, KeyResultWeek, ReportWeek, TeamCounts, WeekStatus
from okrbot.bot.domain import (
    CheckIn,
    Confidence,
    KeyResult,
    Level,
    Objective,
    ObjectiveKind,
    Person,
    Platform,
    Reflection,
    Weekday,
)
from okrbot.bot.overview import ReceivedKudos
from okrbot.bot.quarters import Quarter, week_start
from okrbot.bot.scoring import asked_since_last, is_stale_when_asked
from okrbot.bot.summaries import (
    FeedbackCount,
    KeyResultQuarter,
    ObjectiveQuarter,
    PersonQuarter,
    SummaryData,
    WeekCheckIn,
    alignment_progress,
    org_objectives,
)
from okrbot.storage.convert import to_key_result
from okrbot.storage.models import (
    CheckInMessageRow,
    CheckInRow,
    KeyResultRow,
    KudosRow,
    ObjectiveRow,
    PersonRow,
    PersonWeekRow,
    ReflectionRow,
    ReflectionScoreRow,
)
from okrbot.storage.okrs import approved

UNKNOWN_GIVER = "a colleague"


@dataclass(frozen=True, slots=True)
class _Plan:
    """A quarter's objectives and key results, indexed the ways the reports need them."""

    objectives: dict[int, Objective]
    by_owner: dict[int, list[KeyResult]]
    by_objective: dict[int, list[KeyResult]]


def _quarter_id(quarter: Quarter | str) -> str:
    return quarter.id if isinstance(quarter, Quarter) else Quarter.parse(quarter).id


async def _people(session: AsyncSession) -> dict[int, Person]:
    columns = (
        PersonRow.id,
        PersonRow.email,
        PersonRow.name,
        PersonRow.manager_id,
        PersonRow.timezone,
        PersonRow.checkin_day,
        PersonRow.checkin_time,
        PersonRow.slack_user_id,
        PersonRow.teams_aad_id,
        PersonRow.paused_until,
    )
    rows = await session.execute(select(*columns).order_by(PersonRow.name, PersonRow.email))
    people = {}
    for row in rows:
        day = Weekday(row.checkin_day) if row.checkin_day is not None else None
        people[row.id] = Person(
            row.id,
            row.email,
            row.name,
            row.manager_id,
            row.timezone,
            day,
            row.checkin_time,
            row.slack_user_id,
            row.teams_aad_id,
            row.paused_until,
        )
    return people


async def _plan(session: AsyncSession, quarter: str) -> _Plan:
    rows = await session.execute(
        select(
            ObjectiveRow.id.label("objective_id"),
            ObjectiveRow.title.label("objective_title"),
            ObjectiveRow.owner_id.label("objective_owner"),
            ObjectiveRow.level,
            ObjectiveRow.kind,
            ObjectiveRow.parent_id,
            KeyResultRow.id,
            KeyResultRow.title,
            KeyResultRow.owner_id,
            KeyResultRow.type,
            KeyResultRow.start,
            KeyResultRow.target,
            KeyResultRow.current,
            KeyResultRow.unit,
            KeyResultRow.position,
            KeyResultRow.archived_at,
        )
        # Objectives without key results of their own still count: others align under them.
        # What `import okrs --prune` archived is no longer the plan; exports still have it.
        .select_from(ObjectiveRow)
        .outerjoin(
            KeyResultRow,
            and_(KeyResultRow.objective_id == ObjectiveRow.id, KeyResultRow.archived_at.is_(None)),
        )
        .where(ObjectiveRow.quarter == quarter, ObjectiveRow.archived_at.is_(None), approved())
        .order_by(ObjectiveRow.position, ObjectiveRow.id, KeyResultRow.position, KeyResultRow.id)
    )
    objectives: dict[int, Objective] = {}
    by_owner: dict[int, list[KeyResult]] = defaultdict(list)
    by_objective: dict[int, list[KeyResult]] = defaultdict(list)
    for row in rows:
        if row.objective_id not in objectives:
            objectives[row.objective_id] = Objective(
                id=row.objective_id,
                quarter=quarter,
                title=row.objective_title,
                owner_id=row.objective_owner,
                level=Level(row.level),
                kind=ObjectiveKind(row.kind),
                parent_id=row.parent_id,
            )
        if row.id is None:
            continue
        kr = to_key_result(row)
        by_owner[kr.owner_id].append(kr)
        by_objective[kr.objective_id].append(kr)
    return _Plan(objectives, dict(by_owner), dict(by_objective))


async def _checkins(
    session: AsyncSession, quarter: str, up_to: str | None = None
) -> dict[int, list[CheckIn]]:
    """The quarter's check-ins by key result, oldest first."""
    query = (
        select(
            CheckInRow.id,
            CheckInRow.key_result_id,
            CheckInRow.person_id,
            CheckInRow.period,
            CheckInRow.value,
            CheckInRow.confidence,
            CheckInRow.note,
            CheckInRow.platform,
            CheckInRow.created_at,
            CheckInRow.updated_at,
            CheckInRow.feedback_requested,
        )
        .join(KeyResultRow, CheckInRow.key_result_id == KeyResultRow.id)
        .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
        .where(ObjectiveRow.quarter == quarter, KeyResultRow.archived_at.is_(None), approved())
        .order_by(CheckInRow.key_result_id, CheckInRow.period)
    )
    if up_to is not None:
        query = query.where(CheckInRow.period <= up_to)
    grouped: dict[int, list[CheckIn]] = defaultdict(list)
    for row in await session.execute(query):
        grouped[row.key_result_id].append(
            CheckIn(
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
        )
    return grouped


async def _kudos(
    session: AsyncSession, people: Mapping[int, Person], start: datetime, end: datetime
) -> dict[int, list[ReceivedKudos]]:
    rows = await session.execute(
        select(KudosRow.recipient_id, KudosRow.giver_id, KudosRow.message)
        .where(
            KudosRow.recipient_id.is_not(None),
            KudosRow.created_at >= start,
            KudosRow.created_at < end,
        )
        .order_by(KudosRow.created_at, KudosRow.id)
    )
    received: dict[int, list[ReceivedKudos]] = defaultdict(list)
    for row in rows:
        giver = people.get(row.giver_id) if row.giver_id is not None else None
        received[row.recipient_id].append(
            ReceivedKudos(giver.name if giver else UNKNOWN_GIVER, row.message)
        )
    return received


def _reports_by_manager(people: Mapping[int, Person]) -> dict[int, list[Person]]:
    """Direct reports by manager, in the order people were loaded (by name)."""
    reports: dict[int, list[Person]] = defaultdict(list)
    for person in people.values():
        if person.manager_id is not None and person.manager_id in people:
            reports[person.manager_id].append(person)
    return reports


def _managers(reports: Mapping[int, list[Person]], manager_ids: Sequence[int] | None) -> list[int]:
    if manager_ids is None:
        return sorted(reports)
    return [manager_id for manager_id in manager_ids if reports.get(manager_id)]


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _week_status(
    person: Person, week: PersonWeekRow | None, period: str, answered: bool
) -> WeekStatus:
    if answered or (week is not None and week.checked_in_at is not None):
        return WeekStatus.CHECKED_IN
    if week is not None and week.skipped_at is not None:
        return WeekStatus.SKIPPED
    if person.paused_until is not None and person.paused_until >= week_start(period):
        return WeekStatus.PAUSED
    return WeekStatus.NOT_YET


def _descendants(person_id: int, reports: Mapping[int, list[Person]]) -> list[int]:
    """Everyone below a person, guarding against a manager loop in imported data."""
    found: list[int] = []
    seen = {person_id}
    stack = [p.id for p in reports.get(person_id, [])]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        found.append(current)
        stack.extend(p.id for p in reports.get(current, []))
    return found


def _listed(report: ReportWeek) -> bool:
    """In a digest: who was asked this week, and who is away (counted as paused)."""
    return report.asked or report.status is WeekStatus.PAUSED


async def digest_data(
    session: AsyncSession, manager_ids: Sequence[int] | None, period: str, quarter: Quarter
) -> dict[int, DigestData]:
    """Every manager's digest for the week `period` (all managers when `manager_ids` is None).

    Only reports who were asked to check in that week (or answered, or skipped) are listed, and
    the away as paused; someone who owns no key results or joined later is not "not checked in".
    Kudos count for the week by UTC day boundaries, Monday to Monday.
    """
    people = await _people(session)
    plan = await _plan(session, quarter.id)
    checkins = await _checkins(session, quarter.id, up_to=period)
    week_rows = await session.scalars(select(PersonWeekRow).where(PersonWeekRow.period == period))
    weeks = {row.person_id: row for row in week_rows}
    # The weeks each person was asked this quarter: staleness counts only those.
    asked_rows = await session.execute(
        select(PersonWeekRow.person_id, PersonWeekRow.period).where(
            PersonWeekRow.prompted_at.is_not(None),
            PersonWeekRow.period >= quarter.weeks()[0],
            PersonWeekRow.period <= period,
        )
    )
    asked_in: dict[int, list[str]] = defaultdict(list)
    for person_id, asked_period in asked_rows:
        asked_in[person_id].append(asked_period)
    monday = _utc_midnight(week_start(period))
    kudos = await _kudos(session, people, monday, monday + timedelta(days=7))

    report_weeks: dict[int, ReportWeek] = {}

    def report_week(person: Person) -> ReportWeek:
        if person.id in report_weeks:
            return report_weeks[person.id]
        items = []
        for kr in plan.by_owner.get(person.id, []):
            history = checkins.get(kr.id, [])
            now = history[-1] if history and history[-1].period == period else None
            earlier = [c for c in history if c.period < period]
            previous = earlier[-1] if earlier else None
            last = history[-1].period if history else None
            items.append(
                KeyResultWeek(
                    key_result=kr,
                    objective_title=plan.objectives[kr.objective_id].title,
                    this_week=now,
                    previous=previous,
                    stale=is_stale_when_asked(asked_since_last(asked_in[person.id], last, period)),
                )
            )
        answered = any(item.this_week is not None for item in items)
        week = weeks.get(person.id)
        status = _week_status(person, week, period, answered)
        asked = answered or (
            week is not None
            and any(
                at is not None for at in (week.prompted_at, week.checked_in_at, week.skipped_at)
            )
        )
        result = ReportWeek(
            person, status, tuple(items), tuple(kudos.get(person.id, ())), asked=asked
        )
        report_weeks[person.id] = result
        return result

    reports = _reports_by_manager(people)
    result = {}
    for manager_id in _managers(reports, manager_ids):
        direct = [r for r in map(report_week, reports[manager_id]) if _listed(r)]
        rollup = []
        for lead in reports[manager_id]:
            if not reports.get(lead.id):
                continue
            team = [
                r for i in _descendants(lead.id, reports) if _listed(r := report_week(people[i]))
            ]
            if not team:
                continue
            confidences = [item.confidence for r in team for item in r.key_results]
            rollup.append(
                TeamCounts(
                    lead=lead,
                    people=len(team),
                    checked_in=sum(r.status is WeekStatus.CHECKED_IN for r in team),
                    at_risk=confidences.count(Confidence.AT_RISK),
                    off_track=confidences.count(Confidence.OFF_TRACK),
                    paused=sum(r.status is WeekStatus.PAUSED for r in team),
                )
            )
        result[manager_id] = DigestData(
            people[manager_id], period, quarter, tuple(direct), tuple(rollup)
        )
    return result


async def _reflections(session: AsyncSession, quarter: str) -> dict[int, Reflection]:
    rows = (
        await session.execute(
            select(
                ReflectionRow.id,
                ReflectionRow.person_id,
                ReflectionRow.went_well,
                ReflectionRow.do_differently,
                ReflectionRow.updated_at,
            ).where(ReflectionRow.quarter == quarter)
        )
    ).all()
    scores: dict[int, dict[int, float]] = defaultdict(dict)
    score_rows = await session.execute(
        select(
            ReflectionScoreRow.reflection_id,
            ReflectionScoreRow.key_result_id,
            ReflectionScoreRow.self_score,
        )
        .join(ReflectionRow, ReflectionScoreRow.reflection_id == ReflectionRow.id)
        .where(ReflectionRow.quarter == quarter)
    )
    for row in score_rows:
        scores[row.reflection_id][row.key_result_id] = row.self_score
    return {
        row.person_id: Reflection(
            id=row.id,
            person_id=row.person_id,
            quarter=quarter,
            self_scores=scores.get(row.id, {}),
            went_well=row.went_well,
            do_differently=row.do_differently,
            updated_at=row.updated_at,
        )
        for row in rows
    }


async def _feedback(
    session: AsyncSession,
    people: Mapping[int, Person],
    checkins: Mapping[int, list[CheckIn]],
    periods: Sequence[str],
) -> dict[int, FeedbackCount]:
    """Each person's feedback requests this quarter (a key result's check-in with "I'd like
    feedback on this"), and how many their manager answered: a reply or 👍 on that check-in
    after it was asked."""
    requests = [
        (person, checkin)
        for history in checkins.values()
        for checkin in history
        if checkin.feedback_requested and (person := people.get(checkin.person_id)) is not None
    ]
    if not requests:
        return {}  # nobody asked: no need to read the conversations
    answers: dict[tuple[int, str], list[tuple[int, datetime]]] = defaultdict(list)
    rows = await session.execute(
        select(
            CheckInMessageRow.report_id,
            CheckInMessageRow.period,
            CheckInMessageRow.author_id,
            CheckInMessageRow.created_at,
        ).where(CheckInMessageRow.period.in_(periods))
    )
    for row in rows:
        answers[(row.report_id, row.period)].append((row.author_id, row.created_at))
    asked: dict[int, int] = defaultdict(int)
    answered: dict[int, int] = defaultdict(int)
    for person, checkin in requests:
        asked[person.id] += 1
        written = answers.get((person.id, checkin.period), [])
        if any(a == person.manager_id and at >= checkin.created_at for a, at in written):
            answered[person.id] += 1
    return {pid: FeedbackCount(count, answered[pid]) for pid, count in asked.items()}


async def summary_data(
    session: AsyncSession, quarter: Quarter, manager_ids: Sequence[int] | None = None
) -> dict[int, SummaryData]:
    """Every manager's quarter-end summary data (all managers when `manager_ids` is None)."""
    people = await _people(session)
    plan = await _plan(session, quarter.id)
    checkins = await _checkins(session, quarter.id)
    periods = quarter.weeks()
    week_rows = await session.execute(
        select(
            PersonWeekRow.person_id, PersonWeekRow.prompted_at, PersonWeekRow.checked_in_at
        ).where(PersonWeekRow.period.in_(periods))
    )
    asked: dict[int, int] = defaultdict(int)
    answered: dict[int, int] = defaultdict(int)
    for row in week_rows:
        if row.prompted_at is not None:
            asked[row.person_id] += 1
            if row.checked_in_at is not None:
                answered[row.person_id] += 1
    start = _utc_midnight(quarter.start)
    kudos = await _kudos(session, people, start, _utc_midnight(quarter.end + timedelta(days=1)))
    reflections = await _reflections(session, quarter.id)
    feedback = await _feedback(session, people, checkins, periods)

    def person_quarter(person: Person) -> PersonQuarter:
        grouped: dict[int, list[KeyResultQuarter]] = {}
        for kr in plan.by_owner.get(person.id, []):
            history = tuple(
                WeekCheckIn(c.period, c.value, c.confidence) for c in checkins.get(kr.id, ())
            )
            grouped.setdefault(kr.objective_id, []).append(KeyResultQuarter(kr, history))
        objectives = tuple(
            ObjectiveQuarter(plan.objectives[objective_id], tuple(items))
            for objective_id, items in grouped.items()
        )
        return PersonQuarter(
            person=person,
            objectives=objectives,
            weeks_asked=asked.get(person.id, 0),
            weeks_answered=answered.get(person.id, 0),
            kudos=tuple(kudos.get(person.id, ())),
            reflection=reflections.get(person.id),
            feedback=feedback.get(person.id, FeedbackCount()),
        )

    reports = _reports_by_manager(people)
    progress = alignment_progress(plan.objectives, plan.by_objective)
    names = {person.id: person.name for person in people.values()}
    plan_order = {objective_id: index for index, objective_id in enumerate(plan.objectives)}
    objectives_of: dict[int, list[Objective]] = defaultdict(list)
    for objective in plan.objectives.values():
        objectives_of[objective.owner_id].append(objective)

    def org_owned(manager_id: int) -> list[Objective]:
        """Objectives owned by the manager or anyone below them, in plan order."""
        org = [manager_id, *_descendants(manager_id, reports)]
        owned = [objective for person_id in org for objective in objectives_of.get(person_id, ())]
        return sorted(owned, key=lambda objective: plan_order[objective.id])

    return {
        manager_id: SummaryData(
            people[manager_id],
            quarter,
            tuple(person_quarter(person) for person in reports[manager_id]),
            org_objectives(org_owned(manager_id), plan.by_objective, progress, names),
        )
        for manager_id in _managers(reports, manager_ids)
    }


def check_self_scores(self_scores: Mapping[int, float], owned: Iterable[int]) -> dict[int, float]:
    """Self-scores as stored: only for owned key results and only from 0.0 to 1.0."""
    allowed = set(owned)
    checked = {}
    for key_result_id, raw in self_scores.items():
        if key_result_id not in allowed:
            raise ValueError(
                f"self-score for key result {key_result_id}: it is not one of this person's "
                "key results this quarter"
            )
        value = float(raw)
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise ValueError(
                f"self-score for key result {key_result_id} must be between 0.0 and 1.0, not {raw}"
            )
        checked[key_result_id] = value
    return checked


def _to_reflection(row: ReflectionRow) -> Reflection:
    return Reflection(
        id=row.id,
        person_id=row.person_id,
        quarter=row.quarter,
        self_scores={score.key_result_id: score.self_score for score in row.scores},
        went_well=row.went_well,
        do_differently=row.do_differently,
        updated_at=row.updated_at,
    )


async def reflection_for(
    session: AsyncSession, person_id: int, quarter: Quarter | str
) -> Reflection | None:
    row = await session.scalar(
        select(ReflectionRow).where(
            ReflectionRow.person_id == person_id, ReflectionRow.quarter == _quarter_id(quarter)
        )
    )
    return _to_reflection(row) if row is not None else None


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip() or None


async def save_reflection(
    session: AsyncSession,
    person_id: int,
    quarter: Quarter | str,
    self_scores: Mapping[int, float],
    went_well: str | None,
    do_differently: str | None,
    now: datetime,
) -> Reflection:
    """Create or replace a person's reflection on a quarter; the self-scores given replace the
    stored ones. Raises ValueError for a score outside 0.0–1.0 or a key result they do not own.
    """
    quarter_id = _quarter_id(quarter)
    owned = await session.scalars(
        select(KeyResultRow.id)
        .join(ObjectiveRow, KeyResultRow.objective_id == ObjectiveRow.id)
        .where(
            KeyResultRow.owner_id == person_id,
            ObjectiveRow.quarter == quarter_id,
            KeyResultRow.archived_at.is_(None),
            approved(),
        )
    )
    scores = check_self_scores(self_scores, owned)
    row = await session.scalar(
        select(ReflectionRow).where(
            ReflectionRow.person_id == person_id, ReflectionRow.quarter == quarter_id
        )
    )
    if row is None:
        row = ReflectionRow(person_id=person_id, quarter=quarter_id, created_at=now, scores=[])
        session.add(row)
    row.went_well = _clean(went_well)
    row.do_differently = _clean(do_differently)
    row.updated_at = now
    # Updated in place: replacing the list would insert before deleting and collide on the key.
    existing = {score.key_result_id: score for score in row.scores}
    for kr_id in set(existing) - set(scores):
        row.scores.remove(existing[kr_id])
    for kr_id, value in scores.items():
        if kr_id in existing:
            existing[kr_id].self_score = value
        else:
            row.scores.append(ReflectionScoreRow(key_result_id=kr_id, self_score=value))
    await session.flush()
    return _to_reflection(row)


async def reflections_missing(session: AsyncSession, manager_id: int, quarter: str) -> bool:
    """Whether a direct report of `manager_id` who owns key results in `quarter` (and has not
    left) has not reflected on it yet."""
    owners = (
        select(KeyResultRow.owner_id)
        .join(ObjectiveRow, ObjectiveRow.id == KeyResultRow.objective_id)
        .where(
            ObjectiveRow.quarter == quarter,
            ObjectiveRow.archived_at.is_(None),
            KeyResultRow.archived_at.is_(None),
            approved(),
        )
    )
    reflected = select(ReflectionRow.person_id).where(ReflectionRow.quarter == quarter)
    missing = await session.scalar(
        select(PersonRow.id)
        .where(
            PersonRow.manager_id == manager_id,
            PersonRow.deactivated_at.is_(None),
            PersonRow.id.in_(owners),
            PersonRow.id.not_in(reflected),
        )
        .limit(1)
    )
    return missing is not None
