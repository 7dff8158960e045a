"""The quarter-end reflection: each person scores their own key results and looks back.

Self-scores sit beside the computed scores in the manager's quarter summary; the gap between
the two is often the most useful part of the conversation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from okrbot.bot.checkins import KeyResultStatus, parse_number
from okrbot.bot.domain import ObjectiveKind, Reflection
from okrbot.bot.holidays import Holidays
from okrbot.bot.messages import (
    Actions,
    Button,
    ButtonStyle,
    Context,
    Form,
    FormItem,
    Header,
    Message,
    NumberInput,
    Text,
    TextInput,
)
from okrbot.bot.quarters import Quarter, week_key
from okrbot.bot.scoring import key_result_progress

REFLECT = "reflection_open"
FORM_ID = "reflection_form"
WENT_WELL = "went-well"
DO_DIFFERENTLY = "do-differently"
TEXT_MAX = 3000
KEY_RESULTS_PER_FORM = 25
# How long after the quarter ends people can still write or edit their reflection.
WINDOW_AFTER_QUARTER = timedelta(weeks=1)


@dataclass(frozen=True, slots=True)
class ReflectionWindow:
    """People reflect from the start of the quarter's second-to-last week until a week after
    it ends. A manager's summary waits for their reports' reflections, at most that long."""

    quarter: Quarter

    @property
    def weeks(self) -> tuple[str, str]:
        """The check-in weeks in which the reflection prompt goes out (the second is a
        fallback for someone who was away in the first)."""
        return week_key(self.quarter.end - timedelta(weeks=1)), week_key(self.quarter.end)

    @property
    def last_day(self) -> date:
        return self.quarter.end + WINDOW_AFTER_QUARTER

    def is_open(self, day: date) -> bool:
        return day <= self.last_day

    def summary_earliest(self, holidays: Holidays, at: time, zone: ZoneInfo) -> datetime:
        """The first working day after the quarter ends, at the manager's digest time."""
        return holidays.working_moment(self.quarter.end + timedelta(days=1), at, zone)

    def summary_deadline(self, holidays: Holidays, at: time, zone: ZoneInfo) -> datetime:
        """The window's last day (or the next working day), at the manager's digest time."""
        return holidays.working_moment(self.last_day, at, zone)


def reflection_window(quarter: Quarter) -> ReflectionWindow:
    return ReflectionWindow(quarter)


def scoring_note(statuses: Sequence[KeyResultStatus]) -> str:
    """What a good score is, for the kinds of objectives this person owns."""
    kinds = {status.objective.kind for status in statuses}
    committed = "Committed objectives are promises: 1.0 is expected."
    aspirational = "For aspirational ones, about 0.7 is a good result."
    if kinds == {ObjectiveKind.COMMITTED}:
        text = committed
    elif ObjectiveKind.COMMITTED in kinds:
        text = f"{committed} {aspirational}"
    else:
        text = "About 0.7 is a good result for an aspirational objective."
    return f"{text} Scores are for learning, not a rating."


def _until(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def self_score_id(key_result_id: int) -> str:
    return f"kr-{key_result_id}-self"


@dataclass(frozen=True, slots=True)
class ParsedReflection:
    self_scores: Mapping[int, float]
    went_well: str | None
    do_differently: str | None
    errors: Mapping[str, str]


def reflection_prompt(
    first_name: str, window: ReflectionWindow, statuses: Sequence[KeyResultStatus]
) -> Message:
    quarter = window.quarter.id
    return Message(
        summary=f"Time to look back on {quarter}",
        blocks=(
            Header(f"Looking back on {quarter}"),
            Text(
                f"Hi {first_name}, {quarter} ends on {_until(window.quarter.end)}. Score each "
                "of your key results from 0.0 to 1.0 as you see it, and note what went well "
                "and what you would do differently. It goes to your manager with the quarter "
                f"summary; you can write or edit it until {_until(window.last_day)}."
            ),
            Actions((Button("Reflect on the quarter", REFLECT, quarter, ButtonStyle.PRIMARY),)),
            Context(scoring_note(statuses)),
        ),
    )


def reflection_form(
    window: ReflectionWindow, statuses: Sequence[KeyResultStatus], existing: Reflection | None
) -> Form:
    quarter = window.quarter.id
    items: list[FormItem] = []
    for status in statuses[:KEY_RESULTS_PER_FORM]:
        kr = status.key_result
        computed = key_result_progress(kr)
        mine = existing.self_scores.get(kr.id) if existing else None
        items.append(Text(f"**{kr.title}**\nComputed score: {computed:.2f}"))
        items.append(
            NumberInput(
                self_score_id(kr.id),
                "Your score (0.0 to 1.0)",
                initial=round(mine if mine is not None else computed, 2),
            )
        )
    items.append(
        TextInput(
            WENT_WELL,
            "What went well?",
            existing.went_well if existing else None,
            optional=True,
            multiline=True,
            max_length=TEXT_MAX,
        )
    )
    items.append(
        TextInput(
            DO_DIFFERENTLY,
            "What would you do differently?",
            existing.do_differently if existing else None,
            optional=True,
            multiline=True,
            max_length=TEXT_MAX,
        )
    )
    return Form(
        id=FORM_ID,
        title=f"Reflect on {quarter}",
        submit_label="Save",
        items=tuple(items),
        intro=(
            f"Only you and your manager see this. {scoring_note(statuses)} You can edit it "
            f"until {_until(window.last_day)}, or until your manager's summary goes out."
        ),
    )


def _text(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    text = str(value).strip() if value is not None else ""
    return text or None


def parse_reflection(
    statuses: Sequence[KeyResultStatus], raw: Mapping[str, object]
) -> ParsedReflection:
    """Read self-scores for the person's own key results only; anything else is ignored."""
    scores: dict[int, float] = {}
    errors: dict[str, str] = {}
    for status in statuses[:KEY_RESULTS_PER_FORM]:
        field = self_score_id(status.key_result.id)
        text = _text(raw, field)
        if text is None:
            continue
        try:
            value = parse_number(text)
        except ValueError:
            errors[field] = f"“{text[:20]}” is not a number; use 0.0 to 1.0, e.g. 0.7"
            continue
        if not 0.0 <= value <= 1.0:
            errors[field] = "Use a score from 0.0 to 1.0."
            continue
        scores[status.key_result.id] = value
    went_well, differently = _text(raw, WENT_WELL), _text(raw, DO_DIFFERENTLY)
    for field, text in ((WENT_WELL, went_well), (DO_DIFFERENTLY, differently)):
        if text is not None and len(text) > TEXT_MAX:
            errors[field] = f"Keep it under {TEXT_MAX} characters."
    return ParsedReflection(scores, went_well, differently, errors)


def reflection_saved(quarter: str) -> Message:
    return Message(
        summary=f"Reflection on {quarter} saved",
        blocks=(
            Text(
                f"Thanks! Your reflection on {quarter} is saved. It goes to your manager with "
                "the quarter summary; you can edit it until then."
            ),
            Actions((Button("Edit", REFLECT, quarter),)),
        ),
    )


def reflection_closed(quarter: str) -> Message:
    return Message(
        summary=f"The {quarter} reflection is closed",
        blocks=(
            Text(
                f"The reflection on {quarter} is closed: its summary has gone to your manager "
                "or the week after the quarter is over. Talk it through in your next 1:1."
            ),
        ),
    )
