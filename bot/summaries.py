"""The quarter-end summary a manager takes into each end-of-quarter conversation.

For every direct report it lays out what was reached (final values, scores and colours, each
objective read against what its kind expects), how the person saw it themselves (self-scores and
reflection), and how the quarter felt week by week (confidence history, check-in rhythm, kudos).
The one-line diagnosis separates results from rhythm, because the conversation to have differs:
missed targets with a steady weekly habit point at strategy or targets, missed check-ins point at
the habit first.

Above the people, a manager sees the objectives their whole org owns, as an alignment tree with
scores only: a team objective whose key results are all delegated still shows under its owner,
and progress rolls up from aligned objectives to their parent (`alignment_progress`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from okrbot.bot.checkins import week_label
from okrbot.bot.domain import (
    Confidence,
    KeyResult,
    KeyResultType,
    Objective,
    ObjectiveKind,
    Person,
    Reflection,
)
from okrbot.bot.messages import Block, Context, Header, Image, Message, Text
from okrbot.bot.overview import ReceivedKudos
from okrbot.bot.paging import MAX_PAGE_TEXT, paginate, text_blocks
from okrbot.bot.quarters import Quarter, week_key, week_start
from okrbot.bot.scoring import (
    Grade,
    format_value,
    grade,
    key_result_progress,
    objective_score,
    read_against_expectation,
    shown,
)

COACHING_NOTE = (
    "OKR scores are context for your coaching conversation. They are not a performance rating "
    "and not a compensation input."
)
PRIVACY_NOTE = (
    "🔒 Only you receive this summary: check-in notes and reflections stay between each person "
    "and their manager."
)
CONFIDENCE_LEGEND = "Confidence by week: 🟢 on track · 🟡 at risk · 🔴 off track · ⚪ no check-in"
GRADE_EMOJI = {Grade.GREEN: "🟢", Grade.YELLOW: "🟡", Grade.RED: "🔴"}
CONFIDENCE_EMOJI = {Confidence.ON_TRACK: "🟢", Confidence.AT_RISK: "🟡", Confidence.OFF_TRACK: "🔴"}
NO_CHECKIN = "⚪"
MAX_KUDOS_QUOTES = 3
LOW_SCORE = 0.4
STEADY_RHYTHM = 0.75
ORG_HEADER = "Objectives your org owns"
ORG_NOTE = (
    "Each objective is scored over all its key results, whoever they are delegated to. "
    "“Aligned” is the mean score of the objectives aligned under it (one without key results "
    "counts with its own aligned score). Scores only: notes stay with each person's manager."
)


@dataclass(frozen=True, slots=True)
class WeekCheckIn:
    period: str
    value: float
    confidence: Confidence


@dataclass(frozen=True, slots=True)
class KeyResultQuarter:
    key_result: KeyResult
    checkins: tuple[WeekCheckIn, ...] = ()

    @property
    def score(self) -> float:
        return key_result_progress(self.key_result)


@dataclass(frozen=True, slots=True)
class ObjectiveQuarter:
    """An objective with the key results one person owns in it; scored over those, since the
    summary is about that person's part."""

    objective: Objective
    key_results: tuple[KeyResultQuarter, ...]

    @property
    def score(self) -> float | None:
        return objective_score([item.key_result for item in self.key_results])


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    """Feedback a person asked their manager for this quarter (one per key result's check-in),
    and how many of those the manager answered with a reply or a 👍 after it was asked."""

    asked: int = 0
    answered: int = 0

    @property
    def unanswered(self) -> int:
        return self.asked - self.answered


@dataclass(frozen=True, slots=True)
class PersonQuarter:
    person: Person
    objectives: tuple[ObjectiveQuarter, ...]
    weeks_asked: int = 0
    weeks_answered: int = 0
    kudos: tuple[ReceivedKudos, ...] = ()
    reflection: Reflection | None = None
    feedback: FeedbackCount = FeedbackCount()

    @property
    def mean_score(self) -> float | None:
        scores = [s for s in (o.score for o in self.objectives) if s is not None]
        return sum(scores) / len(scores) if scores else None

    @property
    def missed_commitments(self) -> int:
        """Committed objectives that landed short of 1.0 (as shown)."""
        return sum(
            item.objective.kind is ObjectiveKind.COMMITTED
            and item.score is not None
            and shown(item.score) < 1.0
            for item in self.objectives
        )

    @property
    def participation(self) -> float | None:
        return self.weeks_answered / self.weeks_asked if self.weeks_asked else None


@dataclass(frozen=True, slots=True)
class AlignedProgress:
    """An objective's progress up the alignment tree.

    `own` is the mean progress of all its key results, whoever owns them; `aligned` the mean
    `rolled` score of the objectives aligned directly under it that have one (`aligned_count`).
    """

    own: float | None
    aligned: float | None = None
    aligned_count: int = 0

    @property
    def rolled(self) -> float | None:
        """What the objective passes up to its parent: its own score, or for an objective
        without key results, the score of what is aligned under it."""
        return self.own if self.own is not None else self.aligned


@dataclass(frozen=True, slots=True)
class OrgObjective:
    """An objective someone in a manager's org owns, with where it sits in the org's tree."""

    objective: Objective
    owner: str
    depth: int
    progress: AlignedProgress
    key_results: int
    delegated: int


@dataclass(frozen=True, slots=True)
class SummaryData:
    manager: Person
    quarter: Quarter
    reports: tuple[PersonQuarter, ...]
    org_objectives: tuple[OrgObjective, ...] = ()


def _aligned_children(objectives: Mapping[int, Objective]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for objective in objectives.values():
        parent = objective.parent_id
        if parent is not None and parent != objective.id and parent in objectives:
            children[parent].append(objective.id)
    return children


def alignment_progress(
    objectives: Mapping[int, Objective], key_results: Mapping[int, Sequence[KeyResult]]
) -> dict[int, AlignedProgress]:
    """Every objective's progress rolled up the alignment tree (`key_results` by objective id).

    Computed children first, without recursion; an alignment loop in imported data is cut
    where it closes, so each objective is counted once.
    """
    children = _aligned_children(objectives)
    progress: dict[int, AlignedProgress] = {}
    for root in objectives:
        on_path: set[int] = set()
        stack = [(root, False)]
        while stack:
            objective_id, expanded = stack.pop()
            if objective_id in progress:
                continue
            if not expanded:
                on_path.add(objective_id)
                stack.append((objective_id, True))
                stack.extend(
                    (child, False)
                    for child in children.get(objective_id, ())
                    if child not in progress and child not in on_path
                )
                continue
            rolled = [
                score
                for child in children.get(objective_id, ())
                if child in progress and (score := progress[child].rolled) is not None
            ]
            progress[objective_id] = AlignedProgress(
                own=objective_score(key_results.get(objective_id, ())),
                aligned=sum(rolled) / len(rolled) if rolled else None,
                aligned_count=len(rolled),
            )
    return progress


def org_objectives(
    owned: Sequence[Objective],
    key_results: Mapping[int, Sequence[KeyResult]],
    progress: Mapping[int, AlignedProgress],
    names: Mapping[int, str],
) -> tuple[OrgObjective, ...]:
    """An org's objectives (`owned`, in plan order) as a tree: each under the org objective it
    is aligned to, the others at the top."""
    objectives = {o.id: o for o in owned}
    owned_ids = set(objectives)
    children = _aligned_children(objectives)
    found: list[OrgObjective] = []
    placed: set[int] = set()
    roots = [o.id for o in owned if o.parent_id not in owned_ids or o.parent_id == o.id]
    # An org objective inside an alignment loop has an org parent but no root above it.
    for start in [*roots, *(o.id for o in owned)]:
        stack = [(start, 0)]
        while stack:
            objective_id, depth = stack.pop()
            if objective_id in placed:
                continue
            placed.add(objective_id)
            objective = objectives[objective_id]
            items = key_results.get(objective_id, ())
            found.append(
                OrgObjective(
                    objective=objective,
                    owner=names.get(objective.owner_id, "someone"),
                    depth=depth,
                    progress=progress[objective_id],
                    key_results=len(items),
                    delegated=sum(kr.owner_id != objective.owner_id for kr in items),
                )
            )
            stack.extend((child, depth + 1) for child in reversed(children.get(objective_id, [])))
    return tuple(found)


def score_text(score: float, kind: ObjectiveKind = ObjectiveKind.ASPIRATIONAL) -> str:
    """`0.70 🟢`: the score as shown, coloured by what its kind of objective expects."""
    return f"{score:.2f} {GRADE_EMOJI[grade(score, kind)]}"


def participation_text(person: PersonQuarter) -> str:
    if not person.weeks_asked:
        return "not asked to check in this quarter"
    return f"answered {person.weeks_answered} of {person.weeks_asked} weeks asked"


def diagnosis(person: PersonQuarter) -> str:
    """Results or rhythm: which conversation to start with."""
    score = person.mean_score
    if score is None:
        return "no key results this quarter"
    low = shown(score) < LOW_SCORE
    rate = person.participation
    if rate is None:
        if low:
            return "no check-ins were asked, so start with the weekly habit"
        return "a commitment landed short of 1.0" if person.missed_commitments else "good results"
    steady = rate >= STEADY_RHYTHM
    if low and steady:
        return "results: the rhythm is there, so look at strategy or targets"
    if low:
        return "rhythm: check-ins were missed, so start with the weekly habit"
    if person.missed_commitments:
        missed = "a commitment landed short of 1.0"
        if not steady:
            return f"{missed} and the rhythm was patchy; start with what got in the way"
        return f"{missed}: the rhythm is there, so talk about what got in the way"
    if not steady:
        return "good results, patchy rhythm"
    return "steady rhythm and good results"


def confidence_history(checkins: Sequence[WeekCheckIn]) -> str:
    """One emoji per week from the first check-in to the last, ⚪ for weeks without one."""
    if not checkins:
        return ""
    by_period = {c.period: c.confidence for c in checkins}
    ordered = sorted(by_period)
    first, last = week_start(ordered[0]), week_start(ordered[-1])
    weeks = (last - first).days // 7 + 1
    marks = []
    for offset in range(weeks):
        period = _week_after(ordered[0], offset)
        found = by_period.get(period)
        marks.append(CONFIDENCE_EMOJI[found] if found else NO_CHECKIN)
    return "".join(marks)


def _week_after(period: str, weeks: int) -> str:
    return week_key(week_start(period) + timedelta(weeks=weeks))


def _key_result_lines(
    item: KeyResultQuarter, kind: ObjectiveKind, reflection: Reflection | None
) -> list[str]:
    kr = item.key_result
    final = format_value(kr.current, kr.type, kr.unit)
    if not kr.is_milestone:
        target = format_value(kr.target, kr.type, kr.unit)
        if kr.target < kr.start:
            # `44.6 of 40 days` would read as progress towards 40; this one should fall to it.
            final = f"{final} (target: down to {target})"
        else:
            # `65 of 100 users`: the unit once, after the target.
            unit = None if kr.type is KeyResultType.NUMBER else kr.unit
            final = f"{format_value(kr.current, kr.type, unit)} of {target}"
    line = f"• **{kr.title}** · final {final} · {score_text(item.score, kind)}"
    self_score = reflection.self_scores.get(kr.id) if reflection else None
    if self_score is not None:
        line += f" · self-score {self_score:.2f}"
    lines = [line]
    history = confidence_history(item.checkins)
    if history:
        last = max(c.period for c in item.checkins)
        lines.append(f"   confidence {history} (to {week_label(last)})")
    else:
        lines.append("   no check-ins this quarter")
    return lines


def _quoted(text: str) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in text.strip().splitlines()]


def feedback_line(feedback: FeedbackCount) -> str:
    """`🙋 Asked for your feedback 3 times: 2 answered, 1 unanswered`."""
    times = "once" if feedback.asked == 1 else f"{feedback.asked} times"
    return (
        f"🙋 Asked for your feedback {times}: {feedback.answered} answered, "
        f"{feedback.unanswered} unanswered"
    )


def _person_section(person: PersonQuarter, chart_url: str | None) -> list[Block]:
    blocks: list[Block] = [Header(person.person.name)]
    score = person.mean_score
    head = f"Mean objective score {score_text(score)}" if score is not None else "No key results"
    lines = [f"{head} · {participation_text(person)}"]
    for item in person.objectives:
        objective, objective_value = item.objective, item.score
        if objective_value is None:
            continue
        lines.append(
            f"🎯 **{objective.title}** · {score_text(objective_value, objective.kind)} · "
            f"{objective.kind.value}"
        )
        lines.append(f"_{read_against_expectation(objective_value, objective.kind)}_")
        for kr_item in item.key_results:
            lines.extend(_key_result_lines(kr_item, objective.kind, person.reflection))
    if person.feedback.asked:
        lines.append(feedback_line(person.feedback))
    if person.kudos:
        quotes = " · ".join(f"“{k.message}” ({k.giver})" for k in person.kudos[:MAX_KUDOS_QUOTES])
        more = len(person.kudos) - MAX_KUDOS_QUOTES
        if more > 0:
            quotes += f" · and {more} more"
        lines.append(f"🙌 Kudos this quarter ({len(person.kudos)}): {quotes}")
    else:
        lines.append("🙌 No kudos this quarter.")
    reflection = person.reflection
    if reflection and (reflection.went_well or reflection.do_differently):
        if reflection.went_well:
            lines.append("**What went well**")
            lines.extend(_quoted(reflection.went_well))
        if reflection.do_differently:
            lines.append("**What would you do differently**")
            lines.extend(_quoted(reflection.do_differently))
    else:
        lines.append("No reflection written yet.")
    blocks.extend(text_blocks(lines))
    if chart_url:
        blocks.append(Image(chart_url, f"Key result progress of {person.person.name}"))
    return blocks


def org_objective_line(item: OrgObjective) -> str:
    """`🎯 **Title** (Owner) · 0.55 🟡 over 3 key results (2 delegated) · aligned 0.62 🟡 …`"""
    objective, progress = item.objective, item.progress
    # Em spaces: both platforms' markdown drop leading ordinary spaces.
    indent = "\u2003" * (item.depth - 1) + "↳ " if item.depth else ""
    line = f"{indent}🎯 **{objective.title}** ({item.owner})"
    if progress.own is not None:
        count = f"{item.key_results} key result{'s' if item.key_results != 1 else ''}"
        delegated = f" ({item.delegated} delegated)" if item.delegated else ""
        line += f" · {score_text(progress.own, objective.kind)} over {count}{delegated}"
    else:
        line += " · no key results of its own"
    if progress.aligned is not None:
        count = f"{progress.aligned_count} objective{'s' if progress.aligned_count != 1 else ''}"
        line += f" · aligned {score_text(progress.aligned)} across {count}"
    return line


def _org_section(objectives: Sequence[OrgObjective]) -> list[Block]:
    if not objectives:
        return []
    lines = [org_objective_line(item) for item in objectives]
    return [Header(ORG_HEADER), *text_blocks(lines), Context(ORG_NOTE)]


def overview_line(person: PersonQuarter) -> str:
    score = person.mean_score
    shown = score_text(score) if score is not None else "no score"
    return (
        f"**{person.person.name}** · {shown} · {participation_text(person)} · {diagnosis(person)}"
    )


def build_summary(data: SummaryData, chart_urls: Mapping[int, str] | None = None) -> list[Message]:
    """The manager's quarter-end summary, split so that each message stays within limits.

    `chart_urls` maps a person id to an uploaded progress chart; people without one get none.
    """
    urls = chart_urls or {}
    title = f"Quarter summary · {data.quarter.id}"
    overview: list[Block] = [Text(f"**{COACHING_NOTE}**"), Header("Your team at a glance")]
    if data.reports:
        overview.extend(text_blocks([overview_line(p) for p in data.reports]))
        overview.append(Context(CONFIDENCE_LEGEND))
    else:
        overview.append(Text("No one reports to you in okrbot this quarter."))
    sections = [
        overview,
        _org_section(data.org_objectives),
        *(_person_section(p, urls.get(p.person.id)) for p in data.reports),
    ]
    pages = paginate([s for s in sections if s], reserved=2, max_text=MAX_PAGE_TEXT)
    messages = []
    for index, page in enumerate(pages, start=1):
        part = f" ({index} of {len(pages)})" if len(pages) > 1 else ""
        blocks: list[Block] = [Header(f"{title}{part}"), *page]
        if index == len(pages):
            blocks.append(Context(f"{PRIVACY_NOTE} {COACHING_NOTE}"))
        messages.append(Message(summary=f"{title} for your team{part}", blocks=tuple(blocks)))
    return messages
