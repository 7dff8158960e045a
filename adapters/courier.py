"""The courier: turns an outbox delivery into a message on the person's platform.

It decides at send time, not at enqueue time, what to say: a prompt sent after a snooze shows
the key results as they are now, and a reminder for a week already answered or skipped is
dropped instead of nagging.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.kudos_delivery import KINDS as KUDOS_KINDS
from okrbot.adapters.kudos_delivery import KUDOS_DM, KudosCourier
from okrbot.adapters.reports_flow import Reports
from okrbot.bot.checkins import prompt_messages
from okrbot.bot.delivery import (
    Deferred,
    PartSent,
    PermanentDeliveryError,
    Suppressed,
    TransientDeliveryError,
    active,
)
from okrbot.bot.domain import Person
from okrbot.bot.kudos import kudos_roundup
from okrbot.bot.messages import Message
from okrbot.bot.working_hours import describe, week_bounds
from okrbot.scheduler.outbox import (
    ATTACHED,
    SENDING,
    SENT,
    Delivery,
    enqueue,
    record_progress,
    sent_parts,
)
from okrbot.storage import checkins as weeks
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow, KudosRow, PersonRow
from okrbot.storage.people import get_person

log = logging.getLogger(__name__)

PROMPT, SNOOZED_PROMPT, REMINDER, NUDGE = "prompt", "snoozed_prompt", "reminder", "nudge"
REFLECTION, DIGEST, SUMMARY = "reflection", "digest", "summary"
KUDOS_ROUNDUP = "kudos_roundup"
# What counts against the weekly notification budget: every message okrbot sends a person that
# is not a direct answer to something they just did. A prompt they snoozed comes back because
# they asked, so it does not count.
UNSOLICITED = (PROMPT, REMINDER, NUDGE, REFLECTION, DIGEST, SUMMARY, KUDOS_DM, KUDOS_ROUNDUP)
# Past the budget: a reminder or a nudge is dropped (the week's prompt is there to answer), a
# reflection prompt waits for next week and kudos DMs are folded into one roundup then. The
# prompt, the digest and the quarter summary are the weekly loop itself and always go.
HELD_PAST_BUDGET = (REMINDER, NUDGE, REFLECTION, KUDOS_DM)
# Timed by okrbot on someone's behalf, so delivered only in the recipient's working hours. The
# weekly prompt, its reminder, the digest and the summary keep the time people or admins set.
QUIET_HOURS_KINDS = (NUDGE, SNOOZED_PROMPT, REFLECTION, KUDOS_DM, KUDOS_ROUNDUP)


class Messenger(Protocol):
    async def send(self, person: Person, messages: list[Message]) -> list[dict[str, Any]]: ...

    async def send_parts(
        self,
        person: Person,
        messages: list[Message],
        key: str | None = None,
        sent: Mapping[int, dict[str, Any]] | None = None,
        on_sent: PartSent | None = None,
    ) -> list[dict[str, Any]]:
        """Send the parts not yet `sent`, reporting each to `on_sent` as the platform takes it."""
        ...

    async def update(self, ref: dict[str, Any], message: Message) -> None: ...

    async def attach(self, person: Person, filename: str, title: str, png: bytes) -> None:
        """Share an image (a chart) in the person's DM."""
        ...


@runtime_checkable
class TaggingMessenger(Protocol):
    """A platform that can tag a message with its outbox key and find it again later.

    Slack can (message metadata); with it, a sender killed between posting and recording
    the post, or one whose answer from Slack was lost, does not post twice on the retry.
    """

    async def find_tagged(self, person: Person, key: str) -> dict[int, dict[str, Any]]: ...


class Courier:
    def __init__(
        self,
        database: Database,
        checkins: CheckIns,
        slack: Messenger | None = None,
        teams: Messenger | None = None,
    ) -> None:
        self.database = database
        self.checkins = checkins
        self.slack = slack
        self.teams = teams
        self.reports = Reports(database, checkins)
        self.kudos = KudosCourier(database, slack, teams)

    def messenger_for(self, person: Person) -> Messenger:
        """Slack when the person has a Slack identity, Teams when they have a Teams one."""
        if person.slack_user_id and self.slack:
            return self.slack
        if person.teams_aad_id and self.teams:
            return self.teams
        if self.slack:
            return self.slack
        raise PermanentDeliveryError(f"{person.email} has no platform okrbot can reach")

    async def deliver(self, delivery: Delivery) -> None:
        if delivery.person_id is not None and delivery.kind in QUIET_HOURS_KINDS + HELD_PAST_BUDGET:
            await self._hold_back(delivery.person_id, delivery)
        if delivery.kind == KUDOS_ROUNDUP:
            await self._kudos_roundup(delivery)
            return
        if delivery.kind in KUDOS_KINDS:
            await self.kudos.deliver(delivery)
            return
        if delivery.person_id is None:
            raise PermanentDeliveryError(f"delivery {delivery.key} names no person")
        if delivery.kind in (PROMPT, SNOOZED_PROMPT, REMINDER, NUDGE):
            await self._prompt(delivery.person_id, delivery)
        elif delivery.kind == REFLECTION:
            await self._reflection(delivery.person_id, delivery)
        elif delivery.kind in (DIGEST, SUMMARY):
            await self._manager_report(delivery.person_id, delivery)
        else:
            raise PermanentDeliveryError(f"unknown delivery kind {delivery.kind!r}")

    async def _hold_back(self, person_id: int, delivery: Delivery) -> None:
        """Raise Deferred outside the person's working hours; past their weekly budget, hold
        back what can wait (reminders and nudges are dropped, a reflection prompt waits for
        next week, a kudos DM is folded into one roundup then)."""
        if delivery.payload.get("forced"):
            return  # an admin's explicit --now
        async with self.database.reading() as session:
            person = await get_person(session, person_id)
        if person is None:
            raise Suppressed(f"person {person_id} is gone")
        zone = self.checkins.zone(person)
        hours = self.checkins.working_hours(person)
        now = self.checkins.clock.now()
        if delivery.kind in QUIET_HOURS_KINDS:
            opens = hours.next_working_moment(now, zone)
            if opens > now:
                raise Deferred(f"quiet hours until {describe(opens, zone)}", opens)
        if delivery.kind not in HELD_PAST_BUDGET:
            return
        budget = self.checkins.settings.notification_budget
        async with self.database.transaction() as session:
            sent = await reserve_budget(session, person_id, delivery.id, zone, now, budget)
        if sent is None:
            return
        over = f"over this week's budget ({sent} of {budget} sent)"
        next_week = hours.next_working_moment(week_bounds(now, zone)[1], zone)
        if delivery.kind == REFLECTION:
            raise Deferred(f"{over}; waits until {describe(next_week, zone)}", next_week)
        if delivery.kind == KUDOS_DM:
            async with self.database.transaction() as session:
                key = await fold_kudos(session, person_id, next_week, delivery)
            raise Suppressed(f"{over}; folded into {key}, due {describe(next_week, zone)}")
        raise Suppressed(
            f"{person.email} already had {sent} unsolicited messages this week "
            f"(budget {budget}); the next regular prompt will catch up"
        )

    async def _kudos_roundup(self, delivery: Delivery) -> None:
        async with self.database.reading() as session:
            person = await get_person(session, delivery.person_id or 0)
            ids = list(delivery.payload.get("kudos_ids") or [])
            present = set(await session.scalars(select(KudosRow.id).where(KudosRow.id.in_(ids))))
        if person is None:
            raise Suppressed(f"person {delivery.person_id} is gone")
        received = [
            item
            for item in delivery.payload.get("received") or []
            if item.get("kudos_id") in present
        ]
        if not received:
            raise Suppressed(f"the kudos behind {delivery.key} no longer exist")
        await self._send_once(person, [kudos_roundup(received)], delivery)

    async def _prompt(self, person_id: int, delivery: Delivery) -> None:
        # Everything the decision needs is read in one transaction: a weekly fan-out does
        # this for every person, so round trips add up.
        async with self.database.reading() as session:
            person = active(await get_person(session, person_id), person_id)
            moment, statuses = await self.checkins.statuses(person, session)
            period = moment.period
            if not delivery.payload.get("forced"):
                if delivery.kind != PROMPT and delivery.period not in (None, period):
                    # Held back by quiet hours past the end of its week: its moment has passed.
                    raise Suppressed(f"{delivery.period} is over; {period} has its own prompt")
                if not statuses:
                    raise Suppressed(f"{person.email} owns no key results in {moment.quarter}")
                await self._check_wanted(session, person, delivery, period)
        reminder = delivery.kind in (REMINDER, NUDGE)
        messages = prompt_messages(person, period, statuses, reminder=reminder)
        refs = await self._send_once(person, messages, delivery)
        now = self.checkins.clock.now()
        async with self.database.transaction() as session:
            for ref in refs:
                await weeks.add_prompt_ref(session, person.id, period, ref, now)
            if delivery.kind == REMINDER:
                await weeks.mark_week(session, person.id, period, reminded_at=now)

    async def _reflection(self, person_id: int, delivery: Delivery) -> None:
        """The quarter-end look back, sent in the last week of the quarter."""
        async with self.database.reading() as session:
            person = active(await get_person(session, person_id), person_id)
            moment, statuses = await self.checkins.statuses(person, session)
        if person.paused_until is not None and moment.local_date <= person.paused_until:
            raise Suppressed(f"{person.email} is away until {person.paused_until}")
        if not statuses:
            raise Suppressed(f"{person.email} owns no key results in {moment.quarter}")
        quarter = self.reports.reflection_quarter(person, delivery.payload.get("quarter"))
        message = await self.reports.reflection_prompt(person, quarter)
        await self._send_once(person, [message], delivery)

    async def _manager_report(self, manager_id: int, delivery: Delivery) -> None:
        """A weekly digest or a quarter-end summary, to the manager only, as a DM."""
        async with self.database.reading() as session:
            manager = active(await get_person(session, manager_id), manager_id)
        if delivery.kind == DIGEST:
            messages = await self.reports.digest(manager, delivery.period or "")
            attachments: list[tuple[str, str, bytes]] = []
        else:
            messages, attachments = await self.reports.summary(
                manager, str(delivery.payload.get("quarter") or "")
            )
        if not messages:
            what = "asked to check in that week" if delivery.kind == DIGEST else "to report on"
            raise Suppressed(f"nobody reporting to {manager.email} was {what}")
        messenger = self.messenger_for(manager)
        await self._send_once(manager, messages, delivery)
        shared = set(delivery.payload.get(ATTACHED) or [])
        for filename, title, png in attachments:
            if filename in shared:
                continue  # an earlier attempt shared it before a later one failed
            await messenger.attach(manager, filename, title, png)
            await record_progress(self.database, delivery, attached=filename)

    async def _send_once(
        self, person: Person, messages: list[Message], delivery: Delivery
    ) -> list[dict[str, Any]]:
        """Send what earlier attempts did not: each part is recorded as soon as the platform
        has it, so a retry after part 2 of 3 failed sends part 3 only; where the outcome of the
        last attempt is unknown (a crash, a lost answer) Slack's history is read as well."""
        messenger = self.messenger_for(person)
        sent = sent_parts(delivery)
        if isinstance(messenger, TaggingMessenger) and delivery.outcome_unknown:
            # Only then: after a definite refusal (a 429, a 5xx) nothing was posted, and reading
            # the DM's history would cost a call (and a scope) for nothing.
            try:
                found = await messenger.find_tagged(person, delivery.key)
            except TransientDeliveryError as error:
                # Still not known whether the earlier attempt posted: the next try looks again.
                raise TransientDeliveryError(str(error), error.retry_after, True) from error
            if found:
                log.info("%s: %d part(s) were sent by an earlier attempt", delivery.key, len(found))
            sent = {**found, **sent}

        async def record(part: int, ref: dict[str, Any]) -> None:
            await record_progress(self.database, delivery, part=(part, ref))

        return await messenger.send_parts(person, messages, delivery.key, sent, record)

    async def _check_wanted(
        self, session: AsyncSession, person: Person, delivery: Delivery, period: str
    ) -> None:
        """Raise Suppressed when this prompt would be noise rather than help."""
        local_day = self.checkins.moment(person).local_date
        if person.paused_until is not None and local_day <= person.paused_until:
            raise Suppressed(f"{person.email} is away until {person.paused_until}")
        week = await weeks.get_week(session, person.id, period)
        if week is not None and week.skipped_at is not None:
            raise Suppressed(f"{person.email} skipped {period}")
        if delivery.kind != PROMPT and week is not None and week.checked_in_at is not None:
            raise Suppressed(f"{person.email} already checked in for {period}")


async def reserve_budget(
    session: AsyncSession,
    person_id: int,
    delivery_id: int,
    zone: ZoneInfo,
    now: datetime,
    budget: int,
) -> int | None:
    """Take one of the person's unsolicited messages this week for this delivery; None when
    taken, else how many were already sent. Deliveries to one person decide one after another
    (the person's row is locked), and a message being sent counts as sent (its sent_at is set
    now), so sends that run side by side cannot overshoot the budget together."""
    if session.get_bind().dialect.name != "sqlite":
        await session.execute(
            select(PersonRow.id).where(PersonRow.id == person_id).with_for_update()
        )
    start, end = week_bounds(now, zone)
    sent = await session.scalar(
        select(func.count())
        .select_from(DeliveryRow)
        .where(
            DeliveryRow.person_id == person_id,
            DeliveryRow.id != delivery_id,
            DeliveryRow.kind.in_(UNSOLICITED),
            DeliveryRow.status.in_((SENT, SENDING)),
            DeliveryRow.sent_at >= start,
            DeliveryRow.sent_at < end,
        )
    )
    if (sent or 0) >= budget:
        return sent or 0
    await session.execute(
        update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(sent_at=now)
    )
    return None


async def fold_kudos(
    session: AsyncSession, person_id: int, due_at: datetime, delivery: Delivery
) -> str:
    """Add a held-back kudos DM to the person's roundup due at `due_at`; the roundup's key."""
    key = f"{KUDOS_ROUNDUP}:{person_id}:{due_at:%Y%m%d%H%M}"
    await enqueue(session, key=key, kind=KUDOS_ROUNDUP, due_at=due_at, person_id=person_id)
    query = select(DeliveryRow).where(DeliveryRow.key == key)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    roundup = (await session.scalars(query)).one()
    payload = dict(roundup.payload or {})
    kudos_id = delivery.payload.get("kudos_id")
    item = {
        "kudos_id": kudos_id,
        "giver": delivery.payload.get("giver"),
        "message": delivery.payload.get("message"),
    }
    payload["kudos_ids"] = [*payload.get("kudos_ids", []), kudos_id]
    payload["received"] = [*payload.get("received", []), item]
    roundup.payload = payload
    return key
