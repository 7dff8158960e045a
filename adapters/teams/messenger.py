"""Sending to people on Teams, proactively: continue the conversation stored at install.

Teams lets a bot write first only into a conversation it already has, so every send continues the
conversation reference kept in `people.teams_conversation`. Failures are classified for the
outbox: throttling and server errors are retried later (honouring Retry-After); a bot that was
blocked or uninstalled (403) marks the person unreachable and is not retried.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import requests
from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationReference, ErrorResponseException
from msrest.exceptions import ClientRequestError

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.teams import render
from okrbot.bot.checkins import CHECK_IN, SKIP, SNOOZE
from okrbot.bot.clock import Clock
from okrbot.bot.delivery import (
    FIRST_TRY,
    PermanentDeliveryError,
    Progress,
    Suppressed,
    Throttled,
    TransientDeliveryError,
    Unreachable,
)
from okrbot.bot.domain import Person
from okrbot.bot.messages import Actions, Button, Context, Header, Message, Text
from okrbot.bot.messenger import Target
from okrbot.scheduler.ratelimit import PostThrottle
from okrbot.storage.db import Database
from okrbot.storage.people import mark_teams_unreachable, teams_conversation, teams_reachable

log = logging.getLogger(__name__)

PLATFORM = "teams"
RETRIED_STATUSES = {408, 412, 429, 502, 503, 504}


def status_of(error: ErrorResponseException) -> int:
    # msrest's Response is falsy for 4xx/5xx, so it must be compared with None.
    response = error.response
    return int(getattr(response, "status_code", 0) or 0) if response is not None else 0


def code_of(error: ErrorResponseException) -> str:
    body = getattr(error, "error", None)
    inner = getattr(body, "error", None)
    return str(getattr(inner, "code", "") or "")


def retry_after(error: ErrorResponseException) -> float | None:
    response = error.response
    headers = getattr(response, "headers", None) if response is not None else None
    if not headers:
        return None
    raw = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except ValueError:
        return None


def as_delivery_error(error: Exception) -> Exception:
    """Classify a failed connector call for the outbox: retry later, or give up."""
    if isinstance(error, ErrorResponseException):
        status, code = status_of(error), code_of(error)
        if status == 403:
            return Unreachable(f"Teams: {code or 'Forbidden'} (the bot is blocked or removed)")
        if status == 429:
            return Throttled(
                f"Teams throttled the bot (HTTP 429 {code})".rstrip(), retry_after(error)
            )
        if status in RETRIED_STATUSES or status >= 500:
            return TransientDeliveryError(f"Teams answered HTTP {status}", retry_after(error))
        return PermanentDeliveryError(f"Teams: HTTP {status} {code}".rstrip())
    if isinstance(error, ClientRequestError | requests.RequestException | OSError | TimeoutError):
        return TransientDeliveryError(f"network: {type(error).__name__}: {error}")
    return error


def card_activity(card: dict[str, Any], summary: str) -> Activity:
    activity = MessageFactory.attachment(render.attachment(card))
    activity.summary = summary
    return activity


def is_checkin_prompt(messages: list[Message]) -> bool:
    """The weekly prompt ends with the Check in / Snooze / Skip buttons."""
    last = messages[-1].blocks if messages else ()
    actions = [block for block in last if isinstance(block, Actions)]
    return bool(actions) and actions[0].buttons[0].action == CHECK_IN


class TeamsMessenger:
    """Proactive sends and card updates through a botbuilder CloudAdapter."""

    kudos_pointer = "Type `home` in our chat to see all your kudos this quarter."

    def __init__(
        self,
        adapter: BotAdapter,
        database: Database,
        checkins: CheckIns,
        clock: Clock,
        app_id: str = "",
        throttle: PostThrottle | None = None,
    ) -> None:
        self.adapter = adapter
        self.database = database
        self.checkins = checkins
        self.clock = clock
        self.app_id = app_id
        # The tenant-wide and per-conversation rate Teams allows (the runtime's).
        self.throttle = throttle

    async def checkin_card(
        self,
        person: Person,
        page: int = 0,
        *,
        intro: tuple[Header | Text, ...] = (),
        errors: dict[str, str] | None = None,
        typed: dict[str, object] | None = None,
    ) -> dict[str, Any]:
        """The check-in as one card: where things stand, the inputs, and the buttons."""
        form = await self.checkins.form(person, page)
        period = self.checkins.moment(person).period
        secondary = (
            (Button("Snooze 2h", SNOOZE, period), Button("Skip this week", SKIP, period))
            if page == 0
            else ()
        )
        footer = (Context("Your answers go to you and your manager only. It takes a minute."),)
        return render.form_card(
            form,
            page=page,
            period=period,
            intro=intro,
            secondary=secondary,
            footer=footer,
            errors=errors,
            typed=typed,
        )

    async def reference(self, person: Person) -> ConversationReference:
        async with self.database.reading() as session:
            stored = await teams_conversation(session, person.id)
        if not stored:
            raise PermanentDeliveryError(
                f"{person.email} has not installed okrbot in Teams yet, so it cannot write first"
            )
        return ConversationReference().deserialize(stored)

    async def send(self, person: Person, messages: list[Message]) -> list[dict[str, Any]]:
        """Post to the person's 1:1 chat; the weekly prompt goes as one card with its inputs."""
        return await self.send_parts(person, messages)

    async def send_parts(
        self,
        person: Person,
        messages: list[Message],
        progress: Progress = FIRST_TRY,
        thread: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Post the parts (activities) not yet `sent`, telling `on_sent` each activity id as soon
        as the connector answers; every part's reference. Teams has no message metadata to
        find a post by, so the key is unused: a crash between the connector's answer and
        `on_sent` is the one window left in which a part can go twice. With a `thread` (a
        card okrbot sent in this chat) each part goes as the connector's reply to that card."""
        sent, on_sent = dict(progress.sent), progress.on_sent
        reference = await self.reference(person)
        # The card these parts answer; else the connector's reply goes to the continuation's
        # made-up id, which Teams shows as a message of its own.
        answering = str(thread.get("activity_id") or "") if thread is not None else ""
        if is_checkin_prompt(messages):
            intro = tuple(b for b in messages[0].blocks[:2] if isinstance(b, Header | Text))
            card = await self.checkin_card(person, 0, intro=intro)
            activities = [card_activity(card, messages[0].summary)]
        else:
            activities = [card_activity(render.message_card(m), m.summary) for m in messages]

        stored = reference.serialize()

        async def logic(context: TurnContext) -> list[dict[str, Any]]:
            refs = []
            if answering:
                context.activity.id = answering  # what send_activity replies to
            for part, activity in enumerate(activities):
                if part in sent:
                    refs.append(sent[part])
                    continue
                answer = await context.send_activity(activity)
                ref = {
                    "platform": PLATFORM,
                    "activity_id": answer.id if answer is not None else "",
                    "conversation": stored,
                }
                refs.append(ref)
                if on_sent is not None:
                    await on_sent(part, ref)
            return refs

        try:
            return await self._continue(reference, logic)
        except Unreachable:
            await self._mark_unreachable(person)
            raise

    async def find_tagged(self, person: Person, key: str) -> dict[int, dict[str, Any]]:
        """Nothing: Teams has no message metadata to find an earlier attempt's post by."""
        return {}

    async def post(self, target: Target, message: Message) -> None:
        """Post in a channel conversation through its stored reference, as a proactive turn."""
        if not isinstance(target, Mapping):
            raise Suppressed("the recipient is not an imported person, so Teams cannot reach them")
        reference = ConversationReference().deserialize(dict(target))
        activity = card_activity(render.message_card(message), message.summary)
        conversation = reference.conversation
        # A channel itself, not a thread in it (`…;messageid=…`): a new post in the channel,
        # sent to the conversation rather than as a reply to the proactive turn's made-up id.
        new_post = (
            conversation is not None
            and conversation.conversation_type == "channel"
            and ";messageid=" not in (conversation.id or "")
        )

        async def logic(context: TurnContext) -> None:
            if new_post:
                context.activity.id = None
            await context.send_activity(activity)

        await self._continue(reference, logic)

    async def why_unreachable(self, person: Person) -> str | None:
        async with self.database.reading() as session:
            if await teams_reachable(session, person.id):
                return None
        return f"{person.email} has not installed okrbot in Teams"

    async def update(self, ref: dict[str, Any], message: Message) -> None:
        await self.update_card(ref, render.message_card(message), message.summary)

    async def attach(self, person: Person, filename: str, title: str, png: bytes) -> None:
        """An image (a chart) as its own card; Teams shows a data URI inline, no hosting."""
        card = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.5",
            "body": [
                {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
                {
                    "type": "Image",
                    "url": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                    "altText": f"{title}: progress of each key result over the quarter",
                },
            ],
        }
        reference = await self.reference(person)

        async def logic(context: TurnContext) -> None:
            await context.send_activity(card_activity(card, title))

        await self._continue(reference, logic)

    async def update_card(self, ref: dict[str, Any], card: dict[str, Any], summary: str) -> None:
        reference = ConversationReference().deserialize(ref["conversation"])
        activity = card_activity(card, summary)
        activity.id = ref["activity_id"]

        async def logic(context: TurnContext) -> None:
            await context.update_activity(activity)

        await self._continue(reference, logic)

    async def _continue(
        self, reference: ConversationReference, logic: Callable[[TurnContext], Awaitable[Any]]
    ) -> Any:
        """Run `logic` in a proactive turn and raise what it hit as a delivery error.

        Errors are carried out of the turn by hand: the adapter's on_turn_error would otherwise
        swallow them, and the outbox would count a failed send as sent.
        """
        outcome: dict[str, Any] = {}

        async def turn(context: TurnContext) -> None:
            # TeamsInfo and some middleware read the tenant from channelData, which a
            # continuation activity lacks.
            tenant = reference.conversation.tenant_id if reference.conversation else None
            if tenant:
                context.activity.channel_data = {"tenant": {"id": tenant}}
            try:
                outcome["result"] = await logic(context)
            except Exception as error:
                outcome["error"] = error

        if self.throttle is not None and reference.conversation is not None:
            await self.throttle.before_post(str(reference.conversation.id))
        try:
            await self.adapter.continue_conversation(reference, turn, bot_app_id=self.app_id)
        except Exception as error:
            outcome.setdefault("error", error)
        if "error" in outcome:
            error = outcome["error"]
            classified = as_delivery_error(error)
            if classified is error:
                raise error
            raise classified from error
        return outcome.get("result")

    async def _mark_unreachable(self, person: Person) -> None:
        log.warning("%s blocked or removed okrbot in Teams; marking unreachable", person.email)
        async with self.database.transaction() as session:
            await mark_teams_unreachable(session, person.id, self.clock.now())
