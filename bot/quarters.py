"""Quarters (`2026-Q4`) and weekly periods (`2026-W47`).

A quarter id names the fiscal year and the quarter within it. With the default fiscal start month
of January, quarters are calendar quarters. With another start month the fiscal year is named by
the calendar year in which it ends (a year starting in October 2026 is fiscal 2027), which is the
convention most companies with shifted fiscal years use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_QUARTER_ID = re.compile(r"^(\d{4})-Q([1-4])$")


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    year: int
    number: int
    fiscal_start_month: int = 1

    @classmethod
    def parse(cls, text: str, fiscal_start_month: int = 1) -> Quarter:
        match = _QUARTER_ID.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a quarter; write it like 2026-Q4")
        return cls(int(match.group(1)), int(match.group(2)), fiscal_start_month)

    @classmethod
    def containing(cls, day: date, fiscal_start_month: int = 1) -> Quarter:
        months_into_year = (day.month - fiscal_start_month) % 12
        number = months_into_year // 3 + 1
        fiscal_year_start_year = day.year if day.month >= fiscal_start_month else day.year - 1
        year = fiscal_year_start_year + (1 if fiscal_start_month != 1 else 0)
        return cls(year, number, fiscal_start_month)

    @property
    def id(self) -> str:
        return f"{self.year}-Q{self.number}"

    def __str__(self) -> str:
        return self.id

    @property
    def start(self) -> date:
        first_year = self.year - (1 if self.fiscal_start_month != 1 else 0)
        year, month = _add_months(first_year, self.fiscal_start_month, 3 * (self.number - 1))
        return date(year, month, 1)

    @property
    def end(self) -> date:
        """The last day of the quarter (inclusive)."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1, self.fiscal_start_month)
        return Quarter(self.year, self.number + 1, self.fiscal_start_month)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4, self.fiscal_start_month)
        return Quarter(self.year, self.number - 1, self.fiscal_start_month)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def fraction_elapsed(self, day: date) -> float:
        """How much of the quarter has passed by the end of `day`, from 0.0 to 1.0."""
        if day < self.start:
            return 0.0
        if day >= self.end:
            return 1.0
        return ((day - self.start).days + 1) / self.days

    @classmethod
    def of_week(cls, period: str, fiscal_start_month: int = 1) -> Quarter:
        """The quarter a check-in week belongs to: the one its Monday falls in, as the week's
        prompts go out on it. Week 53 of 2026 (Monday 28 December) is 2026-Q4 even on the
        Friday, 1 January, when its digest goes out."""
        return cls.containing(week_start(period), fiscal_start_month)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def weeks(self) -> list[str]:
        """The week keys that touch this quarter, in order."""
        monday = self.start - timedelta(days=self.start.weekday())
        keys = []
        while monday <= self.end:
            keys.append(week_key(monday))
            monday += timedelta(weeks=1)
        return keys


def week_key(day: date | datetime) -> str:
    """The ISO week a local date falls in, the unit every weekly check-in is counted by."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(key: str) -> date:
    """The Monday that opens the ISO week `key`."""
    match = re.match(r"^(\d{4})-W(\d{2})$", key)
    if not match:
        raise ValueError(f"{key!r} is not a week; write it like 2026-W47")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{key!r} is not a week; {year} has no ISO week {week}") from None


def previous_week_key(key: str, weeks: int = 1) -> str:
    return week_key(week_start(key) - timedelta(weeks=weeks))
