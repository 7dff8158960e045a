"""SQLAlchemy models: the tables okrbot keeps.

Every schema change goes through an Alembic migration in `storage/migrations/versions`; a test
runs `alembic check` so that these models and the migrations never drift apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware UTC datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PersonRow(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    timezone: Mapped[str | None] = mapped_column(String(64))
    checkin_day: Mapped[int | None] = mapped_column(SmallInteger)
    checkin_time: Mapped[time | None] = mapped_column(Time)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    slack_dm_channel: Mapped[str | None] = mapped_column(String(32))
    teams_aad_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The Bot Framework conversation reference (service URL, conversation id, Teams user id)
    # stored at install or first message; proactive messages continue this conversation.
    teams_conversation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The Teams user id (29:…) in that reference, which is what an @mention names: indexed, so
    # finding who was mentioned is one lookup instead of a scan of every stored reference.
    teams_user_id: Mapped[str | None] = mapped_column(String(255), index=True)
    teams_unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_until: Mapped[date | None] = mapped_column(Date)
    # Their own working hours (None: the company's); days as `mon-fri`, `sun-thu`, `mon,wed`.
    work_start: Mapped[time | None] = mapped_column(Time)
    work_end: Mapped[time | None] = mapped_column(Time)
    work_days: Mapped[str | None] = mapped_column(String(40))
    # Offboarded: okrbot sends them nothing and nobody can give them kudos; history is kept.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ObjectiveRow(Base):
    __tablename__ = "objectives"
    __table_args__ = (
        UniqueConstraint("quarter", "title"),
        UniqueConstraint("quarter", "external_id", name="uq_objectives_quarter_external_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), index=True)
    title: Mapped[str] = mapped_column(String(300))
    # The admin's stable `id:` from the OKR file: re-imports match on it, so a title can change.
    external_id: Mapped[str | None] = mapped_column(String(100))
    # Archived by `import okrs --prune`: out of prompts, reports and /okr; kept in exports.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("objectives.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Where it came from: `import` (an OKR file) or `chat` (drafted by its owner with /okr new).
    # An import neither matches, changes nor archives a chat objective.
    source: Mapped[str] = mapped_column(String(8), default="import", server_default="import")
    # A chat draft is `pending` until the owner's manager approves it; only `approved`
    # objectives are prompted, browsed, reported and scored.
    approval: Mapped[str] = mapped_column(String(16), default="approved", server_default="approved")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    key_results: Mapped[list[KeyResultRow]] = relationship(
        back_populates="objective",
        order_by="KeyResultRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class KeyResultRow(Base):
    __tablename__ = "key_results"
    __table_args__ = (UniqueConstraint("objective_id", "title"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    external_id: Mapped[str | None] = mapped_column(String(100))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    current: Mapped[float] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)

    objective: Mapped[ObjectiveRow] = relationship(back_populates="key_results")


class CheckInRow(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("key_result_id", "period"),
        Index("ix_checkins_person_period", "person_id", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    period: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)
    confidence: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(8))
    # "I'd like feedback on this": the person asked their manager about this key result.
    feedback_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class KudosRow(Base):
    __tablename__ = "kudos"
    __table_args__ = (
        Index("ix_kudos_recipient_created", "recipient_id", "created_at"),
        Index("ix_kudos_giver_created", "giver_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    giver_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    giver_platform_id: Mapped[str | None] = mapped_column(String(255))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    recipient_platform_id: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    values: Mapped[list[str]] = mapped_column(JSON, default=list)
    platform: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16), default="command")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReflectionRow(Base):
    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("person_id", "quarter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(7))
    went_well: Mapped[str | None] = mapped_column(Text)
    do_differently: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    scores: Mapped[list[ReflectionScoreRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class ReflectionScoreRow(Base):
    __tablename__ = "reflection_scores"

    reflection_id: Mapped[int] = mapped_column(
        ForeignKey("reflections.id", ondelete="CASCADE"), primary_key=True
    )
    key_result_id: Mapped[int] = mapped_column(
        ForeignKey("key_results.id", ondelete="CASCADE"), primary_key=True
    )
    self_score: Mapped[float] = mapped_column(Float)


class PersonWeekRow(Base):
    """What happened in one person's check-in week: prompted, snoozed, skipped, answered."""

    __tablename__ = "person_weeks"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    prompted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the prompt landed on each platform, so answering can update it in place.
    prompt_refs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Where the check-in's summary is (a Slack channel and ts, a Teams activity), so a manager's
    # answer can be threaded under it; `summary_thread` is the same place as one searchable key.
    summary_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary_thread: Mapped[str | None] = mapped_column(String(200), index=True)


class CheckInMessageRow(Base):
    """The private conversation on a week's check-in, between the person and their manager:
    a reply or a reaction, who wrote it, to whom, and when it reached them."""

    __tablename__ = "checkin_messages"
    __table_args__ = (Index("ix_checkin_messages_report_period", "report_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Makes a retried click or submit store (and send) nothing new.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where it reached the recipient, as a thread key (see `PersonWeekRow.summary_thread`), so
    # an answer in that thread finds its way back.
    delivered_thread: Mapped[str | None] = mapped_column(String(200), index=True)


class DeliveryRow(Base):
    """The outbox: every message okrbot sends is first a row here, keyed for idempotency."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_status_due", "status", "due_at"),
        # The weekly notification budget counts a person's deliveries of a week, per send.
        Index("ix_deliveries_person_period", "person_id", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    period: Mapped[str | None] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    # The last attempt may have delivered (it crashed, timed out or lost its connection): the
    # next one looks for its own earlier post before sending.
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundEventRow(Base):
    """Platform event ids already handled, so a platform's retry never acts twice."""

    __tablename__ = "inbound_events"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScheduleRow(Base):
    """When each person's next regular message of a kind is due; one indexed scan finds them."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_next_at", "next_at"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateBucketRow(Base):
    """A token bucket shared by every replica, so N replicas do not send N times the rate."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TeamChannelRow(Base):
    """Where a team's weekly OKR update is posted: one channel per manager (a team is a manager
    and their direct reports), on Slack or on Teams. No row: the team has not opted in."""

    __tablename__ = "team_channels"

    manager_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(8))
    # A Slack channel id (C…/G…) or a Teams channel's conversation id (19:…@thread.tacv2).
    channel: Mapped[str] = mapped_column(String(255))
    # Who chose it: "cli" or the email of the manager who set it in chat.
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgendaItemRow(Base):
    """Something a manager or their direct report wants to talk about at their next 1:1. Only
    the pair ever reads it; `discussed_at` is set when either marks their agenda discussed."""

    __tablename__ = "agenda_items"
    __table_args__ = (Index("ix_agenda_items_pair", "manager_id", "report_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    # The check-in whose note this item came from, when it was added from one.
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    discussed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OneOnOneRow(Base):
    """A 1:1 a manager and their direct report held (marked discussed): the next agenda starts
    from the latest one."""

    __tablename__ = "one_on_ones"
    __table_args__ = (Index("ix_one_on_ones_pair_held", "manager_id", "report_id", "held_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class OneOnOneRhythmRow(Base):
    """When a manager and their direct report meet for their 1:1, if they set a rhythm: each
    `weekday` at `local_time` in the manager's time zone, every `every_weeks` weeks. Both get
    the agenda an hour before `next_meeting`. `set_at` tells a queued agenda of an earlier
    rhythm (changed or stopped since) from one of this rhythm."""

    __tablename__ = "one_on_one_rhythms"

    manager_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    report_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    every_weeks: Mapped[int] = mapped_column(SmallInteger)
    local_time: Mapped[time] = mapped_column(Time)
    next_meeting: Mapped[datetime] = mapped_column(UTCDateTime)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
