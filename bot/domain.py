"""The OKR domain: people, objectives, key results, check-ins, kudos and reflections.

These are plain, immutable values. Storage maps its rows to them and the adapters render them;
nothing here knows about a database or a chat platform.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time


class Level(enum.StrEnum):
    """Where an objective sits in the alignment tree."""

    COMPANY = "company"
    TEAM = "team"
    PERSONAL = "personal"


class ObjectiveKind(enum.StrEnum):
    """Committed objectives are expected to land at 1.0; aspirational ones at about 0.7."""

    COMMITTED = "committed"
    ASPIRATIONAL = "aspirational"


class Source(enum.StrEnum):
    """Where an objective came from: the admin's OKR file, or drafted by its owner in chat."""

    IMPORT = "import"
    CHAT = "chat"


class Approval(enum.StrEnum):
    """A chat draft waits for the owner's manager; everything else is approved."""

    PENDING = "pending"
    APPROVED = "approved"


class KeyResultType(enum.StrEnum):
    NUMBER = "number"
    PERCENT = "percent"
    CURRENCY = "currency"
    MILESTONE = "milestone"


class Confidence(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}[self.value]


class Platform(enum.StrEnum):
    SLACK = "slack"
    TEAMS = "teams"


class Weekday(enum.IntEnum):
    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6

    @classmethod
    def parse(cls, text: str) -> Weekday:
        """Accept `mon` or `Monday` in any case; raise ValueError naming the valid choices."""
        key = text.strip().lower()
        for day in cls:
            if key in (day.name.lower(), _DAY_NAMES[day].lower()):
                return day
        raise ValueError(f"{text!r} is not a day; use one of mon, tue, wed, thu, fri, sat, sun")

    @property
    def full_name(self) -> str:
        return _DAY_NAMES[self]


_DAY_NAMES = {
    Weekday.MON: "Monday",
    Weekday.TUE: "Tuesday",
    Weekday.WED: "Wednesday",
    Weekday.THU: "Thursday",
    Weekday.FRI: "Friday",
    Weekday.SAT: "Saturday",
    Weekday.SUN: "Sunday",
}


def parse_local_time(text: str) -> time:
    """`HH:MM` on a 24-hour clock."""
    try:
        hours, minutes = text.strip().split(":")
        if len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time; write it as HH:MM, e.g. 09:30") from None


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    email: str
    name: str
    manager_id: int | None = None
    timezone: str | None = None
    checkin_day: Weekday | None = None
    checkin_time: time | None = None
    slack_user_id: str | None = None
    teams_aad_id: str | None = None
    paused_until: date | None = None
    slack_dm_channel: str | None = None
    deactivated: bool = False  # offboarded: okrbot sends them nothing
    # Their own working hours; None: the company's (OKRBOT_WORK_START/END/DAYS).
    work_start: time | None = None
    work_end: time | None = None
    work_days: frozenset[Weekday] | None = None


@dataclass(frozen=True, slots=True)
class KeyResult:
    id: int
    objective_id: int
    title: str
    owner_id: int
    type: KeyResultType
    start: float
    target: float
    current: float
    unit: str | None = None
    position: int = 0
    archived: bool = False  # by `import okrs --prune`: history only

    @property
    def is_milestone(self) -> bool:
        return self.type is KeyResultType.MILESTONE


@dataclass(frozen=True, slots=True)
class Objective:
    id: int
    quarter: str
    title: str
    owner_id: int
    level: Level
    kind: ObjectiveKind = ObjectiveKind.ASPIRATIONAL
    description: str | None = None
    parent_id: int | None = None
    key_results: tuple[KeyResult, ...] = field(default=())
    archived: bool = False
    source: Source = Source.IMPORT
    approval: Approval = Approval.APPROVED
    approved_by_id: int | None = None
    approved_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.approval is Approval.PENDING


@dataclass(frozen=True, slots=True)
class CheckIn:
    id: int
    key_result_id: int
    person_id: int
    period: str
    value: float
    confidence: Confidence
    note: str | None
    platform: Platform
    created_at: datetime
    updated_at: datetime
    # "I'd like feedback on this": asked of the person's manager with this check-in.
    feedback_requested: bool = False


@dataclass(frozen=True, slots=True)
class Kudos:
    id: int
    giver_id: int | None
    recipient_id: int | None
    message: str
    values: tuple[str, ...]
    platform: Platform
    created_at: datetime
    giver_platform_id: str | None = None
    recipient_platform_id: str | None = None
    source: str = "command"


@dataclass(frozen=True, slots=True)
class Reflection:
    id: int
    person_id: int
    quarter: str
    self_scores: dict[int, float]
    went_well: str | None
    do_differently: str | None
    updated_at: datetime
