"""1:1 agendas, once for every platform: building a pair's agenda, adding an item, and Mark
discussed.

The person acting is always the one the platform authenticated, and the other one is whoever
they named; the two must be a manager and their direct report, read again from the database
on every request (a button's value only names the pair and the moment its agenda was read).
Marking discussed is keyed by that value in the same transaction as its writes, so a double
click, or both of the pair clicking their own copy, records the 1:1 once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.drafts_flow import Answered, Decision
from okrbot.bot.agenda import (
    AGENDA_AHEAD,
    NO_MANAGER,
    NO_SUCH_AGENDA,
    AgendaData,
    KudosReceived,
    Rhythm,
    added_message,
    agenda_message,
    check_item,
    discussed_message,
    item_form,
    left_message,
    meeting_after,
    next_meeting,
    pair_of,
    parse_discussed_value,
    refusal,
    rhythm_set_message,
    rhythm_stopped_message,
    short_date,
)
from okrbot.bot.checkins import is_week_key
from okrbot.bot.delivery import DeliveryKind, Suppressed, active
from okrbot.bot.domain import Person
from okrbot.bot.messages import Form, Message
from okrbot.scheduler.outbox import Delivery, enqueue
from okrbot.storage.agenda import (
    add_item,
    discussed_when_held,
    feedback_requests_since,
    get_rhythm,
    last_held,
    notes_since,
    open_items,
    record_held,
    rhythm_of,
    set_rhythm,
    stop_rhythm,
    week_notes,
)
from okrbot.storage.db import Database, Session
from okrbot.storage.events import first_time_in
from okrbot.storage.kudos import quarter_bounds, received_in
from okrbot.storage.people import get_person


class AgendaFlow:
    def __init__(self, database: Database, checkins: CheckIns) -> None:
        self.database = database
        self.checkins = checkins

    def _now(self) -> datetime:
        return self.checkins.clock.now().astimezone(UTC)

    async def _pair(
        self, caller: Person, other: Person | None, command: str
    ) -> tuple[Person, Person] | Message:
        """(manager, report), or what to tell the caller instead."""
        pair = pair_of(caller, other)
        if pair is None:
            return Message.plain(refusal(command))
        manager, report = pair
        if report.deactivated and caller.id == manager.id:
            return left_message(report)
        if report.deactivated or manager.deactivated:
            return Message.plain(refusal(command))
        return pair

    async def show(self, caller: Person, other: Person | None, command: str) -> Decision:
        """The pair's agenda as the caller sees it (ok; for them alone), or why there is none."""
        pair = await self._pair(caller, other, command)
        if isinstance(pair, Message):
            return Decision(False, pair)
        manager, report = pair
        now = self._now()
        async with self.database.reading() as session:
            data = await self._data(session, manager, report, now)
        return Decision(True, agenda_message(data, caller, command))

    async def _data(
        self, session: Session, manager: Person, report: Person, now: datetime
    ) -> AgendaData:
        held = await last_held(session, manager.id, report.id)
        moment, statuses = await self.checkins.statuses(report, session)
        since = held or quarter_bounds(moment.quarter)[0]
        # A second past now, so that a kudos stored in this very second is counted.
        received = await received_in(session, report.id, since, now + timedelta(seconds=1))
        zone = self.checkins.zone(manager)
        return AgendaData(
            manager=manager,
            report=report,
            since=held.astimezone(zone).date() if held else moment.quarter.start,
            since_last_one_on_one=held is not None,
            as_of=now,
            key_results=statuses,
            notes=await notes_since(session, report.id, since),
            kudos=[
                KudosReceived(r.giver_name or "a colleague", r.kudos.message)
                for r in reversed(received)
            ],
            items=await open_items(session, manager.id, report.id),
            feedback_requests=await feedback_requests_since(session, manager.id, report.id, since),
        )

    # -- a rhythm: the agenda to both, an hour before each meeting --------------------------------

    async def set_rhythm(
        self, caller: Person, other: Person | None, rhythm: Rhythm | None, command: str
    ) -> Message:
        """Either of the pair sets (or, with None, stops) their 1:1's rhythm; the first
        meeting's agendas are queued at once."""
        pair = await self._pair(caller, other, command)
        if isinstance(pair, Message):
            return pair
        manager, report = pair
        named = report if caller.id == manager.id else manager
        now = self._now()
        zone = self.checkins.zone(manager)
        async with self.database.transaction() as session:
            if rhythm is None:
                return rhythm_stopped_message(named, await stop_rhythm(session, *_ids(pair)))
            first = next_meeting(rhythm, zone, now)
            await set_rhythm(
                session,
                manager_id=manager.id,
                report_id=report.id,
                rhythm=rhythm,
                next_meeting=first,
                now=now,
            )
            await _queue_agendas(session, manager, report, first, now)
        return rhythm_set_message(named, rhythm, first, zone)

    async def delivery_message(self, delivery: Delivery) -> tuple[Person, Message]:
        """The agenda of a rhythm's meeting, for one of the pair, as things stand now; the next
        meeting's agendas are queued on the way (once, by key, whichever of the two goes
        first). Nothing goes for a rhythm changed or stopped since, or a pair that is no
        longer one."""
        payload = delivery.payload
        person_id = delivery.person_id or 0
        manager_id, report_id = (
            int(payload.get("manager_id") or 0),
            int(payload.get("report_id") or 0),
        )
        meeting = datetime.fromisoformat(str(payload.get("meeting")))
        now = self._now()
        async with self.database.transaction() as session:
            person = active(await get_person(session, person_id), person_id)
            manager = await get_person(session, manager_id)
            report = await get_person(session, report_id)
            if manager is None or report is None or pair_of(manager, report) != (manager, report):
                raise Suppressed(f"{delivery.key}: the pair is no longer manager and report")
            if manager.deactivated or report.deactivated:
                raise Suppressed(f"{delivery.key}: one of the pair is deactivated")
            row = await get_rhythm(session, manager_id, report_id)
            if row is None or row.set_at != datetime.fromisoformat(str(payload.get("set_at"))):
                raise Suppressed(f"{delivery.key}: the rhythm was changed or stopped")
            zone = self.checkins.zone(manager)
            following = meeting_after(rhythm_of(row), zone, meeting)
            if row.next_meeting <= meeting:
                row.next_meeting = following
            await _queue_agendas(session, manager, report, following, row.set_at)
            data = await self._data(session, manager, report, now)
        local = meeting.astimezone(self.checkins.zone(person))
        when = f"{short_date(local.date())} {local:%H:%M}"
        return person, agenda_message(data, person, "/okr" if person.slack_user_id else "", when)

    async def add(self, caller: Person, other: Person | None, text: str, command: str) -> Message:
        pair = await self._pair(caller, other, command)
        if isinstance(pair, Message):
            return pair
        manager, report = pair
        async with self.database.transaction() as session:
            await add_item(
                session,
                manager_id=manager.id,
                report_id=report.id,
                author_id=caller.id,
                text=text,
                now=self._now(),
            )
        return added_message(report if caller.id == manager.id else manager, text, command)

    async def discussed(self, caller: Person, raw: object, command: str) -> Decision:
        """Mark discussed: the agenda's items done and the 1:1 recorded as held, once."""
        named = parse_discussed_value(raw)
        if named is None:
            return Decision(False, NO_SUCH_AGENDA)
        manager_id, report_id, stamp = named
        now = self._now()
        async with self.database.transaction() as session:
            other = await get_person(session, report_id if caller.id == manager_id else manager_id)
            pair = await self._pair(caller, other, command)
            if isinstance(pair, Message):
                return Decision(False, pair)
            manager, report = pair
            if (manager.id, report.id) != (manager_id, report_id):
                return Decision(False, NO_SUCH_AGENDA)
            as_of = datetime.fromtimestamp(stamp, UTC)
            key = f"agenda:held:{manager.id}:{report.id}:{stamp}"
            items = 0
            if await first_time_in(session, key, now):
                items = await record_held(
                    session,
                    manager_id=manager.id,
                    report_id=report.id,
                    as_of=as_of,
                    now=now,
                    recorded_by_id=caller.id,
                )
                marked_by, held = caller.name, now
            else:  # clicked a moment ago (a double click): the same answer
                marked_by = caller.name
                held = await last_held(session, manager.id, report.id) or now
                items = await discussed_when_held(session, manager.id, report.id, held)
        other_person = report if caller.id == manager.id else manager
        day = held.astimezone(self.checkins.zone(caller)).date()
        return Decision(True, discussed_message(other_person, marked_by, day, items))

    # -- the check-in summary's "Add to 1:1 agenda" -------------------------------------------

    async def _manager_of(self, session: Session, person: Person) -> Person | None:
        manager = await get_person(session, person.manager_id) if person.manager_id else None
        return manager if manager is not None and not manager.deactivated else None

    async def item_form(self, person: Person, period: object) -> Form | Message:
        """The form for a week's check-in notes, prefilled with them."""
        async with self.database.reading() as session:
            manager = await self._manager_of(session, person)
            week = str(period) if is_week_key(period) else ""
            notes = await week_notes(session, person.id, week) if week else []
        if manager is None:
            return NO_MANAGER
        return item_form(manager, [note for _id, note in notes])

    async def add_from_checkin(
        self,
        person: Person,
        period: object,
        answers: Mapping[str, object],
        submission: str | None,
        command: str,
    ) -> Answered:
        """The form's item, stored once for the person and their manager, pointing at the
        week's first check-in with a note."""
        text, errors = check_item(answers)
        if text is None:
            return Answered(errors=errors)
        now = self._now()
        async with self.database.transaction() as session:
            manager = await self._manager_of(session, person)
            if manager is None:
                return Answered(message=NO_MANAGER)
            week = str(period) if is_week_key(period) else ""
            notes = await week_notes(session, person.id, week) if week else []
            if submission is None or await first_time_in(session, submission, now):
                await add_item(
                    session,
                    manager_id=manager.id,
                    report_id=person.id,
                    author_id=person.id,
                    text=text,
                    now=now,
                    checkin_id=notes[0][0] if notes else None,
                )
        return Answered(message=added_message(manager, text, command))


def _ids(pair: tuple[Person, Person]) -> tuple[int, int]:
    return pair[0].id, pair[1].id


async def _queue_agendas(
    session: Session, manager: Person, report: Person, meeting: datetime, set_at: datetime
) -> None:
    """The meeting's agenda to each of the pair, an hour before it: one delivery per person
    and meeting, so a retry, a second replica or the other's delivery never queues it twice."""
    for person in (manager, report):
        await enqueue(
            session,
            key=f"{DeliveryKind.AGENDA}:{manager.id}:{report.id}:{meeting:%Y%m%dT%H%MZ}:{person.id}",
            kind=DeliveryKind.AGENDA,
            due_at=meeting - AGENDA_AHEAD,
            person_id=person.id,
            payload={
                "manager_id": manager.id,
                "report_id": report.id,
                "meeting": meeting.isoformat(),
                "set_at": set_at.isoformat(),
            },
        )
