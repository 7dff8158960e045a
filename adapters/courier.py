"""The courier: turns an outbox delivery into a message on the person's platform.

It decides at send time, not at enqueue time, what to say: a prompt sent after a snooze shows
the key results as they are now, and a reminder for a week already answered or skipped is
dropped instead of nagging.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.kudos_delivery import KINDS as KUDOS_KINDS
from okrbot.adapters.kudos_delivery import KudosCourier
from okrbot.adapters.reports_flow import Reports
from okrbot.bot.checkins import prompt_messages
from okrbot.bot.delivery import (
    PartSent,
    PermanentDeliveryError,
    Suppressed,
    TransientDeliveryError,
    active,
)
from okrbot.bot.domain import Person
from okrbot.bot.messages import Message
from okrbot.scheduler.outbox import ATTACHED, SENT, Delivery, record_progress, sent_parts
from okrbot.storage import checkins as weeks
from okrbot.storage.db import Database
from okrbot.storage.models import DeliveryRow
from okrbot.storage.people import get_person

log = logging.getLogger(__name__)

PROMPT, SNOOZED_PROMPT, REMINDER, NUDGE = "prompt", "snoozed_prompt", "reminder", "nudge"
REFLECTION, DIGEST, SUMMARY = "reflection", "digest", "summary"
# What counts against the weekly notification budget: messages nobody asked for. A prompt the
# person snoozed, or anything answering what they did, never counts.
UNSOLICITED = (PROMPT, REMINDER, NUDGE)


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

    async def _prompt(self, person_id: int, delivery: Delivery) -> None:
        # Everything the decision needs is read in one transaction: a weekly fan-out does
        # this for every person, so round trips add up.
        async with self.database.reading() as session:
            person = active(await get_person(session, person_id), person_id)
            moment, statuses = await self.checkins.statuses(person, session)
            period = moment.period
            if not delivery.payload.get("forced"):
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
        if delivery.kind in UNSOLICITED:
            budget = self.checkins.settings.notification_budget
            sent = await session.scalar(
                select(func.count())
                .select_from(DeliveryRow)
                .where(
                    DeliveryRow.person_id == person.id,
                    DeliveryRow.period == period,
                    DeliveryRow.kind.in_(UNSOLICITED),
                    DeliveryRow.status == SENT,
                )
            )
            if (sent or 0) >= budget:
                raise Suppressed(
                    f"{person.email} already had {sent} unsolicited messages in {period} "
                    f"(budget {budget}); the next regular prompt will catch up"
                )
