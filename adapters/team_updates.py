"""A team's weekly OKR update, posted to the team's channel from the outbox.

The cadence queues one delivery per opted-in team and week, when the manager's digest goes out
(after the week's check-ins close). What is posted is decided at send time: the channel the
team has now (none: the team opted out, nothing is posted) and its objectives as they stand.
Each page is recorded as soon as the platform has it, so a retry posts only what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from okrbot.adapters.browse_flow import shown_objectives, team_objectives
from okrbot.adapters.conversations import CheckIns
from okrbot.bot.delivery import PermanentDeliveryError, Suppressed, active
from okrbot.bot.domain import Person, Platform
from okrbot.bot.messages import Form, Message
from okrbot.bot.messenger import Messenger, Target
from okrbot.bot.quarters import Quarter
from okrbot.bot.team_updates import (
    CHANNEL,
    channel_form,
    channel_saved,
    not_a_manager,
    parse_channel_answer,
    team_update_pages,
)
from okrbot.scheduler.outbox import Delivery, record_progress, sent_parts
from okrbot.storage.db import Database
from okrbot.storage.people import direct_reports, get_person, teams_conversation
from okrbot.storage.team_channels import (
    TeamChannel,
    set_team_channel,
    team_channel,
    unset_team_channel,
)

log = logging.getLogger(__name__)


def teams_channel_reference(personal: Mapping[str, Any], channel_id: str) -> dict[str, Any]:
    """A conversation reference for a Teams channel, from one of the same tenant's 1:1 chats.

    A bot posts in a channel through the same Bot Framework service (`serviceUrl`) and as the
    same bot as in its 1:1 chats; only the conversation differs. Teams refuses the post (403)
    unless okrbot is installed in the channel's team."""
    conversation = personal.get("conversation") or {}
    return {
        "channelId": personal.get("channelId") or "msteams",
        "serviceUrl": personal.get("serviceUrl"),
        "bot": personal.get("bot"),
        "conversation": {
            "id": channel_id,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": conversation.get("tenantId"),
        },
    }


class TeamUpdateCourier:
    def __init__(
        self, database: Database, checkins: CheckIns, messengers: Mapping[str, Messenger]
    ) -> None:
        self.database = database
        self.checkins = checkins
        self.messengers = dict(messengers)  # by Platform value

    async def deliver(self, delivery: Delivery) -> None:
        manager_id = delivery.person_id or 0
        period = delivery.period or ""
        quarter = Quarter.of_week(period, self.checkins.settings.fiscal_year_start_month).id
        async with self.database.reading() as session:
            manager = active(await get_person(session, manager_id), manager_id)
            channel = await team_channel(session, manager_id)
            if channel is None:
                raise Suppressed(f"{manager.email}'s team no longer posts updates to a channel")
            objectives = await team_objectives(session, manager, quarter)
            if objectives is None:
                raise Suppressed(f"nobody reports to {manager.email} any more")
            if not objectives:
                # A weekly "nothing to show" would be noise in the channel.
                raise Suppressed(f"{manager.email}'s team has no objectives in {quarter}")
            shown = await shown_objectives(session, objectives)
            personal = (
                await teams_conversation(session, manager_id)
                if channel.platform == Platform.TEAMS
                else None
            )
        messenger = self.messengers.get(channel.platform)
        if messenger is None:
            raise PermanentDeliveryError(
                f"{channel.platform.capitalize()} is not configured, so {manager.email}'s "
                "team update cannot be posted"
            )
        target = self._target(manager, channel, personal)
        pages = team_update_pages(f"{manager.name}'s team", period, shown)
        posted = sent_parts(delivery)
        for number, page in enumerate(pages):
            if number in posted:
                continue  # an earlier attempt posted it before a later page failed
            try:
                await messenger.post(target, page)
            except PermanentDeliveryError as error:
                raise PermanentDeliveryError(
                    f"{manager.email}'s team update could not be posted to {channel.channel} on "
                    f"{channel.platform.capitalize()}: {error}. Add okrbot to that channel "
                    "(Teams: to its team), or change it with `okrbot teams channel set`"
                ) from error
            await record_progress(self.database, delivery, part=(number, {"page": number}))
        log.info("posted %s's team update for %s", manager.email, period)

    def _target(
        self, manager: Person, channel: TeamChannel, personal: Mapping[str, Any] | None
    ) -> Target:
        if channel.platform != Platform.TEAMS:
            return channel.channel
        if not personal:
            raise PermanentDeliveryError(
                f"{manager.email} has not installed okrbot in Teams, so okrbot does not know "
                "the Teams service to post their team's update through"
            )
        return teams_channel_reference(personal, channel.channel)


class TeamChannelFlow:
    """A manager choosing their team's update channel in chat, on either platform. Only someone
    with direct reports may: the check is made again on every save, so a forged submit from
    anyone else changes nothing."""

    def __init__(self, database: Database, checkins: CheckIns) -> None:
        self.database = database
        self.checkins = checkins

    async def _manages(self, person: Person) -> bool:
        async with self.database.reading() as session:
            return bool(await direct_reports(session, person.id))

    async def form(self, person: Person, platform: Platform) -> Form | Message:
        """The form, or why the person has none (they manage nobody)."""
        if not await self._manages(person):
            return not_a_manager(person.name)
        async with self.database.reading() as session:
            current = await team_channel(session, person.id)
        shown = current.channel if current is not None and current.platform == platform else None
        return channel_form(platform, shown)

    async def save(
        self, person: Person, platform: Platform, answers: Mapping[str, object]
    ) -> tuple[dict[str, str], Message]:
        """Store the choice from the form: errors for its field, or the confirmation."""
        if not await self._manages(person):
            refused = not_a_manager(person.name)
            return {CHANNEL: refused.summary[:150]}, refused
        channel, errors = parse_channel_answer(platform, answers)
        if errors:
            return errors, Message.plain(next(iter(errors.values())))
        return {}, await self.choose(person, platform, channel)

    async def choose(
        self, person: Person, platform: Platform, channel: str | None, *, here: bool = False
    ) -> Message:
        """Post the person's team's update to `channel` (None: nowhere), if they manage a team."""
        if not await self._manages(person):
            return not_a_manager(person.name)
        async with self.database.transaction() as session:
            if channel is None:
                await unset_team_channel(session, person.id)
            else:
                await set_team_channel(
                    session,
                    person.id,
                    platform=platform.value,
                    channel=channel,
                    set_by=person.email,
                    now=self.checkins.clock.now(),
                )
        log.info("%s set their team's update channel to %s", person.email, channel)
        return channel_saved(channel, here=here)
