"""Drafting a personal OKR in chat, once for every platform: the form, storing the draft and
queueing the manager's DM, Approve and Comment, and the messages the outbox sends about it.

The person acting is always the one the platform authenticated; a button's value only names
the draft, and only the drafter's current manager may approve it or comment on it (a forwarded
message's button clicked by anyone else does nothing but say so). The draft, its DM and the
submission key are written in one transaction, so a double submit stores one draft; approving
is a conditional update, so a double click approves once and tells the drafter once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from okrbot.adapters.conversations import CheckIns
from okrbot.bot.delivery import DeliveryKind, Suppressed, active
from okrbot.bot.domain import Objective, Person, Source
from okrbot.bot.drafts import (
    NO_SUCH_DRAFT,
    TITLE,
    Draft,
    approved_for_drafter,
    approved_for_manager,
    check_comment,
    check_draft,
    closest_first,
    comment_for_drafter,
    comment_form,
    comment_sent,
    draft_form,
    not_their_manager,
    objective_hints,
    review_message,
    submitted_message,
)
from okrbot.bot.messages import Form, Message
from okrbot.scheduler.outbox import Delivery, enqueue
from okrbot.storage.db import Database, Session
from okrbot.storage.drafts import (
    add_draft,
    approve_draft,
    parent_choices,
    pending_drafts,
    title_taken,
)
from okrbot.storage.events import first_time_in
from okrbot.storage.okrs import get_objective
from okrbot.storage.people import direct_reports, get_person


@dataclass(frozen=True, slots=True)
class Answered:
    """A form's outcome: errors by field (shown on the form, nothing stored), or the message
    that replaces it."""

    errors: dict[str, str] = field(default_factory=dict)
    message: Message | None = None


class _Refused(Exception):
    """Nothing is stored: the transaction rolls back and the form shows these errors."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("refused")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Decision:
    """A manager's button: `ok` when they may act on the draft (the clicked message then
    becomes `message`); otherwise `message` says why nothing happened, to them alone."""

    ok: bool
    message: Message


def _draft_id(raw: object) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


class DraftsFlow:
    def __init__(self, database: Database, checkins: CheckIns) -> None:
        self.database = database
        self.checkins = checkins

    async def _manager(self, session: Session, person: Person) -> Person | None:
        """The person's manager, if they have one okrbot still talks to."""
        if person.manager_id is None:
            return None
        manager = await get_person(session, person.manager_id)
        return manager if manager is not None and not manager.deactivated else None

    async def form(self, person: Person) -> Form:
        quarter = self.checkins.moment(person).quarter.id
        async with self.database.reading() as session:
            parents = await parent_choices(session, quarter)
            manager = await self._manager(session, person)
            pending = await pending_drafts(session, person.id, quarter)
            team = {person.id}
            if person.manager_id is not None:
                team.add(person.manager_id)
                team.update(p.id for p in await direct_reports(session, person.manager_id))
        nearest = closest_first(parents, team)
        return draft_form(quarter, nearest, manager.name if manager else None, pending)

    async def submit(
        self, person: Person, answers: Mapping[str, object], submission: str | None
    ) -> Answered:
        """Check and store a draft; queue the manager's DM (or, with no manager, approve it)."""
        quarter = self.checkins.moment(person).quarter.id
        now = self.checkins.clock.now().astimezone(UTC)
        async with self.database.reading() as session:
            parents = await parent_choices(session, quarter)
        checked = check_draft(answers, [p.id for p in parents])
        if checked.errors or checked.draft is None:
            return Answered(errors=checked.errors)
        draft = checked.draft
        try:
            async with self.database.transaction() as session:
                # First, so that the same submission sent twice at once waits here, then
                # stores nothing more.
                if submission is not None and not await first_time_in(session, submission, now):
                    return Answered(message=Message.plain("That draft was sent already."))
                if await title_taken(session, quarter, draft.title):
                    message = (
                        f"An objective titled '{draft.title}' already exists in {quarter}; "
                        "give yours another title."
                    )
                    raise _Refused({TITLE: message})  # and the submission is not recorded
                objective, manager = await self._store(session, person, quarter, draft, now)
        except _Refused as refused:
            return Answered(errors=refused.errors)
        parent = next((p.title for p in parents if p.id == draft.parent_id), None)
        name = manager.name if manager else None
        return Answered(message=submitted_message(objective, parent, name, checked.hints))

    async def _store(
        self, session: Session, person: Person, quarter: str, draft: Draft, now: datetime
    ) -> tuple[Objective, Person | None]:
        """The draft, and the manager's DM queued (or, with no manager, the draft approved)."""
        manager = await self._manager(session, person)
        objective = await add_draft(
            session,
            owner_id=person.id,
            quarter=quarter,
            draft=draft,
            now=now,
            approved_by_id=None if manager else person.id,
        )
        if manager is not None:
            await _tell(session, DeliveryKind.DRAFT_REVIEW, manager, objective, now)
        return objective, manager

    async def _reviewable(
        self, session: Session, manager: Person, raw: object
    ) -> tuple[Objective, Person] | Message:
        """The chat draft a button names and its drafter, if `manager` manages them."""
        objective_id = _draft_id(raw)
        objective = await get_objective(session, objective_id) if objective_id else None
        if objective is None or objective.source is not Source.CHAT:
            return NO_SUCH_DRAFT
        drafter = await get_person(session, objective.owner_id)
        if drafter is None:
            return NO_SUCH_DRAFT
        if drafter.manager_id != manager.id:
            return not_their_manager(drafter.name)
        return objective, drafter

    async def approve(self, manager: Person, raw: object) -> Decision:
        now = self.checkins.clock.now().astimezone(UTC)
        async with self.database.transaction() as session:
            found = await self._reviewable(session, manager, raw)
            if isinstance(found, Message):
                return Decision(False, found)
            objective, drafter = found
            if await approve_draft(session, objective.id, manager.id, now):
                await _tell(session, DeliveryKind.DRAFT_APPROVED, drafter, objective, now)
                approver = manager.name
            else:  # approved a moment ago (a double click): the same answer
                who = await get_person(session, objective.approved_by_id or 0)
                approver = who.name if who else manager.name
        return Decision(True, approved_for_manager(drafter.name, objective, approver))

    async def comment_form(self, manager: Person, raw: object) -> Form | Message:
        async with self.database.reading() as session:
            found = await self._reviewable(session, manager, raw)
        if isinstance(found, Message):
            return found
        objective, drafter = found
        return comment_form(drafter.name, objective)

    async def comment(
        self,
        manager: Person,
        raw: object,
        answers: Mapping[str, object],
        submission: str | None,
    ) -> Answered:
        text, errors = check_comment(answers)
        if text is None:
            return Answered(errors=errors)
        now = self.checkins.clock.now().astimezone(UTC)
        async with self.database.transaction() as session:
            found = await self._reviewable(session, manager, raw)
            if isinstance(found, Message):
                return Answered(message=found)
            objective, drafter = found
            await _tell(
                session,
                DeliveryKind.DRAFT_COMMENT,
                drafter,
                objective,
                now,
                once_per=submission or now.isoformat(),
                manager_id=manager.id,
                comment=text,
            )
        return Answered(message=comment_sent(drafter.name, objective))

    async def delivery_message(self, delivery: Delivery) -> tuple[Person, Message]:
        """Who a draft delivery goes to and what it says, as things stand now."""
        person_id = delivery.person_id or 0
        objective_id = _draft_id(delivery.payload.get("objective_id"))
        async with self.database.reading() as session:
            person = active(await get_person(session, person_id), person_id)
            objective = await get_objective(session, objective_id) if objective_id else None
            if objective is None:
                raise Suppressed(f"the draft behind {delivery.key} is gone")
            if delivery.kind == DeliveryKind.DRAFT_REVIEW:
                if not objective.pending:
                    raise Suppressed(f"{objective.title!r} was decided before its review went")
                drafter = await get_person(session, objective.owner_id)
                parent = (
                    await get_objective(session, objective.parent_id)
                    if objective.parent_id
                    else None
                )
                name = drafter.name if drafter else "Someone"
                hints = objective_hints(objective)
                return person, review_message(name, objective, parent and parent.title, hints)
            if delivery.kind == DeliveryKind.DRAFT_APPROVED:
                approver = await get_person(session, objective.approved_by_id or 0)
                return person, approved_for_drafter(objective, approver.name if approver else "")
            manager = await get_person(session, int(delivery.payload.get("manager_id") or 0))
            comment = str(delivery.payload.get("comment") or "")
            name = manager.name if manager else "Your manager"
            return person, comment_for_drafter(objective, name, comment)


async def _tell(
    session: Session,
    kind: DeliveryKind,
    whom: Person,
    objective: Objective,
    now: datetime,
    once_per: str | None = None,
    **more: object,
) -> None:
    """Queue a message about a draft to `whom`, now: one per draft and kind (and per
    `once_per`, for what may come more than once, such as comments)."""
    key = f"{kind}:{objective.id}" + (f":{once_per}" if once_per is not None else "")
    payload = {"objective_id": objective.id, **more}
    await enqueue(
        session, key=key, kind=kind, due_at=now, wake=True, person_id=whom.id, payload=payload
    )
