"""Giving kudos, once for every platform: the rules, the daily limit, storing, the outbox.

An adapter turns its platform's mentions into `Named` people and renders the outcome; this
flow does the rest. Giving is all or nothing: the kudos rows, the public post and each
recipient's DM are written in one transaction, after the daily limit is checked inside it; the
outbox then sends them (adapters/kudos_courier.py), so a channel that answers 5xx is retried
later and the kudos is never stored twice. Deliveries are keyed by kudos id, so they are
idempotent too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from okrbot.adapters.conversations import CheckIns
from okrbot.bot.delivery import DeliveryKind
from okrbot.bot.domain import Kudos, Person, Platform
from okrbot.bot.kudos import (
    REPEAT_WINDOW,
    KudosText,
    LimitResult,
    check_limit,
    clean_message,
    day_start,
    deactivated_recipients,
    problem_text,
    repeated_message,
)
from okrbot.bot.kudos_giving import (
    DMS_ANYONE,
    Named,
    address,
    receipt,
    sent_headline,
    typed_names,
    unknown_names_error,
)
from okrbot.bot.messages import Message
from okrbot.bot.messenger import Target
from okrbot.scheduler.outbox import enqueue
from okrbot.storage.db import Database, Session
from okrbot.storage.events import first_time_in, seen_in
from okrbot.storage.kudos import add_kudos, given_since, same_words_since
from okrbot.storage.people import deactivated_names, lock_person, people_named


@dataclass(frozen=True, slots=True)
class TypedPeople:
    """The colleagues typed in a recognition field: those found, by person id as text (what a
    check-in's KUDOS_TO answer holds), and the field's error when some could not be."""

    found: dict[str, Person]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets a kudos: the imported person (if any), their platform user id, a display name."""

    person_id: int | None
    platform_id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Given:
    """What giving did: the stored kudos (none when the limit refused), and the limit after."""

    kudos: tuple[Kudos, ...]
    limit: LimitResult
    # The same submission was given before (a double click, a retried request): nothing new
    # was stored or sent, and the giver gets the answer the first one got.
    repeated: bool = False
    refused: str | None = None  # why nothing was given, other than the limit
    # The same words went to the same people a moment ago (typed twice): when, so the giver
    # is told nothing new was sent.
    repeat_of: datetime | None = None

    @property
    def ok(self) -> bool:
        return bool(self.kudos) or self.repeated

    @property
    def message(self) -> str:
        """Why nothing was given."""
        return self.refused or self.limit.message


@dataclass(frozen=True, slots=True)
class KudosOutcome:
    """How giving went: whether anything was sent, a one-line headline, and the full reply."""

    sent: bool
    headline: str
    reply: Message
    recipients: tuple[str, ...] = ()  # the names of those recognised


async def give(
    database: Database,
    *,
    giver: Person,
    giver_platform_id: str | None,
    now_local: datetime,
    recipients: Sequence[Recipient],
    message: str,
    values: Sequence[str],
    platform: Platform,
    source: str,
    post_to: Target | None,
    daily_limit: int,
    submission: str | None = None,
) -> Given:
    """Store the kudos and enqueue its post and DMs, if the giver's daily limit allows.

    `post_to` is where the public post goes (a Slack channel, a Teams conversation reference),
    or None when there is no public place. Recipients who are not imported people get a DM only
    where the platform can reach them without a stored conversation (Slack). `submission`
    names the request (a Slack view and its state, a signed slash command): recorded with the
    kudos in one transaction, so giving it again stores and sends nothing.
    """
    now = now_local.astimezone(UTC)
    async with database.transaction() as session:
        # One giver's concurrent requests queue here, so they cannot both pass the limit.
        await lock_person(session, giver.id)
        given_today = await given_since(session, giver.id, day_start(now_local))
        if submission is not None and await seen_in(session, submission):
            return Given((), check_limit(given_today, 0, daily_limit, now_local), repeated=True)
        earlier = await _same_kudos_at(session, giver.id, recipients, message, now)
        if earlier is not None:
            return Given((), check_limit(given_today, 0, daily_limit, now_local), repeat_of=earlier)
        limit = check_limit(given_today, len(recipients), daily_limit, now_local)
        ids = [r.person_id for r in recipients if r.person_id is not None]
        left = await deactivated_names(session, ids)
        if left:
            return Given((), limit, refused=deactivated_recipients(left))
        if not limit.allowed:
            return Given((), limit)
        if submission is not None:
            await first_time_in(session, submission, now)
        stored = await add_kudos(
            session,
            giver_id=giver.id,
            giver_platform_id=giver_platform_id,
            recipients=[(r.person_id, r.platform_id) for r in recipients],
            message=message,
            values=values,
            platform=platform,
            source=source,
            now=now,
        )
        # Each delivery is keyed by its kudos, so it is queued once; all are sent as soon as
        # this transaction commits.
        deliveries: list[tuple[DeliveryKind, int, int | None, dict[str, Any]]] = []
        if post_to is not None:
            post = {"to": post_to, "kudos_ids": [k.id for k in stored]}
            post["recipients"] = [r.name for r in recipients]
            deliveries.append((DeliveryKind.KUDOS_POST, stored[0].id, None, post))
        for kudos, recipient in zip(stored, recipients, strict=True):
            if recipient.person_id is None and platform not in DMS_ANYONE:
                continue
            dm = {"kudos_id": kudos.id, "user_id": recipient.platform_id}
            dm["posted"] = post_to is not None
            deliveries.append((DeliveryKind.KUDOS_DM, kudos.id, recipient.person_id, dm))
        common = {"platform": platform.value, "giver": giver.name, "message": message}
        for kind, kudos_id, person_id, payload in deliveries:
            await enqueue(
                session,
                key=f"{kind}:{kudos_id}",
                kind=kind,
                due_at=now,
                wake=True,
                person_id=person_id,
                payload={**common, "values": list(values), **payload},
            )
    return Given(tuple(stored), limit)


async def _same_kudos_at(
    session: Session,
    giver_id: int,
    recipients: Sequence[Recipient],
    message: str,
    now: datetime,
) -> datetime | None:
    """When the giver last sent these words to every one of these recipients, if that was
    within REPEAT_WINDOW."""
    earlier = await same_words_since(session, giver_id, message, now - REPEAT_WINDOW)
    when: dict[int | str | None, datetime] = {}
    for person_id, platform_id, at in earlier:  # newest first
        when.setdefault(person_id if person_id is not None else platform_id, at)
    keys = [r.person_id if r.person_id is not None else r.platform_id for r in recipients]
    if not keys or any(key not in when for key in keys):
        return None
    return min(when[key] for key in keys)


def refused(reason: str) -> KudosOutcome:
    return KudosOutcome(False, reason, Message.plain(reason))


class KudosFlow:
    """Kudos as every platform gives them: from a command, a form, or a check-in."""

    def __init__(self, database: Database, checkins: CheckIns) -> None:
        self.database = database
        self.checkins = checkins

    async def give(
        self,
        giver: Person,
        giver_platform_id: str | None,
        named: Sequence[Named],
        words: KudosText,
        *,
        platform: Platform,
        source: str,
        post_to: Target | None,
        where: str | None,
        submission: str | None = None,
    ) -> KudosOutcome:
        """Recognise who was named, if the rules and the giver's daily limit allow; the
        receipt says where it was posted (`where`, as the giver would call that place)."""
        settings = self.checkins.settings
        addressed = address(giver, giver_platform_id, named)
        if not addressed.recipients:
            return refused(addressed.nobody_reason)
        recipients = [
            Recipient(r.person.id if r.person else None, r.platform_id, r.display_name)
            for r in addressed.recipients
        ]
        given = await give(
            self.database,
            giver=giver,
            giver_platform_id=giver_platform_id,
            now_local=self.checkins.moment(giver).local,
            recipients=recipients,
            message=words.message,
            values=words.values,
            platform=platform,
            source=source,
            post_to=post_to,
            daily_limit=settings.kudos_daily_limit,
            submission=submission,
        )
        if given.repeat_of is not None:
            ago = self.checkins.clock.now() - given.repeat_of
            return refused(repeated_message([r.name for r in recipients], ago))
        if not given.ok:
            return refused(given.message)
        reply = receipt(
            addressed, platform, where, given.limit, words.unknown_values, settings.company_values
        )
        names = tuple(r.name for r in recipients)
        return KudosOutcome(True, sent_headline(addressed), reply, names)

    async def from_checkin(
        self,
        giver: Person,
        giver_platform_id: str | None,
        named: Sequence[Named],
        message: str,
        *,
        platform: Platform,
        command: str,
        post_to: Target | None,
        where: str | None,
    ) -> str:
        """Recognition typed in a check-in goes the same way as the kudos command: same rules,
        same posts. The line the check-in's summary shows about it."""
        text = clean_message(message, self.checkins.settings.company_values)
        if text.problem is not None:
            return f"Kudos not sent: {problem_text(text, command)}"
        outcome = await self.give(
            giver,
            giver_platform_id,
            named,
            text,
            platform=platform,
            source="checkin",
            post_to=post_to,
            where=where,
        )
        return outcome.headline

    async def people_typed(self, field: str) -> TypedPeople:
        """Colleagues named in a recognition text field, each by email or full name; a name
        that matches nobody, or more than one person, makes the field's error."""
        found: list[Person] = []
        unknown: list[str] = []
        async with self.database.reading() as session:
            for name in typed_names(field):
                matches = await people_named(session, name)
                if len(matches) == 1:
                    found.extend(matches)
                else:
                    unknown.append(name)
        error = unknown_names_error(unknown) if unknown else None
        return TypedPeople({str(p.id): p for p in found}, error)
