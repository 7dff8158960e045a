"""Answering a check-in, once for both platforms: who may, what is stored, what is sent.

Privacy is decided here: only a person and their current manager write on that person's
check-in, and what one writes goes to the other only. Every reply and 👍 is a row first
(keyed, so a retried click or submit stores and sends nothing new) and an outbox delivery
(`DeliveryKind.CHECKIN_MESSAGE`), which waits for the recipient's working hours; a direct
answer from a person, it does not count toward their weekly notification budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.kudos_flow import KudosFlow, KudosOutcome, refused
from okrbot.bot.checkin_replies import (
    REPLY_TEXT,
    SHARE,
    SHARE_PUBLIC,
    CheckInRef,
    check_reply,
    parse_ref,
    quoted_checkin,
    reaction_message,
    recognise_form,
    reply_form,
    reply_message,
)
from okrbot.bot.checkins import week_label
from okrbot.bot.delivery import DeliveryKind, Suppressed, active
from okrbot.bot.digests import first_name
from okrbot.bot.domain import Person, Platform
from okrbot.bot.kudos import KUDOS_MESSAGE, KUDOS_VALUE, KudosText, clean_message, problem_text
from okrbot.bot.kudos_giving import Named
from okrbot.bot.messages import Form, Message
from okrbot.bot.messenger import Target
from okrbot.bot.working_hours import describe
from okrbot.scheduler.outbox import Delivery, enqueue
from okrbot.storage import checkin_messages as store
from okrbot.storage.checkins import get_week
from okrbot.storage.db import Database, Session
from okrbot.storage.people import get_person

NOT_YOURS = "You can only answer the check-ins of your own direct reports, or your own."
UNKNOWN = "I couldn't tell which check-in that was about, so nothing was sent."


@dataclass(frozen=True, slots=True)
class Pair:
    """The two people of a check-in's conversation, from the writer's side."""

    report: Person
    writer: Person
    recipient: Person
    ref: CheckInRef


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    errors: Mapping[str, str]
    message: Message | None = None
    sent: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A delivery as the courier sends it: to whom, what, and under which message."""

    person: Person
    message: Message
    thread: dict[str, Any] | None


class CheckInReplies:
    def __init__(self, database: Database, checkins: CheckIns) -> None:
        self.database = database
        self.checkins = checkins

    async def _pair(self, writer: Person, value: object) -> Pair | Message:
        """Who the conversation is between, or why `writer` may not write on it."""
        ref = parse_ref(value)
        if ref is None:
            return Message.plain(UNKNOWN)
        async with self.database.reading() as session:
            report = await get_person(session, ref.report_id)
            week = await get_week(session, ref.report_id, ref.period)
            manager = None
            if report is not None and report.manager_id is not None:
                manager = await get_person(session, report.manager_id)
        if report is None or (report.id != writer.id and report.manager_id != writer.id):
            return Message.plain(NOT_YOURS)
        recipient = manager if report.id == writer.id else report
        if recipient is None:
            return Message.plain("Nobody is your manager in okrbot, so there is no one to answer.")
        if recipient.deactivated:
            name = first_name(recipient)
            return Message.plain(f"{name} has left okrbot (deactivated), so nothing was sent.")
        if week is None or week.checked_in_at is None:
            text = f"{first_name(report)} has not checked in for {week_label(ref.period)}."
            return Message.plain(text)
        return Pair(report, writer, recipient, ref)

    async def react(self, manager: Person, value: object) -> Message:
        """The manager's 👍 on a check-in: sent once, however often it is clicked."""
        pair = await self._manager_pair(manager, value)
        if isinstance(pair, Message):
            return pair
        key = f"reaction:{pair.ref.value}:{manager.id}"
        sent = await self._store(pair, key, store.REACTION, None)
        name = first_name(pair.report)
        if sent is None:
            return Message.plain(f"You already gave 👍 on {name}'s check-in; it went once.")
        return Message.plain(f"👍 {sent}")

    async def recognise_form(self, manager: Person, value: object, channel: bool) -> Form | Message:
        pair = await self._manager_pair(manager, value)
        if isinstance(pair, Message):
            return pair
        values = self.checkins.settings.company_values
        return recognise_form(pair.report.name, values, channel)

    async def recognise(
        self,
        manager: Person,
        value: object,
        answers: Mapping[str, object],
        *,
        platform: Platform,
        command: str,
        giver_platform_id: str | None,
        post_to: Target | None,
        where: str | None,
        submission: str | None,
    ) -> KudosOutcome | Message:
        """The manager's kudos from the digest: the same rules, storage and deliveries as
        /kudos, for the one person; `post_to` only when they chose to share it."""
        pair = await self._manager_pair(manager, value)
        if isinstance(pair, Message):
            return pair
        values = self.checkins.settings.company_values
        text = clean_message(str(answers.get(KUDOS_MESSAGE) or ""), values)
        if text.problem is not None:
            return refused(problem_text(text, command))
        chosen = answers.get(KUDOS_VALUE)
        if isinstance(chosen, str) and chosen in values:
            text = KudosText(text.message, (chosen, *(v for v in text.values if v != chosen)), ())
        public = answers.get(SHARE) == SHARE_PUBLIC
        report = pair.report
        platform_id = report.slack_user_id if platform is Platform.SLACK else report.teams_aad_id
        return await KudosFlow(self.database, self.checkins).give(
            manager,
            giver_platform_id,
            [Named(platform_id, report.name, report)],
            text,
            platform=platform,
            source="checkin",
            post_to=post_to if public else None,
            where=where if public else None,
            submission=submission,
        )

    async def _manager_pair(self, manager: Person, value: object) -> Pair | Message:
        pair = await self._pair(manager, value)
        if not isinstance(pair, Message) and pair.writer.id == pair.report.id:
            return Message.plain(NOT_YOURS)
        return pair

    async def reply_form(self, writer: Person, value: object) -> Form | Message:
        pair = await self._pair(writer, value)
        if isinstance(pair, Message):
            return pair
        if pair.writer.id == pair.report.id:
            return reply_form(pair.recipient.name, "your", pair.ref.period, None)
        quoted = await self._quote(pair)
        return reply_form(pair.recipient.name, f"{pair.report.name}'s", pair.ref.period, quoted)

    async def reply(
        self, writer: Person, value: object, answers: Mapping[str, object], key: str
    ) -> ReplyOutcome:
        """A reply typed in the form; `key` names the submission, so a retry sends nothing."""
        pair = await self._pair(writer, value)
        if isinstance(pair, Message):
            return ReplyOutcome({}, pair)
        text, errors = check_reply(answers)
        if text is None:
            return ReplyOutcome(errors)
        # A Teams submission's key holds its conversation id, which can be long.
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        sent = await self._store(pair, f"reply:{digest}", store.REPLY, text)
        if sent is None:
            return ReplyOutcome({}, Message.plain("That reply was sent already."))
        return ReplyOutcome({}, Message.plain(f"💬 {sent}"), sent=True)

    async def answer_in_thread(
        self, writer: Person, thread: str, text: str, key: str
    ) -> Message | None:
        """Someone wrote in the thread of a check-in's summary (or of a reply in it): pass it
        on to the other one. None when it was not such a thread, or it went."""
        async with self.database.reading() as session:
            owner = await store.thread_owner(session, thread)
        if owner is None:
            return None
        value = CheckInRef(*owner).value
        outcome = await self.reply(writer, value, {REPLY_TEXT: text}, key)
        if outcome.errors:
            return Message.plain(next(iter(outcome.errors.values())))
        return None if outcome.sent else outcome.message

    async def _store(self, pair: Pair, key: str, kind: str, text: str | None) -> str | None:
        """Store the message and queue it; what the writer is told, or None if it was stored
        before (the same click or submit again)."""
        now = self.checkins.clock.now()
        async with self.database.transaction() as session:
            added = await store.add_message(
                session,
                key=key,
                report_id=pair.report.id,
                period=pair.ref.period,
                author_id=pair.writer.id,
                recipient_id=pair.recipient.id,
                kind=kind,
                text=text,
                now=now,
            )
            if added is None:
                return None
            await enqueue(
                session,
                key=f"{DeliveryKind.CHECKIN_MESSAGE}:{added}",
                kind=DeliveryKind.CHECKIN_MESSAGE,
                due_at=now,
                person_id=pair.recipient.id,
                period=pair.ref.period,
                payload={"message_id": added},
                wake=True,
            )
        recipient = pair.recipient
        name = first_name(recipient)
        zone = self.checkins.zone(recipient)
        opens = self.checkins.working_hours(recipient).next_working_moment(now, zone)
        if opens > now:
            return f"{name} will get it at the start of their working day, {describe(opens, zone)}."
        return f"Sent to {name}."

    async def _quote(self, pair: Pair, session: Session | None = None) -> str:
        if session is None:
            async with self.database.reading() as own:
                return await self._quote(pair, own)
        notes = await store.checkin_notes(session, pair.report.id, pair.ref.period)
        return quoted_checkin(pair.report.name, pair.ref, notes)

    async def outgoing(self, delivery: Delivery) -> Outgoing:
        """What a CHECKIN_MESSAGE delivery sends: a reply or 👍 to the person, threaded under
        their check-in's summary; an answer back to the manager, quoting the check-in."""
        message_id = int(delivery.payload.get("message_id") or 0)
        async with self.database.reading() as session:
            found = await store.get_message(session, message_id)
            if found is None:
                raise Suppressed(f"check-in message {message_id} is gone")
            recipient = active(await get_person(session, found.recipient_id), found.recipient_id)
            author = await get_person(session, found.author_id)
            report = await get_person(session, found.report_id)
            week = await get_week(session, found.report_id, found.period)
            if author is None or report is None:
                raise Suppressed(f"the people of check-in message {message_id} are gone")
            ref = CheckInRef(found.report_id, found.period)
            name = author.name
            if recipient.id == report.id:
                if found.kind == store.REACTION:
                    message = reaction_message(name, ref)
                else:
                    message = reply_message(name, ref, found.text or "")
                thread = week.summary_ref if week is not None else None
                return Outgoing(recipient, message, thread)
            pair = Pair(report, author, recipient, ref)
            about = await self._quote(pair, session)
        return Outgoing(recipient, reply_message(name, ref, found.text or "", about), None)

    async def delivered(self, delivery: Delivery, ref: dict[str, Any] | None) -> None:
        message_id = int(delivery.payload.get("message_id") or 0)
        async with self.database.transaction() as session:
            await store.mark_delivered(session, message_id, self.checkins.clock.now(), ref)
