from __future__ import annotations

from datetime import date

import pytest

from okrbot.bot.checkins import CheckInEntry, KeyResultStatus, summary_message
from okrbot.bot.domain import (
    Confidence,
    KeyResult,
    KeyResultType,
    ObjectiveKind,
)
from okrbot.bot.markdown import messages_markdown
from okrbot.bot.quarters import Quarter
from okrbot.bot.scoring import (
    Grade,
    asked_since_last,
    effective_confidence,
    expectation,
    expected_progress,
    format_value,
    grade,
    is_stale_when_asked,
    key_result_progress,
    objective_score,
    progress_bar,
    read_against_expectation,
    value_change,
)


def kr(
    start: float,
    target: float,
    current: float,
    kr_type: KeyResultType = KeyResultType.NUMBER,
    id: int = 1,
) -> KeyResult:
    return KeyResult(
        id=id,
        objective_id=1,
        title="Key result",
        owner_id=1,
        type=kr_type,
        start=start,
        target=target,
        current=current,
    )


MILESTONE = KeyResultType.MILESTONE


@pytest.mark.parametrize(
    ("start", "target", "current", "kr_type", "expected"),
    [
        # increasing targets
        (0, 100, 50, KeyResultType.NUMBER, 0.5),
        (10, 20, 17, KeyResultType.NUMBER, 0.7),
        (0, 100, 100, KeyResultType.NUMBER, 1.0),
        # decreasing targets: churn from 3.5% to 2%
        (3.5, 2.0, 2.75, KeyResultType.PERCENT, 0.5),
        (3.5, 2.0, 2.0, KeyResultType.PERCENT, 1.0),
        (120, 60, 90, KeyResultType.NUMBER, 0.5),
        # current equals start
        (0, 100, 0, KeyResultType.NUMBER, 0.0),
        (3.5, 2.0, 3.5, KeyResultType.PERCENT, 0.0),
        # beyond the target is clamped to 1.0
        (0, 100, 150, KeyResultType.NUMBER, 1.0),
        (3.5, 2.0, 1.0, KeyResultType.PERCENT, 1.0),
        # below the start (the wrong way) is clamped to 0.0
        (10, 20, 5, KeyResultType.NUMBER, 0.0),
        (3.5, 2.0, 4.0, KeyResultType.PERCENT, 0.0),
        # negative ranges
        (-10, 10, 0, KeyResultType.NUMBER, 0.5),
        # milestones are done or not
        (0, 1, 0, MILESTONE, 0.0),
        (0, 1, 0.5, MILESTONE, 0.0),
        (0, 1, 1, MILESTONE, 1.0),
        (0, 1, 2, MILESTONE, 1.0),
        # target equals start: 1.0 only when current equals the target, never a division by zero
        (5, 5, 5, KeyResultType.NUMBER, 1.0),
        (5, 5, 6, KeyResultType.NUMBER, 0.0),
        (5, 5, 4, KeyResultType.NUMBER, 0.0),
        (0.3, 0.3, 0.1 + 0.2, KeyResultType.NUMBER, 1.0),
    ],
)
def test_key_result_progress(
    start: float, target: float, current: float, kr_type: KeyResultType, expected: float
) -> None:
    assert key_result_progress(kr(start, target, current, kr_type)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("override", "expected"),
    [(None, 0.2), (40, 0.4), (0, 0.0), (200, 1.0), (-5, 0.0)],
)
def test_key_result_progress_with_override(override: float | None, expected: float) -> None:
    assert key_result_progress(kr(0, 100, 20), override) == pytest.approx(expected)


def test_objective_score_is_the_mean_of_progress() -> None:
    krs = [kr(0, 100, 50, id=1), kr(3.5, 2.0, 2.0, id=2), kr(0, 1, 0, MILESTONE, id=3)]
    assert objective_score(krs) == pytest.approx(0.5)


def test_objective_score_without_key_results_is_none() -> None:
    assert objective_score([]) is None
    assert objective_score((), {1: 5.0}) is None


@pytest.mark.parametrize(
    ("currents", "expected"),
    [
        (None, 0.25),
        ({}, 0.25),
        ({1: 100}, 0.5),
        ({1: 0}, 0.0),
        ({2: 1}, 0.75),
        ({1: 100, 2: 1}, 1.0),
        ({99: 100}, 0.25),
    ],
)
def test_objective_score_with_overrides(currents: dict[int, float] | None, expected: float) -> None:
    krs = [kr(0, 100, 50, id=1), kr(0, 1, 0, MILESTONE, id=2)]
    assert objective_score(krs, currents) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.0, Grade.RED),
        (0.3, Grade.RED),
        (0.35, Grade.RED),
        (0.39, Grade.RED),
        (0.4, Grade.YELLOW),
        (0.6, Grade.YELLOW),
        (0.65, Grade.YELLOW),
        (0.69, Grade.YELLOW),
        (0.7, Grade.GREEN),
        (1.0, Grade.GREEN),
        # float noise from means stays on the side a reader of "0.7" or "0.4" expects
        (2.1 / 3, Grade.GREEN),
        ((0.1 + 0.2 + 0.9) / 3, Grade.YELLOW),
        (0.7 - 1e-12, Grade.GREEN),
    ],
)
def test_grade_bands(score: float, expected: Grade) -> None:
    assert grade(score) is expected


def test_grade_values() -> None:
    assert [g.value for g in Grade] == ["red", "yellow", "green"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [(ObjectiveKind.COMMITTED, 1.0), (ObjectiveKind.ASPIRATIONAL, 0.7)],
)
def test_expectation(kind: ObjectiveKind, expected: float) -> None:
    assert expectation(kind) == expected


ASPIRATIONAL = ObjectiveKind.ASPIRATIONAL
COMMITTED = ObjectiveKind.COMMITTED


@pytest.mark.parametrize(
    ("score", "kind", "starts_with"),
    [
        (0.65, ASPIRATIONAL, "a good stretch result"),
        (0.7, ASPIRATIONAL, "a good stretch result"),
        (0.9, ASPIRATIONAL, "a good stretch result"),
        (1.0, ASPIRATIONAL, "fully achieved"),
        (0.5, ASPIRATIONAL, "partway there"),
        (0.1, ASPIRATIONAL, "an early stage"),
        (1.0, COMMITTED, "delivered as committed"),
        (0.7, COMMITTED, "short of the commitment"),
        (0.99, COMMITTED, "short of the commitment"),
        (0.2, COMMITTED, "well short of the commitment"),
    ],
)
def test_read_against_expectation(score: float, kind: ObjectiveKind, starts_with: str) -> None:
    reading = read_against_expectation(score, kind)
    assert reading.startswith(starts_with)
    if kind is ASPIRATIONAL:
        assert reading.endswith("(aspirational objectives aim for about 0.7)")
    else:
        assert reading.endswith("(committed objectives are expected to land at 1.0)")


def test_read_against_expectation_examples() -> None:
    assert (
        read_against_expectation(0.65, ASPIRATIONAL)
        == "a good stretch result (aspirational objectives aim for about 0.7)"
    )
    assert read_against_expectation(0.7, COMMITTED).startswith("short of the commitment")


@pytest.mark.parametrize("score", [0.0, 0.2, 0.5, 0.7, 0.9, 1.0])
@pytest.mark.parametrize("kind", list(ObjectiveKind))
def test_readings_never_sound_like_a_rating(score: float, kind: ObjectiveKind) -> None:
    reading = read_against_expectation(score, kind).lower()
    for word in ("performance", "rating", "bonus", "compensation", "fail", "poor", "bad"):
        assert word not in reading


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 30), 0.0),
        (date(2026, 10, 1), 1 / 92),
        (date(2026, 11, 15), 46 / 92),
        (date(2026, 12, 31), 1.0),
        (date(2027, 1, 5), 1.0),
    ],
)
def test_expected_progress(day: date, expected: float) -> None:
    assert expected_progress(Quarter(2026, 4), day) == pytest.approx(expected)


EVERY_WEEK = [f"2026-W{n}" for n in range(40, 48)]


@pytest.mark.parametrize(
    ("asked", "last", "current", "expected"),
    [
        (EVERY_WEEK, "2026-W47", "2026-W47", False),
        (EVERY_WEEK, "2026-W46", "2026-W47", False),
        (EVERY_WEEK, "2026-W45", "2026-W47", True),
        (EVERY_WEEK, None, "2026-W47", True),
        # across the ISO year boundary (2026 has 53 weeks)
        (["2026-W52", "2026-W53", "2027-W01"], "2026-W53", "2027-W01", False),
        (["2026-W52", "2026-W53", "2027-W01"], "2026-W52", "2027-W01", True),
        # a newcomer in their first week, and in their second without an answer
        (["2026-W47"], None, "2026-W47", False),
        (["2026-W46", "2026-W47"], None, "2026-W47", True),
        # away for five weeks (not asked): only the week since counts
        (["2026-W40", "2026-W41", "2026-W47"], "2026-W41", "2026-W47", False),
        # a check-in dated after "now" (clock skew) is not stale
        (EVERY_WEEK, "2026-W48", "2026-W47", False),
    ],
)
def test_staleness_counts_only_weeks_the_person_was_asked(
    asked: list[str], last: str | None, current: str, expected: bool
) -> None:
    assert is_stale_when_asked(asked_since_last(asked, last, current)) is expected


@pytest.mark.parametrize(("asked", "periods", "expected"), [(1, 1, True), (2, 3, False)])
def test_staleness_with_other_periods(asked: int, periods: int, expected: bool) -> None:
    assert is_stale_when_asked(asked, periods) is expected


@pytest.mark.parametrize(
    ("reported", "stale", "expected"),
    [
        (Confidence.ON_TRACK, False, Confidence.ON_TRACK),
        (Confidence.AT_RISK, False, Confidence.AT_RISK),
        (Confidence.OFF_TRACK, False, Confidence.OFF_TRACK),
        (None, False, None),
        (Confidence.ON_TRACK, True, Confidence.AT_RISK),
        (None, True, Confidence.AT_RISK),
        (Confidence.AT_RISK, True, Confidence.AT_RISK),
        (Confidence.OFF_TRACK, True, Confidence.OFF_TRACK),
    ],
)
def test_effective_confidence(
    reported: Confidence | None, stale: bool, expected: Confidence | None
) -> None:
    assert effective_confidence(reported, stale) is expected


def test_staleness_overrides_on_track() -> None:
    stale = is_stale_when_asked(asked_since_last(EVERY_WEEK, "2026-W44", "2026-W47"))
    assert effective_confidence(Confidence.ON_TRACK, stale) is Confidence.AT_RISK


@pytest.mark.parametrize(
    ("progress", "width", "expected"),
    [
        (0.0, 10, "▱▱▱▱▱▱▱▱▱▱"),
        (0.4, 10, "▰▰▰▰▱▱▱▱▱▱"),
        (0.45, 10, "▰▰▰▰▰▱▱▱▱▱"),
        (1.0, 10, "▰▰▰▰▰▰▰▰▰▰"),
        (0.3, 10, "▰▰▰▱▱▱▱▱▱▱"),
        (0.7, 10, "▰▰▰▰▰▰▰▱▱▱"),
        # clamped
        (-0.5, 10, "▱▱▱▱▱▱▱▱▱▱"),
        (1.7, 10, "▰▰▰▰▰▰▰▰▰▰"),
        # never full before done, never empty once started
        (0.99, 10, "▰▰▰▰▰▰▰▰▰▱"),
        (0.01, 10, "▰▱▱▱▱▱▱▱▱▱"),
        (0.5, 4, "▰▰▱▱"),
        (0.5, 1, "▱"),
        (1.0, 1, "▰"),
    ],
)
def test_progress_bar(progress: float, width: int, expected: str) -> None:
    bar = progress_bar(progress, width)
    assert bar == expected
    assert len(bar) == width


def test_progress_bar_rejects_zero_width() -> None:
    with pytest.raises(ValueError, match="width"):
        progress_bar(0.5, 0)


NUMBER = KeyResultType.NUMBER
PERCENT = KeyResultType.PERCENT
CURRENCY = KeyResultType.CURRENCY


@pytest.mark.parametrize(
    ("value", "kr_type", "unit", "expected"),
    [
        (12, NUMBER, None, "12"),
        (12.0, NUMBER, None, "12"),
        (12.5, NUMBER, None, "12.5"),
        (12.25, NUMBER, None, "12.25"),
        (1 / 3, NUMBER, None, "0.33"),
        (42, NUMBER, "tickets", "42 tickets"),
        (12500, NUMBER, None, "12,500"),
        (-3, NUMBER, None, "-3"),
        (-0.001, NUMBER, None, "0"),
        (12.5, PERCENT, None, "12.5%"),
        (12.5, PERCENT, "%", "12.5%"),
        (40, PERCENT, "of users", "40% of users"),
        (12500, CURRENCY, "USD", "12,500 USD"),
        (1234567.5, CURRENCY, "EUR", "1,234,567.5 EUR"),
        (12500, CURRENCY, "$", "$12,500"),
        (-500, CURRENCY, "$", "-$500"),
        (12500, CURRENCY, None, "12,500"),
        (1, MILESTONE, None, "done"),
        (0, MILESTONE, None, "not done"),
        (1, MILESTONE, "launches", "done"),
    ],
)
def test_format_value(
    value: float, kr_type: KeyResultType, unit: str | None, expected: str
) -> None:
    assert format_value(value, kr_type, unit) == expected


def test_units_agree_with_their_number() -> None:
    assert format_value(1, KeyResultType.NUMBER, "hours") == "1 hour"
    assert format_value(1.0, KeyResultType.NUMBER, "stories") == "1 story"
    assert format_value(2, KeyResultType.NUMBER, "hours") == "2 hours"
    assert format_value(1.004, KeyResultType.NUMBER, "hours") == "1 hour"  # as it is shown
    assert format_value(-1, KeyResultType.NUMBER, "tickets") == "-1 ticket"
    assert format_value(1, KeyResultType.NUMBER, "kudos") == "1 kudos"
    assert format_value(1, KeyResultType.NUMBER, "kg") == "1 kg"
    assert format_value(1, KeyResultType.CURRENCY, "USD") == "1 USD"


def test_a_change_in_a_percentage_reads_the_same_everywhere() -> None:
    churn = kr(3.5, 2, 3.0, KeyResultType.PERCENT)
    assert value_change(churn, 3.0, 2.59) == "-0.41 pts"
    recorded = [
        (KeyResultStatus(churn, None), CheckInEntry(1, 2.59, Confidence.ON_TRACK, None), 3.0)
    ]
    summary = messages_markdown([summary_message("2026-W46", recorded)])
    assert "2.59% (-0.41 pts)" in summary
    assert "-0.41%" not in summary
