"""Scores, grades, pace and staleness: the arithmetic every adapter shows the same way.

A score is context for a coaching conversation, never a performance or compensation rating, so
the wording here talks about ambition, learning and what got in the way, not about people.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum

from okrbot.bot.domain import Confidence, KeyResult, KeyResultType, ObjectiveKind
from okrbot.bot.quarters import Quarter

FILLED = "▰"
EMPTY = "▱"

# Scores come from means of floats; 0.7 can arrive as 0.6999999999999999. Comparing rounded
# values keeps a band edge on the side a person reading "0.7" would expect.
_PRECISION = 9


def _tidy(value: float) -> float:
    return round(value, _PRECISION)


def key_result_progress(kr: KeyResult, current: float | None = None) -> float:
    """How far a key result has moved from its start to its target, from 0.0 to 1.0.

    Works for targets below the start (churn from 3.5% to 2%) as well as above it. A milestone
    is done (1.0) once its value reaches 1, otherwise 0.0. A key result whose target equals its
    start has no distance to cover, so its progress is 1.0 when the current value equals the
    target and 0.0 otherwise; `okr_warnings` flags such key results for their owners.
    """
    value = kr.current if current is None else current
    if kr.is_milestone:
        return 1.0 if value >= 1 else 0.0
    distance = kr.target - kr.start
    if math.isclose(distance, 0.0, abs_tol=1e-12):
        return 1.0 if math.isclose(value, kr.target, rel_tol=1e-9, abs_tol=1e-12) else 0.0
    return min(1.0, max(0.0, (value - kr.start) / distance))


def objective_score(
    key_results: Sequence[KeyResult], currents: Mapping[int, float] | None = None
) -> float | None:
    """The mean progress of an objective's key results, or None when it has none to score.

    `currents` replaces current values by key-result id, so a check-in preview or a past week
    can be scored without building new KeyResult values.
    """
    if not key_results:
        return None
    overrides = currents or {}
    total = sum(key_result_progress(kr, overrides.get(kr.id)) for kr in key_results)
    return total / len(key_results)


class Grade(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


SHOWN_DECIMALS = 2


def shown(score: float) -> float:
    """A score as people read it (two decimals): what is graded is what is printed, so a 0.6967
    shown as 0.70 is green like every other 0.70."""
    return round(score, SHOWN_DECIMALS)


def grade(score: float, kind: ObjectiveKind = ObjectiveKind.ASPIRATIONAL) -> Grade:
    """Google's colour bands for aspirational objectives: 0.0–0.3 red, 0.4–0.6 yellow, 0.7–1.0
    green; scores between the bands fall to the lower colour (0.35 red, 0.65 yellow).

    A committed objective is a promise expected to land at 1.0, so only 1.0 is green; 0.7–0.99
    is yellow and anything lower red. The score is graded as shown, to two decimals.
    """
    value = shown(score)
    if kind is ObjectiveKind.COMMITTED:
        if value >= 1.0:
            return Grade.GREEN
        return Grade.YELLOW if value >= 0.7 else Grade.RED
    if value < 0.4:
        return Grade.RED
    if value < 0.7:
        return Grade.YELLOW
    return Grade.GREEN


def expectation(kind: ObjectiveKind) -> float:
    """Where an objective is expected to land: committed ones at 1.0, aspirational at about 0.7."""
    return 1.0 if kind is ObjectiveKind.COMMITTED else 0.7


def read_against_expectation(score: float, kind: ObjectiveKind) -> str:
    """A short, coaching-oriented reading of a score against what its kind of objective expects.

    Aspirational objectives are set so that about 0.7 is a good result; landing at 1.0 every time
    suggests they could be bolder. Committed objectives are promises, so anything short of 1.0 is
    worth a conversation about what got in the way, not a judgement of anyone.
    """
    value = shown(score)
    if kind is ObjectiveKind.COMMITTED:
        note = "(committed objectives are expected to land at 1.0)"
        if value >= 1.0:
            return f"delivered as committed {note}"
        if value >= 0.7:
            return f"short of the commitment; worth talking about what got in the way {note}"
        return f"well short of the commitment; a good moment to re-plan together {note}"
    note = "(aspirational objectives aim for about 0.7)"
    if value >= 1.0:
        return f"fully achieved; worth asking whether it could have been bolder {note}"
    if value >= 0.6:
        return f"a good stretch result {note}"
    if value >= 0.4:
        return f"partway there; a useful stretch to learn from {note}"
    return f"an early stage; worth talking about what got in the way and what was learned {note}"


def expected_progress(quarter: Quarter, day: date) -> float:
    """The progress a steady key result would show by the end of `day`: the quarter elapsed."""
    return quarter.fraction_elapsed(day)


def asked_since_last(
    asked: Iterable[str], last_checkin_period: str | None, current_period: str
) -> int:
    """How many of the weeks a person was asked in (`asked`, week keys) came after their last
    check-in, up to and including `current_period`."""
    return sum(
        1
        for week in asked
        if week <= current_period and (last_checkin_period is None or week > last_checkin_period)
    )


def is_stale_when_asked(asked_since_last_checkin: int, periods: int = 2) -> bool:
    """Stale: asked `periods` times since the last check-in (or ever) without an answer.

    Only weeks the person was asked count, so a key result is not stale in a mid-quarter
    newcomer's first week, nor after time away or a holiday with no prompt.
    """
    return asked_since_last_checkin >= periods


def effective_confidence(reported: Confidence | None, stale: bool) -> Confidence | None:
    """The confidence to show: a stale "on track" (or none at all) is shown as at risk.

    Silence is not evidence of being on track; a reported at-risk or off-track stays as it is.
    """
    if stale and reported in (Confidence.ON_TRACK, None):
        return Confidence.AT_RISK
    return reported


def progress_bar(progress: float, width: int = 10) -> str:
    """A text bar such as ▰▰▰▰▱▱▱▱▱▱, which renders in both Slack and Teams.

    The bar is full only at 1.0 and shows at least one block for any progress above 0.0, so
    rounding never makes unfinished work look done or started work look untouched.
    """
    if width < 1:
        raise ValueError(f"a progress bar needs a width of at least 1, not {width}")
    value = min(1.0, max(0.0, _tidy(progress)))
    filled = math.floor(value * width + 0.5)
    if 0.0 < value < 1.0:
        filled = min(max(filled, 1), width - 1) if width > 1 else 0
    return FILLED * filled + EMPTY * (width - filled)


def _number(value: float) -> str:
    """Up to two decimals with thousands separators and no trailing zeros: 12, 12.5, 12,500."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# Units that end in s in the singular too.
_ALWAYS_S = frozenset({"kudos", "news", "series", "species", "status", "bus", "gas", "lens"})


def unit_for(value: float, unit: str) -> str:
    """The unit as it reads after `value`: `1 hour`, `1 story`, but `2 hours` and `1 kg`."""
    if abs(value) != 1 or not unit.isalpha() or unit.lower() in _ALWAYS_S or len(unit) < 3:
        return unit
    if unit.endswith("ies"):
        return unit[:-3] + "y"
    if unit.endswith("s") and not unit.endswith(("ss", "us", "is")):
        return unit[:-1]
    return unit


def format_value(value: float, kr_type: KeyResultType, unit: str | None) -> str:
    """A key result value as people write it: `42 tickets`, `1 ticket`, `12.5%`, `12,500 USD`,
    `done`.

    A one-character currency symbol goes in front (`$12,500`); any other unit follows the number.
    """
    if kr_type is KeyResultType.MILESTONE:
        return "done" if value >= 1 else "not done"
    number = _number(value)
    unit = unit_for(float(number.replace(",", "")), (unit or "").strip())
    if kr_type is KeyResultType.PERCENT:
        return f"{number}%" if unit in ("", "%") else f"{number}% {unit}"
    if kr_type is KeyResultType.CURRENCY and len(unit) == 1 and not unit.isalnum():
        sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
        return f"{sign}{unit}{digits}"
    return f"{number} {unit}" if unit else number


def value_change(kr: KeyResult, before: float, after: float) -> str:
    """The change in a key result's value as a signed amount: `+5 tickets`, `-0.5 pts`."""
    if kr.is_milestone:
        if (after >= 1) == (before >= 1):
            return "no change"
        return "done" if after >= 1 else "reopened"
    delta = after - before
    if math.isclose(delta, 0.0, abs_tol=1e-9):
        return "no change"
    sign = "+" if delta > 0 else "-"
    if kr.type is KeyResultType.PERCENT:
        return f"{sign}{format_value(abs(delta), KeyResultType.NUMBER, None)} pts"
    return f"{sign}{format_value(abs(delta), kr.type, kr.unit)}"
