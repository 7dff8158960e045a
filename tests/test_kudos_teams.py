"""Kudos on Teams, end to end: the `kudos` command in a 1:1 chat and in a channel, and the
check-in's recognition, through real botbuilder over HTTP, with DMs and posts sent by the outbox.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from okrbot.adapters.teams.sandbox import DEFAULT_BOT_ID, TeamsSandbox, message_activity
from okrbot.adapters.teams.simulator import TeamsSimulator, TeamsUser, card_of, walk
from okrbot.bot.clock import FakeClock
from okrbot.bot.kudos import has_broadcast
from okrbot.bot.settings import Settings
from okrbot.cli.runtime import Runtime, build_runtime
from okrbot.storage.db import Database
from okrbot.storage.models import KudosRow, PersonRow
from tests.card_schema import card_problems
from tests.world import ANA, LI, MONDAY, Seed, add_members, serving

ZED = TeamsUser.named("Zed Guest", "zed@elsewhere.example")
BOT = TeamsUser(DEFAULT_BOT_ID, "", "okrbot", "")
CHANNEL = "19:general@thread.tacv2;messageid=1700000000000"


@dataclass
class World:
    runtime: Runtime
    sandbox: TeamsSandbox
    teams: TeamsSimulator
    clock: FakeClock
    database: Database

    async def deliver(self) -> int:
        return await self.runtime.outbox.deliver_due(self.runtime.courier)

    def last(self, user: TeamsUser) -> str:
        return texts(self.sandbox.activities_in(user.conversation_id)[-1])


def texts(activity: dict[str, Any]) -> str:
    card = card_of(activity)
    return "\n".join(
        str(element.get("text", ""))
        for element in walk(list(card.get("body") or []))
        if element.get("type") == "TextBlock"
    )


@pytest.fixture
async def activation(sqlite_database: Database) -> int:
    return await seed(sqlite_database)


async def seed(database: Database) -> int:
    """Ana, with a key result, and Li; the key result's id."""
    ids = await (
        Seed()
        .person(
            "ana",
            ANA.email,
            ANA.name,
            timezone="America/New_York",
            teams_aad_id=ANA.aad_object_id,
        )
        .person("li", LI.email, LI.name)
        .onboarding("mine", owner="ana")
        .activation("activation", objective="mine", owner="ana")
        .write(database)
    )
    return ids["activation"]


@pytest.fixture
async def world(sqlite_database: Database, activation: int) -> AsyncIterator[World]:
    async for world in start(sqlite_database):
        yield world


async def start(database: Database) -> AsyncIterator[World]:
    sandbox = TeamsSandbox()
    await sandbox.start()
    add_members(sandbox, ANA, LI, ZED)
    settings = Settings(
        database_url=database.url,
        teams_dev_no_auth=True,
        company_values=["ownership", "customer-focus"],
        kudos_daily_limit=3,
    )
    clock = FakeClock(MONDAY)
    runtime = await build_runtime(settings, clock=clock, database=database, migrate=False)
    async with serving(runtime) as root:
        teams = TeamsSimulator(f"{root}/api/messages", sandbox)
        world = World(runtime, sandbox, teams, clock, database)
        await teams.install(ANA)
        await teams.install(LI)
        yield world
        for request in sandbox.requests:
            for attachment in (request.body or {}).get("attachments") or []:
                assert card_problems(attachment["content"]) == [], attachment["content"]
        await teams.close()
    await sandbox.stop()


async def stored(database: Database) -> list[KudosRow]:
    async with database.reading() as session:
        return list((await session.scalars(select(KudosRow).order_by(KudosRow.id))).all())


async def check_in(world: World, answers: dict[str, str]) -> None:
    """Ana asks for the check-in card and submits it with `answers`."""
    await world.teams.say(ANA, "checkin")
    card = world.sandbox.activities_in(ANA.conversation_id)[-1]
    await world.teams.press(ANA, card, "checkin_form", answers)


async def test_kudos_in_a_one_to_one_chat(world: World) -> None:
    reply = await world.teams.say(
        ANA, "kudos @Li Wei thanks for the churn analysis #Ownership", mentions=[LI]
    )
    assert reply.status == 200
    shown = world.last(ANA)
    assert "**Ana Lima** recognised **Li Wei**" in shown  # the recognition is the reply
    assert "Kudos sent to Li Wei" in shown and "2 people more today" in shown
    [row] = await stored(world.database)
    assert row.message == "thanks for the churn analysis" and row.values == ["ownership"]
    assert row.recipient_platform_id == LI.teams_user_id and row.recipient_id is not None
    assert row.platform == "teams" and row.source == "command"
    assert await world.deliver() == 1  # no public place in a 1:1 chat: only Li's DM
    assert "recognised you" in world.last(LI) and "thanks for the churn analysis" in world.last(LI)
    # Teams has no Home tab: the DM names the command that shows the Home card.
    assert "Type `home` in our chat to see all your kudos" in world.last(LI)
    assert "Home tab" not in world.last(LI)


async def test_the_same_kudos_typed_twice_is_sent_once(world: World) -> None:
    await world.teams.say(ANA, "kudos @Li Wei thanks for the churn analysis", mentions=[LI])
    world.clock.advance(timedelta(seconds=20))
    await world.teams.say(ANA, "kudos @Li Wei thanks for the churn analysis", mentions=[LI])
    assert "You sent these kudos to Li Wei less than a minute ago" in world.last(ANA)
    assert len(await stored(world.database)) == 1
    assert await world.deliver() == 1  # one DM for Li
    # Other words, or the same words later, are new recognition.
    await world.teams.say(ANA, "kudos @Li Wei and for the review", mentions=[LI])
    world.clock.advance(timedelta(minutes=11))
    await world.teams.say(ANA, "kudos @Li Wei thanks for the churn analysis", mentions=[LI])
    assert "Kudos sent to Li Wei" in world.last(ANA)
    assert len(await stored(world.database)) == 3


async def test_kudos_in_a_channel_is_posted_there(world: World) -> None:
    activity = message_activity(
        "<at>okrbot</at> kudos <at>Li Wei</at> great launch @everyone <!here> #teamwork",
        from_id=ANA.teams_user_id,
        aad_object_id=ANA.aad_object_id,
        conversation_id=CHANNEL,
        service_url=world.sandbox.service_url,
        conversation_type="channel",
        entities=[
            {"type": "mention", "text": "<at>okrbot</at>", "mentioned": {"id": DEFAULT_BOT_ID}},
            {"type": "mention", "text": "<at>Li Wei</at>", "mentioned": {"id": LI.teams_user_id}},
        ],
    )
    assert (await world.teams.post(activity)).status == 200
    receipt = texts(world.sandbox.activities_in(CHANNEL)[-1])
    assert "posted in this channel" in receipt and "#teamwork is not one of our values" in receipt
    [row] = await stored(world.database)
    assert row.message.startswith("great launch") and not has_broadcast(row.message)
    assert await world.deliver() == 2
    post = texts(world.sandbox.activities_in(CHANNEL)[-1])
    assert "**Ana Lima** recognised **Li Wei**" in post and not has_broadcast(post)
    assert "recognised you" in world.last(LI)


async def test_rules(world: World) -> None:
    await world.teams.say(ANA, "kudos @Ana Lima for me", mentions=[ANA])
    assert "can't recognise yourself" in world.last(ANA)
    await world.teams.say(ANA, "kudos thanks everyone")
    assert "Mention who you want to thank" in world.last(ANA)
    await world.teams.say(ANA, "kudos")
    assert "How to give kudos" in world.sandbox.activities_in(ANA.conversation_id)[-1]["summary"]
    await world.teams.say(ANA, "kudos @Zed Guest cheers", mentions=[ZED])
    assert "not set up in okrbot yet" in world.last(ANA)
    [row] = await stored(world.database)
    assert row.recipient_id is None and row.recipient_platform_id == ZED.teams_user_id
    await world.teams.say(ANA, "kudos @Li Wei @Zed Guest more", mentions=[LI, ZED])
    await world.teams.say(ANA, "kudos @Li Wei again", mentions=[LI])
    assert "You have recognised 3 people today, the daily limit" in world.last(ANA)
    assert "(in 19 h)" in world.last(ANA)
    assert len(await stored(world.database)) == 3


async def test_recognition_in_the_check_in_and_the_okr_reply(world: World, activation: int) -> None:
    await check_in(
        world,
        {
            f"kr-{activation}-value": "45",
            f"kr-{activation}-confidence": "on_track",
            "kudos-to": "Li Wei",
            "kudos-message": "for the research @channel #customer-focus",
        },
    )
    [row] = await stored(world.database)
    assert row.source == "checkin" and row.values == ["customer-focus"]
    assert not has_broadcast(row.message)
    assert "Kudos sent to Li Wei" in world.last(ANA)
    assert await world.deliver() == 1
    assert "recognised you" in world.last(LI)

    await world.teams.say(LI, "okr")
    assert "Kudos you received (1)" in world.last(LI) and "for the research" in world.last(LI)


PHISH = "[re-confirm payroll](https://evil.example/login)"


async def test_a_link_in_kudos_shows_its_target_on_the_recipients_card(world: World) -> None:
    await world.teams.say(
        ANA,
        f"kudos @Li Wei please {PHISH} and ![logo](https://evil.example/pixel.png)",
        mentions=[LI],
    )
    assert await world.deliver() == 1
    card = card_of(world.sandbox.activities_in(LI.conversation_id)[-1])
    shown = texts(world.sandbox.activities_in(LI.conversation_id)[-1])
    assert "re-confirm payroll (https://evil.example/login)" in shown
    assert "logo (https://evil.example/pixel.png)" in shown
    assert "](" not in json.dumps(card)  # no markdown link or image anywhere on the card


async def test_a_link_in_a_check_in_note_shows_its_target(world: World, activation: int) -> None:
    await check_in(
        world,
        {
            f"kr-{activation}-value": "45",
            f"kr-{activation}-confidence": "at_risk",
            f"kr-{activation}-note": f"blocked: {PHISH}",
        },
    )
    summary = world.sandbox.activities_in(ANA.conversation_id)[-1]
    assert "re-confirm payroll (https://evil.example/login)" in texts(summary)
    assert "](" not in json.dumps(card_of(summary))


async def test_a_check_in_card_submitted_twice_recognises_once(database: Database) -> None:
    """A double click on the card's submit, on SQLite and PostgreSQL (where the kudos columns
    hold a whole Teams user id): two activities, the same card (replyToId) and values; the first
    answers, the second changes nothing."""
    activation = await seed(database)
    async for world in start(database):
        await world.teams.say(ANA, "checkin")
        card = world.sandbox.activities_in(ANA.conversation_id)[-1]
        answers = {
            f"kr-{activation}-value": "45",
            f"kr-{activation}-confidence": "on_track",
            "kudos-to": "Li Wei",
            "kudos-message": "for the research",
        }
        first, second = await asyncio.gather(
            world.teams.press(ANA, card, "checkin_form", answers),
            world.teams.press(ANA, card, "checkin_form", answers),
        )
        assert first.status == second.status == 200
        [row] = await stored(world.database)
        assert row.source == "checkin"
        assert "Kudos sent to Li Wei" in world.last(ANA)
        assert await world.deliver() == 1
        assert await world.deliver() == 0
        li_cards = [texts(a) for a in world.sandbox.activities_in(LI.conversation_id)]
        assert sum("recognised you" in text for text in li_cards) == 1
        # The card, fixed after an error, is a new submission: it is acted on.
        await world.teams.press(ANA, card, "checkin_form", {**answers, "kudos-message": "thanks"})
        assert len(await stored(world.database)) == 2


async def test_a_mention_of_someone_okrbot_chats_with_is_one_indexed_lookup(world: World) -> None:
    """Li was imported by email only; installing the app stored their chat and, with it, the
    Teams user id a mention names. Naming them is then found by that column: no scan of every
    stored conversation, no member lookup in Teams."""
    async with world.database.reading() as session:
        li = await session.scalar(select(PersonRow).where(PersonRow.email == LI.email))
    assert li is not None and li.teams_user_id == LI.teams_user_id
    member_lookups = len([r for r in world.sandbox.requests if r.kind == "member"])
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engines = [engine.sync_engine for engine in world.database.engines]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        await world.teams.say(ANA, "kudos @Li Wei thanks for the review", mentions=[LI])
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    [row] = await stored(world.database)
    assert row.recipient_id == li.id
    assert len([r for r in world.sandbox.requests if r.kind == "member"]) == member_lookups
    assert any("people.teams_user_id = " in s for s in statements)
    assert not any("teams_conversation IS NOT NULL" in s for s in statements)
