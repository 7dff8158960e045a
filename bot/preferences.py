"""A person's own check-in settings: which day and time they are asked, time away, and their
working hours.

People know their week better than any default: the form lets them move their check-in, pause
okrbot while they are out of office and say when they work (a four-day week, a Sunday-to-Thursday
week, a late start), without asking an admin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time

from okrbot.bot.domain import Weekday, parse_local_time
from okrbot.bot.messages import Choice, ChoiceInput, Context, Form, Message, Text, TextInput
from okrbot.bot.working_hours import WorkingHours, format_end, parse_days, parse_end

OPEN = "prefs_open"
FORM_ID = "prefs_form"
DAY, TIME, AWAY = "prefs-day", "prefs-time", "prefs-away"
WORK_START, WORK_END, WORK_DAYS = "prefs-work-start", "prefs-work-end", "prefs-work-days"
TIMES = tuple(time(hour, minute) for hour in range(6, 21) for minute in (0, 30))
STARTS = tuple(time(hour, minute) for hour in range(5, 15) for minute in (0, 30))
ENDS = (*(time(hour, minute) for hour in range(12, 24) for minute in (0, 30)), time.max)
WEEKS = ("mon-fri", "sun-thu", "mon-thu", "tue-fri", "mon-sat", "sat-wed", "mon-sun")
MAX_AWAY_DAYS = 180


@dataclass(frozen=True, slots=True)
class Preferences:
    day: Weekday
    at: time
    away_until: date | None
    # Their working hours as shown (their own or the company's); when parsed from the form, None
    # where the form did not carry them (an older card), which leaves them as they were.
    hours: WorkingHours | None = None


def _clock_choices(times: tuple[time, ...], current: str) -> tuple[Choice, ...]:
    choices = tuple(Choice(text, text) for text in (format_end(t) for t in times))
    return (
        choices if current in {c.value for c in choices} else (Choice(current, current), *choices)
    )


def _days_label(days: str) -> str:
    named = parse_days(days)
    if len(named) == 7:
        return "Every day"
    first, last = days.split("-") if "-" in days else (days, "")
    if last:
        return f"{Weekday.parse(first).full_name} to {Weekday.parse(last).full_name}"
    return ", ".join(Weekday.parse(d).full_name for d in days.split(","))


def preferences_form(current: Preferences) -> Form:
    at = current.at.strftime("%H:%M")
    times = _clock_choices(TIMES, at)
    hours = current.hours or WorkingHours()
    start, end, days = f"{hours.start:%H:%M}", format_end(hours.end), hours.days_text
    weeks = WEEKS if days in WEEKS else (days, *WEEKS)
    return Form(
        id=FORM_ID,
        title="Check-in settings",
        submit_label="Save",
        intro="Times are in your own time zone.",
        items=(
            ChoiceInput(
                DAY,
                "Ask me on",
                tuple(Choice(d.name.lower(), d.full_name) for d in Weekday),
                initial=current.day.name.lower(),
            ),
            ChoiceInput(TIME, "At", times, initial=at),
            TextInput(
                AWAY,
                "Out of office until (YYYY-MM-DD)",
                initial=current.away_until.isoformat() if current.away_until else None,
                optional=True,
                placeholder="e.g. 2026-12-31; leave empty when you are back",
            ),
            ChoiceInput(WORK_START, "I start work at", _clock_choices(STARTS, start), start),
            ChoiceInput(WORK_END, "and finish at", _clock_choices(ENDS, end), end),
            ChoiceInput(
                WORK_DAYS,
                "on",
                tuple(Choice(week, _days_label(week)) for week in weeks),
                initial=days,
            ),
        ),
    )


def _one(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    text = str(value).strip() if value is not None else ""
    return text or None


def parse_preferences(
    raw: Mapping[str, object], today: date
) -> tuple[Preferences | None, dict[str, str]]:
    errors: dict[str, str] = {}
    day = at = away = None
    try:
        day = Weekday.parse(_one(raw, DAY) or "")
    except ValueError:
        errors[DAY] = "Pick a day of the week."
    try:
        at = parse_local_time(_one(raw, TIME) or "")
    except ValueError:
        errors[TIME] = "Pick a time, like 09:30."
    text = _one(raw, AWAY)
    if text is not None:
        try:
            away = date.fromisoformat(text)
        except ValueError:
            errors[AWAY] = f"“{text[:20]}” is not a date; write it like 2026-12-31."
        else:
            if away < today:
                errors[AWAY] = "That date has passed; leave it empty if you are back."
            elif (away - today).days > MAX_AWAY_DAYS:
                errors[AWAY] = f"At most {MAX_AWAY_DAYS} days ahead; ask your admin for longer."
    hours = _parse_hours(raw, errors)
    if errors or day is None or at is None:
        return None, errors
    return Preferences(day, at, away, hours), errors


def _parse_hours(raw: Mapping[str, object], errors: dict[str, str]) -> WorkingHours | None:
    """The working hours the form carries, or None when it carries none (an older card)."""
    start_text, end_text, days_text = (
        _one(raw, WORK_START),
        _one(raw, WORK_END),
        _one(raw, WORK_DAYS),
    )
    if start_text is None and end_text is None and days_text is None:
        return None
    start = end = None
    days: frozenset[Weekday] = frozenset()
    try:
        start = parse_local_time(start_text or "")
    except ValueError:
        errors[WORK_START] = "Pick the time you start work, like 09:00."
    try:
        end = parse_end(end_text or "")
    except ValueError:
        errors[WORK_END] = "Pick the time you finish work, like 17:30."
    with contextlib.suppress(ValueError):  # an unknown day: the same answer as none
        days = parse_days(days_text or "")
    if not days:
        errors[WORK_DAYS] = "Pick the days you work."
    if start is not None and end is not None and end <= start:
        errors[WORK_END] = f"Finish after you start ({start:%H:%M})."
    if start is None or end is None or not days:
        return None
    return WorkingHours(start, end, days)


SLACK_CHANGE_HINT = "Change them any time from okrbot's Home tab."


def saved_message(
    preferences: Preferences, zone: str, change_hint: str = SLACK_CHANGE_HINT
) -> Message:
    """The confirmation of saved settings; `change_hint` says where this platform changes them."""
    when = f"{preferences.day.full_name}s at {preferences.at.strftime('%H:%M')} ({zone})"
    lines = [f"✅ Saved. I'll ask for your check-in on {when}."]
    if preferences.hours is not None:
        hours = preferences.hours
        lines.append(
            f"🕘 Nudges, snoozed prompts and kudos wait for your working hours: "
            f"{_days_label(hours.days_text)}, {hours.hours_text.replace('-', ' to ')}."
        )
    if preferences.away_until:
        lines.append(
            f"🌴 You're away until {preferences.away_until:%A %d %B}: no prompts or "
            "reminders until then."
        )
    return Message(
        summary="Check-in settings saved",
        blocks=(Text("\n".join(lines)), Context(change_hint)),
    )
