"""Company and regional holidays: nobody is asked, reminded or sent a digest on one.

A holiday calendar is written either as ISO dates (`2026-12-24,2026-12-25`) or as the path of an
iCalendar file (`.ics`) whose events are whole days, the form every calendar app exports. A
message that falls on a holiday in the person's own local date moves to the next working day
(Monday to Friday, not a holiday) at the same local time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from okrbot.bot.cadence import local_moment

# A run of holidays longer than this is a mistake in the calendar, not a company break.
LONGEST_BREAK = timedelta(days=31)


def read_ics(path: Path) -> frozenset[date]:
    """The days covered by the whole-day events of an iCalendar file (DTEND is exclusive)."""
    try:
        text = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read the calendar {path}: {error.strerror}") from None
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as error:
        raise ValueError(f"{path} is not an iCalendar file: {error}") from None
    days: set[date] = set()
    for calendar in calendars:
        for event in calendar.walk("VEVENT"):
            summary = str(event.get("SUMMARY", "an event"))
            start = event.decoded("DTSTART", None)
            if not isinstance(start, date) or isinstance(start, datetime):
                raise ValueError(
                    f"{path}: {summary!r} is not a whole-day event (DTSTART;VALUE=DATE:20261225)"
                )
            end = event.decoded("DTEND", None)
            if end is None:
                end = start + timedelta(days=1)
            if not isinstance(end, date) or isinstance(end, datetime) or end <= start:
                raise ValueError(f"{path}: {summary!r} has a DTEND that is not a later date")
            if end - start > LONGEST_BREAK:
                raise ValueError(f"{path}: {summary!r} lasts more than {LONGEST_BREAK.days} days")
            days.update(start + timedelta(days=n) for n in range((end - start).days))
    if not days:
        raise ValueError(f"{path} holds no whole-day events")
    return frozenset(days)


def parse_holidays(value: str) -> frozenset[date]:
    """ISO dates separated by commas, or the path of an .ics file; empty means none."""
    text = value.strip()
    if not text:
        return frozenset()
    if text.lower().endswith((".ics", ".ical", ".ifb", ".icalendar")) or "/" in text:
        return read_ics(Path(text).expanduser())
    days = set()
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            days.add(date.fromisoformat(item))
        except ValueError:
            raise ValueError(
                f"{item!r} is not a date; write dates as YYYY-MM-DD separated by commas, "
                "or give the path of an .ics file"
            ) from None
    return frozenset(days)


@dataclass(frozen=True, slots=True)
class Holidays:
    """The company's holidays, plus each region's own, a region named by its time zone."""

    company: frozenset[date] = frozenset()
    regional: Mapping[str, frozenset[date]] = field(default_factory=dict)

    def days_for(self, zone: ZoneInfo) -> frozenset[date]:
        return self.company | self.regional.get(zone.key, frozenset())

    def is_holiday(self, day: date, zone: ZoneInfo) -> bool:
        return day in self.days_for(zone)

    def working_day_from(self, day: date, zone: ZoneInfo) -> date:
        """`day` itself if it is a working day, else the next one."""
        off = self.days_for(zone)
        last = day + LONGEST_BREAK * 2
        while day.weekday() >= 5 or day in off:
            day += timedelta(days=1)
            if day > last:
                raise ValueError("no working day in the holiday calendar for two months")
        return day

    def keep_clear(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment`, or the same local time on the next working day when it falls on a holiday.

        A weekend is left alone unless the holiday pushed the moment there: someone who chose
        to check in on Saturdays still does.
        """
        local = moment.astimezone(zone)
        if local.date() not in self.days_for(zone):
            return moment
        return local_moment(self.working_day_from(local.date(), zone), local.time(), zone)

    def working_moment(self, day: date, at: time, zone: ZoneInfo) -> datetime:
        """`at` on `day`, or on the next working day when `day` is a weekend or a holiday."""
        return local_moment(self.working_day_from(day, zone), at, zone)

    @classmethod
    def of(cls, company: Iterable[date], regional: Mapping[str, Iterable[date]]) -> Holidays:
        return cls(frozenset(company), {k: frozenset(v) for k, v in regional.items()})
