"""Time zone names people may be given: IANA region names, checked with a useful answer.

Abbreviations and fixed offsets are refused even where tzdata knows them (`EST`, `MST`,
`EST5EDT`, `Etc/GMT+5`): `EST` is UTC-5 all year, so a New York prompt set with it would run an
hour off all summer. The answer names the region to use instead, and a typo gets the nearest
real name.
"""

from __future__ import annotations

import difflib
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

EXAMPLES = "Europe/Berlin or America/New_York"
UTC_NAMES = frozenset({"UTC", "Etc/UTC"})
# Abbreviations people write for a zone, and the region that keeps its daylight saving time.
ABBREVIATIONS = {
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "ET": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "CT": "America/Chicago",
    "MST": "America/Denver (or America/Phoenix, where there is no daylight saving time)",
    "MDT": "America/Denver",
    "MT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "PT": "America/Los_Angeles",
    "AKST": "America/Anchorage",
    "HST": "Pacific/Honolulu",
    "GMT": "Europe/London (or UTC)",
    "BST": "Europe/London",
    "WET": "Europe/Lisbon",
    "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin",
    "MET": "Europe/Berlin",
    "EET": "Europe/Athens",
    "MSK": "Europe/Moscow",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "NZST": "Pacific/Auckland",
    "EST5EDT": "America/New_York",
    "CST6CDT": "America/Chicago",
    "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles",
}


@cache
def _region_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in available_timezones() if _is_region(name)))


def _is_region(name: str) -> bool:
    return name in UTC_NAMES or ("/" in name and not name.startswith("Etc/"))


def timezone_problem(name: str) -> str | None:
    """Why `name` is not a time zone okrbot accepts, with what to write instead; None if it is."""
    upper = name.strip().upper()
    if upper in ABBREVIATIONS:
        return (
            f"{name!r} is an abbreviation, not a place's time zone (it misses or misplaces "
            f"daylight saving time); use {ABBREVIATIONS[upper]}"
        )
    if not _is_region(name):
        if name.startswith("Etc/GMT") or name.upper().startswith(("UTC+", "UTC-", "GMT")):
            return (
                f"{name!r} is a fixed offset that ignores daylight saving time; use the name of "
                f"the place, e.g. {EXAMPLES}"
            )
    else:
        try:
            ZoneInfo(name)
            return None
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(name, _region_names(), n=1, cutoff=0.75)
    hint = f"did you mean {close[0]}?" if close else f"use a name like {EXAMPLES}"
    return f"{name!r} is not an IANA time zone; {hint}"
