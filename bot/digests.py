"""The weekly manager digest: how each direct report's week went, in one private message.

A manager reads this before their one-to-ones, so it leads with who checked in and what changed
(values, progress, confidence), quotes notes and blockers verbatim, flags key results that went
quiet, and offers a nudge for those who have not answered yet. Managers of managers also see how
each of their managers' teams is doing, as counts only: what someone tells their own manager
stays between the two of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from okrbot.bot.checkin_replies import CheckInRef, digest_actions
from okrbot.bot.checkins import week_label
from okrbot.bot.domain import CheckIn, Confidence, KeyResult, KeyResultType, Person
from okrbot.bot.messages import Actions, Block, Button, Context, Header, Message, Text
from okrbot.bot.overview import ReceivedKudos
from okrbot.bot.paging import clip, paginate, text_blocks
from okrbot.bot.quarters import Quarter
from okrbot.bot.scoring import (
    effective_confidence,
    format_value,
    key_result_progress,
    value_change,
)

# The "Nudge" button on a digest: the manager asks okrbot to remind one report now (it queues
# a DeliveryKind.NUDGE delivery).
NUDGE_ACTION = "digest_nudge"
BUTTONS_PER_ROW = 5
NOTE_PREVIEW = 1500
PRIVACY_NOTE = (
    "🔒 Only you receive this digest: check-in notes stay between each person and their "
    "manager. OKR scores are context for your coaching conversations, not a performance rating."
)


class WeekStatus(StrEnum):
    CHECKED_IN = "checked_in"
    NOT_YET = "not_yet"
    SKIPPED = "skipped"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class KeyResultWeek:
    """One key result this week: this week's check-in, the one before it, and whether it is
    stale (no check-in for two periods, see `scoring.is_stale`)."""

    key_result: KeyResult
    objective_title: str
    this_week: CheckIn | None
    previous: CheckIn | None
    stale: bool

    @property
    def reported(self) -> Confidence | None:
        latest = self.this_week or self.previous
        return latest.confidence if latest else None

    @property
    def confidence(self) -> Confidence | None:
        """What the manager should read: silence never counts as on track."""
        return effective_confidence(self.reported, self.stale)


@dataclass(frozen=True, slots=True)
class ReportWeek:
    """A direct report's week. `asked`: okrbot prompted them (or they answered or skipped);
    a digest lists only those, so nobody who was never asked reads as "not checked in"."""

    person: Person
    status: WeekStatus
    key_results: tuple[KeyResultWeek, ...] = ()
    kudos: tuple[ReceivedKudos, ...] = ()
    asked: bool = True


@dataclass(frozen=True, slots=True)
class TeamCounts:
    """A direct report's whole team below them, reduced to counts for their manager's manager."""

    lead: Person
    people: int
    checked_in: int
    at_risk: int
    off_track: int
    paused: int = 0


@dataclass(frozen=True, slots=True)
class DigestData:
    manager: Person
    period: str
    quarter: Quarter
    reports: tuple[ReportWeek, ...]
    rollup: tuple[TeamCounts, ...] = ()


def first_name(person: Person) -> str:
    parts = person.name.split()
    return parts[0] if parts else person.email


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _short_date(day: date) -> str:
    return f"{day.day} {day:%b}"


def _status_label(report: ReportWeek) -> str:
    if report.status is WeekStatus.CHECKED_IN:
        return "✅ checked in"
    if report.status is WeekStatus.SKIPPED:
        return "⏭️ skipped this week"
    if report.status is WeekStatus.PAUSED:
        until = report.person.paused_until
        return f"⏸️ paused until {_short_date(until)}" if until else "⏸️ paused"
    return "⏳ not checked in yet"


def _percent(kr: KeyResult, value: float) -> str:
    return f"{round(key_result_progress(kr, value) * 100)}%"


def _bare(kr: KeyResult, value: float) -> str:
    """A "from" value without a trailing unit, so `45 → 50 tickets` reads as one phrase."""
    unit = None if kr.type is KeyResultType.NUMBER else kr.unit
    return format_value(value, kr.type, unit)


def confidence_change(before: Confidence | None, after: Confidence) -> str:
    if before is None or before is after:
        return after.label
    return f"{before.label} → {after.label}"


def describe_change(item: KeyResultWeek) -> list[str]:
    """A key result's line for the digest, followed by this week's note quoted verbatim."""
    kr, now, before = item.key_result, item.this_week, item.previous

    def value(v: float) -> str:
        return format_value(v, kr.type, kr.unit)

    if now is not None and before is not None:
        change = value_change(kr, before.value, now.value)
        detail = (
            f"{_bare(kr, before.value)} → {value(now.value)} ({change})"
            f" · {_percent(kr, before.value)} → {_percent(kr, now.value)}"
            f" · {confidence_change(before.confidence, now.confidence)}"
        )
    elif now is not None:
        detail = f"{value(now.value)} · {_percent(kr, now.value)} · {now.confidence.label}"
        detail += " · first check-in"
    elif before is not None:
        detail = (
            f"no check-in this week · last ({week_label(before.period)}): {value(before.value)}"
            f" · {_percent(kr, before.value)} · {before.confidence.label}"
        )
    else:
        detail = "no check-ins yet"
    if item.stale:
        shown = item.confidence
        detail += " · ⚠️ no check-in for two weeks"
        if item.reported is not shown and shown is not None:
            detail += f", so read as {shown.label.lower()}"
    lines = [f"• **{kr.title}**: {detail}"]
    if now is not None and now.note and now.note.strip():
        note = clip(now.note.strip(), NOTE_PREVIEW)
        lines.extend(f"> {line}" if line.strip() else ">" for line in note.splitlines())
    return lines


def _feedback_section(reports: Sequence[ReportWeek]) -> list[Block]:
    """Who asked for the manager's feedback this week, and on what: read first."""
    lines = []
    for report in reports:
        asked = [
            item.key_result.title
            for item in report.key_results
            if item.this_week is not None and item.this_week.feedback_requested
        ]
        if asked:
            titles = ", ".join(f"**{title}**" for title in asked)
            lines.append(f"• **{report.person.name}** on {titles}")
    if not lines:
        return []
    return [
        *text_blocks([f"🙋 **Asked for your feedback** ({_people(len(lines))})", *lines]),
        Context("Answer with Reply or 👍 under their check-in below."),
    ]


def _report_section(report: ReportWeek, period: str) -> list[Block]:
    lines = [f"**{report.person.name}** · {_status_label(report)}"]
    for item in report.key_results:
        lines.extend(describe_change(item))
    if not report.key_results:
        lines.append("No key results this quarter.")
    for kudos in report.kudos:
        lines.append(f"🙌 Kudos from **{kudos.giver}**: {kudos.message}")
    blocks = text_blocks(lines)
    if report.status is WeekStatus.CHECKED_IN:
        # Answer the check-in from here: 👍, recognition, or a reply in its thread.
        ref = CheckInRef(report.person.id, period)
        blocks.append(digest_actions(ref, first_name(report.person)))
    return blocks


def _counts(data: DigestData) -> tuple[int, int, int, int, int, int]:
    expected = [r for r in data.reports if r.status is not WeekStatus.PAUSED]
    checked = sum(r.status is WeekStatus.CHECKED_IN for r in expected)
    items = [item for r in data.reports for item in r.key_results]
    at_risk = sum(item.confidence is Confidence.AT_RISK for item in items)
    off_track = sum(item.confidence is Confidence.OFF_TRACK for item in items)
    kudos = sum(len(r.kudos) for r in data.reports)
    return checked, len(expected), at_risk, off_track, kudos, len(data.reports) - len(expected)


def team_line(data: DigestData) -> str:
    """`Checked in 4 of 6 · 2 key results at risk, 1 off track · kudos this week: 3`."""
    checked, expected, at_risk, off_track, kudos, paused = _counts(data)
    parts = [
        f"Checked in {checked} of {expected}",
        f"{plural(at_risk, 'key result')} at risk, {off_track} off track",
        f"kudos this week: {kudos}",
    ]
    if paused:
        parts.append(f"{paused} paused")
    return " · ".join(parts)


def _nudge_section(reports: Sequence[ReportWeek]) -> list[Block]:
    waiting = [r.person for r in reports if r.status is WeekStatus.NOT_YET]
    if not waiting:
        return []
    blocks: list[Block] = text_blocks(
        [f"**Not checked in yet:** {', '.join(person.name for person in waiting)}"]
    )
    buttons = [Button(f"Nudge {first_name(p)}", NUDGE_ACTION, str(p.id)) for p in waiting]
    for start in range(0, len(buttons), BUTTONS_PER_ROW):
        blocks.append(Actions(tuple(buttons[start : start + BUTTONS_PER_ROW])))
    return blocks


def rollup_line(team: TeamCounts) -> str:
    expected = team.people - team.paused
    return (
        f"**{team.lead.name}**'s team ({_people(team.people)}): checked in "
        f"{team.checked_in} of {expected} · {team.at_risk} at risk · {team.off_track} off track"
    )


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _rollup_section(rollup: Sequence[TeamCounts]) -> list[Block]:
    if not rollup:
        return []
    return [
        Header("Across your wider team"),
        *text_blocks([rollup_line(team) for team in rollup]),
        Context(
            "Counts only, for each of your managers' whole teams: notes and values stay between "
            "each person and their own manager."
        ),
    ]


def build_digest(data: DigestData) -> list[Message]:
    """The manager's weekly digest, in as many messages as the platforms' limits need."""
    week = week_label(data.period)
    if not data.reports:
        return [
            Message(
                summary=f"Team digest for {week}",
                blocks=(
                    Text(f"No one reports to you in okrbot, so there is no digest for {week}."),
                    Context(PRIVACY_NOTE),
                ),
            )
        ]
    line = team_line(data)
    sections: list[list[Block]] = [text_blocks([f"**{line}**"]), _feedback_section(data.reports)]
    sections.extend(_report_section(report, data.period) for report in data.reports)
    sections.append(_nudge_section(data.reports))
    sections.append(_rollup_section(data.rollup))
    pages = paginate([s for s in sections if s], reserved=2)
    messages = []
    for index, page in enumerate(pages, start=1):
        part = f" ({index} of {len(pages)})" if len(pages) > 1 else ""
        blocks: list[Block] = [Header(f"Your team · {week} · {data.quarter.id}{part}")]
        blocks.extend(page)
        if index == len(pages):
            blocks.append(Context(PRIVACY_NOTE))
        messages.append(
            Message(summary=f"Team digest for {week}{part}: {line}", blocks=tuple(blocks))
        )
    return messages
