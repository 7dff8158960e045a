"""The one kudos flow both platforms give kudos through, driven with plain people.

No platform here: the giver and the recipients are `Person`s and `Named`s as an adapter would
hand them over, and what goes out is sent by the kudos courier through a recording messenger
that implements the shared Messenger protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from okrbot.adapters.conversations import CheckIns
from okrbot.adapters.kudos_courier import KudosCourier
from okrbot.adapters.kudos_flow import KudosFlow, KudosOutcome
from okrbot.adapters.overview import own_quarter
from okrbot.bot.clock import FakeClock
from okrbot.bot.delivery import PermanentDeliveryError, Suppressed
from okrbot.bot.domain import Person, Platform
from okrbot.bot.kudos import BOT_KUDOS, SELF_KUDOS, KudosText
from okrbot.bot.kudos_giving import Named
from okrbot.bot.messages import Context, Message, Text
from okrbot.bot.messenger import Ref, Target
from okrbot.bot.overview import ReceivedKudos, with_kudos
from okrbot.bot.settings import Settings
from okrbot.scheduler.outbox import Delivery, delivery_of, list_deliveries
from okrbot.storage.convert import to_person
from okrbot.storage.db import Database
from okrbot.storage.models import PersonRow

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
WORDS = KudosText("thanks for the launch plan", ("ownership",), ("speed",))


@dataclass
class RecordingMessenger:
    """A platform that records what it was asked to send, and where."""

    unreachable: str | None = None
    kudos_pointer: str = "Your kudos are on your okrbot home."
    posts: list[tuple[Target, Message]] = field(default_factory=list)
    dms: list[tuple[str, Message]] = field(default_factory=list)

    async def send(self, person: Person, messages: list[Message]) -> list[Ref]:
        self.dms.extend((person.email, message) for message in messages)
        return [{"platform": "test", "n": len(self.dms)}]

    async def send_parts(self, person: Person, messages: list[Message], *_: Any) -> list[Ref]:
        return await self.send(person, messages)

    async def find_tagged(self, person: Person, key: str) -> dict[int, Ref]:
        return {}

    async def update(self, ref: Ref, message: Message) -> None:
        pass

    async def attach(self, person: Person, filename: str, title: str, png: bytes) -> None:
        pass

    async def post(self, target: Target, message: Message) -> None:
        self.posts.append((target, message))

    async def why_unreachable(self, person: Person) -> str | None:
        return self.unreachable


def text_of(message: Message) -> str:
    return "\n".join(b.text for b in message.blocks if isinstance(b, Text | Context))


@dataclass
class World:
    database: Database
    flow: KudosFlow
    ana: Person
    li: Person
    mia: Person


async def make_world(database: Database, **settings: Any) -> World:
    async with database.transaction() as session:
        rows = [
            PersonRow(email=f"{first.lower()}@example.com", name=name, timezone="America/New_York")
            for first, name in (("ana", "Ana Lima"), ("li", "Li Wei"), ("mia", "Mia Berg"))
        ]
        session.add_all(rows)
        await session.flush()
        ana, li, mia = (to_person(row) for row in rows)
    config = Settings(database_url=database.url, company_values=["ownership"], **settings)
    flow = KudosFlow(database, CheckIns(database, config, FakeClock(NOW)))
    return World(database, flow, ana, li, mia)


async def give(
    world: World,
    *named: Named,
    platform: Platform = Platform.SLACK,
    post_to: Target | None = "#kudos",
) -> KudosOutcome:
    return await world.flow.give(
        world.ana,
        "UANA",
        list(named),
        WORDS,
        platform=platform,
        source="command",
        post_to=post_to,
        where="#kudos" if post_to else None,
    )


async def queued(database: Database) -> list[Delivery]:
    rows = sorted(await list_deliveries(database), key=lambda row: row.key)
    return [delivery_of(row) for row in rows]


async def test_nobody_recognises_themselves(database: Database) -> None:
    world = await make_world(database)
    by_id = await give(world, Named("UANA", "ana"))
    by_person = await give(world, Named("29:other-id", "Ana Lima", world.ana))
    for outcome in (by_id, by_person):
        assert not outcome.sent and outcome.headline == SELF_KUDOS
        assert text_of(outcome.reply) == SELF_KUDOS
    assert await queued(database) == []


async def test_a_bot_is_not_recognised_and_is_left_out_beside_a_colleague(
    database: Database,
) -> None:
    world = await make_world(database)
    refused = await give(world, Named("UBOT", "okrbot", bot=True))
    assert not refused.sent and text_of(refused.reply) == BOT_KUDOS
    sent = await give(world, Named("UBOT", "okrbot", bot=True), Named("ULI", "li", world.li))
    assert sent.sent and sent.recipients == ("Li Wei",)
    assert "I left myself out: I'm only the messenger." in text_of(sent.reply)


async def test_the_daily_limit_is_all_or_nothing(database: Database) -> None:
    world = await make_world(database, kudos_daily_limit=2)
    three = [Named("ULI", "li", world.li), Named("UMIA", "mia", world.mia), Named("UZED", "Zed")]
    refused = await give(world, *three)
    assert not refused.sent
    assert text_of(refused.reply).startswith(
        "You named 3 people, but you can recognise only 2 more today (the daily limit is 2)."
    )
    assert await queued(database) == []
    sent = await give(world, *three[:2])
    assert sent.sent
    assert "That was your last one for today" in text_of(sent.reply)
    again = await give(world, three[2])
    assert text_of(again.reply).startswith("You have recognised 2 people today, the daily limit.")


async def test_the_receipt_says_who_where_and_who_was_left_out(database: Database) -> None:
    world = await make_world(database)
    outcome = await give(
        world,
        Named("ULI", "li", world.li),
        Named("UANA", "ana"),
        Named("UGONE", "gone", found=False),
    )
    assert outcome.sent and outcome.headline == "🙌 Kudos sent to Li Wei."
    assert text_of(outcome.reply).split("\n") == [
        "🙌 Kudos sent to Li Wei. It is posted in #kudos, and they each get a message.",
        "You named yourself too; kudos are for others, so you were left out.",
        "I couldn't find @gone in this workspace.",
        "#speed is not one of our values, so it stays in the text. The values are: #ownership.",
        "You can recognise 4 people more today.",
    ]


async def test_the_post_and_each_dm_are_queued_and_sent_through_the_messenger(
    database: Database,
) -> None:
    world = await make_world(database)
    await give(world, Named("ULI", "li", world.li), Named("UZED", "Zed Stranger"))
    deliveries = await queued(database)
    assert sorted(d.kind for d in deliveries) == ["kudos_dm", "kudos_dm", "kudos_post"]
    messenger = RecordingMessenger()
    courier = KudosCourier(database, {Platform.SLACK.value: messenger})
    for delivery in deliveries:
        await courier.deliver(delivery)
    posted = {target: message.summary for target, message in messenger.posts}
    assert posted == {
        "#kudos": "Ana Lima recognised Li Wei and Zed Stranger",
        # Someone Slack knows but okrbot has not imported gets the DM through their user id.
        "UZED": "Ana Lima recognised you",
    }
    assert [(email, m.summary) for email, m in messenger.dms] == [
        ("li@example.com", "Ana Lima recognised you")
    ]


async def test_where_strangers_cannot_be_written_to_they_get_no_dm_and_the_giver_is_told(
    database: Database,
) -> None:
    world = await make_world(database)
    outcome = await give(
        world,
        Named("29:li", "Li", world.li),
        Named("29:zed", "Zed Stranger"),
        platform=Platform.TEAMS,
        post_to=None,
    )
    assert outcome.sent
    assert (
        "Zed Stranger is not set up in okrbot yet, so they get no message; the kudos is kept "
        "for them." in text_of(outcome.reply)
    )
    [dm] = await queued(database)
    assert dm.kind == "kudos_dm" and dm.person_id == world.li.id
    teams = RecordingMessenger(unreachable="li@example.com has not installed okrbot in Teams")
    with pytest.raises(Suppressed, match="has not installed okrbot"):
        await KudosCourier(database, {Platform.TEAMS.value: teams}).deliver(dm)
    assert teams.dms == []
    with pytest.raises(PermanentDeliveryError, match="Teams is not configured"):
        await KudosCourier(database, {}).deliver(dm)


async def test_colleagues_typed_in_a_recognition_field_are_found_by_email_or_full_name(
    database: Database,
) -> None:
    world = await make_world(database)
    typed = await world.flow.people_typed("@li@example.com; mia berg,\n")
    assert typed.found == {str(world.li.id): world.li, str(world.mia.id): world.mia}
    assert typed.error is None


async def test_a_typed_name_that_matches_nobody_is_the_fields_error(database: Database) -> None:
    world = await make_world(database)
    typed = await world.flow.people_typed("Li Wei, Bo, mia@example.com, Ana")
    assert typed.found == {str(world.li.id): world.li, str(world.mia.id): world.mia}
    assert typed.error == (
        "I couldn't find Bo, Ana among okrbot's people; use their full name or email."
    )


async def test_own_quarter_lists_the_kudos_received_with_their_givers_name(
    database: Database,
) -> None:
    world = await make_world(database)
    assert (await give(world, Named("ULI", "li", world.li))).sent
    own = await own_quarter(world.flow.checkins, world.li, lambda _kudos: "a colleague")
    assert own.statuses == []
    assert [(k.giver, k.message) for k in own.received] == [("Ana Lima", WORDS.message)]
    nothing = await own_quarter(world.flow.checkins, world.mia, lambda _kudos: "a colleague")
    assert nothing.received == []


def test_an_overview_with_kudos_lists_them_after_the_key_results() -> None:
    overview = Message("Your OKRs", (Text("🎯 **Ship it**"),))
    assert with_kudos(overview, []) is overview
    shown = with_kudos(overview, [ReceivedKudos("Ana Lima", "thanks for the plan")] * 12)
    assert shown.summary == "Your OKRs"
    assert text_of(shown).splitlines()[:2] == [
        "🎯 **Ship it**",
        "🙌 **Ana Lima**: thanks for the plan",
    ]
    assert text_of(shown).endswith("…and 2 more.")
