"""A person's own working hours: how they are written, read back and combined with the company's."""

from __future__ import annotations

from datetime import date, time

import pytest

from okrbot.bot.domain import Person, Weekday
from okrbot.bot.messages import ChoiceInput, Text
from okrbot.bot.preferences import (
    WORK_DAYS,
    WORK_END,
    WORK_START,
    Preferences,
    parse_preferences,
    preferences_form,
    saved_message,
)
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


def _answers(**work: str) -> dict[str, object]:
    return {"prefs-day": "mon", "prefs-time": "09:30", **work}


def test_the_settings_form_offers_a_persons_hours_and_reads_back_their_choice() -> None:
    current = Preferences(Weekday.MON, time(9, 30), None, WorkingHours(time(7), time(15), SUN_THU))
    form = preferences_form(current)
    fields = {item.id: item for item in form.items if isinstance(item, ChoiceInput)}
    assert fields[WORK_START].initial == "07:00" and fields[WORK_END].initial == "15:00"
    assert fields[WORK_DAYS].initial == "sun-thu"
    assert ("sun-thu", "Sunday to Thursday") in {
        (c.value, c.label) for c in fields[WORK_DAYS].choices
    }
    chosen, errors = parse_preferences(
        _answers(**{WORK_START: "10:00", WORK_END: "24:00", WORK_DAYS: "mon-thu"}),
        date(2026, 11, 2),
    )
    assert errors == {}
    assert chosen is not None and chosen.hours == WorkingHours(
        time(10), time.max, frozenset((Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU))
    )
    saved = saved_message(chosen, "Asia/Dubai")
    [first, *_] = saved.blocks
    assert isinstance(first, Text) and "Monday to Thursday, 10:00 to 24:00" in first.text


def test_hours_that_end_before_they_start_are_refused_on_the_finish_field() -> None:
    chosen, errors = parse_preferences(
        _answers(**{WORK_START: "14:00", WORK_END: "12:00", WORK_DAYS: "mon-fri"}),
        date(2026, 11, 2),
    )
    assert chosen is None and errors == {WORK_END: "Finish after you start (14:00)."}


def test_a_form_without_the_working_hours_leaves_them_as_they_were() -> None:
    chosen, errors = parse_preferences(_answers(), date(2026, 11, 2))
    assert errors == {} and chosen is not None and chosen.hours is None
