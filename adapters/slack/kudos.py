"""What Slack's kudos need beyond the shared flow (adapters/kudos_flow.py): who the named
Slack users are, what the giver calls the place the kudos was posted, and the view the kudos
modal closes with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError

from okrbot.adapters.kudos_flow import KudosFlow
from okrbot.adapters.slack import render
from okrbot.adapters.slack.messenger import SlackMessenger
from okrbot.bot.checkins import KudosDraft
from okrbot.bot.domain import Person, Platform
from okrbot.bot.kudos import KUDOS_FORM_ID
from okrbot.bot.kudos_giving import Named
from okrbot.bot.messages import Message

KUDOS_COMMAND = "/kudos"


async def named_users(
    messenger: SlackMessenger,
    user_ids: Sequence[str],
    giver_id: str | None,
    bot_user_id: str | None,
    labels: Mapping[str, str] | None = None,
) -> list[Named]:
    """The Slack users named in a kudos, as Slack knows them, each once (the giver and okrbot
    itself need no lookup)."""
    named = []
    for user_id in dict.fromkeys(uid for uid in user_ids if uid):
        label = (labels or {}).get(user_id, user_id)
        if user_id == giver_id:
            named.append(Named(user_id, label))
        elif bot_user_id and user_id == bot_user_id:
            named.append(Named(user_id, label, bot=True))
        else:
            named.append(await _slack_user(messenger, user_id, label))
    return named


async def _slack_user(messenger: SlackMessenger, user_id: str, label: str) -> Named:
    """An imported person, else anyone in the workspace; bots and strangers marked so."""
    person = await messenger.person_for_user(user_id)
    if person is not None:
        return Named(user_id, person.name, person)
    try:
        info = await messenger.client.users_info(user=user_id)
    except SlackApiError:
        return Named(user_id, label, found=False)
    user = info.get("user") or {}
    if user.get("is_bot") or user_id == "USLACKBOT":
        return Named(user_id, label, bot=True)
    if user.get("deleted"):
        return Named(user_id, label, found=False)
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or user.get("name") or user_id
    return Named(user_id, str(name))


def where_posted(channel: str | None, kudos_channel: str | None) -> str | None:
    """Where the kudos is posted, as the giver would call it: a #name as given, else the
    company's kudos channel (when one is set) or the channel it was typed in."""
    if channel and channel.startswith("#"):
        return channel
    if channel:
        return "the kudos channel" if kudos_channel else "this channel"
    return None


def sent_view(reply: Message) -> dict[str, Any]:
    """What the kudos modal turns into once the kudos is sent: the receipt and a Done button."""
    return render.closing_view(KUDOS_FORM_ID, "Kudos sent", reply)


async def checkin_kudos(
    flow: KudosFlow,
    messenger: SlackMessenger,
    person: Person,
    context: AsyncBoltContext,
    draft: KudosDraft,
) -> str:
    """Recognition from the check-in goes the same way as /kudos: same rules, same posts (in
    the company's kudos channel, if it has one). The line the summary shows about it."""
    channel = flow.checkins.settings.kudos_channel
    user_id = context.user_id
    return await flow.from_checkin(
        person,
        user_id,
        await named_users(messenger, draft.recipients, user_id, context.bot_user_id),
        draft.message,
        platform=Platform.SLACK,
        command=KUDOS_COMMAND,
        post_to=channel or None,
        where=where_posted(channel, kudos_channel=channel),  # the only place it posts to
    )
