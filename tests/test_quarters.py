from __future__ import annotations

from datetime import date, datetime

import pytest

from okrbot.bot.quarters import Quarter, previous_week_key, week_key, week_start


@pytest.mark.parametrize(
    ("day", "quarter_id", "start", "end"),
    [
        (date(2026, 1, 1), "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 5, 15), "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 9, 30), "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 12, 31), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2028, 2, 29), "2028-Q1", date(2028, 1, 1), date(2028, 3, 31)),
    ],
)
def test_calendar_quarters(day: date, quarter_id: str, start: date, end: date) -> None:
    quarter = Quarter.containing(day)
    assert quarter.id == quarter_id
    assert str(quarter) == quarter_id
    assert (quarter.start, quarter.end) == (start, end)
    assert quarter.contains(day)
    assert Quarter.parse(quarter_id) == quarter


@pytest.mark.parametrize(
    ("day", "fiscal_start_month", "quarter_id", "start", "end"),
    [
        # fiscal year from April, named by the calendar year it ends in
        (date(2026, 4, 1), 4, "2027-Q1", date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 12, 31), 4, "2027-Q3", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), 4, "2027-Q4", date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 3, 31), 4, "2027-Q4", date(2027, 1, 1), date(2027, 3, 31)),
        # fiscal year from October
        (date(2026, 10, 1), 10, "2027-Q1", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2027, 1, 15), 10, "2027-Q2", date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 9, 30), 10, "2027-Q4", date(2027, 7, 1), date(2027, 9, 30)),
        (date(2026, 9, 30), 10, "2026-Q4", date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_fiscal_quarters(
    day: date, fiscal_start_month: int, quarter_id: str, start: date, end: date
) -> None:
    quarter = Quarter.containing(day, fiscal_start_month)
    assert quarter.id == quarter_id
    assert (quarter.start, quarter.end) == (start, end)
    assert Quarter.parse(quarter_id, fiscal_start_month) == quarter


@pytest.mark.parametrize("fiscal_start_month", range(1, 13))
def test_every_day_of_a_year_falls_in_exactly_one_quarter(fiscal_start_month: int) -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        quarter = Quarter.containing(day, fiscal_start_month)
        assert quarter.start <= day <= quarter.end
        day = quarter.end.fromordinal(quarter.end.toordinal() + 1)
        assert quarter.next().start == day


@pytest.mark.parametrize(
    ("quarter", "following"),
    [
        (Quarter(2026, 1), Quarter(2026, 2)),
        (Quarter(2026, 4), Quarter(2027, 1)),
        (Quarter(2026, 4, 4), Quarter(2027, 1, 4)),
        (Quarter(2027, 4, 10), Quarter(2028, 1, 10)),
    ],
)
def test_next_and_previous(quarter: Quarter, following: Quarter) -> None:
    assert quarter.next() == following
    assert following.previous() == quarter
    assert quarter.end.toordinal() + 1 == following.start.toordinal()


def test_quarters_order() -> None:
    assert sorted([Quarter(2027, 1), Quarter(2026, 4), Quarter(2026, 2)]) == [
        Quarter(2026, 2),
        Quarter(2026, 4),
        Quarter(2027, 1),
    ]


@pytest.mark.parametrize(
    ("quarter", "days"),
    [
        (Quarter(2026, 1), 90),
        (Quarter(2028, 1), 91),
        (Quarter(2026, 2), 91),
        (Quarter(2026, 4), 92),
    ],
)
def test_days(quarter: Quarter, days: int) -> None:
    assert quarter.days == days


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 1), 0.0),
        (date(2026, 10, 1), 1 / 92),
        (date(2026, 11, 15), 46 / 92),
        (date(2026, 12, 30), 91 / 92),
        (date(2026, 12, 31), 1.0),
        (date(2027, 2, 1), 1.0),
    ],
)
def test_fraction_elapsed(day: date, expected: float) -> None:
    assert Quarter(2026, 4).fraction_elapsed(day) == pytest.approx(expected)


def test_weeks() -> None:
    weeks = Quarter(2026, 4).weeks()
    # 2026-10-01 is a Thursday in week 40; 2026-12-31 a Thursday in week 53
    assert weeks[0] == "2026-W40"
    assert weeks[-1] == "2026-W53"
    assert len(weeks) == 14
    assert len(set(weeks)) == len(weeks)


def test_weeks_cross_the_iso_year() -> None:
    weeks = Quarter(2027, 1).weeks()
    # 2027-01-01 is a Friday, still in ISO week 2026-W53
    assert weeks[0] == "2026-W53"
    assert weeks[1] == "2027-W01"
    assert weeks[-1] == "2027-W13"


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2026, 11, 18), "2026-W47"),
        (date(2026, 1, 1), "2026-W01"),
        (date(2025, 12, 29), "2026-W01"),
        (date(2027, 1, 3), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
        (date(2021, 1, 1), "2020-W53"),
        (datetime(2026, 11, 18, 23, 59), "2026-W47"),
    ],
)
def test_week_key(day: date, key: str) -> None:
    assert week_key(day) == key


@pytest.mark.parametrize(
    ("key", "monday"),
    [
        ("2026-W47", date(2026, 11, 16)),
        ("2026-W01", date(2025, 12, 29)),
        ("2026-W53", date(2026, 12, 28)),
        ("2027-W01", date(2027, 1, 4)),
    ],
)
def test_week_start(key: str, monday: date) -> None:
    assert week_start(key) == monday
    assert monday.weekday() == 0
    assert week_key(monday) == key


@pytest.mark.parametrize(
    ("key", "weeks", "previous"),
    [
        ("2026-W47", 1, "2026-W46"),
        ("2026-W47", 2, "2026-W45"),
        ("2027-W01", 1, "2026-W53"),
        ("2026-W01", 1, "2025-W52"),
        ("2026-W02", 3, "2025-W51"),
        ("2026-W47", 0, "2026-W47"),
    ],
)
def test_previous_week_key(key: str, weeks: int, previous: str) -> None:
    assert previous_week_key(key, weeks) == previous


@pytest.mark.parametrize("text", ["2026Q4", "2026-Q5", "2026-Q0", "26-Q1", "Q4", "", "2026-q4x"])
def test_quarter_parse_errors(text: str) -> None:
    with pytest.raises(ValueError, match="is not a quarter; write it like 2026-Q4"):
        Quarter.parse(text)


def test_quarter_parse_tolerates_whitespace() -> None:
    assert Quarter.parse(" 2026-Q4 \n") == Quarter(2026, 4)


@pytest.mark.parametrize("text", ["2026-47", "2026-W7", "W47", "2026-W47-1", ""])
def test_week_start_parse_errors(text: str) -> None:
    with pytest.raises(ValueError, match="is not a week; write it like 2026-W47"):
        week_start(text)


@pytest.mark.parametrize("text", ["2026-W00", "2026-W54", "2025-W53"])
def test_week_start_rejects_weeks_that_do_not_exist(text: str) -> None:
    with pytest.raises(ValueError, match=rf"'{text}' is not a week; \d{{4}} has no ISO week"):
        week_start(text)
