"""A person's own working hours: how they are written, read back and combined with the company's."""

from __future__ import annotations

from datetime import time

import pytest

from okrbot.bot.domain import Person, Weekday
from okrbot.bot.working_hours import WEEKDAYS, WorkingHours, format_days, parse_days, parse_hours

COMPANY = WorkingHours(time(8), time(19), WEEKDAYS)
SUN_THU = frozenset((Weekday.SUN, Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU))


@pytest.mark.parametrize(
    ("days", "written"),
    [
        (WEEKDAYS, "mon-fri"),
        (SUN_THU, "sun-thu"),
        (frozenset((Weekday.MON, Weekday.WED, Weekday.FRI)), "mon,wed,fri"),
        (frozenset((Weekday.TUE,)), "tue"),
        (frozenset(Weekday), "mon-sun"),
    ],
)
def test_days_are_written_the_shortest_way_and_read_back_the_same(
    days: frozenset[Weekday], written: str
) -> None:
    assert format_days(days) == written
    assert parse_days(written) == days


def test_hours_are_a_span_that_may_run_until_midnight() -> None:
    assert parse_hours("09:00-17:30") == (time(9), time(17, 30))
    assert parse_hours(" 22:00 - 24:00 ") == (time(22), time.max)
    assert WorkingHours(time(22), time.max).hours_text == "22:00-24:00"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("09:00", "not a span of hours"),
        ("17:00-09:00", "ends before it starts"),
        ("9-5", "is not a time"),
        ("09:00-25:00", "is not a time"),
    ],
)
def test_a_bad_span_of_hours_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_hours(text)


def test_a_person_without_their_own_hours_keeps_the_companys() -> None:
    assert COMPANY.for_person(Person(1, "a@example.com", "A")) == COMPANY


def test_a_persons_own_days_and_hours_replace_the_companys_part_by_part() -> None:
    four_days = Person(1, "a@example.com", "A", work_days=SUN_THU)
    assert COMPANY.for_person(four_days) == WorkingHours(time(8), time(19), SUN_THU)
    late = Person(2, "b@example.com", "B", work_start=time(12), work_end=time(21))
    assert COMPANY.for_person(late) == WorkingHours(time(12), time(21), WEEKDAYS)
