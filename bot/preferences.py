"""A person's own check-in settings: which day and time they are asked, and time away.

People know their week better than any default: the form lets them move their check-in and
pause okrbot while they are out of office, without asking an admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time

from okrbot.bot.domain import Weekday, parse_local_time
from okrbot.bot.messages import Choice, ChoiceInput, Context, Form, Message, Text, TextInput

OPEN = "prefs_open"
FORM_ID = "prefs_form"
DAY, TIME, AWAY = "prefs-day", "prefs-time", "prefs-away"
TIMES = tuple(time(hour, minute) for hour in range(6, 21) for minute in (0, 30))
MAX_AWAY_DAYS = 180


@dataclass(frozen=True, slots=True)
class Preferences:
    day: Weekday
    at: time
    away_until: date | None


def preferences_form(current: Preferences) -> Form:
    at = current.at.strftime("%H:%M")
    times = tuple(Choice(t.strftime("%H:%M"), t.strftime("%H:%M")) for t in TIMES)
    if at not in {c.value for c in times}:
        times = (Choice(at, at), *times)
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
    if errors or day is None or at is None:
        return None, errors
    return Preferences(day, at, away), errors


def saved_message(preferences: Preferences, zone: str) -> Message:
    when = f"{preferences.day.full_name}s at {preferences.at.strftime('%H:%M')} ({zone})"
    lines = [f"✅ Saved. I'll ask for your check-in on {when}."]
    if preferences.away_until:
        lines.append(
            f"🌴 You're away until {preferences.away_until:%A %d %B}: no prompts or "
            "reminders until then."
        )
    return Message(
        summary="Check-in settings saved",
        blocks=(Text("\n".join(lines)), Context("Change them any time from okrbot's Home tab.")),
    )
