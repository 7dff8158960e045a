"""The Slack side of okrbot on slack-bolt's AsyncApp: buttons, the modal, /okr and App Home.

Each listener acknowledges first when it can; anything slow (opening the modal aside, which must
use the trigger within three seconds) runs after the ack. The person is always the Slack user who
signed the request, never anyone named in an action value or private_metadata.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.slack import render
from okrbot.adapters.slack.messenger import SlackMessenger
from okrbot.bot.checkins import CHECK_IN, FORM_ID, KUDOS_TO, SKIP, SNOOZE, KudosDraft
from okrbot.bot.domain import Level, Person, Platform
from okrbot.bot.messages import Context, Message, Text
from okrbot.bot.overview import ReceivedKudos, help_message, home, okr_overview
from okrbot.scheduler.outbox import enqueue
from okrbot.storage import checkins as weeks
from okrbot.storage.convert import to_objective
from okrbot.storage.db import Database
from okrbot.storage.kudos import add_kudos
from okrbot.storage.models import InboundEventRow, KudosRow, ObjectiveRow, PersonRow

log = logging.getLogger(__name__)

OKR_COMMAND = "/okr"
KUDOS_COMMAND = "/kudos"
NOT_SET_UP = (
    "I don't know you yet: okrbot only talks to people its admin imported. "
    "Ask your admin to add you with `okrbot import people`."
)

NextPrompt = Callable[[Person], Awaitable[datetime | None]]


class SlackAdapter:
    """Holds the Bolt app and what its listeners need."""

    def __init__(
        self,
        *,
        database: Database,
        checkins: CheckIns,
        client: AsyncWebClient,
        signing_secret: str,
        next_prompt: NextPrompt | None = None,
        process_before_response: bool = False,
    ) -> None:
        self.database = database
        self.checkins = checkins
        self.messenger = SlackMessenger(client, database)
        self.next_prompt = next_prompt
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            process_before_response=process_before_response,
            # okrbot verifies signatures itself, on the raw body, before Bolt parses it
            # (adapters/slack/http.py); Bolt checks them again, which costs microseconds.
            request_verification_enabled=True,
            ignoring_self_events_enabled=True,
            url_verification_enabled=True,
        )
        self._register()

    @property
    def clock(self) -> Any:
        return self.checkins.clock

    def _register(self) -> None:
        app = self.app
        app.middleware(self._deduplicate_events)
        app.action(CHECK_IN)(self.open_checkin)
        app.action(SNOOZE)(self.snooze)
        app.action(SKIP)(self.skip)
        app.view(FORM_ID)(self.submit_checkin)
        app.command(OKR_COMMAND)(self.okr_command)
        app.event("app_home_opened")(self.app_home_opened)

    async def _deduplicate_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Slack retries events it thinks were missed; act on each event id once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self._first_time(f"slack:{event_id}"):
            log.info("ignoring a retry of Slack event %s", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    async def _first_time(self, event_key: str) -> bool:
        async with self.database.transaction() as session:
            dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            result = await session.execute(
                insert(InboundEventRow)
                .values(id=event_key, received_at=self.clock.now())
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(InboundEventRow.id)
            )
            return result.first() is not None

    async def _person(self, user_id: str | None) -> Person | None:
        if not user_id:
            return None
        return await self.messenger.person_for_user(user_id)

    # -- buttons -------------------------------------------------------------------------------

    async def open_checkin(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        person = await self._person(body.get("user", {}).get("id"))
        if person is None:
            await self._tell(body, Message(NOT_SET_UP, (Text(NOT_SET_UP),)))
            return
        form = await self.checkins.form(person, page=0)
        await client.views_open(trigger_id=body["trigger_id"], view=render.modal(form, {"page": 0}))

    async def snooze(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        person = await self._person(body.get("user", {}).get("id"))
        if person is None:
            await self._tell(body, Message(NOT_SET_UP, (Text(NOT_SET_UP),)))
            return
        period, until, message = await self.checkins.snooze(person)
        async with self.database.transaction() as session:
            await enqueue(
                session,
                key=f"snooze:{person.id}:{period}:{until.isoformat()}",
                kind="snoozed_prompt",
                due_at=until,
                person_id=person.id,
                period=period,
            )
        await self._replace_clicked_message(body, message)

    async def skip(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        person = await self._person(body.get("user", {}).get("id"))
        if person is None:
            await self._tell(body, Message(NOT_SET_UP, (Text(NOT_SET_UP),)))
            return
        _period, message = await self.checkins.skip(person)
        await self._replace_clicked_message(body, message)

    async def _replace_clicked_message(self, body: dict[str, Any], message: Message) -> None:
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        if channel and ts:
            await self.messenger.update({"channel": channel, "ts": ts}, message)

    async def _tell(self, body: dict[str, Any], message: Message) -> None:
        """A private answer to whoever clicked, in their DM with the bot."""
        user = body.get("user", {}).get("id")
        if user:
            opened = await self.messenger.client.conversations_open(users=user)
            await self.messenger.client.chat_postMessage(
                channel=opened["channel"]["id"], **render.message_kwargs(message)
            )

    # -- the modal -----------------------------------------------------------------------------

    async def submit_checkin(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        user_id = body.get("user", {}).get("id")
        person = await self._person(user_id)
        if person is None:
            await ack(response_action="errors", errors={_first_block(view): NOT_SET_UP})
            return
        result = await self.checkins.submit(
            person, render.state_values(view), Platform.SLACK, page=_page(view)
        )
        if result.errors:
            await ack(response_action="errors", errors=dict(result.errors))
            return
        if result.next_form is not None:
            await ack(
                response_action="update",
                view=render.modal(result.next_form, {"page": result.next_page}),
            )
            return
        await ack()
        kudos_note = None
        if result.kudos is not None:
            kudos_note = await self._store_checkin_kudos(person, user_id, result.kudos)
        if result.done:
            summary = await self.checkins.summary(person, kudos_note)
            await self._show_summary(person, result.period, summary)

    async def _store_checkin_kudos(
        self, person: Person, user_id: str | None, draft: KudosDraft
    ) -> str:
        recipients = [r for r in draft.recipients if r != user_id]
        async with self.database.transaction() as session:
            known = dict(
                (
                    await session.execute(
                        select(PersonRow.slack_user_id, PersonRow.id).where(
                            PersonRow.slack_user_id.in_(recipients)
                        )
                    )
                ).all()
            )
            await add_kudos(
                session,
                giver_id=person.id,
                giver_platform_id=user_id,
                recipients=[(known.get(r), r) for r in recipients],
                message=draft.message,
                values=(),
                platform=Platform.SLACK,
                source="checkin",
                now=self.clock.now(),
            )
        if not recipients:
            return "Kudos are for others: you can't recognise yourself."
        names = ", ".join(f"<@{r}>" for r in recipients)
        return f"🙌 Kudos sent to {names}."

    async def _show_summary(self, person: Person, period: str, summary: Message) -> None:
        """Replace the week's prompt with what was recorded, or DM it if there was no prompt."""
        async with self.database.reading() as session:
            week = await weeks.get_week(session, person.id, period)
        refs = [ref for ref in (week.prompt_refs if week else []) if ref.get("platform") == "slack"]
        if not refs:
            await self.messenger.send(person, [summary])
            return
        await self.messenger.update(refs[-1], summary)
        for ref in refs[:-1]:
            await self.messenger.update(
                ref, Message("Checked in", (Context("Checked in ✅ (see below)"),))
            )

    # -- /okr ----------------------------------------------------------------------------------

    async def okr_command(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        words = (command.get("text") or "").strip().split()
        sub = words[0].lower() if words else ""
        if sub == "help":
            await ack(**render.message_kwargs(help_message(OKR_COMMAND, KUDOS_COMMAND)))
            return
        person = await self._person(command.get("user_id"))
        if person is None:
            await ack(text=NOT_SET_UP)
            return
        if sub == "":
            moment, statuses = await self.checkins.statuses(person)
            await ack(
                **render.message_kwargs(okr_overview(moment.quarter.id, statuses, OKR_COMMAND))
            )
            return
        if sub in ("checkin", "check-in"):
            await ack()
            form = await self.checkins.form(person, page=0)
            await client.views_open(
                trigger_id=command["trigger_id"], view=render.modal(form, {"page": 0})
            )
            return
        helping = help_message(OKR_COMMAND, KUDOS_COMMAND)
        unknown = Text(
            f"I don't know `{OKR_COMMAND} {' '.join(words)[:50]}`. Here is what I can do:"
        )
        await ack(**render.message_kwargs(Message(helping.summary, (unknown, *helping.blocks[1:]))))

    # -- App Home ------------------------------------------------------------------------------

    async def app_home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event.get("user")
        person = await self._person(user_id)
        if person is None:
            view = render.home_view(Message(NOT_SET_UP, (Text(NOT_SET_UP),)))
            await client.views_publish(user_id=user_id, view=view)
            return
        await client.views_publish(user_id=user_id, view=render.home_view(await self.home(person)))

    async def home(self, person: Person) -> Message:
        moment, statuses = await self.checkins.statuses(person)
        quarter = moment.quarter
        async with self.database.reading() as session:
            received = await session.execute(
                select(KudosRow.message, PersonRow.name, KudosRow.giver_platform_id)
                .outerjoin(PersonRow, KudosRow.giver_id == PersonRow.id)
                .where(
                    KudosRow.recipient_id == person.id,
                    KudosRow.created_at >= _utc_start(quarter.start),
                )
                .order_by(KudosRow.created_at.desc())
            )
            kudos = [
                ReceivedKudos(giver=name or f"<@{platform_id}>", message=message)
                for message, name, platform_id in received
            ]
            company_rows = await session.scalars(
                select(ObjectiveRow)
                .where(
                    ObjectiveRow.quarter == quarter.id, ObjectiveRow.level == Level.COMPANY.value
                )
                .order_by(ObjectiveRow.position, ObjectiveRow.id)
            )
            company = [to_objective(row) for row in company_rows]
        next_prompt = None
        if self.next_prompt is not None:
            when = await self.next_prompt(person)
            if when is not None:
                local = when.astimezone(self.checkins.zone(person))
                next_prompt = local.strftime("%A %d %B, %H:%M") + f" ({local.tzname()})"
        return home(person.name, quarter.id, statuses, next_prompt, kudos, company)


def _page(view: dict[str, Any]) -> int:
    """The form page from private_metadata; it only picks a page, so a forged one is harmless."""
    try:
        page = json.loads(view.get("private_metadata") or "{}").get("page", 0)
        return page if isinstance(page, int) and 0 <= page < 100 else 0
    except (ValueError, AttributeError):
        return 0


def _first_block(view: dict[str, Any]) -> str:
    for item in view.get("blocks") or []:
        if item.get("type") == "input" and item.get("block_id"):
            return str(item["block_id"])
    return KUDOS_TO


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
