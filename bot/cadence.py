"""Weekly cadence in each person's own time zone, true across daylight-saving changes.

A prompt set for 02:30 on a spring-forward night (when 02:30 never happens) goes out at 03:30,
once. On a fall-back night, when 01:30 happens twice, it goes out at the first 01:30, once; the
outbox's period keys make a second firing harmless anyway.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from okrbot.bot.domain import Weekday


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock time `at` in `zone`, as an aware UTC datetime.

    A wall time that does not exist (skipped by a spring-forward) moves forward by the size of
    the gap; an ambiguous one (repeated by a fall-back) takes its first occurrence.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    as_utc = first.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != naive:
        # In a gap, fold=0 uses the offset from before the change; fold=1 the one after.
        # The later of the two instants is the gap's end plus how far into the gap we were.
        after = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        return max(as_utc, after)
    return as_utc


def next_weekly(after: datetime, zone: ZoneInfo, weekday: Weekday, at: time) -> datetime:
    """The first moment strictly after `after` that falls on `weekday` at `at` in `zone`."""
    local_day = after.astimezone(zone).date()
    days_ahead = (int(weekday) - local_day.weekday()) % 7
    candidate_day = local_day + timedelta(days=days_ahead)
    for _ in range(3):
        moment = local_moment(candidate_day, at, zone)
        if moment > after:
            return moment
        candidate_day += timedelta(days=7)
    raise AssertionError("a weekly moment always exists within three weeks")


def same_local_time_later(moment: datetime, zone: ZoneInfo, delay: timedelta) -> datetime:
    """`delay` later by the wall clock (two days later at the same local time), DST-true."""
    local = moment.astimezone(zone)
    whole_days, rest = divmod(delay, timedelta(days=1))
    shifted = local.replace(tzinfo=None) + timedelta(days=whole_days) + rest
    return local_moment(shifted.date(), shifted.time(), zone)
