"""A person's own quarter, read once for every platform: their key results and the kudos they
received, which Teams' `okr` reply and Slack's App Home both show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from okrbot.adapters.conversations import CheckIns, Moment
from okrbot.bot.checkins import KeyResultStatus
from okrbot.bot.domain import Kudos, Person
from okrbot.bot.overview import ReceivedKudos
from okrbot.storage.kudos import received_in_quarter


@dataclass(frozen=True, slots=True)
class OwnQuarter:
    moment: Moment
    statuses: list[KeyResultStatus]
    received: list[ReceivedKudos]


async def own_quarter(
    checkins: CheckIns, person: Person, unnamed_giver: Callable[[Kudos], str]
) -> OwnQuarter:
    """The person's key results this quarter and the kudos they received in it, newest first;
    a giver okrbot has no name for is called what `unnamed_giver` says (each platform has its
    own way to refer to someone)."""
    moment, statuses = await checkins.statuses(person)
    async with checkins.database.reading() as session:
        received = await received_in_quarter(session, person.id, moment.quarter)
    kudos = [
        ReceivedKudos(r.giver_name or unnamed_giver(r.kudos), r.kudos.message) for r in received
    ]
    return OwnQuarter(moment, statuses, kudos)
