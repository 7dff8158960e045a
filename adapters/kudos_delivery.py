"""Kudos, stored and sent: one transaction for the rows and their outbox deliveries, then sends.

Giving kudos is all or nothing. The kudos rows, the public post and each recipient's DM are
written in one transaction, after the daily limit is checked inside it; the outbox then sends
them, so a channel that answers 5xx is retried later and the kudos is never stored twice.
Deliveries are keyed by kudos id, so they are idempotent too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.schema import ConversationReference
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from okrbot.adapters.slack.messenger import SlackMessenger
from okrbot.adapters.slack.messenger import as_delivery_error as slack_error
from okrbot.adapters.slack.render import message_kwargs
from okrbot.adapters.teams import render as teams_render
from okrbot.adapters.teams.messenger import TeamsMessenger, card_activity
from okrbot.adapters.teams.messenger import as_delivery_error as teams_error
from okrbot.bot.delivery import PermanentDeliveryError, Suppressed, active
from okrbot.bot.domain import Kudos, Person, Platform
from okrbot.bot.kudos import (
    LimitResult,
    check_limit,
    day_start,
    deactivated_recipients,
    public_post,
    recipient_dm,
)
from okrbot.bot.messages import Message
from okrbot.scheduler.outbox import Delivery, enqueue
from okrbot.storage.db import Database
from okrbot.storage.events import first_time_in, seen_in
from okrbot.storage.kudos import add_kudos, given_since
from okrbot.storage.models import KudosRow, PersonRow
from okrbot.storage.people import get_person

log = logging.getLogger(__name__)

KUDOS_POST, KUDOS_DM = "kudos_post", "kudos_dm"
KINDS = (KUDOS_POST, KUDOS_DM)
# Slack answers these when the bot may not post in the channel; retrying cannot help.
NOT_ALLOWED_HERE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


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

    @property
    def ok(self) -> bool:
        return bool(self.kudos) or self.repeated

    @property
    def message(self) -> str:
        """Why nothing was given."""
        return self.refused or self.limit.message


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
    post_to: str | dict[str, Any] | None,
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
        if not database.is_sqlite:
            # One giver's concurrent requests queue here, so they cannot both pass the limit.
            await session.execute(
                select(PersonRow.id).where(PersonRow.id == giver.id).with_for_update()
            )
        given_today = await given_since(session, giver.id, day_start(now_local))
        if submission is not None and await seen_in(session, submission):
            return Given((), check_limit(given_today, 0, daily_limit, now_local), repeated=True)
        limit = check_limit(given_today, len(recipients), daily_limit, now_local)
        ids = [r.person_id for r in recipients if r.person_id is not None]
        left = list(
            await session.scalars(
                select(PersonRow.name)
                .where(PersonRow.id.in_(ids), PersonRow.deactivated_at.is_not(None))
                .order_by(PersonRow.name)
            )
        )
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
        common = {"platform": platform.value, "giver": giver.name, "message": message}
        common["values"] = list(values)
        if post_to is not None:
            await enqueue(
                session,
                key=f"{KUDOS_POST}:{stored[0].id}",
                kind=KUDOS_POST,
                due_at=now,
                wake=True,
                payload={
                    **common,
                    "to": post_to,
                    "kudos_ids": [k.id for k in stored],
                    "recipients": [r.name for r in recipients],
                },
            )
        for kudos, recipient in zip(stored, recipients, strict=True):
            if recipient.person_id is None and platform is not Platform.SLACK:
                continue
            await enqueue(
                session,
                key=f"{KUDOS_DM}:{kudos.id}",
                kind=KUDOS_DM,
                due_at=now,
                wake=True,
                person_id=recipient.person_id,
                payload={
                    **common,
                    "kudos_id": kudos.id,
                    "user_id": recipient.platform_id,
                    "posted": post_to is not None,
                },
            )
    return Given(tuple(stored), limit)


class KudosCourier:
    """Sends the kudos deliveries: the public post and the recipients' DMs."""

    def __init__(self, database: Database, slack: object | None, teams: object | None) -> None:
        self.database = database
        self.slack = slack if isinstance(slack, SlackMessenger) else None
        self.teams = teams if isinstance(teams, TeamsMessenger) else None

    async def deliver(self, delivery: Delivery) -> None:
        payload = delivery.payload
        ids = payload.get("kudos_ids") or [payload.get("kudos_id")]
        async with self.database.reading() as session:
            present = list(await session.scalars(select(KudosRow.id).where(KudosRow.id.in_(ids))))
        if not present:
            raise Suppressed(f"the kudos behind {delivery.key} no longer exists")
        platform = payload.get("platform")
        if delivery.kind == KUDOS_POST:
            message = public_post(
                str(payload.get("giver") or ""),
                [str(name) for name in payload.get("recipients") or []],
                str(payload.get("message") or ""),
                [str(value) for value in payload.get("values") or []],
            )
            if platform == Platform.SLACK.value:
                await self._slack_post(str(payload["to"]), message)
            else:
                await self._teams_post(dict(payload["to"]), message)
            return
        message = recipient_dm(
            str(payload.get("giver") or ""),
            str(payload.get("message") or ""),
            [str(value) for value in payload.get("values") or []],
            bool(payload.get("posted")),
        )
        person = None
        if delivery.person_id is not None:
            async with self.database.reading() as session:
                person = active(await get_person(session, delivery.person_id), delivery.person_id)
        if platform == Platform.SLACK.value:
            await self._slack_dm(person, payload.get("user_id"), message)
        else:
            await self._teams_dm(person, message)

    # -- Slack ---------------------------------------------------------------------------------

    def _slack_messenger(self) -> SlackMessenger:
        if self.slack is None:
            raise PermanentDeliveryError("Slack is not configured, so a Slack kudos cannot go out")
        return self.slack

    async def _slack_post(self, channel: str, message: Message) -> None:
        messenger = self._slack_messenger()
        try:
            if messenger.throttle is not None:
                await messenger.throttle.before_post(channel)
            await messenger.client.chat_postMessage(
                channel=channel, unfurl_links=False, **message_kwargs(message)
            )
        except SlackApiError as error:
            code = str(error.response.get("error", "")) if error.response is not None else ""
            if code in NOT_ALLOWED_HERE:
                raise PermanentDeliveryError(
                    f"Slack: {code}: okrbot cannot post in {channel}; invite it to the channel "
                    "or set OKRBOT_KUDOS_CHANNEL to a channel it is in"
                ) from error
            raise slack_error(error) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise slack_error(error) from error

    async def _slack_dm(self, person: Person | None, user_id: Any, message: Message) -> None:
        messenger = self._slack_messenger()
        if person is not None:
            await messenger.send(person, [message])
            return
        if not user_id:
            raise PermanentDeliveryError("a Slack kudos DM names no one")
        # Not an imported person: Slack opens the DM when posting to a user id.
        try:
            if messenger.throttle is not None:
                await messenger.throttle.before_post(str(user_id))
            await messenger.client.chat_postMessage(channel=str(user_id), **message_kwargs(message))
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as error:
            raise slack_error(error) from error

    # -- Teams ---------------------------------------------------------------------------------

    def _teams_messenger(self) -> TeamsMessenger:
        if self.teams is None:
            raise PermanentDeliveryError("Teams is not configured, so a Teams kudos cannot go out")
        return self.teams

    async def _teams_post(self, stored: dict[str, Any], message: Message) -> None:
        """Post in a channel conversation through its reference, as a proactive turn."""
        messenger = self._teams_messenger()
        reference = ConversationReference().deserialize(stored)
        activity = card_activity(teams_render.message_card(message), message.summary)
        failure: dict[str, Exception] = {}

        async def turn(context: TurnContext) -> None:
            try:
                await context.send_activity(activity)
            except Exception as error:  # carried out: on_turn_error would swallow it
                failure["error"] = error

        try:
            await messenger.adapter.continue_conversation(
                reference, turn, bot_app_id=messenger.app_id
            )
        except Exception as error:
            failure.setdefault("error", error)
        if "error" in failure:
            error = failure["error"]
            classified = teams_error(error)
            if classified is error:
                raise error
            raise classified from error

    async def _teams_dm(self, person: Person | None, message: Message) -> None:
        messenger = self._teams_messenger()
        if person is None:
            raise Suppressed("the recipient is not an imported person, so Teams cannot reach them")
        async with self.database.reading() as session:
            row = await session.get(PersonRow, person.id)
            reachable = row is not None and row.teams_conversation and not row.teams_unreachable_at
        if not reachable:
            raise Suppressed(f"{person.email} has not installed okrbot in Teams")
        await messenger.send(person, [message])
