"""The courier: turns an outbox delivery into a message on the person's platform.

It decides at send time, not at enqueue time, what to say: a prompt sent after a snooze shows
the key results as they are now, and a reminder for a week already answered or skipped is
dropped instead of nagging.
"""

from __future__ import annotations

import logging
from typing import Any

from okrbot.adapters.agenda_flow import AgendaFlow
from okrbot.adapters.checkin_replies_flow import CheckInReplies
from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.drafts_flow import DraftsFlow
from okrbot.adapters.kudos_courier import KudosCourier
from okrbot.adapters.reports_flow import Reports
from okrbot.adapters.team_updates import TeamUpdateCourier
from okrbot.bot.checkins import prompt_messages
from okrbot.bot.delivery import (
    DRAFTS,
    HELD_PAST_BUDGET,
    KUDOS,
    PROMPTS,
    QUIET_HOURS,
    Deferred,
    DeliveryKind,
    PermanentDeliveryError,
    Progress,
    Suppressed,
    TransientDeliveryError,
    active,
)
from okrbot.bot.domain import Person, Platform
from okrbot.bot.kudos import kudos_roundup
from okrbot.bot.messages import Message
from okrbot.bot.messenger import Messenger
from okrbot.bot.working_hours import describe, week_bounds
from okrbot.scheduler.budget import fold_kudos, reserve_budget
from okrbot.scheduler.outbox import ATTACHED, Delivery, record_progress, sent_parts
from okrbot.storage import checkins as weeks
from okrbot.storage.db import Database
from okrbot.storage.kudos import existing_kudos_ids
from okrbot.storage.models import PersonWeekRow
from okrbot.storage.people import get_person

log = logging.getLogger(__name__)


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
        self.drafts = DraftsFlow(database, checkins)
        self.agendas = AgendaFlow(database, checkins)
        self.replies = CheckInReplies(database, checkins)
        messengers = {Platform.SLACK.value: slack, Platform.TEAMS.value: teams}
        configured = {name: found for name, found in messengers.items() if found is not None}
        self.kudos = KudosCourier(database, configured)
        self.team_updates = TeamUpdateCourier(database, checkins, configured)

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
        if delivery.person_id is not None and delivery.kind in QUIET_HOURS | HELD_PAST_BUDGET:
            await self._hold_back(delivery.person_id, delivery)
        if delivery.kind == DeliveryKind.KUDOS_ROUNDUP:
            await self._kudos_roundup(delivery)
            return
        if delivery.kind in KUDOS:
            await self.kudos.deliver(delivery)
            return
        if delivery.kind == DeliveryKind.TEAM_UPDATE:
            await self.team_updates.deliver(delivery)
            return
        if delivery.kind == DeliveryKind.CHECKIN_MESSAGE:
            await self._checkin_message(delivery)
            return
        if delivery.kind in DRAFTS:
            person, message = await self.drafts.delivery_message(delivery)
            await self._send_once(person, [message], delivery)
            return
        if delivery.kind == DeliveryKind.AGENDA:
            person, message = await self.agendas.delivery_message(delivery)
            await self._send_once(person, [message], delivery)
            return
        if delivery.person_id is None:
            raise PermanentDeliveryError(f"delivery {delivery.key} names no person")
        if delivery.kind in PROMPTS:
            await self._prompt(delivery.person_id, delivery)
        elif delivery.kind == DeliveryKind.REFLECTION:
            await self._reflection(delivery.person_id, delivery)
        elif delivery.kind in (DeliveryKind.DIGEST, DeliveryKind.SUMMARY):
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
        if delivery.kind in QUIET_HOURS:
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
        if delivery.kind == DeliveryKind.REFLECTION:
            raise Deferred(f"{over}; waits until {describe(next_week, zone)}", next_week)
        if delivery.kind == DeliveryKind.KUDOS_DM:
            async with self.database.transaction() as session:
                key = await fold_kudos(session, person_id, next_week, delivery)
            raise Suppressed(f"{over}; folded into {key}, due {describe(next_week, zone)}")
        raise Suppressed(
            f"{person.email} already had {sent} unsolicited messages this week "
            f"(budget {budget}); the next regular prompt will catch up"
        )

    async def _checkin_message(self, delivery: Delivery) -> None:
        """A reply or 👍 on a check-in: under the person's summary when it is on the platform
        they are reached on, else (and to the manager) a message of its own."""
        outgoing = await self.replies.outgoing(delivery)
        reached_on = Platform.TEAMS if self.messenger_for(outgoing.person) is self.teams else None
        thread = outgoing.thread
        if thread is not None and thread.get("platform") != (reached_on or Platform.SLACK):
            thread = None  # checked in on the other platform: no summary here to answer under
        refs = await self._send_once(outgoing.person, [outgoing.message], delivery, thread)
        await self.replies.delivered(delivery, refs[0] if refs else None)

    async def _kudos_roundup(self, delivery: Delivery) -> None:
        async with self.database.reading() as session:
            person = await get_person(session, delivery.person_id or 0)
            present = await existing_kudos_ids(session, delivery.payload.get("kudos_ids") or [])
        if person is None:
            raise Suppressed(f"person {delivery.person_id} is gone")
        received = [
            item
            for item in delivery.payload.get("received") or []
            if item.get("kudos_id") in present
        ]
        if not received:
            raise Suppressed(f"the kudos behind {delivery.key} no longer exist")
        pointer = self.messenger_for(person).kudos_pointer
        await self._send_once(person, [kudos_roundup(received, pointer)], delivery)

    async def _prompt(self, person_id: int, delivery: Delivery) -> None:
        # Everything the decision needs is read in one transaction: a weekly fan-out does
        # this for every person, so round trips add up.
        async with self.database.reading() as session:
            person = active(await get_person(session, person_id), person_id)
            moment, statuses = await self.checkins.statuses(person, session)
            period = moment.period
            if not delivery.payload.get("forced"):
                if delivery.kind != DeliveryKind.PROMPT and delivery.period not in (None, period):
                    # Held back by quiet hours past the end of its week: its moment has passed.
                    raise Suppressed(f"{delivery.period} is over; {period} has its own prompt")
                if not statuses:
                    raise Suppressed(f"{person.email} owns no key results in {moment.quarter}")
                week = await weeks.get_week(session, person.id, period)
                self._check_wanted(person, delivery, period, week)
        reminder = delivery.kind in (DeliveryKind.REMINDER, DeliveryKind.NUDGE)
        messages = prompt_messages(person, period, statuses, reminder=reminder)
        refs = await self._send_once(person, messages, delivery)
        now = self.checkins.clock.now()
        async with self.database.transaction() as session:
            for ref in refs:
                await weeks.add_prompt_ref(session, person.id, period, ref, now)
            if delivery.kind == DeliveryKind.REMINDER:
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
        if delivery.kind == DeliveryKind.DIGEST:
            messages = await self.reports.digest(manager, delivery.period or "")
            attachments: list[tuple[str, str, bytes]] = []
        else:
            messages, attachments = await self.reports.summary(
                manager, str(delivery.payload.get("quarter") or "")
            )
        if not messages:
            what = (
                "asked to check in that week"
                if delivery.kind == DeliveryKind.DIGEST
                else "to report on"
            )
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
        self,
        person: Person,
        messages: list[Message],
        delivery: Delivery,
        thread: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Send what earlier attempts did not: each part is recorded as soon as the platform
        has it, so a retry after part 2 of 3 failed sends part 3 only; where the outcome of the
        last attempt is unknown (a crash, a lost answer) Slack's history is read as well."""
        messenger = self.messenger_for(person)
        sent = sent_parts(delivery)
        if delivery.outcome_unknown:
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

        progress = Progress(delivery.key, sent, record)
        return await messenger.send_parts(person, messages, progress, thread)

    def _check_wanted(
        self, person: Person, delivery: Delivery, period: str, week: PersonWeekRow | None
    ) -> None:
        """Raise Suppressed when this prompt would be noise rather than help."""
        local_day = self.checkins.moment(person).local_date
        if person.paused_until is not None and local_day <= person.paused_until:
            raise Suppressed(f"{person.email} is away until {person.paused_until}")
        if week is not None and week.skipped_at is not None:
            raise Suppressed(f"{person.email} skipped {period}")
        if (
            delivery.kind != DeliveryKind.PROMPT
            and week is not None
            and week.checked_in_at is not None
        ):
            raise Suppressed(f"{person.email} already checked in for {period}")
