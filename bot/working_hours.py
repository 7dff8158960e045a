"""Working hours: when okrbot may speak to a person about something it timed for them.

A nudge, a snoozed prompt, a kudos DM or a follow-up waits for the next working moment in the
person's own time zone instead of reaching them at night or on their weekend. The company sets
the usual hours (OKRBOT_WORK_START/END/DAYS); a person who works other hours (a four-day week,
a Sunday-to-Thursday week, a late shift) has their own, from the people file or their settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from okrbot.bot.domain import Person, Weekday, parse_local_time

WEEKDAYS = frozenset((Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI))


@dataclass(frozen=True, slots=True)
class WorkingHours:
    start: time = time(8, 0)
    end: time = time(19, 0)
    days: frozenset[Weekday] = WEEKDAYS

    def contains(self, local: datetime) -> bool:
        return Weekday(local.weekday()) in self.days and self.start <= local.time() < self.end

    def next_working_moment(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment` itself when it falls in working hours, else the next start of them (UTC)."""
        local = moment.astimezone(zone)
        if self.contains(local) or not self.days:
            return moment
        day = local.date()
        if Weekday(day.weekday()) in self.days and local.time() < self.start:
            return _at(day, self.start, zone)
        for ahead in range(1, 8):
            later = day + timedelta(days=ahead)
            if Weekday(later.weekday()) in self.days:
                return _at(later, self.start, zone)
        return moment  # unreachable: `days` is not empty

    def for_person(self, person: Person) -> WorkingHours:
        """The person's own hours where they have them, these (the company's) elsewhere."""
        start, end = person.work_start or self.start, person.work_end or self.end
        if end <= start:  # only one end is their own: keep the company's span intact
            start, end = self.start, self.end
        return WorkingHours(start, end, person.work_days or self.days)

    @property
    def hours_text(self) -> str:
        """`08:00-19:00` as the people file and settings write it (`24:00`: until midnight)."""
        return f"{self.start:%H:%M}-{format_end(self.end)}"

    @property
    def days_text(self) -> str:
        """`mon-fri`, `sun-thu` or `mon,wed,fri`: the shortest way `parse_days` reads back."""
        return format_days(self.days)


def format_end(end: time) -> str:
    return "24:00" if end == time.max else f"{end:%H:%M}"


def parse_end(text: str) -> time:
    """An end of working hours: `HH:MM`, or `24:00` for working until midnight."""
    return time.max if text.strip() == "24:00" else parse_local_time(text)


def parse_hours(text: str) -> tuple[time, time]:
    """`09:00-17:30`: a start and an end after it on the same day."""
    start_text, dash, end_text = text.partition("-")
    if not dash:
        raise ValueError(
            f"{text!r} is not a span of hours; write it as HH:MM-HH:MM, e.g. 09:00-17:30"
        )
    start, end = parse_local_time(start_text), parse_end(end_text)
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts; write the start first, e.g. 09:00-17:30")
    return start, end


def format_days(days: frozenset[Weekday]) -> str:
    ordered = sorted(days)
    for first in ordered:  # one unbroken run, possibly across the weekend (sun-thu)
        run = [Weekday((first + step) % 7) for step in range(len(ordered))]
        if len(ordered) > 1 and set(run) == days:
            return f"{run[0].name.lower()}-{run[-1].name.lower()}"
    return ",".join(day.name.lower() for day in ordered)


def _at(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A start inside a spring-forward gap: normalised through UTC to the real instant.
    return datetime.combine(day, at, zone).astimezone(UTC)


def week_bounds(moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The person's local week (Monday 00:00 to the next Monday 00:00) around `moment`, in UTC."""
    local_day = moment.astimezone(zone).date()
    monday = local_day - timedelta(days=local_day.weekday())
    start = datetime.combine(monday, time(0, 0), zone)
    end = datetime.combine(monday + timedelta(days=7), time(0, 0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def describe(moment: datetime, zone: ZoneInfo) -> str:
    """`Mon 08:00 (Asia/Tokyo)`: a waiting message's time as its recipient reads it."""
    return f"{moment.astimezone(zone):%a %H:%M} ({zone.key})"


def parse_days(value: Iterable[str] | str) -> frozenset[Weekday]:
    """`mon,tue,wed,thu,fri` or `mon-fri` (also across the weekend: `sun-thu`)."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    days: set[Weekday] = set()
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if "-" in part:
            first, last = (Weekday.parse(end) for end in part.split("-", 1))
            span = (last - first) % 7
            days.update(Weekday((first + step) % 7) for step in range(span + 1))
        else:
            days.add(Weekday.parse(part))
    return frozenset(days)
